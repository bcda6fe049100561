//! Stock plans against the built Worker: the regressions of issue 13 (a second receive
//! over-notifying, a purchase order received twice, preorders shipped before release,
//! waves that waited for the sweep, a `PUT` answer showing another request's state),
//! and a replay of operation sequences compared with the domain's model.

use std::thread;

use restock_e2e::client::{Shop, ip};
use restock_e2e::mailbox::{settle, wait_count};
use serde_json::{Value, json};

fn signups(shop: &Shop, sku: &str, n: usize) {
    for i in 0..n {
        let r = shop.signup(sku, &format!("w{i:03}@example.com"), &ip(i));
        assert_eq!(r.status, 202, "{}", r.body);
    }
}

fn open_releases(shop: &Shop, sku: &str) -> usize {
    let p = shop.admin("GET", &format!("/v1/admin/products/{sku}"), None).json();
    p["releases"].as_array().map_or(0, |r| r.iter().filter(|r| r["status"] != "done").count())
}

#[test]
fn a_second_receive_notifies_for_the_new_units_only() {
    let shop = Shop::create("second");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    signups(&shop, "MUG", 50);
    assert_eq!(shop.receive("MUG", 10)["release"]["notify"], 10);
    wait_count(&shop, 10, "first wave");
    // Ten more arrive while the first ten are still unsold: ten more emails, not twenty.
    let r = shop.receive("MUG", 10);
    assert_eq!((r["release"]["action"].as_str(), r["release"]["notify"].as_i64()), (Some("extend"), Some(10)), "{r}");
    wait_count(&shop, 20, "the window grew by the new units");
    settle(&shop, 20);
    assert_eq!(open_releases(&shop, "MUG"), 1, "one open release per SKU");
    // At the next interval, one chain continues: 20 still free, 20 more.
    shop.make_wave_due("MUG");
    shop.run_cron();
    wait_count(&shop, 40, "the next wave");
    settle(&shop, 40);
    assert_eq!(open_releases(&shop, "MUG"), 1);
}

#[test]
fn a_purchase_order_is_received_once_even_when_twice_at_once() {
    let shop = Shop::create("porace");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let po = shop.admin(
        "POST",
        "/v1/admin/products/JKT/purchase-orders",
        Some(&json!({ "quantity": 6, "expected_date": "2031-01-01" })),
    );
    assert_eq!(po.status, 201, "{}", po.body);
    let id = po.json()["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    let body = json!({ "purchase_order_id": id });
    let statuses: Vec<u16> = thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| shop.admin("POST", "/v1/admin/products/JKT/receive", Some(&body)).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 200 || s == 409), "{statuses:?}");
    assert_eq!(shop.admin("GET", "/v1/admin/products/JKT", None).json()["on_hand"], 6, "the units counted once");
}

#[test]
fn preorder_stock_waits_for_the_release_day() {
    let shop = Shop::create("prerel");
    let release = "2031-06-01";
    shop.put_product("BOOK", json!({ "name": "Book", "policy": "preorder", "release_date": release }));
    assert_eq!(shop.backorder("BOOK", 2, "p@example.com", &ip(1), None).status, 201);
    signups(&shop, "BOOK", 3);
    let r = shop.receive("BOOK", 5);
    assert_eq!((r["allocated"].as_i64(), r["to_stock"].as_i64()), (Some(0), Some(0)), "{r}");
    assert!(r["release"].is_null(), "no 'back in stock' before the release: {r}");
    let open = shop.backorders("BOOK");
    assert_eq!((open[0]["status"].as_str(), open[0]["allocated"].as_i64()), (Some("open"), Some(0)));
    let a = shop.availability("BOOK").json();
    assert_eq!((a["status"].as_str(), a["release_date"].as_str()), (Some("preorder"), Some(release)), "{a}");
    settle(&shop, 0);
}

