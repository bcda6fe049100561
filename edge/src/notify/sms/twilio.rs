//! Twilio's Messages API (twilio.com/docs/messaging/api/message-resource, "Create a
//! Message resource"): `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` on
//! `https://api.twilio.com`, HTTP Basic auth `AccountSid:AuthToken`, and an
//! `application/x-www-form-urlencoded` body with `To` (E.164), the sender as either
//! `From` (one of the account's numbers) or `MessagingServiceSid` (`MG...`, a sender
//! pool), and `Body` (at most 1,600 characters). No idempotency key.
//!
//! Answers: 201 with the Message resource (`sid` `SM...`, `status` `queued`, or
//! `accepted` through a Messaging Service). Errors carry Twilio's JSON
//! `{code, message, more_info, status}` (twilio.com/docs/usage/twilios-response):
//! 429 / 20429 "Too many requests" is never processed and safe to retry (with
//! `Retry-After` when given); 5xx retry; 401 / 20003 (bad credentials) and 400s such as
//! 21211 (invalid `To`), 21408 (the `To` number's region is not enabled), 21610 (the
//! recipient replied STOP) are permanent, with Twilio's code in the reason.

use std::fmt;

use restock_shared::Timestamp;
use restock_shared::phone::Phone;

use super::Sms;
use super::form;
use crate::crypto::base64;
use crate::notify::provider::Outcome;
use crate::notify::providers::{Call, Reply, by_status, join};

pub const BASE: &str = "https://api.twilio.com";

/// Twilio's error codes that Restock tells apart (twilio.com/docs/api/errors/NNNNN).
pub mod code {
    /// 401: the Account SID and Auth Token do not match.
    pub const AUTHENTICATE: u64 = 20003;
    /// 429: too many concurrent requests; safe to retry.
    pub const TOO_MANY_REQUESTS: u64 = 20429;
    /// 400: the `To` number is not a valid phone number.
    pub const INVALID_TO: u64 = 21211;
    /// 400: SMS to the `To` number's country is not enabled on the account.
    pub const REGION_NOT_ENABLED: u64 = 21408;
    /// 400: the recipient replied STOP to this sender; Twilio refuses until START.
    pub const UNSUBSCRIBED: u64 = 21610;
}

/// Who a message is sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// One of the account's numbers (`From`).
    Number(Phone),
    /// A Messaging Service (`MessagingServiceSid`): Twilio picks a number from its pool.
    Service(String),
}

impl Sender {
    /// `MG` and 32 hex digits is a Messaging Service; anything else must be a phone
    /// number. (Alphanumeric sender ids and short codes are not supported.)
    pub fn parse(text: &str) -> Option<Sender> {
        let text = text.trim();
        if is_sid(text, "MG") {
            return Some(Sender::Service(text.to_owned()));
        }
        Phone::parse(text).ok().map(Sender::Number)
    }

    fn param(&self) -> (&'static str, &str) {
        match self {
            Sender::Number(phone) => ("From", phone.as_str()),
            Sender::Service(sid) => ("MessagingServiceSid", sid),
        }
    }
}

/// A Twilio SID: the two-letter prefix and 32 hex digits.
fn is_sid(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What is wrong with the Twilio configuration (it names the setting, never a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsError {
    AccountSid,
    AuthToken,
    From,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingsError::AccountSid => "the Twilio Account SID must be AC and 32 hex digits",
            SettingsError::AuthToken => "the Twilio Auth Token is empty",
            SettingsError::From => "the Twilio sender must be an E.164 number or a Messaging Service SID (MG...)",
        })
    }
}

/// A checked Twilio configuration. Its `Debug` leaves the Auth Token out.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    base: String,
    account_sid: String,
    auth_token: String,
    from: Sender,
}

