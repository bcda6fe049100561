//! The domain parsers on arbitrary text: never panic, and what they accept is a fixed
//! point (parsing the normalized form again gives the same value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use restock_edge::availability::api::parse_skus;
use restock_edge::shops::settings::{parse_origin, parse_url};
use restock_shared::{Date, Email, Lang, Locale, Quantity, ShopId, Sku, clean_text, header_text};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = ShopId::parse(s) {
        assert_eq!(ShopId::parse(v.as_str()).as_ref(), Ok(&v));
    }
    if let Ok(v) = Sku::parse(s) {
        assert_eq!(Sku::parse(v.as_str()).as_ref(), Ok(&v));
    }
    if let Ok(v) = Email::parse(s) {
        assert!(v.as_str().len() <= 254 && v.as_str().contains('@'), "{v:?}");
        assert_eq!(Email::parse(v.as_str()).as_ref(), Ok(&v), "normalizing is idempotent");
    }
    if let Ok(v) = Locale::parse(s) {
        assert_eq!(Locale::parse(v.as_str()).as_ref(), Ok(&v));
    }
    let _ = Lang::from_tag(s);
    if let Ok(d) = Date::parse(s) {
        assert_eq!(Date::parse(&d.to_string()), Ok(d), "dates print as they parse");
    }
    if let Ok(n) = s.trim().parse::<i64>()
        && let Ok(q) = Quantity::new(n)
    {
        assert!(q.get() >= 1 && i64::from(q.get()) == n);
    }
    if let Ok(t) = clean_text("name", s, 200) {
        assert!(t.chars().count() <= 200);
    }
    if let Ok(t) = header_text("name", s, 200) {
        // What can reach an email header is one line with no bidi control, and is
        // also a clean text.
        assert!(
            !t.chars().any(|c| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{061C}'))
        );
        assert_eq!(clean_text("name", s, 200).as_ref(), Ok(&t));
    }
    if let Ok(skus) = parse_skus(Some(s)) {
        assert!(!skus.is_empty());
    }
    if let Ok(o) = parse_origin(s) {
        assert_eq!(parse_origin(&o).as_ref(), Ok(&o), "origins are normalized once");
    }
    let _ = parse_url("shop_url", s);
});
