//! Bounces and complaints come back (issue 16): each provider's stand-in sends its own
//! webhook, signed as that provider documents it, to a Worker configured for it. A
//! hard bounce or complaint suppresses the address for the shop that sent the email,
//! ends its signups, and the next email to it is skipped; a webhook with a wrong key or
//! an old timestamp is refused with 401 and changes nothing; the suppression list shows
//! a masked hint and a hash, never the address. SendGrid signs with ECDSA P-256 and
//! SES's feedback comes through Amazon SNS, signed with RSA and a certificate the
//! Worker fetches from SNS's host (the stand-in, trusted in development only).

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::providers::{Kind, ProviderServer, SNS_TOPIC_ARN, Spoil, feedback, sns_message, webhook_secret};
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
    // SNS posts its JSON as text/plain.
    let sns = path.ends_with("/ses");
    h.push(("content-type", if sns { "text/plain; charset=UTF-8" } else { "application/json" }));
    client.request("POST", &path, &h, Some(body.as_bytes())).status
}

fn check(kind: Kind) {
    let stand_in = ProviderServer::start(kind);
    let operator = format!("op_fb_{}", kind.name());
    let vars = stand_in.vars();
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let host = stand_in.host();
    if kind == Kind::Ses {
        extra.extend([("SES_SNS_TOPIC_ARN", SNS_TOPIC_ARN), ("AWS_SNS_TEST_HOST", host.as_str())]);
    } else {
        extra.push(("EMAIL_WEBHOOK_SECRET", webhook_secret(kind)));
    }
    let server = start_own(&format!("fb-{}", kind.name()), &operator, &extra).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    if kind == Kind::Ses {
        confirm_sns_subscription(&client, &stand_in);
    }
    let base = stand_in.base.clone();
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
        // Postmark sends no timestamp to be stale; SendGrid and SNS document no time
        // window (they retry for a day with the message as signed).
        if matches!(kind, Kind::Postmark | Kind::SendGrid | Kind::Ses) && spoil == Spoil::Stale {
            continue;
        }
        let hook = feedback(kind, &base, &id_of(bounced), bounced, false, spoil);
        assert_eq!(post(&client, hook), 401, "{kind:?} {spoil:?}");
    }
    let list =
        || shop.admin("GET", "/v1/admin/suppressions", None).json()["items"].as_array().cloned().unwrap_or_default();
    assert!(list().is_empty(), "nothing suppressed by a refused webhook");

    assert_eq!(post(&client, feedback(kind, &base, &id_of(bounced), bounced, false, Spoil::None)), 200);
    assert_eq!(post(&client, feedback(kind, &base, &id_of(complains), complains, true, Spoil::None)), 200);
    // A message we never sent changes nothing.
    assert_eq!(post(&client, feedback(kind, &base, "not-ours", fine, false, Spoil::None)), 200);
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

#[test]
fn sendgrid_bounces_and_complaints_suppress_the_address() {
    check(Kind::SendGrid);
}

#[test]
fn ses_bounces_and_complaints_through_sns_suppress_the_address() {
    check(Kind::Ses);
}

/// SNS's subscription handshake: a confirmation whose certificate URL is not SNS's, or
/// that is not signed, or that names another topic, is refused and confirms nothing;
/// the real one is confirmed by fetching its `SubscribeURL`, and the certificate is
/// fetched once for every message signed with it.
fn confirm_sns_subscription(client: &Client, stand_in: &ProviderServer) {
    let base = &stand_in.base;
    let subscribe = format!("{base}/?Action=ConfirmSubscription&TopicArn={SNS_TOPIC_ARN}&Token=tok-1");
    let text = "You have chosen to subscribe to the topic. To confirm the subscription, visit the SubscribeURL.";
    let extra = [("Token", "tok-1"), ("SubscribeURL", subscribe.as_str())];
    let good = sns_message(base, "SubscriptionConfirmation", text, &extra, Spoil::None);
    let send = |body: String| {
        let headers = vec![("x-amz-sns-message-type".to_owned(), "SubscriptionConfirmation".to_owned())];
        post(client, ("/v1/hooks/email/ses".to_owned(), headers, body))
    };
    // A certificate from anywhere but SNS's host is never fetched.
    let foreign = good.replace(base.as_str(), "https://evil.example");
    assert_eq!(send(foreign), 401);
    // On SNS's host but no certificate there: not SNS's message (401), not our fault (500).
    let missing = good.replace("/SimpleNotificationService-restock-test.pem", "/SimpleNotificationService-missing.pem");
    assert_eq!(send(missing), 401);
    assert_eq!(stand_in.certificates_served(), 0);
    assert_eq!(send(sns_message(base, "SubscriptionConfirmation", text, &extra, Spoil::WrongKey)), 401);
    let other_topic = good.replace(SNS_TOPIC_ARN, "arn:aws:sns:eu-west-1:999999999999:someone-else");
    assert_eq!(send(other_topic), 401);
    assert!(stand_in.sns_confirmed().is_empty(), "nothing confirmed by a refused message");
    assert_eq!(send(good), 200);
    assert_eq!(stand_in.sns_confirmed(), ["tok-1"]);
    assert_eq!(stand_in.certificates_served(), 1, "fetched once, then kept");
}
