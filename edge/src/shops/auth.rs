//! Who is calling: a merchant with their shop's secret key, or the operator.
//!
//! Shop keys are stored as SHA-256 hashes and looked up by hash (a 256-bit random key
//! needs no slow hash); the operator token is a Worker secret compared in constant time.
//! The shop a key belongs to scopes every admin query, so one shop's key can never
//! name another shop's data: it simply is not found (404).

use worker::Request;

use crate::crypto::{ct_eq, sha256_hex};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::shops::store::ShopRow;

/// The bearer token from `Authorization: Bearer <token>`, if well-formed.
pub fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256).then(|| token.to_owned())
}

/// Shop keys are `sk_` + 43 base64url characters; anything else is refused unseen.
fn looks_like_key(token: &str) -> bool {
    token.len() == 46
        && token.starts_with("sk_")
        && token[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Which of a shop's keys a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUsed {
    Current,
    /// The key a rotation replaced, inside its grace period.
    Previous,
}

/// The shop whose secret key authorizes this request, or 401: its current key, or the
/// one it replaced until that key's grace period ends.
pub async fn shop(ctx: &Ctx, req: &Request) -> Result<ShopRow, ApiError> {
    shop_and_key(ctx, req).await.map(|(row, _)| row)
}

/// Switches `ctx` to the database that holds the shop of the request's key
/// (`shard.rs`): with one database, nothing to find; with several, one query each
/// until it is found. No key, or a key no database knows, stays on `DB`, where the
/// handler's own check refuses it.
pub async fn locate(ctx: &mut Ctx, req: &Request) -> Result<(), ApiError> {
    let all: Vec<String> = ctx.config.shards.all().into_iter().map(str::to_owned).collect();
    let Some(token) = bearer(req).filter(|t| all.len() > 1 && looks_like_key(t)) else { return Ok(()) };
    let hash = sha256_hex(token.as_bytes());
    #[derive(serde::Deserialize)]
    struct Found {
        #[allow(dead_code)]
        n: i64,
    }
    for binding in &all {
        ctx.use_binding(binding)?;
        let s = db::stmt(
            &ctx.db,
            "SELECT 1 AS n FROM shops WHERE key_hash = ?1 OR previous_key_hash = ?1 LIMIT 1",
            crate::args![hash.as_str()],
        )?;
        if db::first::<Found>(s).await?.is_some() {
            return Ok(());
        }
    }
    ctx.use_binding(crate::shard::DEFAULT)
}

/// [`shop`], and which key it was.
pub async fn shop_and_key(ctx: &Ctx, req: &Request) -> Result<(ShopRow, KeyUsed), ApiError> {
    let token = bearer(req).filter(|t| looks_like_key(t)).ok_or(ApiError::Unauthorized)?;
    let hash = sha256_hex(token.as_bytes());
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM shops WHERE key_hash = ?1 OR (previous_key_hash = ?1 AND previous_key_expires_at > ?2)",
        crate::args![hash.as_str(), ctx.now.millis()],
    )?;
    let row = db::first::<ShopRow>(s).await?.ok_or(ApiError::Unauthorized)?;
    let used = key_used(&row, &hash, ctx.now.millis()).ok_or(ApiError::Unauthorized)?;
    let key = match used {
        KeyUsed::Current => row.key_prefix.clone(),
        KeyUsed::Previous => "previous key".to_owned(),
    };
    ctx.actor.replace(Some(crate::ctx::Actor { shop_id: row.id.clone(), key }));
    Ok((row, used))
}

/// Which of `row`'s keys has hash `hash` and is valid at `now_ms`, compared in
/// constant time.
fn key_used(row: &ShopRow, hash: &str, now_ms: i64) -> Option<KeyUsed> {
    if ct_eq(row.key_hash.as_bytes(), hash.as_bytes()) {
        return Some(KeyUsed::Current);
    }
    let previous = row.previous_key_hash.as_deref()?;
    let live = row.previous_key_expires_at.is_some_and(|t| t > now_ms);
    (live && ct_eq(previous.as_bytes(), hash.as_bytes())).then_some(KeyUsed::Previous)
}

/// Succeeds when the request carries the operator token (the `OPERATOR_TOKEN` secret).
/// Without that secret configured, the operator API is off (401 for everyone).
pub fn operator(ctx: &Ctx, req: &Request) -> Result<(), ApiError> {
    let expected = ctx.config.operator_token.as_ref().map(|s| s.expose()).ok_or(ApiError::Unauthorized)?;
    let given = bearer(req).ok_or(ApiError::Unauthorized)?;
    // Hash both so the comparison's length and timing say nothing about the token.
    let ok = ct_eq(sha256_hex(given.as_bytes()).as_bytes(), sha256_hex(expected.as_bytes()).as_bytes());
    if ok { Ok(()) } else { Err(ApiError::Unauthorized) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_keys_reach_the_database() {
        assert!(looks_like_key(&format!("sk_{}", "A".repeat(43))));
        assert!(!looks_like_key(&format!("sk_{}", "A".repeat(42))));
        assert!(!looks_like_key(&format!("pk_{}", "A".repeat(43))));
        assert!(!looks_like_key(&format!("sk_{}'", "A".repeat(42))));
        assert!(!looks_like_key(&format!("sk_{}é", "A".repeat(41))));
    }
}
