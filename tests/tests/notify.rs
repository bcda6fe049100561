//! Notifications against the built Worker: waitlist waves through the queue to the
//! outbox, re-checking stock before each next wave; backorder lifecycle emails;
//! replayed jobs send nothing twice. Webhooks: `webhooks.rs`.

use restock_e2e::client::{Shop, ip};
use restock_e2e::mailbox::{self, settle, wait_count};
use serde_json::{Value, json};

fn recipients(mails: &[Value]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().filter_map(|m| m["to"].as_str().map(str::to_owned)).collect();
    to.sort();
    to
}

#[test]
fn ten_units_notify_exactly_the_ten_oldest_of_fifty_then_waves_follow_stock() {
    let shop = Shop::create("wave");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let emails: Vec<String> = (0..50).map(|i| format!("sub{i:02}@example.com")).collect();
    for (i, e) in emails.iter().enumerate() {
        assert_eq!(shop.signup("MUG", e, &ip(i)).status, 202);
    }
    let r = shop.receive("MUG", 10);
    assert_eq!(r["release"]["notify"], 10);
    let first = wait_count(&shop, 10, "first wave");
    settle(&shop, 10);
    assert_eq!(recipients(&first), emails[..10].to_vec(), "the ten oldest");

    // The interval has not passed: a scheduled run sends nothing.
    shop.run_cron();
    settle(&shop, 10);

    // Seven sold. When the next wave is due, stock is re-checked: 3 left, 3 notified.
    shop.report_order("MUG", 7, "#1");
    shop.make_wave_due("MUG");
    shop.run_cron();
    let second = wait_count(&shop, 13, "second wave");
    settle(&shop, 13);
    let new: Vec<String> = recipients(&second).into_iter().filter(|e| !first.iter().any(|m| m["to"] == *e)).collect();
    assert_eq!(new, emails[10..13].to_vec(), "the next three oldest");

    // Sold out: the next check stops the release.
    shop.report_order("MUG", 3, "#2");
    shop.make_wave_due("MUG");
    shop.run_cron();
    settle(&shop, 13);
    let releases = shop.admin("GET", "/v1/admin/products/MUG", None).json()["releases"].clone();
    assert!(releases.as_array().is_some_and(|r| r.iter().all(|r| r["status"] == "done")), "{releases}");
    let waiting = shop.all_pages("/v1/admin/products/MUG/waitlist?status=active");
    assert_eq!(waiting.len(), 37);
}

#[test]
fn a_ratio_above_one_and_claim_holds_shape_the_wave() {
    let shop = Shop::create_with("ratio", json!({ "release_ratio": 2.0 }));
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "deny" }));
    for i in 0..20 {
        shop.signup("LAMP", &format!("r{i:02}@example.com"), &ip(i));
    }
    assert_eq!(shop.receive("LAMP", 3)["release"]["notify"], 6, "ceil(2.0 x 3)");
    wait_count(&shop, 6, "ratio wave");

    let held = Shop::create_with("hold", json!({ "release_ratio": 2.0, "hold_hours": 24 }));
    held.put_product("LAMP", json!({ "name": "Lamp", "policy": "deny" }));
    for i in 0..20 {
        held.signup("LAMP", &format!("h{i:02}@example.com"), &ip(i));
    }
    assert_eq!(held.receive("LAMP", 3)["release"]["notify"], 3, "one held unit each: never more than the units");
    let mails = wait_count(&held, 3, "held wave");
    assert!(mails.iter().all(|m| m["text"].as_str().is_some_and(|t| t.contains("holding one for you"))));
    let a = held.availability("LAMP").json();
    assert_eq!(a["status"], "out_of_stock", "held units are not for sale to others: {a}");
}

#[test]
fn backorders_get_confirmation_delay_and_allocation_emails() {
    let shop = Shop::create("bo-mail");
    shop.put_product("JKT", json!({ "name": "Rain <jacket>", "policy": "backorder" }));
    let po = shop
        .admin(
            "POST",
            "/v1/admin/products/JKT/purchase-orders",
            Some(&json!({ "quantity": 2, "expected_date": "2031-05-01" })),
        )
        .json();
    let po_id = po["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    shop.backorder("JKT", 1, "first@example.com", &ip(1), None);
    shop.backorder("JKT", 1, "second@example.com", &ip(2), None);
    let conf = mailbox::wait_for(&shop.id, "second@example.com", "a confirmation", |m| !m.is_empty());
    let text = conf[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("number 2 in the queue") && text.contains("1 May 2031"), "{text}");
    assert!(text.contains("/backorders/cancel?token="), "one-click cancel link");
    assert!(conf[0]["html"].as_str().is_some_and(|h| h.contains("Rain &lt;jacket&gt;") && !h.contains("<jacket>")));

    // The supplier cuts the PO: the second shopper's date is gone.
    shop.admin(
        "PUT",
        &format!("/v1/admin/products/JKT/purchase-orders/{po_id}"),
        Some(&json!({ "quantity": 1, "expected_date": "2031-05-01" })),
    );
    let delay = mailbox::wait_for(&shop.id, "second@example.com", "a delay notice", |m| {
        m.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("delayed")))
    });
    let notice = delay
        .iter()
        .find(|m| m["subject"].as_str().is_some_and(|s| s.contains("delayed")))
        .cloned()
        .unwrap_or_default();
    assert!(
        notice["text"]
            .as_str()
            .is_some_and(|t| t.contains("don't know the new date") && t.contains("/backorders/cancel?token="))
    );
    assert!(
        mailbox::messages(&shop.id, "first@example.com")
            .iter()
            .all(|m| !m["subject"].as_str().unwrap_or("").contains("delayed"))
    );

    // Stock for the first: ready to ship.
    shop.receive("JKT", 1);
    mailbox::wait_for(&shop.id, "first@example.com", "a ready-to-ship email", |m| {
        m.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("ready to ship")))
    });
}

