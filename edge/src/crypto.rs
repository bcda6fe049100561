//! Keys, ids, hashes and signatures.
//!
//! Randomness comes from the runtime's `crypto.getRandomValues` (the only source the
//! Worker has); hashing and HMAC are pure Rust so they are synchronous and testable
//! natively. Secrets are compared in constant time.

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::wasm_bindgen;

type HmacSha256 = hmac::Hmac<Sha256>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

/// `n` cryptographically random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    get_random_values(&mut buf);
    buf
}

/// A new opaque id such as `bo_5kq2...` (prefix + 20 base32 characters, 100 bits).
pub fn new_id(prefix: &str) -> String {
    let bytes = random_bytes::<13>();
    let mut id = String::with_capacity(prefix.len() + 1 + 21);
    id.push_str(prefix);
    id.push('_');
    id.push_str(&base32(&bytes)[..20]);
    id
}

/// A new shop secret key: `sk_` + 43 base64url characters (256 bits).
pub fn new_secret_key() -> String {
    let mut key = String::from("sk_");
    key.push_str(&base64url(&random_bytes::<32>()));
    key
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC accepts keys of any length, so this never runs; it keeps the code panic-free.
fn unreachable_hmac() -> HmacSha256 {
    <HmacSha256 as KeyInit>::new(&Default::default())
}

/// Constant-time equality for secrets and signatures.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Standard base64 with padding (RFC 4648 section 4), as providers take attachments
/// and Basic credentials.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64, with or without padding, to bytes; `None` on anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let url: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            '-' | '_' => '!',
            c => c,
        })
        .collect();
    base64url_decode(&url)
}

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(B64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes unpadded base64url; `None` on any character outside the alphabet.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| B64URL.iter().position(|&x| x == c).map(|v| v as u32);
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    // Only the canonical spelling: a last character with stray low bits would give a
    // second text for the same bytes (found by the `tokens` fuzz target).
    (base64url(&out) == text).then_some(out)
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_hmac_match_known_vectors() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 4231, test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn base64url_round_trips() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64url(&data);
            assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
            assert_eq!(base64url_decode(&text), Some(data));
        }
        assert_eq!(base64url(b"hello"), "aGVsbG8");
        assert_eq!(base64url_decode("a*b"), None);
        assert_eq!(base64url_decode("a"), None);
        // "aGVsbG8" is canonical; "aGVsbG9" differs only in bits no byte uses.
        assert_eq!(base64url_decode("aGVsbG9"), None, "one spelling per byte string");
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn base32_ids_are_lowercase_and_unambiguous() {
        let s = base32(&[0xff; 13]);
        assert_eq!(s.len(), 20);
        assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert!(!s.contains('l') && !s.contains('o') && !s.contains('0') && !s.contains('1'));
    }
}
