//! A stand-in for Twilio's Messages API: a real local HTTP server (the `stub`
//! plumbing) that checks each request the way Twilio documents "Create a Message
//! resource" (twilio.com/docs/messaging/api/message-resource): `POST
//! /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic `AccountSid:AuthToken`,
//! a form-encoded body with an E.164 `To`, exactly one of `From` (our number) or
//! `MessagingServiceSid` (our service; Twilio itself would take both, the stand-in is
//! stricter so the Worker picks one), and a `Body` of 1 to 1,600 characters. It answers
//! 201 with the Message resource as Twilio does (`sid` `SM` + 32 hex, `status`
//! `queued`, or `accepted` with `from` null through a Messaging Service), and refuses
//! with Twilio's error JSON `{code, message, more_info, status}`, recording why, so a
//! test can assert that nothing was refused.
//!
//! It fails on command, for the next N requests or per recipient: 429 with code
//! 20429 and `Retry-After: 1`, 500, a hang past the caller's timeout, 400 with 21211
//! (invalid `To`) or 21610 (the recipient replied STOP).
//!
//! [`inbound_sms`] builds the other direction: an incoming-message webhook as Twilio
//! sends it to the Worker (form parameters, `X-Twilio-Signature` over the full URL and
//! the sorted parameters with the Auth Token, by a signer of its own, not the
//! Worker's), spoiled on purpose when asked.

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::stub::{self, Request};

/// The account the stand-in serves (Twilio's SID shape: `AC` + 32 hex).
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "stand-in-twilio-auth-token";
/// The account's one number (Twilio's test-credentials "valid From" number).
pub const FROM: &str = "+15005550006";
pub const MESSAGING_SERVICE_SID: &str = "MG0123456789abcdef0123456789abcdef";
/// The longest `Body` Twilio takes, in characters.
pub const MAX_BODY: usize = 1600;

/// A scripted failure for one request (the request is checked first: a fault only
/// replaces the answer to a valid one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429, code 20429, `Retry-After: 1`.
    RateLimited,
    /// 500, code 20500.
    ServerError,
    /// Answer nothing for this long, then close (the caller times out first).
    Hang(Duration),
    /// 400, code 21211: Twilio says the `To` number is not valid.
    Reject,
    /// 400, code 21610: the recipient replied STOP to this sender.
    Unsubscribed,
}

/// One message the stand-in accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub sid: String,
    pub to: String,
    /// `From`, when sent from the number.
    pub from: Option<String>,
    /// `MessagingServiceSid`, when sent through the service.
    pub messaging_service_sid: Option<String>,
    pub body: String,
}

/// One valid request received: for whom, when, and the status it was answered with
/// (0 for a hang).
#[derive(Debug, Clone)]
pub struct Attempt {
    pub to: String,
    pub at: Instant,
    pub status: u16,
}

#[derive(Debug, Default)]
struct State {
    next: Vec<Fault>,
    per_recipient: HashMap<String, Vec<Fault>>,
    accepted: Vec<Accepted>,
    attempts: Vec<Attempt>,
    violations: Vec<String>,
    count: u64,
}

/// A running stand-in; serves for the test process's life.
#[derive(Debug, Clone)]
pub struct TwilioServer {
    /// `http://127.0.0.1:PORT`, what the Worker is pointed at instead of `https://api.twilio.com`.
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl TwilioServer {
    pub fn start() -> TwilioServer {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let addr = stub::serve(move |stream| handle(&stream, &shared));
        TwilioServer { base: format!("http://{addr}"), state }
    }

    /// The URL messages are created at.
    pub fn messages_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", self.base)
    }

    /// The Worker variables and secrets that point it at this stand-in, sending from
    /// the number. (The names the Worker's SMS configuration is to read.)
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SMS_PROVIDER", "twilio".to_owned()),
            ("TWILIO_API_URL", self.base.clone()),
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_owned()),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_owned()),
            ("TWILIO_FROM", FROM.to_owned()),
        ]
    }

    /// The next `n` valid requests, for anyone, fail with `fault` (after those already
    /// scripted).
    pub fn fail_next(&self, fault: Fault, n: usize) {
        if let Ok(mut s) = self.state.lock() {
            s.next.extend(std::iter::repeat_n(fault, n));
        }
    }

    /// The next requests to `to` fail like this, in order (before any `fail_next`);
    /// later ones are accepted.
    pub fn fail(&self, to: &str, faults: &[Fault]) {
        if let Ok(mut s) = self.state.lock() {
            s.per_recipient.insert(to.to_owned(), faults.to_vec());
        }
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.state.lock().map(|s| s.accepted.clone()).unwrap_or_default()
    }

    pub fn attempts(&self, to: &str) -> Vec<Attempt> {
        self.state.lock().map(|s| s.attempts.iter().filter(|a| a.to == to).cloned().collect()).unwrap_or_default()
    }

    /// Requests Twilio would have refused (or the stand-in's stricter rules did), and why.
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().map(|s| s.violations.clone()).unwrap_or_default()
    }
}

