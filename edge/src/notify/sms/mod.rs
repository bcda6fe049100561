//! SMS: text alerts to shoppers who added a phone number to their waitlist signup, as
//! pure functions in the shape of the email `providers` (and with their `Call`, `Reply`
//! and `Outcome`): `request` turns an [`Sms`] into one HTTP `Call`, `outcome` reads the
//! API's `Reply`, and the shell (`send`) does the one `fetch` in between. Restock waves
//! create `sms` deliveries next to the emails (`release`), within the shop's per-wave
//! budget; the consumer claims and sends them like emails.
//!
//! - [`hook`]: `POST /v1/hooks/sms/twilio`, the shell of `inbound`.
//! - [`twilio`]: Twilio's Messages API (form-encoded, HTTP Basic auth).
//! - [`http`]: Restock's own JSON for any other gateway.
//! - [`inbound`]: Twilio's inbound-message webhook: `X-Twilio-Signature`, STOP/START
//!   keywords, the empty TwiML answer.
//! - [`form`]: `application/x-www-form-urlencoded`, both ways.
//! - [`budget`]: how many SMS of a waitlist wave may go.
//!
//! Idempotency: Twilio's Messages API takes no idempotency key, so an SMS whose answer
//! is lost (a timeout after Twilio accepted it) can arrive twice; the generic API gets
//! the delivery's dedupe key. Opt-outs: Twilio blocks a number that replied STOP on its
//! side (error 21610 from then on) and also forwards the STOP to our webhook, which is
//! where we record it.

pub mod budget;
pub mod form;
pub mod hook;
pub mod http;
pub mod inbound;
pub mod twilio;

use restock_shared::phone::Phone;
use restock_shared::{Lang, Timestamp};

pub use budget::sms_allowed;
pub use form::parse_form;
pub use inbound::{OptOut, TWIML_EMPTY, opt_out, twilio_signature_valid};

use crate::config::{Config, Secret, SmsConfig};
use crate::crypto::sha256_hex;
use crate::i18n::{M, fill};
use crate::notify::provider::Outcome;
use crate::notify::providers::{Call, Reply};

/// The most characters of one text: Twilio's `Body` limit.
pub const MAX_BODY: usize = 1600;

/// Where texts go, as configured.
#[derive(Debug, Clone)]
pub enum SmsProvider {
    /// Development: into the outbox, shown at `/dev/mailbox`.
    Outbox,
    Api(Api),
    /// No text can be sent: the code `Config::sms_refusal` gives, and its message.
    Refused(String),
}

impl SmsProvider {
    pub fn from_config(config: &Config) -> SmsProvider {
        if let Some((code, message)) = config.sms_refusal() {
            return SmsProvider::Refused(format!("{code}: {message}"));
        }
        let expose = |s: &Option<Secret>| s.as_ref().map(|s| s.expose().to_owned()).unwrap_or_default();
        match &config.sms {
            SmsConfig::Twilio { base, account_sid, auth_token, from } => match twilio::Settings::new(
                base.as_deref().unwrap_or(twilio::BASE).trim_end_matches('/'),
                account_sid.as_deref().unwrap_or_default(),
                &expose(auth_token),
                from.as_deref().unwrap_or_default(),
            ) {
                Ok(s) => SmsProvider::Api(Api::Twilio(s)),
                Err(e) => SmsProvider::Refused(e.to_string()),
            },
            SmsConfig::Http { url, key } => {
                SmsProvider::Api(Api::Http(http::Settings { url: expose(url), key: expose(key) }))
            }
            _ => SmsProvider::Outbox,
        }
    }
}

/// The restock text: the shop, the product, its link and how to stop, in the
/// subscriber's language; cut (at a character boundary) to what one text may hold.
pub fn restock_body(lang: Lang, shop: &str, product: &str, url: Option<&str>) -> String {
    let body = fill(lang, M::SmsRestock, &[("shop", shop), ("product", product), ("url", url.unwrap_or_default())]);
    let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
    body.chars().take(MAX_BODY).collect()
}

/// Sends one text through `api`; `idempotency_key` is the delivery's dedupe key. Also
/// says whether the API refused because the number opted out (Twilio's 21610), so the
/// opt-out is recorded even if the webhook that carried the STOP was missed.
pub async fn send(api: &Api, sms: &Sms, idempotency_key: &str, now: Timestamp, timeout: u32) -> (Outcome, bool) {
    let Call { url, headers, body } = api.request(sms, idempotency_key);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match crate::notify::provider::post(&url, &headers, &body, timeout).await {
        Ok(reply) => {
            let opted_out = matches!(api, Api::Twilio(_)) && twilio::recipient_opted_out(&reply);
            (api.outcome(&reply, now), opted_out)
        }
        Err(e) => (Outcome::retry(format!("{}: {e}", api.name())), false),
    }
}

