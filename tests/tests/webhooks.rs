//! Webhooks against the built Worker, received by real local HTTP servers and checked
//! as a Standard Webhooks library checks them (`restock_e2e::hooks::verify`, written
//! from the specification): the event lifecycle; several endpoints with filters; a
//! secret shown once; rotation signing with both secrets; a 410 disabling its
//! endpoint; replay; deletion; the legacy header of endpoints from before.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};
use restock_e2e::client::{Shop, ip};
use restock_e2e::env;
use restock_e2e::hooks::{HookServer, verify};
use restock_e2e::mailserver::Received;
use restock_e2e::server::query_sql;
use serde_json::{Value, json};

fn endpoint(shop: &Shop, url: &str, events: Value) -> Value {
    let r = shop.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": url, "events": events })));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(200));
    }
}

fn secret(v: &Value) -> String {
    v["secret"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn events_are_signed_as_standard_webhooks_and_cover_the_lifecycle() {
    let hooks = HookServer::start();
    let shop = Shop::create("hooks");
    let created = endpoint(&shop, &hooks.url, json!(["*"]));
    let secret = secret(&created);
    assert!(secret.starts_with("whsec_") && secret.len() == 38, "{created}");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    shop.signup("JKT", "w@example.com", &ip(1));
    shop.backorder("JKT", 2, "b@example.com", &ip(2), None);
    shop.receive("JKT", 3);
    let want = ["waitlist.signup", "backorder.created", "stock.received", "restock.released"];
    wait_for("the lifecycle's events", || want.iter().all(|w| hooks.types().iter().any(|t| t == w)));
    let mut ids = Vec::new();
    for r in hooks.received() {
        assert_eq!(verify(&secret, &r), Ok(()), "{}", r.body);
        assert!(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &r).is_err(), "another secret fails");
        let mut changed = r.clone();
        changed.body.push(' ');
        assert!(verify(&secret, &changed).is_err(), "a changed body fails");
        let event: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        assert_eq!(event["shop"], shop.id.as_str());
        assert_eq!(r.header("webhook-id"), event["id"].as_str(), "webhook-id is the event id");
        assert!(event["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{event}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.header("restock-signature").is_none(), "a new endpoint gets only the standard headers");
        ids.push(event["id"].as_str().unwrap_or_default().to_owned());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), hooks.received().len(), "one delivery per event");
}

#[test]
fn endpoints_filter_rotate_disable_replay_and_delete() {
    let shop = Shop::create("endpoints");
    let (all, stock, gone) = (HookServer::start(), HookServer::start(), HookServer::start());
    let a = endpoint(&shop, &all.url, json!(["*"]));
    let b = endpoint(&shop, &stock.url, json!(["stock.received"]));
    let c = endpoint(&shop, &gone.url, json!(["waitlist.signup", "stock.received"]));
    gone.answer(410);
    let id = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();

    // Bad input names its field; nothing is created.
    let bad = |body: Value, field: &str| {
        let r = shop.admin("POST", "/v1/admin/webhooks", Some(&body));
        assert_eq!((r.status, r.json()["field"].as_str()), (422, Some(field)), "{}", r.body);
    };
    bad(json!({ "url": "http://hooks.example/x" }), "url");
    bad(json!({ "url": "https://hooks.example/x", "events": ["stock.recieved"] }), "events");
    bad(json!({ "url": "https://hooks.example/x", "events": [] }), "events");
    bad(json!({ "events": ["*"] }), "url");
    let r = shop.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": "https://h.example", "secret": "whsec_x" })));
    assert_eq!(r.status, 400, "a secret is never chosen by the caller: {}", r.body);

    // The list never shows a secret again.
    let list = shop.admin("GET", "/v1/admin/webhooks", None).json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3), "{list}");
    for (view, created) in list["items"].as_array().into_iter().flatten().zip([&a, &b, &c]) {
        assert!(view["secret"].is_null() && !list.to_string().contains(&secret(created)), "{view}");
        assert_eq!(view["secret_prefix"].as_str(), secret(created).get(..10));
    }

    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "f@example.com", &ip(3));
    // The 410 disables the endpoint: one attempt, never retried, and no later event.
    wait_for("the 410 to disable its endpoint", || {
        shop.admin("GET", &format!("/v1/admin/webhooks/{}", id(&c)), None).json()["enabled"] == false
    });
    let view = shop.admin("GET", &format!("/v1/admin/webhooks/{}", id(&c)), None).json();
    assert!(view["disabled_reason"].as_str().is_some_and(|r| r.contains("410")), "{view}");
    shop.receive("MUG", 1);
    wait_for("the events", || all.types().len() >= 3 && !stock.types().is_empty());
    assert_eq!(stock.types(), ["stock.received"], "the filter takes only its events");
    assert_eq!(gone.types(), ["waitlist.signup"]);

    // Rotation: the answer holds the new secret, once; both secrets sign for a day.
    let rotated =
        shop.admin("PATCH", &format!("/v1/admin/webhooks/{}", id(&a)), Some(&json!({ "rotate_secret": true })));
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_secret = secret(&rotated.json());
    assert!(new_secret.starts_with("whsec_") && new_secret != secret(&a));
    assert!(rotated.json()["previous_secret_until"].as_i64().is_some());
    let before = all.received().len();
    shop.put_product("CUP", json!({ "name": "Cup", "policy": "deny" }));
    assert_eq!(shop.signup("CUP", "g@example.com", &ip(4)).status, 202);
    wait_for("the event after rotation", || all.received().len() > before);
    let after = all.received().last().cloned().expect("an event");
    assert_eq!(after.header("webhook-signature").map(|s| s.split(' ').count()), Some(2));
    assert_eq!(verify(&new_secret, &after), Ok(()));
    assert_eq!(verify(&secret(&a), &after), Ok(()), "the old secret still verifies during the grace");
    assert_eq!(gone.received().len(), 1, "nothing to the disabled endpoint");

    // Replay a delivered event: a new delivery with the same webhook-id.
    let log = shop.all_pages("/v1/admin/deliveries?channel=webhook");
    let sent = log.iter().find(|d| d["recipient"] == a["id"] && d["status"] == "sent").cloned().unwrap_or_default();
    let replay =
        shop.admin("POST", &format!("/v1/admin/deliveries/{}/replay", sent["id"].as_str().unwrap_or("")), None);
    assert_eq!(replay.status, 202, "{}", replay.body);
    let event_id = replay.json()["event_id"].as_str().unwrap_or_default().to_owned();
    wait_for("the replay", || all.received().iter().filter(|r| r.header("webhook-id") == Some(&event_id)).count() == 2);
    let disabled = log.iter().find(|d| d["recipient"] == c["id"]).cloned().unwrap_or_default();
    let r = shop.admin("POST", &format!("/v1/admin/deliveries/{}/replay", disabled["id"].as_str().unwrap_or("")), None);
    r.assert_problem(409, "endpoint_disabled");
    let email = shop.all_pages("/v1/admin/deliveries?channel=email");
    let r = shop.admin("POST", &format!("/v1/admin/deliveries/{}/replay", email[0]["id"].as_str().unwrap_or("")), None);
    r.assert_problem(409, "not_replayable");

    // Enabled again, it gets the next event; deleted, the other gets nothing more.
    gone.answer(200);
    let r = shop.admin("PATCH", &format!("/v1/admin/webhooks/{}", id(&c)), Some(&json!({ "enabled": true })));
    assert_eq!(r.json()["enabled"], true, "{}", r.body);
    assert_eq!(shop.admin("DELETE", &format!("/v1/admin/webhooks/{}", id(&b)), None).status, 204);
    shop.admin("GET", &format!("/v1/admin/webhooks/{}", id(&b)), None).assert_problem(404, "endpoint_not_found");
    shop.receive("MUG", 1);
    wait_for("the enabled endpoint's event", || gone.received().len() == 2);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(stock.types(), ["stock.received"], "nothing to a deleted endpoint");
}

