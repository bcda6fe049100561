//! Bounce and complaint feedback from the email providers (issue 16):
//! `POST /v1/hooks/email/{provider}` takes the provider's own webhook, verified as the
//! provider documents it with `EMAIL_WEBHOOK_SECRET`, and turns each hard bounce or
//! spam complaint into a suppression of that address for the shop that sent the email
//! (found by the provider's message id, which the delivery log keeps). A suppressed
//! address is never mailed again by that shop (the consumer skips it), and its
//! waitlist signups end (`unsubscribed`). Suppressions hold a hash of the address and a
//! masked hint, never the address: an erasure leaves nothing behind there.
//!
//! - Resend signs with Svix (resend.com/docs/webhooks/verify-webhooks-requests):
//!   `svix-id`, `svix-timestamp`, `svix-signature: v1,<base64>` (several during a
//!   rotation), HMAC-SHA256 over `id.timestamp.body` keyed with the base64 after
//!   `whsec_`; events `email.bounced` (a permanent rejection) and `email.complained`,
//!   with `data.email_id` and `data.to`.
//! - Mailgun signs inside the body (documentation.mailgun.com, "Securing webhooks"):
//!   `signature.signature` is hex HMAC-SHA256 of `timestamp` + `token` keyed with the
//!   HTTP webhook signing key; `event-data.event` `failed` with `severity: permanent`,
//!   or `complained`, with `recipient` and `message.headers.message-id`.
//! - Postmark does not sign; its webhooks can carry custom HTTP headers
//!   (postmarkapp.com/developer/webhooks/webhooks-overview), so it is configured to send
//!   `X-Restock-Webhook-Token: <EMAIL_WEBHOOK_SECRET>`; `RecordType` `Bounce` with
//!   `Type: HardBounce`, or `SpamComplaint`, with `MessageID` and `Email`.
//!
//! SendGrid (ECDSA-signed event webhook) and SES (SNS-signed notifications) are not
//! taken yet: their requests are answered 404 `webhook_not_supported`.

use restock_shared::Email;
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::crypto::{ct_eq, hex, hmac_sha256, sha256_hex};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;

/// How old a signed webhook may be (Svix's and Mailgun's own tolerance).
pub const TOLERANCE_SECS: i64 = 300;

/// What a provider told us about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The provider's id of the message, as its send API answered it.
    pub message_id: Option<String>,
    pub recipient: String,
    pub reason: Reason,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Bounce,
    Complaint,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Bounce => "bounce",
            Reason::Complaint => "complaint",
        }
    }
}

/// Svix's signature check (Resend): any `v1,` signature of `id.timestamp.body` with the
/// key under `whsec_`, within [`TOLERANCE_SECS`] of `now_secs`.
pub fn verify_svix(secret: &str, id: &str, timestamp: &str, signatures: &str, body: &str, now_secs: i64) -> bool {
    // Svix's headers carry the Standard Webhooks scheme, which our own webhooks use.
    crate::notify::webhooks::verify(secret, id, timestamp, signatures, body, now_secs)
}

/// Mailgun's signature check: hex HMAC-SHA256 of `timestamp` + `token`, within the
/// tolerance.
pub fn verify_mailgun(key: &str, body: &Value, now_secs: i64) -> bool {
    let sig = &body["signature"];
    let (Some(ts), Some(token), Some(given)) =
        (sig["timestamp"].as_str(), sig["token"].as_str(), sig["signature"].as_str())
    else {
        return false;
    };
    let fresh = ts.parse::<i64>().is_ok_and(|t| (now_secs - t).abs() <= TOLERANCE_SECS);
    let expected = hex(&hmac_sha256(key.as_bytes(), format!("{ts}{token}").as_bytes()));
    fresh && ct_eq(given.as_bytes(), expected.as_bytes())
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().chars().take(300).collect()
}

