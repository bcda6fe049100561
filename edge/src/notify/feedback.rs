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
//! - SendGrid signs its Event Webhook with ECDSA P-256
//!   (twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
//!   `X-Twilio-Email-Event-Webhook-Signature` is base64 of a DER signature over SHA-256
//!   of `X-Twilio-Email-Event-Webhook-Timestamp` followed by the raw body, checked with
//!   the verification key SendGrid shows (base64 of a DER public key), which is
//!   `EMAIL_WEBHOOK_SECRET` here. The body is a JSON array of events: `bounce` (but not
//!   `type: blocked`, a soft bounce), `dropped` for a bounced or invalid address,
//!   `spamreport`, with `email` and `sg_message_id` (the `X-Message-Id` of the send,
//!   then `.filter…`).
//! - SES's arrive through Amazon SNS, signed with RSA and a certificate from SNS's own
//!   host, for the topics in `SES_SNS_TOPIC_ARN` (`sns.rs`).

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

/// SendGrid's check: the base64 DER `signature` of `timestamp` + `body`, by the key
/// whose base64 DER SubjectPublicKeyInfo is `public_key`. SendGrid documents no time
/// window and retries for up to a day, so none is imposed: replaying a genuine bounce
/// can only suppress an address that did bounce.
pub fn verify_sendgrid(public_key: &str, timestamp: &str, body: &str, signature: &str) -> bool {
    let (Some(key), Some(sig)) =
        (crate::crypto::base64_decode(public_key.trim()), crate::crypto::base64_decode(signature.trim()))
    else {
        return false;
    };
    !timestamp.is_empty() && super::signatures::ecdsa_p256_valid(&key, format!("{timestamp}{body}").as_bytes(), &sig)
}

/// SendGrid's events: hard bounces, drops of bounced or invalid addresses, spam reports.
pub fn sendgrid(body: &Value) -> Vec<Feedback> {
    body.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let reason = match (e["event"].as_str(), e["type"].as_str(), e["reason"].as_str()) {
                (Some("bounce"), t, _) if t != Some("blocked") => Reason::Bounce,
                (Some("dropped"), _, Some(r)) if r.contains("Bounced Address") || r.contains("Invalid") => {
                    Reason::Bounce
                }
                (Some("dropped"), _, Some(r)) if r.contains("Spam Reporting Address") => Reason::Complaint,
                (Some("spamreport"), _, _) => Reason::Complaint,
                _ => return None,
            };
            let to = e["email"].as_str()?;
            let id = e["sg_message_id"].as_str().map(|m| m.split('.').next().unwrap_or(m).to_owned());
            Some(Feedback { message_id: id, recipient: to.to_owned(), reason, detail: text(&e["reason"]) })
        })
        .collect()
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
    if !matches!(provider, "resend" | "mailgun" | "postmark" | "sendgrid" | "ses") {
        return Err(ApiError::not_found(
            "webhook_not_supported",
            "feedback webhooks: resend, mailgun, postmark, sendgrid, ses",
        ));
    }
    if provider == "ses" {
        return receive_sns(ctx, req).await;
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
        "sendgrid" => verify_sendgrid(
            &secret,
            &header("x-twilio-email-event-webhook-timestamp"),
            &body_text,
            &header("x-twilio-email-event-webhook-signature"),
        ),
        _ => true, // Mailgun signs inside the body: checked once it is parsed.
    };
    if !verified {
        return Err(ApiError::Unauthorized);
    }
    // SendGrid posts an array of events; the others one JSON object.
    let body: Value = if provider == "sendgrid" {
        serde_json::from_str(&body_text)
            .map_err(|_| ApiError::bad_request("invalid_json", "the body is not SendGrid's JSON array of events"))?
    } else {
        http::parse_json(body_text.as_bytes())?
    };
    if provider == "mailgun" && !verify_mailgun(&secret, &body, now) {
        return Err(ApiError::Unauthorized);
    }
    let feedback = match provider {
        "resend" => resend(&body),
        "mailgun" => mailgun(&body),
        "sendgrid" => sendgrid(&body),
        _ => postmark(&body),
    };
    taken(ctx, provider, &feedback).await
}

