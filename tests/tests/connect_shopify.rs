//! Shopify as the source of stock, catalog and orders (issue 17), against the built
//! Worker: webhooks signed as Shopify signs them (and refused when not), deduplicated
//! by webhook id, read as Shopify sends them; platform orders queued first come, first
//! served and freed when cancelled; inventory counts planned as stock (allocating to
//! the queue); the compliance webhooks; the reconciliation against a stand-in of the
//! GraphQL Admin API that fails on command, bounded per run on a 50,000-variant
//! catalog and resuming where it stopped.

use std::path::Path;

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::mailbox;
use restock_e2e::platforms::{
    Delivery, Fault, Item, Kind, PlatformServer, SHOPIFY_SECRET, SHOPIFY_TOKEN, deliver, shopify_hook, shopify_level,
    shopify_order, shopify_product,
};
use restock_e2e::server::{query_sql, start_own};
use serde_json::{Value, json};

fn connect(shop: &Shop, api: &PlatformServer) -> Value {
    let body = json!({ "platform": "shopify", "store": "acme.myshopify.com", "webhook_secret": SHOPIFY_SECRET,
        "api_token": SHOPIFY_TOKEN, "api_base": api.base, "group_map": { "wholesale": "b2b" } });
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

fn hook(shop: &Shop, topic: &str, body: &Value, id: &str) -> restock_e2e::client::Reply {
    deliver(&shop.client, "shopify", &shop.id, &shopify_hook(SHOPIFY_SECRET, topic, body, id, false))
}

#[test]
fn connections_keep_their_secrets_and_refuse_bad_input() {
    let shop = Shop::create("shc");
    let api = PlatformServer::start(Kind::Shopify);
    let c = connect(&shop, &api);
    let text = c.to_string();
    assert!(!text.contains(SHOPIFY_SECRET) && !text.contains(SHOPIFY_TOKEN), "no secret is returned: {text}");
    assert_eq!((c["webhook_secret_prefix"].as_str(), c["api_token_prefix"].as_str()), (Some("shps…"), Some("shpa…")));
    assert!(c["hook_url"].as_str().is_some_and(|u| u.ends_with(&format!("/v1/hooks/shopify/{}", shop.id))), "{c}");
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    let listed = shop.admin("GET", "/v1/admin/connections", None).json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert!(!listed.to_string().contains(SHOPIFY_TOKEN));
    // One connection per platform.
    let again =
        json!({ "platform": "shopify", "store": "acme.myshopify.com", "webhook_secret": "x", "api_token": "y" });
    shop.admin("POST", "/v1/admin/connections", Some(&again)).assert_problem(409, "connection_exists");
    // Refused field by field, nothing stored.
    let other = Shop::create("shc2");
    let bad = |body: Value, status: u16, code: &str, field: &str| {
        let p = other.admin("POST", "/v1/admin/connections", Some(&body)).assert_problem(status, code);
        assert_eq!(p["field"], field, "{p}");
    };
    bad(
        json!({ "platform": "shopify", "store": "acme.example.com", "webhook_secret": "s", "api_token": "t" }),
        422,
        "out_of_range",
        "store",
    );
    bad(
        json!({ "platform": "shopify", "store": "a.myshopify.com", "webhook_secret": "s s", "api_token": "t" }),
        422,
        "out_of_range",
        "webhook_secret",
    );
    bad(
        json!({ "platform": "shopify", "store": "a.myshopify.com", "webhook_secret": "s", "api_token": "t", "api_base": null }),
        400,
        "invalid_body",
        "api_base",
    );
    bad(
        json!({ "platform": "shopify", "store": "a.myshopify.com", "webhook_secret": "s", "api_token": "t", "api_base": "http://shop.example" }),
        422,
        "out_of_range",
        "api_base",
    );
    bad(
        json!({ "platform": "shopify", "store": "a.myshopify.com", "webhook_secret": "s", "api_token": "t", "group_map": { "x": "Not A Group" } }),
        422,
        "out_of_range",
        "group_map.x",
    );
    bad(
        json!({ "platform": "magento", "store": "a", "webhook_secret": "s", "api_token": "t" }),
        422,
        "out_of_range",
        "platform",
    );
    assert_eq!(other.admin("GET", "/v1/admin/connections", None).json()["items"], json!([]));
    // Paused: deliveries are acknowledged and ignored. Deleted: refused.
    let patched = shop.admin("PATCH", &format!("/v1/admin/connections/{id}"), Some(&json!({ "status": "paused" })));
    assert_eq!(patched.json()["status"], "paused", "{}", patched.body);
    let item = Item::simple(71, "PAUSED-1", "Paused", 3, "2027-01-01T00:00:00Z");
    let r = hook(&shop, "products/create", &shopify_product(&[item]), "wh-paused");
    assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("ignored")), "{}", r.body);
    shop.admin("GET", "/v1/admin/products/PAUSED-1", None).assert_problem(404, "product_not_found");
    assert_eq!(shop.admin("DELETE", &format!("/v1/admin/connections/{id}"), None).status, 204);
    let r = hook(&shop, "products/create", &json!({ "id": 1, "title": "x", "variants": [] }), "wh-gone");
    r.assert_problem(404, "connection_not_found");
}

