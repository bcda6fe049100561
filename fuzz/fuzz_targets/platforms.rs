//! What the shop platforms send and what merchants import, on arbitrary bytes: each
//! platform's webhook reader (every topic), the import's CSV and JSON rows, the group
//! token and rules, a connection request and a variant list. Never a panic, and every
//! refusal is a 4xx with a stable code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restock_edge::connect::api::{ConnectionRequest, NewConnection};
use restock_edge::connect::import::{ImportRequest, rows};
use restock_edge::connect::mount::parse_variants;
use restock_edge::connect::{bigcommerce, shopify, woocommerce};
use restock_edge::error::ApiError;
use restock_edge::groups::api::{GroupsRequest, parse};
use restock_edge::http::parse_json;
use restock_shared::groups::GroupClaim;
use restock_shared::import::parse_csv;

fn code_of(e: ApiError) {
    let code = e.code();
    assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
    assert!(e.status() >= 400 && e.status() < 500, "input errors are 4xx: {}", e.status());
}

fuzz_target!(|data: &[u8]| {
    for topic in [
        "inventory_levels/update",
        "products/update",
        "orders/create",
        "orders/cancelled",
        "customers/redact",
        "customers/data_request",
        "shop/redact",
    ] {
        if let Err(e) = shopify::read(topic, "acme.myshopify.com", data) {
            code_of(e);
        }
    }
    for topic in ["product.updated", "order.updated"] {
        if let Err(e) = woocommerce::read(topic, data) {
            code_of(e);
        }
    }
    if let Err(e) = bigcommerce::read("abc123", data) {
        code_of(e);
    }
    match parse_json::<ImportRequest>(data).map(rows) {
        Ok(Ok(items)) => assert!(!items.is_empty() && items.len() <= 50),
        Ok(Err(e)) | Err(e) => code_of(e),
    }
    match parse_json::<GroupsRequest>(data).map(|r| parse(&r)) {
        Ok(Ok(rules)) => assert!(rules.len() <= 200),
        Ok(Err(e)) | Err(e) => code_of(e),
    }
    match parse_json::<ConnectionRequest>(data).map(|r| NewConnection::parse(&r, false)) {
        Ok(Err(e)) | Err(e) => code_of(e),
        Ok(Ok(_)) => {}
    }
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(rows) = parse_csv(s) {
        assert!(rows.len() <= 50);
    }
    if let Ok(c) = GroupClaim::parse(s) {
        assert_eq!(GroupClaim::parse(s).as_ref(), Ok(&c));
    }
    if let Ok(v) = parse_variants(s, 50) {
        assert!(!v.is_empty() && v.len() <= 50);
    }
});