/// What a valid request asks to send.
struct Message {
    to: String,
    from: Option<String>,
    service: Option<String>,
    body: String,
}

/// A refusal: HTTP status, Twilio error code, and Twilio's message.
struct Refusal {
    status: u16,
    code: u32,
    message: String,
}

fn refuse(status: u16, code: u32, message: impl Into<String>) -> Refusal {
    Refusal { status, code, message: message.into() }
}

fn handle(stream: &TcpStream, state: &Mutex<State>) {
    let Some(request) = stub::read_request(stream) else { return };
    let message = match check(&request) {
        Ok(m) => m,
        Err(r) => {
            if let Ok(mut s) = state.lock() {
                s.violations
                    .push(format!("{} {}: {} {}: {}", request.method, request.path, r.status, r.code, r.message));
            }
            error(stream, r.status, r.code, &r.message, &[]);
            return;
        }
    };
    let fault = state.lock().ok().and_then(|mut s| {
        let own = s.per_recipient.get_mut(&message.to).filter(|l| !l.is_empty()).map(|l| l.remove(0));
        own.or_else(|| (!s.next.is_empty()).then(|| s.next.remove(0)))
    });
    let record = |status: u16| {
        if let Ok(mut s) = state.lock() {
            s.attempts.push(Attempt { to: message.to.clone(), at: Instant::now(), status });
        }
    };
    match fault {
        None => {
            record(201);
            let sid = deliver(state, &message);
            created(stream, &sid, &message);
        }
        Some(Fault::Hang(d)) => {
            record(0);
            thread::sleep(d);
        }
        Some(Fault::RateLimited) => {
            record(429);
            error(stream, 429, 20429, "Too Many Requests", &[("retry-after", "1".to_owned())]);
        }
        Some(Fault::ServerError) => {
            record(500);
            error(stream, 500, 20500, "An internal server error has occurred", &[]);
        }
        Some(Fault::Reject) => {
            record(400);
            error(stream, 400, 21211, &format!("The 'To' number {} is not a valid phone number.", message.to), &[]);
        }
        Some(Fault::Unsubscribed) => {
            record(400);
            error(stream, 400, 21610, "Attempt to send to unsubscribed recipient", &[]);
        }
    }
}

/// Twilio's error body (twilio.com/docs/usage/twilios-response).
fn error(stream: &TcpStream, status: u16, code: u32, message: &str, extra: &[(&str, String)]) {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    let mut headers = vec![("content-type", "application/json".to_owned())];
    headers.extend(extra.iter().cloned());
    stub::respond(stream, status, &headers, body.to_string().as_bytes());
}

