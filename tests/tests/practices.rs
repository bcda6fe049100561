//! The practices shop guides recommend (issue 18), against the built Worker:
//! alternatives in the public answer (picked, else same category then supplier; only
//! what is in stock; read from a foreign origin in Chromium), the shopper's page of
//! their orders (every order of their address, what changed, cancel, expired links
//! with a way back, escaping, 7 languages, axe-core), regular status updates (only
//! when due and nothing else was sent, never twice), forecasts (the numbers checked
//! against the formula, in the API and the supplier digest), editable emails (the
//! shop's copy in real emails, the built-in elsewhere, placeholders refused), and
//! incentives in the emails the shop picked.

use std::path::Path;

use restock_e2e::browser::Browser;
use restock_e2e::client::{Client, Shop, ip, link_path};
use restock_e2e::dashboard::{WAIT, axe};
use restock_e2e::env;
use restock_e2e::mailbox;
use restock_e2e::server::query_sql;
use restock_e2e::shopsite::ShopSite;
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

fn sql(statement: &str) -> Value {
    query_sql(Path::new(&env::get().persist), statement).unwrap_or_else(|e| panic!("{statement}: {e}"))
}

/// The rows of a one-statement query.
fn rows(statement: &str) -> Vec<Value> {
    sql(statement)[0]["results"].as_array().cloned().unwrap_or_default()
}

fn alternatives(shop: &Shop, sku: &str) -> Vec<(String, String)> {
    let r = shop.availability(sku);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["alternatives"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| (a["sku"].as_str().unwrap_or("").to_owned(), a["status"].as_str().unwrap_or("").to_owned()))
        .collect()
}

fn pair(sku: &str, status: &str) -> (String, String) {
    (sku.to_owned(), status.to_owned())
}

#[test]
fn out_of_stock_answers_offer_alternatives_in_stock() {
    let shop = Shop::create("alt");
    let p = |name: &str, on_hand: u32, extra: Value| {
        let mut body = json!({ "name": name, "policy": "deny", "on_hand": on_hand });
        if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        body
    };
    shop.put_product("MUG", p("Mug", 0, json!({ "category": "Mugs", "supplier": "Clay Co" })));
    shop.put_product("MUG-B", p("Blue mug", 5, json!({ "category": "Mugs", "url": "/p/mug-b" })));
    shop.put_product("MUG-C", p("Cream mug", 2, json!({ "category": "Mugs", "low_stock_threshold": 3 })));
    shop.put_product("MUG-D", p("Dark mug", 0, json!({ "category": "Mugs" })));
    shop.put_product("MUG-E", p("Gone mug", 9, json!({ "category": "Mugs", "discontinued": true })));
    shop.put_product("CUP", p("Cup", 4, json!({ "supplier": "Clay Co" })));
    shop.put_product("BOWL", p("Bowl", 7, json!({ "category": "Bowls" })));
    // Same category first (by SKU), then same supplier; never out of stock or discontinued.
    assert_eq!(
        alternatives(&shop, "MUG"),
        [pair("MUG-B", "in_stock"), pair("MUG-C", "low_stock"), pair("CUP", "in_stock")]
    );
    let answer = shop.availability("MUG").json();
    assert_eq!(answer["status"], "out_of_stock");
    assert_eq!(
        answer["alternatives"][0],
        json!({ "sku": "MUG-B", "name": "Blue mug", "url": "/p/mug-b", "status": "in_stock" })
    );
    // In stock: none. Units owed to backorders are not in stock either.
    assert!(alternatives(&shop, "MUG-B").is_empty());
    shop.put_product("JKT", p("Jacket", 0, json!({ "category": "Mugs", "policy": "backorder" })));
    assert_eq!(shop.backorder("JKT", 1, "a@example.com", &ip(1), None).status, 201);
    assert!(alternatives(&shop, "JKT").is_empty(), "a backorderable product can be ordered: no alternatives");
    // The merchant's picks replace the automatic ones, in their order; [] turns them off.
    shop.put_product("MUG", p("Mug", 0, json!({ "category": "Mugs", "alternatives": ["BOWL", "MUG-D", "CUP"] })));
    assert_eq!(alternatives(&shop, "MUG"), [pair("BOWL", "in_stock"), pair("CUP", "in_stock")], "MUG-D is sold out");
    let detail = shop.admin("GET", "/v1/admin/products/MUG", None).json();
    assert_eq!(
        (detail["category"].clone(), detail["alternatives"].clone()),
        (json!("Mugs"), json!(["BOWL", "MUG-D", "CUP"]))
    );
    shop.put_product("MUG", p("Mug", 0, json!({ "category": "Mugs", "alternatives": [] })));
    assert!(alternatives(&shop, "MUG").is_empty());
    // Discontinued products offer them too; the batch endpoint carries them per item.
    shop.put_product("OLD", p("Old mug", 0, json!({ "category": "Mugs", "discontinued": true })));
    let batch = shop.client.get(&format!("/v1/shops/{}/availability?skus=OLD,MUG-B&fresh=1", shop.id)).json();
    assert_eq!(batch["items"][0]["status"], "discontinued");
    assert_eq!(batch["items"][0]["alternatives"].as_array().map(Vec::len), Some(2), "{batch}");
    assert_eq!(batch["items"][1]["alternatives"], json!([]));
    // A cached answer carries them too and costs what any cached answer costs: no D1,
    // the same KV reads as a SKU without alternatives.
    let cost = |sku: &str| {
        let path = format!("/v1/shops/{}/products/{sku}/availability", shop.id);
        let first = shop.client.get(&path);
        let cached = shop.client.get(&path);
        assert_eq!(cached.header("x-restock-source"), Some("kv"), "{first:?}");
        assert_eq!(cached.json()["alternatives"], first.json()["alternatives"]);
        let d1 = |r: &restock_e2e::client::Reply| r.header("x-restock-d1").unwrap_or_default().to_owned();
        eprintln!("availability of {sku}: computed {} / cached {}", d1(&first), d1(&cached));
        d1(&cached)
    };
    for sku in ["OLD", "MUG-B"] {
        let computed = shop.availability(sku);
        eprintln!("availability of {sku} from D1: {}", computed.header("x-restock-d1").unwrap_or_default());
    }
    let with = cost("OLD");
    assert!(with.starts_with("rows_read=0; rows_written=0;"), "{with}");
    assert_eq!(with, cost("MUG-B"), "a cached answer with alternatives costs no more");
}

