//! AWS Signature Version 4 for the one AWS call we make (SES v2 `SendEmail`): a small
//! signer of our own rather than the AWS SDK, which does not build for
//! `wasm32-unknown-unknown` and would cost the Worker far more bytes than these lines.
//! It follows docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
//! (canonical request, string to sign, derived key, `Authorization` header) and is
//! checked against AWS's published test vectors (the `aws-sig-v4-test-suite`:
//! `get-vanilla`, `get-vanilla-query-order-key-case`, `post-vanilla`,
//! `post-x-www-form-urlencoded`) below. The time comes in as a parameter, so signing is
//! deterministic and testable natively.

use crate::crypto::{hex, hmac_sha256, sha256_hex};

/// Who signs, for which region and service, at which instant.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDD'T'HHMMSS'Z'` (the `X-Amz-Date` value).
    pub amz_date: &'a str,
}

/// One request to sign. `path` is unencoded (each segment is URI-encoded here);
/// `query` is the raw query string; `headers` are every header to sign (including
/// `host` and whichever header carries the date).
#[derive(Debug, Clone, Copy)]
pub struct Signable<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The `Authorization` header value for `request`.
pub fn authorization(scope: &Scope<'_>, request: &Signable<'_>) -> String {
    let (signed_headers, creq) = canonical_request(request);
    let day = scope.amz_date.get(..8).unwrap_or(scope.amz_date);
    let credential_scope = format!("{day}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign =
        format!("AWS4-HMAC-SHA256\n{}\n{credential_scope}\n{}", scope.amz_date, sha256_hex(creq.as_bytes()));
    let mut key = hmac_sha256(format!("AWS4{}", scope.secret_access_key).as_bytes(), day.as_bytes());
    for part in [scope.region, scope.service, "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}",
        scope.access_key_id
    )
}

/// `(signed header names, canonical request)`.
pub fn canonical_request(request: &Signable<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    // Repeated names are one header with comma-separated values, in order.
    let mut merged: Vec<(String, String)> = Vec::new();
    for (k, v) in headers {
        match merged.last_mut() {
            Some((last, values)) if *last == k => {
                values.push(',');
                values.push_str(&v);
            }
            _ => merged.push((k, v)),
        }
    }
    let signed: Vec<&str> = merged.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical_headers: String = merged.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let path = if request.path.is_empty() {
        "/".to_owned()
    } else {
        request.path.split('/').map(uri_encode).collect::<Vec<_>>().join("/")
    };
    let mut params: Vec<(String, String)> = request
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(k), uri_encode(v))
        })
        .collect();
    params.sort();
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let creq = format!(
        "{}\n{path}\n{}\n{canonical_headers}\n{signed}\n{}",
        request.method,
        query.join("&"),
        sha256_hex(request.body)
    );
    (signed, creq)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 asks.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// One vector of the suite: the request, and the `Authorization` AWS publishes for it.
    fn check(service: &str, amz_date: &str, request: Signable<'_>, expected: &str) {
        let scope = Scope { access_key_id: KEY_ID, secret_access_key: SECRET, region: "us-east-1", service, amz_date };
        assert_eq!(authorization(&scope, &request), expected);
    }

    #[test]
    fn matches_the_published_sigv4_test_suite() {
        let date = "20150830T123600Z";
        let host = [("Host", "example.amazonaws.com"), ("X-Amz-Date", date)];
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=";
        // get-vanilla
        check(
            "service",
            date,
            Signable { method: "GET", path: "/", query: "", headers: &host, body: b"" },
            &format!("{prefix}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        );
        // get-vanilla-query-order-key-case: parameters are sorted before signing.
        check(
            "service",
            date,
            Signable { method: "GET", path: "/", query: "Param2=value2&Param1=value1", headers: &host, body: b"" },
            &format!("{prefix}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        );
        // post-vanilla
        check(
            "service",
            date,
            Signable { method: "POST", path: "/", query: "", headers: &host, body: b"" },
            &format!("{prefix}5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        );
        // post-x-www-form-urlencoded (the 2011 edition of the suite, which signs `Date`
        // rather than `X-Amz-Date` and has a body, so the payload hash is exercised).
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Date", "Mon, 09 Sep 2011 23:36:00 GMT"),
            ("Host", "host.foo.com"),
        ];
        let request = Signable { method: "POST", path: "/", query: "", headers: &headers, body: b"foo=bar" };
        let (signed, creq) = canonical_request(&request);
        assert_eq!(signed, "content-type;date;host");
        assert_eq!(
            creq,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\ndate:Mon, 09 Sep 2011 23:36:00 GMT\n\
             host:host.foo.com\n\ncontent-type;date;host\n\
             3ba8907e7a252327488df390ed517c45b96dead033600219bdca7107d1d3f88a"
        );
        check(
            "host",
            "20110909T233600Z",
            request,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, \
             SignedHeaders=content-type;date;host, \
             Signature=5a15b22cf462f047318703b92e6f4f38884e4a7ab7b1d6426ca46a8bd1c26cbc",
        );
    }

    #[test]
    fn header_names_are_lowercased_sorted_and_values_trimmed() {
        let headers = [("X-B", "  two   words "), ("host", "h"), ("x-a", "1"), ("X-A", "2")];
        let (signed, creq) =
            canonical_request(&Signable { method: "POST", path: "/v2/a b", query: "", headers: &headers, body: b"" });
        assert_eq!(signed, "host;x-a;x-b");
        assert!(creq.starts_with("POST\n/v2/a%20b\n\nhost:h\nx-a:1,2\nx-b:two words\n\n"), "{creq}");
    }
}