#[test]
fn product_webhooks_map_the_catalog_and_the_widget_mounts_by_variant() {
    let shop = Shop::create("shp");
    let api = PlatformServer::start(Kind::Shopify);
    let c = connect(&shop, &api);
    let mut m = Item::simple(44001001, "TEE-ORG-M", "Organic tee", -2, "2027-01-01T00:00:00Z");
    m.product_id = 7001;
    m.variant_name = Some("M".into());
    let mut xl = Item::simple(44001002, "TEE-ORG-XL", "Organic tee", 4, "2027-01-01T00:00:00Z");
    xl.product_id = 7001;
    xl.variant_name = Some("XL".into());
    xl.backorders = false;
    xl.price = "29.50".into();
    let payload = shopify_product(&[m.clone(), xl.clone()]);

    // A wrong signature changes nothing.
    let forged = shopify_hook("another-app-secret", "products/create", &payload, "wh-1", false);
    deliver(&shop.client, "shopify", &shop.id, &forged).assert_problem(401, "unauthorized");
    shop.admin("GET", "/v1/admin/products/TEE-ORG-M", None).assert_problem(404, "product_not_found");

    let r = hook(&shop, "products/create", &payload, "wh-1");
    assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("applied")), "{}", r.body);
    let tee_m = shop.product("TEE-ORG-M");
    assert_eq!(
        (tee_m["name"].as_str(), tee_m["policy"].as_str(), tee_m["on_hand"].as_i64()),
        (Some("Organic tee – M"), Some("backorder"), Some(0))
    );
    let tee_xl = shop.product("TEE-ORG-XL");
    assert_eq!(
        (tee_xl["policy"].as_str(), tee_xl["on_hand"].as_i64(), tee_xl["price_cents"].as_i64()),
        (Some("deny"), Some(4), Some(2950))
    );

    // The same webhook again is a duplicate; the newer unprefixed headers are taken too.
    let r = hook(&shop, "products/create", &payload, "wh-1");
    assert_eq!(r.json()["status"], "duplicate", "{}", r.body);
    xl.backorders = true;
    let update = shopify_product(&[m, xl]);
    let r = deliver(
        &shop.client,
        "shopify",
        &shop.id,
        &shopify_hook(SHOPIFY_SECRET, "products/update", &update, "ev-2", true),
    );
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    assert_eq!(shop.product("TEE-ORG-XL")["policy"], "backorder", "Shopify's continue moves deny to backorder");

    // A malformed payload is refused naming the field, and the log says so.
    let broken = json!({ "id": 7002, "title": "Broken", "variants": [{ "id": 1, "sku": "B-1" }] });
    let p = hook(&shop, "products/create", &broken, "wh-3").assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "variants[0].inventory_item_id");
    let id = c["id"].as_str().unwrap_or_default();
    let events = shop.connection(id)["events"].clone();
    assert_eq!(events[0]["status"], "failed", "{events}");
    assert_eq!(events.as_array().map(Vec::len), Some(3), "three verified deliveries, the forged one not logged");

    // The widget mounts by variant id: the batch read answers for the mapped SKUs.
    let path = format!("/v1/shops/{}/availability?variants=44001001,44001002,999&fresh=1", shop.id);
    let batch = shop.client.get(&path);
    assert_eq!(batch.status, 200, "{}", batch.body);
    let b = batch.json();
    assert_eq!(b["variants"], json!({ "44001001": "TEE-ORG-M", "44001002": "TEE-ORG-XL" }));
    assert_eq!(b["unknown_variants"], json!(["999"]));
    let skus: Vec<&str> = b["items"].as_array().into_iter().flatten().filter_map(|i| i["sku"].as_str()).collect();
    assert_eq!(skus, ["TEE-ORG-M", "TEE-ORG-XL"]);
    let bad = shop.client.get(&format!("/v1/shops/{}/availability?variants=abc", shop.id));
    assert_eq!(bad.assert_problem(422, "out_of_range")["field"], "variants");
    let wrong = shop.client.get(&format!("/v1/shops/{}/availability?variants=1&platform=magento", shop.id));
    assert_eq!(wrong.assert_problem(422, "out_of_range")["field"], "platform");
}

