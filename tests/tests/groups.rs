//! Customer groups (B2B/B2C), issue 17: rules per group and per product or shop, and
//! the group token the shop's server signs (HMAC-SHA256 of `{shop}.{group}.{expires}`
//! under the shop's group key) that the widget passes as `group=` on availability
//! reads and backorder POSTs. The Worker checks the token's expiry and signature
//! (shop-scoped, previous key during a rotation's grace) and applies the rules to what
//! the shopper sees and may order; a bad token is a 400 naming `group`.

use hmac::{KeyInit, Mac};
use restock_e2e::client::{Shop, ip};
use serde_json::{Value, json};
use sha2::Sha256;

fn token(key: &str, shop: &str, group: &str, expires: i64) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(format!("{shop}.{group}.{expires}").as_bytes());
    let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("{group}.{expires}.{sig}")
}

fn now() -> i64 {
    restock_e2e::platforms::now_secs()
}

fn key(shop: &Shop, grace: i64) -> String {
    let r = shop.admin("POST", "/v1/admin/groups/key", Some(&json!({ "grace_hours": grace })));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["key"].as_str().unwrap_or_default().to_owned()
}

fn read(shop: &Shop, sku: &str, group: Option<&str>, fresh: bool) -> restock_e2e::client::Reply {
    let mut path = format!("/v1/shops/{}/products/{sku}/availability?", shop.id);
    if fresh {
        path.push_str("fresh=1&");
    }
    if let Some(g) = group {
        path.push_str(&format!("group={g}"));
    }
    shop.client.get(&path)
}

fn order(shop: &Shop, sku: &str, qty: i64, email: &str, group: Option<&str>) -> restock_e2e::client::Reply {
    let path = match group {
        Some(g) => format!("/v1/shops/{}/backorders?group={g}", shop.id),
        None => format!("/v1/shops/{}/backorders", shop.id),
    };
    let body = json!({ "sku": sku, "quantity": qty, "email": email });
    shop.client.send_json("POST", &path, &[("cf-connecting-ip", &ip(qty as usize))], &body)
}

