//! Notifications on Cloudflare's Free plan (`SUBREQUEST_LIMIT=50`), against the built
//! Worker on a Worker of its own with that limit: a wave of 120 waitlist subscribers is
//! emailed, each once, though a chunk of sends holds only 12 at 50 (`consumer::
//! chunk_fits`) and the wave needs several invocations' subrequests; what an invocation cannot send goes back on the queue as new
//! messages, never as failed attempts (none is dead-lettered), and no invocation
//! meets the limit (`GET /dev/d1`: nothing refused, the most one took within 50).
//! The platform connectors at 50 are `connect_free.rs`.

use std::collections::BTreeSet;
use std::time::Duration;

use restock_e2e::client::{Client, Shop};
use restock_e2e::mailbox::wait_count;
use restock_e2e::server::{DevServer, seed_waitlist, start_own};
use serde_json::{Value, json};

const LIMIT: u64 = 50;
const SUBSCRIBERS: u32 = 120;

/// This isolate's tally of one kind of invocation (`GET /dev/d1`).
fn tally(client: &Client, kind: &str) -> Value {
    let r = client.get("/dev/d1");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()[kind].clone()
}

#[test]
fn at_fifty_a_wave_of_120_is_emailed_each_once_within_the_limit() {
    let operator = "op_freewave";
    let limit = LIMIT.to_string();
    let mut server = start_own("freewave", operator, &[("SUBREQUEST_LIMIT", &limit)]).unwrap_or_else(|e| panic!("{e}"));
    let shop = Shop::create_on(Client::new(&server.url), operator, "freewave", json!({}));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    server.stop();
    seed_waitlist(&server.options.persist, &shop.id, "MUG", SUBSCRIBERS).unwrap_or_else(|e| panic!("{e}"));
    let options = server.options.clone();
    drop(server);
    let server = DevServer::start(options, Duration::from_secs(90)).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let shop = Shop { client: client.clone(), ..shop };

    shop.receive("MUG", SUBSCRIBERS);
    let mails = wait_count(&shop, SUBSCRIBERS as usize, "a wave of 120 at the Free plan's limit");
    let to: BTreeSet<&str> = mails.iter().filter_map(|m| m["to"].as_str()).collect();
    assert_eq!(to.len(), SUBSCRIBERS as usize, "each subscriber once");

    let queue = tally(&client, "queue");
    let invocations = queue["invocations"].as_u64().unwrap_or(0);
    let used = queue["subrequests"].as_u64().unwrap_or(0);
    assert!(used > LIMIT && invocations * LIMIT >= used, "more than one invocation's worth, spread: {queue}");
    assert_eq!(queue["refused"], 0, "no queue invocation met the limit: {queue}");
    assert!(queue["most"].as_u64().is_some_and(|m| m <= LIMIT), "{queue}");
    eprintln!(
        "measured at 50: {SUBSCRIBERS} emails in {invocations} queue invocations, the most one took {}",
        queue["most"]
    );

    // Nothing was given up on: the dead-letter queue's consumer marks what it gets `dead`.
    let deliveries = shop.all_pages("/v1/admin/deliveries?status=dead");
    assert!(deliveries.is_empty(), "dead-lettered: {deliveries:?}");
}
