//! The widget's only DOM code: a few lines of JavaScript (bundled by wasm-bindgen as an
//! inline snippet) that build the Shadow DOM from constant markup, forward the
//! shopper's input to Rust, and paint a view model.
//!
//! Why JavaScript here: every web-sys call costs wasm bytes for its glue, and the
//! widget's size is a product feature. Rust decides everything (state, texts, dates,
//! validation, requests); this only applies decisions. Data is only ever written with
//! `textContent`, never parsed as HTML; the markup passed to `build` is a constant.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use web_sys::Element;

/// What the shopper did, as forwarded to Rust: `(widget, kind, value)`.
pub type OnInput = Closure<dyn FnMut(u32, u32, String)>;

/// A finished request: `(token, HTTP status or 0 for no answer, parsed JSON or null)`.
pub type OnAnswer = Closure<dyn FnMut(u32, u16, JsValue)>;

pub const EMAIL_INPUT: u32 = 0;
pub const CONSENT_INPUT: u32 = 1;
pub const QUANTITY_INPUT: u32 = 2;
pub const SUBMIT: u32 = 3;
pub const TOGGLE: u32 = 4;

#[wasm_bindgen(inline_js = r#"
let sheet;
export function build(host, css, html, id, compact, on) {
  const root = host.attachShadow({ mode: 'open' });
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
  const $ = (i) => root.getElementById(i);
  // Layout follows the page or the mount (dir="rtl"); texts carry their own language's.
  $('r').dir = getComputedStyle(host).direction;
  $('m').addEventListener('input', (e) => on(id, 0, e.target.value));
  $('k').addEventListener('change', (e) => on(id, 1, e.target.checked ? '1' : ''));
  $('q').addEventListener('input', (e) => on(id, 2, e.target.value));
  $('f').addEventListener('submit', (e) => { e.preventDefault(); on(id, 3, $('w').value); });
  $('sw').addEventListener('click', () => on(id, 4, ''));
  if (compact) {
    // Collection tiles: a status line and one button, which opens the dates and the
    // form in a modal dialog; focus stays in it (Tab wraps), Esc or Close shuts it,
    // and focus goes back to the button. Every tile stays the same height.
    const d = document.createElement('dialog');
    d.id = 'dl';
    d.setAttribute('aria-labelledby', 'g');
    d.append($('t'), $('v'), $('f'), $('n'), $('er'), $('x'));
    $('r').append(d);
    const focusable = () => [...d.querySelectorAll('input,button')].filter((e) => !e.closest('[hidden]'));
    $('o').addEventListener('click', () => { d.showModal(); focusable()[0].focus(); });
    $('x').addEventListener('click', () => d.close());
    d.addEventListener('close', () => ($('o').hidden ? $('s') : $('o')).focus());
    d.addEventListener('keydown', (e) => {
      if (e.key !== 'Tab') return;
      const f = focusable(), first = f[0], last = f[f.length - 1], at = root.activeElement;
      if (e.shiftKey ? at === first : at === last) { e.preventDefault(); (e.shiftKey ? last : first).focus(); }
    });
  }
  return root;
}

// v: fields joined by \x1f, in the order of view::Slot.
export function paint(root, packed) {
  const v = packed.split('\x1f');
  const $ = (i) => root.getElementById(i);
  const text = (i, s) => { const e = $(i); if (e.textContent !== s) e.textContent = s; e.hidden = !s; };
  const show = (i, on) => { $(i).hidden = !on; };
  const r = $('r'), d = $('dl');
  r.hidden = !v[0];
  r.lang = v[21];
  if (r.dataset.dir !== v[27]) {
    r.dataset.dir = v[27];
    r.querySelectorAll('p,legend,label,button').forEach((e) => { e.dir = v[27]; });
    $('kl').dir = 'auto'; // the shop's consent text, in whatever language the shop wrote it
  }
  $('s').className = 's ' + v[1];
  $('l').textContent = v[2];
  text('t', v[3]); text('v', v[4]);
  show('f', v[5]);
  $('g').textContent = v[6];
  show('qr', v[7]); $('q').max = v[8];
  show('mr', v[9]); show('kr', v[10]);
  $('kl').textContent = v[11];
  $('b').textContent = v[12];
  if (v[13]) $('b').setAttribute('aria-busy', 'true'); else $('b').removeAttribute('aria-busy');
  show('sw', v[14]); $('sw').textContent = v[15];
  [['qe', 'q', 16], ['me', 'm', 17], ['ke', 'k', 18]].forEach(([err, input, n]) => {
    text(err, v[n]);
    if (v[n]) $(input).setAttribute('aria-invalid', 'true'); else $(input).removeAttribute('aria-invalid');
  });
  text('n', v[19]); text('er', v[20]);
  $('ql').textContent = v[23]; $('ml').textContent = v[24];
  if (d) {
    text('o', v[5] && v[25]);
    if (!v[0] && d.open) d.close();
    $('x').textContent = v[26];
    show('x', 1);
  }
  if (v[22]) $(v[22]).focus();
}