/// Resend's events: bounces (unless Resend calls the bounce transient) and complaints.
pub fn resend(body: &Value) -> Vec<Feedback> {
    let reason = match body["type"].as_str() {
        Some("email.bounced") if body["data"]["bounce"]["type"] != "Transient" => Reason::Bounce,
        Some("email.complained") => Reason::Complaint,
        _ => return Vec::new(),
    };
    let data = &body["data"];
    let detail = text(&data["bounce"]["message"]);
    data["to"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|to| Feedback {
            message_id: data["email_id"].as_str().map(str::to_owned),
            recipient: to.to_owned(),
            reason,
            detail: detail.clone(),
        })
        .collect()
}

/// Mailgun's event: a permanent failure or a complaint.
pub fn mailgun(body: &Value) -> Vec<Feedback> {
    let e = &body["event-data"];
    let reason = match (e["event"].as_str(), e["severity"].as_str()) {
        (Some("failed"), Some("permanent")) => Reason::Bounce,
        (Some("complained"), _) => Reason::Complaint,
        _ => return Vec::new(),
    };
    let Some(to) = e["recipient"].as_str() else { return Vec::new() };
    let id = e["message"]["headers"]["message-id"].as_str().map(|m| m.trim_matches(['<', '>']).to_owned());
    vec![Feedback { message_id: id, recipient: to.to_owned(), reason, detail: text(&e["delivery-status"]["message"]) }]
}

/// Postmark's record: a hard bounce or a spam complaint.
pub fn postmark(body: &Value) -> Vec<Feedback> {
    let reason = match (body["RecordType"].as_str(), body["Type"].as_str()) {
        (Some("Bounce"), Some("HardBounce")) => Reason::Bounce,
        (Some("SpamComplaint"), _) => Reason::Complaint,
        _ => return Vec::new(),
    };
    let Some(to) = body["Email"].as_str() else { return Vec::new() };
    vec![Feedback {
        message_id: body["MessageID"].as_str().map(str::to_owned),
        recipient: to.to_owned(),
        reason,
        detail: text(&body["Description"]),
    }]
}

/// What a suppression keeps of an address: its hash (of the canonical spelling) and a
/// hint for people (`a•••@example.com`).
pub fn address_key(address: &str) -> Option<(String, String)> {
    let email = Email::parse(address).ok()?;
    let canonical = email.as_str().to_ascii_lowercase();
    let (local, domain) = canonical.split_once('@')?;
    let first: String = local.chars().take(1).collect();
    Some((sha256_hex(canonical.as_bytes()), format!("{first}•••@{domain}")))
}

/// `POST /v1/hooks/email/{provider}`.
pub async fn receive(ctx: &Ctx, req: &mut Request, provider: &str) -> Result<Response, ApiError> {
    let configured = ctx.config.email_kind_name();
    let secret = ctx.config.email_webhook_secret.as_ref().map(|s| s.expose().to_owned());
    if !matches!(provider, "resend" | "mailgun" | "postmark") {
        return Err(ApiError::not_found("webhook_not_supported", "feedback webhooks: resend, mailgun, postmark"));
    }
    let (Some(secret), true) = (secret, configured == Some(provider)) else {
        return Err(ApiError::not_found(
            "webhook_not_configured",
            "set EMAIL_PROVIDER to this provider and the EMAIL_WEBHOOK_SECRET secret",
        ));
    };
    let raw = http::read_body(req, "application/json").await?;
    let body_text = String::from_utf8(raw).map_err(|_| ApiError::bad_request("invalid_body", "not UTF-8"))?;
    let now = ctx.now.millis() / 1000;
    let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
    let verified = match provider {
        "resend" => verify_svix(
            &secret,
            &header("svix-id"),
            &header("svix-timestamp"),
            &header("svix-signature"),
            &body_text,
            now,
        ),
        "postmark" => ct_eq(header("x-restock-webhook-token").as_bytes(), secret.as_bytes()),
        _ => true, // Mailgun signs inside the body: checked once it is parsed.
    };
    let body: Value = http::parse_json(body_text.as_bytes())?;
    if !verified || (provider == "mailgun" && !verify_mailgun(&secret, &body, now)) {
        return Err(ApiError::Unauthorized);
    }
    let feedback = match provider {
        "resend" => resend(&body),
        "mailgun" => mailgun(&body),
        _ => postmark(&body),
    };
    let mut suppressed = 0;
    for f in &feedback {
        suppressed += suppress(ctx, provider, f).await?;
    }
    http::json(200, &json!({ "received": feedback.len(), "suppressed": suppressed }))
}

