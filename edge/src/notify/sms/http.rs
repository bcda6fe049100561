//! The generic SMS API (`SMS_PROVIDER = "http"`): Restock's own JSON, for a merchant's
//! gateway or a provider not listed. `POST <url>` with `Authorization: Bearer <key>`
//! and `{"to": "+E.164", "body": "...", "idempotency_key": "<the delivery's dedupe
//! key>"}`. A 2xx is sent (the answer's `id`, if any, is the message id); 408, 425,
//! 429 and 5xx are retried, after `Retry-After` when given; any other status is
//! permanent.

use restock_shared::Timestamp;
use serde_json::json;

use super::Sms;
use crate::notify::provider::Outcome;
use crate::notify::providers::{Call, Reply, by_status};

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub url: String,
    pub key: String,
}

pub fn request(s: &Settings, sms: &Sms, idempotency_key: &str) -> Call {
    let body = json!({ "to": sms.to, "body": sms.body, "idempotency_key": idempotency_key });
    Call {
        url: s.url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {}", s.key)),
        ],
        body: body.to_string(),
    }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    match by_status(reply, now, &reply.hint()) {
        Outcome::Sent { .. } => Outcome::Sent { provider_id: reply.json()["id"].as_str().map(str::to_owned) },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::notify::providers::tests::{now, reply};

    #[test]
    fn builds_restocks_json() {
        let s = Settings { url: "https://sms.example/v1/send".into(), key: "gw-key".into() };
        let sms = Sms { to: "+447700900123".into(), body: "Back \"in\" stock\n✓".into() };
        let call = request(&s, &sms, "restock:dl_1");
        assert_eq!(call.url, "https://sms.example/v1/send");
        assert_eq!(call.header("authorization"), Some("Bearer gw-key"));
        assert_eq!(call.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
        assert_eq!(
            body,
            json!({ "to": "+447700900123", "body": "Back \"in\" stock\n✓", "idempotency_key": "restock:dl_1" })
        );
    }

    #[test]
    fn reads_ids_retries_and_refusals() {
        assert_eq!(
            outcome(&reply(200, &[], r#"{"id":"m-1"}"#), now()),
            Outcome::Sent { provider_id: Some("m-1".into()) }
        );
        assert_eq!(outcome(&reply(202, &[], ""), now()), Outcome::Sent { provider_id: None });
        assert_eq!(
            outcome(&reply(429, &[("retry-after", "4")], "slow down"), now()),
            Outcome::Retry { error: "HTTP 429 slow down".into(), after: Some(4) }
        );
        assert!(matches!(outcome(&reply(502, &[], ""), now()), Outcome::Retry { after: None, .. }));
        assert_eq!(outcome(&reply(400, &[], "bad number"), now()), Outcome::Permanent("HTTP 400 bad number".into()));
        assert!(matches!(outcome(&reply(401, &[], ""), now()), Outcome::Permanent(_)));
        assert!(matches!(outcome(&reply(404, &[], ""), now()), Outcome::Permanent(_)));
    }
}
