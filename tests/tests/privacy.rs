//! Erasure (GDPR art. 17) against the built Worker: after a shopper's address is
//! erased, no table of the local D1 database holds it anywhere — rows, payloads of
//! deliveries of every kind (emails and webhooks), the outbox — in any letter case.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Shop, ip};
use restock_e2e::env;
use restock_e2e::mailserver::MailServer;
use restock_e2e::server::query_sql;
use serde_json::{Value, json};

/// Every table of the database, and in which of them `needle` appears (any case).
fn tables_holding(needle: &str) -> Vec<String> {
    let persist = Path::new(&env::get().persist);
    let names = query_sql(persist, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'")
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = names[0]["results"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert!(names.len() >= 8, "the schema's tables: {names:?}");
    let needle = needle.to_lowercase();
    names
        .into_iter()
        .filter(|t| {
            let rows = query_sql(persist, &format!("SELECT * FROM \"{t}\"")).unwrap_or_else(|e| panic!("{t}: {e}"));
            rows.to_string().to_lowercase().contains(&needle)
        })
        .collect()
}

#[test]
fn an_erased_address_is_nowhere_in_the_database() {
    let hooks = MailServer::start();
    let shop = Shop::create("erase");
    let r = shop.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": hooks.url })));
    assert_eq!(r.status, 201, "{}", r.body);
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 10 }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let address = format!("Erase.Me-{}@Example.com", std::process::id());
    assert!(shop.signup("MUG", &address, &ip(1)).status < 300);
    assert!(shop.backorder("JKT", 1, &address, &ip(2), None).status < 300);
    let order = shop.admin(
        "POST",
        "/v1/admin/orders",
        Some(&json!({ "sku": "MUG", "quantity": 1, "reference": "ORD-ERASE", "email": address })),
    );
    assert!(order.status < 300, "{}", order.body);
    shop.receive("MUG", 1);
    // Wait until the webhooks and emails about it went out (their payloads carry it).
    let deadline = Instant::now() + Duration::from_secs(30);
    while hooks.received().iter().filter(|r| r.body.to_lowercase().contains(&address.to_lowercase())).count() < 2 {
        assert!(Instant::now() < deadline, "webhooks carrying the address: {:?}", hooks.received().len());
        thread::sleep(Duration::from_millis(200));
    }
    let before = tables_holding(&address);
    assert!(before.len() >= 3, "the check sees the address where it is: {before:?}");

    let erased = shop.admin("DELETE", &format!("/v1/admin/subscribers/{}", address.to_lowercase()), None);
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(
        tables_holding(&address),
        Vec::<String>::new(),
        "tables still holding the address (erased: {})",
        erased.body
    );
    let _: Value = erased.json();
}

/// Runs a write against the local D1 database (the test's own clock: it ages rows).
fn age(sql: &str) {
    query_sql(Path::new(&env::get().persist), sql).unwrap_or_else(|e| panic!("{e}"));
}

fn count(sql: &str) -> i64 {
    let r = query_sql(Path::new(&env::get().persist), sql).unwrap_or_else(|e| panic!("{e}"));
    r[0]["results"][0]["n"].as_i64().unwrap_or(-1)
}

#[test]
fn ended_records_are_purged_after_the_shops_retention() {
    let short = Shop::create("retain");
    short
        .admin("PATCH", "/v1/admin/settings", Some(&json!({ "retention_days": 10 })))
        .assert_problem(422, "out_of_range");
    let r = short.admin("PATCH", "/v1/admin/settings", Some(&json!({ "retention_days": 30 })));
    assert_eq!((r.status, r.json()["retention_days"].as_i64()), (200, Some(30)), "{}", r.body);
    let long = Shop::create("retain-long");
    for shop in [&short, &long] {
        shop.put_product("MUG", json!({ "name": "Mug", "policy": "backorder" }));
        shop.signup("MUG", "gone@example.com", &ip(1));
        let order = shop.backorder("MUG", 1, "buyer@example.com", &ip(2), None).json();
        let id = order["id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(shop.admin("POST", &format!("/v1/admin/backorders/{id}/cancel"), None).status, 200);
        shop.receive("MUG", 1);
        shop.admin(
            "POST",
            "/v1/admin/orders",
            Some(&json!({ "sku": "MUG", "quantity": 1, "reference": "#1", "email": "buyer@example.com" })),
        );
    }
    // Wait until the restock email is sent (a finished delivery), then age both shops'
    // rows by 31 days.
    let deadline = Instant::now() + Duration::from_secs(30);
    let sent = |shop: &Shop| {
        count(&format!(
            "SELECT COUNT(*) AS n FROM deliveries WHERE shop_id = '{}' AND kind = 'restock' AND status = 'sent'",
            shop.id
        ))
    };
    while sent(&short) < 1 || sent(&long) < 1 {
        assert!(Instant::now() < deadline, "the restock emails were not sent");
        thread::sleep(Duration::from_millis(300));
    }
    let month = 31 * 86_400_000i64;
    for shop in [&short, &long] {
        let id = &shop.id;
        for (table, column) in [
            ("waitlist", "updated_at"),
            ("backorders", "updated_at"),
            ("deliveries", "updated_at"),
            ("outbox", "created_at"),
            ("orders", "created_at"),
        ] {
            age(&format!("UPDATE {table} SET {column} = {column} - {month} WHERE shop_id = '{id}'"));
        }
    }
    short.run_cron();
    let n = |sql: &str, shop: &Shop| count(&sql.replace("{shop}", &shop.id));
    let waitlist = "SELECT COUNT(*) AS n FROM waitlist WHERE shop_id = '{shop}'";
    let finished = "SELECT COUNT(*) AS n FROM deliveries WHERE shop_id = '{shop}' AND status = 'sent'";
    let addresses = "SELECT (SELECT COUNT(*) FROM backorders WHERE shop_id = '{shop}' AND email LIKE '%@example.com') \
                     + (SELECT COUNT(*) FROM orders WHERE shop_id = '{shop}' AND email IS NOT NULL) AS n";
    assert_eq!((n(waitlist, &short), n(finished, &short), n(addresses, &short)), (0, 0, 0), "30 days: purged");
    let kept = (n(waitlist, &long), n(finished, &long) > 0, n(addresses, &long));
    assert_eq!(kept, (1, true, 2), "a shop keeping a year keeps them");
    // The numbers stay: the closed backorder and the sale are still there, without address.
    let rows = "SELECT (SELECT COUNT(*) FROM backorders WHERE shop_id = '{shop}') + (SELECT COUNT(*) FROM orders WHERE shop_id = '{shop}') AS n";
    assert_eq!(n(rows, &short), 2);
}
