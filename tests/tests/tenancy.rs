//! Tenant isolation: one shop's key never reaches another shop's data; no key or a
//! wrong key is 401; public endpoints never show subscriber emails; CORS only for the
//! shop's allowed origins.

use restock_e2e::client::{Client, Shop, ip};
use serde_json::json;

/// Every admin endpoint, as (method, path, body) against shop B's resources.
fn admin_calls(sku: &str, backorder: &str, po: &str) -> Vec<(&'static str, String, Option<serde_json::Value>)> {
    vec![
        ("GET", format!("/v1/admin/products/{sku}"), None),
        ("DELETE", format!("/v1/admin/products/{sku}"), None),
        ("POST", format!("/v1/admin/products/{sku}/receive"), Some(json!({ "quantity": 5 }))),
        ("GET", format!("/v1/admin/products/{sku}/purchase-orders"), None),
        (
            "POST",
            format!("/v1/admin/products/{sku}/purchase-orders"),
            Some(json!({ "quantity": 1, "expected_date": "2031-01-01" })),
        ),
        (
            "PUT",
            format!("/v1/admin/products/{sku}/purchase-orders/{po}"),
            Some(json!({ "quantity": 1, "expected_date": "2031-01-01" })),
        ),
        ("DELETE", format!("/v1/admin/products/{sku}/purchase-orders/{po}"), None),
        ("GET", format!("/v1/admin/products/{sku}/waitlist"), None),
        ("GET", format!("/v1/admin/backorders/{backorder}"), None),
        ("POST", format!("/v1/admin/backorders/{backorder}/cancel"), None),
        ("POST", "/v1/admin/orders".into(), Some(json!({ "sku": sku, "quantity": 1, "reference": "x" }))),
    ]
}

#[test]
fn a_key_of_shop_a_gets_404_on_everything_of_shop_b() {
    let a = Shop::create("ten-a");
    let b = Shop::create("ten-b");
    // B-only SKU names, so "not found" can only mean "not yours".
    b.put_product("B-SECRET", json!({ "name": "B only", "policy": "backorder", "price_cents": 100 }));
    let po = b.admin(
        "POST",
        "/v1/admin/products/B-SECRET/purchase-orders",
        Some(&json!({ "quantity": 2, "expected_date": "2031-01-01" })),
    );
    let po_id = po.json()["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    let bo = b.backorder("B-SECRET", 1, "victim@example.com", &ip(1), None).json();
    let bo_id = bo["id"].as_str().unwrap_or_default().to_owned();
    b.signup("B-SECRET", "subscriber@example.com", &ip(2));

    for (method, path, body) in admin_calls("B-SECRET", &bo_id, &po_id) {
        let r = a.admin(method, &path, body.as_ref());
        assert_eq!(r.status, 404, "{method} {path} with A's key: {}", r.body);
        assert!(!r.body.contains("victim@example.com") && !r.body.contains("subscriber@example.com"));
    }
    // PUT with A's key makes A's *own* product of that name; B's is untouched.
    let own = a.admin(
        "PUT",
        "/v1/admin/products/B-SECRET",
        Some(&json!({ "name": "A's own", "policy": "deny", "on_hand": 9 })),
    );
    assert_eq!(own.status, 201, "{}", own.body);
    assert_eq!(own.json()["queue"]["open"], 0, "it sees none of B's backorders");
    // A's own lists do not show B's data either.
    for path in [
        "/v1/admin/backorders",
        "/v1/admin/products",
        "/v1/admin/insights",
        "/v1/admin/export/waitlist.csv",
        "/v1/admin/export/backorders.csv",
    ] {
        let r = a.admin("GET", path, None);
        assert_eq!(r.status, 200, "{path}");
        assert!(!r.body.contains("victim@example.com") && !r.body.contains("B only"), "{path}: {}", r.body);
    }
    // Erasing an address with A's key leaves B's subscriber alone.
    a.admin("DELETE", "/v1/admin/subscribers/subscriber@example.com", None);
    let rows = b.all_pages("/v1/admin/products/B-SECRET/waitlist");
    assert_eq!(rows.len(), 1);
    // And B's data is unchanged by all of the above.
    let product = b.admin("GET", "/v1/admin/products/B-SECRET", None).json();
    assert_eq!((product["name"].as_str(), product["on_hand"].as_i64()), (Some("B only"), Some(0)));
    assert_eq!(b.backorders("B-SECRET")[0]["status"], "open");
}

#[test]
fn no_key_or_a_wrong_key_is_401() {
    let client = Client::from_env();
    let a = Shop::create("ten-401");
    for path in ["/v1/admin/products", "/v1/admin/settings", "/v1/admin/backorders", "/v1/admin/insights"] {
        client.get(path).assert_problem(401, "unauthorized");
        let fake = format!("sk_{}", "A".repeat(43));
        for auth in [
            format!("Bearer {fake}"),
            "Bearer".into(),
            format!("Basic {}", a.key),
            a.key.clone(),
            format!("Bearer {}x", a.key),
        ] {
            client.get_with(path, &[("authorization", &auth)]).assert_problem(401, "unauthorized");
        }
    }
}

#[test]
fn public_endpoints_never_show_subscriber_emails() {
    let shop = Shop::create("ten-pub");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let bo = shop.backorder("JKT", 1, "private@example.com", &ip(1), None);
    assert!(!bo.body.contains("private@example.com"), "not even to the shopper who placed it");
    shop.signup("JKT", "hidden@example.com", &ip(2));
    let client = Client::from_env();
    for path in [
        format!("/v1/shops/{}/products/JKT/availability", shop.id),
        format!("/v1/shops/{}/availability?skus=JKT", shop.id),
    ] {
        let r = client.get(&path);
        assert_eq!(r.status, 200);
        assert!(!r.body.contains('@'), "{path}: {}", r.body);
    }
}

#[test]
fn cors_answers_only_the_shops_allowed_origins() {
    let shop = Shop::create_with("ten-cors", json!({ "allowed_origins": ["https://good.example"] }));
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let client = Client::from_env();
    let path = format!("/v1/shops/{}/products/JKT/availability?fresh=1", shop.id);
    let good = client.get_with(&path, &[("origin", "https://good.example")]);
    assert_eq!(good.header("access-control-allow-origin"), Some("https://good.example"));
    assert_eq!(good.header("vary"), Some("Origin"));
    let evil = client.get_with(&path, &[("origin", "https://evil.example")]);
    assert_eq!(evil.status, 200);
    assert_eq!(evil.header("access-control-allow-origin"), None, "no CORS header for a foreign origin");

    let preflight = |origin: &str| {
        client.request(
            "OPTIONS",
            &format!("/v1/shops/{}/backorders", shop.id),
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type,idempotency-key"),
            ],
            None,
        )
    };
    let ok = preflight("https://good.example");
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-origin"), Some("https://good.example"));
    assert!(ok.header("access-control-allow-headers").is_some_and(|h| h.contains("Idempotency-Key")));
    let no = preflight("https://evil.example");
    assert_eq!(no.header("access-control-allow-origin"), None);

    // A write from a foreign origin is refused outright (a form post needs no preflight).
    let r = client.send_json(
        "POST",
        &format!("/v1/shops/{}/backorders", shop.id),
        &[("origin", "https://evil.example")],
        &json!({ "sku": "JKT", "quantity": 1, "email": "x@example.com" }),
    );
    r.assert_problem(403, "origin_not_allowed");
    assert!(shop.backorders("JKT").is_empty());
}