#[test]
fn a_replayed_queue_batch_sends_nothing_twice() {
    let shop = Shop::create("replay");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    for i in 0..12 {
        shop.signup("MUG", &format!("re{i:02}@example.com"), &ip(i));
    }
    let release = shop.receive("MUG", 8)["release"]["id"].as_str().unwrap_or_default().to_owned();
    wait_count(&shop, 8, "the wave");
    let log = shop.all_pages("/v1/admin/deliveries?kind=restock");
    assert_eq!(log.len(), 8);
    assert!(log.iter().all(|d| d["status"] == "sent" && d["attempts"] == 1), "{log:?}");
    // Replay every send job, twice, and the release's chunk job.
    let mut jobs: Vec<Value> = log.iter().map(|d| json!({ "t": "send", "d": d["id"] })).collect();
    jobs.extend(jobs.clone());
    jobs.push(json!({ "t": "release", "r": release }));
    jobs.push(json!({ "t": "sweep" }));
    let r = shop.client.send_json("POST", "/dev/queue", &[], &json!({ "jobs": jobs }));
    assert_eq!(r.status, 202, "{}", r.body);
    settle(&shop, 8);
    let after = shop.all_pages("/v1/admin/deliveries?kind=restock");
    assert_eq!(after.len(), 8, "no new deliveries");
    assert!(after.iter().all(|d| d["attempts"] == 1), "nothing was claimed again: {after:?}");
}

fn sql(query: &str) {
    restock_e2e::server::query_sql(std::path::Path::new(&restock_e2e::env::get().persist), query)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn one_reminder_goes_to_who_did_not_buy_and_old_signups_expire() {
    let shop = Shop::create_with("followup", json!({ "reminder_days": 3, "waitlist_expiry_days": 30 }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.put_product("OLD", json!({ "name": "Old", "policy": "deny" }));
    for (i, who) in ["ann", "bob", "cy"].iter().enumerate() {
        assert_eq!(shop.signup("MUG", &format!("{who}@example.com"), &ip(40 + i)).status, 202);
    }
    shop.receive("MUG", 5);
    wait_count(&shop, 3, "the restock notices");
    // Bob bought; the others did not. Three and a half days pass.
    let r = shop.admin(
        "POST",
        "/v1/admin/orders",
        Some(&json!({ "sku": "MUG", "quantity": 1, "reference": "F-1", "email": "bob@example.com" })),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = shop.id.as_str();
    sql(&format!("UPDATE waitlist SET notified_at = notified_at - 302400000 WHERE shop_id = '{id}'"));
    shop.run_cron();
    for who in ["ann", "cy"] {
        mailbox::wait_for(id, &format!("{who}@example.com"), "a reminder", |m| {
            m.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("still in stock")))
        });
    }
    // Once: more runs send nothing more, and the buyer gets none.
    shop.run_cron();
    shop.run_cron();
    let reminders = shop.all_pages("/v1/admin/deliveries?kind=reminder");
    let mut to: Vec<&str> = reminders.iter().filter_map(|d| d["recipient"].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["ann@example.com", "cy@example.com"], "{reminders:?}");
    let reminder = mailbox::messages(id, "ann@example.com")
        .into_iter()
        .find(|m| m["subject"].as_str().is_some_and(|s| s.contains("still in stock")))
        .unwrap_or_default();
    assert!(reminder.to_string().contains("List-Unsubscribe"), "{reminder}");

    // A signup waiting 31 days ends as expired; a fresh one stays.
    shop.signup("OLD", "old@example.com", &ip(50));
    shop.signup("OLD", "new@example.com", &ip(51));
    sql(&format!(
        "UPDATE waitlist SET consent_at = consent_at - 2678400000 WHERE shop_id = '{id}' AND email = 'old@example.com'"
    ));
    shop.run_cron();
    let list = shop.all_pages("/v1/admin/products/OLD/waitlist");
    let state = |email: &str| {
        list.iter()
            .find(|s| s["email"] == email)
            .map(|s| (s["status"].as_str().unwrap_or("").to_owned(), s["ended_reason"].clone()))
    };
    assert_eq!(state("old@example.com"), Some(("unsubscribed".into(), json!("expired"))), "{list:?}");
    assert_eq!(state("new@example.com"), Some(("active".into(), Value::Null)), "{list:?}");
    // Signing up again starts afresh.
    assert_eq!(shop.signup("OLD", "old@example.com", &ip(52)).status, 202);
    let again = shop.all_pages("/v1/admin/products/OLD/waitlist");
    let old = again.iter().find(|s| s["email"] == "old@example.com").cloned().unwrap_or_default();
    assert_eq!((old["status"].as_str(), &old["ended_reason"]), (Some("active"), &Value::Null), "{old}");
}
