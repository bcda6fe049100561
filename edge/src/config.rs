//! The Worker's configuration, parsed once per invocation from its variables and
//! secrets into typed values, with defaults that fail closed: no `ENVIRONMENT` (or an
//! unknown one) is production, where `/dev/*` does not exist and the outbox refuses to
//! "send". `problems` is what `/v1/health` reports; it names what is missing, never a
//! secret's value.

use serde::Serialize;

use crate::limits;
use crate::shard::Shards;

/// Where this deployment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    /// `ENVIRONMENT = "development"` (what `cargo xtask dev` and the tests pass): the
    /// `/dev/*` endpoints exist and the outbox is the default email provider.
    Development,
}

/// A secret's value. Its `Debug` prints nothing of it, so a logged `Config` leaks none.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How emails leave, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailConfig {
    /// Stored in D1 and shown at `/dev/mailbox`: development only.
    Outbox,
    /// An email provider's API (`EMAIL_PROVIDER` = `resend`, `postmark`, `sendgrid`,
    /// `mailgun`, `ses`, `cloudflare` (the `send_email` binding), or `http` for Restock's
    /// own JSON).
    Api(Box<ApiConfig>),
    /// `EMAIL_PROVIDER` unset in production.
    Unset,
    /// `EMAIL_PROVIDER` names nothing we speak.
    Unknown(String),
}

/// How texts leave, as configured (`SMS_PROVIDER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsConfig {
    /// Stored in the outbox and shown at `/dev/mailbox`: development only (its default there).
    Outbox,
    /// Twilio's Messages API: `TWILIO_ACCOUNT_SID`, the `TWILIO_AUTH_TOKEN` secret, and
    /// `TWILIO_FROM` (a number of the account, or a Messaging Service SID `MG...`);
    /// `TWILIO_API_URL` replaces `https://api.twilio.com` (a local stand-in).
    Twilio { base: Option<String>, account_sid: Option<String>, auth_token: Option<Secret>, from: Option<String> },
    /// Restock's own JSON to `SMS_API_URL`, with the `SMS_API_KEY` secret.
    Http { url: Option<Secret>, key: Option<Secret> },
    /// `SMS_PROVIDER` unset in production: no texts, and no phone field is offered.
    Off,
    /// `SMS_PROVIDER` names nothing we speak.
    Unknown(String),
}

/// The email APIs Restock speaks, by their `EMAIL_PROVIDER` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    Http,
    Resend,
    Postmark,
    SendGrid,
    Mailgun,
    Ses,
    /// Cloudflare's Email Service through the Worker's `send_email` binding `EMAIL`.
    Cloudflare,
}

impl ApiKind {
    pub const ALL: [ApiKind; 7] = [
        ApiKind::Resend,
        ApiKind::Postmark,
        ApiKind::SendGrid,
        ApiKind::Mailgun,
        ApiKind::Ses,
        ApiKind::Cloudflare,
        ApiKind::Http,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ApiKind::Http => "http",
            ApiKind::Resend => "resend",
            ApiKind::Postmark => "postmark",
            ApiKind::SendGrid => "sendgrid",
            ApiKind::Mailgun => "mailgun",
            ApiKind::Ses => "ses",
            ApiKind::Cloudflare => "cloudflare",
        }
    }

    fn parse(name: &str) -> Option<ApiKind> {
        ApiKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether it authenticates with `EMAIL_API_KEY` (SES signs with AWS keys instead;
    /// Cloudflare's binding is its own credential).
    fn takes_api_key(self) -> bool {
        !matches!(self, ApiKind::Ses | ApiKind::Cloudflare)
    }
}

/// An email API's settings. Which ones a provider needs is `ApiConfig::problems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    pub kind: ApiKind,
    /// `EMAIL_API_URL`: the endpoint for `http`; for the named providers, a base URL that
    /// replaces the provider's production host (a regional host, or a local stand-in).
    pub url: Option<Secret>,
    /// `EMAIL_API_KEY`: the API key (Resend, SendGrid, Mailgun, `http`) or the server
    /// token (Postmark).
    pub key: Option<Secret>,
    /// `EMAIL_FROM`: the sender address (verified with the provider).
    pub from: Option<String>,
    /// `POSTMARK_MESSAGE_STREAM` (default `outbound`, Postmark's transactional stream).
    pub postmark_stream: Option<String>,
    /// `MAILGUN_DOMAIN`: the sending domain, part of the request path.
    pub mailgun_domain: Option<String>,
    /// `MAILGUN_REGION`: `us` (the default) or `eu`, the region the domain was created in.
    pub mailgun_region: Option<String>,
    /// `AWS_REGION`, e.g. `eu-west-1`.
    pub aws_region: Option<String>,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, for temporary credentials,
    /// `AWS_SESSION_TOKEN` (secrets).
    pub aws_access_key_id: Option<Secret>,
    pub aws_secret_access_key: Option<Secret>,
    pub aws_session_token: Option<Secret>,
    /// `SES_CONFIGURATION_SET` (optional: where SES publishes bounces and complaints).
    pub ses_configuration_set: Option<String>,
    /// Whether the Worker has the `send_email` binding `EMAIL` (Cloudflare's Email Service).
    pub email_binding: bool,
}