// GET (body null) or POST JSON; gives up after 8 s; always calls back exactly once.
export function request(url, body, key, token, done) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 8000);
  const init = { signal: ctl.signal };
  if (body) {
    init.method = 'POST';
    // The page's URL goes with a signup (the consent record names the page it was shown on).
    init.referrerPolicy = 'no-referrer-when-downgrade';
    init.headers = { 'content-type': 'application/json' };
    if (key) init.headers['idempotency-key'] = key;
    init.body = JSON.stringify(body);
  }
  fetch(url, init)
    .then((r) => r.json().catch(() => null).then((j) => done(token, r.status, j)), () => done(token, 0, null))
    .finally(() => clearTimeout(timer));
}

// A date (y, m, d) or, with m < 0, the number y, in the locale's words (Intl).
export function format(locale, y, m, d) {
  return m < 0
    ? new Intl.NumberFormat(locale).format(y)
    : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
}

// An idempotency key: random, also on pages served over plain http (no randomUUID).
export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : crypto.getRandomValues(new Uint32Array(4)).join('-');
}

export function mark(name) { performance.mark(name); }

// `restock:backorder` for the shop's own cart. Its handler takes the order with
// `event.detail.respondWith(promise)`: fulfilled (with anything but false) means the
// cart has it. Without a handler, `Restock.cart` (the Shopify adapter) may take it;
// with neither, or after 15 s, the shopper is told it did not work. Answers once,
// always later than now (the caller holds no state across it).
export function fire(host, sku, quantity, token, done) {
  let waiting = null, answered = false;
  const answer = (ok) => { if (!answered) { answered = true; setTimeout(() => done(token, ok ? 200 : 0, null)); } };
  const detail = { sku, quantity, respondWith: (p) => { if (!waiting) waiting = Promise.resolve(p); } };
  host.dispatchEvent(new CustomEvent('restock:backorder', { bubbles: true, composed: true, detail }));
  const fallback = window.Restock && window.Restock.cart;
  if (!waiting && fallback) { try { waiting = Promise.resolve(fallback(sku, quantity, host)); } catch (_) {} }
  if (!waiting) return answer(false);
  setTimeout(() => answer(false), 15000);
  waiting.then((ok) => answer(ok !== false), () => answer(false));
}
"#)]
extern "C" {
    /// Attaches the shadow root to `host`, fills it, wires its inputs to `on`; in
    /// `compact` mode the form lives in a dialog that one button opens.
    #[wasm_bindgen(catch)]
    pub fn build(
        host: &Element,
        css: &str,
        html: &str,
        id: u32,
        compact: bool,
        on: &OnInput,
    ) -> Result<JsValue, JsValue>;
    /// Applies a packed view model (see `view::model`).
    #[wasm_bindgen(catch)]
    pub fn paint(root: &JsValue, packed: &str) -> Result<(), JsValue>;
    /// Sends a request; `done(token, status, json)` is called when it ends, whatever
    /// happens (status 0: network failure or timeout).
    #[wasm_bindgen(catch)]
    pub fn request(url: &str, body: &JsValue, key: &str, token: u32, done: &OnAnswer) -> Result<(), JsValue>;
    /// A date (`y`, `m`, `d`) or, with `m < 0`, the number `y`, formatted for `locale`.
    #[wasm_bindgen(catch)]
    pub fn format(locale: &str, y: f64, m: f64, d: f64) -> Result<String, JsValue>;
    /// A random idempotency key.
    #[wasm_bindgen(catch)]
    pub fn uuid() -> Result<String, JsValue>;
    /// `performance.mark(name)`.
    #[wasm_bindgen(catch)]
    pub fn mark(name: &str) -> Result<(), JsValue>;
    /// Dispatches `restock:backorder` (bubbling, composed) for the shop's own cart;
    /// `done(token, 200 or 0, null)` is called once, when the cart took it or not.
    #[wasm_bindgen(catch)]
    pub fn fire(host: &Element, sku: &str, quantity: u32, token: u32, done: &JsValue) -> Result<(), JsValue>;
}
