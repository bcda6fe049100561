//! Texts (issue 16): waitlist signups that add a phone number with its own SMS
//! consent, restock waves that text them through Twilio's Messages API (its stand-in,
//! `restock_e2e::twilio`, checks every request as Twilio documents it and fails on
//! command) within the shop's per-wave SMS budget, STOP and START through Twilio's
//! signed inbound webhook, and refusals where texts are not offered.

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::mailbox;
use restock_e2e::server::start_own;
use restock_e2e::twilio::{FROM, Fault, Spoil, TwilioServer, inbound_sms};
use serde_json::{Value, json};

fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(200));
    }
}

const SMS_TEXT: &str = "Text me once when it is back. Msg & data rates may apply. Reply STOP to opt out.";

fn signup_with_phone(shop: &Shop, sku: &str, email: &str, phone: Option<&str>, n: usize) -> restock_e2e::client::Reply {
    let mut body = json!({
        "sku": sku, "email": email, "consent": true,
        "consent_text": "Email me once when it is back.", "locale": "en"
    });
    if let Some(p) = phone {
        body["phone"] = json!(p);
        body["sms_consent_text"] = json!(SMS_TEXT);
    }
    shop.client.send_json("POST", &format!("/v1/shops/{}/waitlist", shop.id), &[("cf-connecting-ip", &ip(n))], &body)
}

/// POSTs Twilio's inbound webhook for `from` texting `text` to the Worker.
fn inbound(client: &Client, url: &str, from: &str, text: &str, spoil: Spoil) -> restock_e2e::client::Reply {
    let hook = inbound_sms(&format!("{url}/v1/hooks/sms/twilio"), from, text, spoil);
    let headers: Vec<(&str, &str)> = hook.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.request("POST", "/v1/hooks/sms/twilio", &headers, Some(hook.body.as_bytes()))
}

fn sms_deliveries(shop: &Shop, sku: &str) -> Vec<Value> {
    shop.all_pages("/v1/admin/deliveries?kind=restock")
        .into_iter()
        .filter(|d| d["channel"] == "sms" && d["sku"] == sku)
        .collect()
}

