//! HTTP plumbing shared by every resource: building responses, reading bounded JSON
//! bodies, query strings, and CORS for the public endpoints.

use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Headers, Request, Response};

use crate::error::ApiError;

/// Request bodies larger than this are refused before parsing (413).
pub const MAX_BODY: usize = 16 * 1024;

/// A response with a status, headers and a body. Infallible: header names are ours.
pub fn respond(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
    let h = Headers::new();
    for (name, value) in headers {
        let _ = h.set(name, value);
    }
    Response::builder().with_status(status).with_headers(h).fixed(body)
}

/// A JSON response (`no-store` unless the caller sets its own cache header later).
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value)?;
    Ok(respond(status, &[("content-type", "application/json"), ("cache-control", "no-store")], body))
}

/// A page rendered by the Worker (signed-link pages). Callers escape what they insert.
pub fn html(status: u16, page: String) -> Response {
    respond(
        status,
        &[
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
            (
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
            ("referrer-policy", "no-referrer"),
        ],
        page.into_bytes(),
    )
}

pub fn set_header(resp: &mut Response, name: &str, value: &str) {
    let _ = resp.headers_mut().set(name, value);
}

/// Reads a JSON body of at most `MAX_BODY` bytes into `T`: 415 without a JSON content
/// type, 413 when too large, 400 `invalid_json` for bad syntax, 400 `invalid_body`
/// for the wrong shape (types, missing or unknown fields).
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = read_body(req, "application/json").await?;
    parse_json(&bytes)
}

/// The raw body, bounded, when its content type starts with `media_type`.
pub async fn read_body(req: &mut Request, media_type: &str) -> Result<Vec<u8>, ApiError> {
    let content_type = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != media_type {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY });
    }
    let bytes = req.bytes().await.map_err(|_| ApiError::bad_request("invalid_body", "the body could not be read"))?;
    if bytes.len() > MAX_BODY {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY });
    }
    Ok(bytes)
}

/// Parses a request body that must be a JSON object. (serde would also fill a struct
/// from an array, positionally; a body of the wrong shape is refused instead.)
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return Err(ApiError::bad_request("invalid_body", "the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request("invalid_json", format!("the body is not valid JSON ({e})"))
            }
            Category::Data => ApiError::bad_request("invalid_body", format!("the body does not match the schema: {e}")),
        }
    })
}

/// Percent-decoded query parameter (first occurrence).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The `Origin` header, when a browser sent one.
pub fn origin(req: &Request) -> Option<String> {
    req.headers().get("origin").ok().flatten().filter(|o| !o.is_empty())
}

/// The calling IP as Cloudflare reports it (`CF-Connecting-IP`; set by the edge, and
/// by workerd locally).
pub fn client_ip(req: &Request) -> String {
    req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_else(|| "unknown".to_owned())
}

/// CORS for a public endpoint: the shop's allowed origins (and our own origin, which
/// serves the demo storefront and dashboard) get `Access-Control-Allow-Origin`;
/// anyone else gets no CORS headers, so a browser refuses to hand them the answer.
pub fn apply_cors(resp: &mut Response, origin: Option<&str>, allowed: bool) {
    set_header(resp, "vary", "Origin");
    if let (Some(origin), true) = (origin, allowed) {
        set_header(resp, "access-control-allow-origin", origin);
        set_header(resp, "access-control-expose-headers", "Retry-After");
    }
}

/// The answer to a CORS preflight (`OPTIONS`) for a public endpoint.
pub fn preflight(origin: Option<&str>, allowed: bool, methods: &str) -> Response {
    let mut resp = respond(204, &[("cache-control", "public, max-age=600")], Vec::new());
    apply_cors(&mut resp, origin, allowed);
    if allowed {
        set_header(&mut resp, "access-control-allow-methods", methods);
        set_header(&mut resp, "access-control-allow-headers", "Content-Type, Idempotency-Key");
        set_header(&mut resp, "access-control-max-age", "600");
    }
    resp
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        n: u32,
    }

    fn code(bytes: &str) -> &'static str {
        parse_json::<Body>(bytes.as_bytes()).map(|_| "ok").unwrap_or_else(|e| e.code())
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(code(r#"{"n": 1}"#), "ok");
        assert_eq!(code(r#"{"n": 1"#), "invalid_json");
        assert_eq!(code("nope"), "invalid_json");
        assert_eq!(code(""), "invalid_json");
        assert_eq!(code(r#"{"n": "1"}"#), "invalid_body");
        assert_eq!(code(r#"{"n": -1}"#), "invalid_body");
        assert_eq!(code(r#"{}"#), "invalid_body");
        assert_eq!(code(r#"{"n": 1, "admin": true}"#), "invalid_body");
        assert_eq!(code("[1]"), "invalid_body");
    }

    #[test]
    fn html_escaping_covers_markup_and_attributes() {
        assert_eq!(
            escape_html(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }
}
