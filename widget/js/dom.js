// The widget's DOM mechanics, imported by the wasm (`widget/src/dom.rs`) and by
// `boot.js`. Rust decides every state, text and request; this file only carries
// decisions out: it builds a shadow root from Rust's markup, forwards what the shopper
// does, applies Rust's paint operations (with `textContent`, never as HTML), runs
// `fetch`, formats with `Intl` and keeps time. Widgets are numbered: `hosts[id]` is
// the element, and the wasm only ever sees the number. Only numbers cross: a text
// from the wasm is an address and a length in its memory (`on.memory`), fields
// separated by \x1f. Each function returns normally whatever happens: an exception
// would unwind through the wasm and leave it holding its lock.

/** The mounted elements, by widget id (`boot.js` adds them). */
export const hosts = [];
/**
 * Set by `boot.js` once the wasm runs: its `memory`, its entry points
 * `input(id, element, value)`, `answer(token, status, text)`, `tick(token)` and
 * `texts()` (a language pack did not arrive), none of which throws, and `pack(tag)`,
 * a promise of the language's texts file.
 */
export const on = {};

const roots = [];
const locales = [];
// Language packs by tag: the texts, or the promise of them. Paints wait here (the
// latest per widget) until their language's texts are in.
const packs = {};
const waiting = [];
let sheet;
const decoder = new TextDecoder();
const text = (at, len) => decoder.decode(new Uint8Array(on.memory.buffer, at, len));

/** Test support: `host` becomes widget `id`. */
export function adopt(id, host) { hosts[id] = host; }
/** Test support: the object `boot.js` fills, for a test to fill. */
export function hooks() { return on; }

// What the shopper did: the element's id and its value ('1' or '' for a checkbox).
const send = (id, e) => on.input(id, e.id, e.type == 'checkbox' ? (e.checked ? '1' : '') : e.value);

// The markup, the locale and the stylesheet.
export function build(id, at, len) {
  const [html, locale, css] = text(at, len).split('\x1f');
  const host = hosts[id];
  let root;
  try { root = host.attachShadow({ mode: 'open' }); } catch (_) { return false; }
  // A constructed stylesheet, shared by every widget on the page: pages with a strict
  // Content-Security-Policy (no 'unsafe-inline' styles) allow it, where a <style> is blocked.
  if (root.adoptedStyleSheets && CSSStyleSheet.prototype.replaceSync) {
    if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(css); }
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = css;
    root.append(style);
  }
  const t = document.createElement('template');
  t.innerHTML = html; // constant markup from Rust, never data
  root.append(t.content);
  roots[id] = root;
  locales[id] = locale;
  const $ = (i) => root.getElementById(i);
  // Layout follows the page or the mount (dir="rtl"); texts carry their own language's.
  $('r').dir = getComputedStyle(host).direction;
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
    const focusable = () => [...d.querySelectorAll('input,button')].filter((e) => !e.closest('[hidden]'));
    $('o').onclick = () => { d.showModal(); focusable()[0]?.focus(); };
    $('x').onclick = () => d.close();
    d.onclose = () => ($('o').hidden ? $('s') : $('o')).focus();
    d.onkeydown = (e) => {
      if (e.key != 'Tab') return;
      const f = focusable(), first = f[0], last = f[f.length - 1], at = root.activeElement;
      if (e.shiftKey ? at == first : at == last) { e.preventDefault(); (e.shiftKey ? last : first)?.focus(); }
    };
  }
  return true;
}

// Rust's operations (see `view::Ops`): `id \x1f key \x1f value`, separated by \x1e,
// the first being the widget's language (`r lang <tag>`). A text is a reference to the
// language's pack, \x01 index [\x01 value for its placeholder]; a number, or a date
// (`d` and days since 1970), between \x02 and \x03 is written in the widget's locale
// (as it is, or ISO, if the browser can't).
export function paint(id, at, len) {
  const ops = text(at, len).split('\x1e').map((op) => op.split('\x1f'));
  const tag = ops[0][2], texts = packs[tag];
  if (Array.isArray(texts)) return apply(id, ops, texts);
  waiting[id] = [tag, ops];
  if (texts) return;
  packs[tag] = on.pack(tag).then((t) => {
    packs[tag] = t.split('\x1f');
    waiting.forEach((w, i) => { if (w && w[0] == tag) { waiting[i] = null; apply(i, w[1], packs[tag]); } });
  }).catch(() => { delete packs[tag]; on.texts(); });
}

