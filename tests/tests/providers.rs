//! Each real email provider's adapter against its stand-in (`restock_e2e::providers`),
//! one Worker of its own per provider. One restock wave goes to five subscribers, and
//! the stand-in treats each differently: accepted at once; 429 with `Retry-After: 3`
//! then accepted; 500 then accepted; a hang past the Worker's timeout then accepted;
//! and the provider's own permanent rejection. Every request must be one the provider
//! would take (the stand-in checks auth, path, body and, for SES, the SigV4 signature),
//! the first four end `sent` with the provider's message id, the rejection ends `dead`
//! at once with the provider's error in the delivery log, and the rate-limited one waits
//! for the provider's `Retry-After`, not our 1-second backoff. Each email carries
//! List-Unsubscribe, one-click List-Unsubscribe-Post and List-Id in that provider's form.

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::providers::{FROM, Fault, Kind, ProviderServer};
use restock_e2e::server::start_own;
use serde_json::{Value, json};

fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(200));
    }
}

/// The provider's permanent error as it should appear in `last_error`.
fn rejection(kind: Kind) -> &'static str {
    match kind {
        Kind::Resend => "HTTP 422 validation_error",
        Kind::Postmark => "HTTP 422 ErrorCode 406",
        Kind::SendGrid => "HTTP 400 The to address is on a block list.",
        Kind::Mailgun => "HTTP 400 to parameter is not a valid address.",
        Kind::Ses => "HTTP 400 MessageRejected",
    }
}

