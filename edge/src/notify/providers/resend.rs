//! Resend (resend.com/docs/api-reference/emails/send-email): `POST /emails` with
//! `Authorization: Bearer <API key>` and a JSON body (`from`, `to`, `subject`, `html`,
//! `text`, `reply_to`, `headers`, `attachments` with base64 `content`). It takes an
//! `Idempotency-Key` header (resend.com/docs/dashboard/emails/idempotency-keys: at most
//! 256 characters, remembered for 24 hours), so a retry after a lost answer is never a
//! second email. Answers (resend.com/docs/api-reference/errors): 200 `{"id"}`; 429
//! `rate_limit_exceeded` / quota with `retry-after`; 409 `concurrent_idempotent_requests`
//! (the first try is still running: retry); other 4xx are permanent; 5xx retry.

use restock_shared::Timestamp;
use serde_json::{Map, Value, json};

use super::{Call, Reply, base64, by_status, extra_headers, join, mailbox};
use crate::crypto::sha256_hex;
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

pub const BASE: &str = "https://api.resend.com";

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub base: String,
    pub key: String,
    pub from: String,
}

pub fn request(s: &Settings, email: &Email, idempotency_key: &str) -> Call {
    let headers: Map<String, Value> = extra_headers(email).map(|(k, v)| (k.to_owned(), json!(v))).collect();
    let mut body = json!({
        "from": mailbox(&email.from_name, email.from_or(&s.from)),
        "to": [email.to],
        "subject": email.subject,
        "html": email.html,
        "text": email.text,
        "headers": headers,
    });
    if let Some(reply_to) = &email.reply_to {
        body["reply_to"] = json!(reply_to);
    }
    if !email.attachments.is_empty() {
        body["attachments"] = email
            .attachments
            .iter()
            .map(|a| json!({ "filename": a.filename, "content": base64(a.content.as_bytes()), "content_type": a.content_type }))
            .collect();
    }
    // Our dedupe keys are short; a long one is hashed to stay within Resend's 256.
    let key =
        if idempotency_key.len() <= 256 { idempotency_key.to_owned() } else { sha256_hex(idempotency_key.as_bytes()) };
    Call {
        url: join(&s.base, "/emails"),
        headers: vec![
            ("authorization".into(), format!("Bearer {}", s.key)),
            ("content-type".into(), "application/json".into()),
            ("idempotency-key".into(), key),
        ],
        body: body.to_string(),
    }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    let v = reply.json();
    let name = v["name"].as_str().unwrap_or_default();
    let what = format!("{name}: {}", v["message"].as_str().unwrap_or(&reply.hint()));
    match reply.status {
        200..=299 => Outcome::Sent { provider_id: v["id"].as_str().map(str::to_owned) },
        409 if name == "concurrent_idempotent_requests" => {
            Outcome::Retry { error: format!("HTTP 409 {what}"), after: super::retry_after(reply, now) }
        }
        _ => by_status(reply, now, &what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::tests::{email, now, reply};

    #[test]
    fn builds_the_documented_request() {
        let s = Settings { base: BASE.into(), key: "re_123".into(), from: "shop@mugs.example".into() };
        let call = request(&s, &email(), "restock:sub_1");
        assert_eq!(call.url, "https://api.resend.com/emails");
        assert_eq!(call.header("authorization"), Some("Bearer re_123"));
        assert_eq!(call.header("idempotency-key"), Some("restock:sub_1"));
        let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
        assert_eq!(body["from"], r#""Ana's \"Mugs\", Ltd" <shop@mugs.example>"#);
        assert_eq!(body["to"], json!(["ana@example.com"]));
        assert_eq!(body["reply_to"], "help@mugs.example");
        assert_eq!(body["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
        assert_eq!(body["attachments"][0]["content"], base64(b"sku,open\nMUG,3\n"));
        assert_eq!(body["attachments"][0]["filename"], "digest.csv");
        let long = "k".repeat(300);
        assert_eq!(request(&s, &email(), &long).header("idempotency-key").map(str::len), Some(64));
    }

    #[test]
    fn reads_ids_rate_limits_and_errors() {
        assert_eq!(
            outcome(&reply(200, &[], r#"{"id":"49a3999c"}"#), now()),
            Outcome::Sent { provider_id: Some("49a3999c".into()) }
        );
        let limited = r#"{"statusCode":429,"name":"rate_limit_exceeded","message":"Too many requests"}"#;
        assert!(matches!(
            outcome(&reply(429, &[("retry-after", "2")], limited), now()),
            Outcome::Retry { after: Some(2), .. }
        ));
        let busy = r#"{"statusCode":409,"name":"concurrent_idempotent_requests","message":"in progress"}"#;
        assert!(matches!(outcome(&reply(409, &[], busy), now()), Outcome::Retry { .. }));
        let bad = r#"{"statusCode":422,"name":"validation_error","message":"Invalid `to` field."}"#;
        assert_eq!(
            outcome(&reply(422, &[], bad), now()),
            Outcome::Permanent("HTTP 422 validation_error: Invalid `to` field.".into())
        );
        assert!(matches!(outcome(&reply(500, &[], "oops"), now()), Outcome::Retry { .. }));
    }
}
