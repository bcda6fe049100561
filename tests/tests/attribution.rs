//! Attribution windows (issue 17): a restock notice's product link goes through the
//! click counter (`/v1/shops/{shop}/go`, a signed link that redirects to the product
//! page); a sale by a notified subscriber is *direct* within the shop's click window
//! (5 days by default) of that click, *assisted* within its delivery window (1 day) of
//! the notice being delivered, and not credited after; the insights add them up. A
//! platform's order is credited the same way.

use std::path::Path;
use std::time::Duration;

use restock_e2e::client::{Shop, ip};
use restock_e2e::mailbox;
use restock_e2e::server::query_sql;
use serde_json::json;

fn sql(q: &str) -> serde_json::Value {
    query_sql(Path::new(&restock_e2e::env::get().persist), q).unwrap_or_else(|e| panic!("{e}"))
}

fn attributed(shop: &Shop, reference: &str) -> serde_json::Value {
    let v = sql(&format!("SELECT attributed FROM orders WHERE shop_id = '{}' AND reference = '{reference}'", shop.id));
    v[0]["results"][0]["attributed"].clone()
}

#[test]
fn clicks_credit_directly_deliveries_assist_and_old_notices_do_not() {
    let shop = Shop::create_with("attr", json!({ "shop_url": "https://shop.example" }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny", "url": "/products/mug", "price_cents": 1200 }));
    for (i, who) in ["ann", "bob", "cy"].iter().enumerate() {
        assert_eq!(shop.signup("MUG", &format!("{who}@example.com"), &ip(60 + i)).status, 202);
    }
    shop.receive("MUG", 3);
    mailbox::wait_count(&shop, 3, "the restock notices");
    // Ann clicks the notice's product link: counted, and redirected to the product page.
    let link = mailbox::link(&shop.id, "ann@example.com", "/go?token=");
    assert!(link.contains(&format!("/v1/shops/{}/go?token=", shop.id)), "{link}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let r = agent.get(&link).call().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("https://shop.example/products/mug"));
    let tampered = link.replace("token=v2.", "token=v2.x");
    assert_eq!(
        agent.get(&tampered).call().map(|r| r.status().as_u16()).unwrap_or(0),
        400,
        "a forged link counts nothing"
    );

    let sale = |who: &str, reference: &str| {
        let body = json!({ "sku": "MUG", "quantity": 1, "reference": reference, "email": format!("{who}@example.com"), "decrement_stock": false });
        let r = shop.admin("POST", "/v1/admin/orders", Some(&body));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()
    };
    assert_eq!(sale("ann", "A-1")["attributed"], "direct");
    assert_eq!(sale("bob", "A-2")["attributed"], "assisted", "delivered today, no click");
    // Cy's notice was delivered two days ago (outside the 1-day window), never clicked.
    sql(&format!(
        "UPDATE deliveries SET sent_at = sent_at - 172800000 WHERE shop_id = '{}' AND recipient = 'cy@example.com'",
        shop.id
    ));
    assert_eq!(sale("cy", "A-3")["attributed"], serde_json::Value::Null);
    let t = shop.admin("GET", "/v1/admin/insights", None).json()["totals"].clone();
    assert_eq!(
        (t["recovered_direct_cents"].as_i64(), t["recovered_assisted_cents"].as_i64()),
        (Some(1200), Some(1200)),
        "{t}"
    );
    assert_eq!(t["recovered_cents"], 2400);

    // The windows are the merchant's: a click window of 0 leaves Ann's next sale assisted.
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "attribution_click_days": 0 })));
    assert_eq!((r.status, r.json()["attribution_click_days"].as_i64()), (200, Some(0)), "{}", r.body);
    assert_eq!(sale("ann", "A-4")["attributed"], "assisted");
    let p = shop
        .admin("PATCH", "/v1/admin/settings", Some(&json!({ "attribution_delivery_days": 31 })))
        .assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "attribution_delivery_days");
    assert_eq!(attributed(&shop, "A-1"), "direct");
}

