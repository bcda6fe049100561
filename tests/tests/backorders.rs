//! Backorders and preorders against the built Worker: caps hold under concurrency,
//! Idempotency-Key replays the first answer, cancellation frees a place.

use std::collections::HashSet;
use std::thread;

use restock_e2e::client::{Client, Shop, ip, link_path};
use serde_json::json;

/// Fires `n` one-unit orders at once; returns how many were accepted, asserting every
/// refusal is a 409 `cap_reached`.
fn storm(shop: &Shop, sku: &str, n: usize) -> usize {
    let replies: Vec<_> = thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let shop = shop.clone();
                s.spawn(move || shop.backorder(sku, 1, &format!("storm{i}@example.com"), &ip(i), None))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("request thread")).collect()
    });
    let mut accepted = 0;
    for r in &replies {
        match r.status {
            201 => accepted += 1,
            409 => assert_eq!(r.json()["code"], "cap_reached", "{}", r.body),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    accepted
}

fn owed(shop: &Shop, sku: &str) -> i64 {
    shop.backorders(sku)
        .iter()
        .filter(|b| b["status"] == "open")
        .map(|b| b["quantity"].as_i64().unwrap_or(0) - b["allocated"].as_i64().unwrap_or(0))
        .sum()
}

#[test]
fn concurrent_backorders_never_exceed_the_cap() {
    let shop = Shop::create("cap");
    for cap in [1u32, 7, 50] {
        let sku = format!("CAP-{cap}");
        shop.put_product(&sku, json!({ "name": "Capped", "policy": "backorder", "cap": cap }));
        let accepted = storm(&shop, &sku, 200);
        assert_eq!(accepted, cap as usize, "cap {cap}");
        assert_eq!(owed(&shop, &sku), i64::from(cap), "units owed equal the cap");
        let left = shop.availability(&sku).json();
        assert_eq!(left["status"], "out_of_stock", "cap {cap}: {left}");
    }
}

#[test]
fn concurrent_preorders_never_exceed_the_cap() {
    let shop = Shop::create("pre");
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "preorder", "release_date": "2030-01-15", "cap": 12 }));
    assert_eq!(storm(&shop, "LAMP", 80), 12);
    let orders = shop.backorders("LAMP");
    assert!(orders.iter().all(|o| o["kind"] == "preorder"));
    let positions: Vec<i64> = orders.iter().filter_map(|o| o["position"].as_i64()).collect();
    assert_eq!(positions, (1..=12).collect::<Vec<_>>(), "FIFO positions 1..=12");
}

#[test]
fn larger_orders_are_refused_when_they_would_cross_the_cap() {
    let shop = Shop::create("cap-q");
    shop.put_product("BOOT", json!({ "name": "Boot", "policy": "backorder", "cap": 5 }));
    assert_eq!(shop.backorder("BOOT", 3, "a@example.com", &ip(1), None).status, 201);
    let p = shop.backorder("BOOT", 3, "b@example.com", &ip(2), None).assert_problem(409, "cap_reached");
    assert!(p["detail"].as_str().unwrap_or("").contains('2'), "says how many are left: {p}");
    assert_eq!(shop.backorder("BOOT", 2, "b@example.com", &ip(2), None).status, 201);
    assert_eq!(owed(&shop, "BOOT"), 5);
}

#[test]
fn a_placed_backorder_has_a_position_and_a_promise() {
    let shop = Shop::create("promise");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "lead_time_days": 20 }));
    let po = shop.admin(
        "POST",
        "/v1/admin/products/JKT/purchase-orders",
        Some(&json!({ "quantity": 3, "expected_date": "2030-03-01" })),
    );
    assert_eq!(po.status, 201, "{}", po.body);
    let first = shop.backorder("JKT", 2, "a@example.com", &ip(1), None).json();
    let second = shop.backorder("JKT", 2, "b@example.com", &ip(2), None).json();
    assert_eq!((first["position"].as_i64(), second["position"].as_i64()), (Some(1), Some(2)));
    assert_eq!(first["promised_date"], "2030-03-01", "covered by the PO");
    assert_eq!(second["promised_date"], "2030-03-01", "never earlier than the PO the first waits for");
    assert_eq!(first["status"], "open");
    assert!(first["cancel_url"].as_str().is_some_and(|u| u.contains("/backorders/cancel?token=")));
}

