//! Reading the local outbox (the development email provider) through the dev
//! mailbox's JSON view, waiting for messages the queue consumer delivers.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{Client, Shop};

/// Messages to `to` at `shop`, newest first.
pub fn messages(shop: &str, to: &str) -> Vec<Value> {
    let reply = Client::from_env().get(&format!("/dev/mailbox.json?shop={shop}&to={}", to.replace('+', "%2B")));
    assert_eq!(reply.status, 200, "dev mailbox: {}", reply.body);
    reply.json()["items"].as_array().cloned().unwrap_or_default()
}

/// Waits (up to 30 s) until `pred` holds for the messages to `to`; returns them.
#[track_caller]
pub fn wait_for(shop: &str, to: &str, what: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = messages(shop, to);
        if pred(&m) {
            return m;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what} to {to}; have {m:?}");
        thread::sleep(Duration::from_millis(150));
    }
}

/// The first link in a message to `to` whose URL contains `needle` (waits for it).
#[track_caller]
pub fn link(shop: &str, to: &str, needle: &str) -> String {
    let find = |msgs: &[Value]| {
        msgs.iter().find_map(|m| {
            m["text"].as_str().and_then(|t| {
                t.split_whitespace().find(|w| w.starts_with("http") && w.contains(needle)).map(str::to_owned)
            })
        })
    };
    let msgs = wait_for(shop, to, needle, |m| find(m).is_some());
    find(&msgs).unwrap_or_default()
}

/// The `List-Unsubscribe` URL of the newest message to `to` (waits for one).
#[track_caller]
pub fn list_unsubscribe(shop: &str, to: &str) -> String {
    let msgs = wait_for(shop, to, "a message with List-Unsubscribe", |m| {
        m.iter().any(|m| m["headers"]["List-Unsubscribe"].is_string())
    });
    let header = msgs.iter().find_map(|m| m["headers"]["List-Unsubscribe"].as_str()).unwrap_or_default();
    header.trim_start_matches('<').trim_end_matches('>').to_owned()
}

/// The "back in stock" emails in the shop's outbox (newest first).
pub fn restock_mails(shop: &Shop) -> Vec<Value> {
    let r = shop.client.get(&format!("/dev/mailbox.json?shop={}&limit=1000", shop.id));
    r.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains("back in stock")))
        .collect()
}

/// Waits (up to 40 s) for exactly `n` restock emails, failing as soon as there are more.
#[track_caller]
pub fn wait_count(shop: &Shop, n: usize, what: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let m = restock_mails(shop);
        assert!(m.len() <= n, "{what}: more than {n} emails: {}", m.len());
        if m.len() == n {
            return m;
        }
        assert!(Instant::now() < deadline, "{what}: {} of {n} emails after 40 s", m.len());
        thread::sleep(Duration::from_millis(200));
    }
}

/// Waits a little more and checks no more restock email arrives.
#[track_caller]
pub fn settle(shop: &Shop, n: usize) {
    thread::sleep(Duration::from_millis(2500));
    assert_eq!(restock_mails(shop).len(), n, "no more emails after settling");
}
