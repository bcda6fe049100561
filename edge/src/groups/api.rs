//! `GET`/`PUT /v1/admin/groups` (the rules) and `POST /v1/admin/groups/key` (the
//! signing key: made or rotated, shown once).

use restock_shared::groups::{GroupRules, RuleRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::crypto::{base64url, random_bytes};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::groups::token::keys;
use crate::http;
use crate::shops::{ShopRow, auth, load_shop};

/// Rule lists are larger than other bodies (200 rules).
const MAX_RULES_BODY: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupsRequest {
    pub rules: Vec<RuleRequest>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub grace_hours: Option<i64>,
}

/// Validates rules, naming the bad one by its path (`rules[2].sku`).
pub fn parse(body: &GroupsRequest) -> Result<GroupRules, ApiError> {
    GroupRules::parse(&body.rules).map_err(|e| {
        if e.error.field() == "rules" {
            ApiError::Invalid(e.error)
        } else {
            ApiError::Invalid(e.error).within(&format!("rules[{}]", e.index))
        }
    })
}

async fn view(ctx: &Ctx, shop: &ShopRow) -> Result<Value, ApiError> {
    let key = keys(ctx, &shop.id).await?.map(|k| {
        json!({ "prefix": crate::connect::prefix(&k.key), "created_at": k.created_at,
                "previous_until": k.previous_until.filter(|u| *u > ctx.now.millis()) })
    });
    Ok(json!({
        "rules": crate::groups::rules_of(shop).requests(),
        "key": key,
        "token": "{group}.{expires}.{hex HMAC-SHA256 of \"{shop}.{group}.{expires}\" under the group key}",
    }))
}

/// `GET /v1/admin/groups`.
pub async fn get(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    http::json(200, &view(ctx, &shop).await?)
}

/// `PUT /v1/admin/groups`: replaces the rules.
pub async fn put(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let bytes = http::read_body_up_to(req, "application/json", MAX_RULES_BODY).await?;
    let body: GroupsRequest = http::parse_json(&bytes)?;
    let rules = parse(&body)?;
    let text = serde_json::to_string(&rules.requests())?;
    db::run(db::stmt(
        &ctx.db,
        "UPDATE shops SET group_rules = ?2 WHERE id = ?1",
        crate::args![shop.id.as_str(), text.as_str()],
    )?)
    .await?;
    let shop_id = restock_shared::ShopId::parse(&shop.id)?;
    let row = load_shop(&ctx.db, &shop_id).await?;
    crate::shops::cache::refresh_shop(ctx, &row).await;
    crate::admin::audit::note(ctx, "groups", json!({ "rules": rules.len() }));
    http::json(200, &view(ctx, &row).await?)
}

/// `POST /v1/admin/groups/key`: a new group key (`gk_` and 43 base64url characters);
/// the one it replaces still verifies for `grace_hours` (0 to 720, default 24). The
/// key is in this answer only.
pub async fn rotate(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let body: KeyRequest = http::read_json(req).await?;
    let grace = body.grace_hours.unwrap_or(24);
    if !(0..=720).contains(&grace) {
        return Err(ApiError::Invalid(restock_shared::InvalidInput::Range {
            field: "grace_hours",
            detail: "0 to 720",
        }));
    }
    let key = format!("gk_{}", base64url(&random_bytes::<32>()));
    let now = ctx.now.millis();
    let until = now + grace * 3_600_000;
    db::run(db::stmt(
        &ctx.db,
        "INSERT INTO group_keys (shop_id, key, previous_key, previous_until, created_at, updated_at) VALUES (?1, ?2, NULL, NULL, ?3, ?3) \
         ON CONFLICT (shop_id) DO UPDATE SET previous_key = group_keys.key, previous_until = ?4, key = ?2, created_at = ?3, updated_at = ?3",
        crate::args![shop.id.as_str(), key.as_str(), now, until],
    )?)
    .await?;
    crate::admin::audit::note(ctx, "group_key", json!({ "prefix": crate::connect::prefix(&key) }));
    http::json(
        201,
        &json!({ "key": key, "prefix": crate::connect::prefix(&key), "previous_until": until, "grace_hours": grace }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rules_name_their_path() {
        let body: GroupsRequest =
            http::parse_json(br#"{"rules":[{"group":"b2b","backorder":true,"preorder":true},{"group":"b2b","sku":"a b","backorder":true,"preorder":false}]}"#)
                .expect("shape");
        let e = parse(&body).expect_err("bad sku");
        assert_eq!((e.problem().code, e.problem().field.as_deref()), ("invalid_sku", Some("rules[1].sku")));
        let e =
            http::parse_json::<GroupsRequest>(br#"{"rules":[{"group":"b2b","backorder":true}]}"#).expect_err("missing");
        assert_eq!(e.problem().field.as_deref(), Some("rules[0].preorder"));
        let e = http::parse_json::<GroupsRequest>(
            br#"{"rules":[{"group":"b2b","backorder":true,"preorder":true,"cap":1}]}"#,
        )
        .expect_err("unknown");
        assert_eq!(e.problem().field.as_deref(), Some("rules[0].cap"));
        let e = http::parse_json::<KeyRequest>(br#"{"grace_hours":null}"#).expect_err("null");
        assert_eq!(e.problem().field.as_deref(), Some("grace_hours"));
    }
}