fn check(kind: Kind) {
    let stand_in = ProviderServer::start(kind);
    let operator = format!("op_{}_test", kind.name());
    let vars = stand_in.vars();
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.extend([("RETRY_BASE_SECONDS", "1"), ("OUTBOUND_TIMEOUT_MS", "800")]);
    let server = start_own(kind.name(), &operator, &extra).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);

    // Configured completely: nothing about email in /v1/health.
    let health = client.get("/v1/health").json();
    let problems: Vec<&str> =
        health["problems"].as_array().into_iter().flatten().filter_map(|p| p["code"].as_str()).collect();
    assert!(
        !problems.iter().any(|c| c.starts_with("email_") || c.starts_with("aws_") || c.starts_with("mailgun_")),
        "{health}"
    );

    let ok = "ok@example.com";
    let limited = "limited@example.com";
    let down = "down@example.com";
    let hang = "hang@example.com";
    let bad = "bad@example.com";
    let late = "late@example.com";
    stand_in.fail(limited, &[Fault::RateLimited(3)]);
    stand_in.fail(down, &[Fault::ServerError]);
    stand_in.fail(hang, &[Fault::Hang(Duration::from_secs(3))]);
    stand_in.fail(bad, &[Fault::Reject]);
    // A lost answer: only Resend has an idempotency key to make the retry harmless.
    let mut everyone = vec![ok, limited, down, hang, bad];
    if kind == Kind::Resend {
        stand_in.fail(late, &[Fault::AcceptThenHang(Duration::from_secs(2))]);
        everyone.push(late);
    }

    // Restock notices are subscription mail: they come from the shop's own address for it.
    let news = "news@restock.test";
    let settings = json!({ "from_subscription": news, "from_transactional": "orders@restock.test" });
    let shop = Shop::create_on(client.clone(), &operator, kind.name(), settings);
    shop.put_product("MUG", json!({ "name": "Mug, \"the\" best", "policy": "deny" }));
    for (i, e) in everyone.iter().enumerate() {
        shop.signup("MUG", e, &ip(i));
    }
    shop.receive("MUG", u32::try_from(everyone.len()).unwrap_or(0));
    let deliveries = || shop.all_pages("/v1/admin/deliveries?kind=restock");
    wait_until("every delivery to be final", 60, || {
        let d = deliveries();
        d.len() == everyone.len() && d.iter().all(|d| d["status"] == "sent" || d["status"] == "dead")
    });
    assert_eq!(stand_in.violations(), Vec::<String>::new(), "every request is one {} accepts", kind.name());

    let by_to = |to: &str| -> Value {
        deliveries().into_iter().find(|d| d["recipient"] == to).unwrap_or_else(|| panic!("a delivery to {to}"))
    };
    let accepted = stand_in.accepted();
    for to in everyone.iter().filter(|t| **t != bad) {
        let d = by_to(to);
        assert_eq!(d["status"], "sent", "{to}: {d}");
        let mine: Vec<_> = accepted.iter().filter(|a| a.to == *to).collect();
        assert_eq!(mine.len(), 1, "{to} got exactly one email");
        assert_eq!(d["provider_id"], mine[0].id, "{to}: the provider's message id is recorded");
        assert!(mine[0].from.contains(news) && !mine[0].from.contains(FROM), "{:?}", mine[0].from);
        assert!(mine[0].subject.contains("Mug"), "{:?}", mine[0].subject);
        assert!(mine[0].header("List-Unsubscribe").is_some_and(|u| u.starts_with("<http")), "{:?}", mine[0].headers);
        assert_eq!(mine[0].header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
        let list_id = mine[0].header("List-Id").unwrap_or_default();
        assert!(list_id.ends_with(&format!(" <{}.127.0.0.1>", shop.id)), "List-Id {list_id:?}");
    }
    assert_eq!(by_to(ok)["attempts"], 1);
    for to in [limited, down, hang] {
        assert_eq!(by_to(to)["attempts"], 2, "{to}: one failure, one retry");
    }

    // The provider asked for 3 s; our own backoff would have retried after 1 s.
    let tries = stand_in.attempts(limited);
    assert_eq!(tries.iter().map(|a| a.status).collect::<Vec<_>>(), [429, 200]);
    let waited = tries[1].at.duration_since(tries[0].at);
    assert!(waited >= Duration::from_millis(2800), "Retry-After honoured: waited {waited:?}");

    // The permanent rejection: dead at once, the provider's reason kept, nothing sent.
    let dead = by_to(bad);
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(dead["attempts"], 1);
    assert!(dead["last_error"].as_str().is_some_and(|e| e.contains(rejection(kind))), "{dead}");
    assert!(accepted.iter().all(|a| a.to != bad));

    if kind == Kind::Resend {
        // Sent twice (the first answer was lost), delivered once: same key, same id.
        assert_eq!(by_to(late)["attempts"], 2);
        let keys: Vec<_> = accepted.iter().filter(|a| a.to == late).map(|a| a.idempotency_key.clone()).collect();
        assert!(keys.iter().all(Option::is_some), "{keys:?}");
    }
    drop(server);
}

#[test]
fn resend() {
    check(Kind::Resend);
}

#[test]
fn postmark() {
    check(Kind::Postmark);
}

#[test]
fn sendgrid() {
    check(Kind::SendGrid);
}

#[test]
fn mailgun() {
    check(Kind::Mailgun);
}

#[test]
fn amazon_ses() {
    check(Kind::Ses);
}

