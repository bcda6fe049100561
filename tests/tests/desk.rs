//! The service desk (issue 18) against the built Worker: looking a shopper up by
//! address (any case) or order reference across backorders, signups, deliveries and
//! notes, paged; moving a backorder within the target's cap under concurrency (nothing
//! moves when the target refuses), moving and ending signups, resending an email at
//! most three times, notes erased with the address, every action audited, bad input a
//! 4xx naming its field; and the dashboard's desk page in Chromium.

use std::thread;

use restock_e2e::browser::Browser;
use restock_e2e::client::{Shop, ip};
use restock_e2e::dashboard::{self, WAIT, axe, main_text, wait_text};
use restock_e2e::env;
use restock_e2e::mailbox;
use serde_json::{Value, json};

fn desk(shop: &Shop, section: &str, q: &str) -> Value {
    let r =
        shop.admin("GET", &format!("/v1/admin/desk/{section}?q={}", q.replace('@', "%40").replace('#', "%23")), None);
    assert_eq!(r.status, 200, "{section} {q}: {}", r.body);
    r.json()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().into_iter().flatten().map(|i| i["id"].as_str().unwrap_or("").to_owned()).collect()
}

fn status(shop: &Shop, id: &str) -> Value {
    shop.admin("GET", &format!("/v1/admin/backorders/{id}"), None).json()
}

