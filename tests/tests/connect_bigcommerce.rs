//! BigCommerce as the source of stock, catalog and orders (issue 17): Standard
//! Webhooks keyed with the app's client secret (a wrong key or an old timestamp is a
//! 401), deduplicated by `webhook-id`; light payloads whose resource is fetched from a
//! stand-in of the v3 catalog and v2 orders API (a failed fetch is a 503 the platform
//! retries, and the retry is processed); customer groups mapped; the reconciliation.

use restock_e2e::client::{Reply, Shop};
use restock_e2e::platforms::{
    BC_CLIENT_SECRET, BC_STORE, BC_TOKEN, Fault, Item, Kind, PlatformServer, bc_hook, deliver, now_secs,
};
use serde_json::{Value, json};

fn connect(shop: &Shop, api: &PlatformServer, group_map: Value) -> String {
    let body = json!({ "platform": "bigcommerce", "store": BC_STORE, "webhook_secret": BC_CLIENT_SECRET,
        "api_token": BC_TOKEN, "api_base": api.base, "group_map": group_map });
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_owned()
}

fn hook(shop: &Shop, scope: &str, data: Value, id: &str) -> Reply {
    deliver(&shop.client, "bigcommerce", &shop.id, &bc_hook(BC_CLIENT_SECRET, scope, data, id, now_secs()))
}

fn tee(level_m: i64) -> Vec<Item> {
    let mut m = Item::simple(509, "TEE-M", "Tee", level_m, "2027-01-01T00:00:00Z");
    m.product_id = 167;
    m.variant_name = Some("M".into());
    let mut l = Item::simple(510, "TEE-L", "Tee", 0, "2027-01-01T00:00:00Z");
    l.product_id = 167;
    l.variant_name = Some("L".into());
    vec![m, l]
}

fn sku_data(variant: u64) -> Value {
    json!({ "type": "sku", "id": variant, "inventory": { "product_id": 167, "method": "absolute", "value": 3, "variant_id": variant } })
}

#[test]
fn standard_webhooks_are_verified_and_light_payloads_fetched() {
    let shop = Shop::create("bcw");
    let api = PlatformServer::start(Kind::BigCommerce);
    api.set_items(tee(3));
    connect(&shop, &api, json!({}));
    let wrong = bc_hook("another-secret", "store/sku/inventory/updated", sku_data(509), "msg_1", now_secs());
    deliver(&shop.client, "bigcommerce", &shop.id, &wrong).assert_problem(401, "unauthorized");
    let stale = bc_hook(BC_CLIENT_SECRET, "store/sku/inventory/updated", sku_data(509), "msg_1", now_secs() - 600);
    deliver(&shop.client, "bigcommerce", &shop.id, &stale).assert_problem(401, "unauthorized");
    assert!(api.requests().is_empty(), "nothing fetched for a refused delivery");

    let r = hook(&shop, "store/sku/inventory/updated", sku_data(509), "msg_1");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    assert_eq!(api.requests(), ["GET /stores/abc123/v3/catalog/products/167?include=variants"]);
    let m = shop.product("TEE-M");
    assert_eq!((m["name"].as_str(), m["on_hand"].as_i64()), (Some("Tee – M"), Some(3)));
    assert_eq!(hook(&shop, "store/sku/inventory/updated", sku_data(509), "msg_1").json()["status"], "duplicate");
    assert_eq!(api.requests().len(), 1, "a replay fetches nothing");
    api.set_items(tee(8));
    assert_eq!(
        hook(
            &shop,
            "store/product/inventory/order/updated",
            json!({ "type": "product", "id": 167,
        "inventory": { "product_id": 167, "method": "absolute", "value": 8 } }),
            "msg_2"
        )
        .json()["status"],
        "applied"
    );
    assert_eq!(shop.product("TEE-M")["on_hand"], 8);
    let p = hook(&shop, "store/order/created", json!({ "type": "order" }), "msg_3").assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "data.id");
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}

