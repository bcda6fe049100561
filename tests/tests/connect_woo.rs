//! WooCommerce as the source of stock, catalog and orders (issue 17): its unsigned
//! ping answered, `X-WC-Webhook-Signature` checked (401 otherwise), deliveries
//! deduplicated by `X-WC-Webhook-Delivery-ID`, products and variations read with their
//! stock and backorder settings, orders queued or freed by their status, customer roles
//! mapped to groups, and the reconciliation against a stand-in of the REST API v3
//! (products, then each variable product's variations) that fails on command.

use std::path::Path;

use restock_e2e::client::{Reply, Shop, ip};
use restock_e2e::platforms::{
    Fault, Item, Kind, PlatformServer, WOO_KEY, WOO_SECRET, WOO_WEBHOOK_SECRET, deliver, woo_hook, woo_order, woo_ping,
    woo_product,
};
use restock_e2e::server::query_sql;
use serde_json::{Value, json};

fn connect(shop: &Shop, api: &PlatformServer, group_map: Value) -> String {
    let body = json!({ "platform": "woocommerce", "store": api.base, "webhook_secret": WOO_WEBHOOK_SECRET,
        "api_key": WOO_KEY, "api_token": WOO_SECRET, "group_map": group_map });
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(!r.body.contains(WOO_SECRET) && !r.body.contains(WOO_KEY), "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_owned()
}

fn hook(shop: &Shop, topic: &str, body: &Value, delivery: &str) -> Reply {
    deliver(&shop.client, "woocommerce", &shop.id, &woo_hook(WOO_WEBHOOK_SECRET, topic, body, delivery))
}

#[test]
fn the_ping_is_answered_and_deliveries_are_verified() {
    let shop = Shop::create("woo");
    // WooCommerce pings when the webhook is saved, possibly before the connection.
    let r = deliver(&shop.client, "woocommerce", &shop.id, &woo_ping(12));
    assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("ping")), "{}", r.body);
    deliver(&shop.client, "woocommerce", "no-such-shop", &woo_ping(12)).assert_problem(404, "shop_not_found");
    let api = PlatformServer::start(Kind::WooCommerce);
    connect(&shop, &api, json!({}));
    let mut mug = Item::simple(799, "MUG-STONE", "Stoneware mug", -2, "2027-01-05T10:00:00Z");
    mug.price = "12.50".into();
    let body = woo_product(&mug);
    let forged = woo_hook("not-the-secret", "product.updated", &body, "d-1");
    deliver(&shop.client, "woocommerce", &shop.id, &forged).assert_problem(401, "unauthorized");
    // Unsigned JSON is not a ping.
    let unsigned = (
        vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("X-WC-Webhook-Topic".to_owned(), "product.updated".to_owned()),
        ],
        body.to_string().into_bytes(),
    );
    deliver(&shop.client, "woocommerce", &shop.id, &unsigned).assert_problem(401, "unauthorized");
    shop.admin("GET", "/v1/admin/products/MUG-STONE", None).assert_problem(404, "product_not_found");

    let r = hook(&shop, "product.updated", &body, "d-1");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    let p = shop.product("MUG-STONE");
    assert_eq!(
        (p["policy"].as_str(), p["on_hand"].as_i64(), p["price_cents"].as_i64()),
        (Some("backorder"), Some(0), Some(1250))
    );
    assert_eq!(hook(&shop, "product.updated", &body, "d-1").json()["status"], "duplicate");
    // Stock arrives: -2 becomes 6.
    mug.levels = vec![(1, 6, "2027-01-06T10:00:00Z".into())];
    assert_eq!(hook(&shop, "product.updated", &woo_product(&mug), "d-2").json()["status"], "applied");
    assert_eq!(shop.product("MUG-STONE")["on_hand"], 6);
    let mut broken = woo_product(&mug);
    broken["stock_quantity"] = json!("many");
    let p = hook(&shop, "product.updated", &broken, "d-3").assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "stock_quantity");
    // A variable parent sells nothing itself: its variations are the variants.
    let parent = json!({ "id": 732, "name": "Tee", "type": "variable", "manage_stock": false, "variations": [733] });
    assert_eq!(hook(&shop, "product.updated", &parent, "d-4").json()["status"], "ignored");
}

