//! Signed-link tokens on arbitrary text: verifying never panics, and a token that
//! verifies is exactly the one signing its contents gives (no second spelling of a
//! valid token exists). Rotation: verifying against several secrets agrees with
//! verifying against the one the token names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restock_edge::tokens::{sign_with, verify_any, verify_v1_with, verify_with};
use restock_shared::Timestamp;

const SECRET: &str = "fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let now = Timestamp::from_millis(1_700_000_000_000);
    let current = verify_with(SECRET, s, now);
    if let Ok(link) = &current {
        assert_eq!(sign_with(SECRET, link), s);
    }
    let legacy = verify_v1_with(SECRET, s, now);
    assert!(!(current.is_ok() && legacy.is_ok()), "one token, one format");
    let any = verify_any(&["another-secret", SECRET], s, now);
    if current.is_ok() || legacy.is_ok() {
        assert_eq!(any, if current.is_ok() { current } else { legacy });
    }
});
