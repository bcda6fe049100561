//! Stand-ins for the real email providers: one real local HTTP server per provider that
//! checks each request the way that provider documents it (method, path, auth header,
//! content type, required fields; for Amazon SES the SigV4 `Authorization`, recomputed
//! here with the same test secret by a verifier of its own, not the Worker's signer),
//! answers like the provider (its success body and message id, its error bodies), and
//! fails on command, per recipient: 429 with `Retry-After`, 500, a hang past the
//! caller's timeout, or the provider's own permanent rejection. A request the real API
//! would refuse is answered 400/401 and recorded as a violation, so a test can say why.

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::stub::{self, Request};

/// The API key or token every stand-in expects.
pub const API_KEY: &str = "test-provider-key-1";
pub const AWS_ACCESS_KEY_ID: &str = "AKIDRESTOCKTEST";
pub const AWS_SECRET_ACCESS_KEY: &str = "restock/test/Secret+Key";
pub const AWS_REGION: &str = "eu-west-1";
pub const MAILGUN_DOMAIN: &str = "mg.restock.test";
pub const FROM: &str = "shop@restock.test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Resend,
    Postmark,
    SendGrid,
    Mailgun,
    Ses,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Resend => "resend",
            Kind::Postmark => "postmark",
            Kind::SendGrid => "sendgrid",
            Kind::Mailgun => "mailgun",
            Kind::Ses => "ses",
        }
    }
}

/// A scripted failure for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After: n` (seconds).
    RateLimited(u32),
    /// 500.
    ServerError,
    /// Answer nothing for this long, then close (the caller times out first).
    Hang(Duration),
    /// Accept and deliver, but answer only after this long (a lost answer).
    AcceptThenHang(Duration),
    /// The provider's own permanent refusal (Postmark's inactive recipient, SES's
    /// MessageRejected, ...).
    Reject,
}

/// One message the provider accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub headers: Vec<(String, String)>,
    pub idempotency_key: Option<String>,
}

impl Accepted {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One request received: for whom, when, and what it was answered.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub to: String,
    pub at: Instant,
    pub status: u16,
}

#[derive(Debug, Default)]
struct State {
    faults: HashMap<String, Vec<Fault>>,
    accepted: Vec<Accepted>,
    attempts: Vec<Attempt>,
    violations: Vec<String>,
    /// Resend's idempotency keys and the id each was answered with.
    keys: HashMap<String, String>,
    next_id: usize,
    /// SNS subscriptions confirmed (their `Token`s), for SES.
    confirmed: Vec<String>,
    /// SNS signing certificates served.
    certificates_served: usize,
}

/// A running stand-in; serves for the test process's life.
#[derive(Debug, Clone)]
pub struct ProviderServer {
    pub kind: Kind,
    /// `http://127.0.0.1:PORT`, the base URL the Worker is pointed at (`EMAIL_API_URL`).
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl ProviderServer {
    pub fn start(kind: Kind) -> ProviderServer {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let addr = stub::serve(move |stream| handle(kind, &stream, &shared));
        ProviderServer { kind, base: format!("http://{addr}"), state }
    }

    /// The Worker variables and secrets that point it at this stand-in.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("EMAIL_PROVIDER", self.kind.name().to_owned()),
            ("EMAIL_API_URL", self.base.clone()),
            ("EMAIL_FROM", FROM.to_owned()),
        ];
        match self.kind {
            Kind::Ses => vars.extend([
                ("AWS_REGION", AWS_REGION.to_owned()),
                ("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID.to_owned()),
                ("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY.to_owned()),
            ]),
            Kind::Mailgun => {
                vars.extend([("EMAIL_API_KEY", API_KEY.to_owned()), ("MAILGUN_DOMAIN", MAILGUN_DOMAIN.to_owned())]);
            }
            _ => vars.push(("EMAIL_API_KEY", API_KEY.to_owned())),
        }
        vars
    }

    /// The next requests for `to` fail like this, in order; later ones are accepted.
    pub fn fail(&self, to: &str, faults: &[Fault]) {
        if let Ok(mut s) = self.state.lock() {
            s.faults.insert(to.to_owned(), faults.to_vec());
        }
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.state.lock().map(|s| s.accepted.clone()).unwrap_or_default()
    }

    pub fn attempts(&self, to: &str) -> Vec<Attempt> {
        self.state.lock().map(|s| s.attempts.iter().filter(|a| a.to == to).cloned().collect()).unwrap_or_default()
    }

    /// Requests the real provider would have refused, and why.
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().map(|s| s.violations.clone()).unwrap_or_default()
    }

