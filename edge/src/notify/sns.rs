//! Amazon SES's bounces and complaints, which arrive through Amazon SNS: an SES
//! configuration set (or identity) publishes to an SNS topic, and the topic's HTTPS
//! subscription POSTs to `/v1/hooks/email/ses`
//! (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
//!
//! - The body is SNS's JSON (sent as `text/plain`): `Type` (`SubscriptionConfirmation`,
//!   `Notification`, `UnsubscribeConfirmation`), `MessageId`, `TopicArn`, `Message`,
//!   `Timestamp`, `SignatureVersion`, `Signature`, `SigningCertURL`, and for the
//!   confirmations `Token` and `SubscribeURL`.
//! - The signature is RSA PKCS #1 v1.5 over SHA-1 (`SignatureVersion` 1) or SHA-256
//!   (2) of the fields in a fixed order, each as `Name\nvalue\n` ([`string_to_sign`]),
//!   with the key of the certificate at `SigningCertURL`. That URL must be HTTPS on
//!   `sns.<region>.amazonaws.com` (the TLS connection vouches for the certificate, as in
//!   AWS's own validators); a message naming any other is refused before anything is
//!   fetched. Certificates are kept per URL for the isolate's life.
//! - The topic must be one the operator named (`SES_SNS_TOPIC_ARN`): a valid SNS
//!   signature on another account's topic proves nothing about our mail.
//! - A `SubscriptionConfirmation` is confirmed by fetching its `SubscribeURL` (also on
//!   SNS's host). A `Notification`'s `Message` is SES's event: event publishing
//!   (`eventType`) or identity notifications (`notificationType`), `Bounce` with
//!   `bounceType: Permanent` or `Complaint`, with `mail.messageId` (the id SES's send
//!   API answered) and the recipients.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::Value;

use super::feedback::{Feedback, Reason};
use super::signatures::{self, Digest};
use crate::crypto::base64_decode;
use crate::ctx::Ctx;
use crate::error::ApiError;

/// The fields a message's signature covers, in order (`Subject` only when present).
pub fn string_to_sign(msg: &Value) -> Option<String> {
    let kind = msg["Type"].as_str()?;
    let fields: &[&str] = match kind {
        "Notification" => &["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            &["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        }
        _ => return None,
    };
    let mut out = String::new();
    for &name in fields {
        match msg[name].as_str() {
            Some(value) => {
                out.push_str(name);
                out.push('\n');
                out.push_str(value);
                out.push('\n');
            }
            None if name == "Subject" => {}
            None => return None,
        }
    }
    Some(out)
}

