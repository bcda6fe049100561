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
export function build(host, css, html, id, on) {
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = css;
  const t = document.createElement('template');
  t.innerHTML = html; // constant markup from Rust, never data
  root.append(style, t.content);
  const $ = (i) => root.getElementById(i);
  $('m').addEventListener('input', (e) => on(id, 0, e.target.value));
  $('k').addEventListener('change', (e) => on(id, 1, e.target.checked ? '1' : ''));
  $('q').addEventListener('input', (e) => on(id, 2, e.target.value));
  $('f').addEventListener('submit', (e) => { e.preventDefault(); on(id, 3, $('w').value); });
  $('sw').addEventListener('click', () => on(id, 4, ''));
  return root;
}

// v: fields joined by \x1f, in the order of view::Field.
export function paint(root, packed) {
  const v = packed.split('\x1f');
  const $ = (i) => root.getElementById(i);
  const text = (i, s) => { const e = $(i); if (e.textContent !== s) e.textContent = s; e.hidden = !s; };
  const show = (i, on) => { $(i).hidden = !on; };
  $('r').hidden = !v[0];
  $('r').lang = v[21];
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
  if (v[22]) $(v[22]).focus();
}

// GET (body null) or POST JSON; gives up after 8 s; always calls back exactly once.
export function request(url, body, key, token, done) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 8000);
  const init = { signal: ctl.signal };
  if (body) {
    init.method = 'POST';
    init.headers = { 'content-type': 'application/json' };
    if (key) init.headers['idempotency-key'] = key;
    init.body = JSON.stringify(body);
  }
  fetch(url, init)
    .then((r) => r.json().catch(() => null).then((j) => done(token, r.status, j)), () => done(token, 0, null))
    .finally(() => clearTimeout(timer));
}

export function fire(host, sku, quantity) {
  host.dispatchEvent(new CustomEvent('restock:backorder', { bubbles: true, composed: true, detail: { sku, quantity } }));
}
"#)]
extern "C" {
    /// Attaches the shadow root to `host`, fills it, wires its inputs to `on`.
    #[wasm_bindgen(catch)]
    pub fn build(host: &Element, css: &str, html: &str, id: u32, on: &OnInput) -> Result<JsValue, JsValue>;
    /// Applies a packed view model (see `view::model`).
    #[wasm_bindgen(catch)]
    pub fn paint(root: &JsValue, packed: &str) -> Result<(), JsValue>;
    /// Sends a request; `done(token, status, json)` is called when it ends, whatever
    /// happens (status 0: network failure or timeout).
    #[wasm_bindgen(catch)]
    pub fn request(url: &str, body: &JsValue, key: &str, token: u32, done: &OnAnswer) -> Result<(), JsValue>;
    /// Dispatches `restock:backorder` (bubbling, composed) for the shop's own cart.
    #[wasm_bindgen(catch)]
    pub fn fire(host: &Element, sku: &str, quantity: u32) -> Result<(), JsValue>;
}