/// Crediting a sale reads the buyer's own signup (matched case-insensitively by the
/// waitlist's `email COLLATE NOCASE` index: a checkout may spell `Ann@` where the
/// signup spelled `ann@`), not every notified signup of the SKU (`lower(email)` can
/// use no index).
#[test]
fn crediting_a_sale_reads_the_buyers_signup_not_the_whole_list() {
    let shop = Shop::create("attrscan");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny", "price_cents": 1200 }));
    sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
         INSERT INTO waitlist (id, shop_id, sku, email, locale, consent_text, consent_at, status, confirmed_at, notified_at, \
           created_at, updated_at) \
         SELECT 'wl_scan_' || i, '{0}', 'MUG', printf('n%06d@example.com', i), 'en', 'Email me once.', 1700000000000, \
           'notified', 1700000000000, 1700000000000, 1700000000000, 1700000000000 FROM n",
        shop.id
    ));
    let read = |body: serde_json::Value| {
        let r = shop.admin("POST", "/v1/admin/orders", Some(&body));
        assert_eq!(r.status, 201, "{}", r.body);
        let cost = r.header("x-restock-d1").unwrap_or_default().to_owned();
        let n: u64 = cost
            .split("rows_read=")
            .nth(1)
            .and_then(|n| n.split(';').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(u64::MAX);
        (n, cost)
    };
    // The same sale without an address (nothing to credit) is the baseline: the
    // product's facts count the SKU's held units, one pass over its notified signups.
    let (base, _) = read(json!({ "sku": "MUG", "quantity": 1, "reference": "SCAN-0", "decrement_stock": false }));
    let (with_buyer, cost) = read(
        json!({ "sku": "MUG", "quantity": 1, "reference": "SCAN-1", "email": "N000500@Example.COM", "decrement_stock": false }),
    );
    // Crediting the sale adds only the buyer's own row (and its deliveries), not the
    // 1,000 signups of the SKU.
    assert!(with_buyer < base + 100, "{base} without an address; {cost}");
    // And it did find the buyer (the whole address in another case): converted.
    let row = sql(&format!("SELECT converted_at FROM waitlist WHERE shop_id = '{}' AND id = 'wl_scan_500'", shop.id));
    assert!(row[0]["results"][0]["converted_at"].is_i64(), "{row}");
}

/// Erasing an address (the merchant's request, or Shopify's `customers/redact` through
/// the same erasure) finds its rows by index, case-insensitively: it does not read
/// every signup of the shop (`lower(email)` can use no index).
#[test]
fn erasing_an_address_reads_its_rows_not_the_whole_list() {
    let shop = Shop::create("erasescan");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny", "price_cents": 1200 }));
    sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
         INSERT INTO waitlist (id, shop_id, sku, email, locale, consent_text, consent_at, status, confirmed_at, notified_at, \
           created_at, updated_at) \
         SELECT 'wl_erase_' || i, '{0}', 'MUG', printf('e%06d@example.com', i), 'en', 'Email me once.', 1700000000000, \
           'notified', 1700000000000, 1700000000000, 1700000000000, 1700000000000 FROM n",
        shop.id
    ));
    let r = shop.admin("DELETE", "/v1/admin/subscribers/E000500%40Example.com", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["erased"]["waitlist"], 1, "{}", r.body);
    let cost = r.header("x-restock-d1").unwrap_or_default().to_owned();
    let read: u64 = cost
        .split("rows_read=")
        .nth(1)
        .and_then(|n| n.split(';').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(u64::MAX);
    assert!(read < 200, "{cost}");
    let left = sql(&format!("SELECT COUNT(*) AS n FROM waitlist WHERE shop_id = '{}'", shop.id));
    assert_eq!(left[0]["results"][0]["n"], 999);
}
