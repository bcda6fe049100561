//! The merchant's connections: `/v1/admin/connections[/{id}[/resync|/events]]`.
//!
//! Secrets (the webhook signing secret, the API token, WooCommerce's consumer key) are
//! write-only: taken when a connection is made or changed, never returned, shown only
//! as their first four characters. The API's base URL defaults to the platform's own
//! host. Another base is for development only (the tests' stand-ins, a local proxy):
//! there any https URL, or `http://localhost` / `127.0.0.1`. In production `api_base`
//! may only name the platform's own host for the store (Shopify: the shop's
//! myshopify domain; BigCommerce: `api.bigcommerce.com`; WooCommerce: the store's own
//! host), so a connection can never send its token, or make the Worker call, anywhere
//! else.

use std::collections::BTreeMap;

use restock_shared::InvalidInput;
use restock_shared::groups::Group;
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Request, Response, Url};

use crate::connect::store::{self, ConnectionRow, ConnectionView, EventRow};
use crate::connect::{Platform, sync};
use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::paging::Page;
use crate::shops::auth;
use crate::shops::settings::present;

fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?))
}

/// `POST /v1/admin/connections`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRequest {
    pub platform: String,
    pub store: String,
    pub webhook_secret: String,
    pub api_token: String,
    #[serde(default, deserialize_with = "present")]
    pub api_key: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub api_base: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub location_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub group_map: Option<BTreeMap<String, String>>,
}

/// `PATCH /v1/admin/connections/{id}`: absent fields keep their value; `null` clears
/// `api_base` and `location_id`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    #[serde(default, deserialize_with = "present")]
    pub webhook_secret: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub api_token: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub api_key: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub api_base: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub location_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub group_map: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<String>,
}

fn range(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

/// A secret as the platform gave it: 1-500 visible characters.
fn secret(field: &'static str, s: &str) -> Result<String, ApiError> {
    let ok = (1..=500).contains(&s.len()) && s.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(range(field, "1 to 500 visible ASCII characters (as the platform shows it)"))
    }
}

/// An https URL (http only for localhost on a development Worker); no credentials,
/// query or fragment; whitespace and control characters refused.
pub fn base_url(field: &'static str, input: &str, development: bool) -> Result<String, ApiError> {
    let bad = || {
        range(field, "an https:// URL without credentials, query or fragment (http://127.0.0.1 only in development)")
    };
    if input.len() > 300 || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let url = Url::parse(input).map_err(|_| bad())?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let ok = (url.scheme() == "https" || (url.scheme() == "http" && local && development))
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if ok { Ok(url.as_str().trim_end_matches('/').to_owned()) } else { Err(bad()) }
}

/// The platform's own API host for `store`.
fn own_host(platform: Platform, store: &str) -> Option<String> {
    match platform {
        Platform::Shopify => Some(store.to_ascii_lowercase()),
        Platform::BigCommerce => Some("api.bigcommerce.com".into()),
        Platform::WooCommerce => Url::parse(store).ok().and_then(|u| u.host_str().map(str::to_owned)),
    }
}

/// `api_base` for a connection to `platform`'s `store`: any base [`base_url`] takes on
/// a development Worker; in production only an https URL on the platform's own host
/// for the store.
pub fn api_base(platform: Platform, store: &str, input: &str, development: bool) -> Result<String, ApiError> {
    let url = base_url("api_base", input, development)?;
    if development {
        return Ok(url);
    }
    let host = Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_owned));
    if host.is_some() && host == own_host(platform, store) {
        Ok(url)
    } else {
        Err(range(
            "api_base",
            "in production, only the platform's own API host for the store (Shopify: the myshopify domain; \
             BigCommerce: api.bigcommerce.com; WooCommerce: the store's host); another base is for development",
        ))
    }
}

fn store_of(platform: Platform, store: &str, development: bool) -> Result<String, ApiError> {
    match platform {
        Platform::Shopify => {
            let name = store.strip_suffix(".myshopify.com").unwrap_or("");
            let ok = (1..=60).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.starts_with('-');
            if ok { Ok(store.to_owned()) } else { Err(range("store", "the shop's domain, such as acme.myshopify.com")) }
        }
        Platform::WooCommerce => base_url("store", store, development),
        Platform::BigCommerce => {
            let ok =
                (1..=32).contains(&store.len()) && store.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if ok {
                Ok(store.to_owned())
            } else {
                Err(range("store", "the store hash (from stores/{hash} in its API path)"))
            }
        }
    }
}