#[test]
fn in_stock_and_deny_products_take_no_backorders() {
    let shop = Shop::create("refuse");
    shop.put_product("INSTOCK", json!({ "name": "Tee", "policy": "backorder", "on_hand": 4 }));
    shop.backorder("INSTOCK", 1, "a@example.com", &ip(1), None).assert_problem(409, "in_stock");
    shop.put_product("DENY", json!({ "name": "Mug", "policy": "deny" }));
    shop.backorder("DENY", 1, "a@example.com", &ip(1), None).assert_problem(409, "not_orderable");
    shop.put_product("GONE", json!({ "name": "Kettle", "policy": "backorder", "discontinued": true }));
    shop.backorder("GONE", 1, "a@example.com", &ip(1), None).assert_problem(409, "not_orderable");
    shop.backorder("MISSING", 1, "a@example.com", &ip(1), None).assert_problem(404, "product_not_found");
    assert!(shop.backorders("DENY").is_empty() && shop.backorders("INSTOCK").is_empty());
}

#[test]
fn idempotency_key_replays_the_first_answer() {
    let shop = Shop::create("idem");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 10 }));
    let first = shop.backorder("JKT", 2, "a@example.com", &ip(1), Some("order-123"));
    assert_eq!(first.status, 201, "{}", first.body);
    let again = shop.backorder("JKT", 2, "a@example.com", &ip(1), Some("order-123"));
    assert_eq!((again.status, again.body.as_str()), (201, first.body.as_str()), "byte-identical replay");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let other = shop.backorder("JKT", 3, "a@example.com", &ip(1), Some("order-123"));
    other.assert_problem(422, "idempotency_key_reused");
    assert_eq!(shop.backorders("JKT").len(), 1, "one backorder, whatever was retried");
    let long = "k".repeat(256);
    shop.backorder("JKT", 1, "z@example.com", &ip(9), Some(&long)).assert_problem(400, "invalid_idempotency_key");
}

#[test]
fn concurrent_retries_with_one_key_create_one_backorder() {
    let shop = Shop::create("idem-race");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 50 }));
    let replies: Vec<_> = thread::scope(|s| {
        let handles: Vec<_> = (0..30)
            .map(|i| {
                let shop = shop.clone();
                s.spawn(move || shop.backorder("JKT", 1, "same@example.com", &ip(i), Some("retry-me")))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let ids: HashSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.body);
            r.json()["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry got the same backorder");
    assert_eq!(shop.backorders("JKT").len(), 1);
    // Never the provisional answer written before the position and promise are known:
    // every reply is the final one, byte for byte.
    let bodies: HashSet<&str> = replies.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(replies[0].json()["position"], 1, "{}", replies[0].body);
}

#[test]
fn cancelling_frees_the_place_and_moves_everyone_up() {
    let shop = Shop::create("cancel");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 2 }));
    let a = shop.backorder("JKT", 1, "a@example.com", &ip(1), None).json();
    let b = shop.backorder("JKT", 1, "b@example.com", &ip(2), None).json();
    shop.backorder("JKT", 1, "c@example.com", &ip(3), None).assert_problem(409, "cap_reached");

    let url = a["cancel_url"].as_str().unwrap_or_default().to_owned();
    let path = link_path(&url);
    let client = Client::from_env();
    let page = client.get(&path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form method=\"post\""), "GET shows a button, changes nothing");
    assert_eq!(shop.backorders("JKT").iter().filter(|o| o["status"] == "open").count(), 2);
    let done = client.request("POST", &path, &[], None);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(client.request("POST", &path, &[], None).status, 200, "cancelling twice is fine");

    let orders = shop.backorders("JKT");
    let status = |id: &serde_json::Value| {
        orders.iter().find(|o| o["id"] == *id).map(|o| (o["status"].clone(), o["position"].clone()))
    };
    assert_eq!(status(&a["id"]), Some((json!("cancelled"), json!(null))));
    assert_eq!(status(&b["id"]), Some((json!("open"), json!(1))), "b moved up to first");
    assert_eq!(shop.backorder("JKT", 1, "c@example.com", &ip(3), None).status, 201, "the place is free again");
}

