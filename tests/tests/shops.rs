//! The operator endpoint that creates shops, and shop settings.

use restock_e2e::client::{Client, Shop, unique_id};
use restock_e2e::env;
use serde_json::json;

fn create(body: &serde_json::Value, token: Option<&str>) -> restock_e2e::client::Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    Client::from_env().send_json("POST", "/v1/shops", &headers, body)
}

#[test]
fn the_operator_creates_shops_and_sees_the_key_once() {
    let id = unique_id("op");
    let r = create(
        &json!({ "id": id, "name": "Op shop", "allowed_origins": ["https://op.example"] }),
        Some(&env::get().operator_token),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let key = v["secret_key"].as_str().unwrap_or_default();
    assert!(key.starts_with("sk_") && key.len() == 46);
    assert_eq!(v["settings"]["allowed_origins"], json!(["https://op.example"]));
    // The key works, and is never shown again.
    let shop = Shop { id: id.clone(), key: key.into(), client: Client::from_env() };
    let settings = shop.admin("GET", "/v1/admin/settings", None);
    assert_eq!(settings.status, 200);
    assert!(!settings.body.contains(key), "settings never echo the key");
    assert_eq!(settings.json()["key_prefix"], &key[..10]);
    let again = create(&json!({ "id": id, "name": "Again" }), Some(&env::get().operator_token));
    again.assert_problem(409, "shop_exists");
}

#[test]
fn only_the_operator_token_creates_shops() {
    let body = json!({ "id": unique_id("nop"), "name": "Nope" });
    create(&body, None).assert_problem(401, "unauthorized");
    create(&body, Some("op_wrong")).assert_problem(401, "unauthorized");
    create(&body, Some(&Shop::demo().key)).assert_problem(401, "unauthorized");
    let r = create(&body, None);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"restock\""));
}

#[test]
fn shop_creation_validates_before_writing_anything() {
    let op = env::get().operator_token.clone();
    create(&json!({ "id": "Bad Id", "name": "x" }), Some(&op)).assert_problem(422, "invalid_shop_id");
    create(&json!({ "name": "x" }), Some(&op)).assert_problem(422, "missing_field");
    let id = unique_id("val");
    create(&json!({ "id": id, "name": "x", "release_ratio": 50 }), Some(&op)).assert_problem(422, "out_of_range");
    create(&json!({ "id": id, "name": "x", "allowed_origins": ["not a url"] }), Some(&op))
        .assert_problem(422, "out_of_range");
    create(&json!({ "id": id, "name": "x", "key_hash": "mine" }), Some(&op)).assert_problem(400, "invalid_body");
    // Nothing was created by the failed attempts: the id is still free.
    assert_eq!(create(&json!({ "id": id, "name": "x" }), Some(&op)).status, 201);
}

#[test]
fn settings_are_patched_field_by_field_and_validated() {
    let shop = Shop::create("settings");
    let r = shop.admin(
        "PATCH",
        "/v1/admin/settings",
        Some(&json!({ "release_ratio": 1.5, "hold_hours": 24, "double_opt_in": true, "sender_name": "Acme <Shop>", "brand_color": "#AA3300" })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["release_ratio"].as_f64(), v["hold_hours"].as_i64(), v["double_opt_in"].as_bool()),
        (Some(1.5), Some(24), Some(true))
    );
    assert_eq!(v["sender_name"], "Acme <Shop>", "stored as text");
    assert_eq!(v["brand_color"], "#aa3300");
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "hold_hours": null })));
    assert!(r.json()["hold_hours"].is_null(), "null clears");
    assert_eq!(r.json()["release_ratio"], 1.5, "absent keeps");
    // Webhooks are endpoints of their own now (`webhooks.rs`).
    shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "webhook_url": "https://hooks.example/x" })))
        .assert_problem(400, "invalid_body");
    let r = shop.admin(
        "PATCH",
        "/v1/admin/settings",
        Some(&json!({ "postal_address": "1 Quay St, Dublin", "from_subscription": "news@shop.example", "reminder_days": 5 })),
    );
    assert_eq!(
        (
            r.json()["postal_address"].as_str(),
            r.json()["from_subscription"].as_str(),
            r.json()["reminder_days"].as_i64()
        ),
        (Some("1 Quay St, Dublin"), Some("news@shop.example"), Some(5)),
        "{}",
        r.body
    );
}