#[test]
fn rules_and_signed_tokens_decide_who_may_backorder() {
    let shop = Shop::create("grp");
    shop.put_product("CRATE", json!({ "name": "Crate", "policy": "backorder" }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "backorder" }));
    let rules = json!({ "rules": [
        { "group": "*", "backorder": false, "preorder": true },
        { "group": "b2b", "backorder": true, "preorder": true, "max_quantity": 50 },
        { "group": "*", "sku": "MUG", "backorder": true, "preorder": true, "max_quantity": 2 }
    ] });
    let r = shop.admin("PUT", "/v1/admin/groups", Some(&rules));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rules"].as_array().map(Vec::len), Some(3));

    // No key yet: no token verifies.
    let early = token("gk_none", &shop.id, "b2b", now() + 3600);
    assert_eq!(read(&shop, "CRATE", Some(&early), true).assert_problem(400, "group_token_signature")["field"], "group");

    let k = key(&shop, 24);
    assert!(k.starts_with("gk_") && k.len() == 46, "{k}");
    let shown = shop.admin("GET", "/v1/admin/groups", None).json();
    assert!(!shown.to_string().contains(&k), "the key is shown once: {shown}");
    assert_eq!(shown["key"]["prefix"], format!("{}…", &k[..4]));
    let b2b = token(&k, &shop.id, "b2b", now() + 3600);

    // Anonymous shoppers (`*`) may not backorder the crate; wholesale customers may.
    let anon = read(&shop, "CRATE", None, true).json();
    assert_eq!(
        (anon["status"].as_str(), anon["max_quantity"].as_u64(), anon["waitlist"].as_bool()),
        (Some("out_of_stock"), Some(0), Some(true)),
        "{anon}"
    );
    let pro = read(&shop, "CRATE", Some(&b2b), true).json();
    assert_eq!((pro["status"].as_str(), pro["max_quantity"].as_u64()), (Some("backorder"), Some(50)), "{pro}");
    // A product rule for everyone: the mug, two at a time.
    assert_eq!(read(&shop, "MUG", None, true).json()["max_quantity"], 2);
    // From the KV snapshots too: the cached answer is the shop's, and the group applies
    // on top. (Cached reads follow a change of the rules within seconds, like any
    // setting; orders are always checked against the stored rules.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let r = read(&shop, "CRATE", None, false);
        if r.header("x-restock-source") == Some("kv") && r.json()["status"] == "out_of_stock" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the cached read never followed the rules: {}", r.body);
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let cached = read(&shop, "CRATE", Some(&b2b), false);
    assert_eq!(
        (cached.header("x-restock-source"), cached.json()["status"].as_str()),
        (Some("kv"), Some("backorder")),
        "{}",
        cached.body
    );
    let batch = shop.client.get(&format!("/v1/shops/{}/availability?skus=CRATE,MUG&group={b2b}", shop.id)).json();
    let statuses: Vec<&str> =
        batch["items"].as_array().into_iter().flatten().filter_map(|i| i["status"].as_str()).collect();
    assert_eq!(statuses, ["backorder", "backorder"], "{batch}");

    // Orders follow the same rules.
    order(&shop, "CRATE", 1, "ann@example.com", None).assert_problem(403, "group_not_allowed");
    assert_eq!(order(&shop, "CRATE", 40, "buyer@wholesale.example", Some(&b2b)).status, 201);
    let p = order(&shop, "CRATE", 60, "buyer@wholesale.example", Some(&b2b)).assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "quantity");
    assert_eq!(order(&shop, "MUG", 2, "ann@example.com", None).status, 201);
    order(&shop, "MUG", 3, "ann@example.com", None).assert_problem(422, "out_of_range");

    // Bad tokens are refused, naming `group`.
    let bad = |t: &str, code: &str| {
        let p = read(&shop, "CRATE", Some(t), true).assert_problem(400, code);
        assert_eq!(p["field"], "group", "{p}");
        let p = order(&shop, "CRATE", 1, "x@example.com", Some(t)).assert_problem(400, code);
        assert_eq!(p["field"], "group", "{p}");
    };
    bad(&token(&k, &shop.id, "b2b", now() - 10), "group_token_expired");
    bad(&token(&k, &shop.id, "b2b", now() + 40 * 86_400), "group_token_too_long");
    bad(&b2b.replacen("b2b", "vip", 1), "group_token_signature");
    bad(&token(&k, "another-shop", "b2b", now() + 3600), "group_token_signature");
    bad("b2b.tomorrow.deadbeef", "invalid_group_token");
    let other = Shop::create("grp2");
    let other_key = key(&other, 0);
    bad(&token(&other_key, &shop.id, "b2b", now() + 3600), "group_token_signature");

    // A rotation: the old key still verifies during its grace, then not.
    let k2 = key(&shop, 1);
    assert_eq!(read(&shop, "CRATE", Some(&b2b), true).status, 200, "the previous key, in its grace");
    assert_eq!(read(&shop, "CRATE", Some(&token(&k2, &shop.id, "b2b", now() + 60)), true).status, 200);
    key(&shop, 0);
    bad(&b2b, "group_token_signature");
}

#[test]
fn rules_are_refused_field_by_field_and_replaced_whole() {
    let shop = Shop::create("grpr");
    let put = |body: Value| shop.admin("PUT", "/v1/admin/groups", Some(&body));
    let p = put(json!({ "rules": [{ "group": "B2B", "backorder": true, "preorder": true }] }))
        .assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "rules[0].group");
    let p = put(json!({ "rules": [{ "group": "b2b", "sku": "a b", "backorder": true, "preorder": true }] }))
        .assert_problem(422, "invalid_sku");
    assert_eq!(p["field"], "rules[0].sku");
    let p = put(json!({ "rules": [{ "group": "b2b", "backorder": true }] })).assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "rules[0].preorder");
    let p = put(json!({ "rules": [{ "group": "b2b", "backorder": true, "preorder": true, "max_quantity": null }] }))
        .assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "rules[0].max_quantity");
    let dup = json!({ "rules": [{ "group": "b2b", "backorder": true, "preorder": true }, { "group": "b2b", "backorder": false, "preorder": true }] });
    assert_eq!(put(dup).assert_problem(422, "out_of_range")["field"], "rules[1].group");
    assert_eq!(shop.admin("GET", "/v1/admin/groups", None).json()["rules"], json!([]), "nothing stored");
    let p = shop
        .admin("POST", "/v1/admin/groups/key", Some(&json!({ "grace_hours": 721 })))
        .assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "grace_hours");
    assert_eq!(put(json!({ "rules": [{ "group": "*", "backorder": false, "preorder": false }] })).status, 200);
    assert_eq!(put(json!({ "rules": [] })).status, 200);
    assert_eq!(shop.admin("GET", "/v1/admin/groups", None).json()["rules"], json!([]));
}
