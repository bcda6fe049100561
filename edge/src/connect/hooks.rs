//! `POST /v1/hooks/{shopify|woocommerce|bigcommerce}/{shop}`: a platform's webhook.
//!
//! The raw body (at most [`MAX_HOOK_BODY`]) is verified with the platform's own
//! signature under the shop's connection secret; a delivery that does not verify is a
//! 401 and changes nothing. A Shopify delivery must also name the connection's shop in
//! its (unsigned) `X-Shopify-Shop-Domain` (400 `shop_domain_mismatch` otherwise): an
//! app's secret is the same for every shop that installed it. WooCommerce's unsigned
//! ping gets a 200. A verified delivery is claimed by its platform id (`hook_events`):
//! a replay of one that was applied or ignored answers 200 `duplicate` and does
//! nothing again; one still being processed (another attempt is running, or died
//! mid-way less than [`STALE_MS`] ago) answers 409 `delivery_in_progress` with
//! `Retry-After`, so the platform keeps retrying and a later attempt processes it
//! (apply is safe to run again: order lines are decided once, counts are planned from
//! what is stored). A failed one is processed again. A payload that does not read is a
//! 400 naming the field; a platform API that does not answer (a light BigCommerce
//! payload's resource, a customer's group) is a 503 with `Retry-After`, so the platform
//! sends it again.

use restock_shared::ShopId;
use serde_json::json;
use worker::{Request, Response};

use crate::connect::apply::{self, Failure};
use crate::connect::model::CallError;
use crate::connect::{Platform, bigcommerce, shopify, store, woocommerce};
use crate::crypto::sha256_hex;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;
use crate::shops::load_shop;

/// The largest webhook body taken (a Shopify product with 2,000 variants fits).
pub const MAX_HOOK_BODY: usize = 1024 * 1024;

/// How long a delivery claimed for processing is left to its attempt before another
/// attempt may take it over (the attempt died mid-way).
pub const STALE_MS: i64 = store::STALE_MS;

/// A 503 that asks the platform to send the delivery again later.
fn later(e: &CallError) -> Response {
    let after = match e {
        CallError::Later { after_secs: Some(s), .. } => (*s).clamp(1, 3600),
        _ => 60,
    };
    let body = json!({
        "type": "/docs/problems#platform_unavailable", "title": "Service unavailable", "status": 503,
        "code": "platform_unavailable",
        "detail": "the platform's API did not answer; send this webhook again later",
    });
    http::respond(
        503,
        &[
            ("content-type", "application/problem+json"),
            ("cache-control", "no-store"),
            ("retry-after", &after.to_string()),
        ],
        body.to_string().into_bytes(),
    )
}

/// A 409 for a delivery another attempt is processing: send it again after
/// `after_secs` (by then it is applied, and the retry is a duplicate, or its attempt
/// died, and the retry processes it).
fn in_progress(after_secs: i64) -> Response {
    let body = json!({
        "type": "/docs/problems#delivery_in_progress", "title": "Conflict", "status": 409,
        "code": "delivery_in_progress",
        "detail": "this delivery is being processed by another attempt; send it again later",
    });
    http::respond(
        409,
        &[
            ("content-type", "application/problem+json"),
            ("cache-control", "no-store"),
            ("retry-after", &after_secs.clamp(1, STALE_MS / 1000).to_string()),
        ],
        body.to_string().into_bytes(),
    )
}