#[test]
fn alternatives_are_validated_and_stay_within_the_shop() {
    let shop = Shop::create("alt-bad");
    let other = Shop::create("alt-other");
    other.put_product("THEIRS", json!({ "name": "Theirs", "policy": "deny", "on_hand": 5, "category": "Mugs" }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny", "category": "Mugs" }));
    shop.put_product("CUP", json!({ "name": "Cup", "policy": "deny", "on_hand": 3 }));
    assert!(alternatives(&shop, "MUG").is_empty(), "another shop's products are never offered");
    let before = shop.admin("GET", "/v1/admin/products/MUG", None).body;
    let put = |body: Value| shop.admin("PUT", "/v1/admin/products/MUG", Some(&body));
    let base = |extra: Value| {
        let mut b = json!({ "name": "Mug", "policy": "deny" });
        if let (Some(o), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            o.extend(x.clone());
        }
        b
    };
    for (body, code, field) in [
        (base(json!({ "alternatives": ["THEIRS"] })), "out_of_range", "alternatives[0]"),
        (base(json!({ "alternatives": ["CUP", "MUG"] })), "out_of_range", "alternatives[1]"),
        (base(json!({ "alternatives": ["CUP", "CUP"] })), "out_of_range", "alternatives[1]"),
        (base(json!({ "alternatives": ["CUP", "<b>"] })), "out_of_range", "alternatives[1]"),
        (
            base(json!({ "alternatives": (0..11).map(|i| format!("S{i}")).collect::<Vec<_>>() })),
            "out_of_range",
            "alternatives",
        ),
        (base(json!({ "category": "" })), "out_of_range", "category"),
        (base(json!({ "category": "a\nb" })), "invalid_text", "category"),
    ] {
        let p = put(body.clone()).assert_problem(422, code);
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    let p = put(base(json!({ "alternatives": "CUP" }))).assert_problem(400, "invalid_body");
    assert_eq!(p["field"], "alternatives");
    assert_eq!(shop.admin("GET", "/v1/admin/products/MUG", None).body, before, "refusals wrote nothing");
    // Deleting a picked alternative later just leaves it out.
    shop.put_product("MUG", base(json!({ "alternatives": ["CUP"] })));
    assert_eq!(alternatives(&shop, "MUG"), [pair("CUP", "in_stock")]);
    assert_eq!(shop.admin("DELETE", "/v1/admin/products/CUP", None).status, 204);
    assert!(alternatives(&shop, "MUG").is_empty());
}

#[test]
fn a_shops_own_page_reads_alternatives_from_another_origin() {
    let site = ShopSite::shared();
    let shop = Shop::create_with("alt-web", json!({ "allowed_origins": [site.url] }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny", "category": "Mugs" }));
    shop.put_product("MUG-B", json!({ "name": "Blue <mug>", "policy": "deny", "on_hand": 5, "category": "Mugs" }));
    let b = Browser::launch();
    b.goto(&site.page("csp.html", &format!("shop={}", shop.id)));
    let url = format!("{}/v1/shops/{}/availability?skus=MUG&fresh=1", env::get().url, shop.id);
    let got = b.eval_async(
        "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.json())\
         .then(j => done({ origin: location.origin, alternatives: j.items[0].alternatives })).catch(e => done({ error: String(e) }));",
        vec![json!(url)],
    );
    assert_eq!(got["origin"], json!(site.url), "a foreign origin: {got}");
    assert_eq!(
        got["alternatives"],
        json!([{ "sku": "MUG-B", "name": "Blue <mug>", "url": null, "status": "in_stock", "say": "In stock" }])
    );
}

fn now_secs() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

fn order(shop: &Shop, sku: &str, qty: i64, email: &str, locale: &str) -> Value {
    let body = json!({ "sku": sku, "quantity": qty, "email": email, "locale": locale });
    let r = shop.client.send_json(
        "POST",
        &format!("/v1/shops/{}/backorders", shop.id),
        &[("cf-connecting-ip", &ip(qty as usize))],
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

#[test]
fn shoppers_see_all_their_orders_on_their_own_page_and_can_cancel_there() {
    let shop = Shop::create_with("mine", json!({ "name": "Bob's <Bikes>" }));
    shop.put_product("JKT", json!({ "name": "Jacket <b>rain</b>", "policy": "backorder" }));
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "backorder" }));
    let po = shop.admin(
        "POST",
        "/v1/admin/products/LAMP/purchase-orders",
        Some(&json!({ "quantity": 5, "expected_date": "2031-01-01" })),
    );
    assert_eq!(po.status, 201, "{}", po.body);
    let po_id = po.json()["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    order(&shop, "JKT", 1, "someone@example.com", "en");
    let jacket = order(&shop, "JKT", 2, "ada@example.com", "en");
    let lamp = order(&shop, "LAMP", 1, "ADA@example.com", "en");
    let theirs = order(&shop, "LAMP", 1, "other@example.com", "en");
    // The confirmation links the shopper's page.
    let link = mailbox::link(&shop.id, "ada@example.com", "/backorders/mine?token=");
    let path = link_path(&link);
    let client = Client::from_env();
    let page = client.get(&path);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let body = &page.body;
    for words in [
        "Your orders",
        "Bob&#39;s &lt;Bikes&gt;",
        "2 × Jacket &lt;b&gt;rain&lt;/b&gt;",
        "1 × Lamp",
        "Waiting for stock: number 2 in the queue.",
        "Waiting for stock: number 1 in the queue.",
        "Expected to ship: 1 January 2031.",
        "Ordered on",
    ] {
        assert!(body.contains(words), "{words}: {body}");
    }
    assert!(!body.contains("<b>rain"), "escaped");
    assert_eq!(body.matches("<section class=\"order\"").count(), 2, "the address's orders, whatever its case");
    // A delay shows as what changed.
    assert_eq!(shop.admin("DELETE", &format!("/v1/admin/products/LAMP/purchase-orders/{po_id}"), None).status, 200);
    let page = client.get(&path).body;
    assert!(page.contains("Delayed: we first expected 1 January 2031."), "{page}");
    assert!(page.contains("We don&#39;t have a shipping date yet"), "{page}");
    // Another shopper's order cannot be cancelled with this link.
    let theirs_id = theirs["id"].as_str().unwrap_or_default();
    let r = client.request("POST", &format!("{path}&cancel={theirs_id}"), &[], None);
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(shop.admin("GET", &format!("/v1/admin/backorders/{theirs_id}"), None).json()["status"], "open");
    // Cancelling one of theirs goes through the cancel path: the place frees up.
    let lamp_id = lamp["id"].as_str().unwrap_or_default();
    let r = client.request("POST", &format!("{path}&cancel={lamp_id}"), &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("class=\"notice\" role=\"status\">Cancelled.</p>"), "{}", r.body);
    assert_eq!(shop.admin("GET", &format!("/v1/admin/backorders/{lamp_id}"), None).json()["status"], "cancelled");
    assert_eq!(shop.admin("GET", &format!("/v1/admin/backorders/{theirs_id}"), None).json()["position"], 1);
    assert_eq!(r.body.matches("<form method=\"post\"").count(), 1, "only the open jacket order can still be cancelled");
    // A tampered link is refused; a foreign shop's token means nothing here.
    let token = path.split("token=").nth(1).unwrap_or_default().to_owned();
    let tampered = path.replace(&token, &token.replacen(".o.", ".x.", 1));
    assert_eq!(client.get(&tampered).status, 400);
    let elsewhere = Shop::create("mine-b");
    assert_eq!(client.get(&format!("/v1/shops/{}/backorders/mine?token={token}", elsewhere.id)).status, 400);
    assert!(jacket["id"].is_string());
    // The page is clean for assistive technology.
    let b = Browser::launch();
    b.goto(&format!("{}{path}", env::get().url));
    b.wait_for("the page", "return document.querySelector('h1') !== null", WAIT);
    assert_eq!(axe(&b), Vec::<Value>::new(), "the shopper's page");
}

#[test]
fn an_expired_link_offers_a_new_one_by_email() {
    let shop = Shop::create("mine-exp");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    order(&shop, "JKT", 1, "ada@example.com", "de");
    let path = link_path(&mailbox::link(&shop.id, "ada@example.com", "/backorders/mine?token="));
    let token = path.split("token=").nth(1).unwrap_or_default().to_owned();
    let (payload, _) = token.rsplit_once('.').expect("signed");
    let (head, expires) = payload.rsplit_once('.').expect("an expiry");
    let expires: i64 = expires.parse().expect("seconds");
    assert!((expires - (now_secs() + 60 * 86_400)).abs() < 300, "60 days: {expires}");
    let expired = path.replace(&token, &restock_e2e::links::sign(&format!("{head}.{}", now_secs() - 60)));
    let client = Client::from_env();
    let page = client.get(&expired);
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("lang=\"de\"") && page.body.contains("Neuen Link senden"), "{}", page.body);
    let before = mailbox::messages(&shop.id, "ada@example.com").len();
    let r = client.request("POST", &format!("{expired}&resend=1"), &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    // Asking twice in a day sends one.
    assert_eq!(client.request("POST", &format!("{expired}&resend=1"), &[], None).status, 200);
    let mails = mailbox::wait_for(&shop.id, "ada@example.com", "the new link", |m| m.len() > before);
    assert!(mails[0]["subject"].as_str().is_some_and(|s| s.contains("Ihre Bestellungen")), "{}", mails[0]);
    let fresh = link_path(&mailbox::link(&shop.id, "ada@example.com", "/backorders/mine?token="));
    assert_eq!(client.get(&fresh).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(mailbox::messages(&shop.id, "ada@example.com").len(), before + 1, "one new link a day");
}

#[test]
fn the_page_speaks_the_shoppers_language() {
    let shop = Shop::create("mine-lang");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let client = Client::from_env();
    for (lang, title, rtl) in [
        ("en", "Your orders", false),
        ("de", "Ihre Bestellungen", false),
        ("fr", "Vos commandes", false),
        ("es", "Tus pedidos", false),
        ("ja", "ご注文一覧", false),
        ("ar", "طلباتك", true),
        ("he", "ההזמנות שלך", true),
    ] {
        let email = format!("{lang}@example.com");
        order(&shop, "JKT", 1, &email, lang);
        let page = client.get(&link_path(&mailbox::link(&shop.id, &email, "/backorders/mine?token="))).body;
        assert!(page.contains(&format!("<html lang=\"{lang}\"")), "{lang}: {page}");
        assert!(page.contains(title), "{lang}: {page}");
        assert_eq!(page.contains("dir=\"rtl\""), rtl, "{lang}");
    }
}

/// Moves the backorders of `shop` (placed, last updated) and its emails `days` into the past.
fn age(shop: &Shop, days: i64) {
    let ms = days * DAY_MS;
    sql(&format!(
        "UPDATE backorders SET created_at = created_at - {ms}, last_update_at = last_update_at - {ms} WHERE shop_id = '{id}'; \
         UPDATE deliveries SET created_at = created_at - {ms} WHERE shop_id = '{id}'",
        id = shop.id
    ));
}

fn status_updates(shop: &Shop) -> Vec<Value> {
    rows(&format!(
        "SELECT dedupe_key, recipient FROM deliveries WHERE shop_id = '{}' AND kind = 'status_update' ORDER BY seq",
        shop.id
    ))
}

#[test]
fn waiting_shoppers_get_regular_updates_only_when_nothing_else_was_sent() {
    let shop = Shop::create_with("updates", json!({ "status_update_days": 14 }));
    assert_eq!(shop.admin("GET", "/v1/admin/settings", None).json()["status_update_days"], 14);
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "lead_time_days": 30 }));
    let quiet = order(&shop, "JKT", 1, "quiet@example.com", "en");
    order(&shop, "JKT", 2, "heard@example.com", "en");
    mailbox::wait_for(&shop.id, "quiet@example.com", "the confirmation", |m| !m.is_empty());
    shop.run_cron();
    assert!(status_updates(&shop).is_empty(), "nothing due yet");
    age(&shop, 15);
    // "heard" got another email 3 days ago: no update for them yet.
    sql(&format!(
        "INSERT INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, status, created_at, updated_at) \
         SELECT 'dl_test_' || id, shop_id, 'test:' || id, 'email', 'delay', email, 'en', sku, id, 'sent', \
           (strftime('%s','now') * 1000) - 3 * {DAY_MS}, 0 FROM backorders WHERE shop_id = '{}' AND email = 'heard@example.com'",
        shop.id
    ));
    shop.run_cron();
    let updates = status_updates(&shop);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0]["recipient"], "quiet@example.com");
    assert_eq!(updates[0]["dedupe_key"], format!("status_update:{}:1", quiet["id"].as_str().unwrap_or("")));
    let mails = mailbox::wait_for(&shop.id, "quiet@example.com", "the update", |m| m.len() == 2);
    let update = &mails[0];
    assert_eq!(update["subject"], "Update on your order of Jacket");
    let text = update["text"].as_str().unwrap_or_default();
    for words in ["number 1 in the queue", "See your orders: ", "/backorders/mine?token=", "/backorders/cancel?token="]
    {
        assert!(text.contains(words), "{words}: {text}");
    }
    // Run again and again: nothing twice.
    shop.run_cron();
    shop.run_cron();
    assert_eq!(status_updates(&shop).len(), 1);
    // A period later, the next; "heard" is due once its last email is 14 days old.
    age(&shop, 14);
    shop.run_cron();
    let keys: Vec<String> =
        status_updates(&shop).iter().map(|u| u["dedupe_key"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().any(|k| k.ends_with(":2")), "quiet's second period: {keys:?}");
    // An order that is no longer waiting gets none; a shop with the cadence off neither.
    let off = Shop::create("updates-off");
    off.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    order(&off, "JKT", 1, "x@example.com", "en");
    age(&off, 100);
    off.run_cron();
    assert!(status_updates(&off).is_empty());
    shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "status_update_days": 91 })))
        .assert_problem(422, "out_of_range");
}