#[test]
fn platform_orders_queue_first_come_and_counts_allocate_to_them() {
    let shop = Shop::create("sho");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    let tee = Item::simple(501, "TEE", "Tee", 0, "2027-01-01T00:00:00Z");
    assert_eq!(hook(&shop, "products/create", &shopify_product(std::slice::from_ref(&tee)), "p-1").status, 200);
    let level = |available: i64, at: &str, id: &str| {
        let r = hook(&shop, "inventory_levels/update", &shopify_level(tee.item_id, 1, available, at), id);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    level(0, "2027-01-01T00:00:00Z", "l-0");

    // Two orders on backorder: the one that asked (the widget's _restock property) and
    // one for a SKU on backorder anyway.
    let a = shopify_order(9001, "2027-01-02T10:00:00Z", "ann@example.com", "", &[(1, 501, "TEE", 2, true)], false);
    let r = hook(&shop, "orders/create", &a, "o-1");
    assert_eq!(r.json()["status"], "applied", "{}", r.body);
    let b = shopify_order(9002, "2027-01-02T11:00:00Z", "bob@example.com", "", &[(2, 501, "TEE", 1, false)], false);
    assert_eq!(hook(&shop, "orders/create", &b, "o-2").json()["status"], "applied");
    // The same order again (a new delivery of it) queues nothing twice.
    let r = hook(&shop, "orders/updated", &a, "o-1-again");
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("1 already queued")), "{}", r.body);
    let queue = shop.backorders("TEE");
    let emails: Vec<&str> = queue.iter().filter_map(|q| q["email"].as_str()).collect();
    assert_eq!(emails, ["ann@example.com", "bob@example.com"], "first come, first served");
    assert_eq!(queue[0]["source"], "shopify");
    assert_eq!(queue[0]["platform_order_id"], "9001");

    // Shopify's count goes to -3 with those orders: nothing on hand.
    level(-3, "2027-01-02T12:00:00Z", "l-1");
    assert_eq!(shop.product("TEE")["on_hand"], 0);
    // An older count arriving late changes nothing.
    level(50, "2027-01-01T12:00:00Z", "l-old");
    assert_eq!(shop.product("TEE")["on_hand"], 0);
    // Ten arrive: -3 becomes 7. The three owed go to the queue, seven are on sale.
    level(7, "2027-01-03T09:00:00Z", "l-2");
    let p = shop.product("TEE");
    assert_eq!((p["on_hand"].as_i64(), p["availability"]["status"].as_str()), (Some(7), Some("in_stock")), "{p}");
    let all = shop.all_pages("/v1/admin/backorders?sku=TEE");
    let statuses: Vec<&str> = all.iter().filter_map(|q| q["status"].as_str()).collect();
    assert_eq!(statuses, ["allocated", "allocated"], "{all:?}");

    // In stock now: an order is a sale (recorded for attribution), not a backorder.
    let c = shopify_order(9003, "2027-01-03T10:00:00Z", "cy@example.com", "", &[(3, 501, "TEE", 1, false)], false);
    let r = hook(&shop, "orders/create", &c, "o-3");
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("1 sale line")), "{}", r.body);
    let env = restock_e2e::env::get();
    let sales = query_sql(
        Path::new(&env.persist),
        &format!("SELECT reference, source FROM orders WHERE shop_id = '{}'", shop.id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(sales.to_string().contains("shopify:9003:3"), "{sales}");
}

#[test]
fn an_order_for_more_than_is_left_gets_what_is_left_at_once_and_the_rest_later() {
    let shop = Shop::create("shpart");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    let mug = Item::simple(551, "MUG", "Mug", 2, "2027-01-01T00:00:00Z");
    assert_eq!(hook(&shop, "products/create", &shopify_product(std::slice::from_ref(&mug)), "pp-1").status, 200);
    let level = |available: i64, at: &str, id: &str| {
        let r = hook(&shop, "inventory_levels/update", &shopify_level(mug.item_id, 1, available, at), id);
        assert_eq!(r.status, 200, "{}", r.body);
    };
    level(2, "2027-01-01T00:00:00Z", "pl-0");
    assert_eq!(shop.product("MUG")["on_hand"], 2);
    // Five ordered while two were left: a backorder of five, the two set aside for it now.
    let o = shopify_order(9301, "2027-01-02T10:00:00Z", "dee@example.com", "", &[(31, 551, "MUG", 5, false)], false);
    assert_eq!(hook(&shop, "orders/create", &o, "po-1").json()["status"], "applied");
    let queue = shop.backorders("MUG");
    assert_eq!((queue[0]["quantity"].as_i64(), queue[0]["allocated"].as_i64()), (Some(5), Some(2)), "{queue:?}");
    assert_eq!(shop.product("MUG")["on_hand"], 0);
    // Shopify's count: 2 - 5 = -3. Nothing changes; then 10 arrive (-3 + 10 = 7).
    level(-3, "2027-01-02T10:00:01Z", "pl-1");
    assert_eq!(shop.product("MUG")["on_hand"], 0);
    level(7, "2027-01-03T09:00:00Z", "pl-2");
    assert_eq!(shop.product("MUG")["on_hand"], 7, "three more to the order, seven on sale, as Shopify says");
    assert_eq!(shop.all_pages("/v1/admin/backorders?sku=MUG")[0]["status"], "allocated");
}

#[test]
fn a_cap_holds_for_platform_orders_and_a_cancellation_frees_the_place() {
    let shop = Shop::create("shx");
    let api = PlatformServer::start(Kind::Shopify);
    let c = connect(&shop, &api);
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "backorder", "cap": 3 }));
    // Mapped by the import of the variant (no product webhook needed).
    let r = shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "LAMP", "platform": "shopify", "variant_id": "601" }] })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let x = shopify_order(9101, "2027-01-02T10:00:00Z", "x@example.com", "", &[(11, 601, "LAMP", 2, true)], false);
    assert_eq!(hook(&shop, "orders/create", &x, "x-1").json()["status"], "applied");
    let y = shopify_order(9102, "2027-01-02T11:00:00Z", "y@example.com", "", &[(12, 601, "LAMP", 2, true)], false);
    let r = hook(&shop, "orders/create", &y, "y-1");
    let out = r.json();
    assert_eq!(out["status"], "failed", "over the cap: {out}");
    assert!(out["detail"].as_str().is_some_and(|d| d.contains("cap_reached")), "{out}");
    assert_eq!(
        shop.connection(c["id"].as_str().unwrap_or_default())["last_error"].as_str().map(|e| e.contains("cap_reached")),
        Some(true)
    );
    assert_eq!(shop.availability("LAMP").json()["left"], 1);
    // Z has no address: refused too, for another reason.
    let z = shopify_order(9103, "2027-01-02T12:00:00Z", "", "", &[(13, 601, "LAMP", 1, true)], false);
    let r = hook(&shop, "orders/create", &z, "z-1").json();
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("no_email")), "{r}");
    // A line is decided once: the refusals are recorded, each with its reason.
    let env = restock_e2e::env::get();
    let refusals = query_sql(
        Path::new(&env.persist),
        &format!("SELECT order_id, code FROM platform_refusals WHERE shop_id = '{}' ORDER BY order_id", shop.id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        refusals[0]["results"],
        json!([{ "order_id": "9102", "code": "cap_reached" }, { "order_id": "9103", "code": "no_email" }])
    );
    // X is cancelled in Shopify: its place is free.
    let cancelled =
        shopify_order(9101, "2027-01-02T10:00:00Z", "x@example.com", "", &[(11, 601, "LAMP", 2, true)], true);
    let r = hook(&shop, "orders/cancelled", &cancelled, "x-2");
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("1 backorder(s) freed")), "{}", r.body);
    assert_eq!(shop.availability("LAMP").json()["left"], 3);
    // Y's next update tries its line again: it was refused for lack of places (the
    // one refusal that is retried, as a backorder), and it fits now.
    let r = hook(&shop, "orders/updated", &y, "y-2").json();
    assert_eq!(r["status"], "applied", "{r}");
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("1 backorder line(s) queued")), "{r}");
    // Z's update (an address added since) decides nothing again: its line was refused.
    let z = shopify_order(9103, "2027-01-02T12:00:00Z", "z@example.com", "", &[(13, 601, "LAMP", 1, true)], false);
    let r = hook(&shop, "orders/updated", &z, "z-2").json();
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("1 refused before (not decided again)")), "{r}");
    let open: Vec<String> = shop
        .backorders("LAMP")
        .iter()
        .filter(|b| b["status"] == "open")
        .filter_map(|b| b["email"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(open, ["y@example.com"]);
}

/// A line is decided once, by the first delivery that sees it: an order line sold
/// from stock stays a sale when the order is updated later (paid, fulfilled, edited),
/// whatever stock says then. Decided again, it became a backorder counted as owed by
/// the platform since it was placed, and its units were allocated to the queue.
#[test]
fn a_line_sold_from_stock_stays_a_sale_whatever_later_updates_say() {
    let shop = Shop::create("shonce");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    let tee = Item::simple(521, "ONCE", "Once", 2, "2027-01-01T00:00:00Z");
    assert_eq!(hook(&shop, "products/create", &shopify_product(std::slice::from_ref(&tee)), "n-p").status, 200);
    let level = |available: i64, at: &str, id: &str| {
        let r = hook(&shop, "inventory_levels/update", &shopify_level(tee.item_id, 1, available, at), id);
        assert_eq!(r.status, 200, "{}", r.body);
    };
    level(2, "2027-01-01T00:00:00Z", "n-l0");
    assert_eq!(shop.product("ONCE")["on_hand"], 2);
    // O1 buys the two in stock: a sale.
    let o1 = shopify_order(9401, "2027-01-02T10:00:00Z", "o1@example.com", "", &[(41, 521, "ONCE", 2, false)], false);
    let r = hook(&shop, "orders/create", &o1, "n-o1").json();
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("1 sale line(s) recorded")), "{r}");
    level(0, "2027-01-02T10:00:01Z", "n-l1");
    // B2 and B3 order on backorder.
    let b2 = shopify_order(9402, "2027-01-02T11:00:00Z", "b2@example.com", "", &[(42, 521, "ONCE", 1, false)], false);
    let b3 = shopify_order(9403, "2027-01-02T12:00:00Z", "b3@example.com", "", &[(43, 521, "ONCE", 2, false)], false);
    assert_eq!(hook(&shop, "orders/create", &b2, "n-b2").json()["status"], "applied");
    assert_eq!(hook(&shop, "orders/create", &b3, "n-b3").json()["status"], "applied");
    level(-3, "2027-01-02T12:00:01Z", "n-l2");
    assert_eq!(shop.product("ONCE")["on_hand"], 0);
    // O1 is fulfilled and Shopify sends orders/updated (and orders/paid): nothing to
    // decide again.
    let mut updated = o1.clone();
    updated["fulfillment_status"] = json!("fulfilled");
    for (topic, id) in [("orders/updated", "n-o1-u"), ("orders/paid", "n-o1-p")] {
        let r = hook(&shop, topic, &updated, id).json();
        let detail = r["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("0 backorder line(s) queued") && detail.contains("1 already recorded as sale(s)"),
            "{r}"
        );
    }
    let queue = shop.backorders("ONCE");
    let emails: Vec<&str> = queue.iter().filter_map(|q| q["email"].as_str()).collect();
    assert_eq!(emails, ["b2@example.com", "b3@example.com"], "O1 is no backorder: {queue:?}");
    // The next count puts no phantom units on hand, and B2 gets none.
    level(-3, "2027-01-02T13:00:00Z", "n-l3");
    assert_eq!(shop.product("ONCE")["on_hand"], 0);
    let queue = shop.backorders("ONCE");
    assert_eq!((queue[0]["status"].as_str(), queue[0]["allocated"].as_i64()), (Some("open"), Some(0)), "{queue:?}");
    // A line the platform had fulfilled when it came (a point-of-sale order) is a sale,
    // even while the SKU is on backorder.
    let mut pos =
        shopify_order(9404, "2027-01-02T14:00:00Z", "p@example.com", "", &[(44, 521, "ONCE", 1, false)], false);
    pos["line_items"][0]["fulfillment_status"] = json!("fulfilled");
    let r = hook(&shop, "orders/create", &pos, "n-pos").json();
    assert!(
        r["detail"].as_str().is_some_and(|d| d.contains("0 backorder line(s) queued, 1 sale line(s) recorded")),
        "{r}"
    );
    assert_eq!(shop.backorders("ONCE").len(), 2);
}

