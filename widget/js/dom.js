// The form's DOM mechanics, imported by the wasm (`widget/src/dom.rs`) and by
// `boot.js`. Rust decides every state, text and request; this file only carries
// decisions out: it forwards what the shopper does, applies Rust's paint operations
// (with `textContent`, never as HTML) once the language's pack is in, runs `fetch`
// and fires the shop's cart event. Widgets are numbered: `roots[id]` is the shadow
// root the loader built, and the wasm only ever sees the number. Only numbers cross:
// a text from the wasm is an address and a length in its memory (`on.memory`), fields
// separated by \x1f. Each function returns normally whatever happens: an exception
// would unwind through the wasm and leave it holding its lock.

/**
 * Set by `boot.js` once the wasm runs: its `memory`, its entry points
 * `input(id, element, value)` and `answer(id, status, text)`, neither of which
 * throws, `pack(tag)`, a promise of the language's texts file, and `read()`, the
 * loader's fresh availability read.
 */
export const on = {};

const roots = [];
// Language packs by tag: the texts, or a promise of them (or 0 while a failed one
// waits to be asked for again). Paints wait here (the latest per widget) until their
// language's texts are in.
const packs = {};
const waiting = [];
const decoder = new TextDecoder();
const text = (at, len) => decoder.decode(new Uint8Array(on.memory.buffer, at, len));

/** Widget `id`'s shadow root (the loader built it). */
export function adopt(id, root) { roots[id] = root; }
/** Test support: the object `boot.js` fills, for a test to fill. */
export function hooks() { return on; }

// What the shopper did: the element's id and its value ('1' or '' for a checkbox).
const send = (id, e) => on.input(id, e.id, e.type == 'checkbox' ? (e.checked ? '1' : '') : e.value);

/** Forwards what the shopper does in widget `id` to the wasm, and runs compact mode's dialog. */
export function wire(id, root) {
  adopt(id, root);
  const $ = (i) => root.getElementById(i);
  root.addEventListener('input', (e) => send(id, e.target));
  root.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (b && b.type == 'button') on.input(id, b.id, '');
  });
  // A submit sends every field's value first (autofill may not have said), then itself.
  root.addEventListener('submit', (e) => {
    e.preventDefault();
    e.target.querySelectorAll('input').forEach((i) => send(id, i));
    on.input(id, e.target.id, '');
  });
  const d = $('dl');
  if (d) {
    // Compact mode's dialog: focus moves in and stays there (Tab wraps), Esc or Close
    // shuts it, and focus goes back to the button.
    const focusable = () => [...d.querySelectorAll('input,button,a')].filter((e) => !e.closest('[hidden]'));
    $('o').onclick = () => { d.showModal(); focusable()[0]?.focus(); };
    $('x').onclick = () => d.close();
    d.onclose = () => ($('o').hidden ? $('s') : $('o')).focus();
    d.onkeydown = (e) => {
      if (e.key != 'Tab') return;
      const f = focusable(), first = f[0], last = f[f.length - 1], at = root.activeElement;
      if (e.shiftKey ? at == first : at == last) { e.preventDefault(); (e.shiftKey ? last : first)?.focus(); }
    };
  }
}

// Rust's operations (see `view::Ops`): `id \x1f key \x1f value`, separated by \x1e,
// the first being the widget's language (`r lang <tag>`). A text is a reference to the
// language's pack, \x01 index [\x01 value for its placeholder].
export function paint(id, at, len) {
  const ops = text(at, len).split('\x1e').map((op) => op.split('\x1f'));
  const tag = ops[0][2], texts = packs[tag];
  if (Array.isArray(texts)) return apply(id, ops, texts);
  waiting[id] = [tag, ops];
  if (texts == null) load(tag, 5e3);
}

