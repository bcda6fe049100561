//! Reading the local outbox (the development email provider) through the dev
//! mailbox's JSON view, waiting for messages the queue consumer delivers.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::Client;

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