impl Settings {
    /// `base` is [`BASE`] except for a local stand-in. The Account SID goes into the
    /// request path, so it is checked to be a SID and nothing else.
    pub fn new(base: &str, account_sid: &str, auth_token: &str, from: &str) -> Result<Settings, SettingsError> {
        let account_sid = account_sid.trim();
        if !is_sid(account_sid, "AC") {
            return Err(SettingsError::AccountSid);
        }
        if auth_token.is_empty() {
            return Err(SettingsError::AuthToken);
        }
        let from = Sender::parse(from).ok_or(SettingsError::From)?;
        Ok(Settings {
            base: base.to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from,
        })
    }

    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// The secret inbound webhooks are signed with (see `inbound`).
    pub fn auth_token(&self) -> &str {
        &self.auth_token
    }

    pub fn from(&self) -> &Sender {
        &self.from
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("base", &self.base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"..")
            .field("from", &self.from)
            .finish()
    }
}

pub fn request(s: &Settings, sms: &Sms) -> Call {
    let (sender_name, sender) = s.from.param();
    let credentials = base64(format!("{}:{}", s.account_sid, s.auth_token).as_bytes());
    Call {
        url: join(&s.base, &format!("/2010-04-01/Accounts/{}/Messages.json", s.account_sid)),
        headers: vec![
            ("authorization".into(), format!("Basic {credentials}")),
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: form::encode(&[("To", &sms.to), (sender_name, sender), ("Body", &sms.body)]),
    }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    let v = reply.json();
    if (200..300).contains(&reply.status) {
        return Outcome::Sent { provider_id: v["sid"].as_str().map(str::to_owned) };
    }
    let message: Option<String> = v["message"].as_str().map(|m| m.chars().take(200).collect());
    let what = match (error_code(reply), message) {
        (Some(code), Some(message)) => format!("Twilio {code}: {message}"),
        (Some(code), None) => format!("Twilio {code}"),
        (None, Some(message)) => message,
        (None, None) => reply.hint(),
    };
    by_status(reply, now, &what)
}

/// Twilio's error code in an error answer (`code` of its error JSON).
pub fn error_code(reply: &Reply) -> Option<u64> {
    reply.json()["code"].as_u64()
}

/// Whether Twilio refused because the recipient replied STOP (21610): the shell then
/// records the opt-out too, in case the webhook carrying the STOP was missed.
pub fn recipient_opted_out(reply: &Reply) -> bool {
    reply.status == 400 && error_code(reply) == Some(code::UNSUBSCRIBED)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::notify::providers::tests::{now, reply};

    pub const SID: &str = "AC11111111111111111111111111111111";
    pub const SERVICE: &str = "MG22222222222222222222222222222222";

    fn settings(from: &str) -> Settings {
        Settings::new("http://127.0.0.1:9/", SID, "test-auth-token", from).unwrap_or_else(|e| panic!("{e}"))
    }

    fn sms() -> Sms {
        Sms { to: "+447700900123".into(), body: "Mug is back: 3 left & 10% off!".into() }
    }

    #[test]
    fn builds_the_documented_request() {
        let call = request(&settings("+1 500 555 0006"), &sms());
        assert_eq!(call.url, format!("http://127.0.0.1:9/2010-04-01/Accounts/{SID}/Messages.json"));
        // python3 -c "import base64; print(base64.b64encode(b'AC111...111:test-auth-token').decode())"
        assert_eq!(
            call.header("authorization"),
            Some("Basic QUMxMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTp0ZXN0LWF1dGgtdG9rZW4=")
        );
        assert_eq!(call.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(call.body, "To=%2B447700900123&From=%2B15005550006&Body=Mug+is+back%3A+3+left+%26+10%25+off%21");
        let fields = form::parse_form(&call.body);
        assert_eq!(fields[2], ("Body".to_owned(), sms().body));

        let call = request(&settings(SERVICE), &sms());
        assert!(call.body.starts_with(&format!("To=%2B447700900123&MessagingServiceSid={SERVICE}&Body=")));
        assert!(!call.body.contains("From="));
        let real = Settings { base: BASE.into(), ..settings(SERVICE) };
        assert_eq!(
            request(&real, &sms()).url,
            format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json")
        );
    }

    #[test]
    fn settings_are_checked_and_keep_the_token_out_of_debug() {
        assert_eq!(Settings::new(BASE, "AC123", "t", "+15005550006"), Err(SettingsError::AccountSid));
        assert_eq!(Settings::new(BASE, &format!("{SID}/../x"), "t", "+15005550006"), Err(SettingsError::AccountSid));
        assert_eq!(Settings::new(BASE, SID, "", "+15005550006"), Err(SettingsError::AuthToken));
        for bad in ["", "Restock", "5005550006", "MG123", "MGzz222222222222222222222222222222"] {
            assert_eq!(Settings::new(BASE, SID, "t", bad), Err(SettingsError::From), "{bad:?}");
        }
        let s = settings(SERVICE);
        assert_eq!((s.account_sid(), s.auth_token()), (SID, "test-auth-token"));
        assert_eq!(s.from(), &Sender::Service(SERVICE.into()));
        let debug = format!("{s:?}");
        assert!(!debug.contains("test-auth-token") && debug.contains(SID), "{debug}");
    }

    fn twilio_error(code: u64, status: u16, message: &str) -> String {
        serde_json::json!({ "code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status }).to_string()
    }

    #[test]
    fn reads_sids_rate_limits_and_errors() {
        let created = r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+447700900123"}"#;
        assert_eq!(
            outcome(&reply(201, &[], created), now()),
            Outcome::Sent { provider_id: Some("SM0123456789abcdef0123456789abcdef".into()) }
        );
        let limited = twilio_error(code::TOO_MANY_REQUESTS, 429, "Too Many Requests");
        assert_eq!(
            outcome(&reply(429, &[("Retry-After", "1")], &limited), now()),
            Outcome::Retry { error: "HTTP 429 Twilio 20429: Too Many Requests".into(), after: Some(1) }
        );
        assert!(matches!(outcome(&reply(429, &[], &limited), now()), Outcome::Retry { after: None, .. }));
        assert!(matches!(
            outcome(&reply(500, &[], &twilio_error(20500, 500, "Internal")), now()),
            Outcome::Retry { .. }
        ));
        assert!(matches!(outcome(&reply(503, &[], "<html>down</html>"), now()), Outcome::Retry { .. }));
        for (code, message) in [
            (code::INVALID_TO, "The 'To' number +4477 is not a valid phone number."),
            (
                code::REGION_NOT_ENABLED,
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +44770090012.",
            ),
            (code::UNSUBSCRIBED, "Attempt to send to unsubscribed recipient"),
        ] {
            let got = outcome(&reply(400, &[], &twilio_error(code, 400, message)), now());
            assert_eq!(got, Outcome::Permanent(format!("HTTP 400 Twilio {code}: {message}")));
        }
        let denied = twilio_error(code::AUTHENTICATE, 401, "Authenticate");
        assert_eq!(
            outcome(&reply(401, &[], &denied), now()),
            Outcome::Permanent("HTTP 401 Twilio 20003: Authenticate".into())
        );
        assert_eq!(outcome(&reply(404, &[], "not json"), now()), Outcome::Permanent("HTTP 404 not json".into()));
    }

    #[test]
    fn tells_a_stopped_recipient_apart() {
        let stopped =
            reply(400, &[], &twilio_error(code::UNSUBSCRIBED, 400, "Attempt to send to unsubscribed recipient"));
        assert!(recipient_opted_out(&stopped));
        assert_eq!(error_code(&stopped), Some(21610));
        assert!(!recipient_opted_out(&reply(400, &[], &twilio_error(code::INVALID_TO, 400, "x"))));
        assert!(!recipient_opted_out(&reply(500, &[], "")));
    }
}
