//! Tenant isolation: one shop's key never reaches another shop's data; no key or a
//! wrong key is 401; public endpoints never show subscriber emails; CORS only for the
//! shop's allowed origins.

use std::collections::BTreeSet;

use restock_e2e::client::{Client, Shop, ip};
use serde_json::{Value, json};

/// The admin operations the OpenAPI description documents, as (METHOD, template).
fn documented_admin_operations(client: &Client) -> BTreeSet<(String, String)> {
    let doc = client.get("/v1/openapi.json").json();
    let mut ops = BTreeSet::new();
    for (template, methods) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in methods.as_object().into_iter().flatten() {
            let secured = op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("shopKey").is_some()));
            if secured {
                ops.insert((method.to_uppercase(), template.clone()));
            }
        }
    }
    ops
}

/// The documented template a concrete path belongs to (`{x}` matches one segment).
fn template_of(path: &str, ops: &BTreeSet<(String, String)>) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    ops.iter().map(|(_, t)| t).find_map(|t| {
        let parts: Vec<&str> = t.split('/').collect();
        let same = parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s);
        same.then(|| t.clone())
    })
}

/// Every admin call that names one of shop B's resources (or B's SKU in a query).
fn calls_on_b(
    sku: &str,
    backorder: &str,
    po: &str,
    delivery: &str,
    hook: &str,
) -> Vec<(&'static str, String, Option<Value>)> {
    let po_body = json!({ "quantity": 1, "expected_date": "2031-01-01" });
    vec![
        ("GET", format!("/v1/admin/products/{sku}"), None),
        ("DELETE", format!("/v1/admin/products/{sku}"), None),
        ("POST", format!("/v1/admin/products/{sku}/receive"), Some(json!({ "quantity": 5 }))),
        ("GET", format!("/v1/admin/products/{sku}/purchase-orders"), None),
        ("POST", format!("/v1/admin/products/{sku}/purchase-orders"), Some(po_body.clone())),
        ("PUT", format!("/v1/admin/products/{sku}/purchase-orders/{po}"), Some(po_body)),
        ("DELETE", format!("/v1/admin/products/{sku}/purchase-orders/{po}"), None),
        ("GET", format!("/v1/admin/products/{sku}/waitlist"), None),
        ("GET", format!("/v1/admin/backorders/{backorder}"), None),
        ("POST", format!("/v1/admin/backorders/{backorder}/cancel"), None),
        ("POST", "/v1/admin/orders".into(), Some(json!({ "sku": sku, "quantity": 1, "reference": "x" }))),
        ("POST", format!("/v1/admin/deliveries/{delivery}/retry"), None),
        ("POST", format!("/v1/admin/deliveries/{delivery}/replay"), None),
        ("GET", format!("/v1/admin/webhooks/{hook}"), None),
        ("PATCH", format!("/v1/admin/webhooks/{hook}"), Some(json!({ "rotate_secret": true }))),
        ("DELETE", format!("/v1/admin/webhooks/{hook}"), None),
    ]
}

/// Admin calls that can only answer with A's own data: they must show none of B's.
fn own_views(sku: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/v1/admin/products".into(), None),
        ("GET", "/v1/admin/backorders".into(), None),
        ("GET", format!("/v1/admin/backorders?sku={sku}"), None),
        ("GET", "/v1/admin/insights".into(), None),
        ("GET", "/v1/admin/export/waitlist.csv".into(), None),
        ("GET", "/v1/admin/export/backorders.csv".into(), None),
        ("GET", "/v1/admin/export/supplier-digest.csv".into(), None),
        ("GET", "/v1/admin/deliveries".into(), None),
        ("GET", format!("/v1/admin/deliveries?sku={sku}"), None),
        ("GET", "/v1/admin/settings".into(), None),
        ("GET", "/v1/admin/audit".into(), None),
        ("GET", "/v1/admin/suppressions".into(), None),
        ("GET", "/v1/admin/webhooks".into(), None),
        ("PATCH", "/v1/admin/settings".into(), Some(json!({ "name": "A renamed" }))),
    ]
}

