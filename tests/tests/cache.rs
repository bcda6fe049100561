//! Availability reads are served from KV snapshots and fall back to D1: a change is
//! visible at once in D1-backed answers and within seconds in cached ones.

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop};
use serde_json::json;

#[test]
fn reads_come_from_kv_and_changes_show_within_seconds() {
    let shop = Shop::create("kv");
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 8, "low_stock_threshold": 3 }));
    let client = Client::from_env();
    let path = format!("/v1/shops/{}/products/TEE/availability", shop.id);
    let first = client.get(&path);
    assert_eq!(first.json()["status"], "in_stock");
    // Snapshots are written after the response; soon a read is served from KV.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = client.get(&path);
        if r.header("x-restock-source") == Some("kv") {
            assert_eq!(r.json()["status"], "in_stock");
            break;
        }
        assert!(Instant::now() < deadline, "never served from KV");
        thread::sleep(Duration::from_millis(100));
    }

    // The merchant sells down to 2: D1-backed answers see it at once.
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 2, "low_stock_threshold": 3 }));
    let fresh = client.get(&format!("{path}?fresh=1"));
    assert_eq!(fresh.header("x-restock-source"), Some("d1"));
    assert_eq!((fresh.json()["status"].as_str(), fresh.json()["left"].as_i64()), (Some("low_stock"), Some(2)));
    // Cached answers follow within seconds.
    let started = Instant::now();
    loop {
        let r = client.get(&path);
        if r.json()["status"] == "low_stock" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "cached answer still stale after 10 s: {}", r.body);
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn batch_reads_mix_snapshots_and_d1() {
    let shop = Shop::create("kv-batch");
    for sku in ["A", "B", "C"] {
        shop.put_product(sku, json!({ "name": sku, "policy": "deny", "on_hand": 1 }));
    }
    let client = Client::from_env();
    let path = format!("/v1/shops/{}/availability?skus=A,B,C", shop.id);
    assert_eq!(client.get(&path).json()["items"].as_array().map(Vec::len), Some(3));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = client.get(&path);
        assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(3));
        if r.header("x-restock-source") == Some("kv") {
            break;
        }
        assert!(Instant::now() < deadline, "batch never served from KV");
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_burst_of_changes_never_fails_because_of_kv() {
    let shop = Shop::create("kv-burst");
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 1 }));
    // KV takes about one write per second per key; the API must not care.
    for n in 0..15 {
        let r = shop.admin(
            "PUT",
            "/v1/admin/products/TEE",
            Some(&json!({ "name": "Tee", "policy": "deny", "on_hand": n })),
        );
        assert!(r.status == 200, "change {n}: {} {}", r.status, r.body);
    }
    assert_eq!(shop.availability("TEE").json()["status"], "in_stock");
}
