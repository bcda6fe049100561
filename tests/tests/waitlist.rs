//! Waitlist signups against the built Worker: idempotent per (shop, SKU, email), no
//! leak of membership, honeypot, rate limits, double opt-in and one-click unsubscribe.

use restock_e2e::client::{Client, Shop, ip, link_path};
use restock_e2e::mailbox;
use serde_json::{Value, json};

fn signups(shop: &Shop, sku: &str) -> Vec<Value> {
    shop.all_pages(&format!("/v1/admin/products/{sku}/waitlist"))
}

#[test]
fn repeated_signups_are_one_row_and_answer_the_same() {
    let shop = Shop::create("wl-idem");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let first = shop.signup("MUG", "ada@example.com", &ip(1));
    let again = shop.signup("MUG", "ada@example.com", &ip(2));
    let other = shop.signup("MUG", "bob@example.com", &ip(3));
    for r in [&first, &again, &other] {
        assert_eq!(r.status, 202, "{}", r.body);
    }
    assert_eq!(first.body, again.body, "a repeat answers exactly like a first signup");
    assert_eq!(first.body, other.body, "so nobody can tell who is on the list");
    assert_eq!(first.json()["status"], "subscribed");
    let rows = signups(&shop, "MUG");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["email"], "ada@example.com");
    assert_eq!(rows[0]["consent_text"], "Email me once when it is back.");
    assert!(rows[0]["consent_at"].as_i64().is_some());
    // Differently cased domains are the same subscriber.
    assert_eq!(shop.signup("MUG", "ada@EXAMPLE.com", &ip(4)).status, 202);
    assert_eq!(signups(&shop, "MUG").len(), 2);
}

#[test]
fn the_honeypot_drops_bots_silently() {
    let shop = Shop::create("wl-bot");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let body = json!({ "sku": "MUG", "email": "bot@example.com", "consent": true, "consent_text": "ok", "website": "http://spam.example" });
    let r = shop.client.send_json("POST", &format!("/v1/shops/{}/waitlist", shop.id), &[], &body);
    assert_eq!(r.status, 202, "the bot is told it worked");
    assert!(signups(&shop, "MUG").is_empty(), "and nothing was stored");
}

#[test]
fn signups_are_rate_limited_per_ip_and_per_email() {
    let shop = Shop::create("wl-rate");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(shop.signup("MUG", &format!("p{i}@example.com"), "203.0.113.7").status);
    }
    assert_eq!(&statuses[..10], &[202; 10]);
    let limited = shop.signup("MUG", "late@example.com", "203.0.113.7");
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").and_then(|s| s.parse::<u32>().ok()).is_some_and(|s| s > 0));
    assert_eq!(shop.signup("MUG", "late@example.com", "203.0.113.8").status, 202, "another IP is fine");

    let mut per_email = Vec::new();
    for i in 0..6 {
        per_email.push(shop.signup("MUG", "same@example.com", &ip(100 + i)).status);
    }
    assert_eq!(per_email, [202, 202, 202, 202, 202, 429], "five per address per hour");
    assert_eq!(signups(&shop, "MUG").len(), 12, "limited requests wrote nothing");
}

#[test]
fn in_stock_or_closed_products_take_no_signups() {
    let shop = Shop::create("wl-closed");
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 5 }));
    shop.signup("TEE", "a@example.com", &ip(1)).assert_problem(409, "waitlist_closed");
    shop.put_product("OFF", json!({ "name": "Off", "policy": "deny", "waitlist": false }));
    shop.signup("OFF", "a@example.com", &ip(1)).assert_problem(409, "waitlist_closed");
    shop.signup("NOPE", "a@example.com", &ip(1)).assert_problem(404, "product_not_found");
}

#[test]
fn double_opt_in_confirms_through_a_signed_link() {
    let shop = Shop::create_with("wl-doi", json!({ "double_opt_in": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let r = shop.signup("MUG", "ada@example.com", &ip(1));
    assert_eq!(r.json()["status"], "pending_confirmation");
    let row = &signups(&shop, "MUG")[0];
    assert_eq!(row["status"], "pending");
    let url = mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token=");
    let client = Client::from_env();
    let page = client.get(&link_path(&url));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Mug") && page.body.contains("<form method=\"post\""));
    assert_eq!(signups(&shop, "MUG")[0]["status"], "pending", "GET changes nothing");
    assert_eq!(client.request("POST", &link_path(&url), &[], None).status, 200);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "active");
    assert_eq!(client.request("POST", &link_path(&url), &[], None).status, 200, "idempotent");
    let forged = link_path(&url).replace(".c.", ".u.");
    assert_eq!(client.request("POST", &forged, &[], None).status, 400);
}

#[test]
fn one_click_unsubscribe_per_rfc_8058() {
    let shop = Shop::create_with("wl-unsub", json!({ "double_opt_in": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "ada@example.com", &ip(1));
    let confirm = mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token=");
    let client = Client::from_env();
    client.request("POST", &link_path(&confirm), &[], None);
    let unsub = mailbox::list_unsubscribe(&shop.id, "ada@example.com");
    let page = client.get(&link_path(&unsub));
    assert_eq!(page.status, 200);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "active", "GET only shows a page");
    // What a mail client sends for List-Unsubscribe-Post: List-Unsubscribe=One-Click.
    let r = client.request(
        "POST",
        &link_path(&unsub),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(b"List-Unsubscribe=One-Click"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "unsubscribed");
    // Signing up again later re-subscribes (with fresh consent).
    shop.signup("MUG", "ada@example.com", &ip(2));
    assert_eq!(signups(&shop, "MUG")[0]["status"], "pending");
}