/// Whether `url` is an http(s) URL with a host.
fn is_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// Whether `region` looks like an AWS region name (it becomes part of a host name).
fn is_aws_region(region: &str) -> bool {
    region.len() <= 32
        && region.contains('-')
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl ApiConfig {
    /// What is missing or wrong, each with whether it stops emails from being sent
    /// (`true`: every email fails with this code until it is fixed).
    pub fn problems(&self) -> Vec<(Problem, bool)> {
        let name = self.kind.name();
        let mut out = Vec::new();
        match &self.url {
            Some(url) if !is_http_url(url.expose()) => {
                out.push((Problem::new("email_api_url_invalid", "EMAIL_API_URL is not an http(s) URL"), true))
            }
            None if self.kind == ApiKind::Http => out.push((
                Problem::new(
                    "email_api_url_missing",
                    "EMAIL_PROVIDER is \"http\" but the EMAIL_API_URL secret is not set",
                ),
                true,
            )),
            _ => {}
        }
        if self.kind.takes_api_key() && self.key.is_none() {
            // The generic API may be an open relay on a private network; the named ones
            // always refuse an unauthenticated request.
            out.push((
                Problem::new(
                    "email_api_key_missing",
                    format!("EMAIL_PROVIDER is \"{name}\" but the EMAIL_API_KEY secret is not set"),
                ),
                self.kind != ApiKind::Http,
            ));
        }
        if self.from.is_none() {
            out.push(if self.kind == ApiKind::Http {
                (
                    Problem::new(
                        "email_from_missing",
                        "EMAIL_FROM is not set: emails would go out from restock@localhost",
                    ),
                    false,
                )
            } else {
                (
                    Problem::new(
                        "email_from_missing",
                        format!("EMAIL_FROM is not set: {name} sends only from an address you verified with it"),
                    ),
                    true,
                )
            });
        }
        match self.kind {
            ApiKind::Mailgun => {
                match self.mailgun_domain.as_deref() {
                    None => out.push((
                        Problem::new("mailgun_domain_missing", "MAILGUN_DOMAIN (the sending domain) is not set"),
                        true,
                    )),
                    Some(d) if !crate::notify::providers::mailgun::valid_domain(d) => {
                        out.push((Problem::new("mailgun_domain_invalid", "MAILGUN_DOMAIN is not a domain name"), true))
                    }
                    Some(_) => {}
                }
                if self.mailgun_region.as_deref().is_some_and(|r| r != "us" && r != "eu") {
                    out.push((Problem::new("mailgun_region_invalid", "MAILGUN_REGION must be \"us\" or \"eu\""), true));
                }
            }
            ApiKind::Ses => {
                match self.aws_region.as_deref() {
                    None => {
                        out.push((Problem::new("aws_region_missing", "AWS_REGION (the SES region) is not set"), true))
                    }
                    Some(r) if !is_aws_region(r) => {
                        out.push((Problem::new("aws_region_invalid", "AWS_REGION is not an AWS region name"), true));
                    }
                    Some(_) => {}
                }
                if self.aws_access_key_id.is_none() || self.aws_secret_access_key.is_none() {
                    out.push((
                        Problem::new(
                            "aws_credentials_missing",
                            "EMAIL_PROVIDER is \"ses\" but the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets are not both set",
                        ),
                        true,
                    ));
                }
            }
            ApiKind::Cloudflare if !self.email_binding => out.push((
                Problem::new(
                    "cloudflare_email_binding_missing",
                    "EMAIL_PROVIDER is \"cloudflare\" but the Worker has no send_email binding named EMAIL \
                     ([[send_email]] name = \"EMAIL\" in its configuration)",
                ),
                true,
            )),
            _ => {}
        }
        out
    }
}

/// One misconfiguration, as `/v1/health` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable, snake_case.
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    fn new(code: &'static str, message: impl Into<String>) -> Problem {
        Problem { code, message: message.into() }
    }
}