/// The normal quantile of 0.95 (as the Worker computes it, to 1e-9).
const Z95: f64 = 1.644_853_626_951_471_5;

#[test]
fn forecasts_follow_the_formula_in_the_api_and_the_supplier_digest() {
    let shop = Shop::create_with("fc", json!({ "reply_to": "owner@example.com" }));
    shop.put_product(
        "MUG",
        json!({ "name": "Mug", "policy": "backorder", "lead_time_days": 9, "supplier": "Clay", "on_hand": 0 }),
    );
    // Demand: 3 signups and 2 backordered units today; 4 units sold 2 days ago (not
    // after a notice); 1 signup 10 days ago; a sale a restock notice led to is not
    // counted twice.
    for i in 0..3 {
        assert_eq!(shop.signup("MUG", &format!("s{i}@example.com"), &ip(i)).status, 202);
    }
    order(&shop, "MUG", 2, "b@example.com", "en");
    shop.admin(
        "POST",
        "/v1/admin/orders",
        Some(&json!({ "sku": "MUG", "quantity": 4, "reference": "#1", "decrement_stock": false })),
    );
    sql(&format!("UPDATE orders SET created_at = created_at - 2 * {DAY_MS} WHERE shop_id = '{}'", shop.id));
    assert_eq!(shop.signup("MUG", "old@example.com", &ip(9)).status, 202);
    sql(&format!(
        "UPDATE waitlist SET created_at = created_at - 10 * {DAY_MS} WHERE shop_id = '{}' AND email = 'old@example.com'",
        shop.id
    ));
    sql(&format!(
        "INSERT INTO orders (id, shop_id, sku, quantity, amount_cents, reference, attributed, created_at) \
         VALUES ('ord_t', '{}', 'MUG', 7, 0, '#2', 'waitlist', strftime('%s','now') * 1000)",
        shop.id
    ));
    let po = shop.admin(
        "POST",
        "/v1/admin/products/MUG/purchase-orders",
        Some(&json!({ "quantity": 3, "expected_date": "2031-01-01" })),
    );
    assert_eq!(po.status, 201, "{}", po.body);
    let f = shop.admin("GET", "/v1/admin/products/MUG/forecast?days=28", None);
    assert_eq!(f.status, 200, "{}", f.body);
    eprintln!("forecast: {}", f.header("x-restock-d1").unwrap_or_default());
    let f = f.json();
    let daily: Vec<f64> = f["daily"].as_array().cloned().unwrap_or_default().iter().filter_map(Value::as_f64).collect();
    assert_eq!(daily.len(), 28);
    assert_eq!((daily[27], daily[25], daily[17]), (5.0, 4.0, 1.0), "today, 2 and 10 days ago: {daily:?}");
    assert_eq!(daily.iter().sum::<f64>(), 10.0);
    // The formula, computed here from the series.
    let n = daily.len() as f64;
    let mean = daily.iter().sum::<f64>() / n;
    let sd = (daily.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let safety = Z95 * sd * 9f64.sqrt();
    let reorder = mean * 9.0 + safety;
    let position = 0.0 + 3.0 - 2.0;
    let order_qty = if position <= reorder { (reorder + mean * 7.0 - position).ceil() } else { 0.0 };
    assert!((f["per_day"].as_f64().unwrap_or(-1.0) - mean).abs() < 1e-9, "{f}");
    assert!((f["std_dev"].as_f64().unwrap_or(-1.0) - sd).abs() < 1e-9, "{f}");
    assert_eq!(f["safety_stock"], json!(safety.ceil() as u64));
    assert_eq!(f["reorder_point"], json!(reorder.ceil() as u64));
    assert_eq!(f["suggested_order"], json!(order_qty as u64));
    assert_eq!(
        (f["on_hand"].clone(), f["incoming"].clone(), f["owed"].clone(), f["position"].clone()),
        (json!(0), json!(3), json!(2), json!(1))
    );
    assert_eq!((f["service_level"].clone(), f["lead_time_days"].clone()), (json!(950), json!(9)));
    // A higher service level keeps more in reserve.
    shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "service_level": 0.99 })));
    let high = shop.admin("GET", "/v1/admin/products/MUG/forecast?days=28", None).json();
    assert!(high["safety_stock"].as_u64() > f["safety_stock"].as_u64(), "{high}");
    shop.admin("PATCH", "/v1/admin/settings", Some(&json!({ "service_level": 0.95 })));
    // No lead time: demand, but no invented reorder figures.
    shop.put_product("CUP", json!({ "name": "Cup", "policy": "backorder" }));
    let cup = shop.admin("GET", "/v1/admin/products/CUP/forecast", None).json();
    assert_eq!(
        (cup["days"].clone(), cup["safety_stock"].clone(), cup["suggested_order"].clone()),
        (json!(56), Value::Null, Value::Null)
    );
    // Bad input.
    let p = shop.admin("GET", "/v1/admin/products/MUG/forecast?days=3", None).assert_problem(422, "out_of_range");
    assert_eq!(p["field"], "days");
    shop.admin("GET", "/v1/admin/products/NOPE/forecast", None).assert_problem(404, "product_not_found");
    for bad in ["1", "0.9505", "0.4"] {
        let p = shop.admin(
            "PATCH",
            "/v1/admin/settings",
            Some(&json!({ "service_level": bad.parse::<f64>().unwrap_or(0.0) })),
        );
        assert_eq!(p.assert_problem(422, "out_of_range")["field"], "service_level", "{bad}");
    }
    // The supplier digest carries the same figures (its window is 56 days).
    let digest = shop.admin("GET", "/v1/admin/export/supplier-digest.csv", None);
    eprintln!("supplier digest export: {}", digest.header("x-restock-d1").unwrap_or_default());
    let csv = digest.body;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).map(|i| row[i]).unwrap_or("missing");
    let f56 = shop.admin("GET", "/v1/admin/products/MUG/forecast", None).json();
    assert_eq!(col("sku"), "MUG");
    assert_eq!(col("lead_time_days"), "9");
    assert_eq!(col("demand_per_day"), format!("{:.2}", f56["per_day"].as_f64().unwrap_or(-1.0)));
    assert_eq!(col("safety_stock"), f56["safety_stock"].to_string());
    assert_eq!(col("reorder_point"), f56["reorder_point"].to_string());
    assert_eq!(col("suggested_order"), f56["suggested_order"].to_string());
    // And so does the weekly email.
    let r = shop.client.get("/__scheduled?cron=0+7+*+*+MON");
    assert_eq!(r.status, 200, "{}", r.body);
    let mails = mailbox::wait_for(&shop.id, "owner@example.com", "the weekly digest", |m| !m.is_empty());
    let text = mails[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("safety_stock,reorder_point,suggested_order"), "{text}");
    assert!(
        text.contains(&format!(",{},{},{}", f56["safety_stock"], f56["reorder_point"], f56["suggested_order"])),
        "{text}"
    );
}

