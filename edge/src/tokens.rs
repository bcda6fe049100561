//! Signed links in emails: confirm a signup, unsubscribe, cancel a backorder, open the
//! shopper's page of their orders. A token
//! is `v2.<key id>.<kind>.<shop>.<id>.<expires>.<signature>` where the signature is
//! HMAC-SHA256 (a `TOKEN_SECRET` key) over everything before it. Nothing is stored: a
//! token is valid exactly when its signature is, and it names the shop, so a token
//! from one shop means nothing at another.
//!
//! Rotation: `TOKEN_SECRET` holds one secret or several, newest first, separated by
//! spaces or commas. The first signs every new link; each verifies the links signed
//! with it, found by the key id in the token (derived from the secret, so there is
//! nothing to name). Links already in inboxes keep working until they expire, as long
//! as their secret stays in the list. `v1` tokens (before key ids) verify against
//! any listed secret.

use restock_shared::Timestamp;

use crate::crypto::{base64url, base64url_decode, ct_eq, hmac_sha256};
use crate::ctx::Ctx;
use crate::error::ApiError;

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Confirm,
    Unsubscribe,
    Cancel,
    /// The shopper's page of their orders with the shop, named by one of them.
    Orders,
    /// A restock notice's product link, counted as a click for attribution.
    Click,
}

impl LinkKind {
    fn code(self) -> &'static str {
        match self {
            LinkKind::Confirm => "c",
            LinkKind::Unsubscribe => "u",
            LinkKind::Cancel => "x",
            LinkKind::Orders => "o",
            LinkKind::Click => "k",
        }
    }

    fn from_code(code: &str) -> Option<LinkKind> {
        Some(match code {
            "c" => LinkKind::Confirm,
            "u" => LinkKind::Unsubscribe,
            "x" => LinkKind::Cancel,
            "o" => LinkKind::Orders,
            "k" => LinkKind::Click,
            _ => return None,
        })
    }
}

/// A verified link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub kind: LinkKind,
    pub shop: String,
    /// The waitlist signup or backorder it acts on.
    pub id: String,
    /// Seconds since the epoch after which it no longer works (0: never).
    pub expires: i64,
}

/// The configured secrets, newest (the signing one) first.
fn secrets(ctx: &Ctx) -> Result<Vec<&str>, ApiError> {
    let raw = ctx.config.token_secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    let list = split_secrets(raw);
    if list.is_empty() {
        return Err(ApiError::Internal("the TOKEN_SECRET secret is not set".into()));
    }
    Ok(list)
}

/// `TOKEN_SECRET`'s secrets: separated by spaces, commas or newlines.
pub fn split_secrets(raw: &str) -> Vec<&str> {
    raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).collect()
}

/// A secret's key id: 8 base64url characters of an HMAC under it (says nothing about
/// the secret, and names it in tokens).
pub fn key_id(secret: &str) -> String {
    base64url(&hmac_sha256(secret.as_bytes(), b"restock link key id")).chars().take(8).collect()
}

fn payload(secret: &str, link: &Link) -> String {
    format!("v2.{}.{}.{}.{}.{}", key_id(secret), link.kind.code(), link.shop, link.id, link.expires)
}