#[test]
fn the_seeded_demo_key_authenticates() {
    let demo = Shop::demo();
    let r = demo.admin("GET", "/v1/admin/settings", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["id"], "demo");
}

#[test]
fn consent_texts_take_only_known_languages_and_valid_texts() {
    let shop = Shop::create("consent-texts");
    let patch =
        |texts: serde_json::Value| shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "consent_texts": texts })));
    let r = patch(json!({ "de": "  Ja, bitte einmal.  ", "ar": "نعم" }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["consent_texts"], json!({ "ar": "نعم", "de": "Ja, bitte einmal." }), "trimmed");
    let p = patch(json!({ "de": "Ja", "xx": "?" })).assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "consent_texts.xx");
    let p = patch(json!({ "de-CH": "Ja" })).assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "consent_texts.de-CH", "keys are bare languages");
    let p = patch(json!({ "fr": "   " })).assert_problem(422, "missing_field");
    assert_eq!(p["field"], "consent_texts.fr");
    let p = patch(json!({ "ja": "あ".repeat(1001) })).assert_problem(422, "invalid_text");
    assert_eq!(p["field"], "consent_texts.ja");
    patch(json!({ "de": null })).assert_problem(400, "invalid_body");
    patch(json!(["de"])).assert_problem(400, "invalid_body");
    // Refused patches changed nothing; an empty map clears.
    let settings = shop.admin("GET", "/v1/admin/settings", None).json();
    assert_eq!(settings["consent_texts"], json!({ "ar": "نعم", "de": "Ja, bitte einmal." }));
    assert_eq!(patch(json!({})).json()["consent_texts"], json!({}));
    // Shop creation validates them too, before writing anything.
    let op = env::get().operator_token.clone();
    let id = unique_id("ct");
    let p = create(&json!({ "id": id, "name": "x", "consent_texts": { "pt": "Sim" } }), Some(&op))
        .assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "consent_texts.pt");
    assert_eq!(create(&json!({ "id": id, "name": "x" }), Some(&op)).status, 201, "the id is still free");
}

#[test]
fn a_rotated_key_keeps_working_for_its_grace_period_then_is_refused() {
    let shop = Shop::create("rotate");
    let old = Shop { id: shop.id.clone(), key: shop.key.clone(), client: Client::from_env() };
    let rotate = |s: &Shop, body: serde_json::Value| s.admin("POST", "/v1/admin/key/rotate", Some(&body));

    // Bad grace periods are refused, and nothing changes.
    for bad in [
        json!({ "grace_hours": -1 }),
        json!({ "grace_hours": 721 }),
        json!({ "grace_hours": "24" }),
        json!({ "grace_hours": 1.5 }),
    ] {
        let r = rotate(&old, bad.clone());
        assert_eq!(r.assert_problem(400, "invalid_grace")["field"], "grace_hours", "{bad}");
    }
    rotate(&old, json!({ "grace": 1 })).assert_problem(400, "invalid_body");
    assert_eq!(old.admin("GET", "/v1/admin/settings", None).status, 200, "still the only key");

    // Rotate with a day's grace: the new key is shown once, and both keys work.
    let r = rotate(&old, json!({ "grace_hours": 24 }));
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let new_key = body["secret_key"].as_str().unwrap_or_default().to_owned();
    assert!(new_key.starts_with("sk_") && new_key != old.key, "{body}");
    assert_eq!(body["grace_hours"], 24);
    let new = Shop { id: shop.id.clone(), key: new_key.clone(), client: Client::from_env() };
    assert_eq!(new.admin("GET", "/v1/admin/settings", None).status, 200, "the new key");
    let settings = old.admin("GET", "/v1/admin/settings", None);
    assert_eq!(settings.status, 200, "the old key, in its grace period");
    assert!(!settings.body.contains(&new_key), "the new key is never shown again");
    assert_eq!(settings.json()["key_prefix"], &new_key[..10]);
    // A replaced key may not start a chain of rotations.
    old.admin("POST", "/v1/admin/key/rotate", Some(&json!({}))).assert_problem(403, "key_replaced");

    // Rotate again with no grace: the key it replaced stops at once; so does the first.
    let r = rotate(&new, json!({ "grace_hours": 0 }));
    assert_eq!(r.status, 200, "{}", r.body);
    let newest = Shop {
        id: shop.id.clone(),
        key: r.json()["secret_key"].as_str().unwrap_or_default().to_owned(),
        client: Client::from_env(),
    };
    assert_eq!(new.admin("GET", "/v1/admin/settings", None).status, 401, "no grace: refused now");
    assert_eq!(old.admin("GET", "/v1/admin/settings", None).status, 401, "two rotations ago: refused");
    assert_eq!(newest.admin("GET", "/v1/admin/settings", None).status, 200);
}

