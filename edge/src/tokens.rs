//! Signed links in emails: confirm a signup, unsubscribe, cancel a backorder. A token
//! is `v1.<kind>.<shop>.<id>.<expires>.<signature>` where the signature is HMAC-SHA256
//! (the `TOKEN_SECRET` Worker secret) over everything before it. Nothing is stored: a token is valid exactly when its signature is, and it names
//! the shop, so a token from one shop means nothing at another.

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
}

impl LinkKind {
    fn code(self) -> &'static str {
        match self {
            LinkKind::Confirm => "c",
            LinkKind::Unsubscribe => "u",
            LinkKind::Cancel => "x",
        }
    }

    fn from_code(code: &str) -> Option<LinkKind> {
        Some(match code {
            "c" => LinkKind::Confirm,
            "u" => LinkKind::Unsubscribe,
            "x" => LinkKind::Cancel,
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

fn secret(ctx: &Ctx) -> Result<String, ApiError> {
    ctx.secret("TOKEN_SECRET").ok_or_else(|| ApiError::Internal("the TOKEN_SECRET secret is not set".into()))
}

fn payload(link: &Link) -> String {
    format!("v1.{}.{}.{}.{}", link.kind.code(), link.shop, link.id, link.expires)
}

pub fn sign_with(secret: &str, link: &Link) -> String {
    let body = payload(link);
    let sig = base64url(&hmac_sha256(secret.as_bytes(), body.as_bytes()));
    format!("{body}.{sig}")
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

pub fn verify_with(secret: &str, token: &str, now: Timestamp) -> Result<Link, TokenError> {
    if token.len() > 300 {
        return Err(TokenError::Invalid);
    }
    let (body, sig) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
    let given = base64url_decode(sig).ok_or(TokenError::Invalid)?;
    let expected = hmac_sha256(secret.as_bytes(), body.as_bytes());
    if !ct_eq(&given, &expected) {
        return Err(TokenError::Invalid);
    }
    let parts: Vec<&str> = body.split('.').collect();
    let [version, kind, shop, id, expires] = parts.as_slice() else { return Err(TokenError::Invalid) };
    let kind = LinkKind::from_code(kind).filter(|_| *version == "v1").ok_or(TokenError::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| TokenError::Invalid)?;
    if expires != 0 && now.millis() / 1000 > expires {
        return Err(TokenError::Expired);
    }
    Ok(Link { kind, shop: (*shop).to_owned(), id: (*id).to_owned(), expires })
}

/// A token for `kind` on `id` at `shop`, valid for `days` (0: forever).
pub fn sign(ctx: &Ctx, kind: LinkKind, shop: &str, id: &str, days: i64) -> Result<String, ApiError> {
    let expires = if days == 0 { 0 } else { ctx.now.millis() / 1000 + days * 86_400 };
    Ok(sign_with(&secret(ctx)?, &Link { kind, shop: shop.to_owned(), id: id.to_owned(), expires }))
}

/// Verifies a token for `kind` at `shop`: 400 `invalid_token` if forged, altered or for
/// something else; 410 `link_expired` when too old.
pub fn verify(ctx: &Ctx, token: &str, kind: LinkKind, shop: &str) -> Result<Link, ApiError> {
    match verify_with(&secret(ctx)?, token, ctx.now) {
        Ok(link) if link.kind == kind && link.shop == shop => Ok(link),
        Ok(_) | Err(TokenError::Invalid) => {
            Err(ApiError::bad_request("invalid_token", "this link is not valid (it may have been altered)"))
        }
        Err(TokenError::Expired) => Err(ApiError::Gone { code: "link_expired", detail: "this link has expired" }),
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

    #[test]
    fn expiry_is_enforced() {
        let token = sign_with("k", &link(LinkKind::Confirm, 1_800_000_100));
        assert!(verify_with("k", &token, Timestamp::from_millis(1_800_000_000_000)).is_ok());
        assert_eq!(verify_with("k", &token, Timestamp::from_millis(1_800_000_200_000)), Err(TokenError::Expired));
    }
}
