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
                "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
            // Signed links must not leak through Referer.
            ("referrer-policy", "no-referrer"),
            ("x-content-type-options", "nosniff"),
        ],
        page.into_bytes(),
    )
}

pub fn set_header(resp: &mut Response, name: &str, value: &str) {
    let _ = resp.headers_mut().set(name, value);
}

/// Reads a JSON body of at most `MAX_BODY` bytes into `T`: 415 without a JSON content
/// type, 413 when too large, 400 `invalid_json` for bad syntax, 400 `invalid_body`
/// for the wrong shape (types, missing or unknown fields), with `field` naming the
/// offending field by its path in the body (`quantity`, `consent_texts.de`).
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = read_body(req, "application/json").await?;
    parse_json(&bytes)
}

/// The raw body, bounded, when its content type starts with `media_type`.
pub async fn read_body(req: &mut Request, media_type: &str) -> Result<Vec<u8>, ApiError> {
    read_body_up_to(req, media_type, MAX_BODY).await
}

/// [`read_body`] with a limit of its own (webhooks from shop platforms, rule lists).
pub async fn read_body_up_to(req: &mut Request, media_type: &str, limit: usize) -> Result<Vec<u8>, ApiError> {
    let content_type = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != media_type {
        return Err(ApiError::UnsupportedMediaType);
    }
    read_any_body(req, limit).await
}

/// The raw body of any content type, at most `limit` bytes (413 beyond).
pub async fn read_any_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let bytes = req.bytes().await.map_err(|_| ApiError::bad_request("invalid_body", "the body could not be read"))?;
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// Parses a request body that must be a JSON object. (serde would also fill a struct
/// from an array, positionally; a body of the wrong shape is refused instead.)
///
/// serde's own messages ("invalid type: string \"1\", expected f64") name Rust types
/// and no field; `serde_path_to_error` gives the path, and [`shape_error`] says it in
/// the API's terms ("quantity must be a number", `field: "quantity"`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return Err(ApiError::bad_request("invalid_body", "the body must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T =
        serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
}

/// Converts an already parsed JSON value (a part of a body) into `T`, with the same
/// errors as [`parse_json`].
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| json_error(&e.path().to_string(), e.inner()))
}

fn json_error(path: &str, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request("invalid_json", format!("the body is not valid JSON ({e})"))
        }
        Category::Data => {
            let text = e.to_string();
            // serde_json appends the position; the field says where.
            let message = text.rfind(" at line ").map_or(text.as_str(), |i| &text[..i]);
            shape_error(path, message)
        }
    }
}

/// A 400 `invalid_body` for serde's `message` about the value at `path` (`.` is the
/// body itself), naming the field and saying what it must be.
fn shape_error(path: &str, message: &str) -> ApiError {
    let root = path.is_empty() || path == ".";
    let within = |name: &str| if root { name.to_owned() } else { format!("{path}.{name}") };
    let quoted = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split_once('`'));
    if let Some((name, _)) = quoted("missing field `") {
        let field = within(name);
        return ApiError::bad_field("invalid_body", field.clone(), format!("{field} is required"));
    }
    if let Some((name, rest)) = quoted("unknown field `") {
        // The path already ends at the unknown key.
        let field = if path == name || path.ends_with(&format!(".{name}")) { path.to_owned() } else { within(name) };
        let known = match rest.strip_prefix(", expected one of ").or_else(|| rest.strip_prefix(", expected ")) {
            Some(list) => format!("; the fields are {list}"),
            None => String::new(),
        };
        return ApiError::bad_field(
            "invalid_body",
            field.clone(),
            format!("{field} is not a field of this body{known}"),
        );
    }
    if root {
        let detail = if message.starts_with("invalid type") {
            "the body must be a JSON object".to_owned()
        } else {
            format!("the body does not match the schema: {message}")
        };
        return ApiError::bad_request("invalid_body", detail);
    }
    if let Some((_, rest)) = quoted("unknown variant `") {
        let allowed =
            rest.strip_prefix(", expected one of ").or_else(|| rest.strip_prefix(", expected ")).unwrap_or("");
        return ApiError::bad_field("invalid_body", path.to_owned(), format!("{path} must be one of {allowed}"));
    }
    let typed = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "));
    if let Some((found, expected)) = typed.and_then(|rest| rest.split_once(", expected ")) {
        let null = if found == "null" { ", not null" } else { "" };
        let detail = format!("{path} must be {}{null}", describe(expected));
        return ApiError::bad_field("invalid_body", path.to_owned(), detail);
    }
    ApiError::bad_field("invalid_body", path.to_owned(), format!("{path}: {message}"))
}