pub fn sign_with(secret: &str, link: &Link) -> String {
    let body = payload(secret, link);
    let sig = base64url(&hmac_sha256(secret.as_bytes(), body.as_bytes()));
    format!("{body}.{sig}")
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

/// Verifies a `v2` token signed with `secret` (the only spelling [`sign_with`] makes).
pub fn verify_with(secret: &str, token: &str, now: Timestamp) -> Result<Link, TokenError> {
    let body = signed_body(secret, token)?;
    let parts: Vec<&str> = body.split('.').collect();
    let [version, kid, kind, shop, id, expires] = parts.as_slice() else { return Err(TokenError::Invalid) };
    if *version != "v2" || *kid != key_id(secret) {
        return Err(TokenError::Invalid);
    }
    link_of(kind, shop, id, expires, now)
}

/// Verifies a `v1` token (from before key ids) signed with `secret`.
pub fn verify_v1_with(secret: &str, token: &str, now: Timestamp) -> Result<Link, TokenError> {
    let body = signed_body(secret, token)?;
    let parts: Vec<&str> = body.split('.').collect();
    let [version, kind, shop, id, expires] = parts.as_slice() else { return Err(TokenError::Invalid) };
    if *version != "v1" {
        return Err(TokenError::Invalid);
    }
    link_of(kind, shop, id, expires, now)
}

/// Verifies a token against any of `secrets`: a `v2` token by its key id, a `v1`
/// token against each.
pub fn verify_any(secrets: &[&str], token: &str, now: Timestamp) -> Result<Link, TokenError> {
    let mut parts = token.splitn(3, '.');
    match (parts.next(), parts.next()) {
        (Some("v2"), Some(kid)) => {
            let secret = secrets.iter().find(|s| key_id(s) == kid).ok_or(TokenError::Invalid)?;
            verify_with(secret, token, now)
        }
        (Some("v1"), _) => {
            let mut outcome = Err(TokenError::Invalid);
            for secret in secrets {
                match verify_v1_with(secret, token, now) {
                    Err(TokenError::Invalid) => {}
                    other => outcome = other,
                }
            }
            outcome
        }
        _ => Err(TokenError::Invalid),
    }
}

/// The signed part of `token` if its signature under `secret` is right.
fn signed_body<'a>(secret: &str, token: &'a str) -> Result<&'a str, TokenError> {
    if token.len() > 300 {
        return Err(TokenError::Invalid);
    }
    let (body, sig) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
    let given = base64url_decode(sig).ok_or(TokenError::Invalid)?;
    let expected = hmac_sha256(secret.as_bytes(), body.as_bytes());
    if ct_eq(&given, &expected) { Ok(body) } else { Err(TokenError::Invalid) }
}

fn link_of(kind: &str, shop: &str, id: &str, expires: &str, now: Timestamp) -> Result<Link, TokenError> {
    let kind = LinkKind::from_code(kind).ok_or(TokenError::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| TokenError::Invalid)?;
    if expires != 0 && now.millis() / 1000 > expires {
        return Err(TokenError::Expired);
    }
    Ok(Link { kind, shop: shop.to_owned(), id: id.to_owned(), expires })
}

/// A token for `kind` on `id` at `shop`, valid for `days` (0: forever).
pub fn sign(ctx: &Ctx, kind: LinkKind, shop: &str, id: &str, days: i64) -> Result<String, ApiError> {
    let expires = if days == 0 { 0 } else { ctx.now.millis() / 1000 + days * 86_400 };
    let secrets = secrets(ctx)?;
    Ok(sign_with(secrets[0], &Link { kind, shop: shop.to_owned(), id: id.to_owned(), expires }))
}

/// Verifies a token for `kind` at `shop`: 400 `invalid_token` if forged, altered or for
/// something else; 410 `link_expired` when too old.
pub fn verify(ctx: &Ctx, token: &str, kind: LinkKind, shop: &str) -> Result<Link, ApiError> {
    match verify_any(&secrets(ctx)?, token, ctx.now) {
        Ok(link) if link.kind == kind && link.shop == shop => Ok(link),
        Ok(_) | Err(TokenError::Invalid) => {
            Err(ApiError::bad_request("invalid_token", "this link is not valid (it may have been altered)"))
        }
        Err(TokenError::Expired) => Err(ApiError::Gone { code: "link_expired", detail: "this link has expired" }),
    }
}

/// Verifies like [`verify`], but a token that is genuine and merely expired still says
/// what it was for; the `bool` is whether it has expired. For a page that offers a
/// way on (a new confirmation link) instead of a dead end: a forged or altered token
/// is still `invalid_token`.
pub fn verify_even_expired(ctx: &Ctx, token: &str, kind: LinkKind, shop: &str) -> Result<(Link, bool), ApiError> {
    let secrets = secrets(ctx)?;
    let expired = verify_any(&secrets, token, ctx.now) == Err(TokenError::Expired);
    // At the epoch nothing has expired yet: this checks only the signature and shape.
    match verify_any(&secrets, token, Timestamp::from_millis(0)) {
        Ok(link) if link.kind == kind && link.shop == shop => Ok((link, expired)),
        _ => Err(ApiError::bad_request("invalid_token", "this link is not valid (it may have been altered)")),
    }
}

