// The forms, bundled into the main script with `boot.js`. The loader built each
// widget's shadow root (Rust's markup, `widget/src/view.rs`) and paints its status
// from the Worker's words; this file runs the form in it: which form an answer offers
// (waitlist, backorder, preorder, or none), what the shopper typed (it stays in the
// fields, so it survives every repaint and every error), sending, what the answer
// means, the outcome and errors, and focus. Whether an email address, a phone number
// or a quantity is one the Worker takes, and what it becomes, is not decided here:
// `on.check` asks the wasm, which runs `restock_shared`'s own parsers
// (`widget/src/rules.rs`). Texts come from the language's pack by index: esbuild
// replaces each `T.<Name>` with its index in Rust's table (`widget/src/i18n.rs`). Data
// is only ever written with `textContent`. Nothing here throws into the host page.

/**
 * Set by `boot.js`: `B`, the loader's object (its widgets `W`, `api`, `shop`, `read`,
 * its config `C`); `check(rule, text, n)`, the wasm's rules (the value, or null when
 * refused); `Rule`, their numbers; `pack(tag)`, a promise of a language's texts.
 */
export const on = {};

// Each widget's form: `w` (the loader's widget), `it` (the item of its answer that a
// form needs, or none), `shop` (the shop's settings), `lang`, `bad` (the input at
// fault, or ''), `st` (0 idle, 1 sending, 2 done, 3 failed), `kind` of the request in
// flight ('w' waitlist, 'b' order, 'c' the shop's cart), `note` and `err` ([text,
// what fills it]), `prefer` (the waitlist over an order), `group` (the token orders
// carry, emptied once refused), and the order's Idempotency-Key with what it was for.
const F = [];
// Language packs by tag: the texts, or a promise of them (or 0 while a failed one
// waits to be asked for again). Paints wait here until their language's texts are in.
const packs = {};
const waiting = [];

// Each input, the inputs whose error typing in it clears, and its error's text.
const ERR = { q: T.ErrorQuantity, m: T.ErrorEmail, k: T.ErrorConsent, p: T.ErrorPhone, j: T.ErrorSms };
const CLEARS = { q: 'q', m: 'm', k: 'k', p: 'pj', j: 'pj' };
// The request fields the Worker may refuse, and their inputs.
const FIELD = { quantity: 'q', email: 'm', consent: 'k', consent_text: 'k', phone: 'p', sms_consent_text: 'j' };

/** Takes over widget `id` (the loader's `B.W[id]`): forwards what the shopper does. */
export function mount(id) {
  const w = on.B.W[id], r = w.root, $ = (i) => r.getElementById(i);
  const f = (F[id] = { w, lang: 'en', bad: '', st: 0, group: w.group });
  r.addEventListener('input', (e) => {
    const c = CLEARS[e.target.id];
    if (f.bad && c && c.includes(f.bad)) { f.bad = ''; paint(id); }
  });
  r.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (b && b.id == 'sw') { f.prefer = !f.prefer; f.bad = ''; f.st = 0; paint(id); }
  });
  r.addEventListener('submit', (e) => {
    e.preventDefault();
    try { submit(id); } catch (_) { /* never into the page */ }
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
      const f = focusable(), first = f[0], last = f[f.length - 1], at = r.activeElement;
      if (e.shiftKey ? at == first : at == last) { e.preventDefault(); (e.shiftKey ? last : first)?.focus(); }
    };
  }
}

/** Widget `id` has a new answer (or none: a new variant's is on its way). */
export function item(id) {
  const f = F[id], s = f.w.seen || {}, it = s.item && s.shop && s.shop.consent_text != null ? s.item : 0;
  // Another product: its form starts afresh; what was typed stays in the fields.
  if ((it && it.sku) !== (f.it && f.it.sku)) { f.st = 0; f.bad = ''; f.prefer = 0; }
  f.it = it;
  if (it) f.shop = s.shop;
  f.lang = s.lang || f.lang;
  paint(id);
}

// Whether an order (backorder, preorder) is offered, and which form is shown.
const orderable = (it) => it && /^(backorder|preorder)$/.test(it.status) && it.max_quantity > 0;
const form = (f) => {
  const it = f.it;
  if (!it || f.st == 2) return '';
  return orderable(it) && !(f.prefer && it.waitlist) ? 'o' : it.waitlist ? 'w' : '';
};

// Paints widget `id` once its language's texts are in; `focus` moves focus to the
// field at fault or to the outcome (after the shopper's submit, or an outcome).
function paint(id, focus) {
  const tag = F[id].lang, texts = packs[tag];
  if (Array.isArray(texts)) return draw(id, texts, focus);
  waiting[id] = [tag, focus];
  if (texts == null) load(tag, 5e3);
}