fn order(shop: &Shop, sku: &str, qty: i64, email: &str, n: usize, key: Option<&str>) -> String {
    let r = shop.backorder(sku, qty, email, &ip(n), key);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_shopper_is_found_by_address_or_reference_across_everything() {
    let shop = Shop::create("desk-find");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let a = order(&shop, "JKT", 1, "Ada@example.com", 1, Some("shopify-order-1001"));
    let b = order(&shop, "JKT", 2, "ada@example.com", 2, None);
    order(&shop, "JKT", 1, "bob@example.com", 3, None);
    assert_eq!(shop.signup("MUG", "ada@example.com", &ip(4)).status, 202);
    let r = shop.admin("POST", "/v1/admin/orders", Some(&json!({ "sku": "MUG", "quantity": 1, "reference": "#5001", "email": "ada@example.com", "decrement_stock": false })));
    assert_eq!(r.status, 201, "{}", r.body);
    mailbox::wait_for(&shop.id, "ada@example.com", "two confirmations", |m| m.len() >= 2);
    // By address, whatever its case: newest first.
    let orders = desk(&shop, "backorders", "ADA@EXAMPLE.COM");
    assert_eq!(orders["query"], json!({ "kind": "email", "email": "ADA@example.com" }));
    assert_eq!(ids(&orders), [b.clone(), a.clone()]);
    assert_eq!(desk(&shop, "signups", "ada@example.com")["items"][0]["sku"], "MUG");
    let mails = desk(&shop, "deliveries", "ada@example.com");
    assert!(mails["items"].as_array().is_some_and(|m| m.len() >= 2), "{mails}");
    assert!(
        mails["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|d| d["recipient"].as_str().is_some_and(|r| r.eq_ignore_ascii_case("ada@example.com")))
    );
    // By reference: a backorder id, a platform's order number (Idempotency-Key), a
    // reported sale's reference, a delivery id: each finds the same shopper.
    let delivery = mails["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    for reference in [a.as_str(), "shopify-order-1001", "#5001", delivery.as_str()] {
        let found = desk(&shop, "backorders", reference);
        assert_eq!(found["query"]["kind"], "reference", "{reference}");
        assert_eq!(ids(&found), [b.clone(), a.clone()], "{reference}");
    }
    let nothing = desk(&shop, "backorders", "#9999");
    assert_eq!((nothing["query"]["email"].clone(), nothing["items"].clone()), (Value::Null, json!([])));
    // Paged.
    let first = shop.admin("GET", "/v1/admin/desk/backorders?q=ada%40example.com&limit=1", None).json();
    assert_eq!(ids(&first), vec![b.clone()]);
    let cursor = first["next_cursor"].as_str().unwrap_or_default();
    let second = shop
        .admin("GET", &format!("/v1/admin/desk/backorders?q=ada%40example.com&limit=1&cursor={cursor}"), None)
        .json();
    assert_eq!((ids(&second), second["next_cursor"].clone()), (vec![a], Value::Null));
    // Bad input names the field.
    for (path, status, code, field) in [
        ("/v1/admin/desk/backorders", 422, "missing_field", Some("q")),
        ("/v1/admin/desk/backorders?q=ada%40", 422, "out_of_range", Some("q")),
        ("/v1/admin/desk/backorders?q=a%0Ab", 422, "invalid_text", Some("q")),
        ("/v1/admin/desk/backorders?q=ada%40example.com&limit=0", 422, "out_of_range", Some("limit")),
        ("/v1/admin/desk/backorders?q=ada%40example.com&cursor=%%%", 400, "invalid_cursor", None),
        ("/v1/admin/desk/everything?q=ada%40example.com", 404, "route_not_found", None),
    ] {
        let p = shop.admin("GET", path, None).assert_problem(status, code);
        assert_eq!(p["field"].as_str(), field, "{path}: {p}");
    }
}

#[test]
fn moving_a_backorder_respects_the_targets_cap_atomically() {
    let shop = Shop::create("desk-move");
    shop.put_product("JKT-L", json!({ "name": "Jacket L", "policy": "backorder" }));
    shop.put_product("JKT-M", json!({ "name": "Jacket M", "policy": "backorder", "cap": 3 }));
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "backorder", "on_hand": 5 }));
    let big = order(&shop, "JKT-L", 2, "big@example.com", 1, None);
    let small = order(&shop, "JKT-L", 1, "small@example.com", 2, None);
    let behind = order(&shop, "JKT-L", 1, "behind@example.com", 3, None);
    order(&shop, "JKT-M", 2, "m@example.com", 4, None);
    let before = shop.backorders("JKT-M").len();
    // Preview: the plan, the target's date; nothing changes.
    let preview =
        shop.admin("POST", &format!("/v1/admin/backorders/{small}/move?preview=1"), Some(&json!({ "sku": "JKT-M" })));
    assert_eq!(preview.status, 200, "{}", preview.body);
    let preview = preview.json();
    assert_eq!(preview["move"]["to"], "JKT-M");
    assert!(
        preview["says"]
            .as_array()
            .is_some_and(|s| s.iter().any(|w| w.as_str().is_some_and(|w| w.contains("Jacket M")))),
        "{preview}"
    );
    assert_eq!(status(&shop, &small)["status"], "open");
    // 2 more units would pass the cap of 3: refused, nothing moved.
    shop.admin("POST", &format!("/v1/admin/backorders/{big}/move"), Some(&json!({ "sku": "JKT-M" })))
        .assert_problem(409, "cap_reached");
    assert_eq!((status(&shop, &big)["status"].clone(), shop.backorders("JKT-M").len()), (json!("open"), before));
    // One unit fits: it moves to the back of JKT-M's queue; its old place goes on.
    let moved = shop.admin("POST", &format!("/v1/admin/backorders/{small}/move"), Some(&json!({ "sku": "JKT-M" })));
    assert_eq!(moved.status, 200, "{}", moved.body);
    let moved = moved.json();
    let new = moved["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        (moved["sku"].clone(), moved["position"].clone(), moved["moved_from"]["id"].clone()),
        (json!("JKT-M"), json!(2), json!(small))
    );
    assert_eq!(status(&shop, &small)["status"], "cancelled");
    assert_eq!(status(&shop, &new)["status"], "open");
    assert_eq!(status(&shop, &behind)["position"], 2, "the one behind moved up");
    let owed: i64 = shop
        .backorders("JKT-M")
        .iter()
        .filter(|b| b["status"] == "open")
        .map(|b| b["quantity"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(owed, 3, "the cap holds");
    // The shopper hears about the new order, with their page and a cancel link.
    let mails = mailbox::wait_for(&shop.id, "small@example.com", "the new confirmation", |m| {
        m.iter().any(|m| m["subject"] == "Your order of Jacket M")
    });
    let text = mails[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("/backorders/cancel?token=") && text.contains("/backorders/mine?token="), "{text}");
    // Refusals, each naming what is wrong.
    shop.admin("POST", &format!("/v1/admin/backorders/{behind}/move"), Some(&json!({ "sku": "TEE" })))
        .assert_problem(409, "in_stock");
    let p = shop
        .admin("POST", &format!("/v1/admin/backorders/{behind}/move"), Some(&json!({ "sku": "JKT-L" })))
        .assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "sku");
    let p = shop
        .admin("POST", &format!("/v1/admin/backorders/{behind}/move"), Some(&json!({ "sku": "NOPE" })))
        .assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "sku");
    let p = shop
        .admin("POST", &format!("/v1/admin/backorders/{behind}/move"), Some(&json!({ "sku": "<b>" })))
        .assert_problem(422, "invalid_sku");
    assert_eq!(p["field"], "sku");
    let p = shop
        .admin("POST", &format!("/v1/admin/backorders/{behind}/move"), Some(&json!({ "sku": "TEE", "x": 1 })))
        .assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "x");
    shop.admin("POST", &format!("/v1/admin/backorders/{small}/move"), Some(&json!({ "sku": "JKT-M" })))
        .assert_problem(409, "not_movable");
    shop.admin("POST", "/v1/admin/backorders/bo_nope/move", Some(&json!({ "sku": "JKT-M" })))
        .assert_problem(404, "backorder_not_found");
    // Partly allocated: refused (cancel it, or let it complete).
    shop.put_product("PART", json!({ "name": "Part", "policy": "backorder" }));
    let partial = order(&shop, "PART", 3, "part@example.com", 5, None);
    shop.receive("PART", 1);
    assert_eq!(
        (status(&shop, &partial)["allocated"].clone(), status(&shop, &partial)["status"].clone()),
        (json!(1), json!("open"))
    );
    shop.admin("POST", &format!("/v1/admin/backorders/{partial}/move"), Some(&json!({ "sku": "JKT-M" })))
        .assert_problem(409, "partly_allocated");
    // Audited, with what moved where.
    let audit = shop.admin("GET", "/v1/admin/audit?limit=50", None).json();
    let entry = audit["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["path"] == format!("/v1/admin/backorders/{small}/move"))
        .cloned();
    let entry = entry.unwrap_or_else(|| panic!("the move is audited: {audit}"));
    assert_eq!(entry["detail"]["move"]["to"]["id"], json!(new));
}