fn api_version(platform: Platform, v: &str) -> Result<String, ApiError> {
    let b = v.as_bytes();
    let ok = platform == Platform::Shopify
        && b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit);
    if ok {
        Ok(v.to_owned())
    } else {
        Err(range("api_version", "Shopify's Admin API version, such as 2025-10 (Shopify only)"))
    }
}

fn location(platform: Platform, v: &str) -> Result<String, ApiError> {
    let ok = platform == Platform::Shopify && (1..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit());
    if ok { Ok(v.to_owned()) } else { Err(range("location_id", "a Shopify location's number (Shopify only)")) }
}

/// The platform-to-Restock group map: at most 50, each platform value 1-100
/// characters, each Restock group a valid group name.
pub fn group_map(map: &BTreeMap<String, String>) -> Result<String, ApiError> {
    if map.len() > 50 {
        return Err(range("group_map", "at most 50 entries"));
    }
    for (k, v) in map {
        if k.is_empty() || k.len() > 100 || k.chars().any(char::is_control) {
            return Err(ApiError::bad_field(
                "out_of_range",
                format!("group_map.{k}"),
                "platform groups are 1-100 characters",
            ));
        }
        Group::parse(v).map_err(|e| ApiError::InvalidAt { error: e, field: format!("group_map.{k}") })?;
    }
    Ok(serde_json::to_string(map)?)
}

/// A connection request that passed validation.
#[derive(Debug)]
pub struct NewConnection {
    pub platform: Platform,
    pub store: String,
    pub webhook_secret: String,
    pub api_token: String,
    pub api_key: Option<String>,
    pub api_base: Option<String>,
    pub api_version: Option<String>,
    pub location_id: Option<String>,
    pub group_map: String,
}

impl NewConnection {
    pub fn parse(r: &ConnectionRequest, development: bool) -> Result<NewConnection, ApiError> {
        let platform =
            Platform::parse(&r.platform).ok_or_else(|| range("platform", "shopify, woocommerce or bigcommerce"))?;
        let api_key = r.api_key.as_deref().map(|k| secret("api_key", k)).transpose()?;
        if platform == Platform::WooCommerce && api_key.is_none() {
            return Err(InvalidInput::Missing { field: "api_key" }.into());
        }
        if platform != Platform::WooCommerce && api_key.is_some() {
            return Err(range("api_key", "only WooCommerce has a consumer key (api_token is its consumer secret)"));
        }
        let store = store_of(platform, &r.store, development)?;
        Ok(NewConnection {
            platform,
            webhook_secret: secret("webhook_secret", &r.webhook_secret)?,
            api_token: secret("api_token", &r.api_token)?,
            api_key,
            api_base: r.api_base.as_deref().map(|u| api_base(platform, &store, u, development)).transpose()?,
            store,
            api_version: r.api_version.as_deref().map(|v| api_version(platform, v)).transpose()?,
            location_id: r.location_id.as_deref().map(|v| location(platform, v)).transpose()?,
            group_map: r.group_map.as_ref().map(group_map).transpose()?.unwrap_or_else(|| "{}".into()),
        })
    }
}

/// The view, with the hook URL on this Worker's public origin.
fn view(ctx: &Ctx, c: &ConnectionRow) -> ConnectionView {
    let origin = ctx.config.public_url.clone().unwrap_or_else(|| ctx.self_origin.clone());
    ConnectionView::of(c, origin.trim_end_matches('/'))
}

/// `GET /v1/admin/connections`: at most one per platform.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM connections WHERE shop_id = ?1 ORDER BY platform",
        crate::args![shop.id.as_str()],
    )?;
    let rows: Vec<ConnectionRow> = db::all(s).await?;
    let items: Vec<ConnectionView> = rows.iter().map(|c| view(ctx, c)).collect();
    http::json(200, &json!({ "items": items }))
}