#[test]
fn restock_waves_text_within_the_budget_and_stop_is_honoured() {
    let stand_in = TwilioServer::start();
    let operator = "op_sms_test";
    let vars = stand_in.vars();
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.extend([("RETRY_BASE_SECONDS", "1"), ("OUTBOUND_TIMEOUT_MS", "800")]);
    let server = start_own("sms", operator, &extra).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let health = client.get("/v1/health").json();
    assert!(!health.to_string().contains("sms_") && !health.to_string().contains("twilio_"), "{health}");

    let shop = Shop::create_on(
        client.clone(),
        operator,
        "sms",
        json!({ "sms_enabled": true, "sms_budget": 3, "sms_consent_text": SMS_TEXT, "sender_name": "Bob's Bikes" }),
    );
    // The widget is offered the phone field, with the shop's SMS text.
    shop.put_product("MUG", json!({ "name": "Stone Mug", "policy": "deny", "url": "https://shop.example/mug" }));
    let batch = client.get(&format!("/v1/shops/{}/availability?skus=MUG", shop.id)).json();
    assert_eq!(batch["shop"]["sms_consent_text"], SMS_TEXT, "{batch}");

    // Five signups with numbers (typed in different ways) and one without, oldest first.
    let phones = ["+44 7700 900001", "+447700900002", "+44 (7700) 900003", "0044 7700 900004", "+447700900005"];
    let e164 = |p: &str| restock_shared::phone::Phone::parse(p).map(|p| p.as_str().to_owned()).unwrap_or_default();
    for (i, p) in phones.iter().enumerate() {
        let r = signup_with_phone(&shop, "MUG", &format!("p{i}@example.com"), Some(p), i);
        assert_eq!(r.status, 202, "{}", r.body);
    }
    let r = signup_with_phone(&shop, "MUG", "email-only@example.com", None, 9);
    assert_eq!(r.status, 202, "{}", r.body);
    let (limited, rejected, fine) = (e164(phones[0]), e164(phones[1]), e164(phones[2]));
    stand_in.fail(&limited, &[Fault::RateLimited]);
    stand_in.fail(&rejected, &[Fault::Reject]);

    // The consent record of the text part: the shop's text, its version, when.
    let rows = shop.all_pages("/v1/admin/products/MUG/waitlist");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["phone"], limited.as_str());
    assert_eq!(rows[0]["sms_consent_text"], SMS_TEXT);
    assert!(rows[0]["sms_consent_version"].as_str().is_some_and(|v| v.len() == 64), "{}", rows[0]);
    assert!(rows[0]["sms_consent_at"].is_number());
    assert_eq!(rows[5]["phone"], Value::Null);

    // One wave of six: six emails, and texts to the three oldest numbers only (budget 3).
    shop.receive("MUG", 6);
    wait_until("every text to be final", 60, || {
        let d = sms_deliveries(&shop, "MUG");
        d.len() == 3 && d.iter().all(|d| d["status"] == "sent" || d["status"] == "dead")
    });
    assert_eq!(stand_in.violations(), Vec::<String>::new(), "every request is one Twilio accepts");
    let texts = sms_deliveries(&shop, "MUG");
    let mut to: Vec<&str> = texts.iter().filter_map(|d| d["recipient"].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, [limited.as_str(), rejected.as_str(), fine.as_str()], "the budget's texts go to the oldest numbers");
    let emails = mailbox::wait_count(&shop, 6, "the wave's six emails");
    assert_eq!(emails.len(), 6);

    let accepted = stand_in.accepted();
    for number in [&limited, &fine] {
        let mine: Vec<_> = accepted.iter().filter(|a| &a.to == number).collect();
        assert_eq!(mine.len(), 1, "{number} got exactly one text");
        assert_eq!(mine[0].from.as_deref(), Some(FROM));
        assert_eq!(
            mine[0].body,
            "Bob's Bikes: Stone Mug is back in stock. https://shop.example/mug Reply STOP to opt out."
        );
        let d = texts.iter().find(|d| d["recipient"] == number.as_str()).cloned().unwrap_or_default();
        assert_eq!((d["status"].as_str(), d["provider_id"].as_str()), (Some("sent"), Some(mine[0].sid.as_str())));
    }
    // 429 then accepted: one retry. Twilio's rejection (21211): dead at once, nothing sent.
    let by = |n: &str| texts.iter().find(|d| d["recipient"] == n).cloned().unwrap_or_default();
    assert_eq!(by(&limited)["attempts"], 2);
    assert_eq!(stand_in.attempts(&limited).iter().map(|a| a.status).collect::<Vec<_>>(), [429, 201]);
    let dead = by(&rejected);
    assert_eq!((dead["status"].as_str(), dead["attempts"].as_i64()), (Some("dead"), Some(1)), "{dead}");
    assert!(dead["last_error"].as_str().is_some_and(|e| e.contains("21211")), "{dead}");
    assert!(accepted.iter().all(|a| a.to != rejected && a.to != e164(phones[3]) && a.to != e164(phones[4])));

    // STOP from one number, through Twilio's signed webhook: empty TwiML, nothing sent.
    let reply = inbound(&client, &server.url, &fine, "stop", Spoil::None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("content-type").is_some_and(|c| c.starts_with("text/xml")));
    assert!(reply.body.contains("<Response></Response>"), "{}", reply.body);
    // Not signed by Twilio (another token, or an edited body): 401, and no START.
    for spoil in [Spoil::WrongToken, Spoil::TamperedBody] {
        inbound(&client, &server.url, &fine, "START", spoil).assert_problem(401, "unauthorized");
    }

    // The stopped number signs up again for another product, beside a new one: only
    // the new number is texted.
    shop.put_product("CUP", json!({ "name": "Cup", "policy": "deny" }));
    let fresh = "+447700900006";
    assert_eq!(signup_with_phone(&shop, "CUP", "again@example.com", Some(&fine), 20).status, 202);
    assert_eq!(signup_with_phone(&shop, "CUP", "new@example.com", Some(fresh), 21).status, 202);
    // The same number on a second signup (another address): still one text per wave.
    assert_eq!(signup_with_phone(&shop, "CUP", "new-again@example.com", Some(fresh), 22).status, 202);
    let cup = shop.all_pages("/v1/admin/products/CUP/waitlist");
    assert!(cup[0]["sms_stopped_at"].is_number(), "the opt-out holds for a new signup: {}", cup[0]);
    shop.receive("CUP", 3);
    wait_until("the new number's text", 60, || {
        sms_deliveries(&shop, "CUP").iter().any(|d| d["recipient"] == fresh && d["status"] == "sent")
    });
    mailbox::wait_count(&shop, 9, "the second wave's emails");
    assert_eq!(sms_deliveries(&shop, "CUP").len(), 1, "none for a number that said STOP, one for a number twice");
    assert_eq!(stand_in.accepted().iter().filter(|a| a.to == fresh).count(), 1);
    assert_eq!(stand_in.accepted().iter().filter(|a| a.to == fine).count(), 1, "still the one text from before");

    // START lifts the opt-out for every signup of the number.
    assert_eq!(inbound(&client, &server.url, &fine, "Start", Spoil::None).status, 200);
    let cup = shop.all_pages("/v1/admin/products/CUP/waitlist");
    assert_eq!(cup[0]["sms_stopped_at"], Value::Null, "{}", cup[0]);
    // Other messages change nothing and still get the empty answer.
    assert_eq!(inbound(&client, &server.url, &fine, "STOP PLEASE", Spoil::None).status, 200);
    assert_eq!(shop.all_pages("/v1/admin/products/CUP/waitlist")[0]["sms_stopped_at"], Value::Null);

    // Erasure by number: its signups, texts and the events that carried it.
    let erased = shop.admin("DELETE", &format!("/v1/admin/subscribers/{}", fresh.replace('+', "%2B")), None);
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(erased.json()["erased"]["waitlist"], 2, "both signups with the number");
    assert!(shop.all_pages("/v1/admin/deliveries").iter().all(|d| d["recipient"] != fresh));
    drop(server);
}