#[test]
fn a_count_or_a_cancellation_that_frees_units_starts_the_wave_at_once() {
    let shop = Shop::create("freed");
    shop.put_product("CAP", json!({ "name": "Cap", "policy": "backorder" }));
    let order = shop.backorder("CAP", 3, "b@example.com", &ip(9), None).json();
    signups(&shop, "CAP", 4);
    shop.receive("CAP", 2);
    // Cancelling passes its 2 allocated units on: nobody else is queued, so they go on
    // sale and the waitlist hears now, not at the stuck-release sweep.
    let id = order["id"].as_str().unwrap_or_default();
    let preview = shop.admin("POST", &format!("/v1/admin/backorders/{id}/cancel?preview=1"), None).json();
    assert_eq!((preview["preview"].as_bool(), preview["to_stock"].as_i64()), (Some(true), Some(2)), "{preview}");
    let words = preview["says"].to_string();
    assert!(words.contains("Emails 2 waitlist subscribers"), "{words}");
    let c = shop.admin("POST", &format!("/v1/admin/backorders/{id}/cancel"), None).json();
    assert_eq!(c["units_returned"], 2);
    wait_count(&shop, 2, "the cancelled order's units");
    // A higher count is stock arriving, and starts the wave too.
    shop.put_product("CAP", json!({ "name": "Cap", "policy": "backorder", "on_hand": 3 }));
    wait_count(&shop, 3, "the counted unit");
    settle(&shop, 3);
}