// Asks for a language's texts; one that does not arrive is asked for again later
// (5 s, then 3x longer, at most 5 min) while paints wait for it.
function load(tag, wait) {
  packs[tag] = on.pack(tag).then((t) => {
    packs[tag] = t.split('\x1f');
    waiting.forEach((w, id) => { if (w && w[0] == tag) { waiting[id] = 0; paint(id, w[1]); } });
  }, () => {
    packs[tag] = 0;
    setTimeout(() => load(tag, Math.min(wait * 3, 3e5)), wait);
  });
}

function draw(id, texts, focus) {
  const f = F[id], it = f.it, r = f.w.root, $ = (i) => r.getElementById(i);
  const k = form(f), order = k == 'o', max = it && it.max_quantity > 1 ? it.max_quantity : 1;
  // A text by its index, its placeholder filled between Unicode isolates, so a
  // right-to-left page or a name in another script never reorders the words.
  // Written only when it changed: a live region (the outcome, an alert) given its own
  // words again would be announced again.
  const put = (i, v) => { if ($(i).textContent !== v) $(i).textContent = v; };
  const say = (i, t) => put(i, t ? (texts[t[0]] || '').replace(/\{\w+\}/, (h) => (t[1] == null ? h : '\u2068' + t[1] + '\u2069')) : '');
  const line = (i, t) => { say(i, t); $(i).hidden = !t; };
  const show = (i, v) => { $(i).hidden = !v; };
  const attr = (i, a, v) => (v ? $(i).setAttribute(a, v) : $(i).removeAttribute(a));
  const button = [order ? (it.status == 'preorder' ? T.PreorderButton : T.BackorderButton) : T.NotifyButton];
  const sms = k == 'w' && f.shop.sms_consent_text != null;
  $('r').lang = f.lang;
  say('ql', [T.QuantityLabel]);
  say('ml', [T.EmailLabel]);
  say('pl', [T.PhoneLabel]);
  show('f', k);
  say('g', k && [order ? T.OrderHeading : T.WaitlistHeading, it.name || '']);
  show('qr', order);
  $('q').max = max;
  show('mr', k && !(order && f.shop.backorder_mode == 'event'));
  show('kr', k == 'w');
  put('kl', f.shop ? f.shop.consent_text : '');
  show('pr', sms);
  show('jr', sms);
  put('jl', sms ? f.shop.sms_consent_text : '');
  say('b', k && (f.st == 1 ? [T.Sending] : button));
  attr('b', 'aria-busy', k && f.st == 1 && 'true');
  line('sw', k && orderable(it) && it.waitlist && [order ? T.PreferWaitlist : T.PreferOrder]);
  const bad = k && f.bad;
  for (const i in ERR) {
    line(i + 'e', bad == i && [ERR[i], i == 'q' ? on.check(on.Rule.Number, f.lang, max) : null]);
    attr(i, 'aria-invalid', bad == i && 'true');
  }
  line('n', it && f.st == 2 && f.note);
  line('er', it && f.st == 3 && f.err);
  if ($('o')) {
    line('o', k && button);
    say('x', [T.Close]);
    if (!it && $('dl').open) $('dl').close();
  }
  const target = bad || (it && f.st == 2 ? 'n' : '');
  if (focus && target) $(target).focus();
}

// The shopper submitted widget `id`'s form: each field checked by the Worker's own
// rules (the first at fault takes focus), then the request.
function submit(id) {
  const f = F[id], k = form(f), it = f.it, r = f.w.root, $ = (i) => r.getElementById(i), c = on.check, R = on.Rule;
  if (!k || f.st == 1) return;
  const bad = (i) => { f.bad = i; paint(id, 1); };
  f.bad = '';
  if (k == 'o') {
    const q = c(R.Quantity, $('q').value, it.max_quantity);
    if (q == null) return bad('q');
    const quantity = +q;
    if (f.shop.backorder_mode == 'event') return send(id, 'c', () => fire(id, it.sku, quantity));
    const email = c(R.Email, $('m').value);
    if (email == null) return bad('m');
    const what = [it.sku, quantity, email] + '';
    // A retry of the same order (after a timeout) keeps its key: never placed twice.
    if (f.what != what) {
      f.what = what;
      f.key = [...crypto.getRandomValues(new Uint32Array(4))].map((n) => n.toString(16).padStart(8, 0)).join('');
    }
    f.body = JSON.stringify({ sku: it.sku, quantity, email, locale: f.lang });
    return send(id, 'b', () => post(id));
  }
  const email = c(R.Email, $('m').value);
  if (email == null) return bad('m');
  if (!$('k').checked) return bad('k');
  // Texts are optional, but a number must be one the Worker takes (E.164) and come
  // with its own box ticked; a ticked box needs a number.
  const text = f.shop.sms_consent_text, typed = $('p').value, box = $('j').checked;
  let phone;
  // (Typed: anything but ASCII white space, which the Worker's parser trims too.)
  if (text != null && (/[^\t\n\f\r ]/.test(typed) || box)) {
    phone = c(R.Phone, typed);
    if (phone == null) return bad('p');
    if (!box) return bad('j');
  }
  f.body = JSON.stringify({
    sku: it.sku,
    email,
    locale: f.lang,
    consent: true,
    consent_text: f.shop.consent_text,
    website: $('w').value || undefined, // the honeypot: bots fill it in
    phone,
    sms_consent_text: phone && text,
  });
  send(id, 'w', () => post(id));
}