fn set_copy(shop: &Shop, kind: &str, lang: &str, body: Value, preview: bool) -> restock_e2e::client::Reply {
    let q = if preview { "?preview=1" } else { "" };
    shop.admin("PUT", &format!("/v1/admin/emails/{kind}/{lang}{q}"), Some(&body))
}

#[test]
fn merchants_edit_subjects_and_intros_and_the_rest_stays_built_in() {
    let shop = Shop::create_with("copy", json!({ "name": "Ana's" }));
    let list = shop.admin("GET", "/v1/admin/emails", None).json();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 49, "7 kinds × 7 languages");
    let restock_de = items.iter().find(|i| i["kind"] == "restock" && i["lang"] == "de").cloned().unwrap_or_default();
    assert_eq!(restock_de["built_in"]["subject"], "{product} ist wieder da");
    assert_eq!(restock_de["subject"], Value::Null);
    // A preview renders with the real renderer and saves nothing.
    let body = json!({ "subject": "Back at {shop}: {product}", "intro": "Good news: <b>{product}</b> & more." });
    let preview = set_copy(&shop, "restock", "en", body.clone(), true);
    assert_eq!(preview.status, 200, "{}", preview.body);
    let preview = preview.json();
    assert_eq!(preview["email"]["subject"], "Back at Ana's: Sample product");
    let html = preview["email"]["html"].as_str().unwrap_or_default();
    assert!(
        html.contains("Good news: &lt;b&gt;Sample product&lt;/b&gt; &amp; more.") && !html.contains("<b>Sample"),
        "{html}"
    );
    let list = shop.admin("GET", "/v1/admin/emails", None).json();
    assert!(list["items"].as_array().into_iter().flatten().all(|i| i["subject"].is_null()), "a preview saves nothing");
    // Saved, real restock emails use it; other languages keep the built-in copy.
    assert_eq!(set_copy(&shop, "restock", "en", body, false).status, 200);
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "en@example.com", &ip(1));
    let de = json!({ "sku": "MUG", "email": "de@example.com", "consent": true, "consent_text": "Email me once when it is back.", "locale": "de" });
    assert_eq!(
        shop.client
            .send_json("POST", &format!("/v1/shops/{}/waitlist", shop.id), &[("cf-connecting-ip", "10.9.9.9")], &de)
            .status,
        202
    );
    shop.receive("MUG", 5);
    let en = mailbox::wait_for(&shop.id, "en@example.com", "the restock email", |m| !m.is_empty());
    assert_eq!(en[0]["subject"], "Back at Ana's: Mug");
    assert!(en[0]["text"].as_str().is_some_and(|t| t.starts_with("Good news: <b>Mug</b> & more.")), "{}", en[0]);
    let de = mailbox::wait_for(&shop.id, "de@example.com", "the restock email", |m| !m.is_empty());
    assert_eq!(de[0]["subject"], "Mug ist wieder da");
    // Right to left: values isolated like the built-in copy's.
    let he = set_copy(&shop, "restock", "he", json!({ "subject": "{product} חזר!" }), true).json();
    assert_eq!(he["email"]["subject"], "\u{2068}מוצר לדוגמה\u{2069} חזר!");
    // Refused, naming the field; nothing saved.
    for (kind, body, code, field) in [
        ("restock", json!({ "subject": "Back\r\nBcc: x@example.com" }), "invalid_text", "subject"),
        ("restock", json!({ "subject": "{qty} are back" }), "out_of_range", "subject"),
        ("restock", json!({ "intro": "50% off {" }), "out_of_range", "intro"),
        ("restock", json!({ "intro": "x".repeat(1001) }), "invalid_text", "intro"),
        ("restock", json!({ "subject": "" }), "out_of_range", "subject"),
        ("delay", json!({ "subject": "{position}" }), "out_of_range", "subject"),
    ] {
        let p = set_copy(&shop, kind, "fr", body.clone(), false).assert_problem(422, code);
        assert_eq!(p["field"], field, "{body}");
    }
    set_copy(&shop, "restock", "fr", json!({ "subject": 5 }), false).assert_problem(400, "invalid_body");
    set_copy(&shop, "nope", "fr", json!({}), false).assert_problem(404, "email_kind_not_found");
    set_copy(&shop, "restock", "pt", json!({}), false).assert_problem(404, "language_not_found");
    let list = shop.admin("GET", "/v1/admin/emails", None).json();
    let fr: Vec<&Value> = list["items"].as_array().into_iter().flatten().filter(|i| i["lang"] == "fr").collect();
    assert!(fr.iter().all(|i| i["subject"].is_null() && i["intro"].is_null()), "nothing saved");
    // Both null: back to the built-in.
    assert_eq!(set_copy(&shop, "restock", "en", json!({ "subject": null, "intro": null }), false).status, 200);
    let en = shop.admin("GET", "/v1/admin/emails", None).json();
    assert!(en["items"].as_array().into_iter().flatten().all(|i| i["subject"].is_null()));
}