/// Suppresses each of `feedback` and says how many it was and how many took.
async fn taken(ctx: &Ctx, provider: &str, feedback: &[Feedback]) -> Result<Response, ApiError> {
    let mut suppressed = 0;
    for f in feedback {
        suppressed += suppress(ctx, provider, f).await?;
    }
    http::json(200, &json!({ "received": feedback.len(), "suppressed": suppressed }))
}

/// `POST /v1/hooks/email/ses`: Amazon SNS's messages for SES (`sns.rs`).
async fn receive_sns(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let topics = &ctx.config.ses_sns_topic_arns;
    if ctx.config.email_kind_name() != Some("ses") || topics.is_empty() {
        return Err(ApiError::not_found(
            "webhook_not_configured",
            "set EMAIL_PROVIDER to ses and SES_SNS_TOPIC_ARN to the SNS topic SES publishes to",
        ));
    }
    // SNS posts its JSON as text/plain.
    let raw = http::read_body(req, "text/plain").await?;
    let msg: Value = http::parse_json(&raw)?;
    let test_host = ctx.config.sns_test_host.as_deref();
    let topic_ok = msg["TopicArn"].as_str().is_some_and(|t| topics.iter().any(|k| k == t));
    if !topic_ok || !super::sns::verified(ctx, &msg, test_host).await? {
        return Err(ApiError::Unauthorized);
    }
    match msg["Type"].as_str() {
        Some("SubscriptionConfirmation") => {
            let confirmed = super::sns::confirm(ctx, &msg, test_host).await?;
            http::json(200, &json!({ "confirmed": confirmed }))
        }
        Some("Notification") => {
            let inner: Value = msg["Message"].as_str().and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
            taken(ctx, "ses", &super::sns::ses_feedback(&inner)).await
        }
        _ => http::json(200, &json!({ "received": 0, "suppressed": 0 })),
    }
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
                 WHERE shop_id = ?1 AND email = ?2 COLLATE NOCASE AND status IN ('pending', 'active', 'notified')",
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
    fn sendgrid_events_are_read_as_sendgrid_documents_them() {
        let events = json!([
            { "email": "hard@b.co", "event": "bounce", "type": "bounce", "reason": "550 5.1.1 no such user",
              "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0" },
            { "email": "soft@b.co", "event": "bounce", "type": "blocked", "reason": "421 try later",
              "sg_message_id": "x.filter0001" },
            { "email": "spam@b.co", "event": "spamreport", "sg_message_id": "abc.filter0002.1" },
            { "email": "gone@b.co", "event": "dropped", "reason": "Bounced Address", "sg_message_id": "def.f" },
            { "email": "unsub@b.co", "event": "dropped", "reason": "Unsubscribed Address", "sg_message_id": "g.f" },
            { "email": "ok@b.co", "event": "delivered", "sg_message_id": "h.f" },
            { "event": "bounce", "type": "bounce" }
        ]);
        let f = sendgrid(&events);
        let got: Vec<_> = f.iter().map(|f| (f.recipient.as_str(), f.reason, f.message_id.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("hard@b.co", Reason::Bounce, Some("14c5d75ce93")),
                ("spam@b.co", Reason::Complaint, Some("abc")),
                ("gone@b.co", Reason::Bounce, Some("def")),
            ]
        );
        assert!(sendgrid(&json!({ "event": "bounce" })).is_empty(), "an object is not SendGrid's array");
    }

    #[test]
    fn sendgrid_signatures_are_checked_with_the_verification_key() {
        // SendGrid's own example (the test of its Node.js `@sendgrid/eventwebhook` helper).
        let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
        let sig = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
        let body = r#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;
        assert!(verify_sendgrid(key, "1588788367", body, sig));
        assert!(!verify_sendgrid(key, "1588788366", body, sig));
        assert!(!verify_sendgrid(key, "", body, sig));
        assert!(!verify_sendgrid("bm90IGEga2V5", "1588788367", body, sig));
        assert!(!verify_sendgrid(key, "1588788367", body, "!!"));
    }

    #[test]
    fn a_suppression_keeps_a_hash_and_a_hint_never_the_address() {
        let (hash, hint) = address_key("Ada@Example.com").unwrap_or_default();
        assert_eq!(hint, "a•••@example.com");
        assert_eq!(hash, sha256_hex(b"ada@example.com"));
        assert_eq!(address_key("not an address"), None);
    }
}