/// A provider chosen but not configured: `/v1/health` names each missing setting for
/// that provider (and no secret), and emails fail with the first one's code instead of
/// being "sent", so fixing the configuration sends them.
#[test]
fn a_provider_missing_its_settings_is_reported_and_sends_nothing() {
    let operator = "op_incomplete_test";
    let server = start_own(
        "incomplete",
        operator,
        &[("EMAIL_PROVIDER", "mailgun"), ("MAILGUN_REGION", "mars"), ("AWS_SECRET_ACCESS_KEY", "never-shown-123")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let health = client.get("/v1/health");
    let text = health.json().to_string();
    let body = health.json();
    let codes: Vec<&str> =
        body["problems"].as_array().into_iter().flatten().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(
        codes,
        ["email_api_key_missing", "email_from_missing", "mailgun_domain_missing", "mailgun_region_invalid"],
        "{text}"
    );
    assert_eq!(body["status"], "degraded");
    assert!(!text.contains("never-shown-123"));

    let shop = Shop::create_on(client, operator, "incomplete", json!({}));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "a@example.com", &ip(1));
    shop.receive("MUG", 1);
    wait_until("a refused send", 30, || {
        shop.all_pages("/v1/admin/deliveries?kind=restock").first().is_some_and(|d| {
            d["status"] == "failed"
                && d["last_error"].as_str().is_some_and(|e| e.starts_with("email_api_key_missing: "))
        })
    });
    drop(server);
}

/// Cloudflare's own email sending: the `send_email` binding `EMAIL`, which `wrangler
/// dev` simulates locally (it checks the binding's allow-list, logs each message and
/// writes its text to a file). Two recipients the binding allows get their email with
/// the binding's message id; one it refuses ends `dead` at once with its reason. A
/// Worker told to use Cloudflare without the binding reports it in `/v1/health`.
#[test]
fn cloudflare_email_binding() {
    let operator = "op_cloudflare_test";
    let binding =
        "[[send_email]]\nname = \"EMAIL\"\nallowed_destination_addresses = [\"ok@example.com\", \"two@example.com\"]\n";
    let vars = [("EMAIL_PROVIDER", "cloudflare"), ("EMAIL_FROM", FROM), ("RETRY_BASE_SECONDS", "1")];
    let server =
        restock_e2e::server::start_configured("cloudflare", operator, &vars, binding).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let health = client.get("/v1/health").json();
    assert!(!health.to_string().contains("email_"), "{health}");

    let shop = Shop::create_on(client, operator, "cloudflare", json!({ "sender_name": "Bob's Bikes" }));
    shop.put_product("MUG", json!({ "name": "Stone Mug", "policy": "deny" }));
    let everyone = ["ok@example.com", "two@example.com", "blocked@example.com"];
    for (i, e) in everyone.iter().enumerate() {
        assert_eq!(shop.signup("MUG", e, &ip(i)).status, 202);
    }
    shop.receive("MUG", 3);
    let deliveries = || shop.all_pages("/v1/admin/deliveries?kind=restock");
    wait_until("every delivery to be final", 60, || {
        let d = deliveries();
        d.len() == 3 && d.iter().all(|d| d["status"] == "sent" || d["status"] == "dead")
    });
    let by_to = |to: &str| deliveries().into_iter().find(|d| d["recipient"] == to).unwrap_or_default();
    for to in &everyone[..2] {
        let d = by_to(to);
        assert_eq!((d["status"].as_str(), d["attempts"].as_i64()), (Some("sent"), Some(1)), "{d}");
        assert!(d["provider_id"].as_str().is_some_and(|id| id.contains('@')), "the binding's message id: {d}");
    }
    let refused = by_to("blocked@example.com");
    assert_eq!(refused["status"], "dead", "{refused}");
    assert!(refused["last_error"].as_str().is_some_and(|e| e.contains("not allowed")), "{refused}");

    // What the binding was given, as the local simulator logs it.
    let log = server.options.log.clone().unwrap_or_default();
    wait_until("the binding's log lines", 20, || {
        std::fs::read_to_string(&log)
            .is_ok_and(|t| t.matches("send_email binding called with MessageBuilder").count() >= 2)
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for to in &everyone[..2] {
        assert!(text.contains(&format!("To: {to}")), "{to} in the log");
    }
    assert!(text.contains(FROM) && text.contains("Bob's Bikes"), "From is the shop's name and our address");
    assert!(text.contains("Subject: ") && text.contains("Stone Mug"), "the subject names the product");
    assert!(!text.contains("To: blocked@example.com"), "the refused one was never sent");
    drop(server);

    let operator = "op_cloudflare_missing";
    let server = start_own("cloudflare-missing", operator, &vars).unwrap_or_else(|e| panic!("{e}"));
    let health = Client::new(&server.url).get("/v1/health").json();
    let codes: Vec<&str> =
        health["problems"].as_array().into_iter().flatten().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(codes, ["cloudflare_email_binding_missing"], "{health}");
}