/// Records that `phone` replied STOP (or START) in every database: one sender serves
/// every shop of the deployment, and Twilio blocks (or unblocks) the number for all of
/// them. STOP keeps the number's hash in `sms_optouts` and stops its signups' texts.
pub async fn record(ctx: &crate::ctx::Ctx, phone: &Phone, word: OptOut) -> Result<(), crate::error::ApiError> {
    use crate::db;
    let hash = phone_hash(phone);
    let now = ctx.now.millis();
    for binding in ctx.config.shards.all() {
        let db = ctx.db_named(binding)?;
        let statements = match word {
            OptOut::Stop => vec![
                db::stmt(
                    &db,
                    "INSERT OR IGNORE INTO sms_optouts (phone_hash, created_at) VALUES (?1, ?2)",
                    crate::args![hash.as_str(), now],
                )?,
                db::stmt(
                    &db,
                    "UPDATE waitlist SET sms_stopped_at = ?2, updated_at = ?2 WHERE phone = ?1 AND sms_stopped_at IS NULL",
                    crate::args![phone.as_str(), now],
                )?,
            ],
            OptOut::Start => vec![
                db::stmt(&db, "DELETE FROM sms_optouts WHERE phone_hash = ?1", crate::args![hash.as_str()])?,
                db::stmt(
                    &db,
                    "UPDATE waitlist SET sms_stopped_at = NULL, updated_at = ?2 WHERE phone = ?1 AND sms_stopped_at IS NOT NULL",
                    crate::args![phone.as_str(), now],
                )?,
            ],
        };
        db::batch(&db, statements).await?;
    }
    Ok(())
}

/// What an opt-out keeps of a number: a hash of its E.164 spelling.
pub fn phone_hash(phone: &Phone) -> String {
    sha256_hex(phone.as_str().as_bytes())
}

/// One text message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    /// The recipient in E.164 (`Phone::as_str`).
    pub to: String,
    pub body: String,
}

impl Sms {
    pub fn new(to: &Phone, body: impl Into<String>) -> Sms {
        Sms { to: to.as_str().to_owned(), body: body.into() }
    }
}

/// A configured SMS API, with its credentials.
#[derive(Clone)]
pub enum Api {
    Twilio(twilio::Settings),
    Http(http::Settings),
}

impl std::fmt::Debug for Api {
    // Only the name: the settings hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Api({})", self.name())
    }
}

impl Api {
    pub fn name(&self) -> &'static str {
        match self {
            Api::Twilio(_) => "twilio",
            Api::Http(_) => "http",
        }
    }

    /// The request that sends `sms`; `idempotency_key` is used where the API has one.
    pub fn request(&self, sms: &Sms, idempotency_key: &str) -> Call {
        match self {
            Api::Twilio(s) => twilio::request(s, sms),
            Api::Http(s) => http::request(s, sms, idempotency_key),
        }
    }

    /// What the API's answer means.
    pub fn outcome(&self, reply: &Reply, now: Timestamp) -> Outcome {
        match self {
            Api::Twilio(_) => twilio::outcome(reply, now),
            Api::Http(_) => http::outcome(reply, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restock_texts_name_shop_product_link_and_stop_in_each_language() {
        let en = restock_body(Lang::En, "Bob's Bikes", "Trail Boot 42", Some("https://shop.example/boot"));
        assert_eq!(en, "Bob's Bikes: Trail Boot 42 is back in stock. https://shop.example/boot Reply STOP to opt out.");
        // No link: no double space where it would have been.
        assert_eq!(restock_body(Lang::En, "S", "P", None), "S: P is back in stock. Reply STOP to opt out.");
        for lang in Lang::ALL {
            let body = restock_body(lang, "Shop", "Boot", Some("https://s.example/b"));
            assert!(body.contains("STOP") && body.contains("https://s.example/b") && body.contains("Boot"), "{lang:?}");
        }
        let long = restock_body(Lang::En, "S", &"é".repeat(3000), None);
        assert_eq!(long.chars().count(), MAX_BODY);
    }

    #[test]
    fn an_opt_out_keeps_a_hash_of_the_number_not_the_number() {
        let a = Phone::parse("+44 7700 900123").unwrap_or_else(|e| panic!("{e}"));
        let b = Phone::parse("0044-7700-900123").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(phone_hash(&a), phone_hash(&b), "one number, however typed");
        assert!(!phone_hash(&a).contains("7700"));
        assert_eq!(phone_hash(&a).len(), 64);
    }

    #[test]
    fn apis_dispatch_to_their_adapter_and_hide_their_secrets() {
        let phone = Phone::parse("+44 7700 900123").unwrap_or_else(|e| panic!("{e}"));
        let sms = Sms::new(&phone, "Back in stock");
        assert_eq!(sms.to, "+447700900123");
        let twilio = twilio::Settings::new(twilio::BASE, twilio::tests::SID, "token-1", "+15005550006")
            .unwrap_or_else(|e| panic!("{e}"));
        let api = Api::Twilio(twilio);
        assert!(api.request(&sms, "k").url.ends_with("/Messages.json"));
        assert_eq!(format!("{api:?}"), "Api(twilio)");
        let http = Api::Http(http::Settings { url: "https://sms.example/send".into(), key: "k-1".into() });
        assert_eq!(http.request(&sms, "restock:1").url, "https://sms.example/send");
        assert_eq!(format!("{http:?}"), "Api(http)");
    }
}