#[test]
fn incentives_go_in_the_emails_the_shop_picked() {
    let shop = Shop::create_with(
        "incent",
        json!({ "discount_code": "BACK10", "free_shipping": true, "incentive_emails": ["backorder_confirmation", "restock"] }),
    );
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    order(&shop, "JKT", 1, "order@example.com", "en");
    let mails = mailbox::wait_for(&shop.id, "order@example.com", "the confirmation", |m| !m.is_empty());
    let text = mails[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("use the code BACK10 on your next order") && text.contains("Shipping is free on this order."),
        "{text}"
    );
    shop.signup("MUG", "wait@example.com", &ip(2));
    shop.receive("MUG", 3);
    let mails = mailbox::wait_for(&shop.id, "wait@example.com", "the restock email", |m| !m.is_empty());
    let text = mails[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Use the code BACK10 at checkout.") && text.contains("Shipping is free when you order now."),
        "{text}"
    );
    // By default only the restock email carries the code (as before), and no note.
    let plain = Shop::create_with("incent-def", json!({ "discount_code": "BACK10" }));
    let s = plain.admin("GET", "/v1/admin/settings", None).json();
    assert_eq!((s["incentive_emails"].clone(), s["free_shipping"].clone()), (json!(["restock"]), json!(false)));
    plain.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    order(&plain, "JKT", 1, "order@example.com", "en");
    let mails = mailbox::wait_for(&plain.id, "order@example.com", "the confirmation", |m| !m.is_empty());
    let text = mails[0]["text"].as_str().unwrap_or_default();
    assert!(!text.contains("BACK10") && !text.contains("Shipping is free"), "{text}");
    for bad in [json!(["delay"]), json!(["restock", "restock"]), json!("restock")] {
        let r = plain.admin("PATCH", "/v1/admin/settings", Some(&json!({ "incentive_emails": bad })));
        assert!(r.status == 422 || r.status == 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["field"], "incentive_emails", "{bad}");
    }
}

