//! Email provider failures against a Worker of this test's own, configured with the
//! HTTP email adapter pointed at a stand-in provider that fails on command. Whatever
//! the provider does, every email that is due is delivered, and exactly once.

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::mailserver::{MailServer, Mode};
use restock_e2e::server::start_own;
use serde_json::json;

fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(200));
    }
}

fn restock_deliveries(shop: &Shop) -> Vec<serde_json::Value> {
    shop.all_pages("/v1/admin/deliveries?kind=restock")
}

#[test]
fn outages_timeouts_and_rejections_end_with_every_email_sent_exactly_once() {
    let provider = MailServer::start();
    let operator = "op_provider_test";
    let server = start_own(
        "provider",
        operator,
        &[
            ("EMAIL_PROVIDER", "http"),
            ("EMAIL_API_URL", &provider.url),
            ("RETRY_BASE_SECONDS", "1"),
            ("OUTBOUND_TIMEOUT_MS", "800"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);

    // 1. The provider is down while a wave goes out, then recovers.
    provider.set_mode(Mode::Fail);
    let shop = Shop::create_on(client.clone(), operator, "outage", json!({}));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let emails: Vec<String> = (0..12).map(|i| format!("o{i:02}@example.com")).collect();
    for (i, e) in emails.iter().enumerate() {
        shop.signup("MUG", e, &ip(i));
    }
    shop.receive("MUG", 8);
    wait_until("failed attempts", 30, || {
        let d = restock_deliveries(&shop);
        d.len() == 8
            && d.iter().all(|d| d["status"] == "failed" && d["last_error"].as_str().is_some_and(|e| e.contains("503")))
    });
    assert!(provider.delivered().is_empty());
    provider.set_mode(Mode::Accept);
    wait_until("recovery", 60, || restock_deliveries(&shop).iter().all(|d| d["status"] == "sent"));
    let mut to: Vec<String> = provider.delivered().iter().map(|d| d.to.clone()).collect();
    to.sort();
    assert_eq!(to, emails[..8].to_vec(), "each of the 8 oldest exactly once");
    assert!(provider.attempts() > 8, "there were retries");
    let sent = provider.delivered();
    assert!(sent.iter().all(|d| d.body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"));

    // 2. The provider accepts but answers too late: we retry, it dedupes by key.
    provider.set_mode(Mode::Stall(Duration::from_millis(2500)));
    let slow = Shop::create_on(client.clone(), operator, "stall", json!({}));
    slow.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    for i in 0..4 {
        slow.signup("MUG", &format!("s{i}@example.com"), &ip(100 + i));
    }
    let before = provider.delivered().len();
    slow.receive("MUG", 4);
    wait_until("stalled sends to be retried", 30, || {
        restock_deliveries(&slow).iter().any(|d| d["attempts"].as_i64().unwrap_or(0) >= 2)
    });
    provider.set_mode(Mode::Accept);
    wait_until("stalled sends to complete", 60, || restock_deliveries(&slow).iter().all(|d| d["status"] == "sent"));
    let delivered = provider.delivered();
    let new: Vec<_> = delivered[before..].iter().collect();
    assert_eq!(new.len(), 4, "one delivery per recipient whatever the retries");
    let keys: std::collections::HashSet<_> = new.iter().map(|d| d.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 4);

    // 3. A permanent rejection is dead at once, visible, and can be retried by hand.
    provider.set_mode(Mode::Reject);
    let bad = Shop::create_on(client.clone(), operator, "reject", json!({}));
    bad.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    bad.signup("MUG", "r@example.com", &ip(200));
    bad.receive("MUG", 1);
    wait_until("a dead delivery", 30, || restock_deliveries(&bad).first().is_some_and(|d| d["status"] == "dead"));
    let dead = restock_deliveries(&bad)[0].clone();
    assert!(dead["last_error"].as_str().is_some_and(|e| e.contains("400")));
    let counts = bad.admin("GET", "/v1/admin/deliveries?status=dead", None).json();
    assert_eq!(counts["counts"]["dead"], 1);
    provider.set_mode(Mode::Accept);
    let id = dead["id"].as_str().unwrap_or_default();
    assert_eq!(bad.admin("POST", &format!("/v1/admin/deliveries/{id}/retry"), None).status, 202);
    wait_until("the retried delivery", 30, || restock_deliveries(&bad)[0]["status"] == "sent");
    assert!(provider.delivered().iter().any(|d| d.to == "r@example.com"));
    bad.admin("POST", &format!("/v1/admin/deliveries/{id}/retry"), None).assert_problem(409, "not_retryable");
    drop(server);
}
