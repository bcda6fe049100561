//! The one place errors become HTTP responses: RFC 9457 problem details
//! (`application/problem+json`) with a stable `code`.
//!
//! Handlers return `Result<Response, ApiError>` and use `?` freely: bad input is a 4xx
//! with a code a client can switch on; only a fault of ours (D1 unreachable, a bug) is a
//! 5xx, logged with its cause and answered without it.

use restock_shared::InvalidInput;
use serde::Serialize;
use worker::Response;

use crate::http;

#[derive(Debug)]
pub enum ApiError {
    /// A value that failed to parse into a domain type (422).
    Invalid(InvalidInput),
    /// The same inside a list or map, named by its path (`items[3].cap`) (422).
    InvalidAt {
        error: InvalidInput,
        field: String,
    },
    /// The request itself is malformed: JSON syntax, wrong types, unknown fields (400).
    /// `field` names the offending part where it is one we can point at (an unknown
    /// key inside an object, such as `consent_texts.xx`).
    BadRequest {
        code: &'static str,
        detail: String,
        field: Option<String>,
    },
    Unauthorized,
    Forbidden {
        code: &'static str,
        detail: &'static str,
    },
    NotFound {
        code: &'static str,
        detail: &'static str,
    },
    MethodNotAllowed {
        allow: &'static str,
    },
    /// The request conflicts with current state (409): a cap, a state machine.
    Conflict {
        code: &'static str,
        detail: String,
    },
    /// It existed but is no longer available (410): an expired link.
    Gone {
        code: &'static str,
        detail: &'static str,
    },
    /// Well-formed and parsed, but refused on its meaning (422).
    Unprocessable {
        code: &'static str,
        detail: String,
    },
    /// Like `Unprocessable`, about one named field of the request (422).
    UnprocessableField {
        code: &'static str,
        field: &'static str,
        detail: &'static str,
    },
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType,
    RateLimited {
        retry_after_secs: u32,
    },
    /// Lost an optimistic-concurrency race too many times (503, safe to retry).
    Busy,
    /// A fault of ours. The message is logged, never sent.
    Internal(String),
    /// A Cloudflare production limit this operation would pass (a bug of ours, 500):
    /// the code names the limit; the cause is logged, never sent.
    Limit {
        code: &'static str,
        cause: String,
    },
}

