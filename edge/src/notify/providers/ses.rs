//! Amazon SES API v2 `SendEmail`
//! (docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html):
//! `POST /v2/email/outbound-emails` on `https://email.{region}.amazonaws.com`, signed
//! with SigV4 for service `ses` (our `sigv4`), JSON body `FromEmailAddress`,
//! `Destination.ToAddresses`, `ReplyToAddresses`, `Content.Simple` (`Subject`, `Body.Text`,
//! `Body.Html`, each `{Data, Charset}`; `Headers` as `[{Name, Value}]`; `Attachments` with
//! base64 `RawContent`) and an optional `ConfigurationSetName`. No idempotency key.
//! Answers (docs.aws.amazon.com/ses/latest/APIReference-V2/CommonErrors.html and the
//! operation's Errors): 200 `{"MessageId"}`; errors name their type in `x-amzn-ErrorType`
//! (`MessageRejected`, `MailFromDomainNotVerifiedException`, `BadRequestException`, ...:
//! permanent) with `{"message"}`; `TooManyRequestsException` (429),
//! `LimitExceededException` and throttling retry, as do 5xx.

use restock_shared::Timestamp;
use serde_json::{Value, json};

use super::sigv4::{self, Scope, Signable};
use super::{Call, Reply, base64, by_status, extra_headers, join, mailbox};
use crate::notify::provider::Outcome;
use crate::notify::render::Email;

/// The production endpoint for `region`.
pub fn base_for(region: &str) -> String {
    format!("https://email.{region}.amazonaws.com")
}

pub const PATH: &str = "/v2/email/outbound-emails";

/// Its `Debug` is left out on purpose: it holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub base: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub from: String,
    pub configuration_set: Option<String>,
}

/// `YYYYMMDD'T'HHMMSS'Z'`.
pub fn amz_date(now: Timestamp) -> String {
    now.to_iso().chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// `(authority, path)` of an http(s) URL, without a default port (as `fetch` sends `Host`).
pub fn authority_and_path(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = match scheme {
        "https" => authority.strip_suffix(":443").unwrap_or(authority),
        "http" => authority.strip_suffix(":80").unwrap_or(authority),
        _ => return None,
    };
    (!authority.is_empty()).then(|| (authority.to_ascii_lowercase(), path.trim_end_matches('/').to_owned()))
}

/// SES wants a display name outside ASCII as an RFC 2047 encoded-word.
fn from_address(name: &str, address: &str) -> String {
    if name.is_ascii() {
        mailbox(name, address)
    } else {
        format!("=?UTF-8?B?{}?= <{address}>", base64(name.as_bytes()))
    }
}

pub fn request(s: &Settings, email: &Email, now: Timestamp) -> Call {
    let text = |data: &str| json!({ "Data": data, "Charset": "UTF-8" });
    let headers: Vec<Value> = extra_headers(email).map(|(k, v)| json!({ "Name": k, "Value": v })).collect();
    let mut simple = json!({
        "Subject": text(&email.subject),
        "Body": { "Text": text(&email.text), "Html": text(&email.html) },
        "Headers": headers,
    });
    if !email.attachments.is_empty() {
        simple["Attachments"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({ "FileName": a.filename, "ContentType": a.content_type, "ContentDisposition": "ATTACHMENT", "RawContent": base64(a.content.as_bytes()) })
            })
            .collect();
    }
    let mut body = json!({
        "FromEmailAddress": from_address(&email.from_name, email.from_or(&s.from)),
        "Destination": { "ToAddresses": [email.to] },
        "Content": { "Simple": simple },
    });
    if let Some(reply_to) = &email.reply_to {
        body["ReplyToAddresses"] = json!([reply_to]);
    }
    if let Some(set) = &s.configuration_set {
        body["ConfigurationSetName"] = json!(set);
    }
    let body = body.to_string();
    let url = join(&s.base, PATH);
    // The base URL was checked when the configuration was read; a bad one signs an
    // empty host and SES (or the stand-in) refuses it.
    let (host, path) = authority_and_path(&url).unwrap_or_default();
    let date = amz_date(now);
    let mut signed: Vec<(&str, &str)> =
        vec![("content-type", "application/json"), ("host", &host), ("x-amz-date", &date)];
    if let Some(token) = &s.session_token {
        signed.push(("x-amz-security-token", token));
    }
    let scope = Scope {
        access_key_id: &s.access_key_id,
        secret_access_key: &s.secret_access_key,
        region: &s.region,
        service: "ses",
        amz_date: &date,
    };
    let authorization = sigv4::authorization(
        &scope,
        &Signable { method: "POST", path: &path, query: "", headers: &signed, body: body.as_bytes() },
    );
    let mut headers: Vec<(String, String)> =
        signed.iter().filter(|(k, _)| *k != "host").map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    headers.push(("authorization".into(), authorization));
    Call { url, headers, body }
}

