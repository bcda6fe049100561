//! The storefront widget in headless Chromium against the built Worker: states,
//! variant switching, signup and backorder through the real API, text-only rendering,
//! the shop's-own-cart event, languages, keyboard use, a dead API, and axe-core.

use std::time::Duration;

use restock_e2e::browser::{Browser, keys};
use restock_e2e::client::Shop;
use restock_e2e::env;
use restock_e2e::mailbox;
use restock_e2e::server::repo_root;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// JS reading `#id` inside the shadow root of the first widget matching `host`.
fn shadow_js(host: &str, id: &str, expr: &str) -> String {
    format!(
        "const h = document.querySelector('{host}'); const r = h && h.shadowRoot; \
         const e = r && r.getElementById('{id}'); return e ? {expr} : null;"
    )
}

/// Waits until the widget on `host` shows a loaded status (its class says which) and
/// returns the status line.
fn status(b: &Browser, host: &str) -> String {
    let js = shadow_js(host, "l", "(h.shadowRoot.getElementById('s').className.trim() === 's' ? '' : e.textContent)");
    b.wait_for(&format!("status of {host}"), &js, WAIT).as_str().unwrap_or_default().to_owned()
}

fn text(b: &Browser, host: &str, id: &str) -> String {
    b.eval(&shadow_js(host, id, "e.textContent"), vec![]).as_str().unwrap_or_default().to_owned()
}

fn visible(b: &Browser, host: &str, id: &str) -> bool {
    b.eval(&shadow_js(host, id, "!e.closest('[hidden]')"), vec![]).as_bool().unwrap_or(false)
}

fn url(path: &str) -> String {
    format!("{}{path}", env::get().url)
}

#[test]
fn every_state_shows_its_words_and_dates() {
    let b = Browser::launch();
    b.goto(&url("/"));
    let host = |sku: &str| format!("[data-restock-sku=\"{sku}\"]");
    assert_eq!(status(&b, &host("TEE-ORG-M")), "In stock");
    assert_eq!(status(&b, &host("TEE-ORG-L")), "Only 3 left");
    assert_eq!(status(&b, &host("TEE-ORG-XL")), "Out of stock");
    assert!(text(&b, &host("TEE-ORG-XL"), "t").starts_with("Expected back "), "an ETA from the PO");
    assert!(visible(&b, &host("TEE-ORG-XL"), "f"), "the waitlist form");
    assert_eq!(status(&b, &host("JACKET-RAIN-M")), "Available on backorder");
    assert!(text(&b, &host("JACKET-RAIN-M"), "v").ends_with("left to order"));
    assert!(text(&b, &host("JACKET-RAIN-M"), "t").starts_with("Ships "));
    assert!(status(&b, "restock-availability[sku=LAMP-ORBIT]").starts_with("Preorder: out "), "the custom element");
    assert_eq!(status(&b, &host("BOOT-TRAIL-42")), "Out of stock", "backorder places used up");
    assert_eq!(status(&b, &host("KETTLE-CLASSIC")), "No longer available");
    assert!(!visible(&b, &host("KETTLE-CLASSIC"), "f"), "nothing to sign up for");
    let requests = b.eval(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/availability?')).length",
        vec![],
    );
    assert_eq!(requests, 1, "eight widgets, one batched request");
    let mark = b.eval("return performance.getEntriesByName('restock:first-status').length", vec![]);
    assert_eq!(mark, 1, "the first rendered status is marked for the benchmark");
}

