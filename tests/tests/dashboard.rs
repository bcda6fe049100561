//! The merchant dashboard in headless Chromium against the built Worker: sign in, the
//! demand ranking, receiving stock with a preview (the queue and the outbox change), a
//! setting the widget follows, a wrong key, a phone-sized screen, and axe-core.
//! With `RESTOCK_SCREENSHOTS=1` it also writes the screenshots in `docs/`.

use std::time::Duration;

use restock_e2e::browser::Browser;
use restock_e2e::client::{Shop, ip};
use restock_e2e::dashboard::{self, WAIT, axe, main_text, wait_text};
use restock_e2e::env;
use restock_e2e::mailbox;
use restock_e2e::server::repo_root;
use serde_json::{Value, json};

fn url(path: &str) -> String {
    format!("{}{path}", env::get().url)
}

fn shot(b: &Browser, name: &str) {
    if std::env::var("RESTOCK_SCREENSHOTS").is_ok() {
        let dir = repo_root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("docs/screenshots");
        b.screenshot(&dir.join(format!("{name}.png")));
    }
}

/// Signs in with `key` through the form.
fn sign_in(b: &Browser, key: &str) {
    dashboard::sign_in(b, &env::get().url, key);
}

#[test]
fn a_wrong_key_gets_a_clear_error() {
    let b = Browser::launch();
    sign_in(&b, "sk_not_a_real_key");
    let error = b.wait_for("the error", "return document.getElementById('signin-error').textContent", WAIT);
    assert!(error.as_str().unwrap_or_default().contains("not accepted"), "{error}");
    assert_eq!(b.eval("return sessionStorage.length", vec![]), 0, "a wrong key is not kept");
    assert_eq!(b.eval("return location.href.includes('sk_')", vec![]), false, "never in the URL");
    shot(&b, "sign-in-error");
}

#[test]
fn the_demand_ranking_shows_what_people_wait_for() {
    let b = Browser::launch();
    sign_in(&b, &env::get().demo_key);
    wait_text(&b, "the ranking", "Products by waiting demand");
    let text = main_text(&b);
    for words in
        ["waiting on waitlists", "units on backorder", "recovered revenue", "Stoneware mug", "Packable rain jacket"]
    {
        assert!(text.contains(words), "{words} in {text}");
    }
    let ranking: Vec<String> = b
        .eval(
            "return [...document.querySelectorAll('main tbody tr td:nth-child(2) a')].map(a => a.textContent)",
            vec![],
        )
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(ranking.first().map(String::as_str), Some("Stoneware mug"), "most people wait for the mug: {ranking:?}");
    assert_eq!(
        b.eval(
            "return document.querySelector('main svg[role=img]').getAttribute('aria-label').includes('signups')",
            vec![]
        ),
        true
    );
    assert_eq!(b.eval("return sessionStorage.length", vec![]), 1, "the key lives in this tab's session");
    shot(&b, "demand");
    assert_eq!(axe(&b), Vec::<Value>::new(), "demand page");
}

#[test]
fn receiving_stock_previews_then_allocates_and_emails() {
    let shop = Shop::create("dash-recv");
    shop.put_product("JKT", json!({ "name": "Rain jacket", "policy": "backorder", "price_cents": 12900 }));
    for i in 0..3 {
        assert_eq!(shop.backorder("JKT", 1, &format!("q{i}@example.com"), &ip(i), None).status, 201);
    }
    shop.signup("JKT", "wait@example.com", &ip(9));
    let b = Browser::launch();
    sign_in(&b, &shop.key);
    wait_text(&b, "signed in", "Demand");
    // A healthy deployment shows no health banner (the production one does: config.rs).
    let hidden = b.eval("return document.getElementById('health').hidden", vec![]);
    assert_eq!(hidden, Value::Bool(true), "a healthy deployment shows no banner");
    b.goto(&url("/dashboard/#/product/JKT"));
    wait_text(&b, "the product", "Backorder queue (3)");
    let qty = b.find("form[aria-label='Receive stock'] input[type=number]");
    b.type_into(&qty, "5");
    b.click(&b.find("form[aria-label='Receive stock'] button[type=submit]"));
    let preview =
        b.wait_for("the preview", "const p = document.querySelector('.preview'); return p && p.textContent", WAIT);
    let preview = preview.as_str().unwrap_or_default().to_owned();
    assert_eq!(
        preview,
        "Allocates 3 units to backorders: 3 orders ready to ship. On hand becomes 2. Puts 2 units on sale. \
         Emails 1 waitlist subscriber that it is back in stock.",
        "the plan's own words"
    );
    assert_eq!(shop.backorders("JKT").iter().filter(|o| o["status"] == "open").count(), 3, "a preview changes nothing");
    shot(&b, "product-receive-preview");
    b.click(&b.find("form[aria-label='Receive stock'] button.primary"));
    wait_text(&b, "the emptied queue", "No open backorders.");
    assert!(shop.backorders("JKT").iter().all(|o| o["status"] == "allocated"));
    mailbox::wait_for(&shop.id, "q0@example.com", "a ready-to-ship email", |m| {
        m.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("ready to ship")))
    });
    mailbox::wait_for(&shop.id, "wait@example.com", "a restock email", |m| !m.is_empty());
    assert_eq!(axe(&b), Vec::<Value>::new(), "product page");
}

