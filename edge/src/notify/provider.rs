//! Where emails go. `outbox` (development only: the default there) stores each
//! message in D1, in the same transaction that marks its delivery sent, so it exists
//! exactly once. An `Api` sends through an email provider's HTTP API, spoken as that
//! provider documents it (`providers`: Resend, Postmark, SendGrid, Mailgun, Amazon SES,
//! or Restock's own JSON for `http`), configured by variables and secrets. In
//! production an unset, unknown or outbox provider, or one missing what it needs, is
//! `Refused`: emails are not marked sent, they fail with the reason (the code
//! `/v1/health` reports) and are retried, so fixing the configuration sends them.

use futures_util::future::{Either, select};
use restock_shared::Timestamp;
use wasm_bindgen::JsValue;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use crate::config::{ApiConfig, ApiKind, Config, EmailConfig, Secret};
use crate::ctx::Ctx;
use crate::notify::providers::{self, Api, Call, Reply};
use crate::notify::render::Email;

/// The configured email provider.
#[derive(Debug, Clone)]
pub enum Provider {
    Outbox,
    Api(Api),
    /// Cloudflare's Email Service, through the `send_email` binding.
    Cloudflare(providers::cloudflare::Settings),
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
            EmailConfig::Api(api) if api.kind == ApiKind::Cloudflare => match &api.from {
                Some(from) => Provider::Cloudflare(providers::cloudflare::Settings { from: from.clone() }),
                None => Provider::Refused {
                    code: "email_provider_incomplete",
                    message: "the email provider's settings are incomplete".into(),
                },
            },
            EmailConfig::Api(api) => match api_from(api) {
                Some(api) => Provider::Api(api),
                None => Provider::Refused {
                    code: "email_provider_incomplete",
                    message: "the email provider's settings are incomplete".into(),
                },
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

/// The adapter for a configuration that `ApiConfig::problems` found nothing refusing in
/// (`None` only if it did, which `from_config` rules out first).
fn api_from(c: &ApiConfig) -> Option<Api> {
    let expose = |s: &Option<Secret>| s.as_ref().map(|s| s.expose().to_owned());
    let base = |default: String| expose(&c.url).unwrap_or(default);
    let key = expose(&c.key);
    let from = c.from.clone();
    Some(match c.kind {
        ApiKind::Http => Api::Http(providers::http::Settings {
            url: expose(&c.url)?,
            key: key.unwrap_or_default(),
            from: from.unwrap_or_else(|| "restock@localhost".into()),
        }),
        ApiKind::Resend => Api::Resend(providers::resend::Settings {
            base: base(providers::resend::BASE.into()),
            key: key?,
            from: from?,
        }),
        ApiKind::Postmark => Api::Postmark(providers::postmark::Settings {
            base: base(providers::postmark::BASE.into()),
            token: key?,
            from: from?,
            stream: c.postmark_stream.clone().unwrap_or_else(|| providers::postmark::DEFAULT_STREAM.into()),
        }),
        ApiKind::SendGrid => Api::SendGrid(providers::sendgrid::Settings {
            base: base(providers::sendgrid::BASE.into()),
            key: key?,
            from: from?,
        }),
        ApiKind::Mailgun => {
            let region = if c.mailgun_region.as_deref() == Some("eu") {
                providers::mailgun::BASE_EU
            } else {
                providers::mailgun::BASE_US
            };
            Api::Mailgun(providers::mailgun::Settings {
                base: base(region.into()),
                key: key?,
                domain: c.mailgun_domain.clone()?,
                from: from?,
            })
        }
        ApiKind::Ses => {
            let region = c.aws_region.clone()?;
            Api::Ses(providers::ses::Settings {
                base: base(providers::ses::base_for(&region)),
                region,
                access_key_id: expose(&c.aws_access_key_id)?,
                secret_access_key: expose(&c.aws_secret_access_key)?,
                session_token: expose(&c.aws_session_token),
                from: from?,
                configuration_set: c.ses_configuration_set.clone(),
            })
        }
        // Not an HTTP API: `Provider::from_config` takes it first.
        ApiKind::Cloudflare => return None,
    })
}

/// What happened to one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        provider_id: Option<String>,
    },
    /// Worth retrying (network, timeout, 429, 5xx); `after` is the delay the provider
    /// asked for (`Retry-After`), in seconds, when it gave one.
    Retry {
        error: String,
        after: Option<u32>,
    },
    /// Will never succeed as is (4xx): dead-lettered at once.
    Permanent(String),
}

