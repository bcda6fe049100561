//! The Restock API as the widget uses it: URLs, request bodies and what answers mean.
//! The requests themselves go through `dom::request` (the browser's `fetch`), so there
//! is no JSON code and no async runtime in the wasm: the browser parses, `decode` reads
//! the JS objects, and bodies are plain objects built field by field from the shared
//! wire types and serialized by `JSON.stringify`.

use restock_shared::wire::{AvailabilityView, BackorderRequest, WaitlistRequest, WidgetSettings};
use wasm_bindgen::JsValue;

use crate::decode;
use crate::state::{Done, Failure, Field};

/// Why a read produced no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// Network failure, timeout, 5xx, or an answer we could not read: retry later.
    Unavailable,
    /// 404: the shop does not exist.
    NotFound,
}

fn encode(part: &str) -> String {
    String::from(js_sys::encode_uri_component(part))
}

fn shop_url(api: &str, shop: &str, tail: &str) -> String {
    [api, "/v1/shops/", &encode(shop), tail].concat()
}

/// `{api}/v1/shops/{shop}/availability?skus=...&lang=..` (`fresh` skips the cache; the
/// language picks the shop's consent text).
pub fn batch_url(api: &str, shop: &str, skus: &[String], lang: &str, fresh: bool) -> String {
    let mut url = shop_url(api, shop, "/availability?skus=");
    for (i, sku) in skus.iter().enumerate() {
        if i > 0 {
            url.push(',');
        }
        url.push_str(&encode(sku));
    }
    url.push_str("&lang=");
    url.push_str(lang);
    if fresh {
        url.push_str("&fresh=1");
    }
    url
}

pub fn signup_url(api: &str, shop: &str) -> String {
    shop_url(api, shop, "/waitlist")
}

pub fn order_url(api: &str, shop: &str) -> String {
    shop_url(api, shop, "/backorders")
}

/// What an availability answer says.
pub fn batch_answer(status: u16, body: &JsValue) -> Result<(WidgetSettings, Vec<AvailabilityView>), FetchError> {
    match status {
        200 => decode::batch(body).ok_or(FetchError::Unavailable),
        404 => Err(FetchError::NotFound),
        _ => Err(FetchError::Unavailable),
    }
}

/// A JS object from `(key, value)` pairs (what `JSON.stringify` sends).
fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn opt(s: &Option<String>) -> JsValue {
    s.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str)
}

pub fn signup_body(r: &WaitlistRequest) -> JsValue {
    object(&[
        ("sku", JsValue::from_str(&r.sku)),
        ("email", JsValue::from_str(&r.email)),
        ("locale", opt(&r.locale)),
        ("consent", JsValue::from_bool(r.consent)),
        ("consent_text", JsValue::from_str(&r.consent_text)),
        ("website", opt(&r.website)),
    ])
}

pub fn order_body(r: &BackorderRequest) -> JsValue {
    object(&[
        ("sku", JsValue::from_str(&r.sku)),
        ("quantity", JsValue::from_f64(r.quantity)),
        ("email", JsValue::from_str(&r.email)),
        ("locale", opt(&r.locale)),
    ])
}

/// What a refused POST means for the shopper.
fn failure(status: u16, body: &JsValue) -> Failure {
    let code = decode::string(body, "code").unwrap_or_default();
    match (status, code.as_str()) {
        (429, _) => Failure::RateLimited,
        (409, _) => Failure::SoldOut,
        (_, "invalid_email") => Failure::Invalid(Field::Email),
        (_, "invalid_quantity") => Failure::Invalid(Field::Quantity),
        (_, "missing_field") => Failure::Invalid(Field::Consent),
        _ => Failure::Network,
    }
}

/// What a waitlist answer means.
pub fn signup_answer(status: u16, body: &JsValue) -> Result<Done, Failure> {
    if !(200..300).contains(&status) {
        return Err(failure(status, body));
    }
    Ok(if decode::string(body, "status").as_deref() == Some("subscribed") { Done::Joined } else { Done::CheckInbox })
}

/// What a backorder answer means.
pub fn order_answer(status: u16, body: &JsValue) -> Result<Done, Failure> {
    if !(200..300).contains(&status) {
        return Err(failure(status, body));
    }
    Ok(Done::Ordered {
        position: decode::uint(body, "position"),
        promised: decode::string(body, "promised_date").and_then(|d| restock_shared::Date::parse(&d).ok()),
    })
}
