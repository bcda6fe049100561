//! Signing a link as the Worker does, for tests that forge one (expired, altered):
//! HMAC-SHA256 with `TOKEN_SECRET` (which `cargo xtask test` hands the tests as
//! `RESTOCK_TOKEN_SECRET`), unpadded base64url, appended to the payload after a dot.

use hmac::{KeyInit, Mac};

/// `payload` signed: `"{payload}.{signature}"`.
pub fn sign(payload: &str) -> String {
    let secret = std::env::var("RESTOCK_TOKEN_SECRET").expect("RESTOCK_TOKEN_SECRET is set by cargo xtask test");
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    let bytes = mac.finalize().into_bytes();
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    format!("{payload}.{out}")
}