impl Outcome {
    pub fn retry(error: impl Into<String>) -> Outcome {
        Outcome::Retry { error: error.into(), after: None }
    }
}

/// Classifies an HTTP status from a webhook endpoint.
pub fn classify(status: u16, body_hint: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Sent { provider_id: None },
        408 | 425 | 429 | 500..=599 => Outcome::retry(format!("HTTP {status} {body_hint}")),
        _ => Outcome::Permanent(format!("HTTP {status} {body_hint}")),
    }
}

/// How long one outbound request may take.
pub fn timeout_ms(ctx: &Ctx) -> u32 {
    ctx.config.outbound_timeout_ms
}

/// POSTs `body` to `url` with `headers`, giving up after `timeout_ms`. The reply keeps
/// the headers adapters read (`Reply::HEADERS`) and the first 2,000 characters of the body.
pub async fn post(url: &str, headers: &[(&str, &str)], body: &str, timeout_ms: u32) -> Result<Reply, String> {
    let h = Headers::new();
    for (k, v) in headers {
        // The error names the header, never its value (it may be a credential).
        h.set(k, v).map_err(|_| format!("invalid value for the {k} header"))?;
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
            let kept = Reply::HEADERS
                .iter()
                .filter_map(|name| resp.headers().get(name).ok().flatten().map(|v| ((*name).to_owned(), v)))
                .collect();
            let text = resp.text().await.unwrap_or_default();
            Ok(Reply { status, headers: kept, body: text.chars().take(2000).collect() })
        }
        Either::Left((Err(e), _)) => Err(format!("network: {e}")),
        Either::Right(((), _)) => {
            controller.abort();
            Err(format!("timed out after {timeout_ms} ms"))
        }
    }
}

/// Sends one email through `api`; `idempotency_key` is the delivery's dedupe key.
pub async fn send(api: &Api, email: &Email, idempotency_key: &str, now: Timestamp, timeout: u32) -> Outcome {
    let Call { url, headers, body } = api.request(email, idempotency_key, now);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match post(&url, &headers, &body, timeout).await {
        Ok(reply) => api.outcome(&reply, now),
        Err(e) => Outcome::retry(format!("{}: {e}", api.name())),
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
        for name in ["resend", "postmark", "sendgrid", "mailgun"] {
            let p = Provider::from_config(&cfg("development", Some(name)));
            assert!(matches!(p, Provider::Refused { code: "email_api_key_missing", .. }), "{name}: {p:?}");
        }
        let p = Provider::from_config(&cfg("development", Some("ses")));
        assert!(matches!(p, Provider::Refused { code: "email_from_missing", .. }), "{p:?}");
    }

    #[test]
    fn statuses_are_classified_for_retry() {
        assert_eq!(classify(202, ""), Outcome::Sent { provider_id: None });
        assert!(matches!(classify(503, ""), Outcome::Retry { .. }));
        assert!(matches!(classify(429, ""), Outcome::Retry { .. }));
        assert!(matches!(classify(408, ""), Outcome::Retry { .. }));
        assert!(matches!(classify(400, ""), Outcome::Permanent(_)));
        assert!(matches!(classify(401, ""), Outcome::Permanent(_)));
        assert!(matches!(classify(410, ""), Outcome::Permanent(_)));
    }
}