    /// The `Token`s of SNS subscriptions confirmed through `SubscribeURL` (SES).
    pub fn sns_confirmed(&self) -> Vec<String> {
        self.state.lock().map(|s| s.confirmed.clone()).unwrap_or_default()
    }

    /// How often the SNS signing certificate was fetched (SES).
    pub fn certificates_served(&self) -> usize {
        self.state.lock().map(|s| s.certificates_served).unwrap_or(0)
    }

    /// `host:port`: what the Worker may trust in development in place of SNS's host.
    pub fn host(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }
}

/// SNS's side of the SES stand-in: the signing certificate and the subscription
/// confirmation URL (`GET`s).
fn sns_get(stream: &TcpStream, request: &Request, state: &Mutex<State>) {
    match request.path.as_str() {
        SNS_CERT_PATH => {
            if let Ok(mut s) = state.lock() {
                s.certificates_served += 1;
            }
            let headers = [("content-type", "application/x-x509-ca-cert".to_owned())];
            stub::respond(stream, 200, &headers, SNS_TEST_CERT.as_bytes());
        }
        "/" if request.query.contains("Action=ConfirmSubscription") => {
            let token = request.query.split('&').find_map(|p| p.strip_prefix("Token=")).unwrap_or_default();
            if let Ok(mut s) = state.lock() {
                s.confirmed.push(token.to_owned());
            }
            let body = "<ConfirmSubscriptionResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:eu-west-1:123456789012:restock-ses:1</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>";
            stub::respond(stream, 200, &[("content-type", "text/xml".to_owned())], body.as_bytes());
        }
        _ => stub::respond(stream, 404, &[], b"not found"),
    }
}

/// What a valid request asks to send.
struct Message {
    to: String,
    from: String,
    subject: String,
    headers: Vec<(String, String)>,
    idempotency_key: Option<String>,
}

fn handle(kind: Kind, stream: &TcpStream, state: &Mutex<State>) {
    let Some(request) = stub::read_request(stream) else { return };
    if kind == Kind::Ses && request.method == "GET" {
        return sns_get(stream, &request, state);
    }
    let checked = match kind {
        Kind::Resend => resend(&request),
        Kind::Postmark => postmark(&request),
        Kind::SendGrid => sendgrid(&request),
        Kind::Mailgun => mailgun(&request),
        Kind::Ses => ses(&request),
    };
    let message = match checked {
        Ok(m) => m,
        Err((status, why)) => {
            if let Ok(mut s) = state.lock() {
                s.violations.push(format!("{} {}: {why}", request.method, request.path));
            }
            let body = json!({ "message": why }).to_string();
            stub::respond(stream, status, &[("content-type", "application/json".into())], body.as_bytes());
            return;
        }
    };
    let fault = state.lock().ok().and_then(|mut s| {
        let list = s.faults.get_mut(&message.to)?;
        (!list.is_empty()).then(|| list.remove(0))
    });
    let record = |status: u16| {
        if let Ok(mut s) = state.lock() {
            s.attempts.push(Attempt { to: message.to.clone(), at: Instant::now(), status });
        }
    };
    match fault {
        None => {
            record(200);
            let id = deliver(kind, state, &message);
            success(kind, stream, &id, &message.to);
        }
        Some(Fault::AcceptThenHang(d)) => {
            record(200);
            let id = deliver(kind, state, &message);
            thread::sleep(d);
            success(kind, stream, &id, &message.to);
        }
        Some(Fault::Hang(d)) => {
            record(0);
            thread::sleep(d);
        }
        Some(Fault::RateLimited(secs)) => {
            record(429);
            let (mut headers, body) = error_body(kind, 429);
            headers.push(("retry-after", secs.to_string()));
            stub::respond(stream, 429, &headers, body.as_bytes());
        }
        Some(Fault::ServerError) => {
            record(500);
            let (headers, body) = error_body(kind, 500);
            stub::respond(stream, 500, &headers, body.as_bytes());
        }
        Some(Fault::Reject) => {
            let status = match kind {
                Kind::Resend | Kind::Postmark => 422,
                _ => 400,
            };
            record(status);
            let (headers, body) = error_body(kind, status);
            stub::respond(stream, status, &headers, body.as_bytes());
        }
    }
}