/// The parsed variables and secrets.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    /// `ENVIRONMENT` when it was set to something we do not know (treated as production).
    unknown_environment: Option<String>,
    pub email: EmailConfig,
    /// `PUBLIC_URL` without a trailing slash, when it is an http(s) URL.
    pub public_url: Option<String>,
    invalid_public_url: bool,
    pub token_secret: Option<Secret>,
    pub operator_token: Option<Secret>,
    /// `LEASE_SECONDS` (default 120).
    pub lease_seconds: u32,
    /// `RETRY_BASE_SECONDS` (default 30).
    pub retry_base_seconds: u32,
    /// `STUCK_RELEASE_SECONDS` (default 300).
    pub stuck_release_seconds: u32,
    /// `OUTBOUND_TIMEOUT_MS` (default 10 000).
    pub outbound_timeout_ms: u32,
    /// `SUBREQUEST_LIMIT`: subrequests per invocation (default and most 1,000, Workers
    /// Paid; a Free-plan deployment sets 50).
    pub subrequest_limit: u32,
    /// `D1_SHARDS`: which shops live in a database other than `DB` (`shard.rs`).
    pub shards: Shards,
    /// `EMAIL_WEBHOOK_SECRET`: verifies the provider's bounce and complaint webhooks.
    pub email_webhook_secret: Option<Secret>,
    invalid_shards: Option<String>,
    pub sms: SmsConfig,
    /// `SES_SNS_TOPIC_ARN`: the SNS topics (comma-separated) SES publishes bounces and
    /// complaints to; SNS messages of any other topic are refused.
    pub ses_sns_topic_arns: Vec<String>,
    /// `AWS_SNS_TEST_HOST` (`host:port`), development only: a local stand-in that may
    /// serve SNS's certificate and subscription URLs. Ignored in production.
    pub sns_test_host: Option<String>,
}

