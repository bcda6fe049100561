//! Webhooks to the merchant, in the Standard Webhooks format
//! (<https://www.standardwebhooks.com>, the format Svix, Resend and BigCommerce use):
//!
//! - `webhook-id`: the event's id, the same on every retry and replay (receivers
//!   deduplicate by it);
//! - `webhook-timestamp`: seconds since the epoch at sending (receivers refuse old ones);
//! - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed
//!   with the bytes under the endpoint's `whsec_<base64>` secret; during a rotation one
//!   signature per secret, space-separated, so a receiver with either one verifies.
//!
//! A shop has several endpoints (`webhook_endpoints`), each with its own secret and an
//! event filter; every event becomes one delivery per matching endpoint, written by one
//! `INSERT … SELECT` in the batch of the change that caused it ([`Event::insert`]). An
//! endpoint answering 410 Gone is disabled. Endpoints that existed before this format
//! (`legacy`, moved by migration 0016) also get the old `Restock-Signature` header,
//! signed with their old secret, until their secret is rotated.

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::crypto::{base64, base64_decode, ct_eq, hex, hmac_sha256, new_id, random_bytes};
use crate::ctx::Ctx;
use crate::notify::provider::{Outcome, classify, post};

/// Every event type, for endpoint filters (`"*"` is all of them).
pub const EVENTS: &[&str] = &[
    "waitlist.signup",
    "waitlist.confirmed",
    "waitlist.unsubscribed",
    "backorder.created",
    "backorder.cancelled",
    "preorder.created",
    "preorder.cancelled",
    "stock.received",
    "restock.released",
    "eta.changed",
];

/// Receivers refuse timestamps further than this from their clock (the standard's
/// recommendation, and what `verify` enforces for the providers' webhooks).
pub const TOLERANCE_SECS: i64 = 300;

/// How long a rotated secret keeps signing alongside the new one.
pub const ROTATION_GRACE_MS: i64 = 24 * 3_600_000;

/// A new endpoint secret: `whsec_` and the base64 of 24 random bytes.
pub fn new_secret() -> String {
    format!("whsec_{}", base64(&random_bytes::<24>()))
}

/// The key bytes of a `whsec_` secret (the base64 after the prefix).
fn key(secret: &str) -> Option<Vec<u8>> {
    base64_decode(secret.strip_prefix("whsec_").unwrap_or(secret)).filter(|k| !k.is_empty())
}

/// One `v1,<base64>` signature of `body` for message `id` at `timestamp`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = key(secret)?;
    Some(format!("v1,{}", base64(&hmac_sha256(&key, format!("{id}.{timestamp}.{body}").as_bytes()))))
}

/// Checks a Standard Webhooks message: any `v1,` signature in `signatures` (space
/// separated) matches, and `timestamp` is within [`TOLERANCE_SECS`] of `now_secs`.
pub fn verify(secret: &str, id: &str, timestamp: &str, signatures: &str, body: &str, now_secs: i64) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else { return false };
    if (now_secs - ts).abs() > TOLERANCE_SECS || id.is_empty() {
        return false;
    }
    let Some(expected) = sign(secret, id, ts, body) else { return false };
    signatures.split(' ').filter(|s| s.starts_with("v1,")).any(|s| ct_eq(s.as_bytes(), expected.as_bytes()))
}

/// The old `Restock-Signature: t=<seconds>,v1=<hex HMAC of "t.body">`, keyed with the
/// secret's text, for `legacy` endpoints.
pub fn legacy_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex(&mac))
}