/// Sets (or adds) `headers` on a delivery, its signed body untouched.
fn with_headers((headers, body): &Delivery, set: &[(&str, &str)]) -> Delivery {
    let mut h: Vec<(String, String)> =
        headers.iter().filter(|(k, _)| !set.iter().any(|(s, _)| s.eq_ignore_ascii_case(k))).cloned().collect();
    h.extend(set.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    (h, body.clone())
}

/// Only the body is signed. A delivery captured once (an order, a customer's
/// redaction) and posted again under another topic, with a fresh webhook id, or for
/// another shop, changes nothing: the connection, its orders and their addresses stay.
#[test]
fn a_signed_body_posted_again_under_another_topic_or_shop_changes_nothing() {
    let shop = Shop::create("shreplay");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "MUG", "platform": "shopify", "variant_id": "731" }] })),
    );
    assert_eq!(shop.signup("MUG", "ann@example.com", &ip(3)).status, 202);
    let o = shopify_order(9501, "2027-01-02T10:00:00Z", "ann@example.com", "", &[(51, 731, "MUG", 1, true)], false);
    let captured = shopify_hook(SHOPIFY_SECRET, "orders/create", &o, "c-1", false);
    assert_eq!(deliver(&shop.client, "shopify", &shop.id, &captured).json()["status"], "applied");
    let intact = |why: &str| {
        assert_eq!(
            shop.admin("GET", "/v1/admin/connections", None).json()["items"].as_array().map(Vec::len),
            Some(1),
            "{why}"
        );
        let b = shop.backorders("MUG");
        assert_eq!((b[0]["email"].as_str(), b[0]["status"].as_str()), (Some("ann@example.com"), Some("open")), "{why}");
        assert_eq!(shop.all_pages("/v1/admin/products/MUG/waitlist").len(), 1, "{why}");
    };
    let again = |topic: &str, id: &str| {
        deliver(
            &shop.client,
            "shopify",
            &shop.id,
            &with_headers(&captured, &[("X-Shopify-Topic", topic), ("X-Shopify-Webhook-Id", id)]),
        )
    };
    // The order's body as shop/redact: not a shop/redact payload.
    again("shop/redact", "c-2").assert_problem(400, "invalid_body");
    intact("an order is no shop/redact");
    // As customers/redact: an order's line_items are no redaction request.
    let p = again("customers/redact", "c-3").assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "line_items");
    intact("an order is no customers/redact");
    // As orders/cancelled: the body says it is not cancelled.
    assert_eq!(again("orders/cancelled", "c-4").status, 200);
    intact("orders/cancelled without cancelled_at cancels nothing");
    // For another shop (an app's secret signs every shop's deliveries).
    let other =
        with_headers(&captured, &[("X-Shopify-Webhook-Id", "c-5"), ("X-Shopify-Shop-Domain", "other.myshopify.com")]);
    let p = deliver(&shop.client, "shopify", &shop.id, &other).assert_problem(400, "shop_domain_mismatch");
    assert_eq!(p["field"], "X-Shopify-Shop-Domain");
    let unnamed: Delivery = (
        captured.0.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("X-Shopify-Shop-Domain")).cloned().collect(),
        captured.1.clone(),
    );
    deliver(&shop.client, "shopify", &shop.id, &with_headers(&unnamed, &[("X-Shopify-Webhook-Id", "c-6")]))
        .assert_problem(400, "shop_domain_mismatch");
    // A customer's redaction as shop/redact: not a shop/redact payload either.
    let redact = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com",
        "customer": { "id": 191167, "email": "ann@example.com" }, "orders_to_redact": [9501] });
    let d = shopify_hook(SHOPIFY_SECRET, "customers/redact", &redact, "c-7", false);
    let p = deliver(&shop.client, "shopify", &shop.id, &with_headers(&d, &[("X-Shopify-Topic", "shop/redact")]))
        .assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "customer", "{p}");
    intact("a customer's redaction is no shop/redact");
    // A topic Restock does not subscribe to is refused before it is read.
    let p = again("app/uninstalled", "c-8").assert_problem(400, "topic_not_subscribed");
    assert_eq!(p["field"], "X-Shopify-Topic");
    // A genuine shop/redact body with a wrong or missing signature: 401, nothing erased.
    let shop_redact = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com" });
    let forged = shopify_hook("not-the-app-secret", "shop/redact", &shop_redact, "c-9", false);
    deliver(&shop.client, "shopify", &shop.id, &forged).assert_problem(401, "unauthorized");
    let unsigned: Delivery = (
        forged.0.iter().filter(|(k, _)| !k.to_ascii_lowercase().contains("hmac")).cloned().collect(),
        forged.1.clone(),
    );
    deliver(&shop.client, "shopify", &shop.id, &with_headers(&unsigned, &[("X-Shopify-Webhook-Id", "c-10")]))
        .assert_problem(401, "unauthorized");
    intact("an unverified shop/redact erases nothing");
}