impl Config {
    /// The configured provider's `EMAIL_PROVIDER` name, if it is a real provider.
    pub fn email_kind_name(&self) -> Option<&'static str> {
        match &self.email {
            EmailConfig::Api(api) => Some(api.kind.name()),
            _ => None,
        }
    }

    /// Reads the Worker's variables (`var`) and secrets (`secret`, which locally may also
    /// come as a `--var`). Empty values count as unset.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>, secret: impl Fn(&str) -> Option<String>) -> Config {
        let var = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let secret = |name: &str| secret(name).filter(|v| !v.is_empty()).or_else(|| var(name)).map(Secret);
        let (environment, unknown_environment) = match var("ENVIRONMENT").as_deref() {
            Some("development") => (Environment::Development, None),
            None | Some("production") => (Environment::Production, None),
            Some(other) => (Environment::Production, Some(other.to_owned())),
        };
        let email = match var("EMAIL_PROVIDER").as_deref() {
            Some("outbox") => EmailConfig::Outbox,
            Some(name) => match ApiKind::parse(name) {
                Some(kind) => EmailConfig::Api(Box::new(ApiConfig {
                    kind,
                    url: secret("EMAIL_API_URL"),
                    key: secret("EMAIL_API_KEY"),
                    from: var("EMAIL_FROM"),
                    postmark_stream: var("POSTMARK_MESSAGE_STREAM"),
                    mailgun_domain: var("MAILGUN_DOMAIN"),
                    mailgun_region: var("MAILGUN_REGION").map(|r| r.to_ascii_lowercase()),
                    aws_region: var("AWS_REGION"),
                    aws_access_key_id: secret("AWS_ACCESS_KEY_ID"),
                    aws_secret_access_key: secret("AWS_SECRET_ACCESS_KEY"),
                    aws_session_token: secret("AWS_SESSION_TOKEN"),
                    ses_configuration_set: var("SES_CONFIGURATION_SET"),
                    email_binding: false,
                })),
                None => EmailConfig::Unknown(name.to_owned()),
            },
            None if environment == Environment::Development => EmailConfig::Outbox,
            None => EmailConfig::Unset,
        };
        let raw_url = var("PUBLIC_URL");
        let public_url = raw_url
            .as_deref()
            .filter(|u| {
                let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
                rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
            })
            .map(|u| u.trim_end_matches('/').to_owned());
        let shards = Shards::parse(var("D1_SHARDS").as_deref());
        let seconds = |name: &str, default: u32| {
            var(name).and_then(|v| v.parse::<u32>().ok()).filter(|s| *s > 0).unwrap_or(default)
        };
        Config {
            environment,
            unknown_environment,
            email,
            invalid_public_url: raw_url.is_some() && public_url.is_none(),
            public_url,
            token_secret: secret("TOKEN_SECRET"),
            operator_token: secret("OPERATOR_TOKEN"),
            lease_seconds: seconds("LEASE_SECONDS", 120),
            retry_base_seconds: seconds("RETRY_BASE_SECONDS", 30),
            stuck_release_seconds: seconds("STUCK_RELEASE_SECONDS", 300),
            outbound_timeout_ms: seconds("OUTBOUND_TIMEOUT_MS", 10_000),
            subrequest_limit: seconds("SUBREQUEST_LIMIT", limits::SUBREQUESTS_PAID).min(limits::SUBREQUESTS_PAID),
            shards: shards.clone().unwrap_or_default(),
            email_webhook_secret: secret("EMAIL_WEBHOOK_SECRET"),
            invalid_shards: shards.err(),
            ses_sns_topic_arns: var("SES_SNS_TOPIC_ARN")
                .map(|v| v.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect())
                .unwrap_or_default(),
            sns_test_host: var("AWS_SNS_TEST_HOST").filter(|_| environment == Environment::Development),
            sms: match var("SMS_PROVIDER").as_deref() {
                Some("outbox") => SmsConfig::Outbox,
                Some("twilio") => SmsConfig::Twilio {
                    base: var("TWILIO_API_URL"),
                    account_sid: var("TWILIO_ACCOUNT_SID"),
                    auth_token: secret("TWILIO_AUTH_TOKEN"),
                    from: var("TWILIO_FROM"),
                },
                Some("http") => SmsConfig::Http { url: secret("SMS_API_URL"), key: secret("SMS_API_KEY") },
                Some(other) => SmsConfig::Unknown(other.to_owned()),
                None if environment == Environment::Development => SmsConfig::Outbox,
                None => SmsConfig::Off,
            },
        }
    }

    /// Why texts cannot be sent, when they cannot: `(code, message)`, as `/v1/health`
    /// reports it. `SMS_PROVIDER` unset in production is `sms_provider_missing` here
    /// (texts are refused) but no health problem: texts are optional.
    pub fn sms_refusal(&self) -> Option<(&'static str, String)> {
        match &self.sms {
            SmsConfig::Outbox if self.is_development() => None,
            SmsConfig::Outbox => Some((
                "sms_provider_outbox",
                "SMS_PROVIDER is \"outbox\" in production: the outbox sends nothing; set twilio or http".into(),
            )),
            SmsConfig::Off => {
                Some(("sms_provider_missing", "SMS_PROVIDER is not set: no text can be sent (twilio or http)".into()))
            }
            SmsConfig::Unknown(name) => Some((
                "sms_provider_unknown",
                format!("SMS_PROVIDER is {name:?}, which is not a provider (use twilio or http)"),
            )),
            SmsConfig::Twilio { base, account_sid, auth_token, from } => {
                if base.as_deref().is_some_and(|u| !is_http_url(u)) {
                    return Some(("twilio_api_url_invalid", "TWILIO_API_URL is not an http(s) URL".into()));
                }
                let settings = crate::notify::sms::twilio::Settings::new(
                    "",
                    account_sid.as_deref().unwrap_or_default(),
                    auth_token.as_ref().map(Secret::expose).unwrap_or_default(),
                    from.as_deref().unwrap_or_default(),
                );
                settings.err().map(|e| {
                    use crate::notify::sms::twilio::SettingsError;
                    let code = match e {
                        SettingsError::AccountSid => "twilio_account_sid_invalid",
                        SettingsError::AuthToken => "twilio_auth_token_missing",
                        SettingsError::From => "twilio_from_invalid",
                    };
                    (code, e.to_string())
                })
            }
            SmsConfig::Http { url, .. } => match url {
                None => Some(("sms_api_url_missing", "SMS_API_URL is not set".into())),
                Some(u) if !is_http_url(u.expose()) => {
                    Some(("sms_api_url_invalid", "SMS_API_URL is not an http(s) URL".into()))
                }
                Some(_) => None,
            },
        }
    }

    /// Whether this deployment can send texts (the widget offers a phone field only then).
    pub fn sms_ready(&self) -> bool {
        self.sms_refusal().is_none()
    }

    /// The configuration of a running Worker.
    pub fn from_env(env: &worker::Env) -> Config {
        let mut config = Config::from_lookup(
            |name| env.var(name).ok().map(|v| v.to_string()),
            |name| env.secret(name).ok().map(|v| v.to_string()),
        );
        if let EmailConfig::Api(api) = &mut config.email
            && api.kind == ApiKind::Cloudflare
        {
            api.email_binding = env.send_email(crate::notify::providers::cloudflare::BINDING).is_ok();
        }
        config
    }

    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }

    /// Why emails cannot be sent, when they cannot: `(code, message)`, the same code
    /// `/v1/health` reports. Recorded on each delivery that this refuses.
    pub fn email_refusal(&self) -> Option<(&'static str, String)> {
        const CHOOSE: &str = "set EMAIL_PROVIDER to resend, postmark, sendgrid, mailgun, ses, cloudflare or http, with \
                              its secrets (README, \"Email providers\")";
        match &self.email {
            EmailConfig::Outbox if !self.is_development() => Some((
                "email_provider_outbox",
                format!(
                    "EMAIL_PROVIDER is \"outbox\" in production: the outbox is a development stand-in and sends nothing; {CHOOSE}"
                ),
            )),
            EmailConfig::Outbox => None,
            EmailConfig::Unset => Some((
                "email_provider_missing",
                format!("EMAIL_PROVIDER is not set: no email can be sent in production; {CHOOSE}"),
            )),
            EmailConfig::Unknown(name) => Some((
                "email_provider_unknown",
                format!(
                    "EMAIL_PROVIDER is {name:?}, which is not a provider (use resend, postmark, sendgrid, mailgun, ses, \
                     cloudflare, http, or \"outbox\" in development)"
                ),
            )),
            EmailConfig::Api(api) => {
                api.problems().into_iter().find(|(_, refuses)| *refuses).map(|(p, _)| (p.code, p.message))
            }
        }
    }

    /// Everything that is misconfigured, for `/v1/health` and the dashboard's banner.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(why) = &self.invalid_shards {
            // Every shop is served from DB then, which is wrong for the ones it names.
            out.push(Problem::new("d1_shards_invalid", format!("{why}; every shop is served from DB")));
        }
        if let Some(env) = &self.unknown_environment {
            out.push(Problem::new(
                "environment_unknown",
                format!(
                    "ENVIRONMENT is {env:?}; only \"production\" and \"development\" exist, so this runs as production"
                ),
            ));
        }
        if self.token_secret.is_none() {
            out.push(Problem::new(
                "token_secret_missing",
                "the TOKEN_SECRET secret is not set: emails with signed links (confirm, unsubscribe, cancel) cannot be sent",
            ));
        }
        if self.operator_token.is_none() {
            out.push(Problem::new(
                "operator_token_missing",
                "the OPERATOR_TOKEN secret is not set: no shop can be created",
            ));
        }
        match &self.email {
            EmailConfig::Api(api) => out.extend(api.problems().into_iter().map(|(p, _)| p)),
            _ => {
                if let Some((code, message)) = self.email_refusal() {
                    out.push(Problem { code, message });
                }
            }
        }
        if let Some((code, message)) = self.sms_refusal().filter(|(code, _)| *code != "sms_provider_missing") {
            out.push(Problem { code, message });
        }
        if self.invalid_public_url {
            out.push(Problem::new("public_url_invalid", "PUBLIC_URL is not an http(s) URL"));
        } else if self.public_url.is_none() && !self.is_development() {
            out.push(Problem::new(
                "public_url_missing",
                "PUBLIC_URL is not set: links in emails use the origin each shop was created on",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)], secrets: &[(&str, &str)]) -> Config {
        let find =
            |list: &[(&str, &str)], name: &str| list.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        Config::from_lookup(|n| find(vars, n), |n| find(secrets, n))
    }

    fn codes(c: &Config) -> Vec<&'static str> {
        c.problems().iter().map(|p| p.code).collect()
    }

    const SECRETS: [(&str, &str); 2] = [("TOKEN_SECRET", "t-secret-value"), ("OPERATOR_TOKEN", "op-secret-value")];

    #[test]
    fn nothing_set_is_production_with_everything_reported() {
        let c = config(&[], &[]);
        assert_eq!(c.environment, Environment::Production);
        assert!(!c.is_development());
        assert_eq!(
            codes(&c),
            ["token_secret_missing", "operator_token_missing", "email_provider_missing", "public_url_missing"]
        );
        assert_eq!(c.email_refusal().map(|(code, _)| code), Some("email_provider_missing"));
    }

    #[test]
    fn texts_are_optional_but_a_chosen_provider_must_be_complete() {
        let sms = |vars: &[(&str, &str)], secrets: &[(&str, &str)]| {
            let c = config(vars, secrets);
            (
                c.sms_ready(),
                c.sms_refusal().map(|(code, _)| code),
                codes(&c).into_iter().filter(|c| c.contains("sms") || c.contains("twilio")).collect::<Vec<_>>(),
            )
        };
        // Unset in production: no texts and no phone field, which is not a problem.
        assert_eq!(sms(&[], &[]), (false, Some("sms_provider_missing"), vec![]));
        // Development: the outbox.
        assert_eq!(sms(&[("ENVIRONMENT", "development")], &[]), (true, None, vec![]));
        assert_eq!(
            sms(&[("SMS_PROVIDER", "outbox")], &[]),
            (false, Some("sms_provider_outbox"), vec!["sms_provider_outbox"])
        );
        assert_eq!(
            sms(&[("SMS_PROVIDER", "nexmo")], &[]),
            (false, Some("sms_provider_unknown"), vec!["sms_provider_unknown"])
        );
        let sid = ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef");
        let token = ("TWILIO_AUTH_TOKEN", "twilio-token");
        let from = ("TWILIO_FROM", "+15005550006");
        assert_eq!(sms(&[("SMS_PROVIDER", "twilio"), sid, from], &[token]), (true, None, vec![]));
        assert_eq!(
            sms(&[("SMS_PROVIDER", "twilio"), sid, from], &[]),
            (false, Some("twilio_auth_token_missing"), vec!["twilio_auth_token_missing"])
        );
        assert_eq!(
            sms(&[("SMS_PROVIDER", "twilio"), ("TWILIO_ACCOUNT_SID", "AC1"), from], &[token]),
            (false, Some("twilio_account_sid_invalid"), vec!["twilio_account_sid_invalid"])
        );
        assert_eq!(
            sms(&[("SMS_PROVIDER", "twilio"), sid, ("TWILIO_FROM", "Restock")], &[token]),
            (false, Some("twilio_from_invalid"), vec!["twilio_from_invalid"])
        );
        assert_eq!(
            sms(&[("SMS_PROVIDER", "twilio"), sid, from, ("TWILIO_API_URL", "ftp://x")], &[token]),
            (false, Some("twilio_api_url_invalid"), vec!["twilio_api_url_invalid"])
        );
        assert_eq!(
            sms(&[("SMS_PROVIDER", "http")], &[]),
            (false, Some("sms_api_url_missing"), vec!["sms_api_url_missing"])
        );
        assert_eq!(
            sms(&[("SMS_PROVIDER", "http")], &[("SMS_API_URL", "https://sms.example/send")]),
            (true, None, vec![])
        );
        // No secret's value in any message.
        let c = config(&[("SMS_PROVIDER", "twilio"), ("TWILIO_ACCOUNT_SID", "AC1")], &[token]);
        assert!(c.problems().iter().all(|p| !p.message.contains("twilio-token")));
        assert!(!format!("{c:?}").contains("twilio-token"));
    }

    #[test]
    fn unknown_environments_run_as_production() {
        let c = config(&[("ENVIRONMENT", "staging"), ("EMAIL_PROVIDER", "outbox")], &SECRETS);
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(codes(&c), ["environment_unknown", "email_provider_outbox", "public_url_missing"]);
    }

    #[test]
    fn development_defaults_to_the_outbox_and_needs_no_public_url() {
        let c = config(&[("ENVIRONMENT", "development")], &SECRETS);
        assert!(c.is_development());
        assert_eq!(c.email, EmailConfig::Outbox);
        assert!(codes(&c).is_empty(), "{:?}", c.problems());
        assert_eq!(c.email_refusal(), None);
    }

    #[test]
    fn a_complete_production_config_has_no_problems() {
        let c = config(
            &[
                ("ENVIRONMENT", "production"),
                ("EMAIL_PROVIDER", "http"),
                ("EMAIL_FROM", "shop@example.com"),
                ("PUBLIC_URL", "https://restock.example.com/"),
            ],
            &[SECRETS[0], SECRETS[1], ("EMAIL_API_URL", "https://api.example.com/send"), ("EMAIL_API_KEY", "k")],
        );
        assert!(codes(&c).is_empty(), "{:?}", c.problems());
        assert_eq!(c.public_url.as_deref(), Some("https://restock.example.com"));
    }

    #[test]
    fn an_http_provider_without_its_settings_is_reported_and_refused_without_a_url() {
        let c = config(&[("EMAIL_PROVIDER", "http"), ("PUBLIC_URL", "ftp://x")], &SECRETS);
        assert_eq!(
            codes(&c),
            ["email_api_url_missing", "email_api_key_missing", "email_from_missing", "public_url_invalid"]
        );
        assert_eq!(c.email_refusal().map(|(code, _)| code), Some("email_api_url_missing"));
        let c = config(&[("EMAIL_PROVIDER", "smtp")], &SECRETS);
        assert_eq!(c.email_refusal().map(|(code, _)| code), Some("email_provider_unknown"));
    }

    #[test]
    fn each_provider_reports_what_it_is_missing_and_refuses_until_fixed() {
        let check = |provider: &str, vars: &[(&str, &str)], secrets: &[(&str, &str)], expected: &[&str]| {
            let mut v = vec![("ENVIRONMENT", "development"), ("EMAIL_PROVIDER", provider)];
            v.extend_from_slice(vars);
            let mut s = SECRETS.to_vec();
            s.extend_from_slice(secrets);
            let c = config(&v, &s);
            assert_eq!(codes(&c), expected, "{provider} {vars:?}");
            assert_eq!(c.email_refusal().map(|(code, _)| code), expected.first().copied(), "{provider}");
        };
        let from = ("EMAIL_FROM", "shop@example.com");
        let key = ("EMAIL_API_KEY", "k");
        for p in ["resend", "postmark", "sendgrid"] {
            check(p, &[], &[], &["email_api_key_missing", "email_from_missing"]);
            check(p, &[from], &[key], &[]);
            check(p, &[from], &[key, ("EMAIL_API_URL", "127.0.0.1:9")], &["email_api_url_invalid"]);
        }
        check("mailgun", &[from], &[key], &["mailgun_domain_missing"]);
        check(
            "mailgun",
            &[from, ("MAILGUN_DOMAIN", "mg/../x"), ("MAILGUN_REGION", "asia")],
            &[key],
            &["mailgun_domain_invalid", "mailgun_region_invalid"],
        );
        check("mailgun", &[from, ("MAILGUN_DOMAIN", "mg.example.com"), ("MAILGUN_REGION", "EU")], &[key], &[]);
        check("ses", &[from], &[], &["aws_region_missing", "aws_credentials_missing"]);
        check(
            "ses",
            &[from, ("AWS_REGION", "eu-west-1.evil.com")],
            &[("AWS_ACCESS_KEY_ID", "a")],
            &["aws_region_invalid", "aws_credentials_missing"],
        );
        check(
            "ses",
            &[from, ("AWS_REGION", "eu-west-1")],
            &[("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")],
            &[],
        );
    }

    #[test]
    fn secrets_appear_in_no_message_and_no_debug_output() {
        let c = config(&[("EMAIL_PROVIDER", "http")], &[("EMAIL_API_KEY", "key-value-123"), SECRETS[0]]);
        let text = format!("{c:?} {:?}", c.problems());
        for value in ["key-value-123", "t-secret-value"] {
            assert!(!text.contains(value), "{text}");
        }
        assert_eq!(c.token_secret.as_ref().map(Secret::expose), Some("t-secret-value"));
    }

    #[test]
    fn empty_values_are_unset_and_durations_fall_back_to_defaults() {
        let c = config(
            &[("LEASE_SECONDS", "0"), ("RETRY_BASE_SECONDS", "5"), ("ENVIRONMENT", "")],
            &[("TOKEN_SECRET", "")],
        );
        assert_eq!(c.lease_seconds, 120);
        assert_eq!(c.retry_base_seconds, 5);
        assert_eq!(c.environment, Environment::Production);
        assert!(c.token_secret.is_none());
    }
}