#[test]
fn a_setting_changed_here_is_followed_by_the_widget() {
    let shop = Shop::create("dash-set");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let b = Browser::launch();
    sign_in(&b, &shop.key);
    wait_text(&b, "signed in", "Demand");
    b.goto(&url("/dashboard/#/settings"));
    wait_text(&b, "settings", "Waitlist consent text");
    b.eval(
        "const t = [...document.querySelectorAll('label')].find(l => l.textContent.startsWith('Waitlist consent text')); \
         const area = document.getElementById(t.getAttribute('for')); area.value = 'Yes, email me about this mug (dashboard test).';",
        vec![],
    );
    b.click(&b.find("main form button[type=submit]"));
    b.wait_for("saved", "return document.querySelector('main [role=status]').textContent.startsWith('Saved')", WAIT);
    // A webhook endpoint added here shows its secret once; the list, only its prefix.
    let hooks = restock_e2e::hooks::HookServer::start();
    b.type_into(&b.find("form[aria-label='Add a webhook endpoint'] input[type=url]"), &hooks.url);
    b.click(&b.find("form[aria-label='Add a webhook endpoint'] button[type=submit]"));
    let secret = b.wait_for(
        "the new endpoint's secret",
        "const i = document.querySelector('#hooks-h ~ [role=status] input'); return i && i.value",
        WAIT,
    );
    let secret = secret.as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let listed = shop.admin("GET", "/v1/admin/webhooks", None).json();
    assert_eq!(listed["items"][0]["url"], hooks.url.as_str(), "{listed}");
    assert_eq!(listed["items"][0]["secret_prefix"].as_str(), secret.get(..10));
    shot(&b, "settings");
    assert_eq!(axe(&b), Vec::<Value>::new(), "settings page");
    b.goto(&url(&format!("/embed.html?shop={}&sku=MUG", shop.id)));
    b.wait_for(
        "the widget's new consent text",
        "const h = document.querySelector('[data-restock-sku]'); const r = h && h.shadowRoot; \
         return !!r && r.getElementById('kl').textContent === 'Yes, email me about this mug (dashboard test).';",
        WAIT,
    );
}

#[test]
fn every_page_works_on_a_phone_and_by_keyboard() {
    let b = Browser::launch_sized(390, 844);
    sign_in(&b, &env::get().demo_key);
    wait_text(&b, "signed in", "Products by waiting demand");
    let overflow = "return document.documentElement.scrollWidth <= window.innerWidth + 1";
    assert_eq!(b.eval(overflow, vec![]), true, "no sideways scrolling of the page");
    for (route, words, name) in [
        ("#/products", "Add product", "products"),
        ("#/product/JACKET-RAIN-M", "Backorder queue", "product"),
        ("#/deliveries", "Delivery log", "notifications"),
        ("#/embed", "Live preview", "embed"),
        ("#/settings", "Allowed origins", "settings"),
        ("#/connections", "Connect a platform", "connections"),
    ] {
        b.goto(&url(&format!("/dashboard/{route}")));
        wait_text(&b, route, words);
        assert_eq!(b.eval(overflow, vec![]), true, "{route} fits a phone");
        assert_eq!(
            b.eval("return document.activeElement.tagName", vec![]),
            "H1",
            "{route}: focus moves to the heading"
        );
        assert_eq!(axe(&b), Vec::<Value>::new(), "{route}");
        shot(&b, &format!("phone-{name}"));
    }
}

#[test]
fn every_page_renders_on_a_desktop_screen() {
    let b = Browser::launch_sized(1280, 1000);
    sign_in(&b, &env::get().demo_key);
    wait_text(&b, "signed in", "Products by waiting demand");
    for (route, words, name) in [
        ("#/product/JACKET-RAIN-M", "Backorder queue", "product"),
        ("#/deliveries", "Delivery log", "notifications"),
        ("#/embed", "Live preview", "embed"),
        ("#/settings", "Allowed origins", "settings"),
    ] {
        b.goto(&url(&format!("/dashboard/{route}")));
        wait_text(&b, route, words);
        assert_eq!(
            b.eval("return document.activeElement.tagName", vec![]),
            "H1",
            "{route}: focus moves to the heading"
        );
        std::thread::sleep(Duration::from_millis(500));
        shot(&b, name);
    }
    b.goto(&url("/product.html?sku=TEE-ORG-XL"));
    std::thread::sleep(Duration::from_millis(800));
    shot(&b, "storefront-widget");
    b.goto(&url("/dev/mailbox"));
    shot(&b, "dev-mailbox");
}