/// Shopify's duplicate of a delivery has the same `X-Shopify-Event-Id` (its webhook id
/// may differ, one per subscription): it is a duplicate.
#[test]
fn deliveries_are_deduplicated_by_shopifys_event_id() {
    let shop = Shop::create("shevent");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    let item = Item::simple(81, "EVENT-1", "Event", 3, "2027-01-01T00:00:00Z");
    let d = shopify_hook(SHOPIFY_SECRET, "products/create", &shopify_product(&[item]), "wh-a", false);
    let first = with_headers(&d, &[("X-Shopify-Event-Id", "ev-9")]);
    assert_eq!(deliver(&shop.client, "shopify", &shop.id, &first).json()["status"], "applied");
    let second = with_headers(&d, &[("X-Shopify-Event-Id", "ev-9"), ("X-Shopify-Webhook-Id", "wh-b")]);
    assert_eq!(deliver(&shop.client, "shopify", &shop.id, &second).json()["status"], "duplicate");
}

#[test]
fn compliance_webhooks_are_verified_and_erase_through_the_erasure() {
    let shop = Shop::create("shg");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "backorder" }));
    assert_eq!(shop.signup("MUG", "ann@example.com", &ip(1)).status, 202);
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "MUG", "platform": "shopify", "variant_id": "701" }] })),
    );
    let o = shopify_order(9201, "2027-01-02T10:00:00Z", "ann@example.com", "", &[(21, 701, "MUG", 1, true)], false);
    assert_eq!(hook(&shop, "orders/create", &o, "g-1").json()["status"], "applied");
    let redact = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com",
        "customer": { "id": 191167, "email": "ann@example.com", "phone": "555-625-1199" }, "orders_to_redact": [9201] });
    let forged = shopify_hook("not-the-secret", "customers/redact", &redact, "g-2", false);
    deliver(&shop.client, "shopify", &shop.id, &forged).assert_problem(401, "unauthorized");
    assert_eq!(shop.all_pages("/v1/admin/products/MUG/waitlist").len(), 1, "a forged request erases nothing");

    let request = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com", "orders_requested": [9201],
        "customer": { "id": 191167, "email": "ann@example.com" }, "data_request": { "id": 9999 } });
    let r = hook(&shop, "customers/data_request", &request, "g-3");
    assert_eq!(r.status, 200, "{}", r.body);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("a•••@example.com") && !detail.contains("ann@example.com"), "{detail}");

    assert_eq!(hook(&shop, "customers/redact", &redact, "g-4").status, 200);
    assert!(shop.all_pages("/v1/admin/products/MUG/waitlist").is_empty(), "the signup is erased");
    let b = shop.backorders("MUG");
    assert!(b[0]["email"].as_str().is_some_and(|e| e.ends_with("@erased.invalid")), "{b:?}");

    let r = hook(&shop, "shop/redact", &json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com" }), "g-5");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(shop.admin("GET", "/v1/admin/connections", None).json()["items"], json!([]));
    let gone = shop.client.get(&format!("/v1/shops/{}/availability?variants=701", shop.id));
    assert_eq!(gone.json()["unknown_variants"], json!(["701"]), "the mapping went with it");
}

