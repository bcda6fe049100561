//! The Restock storefront widget's wasm: the domain's rules the form applies in the
//! browser exactly as the Worker does (see [`rules`]), started by `js/boot.js`.
//!
//! The widget is mostly JavaScript, and this says why. The loader (`js/loader.js`
//! with `js/page.js`, the tag a shop embeds) finds the mount points, reads their
//! availability and paints each status block from the Worker's words
//! (`restock_shared::say`) the moment the answer arrives. The main script (`js/boot.js`
//! with `js/dom.js`) follows the platforms' variant pickers and runs the forms: which
//! form, what the shopper typed, sending, what the answer means, errors, focus. What
//! it must decide exactly as the Worker does, whether an email address, a phone number
//! or a quantity is one the Worker takes and what it becomes (and how the language
//! writes a number), it asks the wasm, which runs `restock_shared`'s own parsers.
//! The markup, the stylesheet ([`view`]) and the form's texts ([`i18n`], one pack per
//! language) are built into the JavaScript and the packs by `cargo xtask build`.
//!
//! Size shapes the structure (the widget's bytes are a product feature): only numbers
//! cross (a text is bytes in the wasm's memory: written into the inbox [`inbox`]
//! makes room for, read from where [`outbox`] says), one function applies every rule
//! ([`check`]), and the release build is `no_std` (feature `std` off) with a panic
//! handler that traps, so no panic-message formatting is linked.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod i18n;
pub mod rules;
pub mod view;

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

pub use crate::rules::Rule;

// dlmalloc is 8 KB of wasm; lol_alloc's free list is under 1 KB and plenty for a few
// short strings. (The lock is a no-op spin on wasm.)
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::LeakingAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::LeakingAllocator::new());

// Without std, a panic (there should be none: input never panics here) traps, and the
// JavaScript that called in catches it. std's handler would link ~4 KB of message
// formatting that nobody reads.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// SKUs and variant ids in one availability read, at most (the Worker's `MAX_BATCH`):
/// the loader (`js/page.js`) batches its reads by it.
pub const BATCH: usize = 50;

// Where JavaScript writes the text of the next `check` (see `inbox`), and where the
// result is (see `outbox`). Spin locks because the release build has no std (and no
// `thread_local!`); nothing here calls out, so they are never contended.
static INBOX: spin::Mutex<Vec<u8>> = spin::Mutex::new(Vec::new());
static OUTBOX: spin::Mutex<String> = spin::Mutex::new(String::new());

/// Makes room for the next check's text: `len` bytes at the address returned, which
/// the main script fills with UTF-8 before calling [`check`]. (Strings cross as bytes
/// in the wasm's own memory: wasm-bindgen's string glue costs more than the rules.)
#[wasm_bindgen]
pub fn inbox(len: u32) -> u32 {
    let mut inbox = INBOX.lock();
    inbox.clear();
    inbox.resize(len as usize, 0);
    inbox.as_ptr() as usize as u32
}

/// Applies rule `rule` (a [`Rule`]) to the text in the inbox and `n`: the length of the
/// result, which is at [`outbox`], or -1 when the rule refuses it. Never throws.
#[wasm_bindgen]
pub fn check(rule: u32, n: u32) -> i32 {
    let bytes = core::mem::take(&mut *INBOX.lock());
    // Every rule takes ASCII only (an address, a number, a language tag), so what is
    // not is refused here, and the rest read byte by byte: no UTF-8 validation in the
    // wasm.
    let Some(&rule) = Rule::ALL.get(rule as usize).filter(|_| bytes.is_ascii()) else { return -1 };
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let mut out = OUTBOX.lock();
    match rules::apply(rule, &text, n) {
        Some(value) => {
            *out = value;
            i32::try_from(out.len()).unwrap_or(-1)
        }
        None => {
            out.clear();
            -1
        }
    }
}

/// Where the last [`check`]'s result is in the wasm's memory.
#[wasm_bindgen]
pub fn outbox() -> u32 {
    OUTBOX.lock().as_ptr() as usize as u32
}