#[test]
fn numbers_are_refused_where_texts_are_not_offered_and_checked_where_they_are() {
    // A deployment whose SMS provider is not one we speak offers no phone field.
    let operator = "op_sms_unknown";
    let server = start_own("sms-unknown", operator, &[("SMS_PROVIDER", "nexmo")]).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);
    let health = client.get("/v1/health").json();
    let codes: Vec<&str> =
        health["problems"].as_array().into_iter().flatten().filter_map(|p| p["code"].as_str()).collect();
    assert!(codes.contains(&"sms_provider_unknown"), "{health}");
    let shop = Shop::create_on(client.clone(), operator, "nosms", json!({ "sms_enabled": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let batch = client.get(&format!("/v1/shops/{}/availability?skus=MUG", shop.id)).json();
    assert_eq!(batch["shop"]["sms_consent_text"], Value::Null, "{batch}");
    let refused = signup_with_phone(&shop, "MUG", "a@example.com", Some("+447700900123"), 1);
    assert_eq!(refused.assert_problem(422, "sms_not_offered")["field"], "phone");
    drop(server);

    // The shared development Worker sends texts to the outbox: a shop that has not
    // turned texts on refuses numbers, one that has checks them field by field.
    let off = Shop::create("sms-off");
    off.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let batch = Client::from_env().get(&format!("/v1/shops/{}/availability?skus=MUG", off.id)).json();
    assert_eq!(batch["shop"]["sms_consent_text"], Value::Null);
    let refused = signup_with_phone(&off, "MUG", "a@example.com", Some("+447700900123"), 2);
    assert_eq!(refused.assert_problem(422, "sms_not_offered")["field"], "phone");
    assert!(off.all_pages("/v1/admin/products/MUG/waitlist").is_empty(), "nothing written");

    let on = Shop::create_with("sms-on", json!({ "sms_enabled": true }));
    on.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let body = |extra: Value| {
        let mut b = json!({ "sku": "MUG", "email": "b@example.com", "consent": true, "consent_text": "ok" });
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        on.client.send_json("POST", &format!("/v1/shops/{}/waitlist", on.id), &[("cf-connecting-ip", &ip(3))], &b)
    };
    for (extra, code, field) in [
        (json!({ "phone": "07700 900123", "sms_consent_text": "ok" }), "invalid_phone", "phone"),
        (json!({ "phone": "+44 (0)20 7946 0000", "sms_consent_text": "ok" }), "invalid_phone", "phone"),
        (json!({ "phone": "+447700900123" }), "missing_field", "sms_consent_text"),
        (json!({ "sms_consent_text": "ok" }), "missing_field", "phone"),
        (json!({ "phone": "+447700900123", "sms_consent_text": "a\u{202e}b" }), "invalid_text", "sms_consent_text"),
    ] {
        let r = body(extra.clone());
        assert_eq!(r.assert_problem(422, code)["field"], field, "{extra}");
    }
    let r = body(json!({ "phone": 447700900123_u64, "sms_consent_text": "ok" }));
    assert_eq!(r.assert_problem(400, "invalid_body")["field"], "phone");
    assert!(on.all_pages("/v1/admin/products/MUG/waitlist").is_empty(), "nothing written");

    // Development: a restock text lands in the outbox, shown at /dev/mailbox.
    let r = body(json!({ "phone": "+1 415 555 0100", "sms_consent_text": "Text me" }));
    assert_eq!(r.status, 202, "{}", r.body);
    let batch = on.client.get(&format!("/v1/shops/{}/availability?skus=MUG", on.id)).json();
    assert!(batch["shop"]["sms_consent_text"].as_str().is_some_and(|t| t.contains("STOP")), "the built-in text");
    on.receive("MUG", 1);
    let texts = mailbox::wait_for(&on.id, "+14155550100", "the restock text", |m| !m.is_empty());
    assert!(
        texts[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Mug is back in stock") && t.ends_with("STOP to opt out."))
    );
}