fn run_cron(client: &Client) {
    let r = client.get("/__scheduled?cron=*/5+*+*+*+*");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn reconciliation_corrects_drift_and_waits_when_the_api_asks() {
    let server = start_own("shsync", "op_shsync", &[("OUTBOUND_TIMEOUT_MS", "2000")]).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let shop = Shop::create_on(client.clone(), "op_shsync", "shs", json!({}));
    let api = PlatformServer::start(Kind::Shopify);
    let items: Vec<Item> = (0..120)
        .map(|i| Item::simple(10_000 + i, &format!("REC-{i:03}"), &format!("Rec {i}"), 5, "2027-01-01T00:00:00Z"))
        .collect();
    api.set_items(items);
    let c = connect(&shop, &api);
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    let resync = |shop: &Shop| {
        let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
        assert_eq!(r.status, 202, "{}", r.body);
        r.json()
    };
    let s = resync(&shop)["sync"].clone();
    assert_eq!(
        (s["running"].as_bool(), s["last_seen"].as_i64(), s["last_drift_units"].as_i64()),
        (Some(false), Some(120), Some(0)),
        "{s}"
    );
    assert_eq!(shop.product("REC-007")["on_hand"], 5);
    assert!(api.violations().is_empty(), "{:?}", api.violations());

    // A count whose webhook got lost: the next pass corrects it and says so.
    api.set_level("REC-007", 1, 9, "2027-01-02T00:00:00Z");
    let s = resync(&shop)["sync"].clone();
    assert_eq!((s["last_drift_units"].as_i64(), s["last_drift_skus"].as_i64()), (Some(4), Some(1)), "{s}");
    assert_eq!(shop.product("REC-007")["on_hand"], 9);

    // The API asks us to wait: we do, and resume from the same place.
    for (fault, wait) in [(Fault::RateLimited(30), 30), (Fault::Throttled, 3), (Fault::ServerError, 60)] {
        api.fail("graphql.json", &[fault]);
        let before = api.requests().len();
        let c = resync(&shop);
        let retry = c["sync"]["retry_at"].as_i64().unwrap_or_default();
        let error = c["last_error"].as_str().unwrap_or_default().to_owned();
        assert!(retry > 0 && !error.is_empty(), "{fault:?}: {c}");
        assert_eq!(api.requests().len(), before + 1, "one call, then it waits");
        run_cron(&client);
        assert_eq!(api.requests().len(), before + 1, "{fault:?}: not asked again before {wait} s");
    }
    // A hang: the call is given up after OUTBOUND_TIMEOUT_MS, noted, retried later.
    api.fail("graphql.json", &[Fault::Hang(std::time::Duration::from_secs(6))]);
    let c = resync(&shop);
    assert!(c["last_error"].as_str().is_some_and(|e| e.contains("timed out")), "{c}");
    // A refused token: noted, tried again in an hour.
    shop.admin("PATCH", &format!("/v1/admin/connections/{id}"), Some(&json!({ "api_token": "shpat_wrong" })));
    let c = resync(&shop);
    assert!(c["last_error"].as_str().is_some_and(|e| e.contains("401")), "{c}");
    assert!(
        c["sync"]["next_at"].as_i64().unwrap_or_default() > c["updated_at"].as_i64().unwrap_or_default() + 3_000_000
    );
}

#[test]
fn a_fifty_thousand_variant_catalog_is_reconciled_in_bounded_steps_that_resume() {
    let server = start_own("shbig", "op_shbig", &[("SUBREQUEST_LIMIT", "200")]).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let shop = Shop::create_on(client.clone(), "op_shbig", "shb", json!({}));
    let api = PlatformServer::start(Kind::Shopify);
    api.set_synthetic(50_000);
    let c = connect(&shop, &api);
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    let count = || {
        let v = query_sql(
            &server.options.persist,
            &format!("SELECT COUNT(*) AS n FROM products WHERE shop_id = '{}'", shop.id),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        v[0]["results"][0]["n"].as_i64().unwrap_or(-1)
    };
    let mut seen = 0;
    let mut calls = 0;
    for run in 1..=3 {
        run_cron(&client);
        let c = shop.connection(&id);
        let s = &c["sync"];
        let now_calls = api.requests().len();
        let pages = now_calls - calls;
        assert!((1..=10).contains(&pages), "run {run}: {pages} pages: bounded, and progress");
        assert_eq!(s["running"], true, "run {run}: {c}");
        assert!(s["seen"].as_i64().unwrap_or_default() > seen, "run {run} resumes and goes on: {s}");
        assert_eq!(c["last_error"], Value::Null, "run {run}: {c}");
        seen = s["seen"].as_i64().unwrap_or_default();
        calls = now_calls;
        assert_eq!(count(), seen, "run {run}: each variant read became a product, once");
    }
    // Each page continued exactly where the last one ended.
    let requests = api.requests();
    assert_eq!(requests.len() as i64 * 50, seen, "{requests:?}");
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}

fn connect_at(shop: &Shop, api: &PlatformServer, location: Option<&str>) -> String {
    let mut body = json!({ "platform": "shopify", "store": "acme.myshopify.com", "webhook_secret": SHOPIFY_SECRET,
        "api_token": SHOPIFY_TOKEN, "api_base": api.base });
    if let Some(l) = location {
        body["location_id"] = json!(l);
    }
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_owned()
}

fn resync(shop: &Shop, id: &str) -> Value {
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    assert_eq!(r.status, 202, "{}", r.body);
    r.json()
}

/// A connection that follows one location counts that location only: in the
/// products the reconciliation creates, in every later count, and after the location
/// is changed (the old location's counts are dropped and a pass plans every SKU again).
#[test]
fn a_followed_location_is_the_only_one_counted() {
    let api = PlatformServer::start(Kind::Shopify);
    let mut item = Item::simple(811, "LOC-1", "Two places", 5, "2027-01-01T00:00:00Z");
    item.levels.push((2, 100, "2027-01-01T00:00:00Z".into()));
    api.set_items(vec![item.clone()]);

    let one = Shop::create("shloc1");
    let id = connect_at(&one, &api, Some("1"));
    resync(&one, &id);
    assert_eq!(one.product("LOC-1")["on_hand"], 5, "created from location 1's count only");

    let all = Shop::create("shloc2");
    let id = connect_at(&all, &api, None);
    resync(&all, &id);
    assert_eq!(all.product("LOC-1")["on_hand"], 105, "every location");
    let r = all.admin("PATCH", &format!("/v1/admin/connections/{id}"), Some(&json!({ "location_id": "1" })));
    assert_eq!((r.status, r.json()["location_id"].as_str()), (200, Some("1")), "{}", r.body);
    resync(&all, &id);
    assert_eq!(all.product("LOC-1")["on_hand"], 5, "location 1 only, once the location changed");
    let level = |location: u64, available: i64, at: &str, hook_id: &str| {
        let d = shopify_hook(
            SHOPIFY_SECRET,
            "inventory_levels/update",
            &shopify_level(item.item_id, location, available, at),
            hook_id,
            false,
        );
        assert_eq!(deliver(&all.client, "shopify", &all.id, &d).status, 200);
    };
    level(2, 200, "2027-01-02T00:00:00Z", "loc-a");
    assert_eq!(all.product("LOC-1")["on_hand"], 5, "another location's count changes nothing");
    level(1, 6, "2027-01-02T00:00:00Z", "loc-b");
    assert_eq!(all.product("LOC-1")["on_hand"], 6);
}

/// A variant counted at more locations than a reconciliation page reads with it (10)
/// has the rest read by item, and is counted at all of them.
#[test]
fn every_location_is_counted_past_the_first_ten() {
    let api = PlatformServer::start(Kind::Shopify);
    let mut item = Item::simple(821, "LOC-12", "Twelve places", 1, "2027-01-01T00:00:00Z");
    for loc in 2..=12 {
        item.levels.push((loc, if loc == 12 { 5 } else { 1 }, "2027-01-01T00:00:00Z".into()));
    }
    api.set_items(vec![item]);
    let shop = Shop::create("shloc12");
    let id = connect_at(&shop, &api, None);
    let c = resync(&shop, &id);
    assert_eq!(c["last_error"], Value::Null, "{c}");
    assert_eq!(shop.product("LOC-12")["on_hand"], 16, "11 × 1 + 5");
    assert_eq!(api.requests().len(), 2, "the page, then the item's other locations: {:?}", api.requests());
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}

/// A platform's order was paid in the shop's checkout: its delay notice offers no
/// Restock cancel link (it says to cancel in the shop, with the shop's address), and
/// the cancel link's page refuses it (409). The merchant can still cancel the place.
#[test]
fn a_platform_order_is_cancelled_in_the_shop_not_by_restocks_link() {
    let shop = Shop::create_with("shcancel", json!({ "shop_url": "https://shop.example" }));
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [{ "sku": "JKT", "platform": "shopify", "variant_id": "741" }] })),
    );
    let po = shop
        .admin(
            "POST",
            "/v1/admin/products/JKT/purchase-orders",
            Some(&json!({ "quantity": 2, "expected_date": "2031-05-01" })),
        )
        .json();
    let po_id = po["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    for (n, who) in [(9601u64, "p1@example.com"), (9602, "p2@example.com")] {
        let o = shopify_order(n, "2027-01-02T10:00:00Z", who, "", &[(n, 741, "JKT", 1, true)], false);
        assert_eq!(hook(&shop, "orders/create", &o, &format!("k-{n}")).json()["status"], "applied");
    }
    // The supplier cuts the PO: the second order's date is gone.
    shop.admin(
        "PUT",
        &format!("/v1/admin/products/JKT/purchase-orders/{po_id}"),
        Some(&json!({ "quantity": 1, "expected_date": "2031-05-01" })),
    );
    let mails = mailbox::wait_for(&shop.id, "p2@example.com", "a delay notice", |m| {
        m.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("delayed")))
    });
    let notice = mails.iter().find(|m| m["subject"].as_str().is_some_and(|s| s.contains("delayed"))).cloned();
    let text = notice.as_ref().and_then(|m| m["text"].as_str()).unwrap_or_default().to_owned();
    assert!(!text.contains("/backorders/cancel"), "no Restock cancel link: {text}");
    assert!(text.contains("cancel it in the shop") && text.contains("https://shop.example"), "{text}");
    // The shopper's page of their orders offers no cancel button for it either, and a
    // POST cancelling it there is refused.
    let mine = restock_e2e::client::link_path(&mailbox::link(&shop.id, "p2@example.com", "/backorders/mine?token="));
    let page = shop.client.get(&mine);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("cancel it in the shop") && !page.body.contains("<form"), "{}", page.body);
    let p2 = shop.backorders("JKT").into_iter().find(|b| b["email"] == "p2@example.com").unwrap_or_default();
    let p2_id = p2["id"].as_str().unwrap_or_default().to_owned();
    let refused = shop.client.request("POST", &format!("{mine}&cancel={p2_id}"), &[], None);
    assert_eq!(refused.status, 409, "{}", refused.body);
    let p2 = shop.backorders("JKT").into_iter().find(|b| b["email"] == "p2@example.com").unwrap_or_default();
    assert_eq!(p2["status"], "open", "the shopper's page cancelled nothing");
    // A widget order of the same shop gets its link; a link signed the same way for the
    // platform's order is refused.
    assert_eq!(shop.backorder("JKT", 1, "w@example.com", &ip(9), None).status, 201);
    let link = mailbox::link(&shop.id, "w@example.com", "/backorders/cancel?token=");
    let token = link.split("token=").nth(1).unwrap_or_default().to_owned();
    let head: Vec<&str> = token.split('.').take(2).collect();
    let p1 = shop.backorders("JKT").into_iter().find(|b| b["email"] == "p1@example.com").unwrap_or_default();
    let p1_id = p1["id"].as_str().unwrap_or_default();
    let forged = restock_e2e::links::sign(&format!("{}.x.{}.{p1_id}.0", head.join("."), shop.id));
    let path = format!("/v1/shops/{}/backorders/cancel?token={forged}", shop.id);
    let page = shop.client.get(&path);
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("cancel it in the shop") && !page.body.contains("<form"), "{}", page.body);
    assert_eq!(shop.client.request("POST", &path, &[], None).status, 409);
    let p1 = shop.backorders("JKT").into_iter().find(|b| b["email"] == "p1@example.com").unwrap_or_default();
    assert_eq!(p1["status"], "open", "the refused link cancelled nothing");
    // The merchant can.
    let r = shop.admin("POST", &format!("/v1/admin/backorders/{p1_id}/cancel"), None);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The D1 rows one answer read (`x-restock-d1`, development only).
