//! Faults: the Worker process killed in the middle of a fan-out, restarted on its
//! persisted local state. Afterwards every subscriber who was due an email got exactly
//! one: nothing lost (the sweep finds what the dead process left half done), nothing
//! doubled (claims, and the provider's `Idempotency-Key` for a send whose answer was lost).

use std::collections::{HashMap, HashSet};
use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop};
use restock_e2e::mailserver::{MailServer, Mode};
use restock_e2e::server::{DevServer, seed_waitlist, start_own};
use serde_json::json;

fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_worker_killed_mid_fan_out_sends_every_email_exactly_once_after_restart() {
    const SUBSCRIBERS: u32 = 1500;
    const UNITS: u32 = 1200;
    let provider = MailServer::start();
    // Every send is answered late, so the kill lands while sends are in flight.
    provider.set_mode(Mode::Stall(Duration::from_millis(30)));
    let operator = "op_crash_test";
    let mut server = start_own(
        "crash",
        operator,
        &[
            ("EMAIL_PROVIDER", "http"),
            ("EMAIL_API_URL", &provider.url),
            ("RETRY_BASE_SECONDS", "1"),
            ("LEASE_SECONDS", "3"),
            ("STUCK_RELEASE_SECONDS", "2"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let shop = Shop::create_on(client, operator, "crash", json!({}));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    server.stop();
    seed_waitlist(&server.options.persist, &shop.id, "MUG", SUBSCRIBERS).unwrap_or_else(|e| panic!("{e}"));
    let options = server.options.clone();
    drop(server);
    let mut server = DevServer::start(options.clone(), Duration::from_secs(90)).unwrap_or_else(|e| panic!("{e}"));

    let r = shop.receive("MUG", UNITS);
    assert_eq!(r["release"]["notify"], UNITS, "{r}");
    wait_until("the fan-out to be under way", 120, || provider.delivered().len() >= (UNITS / 5) as usize);
    server.crash();
    let at_crash = provider.delivered().len();
    assert!(at_crash < UNITS as usize, "the kill came before the end ({at_crash} of {UNITS} delivered)");

    let _server = DevServer::start(options, Duration::from_secs(90)).unwrap_or_else(|e| panic!("{e}"));
    // The scheduled sweep (every 5 minutes in production) finds lost jobs and stale claims.
    wait_until("every due email to be sent", 240, || {
        thread::sleep(Duration::from_millis(900));
        shop.run_cron();
        let page = shop.admin("GET", "/v1/admin/deliveries?kind=restock&limit=1", None).json();
        page["counts"]["sent"] == UNITS
    });

    let delivered = provider.delivered();
    let mut per_recipient: HashMap<&str, usize> = HashMap::new();
    for d in &delivered {
        *per_recipient.entry(d.to.as_str()).or_default() += 1;
    }
    let expected: HashSet<String> = (1..=UNITS).map(|i| format!("w{i:06}@example.com")).collect();
    let got: HashSet<String> = per_recipient.keys().map(|k| (*k).to_owned()).collect();
    let missing: Vec<&String> = expected.difference(&got).take(5).collect();
    let extra: Vec<&String> = got.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "exactly the {UNITS} oldest subscribers, got {}: missing {missing:?}, extra {extra:?} ({at_crash} before the kill)",
        got.len()
    );
    assert!(per_recipient.values().all(|n| *n == 1), "nothing doubled");
    let requests = provider.attempts();
    eprintln!(
        "crash test: {at_crash} delivered before the kill, {} after; {requests} provider requests for {UNITS} emails \
         ({} repeated with the same Idempotency-Key)",
        delivered.len() - at_crash,
        requests - delivered.len()
    );
    let product = shop.admin("GET", "/v1/admin/products/MUG", None).json();
    assert_eq!(product["waitlist_counts"]["notified"], UNITS);
    assert_eq!(product["waitlist_counts"]["active"], SUBSCRIBERS - UNITS, "the rest still wait");
}
