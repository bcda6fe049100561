//! The Restock API as the widget's forms use it: the URLs and bodies of a waitlist
//! signup and an order, and what their answers mean. The requests themselves go
//! through `dom::request` (the browser's `fetch`), which hands back the status and the
//! body; there is no async runtime in the wasm. Bodies are written from the shared
//! wire types by `json::Object` (tested against serde's reading of them, as the Worker
//! reads them). Availability is read by the loader (`js/page.js`), in batches of at
//! most [`BATCH`].

use alloc::string::String;

use restock_shared::groups::TokenError;
use restock_shared::wire::{BackorderRequest, WaitlistRequest};

use crate::decode;
use crate::flat::{Flat, uint};
use crate::json::Object;
use crate::state::{Done, Failure, Field};

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

/// SKUs and variant ids in one availability read, at most (the Worker's `MAX_BATCH`):
/// the loader (`js/page.js`) batches its reads by it.
pub const BATCH: usize = 50;

pub fn signup_url(api: &str, shop: &str) -> String {
    shop_url(api, shop, "/waitlist")
}

/// The order endpoint, with the shopper's customer-group token when there is one.
pub fn order_url(api: &str, shop: &str, group: &str) -> String {
    let mut url = shop_url(api, shop, "/backorders");
    if !group.is_empty() {
        url.push_str("?group=");
        push_encoded(&mut url, group);
    }
    url
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

pub fn signup_body(r: &WaitlistRequest) -> String {
    Object::new()
        .str("sku", &r.sku)
        .str("email", &r.email)
        .opt("locale", r.locale.as_deref())
        .bool("consent", r.consent)
        .str("consent_text", &r.consent_text)
        .opt("website", r.website.as_deref())
        .opt("phone", r.phone.as_deref())
        .opt("sms_consent_text", r.sms_consent_text.as_deref())
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

/// Whether an answer refused the customer-group token itself (expired, altered, too
/// long-lived, another shop's): the request goes again once without it.
pub fn group_token_refused(status: u16, answer: Flat) -> bool {
    status == 400 && answer.get("code").is_some_and(|c| TokenError::CODES.contains(&c))
}

/// What a refused POST means for the shopper: a field the Worker names, or what
/// happened.
fn failure(status: u16, answer: Flat) -> Failure {
    let code = answer.get("code").unwrap_or("");
    match (status, answer.get("field").unwrap_or("")) {
        (429, _) => Failure::RateLimited,
        (409, _) => Failure::SoldOut,
        (403, _) if code == "group_not_allowed" => Failure::NotForGroup,
        (_, "phone") if code == "sms_not_offered" => Failure::SmsOff,
        (400 | 422, "email") => Failure::Invalid(Field::Email),
        (400 | 422, "quantity") => Failure::Invalid(Field::Quantity),
        (400 | 422, "consent" | "consent_text") => Failure::Invalid(Field::Consent),
        (400 | 422, "phone") => Failure::Invalid(Field::Phone),
        (400 | 422, "sms_consent_text") => Failure::Invalid(Field::Sms),
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
    Ok(Done::Ordered { position: answer.get("position").and_then(uint) })
}

/// The availability answer the loader handed over for one widget (see `decode`).
pub use decode::loaded;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat::tests::flatten;
    use restock_shared::wire::{SignupStatus, WaitlistResponse};

    #[test]
    fn urls_encode_every_part_like_encode_uri_component() {
        assert_eq!(signup_url("http://x", "demo"), "http://x/v1/shops/demo/waitlist");
        assert_eq!(order_url("http://x", "demo", ""), "http://x/v1/shops/demo/backorders");
        assert_eq!(
            order_url("http://x", "demo", "b2b.17.ab&c"),
            "http://x/v1/shops/demo/backorders?group=b2b.17.ab%26c"
        );
        let mut kept = String::new();
        push_encoded(&mut kept, "Az09-_.!~*'()a b/ü,&");
        assert_eq!(kept, "Az09-_.!~*'()a%20b%2F%C3%BC%2C%26");
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
        let texts = WaitlistRequest {
            phone: Some("+44 (20) 7946-0000".into()),
            sms_consent_text: Some("Text me. Reply STOP".into()),
            ..signup.clone()
        };
        let read: Result<WaitlistRequest, _> = serde_json::from_str(&signup_body(&texts));
        assert_eq!(read.ok(), Some(texts), "the phone as typed and the SMS consent shown");
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

    fn problem(status: u16, code: &str, field: &str) -> String {
        flat(&format!(r#"{{"type":"about:blank","status":{status},"code":"{code}","field":"{field}"}}"#))
    }

    #[test]
    fn answers_mean_what_the_api_says() {
        let read = |text: &str, f: fn(u16, Flat) -> Result<Done, Failure>, status| f(status, Flat(text));
        let joined = serde_json::to_string(&WaitlistResponse { status: SignupStatus::Subscribed }).unwrap_or_default();
        assert_eq!(read(&flat(&joined), signup_answer, 202), Ok(Done::Joined));
        let pending =
            serde_json::to_string(&WaitlistResponse { status: SignupStatus::PendingConfirmation }).unwrap_or_default();
        assert_eq!(read(&flat(&pending), signup_answer, 202), Ok(Done::CheckInbox));
        let placed = r#"{"id":"bo_1","position":4,"promised_date":"2027-02-01","cancel_url":null}"#;
        assert_eq!(read(&flat(placed), order_answer, 201), Ok(Done::Ordered { position: Some(4) }));
        for (status, code, field, expected) in [
            (422, "invalid_email", "email", Failure::Invalid(Field::Email)),
            (422, "invalid_quantity", "quantity", Failure::Invalid(Field::Quantity)),
            (422, "group_quantity_limit", "quantity", Failure::Invalid(Field::Quantity)),
            (422, "missing_field", "consent", Failure::Invalid(Field::Consent)),
            (422, "invalid_phone", "phone", Failure::Invalid(Field::Phone)),
            (422, "sms_not_offered", "phone", Failure::SmsOff),
            (422, "missing_field", "sms_consent_text", Failure::Invalid(Field::Sms)),
            (403, "group_not_allowed", "group", Failure::NotForGroup),
            (409, "sold_out", "quantity", Failure::SoldOut),
            (422, "invalid_sku", "sku", Failure::Network),
        ] {
            assert_eq!(read(&problem(status, code, field), signup_answer, status), Err(expected), "{code} {field}");
        }
        assert_eq!(read("", signup_answer, 429), Err(Failure::RateLimited));
        assert_eq!(read("", signup_answer, 0), Err(Failure::Network), "no answer at all");
        assert_eq!(read("<html>", order_answer, 502), Err(Failure::Network));
    }

    #[test]
    fn a_refused_group_token_is_dropped_and_other_refusals_are_not() {
        for code in TokenError::CODES {
            assert!(group_token_refused(400, Flat(&problem(400, code, "group"))), "{code}");
        }
        assert!(!group_token_refused(403, Flat(&problem(403, "group_not_allowed", "group"))));
        assert!(!group_token_refused(400, Flat(&problem(400, "invalid_sku", "sku"))));
        assert!(!group_token_refused(0, Flat("")));
    }
}
