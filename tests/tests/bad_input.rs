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

/// Asserts a 4xx problem with this status, code and field.
#[track_caller]
fn assert_field(r: &Reply, status: u16, code: &str, field: &str) -> serde_json::Value {
    let p = r.assert_problem(status, code);
    assert_eq!(p["field"], field, "problem {p}");
    p
}

/// Unicode line breaks and bidi controls, including those `trim` would drop and
/// those that are not "control characters" (U+2028, U+2029, the marks).
const HEADER_BREAKERS: [char; 19] = [
    '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
    '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
];

#[test]
fn texts_that_reach_email_headers_refuse_line_breaks_and_bidi_controls() {
    let shop = Shop::create("bad-header");
    let before = shop.admin("GET", "/v1/admin/settings", None).json();
    let op = format!("Bearer {}", restock_e2e::env::get().operator_token);
    for c in HEADER_BREAKERS {
        for name in [format!("Tee{c}Bcc: x@evil.example"), format!("Tee{c}"), format!("{c}Tee")] {
            // The product name is every product email's Subject.
            let r = shop.admin("PUT", "/v1/admin/products/HDR", Some(&json!({ "name": name, "policy": "deny" })));
            assert_field(&r, 422, "invalid_text", "name");
            let r =
                shop.admin("PUT", "/v1/admin/products/HDR?preview=1", Some(&json!({ "name": name, "policy": "deny" })));
            assert_field(&r, 422, "invalid_text", "name");
            // The sender name and the shop name are the From display name.
            for field in ["sender_name", "name"] {
                let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ field: name })));
                assert_field(&r, 422, "invalid_text", field);
            }
            let body = json!({ "id": restock_e2e::client::unique_id("hdr"), "name": name });
            let r = shop.client.send_json("POST", "/v1/shops", &[("authorization", &op)], &body);
            assert_field(&r, 422, "invalid_text", "name");
            let body = json!({ "id": restock_e2e::client::unique_id("hdr"), "name": "Fine", "sender_name": name });
            let r = shop.client.send_json("POST", "/v1/shops", &[("authorization", &op)], &body);
            assert_field(&r, 422, "invalid_text", "sender_name");
        }
    }
    shop.admin("GET", "/v1/admin/products/HDR", None).assert_problem(404, "product_not_found");
    assert_eq!(shop.admin("GET", "/v1/admin/settings", None).json(), before, "no setting changed");
    // What names do need is accepted: any script, joiners, typographic quotes.
    let name = "Bob\u{2019}s \u{1F469}\u{200D}\u{1F527} متجر";
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "sender_name": name, "name": name })));
    assert_eq!((r.status, r.json()["sender_name"].as_str()), (200, Some(name)), "{}", r.body);
    assert_eq!(shop.put_product("HDR", json!({ "name": name, "policy": "deny" }))["name"], name);
    // The consent text is only ever a body: Hebrew may keep its directional marks.
    let consent = "אני מסכים\u{200F}.";
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "consent_text": consent })));
    assert_eq!((r.status, r.json()["consent_text"].as_str()), (200, Some(consent)), "{}", r.body);
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "consent_text": "a\u{2028}b" })));
    assert_field(&r, 422, "invalid_text", "consent_text");
}

#[test]
fn urls_with_line_breaks_or_spaces_are_refused_not_rewritten() {
    let shop = Shop::create("bad-url");
    let before = shop.admin("GET", "/v1/admin/settings", None).json();
    for bad in [
        "https://hooks.example/restock\r\nX-Injected: 1",
        "https://hooks.example/res\ntock",
        "https://hooks.exa\tmple/restock",
        "https://hooks.example/restock\r\n",
        " https://hooks.example/restock",
        "https://hooks.example/re stock",
        "https://hooks.example/restock\u{2028}",
        "https://hooks.example/restock\u{0}",
    ] {
        let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "shop_url": bad })));
        assert_field(&r, 422, "out_of_range", "shop_url");
        let r = shop.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": bad })));
        assert_field(&r, 422, "out_of_range", "url");
        let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "allowed_origins": [bad] })));
        assert_field(&r, 422, "out_of_range", "allowed_origins");
        let r =
            shop.admin("PUT", "/v1/admin/products/URL", Some(&json!({ "name": "x", "policy": "deny", "url": bad })));
        assert_field(&r, 422, "out_of_range", "url");
        // The same as a path on the shop's site.
        let path = bad.replacen("https://hooks.example", "", 1);
        let r =
            shop.admin("PUT", "/v1/admin/products/URL", Some(&json!({ "name": "x", "policy": "deny", "url": path })));
        assert_field(&r, 422, "out_of_range", "url");
    }
    assert_eq!(shop.admin("GET", "/v1/admin/settings", None).json(), before, "nothing was stored, rewritten or not");
    shop.admin("GET", "/v1/admin/products/URL", None).assert_problem(404, "product_not_found");
    // A well-formed URL is stored as the URL parser writes it.
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "shop_url": "https://shop.example/a%20b" })));
    assert_eq!((r.status, r.json()["shop_url"].as_str()), (200, Some("https://shop.example/a%20b")), "{}", r.body);
}