#[test]
fn orders_queue_and_free_by_their_status() {
    let shop = Shop::create("wooo");
    let api = PlatformServer::start(Kind::WooCommerce);
    connect(&shop, &api, json!({}));
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "LAMP", "platform": "woocommerce", "variant_id": "801" }] })),
    );
    let line = [(315, 801, "LAMP", 2, true)];
    let pending = woo_order(727, "pending", "2027-01-05T10:00:00", "john.doe@example.com", 26, &line);
    assert_eq!(
        hook(&shop, "order.created", &pending, "o-1").json()["status"],
        "ignored",
        "not paid: takes nothing yet"
    );
    assert!(shop.backorders("LAMP").is_empty());
    let paid = woo_order(727, "processing", "2027-01-05T10:00:00", "john.doe@example.com", 26, &line);
    assert_eq!(hook(&shop, "order.updated", &paid, "o-2").json()["status"], "applied");
    let queue = shop.backorders("LAMP");
    assert_eq!(
        (queue.len(), queue[0]["quantity"].as_i64(), queue[0]["source"].as_str()),
        (1, Some(2), Some("woocommerce"))
    );
    let cancelled = woo_order(727, "cancelled", "2027-01-05T10:00:00", "john.doe@example.com", 26, &line);
    assert_eq!(hook(&shop, "order.updated", &cancelled, "o-3").json()["status"], "applied");
    let all = shop.all_pages("/v1/admin/backorders?sku=LAMP");
    assert_eq!(all[0]["status"], "cancelled", "{all:?}");
}

#[test]
fn customer_roles_map_to_groups_whose_rules_apply_to_platform_orders() {
    let shop = Shop::create("woog");
    let api = PlatformServer::start(Kind::WooCommerce);
    api.set_customer(26, json!({ "id": 26, "email": "buyer@wholesale.example", "role": "wholesale_customer" }));
    api.set_customer(27, json!({ "id": 27, "email": "jo@example.com", "role": "customer" }));
    connect(&shop, &api, json!({ "wholesale_customer": "b2b" }));
    let rules = json!({ "rules": [{ "group": "*", "backorder": false, "preorder": false }, { "group": "b2b", "backorder": true, "preorder": true }] });
    assert_eq!(shop.admin("PUT", "/v1/admin/groups", Some(&rules)).status, 200);
    shop.put_product("CRATE", json!({ "name": "Crate", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "CRATE", "platform": "woocommerce", "variant_id": "901" }] })),
    );
    let wholesale = woo_order(
        801,
        "processing",
        "2027-01-05T10:00:00",
        "buyer@wholesale.example",
        26,
        &[(1, 901, "CRATE", 5, false)],
    );
    assert_eq!(hook(&shop, "order.created", &wholesale, "g-1").json()["status"], "applied");
    let retail =
        woo_order(802, "processing", "2027-01-05T11:00:00", "jo@example.com", 27, &[(2, 901, "CRATE", 1, false)]);
    let r = hook(&shop, "order.created", &retail, "g-2").json();
    assert_eq!(r["status"], "failed", "{r}");
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("customers without a group")), "{r}");
    let queue = shop.backorders("CRATE");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["email"], "buyer@wholesale.example");
    assert!(api.requests().iter().any(|r| r == "GET /wp-json/wc/v3/customers/26"), "{:?}", api.requests());
}

