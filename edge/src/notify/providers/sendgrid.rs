//! Twilio SendGrid v3 Mail Send
//! (twilio.com/docs/sendgrid/api-reference/mail-send/mail-send): `POST /v3/mail/send`
//! with `Authorization: Bearer <API key>` and a JSON body: `personalizations` (one, with
//! `to: [{email}]`), `from: {email, name}`, `reply_to`, `subject`, `content` (text/plain
//! first, then text/html, as SendGrid requires), `headers`, `attachments` (base64
//! `content`, `filename`, `type`, `disposition`). No idempotency key. Answers: 202
//! Accepted with an empty body and the message id in `X-Message-Id`; 400 with
//! `{"errors": [{message, field}]}` and other 4xx permanent; 429 retry (after
//! `Retry-After`, else until `X-RateLimit-Reset`, a Unix time); 5xx retry.

use restock_shared::Timestamp;
use serde_json::{Map, Value, json};

use super::{Call, Reply, base64, by_status, extra_headers, join};
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

pub const BASE: &str = "https://api.sendgrid.com";

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub base: String,
    pub key: String,
    pub from: String,
}

pub fn request(s: &Settings, email: &Email) -> Call {
    let headers: Map<String, Value> = extra_headers(email).map(|(k, v)| (k.to_owned(), json!(v))).collect();
    let mut from = json!({ "email": email.from_or(&s.from) });
    if !email.from_name.is_empty() {
        from["name"] = json!(email.from_name);
    }
    let mut body = json!({
        "personalizations": [{ "to": [{ "email": email.to }] }],
        "from": from,
        "subject": email.subject,
        "content": [
            { "type": "text/plain", "value": email.text },
            { "type": "text/html", "value": email.html },
        ],
        "headers": headers,
    });
    if let Some(reply_to) = &email.reply_to {
        body["reply_to"] = json!({ "email": reply_to });
    }
    if !email.attachments.is_empty() {
        body["attachments"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({ "content": base64(a.content.as_bytes()), "filename": a.filename, "type": a.content_type, "disposition": "attachment" })
            })
            .collect();
    }
    Call {
        url: join(&s.base, "/v3/mail/send"),
        headers: vec![
            ("authorization".into(), format!("Bearer {}", s.key)),
            ("content-type".into(), "application/json".into()),
        ],
        body: body.to_string(),
    }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    if (200..300).contains(&reply.status) {
        return Outcome::Sent { provider_id: reply.header("x-message-id").map(str::to_owned) };
    }
    let v = reply.json();
    let messages: Vec<&str> =
        v["errors"].as_array().into_iter().flatten().filter_map(|e| e["message"].as_str()).collect();
    let what = if messages.is_empty() { reply.hint() } else { messages.join("; ") };
    match by_status(reply, now, &what) {
        Outcome::Retry { error, after: None } if reply.status == 429 => {
            let reset = reply.header("x-ratelimit-reset").and_then(|r| r.parse::<i64>().ok());
            let after = reset.and_then(|at| u32::try_from((at - now.millis() / 1000).max(0)).ok());
            Outcome::Retry { error, after }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::tests::{email, now, reply};

    #[test]
    fn builds_the_documented_request() {
        let s = Settings { base: BASE.into(), key: "SG.key".into(), from: "shop@mugs.example".into() };
        let call = request(&s, &email());
        assert_eq!(call.url, "https://api.sendgrid.com/v3/mail/send");
        assert_eq!(call.header("authorization"), Some("Bearer SG.key"));
        assert_eq!(call.header("idempotency-key"), None);
        let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
        assert_eq!(body["personalizations"], json!([{ "to": [{ "email": "ana@example.com" }] }]));
        assert_eq!(body["from"], json!({ "email": "shop@mugs.example", "name": "Ana's \"Mugs\", Ltd" }));
        assert_eq!(body["reply_to"], json!({ "email": "help@mugs.example" }));
        assert_eq!(body["content"][0]["type"], "text/plain");
        assert_eq!(body["content"][1]["type"], "text/html");
        assert_eq!(body["headers"]["List-Unsubscribe"], "<https://r.example/u?token=t>");
        assert_eq!(body["attachments"][0]["disposition"], "attachment");
    }

    #[test]
    fn reads_the_message_id_header_and_errors() {
        assert_eq!(
            outcome(&reply(202, &[("X-Message-Id", "sg-abc")], ""), now()),
            Outcome::Sent { provider_id: Some("sg-abc".into()) }
        );
        let bad =
            r#"{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}"#;
        assert_eq!(
            outcome(&reply(400, &[], bad), now()),
            Outcome::Permanent("HTTP 400 Does not contain a valid address.".into())
        );
        let reset = (now().millis() / 1000 + 12).to_string();
        assert!(matches!(
            outcome(&reply(429, &[("X-RateLimit-Reset", &reset)], "{}"), now()),
            Outcome::Retry { after: Some(12), .. }
        ));
        assert!(matches!(
            outcome(&reply(429, &[("Retry-After", "4")], "{}"), now()),
            Outcome::Retry { after: Some(4), .. }
        ));
    }
}