#[test]
fn every_merchant_change_is_in_the_audit_log_and_nothing_else() {
    let shop = Shop::create("audit");
    let other = Shop::create("audit-other");
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny" }));
    shop.signup("TEE", "ada@example.com", &restock_e2e::client::ip(1));
    let preview = shop.admin("POST", "/v1/admin/products/TEE/receive?preview=1", Some(&json!({ "quantity": 2 })));
    assert_eq!(preview.status, 200);
    shop.receive("TEE", 2);
    shop.admin("POST", "/v1/admin/products/TEE/receive", Some(&json!({ "quantity": 0 })))
        .assert_problem(422, "out_of_range");
    assert!(shop.admin("DELETE", "/v1/admin/subscribers/ada%40example.com", None).status < 300);
    shop.admin("GET", "/v1/admin/products/TEE", None);
    let log = shop.admin("GET", "/v1/admin/audit", None).json();
    let entries: Vec<(String, String)> = log["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (e["method"].as_str().unwrap_or_default().to_owned(), e["path"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("DELETE", "/v1/admin/subscribers/{email}"),
        ("POST", "/v1/admin/products/TEE/receive"),
        ("PUT", "/v1/admin/products/TEE"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    assert_eq!(entries, expected, "changes only, newest first: no preview, no refusal, no read: {log}");
    let key_prefix = shop.admin("GET", "/v1/admin/settings", None).json()["key_prefix"].clone();
    assert!(log["items"].as_array().into_iter().flatten().all(|e| e["actor"] == key_prefix), "{log}");
    assert!(!log.to_string().contains("ada@example.com") && !log.to_string().contains(&shop.key), "{log}");
    let theirs = other.admin("GET", "/v1/admin/audit", None).json();
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0), "another shop sees none of it: {theirs}");
}

#[test]
fn the_audit_log_says_what_each_change_changed_before_and_after() {
    let shop = Shop::create("audit-detail");
    shop.put_product("CAP", json!({ "name": "Cap", "policy": "backorder", "cap": 5, "on_hand": 0 }));
    let r = shop.admin(
        "PUT",
        "/v1/admin/products/CAP",
        Some(&json!({ "name": "Cap", "policy": "backorder", "cap": 8, "on_hand": 3 })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "handling_days": 2 })));
    assert_eq!(r.status, 200, "{}", r.body);
    let log = shop.admin("GET", "/v1/admin/audit", None).json();
    let items = log["items"].as_array().cloned().unwrap_or_default();
    let [settings, edit, create] = items.as_slice() else { panic!("three changes: {log}") };
    assert_eq!(settings["detail"]["settings"], json!({ "handling_days": { "before": 0, "after": 2 } }), "{log}");
    assert_eq!(edit["detail"]["product"], json!({ "cap": { "before": 5, "after": 8 } }), "only what changed: {log}");
    assert_eq!(edit["detail"]["stock"]["on_hand"], json!({ "before": 0, "after": 3 }), "{log}");
    assert!(edit["detail"]["stock"]["says"].as_array().is_some_and(|s| !s.is_empty()), "the plan's words: {log}");
    assert_eq!(create["detail"]["product"]["name"], json!({ "before": null, "after": "Cap" }), "{log}");
}