pub async fn receive(ctx: &Ctx, req: &mut Request, platform: &str, shop: &str) -> Result<Response, ApiError> {
    let platform = Platform::parse(platform)
        .ok_or(ApiError::not_found("webhook_not_supported", "platform webhooks: shopify, woocommerce, bigcommerce"))?;
    let shop_id = ShopId::parse(shop)?;
    let content_type = req.headers().get("content-type").ok().flatten();
    let body = http::read_any_body(req, MAX_HOOK_BODY).await?;
    let headers: Vec<(String, String)> = req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let row = load_shop(&ctx.db, &shop_id).await?;
    // WooCommerce keeps a webhook only if its unsigned ping gets a 200; it comes when
    // the merchant saves the webhook, which may be before the connection.
    if platform == Platform::WooCommerce && woocommerce::is_ping(content_type.as_deref(), &body) {
        return http::json(200, &json!({ "status": "ping" }));
    }
    let conn = store::by_platform(ctx, &row.id, platform)
        .await?
        .ok_or(ApiError::not_found("connection_not_found", "this shop has no connection to this platform"))?;
    let secret = conn.webhook_secret.as_str();
    let now_secs = ctx.now.millis() / 1000;
    let (verified, topic, event_id) = match platform {
        Platform::Shopify => {
            let ok = shopify::header(&get, "hmac-sha256").is_some_and(|h| shopify::verify(secret, &body, h));
            (ok, shopify::header(&get, "topic").map(str::to_owned), shopify::delivery_id(&get).map(str::to_owned))
        }
        Platform::WooCommerce => {
            let ok = get("x-wc-webhook-signature").is_some_and(|h| woocommerce::verify(secret, &body, h));
            (ok, get("x-wc-webhook-topic").map(str::to_owned), get("x-wc-webhook-delivery-id").map(str::to_owned))
        }
        Platform::BigCommerce => {
            let id = get("webhook-id").unwrap_or_default();
            let ok = bigcommerce::verify(
                secret,
                id,
                get("webhook-timestamp").unwrap_or_default(),
                get("webhook-signature").unwrap_or_default(),
                &body,
                now_secs,
            );
            let scope = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["scope"].as_str().map(str::to_owned));
            (ok, scope, Some(id.to_owned()).filter(|i| !i.is_empty()))
        }
    };
    if !verified {
        return Err(ApiError::Unauthorized);
    }
    if platform == Platform::Shopify {
        shopify::check_shop(shopify::header(&get, "shop-domain"), &conn.store)?;
    }
    if conn.status == "paused" {
        return http::json(200, &json!({ "status": "ignored", "detail": "the connection is paused" }));
    }
    let topic = topic.filter(|t| !t.is_empty() && t.len() <= 100).ok_or_else(|| {
        ApiError::bad_field(
            "missing_topic",
            "topic".into(),
            "the delivery names no topic (header, or BigCommerce's scope)",
        )
    })?;
    if platform == Platform::Shopify {
        shopify::check_topic(&topic)?;
    }
    // Without the platform's id a delivery is known by its body. Shopify's event id is
    // the same for each topic's delivery of one event: kept apart by topic.
    let event_id = match (platform, event_id.filter(|e| e.len() <= 200)) {
        (Platform::Shopify, Some(id)) => format!("{id}/{topic}"),
        (_, Some(id)) => id,
        (_, None) => format!("body:{}", sha256_hex(&body)),
    };
    if let Some(seen) = store::claim(ctx, &row.id, platform, &event_id, &topic).await? {
        if seen.status == "processing" {
            let after = (seen.updated_at + STALE_MS - ctx.now.millis() + 999) / 1000;
            return Ok(in_progress(after));
        }
        return http::json(200, &json!({ "status": "duplicate", "first": seen.status }));
    }
    let incoming = match platform {
        Platform::Shopify => shopify::read(&topic, &conn.store, &body),
        Platform::WooCommerce => woocommerce::read(&topic, &body),
        Platform::BigCommerce => bigcommerce::read(&conn.store, &body),
    };
    let incoming = match incoming {
        Ok(i) => i,
        Err(e) => {
            let p = e.problem();
            let detail = format!("{topic}: unreadable payload: {}", p.detail);
            store::finish(ctx, &conn, &event_id, "failed", &detail).await?;
            return Err(e);
        }
    };
    match apply::apply(ctx, &row, &conn, incoming).await {
        Ok(outcome) => {
            store::finish(ctx, &conn, &event_id, outcome.status, &format!("{topic}: {}", outcome.detail)).await?;
            http::json(200, &json!({ "status": outcome.status, "detail": outcome.detail }))
        }
        Err(Failure::Platform(e)) => {
            store::finish(ctx, &conn, &event_id, "failed", &format!("{topic}: {}", e.message())).await?;
            match e {
                CallError::Later { .. } => Ok(later(&e)),
                // Misconfigured (a rejected token): the merchant sees it; sending it
                // again would not help until the connection is fixed.
                CallError::Broken(message) => http::json(200, &json!({ "status": "failed", "detail": message })),
            }
        }
        Err(Failure::Api(e)) => {
            let detail = format!("{topic}: {}", e.problem().detail);
            store::finish(ctx, &conn, &event_id, "failed", &detail).await?;
            Err(e)
        }
    }
}