#[test]
fn reconciliation_reads_products_then_variations_and_waits_when_asked() {
    let shop = Shop::create("woos");
    let api = PlatformServer::start(Kind::WooCommerce);
    let mug = Item::simple(799, "MUG", "Mug", 4, "2027-01-05T10:00:00Z");
    let mut m = Item::simple(733, "TEE-M", "Tee", 2, "2027-01-05T10:00:00Z");
    m.product_id = 732;
    m.variant_name = Some("M".into());
    m.backorders = false;
    let mut l = Item::simple(734, "TEE-L", "Tee", 0, "2027-01-05T10:00:00Z");
    l.product_id = 732;
    l.variant_name = Some("L".into());
    api.set_items(vec![mug, m, l]);
    let id = connect(&shop, &api, json!({}));
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    assert_eq!(r.status, 202, "{}", r.body);
    let s = r.json()["sync"].clone();
    assert_eq!((s["last_seen"].as_i64(), s["running"].as_bool()), (Some(3), Some(false)), "{s}");
    assert_eq!(shop.product("MUG")["on_hand"], 4);
    let tee_m = shop.product("TEE-M");
    assert_eq!(
        (tee_m["name"].as_str(), tee_m["on_hand"].as_i64(), tee_m["policy"].as_str()),
        (Some("Tee – M"), Some(2), Some("deny"))
    );
    assert_eq!(shop.product("TEE-L")["policy"], "backorder");
    assert_eq!(
        api.requests(),
        [
            "GET /wp-json/wc/v3/products?per_page=100&page=1&orderby=id&order=asc\
             &_fields=id,name,type,parent_id,sku,price,manage_stock,stock_quantity,backorders,date_modified_gmt",
            "GET /wp-json/wc/v3/products/732/variations?per_page=100&page=1\
             &_fields=id,sku,price,manage_stock,stock_quantity,backorders,date_modified_gmt,attributes"
        ]
    );
    assert!(api.violations().is_empty(), "{:?}", api.violations());
    // The variant mount works from the reconciliation's mapping too.
    let b = shop.client.get(&format!("/v1/shops/{}/availability?variants=733&platform=woocommerce", shop.id)).json();
    assert_eq!(b["variants"], json!({ "733": "TEE-M" }));
    api.fail("/wp-json/wc/v3/products", &[Fault::RateLimited(40)]);
    let c = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None).json();
    assert!(c["sync"]["retry_at"].as_i64().unwrap_or_default() > 0, "{c}");
    assert!(c["last_error"].as_str().is_some_and(|e| e.contains("429")), "{c}");
}

/// A shopper's `Idempotency-Key` and a platform line's key are separate namespaces: a
/// shopper who sends the key a WooCommerce line will have (`woocommerce:{order}:{line}`)
/// gets their own backorder (replayed byte for byte), and the real line is queued too.
#[test]
fn a_shoppers_idempotency_key_never_takes_a_platform_lines_place() {
    let shop = Shop::create("wookey");
    let api = PlatformServer::start(Kind::WooCommerce);
    connect(&shop, &api, json!({}));
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "backorder", "cap": 10 }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "LAMP", "platform": "woocommerce", "variant_id": "801" }] })),
    );
    let first = shop.backorder("LAMP", 1, "mallory@example.com", &ip(7), Some("woocommerce:1001:57"));
    assert_eq!(first.status, 201, "{}", first.body);
    let replay = shop.backorder("LAMP", 1, "mallory@example.com", &ip(7), Some("woocommerce:1001:57"));
    assert_eq!((replay.status, replay.body.as_str()), (201, first.body.as_str()), "a replay is byte for byte");
    let order =
        woo_order(1001, "processing", "2027-01-05T10:00:00", "real@example.com", 0, &[(57, 801, "LAMP", 2, true)]);
    let r = hook(&shop, "order.created", &order, "k-1").json();
    assert_eq!(r["status"], "applied", "{r}");
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("1 backorder line(s) queued")), "{r}");
    let queue = shop.backorders("LAMP");
    let emails: Vec<&str> = queue.iter().filter_map(|q| q["email"].as_str()).collect();
    assert_eq!(emails, ["mallory@example.com", "real@example.com"]);
    assert_eq!(shop.availability("LAMP").json()["left"], 7);
    // The other way round: a line queued first, then a shopper sends its key. They get
    // a backorder of their own, not a replay of the platform's (whose address and id
    // they must never see).
    let order =
        woo_order(1002, "processing", "2027-01-05T11:00:00", "other@example.com", 0, &[(58, 801, "LAMP", 1, true)]);
    assert_eq!(hook(&shop, "order.created", &order, "k-2").json()["status"], "applied");
    let line_id = shop.backorders("LAMP").iter().find(|q| q["email"] == "other@example.com").map(|q| q["id"].clone());
    let r = shop.backorder("LAMP", 1, "eve@example.com", &ip(8), Some("woocommerce:1002:58"));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(!r.body.contains("other@example.com"), "{}", r.body);
    assert_ne!(Some(r.json()["id"].clone()), line_id, "{}", r.body);
    let emails: Vec<String> =
        shop.backorders("LAMP").iter().filter_map(|q| q["email"].as_str().map(str::to_owned)).collect();
    assert_eq!(emails, ["mallory@example.com", "real@example.com", "other@example.com", "eve@example.com"]);
}

