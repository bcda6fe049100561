//! The email APIs merchants use, each spoken as its provider documents it. Every
//! adapter is two pure functions, so request building and response reading are tested
//! natively without a network: `request` turns a rendered `Email` into one HTTP `Call`
//! (URL, headers, body), and `outcome` reads the provider's `Reply` into an `Outcome`
//! (sent with the provider's message id, retry — with the provider's own delay when it
//! gives one — or permanent). `provider::send` does the one `fetch` in between.
//!
//! Cloudflare's Email Service is a binding, not an HTTP API: its `cloudflare` adapter
//! builds the structured message and reads the binding's errors the same pure way.
//!
//! Idempotency: only Resend (and the generic `http` API) take an idempotency key; we
//! send the delivery's dedupe key. Postmark, SendGrid, Mailgun and SES have none, so a
//! send whose answer is lost (a timeout after the provider accepted) can be delivered
//! twice there; the claim-with-lease in `consumer` keeps every other case to once.

pub mod cloudflare;
pub mod http;
pub mod mailgun;
pub mod postmark;
pub mod resend;
pub mod sendgrid;
pub mod ses;
pub mod sigv4;

use restock_shared::{Date, Timestamp};

use crate::notify::provider::Outcome;
use crate::notify::render::Email;

/// A configured email API, with its credentials.
#[derive(Clone)]
pub enum Api {
    Http(http::Settings),
    Resend(resend::Settings),
    Postmark(postmark::Settings),
    SendGrid(sendgrid::Settings),
    Mailgun(mailgun::Settings),
    Ses(ses::Settings),
}

impl std::fmt::Debug for Api {
    // Only the name: the settings hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Api({})", self.name())
    }
}

impl Api {
    /// The `EMAIL_PROVIDER` value that selects it.
    pub fn name(&self) -> &'static str {
        match self {
            Api::Http(_) => "http",
            Api::Resend(_) => "resend",
            Api::Postmark(_) => "postmark",
            Api::SendGrid(_) => "sendgrid",
            Api::Mailgun(_) => "mailgun",
            Api::Ses(_) => "ses",
        }
    }

    /// The request that sends `email`; `idempotency_key` is used where the API has one.
    pub fn request(&self, email: &Email, idempotency_key: &str, now: Timestamp) -> Call {
        match self {
            Api::Http(s) => http::request(s, email, idempotency_key),
            Api::Resend(s) => resend::request(s, email, idempotency_key),
            Api::Postmark(s) => postmark::request(s, email),
            Api::SendGrid(s) => sendgrid::request(s, email),
            Api::Mailgun(s) => mailgun::request(s, email),
            Api::Ses(s) => ses::request(s, email, now),
        }
    }

    /// What the provider's answer means.
    pub fn outcome(&self, reply: &Reply, now: Timestamp) -> Outcome {
        match self {
            Api::Http(_) => http::outcome(reply, now),
            Api::Resend(_) => resend::outcome(reply, now),
            Api::Postmark(_) => postmark::outcome(reply, now),
            Api::SendGrid(_) => sendgrid::outcome(reply, now),
            Api::Mailgun(_) => mailgun::outcome(reply, now),
            Api::Ses(_) => ses::outcome(reply, now),
        }
    }
}

/// One HTTP request to a provider (no `Debug`: its headers hold credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct Call {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A provider's answer: the status, the few headers adapters read, and the start of the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The response headers any adapter reads (everything else is dropped).
    pub const HEADERS: [&'static str; 4] = ["retry-after", "x-message-id", "x-amzn-errortype", "x-ratelimit-reset"];

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A short, single-line summary of the body for `last_error` (no secret is ever in it:
    /// providers do not echo credentials).
    pub fn hint(&self) -> String {
        self.body.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect()
    }
}

/// The delay a `Retry-After` header asks for, in seconds: either delta-seconds or an
/// HTTP-date (RFC 9110 section 10.2.3), measured from `now`. `None` when absent or unreadable.
pub fn retry_after(reply: &Reply, now: Timestamp) -> Option<u32> {
    let value = reply.header("retry-after")?;
    if let Ok(secs) = value.parse::<u32>() {
        return Some(secs);
    }
    let at = http_date(value)?;
    let secs = (at.millis() - now.millis()).div_euclid(1000).max(0);
    u32::try_from(secs).ok()
}

/// Parses an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(value: &str) -> Option<Timestamp> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| Some(*m) == parts.clone().next())?;
    parts.next();
    let year: i32 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next() != Some("GMT") || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let date = Date::from_ymd(year, u32::try_from(month + 1).ok()?, day).ok()?;
    Some(Timestamp::from_millis(date.start().millis() + ((h * 60 + m) * 60 + s) * 1000))
}