#[test]
fn concurrent_moves_and_orders_never_pass_the_targets_cap() {
    let shop = Shop::create("desk-race");
    shop.put_product("SRC", json!({ "name": "Source", "policy": "backorder" }));
    shop.put_product("DST", json!({ "name": "Target", "policy": "backorder", "cap": 4 }));
    let sources: Vec<String> = (0..6).map(|i| order(&shop, "SRC", 1, &format!("s{i}@example.com"), i, None)).collect();
    order(&shop, "DST", 2, "d@example.com", 20, None);
    // Two places left; six moves and six new orders race for them.
    let replies: Vec<(u16, String)> = thread::scope(|s| {
        let mut handles = Vec::new();
        for id in &sources {
            let shop = shop.clone();
            handles.push(s.spawn(move || {
                let r = shop.admin("POST", &format!("/v1/admin/backorders/{id}/move"), Some(&json!({ "sku": "DST" })));
                (r.status, r.body)
            }));
        }
        for i in 0..6 {
            let shop = shop.clone();
            handles.push(s.spawn(move || {
                let r = shop.backorder("DST", 1, &format!("n{i}@example.com"), &ip(100 + i), None);
                (r.status, r.body)
            }));
        }
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    for (code, body) in &replies {
        assert!(matches!(code, 200 | 201 | 409 | 503), "{code} {body}");
    }
    let accepted = replies.iter().filter(|(c, _)| matches!(c, 200 | 201)).count();
    assert_eq!(accepted, 2, "{replies:?}");
    let open: Vec<Value> = shop.backorders("DST").into_iter().filter(|b| b["status"] == "open").collect();
    assert_eq!(open.iter().map(|b| b["quantity"].as_i64().unwrap_or(0)).sum::<i64>(), 4, "exactly the cap");
    // Every source order is either still open or moved (cancelled and named), never both or neither.
    let src = shop.backorders("SRC");
    let moved = src.iter().filter(|b| b["status"] == "cancelled").count();
    let moves = replies.iter().take(6).filter(|(c, _)| *c == 200).count();
    assert_eq!(moved, moves, "a source ends exactly when its move succeeded");
    assert_eq!(src.iter().filter(|b| b["status"] == "open").count(), 6 - moves);
}

#[test]
fn signups_move_or_end_and_emails_can_be_resent() {
    let shop = Shop::create("desk-signup");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.put_product("CUP", json!({ "name": "Cup", "policy": "deny" }));
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 3 }));
    shop.signup("CUP", "early@example.com", &ip(1));
    shop.signup("MUG", "ada@example.com", &ip(2));
    shop.signup("CUP", "bob@example.com", &ip(3));
    shop.signup("MUG", "bob@example.com", &ip(4));
    let signup = |email: &str, sku: &str| {
        desk(&shop, "signups", email)["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["sku"] == sku)
            .cloned()
            .unwrap_or_default()
    };
    let ada = signup("ada@example.com", "MUG")["id"].as_str().unwrap_or_default().to_owned();
    let r = shop.admin("POST", &format!("/v1/admin/signups/{ada}/move"), Some(&json!({ "sku": "CUP" })));
    assert_eq!(r.status, 200, "{}", r.body);
    let new = r.json()["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(signup("ada@example.com", "MUG")["ended_reason"], "moved");
    let cup: Vec<String> = shop
        .all_pages("/v1/admin/products/CUP/waitlist")
        .iter()
        .map(|s| s["email"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(cup, ["early@example.com", "bob@example.com", "ada@example.com"], "at the back");
    assert!(
        shop.all_pages("/v1/admin/products/CUP/waitlist")
            .iter()
            .any(|s| s["id"] == json!(new) && s["consent_text"].is_string())
    );
    // Bob is already on CUP's list; TEE is in stock (its waitlist takes no signups).
    let bob = signup("bob@example.com", "MUG")["id"].as_str().unwrap_or_default().to_owned();
    shop.admin("POST", &format!("/v1/admin/signups/{bob}/move"), Some(&json!({ "sku": "CUP" })))
        .assert_problem(409, "already_on_waitlist");
    shop.admin("POST", &format!("/v1/admin/signups/{bob}/move"), Some(&json!({ "sku": "TEE" })))
        .assert_problem(409, "waitlist_closed");
    shop.admin("POST", &format!("/v1/admin/signups/{ada}/move"), Some(&json!({ "sku": "TEE" })))
        .assert_problem(409, "not_movable");
    assert_eq!(signup("bob@example.com", "MUG")["status"], "active", "nothing moved");
    // A signup with a phone number keeps it, and its SMS consent, when it moves.
    let sms_text = "Text me once when it is back. Reply STOP to opt out.";
    let texting = Shop::create_with("desk-sms", json!({ "sms_enabled": true, "sms_consent_text": sms_text }));
    texting.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    texting.put_product("CUP", json!({ "name": "Cup", "policy": "deny" }));
    let body = json!({ "sku": "MUG", "email": "tel@example.com", "consent": true, "consent_text": "Email me once when it is back.",
                       "phone": "+447700900123", "sms_consent_text": sms_text });
    let r = texting.client.send_json(
        "POST",
        &format!("/v1/shops/{}/waitlist", texting.id),
        &[("cf-connecting-ip", "10.7.7.7")],
        &body,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let tel = texting.all_pages("/v1/admin/products/MUG/waitlist")[0]["id"].as_str().unwrap_or_default().to_owned();
    let r = texting.admin("POST", &format!("/v1/admin/signups/{tel}/move"), Some(&json!({ "sku": "CUP" })));
    assert_eq!(r.status, 200, "{}", r.body);
    let moved = texting.all_pages("/v1/admin/products/CUP/waitlist")[0].clone();
    assert_eq!(
        (moved["phone"].clone(), moved["sms_consent_text"].clone()),
        (json!("+447700900123"), json!(sms_text)),
        "{moved}"
    );
    // Ending a signup.
    let ended = shop.admin("POST", &format!("/v1/admin/signups/{bob}/cancel"), None).json();
    assert_eq!(
        (ended["status"].clone(), ended["ended_reason"].clone(), ended["already"].clone()),
        (json!("unsubscribed"), json!("merchant"), json!(false))
    );
    assert_eq!(shop.admin("POST", &format!("/v1/admin/signups/{bob}/cancel"), None).json()["already"], true);
    shop.admin("POST", "/v1/admin/signups/wl_nope/cancel", None).assert_problem(404, "signup_not_found");
    // Resend: a sent email goes again, three times at most.
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    order(&shop, "JKT", 1, "re@example.com", 9, None);
    mailbox::wait_for(&shop.id, "re@example.com", "the confirmation", |m| m.len() == 1);
    let sent = desk(&shop, "deliveries", "re@example.com")["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    for n in 1..=3 {
        let r = shop.admin("POST", &format!("/v1/admin/deliveries/{sent}/resend"), None);
        assert_eq!(r.status, 202, "{}", r.body);
        mailbox::wait_for(&shop.id, "re@example.com", "the copy", |m| m.len() == 1 + n);
    }
    shop.admin("POST", &format!("/v1/admin/deliveries/{sent}/resend"), None).assert_problem(409, "resend_limit");
    let copies = mailbox::messages(&shop.id, "re@example.com");
    assert!(copies.iter().all(|m| m["subject"] == "Your order of Jacket"), "{copies:?}");
    shop.admin("POST", "/v1/admin/deliveries/dl_nope/resend", None).assert_problem(404, "delivery_not_found");
    // Webhooks are replayed, not resent (their ids are long: found by schemathesis, a
    // LIKE on them had passed D1's 50-byte pattern limit).
    let hook = shop.admin("POST", "/v1/admin/webhooks", Some(&json!({ "url": "https://hooks.example/restock" })));
    assert_eq!(hook.status, 201, "{}", hook.body);
    order(&shop, "JKT", 1, "hook@example.com", 10, None);
    let hooks = shop.admin("GET", "/v1/admin/deliveries?channel=webhook", None).json();
    let webhook = hooks["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert!(webhook.len() > 40, "{hooks}");
    shop.admin("POST", &format!("/v1/admin/deliveries/{webhook}/resend"), None).assert_problem(409, "not_resendable");
}

#[test]
fn notes_belong_to_the_address_and_go_when_it_is_erased() {
    let shop = Shop::create("desk-notes");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let mine = order(&shop, "JKT", 1, "ada@example.com", 1, None);
    let theirs = order(&shop, "JKT", 1, "bob@example.com", 2, None);
    let add = |body: Value| shop.admin("POST", "/v1/admin/desk/notes", Some(&body));
    let r =
        add(json!({ "email": "Ada@Example.com", "text": "Called: wants the <b>blue</b> one.", "subject_id": mine }));
    assert_eq!(r.status, 201, "{}", r.body);
    let notes = desk(&shop, "notes", "ada@example.com");
    assert_eq!(notes["items"][0]["text"], "Called: wants the <b>blue</b> one.");
    assert_eq!(notes["items"][0]["subject_id"], json!(mine));
    assert!(notes["items"][0]["actor"].as_str().is_some_and(|a| a.starts_with("sk_")), "{notes}");
    for (body, code, field) in [
        (json!({ "email": "ada@example.com", "text": "x", "subject_id": theirs }), "out_of_range", "subject_id"),
        (json!({ "email": "ada@", "text": "x" }), "invalid_email", "email"),
        (json!({ "email": "ada@example.com", "text": " " }), "missing_field", "text"),
        (json!({ "email": "ada@example.com", "text": "a\nb" }), "invalid_text", "text"),
    ] {
        assert_eq!(add(body.clone()).assert_problem(422, code)["field"], field, "{body}");
    }
    assert_eq!(
        desk(&shop, "notes", "ada@example.com")["items"].as_array().map(Vec::len),
        Some(1),
        "refusals wrote nothing"
    );
    let erased = shop.admin("DELETE", "/v1/admin/subscribers/ada%40example.com", None);
    assert_eq!(erased.json()["erased"]["notes"], 1, "{}", erased.body);
    assert_eq!(desk(&shop, "notes", "ada@example.com")["items"], json!([]));
}

#[test]
fn the_dashboard_desk_finds_a_shopper_and_acts() {
    let shop = Shop::create("desk-dash");
    shop.put_product("JKT-L", json!({ "name": "Jacket L", "policy": "backorder" }));
    shop.put_product("JKT-M", json!({ "name": "Jacket M", "policy": "backorder" }));
    let id = order(&shop, "JKT-L", 1, "ada@example.com", 1, None);
    mailbox::wait_for(&shop.id, "ada@example.com", "the confirmation", |m| !m.is_empty());
    let b = Browser::launch();
    dashboard::sign_in(&b, &env::get().url, &shop.key);
    wait_text(&b, "signed in", "Demand");
    b.goto(&format!("{}/dashboard/#/desk", env::get().url));
    wait_text(&b, "the desk", "Service desk");
    let q = b.find("main form[role=search] input[type=search]");
    b.type_into(&q, "ada@example.com");
    b.click(&b.find("main form[role=search] button[type=submit]"));
    wait_text(&b, "the shopper's orders", "JKT-L");
    let text = main_text(&b);
    for words in ["Backorders", "Waitlist signups", "Emails", "Notes", "backorder_confirmation"] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert_eq!(axe(&b), Vec::<Value>::new(), "the desk page");
    // Move it, previewed first.
    let to = b.find(&format!("main input[aria-label='Move {id} to SKU']"));
    b.type_into(&to, "JKT-M");
    b.click(&b.find("main button[data-action=move]"));
    b.wait_for(
        "the move's preview",
        "const p = document.querySelector('main .preview'); return p && p.textContent.includes('Jacket M')",
        WAIT,
    );
    assert_eq!(status(&shop, &id)["status"], "open", "a preview changes nothing");
    b.click(&b.find("main button[data-action=confirm-move]"));
    b.wait_for("the move", "return document.getElementById('announce').textContent.includes('Moved')", WAIT);
    assert_eq!(status(&shop, &id)["status"], "cancelled");
    // The desk shows it again as it is now: the old order ended, the new one open.
    wait_text(&b, "the moved order", "JKT-M");
    b.wait_for("the notes form", "return document.querySelector('main textarea[name=note]') !== null", WAIT);
    // A note.
    let note = b.find("main textarea[name=note]");
    b.type_into(&note, "Asked for size M by phone.");
    b.click(&b.find("main button[data-action=note]"));
    wait_text(&b, "the note", "Asked for size M by phone.");
    assert_eq!(desk(&shop, "notes", "ada@example.com")["items"][0]["text"], "Asked for size M by phone.");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the desk page after acting");
}