fn check(r: &Request) -> Result<Message, Refusal> {
    let path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json");
    if r.path != path {
        return Err(refuse(404, 20404, format!("The requested resource {} was not found", r.path)));
    }
    if r.method != "POST" {
        return Err(refuse(
            405,
            20004,
            format!("Method {} not allowed (the stand-in only creates messages)", r.method),
        ));
    }
    let basic = format!("Basic {}", base64(format!("{ACCOUNT_SID}:{AUTH_TOKEN}").as_bytes()));
    if r.header("authorization") != Some(basic.as_str()) {
        return Err(refuse(401, 20003, "Authenticate"));
    }
    let form = r.header("content-type").is_some_and(|ct| {
        ct.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form {
        // Twilio reads parameters from a form body only: it would find no `To`.
        return Err(refuse(400, 21604, "A 'To' phone number is required (stand-in: the body must be form-encoded)."));
    }
    let fields = decode_form(&r.text());
    let one = |name: &str| -> Result<Option<String>, Refusal> {
        let mut values = fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone());
        let first = values.next();
        if values.next().is_some() {
            return Err(refuse(400, 21604, format!("stand-in: `{name}` is given more than once")));
        }
        Ok(first)
    };
    let to =
        one("To")?.filter(|t| !t.is_empty()).ok_or_else(|| refuse(400, 21604, "A 'To' phone number is required."))?;
    if !is_e164(&to) {
        return Err(refuse(400, 21211, format!("The 'To' number {to} is not a valid phone number.")));
    }
    let (from, service) = (one("From")?, one("MessagingServiceSid")?);
    match (&from, &service) {
        (None, None) => {
            return Err(refuse(
                400,
                21603,
                "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(refuse(400, 21603, "stand-in: send exactly one of 'From' and 'MessagingServiceSid'."));
        }
        (Some(f), None) if f != FROM => {
            return Err(refuse(
                400,
                21606,
                format!(
                    "The From phone number {f} is not a valid, SMS-capable inbound phone number or short code for your account."
                ),
            ));
        }
        (None, Some(m)) if m != MESSAGING_SERVICE_SID => {
            return Err(refuse(400, 21701, format!("The Messaging Service {m} does not exist.")));
        }
        _ => {}
    }
    let body = one("Body")?.unwrap_or_default();
    if body.is_empty() {
        return Err(refuse(400, 21602, "Message body is required."));
    }
    if body.chars().count() > MAX_BODY {
        return Err(refuse(400, 21617, "The concatenated message body exceeds the 1600 character limit."));
    }
    Ok(Message { to, from, service, body })
}

/// `+`, then 8 to 15 digits, the first not 0 (checked here on its own, not with the
/// Worker's parser).
fn is_e164(text: &str) -> bool {
    text.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'))
}

/// Records an accepted message and returns its new SID.
fn deliver(state: &Mutex<State>, m: &Message) -> String {
    let Ok(mut s) = state.lock() else { return String::new() };
    s.count += 1;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let seed = format!("{}:{}:{}", std::process::id(), s.count, nanos);
    let sid = format!("SM{}", &hex(&Sha256::digest(seed.as_bytes()))[..32]);
    s.accepted.push(Accepted {
        sid: sid.clone(),
        to: m.to.clone(),
        from: m.from.clone(),
        messaging_service_sid: m.service.clone(),
        body: m.body.clone(),
    });
    sid
}

/// Twilio's 201 answer: the new Message resource.
fn created(stream: &TcpStream, sid: &str, m: &Message) {
    let now = rfc2822(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    // Through a Messaging Service the sender is picked later: `accepted`, no `from` yet,
    // and 0 segments (twilio.com/docs/messaging/api/message-resource, `num_segments`).
    let (status, segments) = if m.service.is_some() { ("accepted", "0") } else { ("queued", "1") };
    let uri = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}");
    let body: Value = json!({
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": m.body,
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": m.from,
        "messaging_service_sid": m.service,
        "num_media": "0",
        "num_segments": segments,
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": m.to,
        "uri": format!("{uri}.json"),
    });
    stub::respond(stream, 201, &[("content-type", "application/json".into())], body.to_string().as_bytes());
}

/// `Thu, 24 Aug 2023 05:01:45 +0000` (RFC 2822, as Twilio writes its dates).
fn rfc2822(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month_name = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!("{weekday}, {day:02} {month_name} {year} {:02}:{:02}:{:02} +0000", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// How an inbound webhook is spoiled on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spoil {
    None,
    /// Signed with another Auth Token.
    WrongToken,
    /// Signed, then its `Body` changed.
    TamperedBody,
}

/// An inbound-SMS webhook request, ready to `POST` to the URL it was signed for.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The full URL the signature covers (and the request goes to).
    pub url: String,
    /// `content-type` and `x-twilio-signature`.
    pub headers: Vec<(String, String)>,
    /// The form-encoded body.
    pub body: String,
    /// The parameters as sent (after any tampering).
    pub params: Vec<(String, String)>,
}

impl Inbound {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The webhook Twilio sends to `url` (the Worker's full public URL, query included)
/// when `from` texts `text` to our number [`FROM`], with the parameters of
/// twilio.com/docs/messaging/guides/webhook-request in the order Twilio sends them,
/// signed with [`AUTH_TOKEN`] as twilio.com/docs/usage/webhooks/webhooks-security
/// describes.
pub fn inbound_sms(url: &str, from: &str, text: &str, spoil: Spoil) -> Inbound {
    let count = INBOUND.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = format!("inbound:{}:{count}:{from}:{text}", std::process::id());
    let sid = format!("SM{}", &hex(&Sha256::digest(seed.as_bytes()))[..32]);
    let segments = text.chars().count().div_ceil(153).max(1).to_string();
    let mut params: Vec<(String, String)> = [
        ("ToCountry", "US"),
        ("ToState", "CA"),
        ("SmsMessageSid", sid.as_str()),
        ("NumMedia", "0"),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", sid.as_str()),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", text),
        ("FromCountry", ""),
        ("To", FROM),
        ("ToZip", ""),
        ("NumSegments", segments.as_str()),
        ("MessageSid", sid.as_str()),
        ("AccountSid", ACCOUNT_SID),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let token = if spoil == Spoil::WrongToken { "another-auth-token" } else { AUTH_TOKEN };
    let signature = signature(token, url, &params);
    if spoil == Spoil::TamperedBody {
        for (k, v) in &mut params {
            if k == "Body" {
                v.push_str(" (edited)");
            }
        }
    }
    let body = encode_form(&params);
    let headers = vec![
        ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
        ("x-twilio-signature".to_owned(), signature),
    ];
    Inbound { url: url.to_owned(), headers, body, params }
}

static INBOUND: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Base64 of HMAC-SHA1 with `auth_token` over `url` and each parameter's name and
/// value, sorted by name (then value).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()) else { return String::new() };
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64(&mac.finalize().into_bytes())
}

/// Form-encodes the pairs (`%XX` for all but unreserved bytes, space as `%20`).
fn encode_form(params: &[(String, String)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// The pairs of a form body: `+` is a space, `%XX` a byte (malformed escapes kept).
fn decode_form(body: &str) -> Vec<(String, String)> {
    let dec = |s: &str| -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match (b[i], hex.filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))) {
                (b'%', Some(h)) => {
                    out.push(u8::from_str_radix(h, 16).unwrap_or(b'?'));
                    i += 3;
                }
                (b'+', _) => {
                    out.push(b' ');
                    i += 1;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]) } else { '=' });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn signs_like_twilios_documented_example() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(
            signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
    }

    #[test]
    fn inbound_webhooks_are_signed_or_spoiled() {
        let url = "https://restock.test/v1/hooks/sms/twilio";
        let good = inbound_sms(url, "+447700900123", "Stop", Spoil::None);
        let sig = good.header("x-twilio-signature").unwrap_or_default().to_owned();
        assert_eq!(decode_form(&good.body), good.params);
        assert_eq!(signature(AUTH_TOKEN, url, &decode_form(&good.body)), sig);
        let wrong = inbound_sms(url, "+447700900123", "Stop", Spoil::WrongToken);
        let wrong_sig = wrong.header("x-twilio-signature").unwrap_or_default();
        assert_ne!(signature(AUTH_TOKEN, url, &wrong.params), wrong_sig);
        let tampered = inbound_sms(url, "+447700900123", "Stop", Spoil::TamperedBody);
        assert!(tampered.params.contains(&("Body".to_owned(), "Stop (edited)".to_owned())));
        let tampered_sig = tampered.header("x-twilio-signature").unwrap_or_default();
        assert_ne!(signature(AUTH_TOKEN, url, &decode_form(&tampered.body)), tampered_sig);
    }

    #[test]
    fn dates_are_rfc_2822() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1_692_853_305), "Thu, 24 Aug 2023 05:01:45 +0000");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    fn send(server: &TwilioServer, headers: &[(&str, &str)], body: &str) -> crate::client::Reply {
        let client = Client::new(&server.base);
        let path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json");
        client.request("POST", &path, headers, Some(body.as_bytes()))
    }

    fn auth() -> String {
        format!("Basic {}", base64(format!("{ACCOUNT_SID}:{AUTH_TOKEN}").as_bytes()))
    }

    #[test]
    fn accepts_valid_messages_and_refuses_the_rest() {
        let server = TwilioServer::start();
        let auth = auth();
        let form = [("authorization", auth.as_str()), ("content-type", "application/x-www-form-urlencoded")];
        let ok = send(&server, &form, "To=%2B447700900123&From=%2B15005550006&Body=Back+in+stock%21");
        assert_eq!(ok.status, 201, "{}", ok.body);
        let v = ok.json();
        let sid = v["sid"].as_str().unwrap_or_default().to_owned();
        assert!(sid.len() == 34 && sid.starts_with("SM") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit()), "{sid}");
        assert_eq!(
            (v["status"].as_str(), v["to"].as_str(), v["from"].as_str()),
            (Some("queued"), Some("+447700900123"), Some(FROM))
        );
        assert_eq!(v["body"], "Back in stock!");
        let via =
            send(&server, &form, &format!("To=%2B14155552671&MessagingServiceSid={MESSAGING_SERVICE_SID}&Body=Hi"));
        assert_eq!((via.status, via.json()["status"].as_str()), (201, Some("accepted")));
        assert!(server.violations().is_empty(), "{:?}", server.violations());
        assert_eq!(server.accepted().len(), 2);
        assert_eq!(server.accepted()[0].sid, sid);

        let long = "x".repeat(MAX_BODY + 1);
        for (headers, body, status, code) in [
            (&form[..], "To=%2B447700900123&From=%2B15005550006".to_owned(), 400, 21602_u32),
            (&form[..], format!("To=%2B447700900123&From=%2B15005550006&Body={long}"), 400, 21617),
            (&form[..], "To=+447700900123&From=%2B15005550006&Body=x".to_owned(), 400, 21211),
            (&form[..], "To=07700900123&From=%2B15005550006&Body=x".to_owned(), 400, 21211),
            (&form[..], "From=%2B15005550006&Body=x".to_owned(), 400, 21604),
            (&form[..], "To=%2B447700900123&Body=x".to_owned(), 400, 21603),
            (
                &form[..],
                format!("To=%2B447700900123&From=%2B15005550006&MessagingServiceSid={MESSAGING_SERVICE_SID}&Body=x"),
                400,
                21603,
            ),
            (&form[..], "To=%2B447700900123&From=%2B15005550007&Body=x".to_owned(), 400, 21606),
            (
                &[("authorization", "Basic eDp5"), ("content-type", "application/x-www-form-urlencoded")][..],
                "To=%2B447700900123&From=%2B15005550006&Body=x".to_owned(),
                401,
                20003,
            ),
            (
                &[("authorization", auth.as_str()), ("content-type", "application/json")][..],
                r#"{"To":"+447700900123"}"#.to_owned(),
                400,
                21604,
            ),
        ] {
            let r = send(&server, headers, &body);
            let v = r.json();
            assert_eq!(
                (r.status, v["code"].as_u64(), v["status"].as_u64()),
                (status, Some(u64::from(code)), Some(u64::from(status))),
                "{body}: {}",
                r.body
            );
            assert!(v["message"].is_string() && v["more_info"].is_string());
        }
        assert_eq!(server.violations().len(), 10);
        assert_eq!(server.accepted().len(), 2);
    }

    #[test]
    fn fails_on_command() {
        let server = TwilioServer::start();
        let auth = auth();
        let form = [("authorization", auth.as_str()), ("content-type", "application/x-www-form-urlencoded")];
        let body = "To=%2B447700900123&From=%2B15005550006&Body=x";
        server.fail_next(Fault::RateLimited, 2);
        server.fail_next(Fault::ServerError, 1);
        server.fail("+447700900999", &[Fault::Unsubscribed]);
        let limited = send(&server, &form, body);
        assert_eq!(
            (limited.status, limited.header("retry-after"), limited.json()["code"].as_u64()),
            (429, Some("1"), Some(20429))
        );
        assert_eq!(send(&server, &form, body).status, 429);
        let stopped = send(&server, &form, "To=%2B447700900999&From=%2B15005550006&Body=x");
        assert_eq!((stopped.status, stopped.json()["code"].as_u64()), (400, Some(21610)));
        assert_eq!(send(&server, &form, body).status, 500);
        server.fail_next(Fault::Reject, 1);
        assert_eq!(send(&server, &form, body).json()["code"].as_u64(), Some(21211));
        assert_eq!(send(&server, &form, body).status, 201);
        let statuses: Vec<u16> = server.attempts("+447700900123").iter().map(|a| a.status).collect();
        assert_eq!(statuses, [429, 429, 500, 400, 201]);
        assert!(server.violations().is_empty(), "{:?}", server.violations());
    }
}