#[test]
fn orders_are_fetched_grouped_and_a_failed_fetch_is_retried() {
    let shop = Shop::create("bco");
    let api = PlatformServer::start(Kind::BigCommerce);
    connect(&shop, &api, json!({ "2": "b2b" }));
    let rules = json!({ "rules": [{ "group": "*", "backorder": false, "preorder": false }, { "group": "b2b", "backorder": true, "preorder": true }] });
    assert_eq!(shop.admin("PUT", "/v1/admin/groups", Some(&rules)).status, 200);
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "LAMP", "platform": "bigcommerce", "variant_id": "601" }] })),
    );
    api.set_customer(11, json!({ "id": 11, "email": "ada@example.com", "customer_group_id": 2 }));
    let order = |status: u64| {
        json!({ "id": 250, "customer_id": 11, "date_created": "Tue, 20 Nov 2027 10:00:00 +0000",
        "status_id": status, "status": "Awaiting Fulfillment", "billing_address": { "email": "ada@example.com" } })
    };
    let lines = json!([{ "id": 1, "order_id": 250, "product_id": 600, "variant_id": 601, "sku": "LAMP", "quantity": 2, "total_inc_tax": "40.0000" }]);
    api.set_order(250, order(11), lines.clone());
    // The store's API fails: a 503 asks BigCommerce to send it again; that retry works.
    api.fail("/v2/orders/250", &[Fault::ServerError]);
    let r = hook(&shop, "store/order/created", json!({ "type": "order", "id": 250 }), "msg_o1");
    let p = r.assert_problem(503, "platform_unavailable");
    assert!(r.header("retry-after").is_some(), "{p}");
    assert!(shop.backorders("LAMP").is_empty());
    let r = hook(&shop, "store/order/created", json!({ "type": "order", "id": 250 }), "msg_o1");
    assert_eq!(r.json()["status"], "applied", "the failed delivery is processed when sent again: {}", r.body);
    let queue = shop.backorders("LAMP");
    assert_eq!(
        (queue.len(), queue[0]["email"].as_str(), queue[0]["platform_order_id"].as_str()),
        (1, Some("ada@example.com"), Some("250"))
    );
    assert!(api.requests().iter().any(|r| r == "GET /stores/abc123/v3/customers?id:in=11"), "{:?}", api.requests());
    // Cancelled in the store: the place is freed.
    api.set_order(250, order(5), lines);
    assert_eq!(
        hook(&shop, "store/order/statusUpdated", json!({ "type": "order", "id": 250 }), "msg_o2").json()["status"],
        "applied"
    );
    assert!(shop.backorders("LAMP").iter().all(|b| b["status"] != "open"));
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}

#[test]
fn reconciliation_pages_the_catalog_and_waits_for_the_rate_limit() {
    let shop = Shop::create("bcs");
    let api = PlatformServer::start(Kind::BigCommerce);
    let mut items = tee(3);
    items.extend((0..60).map(|i| {
        Item::simple(20_000 + i, &format!("BC-{i:02}"), &format!("Item {i}"), i as i64, "2027-01-01T00:00:00Z")
    }));
    api.set_items(items);
    let id = connect(&shop, &api, json!({}));
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    let s = r.json()["sync"].clone();
    assert_eq!((s["last_seen"].as_i64(), s["running"].as_bool()), (Some(62), Some(false)), "{s}");
    assert_eq!(shop.product("BC-42")["on_hand"], 42);
    let requests = api.requests();
    assert_eq!(requests.len(), 2, "62 variants in one page of 250, then their 61 products: {requests:?}");
    assert!(requests[0].starts_with("GET /stores/abc123/v3/catalog/variants?limit=250&page=1&include_fields="));
    assert!(requests[1].starts_with("GET /stores/abc123/v3/catalog/products?id:in="), "{requests:?}");
    assert!(api.violations().is_empty(), "{:?}", api.violations());
    api.fail("/v3/catalog/variants", &[Fault::RateLimited(25)]);
    let c = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None).json();
    let wait = c["sync"]["retry_at"].as_i64().unwrap_or_default() - c["updated_at"].as_i64().unwrap_or_default();
    assert!((24_000..=26_000).contains(&wait), "waits what X-Rate-Limit-Time-Reset-Ms said: {c}");
}