#[test]
fn variants_switch_without_a_reload() {
    let b = Browser::launch();
    b.goto(&url("/product.html"));
    let w = "[data-restock-sku]";
    assert_eq!(status(&b, w), "In stock");
    b.eval("window.__stayed = true; const s = document.getElementById('size'); s.value = 'xl'; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]);
    b.wait_for("XL out of stock", &shadow_js(w, "l", "e.textContent === 'Out of stock'"), WAIT);
    assert!(visible(&b, w, "f"));
    b.eval("document.querySelector('[data-restock-sku]').dispatchEvent(new CustomEvent('restock:variant', {bubbles: true, detail: {sku: 'TEE-ORG-L'}}))", vec![]);
    b.wait_for("L low stock", &shadow_js(w, "l", "e.textContent === 'Only 3 left'"), WAIT);
    b.eval("Restock.setSku(document.querySelector('[data-restock-sku]'), 'TEE-ORG-M')", vec![]);
    b.wait_for("M in stock", &shadow_js(w, "l", "e.textContent === 'In stock'"), WAIT);
    assert_eq!(b.eval("return window.__stayed === true", vec![]), true, "no reload happened");
}

#[test]
fn a_shopper_joins_the_waitlist_with_the_keyboard_and_gets_the_email() {
    let b = Browser::launch();
    b.goto(&url("/product.html?sku=MUG-STONE"));
    let w = "[data-restock-sku]";
    assert_eq!(status(&b, w), "Out of stock");
    let host = b.find(w);
    let email = b.find_in_shadow(&host, "#m");
    b.click(&email);
    b.press("not-an-email");
    b.press(keys::ENTER);
    b.wait_for("the email error", &shadow_js(w, "me", "!e.hidden && e.textContent"), WAIT);
    assert_eq!(b.eval(&shadow_js(w, "m", "e.getAttribute('aria-invalid')"), vec![]), "true");
    assert_eq!(b.eval(&shadow_js(w, "m", "h.shadowRoot.activeElement === e"), vec![]), true, "focus on the field");
    b.clear(&email);
    let address = format!("widget-{}@example.com", std::process::id());
    b.type_into(&email, &address);
    b.press(keys::TAB);
    b.press(keys::SPACE);
    assert_eq!(b.eval(&shadow_js(w, "k", "e.checked"), vec![]), true, "Space ticks the consent box");
    b.press(keys::ENTER);
    let note = b.wait_for("the outcome", &shadow_js(w, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().starts_with("Almost there"), "{note}");
    let mail = mailbox::wait_for("demo", &address, "the confirmation email", |m| !m.is_empty());
    assert!(mail[0]["subject"].as_str().unwrap_or_default().contains("Stoneware mug"));
}

#[test]
fn a_backorder_placed_in_the_widget_reaches_the_merchant() {
    let b = Browser::launch();
    b.goto(&url("/product.html?sku=JACKET-RAIN-M"));
    let w = "[data-restock-sku]";
    assert_eq!(status(&b, w), "Available on backorder");
    let host = b.find(w);
    let qty = b.find_in_shadow(&host, "#q");
    b.clear(&qty);
    b.type_into(&qty, "2");
    let address = format!("bo-widget-{}@example.com", std::process::id());
    b.type_into(&b.find_in_shadow(&host, "#m"), &address);
    b.click(&b.find_in_shadow(&host, "#b"));
    let note = b.wait_for("the order note", &shadow_js(w, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().contains("in line"), "{note}");
    let demo = Shop::demo();
    let orders = demo.backorders("JACKET-RAIN-M");
    let mine = orders.iter().find(|o| o["email"] == address.as_str()).cloned().unwrap_or(Value::Null);
    assert_eq!((mine["quantity"].as_i64(), mine["status"].as_str()), (Some(2), Some("open")));
}

#[test]
fn product_names_with_markup_are_shown_as_text() {
    let shop = Shop::create_with("xss", json!({}));
    let name = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>Socks";
    shop.put_product("SOCKS", json!({ "name": name, "policy": "deny" }));
    let b = Browser::launch();
    b.goto(&url(&format!("/embed.html?shop={}&sku=SOCKS", shop.id)));
    let w = "[data-restock-sku]";
    assert_eq!(status(&b, w), "Out of stock");
    assert_eq!(text(&b, w, "g"), format!("Get an email when {name} is back"));
    assert_eq!(b.eval(&shadow_js(w, "r", "h.shadowRoot.querySelectorAll('img,script').length"), vec![]), 0);
    assert_eq!(b.eval("return window.pwned === undefined", vec![]), true);
}

#[test]
fn the_shops_own_cart_can_take_backorders() {
    let shop = Shop::create_with("event", json!({ "backorder_mode": "event" }));
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 5 }));
    let b = Browser::launch();
    b.goto(&url(&format!("/embed.html?shop={}&sku=JKT", shop.id)));
    let w = "[data-restock-sku]";
    assert_eq!(status(&b, w), "Available on backorder");
    assert!(!visible(&b, w, "mr"), "no email field: the shop's checkout has it");
    b.eval("document.addEventListener('restock:backorder', e => { window.__order = e.detail; })", vec![]);
    b.click(&b.find_in_shadow(&b.find(w), "#b"));
    let detail = b.wait_for("the event", "return window.__order || null", WAIT);
    assert_eq!(detail, json!({ "sku": "JKT", "quantity": 1 }));
    assert!(shop.backorders("JKT").is_empty(), "nothing placed through our API");
}

