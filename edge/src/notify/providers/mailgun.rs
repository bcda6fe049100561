//! Mailgun (documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages):
//! `POST /v3/{domain}/messages` on `https://api.mailgun.net` (US) or
//! `https://api.eu.mailgun.net` (EU: the region the domain was created in), with HTTP
//! Basic auth `api:<API key>` and `multipart/form-data` fields `from`, `to`, `subject`,
//! `text`, `html`, `h:<Header>` for custom headers (`h:Reply-To`, `h:List-Unsubscribe`,
//! ...) and `attachment` file parts. We always send multipart (the form Mailgun needs for
//! attachments), one code path. No idempotency key. Answers: 200 `{"id": "<...>",
//! "message": "Queued. Thank you."}`; 400/401/403/404 permanent; 429 and 5xx retry.

use restock_shared::Timestamp;

use super::{Call, Reply, base64, by_status, extra_headers, join, mailbox};
use crate::crypto::sha256_hex;
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

pub const BASE_US: &str = "https://api.mailgun.net";
pub const BASE_EU: &str = "https://api.eu.mailgun.net";

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub base: String,
    pub key: String,
    /// A sending domain, already checked to be a plain host name (it goes in the path).
    pub domain: String,
    pub from: String,
}

pub fn request(s: &Settings, email: &Email) -> Call {
    let mut fields: Vec<(String, String)> = vec![
        ("from".into(), mailbox(&email.from_name, email.from_or(&s.from))),
        ("to".into(), email.to.clone()),
        ("subject".into(), email.subject.clone()),
        ("text".into(), email.text.clone()),
        ("html".into(), email.html.clone()),
    ];
    if let Some(reply_to) = &email.reply_to {
        fields.push(("h:Reply-To".into(), reply_to.clone()));
    }
    fields.extend(extra_headers(email).map(|(k, v)| (format!("h:{k}"), v.to_owned())));
    // A boundary derived from the content cannot plausibly occur inside it.
    let mut seed = String::new();
    for (k, v) in &fields {
        seed.push_str(k);
        seed.push_str(v);
    }
    for a in &email.attachments {
        seed.push_str(&a.content);
    }
    let boundary = format!("restock-{}", &sha256_hex(seed.as_bytes())[..32]);
    let mut body = String::new();
    for (name, value) in &fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    for a in &email.attachments {
        let filename = a.filename.replace(['"', '\r', '\n'], "_");
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{filename}\"\r\n\
             Content-Type: {}\r\n\r\n{}\r\n",
            a.content_type, a.content
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Call {
        url: join(&s.base, &format!("/v3/{}/messages", s.domain)),
        headers: vec![
            ("authorization".into(), format!("Basic {}", base64(format!("api:{}", s.key).as_bytes()))),
            ("content-type".into(), format!("multipart/form-data; boundary={boundary}")),
        ],
        body,
    }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    let v = reply.json();
    if (200..300).contains(&reply.status) {
        let id = v["id"].as_str().map(|id| id.trim_start_matches('<').trim_end_matches('>').to_owned());
        return Outcome::Sent { provider_id: id };
    }
    let what = v["message"].as_str().map_or_else(|| reply.hint(), str::to_owned);
    by_status(reply, now, &what)
}

/// Whether `domain` may go into the request path: a host name, nothing else.
pub fn valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.contains('.')
        && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::tests::{email, now, reply};

    #[test]
    fn builds_the_documented_request() {
        let s = Settings {
            base: BASE_EU.into(),
            key: "key-1".into(),
            domain: "mg.mugs.example".into(),
            from: "shop@mugs.example".into(),
        };
        let call = request(&s, &email());
        assert_eq!(call.url, "https://api.eu.mailgun.net/v3/mg.mugs.example/messages");
        assert_eq!(call.header("authorization"), Some("Basic YXBpOmtleS0x"));
        let ct = call.header("content-type").unwrap_or_default();
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap_or_default();
        assert!(boundary.starts_with("restock-"), "{ct}");
        let field = |name: &str, value: &str| {
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        };
        for (name, value) in [
            ("to", "ana@example.com"),
            ("from", r#""Ana's \"Mugs\", Ltd" <shop@mugs.example>"#),
            ("h:Reply-To", "help@mugs.example"),
            ("h:List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ] {
            assert!(call.body.contains(&field(name, value)), "{name} in {}", call.body);
        }
        assert!(call.body.contains(
            "name=\"attachment\"; filename=\"digest.csv\"\r\nContent-Type: text/csv\r\n\r\nsku,open\nMUG,3\n\r\n"
        ));
        assert!(call.body.ends_with(&format!("--{boundary}--\r\n")));
    }

    #[test]
    fn reads_ids_and_errors() {
        let ok = r#"{"id":"<20261202.1@mg.mugs.example>","message":"Queued. Thank you."}"#;
        assert_eq!(
            outcome(&reply(200, &[], ok), now()),
            Outcome::Sent { provider_id: Some("20261202.1@mg.mugs.example".into()) }
        );
        assert_eq!(
            outcome(
                &reply(400, &[], r#"{"message":"to parameter is not a valid address. please check documentation"}"#),
                now()
            ),
            Outcome::Permanent("HTTP 400 to parameter is not a valid address. please check documentation".into())
        );
        assert!(matches!(
            outcome(&reply(429, &[("retry-after", "1")], ""), now()),
            Outcome::Retry { after: Some(1), .. }
        ));
        assert!(valid_domain("mg.example.com"));
        assert!(!valid_domain("mg.example.com/../x"));
        assert!(!valid_domain("localhost"));
    }
}
