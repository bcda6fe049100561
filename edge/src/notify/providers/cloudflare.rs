//! Cloudflare's own email sending from Workers (Email Service,
//! developers.cloudflare.com/email-service/api/send-emails/workers-api/): a
//! `send_email` binding named `EMAIL` whose `send()` takes a structured message
//! (`from` as `{email, name}`, `to`, `subject`, `text`, `html`, `replyTo`,
//! `headers`, `attachments` with base64 `content`) and resolves to `{messageId}`, or
//! throws an error whose `code` says why (`E_SENDER_NOT_VERIFIED`,
//! `E_RATE_LIMIT_EXCEEDED`, ...). No HTTP, no key: the binding is the credential, and
//! the sender must be on a domain onboarded to Email Sending.
//!
//! As with the HTTP adapters, the message and the reading of an error are pure
//! functions tested natively; [`send`] is the shell that calls the binding. Only
//! allow-listed headers pass the Email Service (developers.cloudflare.com/email-service/
//! reference/headers/); `List-Unsubscribe`, `List-Unsubscribe-Post` and `List-Id` are
//! standard list headers. The binding takes no idempotency key: a send whose answer is
//! lost can arrive twice.

use serde_json::{Map, Value, json};

use super::{base64, extra_headers};
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

/// The binding's name in the Worker's configuration (`[[send_email]] name = "EMAIL"`).
pub const BINDING: &str = "EMAIL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `EMAIL_FROM`: an address on a domain onboarded to Email Sending.
    pub from: String,
}

/// The structured message `send()` takes.
pub fn message(s: &Settings, email: &Email) -> Value {
    let headers: Map<String, Value> = extra_headers(email).map(|(k, v)| (k.to_owned(), json!(v))).collect();
    let mut from = json!({ "email": email.from_or(&s.from) });
    if !email.from_name.is_empty() {
        from["name"] = json!(email.from_name);
    }
    let mut m = json!({
        "from": from,
        "to": email.to,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "headers": headers,
    });
    if let Some(reply_to) = &email.reply_to {
        m["replyTo"] = json!(reply_to);
    }
    if !email.attachments.is_empty() {
        m["attachments"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({ "content": base64(a.content.as_bytes()), "filename": a.filename, "type": a.content_type,
                        "disposition": "attachment" })
            })
            .collect();
    }
    m
}

/// What a thrown error means: its `code` (or, from an older runtime or the local
/// simulator, the words of its message).
pub fn outcome_of_error(code: Option<&str>, message: &str) -> Outcome {
    let what = match code {
        Some(c) => format!("cloudflare {c}: {message}"),
        None => format!("cloudflare: {message}"),
    };
    let code = code.unwrap_or_default();
    let permanent = [
        "E_VALIDATION_ERROR",
        "E_FIELD_MISSING",
        "E_TOO_MANY_RECIPIENTS",
        "E_TOO_MANY_ATTACHMENTS",
        "E_CONTENT_TOO_LARGE",
        "E_HEADER_NOT_ALLOWED",
        "E_SENDER_NOT_VERIFIED",
        "E_SENDER_DOMAIN_NOT_AVAILABLE",
        "E_RECIPIENT_NOT_ALLOWED",
        "E_RECIPIENT_SUPPRESSED",
        "E_DELIVERY_FAILED",
    ];
    // The local simulator (wrangler dev) throws plain errors for the binding's
    // allow-lists: "email to x not allowed", "email from x not allowed".
    let refused_locally = code.is_empty() && message.contains(" not allowed");
    if permanent.contains(&code) || refused_locally {
        Outcome::Permanent(what)
    } else {
        // Rate and daily limits, internal errors, and anything unknown: retried.
        Outcome::retry(what)
    }
}

/// Sends `email` through the binding of `env`.
pub async fn send(env: &worker::Env, s: &Settings, email: &Email) -> Outcome {
    use wasm_bindgen::JsCast;
    let binding = match env.send_email(BINDING) {
        Ok(b) => b,
        Err(_) => {
            return Outcome::retry(format!(
                "cloudflare_email_binding_missing: add [[send_email]] name = \"{BINDING}\" to the Worker's configuration"
            ));
        }
    };
    let Ok(builder) = js_sys::JSON::parse(&message(s, email).to_string()) else {
        return Outcome::Permanent("cloudflare: the message could not be built".into());
    };
    match binding.send_with_builder(builder.unchecked_ref()).await {
        Ok(result) => Outcome::Sent { provider_id: Some(result.message_id()).filter(|id| !id.is_empty()) },
        Err(e) => {
            let value: &wasm_bindgen::JsValue = e.as_ref();
            let code = js_sys::Reflect::get(value, &"code".into()).ok().and_then(|c| c.as_string());
            let text: String = e.message().into();
            outcome_of_error(code.as_deref(), &text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::tests::email;

    #[test]
    fn builds_the_structured_message_the_binding_takes() {
        let s = Settings { from: "news@shop.example".into() };
        let m = message(&s, &email());
        let e = email();
        assert_eq!(m["from"]["email"], e.from_or("news@shop.example"));
        assert_eq!(m["from"]["name"], e.from_name);
        assert_eq!(m["to"], e.to);
        assert_eq!(
            (m["subject"].as_str(), m["text"].as_str(), m["html"].as_str()),
            (Some(e.subject.as_str()), Some(e.text.as_str()), Some(e.html.as_str()))
        );
        for (k, v) in &e.headers {
            assert_eq!(m["headers"][k], v.as_str(), "{k}");
        }
        assert_eq!(m["replyTo"].as_str(), e.reply_to.as_deref());
        if let Some(a) = e.attachments.first() {
            assert_eq!(m["attachments"][0]["filename"], a.filename);
            assert_eq!(m["attachments"][0]["content"], base64(a.content.as_bytes()));
        }
        let mut plain = email();
        plain.from_name.clear();
        plain.reply_to = None;
        plain.attachments.clear();
        let m = message(&s, &plain);
        assert!(m["from"].get("name").is_none() && m.get("replyTo").is_none() && m.get("attachments").is_none());
    }

    #[test]
    fn errors_are_permanent_or_retried_by_their_code() {
        for code in ["E_SENDER_NOT_VERIFIED", "E_RECIPIENT_NOT_ALLOWED", "E_VALIDATION_ERROR", "E_HEADER_NOT_ALLOWED"] {
            assert!(matches!(outcome_of_error(Some(code), "x"), Outcome::Permanent(e) if e.contains(code)), "{code}");
        }
        for code in ["E_RATE_LIMIT_EXCEEDED", "E_DAILY_LIMIT_EXCEEDED", "E_INTERNAL_SERVER_ERROR", "E_SOMETHING_NEW"] {
            assert!(matches!(outcome_of_error(Some(code), "x"), Outcome::Retry { .. }), "{code}");
        }
        assert!(matches!(outcome_of_error(None, "email to a@b.co not allowed"), Outcome::Permanent(_)));
        assert!(matches!(outcome_of_error(None, "network lost"), Outcome::Retry { .. }));
    }
}