#[test]
fn a_shop_has_at_most_ten_endpoints() {
    let shop = Shop::create("tenhooks");
    for i in 0..10 {
        endpoint(&shop, &format!("https://hooks.example/{i}"), json!(["eta.changed"]));
    }
    let r = shop.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": "https://hooks.example/10" })));
    r.assert_problem(409, "endpoint_limit");
    assert_eq!(shop.admin("GET", "/v1/admin/webhooks", None).json()["items"].as_array().map(Vec::len), Some(10));
}

/// The old `Restock-Signature`, computed independently: hex HMAC-SHA256 of "t.body"
/// keyed with the secret's text.
fn legacy_valid(secret: &str, r: &Received) -> bool {
    let Some((t, v1)) =
        r.header("restock-signature").and_then(|h| h.strip_prefix("t=")).and_then(|h| h.split_once(",v1="))
    else {
        return false;
    };
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(format!("{t}.{}", r.body).as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>() == v1
}

#[test]
fn endpoints_from_before_keep_the_legacy_header_until_rotated() {
    let hooks = HookServer::start();
    let shop = Shop::create("legacy");
    let e = endpoint(&shop, &hooks.url, json!(["waitlist.signup"]));
    let id = e["id"].as_str().unwrap_or_default().to_owned();
    // What migration 0016 makes of a shop's old webhook_url and secret.
    query_sql(Path::new(&env::get().persist), &format!("UPDATE webhook_endpoints SET legacy = 1 WHERE id = '{id}'"))
        .unwrap_or_else(|e| panic!("{e}"));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "l@example.com", &ip(5));
    wait_for("the legacy event", || !hooks.received().is_empty());
    let r = hooks.received()[0].clone();
    assert!(legacy_valid(&secret(&e), &r), "{:?}", r.headers);
    assert_eq!(r.header("restock-event"), Some("waitlist.signup"));
    assert_eq!(verify(&secret(&e), &r), Ok(()), "and the standard headers");
    let view = shop.admin("PATCH", &format!("/v1/admin/webhooks/{id}"), Some(&json!({ "rotate_secret": true }))).json();
    assert_eq!(view["legacy"], false, "a rotation ends the old header");
    shop.signup("MUG", "m@example.com", &ip(6));
    wait_for("the event after rotation", || hooks.received().len() == 2);
    assert!(hooks.received()[1].header("restock-signature").is_none());
}