/// A `webhook_endpoints` row.
#[derive(Clone, Debug, Deserialize)]
pub struct EndpointRow {
    pub id: String,
    pub shop_id: String,
    pub url: String,
    pub events: String,
    pub description: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<i64>,
    pub legacy: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EndpointRow {
    /// The secrets that sign now: the current one, and the one a rotation replaced
    /// until its grace ends.
    fn signing_secrets(&self, now_ms: i64) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_until)
            && until > now_ms
        {
            out.push(old);
        }
        out
    }

    /// The `webhook-signature` header value for `body`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &str, now_ms: i64) -> String {
        self.signing_secrets(now_ms)
            .into_iter()
            .filter_map(|s| sign(s, id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a send did to the endpoint as well as the delivery.
pub struct Sent {
    pub outcome: Outcome,
    /// The endpoint answered 410 Gone: disable it.
    pub gone: bool,
}

/// Delivers one event (`event_id` is its `webhook-id`) to `endpoint`.
pub async fn send(endpoint: &EndpointRow, event: &str, event_id: &str, body: &str, now_ms: i64, timeout: u32) -> Sent {
    let ts = now_ms / 1000;
    let signature = endpoint.signature(event_id, ts, body, now_ms);
    let ts_text = ts.to_string();
    let legacy = (endpoint.legacy != 0).then(|| legacy_signature(&endpoint.secret, ts, body));
    let mut headers = vec![
        ("content-type", "application/json"),
        ("webhook-id", event_id),
        ("webhook-timestamp", ts_text.as_str()),
        ("webhook-signature", signature.as_str()),
        ("user-agent", "Restock-Webhooks/2"),
    ];
    if let Some(sig) = &legacy {
        headers.extend([("restock-signature", sig.as_str()), ("restock-event", event)]);
    }
    match post(&endpoint.url, &headers, body, timeout).await {
        Ok(reply) if reply.status == 410 => {
            Sent { outcome: Outcome::Permanent("HTTP 410: the endpoint is gone and was disabled".into()), gone: true }
        }
        Ok(reply) => Sent { outcome: classify(reply.status, &reply.hint()), gone: false },
        Err(e) => Sent { outcome: Outcome::retry(e), gone: false },
    }
}

/// An event to deliver to every matching endpoint of its shop.
#[derive(Clone, Debug)]
pub struct Event {
    pub shop_id: String,
    pub id: String,
    pub kind: String,
    pub sku: Option<String>,
    pub payload: Value,
}

impl Event {
    /// The event body: `{id, type, timestamp, created, shop, data}` (`type`,
    /// `timestamp` and `data` as the standard suggests; `created` in seconds).
    pub fn new(ctx: &Ctx, shop_id: &str, kind: &str, data: Value) -> Event {
        let id = new_id("evt");
        let sku = data["sku"].as_str().map(str::to_owned);
        let payload = serde_json::json!({
            "id": id, "type": kind, "timestamp": ctx.now.to_iso(), "created": ctx.now.millis() / 1000,
            "shop": shop_id, "data": data,
        });
        Event { shop_id: shop_id.to_owned(), id, kind: kind.to_owned(), sku, payload }
    }

    /// `INSERT OR IGNORE` of one delivery per enabled endpoint of the shop whose
    /// filter takes this event (parameters numbered from `?{first}`), only when
    /// `condition` (SQL) holds. The delivery's recipient is the endpoint's id.
    pub fn insert(&self, ctx: &Ctx, first: usize, condition: &str) -> (String, Vec<JsValue>) {
        let p = |i: usize| format!("?{}", first + i);
        let sql = format!(
            "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, payload, created_at, updated_at) \
             SELECT {id} || substr(e.id, 3), e.shop_id, 'webhook:' || {evt} || ':' || e.id, 'webhook', {kind}, e.id, 'en', {sku}, {payload}, {now}, {now} \
             FROM webhook_endpoints e WHERE e.shop_id = {shop} AND e.disabled_at IS NULL \
             AND EXISTS (SELECT 1 FROM json_each(e.events) f WHERE f.value IN ('*', {kind})) AND {condition}",
            id = p(0),
            evt = p(1),
            kind = p(2),
            sku = p(3),
            payload = p(4),
            now = p(5),
            shop = p(6),
        );
        let params = crate::args![
            new_id("dl"),
            self.id.as_str(),
            self.kind.as_str(),
            self.sku.clone(),
            self.payload.to_string(),
            ctx.now.millis(),
            self.shop_id.as_str(),
        ];
        (sql, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_reference() {
        // The example in the Standard Webhooks specification (and its libraries' tests).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        let header = "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert!(verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", header, body, 1_614_265_330));
        assert!(!verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", header, body, 1_614_265_330 + 301));
        assert!(!verify(secret, "msg_other", "1614265330", header, body, 1_614_265_330));
        assert!(!verify("whsec_b3RoZXI=", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", header, body, 1_614_265_330));
        assert!(!verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", header, "{}", 1_614_265_330));
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_until_the_grace_ends() {
        let mut e = EndpointRow {
            id: "we_1".into(),
            shop_id: "s".into(),
            url: "https://h.example".into(),
            events: "[\"*\"]".into(),
            description: String::new(),
            secret: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX".into(),
            previous_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            previous_until: Some(2_000),
            legacy: 0,
            disabled_at: None,
            disabled_reason: None,
            created_at: 0,
            updated_at: 0,
        };
        assert!(e.secret.starts_with("whsec_") && key(&e.secret).is_some_and(|k| k.len() == 24));
        let both = e.signature("msg_1", 1, "{}", 1_000);
        assert_eq!(both.split(' ').count(), 2, "{both}");
        for secret in [e.secret.clone(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()] {
            assert!(verify(&secret, "msg_1", "1", &both, "{}", 1));
        }
        assert_eq!(e.signature("msg_1", 1, "{}", 2_000).split(' ').count(), 1, "the grace is over");
        e.previous_until = None;
        assert_eq!(e.signature("msg_1", 1, "{}", 0).split(' ').count(), 1);
    }

    #[test]
    fn the_legacy_signature_matches_an_independent_computation() {
        // python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_test',b'1700000000.{\"a\":1}',hashlib.sha256).hexdigest())"
        assert_eq!(
            legacy_signature("whsec_test", 1_700_000_000, "{\"a\":1}"),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