/// Suppresses `f.recipient` for the shop whose delivery the provider's message id
/// names, and ends that address's signups there. Unknown messages change nothing.
async fn suppress(ctx: &Ctx, provider: &str, f: &Feedback) -> Result<usize, ApiError> {
    #[derive(serde::Deserialize)]
    struct Sent {
        shop_id: String,
    }
    let (Some(id), Some((hash, hint))) = (f.message_id.as_deref(), address_key(&f.recipient)) else { return Ok(0) };
    let bracketed = format!("<{id}>");
    // The delivery is in its shop's database (`shard.rs`): ask each in turn.
    let mut found = None;
    for binding in ctx.config.shards.all() {
        let db = ctx.db_named(binding)?;
        let sent: Option<Sent> = db::first(db::stmt(
            &db,
            "SELECT shop_id FROM deliveries WHERE provider_id IN (?1, ?2) AND lower(recipient) = lower(?3) LIMIT 1",
            crate::args![id, bracketed.as_str(), f.recipient.as_str()],
        )?)
        .await?;
        if let Some(sent) = sent {
            found = Some((db, sent));
            break;
        }
    }
    let Some((db, sent)) = found else { return Ok(0) };
    let now = ctx.now.millis();
    let results = db::batch(
        &db,
        vec![
            db::stmt(
                &db,
                "INSERT INTO suppressions (shop_id, email_hash, hint, reason, source, detail, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT(shop_id, email_hash) DO UPDATE SET reason = excluded.reason, detail = excluded.detail \
                   WHERE suppressions.reason != 'complaint'",
                crate::args![
                    sent.shop_id.as_str(),
                    hash.as_str(),
                    hint.as_str(),
                    f.reason.as_str(),
                    provider,
                    f.detail.as_str(),
                    now
                ],
            )?,
            db::stmt(
                &db,
                "UPDATE waitlist SET status = 'unsubscribed', ended_reason = ?4, updated_at = ?3 \
                 WHERE shop_id = ?1 AND lower(email) = lower(?2) AND status IN ('pending', 'active', 'notified')",
                crate::args![sent.shop_id.as_str(), f.recipient.as_str(), now, f.reason.as_str()],
            )?,
        ],
    )
    .await?;
    Ok(results.first().map(db::changes).unwrap_or(0).min(1))
}

