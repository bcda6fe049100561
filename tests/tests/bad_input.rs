//! Bad input of every kind gets a 4xx problem+json with a stable code, never a 5xx,
//! and writes nothing.

use restock_e2e::client::{Client, Reply, Shop};
use serde_json::json;

fn post_raw(shop: &Shop, path: &str, content_type: &str, body: &[u8]) -> Reply {
    shop.client.request(
        "POST",
        path,
        &[("content-type", content_type), ("cf-connecting-ip", "198.51.100.9")],
        Some(body),
    )
}

#[test]
fn malformed_bodies_are_4xx_and_write_nothing() {
    let shop = Shop::create("bad");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 100 }));
    let bo = format!("/v1/shops/{}/backorders", shop.id);
    let wl = format!("/v1/shops/{}/waitlist", shop.id);
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (&bo, "application/json", b"{".to_vec(), 400, "invalid_json"),
        (&bo, "application/json", b"".to_vec(), 400, "invalid_json"),
        (&bo, "application/json", b"null".to_vec(), 400, "invalid_body"),
        (&bo, "application/json", b"[\"JKT\", 1, \"a@example.com\"]".to_vec(), 400, "invalid_body"),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":"1","email":"a@example.com"}"#.to_vec(),
            400,
            "invalid_body",
        ),
        (&bo, "application/json", br#"{"sku":"JKT","quantity":1}"#.to_vec(), 400, "invalid_body"),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1,"email":"a@example.com","price":0}"#.to_vec(),
            400,
            "invalid_body",
        ),
        (
            &bo,
            "text/plain",
            br#"{"sku":"JKT","quantity":1,"email":"a@example.com"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (&bo, "application/x-www-form-urlencoded", b"sku=JKT&quantity=1".to_vec(), 415, "unsupported_media_type"),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":0,"email":"a@example.com"}"#.to_vec(),
            422,
            "invalid_quantity",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":-3,"email":"a@example.com"}"#.to_vec(),
            422,
            "invalid_quantity",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1.5,"email":"a@example.com"}"#.to_vec(),
            422,
            "invalid_quantity",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1e300,"email":"a@example.com"}"#.to_vec(),
            422,
            "invalid_quantity",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":99999999999999999999999,"email":"a@example.com"}"#.to_vec(),
            422,
            "invalid_quantity",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1,"email":"not-an-email"}"#.to_vec(),
            422,
            "invalid_email",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1,"email":"a@b.com'); DROP TABLE backorders;--"}"#.to_vec(),
            422,
            "invalid_email",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT' OR '1'='1","quantity":1,"email":"a@example.com"}"#.to_vec(),
            422,
            "invalid_sku",
        ),
        (
            &bo,
            "application/json",
            "{\"sku\":\"JKT\u{202E}\",\"quantity\":1,\"email\":\"a@example.com\"}".as_bytes().to_vec(),
            422,
            "invalid_sku",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1,"email":"a\u0000@example.com"}"#.to_vec(),
            422,
            "invalid_email",
        ),
        (
            &bo,
            "application/json",
            br#"{"sku":"JKT","quantity":1,"email":"a@example.com","locale":"<script>"}"#.to_vec(),
            422,
            "invalid_locale",
        ),
        (
            &wl,
            "application/json",
            br#"{"sku":"JKT","email":"a@example.com","consent":false,"consent_text":"x"}"#.to_vec(),
            422,
            "missing_field",
        ),
        (
            &wl,
            "application/json",
            br#"{"sku":"JKT","email":"a@example.com","consent":true,"consent_text":"   "}"#.to_vec(),
            422,
            "missing_field",
        ),
        // A raw control character is not JSON; an escaped one is JSON but not text we accept.
        (
            &wl,
            "application/json",
            "{\"sku\":\"JKT\",\"email\":\"a@example.com\",\"consent\":true,\"consent_text\":\"ok\u{0007}\"}"
                .as_bytes()
                .to_vec(),
            400,
            "invalid_json",
        ),
        (
            &wl,
            "application/json",
            br#"{"sku":"JKT","email":"a@example.com","consent":true,"consent_text":"ok\u0007"}"#.to_vec(),
            422,
            "invalid_text",
        ),
        (
            &wl,
            "application/json",
            br#"{"sku":"JKT","email":"a@example.com","consent":"yes","consent_text":"ok"}"#.to_vec(),
            400,
            "invalid_body",
        ),
        (
            &wl,
            "application/json",
            br#"{"sku":"JKT","email":"a@example.com","consent":true,"consent_text":"ok","admin":1}"#.to_vec(),
            400,
            "invalid_body",
        ),
    ];
    for (path, ct, body, status, code) in &cases {
        let r = post_raw(&shop, path, ct, body);
        assert!(r.status < 500, "{path} {:?} -> {}", String::from_utf8_lossy(body), r.body);
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (*status, Some(*code)),
            "{path} {}",
            String::from_utf8_lossy(body)
        );
        r.assert_problem(*status, code);
    }
    let long_consent =
        json!({ "sku": "JKT", "email": "a@example.com", "consent": true, "consent_text": "x".repeat(1001) });
    post_raw(&shop, &wl, "application/json", long_consent.to_string().as_bytes()).assert_problem(422, "invalid_text");
    // Oversize body: refused before parsing.
    let huge = json!({ "sku": "JKT", "quantity": 1, "email": "a@example.com", "locale": "x".repeat(20_000) });
    post_raw(&shop, &bo, "application/json", huge.to_string().as_bytes()).assert_problem(413, "payload_too_large");
    // Nothing was written by any of it.
    assert!(shop.backorders("JKT").is_empty());
    assert!(shop.all_pages("/v1/admin/products/JKT/waitlist").is_empty());
}