/// `POST /v1/admin/connections`: 201 with where to point the platform's webhooks;
/// 409 `connection_exists` if the shop has one to this platform.
pub async fn create(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let body: ConnectionRequest = http::read_json(req).await?;
    let c = NewConnection::parse(&body, ctx.is_development())?;
    let id = new_id("cn");
    let now = ctx.now.millis();
    let inserted = db::run(db::stmt(
        &ctx.db,
        "INSERT INTO connections (id, shop_id, platform, store, api_base, api_version, webhook_secret, api_token, api_key, \
           location_id, group_map, status, next_sync_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'active', 0, ?12, ?12) ON CONFLICT (shop_id, platform) DO NOTHING",
        crate::args![
            id.as_str(),
            shop.id.as_str(),
            c.platform.name(),
            c.store.as_str(),
            c.api_base.clone(),
            c.api_version.clone(),
            c.webhook_secret.as_str(),
            c.api_token.as_str(),
            c.api_key.clone(),
            c.location_id.clone(),
            c.group_map.as_str(),
            now
        ],
    )?)
    .await?;
    if inserted == 0 {
        return Err(ApiError::Conflict {
            code: "connection_exists",
            detail: "this shop is already connected to this platform: change that connection instead".into(),
        });
    }
    let row = store::by_id(ctx, &shop.id, &id).await?;
    crate::admin::audit::note(ctx, "connection", json!({ "platform": c.platform.name(), "store": c.store }));
    http::json(201, &view(ctx, &row))
}

async fn detail(ctx: &Ctx, c: &ConnectionRow) -> Result<Value, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT seq, event_id, topic, status, detail, received_at, updated_at FROM hook_events \
         WHERE shop_id = ?1 AND platform = ?2 ORDER BY seq DESC LIMIT 20",
        crate::args![c.shop_id.as_str(), c.platform.as_str()],
    )?;
    let events: Vec<EventRow> = db::all(s).await?;
    let mut v = json!(view(ctx, c));
    v["events"] = json!(events);
    Ok(v)
}

/// `GET /v1/admin/connections/{id}`: the connection, its sync and its last 20 events.
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let c = store::by_id(ctx, &shop.id, id).await?;
    http::json(200, &detail(ctx, &c).await?)
}

/// `PATCH /v1/admin/connections/{id}`.
pub async fn patch(ctx: &Ctx, req: &mut Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let c = store::by_id(ctx, &shop.id, id).await?;
    let p: ConnectionPatch = http::read_json(req).await?;
    let platform = c.platform()?;
    let dev = ctx.is_development();
    let mut sets: Vec<(&'static str, db::Val)> = Vec::new();
    if let Some(v) = &p.webhook_secret {
        sets.push(("webhook_secret", secret("webhook_secret", v)?.into()));
    }
    if let Some(v) = &p.api_token {
        sets.push(("api_token", secret("api_token", v)?.into()));
    }
    if let Some(v) = &p.api_key {
        if platform != Platform::WooCommerce {
            return Err(range("api_key", "only WooCommerce has a consumer key (api_token is its consumer secret)"));
        }
        sets.push(("api_key", secret("api_key", v)?.into()));
    }
    if let Some(v) = &p.api_base {
        sets.push(("api_base", v.as_deref().map(|u| api_base(platform, &c.store, u, dev)).transpose()?.into()));
    }
    if let Some(v) = &p.api_version {
        sets.push(("api_version", api_version(platform, v)?.into()));
    }
    if let Some(v) = &p.location_id {
        sets.push(("location_id", v.as_deref().map(|l| location(platform, l)).transpose()?.into()));
    }
    if let Some(v) = &p.group_map {
        sets.push(("group_map", group_map(v)?.into()));
    }
    if let Some(v) = &p.status {
        if !matches!(v.as_str(), "active" | "paused") {
            return Err(range("status", "active or paused"));
        }
        sets.push(("status", v.as_str().into()));
    }
    // Another location: the stored counts were kept for the old one (or for all), so
    // they go, and a reconciliation pass starts, which stores the new location's counts
    // as news and plans every SKU again from them.
    let relocated = p.location_id.as_ref().is_some_and(|l| *l != c.location_id);
    if !sets.is_empty() {
        let assign: Vec<String> = sets.iter().enumerate().map(|(i, (col, _))| format!("{col} = ?{}", i + 4)).collect();
        let mut params = crate::args![shop.id.as_str(), c.id.as_str(), ctx.now.millis()];
        params.extend(sets.iter().map(|(_, v)| db::Arg::js(v)));
        let restart = if relocated {
            ", sync_cursor = NULL, sync_started_at = NULL, sync_pages = 0, sync_seen = 0, sync_drift_units = 0, \
             sync_drift_skus = 0, sync_retry_at = NULL, next_sync_at = 0"
        } else {
            ""
        };
        let mut statements = vec![db::stmt(
            &ctx.db,
            &format!(
                "UPDATE connections SET {}{restart}, updated_at = ?3 WHERE shop_id = ?1 AND id = ?2",
                assign.join(", ")
            ),
            params,
        )?];
        if relocated {
            statements.push(db::stmt(
                &ctx.db,
                "DELETE FROM platform_levels WHERE shop_id = ?1 AND platform = ?2",
                crate::args![shop.id.as_str(), c.platform.as_str()],
            )?);
        }
        db::batch(&ctx.db, statements).await?;
        let changed: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
        crate::admin::audit::note(ctx, "connection", json!({ "changed": changed }));
    }
    let c = store::by_id(ctx, &shop.id, id).await?;
    http::json(200, &detail(ctx, &c).await?)
}

/// `DELETE /v1/admin/connections/{id}`: webhooks from it are refused from now on
/// (404); its stored counts go; the variant mapping stays (the widget still mounts by
/// variant id, and a new connection starts from it).
pub async fn delete(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let c = store::by_id(ctx, &shop.id, id).await?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "DELETE FROM connections WHERE shop_id = ?1 AND id = ?2",
                crate::args![shop.id.as_str(), c.id.as_str()],
            )?,
            db::stmt(
                &ctx.db,
                "DELETE FROM platform_levels WHERE shop_id = ?1 AND platform = ?2",
                crate::args![shop.id.as_str(), c.platform.as_str()],
            )?,
        ],
    )
    .await?;
    Ok(http::respond(204, &[("cache-control", "no-store")], Vec::new()))
}