/// Records an accepted message (once per Resend idempotency key) and returns its id.
fn deliver(kind: Kind, state: &Mutex<State>, m: &Message) -> String {
    let Ok(mut s) = state.lock() else { return String::new() };
    if let Some(id) = m.idempotency_key.as_ref().and_then(|k| s.keys.get(k)) {
        return id.clone();
    }
    s.next_id += 1;
    // Mailgun's ids are message ids (`<...@domain>` on the wire, without the brackets here).
    let id = match kind {
        Kind::Mailgun => format!("msg-{}@{MAILGUN_DOMAIN}", s.next_id),
        _ => format!("msg-{}", s.next_id),
    };
    if let Some(k) = &m.idempotency_key {
        s.keys.insert(k.clone(), id.clone());
    }
    s.accepted.push(Accepted {
        id: id.clone(),
        to: m.to.clone(),
        from: m.from.clone(),
        subject: m.subject.clone(),
        headers: m.headers.clone(),
        idempotency_key: m.idempotency_key.clone(),
    });
    id
}

fn json_response(stream: &TcpStream, status: u16, body: &Value) {
    stub::respond(stream, status, &[("content-type", "application/json".into())], body.to_string().as_bytes());
}

/// Each provider's documented success answer.
fn success(kind: Kind, stream: &TcpStream, id: &str, to: &str) {
    match kind {
        Kind::Resend => json_response(stream, 200, &json!({ "id": id })),
        Kind::Postmark => json_response(
            stream,
            200,
            &json!({ "To": to, "SubmittedAt": "2026-12-02T10:00:00Z", "MessageID": id, "ErrorCode": 0, "Message": "OK" }),
        ),
        Kind::SendGrid => stub::respond(stream, 202, &[("x-message-id", id.to_owned())], b""),
        Kind::Mailgun => {
            json_response(stream, 200, &json!({ "id": format!("<{id}>"), "message": "Queued. Thank you." }));
        }
        Kind::Ses => json_response(stream, 200, &json!({ "MessageId": id })),
    }
}

/// Each provider's documented error body for `status`.
fn error_body(kind: Kind, status: u16) -> (Vec<(&'static str, String)>, String) {
    let json_ct = vec![("content-type", "application/json".to_owned())];
    match (kind, status) {
        (Kind::Resend, 429) => (
            json_ct,
            json!({ "statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests." }).to_string(),
        ),
        (Kind::Resend, 422) => (
            json_ct,
            json!({ "statusCode": 422, "name": "validation_error", "message": "The `to` address is not allowed." })
                .to_string(),
        ),
        (Kind::Resend, _) => (
            json_ct,
            json!({ "statusCode": status, "name": "application_error", "message": "Internal server error." }).to_string(),
        ),
        (Kind::Postmark, 422) => (
            json_ct,
            json!({ "ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive." })
                .to_string(),
        ),
        (Kind::Postmark, _) => (json_ct, json!({ "ErrorCode": 100, "Message": "Maintenance" }).to_string()),
        (Kind::SendGrid, 400) => (
            json_ct,
            json!({ "errors": [{ "message": "The to address is on a block list.", "field": "personalizations.0.to" }] })
                .to_string(),
        ),
        (Kind::SendGrid, _) => (json_ct, json!({ "errors": [{ "message": "try again later" }] }).to_string()),
        (Kind::Mailgun, 400) => (json_ct, json!({ "message": "to parameter is not a valid address." }).to_string()),
        (Kind::Mailgun, _) => (json_ct, json!({ "message": "Too many requests" }).to_string()),
        (Kind::Ses, _) => {
            let (kind, message) = match status {
                400 => ("MessageRejected", "Email address is on the account-level suppression list."),
                429 => ("TooManyRequestsException", "Too many requests."),
                _ => ("InternalFailure", "Internal failure."),
            };
            let mut headers = json_ct;
            headers.push(("x-amzn-errortype", format!("{kind}:http://internal.amazon.com/coral/com.amazon.ses/")));
            (headers, json!({ "message": message }).to_string())
        }
    }
}

type Check<T> = Result<T, (u16, String)>;

fn bad(why: impl Into<String>) -> (u16, String) {
    (400, why.into())
}

fn expect(request: &Request, method: &str, path: &str) -> Check<()> {
    if request.method != method || request.path != path {
        return Err((404, format!("no such endpoint (expected {method} {path})")));
    }
    Ok(())
}

fn header_is(request: &Request, name: &str, value: &str) -> Check<()> {
    match request.header(name) {
        Some(v) if v == value => Ok(()),
        Some(_) => Err((401, format!("wrong {name}"))),
        None => Err((401, format!("no {name} header"))),
    }
}

fn json_body(request: &Request) -> Check<Value> {
    if !request.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        return Err((415, "content-type must be application/json".into()));
    }
    serde_json::from_slice(&request.body).map_err(|e| bad(format!("invalid JSON: {e}")))
}