pub fn outcome(reply: &Reply, now: Timestamp) -> Outcome {
    let v = reply.json();
    if (200..300).contains(&reply.status) {
        return Outcome::Sent { provider_id: v["MessageId"].as_str().map(str::to_owned) };
    }
    // `x-amzn-ErrorType: MessageRejected:http://internal.amazon.com/...`
    let kind = reply
        .header("x-amzn-errortype")
        .map(|t| t.split(':').next().unwrap_or(t).to_owned())
        .or_else(|| v["__type"].as_str().map(|t| t.rsplit('#').next().unwrap_or(t).to_owned()))
        .unwrap_or_default();
    let message = v["message"].as_str().or_else(|| v["Message"].as_str()).map_or_else(|| reply.hint(), str::to_owned);
    let what = format!("{kind}: {message}");
    let throttled = ["TooManyRequests", "LimitExceeded", "Throttl"].iter().any(|t| kind.contains(t));
    match by_status(reply, now, &what) {
        Outcome::Permanent(error) if throttled => Outcome::Retry { error, after: super::retry_after(reply, now) },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::providers::tests::{email, now, reply};

    fn settings() -> Settings {
        Settings {
            base: base_for("eu-west-1"),
            region: "eu-west-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            from: "shop@mugs.example".into(),
            configuration_set: Some("restock".into()),
        }
    }

    #[test]
    fn builds_a_signed_send_email_request() {
        let s = settings();
        let call = request(&s, &email(), now());
        assert_eq!(call.url, "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails");
        assert_eq!(call.header("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(call.header("host"), None, "fetch sets Host from the URL");
        let auth = call.header("authorization").unwrap_or_default();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/ses/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{auth}"
        );
        // The signature is the signer's over exactly these bytes.
        let expected = sigv4::authorization(
            &Scope {
                access_key_id: "AKIDEXAMPLE",
                secret_access_key: &s.secret_access_key,
                region: "eu-west-1",
                service: "ses",
                amz_date: "20150830T123600Z",
            },
            &Signable {
                method: "POST",
                path: PATH,
                query: "",
                headers: &[
                    ("content-type", "application/json"),
                    ("host", "email.eu-west-1.amazonaws.com"),
                    ("x-amz-date", "20150830T123600Z"),
                ],
                body: call.body.as_bytes(),
            },
        );
        assert_eq!(auth, expected);
        let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
        assert_eq!(body["Destination"]["ToAddresses"], json!(["ana@example.com"]));
        assert_eq!(body["Content"]["Simple"]["Subject"], json!({ "Data": "Back in stock: Mug", "Charset": "UTF-8" }));
        assert_eq!(body["Content"]["Simple"]["Headers"][0]["Name"], "List-Unsubscribe");
        assert_eq!(body["Content"]["Simple"]["Attachments"][0]["FileName"], "digest.csv");
        assert_eq!(body["ReplyToAddresses"], json!(["help@mugs.example"]));
        assert_eq!(body["ConfigurationSetName"], "restock");
    }

    #[test]
    fn session_tokens_are_signed_and_names_encoded() {
        let mut s = settings();
        s.session_token = Some("tok".into());
        let mut e = email();
        e.from_name = "Café Ünïcode".into();
        let call = request(&s, &e, now());
        assert_eq!(call.header("x-amz-security-token"), Some("tok"));
        assert!(
            call.header("authorization")
                .is_some_and(|a| a.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"))
        );
        let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
        assert_eq!(
            body["FromEmailAddress"],
            format!("=?UTF-8?B?{}?= <shop@mugs.example>", base64("Café Ünïcode".as_bytes()))
        );
        assert_eq!(authority_and_path("http://127.0.0.1:8/x/"), Some(("127.0.0.1:8".into(), "/x".into())));
        assert_eq!(authority_and_path("https://Email.x.com:443"), Some(("email.x.com".into(), String::new())));
        assert_eq!(authority_and_path("ftp://x"), None);
    }

    #[test]
    fn reads_message_ids_and_error_types() {
        assert_eq!(
            outcome(&reply(200, &[], r#"{"MessageId":"0102-abc"}"#), now()),
            Outcome::Sent { provider_id: Some("0102-abc".into()) }
        );
        let rejected = reply(
            400,
            &[("x-amzn-ErrorType", "MessageRejected:http://internal.amazon.com/coral/")],
            r#"{"message":"Email address is not verified."}"#,
        );
        assert_eq!(
            outcome(&rejected, now()),
            Outcome::Permanent("HTTP 400 MessageRejected: Email address is not verified.".into())
        );
        let limited = reply(
            400,
            &[("x-amzn-ErrorType", "LimitExceededException")],
            r#"{"message":"Maximum sending rate exceeded."}"#,
        );
        assert!(matches!(outcome(&limited, now()), Outcome::Retry { .. }));
        let throttled = reply(429, &[("x-amzn-ErrorType", "TooManyRequestsException"), ("Retry-After", "2")], "{}");
        assert!(matches!(outcome(&throttled, now()), Outcome::Retry { after: Some(2), .. }));
        assert!(matches!(outcome(&reply(500, &[], ""), now()), Outcome::Retry { .. }));
    }
}
