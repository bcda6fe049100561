//! The Worker's configuration, parsed once per invocation from its variables and
//! secrets into typed values, with defaults that fail closed: no `ENVIRONMENT` (or an
//! unknown one) is production, where `/dev/*` does not exist and the outbox refuses to
//! "send". `problems` is what `/v1/health` reports; it names what is missing, never a
//! secret's value.

use serde::Serialize;

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
    /// An HTTP email API (`EMAIL_PROVIDER = "http"`).
    Http { url: Option<Secret>, key: Option<Secret>, from: Option<String> },
    /// `EMAIL_PROVIDER` unset in production.
    Unset,
    /// `EMAIL_PROVIDER` is neither `outbox` nor `http`.
    Unknown(String),
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
}

impl Config {
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
            Some("http") => EmailConfig::Http {
                url: secret("EMAIL_API_URL"),
                key: secret("EMAIL_API_KEY"),
                from: var("EMAIL_FROM"),
            },
            Some("outbox") => EmailConfig::Outbox,
            None if environment == Environment::Development => EmailConfig::Outbox,
            None => EmailConfig::Unset,
            Some(other) => EmailConfig::Unknown(other.to_owned()),
        };
        let raw_url = var("PUBLIC_URL");
        let public_url = raw_url
            .as_deref()
            .filter(|u| {
                let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
                rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
            })
            .map(|u| u.trim_end_matches('/').to_owned());
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
        }
    }

    /// The configuration of a running Worker.
    pub fn from_env(env: &worker::Env) -> Config {
        Config::from_lookup(
            |name| env.var(name).ok().map(|v| v.to_string()),
            |name| env.secret(name).ok().map(|v| v.to_string()),
        )
    }

    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }

    /// Why emails cannot be sent, when they cannot: `(code, message)`, the same code
    /// `/v1/health` reports. Recorded on each delivery that this refuses.
    pub fn email_refusal(&self) -> Option<(&'static str, String)> {
        match &self.email {
            EmailConfig::Outbox if !self.is_development() => Some((
                "email_provider_outbox",
                "EMAIL_PROVIDER is \"outbox\" in production: the outbox is a development stand-in and sends nothing; \
                 set EMAIL_PROVIDER = \"http\" with EMAIL_API_URL and EMAIL_API_KEY"
                    .into(),
            )),
            EmailConfig::Outbox => None,
            EmailConfig::Unset => Some((
                "email_provider_missing",
                "EMAIL_PROVIDER is not set: no email can be sent in production; \
                 set EMAIL_PROVIDER = \"http\" with EMAIL_API_URL and EMAIL_API_KEY"
                    .into(),
            )),
            EmailConfig::Unknown(name) => Some((
                "email_provider_unknown",
                format!(
                    "EMAIL_PROVIDER is {name:?}, which is not a provider (use \"http\", or \"outbox\" in development)"
                ),
            )),
            EmailConfig::Http { url: None, .. } => Some((
                "email_api_url_missing",
                "EMAIL_PROVIDER is \"http\" but the EMAIL_API_URL secret is not set".into(),
            )),
            EmailConfig::Http { .. } => None,
        }
    }

    /// Everything that is misconfigured, for `/v1/health` and the dashboard's banner.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
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
        if let Some((code, message)) = self.email_refusal() {
            out.push(Problem { code, message });
        }
        if let EmailConfig::Http { key, from, .. } = &self.email {
            if key.is_none() {
                out.push(Problem::new(
                    "email_api_key_missing",
                    "EMAIL_PROVIDER is \"http\" but the EMAIL_API_KEY secret is not set",
                ));
            }
            if from.is_none() {
                out.push(Problem::new(
                    "email_from_missing",
                    "EMAIL_FROM is not set: emails would go out from restock@localhost",
                ));
            }
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
