//! Checking a group token (see the module above for its format).

use restock_shared::ShopId;
use restock_shared::groups::{Group, GroupClaim, TokenError};
use serde::Deserialize;
use worker::Request;

use crate::crypto::{ct_eq, hmac_sha256};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;

/// The shop's group keys: the current one and, until `previous_until`, the one a
/// rotation replaced.
#[derive(Deserialize)]
pub struct KeyRow {
    pub key: String,
    pub previous_key: Option<String>,
    pub previous_until: Option<i64>,
    pub created_at: i64,
}

/// The keys that verify at `now_ms`.
pub fn live_keys(row: &KeyRow, now_ms: i64) -> Vec<&str> {
    let mut keys = vec![row.key.as_str()];
    if let (Some(old), Some(until)) = (&row.previous_key, row.previous_until)
        && until > now_ms
    {
        keys.push(old);
    }
    keys
}

/// Whether `claim` is signed for `shop` by one of `keys` (constant-time compare,
/// every key tried).
pub fn signed_by(claim: &GroupClaim, shop: &ShopId, keys: &[&str]) -> bool {
    let text = claim.signed_text(shop);
    keys.iter().fold(false, |ok, key| ct_eq(&hmac_sha256(key.as_bytes(), text.as_bytes()), &claim.signature) | ok)
}

fn refused(e: TokenError) -> ApiError {
    ApiError::bad_field(e.code(), "group".into(), e.to_string())
}

pub async fn keys(ctx: &Ctx, shop: &str) -> Result<Option<KeyRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT key, previous_key, previous_until, created_at FROM group_keys WHERE shop_id = ?1",
        crate::args![shop],
    )?;
    db::first(s).await
}

/// The shopper's group from the request's `group` parameter: `None` without one;
/// 400 (`field: "group"`) for a token that is malformed, expired, valid too long, or
/// not signed by this shop's key.
pub async fn from_request(ctx: &Ctx, req: &Request, shop: &ShopId) -> Result<Option<Group>, ApiError> {
    let Some(raw) = http::query_param(req, "group").filter(|g| !g.is_empty()) else { return Ok(None) };
    let claim = GroupClaim::parse(&raw).map_err(refused)?;
    claim.check_time(ctx.now.millis() / 1000).map_err(refused)?;
    let row = keys(ctx, shop.as_str()).await?.ok_or_else(|| refused(TokenError::BadSignature))?;
    if signed_by(&claim, shop, &live_keys(&row, ctx.now.millis())) {
        Ok(Some(claim.group))
    } else {
        Err(refused(TokenError::BadSignature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hex;

    fn token(key: &str, shop: &str, group: &str, expires: i64) -> String {
        let sig = hex(&hmac_sha256(key.as_bytes(), format!("{shop}.{group}.{expires}").as_bytes()));
        format!("{group}.{expires}.{sig}")
    }

    #[test]
    fn tokens_verify_only_for_their_shop_and_key() {
        let shop = ShopId::parse("acme").expect("valid");
        let claim = GroupClaim::parse(&token("gk_1", "acme", "b2b", 1_800_000_000)).expect("parses");
        assert!(signed_by(&claim, &shop, &["gk_1"]));
        assert!(signed_by(&claim, &shop, &["gk_2", "gk_1"]), "the previous key during a rotation");
        assert!(!signed_by(&claim, &shop, &["gk_2"]));
        let other = ShopId::parse("globex").expect("valid");
        assert!(!signed_by(&claim, &other, &["gk_1"]), "another shop's token");
        let forged =
            GroupClaim::parse(&token("gk_1", "acme", "b2b", 1_800_000_000).replacen("b2b", "vip", 1)).expect("parses");
        assert!(!signed_by(&forged, &shop, &["gk_1"]), "a changed group");
    }

    #[test]
    fn the_signature_is_what_shopify_liquids_hmac_sha256_filter_prints() {
        // shopify.dev/docs/api/liquid/filters/hmac_sha256: 'Polyjuice' | hmac_sha256: 'Polina'
        assert_eq!(
            hex(&hmac_sha256(b"Polina", b"Polyjuice")),
            "8e0d5d65cff1242a4af66c8f4a32854fd5fb80edcc8aabe9b302b29c7c71dc20",
            "a theme can sign group tokens in Liquid"
        );
    }

    #[test]
    fn the_previous_key_verifies_only_until_its_grace_ends() {
        let row =
            KeyRow { key: "new".into(), previous_key: Some("old".into()), previous_until: Some(1000), created_at: 0 };
        assert_eq!(live_keys(&row, 999), vec!["new", "old"]);
        assert_eq!(live_keys(&row, 1000), vec!["new"]);
    }
}