#[test]
fn merchants_can_cancel_and_see_the_queue() {
    let shop = Shop::create("m-cancel");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let a = shop.backorder("JKT", 2, "a@example.com", &ip(1), None).json();
    let id = a["id"].as_str().unwrap_or_default();
    let one = shop.admin("GET", &format!("/v1/admin/backorders/{id}"), None).json();
    assert_eq!((one["email"].as_str(), one["position"].as_i64()), (Some("a@example.com"), Some(1)));
    let r = shop.admin("POST", &format!("/v1/admin/backorders/{id}/cancel"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "cancelled");
    shop.admin("POST", "/v1/admin/backorders/bo_doesnotexist/cancel", None).assert_problem(404, "backorder_not_found");
}

/// Receives and cancels racing each other: whatever order the Worker applied them in,
/// the result is what the domain's FIFO allocation gives for the orders that survived
/// and the units that arrived. Nothing is lost, nothing allocated twice.
#[test]
fn concurrent_receives_and_cancels_leave_allocations_consistent() {
    use restock_shared::{Date, QueuedOrder, allocate};
    let shop = Shop::create("race");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let mut ids = Vec::new();
    for i in 0..24 {
        let r = shop.backorder("JKT", 1 + (i % 3), &format!("r{i}@example.com"), &ip(i as usize), None);
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap_or_default().to_owned());
    }
    // 8 receives of 1..=5 units and 10 cancels, all at once.
    let receives: Vec<u32> = (0..8).map(|i| 1 + (i * 7) % 5).collect();
    let victims: Vec<String> = ids.iter().step_by(2).take(10).cloned().collect();
    let (received, cancelled): (u32, Vec<String>) = thread::scope(|s| {
        let r: Vec<_> = receives
            .iter()
            .map(|&q| {
                let shop = shop.clone();
                s.spawn(move || {
                    let body = json!({ "quantity": q });
                    let r = shop.admin("POST", "/v1/admin/products/JKT/receive", Some(&body));
                    match r.status {
                        200 => q,
                        503 => 0, // busy after too many lost races: applied nothing
                        other => panic!("receive: {other} {}", r.body),
                    }
                })
            })
            .collect();
        let c: Vec<_> = victims
            .iter()
            .map(|id| {
                let shop = shop.clone();
                s.spawn(move || {
                    let r = shop.admin("POST", &format!("/v1/admin/backorders/{id}/cancel"), None);
                    match r.status {
                        200 => Some(id.clone()),
                        // Fully allocated first, or busy: it stays.
                        409 | 503 => None,
                        other => panic!("cancel: {other} {}", r.body),
                    }
                })
            })
            .collect();
        let received = r.into_iter().map(|h| h.join().expect("receive thread")).sum();
        let cancelled = c.into_iter().filter_map(|h| h.join().expect("cancel thread")).collect();
        (received, cancelled)
    });
    assert!(received > 0 && !cancelled.is_empty(), "the race had both sides: {received} units, {cancelled:?}");

    let mut orders = shop.backorders("JKT");
    orders.sort_by_key(|o| o["seq"].as_i64());
    let survivors: Vec<&serde_json::Value> = orders.iter().filter(|o| o["status"] != "cancelled").collect();
    let gone: HashSet<&str> =
        orders.iter().filter(|o| o["status"] == "cancelled").filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(gone, cancelled.iter().map(String::as_str).collect(), "exactly the accepted cancels took effect");
    assert!(
        orders.iter().filter(|o| o["status"] == "cancelled").all(|o| o["allocated"] == 0),
        "a cancelled order holds nothing"
    );

    // The domain's answer for these survivors and these units, from scratch.
    let day = Date::from_days(0);
    let queue: Vec<QueuedOrder<String>> = survivors
        .iter()
        .map(|o| QueuedOrder {
            id: o["id"].as_str().unwrap_or_default().to_owned(),
            quantity: o["quantity"].as_u64().and_then(|q| u32::try_from(q).ok()).unwrap_or(0),
            allocated: 0,
            placed_on: day,
            promised: None,
        })
        .collect();
    let expected = allocate(&queue, received);
    let mut want = std::collections::HashMap::new();
    for e in &expected.events {
        if let restock_shared::AllocationEvent::Allocated { id, allocated, .. } = e {
            want.insert(id.clone(), *allocated);
        }
    }
    for o in &survivors {
        let id = o["id"].as_str().unwrap_or_default();
        let got = o["allocated"].as_u64().unwrap_or(u64::MAX);
        assert_eq!(got, u64::from(want.get(id).copied().unwrap_or(0)), "order {id} (seq {}): {o}", o["seq"]);
        let full = o["allocated"] == o["quantity"];
        assert_eq!(o["status"] == "allocated", full, "status follows the allocation: {o}");
    }
    let product = shop.admin("GET", "/v1/admin/products/JKT", None).json();
    assert_eq!(product["on_hand"].as_u64(), Some(u64::from(expected.sellable)), "the rest is on hand");
}
