//! The widget's only DOM code, `js/dom.js`, as the wasm calls it.
//!
//! Why JavaScript, and why only numbers cross: every web-sys call, every `JsValue`,
//! `Closure` and string conversion costs wasm and glue bytes, and the widget's size is
//! a product feature. Rust decides everything (state, texts, dates, validation,
//! requests); `dom.js` only applies decisions. Widgets are numbered (the element stays
//! in JavaScript). A text goes out as where it is in the wasm's memory and its length
//! (`dom.js` reads it during the call; fields separated by U+001F), and comes in
//! through the inbox (see `crate::inbox`) before `crate::call`. Data is only ever
//! written with `textContent`.

use wasm_bindgen::prelude::*;

mod js {
    use super::*;

    #[wasm_bindgen(module = "/js/dom.js")]
    extern "C" {
        pub fn build(id: u32, at: u32, len: u32) -> bool;
        pub fn paint(id: u32, at: u32, len: u32);
        pub fn request(token: u32, at: u32, len: u32);
        pub fn random() -> u32;
        pub fn timer(ms: u32, token: u32);
        pub fn fire(id: u32, quantity: u32, token: u32, at: u32, len: u32);
        pub fn adopt(id: u32, host: &JsValue);
        pub fn hooks() -> JsValue;
    }
}

/// Where `text` is in the wasm's memory (wasm32 addresses are 32 bits) and its length.
fn at(text: &str) -> (u32, u32) {
    (text.as_ptr() as usize as u32, text.len() as u32)
}

/// Attaches widget `id`'s shadow root and fills it; `fields` is the stylesheet (a
/// constructed one), the markup and the locale its dates and numbers are written in.
/// Its inputs are forwarded as `Event::Input`. False if the element cannot hold a
/// shadow root (it has one of its own, say).
pub fn build(id: u32, fields: &str) -> bool {
    let (a, n) = at(fields);
    js::build(id, a, n)
}

/// Applies paint operations (see `view::Ops`) once the widget's language pack is
/// loaded: texts from the pack, the dates and numbers marked in them in the widget's
/// locale (`Intl`; as they are if the browser can't). `Event::Texts` if the pack does
/// not arrive.
pub fn paint(id: u32, ops: &str) {
    let (a, n) = at(ops);
    js::paint(id, a, n);
}

/// Sends a request: `fields` is the URL, the body (empty: GET; else POST JSON) and
/// header names and values. `Event::Answer` with `token` follows exactly once.
pub fn request(token: u32, fields: &str) {
    let (a, n) = at(fields);
    js::request(token, a, n);
}

/// 32 random bits (`crypto.getRandomValues`).
pub fn random() -> u32 {
    js::random()
}

/// `Event::Tick` with `token` after `ms` milliseconds.
pub fn timer(ms: u32, token: u32) {
    js::timer(ms, token);
}

/// Dispatches `restock:backorder` (bubbling, composed) on widget `id` for the shop's
/// own cart; `Event::Answer` (status 200 or 0) follows once, never during it.
pub fn fire(id: u32, sku: &str, quantity: u32, token: u32) {
    let (a, n) = at(sku);
    js::fire(id, quantity, token, a, n);
}

/// Test support: `host` becomes widget `id` (the loader does this in a page).
pub fn adopt(id: u32, host: &JsValue) {
    js::adopt(id, host);
}

/// Test support: the object of entry points `dom.js` calls (`input`, `answer`, `tick`,
/// `texts`, `pack`) and the `memory` it reads texts from, for a test to fill.
pub fn hooks() -> JsValue {
    js::hooks()
}