fn rows_read(r: &restock_e2e::client::Reply) -> u64 {
    let cost = r.header("x-restock-d1").unwrap_or_default().to_owned();
    cost.split("rows_read=")
        .nth(1)
        .and_then(|n| n.split(';').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(u64::MAX)
}

/// A cancelled order's sales are found by their references' range, not by reading
/// every reference of the shop.
#[test]
fn a_cancellation_reads_the_orders_sales_not_the_shops() {
    let shop = Shop::create("shrange");
    let api = PlatformServer::start(Kind::Shopify);
    connect(&shop, &api);
    let tee = Item::simple(531, "RANGE", "Range", 50, "2027-01-01T00:00:00Z");
    assert_eq!(hook(&shop, "products/create", &shopify_product(std::slice::from_ref(&tee)), "r-p").status, 200);
    let env = restock_e2e::env::get();
    query_sql(
        Path::new(&env.persist),
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
             INSERT INTO orders (id, shop_id, sku, quantity, amount_cents, reference, created_at, source) \
             SELECT 'ord_seed_' || i, '{0}', 'RANGE', 1, 100, 'shopify:' || (100000 + i) || ':1', 1700000000000, 'shopify' FROM n",
            shop.id
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = shopify_order(9701, "2027-01-02T10:00:00Z", "r@example.com", "", &[(71, 531, "RANGE", 1, false)], false);
    assert!(hook(&shop, "orders/create", &o, "r-o").json()["detail"].as_str().is_some_and(|d| d.contains("1 sale")));
    let cancelled =
        shopify_order(9701, "2027-01-02T10:00:00Z", "r@example.com", "", &[(71, 531, "RANGE", 1, false)], true);
    let r = hook(&shop, "orders/cancelled", &cancelled, "r-c");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(rows_read(&r) < 1000, "5,000 other sales are not read: {:?}", r.header("x-restock-d1"));
    let left = query_sql(
        Path::new(&env.persist),
        &format!("SELECT COUNT(*) AS n FROM orders WHERE shop_id = '{}' AND reference LIKE 'shopify:9701:%'", shop.id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left[0]["results"][0]["n"], 0, "its sale went");
}