/// `POST /v1/admin/connections/{id}/resync`: starts a full reconciliation pass (the
/// one running starts over) and runs its first bounded step now; the scheduled job
/// goes on from its cursor. 202 with the connection as it is after that step.
pub async fn resync(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let c = store::by_id(ctx, &shop.id, id).await?;
    // SKUs left to plan stay on the cursor: their counts are stored, so the new pass
    // would not find them changed.
    db::run(db::stmt(
        &ctx.db,
        "UPDATE connections SET sync_cursor = CASE WHEN json_array_length(sync_cursor, '$.plan') > 0 \
           THEN json_object('plan', json(json_extract(sync_cursor, '$.plan'))) END, \
           sync_started_at = NULL, sync_pages = 0, sync_seen = 0, \
           sync_drift_units = 0, sync_drift_skus = 0, sync_retry_at = NULL, next_sync_at = 0, updated_at = ?3 \
         WHERE shop_id = ?1 AND id = ?2",
        crate::args![shop.id.as_str(), c.id.as_str(), ctx.now.millis()],
    )?)
    .await?;
    let c = store::by_id(ctx, &shop.id, id).await?;
    if c.status == "active" {
        sync::step(ctx, &shop, &c).await?;
    }
    let c = store::by_id(ctx, &shop.id, id).await?;
    http::json(202, &detail(ctx, &c).await?)
}

