//! The shop's webhook endpoints: `GET`/`POST /v1/admin/webhooks`, `GET`/`PATCH`/
//! `DELETE /v1/admin/webhooks/{id}`, and `POST /v1/admin/deliveries/{id}/replay`.
//! A secret is in the answer that creates or rotates it, and never again (only its
//! prefix); a rotation keeps signing with the old secret for a day as well.

use restock_shared::{InvalidInput, clean_text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::notify::webhooks::{EVENTS, EndpointRow, ROTATION_GRACE_MS, new_secret};
use crate::shops::auth;
use crate::shops::settings::{parse_url, present};

/// At most this many endpoints per shop (each event is a delivery per endpoint).
pub const MAX_ENDPOINTS: i64 = 10;

/// An endpoint as the merchant sees it.
#[derive(Debug, Serialize)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    /// The whole secret only in the answer that created or rotated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub secret_prefix: String,
    /// Until then (ms) the replaced secret also signs.
    pub previous_secret_until: Option<i64>,
    /// Created before the Standard Webhooks format: also sends `Restock-Signature`.
    pub legacy: bool,
    pub enabled: bool,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EndpointView {
    fn of(e: &EndpointRow, now_ms: i64, reveal: bool) -> EndpointView {
        EndpointView {
            id: e.id.clone(),
            url: e.url.clone(),
            events: serde_json::from_str(&e.events).unwrap_or_default(),
            description: e.description.clone(),
            secret: reveal.then(|| e.secret.clone()),
            secret_prefix: e.secret.chars().take(10).collect(),
            previous_secret_until: e.previous_until.filter(|&u| u > now_ms && e.previous_secret.is_some()),
            legacy: e.legacy != 0,
            enabled: e.disabled_at.is_none(),
            disabled_at: e.disabled_at,
            disabled_reason: e.disabled_reason.clone(),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// `POST` body; `PATCH` takes the same fields, each optional, and `enabled` and
/// `rotate_secret`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    // Absent keeps a value; `null` is refused (no field can be cleared).
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub rotate_secret: Option<bool>,
}

/// The validated fields of a patch.
#[derive(Debug, Default, PartialEq)]
pub struct Valid {
    pub url: Option<String>,
    /// JSON array text.
    pub events: Option<String>,
    pub description: Option<String>,
}

/// An event filter: 1 to 20 known event types, or `["*"]`; no duplicates.
pub fn parse_events(list: &[String]) -> Result<String, InvalidInput> {
    let bad =
        InvalidInput::Range { field: "events", detail: "1 to 20 event types from the list (see Webhooks), or [\"*\"]" };
    if list.is_empty() || list.len() > 20 {
        return Err(bad);
    }
    for (i, e) in list.iter().enumerate() {
        let known = e == "*" || EVENTS.contains(&e.as_str());
        if !known || list[..i].contains(e) || (e == "*" && list.len() > 1) {
            return Err(bad);
        }
    }
    Ok(serde_json::to_string(list).unwrap_or_else(|_| "[\"*\"]".into()))
}

impl EndpointPatch {
    pub fn validate(&self) -> Result<Valid, ApiError> {
        Ok(Valid {
            url: self.url.as_deref().map(|u| parse_url("url", u)).transpose()?,
            events: self.events.as_deref().map(parse_events).transpose()?,
            description: self.description.as_deref().map(|d| clean_text("description", d, 100)).transpose()?,
        })
    }
}

async fn load(ctx: &Ctx, shop: &str, id: &str) -> Result<EndpointRow, ApiError> {
    db::first(db::stmt(
        &ctx.db,
        "SELECT * FROM webhook_endpoints WHERE shop_id = ?1 AND id = ?2",
        crate::args![shop, id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("endpoint_not_found", "this shop has no such webhook endpoint"))
}

/// `GET /v1/admin/webhooks`: every endpoint, oldest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let rows: Vec<EndpointRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM webhook_endpoints WHERE shop_id = ?1 ORDER BY created_at, id LIMIT ?2",
        crate::args![shop.id.as_str(), MAX_ENDPOINTS],
    )?)
    .await?;
    let now = ctx.now.millis();
    let items: Vec<EndpointView> = rows.iter().map(|e| EndpointView::of(e, now, false)).collect();
    http::json(200, &json!({ "items": items, "events": EVENTS, "max": MAX_ENDPOINTS }))
}

/// `POST /v1/admin/webhooks`: `{url, events?, description?}`; the answer holds the
/// secret, once.
pub async fn create(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let patch: EndpointPatch = http::read_json(req).await?;
    if patch.enabled.is_some() || patch.rotate_secret.is_some() {
        let field = if patch.enabled.is_some() { "enabled" } else { "rotate_secret" };
        return Err(ApiError::bad_field(
            "invalid_body",
            field.into(),
            format!("{field} is not a field of a new endpoint; the fields are url, events and description"),
        ));
    }
    let v = patch.validate()?;
    let url = v.url.ok_or(InvalidInput::Missing { field: "url" })?;
    let id = new_id("we");
    let now = ctx.now.millis();
    let inserted = db::run(db::stmt(
        &ctx.db,
        "INSERT INTO webhook_endpoints (id, shop_id, url, events, description, secret, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 \
         WHERE (SELECT COUNT(*) FROM webhook_endpoints WHERE shop_id = ?2) < ?8",
        crate::args![
            id.as_str(),
            shop.id.as_str(),
            url.as_str(),
            v.events.unwrap_or_else(|| "[\"*\"]".into()),
            v.description.unwrap_or_default(),
            new_secret(),
            now,
            MAX_ENDPOINTS
        ],
    )?)
    .await?;
    if inserted == 0 {
        return Err(ApiError::Conflict {
            code: "endpoint_limit",
            detail: format!("a shop has at most {MAX_ENDPOINTS} webhook endpoints"),
        });
    }
    let row = load(ctx, &shop.id, &id).await?;
    http::json(201, &EndpointView::of(&row, now, true))
}

/// `GET /v1/admin/webhooks/{id}`.
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let row = load(ctx, &shop.id, id).await?;
    http::json(200, &EndpointView::of(&row, ctx.now.millis(), false))
}

/// `PATCH /v1/admin/webhooks/{id}`: absent fields keep their value; `enabled` turns
/// sending off and on (on again after a 410); `rotate_secret` answers the new secret.
pub async fn patch(ctx: &Ctx, req: &mut Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let patch: EndpointPatch = http::read_json(req).await?;
    let v = patch.validate()?;
    let before = load(ctx, &shop.id, id).await?;
    let now = ctx.now.millis();
    let rotate = patch.rotate_secret == Some(true);
    let (secret, previous, until, legacy) = if rotate {
        (new_secret(), Some(before.secret.clone()), Some(now + ROTATION_GRACE_MS), 0)
    } else {
        (before.secret.clone(), before.previous_secret.clone(), before.previous_until, before.legacy)
    };
    let (disabled_at, reason) = match patch.enabled {
        Some(true) => (None, None),
        Some(false) if before.disabled_at.is_none() => (Some(now), Some("disabled by the merchant".to_owned())),
        _ => (before.disabled_at, before.disabled_reason.clone()),
    };
    // Only if nobody changed it since it was read: two rotations cannot both win.
    let changed = db::run(db::stmt(
        &ctx.db,
        "UPDATE webhook_endpoints SET url = ?3, events = ?4, description = ?5, secret = ?6, previous_secret = ?7, \
           previous_until = ?8, legacy = ?9, disabled_at = ?10, disabled_reason = ?11, updated_at = ?12 \
         WHERE shop_id = ?1 AND id = ?2 AND secret = ?13",
        crate::args![
            shop.id.as_str(),
            id,
            v.url.unwrap_or(before.url.clone()),
            v.events.unwrap_or(before.events.clone()),
            v.description.unwrap_or(before.description.clone()),
            secret.as_str(),
            previous,
            until,
            legacy,
            disabled_at,
            reason,
            now,
            before.secret.as_str()
        ],
    )?)
    .await?;
    if changed == 0 {
        return Err(ApiError::Conflict {
            code: "endpoint_changed",
            detail: "the endpoint's secret was rotated meanwhile; read it again".into(),
        });
    }
    let row = load(ctx, &shop.id, id).await?;
    http::json(200, &EndpointView::of(&row, now, rotate))
}

/// `DELETE /v1/admin/webhooks/{id}`: its queued deliveries are skipped.
pub async fn delete(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let deleted = db::run(db::stmt(
        &ctx.db,
        "DELETE FROM webhook_endpoints WHERE shop_id = ?1 AND id = ?2",
        crate::args![shop.id.as_str(), id],
    )?)
    .await?;
    if deleted == 0 {
        return Err(ApiError::not_found("endpoint_not_found", "this shop has no such webhook endpoint"));
    }
    Ok(http::respond(204, &[("cache-control", "no-store")], Vec::new()))
}

#[derive(Deserialize)]
struct Original {
    channel: String,
    kind: String,
    recipient: String,
    sku: Option<String>,
    payload: String,
    enabled: Option<i64>,
}

/// `POST /v1/admin/deliveries/{id}/replay`: a webhook delivery, sent or not, goes to
/// its endpoint again as a new delivery with the same event (the same `webhook-id`,
/// so a receiver that deduplicates can tell).
pub async fn replay(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let original: Option<Original> = db::first(db::stmt(
        &ctx.db,
        "SELECT d.channel, d.kind, d.recipient, d.sku, d.payload, \
           (SELECT e.disabled_at IS NULL FROM webhook_endpoints e WHERE e.id = d.recipient AND e.shop_id = d.shop_id) AS enabled \
         FROM deliveries d WHERE d.shop_id = ?1 AND d.id = ?2",
        crate::args![shop.id.as_str(), id],
    )?)
    .await?;
    let Some(o) = original else {
        return Err(ApiError::not_found("delivery_not_found", "this shop has no such delivery"));
    };
    if o.channel != "webhook" {
        return Err(ApiError::Conflict {
            code: "not_replayable",
            detail: "only webhook deliveries are replayed (retry a failed email instead)".into(),
        });
    }
    if o.enabled != Some(1) {
        return Err(ApiError::Conflict {
            code: "endpoint_disabled",
            detail: "the endpoint was deleted or is disabled; enable it first".into(),
        });
    }
    let new = new_id("dl");
    let now = ctx.now.millis();
    db::run(db::stmt(
        &ctx.db,
        "INSERT INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, payload, created_at, updated_at) \
         VALUES (?1, ?2, ?3, 'webhook', ?4, ?5, 'en', ?6, ?7, ?8, ?8)",
        crate::args![
            new.as_str(),
            shop.id.as_str(),
            format!("replay:{id}:{new}"),
            o.kind.as_str(),
            o.recipient.as_str(),
            o.sku,
            o.payload.as_str(),
            now
        ],
    )?)
    .await?;
    crate::notify::kick(ctx);
    let event = serde_json::from_str::<Value>(&o.payload).ok().and_then(|p| p["id"].as_str().map(str::to_owned));
    http::json(202, &json!({ "id": new, "status": "queued", "replay_of": id, "event_id": event }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(list: &[&str]) -> Result<String, &'static str> {
        parse_events(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).map_err(|e| e.field())
    }

    #[test]
    fn event_filters_name_known_events_once() {
        assert_eq!(events(&["*"]).as_deref(), Ok("[\"*\"]"));
        assert_eq!(events(&["stock.received", "eta.changed"]).as_deref(), Ok("[\"stock.received\",\"eta.changed\"]"));
        for bad in
            [&[][..], &["stock.recieved"], &["*", "eta.changed"], &["eta.changed", "eta.changed"], &["ETA.CHANGED"]]
        {
            assert_eq!(events(bad), Err("events"), "{bad:?}");
        }
        let p: EndpointPatch = serde_json::from_str(r#"{"url": "http://hooks.example/x"}"#).unwrap_or_default();
        assert_eq!(p.validate().map_err(|e| e.problem().field), Err(Some("url".into())), "https only");
        assert!(serde_json::from_str::<EndpointPatch>(r#"{"secret": "whsec_x"}"#).is_err(), "a secret is never set");
        for null in [r#"{"rotate_secret": null}"#, r#"{"description": null}"#, r#"{"url": null}"#] {
            assert!(serde_json::from_str::<EndpointPatch>(null).is_err(), "{null}");
        }
    }
}
