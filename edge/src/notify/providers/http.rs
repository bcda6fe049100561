//! The generic HTTP email API (`EMAIL_PROVIDER = "http"`): Restock's own JSON, for a
//! merchant's relay or a provider not listed. `POST EMAIL_API_URL` with
//! `Authorization: Bearer EMAIL_API_KEY`, `Idempotency-Key` (the delivery's dedupe key)
//! and `{from: {name, email}, reply_to, to, subject, text, html, headers, attachments:
//! [{filename, content_type, content_base64url}]}`; the answer's `id` is the message id.

use restock_shared::Timestamp;
use serde_json::json;

use super::{Call, Reply, by_status};
use crate::crypto::base64url;
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub url: String,
    pub key: String,
    pub from: String,
}

pub fn request(s: &Settings, email: &Email, idempotency_key: &str) -> Call {
    let headers: serde_json::Map<String, serde_json::Value> =
        email.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let attachments: Vec<serde_json::Value> = email
        .attachments
        .iter()
        .map(|a| json!({ "filename": a.filename, "content_type": a.content_type, "content_base64url": base64url(a.content.as_bytes()) }))
        .collect();
    let body = json!({
        "from": { "name": email.from_name, "email": email.from_or(&s.from) },
        "reply_to": email.reply_to,
        "to": email.to,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "headers": headers,
        "attachments": attachments,
    });
    Call {
        url: s.url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {}", s.key)),
            ("idempotency-key".into(), idempotency_key.to_owned()),
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
