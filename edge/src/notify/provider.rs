//! Where emails go. `outbox` (development only: the default there) stores each
//! message in D1, in the same transaction that marks its delivery sent, so it exists
//! exactly once. `http` POSTs each message as JSON to an email API configured by
//! secrets (`EMAIL_API_URL`, `EMAIL_API_KEY`, `EMAIL_FROM`), with the delivery's dedupe
//! key as `Idempotency-Key` so a provider that honours it never sends twice even when
//! we retry after a timeout. In production an unset, unknown or outbox provider is
//! `Refused`: emails are not marked sent, they fail with the reason (and are retried,
//! so fixing the configuration sends them).

use futures_util::future::{Either, select};
use serde_json::json;
use wasm_bindgen::JsValue;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use crate::config::{Config, EmailConfig};
use crate::crypto::base64url;
use crate::ctx::Ctx;
use crate::notify::render::Email;

/// The configured email provider.
#[derive(Debug, Clone)]
pub enum Provider {
    Outbox,
    Http {
        url: String,
        key: String,
        from: String,
    },
    /// No email can be sent: `code` is the one `/v1/health` reports.
    Refused {
        code: &'static str,
        message: String,
    },
}

impl Provider {
    pub fn from_config(config: &Config) -> Provider {
        if let Some((code, message)) = config.email_refusal() {
            return Provider::Refused { code, message };
        }
        match &config.email {
            EmailConfig::Http { url: Some(url), key, from } => Provider::Http {
                url: url.expose().to_owned(),
                key: key.as_ref().map(|k| k.expose().to_owned()).unwrap_or_default(),
                from: from.clone().unwrap_or_else(|| "restock@localhost".into()),
            },
            _ => Provider::Outbox,
        }
    }

    /// The error recorded on a delivery this provider refuses (no secret in it).
    pub fn refusal(&self) -> Option<String> {
        match self {
            Provider::Refused { code, message } => Some(format!("{code}: {message}")),
            _ => None,
        }
    }
}

/// What happened to one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        provider_id: Option<String>,
    },
    /// Worth retrying (network, timeout, 429, 5xx).
    Retry(String),
    /// Will never succeed as is (4xx): dead-lettered at once.
    Permanent(String),
}

/// Classifies an HTTP status from a provider or webhook endpoint.
pub fn classify(status: u16, body_hint: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Sent { provider_id: None },
        408 | 425 | 429 | 500..=599 => Outcome::Retry(format!("HTTP {status} {body_hint}")),
        _ => Outcome::Permanent(format!("HTTP {status} {body_hint}")),
    }
}

/// How long one outbound request may take.
pub fn timeout_ms(ctx: &Ctx) -> u32 {
    ctx.config.outbound_timeout_ms
}

/// POSTs `body` to `url` with `headers`, giving up after `timeout_ms`.
pub async fn post(url: &str, headers: &[(&str, &str)], body: &str, timeout_ms: u32) -> Result<(u16, String), String> {
    let h = Headers::new();
    for (k, v) in headers {
        h.set(k, v).map_err(|e| e.to_string())?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(h).with_body(Some(JsValue::from_str(body)));
    let request = Request::new_with_init(url, &init).map_err(|e| format!("bad request: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let timer = Box::pin(Delay::from(std::time::Duration::from_millis(u64::from(timeout_ms))));
    match select(send, timer).await {
        Either::Left((Ok(mut resp), _)) => {
            let status = resp.status_code();
            let text = resp.text().await.unwrap_or_default();
            Ok((status, text.chars().take(200).collect()))
        }
        Either::Left((Err(e), _)) => Err(format!("network: {e}")),
        Either::Right(((), _)) => {
            controller.abort();
            Err(format!("timed out after {timeout_ms} ms"))
        }
    }
}

/// Sends one email through an HTTP email API.
pub async fn send_http(
    url: &str,
    key: &str,
    from: &str,
    email: &Email,
    idempotency_key: &str,
    timeout: u32,
) -> Outcome {
    let headers: serde_json::Map<String, serde_json::Value> =
        email.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let attachments: Vec<serde_json::Value> = email
        .attachments
        .iter()
        .map(|a| json!({ "filename": a.filename, "content_type": a.content_type, "content_base64url": base64url(a.content.as_bytes()) }))
        .collect();
    let body = json!({
        "from": { "name": email.from_name, "email": from },
        "reply_to": email.reply_to,
        "to": email.to,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "headers": headers,
        "attachments": attachments,
    })
    .to_string();
    let auth = format!("Bearer {key}");
    match post(
        url,
        &[("content-type", "application/json"), ("authorization", &auth), ("idempotency-key", idempotency_key)],
        &body,
        timeout,
    )
    .await
    {
        Ok((status, text)) => match classify(status, &text) {
            Outcome::Sent { .. } => {
                let id = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_owned));
                Outcome::Sent { provider_id: id }
            }
            other => other,
        },
        Err(e) => Outcome::Retry(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_the_outbox_and_development_uses_it() {
        let cfg = |env: &str, provider: Option<&str>| {
            Config::from_lookup(
                |n| match n {
                    "ENVIRONMENT" => Some(env.to_owned()),
                    "EMAIL_PROVIDER" => provider.map(str::to_owned),
                    _ => None,
                },
                |_| None,
            )
        };
        assert!(matches!(Provider::from_config(&cfg("development", None)), Provider::Outbox));
        assert!(matches!(Provider::from_config(&cfg("development", Some("outbox"))), Provider::Outbox));
        for (provider, code) in [(None, "email_provider_missing"), (Some("outbox"), "email_provider_outbox")] {
            let p = Provider::from_config(&cfg("production", provider));
            assert!(matches!(p, Provider::Refused { code: c, .. } if c == code), "{p:?}");
            assert!(p.refusal().is_some_and(|e| e.starts_with(&format!("{code}: "))));
        }
        let p = Provider::from_config(&cfg("development", Some("http")));
        assert!(matches!(p, Provider::Refused { code: "email_api_url_missing", .. }), "{p:?}");
    }

    #[test]
    fn statuses_are_classified_for_retry() {
        assert_eq!(classify(202, ""), Outcome::Sent { provider_id: None });
        assert!(matches!(classify(503, ""), Outcome::Retry(_)));
        assert!(matches!(classify(429, ""), Outcome::Retry(_)));
        assert!(matches!(classify(408, ""), Outcome::Retry(_)));
        assert!(matches!(classify(400, ""), Outcome::Permanent(_)));
        assert!(matches!(classify(401, ""), Outcome::Permanent(_)));
        assert!(matches!(classify(410, ""), Outcome::Permanent(_)));
    }
}