#[test]
fn caps_and_release_dates_that_would_mean_something_else_are_refused() {
    let shop = Shop::create("bad-policy");
    let put = |body: serde_json::Value| shop.admin("PUT", "/v1/admin/products/POL", Some(&body));
    // A cap of 0 takes no orders: that is what `deny` says.
    assert_field(&put(json!({ "name": "x", "policy": "backorder", "cap": 0 })), 422, "out_of_range", "cap");
    let today = restock_shared::Timestamp::from_millis(now_millis()).date();
    let release = today.to_iso();
    assert_field(
        &put(json!({ "name": "x", "policy": "preorder", "release_date": release, "cap": 0 })),
        422,
        "out_of_range",
        "cap",
    );
    // A cap on deny is refused, not dropped.
    assert_field(&put(json!({ "name": "x", "policy": "deny", "cap": 5 })), 422, "out_of_range", "cap");
    // A preorder released in the past would sell as a backorder at once.
    for past in ["2020-01-01".to_owned(), yesterday(today)] {
        let body = json!({ "name": "x", "policy": "preorder", "release_date": past });
        let p = assert_field(&put(body.clone()), 422, "date_in_past", "release_date");
        assert!(p["detail"].as_str().is_some_and(|d| d.contains("today or later")), "{p}");
        let r = shop.admin("PUT", "/v1/admin/products/POL?preview=1", Some(&body));
        assert_field(&r, 422, "date_in_past", "release_date");
    }
    assert_field(
        &put(json!({ "name": "x", "policy": "preorder", "release_date": "2031-02-30" })),
        422,
        "invalid_date",
        "release_date",
    );
    shop.admin("GET", "/v1/admin/products/POL", None).assert_problem(404, "product_not_found");
    // Today and later are preorders; a cap of 1 is the smallest.
    let created =
        shop.put_product("POL", json!({ "name": "x", "policy": "preorder", "release_date": release, "cap": 1 }));
    assert_eq!((created["policy"].as_str(), created["cap"].as_i64()), (Some("preorder"), Some(1)), "{created}");
    let later = today.add_days(30).to_iso();
    let p = shop.put_product("POL", json!({ "name": "x", "policy": "preorder", "release_date": later }));
    assert_eq!(p["availability"]["status"], "preorder", "{p}");
    // Purchase orders name their date field too.
    let r = shop.admin(
        "POST",
        "/v1/admin/products/POL/purchase-orders",
        Some(&json!({ "quantity": 1, "expected_date": "soon" })),
    );
    assert_field(&r, 422, "invalid_date", "expected_date");
}

fn now_millis() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

fn yesterday(today: restock_shared::Date) -> String {
    restock_shared::Date::from_days(today.days_since_epoch() - 1).to_iso()
}

