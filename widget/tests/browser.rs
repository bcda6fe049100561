//! The widget's wasm in a real browser (headless Chromium through
//! wasm-bindgen-test-runner): the domain's rules reached the way the main script
//! reaches them (`js/boot.js`'s `check`): the text written as UTF-8 into the inbox the
//! wasm makes room for, one call with the rule's number, the value read back from the
//! outbox. (The forms that use them are JavaScript, tested in a page by the end-to-end
//! suites: tests/tests/widget.rs and themes.rs.)

use restock_widget::{Rule, check, inbox, outbox};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// What `boot.js`'s `check(rule, text, n)` gives: the value, or `None` when refused.
/// The bytes go through the wasm's own memory (`wasm_bindgen::memory()`'s buffer), as
/// they do from JavaScript.
fn through_memory(rule: Rule, text: &[u8], n: u32) -> Option<String> {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::JsCast::unchecked_into(wasm_bindgen::memory());
    let at = inbox(text.len() as u32);
    js_sys::Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), at, text.len() as u32).copy_from(text);
    let len = check(rule as u32, n);
    let len = u32::try_from(len).ok()?;
    let out = js_sys::Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), outbox(), len).to_vec();
    Some(String::from_utf8(out).expect("UTF-8 out"))
}

#[wasm_bindgen_test]
fn emails_come_back_as_the_worker_stores_them() {
    assert_eq!(through_memory(Rule::Email, b" Ada@Example.COM ", 0).as_deref(), Some("Ada@example.com"));
    assert_eq!(through_memory(Rule::Email, b"not an email", 0), None);
    assert_eq!(through_memory(Rule::Email, "ünï@example.com".as_bytes(), 0), None, "non-ASCII is refused");
}

#[wasm_bindgen_test]
fn phones_come_back_in_e164() {
    assert_eq!(through_memory(Rule::Phone, b"+44 (7700) 900-123", 0).as_deref(), Some("+447700900123"));
    assert_eq!(through_memory(Rule::Phone, b"07700 900123", 0), None, "no country code");
}

#[wasm_bindgen_test]
fn quantities_are_checked_against_the_places_left() {
    assert_eq!(through_memory(Rule::Quantity, b" 3 ", 3).as_deref(), Some("3"));
    assert_eq!(through_memory(Rule::Quantity, b"4", 3), None);
    assert_eq!(through_memory(Rule::Quantity, b"1000", 5000), None, "over Quantity::MAX");
}

#[wasm_bindgen_test]
fn numbers_are_written_in_the_language() {
    assert_eq!(through_memory(Rule::Number, b"de", 12_345).as_deref(), Some("12.345"));
    assert_eq!(through_memory(Rule::Number, b"fr", 1_000).as_deref(), Some("1\u{202f}000"));
}

#[wasm_bindgen_test]
fn nothing_unexpected_throws() {
    assert_eq!(check(99, 0), -1, "an unknown rule is a refusal");
    assert_eq!(through_memory(Rule::Email, &[0xff, 0xfe, b'@', b'a'], 0), None, "bytes that are not UTF-8");
    assert_eq!(through_memory(Rule::Email, b"", 0), None);
    // Long input makes the memory grow between `inbox` and the write: still read right.
    let long = format!("{}@example.com", "a".repeat(64));
    assert_eq!(through_memory(Rule::Email, long.as_bytes(), 0).as_deref(), Some(long.as_str()));
    assert_eq!(through_memory(Rule::Email, "a".repeat(100_000).as_bytes(), 0), None);
}