#[test]
fn bad_merchant_input_is_4xx_and_writes_nothing() {
    let shop = Shop::create("bad-admin");
    let cases = [
        json!({ "policy": "deny" }),
        json!({ "name": "", "policy": "deny" }),
        json!({ "name": "x", "policy": "sell-anyway" }),
        json!({ "name": "x", "policy": "preorder" }),
        json!({ "name": "x", "policy": "preorder", "release_date": "2031-02-30" }),
        json!({ "name": "x", "policy": "backorder", "cap": -1 }),
        json!({ "name": "x", "policy": "deny", "cap": 5 }),
        json!({ "name": "x", "policy": "deny", "on_hand": -5 }),
        json!({ "name": "x", "policy": "deny", "on_hand": 1e12 }),
        json!({ "name": "x", "policy": "deny", "price_cents": "free" }),
        json!({ "name": "x", "policy": "deny", "lead_time_days": 1000 }),
        json!({ "name": "x", "policy": "deny", "url": "javascript:alert(1)" }),
        json!({ "name": "line\nbreak", "policy": "deny" }),
        json!({ "name": "x", "policy": "deny", "rev": "mine" }),
    ];
    for body in &cases {
        let r = shop.admin("PUT", "/v1/admin/products/NEW", Some(body));
        assert!((400..500).contains(&r.status), "{body} -> {} {}", r.status, r.body);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    shop.admin("GET", "/v1/admin/products/NEW", None).assert_problem(404, "product_not_found");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    for body in [json!({}), json!({ "quantity": 0 }), json!({ "quantity": 1_000_001 }), json!({ "quantity": "5" })] {
        let r = shop.admin("POST", "/v1/admin/products/JKT/receive", Some(&body));
        assert!((400..500).contains(&r.status), "{body} -> {} {}", r.status, r.body);
    }
    for body in [
        json!({ "quantity": 1, "expected_date": "2020-01-01" }),
        json!({ "quantity": 1, "expected_date": "soon" }),
        json!({ "quantity": 0, "expected_date": "2031-01-01" }),
    ] {
        let r = shop.admin("POST", "/v1/admin/products/JKT/purchase-orders", Some(&body));
        assert!((400..500).contains(&r.status), "{body} -> {} {}", r.status, r.body);
    }
    assert_eq!(shop.admin("GET", "/v1/admin/products/JKT", None).json()["on_hand"], 0);
    assert!(
        shop.admin("GET", "/v1/admin/products/JKT/purchase-orders", None).json()["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    shop.admin("GET", "/v1/admin/backorders?cursor=%%%", None).assert_problem(400, "invalid_cursor");
    shop.admin("GET", "/v1/admin/backorders?limit=0", None).assert_problem(422, "out_of_range");
    shop.admin("GET", "/v1/admin/backorders?status=lost", None).assert_problem(422, "out_of_range");
    shop.admin("DELETE", "/v1/admin/subscribers/not-an-email", None).assert_problem(422, "invalid_email");
}

#[test]
fn wrong_methods_and_paths_are_405_and_404() {
    let client = Client::from_env();
    let shop = Shop::create("bad-method");
    for (method, path) in [
        ("GET", format!("/v1/shops/{}/backorders", shop.id)),
        ("PUT", format!("/v1/shops/{}/waitlist", shop.id)),
        ("DELETE", "/v1/shops".to_owned()),
        ("POST", "/v1/admin/insights".to_owned()),
        ("PATCH", "/v1/admin/products/X".to_owned()),
    ] {
        let r = client.request(method, &path, &[], None);
        r.assert_problem(405, "method_not_allowed");
        assert!(r.header("allow").is_some(), "{method} {path}");
    }
    for path in ["/v1/nope", "/v1/shops/x/y/z/w/v/u", "/v1/admin"] {
        client.get(path).assert_problem(404, "route_not_found");
    }
    // Unicode and control characters in path segments are refused, not crashed on.
    for sku in ["%E2%9C%93", "%00", "a%0Ab", "..", "%2e%2e"] {
        let r = client.get(&format!("/v1/shops/demo/products/{sku}/availability"));
        assert!((400..500).contains(&r.status), "{sku}: {}", r.body);
    }
    // And nothing above touched the shop.
    assert!(shop.backorders("X").is_empty());
}

/// Sends a request with a method our HTTP client will not send; returns the head.
fn raw_request(method: &str, path: &str, key: &str) -> String {
    use std::io::{Read, Write};
    let url = restock_e2e::env::get().url.clone();
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    let head =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    out.to_ascii_lowercase()
}

#[test]
fn methods_the_runtime_does_not_know_are_405_not_get() {
    // workers-rs reads any method it has no name for as GET; the router must not.
    let shop = Shop::create("bad-method");
    // (workerd itself answers 501 to a method it has never heard of, before the Worker.)
    for method in ["QUERY", "PROPFIND"] {
        for path in [
            "/v1/health".to_owned(),
            "/v1/admin/settings".to_owned(),
            format!("/v1/shops/{}/availability?skus=X", shop.id),
        ] {
            let reply = raw_request(method, &path, &shop.key);
            assert!(reply.starts_with("http/1.1 405"), "{method} {path}: {reply}");
            assert!(reply.contains("\r\nallow: ") && reply.contains("method_not_allowed"), "{method} {path}: {reply}");
        }
    }
}

#[test]
fn null_for_a_setting_that_cannot_be_cleared_is_refused() {
    let shop = Shop::create("bad-null");
    for field in ["name", "currency", "consent_text", "double_opt_in", "release_ratio", "backorder_mode"] {
        let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ field: null })));
        r.assert_problem(400, "invalid_body");
    }
    let currency = shop.admin("GET", "/v1/admin/settings", None).json()["currency"].clone();
    // A clearable one may be null.
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "discount_code": null })));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(shop.admin("GET", "/v1/admin/settings", None).json()["currency"], currency, "unchanged");
}