#[test]
fn the_dashboard_shows_forecasts_keeps_alternatives_and_previews_emails_live() {
    let shop = Shop::create("dash-prac");
    shop.put_product("CUP", json!({ "name": "Cup", "policy": "deny", "on_hand": 4 }));
    shop.put_product(
        "MUG",
        json!({ "name": "Mug", "policy": "backorder", "lead_time_days": 9, "category": "Mugs", "alternatives": ["CUP"] }),
    );
    for i in 0..3 {
        order(&shop, "MUG", 1, &format!("d{i}@example.com"), "en");
    }
    let b = Browser::launch();
    restock_e2e::dashboard::sign_in(&b, &env::get().url, &shop.key);
    restock_e2e::dashboard::wait_text(&b, "signed in", "Demand");
    b.goto(&format!("{}/dashboard/#/product/MUG", env::get().url));
    restock_e2e::dashboard::wait_text(&b, "the forecast", "reorder point");
    let f = shop.admin("GET", "/v1/admin/products/MUG/forecast", None).json();
    let text = restock_e2e::dashboard::main_text(&b);
    assert!(text.contains("safety stock") && text.contains(&format!("{}", f["reorder_point"])), "{text}");
    // Saving the product from the dashboard keeps its category and alternatives.
    let form = "form[aria-label='Selling policy and details']";
    b.click(&b.find(&format!("{form} button[type=submit]")));
    b.wait_for("the preview", &format!("return document.querySelector(\"{form} .preview\") !== null"), WAIT);
    b.click(&b.find(&format!("{form} button.primary")));
    b.wait_for("saved", "return document.getElementById('announce').textContent.includes('done')", WAIT);
    let detail = shop.admin("GET", "/v1/admin/products/MUG", None).json();
    assert_eq!((detail["category"].clone(), detail["alternatives"].clone()), (json!("Mugs"), json!(["CUP"])));
    b.goto(&format!("{}/dashboard/#/product/MUG", env::get().url));
    restock_e2e::dashboard::wait_text(&b, "the forecast", "reorder point");
    assert_eq!(axe(&b), Vec::<Value>::new(), "product page with its forecast");
    // Editable emails with a live preview from the Worker's renderer.
    b.goto(&format!("{}/dashboard/#/emails", env::get().url));
    b.wait_for(
        "the preview",
        "const s = document.getElementById('preview-subject'); return s && s.textContent.length > 0",
        WAIT,
    );
    let subject = b.find("input[name=subject]");
    b.type_into(&subject, "Back: {product} at {shop}");
    b.wait_for(
        "the live preview",
        "return document.getElementById('preview-subject').textContent === 'Back: Sample product at ' + document.getElementById('shop-name').textContent.replace('· ', '')",
        WAIT,
    );
    b.type_into(&subject, " {qty}");
    b.wait_for(
        "the refusal",
        "return document.querySelector('input[name=subject]').getAttribute('aria-invalid') === 'true'",
        WAIT,
    );
    let error = b.eval("return document.querySelector('main .error').textContent", vec![]);
    assert!(error.as_str().is_some_and(|e| e.starts_with("subject:")), "{error}");
    b.clear(&subject);
    b.type_into(&subject, "Back: {product}");
    b.click(&b.find("form[aria-label='Email copy'] button[type=submit]"));
    b.wait_for("saved", "return document.getElementById('announce').textContent.includes('Saved')", WAIT);
    let list = shop.admin("GET", "/v1/admin/emails", None).json();
    let saved =
        list["items"].as_array().into_iter().flatten().find(|i| i["kind"] == "restock" && i["lang"] == "en").cloned();
    assert_eq!(saved.map(|i| i["subject"].clone()), Some(json!("Back: {product}")));
    assert_eq!(axe(&b), Vec::<Value>::new(), "emails page");
    // The practices settings are on the settings page.
    b.goto(&format!("{}/dashboard/#/settings", env::get().url));
    restock_e2e::dashboard::wait_text(&b, "settings", "Incentives");
    let text = restock_e2e::dashboard::main_text(&b);
    for words in ["Status update every (days)", "Service level", "A free-shipping note", "Forecasts"] {
        assert!(text.contains(words), "{words}");
    }
    assert_eq!(axe(&b), Vec::<Value>::new(), "settings page");
}