#[test]
fn the_widget_speaks_the_pages_language() {
    let b = Browser::launch();
    for (lang, words) in [("de", "Ausverkauft"), ("fr", "Épuisé"), ("es", "Agotado"), ("ja", "在庫切れ")] {
        b.goto(&url(&format!("/embed.html?sku=TEE-ORG-XL&lang={lang}")));
        assert_eq!(status(&b, "[data-restock-sku]"), words, "{lang}");
        assert_eq!(b.eval(&shadow_js("[data-restock-sku]", "r", "e.lang"), vec![]), lang);
    }
    let ja_date = text(&b, "[data-restock-sku]", "t");
    assert!(ja_date.contains('年') || ja_date.contains('/'), "a Japanese date: {ja_date}");
}

#[test]
fn a_dead_api_breaks_nothing_on_the_page() {
    let b = Browser::launch();
    b.goto(&url("/embed.html?sku=TEE-ORG-M&api=http://127.0.0.1:9"));
    b.eval("window.__errors = 0; window.addEventListener('error', () => window.__errors++); window.addEventListener('unhandledrejection', () => window.__errors++);", vec![]);
    b.wait_for("the widget to give up quietly", &shadow_js("[data-restock-sku]", "r", "e.hidden"), WAIT);
    assert_eq!(b.eval("return window.__errors", vec![]), 0, "nothing thrown into the page");
    assert_eq!(
        b.eval("return document.querySelector('h1').textContent", vec![]),
        "Preview",
        "the page itself is intact"
    );
}

/// Runs axe-core (from node_modules) on the page, shadow roots included.
fn axe(b: &Browser) -> Vec<Value> {
    let source =
        std::fs::read_to_string(repo_root().join("node_modules/axe-core/axe.min.js")).expect("axe-core is installed");
    b.eval(&source, vec![]);
    let result = b.eval_async(
        "const done = arguments[arguments.length - 1]; \
         axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)})))).catch(e => done([{id: 'axe-error', nodes: [String(e)]}]));",
        vec![],
    );
    result.as_array().cloned().unwrap_or_default()
}

#[test]
fn axe_finds_no_accessibility_violations() {
    let b = Browser::launch();
    b.goto(&url("/"));
    status(&b, "[data-restock-sku=\"KETTLE-CLASSIC\"]");
    assert_eq!(axe(&b), Vec::<Value>::new(), "storefront");
    b.goto(&url("/product.html?sku=MUG-STONE"));
    status(&b, "[data-restock-sku]");
    // Show the form with an error too.
    b.click(&b.find_in_shadow(&b.find("[data-restock-sku]"), "#b"));
    b.wait_for("an error", &shadow_js("[data-restock-sku]", "me", "!e.hidden"), WAIT);
    assert_eq!(axe(&b), Vec::<Value>::new(), "waitlist form with an error");
    b.goto(&url("/product.html?sku=JACKET-RAIN-M"));
    status(&b, "[data-restock-sku]");
    assert_eq!(axe(&b), Vec::<Value>::new(), "backorder form");
    // The check is not vacuous: an unlabelled field planted in the shadow root is found.
    b.eval("document.querySelector('[data-restock-sku]').shadowRoot.getElementById('r').append(document.createElement('input'))", vec![]);
    let found = axe(&b);
    assert!(found.iter().any(|v| v["id"] == "label"), "axe sees inside the widget: {found:?}");
}