#[test]
fn every_json_body_names_the_field_it_refuses() {
    let shop = Shop::create("bad-field");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let bo = format!("/v1/shops/{}/backorders", shop.id);
    let wl = format!("/v1/shops/{}/waitlist", shop.id);
    let op = format!("Bearer {}", restock_e2e::env::get().operator_token);
    let public =
        |path: &str, body: serde_json::Value| post_raw(&shop, path, "application/json", body.to_string().as_bytes());
    let admin = |method: &str, path: &str, body: serde_json::Value| shop.admin(method, path, Some(&body));
    let cases: Vec<(Reply, &str, &str)> = vec![
        (
            public(&bo, json!({ "sku": "JKT", "quantity": "1", "email": "a@example.com" })),
            "quantity",
            "quantity must be a number",
        ),
        (public(&bo, json!({ "sku": 7, "quantity": 1, "email": "a@example.com" })), "sku", "sku must be a string"),
        (public(&bo, json!({ "sku": "JKT", "quantity": 1 })), "email", "email is required"),
        (
            public(&bo, json!({ "sku": "JKT", "quantity": 1, "email": "a@example.com", "locale": 5 })),
            "locale",
            "locale must be a string",
        ),
        (
            public(&wl, json!({ "sku": "JKT", "email": "a@example.com", "consent": "yes", "consent_text": "ok" })),
            "consent",
            "consent must be true or false",
        ),
        (
            public(&wl, json!({ "sku": "JKT", "email": "a@example.com", "consent": true })),
            "consent_text",
            "consent_text is required",
        ),
        (
            public(&wl, json!({ "sku": "JKT", "email": ["a@example.com"], "consent": true, "consent_text": "ok" })),
            "email",
            "email must be a string",
        ),
        (
            admin("PUT", "/v1/admin/products/JKT", json!({ "name": "x", "policy": "deny", "price_cents": "free" })),
            "price_cents",
            "price_cents must be a whole number",
        ),
        (
            admin("PUT", "/v1/admin/products/JKT", json!({ "name": "x", "policy": "deny", "waitlist": "no" })),
            "waitlist",
            "waitlist must be true or false",
        ),
        (
            admin("PUT", "/v1/admin/products/JKT", json!({ "name": "x", "policy": "backorder", "cap": 2.5 })),
            "cap",
            "cap must be a whole number",
        ),
        (admin("PUT", "/v1/admin/products/JKT", json!({ "policy": "deny" })), "name", "name is required"),
        (
            admin("POST", "/v1/admin/products/JKT/receive", json!({ "quantity": "5" })),
            "quantity",
            "quantity must be a whole number",
        ),
        (
            admin(
                "POST",
                "/v1/admin/products/JKT/purchase-orders",
                json!({ "quantity": 1, "expected_date": 20310101 }),
            ),
            "expected_date",
            "expected_date must be a string",
        ),
        (
            admin("POST", "/v1/admin/orders", json!({ "sku": "JKT", "quantity": "x", "reference": "r1" })),
            "quantity",
            "quantity must be a whole number",
        ),
        (
            admin("PATCH", "/v1/admin/settings", json!({ "release_ratio": "x" })),
            "release_ratio",
            "release_ratio must be a number",
        ),
        (
            admin("PATCH", "/v1/admin/settings", json!({ "allowed_origins": ["https://a.example", 2] })),
            "allowed_origins[1]",
            "allowed_origins[1] must be a string",
        ),
        (
            admin("PATCH", "/v1/admin/settings", json!({ "consent_texts": { "de": 1 } })),
            "consent_texts.de",
            "consent_texts.de must be a string",
        ),
        (
            admin("PATCH", "/v1/admin/settings", json!({ "double_opt_in": null })),
            "double_opt_in",
            "double_opt_in must be true or false, not null",
        ),
        (
            shop.client.send_json(
                "POST",
                "/v1/shops",
                &[("authorization", &op)],
                &json!({ "id": "bad-field-x", "name": 5 }),
            ),
            "name",
            "name must be a string",
        ),
        (
            shop.client.send_json(
                "POST",
                "/v1/shops",
                &[("authorization", &op)],
                &json!({ "id": "bad-field-x", "name": "x", "hold_hours": "2" }),
            ),
            "hold_hours",
            "hold_hours must be a whole number",
        ),
    ];
    for (r, field, detail) in &cases {
        assert!(r.status < 500, "{}", r.body);
        let p = assert_field(r, 400, "invalid_body", field);
        assert_eq!(p["detail"], *detail, "problem {p}");
    }
    // An unknown field is named too, with the fields there are.
    let r = public(&bo, json!({ "sku": "JKT", "quantity": 1, "email": "a@example.com", "price": 0 }));
    let p = assert_field(&r, 400, "invalid_body", "price");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("`quantity`")), "{p}");
    // Nothing was written by any of it.
    assert!(shop.backorders("JKT").is_empty());
    assert!(shop.all_pages("/v1/admin/products/JKT/waitlist").is_empty());
    assert_eq!(shop.admin("GET", "/v1/admin/products/JKT", None).json()["policy"], "backorder");
    let r = shop.client.get_with("/v1/admin/settings", &[("authorization", &format!("Bearer {}", shop.key))]);
    assert_eq!(r.json()["consent_texts"], json!({}));
}
