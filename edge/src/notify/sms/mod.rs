//! SMS: text alerts to shoppers who signed up with a phone number, as pure functions
//! in the shape of the email `providers` (and with their `Call`, `Reply` and
//! `Outcome`): `request` turns an [`Sms`] into one HTTP `Call`, `outcome` reads the
//! API's `Reply`, and the shell does the one `fetch` in between.
//!
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
pub mod http;
pub mod inbound;
pub mod twilio;

use restock_shared::Timestamp;
use restock_shared::phone::Phone;

pub use budget::sms_allowed;
pub use form::parse_form;
pub use inbound::{OptOut, TWIML_EMPTY, opt_out, twilio_signature_valid};

use crate::notify::provider::Outcome;
use crate::notify::providers::{Call, Reply};

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