#[test]
fn a_put_answers_the_state_it_made() {
    let shop = Shop::create("putrace");
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "preorder", "release_date": "2031-01-01" }));
    let answers: Vec<(String, u32, Value)> = thread::scope(|s| {
        let handles: Vec<_> = (1..=6)
            .map(|i| {
                let shop = &shop;
                s.spawn(move || {
                    let date = format!("2031-0{i}-15");
                    let body = json!({ "name": "Lamp", "policy": "preorder", "release_date": date, "on_hand": i });
                    (date, i, shop.admin("PUT", "/v1/admin/products/LAMP", Some(&body)).json())
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    assert_eq!(answers.len(), 6);
    // Each answer is read in its own write's batch: its own date and count, never
    // another request's.
    for (date, on_hand, body) in &answers {
        assert_eq!(body["release_date"].as_str(), Some(date.as_str()), "{body}");
        assert_eq!(body["on_hand"].as_u64(), Some(u64::from(*on_hand)), "{body}");
    }
}

/// A tiny deterministic generator (the suite needs no randomness crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }
}

/// The model's view: on hand and each order's allocated units, by FIFO alone.
#[derive(Debug, Default)]
struct Model {
    on_hand: u32,
    /// (quantity, allocated, cancelled) per order, in placement order.
    orders: Vec<(u32, u32, bool)>,
}

impl Model {
    fn owed(&self) -> u32 {
        self.orders.iter().filter(|o| !o.2).map(|o| o.0 - o.1).sum()
    }

    fn arrive(&mut self, mut units: u32) {
        for o in self.orders.iter_mut().filter(|o| !o.2) {
            let take = (o.0 - o.1).min(units);
            o.1 += take;
            units -= take;
        }
        self.on_hand += units;
    }
}

#[test]
fn sequences_of_operations_match_the_model() {
    for seed in 1..=3u64 {
        let shop = Shop::create("model");
        shop.put_product("SKU", json!({ "name": "Thing", "policy": "backorder" }));
        let mut rng = Lcg(seed);
        let mut model = Model::default();
        let mut ids: Vec<String> = Vec::new();
        for step in 0..30 {
            match rng.next(4) {
                0 if model.on_hand == 0 => {
                    let q = 1 + rng.next(3);
                    let email = format!("o{step}@example.com");
                    let r = shop.backorder("SKU", i64::from(q), &email, &ip(step as usize), None);
                    assert_eq!(r.status, 201, "seed {seed} step {step}: {}", r.body);
                    ids.push(r.json()["id"].as_str().unwrap_or_default().to_owned());
                    model.orders.push((q, 0, false));
                }
                1 => {
                    let u = 1 + rng.next(5);
                    shop.receive("SKU", u);
                    model.arrive(u);
                }
                2 if !ids.is_empty() => {
                    let i = rng.next(ids.len() as u32) as usize;
                    let r = shop.admin("POST", &format!("/v1/admin/backorders/{}/cancel", ids[i]), None);
                    let (q, allocated, cancelled) = model.orders[i];
                    if cancelled || allocated == q {
                        assert!(r.status == 200 || r.status == 409, "{}", r.body);
                    } else {
                        assert_eq!(r.status, 200, "{}", r.body);
                        model.orders[i].2 = true;
                        model.orders[i].1 = 0;
                        model.arrive(allocated);
                    }
                }
                _ => {
                    let n = rng.next(4);
                    shop.put_product("SKU", json!({ "name": "Thing", "policy": "backorder", "on_hand": n }));
                    if n > model.on_hand {
                        model.arrive(n - model.on_hand);
                    } else {
                        model.on_hand = n;
                    }
                }
            }
            let p = shop.admin("GET", "/v1/admin/products/SKU", None).json();
            assert_eq!(p["on_hand"].as_u64(), Some(u64::from(model.on_hand)), "seed {seed} step {step}: {p}");
            assert_eq!(p["queue"]["units_owed"].as_u64(), Some(u64::from(model.owed())), "seed {seed} step {step}");
        }
        let rows = shop.backorders("SKU");
        for (id, (q, allocated, cancelled)) in ids.iter().zip(&model.orders) {
            let row = rows.iter().find(|r| r["id"] == id.as_str()).cloned().unwrap_or_default();
            let status = if *cancelled {
                "cancelled"
            } else if allocated == q {
                "allocated"
            } else {
                "open"
            };
            assert_eq!(row["status"], status, "seed {seed}: {row}");
            assert_eq!(row["allocated"].as_u64(), Some(u64::from(if *cancelled { 0 } else { *allocated })), "{row}");
        }
    }
}

#[test]
fn concurrent_slips_owe_one_notice_each_never_two_from_one_promise() {
    let shop = Shop::create("slips");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let po = shop.admin(
        "POST",
        "/v1/admin/products/JKT/purchase-orders",
        Some(&json!({ "quantity": 5, "expected_date": "2031-01-10" })),
    );
    let id = po.json()["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    for i in 0..3 {
        assert_eq!(shop.backorder("JKT", 1, &format!("s{i}@example.com"), &ip(i), None).status, 201);
    }
    // Four edits at once, each to a different later date: every one is a recheck with
    // a different projection.
    let path = format!("/v1/admin/products/JKT/purchase-orders/{id}");
    thread::scope(|s| {
        for day in 11..15 {
            let (shop, path) = (&shop, &path);
            s.spawn(move || {
                let body = json!({ "quantity": 5, "expected_date": format!("2031-01-{day}") });
                let r = shop.admin("PUT", path, Some(&body));
                assert_eq!(r.status, 200, "{}", r.body);
            });
        }
    });
    let persist = std::path::Path::new(&restock_e2e::env::get().persist);
    let rows = restock_e2e::server::query_sql(
        persist,
        &format!("SELECT recipient, dedupe_key FROM deliveries WHERE shop_id = '{}' AND kind = 'delay'", shop.id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let notices = rows[0]["results"].as_array().cloned().unwrap_or_default();
    for i in 0..3 {
        let to = format!("s{i}@example.com");
        let mine: Vec<String> = notices
            .iter()
            .filter(|n| n["recipient"] == to.as_str())
            .filter_map(|n| n["dedupe_key"].as_str().map(str::to_owned))
            .collect();
        assert!(!mine.is_empty(), "{to} was delayed: {notices:?}");
        // delay:<id>:<old>-><new>: a slip from one promise is told once, so no two
        // notices start from the same promise.
        let froms: std::collections::HashSet<&str> =
            mine.iter().filter_map(|k| k.rsplit(':').next()).filter_map(|t| t.split("->").next()).collect();
        assert_eq!(froms.len(), mine.len(), "two notices from one promise: {mine:?}");
    }
}