#[test]
fn a_key_of_shop_a_reaches_nothing_of_shop_b_on_any_admin_endpoint() {
    let client = Client::from_env();
    let documented = documented_admin_operations(&client);
    assert!(documented.len() >= 20, "the admin API is documented: {documented:?}");
    let a = Shop::create("ten-a");
    let b = Shop::create_with("ten-b", json!({ "name": "B's shop", "reply_to": "owner-b@example.com" }));
    // B-only SKU names, so "not found" can only mean "not yours".
    b.put_product(
        "B-SECRET",
        json!({ "name": "B only", "policy": "backorder", "price_cents": 100, "supplier": "B-Supply" }),
    );
    let po = b.admin(
        "POST",
        "/v1/admin/products/B-SECRET/purchase-orders",
        Some(&json!({ "quantity": 2, "expected_date": "2031-01-01" })),
    );
    let po_id = po.json()["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    let bo = b.backorder("B-SECRET", 1, "victim@example.com", &ip(1), None).json();
    let bo_id = bo["id"].as_str().unwrap_or_default().to_owned();
    b.signup("B-SECRET", "subscriber@example.com", &ip(2));
    let deliveries = b.admin("GET", "/v1/admin/deliveries", None).json();
    let delivery_id = deliveries["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert!(delivery_id.starts_with("dl_"), "B has a delivery to aim at: {deliveries}");
    let hook = b.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": "https://b-only-hooks.example/x" }))).json();
    let hook_id = hook["id"].as_str().unwrap_or_default().to_owned();
    assert!(hook_id.starts_with("we_"), "{hook}");
    let b_before = b.admin("GET", "/v1/admin/products/B-SECRET", None).body;
    let secrets =
        ["victim@example.com", "subscriber@example.com", "owner-b@example.com", "B only", "B-Supply", "b-only-hooks"];

    let mut exercised = BTreeSet::new();
    for (method, path, body) in calls_on_b("B-SECRET", &bo_id, &po_id, &delivery_id, &hook_id) {
        let r = a.admin(method, &path, body.as_ref());
        assert_eq!(r.status, 404, "{method} {path} with A's key: {}", r.body);
        assert!(secrets.iter().all(|s| !r.body.contains(s)), "{method} {path}: {}", r.body);
        exercised.insert((method.to_owned(), template_of(&path, &documented).unwrap_or(path)));
    }
    for (method, path, body) in own_views("B-SECRET") {
        let r = a.admin(method, &path, body.as_ref());
        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
        assert!(secrets.iter().all(|s| !r.body.contains(s)), "{method} {path} shows B's data: {}", r.body);
        exercised.insert((method.to_owned(), template_of(&path, &documented).unwrap_or(path)));
    }
    // The practices (issue 18): B's product's forecast, B's orders, signups and emails
    // through the service desk are "not found"; what A looks up, notes and edits is
    // A's own and shows nothing of B's.
    let signup_id =
        b.all_pages("/v1/admin/products/B-SECRET/waitlist")[0]["id"].as_str().unwrap_or_default().to_owned();
    assert!(signup_id.starts_with("wl_"), "B has a signup to aim at");
    let move_to = json!({ "sku": "B-SECRET" });
    for (method, path, body) in [
        ("GET", "/v1/admin/products/B-SECRET/forecast".to_owned(), None),
        ("POST", format!("/v1/admin/backorders/{bo_id}/move"), Some(move_to.clone())),
        ("POST", format!("/v1/admin/signups/{signup_id}/move"), Some(move_to)),
        ("POST", format!("/v1/admin/signups/{signup_id}/cancel"), None),
        ("POST", format!("/v1/admin/deliveries/{delivery_id}/resend"), None),
    ] {
        let r = a.admin(method, &path, body.as_ref());
        assert_eq!(r.status, 404, "{method} {path} with A's key: {}", r.body);
        assert!(secrets.iter().all(|s| !r.body.contains(s)), "{method} {path}: {}", r.body);
        exercised.insert((method.to_owned(), template_of(&path, &documented).unwrap_or(path)));
    }
    for q in ["victim@example.com", "subscriber@example.com", bo_id.as_str(), delivery_id.as_str()] {
        for section in ["backorders", "signups", "deliveries", "notes"] {
            let path = format!("/v1/admin/desk/{section}?q={q}");
            let r = a.admin("GET", &path, None);
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            assert_eq!(r.json()["items"], json!([]), "{path} shows B's data: {}", r.body);
            assert!(secrets.iter().all(|s| !r.body.contains(s)) || q.contains('@'), "{path}: {}", r.body);
            exercised.insert(("GET".to_owned(), template_of(&path, &documented).unwrap_or(path)));
        }
    }
    let note =
        a.admin("POST", "/v1/admin/desk/notes", Some(&json!({ "email": "victim@example.com", "text": "A's note" })));
    assert_eq!(note.status, 201, "{}", note.body);
    exercised.insert(("POST".into(), "/v1/admin/desk/notes".into()));
    let b_notes = b.admin("GET", "/v1/admin/desk/notes?q=victim@example.com", None).json();
    assert_eq!(b_notes["items"], json!([]), "A's note is A's: {b_notes}");
    let copy = a.admin("PUT", "/v1/admin/emails/restock/en", Some(&json!({ "subject": "A's {product}" })));
    assert_eq!(copy.status, 200, "{}", copy.body);
    exercised.insert(("PUT".into(), "/v1/admin/emails/{kind}/{lang}".into()));
    let b_copy = b.admin("GET", "/v1/admin/emails", None);
    assert!(!b_copy.body.contains("A's {product}"), "B's emails are B's");
    exercised.insert(("GET".into(), "/v1/admin/emails".into()));
    // PUT with A's key makes A's *own* product of that name; B's is untouched.
    let own = a.admin(
        "PUT",
        "/v1/admin/products/B-SECRET",
        Some(&json!({ "name": "A's own", "policy": "deny", "on_hand": 9 })),
    );
    assert_eq!(own.status, 201, "{}", own.body);
    assert_eq!(own.json()["queue"]["open"], 0, "it sees none of B's backorders");
    exercised.insert(("PUT".into(), "/v1/admin/products/{sku}".into()));
    // An endpoint added with A's key is A's; B's is untouched.
    let mine = a.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": "https://a-hooks.example/x" })));
    assert_eq!(mine.status, 201, "{}", mine.body);
    exercised.insert(("POST".into(), "/v1/admin/webhooks".into()));
    let b_hooks = b.admin("GET", "/v1/admin/webhooks", None).json();
    assert_eq!(b_hooks["items"].as_array().map(Vec::len), Some(1), "{b_hooks}");
    assert_eq!(b_hooks["items"][0]["secret_prefix"].as_str(), hook["secret"].as_str().and_then(|s| s.get(..10)));
    // Erasing an address with A's key leaves B's subscriber alone.
    let erased = a.admin("DELETE", "/v1/admin/subscribers/subscriber@example.com", None);
    assert!(erased.status < 300, "{}", erased.body);
    exercised.insert(("DELETE".into(), "/v1/admin/subscribers/{email}".into()));
    assert_eq!(b.all_pages("/v1/admin/products/B-SECRET/waitlist").len(), 1);

    // Connections, the import and customer groups (issue 17): B's connection is not
    // A's to see or change; A's own rules, key, import and connection are A's.
    let conn = b.admin(
        "POST",
        "/v1/admin/connections",
        Some(&json!({ "platform": "bigcommerce", "store": "bonlystore", "webhook_secret": "b-secret-1", "api_token": "b-token-1" })),
    );
    assert_eq!(conn.status, 201, "{}", conn.body);
    let conn_id = conn.json()["id"].as_str().unwrap_or_default().to_owned();
    for (method, path, body) in [
        ("GET", format!("/v1/admin/connections/{conn_id}"), None),
        ("PATCH", format!("/v1/admin/connections/{conn_id}"), Some(json!({ "status": "paused" }))),
        ("POST", format!("/v1/admin/connections/{conn_id}/resync"), None),
        ("GET", format!("/v1/admin/connections/{conn_id}/events"), None),
        ("DELETE", format!("/v1/admin/connections/{conn_id}"), None),
    ] {
        let r = a.admin(method, &path, body.as_ref());
        assert_eq!(r.status, 404, "{method} {path} with A's key: {}", r.body);
        exercised.insert((method.to_owned(), template_of(&path, &documented).unwrap_or(path)));
    }
    let rules = json!({ "rules": [{ "group": "*", "backorder": false, "preorder": false }] });
    for (method, path, body, status) in [
        ("GET", "/v1/admin/connections", None, 200),
        ("GET", "/v1/admin/groups", None, 200),
        ("PUT", "/v1/admin/groups", Some(rules), 200),
        ("POST", "/v1/admin/groups/key", Some(json!({})), 201),
        ("POST", "/v1/admin/import", Some(json!({ "items": [{ "sku": "A-IMPORT", "name": "A's import" }] })), 200),
        (
            "POST",
            "/v1/admin/connections",
            Some(json!({ "platform": "bigcommerce", "store": "aownstore", "webhook_secret": "a", "api_token": "a" })),
            201,
        ),
    ] {
        let r = a.admin(method, path, body.as_ref());
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        assert!(
            !r.body.contains("bonlystore") && !r.body.contains("b-secret-1"),
            "{method} {path} shows B's: {}",
            r.body
        );
        exercised.insert((method.to_owned(), path.to_owned()));
    }
    let b_conn = b.admin("GET", &format!("/v1/admin/connections/{conn_id}"), None).json();
    assert_eq!((b_conn["status"].as_str(), b_conn["store"].as_str()), (Some("active"), Some("bonlystore")), "{b_conn}");
    assert_eq!(b.admin("GET", "/v1/admin/groups", None).json()["rules"], json!([]), "A's rules are A's");
    b.admin("GET", "/v1/admin/products/A-IMPORT", None).assert_problem(404, "product_not_found");

    // Rotating A's key (last: A's old key stops working) leaves B's key alone.
    let rotated = a.admin("POST", "/v1/admin/key/rotate", Some(&json!({ "grace_hours": 0 })));
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(a.admin("GET", "/v1/admin/settings", None).status, 401, "A's old key is refused");
    exercised.insert(("POST".into(), "/v1/admin/key/rotate".into()));
    let missed: Vec<_> = documented.difference(&exercised).collect();
    assert!(missed.is_empty(), "admin operations this test does not try across tenants: {missed:?}");
    // And B's data is unchanged by all of the above.
    assert_eq!(b.admin("GET", "/v1/admin/products/B-SECRET", None).body, b_before);
    assert_eq!(b.backorders("B-SECRET")[0]["status"], "open");
    assert_eq!(b.admin("GET", "/v1/admin/settings", None).json()["name"], "B's shop");
}

#[test]
fn no_key_or_a_wrong_key_is_401_on_every_admin_endpoint() {
    let client = Client::from_env();
    let a = Shop::create("ten-401");
    let documented = documented_admin_operations(&client);
    let fake = format!("sk_{}", "A".repeat(43));
    let auths = [
        format!("Bearer {fake}"),
        "Bearer".into(),
        format!("Basic {}", a.key),
        a.key.clone(),
        format!("Bearer {}x", a.key),
    ];
    for (method, template) in &documented {
        let path = template
            .replace("{sku}", "TEE")
            .replace("{id}", "x_1")
            .replace("{email}", "a@example.com")
            .replace("{file}", "waitlist.csv")
            .replace("{kind}", "restock")
            .replace("{lang}", "en");
        let none = client.request(method, &path, &[("content-type", "application/json")], Some(b"{}"));
        none.assert_problem(401, "unauthorized");
        for auth in &auths {
            let r = client.request(
                method,
                &path,
                &[("authorization", auth.as_str()), ("content-type", "application/json")],
                Some(b"{}"),
            );
            r.assert_problem(401, "unauthorized");
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