/// `GET /v1/admin/suppressions?cursor=&limit=`: the shop's suppressed addresses (hint,
/// reason, provider, when), newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Row {
        email_hash: String,
        hint: String,
        reason: String,
        source: String,
        detail: Option<String>,
        created_at: i64,
    }
    let shop = crate::shops::auth::shop(ctx, req).await?;
    let page = crate::paging::Page::from_request(req)?;
    let offset = page.cursor_seq()?;
    let mut items: Vec<Row> = db::all(db::stmt(
        &ctx.db,
        "SELECT email_hash, hint, reason, source, detail, created_at FROM suppressions WHERE shop_id = ?1 \
         ORDER BY created_at DESC, email_hash LIMIT ?2 OFFSET ?3",
        crate::args![shop.id.as_str(), page.limit + 1, offset],
    )?)
    .await?;
    let more = items.len() > page.limit as usize;
    items.truncate(page.limit as usize);
    let next = more.then(|| crate::paging::Page::encode_seq(offset + i64::from(page.limit)));
    http::json(200, &json!({ "items": items, "next_cursor": next }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{base64, base64_decode};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn svix_sign(id: &str, ts: &str, body: &str) -> String {
        let key = base64_decode(&SECRET[6..]).unwrap_or_default();
        format!("v1,{}", base64(&hmac_sha256(&key, format!("{id}.{ts}.{body}").as_bytes())))
    }

    #[test]
    fn svix_signatures_are_checked_with_rotation_and_a_time_window() {
        let body = r#"{"type":"email.bounced"}"#;
        let good = svix_sign("msg_1", "1700000000", body);
        assert!(verify_svix(SECRET, "msg_1", "1700000000", &good, body, 1_700_000_100));
        let rotated = format!("v1,b2xkc2lnbmF0dXJl {good}");
        assert!(verify_svix(SECRET, "msg_1", "1700000000", &rotated, body, 1_700_000_100), "any of several");
        assert!(!verify_svix(SECRET, "msg_1", "1700000000", &good, "{}", 1_700_000_100), "another body");
        assert!(!verify_svix(SECRET, "msg_2", "1700000000", &good, body, 1_700_000_100), "another id");
        assert!(!verify_svix(SECRET, "msg_1", "1700000000", &good, body, 1_700_000_301), "too old");
        assert!(!verify_svix("whsec_b3RoZXI=", "msg_1", "1700000000", &good, body, 1_700_000_100), "another key");
    }

    #[test]
    fn mailgun_signatures_are_checked_with_a_time_window() {
        let sig = hex(&hmac_sha256(b"key-1", b"1700000000tok"));
        let body = json!({ "signature": { "timestamp": "1700000000", "token": "tok", "signature": sig } });
        assert!(verify_mailgun("key-1", &body, 1_700_000_010));
        assert!(!verify_mailgun("key-2", &body, 1_700_000_010));
        assert!(!verify_mailgun("key-1", &body, 1_700_000_400));
        assert!(!verify_mailgun("key-1", &json!({}), 1_700_000_010));
    }

    #[test]
    fn each_providers_hard_bounces_and_complaints_are_read_and_the_rest_ignored() {
        let r = resend(&json!({ "type": "email.bounced", "data": { "email_id": "e1", "to": ["a@b.co"],
            "bounce": { "type": "Permanent", "message": "no such user" } } }));
        assert_eq!(
            r,
            vec![Feedback {
                message_id: Some("e1".into()),
                recipient: "a@b.co".into(),
                reason: Reason::Bounce,
                detail: "no such user".into()
            }]
        );
        assert_eq!(
            resend(&json!({ "type": "email.complained", "data": { "email_id": "e1", "to": ["a@b.co"] } }))[0].reason,
            Reason::Complaint
        );
        assert!(
            resend(&json!({ "type": "email.delivered", "data": { "email_id": "e1", "to": ["a@b.co"] } })).is_empty()
        );
        let m = mailgun(&json!({ "event-data": { "event": "failed", "severity": "permanent", "recipient": "a@b.co",
            "message": { "headers": { "message-id": "<20240101.1@mg.example>" } } } }));
        assert_eq!(m[0].message_id.as_deref(), Some("20240101.1@mg.example"));
        assert!(
            mailgun(&json!({ "event-data": { "event": "failed", "severity": "temporary", "recipient": "a@b.co" } }))
                .is_empty()
        );
        let p =
            postmark(&json!({ "RecordType": "Bounce", "Type": "HardBounce", "MessageID": "p1", "Email": "a@b.co" }));
        assert_eq!((p[0].reason, p[0].message_id.as_deref()), (Reason::Bounce, Some("p1")));
        assert!(postmark(&json!({ "RecordType": "Bounce", "Type": "SoftBounce", "Email": "a@b.co" })).is_empty());
        assert_eq!(postmark(&json!({ "RecordType": "SpamComplaint", "Email": "a@b.co" }))[0].reason, Reason::Complaint);
    }

    #[test]
    fn a_suppression_keeps_a_hash_and_a_hint_never_the_address() {
        let (hash, hint) = address_key("Ada@Example.com").unwrap_or_default();
        assert_eq!(hint, "a•••@example.com");
        assert_eq!(hash, sha256_hex(b"ada@example.com"));
        assert_eq!(address_key("not an address"), None);
    }
}