// Asks for a language's texts; one that does not arrive is asked for again later
// (5 s, then 3x longer, at most 5 min) while paints wait for it.
function load(tag, wait) {
  packs[tag] = on.pack(tag).then((t) => {
    packs[tag] = t.split('\x1f');
    waiting.forEach((w, i) => { if (w && w[0] == tag) { waiting[i] = null; apply(i, w[1], packs[tag]); } });
  }, () => {
    packs[tag] = 0;
    setTimeout(() => load(tag, Math.min(wait * 3, 3e5)), wait);
  });
}

function apply(id, ops, texts) {
  const root = roots[id];
  const words = (_, t, fill) => (fill ? (texts[t] || '').replace(/\{\w+\}/, () => fill) : texts[t] || '');
  for (const [i, k, v] of ops) {
    const e = root && root.getElementById(i);
    if (!e) continue;
    if (k == 'focus') e.focus();
    else if (k == 'close') { if (e.open) e.close(); }
    else if (k.includes('-')) { if (v) e.setAttribute(k, v); else e.removeAttribute(k); }
    else {
      const x = k == 'hidden' ? !!v : v.replace(/^\x01(\d+)(?:\x01([^]*))?$/, words);
      if (e[k] !== x) e[k] = x;
    }
  }
}

// A JSON value as the wasm reads it (`widget/src/flat.rs`): one `path \x1f value \x1e`
// per value, the path's keys and indexes joined by '.'; null gives nothing.
export const flat = (v, path = '') => v !== null && typeof v == 'object'
  ? Object.keys(v).map((k) => flat(v[k], path + k + '.')).join('')
  : v == null ? '' : path.slice(0, -1) + '\x1f' + String(v).replace(/[\x1e\x1f]/g, '\ufffd') + '\x1e';

// Widget `id`'s request: the URL, the body (empty: GET; else POST JSON), then header
// names and values. Gives up after 8 s; always answers exactly once, status 0 for no
// answer.
export function request(id, at, len) {
  const [url, body, ...h] = text(at, len).split('\x1f');
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 8000);
  const init = { signal: ctl.signal, headers: {} };
  if (body) {
    init.method = 'POST';
    // The page's URL goes with a signup (the consent record names the page it was shown on).
    init.referrerPolicy = 'no-referrer-when-downgrade';
    init.headers['content-type'] = 'application/json';
    init.body = body;
  }
  for (let i = 0; i < h.length; i += 2) init.headers[h[i]] = h[i + 1];
  let over = false;
  const done = (status, answer) => { if (!over) { over = true; clearTimeout(timer); on.answer(id, status, answer); } };
  fetch(url, init)
    .then((r) => r.text().then((t) => { let v = null; try { v = JSON.parse(t); } catch (_) {} done(r.status, flat(v)); }))
    .catch(() => done(0, ''));
}

export function random() { return crypto.getRandomValues(new Uint32Array(1))[0]; }

/** Every widget's availability again, skipping caches (after an order). */
export function refresh() { on.read(); }

// `restock:backorder` for the shop's own cart. Its handler takes the order with
// `event.detail.respondWith(promise)`: fulfilled (with anything but false) means the
// cart has it. Without a handler, `Restock.cart` (the Shopify adapter) may take it;
// with neither, or after 15 s, the shopper is told it did not work. Answers once,
// always later than now (the caller holds no state across it).
export function fire(id, quantity, at, len) {
  const sku = text(at, len), host = (roots[id] && roots[id].host) || document;
  let waiting = null, answered = false;
  const answer = (ok) => { if (!answered) { answered = true; setTimeout(() => on.answer(id, ok ? 200 : 0, '')); } };
  const detail = { sku, quantity, respondWith: (p) => { if (!waiting) waiting = Promise.resolve(p); } };
  host.dispatchEvent(new CustomEvent('restock:backorder', { bubbles: true, composed: true, detail }));
  const fallback = window.Restock && window.Restock.cart;
  if (!waiting && fallback) { try { waiting = Promise.resolve(fallback(sku, quantity, host)); } catch (_) {} }
  if (!waiting) return answer(false);
  setTimeout(() => answer(false), 15000);
  waiting.then((ok) => answer(ok !== false), () => answer(false));
}