/// A delivery another attempt is still processing is answered 409 with `Retry-After`
/// (not 200: the platform would stop sending it, and an attempt that died mid-way
/// would lose it); once that attempt is stale, the delivery is processed.
#[test]
fn a_delivery_still_being_processed_is_answered_409_and_processed_once_stale() {
    let shop = Shop::create("wooproc");
    let api = PlatformServer::start(Kind::WooCommerce);
    connect(&shop, &api, json!({}));
    let persist = restock_e2e::env::get().persist.clone();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    // An attempt claimed this delivery a moment ago (and died, or is still running).
    query_sql(
        Path::new(&persist),
        &format!(
            "INSERT INTO hook_events (shop_id, platform, event_id, topic, status, received_at, updated_at) \
             VALUES ('{0}', 'woocommerce', 'd-stuck', 'product.updated', 'processing', {now_ms}, {now_ms})",
            shop.id
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mug = Item::simple(799, "MUG-PROC", "Mug", 4, "2027-01-05T10:00:00Z");
    let r = hook(&shop, "product.updated", &woo_product(&mug), "d-stuck");
    r.assert_problem(409, "delivery_in_progress");
    let after: i64 = r.header("retry-after").and_then(|v| v.parse().ok()).unwrap_or_default();
    assert!((1..=60).contains(&after), "Retry-After {after}");
    shop.admin("GET", "/v1/admin/products/MUG-PROC", None).assert_problem(404, "product_not_found");
    // A minute on, the attempt is stale: the retry processes the delivery.
    query_sql(
        Path::new(&persist),
        &format!("UPDATE hook_events SET updated_at = updated_at - 120000 WHERE shop_id = '{}'", shop.id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = hook(&shop, "product.updated", &woo_product(&mug), "d-stuck");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    assert_eq!(shop.product("MUG-PROC")["on_hand"], 4);
    assert_eq!(hook(&shop, "product.updated", &woo_product(&mug), "d-stuck").json()["status"], "duplicate");
}

/// A customer the store no longer has (404) has no group: the `*` rules decide, and
/// the order is queued. Only a temporary failure of the lookup is a 503 the store
/// retries.
#[test]
fn a_deleted_customer_has_no_group_and_only_a_temporary_failure_is_retried() {
    let shop = Shop::create("woo404");
    let api = PlatformServer::start(Kind::WooCommerce);
    connect(&shop, &api, json!({ "wholesale_customer": "b2b" }));
    shop.put_product("CRATE", json!({ "name": "Crate", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "CRATE", "platform": "woocommerce", "variant_id": "901" }] })),
    );
    // Customer 44 was deleted since the order.
    let gone =
        woo_order(811, "processing", "2027-01-05T10:00:00", "gone@example.com", 44, &[(1, 901, "CRATE", 1, false)]);
    let r = hook(&shop, "order.created", &gone, "c-1");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    assert_eq!(shop.backorders("CRATE").len(), 1);
    assert!(api.requests().iter().any(|r| r == "GET /wp-json/wc/v3/customers/44"), "{:?}", api.requests());
    // The store's API fails for a moment: 503, sent again, applied.
    api.set_customer(45, json!({ "id": 45, "email": "b@wholesale.example", "role": "wholesale_customer" }));
    api.fail("/wp-json/wc/v3/customers/45", &[Fault::ServerError]);
    let later =
        woo_order(812, "processing", "2027-01-05T11:00:00", "b@wholesale.example", 45, &[(2, 901, "CRATE", 1, false)]);
    let r = hook(&shop, "order.created", &later, "c-2");
    r.assert_problem(503, "platform_unavailable");
    assert!(r.header("retry-after").is_some());
    let r = hook(&shop, "order.created", &later, "c-2");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    assert_eq!(shop.backorders("CRATE").len(), 2);
}

/// A page of 100 products with their full descriptions would be megabytes: the
/// reconciliation asks only for the fields it reads (`_fields`).
#[test]
fn reconciliation_pages_stay_small_whatever_the_products_carry() {
    let shop = Shop::create("woobig");
    let api = PlatformServer::start(Kind::WooCommerce);
    let items: Vec<Item> = (0..100)
        .map(|i| {
            let mut item =
                Item::simple(5_000 + i, &format!("BIG-{i:03}"), &format!("Big {i}"), 3, "2027-01-05T10:00:00Z");
            item.description = format!("<p>{}</p>", "A long story about this product. ".repeat(1_500));
            item
        })
        .collect();
    api.set_items(items);
    let id = connect(&shop, &api, json!({}));
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    assert_eq!(r.status, 202, "{}", r.body);
    let c = r.json();
    assert_eq!(c["last_error"], Value::Null, "{c}");
    assert_eq!((c["sync"]["last_seen"].as_i64(), c["sync"]["running"].as_bool()), (Some(100), Some(false)), "{c}");
    assert_eq!(shop.product("BIG-099")["on_hand"], 3);
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}

/// Each line of a platform order is decided once, by the first delivery that sees it:
/// the same order updated again and again (WooCommerce sends `order.updated` on every
/// status or note change) neither turns a line sold from stock into a backorder once
/// stock is gone, nor queues a backorder line's units twice.
#[test]
fn an_order_updated_again_and_again_decides_each_line_once() {
    let shop = Shop::create("wooonce");
    let api = PlatformServer::start(Kind::WooCommerce);
    connect(&shop, &api, json!({}));
    let cup = Item::simple(951, "CUP-ONCE", "Cup", 2, "2027-01-05T09:00:00Z");
    assert_eq!(hook(&shop, "product.created", &woo_product(&cup), "u-p").json()["status"], "applied");
    assert_eq!(shop.product("CUP-ONCE")["on_hand"], 2);
    // A buys the two in stock (a sale); B orders two more on backorder.
    let a = woo_order(961, "processing", "2027-01-05T10:00:00", "a@example.com", 0, &[(1, 951, "CUP-ONCE", 2, false)]);
    let r = hook(&shop, "order.created", &a, "u-a").json();
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("0 backorder line(s) queued, 1 sale line(s)")), "{r}");
    let mut empty = cup.clone();
    empty.levels[0] = (1, 0, "2027-01-05T10:00:01Z".into());
    assert_eq!(hook(&shop, "product.updated", &woo_product(&empty), "u-p0").json()["status"], "applied");
    let b = woo_order(962, "processing", "2027-01-05T11:00:00", "b@example.com", 0, &[(2, 951, "CUP-ONCE", 2, true)]);
    let r = hook(&shop, "order.created", &b, "u-b").json();
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("1 backorder line(s) queued")), "{r}");
    let owed = |why: &str| {
        let queue = shop.backorders("CUP-ONCE");
        let units: Vec<(Option<&str>, Option<i64>)> =
            queue.iter().map(|q| (q["email"].as_str(), q["quantity"].as_i64())).collect();
        assert_eq!(units, [(Some("b@example.com"), Some(2))], "{why}: {queue:?}");
    };
    owed("after the orders came");
    // Each order is updated three times (a note, completed, a refund note...).
    for round in 0..3 {
        for (order, status) in [(&a, "completed"), (&b, "processing")] {
            let mut u = order.clone();
            u["status"] = json!(status);
            let r = hook(&shop, "order.updated", &u, &format!("u-{}-{round}", order["id"])).json();
            assert_eq!(r["status"], "applied", "{r}");
            assert!(r["detail"].as_str().is_some_and(|d| d.contains("0 backorder line(s) queued")), "{r}");
        }
        owed(&format!("after update round {round}"));
    }
    let sales = query_sql(
        Path::new(&restock_e2e::env::get().persist),
        &format!("SELECT reference, quantity FROM orders WHERE shop_id = '{}' AND sku = 'CUP-ONCE'", shop.id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sales[0]["results"],
        json!([{ "reference": "woocommerce:961:1", "quantity": 2 }]),
        "A's line is one sale"
    );
}