/// `GET /v1/admin/connections/{id}/events?status=&limit=&cursor=`: the webhook log,
/// newest first.
pub async fn events(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let c = store::by_id(ctx, &shop.id, id).await?;
    let page = Page::from_request(req)?;
    let before = match page.cursor_seq()? {
        0 => i64::MAX,
        n => n,
    };
    let status = http::query_param(req, "status");
    if status.as_deref().is_some_and(|s| !matches!(s, "processing" | "applied" | "ignored" | "failed")) {
        return Err(range("status", "processing, applied, ignored or failed"));
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT seq, event_id, topic, status, detail, received_at, updated_at FROM hook_events \
         WHERE shop_id = ?1 AND platform = ?2 AND seq < ?3 AND (?4 IS NULL OR status = ?4) ORDER BY seq DESC LIMIT ?5",
        crate::args![c.shop_id.as_str(), c.platform.as_str(), before, status, page.limit + 1],
    )?;
    let mut rows: Vec<EventRow> = db::all(s).await?;
    let more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let next = if more { rows.last().map(|r| Page::encode_seq(r.seq)) } else { None };
    http::json(200, &json!({ "items": rows, "next_cursor": next }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> ConnectionRequest {
        http::from_value(body).expect("shape")
    }

    fn check(body: Value, dev: bool, expected: Result<(), (&str, &str)>) {
        let got = NewConnection::parse(&request(body.clone()), dev).map(|_| ()).map_err(|e| {
            let p = e.problem();
            (p.code, p.field.unwrap_or_default())
        });
        assert_eq!(got, expected.map_err(|(c, f)| (c, f.to_owned())), "{body}");
    }

    #[test]
    fn connections_are_refused_field_by_field() {
        let shopify = json!({ "platform": "shopify", "store": "acme.myshopify.com", "webhook_secret": "shpss_1", "api_token": "shpat_1" });
        check(shopify.clone(), false, Ok(()));
        let with = |k: &str, v: Value| {
            let mut b = shopify.clone();
            b[k] = v;
            b
        };
        check(with("store", json!("acme.example.com")), false, Err(("out_of_range", "store")));
        check(with("platform", json!("magento")), false, Err(("out_of_range", "platform")));
        check(with("webhook_secret", json!("with space")), false, Err(("out_of_range", "webhook_secret")));
        check(with("api_base", json!("http://127.0.0.1:9999")), false, Err(("out_of_range", "api_base")));
        check(with("api_base", json!("http://127.0.0.1:9999")), true, Ok(()));
        check(with("api_base", json!("http://evil.example")), true, Err(("out_of_range", "api_base")));
        check(with("api_base", json!("https://proxy.example/x?y=1")), false, Err(("out_of_range", "api_base")));
        // In production only the platform's own host for the store; elsewhere in development.
        check(with("api_base", json!("https://proxy.example")), false, Err(("out_of_range", "api_base")));
        check(with("api_base", json!("https://proxy.example")), true, Ok(()));
        check(with("api_base", json!("https://acme.myshopify.com")), false, Ok(()));
        check(with("api_base", json!("https://other.myshopify.com")), false, Err(("out_of_range", "api_base")));
        check(with("api_version", json!("2025-10")), false, Ok(()));
        check(with("api_version", json!("latest")), false, Err(("out_of_range", "api_version")));
        check(with("location_id", json!("12a")), false, Err(("out_of_range", "location_id")));
        check(with("api_key", json!("ck_1")), false, Err(("out_of_range", "api_key")));
        check(with("group_map", json!({ "wholesale": "B2B" })), false, Err(("out_of_range", "group_map.wholesale")));
        let woo = json!({ "platform": "woocommerce", "store": "https://shop.example", "webhook_secret": "s", "api_token": "cs_1" });
        check(woo.clone(), false, Err(("missing_field", "api_key")));
        let mut w = woo.clone();
        w["api_key"] = json!("ck_1");
        check(w.clone(), false, Ok(()));
        w["store"] = json!("http://shop.example");
        check(w, false, Err(("out_of_range", "store")));
        let bc = json!({ "platform": "bigcommerce", "store": "abc123", "webhook_secret": "cs", "api_token": "t" });
        check(bc.clone(), false, Ok(()));
        let mut b = bc.clone();
        b["api_version"] = json!("2025-10");
        check(b, false, Err(("out_of_range", "api_version")));
        let mut b = bc.clone();
        b["api_base"] = json!("https://api.bigcommerce.com");
        check(b.clone(), false, Ok(()));
        b["api_base"] = json!("https://api.bigcommerce.com.evil.example");
        check(b, false, Err(("out_of_range", "api_base")));
        let mut w = woo.clone();
        w["api_key"] = json!("ck_1");
        w["api_base"] = json!("https://shop.example/shop");
        check(w.clone(), false, Ok(()));
        w["api_base"] = json!("https://cdn.example");
        check(w, false, Err(("out_of_range", "api_base")));
        let e = http::from_value::<ConnectionRequest>(json!({ "platform": "shopify", "store": "a.myshopify.com", "webhook_secret": "s", "api_token": "t", "api_base": null }))
            .expect_err("null");
        assert_eq!(e.problem().field.as_deref(), Some("api_base"));
        assert_eq!(crate::connect::shopify::API_VERSION.len(), 7);
    }
}
