//! The widget's only DOM code, `js/dom.js`, as the wasm calls it.
//!
//! Why JavaScript, and why only numbers cross: every web-sys call, every `JsValue`,
//! `Closure` and string conversion costs wasm and glue bytes, and the widget's size is
//! a product feature. Rust decides everything (state, texts, validation, requests);
//! `dom.js` only applies decisions. Widgets are numbered (the element stays in
//! JavaScript). A text goes out as where it is in the wasm's memory and its length
//! (`dom.js` reads it during the call; fields separated by U+001F), and comes in
//! through the inbox (see `crate::inbox`) before `crate::call`. Data is only ever
//! written with `textContent`.

use wasm_bindgen::prelude::*;

mod js {
    use super::*;

    #[wasm_bindgen(module = "/js/dom.js")]
    extern "C" {
        pub fn paint(id: u32, at: u32, len: u32);
        pub fn request(id: u32, at: u32, len: u32);
        pub fn random() -> u32;
        pub fn refresh();
        pub fn fire(id: u32, quantity: u32, at: u32, len: u32);
        pub fn adopt(id: u32, root: &JsValue);
        pub fn wire(id: u32, root: &JsValue);
        pub fn hooks() -> JsValue;
    }
}

/// Where `text` is in the wasm's memory (wasm32 addresses are 32 bits) and its length.
fn at(text: &str) -> (u32, u32) {
    (text.as_ptr() as usize as u32, text.len() as u32)
}

/// Applies paint operations (see `view::Ops`) to widget `id`'s shadow root once the
/// language's pack is loaded (`dom.js` asks for a pack that did not arrive again).
pub fn paint(id: u32, ops: &str) {
    let (a, n) = at(ops);
    js::paint(id, a, n);
}

/// Sends widget `id`'s request: `fields` is the URL, the body (empty: GET; else POST
/// JSON) and header names and values. `Event::Answer` for `id` follows exactly once.
pub fn request(id: u32, fields: &str) {
    let (a, n) = at(fields);
    js::request(id, a, n);
}

/// 32 random bits (`crypto.getRandomValues`).
pub fn random() -> u32 {
    js::random()
}

/// Reads every widget's availability again, skipping caches (the loader's read:
/// `Event::Item` follows for each).
pub fn refresh() {
    js::refresh();
}

/// Dispatches `restock:backorder` (bubbling, composed) on widget `id` for the shop's
/// own cart; `Event::Answer` (status 200 or 0) follows once, never during it.
pub fn fire(id: u32, sku: &str, quantity: u32) {
    let (a, n) = at(sku);
    js::fire(id, quantity, a, n);
}

/// Test support: `root` (a shadow root the loader's `build` made) becomes widget `id`'s.
pub fn adopt(id: u32, root: &JsValue) {
    js::adopt(id, root);
}

/// Test support: `root` becomes widget `id`'s, and what the shopper does in it is
/// forwarded to the object's `input` (what `boot.js` does for each widget).
pub fn wire(id: u32, root: &JsValue) {
    js::wire(id, root);
}

/// Test support: the object of entry points `dom.js` calls (`input`, `answer`, `pack`,
/// `read`) and the `memory` it reads texts from, for a test to fill.
pub fn hooks() -> JsValue {
    js::hooks()
}