fn run_cron(shop: &Shop) {
    let r = shop.client.get("/__scheduled?cron=*/5+*+*+*+*");
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The catalog is paged by variant (250 a page), so a page is bounded whatever its
/// products hold: 50 products of 100 variants each were one page of 5,000 variants
/// (more D1 statements than one batch takes, every run).
#[test]
fn products_with_many_variants_are_reconciled_in_bounded_pages() {
    let shop = Shop::create("bcwide");
    let api = PlatformServer::start(Kind::BigCommerce);
    let mut items = Vec::new();
    for p in 0..50u64 {
        for v in 0..100u64 {
            let mut i = Item::simple(
                100_000 + p * 1000 + v,
                &format!("W{p:02}-{v:03}"),
                &format!("Wide {p}"),
                2,
                "2027-01-01T00:00:00Z",
            );
            i.product_id = 90_000 + p;
            i.variant_name = Some(format!("V{v}"));
            items.push(i);
        }
    }
    api.set_items(items);
    let id = connect(&shop, &api, json!({}));
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    assert_eq!(r.status, 202, "{}", r.body);
    for _ in 0..4 {
        let c = shop.admin("GET", &format!("/v1/admin/connections/{id}"), None).json();
        assert_eq!(c["last_error"], Value::Null, "{c}");
        if c["sync"]["running"] == false {
            break;
        }
        run_cron(&shop);
    }
    let c = shop.admin("GET", &format!("/v1/admin/connections/{id}"), None).json();
    assert_eq!((c["sync"]["running"].as_bool(), c["sync"]["last_seen"].as_i64()), (Some(false), Some(5000)), "{c}");
    assert_eq!(shop.product("W49-099")["name"], "Wide 49 – V99");
    let pages = api.requests().iter().filter(|r| r.contains("/v3/catalog/variants?limit=250&")).count();
    assert_eq!(pages, 20, "{:?}", api.requests());
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}

/// An order's lines are read page by page, 250 a page (v2 lists 50 by default): every
/// line of a long order is decided.
#[test]
fn every_line_of_a_long_order_is_read() {
    let shop = Shop::create("bclong");
    let api = PlatformServer::start(Kind::BigCommerce);
    connect(&shop, &api, json!({}));
    shop.put_product("PART", json!({ "name": "Part", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "PART", "platform": "bigcommerce", "variant_id": "701" }] })),
    );
    let order = json!({ "id": 260, "customer_id": 0, "date_created": "Tue, 20 Nov 2027 10:00:00 +0000",
        "status_id": 11, "status": "Awaiting Fulfillment", "billing_address": { "email": "long@example.com" } });
    let lines: Vec<Value> = (1..=60)
        .map(|i| json!({ "id": i, "order_id": 260, "product_id": 700, "variant_id": 701, "sku": "PART", "quantity": 1, "total_inc_tax": "1.0000" }))
        .collect();
    api.set_order(260, order, Value::Array(lines));
    let r = hook(&shop, "store/order/created", json!({ "type": "order", "id": 260 }), "msg_long");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    assert_eq!(shop.backorders("PART").len(), 60, "every line, not v2's first 50");
    let pages: Vec<String> = api.requests().into_iter().filter(|r| r.contains("/v2/orders/260/products")).collect();
    assert_eq!(pages, ["GET /stores/abc123/v2/orders/260/products?limit=250&page=1"], "fewer than 250: the last page");
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}