/// An absolute URL on this Worker for a link endpoint.
pub fn url(base: &str, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(kind: LinkKind, expires: i64) -> Link {
        Link { kind, shop: "demo".into(), id: "wl_abc".into(), expires }
    }

    #[test]
    fn round_trip_and_every_tampering_fails() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        let token = sign_with("s3cret", &link(LinkKind::Unsubscribe, 0));
        assert_eq!(verify_with("s3cret", &token, now), Ok(link(LinkKind::Unsubscribe, 0)));
        assert_eq!(verify_with("other", &token, now), Err(TokenError::Invalid));
        // Flip each character in turn: nothing but the original verifies.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).expect("ascii");
            if altered != token {
                assert!(verify_with("s3cret", &altered, now).is_err(), "altered at {i}: {altered}");
            }
        }
        let other_shop = token.replacen(".demo.", ".evil.", 1);
        assert_eq!(verify_with("s3cret", &other_shop, now), Err(TokenError::Invalid));
        assert_eq!(verify_with("s3cret", "", now), Err(TokenError::Invalid));
        assert_eq!(verify_with("s3cret", "v1.u.demo", now), Err(TokenError::Invalid));
    }

    /// A `v1` token as links from before key ids were signed.
    fn v1(secret: &str, link: &Link) -> String {
        let body = format!("v1.{}.{}.{}.{}", link.kind.code(), link.shop, link.id, link.expires);
        format!("{body}.{}", base64url(&hmac_sha256(secret.as_bytes(), body.as_bytes())))
    }

    #[test]
    fn rotated_secrets_keep_old_links_working_by_key_id() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        let l = link(LinkKind::Cancel, 0);
        let old = sign_with("old-secret", &l);
        let new = sign_with("new-secret", &l);
        assert_ne!(key_id("old-secret"), key_id("new-secret"));
        assert!(old.starts_with(&format!("v2.{}.", key_id("old-secret"))), "{old}");
        // After rotation (`TOKEN_SECRET="new-secret old-secret"`) both verify.
        let rotated = split_secrets(" new-secret, old-secret\n");
        assert_eq!(rotated, ["new-secret", "old-secret"]);
        assert_eq!(verify_any(&rotated, &old, now), Ok(l.clone()));
        assert_eq!(verify_any(&rotated, &new, now), Ok(l.clone()));
        // Once the old secret leaves the list, its links stop.
        assert_eq!(verify_any(&["new-secret"], &old, now), Err(TokenError::Invalid));
        // A token naming one key id but signed with another secret is refused.
        let forged = old.replacen(&key_id("old-secret"), &key_id("new-secret"), 1);
        assert_eq!(verify_any(&rotated, &forged, now), Err(TokenError::Invalid));
        // Links from before key ids (v1) verify against any listed secret.
        let legacy = v1("old-secret", &l);
        assert_eq!(verify_any(&rotated, &legacy, now), Ok(l.clone()));
        assert_eq!(verify_any(&["other"], &legacy, now), Err(TokenError::Invalid));
        assert_eq!(verify_with("old-secret", &legacy, now), Err(TokenError::Invalid), "v2 only: one spelling");
        let expired = v1("old-secret", &link(LinkKind::Cancel, 1_700_000_000));
        assert_eq!(verify_any(&rotated, &expired, now), Err(TokenError::Expired));
    }

    #[test]
    fn expiry_is_enforced() {
        let token = sign_with("k", &link(LinkKind::Confirm, 1_800_000_100));
        assert!(verify_with("k", &token, Timestamp::from_millis(1_800_000_000_000)).is_ok());
        assert_eq!(verify_with("k", &token, Timestamp::from_millis(1_800_000_200_000)), Err(TokenError::Expired));
        // What `verify_even_expired` relies on: at the epoch only the signature counts.
        assert_eq!(verify_with("k", &token, Timestamp::from_millis(0)), Ok(link(LinkKind::Confirm, 1_800_000_100)));
        assert_eq!(verify_with("other", &token, Timestamp::from_millis(0)), Err(TokenError::Invalid));
    }
}