fn string<'a>(v: &'a Value, field: &str) -> Check<&'a str> {
    let mut at = v;
    for part in field.split('.') {
        at = match part.parse::<usize>() {
            Ok(i) => &at[i],
            Err(_) => &at[part],
        };
    }
    at.as_str().filter(|s| !s.is_empty()).ok_or_else(|| bad(format!("`{field}` is required (a string)")))
}

fn address(text: &str) -> Check<()> {
    let addr = text.rsplit_once('<').map_or(text, |(_, a)| a.trim_end_matches('>'));
    if addr.contains('@') && !addr.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err(bad(format!("{text:?} is not an address")))
    }
}

fn object_headers(v: &Value) -> Check<Vec<(String, String)>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())).ok_or_else(|| bad("header values are strings")))
            .collect(),
        _ => Err(bad("`headers` is an object")),
    }
}

fn name_value_headers(v: &Value) -> Check<Vec<(String, String)>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(list) => {
            list.iter().map(|h| Ok((string(h, "Name")?.to_owned(), string(h, "Value")?.to_owned()))).collect()
        }
        _ => Err(bad("`Headers` is an array of {Name, Value}")),
    }
}

/// resend.com/docs/api-reference/emails/send-email
fn resend(r: &Request) -> Check<Message> {
    expect(r, "POST", "/emails")?;
    header_is(r, "authorization", &format!("Bearer {API_KEY}"))?;
    let v = json_body(r)?;
    let from = string(&v, "from")?;
    address(from)?;
    let to = match &v["to"] {
        Value::String(s) => s.clone(),
        Value::Array(list) if list.len() == 1 => list[0].as_str().unwrap_or_default().to_owned(),
        _ => return Err(bad("`to` is a string or an array of at most 50")),
    };
    address(&to)?;
    if v["html"].as_str().is_none() && v["text"].as_str().is_none() {
        return Err(bad("one of `html` or `text` is required"));
    }
    let key = r.header("idempotency-key").map(str::to_owned);
    if key.as_ref().is_some_and(|k| k.len() > 256) {
        return Err(bad("Idempotency-Key is at most 256 characters"));
    }
    Ok(Message {
        to,
        from: from.to_owned(),
        subject: string(&v, "subject")?.to_owned(),
        headers: object_headers(&v["headers"])?,
        idempotency_key: key,
    })
}

