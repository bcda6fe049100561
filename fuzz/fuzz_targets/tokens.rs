//! Signed-link tokens on arbitrary text: verifying never panics, and a token that
//! verifies is exactly the one signing its contents gives (no second spelling of a
//! valid token exists).
#![no_main]

use libfuzzer_sys::fuzz_target;
use restock_edge::tokens::{sign_with, verify_with};
use restock_shared::Timestamp;

const SECRET: &str = "fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(link) = verify_with(SECRET, s, Timestamp::from_millis(1_700_000_000_000)) {
        assert_eq!(sign_with(SECRET, &link), s);
    }
});
