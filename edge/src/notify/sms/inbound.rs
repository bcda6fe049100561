//! Twilio's webhook for incoming messages (twilio.com/docs/messaging/guides/webhook-request):
//! a form-encoded `POST` with `From`, `To`, `Body`, `MessageSid`, `AccountSid`,
//! `NumMedia` and more (Twilio adds parameters without notice, so the signature covers
//! whatever arrived, not a list we know). We read it for STOP and START only.
//!
//! Signature (twilio.com/docs/usage/webhooks/webhooks-security): `X-Twilio-Signature`
//! is base64 of HMAC-SHA1, keyed with the account's Auth Token, over the full URL
//! Twilio requested (scheme, host, path and query, exactly as configured) followed by
//! each `POST` parameter's name and value with no separators, parameters sorted by
//! name (and a repeated name's values by value, as Twilio's own libraries do). The
//! shell must pass the public URL Twilio was given, not one rebuilt behind a proxy.
//!
//! Keywords: Twilio's defaults, matched like Twilio does, on the whole message only
//! ("STOP PLEASE" is no opt-out), in any case, after trimming. Opt-out: STOP, STOPALL,
//! UNSUBSCRIBE, CANCEL, END, QUIT, and OPTOUT and REVOKE (listed by the Advanced
//! Opt-Out guide, twilio.com/docs/messaging/tutorials/advanced-opt-out). Opt-in again:
//! START, UNSTOP, YES. Twilio itself blocks and unblocks the number and answers the
//! shopper; our reply is empty TwiML so we never send a second confirmation.

use hmac::{KeyInit, Mac};

use crate::crypto::{base64, ct_eq};

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// The webhook answer that tells Twilio to send nothing (serve as `text/xml`).
pub const TWIML_EMPTY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;
pub const TWIML_CONTENT_TYPE: &str = "text/xml";
/// The request header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// The signature Twilio sends for a request to `full_url` with these form parameters.
pub fn twilio_signature(auth_token: &str, full_url: &str, form_params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = form_params.iter().collect();
    sorted.sort();
    // HMAC takes keys of any length, so this never fails; an empty text matches no header.
    let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(auth_token.as_bytes()) else { return String::new() };
    mac.update(full_url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64(&mac.finalize().into_bytes())
}

/// Whether `header_value` (the `X-Twilio-Signature`) is Twilio's signature of this
/// request, compared in constant time. Never true without a token or a signature.
pub fn twilio_signature_valid(
    auth_token: &str,
    full_url: &str,
    form_params: &[(String, String)],
    header_value: &str,
) -> bool {
    let given = header_value.trim();
    if auth_token.is_empty() || given.is_empty() {
        return false;
    }
    ct_eq(given.as_bytes(), twilio_signature(auth_token, full_url, form_params).as_bytes())
}

/// What an incoming message asks of its sender's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOut {
    /// An opt-out keyword: send this number nothing more.
    Stop,
    /// An opt-in keyword: the number may be texted again.
    Start,
}

const STOP_WORDS: [&str; 8] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"];
const START_WORDS: [&str; 3] = ["START", "UNSTOP", "YES"];

