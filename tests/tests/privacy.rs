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
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "webhook_url": hooks.url })));
    assert_eq!(r.status, 200, "{}", r.body);
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
