//! Bounces and complaints come back (issue 16): each provider's stand-in sends its own
//! webhook, signed as that provider documents it, to a Worker configured for it. A
//! hard bounce or complaint suppresses the address for the shop that sent the email,
//! ends its signups, and the next email to it is skipped; a webhook with a wrong key or
//! an old timestamp is refused with 401 and changes nothing; the suppression list shows
//! a masked hint and a hash, never the address.

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::providers::{Kind, ProviderServer, Spoil, feedback, webhook_secret};
use restock_e2e::server::start_own;
use serde_json::{Value, json};

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(200));
    }
}

fn post(client: &Client, (path, headers, body): (String, Vec<(String, String)>, String)) -> u16 {
    let mut h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    h.push(("content-type", "application/json"));
    client.request("POST", &path, &h, Some(body.as_bytes())).status
}

fn check(kind: Kind) {
    let stand_in = ProviderServer::start(kind);
    let operator = format!("op_fb_{}", kind.name());
    let vars = stand_in.vars();
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.push(("EMAIL_WEBHOOK_SECRET", webhook_secret(kind)));
    let server = start_own(&format!("fb-{}", kind.name()), &operator, &extra).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let shop = Shop::create_on(client.clone(), &operator, "fb", json!({}));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let (bounced, complains, fine) = ("gone@example.com", "angry@example.com", "fine@example.com");
    for (i, e) in [bounced, complains, fine].iter().enumerate() {
        assert_eq!(shop.signup("MUG", e, &ip(i)).status, 202);
    }
    shop.receive("MUG", 3);
    let sent = || shop.all_pages("/v1/admin/deliveries?kind=restock");
    wait_until("three restock emails sent", || sent().iter().filter(|d| d["status"] == "sent").count() == 3);
    let id_of = |to: &str| {
        sent()
            .iter()
            .find(|d| d["recipient"] == to)
            .and_then(|d| d["provider_id"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };

    // Spoiled webhooks are refused and change nothing.
    for spoil in [Spoil::WrongKey, Spoil::Stale] {
        if kind == Kind::Postmark && spoil == Spoil::Stale {
            continue; // Postmark sends no timestamp to be stale.
        }
        assert_eq!(post(&client, feedback(kind, &id_of(bounced), bounced, false, spoil)), 401, "{kind:?} {spoil:?}");
    }
    let list =
        || shop.admin("GET", "/v1/admin/suppressions", None).json()["items"].as_array().cloned().unwrap_or_default();
    assert!(list().is_empty(), "nothing suppressed by a refused webhook");

    assert_eq!(post(&client, feedback(kind, &id_of(bounced), bounced, false, Spoil::None)), 200);
    assert_eq!(post(&client, feedback(kind, &id_of(complains), complains, true, Spoil::None)), 200);
    // A message we never sent changes nothing.
    assert_eq!(post(&client, feedback(kind, "not-ours", fine, false, Spoil::None)), 200);
    let items = list();
    let reasons: Vec<(String, String)> = items
        .iter()
        .map(|s| {
            (s["hint"].as_str().unwrap_or_default().to_owned(), s["reason"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("a•••@example.com".to_owned(), "complaint".to_owned()),
            ("g•••@example.com".to_owned(), "bounce".to_owned())
        ],
        "{items:?}"
    );
    let text = Value::Array(items).to_string();
    assert!(!text.contains(bounced) && !text.contains(complains), "no address kept: {text}");

    // Their signups ended; the fine one's did not.
    let signups = shop.all_pages("/v1/admin/products/MUG/waitlist");
    let status = |e: &str| signups.iter().find(|s| s["email"] == e).map(|s| s["status"].clone()).unwrap_or_default();
    assert_eq!((status(bounced), status(complains)), (json!("unsubscribed"), json!("unsubscribed")));
    assert_eq!(status(fine), "notified");

    // The next email to a suppressed address is skipped, never sent.
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "on_hand": 0 }));
    assert_eq!(shop.backorder("JKT", 1, bounced, &ip(10), None).status, 201);
    let confirmation = || {
        shop.all_pages("/v1/admin/deliveries?kind=backorder_confirmation")
            .into_iter()
            .find(|d| d["recipient"] == bounced)
    };
    wait_until("the confirmation to be decided", || confirmation().is_some_and(|d| d["status"] == "skipped"));
    assert!(stand_in.accepted().iter().all(|a| !(a.to == bounced && a.subject.contains("Jacket"))), "never sent");
}

#[test]
fn resend_bounces_and_complaints_suppress_the_address() {
    check(Kind::Resend);
}

#[test]
fn mailgun_bounces_and_complaints_suppress_the_address() {
    check(Kind::Mailgun);
}

#[test]
fn postmark_bounces_and_complaints_suppress_the_address() {
    check(Kind::Postmark);
}
