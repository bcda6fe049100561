//! The Restock API as the widget uses it: URLs, request bodies and what answers mean.
//! The requests themselves go through `dom::request` (the browser's `fetch`), which
//! hands back the status and the body's text; there is no async runtime in the wasm.
//! Bodies are written from the shared wire types by `json::Object` (tested against
//! serde's reading of them, as the Worker reads them).

use alloc::string::String;

use restock_shared::wire::{BackorderRequest, WaitlistRequest};

use crate::decode;
use crate::flat::{Flat, uint};
use crate::json::Object;
use crate::state::{Done, Failure, Field, Msg};

/// Appends `part` percent-encoded as `encodeURIComponent` does (UTF-8 bytes; letters,
/// digits and `-_.!~*'()` kept).
pub fn push_encoded(out: &mut String, part: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

fn shop_url(api: &str, shop: &str, tail: &str) -> String {
    let mut url = String::from(api);
    url.push_str("/v1/shops/");
    push_encoded(&mut url, shop);
    url.push_str(tail);
    url
}

/// `{api}/v1/shops/{shop}/availability?skus=`: the SKUs follow, encoded and separated
/// by commas, then `batch_end`.
pub fn batch_url(api: &str, shop: &str) -> String {
    shop_url(api, shop, "/availability?skus=")
}

/// Ends an availability URL: `&lang=..` (the language picks the shop's consent text),
/// and `&fresh=1` to skip the cache.
pub fn batch_end(url: &mut String, lang: &str, fresh: bool) {
    url.push_str("&lang=");
    url.push_str(lang);
    if fresh {
        url.push_str("&fresh=1");
    }
}

pub fn signup_url(api: &str, shop: &str) -> String {
    shop_url(api, shop, "/waitlist")
}

pub fn order_url(api: &str, shop: &str) -> String {
    shop_url(api, shop, "/backorders")
}

/// A request as `dom::request` takes it: the URL, the body, then header names and
/// values, separated by U+001F.
pub fn request(url: String, body: &str, headers: &[&str]) -> String {
    let mut out = url;
    for part in [body].iter().chain(headers) {
        out.push('\u{1f}');
        out.push_str(part);
    }
    out
}

/// What an availability answer says about `sku`.
pub fn availability(status: u16, answer: Flat, sku: &str) -> Msg {
    match (status, decode::settings(answer)) {
        (404, _) => Msg::NotFound,
        (200, Some(settings)) => match decode::item(answer, sku) {
            Some(view) => Msg::Loaded(view, settings),
            None => Msg::NotFound,
        },
        // Network failure, timeout, 5xx, or an answer we could not read: retry later.
        _ => Msg::Failed,
    }
}

pub fn signup_body(r: &WaitlistRequest) -> String {
    Object::new()
        .str("sku", &r.sku)
        .str("email", &r.email)
        .opt("locale", r.locale.as_deref())
        .bool("consent", r.consent)
        .str("consent_text", &r.consent_text)
        .opt("website", r.website.as_deref())
        .finish()
}

/// The order's body; `quantity` is the whole number the state checked (the wire
/// type's `f64` is how the Worker reads any JSON number).
pub fn order_body(r: &BackorderRequest, quantity: u32) -> String {
    Object::new()
        .str("sku", &r.sku)
        .uint("quantity", quantity)
        .str("email", &r.email)
        .opt("locale", r.locale.as_deref())
        .finish()
}

/// What a refused POST means for the shopper.
fn failure(status: u16, answer: Flat) -> Failure {
    match (status, answer.get("code").unwrap_or("")) {
        (429, _) => Failure::RateLimited,
        (409, _) => Failure::SoldOut,
        (_, "invalid_email") => Failure::Invalid(Field::Email),
        (_, "invalid_quantity") => Failure::Invalid(Field::Quantity),
        (_, "missing_field") => Failure::Invalid(Field::Consent),
        _ => Failure::Network,
    }
}

/// What a waitlist answer means.
pub fn signup_answer(status: u16, answer: Flat) -> Result<Done, Failure> {
    if !(200..300).contains(&status) {
        return Err(failure(status, answer));
    }
    Ok(if answer.get("status") == Some("subscribed") { Done::Joined } else { Done::CheckInbox })
}

/// What a backorder answer means.
pub fn order_answer(status: u16, answer: Flat) -> Result<Done, Failure> {
    if !(200..300).contains(&status) {
        return Err(failure(status, answer));
    }
    Ok(Done::Ordered {
        position: answer.get("position").and_then(uint),
        promised: decode::date(answer, "", "promised_date"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat::tests::flatten;
    use restock_shared::Date;
    use restock_shared::wire::{SignupStatus, WaitlistResponse};

    #[test]
    fn urls_encode_every_part_like_encode_uri_component() {
        let mut url = batch_url("https://r.example", "demo shop");
        push_encoded(&mut url, "TEE-1");
        url.push(',');
        push_encoded(&mut url, "a b/ü,&");
        batch_end(&mut url, "de", true);
        assert_eq!(
            url,
            "https://r.example/v1/shops/demo%20shop/availability?skus=TEE-1,a%20b%2F%C3%BC%2C%26&lang=de&fresh=1"
        );
        assert_eq!(signup_url("http://x", "demo"), "http://x/v1/shops/demo/waitlist");
        assert_eq!(order_url("http://x", "demo"), "http://x/v1/shops/demo/backorders");
        let mut kept = String::new();
        push_encoded(&mut kept, "Az09-_.!~*'()");
        assert_eq!(kept, "Az09-_.!~*'()");
    }

    #[test]
    fn requests_are_fields_for_dom() {
        assert_eq!(request("u".into(), "", &[]), "u\u{1f}");
        assert_eq!(request("u".into(), "{}", &["idempotency-key", "k"]), "u\u{1f}{}\u{1f}idempotency-key\u{1f}k");
    }

    #[test]
    fn bodies_read_back_as_the_worker_reads_them() {
        let signup = WaitlistRequest {
            sku: "TEE-1".into(),
            email: "ada@example.com".into(),
            locale: Some("de".into()),
            consent: true,
            consent_text: "Ja, \"bitte\"\n«einmal»".into(),
            website: None,
            phone: None,
            sms_consent_text: None,
        };
        let read: Result<WaitlistRequest, _> = serde_json::from_str(&signup_body(&signup));
        assert_eq!(read.ok(), Some(signup.clone()));
        let bot = WaitlistRequest { website: Some("http://spam".into()), locale: None, ..signup };
        let read: Result<WaitlistRequest, _> = serde_json::from_str(&signup_body(&bot));
        assert_eq!(read.ok(), Some(bot));
        let order =
            BackorderRequest { sku: "JKT".into(), quantity: 3.0, email: "a@b.co".into(), locale: Some("ar".into()) };
        let read: Result<BackorderRequest, _> = serde_json::from_str(&order_body(&order, 3));
        assert_eq!(read.ok(), Some(order));
    }

    fn flat(json: &str) -> String {
        flatten(&serde_json::from_str(json).unwrap_or_default())
    }

    #[test]
    fn answers_mean_what_the_api_says() {
        let read = |json: &str, f: fn(u16, Flat) -> Result<Done, Failure>, status| f(status, Flat(&flat(json)));
        let joined = serde_json::to_string(&WaitlistResponse { status: SignupStatus::Subscribed }).unwrap_or_default();
        assert_eq!(read(&joined, signup_answer, 202), Ok(Done::Joined));
        let pending =
            serde_json::to_string(&WaitlistResponse { status: SignupStatus::PendingConfirmation }).unwrap_or_default();
        assert_eq!(read(&pending, signup_answer, 202), Ok(Done::CheckInbox));
        let placed = r#"{"id":"bo_1","position":4,"promised_date":"2027-02-01","cancel_url":null}"#;
        let promised = Date::from_ymd(2027, 2, 1).ok();
        assert_eq!(read(placed, order_answer, 201), Ok(Done::Ordered { position: Some(4), promised }));
        let problem = |code: &str| format!(r#"{{"type":"about:blank","status":422,"code":"{code}","field":"x"}}"#);
        assert_eq!(read(&problem("invalid_email"), signup_answer, 422), Err(Failure::Invalid(Field::Email)));
        assert_eq!(read(&problem("invalid_quantity"), order_answer, 422), Err(Failure::Invalid(Field::Quantity)));
        assert_eq!(read(&problem("missing_field"), signup_answer, 422), Err(Failure::Invalid(Field::Consent)));
        assert_eq!(read(&problem("sold_out"), order_answer, 409), Err(Failure::SoldOut));
        assert_eq!(read("", signup_answer, 429), Err(Failure::RateLimited));
        assert_eq!(read("", signup_answer, 0), Err(Failure::Network), "no answer at all");
        assert_eq!(read("<html>", order_answer, 502), Err(Failure::Network));
        let shop =
            r#"{"shop":{"consent_text":"x","double_opt_in":false,"backorder_mode":"api"},"items":[],"unknown":["A"]}"#;
        assert_eq!(availability(404, Flat(""), "A"), Msg::NotFound, "no such shop");
        assert_eq!(availability(200, Flat(""), "A"), Msg::Failed, "unreadable: try again later");
        assert_eq!(availability(0, Flat(""), "A"), Msg::Failed);
        assert_eq!(availability(503, Flat(&flat(shop)), "A"), Msg::Failed);
        assert_eq!(availability(200, Flat(&flat(shop)), "A"), Msg::NotFound, "the shop has no such SKU");
    }
}
