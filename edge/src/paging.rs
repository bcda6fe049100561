//! Paged lists: `limit` and an opaque `cursor`, the same on every list endpoint.

use worker::Request;

use crate::error::ApiError;
use crate::http;
use restock_shared::InvalidInput;

fn range(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

/// A page request: `limit` (1-200, default 50) and an opaque `cursor`.
pub struct Page {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl Page {
    pub fn from_request(req: &Request) -> Result<Page, ApiError> {
        let limit = match http::query_param(req, "limit") {
            None => 50,
            Some(l) => l.parse::<u32>().ok().filter(|l| (1..=200).contains(l)).ok_or(range("limit", "1 to 200"))?,
        };
        Ok(Page { limit, cursor: http::query_param(req, "cursor").filter(|c| !c.is_empty()) })
    }

    fn decode(&self) -> Result<Option<String>, ApiError> {
        let Some(c) = &self.cursor else { return Ok(None) };
        let bytes = crate::crypto::base64url_decode(c).filter(|b| b.len() <= 200);
        bytes
            .and_then(|b| String::from_utf8(b).ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("invalid_cursor", "cursor is not one this API returned"))
    }

    /// The position after which to continue, for SKU-ordered lists.
    pub fn cursor_text(&self) -> Result<String, ApiError> {
        Ok(self.decode()?.and_then(|c| c.strip_prefix("t:").map(str::to_owned)).unwrap_or_default())
    }

    /// The position after which to continue, for sequence-ordered lists.
    pub fn cursor_seq(&self) -> Result<i64, ApiError> {
        match self.decode()? {
            None => Ok(0),
            Some(c) => c
                .strip_prefix("s:")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| ApiError::bad_request("invalid_cursor", "cursor is not one this API returned")),
        }
    }

    pub fn encode_text(after: &str) -> String {
        crate::crypto::base64url(format!("t:{after}").as_bytes())
    }

    pub fn encode_seq(after: i64) -> String {
        crate::crypto::base64url(format!("s:{after}").as_bytes())
    }
}