/// The usual reading of a status: 2xx sent, 408/425/429/5xx retry (with the provider's
/// `Retry-After`), any other status permanent. `what` names the provider's own error
/// (its code and message) for the delivery log.
pub fn by_status(reply: &Reply, now: Timestamp, what: &str) -> Outcome {
    let status = reply.status;
    let error = format!("HTTP {status} {what}").trim_end().to_owned();
    match status {
        200..=299 => Outcome::Sent { provider_id: None },
        408 | 425 | 429 | 500..=599 => Outcome::Retry { error, after: retry_after(reply, now) },
        _ => Outcome::Permanent(error),
    }
}

/// `"Display Name" <address>` (RFC 5322 quoted-string, so commas and such in a shop's
/// name cannot split the header), or the bare address when there is no name.
pub fn mailbox(name: &str, address: &str) -> String {
    if name.is_empty() {
        return address.to_owned();
    }
    let quoted: String = name
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    format!("\"{quoted}\" <{address}>")
}

pub use crate::crypto::base64;

/// `base` without its trailing slashes, then `path`.
pub fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// The rendered email's own headers (List-Unsubscribe and friends), in order.
pub fn extra_headers(email: &Email) -> impl Iterator<Item = (&str, &str)> {
    email.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::notify::render::Attachment;

    /// A rendered email with everything an adapter has to carry.
    pub fn email() -> Email {
        Email {
            to: "ana@example.com".into(),
            from: None,
            from_name: "Ana's \"Mugs\", Ltd".into(),
            reply_to: Some("help@mugs.example".into()),
            subject: "Back in stock: Mug".into(),
            text: "It is back.".into(),
            html: "<p>It is back.</p>".into(),
            headers: vec![
                ("List-Unsubscribe".into(), "<https://r.example/u?token=t>".into()),
                ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
            ],
            attachments: vec![Attachment {
                filename: "digest.csv".into(),
                content_type: "text/csv".into(),
                content: "sku,open\nMUG,3\n".into(),
            }],
        }
    }

    pub fn now() -> Timestamp {
        // 2015-08-30T12:36:00Z
        Timestamp::from_millis(1_440_938_160_000)
    }

    pub fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after(&reply(429, &[("Retry-After", "7")], ""), now()), Some(7));
        assert_eq!(retry_after(&reply(429, &[("retry-after", "Sun, 30 Aug 2015 12:37:30 GMT")], ""), now()), Some(90));
        assert_eq!(retry_after(&reply(429, &[("retry-after", "Sun, 30 Aug 2015 12:00:00 GMT")], ""), now()), Some(0));
        assert_eq!(retry_after(&reply(429, &[("retry-after", "soon")], ""), now()), None);
        assert_eq!(retry_after(&reply(429, &[], ""), now()), None);
    }

    #[test]
    fn statuses_are_sent_retried_or_permanent() {
        let at = |status: u16, headers: &[(&str, &str)]| by_status(&reply(status, headers, ""), now(), "x");
        assert_eq!(at(202, &[]), Outcome::Sent { provider_id: None });
        assert_eq!(at(429, &[("retry-after", "3")]), Outcome::Retry { error: "HTTP 429 x".into(), after: Some(3) });
        assert!(matches!(at(503, &[]), Outcome::Retry { after: None, .. }));
        assert!(matches!(at(408, &[]), Outcome::Retry { .. }));
        assert!(matches!(at(400, &[]), Outcome::Permanent(_)));
        assert!(matches!(at(401, &[]), Outcome::Permanent(_)));
    }

    #[test]
    fn mailboxes_quote_names_and_base64_pads() {
        assert_eq!(mailbox("Ana's \"Mugs\", Ltd", "a@b.c"), r#""Ana's \"Mugs\", Ltd" <a@b.c>"#);
        assert_eq!(mailbox("", "a@b.c"), "a@b.c");
        assert_eq!(base64(b"api:key-1"), "YXBpOmtleS0x");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b""), "");
        assert_eq!(join("http://127.0.0.1:9/", "/emails"), "http://127.0.0.1:9/emails");
    }
}
