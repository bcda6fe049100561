//! Public-key signatures of the providers' feedback webhooks: SendGrid signs its Event
//! Webhook with ECDSA P-256 over SHA-256, Amazon SNS (which carries SES's bounces and
//! complaints) with RSA PKCS #1 v1.5 over SHA-1 (`SignatureVersion` 1) or SHA-256 (2).
//! The arithmetic is RustCrypto's (`p256`, `rsa`); this file only finds the key and
//! says yes or no, without panicking on anything a request can send.
//!
//! Keys arrive as DER: SendGrid shows its public key as base64 of a
//! SubjectPublicKeyInfo; SNS names an X.509 certificate (PEM), whose
//! SubjectPublicKeyInfo [`certificate_spki`] finds by walking the DER (RFC 5280,
//! `TBSCertificate`: optional version, serial, signature algorithm, issuer, validity,
//! subject, then the key).

use p256::ecdsa::signature::Verifier;
use p256::pkcs8::DecodePublicKey;

use crate::crypto::base64_decode;

/// One DER element: its tag, the whole element's bytes, and its contents.
struct Element<'a> {
    tag: u8,
    whole: &'a [u8],
    contents: &'a [u8],
}

/// The DER element at the start of `der`, and what follows it.
fn element(der: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = der.len() - rest.len();
    let (contents, after) = rest.split_at(len);
    Some((Element { tag, whole: &der[..header + len], contents }, after))
}

const SEQUENCE: u8 = 0x30;

/// The SubjectPublicKeyInfo (DER, whole) of an X.509 certificate (DER).
pub fn certificate_spki(cert: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = element(cert)?;
    let (tbs, _) = element(certificate.contents)?;
    if certificate.tag != SEQUENCE || tbs.tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs.contents;
    // [0] EXPLICIT version, when present.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.1;
    }
    // serialNumber, signature, issuer, validity, subject.
    for _ in 0..5 {
        rest = element(rest)?.1;
    }
    let (spki, _) = element(rest)?;
    (spki.tag == SEQUENCE).then_some(spki.whole)
}

/// The DER inside the first PEM block labelled `label` (`CERTIFICATE`).
pub fn pem_der(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64_decode(&b64)
}

/// Whether `signature_der` (an ECDSA signature, DER) is the P-256 key `spki_der`'s
/// signature of `message` over SHA-256.
pub fn ecdsa_p256_valid(spki_der: &[u8], message: &[u8], signature_der: &[u8]) -> bool {
    let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der) else { return false };
    let Ok(signature) = p256::ecdsa::DerSignature::try_from(signature_der) else { return false };
    key.verify(message, &signature).is_ok()
}

/// The digest an RSA signature is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha256,
}

/// Whether `signature` is the RSA key `spki_der`'s PKCS #1 v1.5 signature of `message`.
pub fn rsa_pkcs1v15_valid(spki_der: &[u8], digest: Digest, message: &[u8], signature: &[u8]) -> bool {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    let Ok(key) = rsa::PublicKey::from_public_key_der(spki_der) else { return false };
    let Ok(signature) = Signature::try_from(signature) else { return false };
    match digest {
        Digest::Sha1 => VerifyingKey::<sha1::Sha1>::new(key).verify(message, &signature).is_ok(),
        Digest::Sha256 => VerifyingKey::<sha2::Sha256>::new(key).verify(message, &signature).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SendGrid's own example (the test of its Node.js `@sendgrid/eventwebhook`
    /// helper): a public key, a payload, its timestamp and signature.
    const SENDGRID_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    const SENDGRID_SIGNATURE: &str =
        "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    const SENDGRID_TIMESTAMP: &str = "1588788367";
    const SENDGRID_PAYLOAD: &str = r#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;

    fn b64(s: &str) -> Vec<u8> {
        base64_decode(s).unwrap_or_default()
    }

    #[test]
    fn sendgrids_published_example_verifies_and_nothing_else_does() {
        let key = b64(SENDGRID_KEY);
        let sig = b64(SENDGRID_SIGNATURE);
        let signed = format!("{SENDGRID_TIMESTAMP}{SENDGRID_PAYLOAD}");
        assert!(ecdsa_p256_valid(&key, signed.as_bytes(), &sig));
        let other_time = format!("1588788368{SENDGRID_PAYLOAD}");
        assert!(!ecdsa_p256_valid(&key, other_time.as_bytes(), &sig));
        let edited = signed.replace("test_event", "bounce");
        assert!(!ecdsa_p256_valid(&key, edited.as_bytes(), &sig));
        // Garbage anywhere is a no, never a panic.
        assert!(!ecdsa_p256_valid(b"not a key", signed.as_bytes(), &sig));
        assert!(!ecdsa_p256_valid(&key, signed.as_bytes(), b"\x30\x02\x02"));
        assert!(!ecdsa_p256_valid(&[], &[], &[]));
    }

    const CERT: &str = include_str!("../../../tests/fixtures/sns-test-cert.pem");

    #[test]
    fn the_key_of_a_certificate_is_found_by_walking_its_der() {
        let der = pem_der(CERT, "CERTIFICATE").unwrap_or_default();
        let spki = certificate_spki(&der).unwrap_or_default();
        assert!(rsa::PublicKey::from_public_key_der(spki).is_ok(), "an RSA key");
        // Every truncation is refused without a panic.
        for n in 0..der.len() {
            let _ = certificate_spki(&der[..n]);
        }
        assert_eq!(certificate_spki(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(pem_der("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----", "CERTIFICATE"), None);
        assert_eq!(pem_der("no pem here", "CERTIFICATE"), None);
    }

    #[test]
    fn rsa_signatures_check_their_digest_and_message() {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::{SignatureEncoding, Signer};
        let pem = include_str!("../../../tests/fixtures/sns-test-key.pem");
        let key_der = pem_der(pem, "PRIVATE KEY").unwrap_or_default();
        let private = rsa::PrivateKey::from_pkcs8_der(&key_der).unwrap_or_else(|e| panic!("{e}"));
        let der = pem_der(CERT, "CERTIFICATE").unwrap_or_default();
        let spki = certificate_spki(&der).unwrap_or_default();
        let message = b"Message\nhello\nMessageId\n1\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n";
        let v1 = rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(private.clone()).sign(message).to_vec();
        let v2 = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private).sign(message).to_vec();
        assert!(rsa_pkcs1v15_valid(spki, Digest::Sha1, message, &v1));
        assert!(rsa_pkcs1v15_valid(spki, Digest::Sha256, message, &v2));
        assert!(!rsa_pkcs1v15_valid(spki, Digest::Sha256, message, &v1), "the digest is part of the signature");
        assert!(!rsa_pkcs1v15_valid(spki, Digest::Sha1, b"another message", &v1));
        assert!(!rsa_pkcs1v15_valid(b"junk", Digest::Sha1, message, &v1));
        assert!(!rsa_pkcs1v15_valid(spki, Digest::Sha1, message, &[]));
    }
}