/// serde's name for an expected type, in JSON's words.
fn describe(expected: &str) -> &str {
    match expected {
        "f64" | "f32" => "a number",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "a string" | "a borrowed string" | "a char" => "a string",
        "a boolean" => "true or false",
        "a sequence" => "an array",
        "a map" => "an object",
        e if e.starts_with("struct ") => "an object",
        e => e,
    }
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
        assert_eq!(code(r#"{"n": 1} x"#), "invalid_json");
        assert_eq!(code(r#"{"n": "1"}"#), "invalid_body");
        assert_eq!(code(r#"{"n": -1}"#), "invalid_body");
        assert_eq!(code(r#"{}"#), "invalid_body");
        assert_eq!(code(r#"{"n": 1, "admin": true}"#), "invalid_body");
        assert_eq!(code("[1]"), "invalid_body");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        quantity: f64,
        name: String,
        #[serde(default)]
        on: Option<bool>,
        #[serde(default)]
        texts: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        origins: Vec<String>,
        #[serde(default)]
        cap: Option<u32>,
    }

    /// The (code, field, detail) a body is refused with.
    fn check(body: &str, expected: (&str, Option<&str>, &str)) {
        let e = parse_json::<Nested>(body.as_bytes()).expect_err(body);
        let p = e.problem();
        assert_eq!(
            (p.status, p.code, p.field.as_deref(), p.detail.as_str()),
            (400, expected.0, expected.1, expected.2),
            "{body}"
        );
    }

    #[test]
    fn shape_errors_name_the_field_in_the_apis_terms() {
        check(r#"{"quantity": "1", "name": "x"}"#, ("invalid_body", Some("quantity"), "quantity must be a number"));
        check(r#"{"quantity": 1, "name": 5}"#, ("invalid_body", Some("name"), "name must be a string"));
        check(r#"{"quantity": 1, "name": null}"#, ("invalid_body", Some("name"), "name must be a string, not null"));
        check(r#"{"quantity": 1, "name": "x", "on": "yes"}"#, ("invalid_body", Some("on"), "on must be true or false"));
        check(
            r#"{"quantity": 1, "name": "x", "cap": -1}"#,
            ("invalid_body", Some("cap"), "cap must be a whole number, 0 or more"),
        );
        check(
            r#"{"quantity": 1, "name": "x", "cap": 1.5}"#,
            ("invalid_body", Some("cap"), "cap must be a whole number, 0 or more"),
        );
        check(
            r#"{"quantity": 1, "name": "x", "texts": {"de": 1}}"#,
            ("invalid_body", Some("texts.de"), "texts.de must be a string"),
        );
        check(
            r#"{"quantity": 1, "name": "x", "origins": ["a", 2]}"#,
            ("invalid_body", Some("origins[1]"), "origins[1] must be a string"),
        );
        check(
            r#"{"quantity": 1, "name": "x", "origins": "a"}"#,
            ("invalid_body", Some("origins"), "origins must be an array"),
        );
        check(r#"{"name": "x"}"#, ("invalid_body", Some("quantity"), "quantity is required"));
        let unknown = parse_json::<Nested>(br#"{"quantity": 1, "name": "x", "price": 0}"#).expect_err("unknown");
        let p = unknown.problem();
        assert_eq!((p.code, p.field.as_deref()), ("invalid_body", Some("price")));
        assert!(p.detail.starts_with("price is not a field of this body; the fields are `quantity`"), "{}", p.detail);
        check("null", ("invalid_body", None, "the body must be a JSON object"));
        check("3", ("invalid_body", None, "the body must be a JSON object"));
        check("[1]", ("invalid_body", None, "the body must be a JSON object"));
    }

    #[test]
    fn parts_of_a_body_are_refused_like_bodies() {
        let e = from_value::<Nested>(serde_json::json!({ "quantity": true, "name": "x" })).expect_err("bool");
        let p = e.problem();
        assert_eq!(
            (p.code, p.field.as_deref(), p.detail.as_str()),
            ("invalid_body", Some("quantity"), "quantity must be a number")
        );
    }

    #[test]
    fn html_escaping_covers_markup_and_attributes() {
        assert_eq!(
            escape_html(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }
}