function apply(id, ops, texts) {
  const root = roots[id], locale = locales[id];
  const local = (_, date, n) => {
    try {
      return date ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(n * 864e5)
        : new Intl.NumberFormat(locale).format(n);
    } catch (_) { return date ? new Date(n * 864e5).toISOString().slice(0, 10) : n; }
  };
  const words = (_, t, fill) => (fill ? (texts[t] || '').replace(/\{\w+\}/, () => fill) : texts[t] || '');
  for (const [i, k, v] of ops) {
    const e = root && root.getElementById(i);
    if (!e) continue;
    if (k == 'focus') e.focus();
    else if (k == 'mark') performance.mark(v);
    else if (k == 'close') { if (e.open) e.close(); }
    else if (k.includes('-')) { if (v) e.setAttribute(k, v); else e.removeAttribute(k); }
    else {
      const x = k == 'hidden' ? !!v : v.replace(/^\x01(\d+)(?:\x01([^]*))?$/, words).replace(/\x02(d?)(\d+)\x03/g, local);
      if (e[k] !== x) e[k] = x;
    }
  }
}

// A JSON value as the wasm reads it (`widget/src/flat.rs`): one `path \x1f value \x1e`
// per value, the path's keys and indexes joined by '.'; null gives nothing.
const flat = (v, path = '') => v !== null && typeof v == 'object'
  ? Object.keys(v).map((k) => flat(v[k], path + k + '.')).join('')
  : v == null ? '' : path.slice(0, -1) + '\x1f' + String(v).replace(/[\x1e\x1f]/g, '\ufffd') + '\x1e';

// The URL, the body (empty: GET; else POST JSON), then header names and values. Gives
// up after 8 s; always answers exactly once, status 0 for no answer.
export function request(token, at, len) {
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
  const done = (status, answer) => { if (!over) { over = true; clearTimeout(timer); on.answer(token, status, answer); } };
  fetch(url, init)
    .then((r) => r.text().then((t) => { let v = null; try { v = JSON.parse(t); } catch (_) {} done(r.status, flat(v)); }))
    .catch(() => done(0, ''));
}

export function random() { return crypto.getRandomValues(new Uint32Array(1))[0]; }

// No delay: a microtask, once the current task's mounts and changes are all in (the
// first availability request goes out without waiting for a timer).
export function timer(ms, token) {
  const tick = () => on.tick(token);
  if (ms) setTimeout(tick, ms); else queueMicrotask(tick);
}

// `restock:backorder` for the shop's own cart. Its handler takes the order with
// `event.detail.respondWith(promise)`: fulfilled (with anything but false) means the
// cart has it. Without a handler, `Restock.cart` (the Shopify adapter) may take it;
// with neither, or after 15 s, the shopper is told it did not work. Answers once,
// always later than now (the caller holds no state across it).
export function fire(id, quantity, token, at, len) {
  const sku = text(at, len), host = hosts[id] || document;
  let waiting = null, answered = false;
  const answer = (ok) => { if (!answered) { answered = true; setTimeout(() => on.answer(token, ok ? 200 : 0, '')); } };
  const detail = { sku, quantity, respondWith: (p) => { if (!waiting) waiting = Promise.resolve(p); } };
  host.dispatchEvent(new CustomEvent('restock:backorder', { bubbles: true, composed: true, detail }));
  const fallback = window.Restock && window.Restock.cart;
  if (!waiting && fallback) { try { waiting = Promise.resolve(fallback(sku, quantity, host)); } catch (_) {} }
  if (!waiting) return answer(false);
  setTimeout(() => answer(false), 15000);
  waiting.then((ok) => answer(ok !== false), () => answer(false));
}