/// The keyword the whole (trimmed) message is, if it is one of Twilio's defaults.
pub fn opt_out(body_text: &str) -> Option<OptOut> {
    let word = body_text.trim();
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(word));
    if is(&STOP_WORDS) {
        Some(OptOut::Stop)
    } else if is(&START_WORDS) {
        Some(OptOut::Start)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::sms::form::{encode, parse_form};

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    const DOCS_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn check(token: &str, url: &str, fields: &[(&str, &str)], signature: &str) {
        let fields = params(fields);
        assert_eq!(twilio_signature(token, url, &fields), signature, "{fields:?}");
        assert!(twilio_signature_valid(token, url, &fields, signature));
    }

    #[test]
    fn matches_twilios_published_vectors() {
        // The worked example of twilio.com/docs/usage/webhooks/webhooks-security (Auth
        // Token 12345), parameters given out of order on purpose.
        check(
            "12345",
            DOCS_URL,
            &[
                ("To", "+18005551212"),
                ("From", "+14158675310"),
                ("Digits", "1234"),
                ("CallSid", "CA1234567890ABCDE"),
                ("Caller", "+14158675310"),
            ],
            "GvWf1cFY/Q7PnoempGyD5oXAezc=",
        );
        // twilio/twilio-python tests/unit/test_request_validator.py: the same with
        // other numbers, and a repeated parameter (values sorted too).
        check(
            "12345",
            DOCS_URL,
            &[
                ("CallSid", "CA1234567890ABCDE"),
                ("Digits", "1234"),
                ("From", "+14158675309"),
                ("To", "+18005551212"),
                ("Caller", "+14158675309"),
            ],
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        );
        check(
            "12345",
            DOCS_URL,
            &[("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")],
            "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
        );
    }

    /// An inbound STOP with a non-ASCII, form-special body, checked against an
    /// independent computation:
    /// `python3 -c 'import hmac,hashlib,base64; p=[("From","+447700900123"),("To","+15005550006"),
    /// ("Body","Stop é+&="),("MessageSid","SM"+"0"*32),("AccountSid","AC"+"1"*32),("NumMedia","0")];
    /// s="https://restock.example/v1/hooks/sms/twilio"+"".join(k+v for k,v in sorted(p));
    /// print(base64.b64encode(hmac.new(b"test-auth-token",s.encode(),hashlib.sha1).digest()).decode())'`
    #[test]
    fn signs_the_decoded_parameters_of_a_real_form_body() {
        let url = "https://restock.example/v1/hooks/sms/twilio";
        let sid = format!("SM{}", "0".repeat(32));
        let account = format!("AC{}", "1".repeat(32));
        let fields = [
            ("From", "+447700900123"),
            ("To", "+15005550006"),
            ("Body", "Stop é+&="),
            ("MessageSid", sid.as_str()),
            ("AccountSid", account.as_str()),
            ("NumMedia", "0"),
        ];
        let body = encode(&fields);
        let parsed = parse_form(&body);
        assert!(twilio_signature_valid("test-auth-token", url, &parsed, " 5hUcQ+rXb2lOWr/Bxg6niRKjjFU= "));
    }

    #[test]
    fn refuses_anything_else() {
        let fields = params(&[("From", "+14158675310"), ("Body", "STOP")]);
        let good = twilio_signature("12345", DOCS_URL, &fields);
        assert!(twilio_signature_valid("12345", DOCS_URL, &fields, &good));
        assert!(!twilio_signature_valid("54321", DOCS_URL, &fields, &good), "wrong token");
        assert!(!twilio_signature_valid("12345", "https://mycompany.com/myapp.php", &fields, &good), "other URL");
        assert!(!twilio_signature_valid("12345", &DOCS_URL.replace("https", "http"), &fields, &good), "other scheme");
        let tampered = params(&[("From", "+14158675310"), ("Body", "START")]);
        assert!(!twilio_signature_valid("12345", DOCS_URL, &tampered, &good), "tampered body");
        let extra = params(&[("From", "+14158675310"), ("Body", "STOP"), ("NumMedia", "0")]);
        assert!(!twilio_signature_valid("12345", DOCS_URL, &extra, &good), "added parameter");
        assert!(!twilio_signature_valid("12345", DOCS_URL, &fields, ""), "no signature");
        assert!(!twilio_signature_valid("12345", DOCS_URL, &fields, &good[..good.len() - 1]), "cut short");
        let unsigned = twilio_signature("", DOCS_URL, &fields);
        assert!(!twilio_signature_valid("", DOCS_URL, &fields, &unsigned), "no token");
    }

    #[test]
    fn keywords_are_whole_messages_in_any_case() {
        for (text, want) in [
            ("STOP", Some(OptOut::Stop)),
            ("stop", Some(OptOut::Stop)),
            ("  Stop \n", Some(OptOut::Stop)),
            ("StopAll", Some(OptOut::Stop)),
            ("unsubscribe", Some(OptOut::Stop)),
            ("Cancel", Some(OptOut::Stop)),
            ("END", Some(OptOut::Stop)),
            ("quit", Some(OptOut::Stop)),
            ("OptOut", Some(OptOut::Stop)),
            ("revoke", Some(OptOut::Stop)),
            ("START", Some(OptOut::Start)),
            ("unstop", Some(OptOut::Start)),
            ("Yes", Some(OptOut::Start)),
            ("STOP PLEASE", None),
            ("please stop", None),
            ("Stop.", None),
            ("STOP ALL", None),
            ("HELP", None),
            ("INFO", None),
            ("", None),
            ("stopp", None),
            ("YES!", None),
        ] {
            assert_eq!(opt_out(text), want, "{text:?}");
        }
    }

    #[test]
    fn the_empty_answer_is_twiml() {
        assert_eq!(TWIML_EMPTY, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>");
    }
}
