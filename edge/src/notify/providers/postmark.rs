//! Postmark (postmarkapp.com/developer/api/email-api, "Send a single email"):
//! `POST /email` with `X-Postmark-Server-Token`, `Accept` and `Content-Type:
//! application/json`, and a JSON body (`From`, `To`, `Subject`, `TextBody`, `HtmlBody`,
//! `ReplyTo`, `Headers` as `[{Name, Value}]`, `Attachments` as `[{Name, Content (base64),
//! ContentType}]`, `MessageStream`). Postmark has no idempotency key. Answers
//! (postmarkapp.com/developer/api/overview#response-codes and #error-codes): 200 with
//! `ErrorCode` 0 and the `MessageID`; 422 with a non-zero `ErrorCode` and `Message`
//! (for example 406, an inactive recipient: permanent); 429 and 5xx retry.

use restock_shared::Timestamp;
use serde_json::{Value, json};

use super::{Call, Reply, base64, by_status, extra_headers, join, mailbox};
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

pub const BASE: &str = "https://api.postmarkapp.com";
/// Postmark's default transactional stream.
pub const DEFAULT_STREAM: &str = "outbound";

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub base: String,
    pub token: String,
    pub from: String,
    pub stream: String,
}

pub fn request(s: &Settings, email: &Email) -> Call {
    let headers: Vec<Value> = extra_headers(email).map(|(k, v)| json!({ "Name": k, "Value": v })).collect();
    let mut body = json!({
        "From": mailbox(&email.from_name, email.from_or(&s.from)),
        "To": email.to,
        "Subject": email.subject,
        "TextBody": email.text,
        "HtmlBody": email.html,
        "Headers": headers,
        "MessageStream": s.stream,
    });
    if let Some(reply_to) = &email.reply_to {
        body["ReplyTo"] = json!(reply_to);
    }
    if !email.attachments.is_empty() {
        body["Attachments"] = email
            .attachments
            .iter()
            .map(|a| json!({ "Name": a.filename, "Content": base64(a.content.as_bytes()), "ContentType": a.content_type }))
            .collect();
    }
    Call {
        url: join(&s.base, "/email"),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("content-type".into(), "application/json".into()),
            ("x-postmark-server-token".into(), s.token.clone()),
        ],
        body: body.to_string(),
    }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    let v = reply.json();
    let code = v["ErrorCode"].as_i64();
    let what = match code {
        Some(c) => format!("ErrorCode {c}: {}", v["Message"].as_str().unwrap_or_default()),
        None => reply.hint(),
    };
    match (reply.status, code) {
        (200..=299, Some(0) | None) => Outcome::Sent { provider_id: v["MessageID"].as_str().map(str::to_owned) },
        (200..=299, Some(_)) => Outcome::Permanent(format!("HTTP {} {what}", reply.status)),
        _ => by_status(reply, now, &what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::tests::{email, now, reply};

    #[test]
    fn builds_the_documented_request() {
        let s = Settings {
            base: BASE.into(),
            token: "pm-token".into(),
            from: "shop@mugs.example".into(),
            stream: "outbound".into(),
        };
        let call = request(&s, &email());
        assert_eq!(call.url, "https://api.postmarkapp.com/email");
        assert_eq!(call.header("x-postmark-server-token"), Some("pm-token"));
        assert_eq!(call.header("accept"), Some("application/json"));
        assert_eq!(call.header("authorization"), None);
        let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
        assert_eq!(body["To"], "ana@example.com");
        assert_eq!(body["MessageStream"], "outbound");
        assert_eq!(body["ReplyTo"], "help@mugs.example");
        assert_eq!(
            body["Headers"][1],
            json!({ "Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click" })
        );
        assert_eq!(body["Attachments"][0]["Name"], "digest.csv");
        assert_eq!(body["TextBody"], "It is back.");
    }

    #[test]
    fn reads_message_ids_and_error_codes() {
        let ok = r#"{"To":"ana@example.com","SubmittedAt":"2026-12-02T10:00:00Z","MessageID":"b7bc2f4a","ErrorCode":0,"Message":"OK"}"#;
        assert_eq!(outcome(&reply(200, &[], ok), now()), Outcome::Sent { provider_id: Some("b7bc2f4a".into()) });
        let inactive =
            r#"{"ErrorCode":406,"Message":"You tried to send to recipient(s) that have been marked as inactive."}"#;
        let Outcome::Permanent(e) = outcome(&reply(422, &[], inactive), now()) else { panic!("permanent") };
        assert!(e.starts_with("HTTP 422 ErrorCode 406: You tried"), "{e}");
        assert!(matches!(
            outcome(&reply(429, &[("Retry-After", "5")], "{}"), now()),
            Outcome::Retry { after: Some(5), .. }
        ));
        assert!(matches!(outcome(&reply(503, &[], ""), now()), Outcome::Retry { .. }));
    }
}