impl ApiError {
    pub fn not_found(code: &'static str, detail: &'static str) -> ApiError {
        ApiError::NotFound { code, detail }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, detail: detail.into(), field: None }
    }

    /// A 400 about one named part of the body.
    pub fn bad_field(code: &'static str, field: String, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, detail: detail.into(), field: Some(field) }
    }

    /// This error about a part of a list or map: its field prefixed with `prefix`
    /// (`items[3]` makes `cap` into `items[3].cap`), its status and code kept.
    pub fn within(self, prefix: &str) -> ApiError {
        let path = |f: &str| if f.is_empty() { prefix.to_owned() } else { format!("{prefix}.{f}") };
        match self {
            ApiError::Invalid(error) => ApiError::InvalidAt { field: path(error.field()), error },
            ApiError::InvalidAt { error, field } => ApiError::InvalidAt { field: path(&field), error },
            ApiError::BadRequest { code, detail, field } => {
                ApiError::BadRequest { code, detail, field: Some(path(field.as_deref().unwrap_or(""))) }
            }
            other => other,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::Gone { .. } => 410,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::Invalid(_)
            | ApiError::InvalidAt { .. }
            | ApiError::Unprocessable { .. }
            | ApiError::UnprocessableField { .. } => 422,
            ApiError::RateLimited { .. } => 429,
            ApiError::Busy => 503,
            ApiError::Internal(_) | ApiError::Limit { .. } => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(e) | ApiError::InvalidAt { error: e, .. } => e.code(),
            ApiError::BadRequest { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Gone { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. }
            | ApiError::UnprocessableField { code, .. }
            | ApiError::Limit { code, .. } => code,
            ApiError::Unauthorized => "unauthorized",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Busy => "busy",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self.status() {
            400 => "Bad request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not found",
            405 => "Method not allowed",
            409 => "Conflict",
            410 => "Gone",
            413 => "Payload too large",
            415 => "Unsupported media type",
            422 => "Unprocessable content",
            429 => "Too many requests",
            503 => "Busy, try again",
            _ => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Invalid(e) | ApiError::InvalidAt { error: e, .. } => e.to_string(),
            ApiError::BadRequest { detail, .. }
            | ApiError::Conflict { detail, .. }
            | ApiError::Unprocessable { detail, .. } => detail.clone(),
            ApiError::Forbidden { detail, .. }
            | ApiError::NotFound { detail, .. }
            | ApiError::Gone { detail, .. }
            | ApiError::UnprocessableField { detail, .. } => (*detail).to_owned(),
            ApiError::Unauthorized => "send the shop's secret key as `Authorization: Bearer <key>`".to_owned(),
            ApiError::MethodNotAllowed { allow } => format!("allowed: {allow}"),
            ApiError::PayloadTooLarge { limit } => {
                format!("request bodies are limited to {limit} bytes")
            }
            ApiError::UnsupportedMediaType => "send `Content-Type: application/json`".to_owned(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("try again in {retry_after_secs} s")
            }
            ApiError::Busy => "too many concurrent changes to this product; retry shortly".to_owned(),
            ApiError::Internal(_) => "something went wrong on our side; it has been logged".to_owned(),
            ApiError::Limit { .. } => {
                "this operation would pass one of Cloudflare's limits; it has been logged".to_owned()
            }
        }
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        let field = match self {
            ApiError::Invalid(e) => Some(e.field().to_owned()),
            ApiError::InvalidAt { field, .. } => Some(field.clone()),
            ApiError::BadRequest { field, .. } => field.clone(),
            ApiError::UnprocessableField { field, .. } => Some((*field).to_owned()),
            _ => None,
        };
        Problem {
            r#type: format!("/docs/problems#{}", self.code()),
            title: self.title(),
            status: self.status(),
            detail: self.detail(),
            code: self.code(),
            field,
        }
    }

    pub fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => worker::console_error!("internal error: {cause}"),
            ApiError::Limit { code, cause } => worker::console_error!("limit {code}: {cause}"),
            _ => {}
        }
        let retry_after = match self {
            ApiError::RateLimited { retry_after_secs } => Some(retry_after_secs.to_string()),
            ApiError::Busy => Some("1".to_owned()),
            _ => None,
        };
        let extra: Option<(&str, &str)> = match &self {
            ApiError::MethodNotAllowed { allow } => Some(("allow", allow)),
            ApiError::Unauthorized => Some(("www-authenticate", "Bearer realm=\"restock\"")),
            _ => retry_after.as_deref().map(|secs| ("retry-after", secs)),
        };
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut headers = vec![("content-type", "application/problem+json"), ("cache-control", "no-store")];
        headers.extend(extra);
        http::respond(self.status(), &headers, body)
    }
}

/// RFC 9457 problem details, plus our stable `code` and the offending `field`.
#[derive(Debug, Serialize)]
pub struct Problem {
    pub r#type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(format!("json: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_a_4xx_except_our_own_faults() {
        let client = [
            ApiError::Invalid(InvalidInput::Sku),
            ApiError::bad_request("invalid_json", "x"),
            ApiError::Unauthorized,
            ApiError::not_found("shop_not_found", "x"),
            ApiError::MethodNotAllowed { allow: "GET" },
            ApiError::Conflict { code: "cap_reached", detail: "x".into() },
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::UnsupportedMediaType,
            ApiError::RateLimited { retry_after_secs: 3 },
        ];
        for e in client {
            assert!((400..500).contains(&e.status()), "{e:?}");
        }
        assert_eq!(ApiError::Internal("x".into()).status(), 500);
    }

    #[test]
    fn problems_carry_code_field_and_type() {
        let p = ApiError::Invalid(InvalidInput::Quantity).problem();
        assert_eq!((p.status, p.code, p.field.as_deref()), (422, "invalid_quantity", Some("quantity")));
        assert_eq!(p.r#type, "/docs/problems#invalid_quantity");
        let p = ApiError::Invalid(InvalidInput::Quantity).within("items[3]").problem();
        assert_eq!((p.status, p.code, p.field.as_deref()), (422, "invalid_quantity", Some("items[3].quantity")));
        let p = ApiError::bad_field("invalid_body", "consent_texts.xx".into(), "x").problem();
        assert_eq!((p.status, p.code, p.field.as_deref()), (400, "invalid_body", Some("consent_texts.xx")));
        assert_eq!(ApiError::bad_request("invalid_json", "x").problem().field, None);
        let p = ApiError::UnprocessableField { code: "sms_not_offered", field: "phone", detail: "x" }.problem();
        assert_eq!((p.status, p.code, p.field.as_deref()), (422, "sms_not_offered", Some("phone")));
        let hidden = ApiError::Internal("D1_ERROR: secret table name".into()).problem();
        assert!(!hidden.detail.contains("secret"), "internal causes are never sent");
    }
}