// Widget `id` is now waiting for `kind`'s answer, which `go` asks for.
function send(id, kind, go) {
  const f = F[id];
  f.st = 1;
  f.kind = kind;
  paint(id);
  go();
}

// Posts widget `id`'s request (`f.body`) to the API: a signup, or an order with its
// Idempotency-Key and the customer-group token. Gives up after 8 s; answers once.
function post(id) {
  const f = F[id], B = on.B, order = f.kind == 'b', ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 8000);
  const headers = { 'content-type': 'application/json' };
  if (order) headers['idempotency-key'] = f.key;
  let url = B.api + '/v1/shops/' + encodeURIComponent(B.shop) + (order ? '/backorders' : '/waitlist');
  if (order && f.group) url += '?group=' + encodeURIComponent(f.group);
  // The page's URL goes with a signup (the consent record names the page it was shown on).
  fetch(url, { method: 'POST', headers, body: f.body, signal: ctl.signal, referrerPolicy: 'no-referrer-when-downgrade' })
    .then((r) => r.text().then((t) => { let j = {}; try { j = JSON.parse(t) || {}; } catch (_) {} return [r.status, j]; }))
    .catch(() => [0, {}])
    .then(([status, j]) => { clearTimeout(timer); answer(id, status, j); })
    .catch(() => { /* never into the page */ });
}

// What an answer to widget `id`'s request means (status 0: none came).
function answer(id, status, j) {
  const f = F[id], code = j.code, field = FIELD[j.field];
  if (f.st != 1) return;
  if (f.kind == 'c') return status == 200 ? done(id, [T.HandedToCart], 1) : refuse(id, T.CartFailed);
  // A group token the Worker refused (expired, altered): once more without it, as a
  // shopper of no group.
  if (f.kind == 'b' && status == 400 && f.group && on.B.C.codes.includes(code)) {
    f.group = '';
    return post(id);
  }
  if (status > 199 && status < 300) {
    return f.kind == 'w'
      ? done(id, [j.status == 'subscribed' ? T.Joined : T.CheckInbox])
      : done(id, [T.Ordered, j.position == null ? null : on.check(on.Rule.Number, f.lang, j.position)], 1);
  }
  if (status == 429) return refuse(id, T.ErrorRateLimited);
  // The answer changed under the shopper (places ran out, the group's rules, texts
  // switched off): say so and show what is true now.
  const again = status == 409 ? T.ErrorSoldOut
    : status == 403 && code == 'group_not_allowed' ? T.NotForGroup
    : j.field == 'phone' && code == 'sms_not_offered' ? T.SmsOff : 0;
  if (again) { refuse(id, again); return on.B.read(1); }
  // A field the Worker refused (it passed our own check, so rare).
  if ((status == 400 || status == 422) && field) { f.bad = field; return refuse(id); }
  refuse(id, T.ErrorNetwork);
}

function done(id, note, ordered) {
  const f = F[id];
  f.st = 2;
  f.note = note;
  paint(id, 1);
  if (ordered) on.B.read(1);
}

function refuse(id, err) {
  const f = F[id];
  f.st = 3;
  f.err = err != null && [err];
  paint(id);
}

// `restock:backorder` for the shop's own cart. Its handler takes the order with
// `event.detail.respondWith(promise)`: fulfilled (with anything but false) means the
// cart has it. Without a handler, `Restock.cart` (the Shopify adapter) may take it;
// with neither, or after 15 s, the shopper is told it did not work. Answers once,
// always later than now.
export function fire(id, sku, quantity) {
  const host = F[id].w.el;
  let waiting = null, answered = false;
  const reply = (ok) => { if (!answered) { answered = true; setTimeout(() => answer(id, ok ? 200 : 0, {})); } };
  const detail = { sku, quantity, respondWith: (p) => { if (!waiting) waiting = Promise.resolve(p); } };
  host.dispatchEvent(new CustomEvent('restock:backorder', { bubbles: true, composed: true, detail }));
  const fallback = window.Restock && window.Restock.cart;
  if (!waiting && fallback) { try { waiting = Promise.resolve(fallback(sku, quantity, host)); } catch (_) {} }
  if (!waiting) return reply(false);
  setTimeout(() => reply(false), 15000);
  waiting.then((ok) => reply(ok !== false), () => reply(false));
}