/// Whether `url` is on SNS's own host: `https://sns.<region>.amazonaws.com[.cn]/...`,
/// or, in development only, on `test_host` (the tests' stand-in, over http).
pub fn is_sns_url(url: &str, test_host: Option<&str>) -> bool {
    let Ok(u) = worker::Url::parse(url) else { return false };
    let host = u.host_str().unwrap_or_default();
    if u.username() != "" || u.password().is_some() {
        return false;
    }
    if let Some(test) = test_host {
        let here = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        if here == test && matches!(u.scheme(), "http" | "https") {
            return true;
        }
    }
    let region = host
        .strip_prefix("sns.")
        .and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")));
    u.scheme() == "https"
        && u.port().is_none()
        && region.is_some_and(|r| {
            r.len() >= 3 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// SES's bounce and complaint recipients in a `Notification`'s `Message`.
pub fn ses_feedback(message: &Value) -> Vec<Feedback> {
    let kind = message["eventType"].as_str().or_else(|| message["notificationType"].as_str());
    let id = message["mail"]["messageId"].as_str().map(str::to_owned);
    let text = |v: &Value| v.as_str().unwrap_or_default().chars().take(300).collect::<String>();
    let (reason, list, detail) = match kind {
        Some("Bounce") if message["bounce"]["bounceType"] == "Permanent" => (
            Reason::Bounce,
            &message["bounce"]["bouncedRecipients"],
            format!("{} bounce", text(&message["bounce"]["bounceSubType"])),
        ),
        Some("Complaint") => (
            Reason::Complaint,
            &message["complaint"]["complainedRecipients"],
            text(&message["complaint"]["complaintFeedbackType"]),
        ),
        _ => return Vec::new(),
    };
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"].as_str())
        .map(|to| {
            let detail = list
                .as_array()
                .and_then(|l| l.iter().find(|r| r["emailAddress"] == to))
                .and_then(|r| r["diagnosticCode"].as_str())
                .map_or_else(|| detail.clone(), |d| d.chars().take(300).collect());
            Feedback { message_id: id.clone(), recipient: to.to_owned(), reason, detail }
        })
        .collect()
}

thread_local! {
    /// SubjectPublicKeyInfo per certificate URL, for this isolate's life.
    static KEYS: RefCell<HashMap<String, Vec<u8>>> = RefCell::new(HashMap::new());
}

/// GETs `url` (counted as a subrequest): `Some(body)` on a 2xx, `None` when SNS says
/// there is nothing there (a 4xx: the message named a certificate or subscription
/// that does not exist, so it is not SNS's). A network failure or a 5xx is SNS being
/// unwell: a 503, so SNS delivers the message again later.
async fn get(ctx: &Ctx, url: &str) -> Result<Option<String>, ApiError> {
    ctx.charge("fetch", 1)?;
    let Ok(parsed) = worker::Url::parse(url) else { return Ok(None) };
    let Ok(mut resp) = worker::Fetch::Url(parsed).send().await else { return Err(ApiError::Busy) };
    match resp.status_code() {
        200..=299 => resp.text().await.map(Some).map_err(|_| ApiError::Busy),
        400..=499 => Ok(None),
        _ => Err(ApiError::Busy),
    }
}

/// Whether `msg` is signed by SNS: its certificate from SNS's host, its signature over
/// [`string_to_sign`] with the digest its `SignatureVersion` names.
pub async fn verified(ctx: &Ctx, msg: &Value, test_host: Option<&str>) -> Result<bool, ApiError> {
    let digest = match msg["SignatureVersion"].as_str() {
        Some("1") => Digest::Sha1,
        Some("2") => Digest::Sha256,
        _ => return Ok(false),
    };
    let (Some(cert_url), Some(signature), Some(signed)) =
        (msg["SigningCertURL"].as_str(), msg["Signature"].as_str().and_then(base64_decode), string_to_sign(msg))
    else {
        return Ok(false);
    };
    if !is_sns_url(cert_url, test_host) {
        return Ok(false);
    }
    let cached = KEYS.with(|k| k.borrow().get(cert_url).cloned());
    let key = match cached {
        Some(key) => key,
        None => {
            // Anything but a certificate with a key there: not SNS's message (401).
            let Some(pem) = get(ctx, cert_url).await? else { return Ok(false) };
            let Some(der) = signatures::pem_der(&pem, "CERTIFICATE") else { return Ok(false) };
            let Some(key) = signatures::certificate_spki(&der).map(<[u8]>::to_vec) else { return Ok(false) };
            KEYS.with(|k| k.borrow_mut().insert(cert_url.to_owned(), key.clone()));
            key
        }
    };
    Ok(signatures::rsa_pkcs1v15_valid(&key, digest, signed.as_bytes(), &signature))
}

/// Confirms a verified subscription by fetching its `SubscribeURL` (SNS's host only).
pub async fn confirm(ctx: &Ctx, msg: &Value, test_host: Option<&str>) -> Result<bool, ApiError> {
    match msg["SubscribeURL"].as_str() {
        Some(url) if is_sns_url(url, test_host) => get(ctx, url).await.map(|body| body.is_some()),
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_signed_string_follows_snss_field_order() {
        let n = json!({ "Type": "Notification", "MessageId": "m1", "TopicArn": "arn:t", "Message": "{\"a\":1}\nx",
            "Timestamp": "2026-12-05T00:00:00.000Z", "SignatureVersion": "1", "Signature": "s" });
        assert_eq!(
            string_to_sign(&n).as_deref(),
            Some(
                "Message\n{\"a\":1}\nx\nMessageId\nm1\nTimestamp\n2026-12-05T00:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n"
            )
        );
        let mut with_subject = n.clone();
        with_subject["Subject"] = json!("Amazon SES Email Event Notification");
        assert!(string_to_sign(&with_subject).is_some_and(|s| s.contains("MessageId\nm1\nSubject\nAmazon SES")));
        let c = json!({ "Type": "SubscriptionConfirmation", "MessageId": "m2", "Token": "tok", "TopicArn": "arn:t",
            "Message": "You have chosen", "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
            "Timestamp": "t" });
        assert_eq!(
            string_to_sign(&c).as_deref(),
            Some(
                "Message\nYou have chosen\nMessageId\nm2\nSubscribeURL\nhttps://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription\nTimestamp\nt\nToken\ntok\nTopicArn\narn:t\nType\nSubscriptionConfirmation\n"
            )
        );
        let mut missing = c.clone();
        missing["Token"] = Value::Null;
        assert_eq!(string_to_sign(&missing), None);
        assert_eq!(string_to_sign(&json!({ "Type": "Other" })), None);
    }

    #[test]
    fn certificates_come_only_from_snss_own_host() {
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/x.pem",
        ] {
            assert!(is_sns_url(ok, None), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.amazonaws.com/x.pem",
            "https://s3.us-east-1.amazonaws.com/x.pem",
            "https://user@sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://sns.US-EAST-1.amazonaws.com.evil/x.pem",
            "not a url",
        ] {
            assert!(!is_sns_url(bad, None), "{bad}");
        }
        assert!(is_sns_url("http://127.0.0.1:4567/cert.pem", Some("127.0.0.1:4567")));
        assert!(!is_sns_url("http://127.0.0.1:4568/cert.pem", Some("127.0.0.1:4567")));
    }

    #[test]
    fn ses_events_and_notifications_are_read_alike() {
        let bounce = json!({ "eventType": "Bounce", "mail": { "messageId": "0100abc" },
            "bounce": { "bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{ "emailAddress": "a@b.co", "diagnosticCode": "smtp; 550 5.1.1 user unknown" }] } });
        let f = ses_feedback(&bounce);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].reason, f[0].message_id.as_deref(), f[0].recipient.as_str()),
            (Reason::Bounce, Some("0100abc"), "a@b.co")
        );
        assert!(f[0].detail.contains("550 5.1.1"));
        let mut old_style = bounce.clone();
        old_style["notificationType"] = json!("Bounce");
        old_style.as_object_mut().map(|o| o.remove("eventType"));
        assert_eq!(ses_feedback(&old_style).len(), 1);
        let transient = json!({ "eventType": "Bounce", "mail": { "messageId": "x" },
            "bounce": { "bounceType": "Transient", "bouncedRecipients": [{ "emailAddress": "a@b.co" }] } });
        assert!(ses_feedback(&transient).is_empty());
        let complaint = json!({ "notificationType": "Complaint", "mail": { "messageId": "y" },
            "complaint": { "complaintFeedbackType": "abuse", "complainedRecipients": [{ "emailAddress": "c@d.co" }, { "emailAddress": "e@f.co" }] } });
        let f = ses_feedback(&complaint);
        assert_eq!(
            f.iter().map(|f| (f.reason, f.recipient.as_str())).collect::<Vec<_>>(),
            [(Reason::Complaint, "c@d.co"), (Reason::Complaint, "e@f.co")]
        );
        assert!(ses_feedback(&json!({ "eventType": "Delivery" })).is_empty());
    }
}