/// postmarkapp.com/developer/api/email-api
fn postmark(r: &Request) -> Check<Message> {
    expect(r, "POST", "/email")?;
    header_is(r, "x-postmark-server-token", API_KEY)?;
    if !r.header("accept").is_some_and(|a| a.contains("application/json")) {
        return Err(bad("Accept: application/json is required"));
    }
    let v = json_body(r)?;
    let from = string(&v, "From")?;
    address(from)?;
    let to = string(&v, "To")?;
    address(to)?;
    if v["TextBody"].as_str().is_none() && v["HtmlBody"].as_str().is_none() {
        return Err((422, "ErrorCode 300: provide either TextBody or HtmlBody or both".into()));
    }
    if string(&v, "MessageStream")? != "outbound" {
        return Err((422, "ErrorCode 1235: the message stream does not exist".into()));
    }
    Ok(Message {
        to: to.to_owned(),
        from: from.to_owned(),
        subject: string(&v, "Subject")?.to_owned(),
        headers: name_value_headers(&v["Headers"])?,
        idempotency_key: None,
    })
}

/// twilio.com/docs/sendgrid/api-reference/mail-send/mail-send
fn sendgrid(r: &Request) -> Check<Message> {
    expect(r, "POST", "/v3/mail/send")?;
    header_is(r, "authorization", &format!("Bearer {API_KEY}"))?;
    let v = json_body(r)?;
    let to = string(&v, "personalizations.0.to.0.email")?;
    address(to)?;
    let from = string(&v, "from.email")?;
    address(from)?;
    let content = v["content"].as_array().ok_or_else(|| bad("`content` is required"))?;
    if content.first().and_then(|c| c["type"].as_str()) != Some("text/plain") {
        return Err(bad("text/plain must be the first content"));
    }
    for c in content {
        string(c, "type")?;
        string(c, "value")?;
    }
    if let Some(reply_to) = v.get("reply_to") {
        address(string(reply_to, "email")?)?;
    }
    Ok(Message {
        to: to.to_owned(),
        from: from.to_owned(),
        subject: string(&v, "subject")?.to_owned(),
        headers: object_headers(&v["headers"])?,
        idempotency_key: None,
    })
}

/// documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages
fn mailgun(r: &Request) -> Check<Message> {
    expect(r, "POST", &format!("/v3/{MAILGUN_DOMAIN}/messages"))?;
    header_is(r, "authorization", &format!("Basic {}", base64(format!("api:{API_KEY}").as_bytes())))?;
    let ct = r.header("content-type").unwrap_or_default();
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .ok_or_else(|| (415, "content-type must be multipart/form-data with a boundary".to_owned()))?;
    let fields = multipart(&r.text(), boundary)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| bad(format!("`{name}` is required")))
    };
    let from = field("from")?;
    address(&from)?;
    let to = field("to")?;
    address(&to)?;
    if field("text").is_err() && field("html").is_err() {
        return Err(bad("one of `text` or `html` is required"));
    }
    let headers = fields.iter().filter_map(|(k, v)| k.strip_prefix("h:").map(|h| (h.to_owned(), v.clone()))).collect();
    Ok(Message { to, from, subject: field("subject")?, headers, idempotency_key: None })
}

/// The fields of a multipart/form-data body (file parts by their field name).
fn multipart(body: &str, boundary: &str) -> Check<Vec<(String, String)>> {
    let delimiter = format!("--{boundary}");
    let end = format!("{delimiter}--\r\n");
    let Some(body) = body.strip_suffix(&end) else {
        return Err(bad("the multipart body does not end with its boundary"));
    };
    let mut out = Vec::new();
    for part in body.split(&format!("{delimiter}\r\n")).skip(1) {
        let part = part.strip_suffix("\r\n").ok_or_else(|| bad("a part does not end with CRLF"))?;
        let (head, value) = part.split_once("\r\n\r\n").ok_or_else(|| bad("a part has no header"))?;
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| bad("a part has no name"))?;
        out.push((name.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html, signed with SigV4.
fn ses(r: &Request) -> Check<Message> {
    expect(r, "POST", "/v2/email/outbound-emails")?;
    verify_sigv4(r)?;
    let v = json_body(r)?;
    let from = string(&v, "FromEmailAddress")?;
    address(from)?;
    let to = string(&v, "Destination.ToAddresses.0")?;
    address(to)?;
    let simple = &v["Content"]["Simple"];
    let subject = string(simple, "Subject.Data")?;
    if simple["Body"]["Text"]["Data"].as_str().is_none() && simple["Body"]["Html"]["Data"].as_str().is_none() {
        return Err(bad("Content.Simple.Body needs Text or Html"));
    }
    Ok(Message {
        to: to.to_owned(),
        from: from.to_owned(),
        subject: subject.to_owned(),
        headers: name_value_headers(&simple["Headers"])?,
        idempotency_key: None,
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else { return Vec::new() };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Recomputes the request's SigV4 signature from what arrived, as AWS does: the
/// credential scope must be ours (region, service `ses`), the date recent, and every
/// header named in `SignedHeaders` present with the signed value.
fn verify_sigv4(r: &Request) -> Check<()> {
    let denied = |why: &str| (403, format!("SignatureDoesNotMatch / {why}"));
    let auth = r.header("authorization").ok_or_else(|| denied("no Authorization header"))?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| denied("not AWS4-HMAC-SHA256"))?;
    let part = |name: &str| {
        rest.split(", ")
            .find_map(|p| p.strip_prefix(name).and_then(|p| p.strip_prefix('=')))
            .ok_or_else(|| denied(name))
    };
    let (credential, signed, signature) = (part("Credential")?, part("SignedHeaders")?, part("Signature")?);
    let amz_date = r.header("x-amz-date").ok_or_else(|| denied("no X-Amz-Date"))?;
    let day = amz_date.get(..8).ok_or_else(|| denied("bad X-Amz-Date"))?;
    let scope = format!("{day}/{AWS_REGION}/ses/aws4_request");
    if credential != format!("{AWS_ACCESS_KEY_ID}/{scope}") {
        return Err(denied("wrong credential scope"));
    }
    if !is_recent(amz_date) {
        return Err(denied("X-Amz-Date is more than 15 minutes from now"));
    }
    let names: Vec<&str> = signed.split(';').collect();
    if !names.contains(&"host") || !names.contains(&"x-amz-date") {
        return Err(denied("host and x-amz-date must be signed"));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value = r.header(name).ok_or_else(|| denied("a signed header is missing"))?;
        canonical_headers.push_str(&format!("{name}:{}\n", value.split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    let creq = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed}\n{}",
        r.method,
        r.path,
        r.query,
        hex(&Sha256::digest(&r.body))
    );
    let sts = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(creq.as_bytes())));
    let mut key = hmac(format!("AWS4{AWS_SECRET_ACCESS_KEY}").as_bytes(), day.as_bytes());
    for p in [AWS_REGION, "ses", "aws4_request"] {
        key = hmac(&key, p.as_bytes());
    }
    if hex(&hmac(&key, sts.as_bytes())) != signature {
        return Err(denied("the signature does not match"));
    }
    Ok(())
}

/// Whether an `X-Amz-Date` (`YYYYMMDD'T'HHMMSS'Z'`) is within 15 minutes of now.
fn is_recent(amz_date: &str) -> bool {
    let n = |a: usize, b: usize| amz_date.get(a..b).and_then(|s| s.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (n(0, 4), n(4, 6), n(6, 8), n(9, 11), n(11, 13), n(13, 15))
    else {
        return false;
    };
    // Days from civil (Howard Hinnant's algorithm).
    let (y, mo) = if mo <= 2 { (y - 1, mo + 9) } else { (y, mo - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let then = days * 86_400 + h * 3600 + mi * 60 + s;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    (now - then).abs() <= 15 * 60
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

/// The secret a stand-in signs its feedback webhooks with (`EMAIL_WEBHOOK_SECRET`):
/// Resend's is a Svix `whsec_` secret, SendGrid's the public half of its key pair (what
/// SendGrid's dashboard shows as the verification key), the others a shared string.
pub fn webhook_secret(kind: Kind) -> &'static str {
    match kind {
        Kind::Resend => "whsec_c3RhbmQtaW4gc3ZpeCBzZWNyZXQ=",
        Kind::SendGrid => SENDGRID_PUBLIC_KEY.trim_ascii(),
        _ => "stand-in-webhook-signing-key",
    }
}

/// The SNS topic the SES stand-in publishes to (`SES_SNS_TOPIC_ARN`).
pub const SNS_TOPIC_ARN: &str = "arn:aws:sns:eu-west-1:123456789012:restock-ses";
const SNS_CERT_PATH: &str = "/SimpleNotificationService-restock-test.pem";
const SNS_TEST_CERT: &str = include_str!("../fixtures/sns-test-cert.pem");
const SNS_TEST_KEY: &str = include_str!("../fixtures/sns-test-key.pem");
const SENDGRID_TEST_KEY: &str = include_str!("../fixtures/sendgrid-test-key.pem");
const SENDGRID_PUBLIC_KEY: &str = include_str!("../fixtures/sendgrid-test-public-key.txt");

/// The DER in a PEM's first block.
fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    crate::browser::decode_base64(&b64)
}

/// SendGrid's signature: ECDSA P-256 over SHA-256 of `timestamp` + `body`, DER, base64.
fn sendgrid_signature(timestamp: &str, body: &str, wrong_key: bool) -> String {
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::DecodePrivateKey;
    let key = if wrong_key {
        p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).ok()
    } else {
        p256::ecdsa::SigningKey::from_pkcs8_der(&pem_body(SENDGRID_TEST_KEY)).ok()
    };
    let Some(key) = key else { return String::new() };
    let sig: p256::ecdsa::Signature = key.sign(format!("{timestamp}{body}").as_bytes());
    base64(sig.to_der().as_bytes())
}

/// An SNS message as SNS posts it for SES (`Type`, ids, `Message`, `SignatureVersion`
/// 2, `Signature` over the documented fields with the fixture key, `SigningCertURL` on
/// the stand-in), spoiled on purpose when asked (a `Message` edited after signing).
pub fn sns_message(base: &str, kind: &str, message: &str, extra: &[(&str, &str)], spoil: Spoil) -> String {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let mut msg = json!({
        "Type": kind,
        "MessageId": format!("{:08x}-restock-test", message.len()),
        "TopicArn": SNS_TOPIC_ARN,
        "Message": message,
        "Timestamp": "2026-12-05T03:30:00.000Z",
        "SignatureVersion": "2",
        "SigningCertURL": format!("{base}{SNS_CERT_PATH}"),
    });
    for (k, v) in extra {
        msg[*k] = json!(v);
    }
    let fields: &[&str] = if kind == "Notification" {
        &["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    } else {
        &["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    };
    let signed: String = fields.iter().filter_map(|f| msg[*f].as_str().map(|v| format!("{f}\n{v}\n"))).collect();
    let Ok(key) = rsa::PrivateKey::from_pkcs8_der(&pem_body(SNS_TEST_KEY)) else { return String::new() };
    let sig = rsa::pkcs1v15::SigningKey::<Sha256>::new(key).sign(signed.as_bytes()).to_vec();
    msg["Signature"] = json!(base64(&sig));
    if spoil != Spoil::None {
        msg["Message"] = json!(format!("{message} "));
    }
    msg.to_string()
}

/// How a feedback webhook is spoiled on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spoil {
    None,
    /// Signed with another key.
    WrongKey,
    /// Signed ten minutes ago.
    Stale,
}

/// A provider's bounce (`complaint: false`) or spam complaint webhook about message
/// `id` to `to`, as the provider documents it: (path, headers, body). Resend: Svix
/// headers over `id.timestamp.body`; Mailgun: the `signature` object in the body;
/// Postmark: the custom header it is configured to send.
pub fn feedback(
    kind: Kind,
    base: &str,
    id: &str,
    to: &str,
    complaint: bool,
    spoil: Spoil,
) -> (String, Vec<(String, String)>, String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let ts = if spoil == Spoil::Stale { now - 600 } else { now }.to_string();
    let secret = if spoil == Spoil::WrongKey { "whsec_b3RoZXIga2V5" } else { webhook_secret(kind) };
    let path = format!("/v1/hooks/email/{}", kind.name());
    match kind {
        Kind::Resend => {
            let body = if complaint {
                json!({ "type": "email.complained", "created_at": "2026-12-02T10:00:00Z",
                        "data": { "email_id": id, "to": [to], "subject": "Back in stock" } })
            } else {
                json!({ "type": "email.bounced", "created_at": "2026-12-02T10:00:00Z",
                        "data": { "email_id": id, "to": [to], "subject": "Back in stock",
                                  "bounce": { "type": "Permanent", "subType": "General", "message": "550 5.1.1 no such user" } } })
            }
            .to_string();
            let msg_id = format!("msg_{id}");
            let key = crate::browser::decode_base64(secret.trim_start_matches("whsec_"));
            let sig = base64(&hmac(&key, format!("{msg_id}.{ts}.{body}").as_bytes()));
            let headers = vec![
                ("svix-id".to_owned(), msg_id),
                ("svix-timestamp".to_owned(), ts),
                ("svix-signature".to_owned(), format!("v1,{sig}")),
            ];
            (path, headers, body)
        }
        Kind::Mailgun => {
            let token = format!("tok{now}");
            let sig: String =
                hmac(secret.as_bytes(), format!("{ts}{token}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            let event = if complaint {
                json!({ "event": "complained", "recipient": to, "message": { "headers": { "message-id": id.trim_matches(['<', '>']) } } })
            } else {
                json!({ "event": "failed", "severity": "permanent", "recipient": to,
                        "delivery-status": { "code": 550, "message": "No such user" },
                        "message": { "headers": { "message-id": id.trim_matches(['<', '>']) } } })
            };
            let body =
                json!({ "signature": { "timestamp": ts, "token": token, "signature": sig }, "event-data": event });
            (path, Vec::new(), body.to_string())
        }
        Kind::SendGrid => {
            let event = if complaint {
                json!({ "email": to, "timestamp": now, "event": "spamreport", "sg_event_id": format!("ev-{id}-s"),
                        "sg_message_id": format!("{id}.filter0001.16648.5515E0B88.0") })
            } else {
                json!({ "email": to, "timestamp": now, "event": "bounce", "type": "bounce", "bounce_classification": "Invalid Address",
                        "reason": "550 5.1.1 The email account that you tried to reach does not exist", "status": "5.1.1",
                        "sg_event_id": format!("ev-{id}-b"), "sg_message_id": format!("{id}.filter0001.16648.5515E0B88.0") })
            };
            // A soft bounce (`blocked`) in the same batch changes nothing.
            let blocked = json!({ "email": "soft@example.com", "timestamp": now, "event": "bounce", "type": "blocked",
                                  "reason": "421 try later", "sg_message_id": format!("{id}.filter0002") });
            let body = json!([event, blocked]).to_string();
            let sig = sendgrid_signature(&ts, &body, spoil == Spoil::WrongKey);
            let headers = vec![
                ("x-twilio-email-event-webhook-signature".to_owned(), sig),
                ("x-twilio-email-event-webhook-timestamp".to_owned(), ts),
            ];
            (path, headers, body)
        }
        Kind::Ses => {
            let event = if complaint {
                json!({ "eventType": "Complaint", "mail": { "messageId": id, "destination": [to] },
                        "complaint": { "complaintFeedbackType": "abuse", "complainedRecipients": [{ "emailAddress": to }] } })
            } else {
                json!({ "eventType": "Bounce", "mail": { "messageId": id, "destination": [to] },
                        "bounce": { "bounceType": "Permanent", "bounceSubType": "General",
                                    "bouncedRecipients": [{ "emailAddress": to, "action": "failed", "status": "5.1.1",
                                                            "diagnosticCode": "smtp; 550 5.1.1 user unknown" }] } })
            };
            let body = sns_message(base, "Notification", &event.to_string(), &[], spoil);
            (path, vec![("x-amz-sns-message-type".to_owned(), "Notification".to_owned())], body)
        }
        Kind::Postmark => {
            let body = if complaint {
                json!({ "RecordType": "SpamComplaint", "Type": "SpamComplaint", "MessageID": id, "Email": to })
            } else {
                json!({ "RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "MessageID": id, "Email": to,
                        "Description": "The server was unable to deliver your message" })
            };
            (path, vec![("x-restock-webhook-token".to_owned(), secret.to_owned())], body.to_string())
        }
    }
}
