//! The storefront widget in headless Chromium against the built Worker, embedded as a
//! shop embeds it: on pages served by the shop's own site ([`ShopSite`], another
//! origin), with the README's script tag. States, the files' cross-origin headers,
//! signup and backorder through the real API, text-only rendering, the shop's own
//! cart, languages and right-to-left, keyboard use, a dead API, and axe-core. One
//! check stays on the Worker's own origin (the demo storefront). Platform themes,
//! collection grids and the strict CSP have a suite of their own (`themes.rs`).

use restock_e2e::browser::{Browser, keys};
use restock_e2e::client::{Client, Shop};
use restock_e2e::env;
use restock_e2e::mailbox;
use restock_e2e::shopsite::ShopSite;
use restock_e2e::widget::{WAIT, axe, reordered, shadow_js, status, text, visible};
use serde_json::{Value, json};

fn site() -> &'static ShopSite {
    ShopSite::shared()
}

/// The shop site's embed page for `query` (sku=..., lang=..., ...).
fn embed(query: &str) -> String {
    site().page("embed.html", query)
}

/// A fresh shop whose storefront is the shop site.
fn shop_with(prefix: &str, settings: Value) -> Shop {
    let mut s = json!({ "allowed_origins": [site().url] });
    if let (Some(a), Some(b)) = (s.as_object_mut(), settings.as_object()) {
        a.extend(b.clone());
    }
    Shop::create_with(prefix, s)
}

const ALL: &str = "TEE-ORG-M,TEE-ORG-L,TEE-ORG-XL,JACKET-RAIN-M,LAMP-ORBIT,BOOT-TRAIL-42,MUG-STONE,KETTLE-CLASSIC";

fn host(sku: &str) -> String {
    format!("[data-restock-sku=\"{sku}\"]")
}

#[test]
fn every_state_shows_its_words_and_dates_on_another_origin() {
    let b = Browser::launch();
    b.goto(&embed(&format!("sku={ALL}")));
    assert_ne!(b.eval("return location.origin", vec![]), json!(env::get().url), "a foreign origin");
    assert_eq!(status(&b, &host("TEE-ORG-M")), "In stock");
    assert_eq!(status(&b, &host("TEE-ORG-L")), "Only 3 left");
    assert_eq!(status(&b, &host("TEE-ORG-XL")), "Out of stock");
    assert!(text(&b, &host("TEE-ORG-XL"), "t").starts_with("Expected back "), "an ETA from the PO");
    assert!(visible(&b, &host("TEE-ORG-XL"), "f"), "the waitlist form");
    assert_eq!(status(&b, &host("JACKET-RAIN-M")), "Available on backorder");
    assert!(text(&b, &host("JACKET-RAIN-M"), "v").ends_with("left to order"));
    assert!(text(&b, &host("JACKET-RAIN-M"), "t").starts_with("Ships "));
    assert!(status(&b, &host("LAMP-ORBIT")).starts_with("Preorder: out "));
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
fn the_demo_storefront_still_works_on_the_workers_own_origin() {
    let b = Browser::launch();
    b.goto(&format!("{}/", env::get().url));
    assert_eq!(status(&b, &host("TEE-ORG-M")), "In stock");
    assert!(status(&b, "restock-availability[sku=LAMP-ORBIT]").starts_with("Preorder: out "), "the custom element");
}

#[test]
fn widget_files_are_served_for_any_origin_and_cached_by_their_names() {
    let worker = Client::from_env();
    let origin = [("origin", site().url.as_str())];
    let loader = worker.get_with("/widget/widget.js", &origin);
    assert_eq!(loader.status, 200);
    assert_eq!(loader.header("access-control-allow-origin"), Some("*"));
    assert_eq!(loader.header("cache-control"), Some("public, max-age=300"), "a short cache at the stable URL");
    let names: Vec<String> = ["js", "wasm"]
        .iter()
        .map(|ext| {
            let at = loader.body.find(&format!(".{ext}\"")).unwrap_or_else(|| panic!("the loader names a .{ext}"));
            let start = loader.body[..at].rfind('"').map_or(0, |i| i + 1);
            loader.body[start..at + ext.len() + 1].to_owned()
        })
        .collect();
    for name in &names {
        let r = worker.get_with(&format!("/widget/{name}"), &origin);
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{name}");
        assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"), "{name}");
    }
    let wasm = worker.get_with(&format!("/widget/{}", names[1]), &origin);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"), "streaming compilation needs the MIME type");

    // In the browser: the wasm came from the Worker's origin and compiled while streaming.
    let b = Browser::launch();
    b.goto(&embed("sku=TEE-ORG-M&spy=1"));
    assert_eq!(status(&b, &host("TEE-ORG-M")), "In stock");
    assert_eq!(b.eval("return window.__streamed", vec![]), 1, "WebAssembly.instantiateStreaming compiled it");
    let wasm_from = b.eval(
        "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm')).map(e => new URL(e.name).origin)",
        vec![],
    );
    assert_eq!(wasm_from, json!([env::get().url]));
}

#[test]
fn a_shopper_joins_the_waitlist_with_the_keyboard_and_gets_the_email() {
    let b = Browser::launch();
    b.goto(&embed("sku=MUG-STONE"));
    let w = host("MUG-STONE");
    assert_eq!(status(&b, &w), "Out of stock");
    let el = b.find(&w);
    let email = b.find_in_shadow(&el, "#m");
    b.click(&email);
    b.press("not-an-email");
    b.press(keys::ENTER);
    b.wait_for("the email error", &shadow_js(&w, "me", "!e.hidden && e.textContent"), WAIT);
    assert_eq!(b.eval(&shadow_js(&w, "m", "e.getAttribute('aria-invalid')"), vec![]), "true");
    assert_eq!(b.eval(&shadow_js(&w, "m", "h.shadowRoot.activeElement === e"), vec![]), true, "focus on the field");
    b.clear(&email);
    let address = format!("widget-{}@example.com", std::process::id());
    b.type_into(&email, &address);
    b.press(keys::TAB);
    b.press(keys::SPACE);
    assert_eq!(b.eval(&shadow_js(&w, "k", "e.checked"), vec![]), true, "Space ticks the consent box");
    b.press(keys::ENTER);
    let note = b.wait_for("the outcome", &shadow_js(&w, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().starts_with("Almost there"), "{note}");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the signup's outcome");
    assert_eq!(b.eval(&shadow_js(&w, "n", "h.shadowRoot.activeElement === e"), vec![]), true, "focus on the outcome");
    let mail = mailbox::wait_for("demo", &address, "the confirmation email", |m| !m.is_empty());
    assert!(mail[0]["subject"].as_str().unwrap_or_default().contains("Stoneware mug"));
    // The consent record names the shop's page it was shown on, without the query.
    let signups = Shop::demo().all_pages("/v1/admin/products/MUG-STONE/waitlist");
    let mine = signups.iter().find(|r| r["email"] == address.as_str()).cloned().unwrap_or_default();
    assert_eq!(mine["consent_source"], format!("{}/embed.html", site().url), "{mine}");
}

#[test]
fn a_backorder_placed_in_the_widget_reaches_the_merchant() {
    let b = Browser::launch();
    b.goto(&embed("sku=JACKET-RAIN-M"));
    let w = host("JACKET-RAIN-M");
    assert_eq!(status(&b, &w), "Available on backorder");
    let el = b.find(&w);
    let qty = b.find_in_shadow(&el, "#q");
    b.clear(&qty);
    b.type_into(&qty, "2");
    let address = format!("bo-widget-{}@example.com", std::process::id());
    b.type_into(&b.find_in_shadow(&el, "#m"), &address);
    b.click(&b.find_in_shadow(&el, "#b"));
    let note = b.wait_for("the order note", &shadow_js(&w, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().contains("in line"), "{note}");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the order's outcome");
    assert_eq!(b.eval(&shadow_js(&w, "n", "h.shadowRoot.activeElement === e"), vec![]), true, "focus on the outcome");
    let orders = Shop::demo().backorders("JACKET-RAIN-M");
    let mine = orders.iter().find(|o| o["email"] == address.as_str()).cloned().unwrap_or(Value::Null);
    assert_eq!((mine["quantity"].as_i64(), mine["status"].as_str()), (Some(2), Some("open")));
}

#[test]
fn product_names_with_markup_are_shown_as_text() {
    let shop = shop_with("xss", json!({}));
    let name = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>Socks";
    shop.put_product("SOCKS", json!({ "name": name, "policy": "deny" }));
    let b = Browser::launch();
    b.goto(&embed(&format!("shop={}&sku=SOCKS", shop.id)));
    let w = host("SOCKS");
    assert_eq!(status(&b, &w), "Out of stock");
    assert_eq!(text(&b, &w, "g").replace(['\u{2068}', '\u{2069}'], ""), format!("Get an email when {name} is back"));
    assert_eq!(b.eval(&shadow_js(&w, "r", "h.shadowRoot.querySelectorAll('img,script').length"), vec![]), 0);
    assert_eq!(b.eval("return window.pwned === undefined", vec![]), true);
}

/// Places a backorder in event mode on the embed page with `handler` (JS run in the
/// page first, or nothing) and returns the note or error the shopper is shown.
fn event_mode_outcome(shop: &Shop, handler: &str) -> (String, Value) {
    let b = Browser::launch();
    b.goto(&embed(&format!("shop={}&sku=JKT", shop.id)));
    let w = host("JKT");
    assert_eq!(status(&b, &w), "Available on backorder");
    assert!(!visible(&b, &w, "mr"), "no email field: the shop's checkout has it");
    b.eval(&format!("window.__orders = []; document.addEventListener('restock:backorder', e => {{ window.__orders.push({{sku: e.detail.sku, quantity: e.detail.quantity}}); {handler} }})"), vec![]);
    b.click(&b.find_in_shadow(&b.find(&w), "#b"));
    let shown = b.wait_for(
        "the outcome",
        &shadow_js(&w, "r", "(h.shadowRoot.getElementById('n').hidden ? '' : 'note: ' + h.shadowRoot.getElementById('n').textContent) || (h.shadowRoot.getElementById('er').hidden ? '' : 'error: ' + h.shadowRoot.getElementById('er').textContent)"),
        WAIT,
    );
    (shown.as_str().unwrap_or_default().to_owned(), b.eval("return window.__orders", vec![]))
}

#[test]
fn the_shops_own_cart_takes_backorders_only_when_its_handler_says_so() {
    let shop = shop_with("event", json!({ "backorder_mode": "event" }));
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "cap": 5 }));
    let (shown, orders) =
        event_mode_outcome(&shop, "e.detail.respondWith(new Promise(r => setTimeout(() => r(true), 300)))");
    assert_eq!(shown, "note: Added to your cart.");
    assert_eq!(orders, json!([{ "sku": "JKT", "quantity": 1 }]));
    let (shown, _) = event_mode_outcome(&shop, "e.detail.respondWith(Promise.reject(new Error('sold out')))");
    assert!(shown.starts_with("error: We couldn't add it to your cart"), "{shown}");
    let (shown, orders) = event_mode_outcome(&shop, "");
    assert!(shown.starts_with("error: We couldn't add it to your cart"), "nothing handled it: {shown}");
    assert_eq!(orders, json!([{ "sku": "JKT", "quantity": 1 }]), "the event was fired");
    assert!(shop.backorders("JKT").is_empty(), "nothing placed through our API");
}

#[test]
fn the_widget_speaks_seven_languages() {
    let b = Browser::launch();
    for (lang, words) in [
        ("en", "Out of stock"),
        ("de", "Ausverkauft"),
        ("fr", "Épuisé"),
        ("es", "Agotado"),
        ("ja", "在庫切れ"),
        ("ar", "نفد من المخزون"),
        ("he", "אזל מהמלאי"),
    ] {
        b.goto(&embed(&format!("sku=TEE-ORG-XL&lang={lang}")));
        let w = host("TEE-ORG-XL");
        let shown = status(&b, &w);
        assert!(!shown.is_empty(), "{lang}");
        if !["ar", "he"].contains(&lang) {
            assert_eq!(shown, words, "{lang}");
        }
        assert_eq!(b.eval(&shadow_js(&w, "r", "e.lang"), vec![]), lang);
        let dir = b.eval(&shadow_js(&w, "l", "e.closest('[dir]').dir"), vec![]);
        assert_eq!(dir, if ["ar", "he"].contains(&lang) { "rtl" } else { "ltr" }, "{lang}");
    }
    let he_date = text(&b, &host("TEE-ORG-XL"), "t");
    assert!(he_date.chars().any(|c| ('\u{0590}'..='\u{05ff}').contains(&c)), "a Hebrew date line: {he_date}");
    // Numbers and dates are written by the Worker (`restock_shared::say`) in the
    // language's CLDR style, whatever the region: the same for every shopper of a
    // language, in the first paint and after.
    b.goto(&embed("sku=TEE-ORG-L&lang=ar-EG"));
    assert_eq!(status(&b, &host("TEE-ORG-L")), "تبقّى 3 فقط");
}

#[test]
fn right_to_left_pages_keep_every_sentence_in_order() {
    let b = Browser::launch();
    // English on a right-to-left page: the layout follows the page, the sentences stay
    // left to right, and no fragment (a date, a number) moves.
    b.goto(&embed(&format!("sku={ALL}&lang=en&dir=rtl")));
    for sku in ALL.split(',') {
        status(&b, &host(sku));
    }
    assert_eq!(b.eval(&shadow_js(&host("TEE-ORG-M"), "r", "e.dir"), vec![]), "rtl", "layout follows the page");
    for sku in ALL.split(',') {
        assert_eq!(reordered(&b, &host(sku), false), Value::Null, "{sku} in English on an RTL page");
    }
    // Arabic and Hebrew: right to left, with Latin product names and numbers isolated.
    for lang in ["ar", "he"] {
        b.goto(&embed(&format!("sku={ALL}&lang={lang}&dir=rtl")));
        for sku in ALL.split(',') {
            status(&b, &host(sku));
            assert_eq!(reordered(&b, &host(sku), true), Value::Null, "{sku} in {lang}");
        }
    }
    // The check is not vacuous: a sentence that starts with a number, unisolated, on an
    // RTL paragraph is caught.
    b.eval(
        "const r = document.querySelector('[data-restock-sku]').shadowRoot; const p = r.getElementById('v'); \
         p.dir = 'rtl'; p.hidden = false; p.textContent = '23 left to order';",
        vec![],
    );
    assert_ne!(reordered(&b, &host("TEE-ORG-M"), false), Value::Null, "the bidi check sees a reordering");
}

#[test]
fn a_dead_api_breaks_nothing_on_the_page() {
    let b = Browser::launch();
    b.goto(&embed("sku=TEE-ORG-M&api=http://127.0.0.1:9"));
    b.eval("window.__errors = 0; window.addEventListener('error', () => window.__errors++); window.addEventListener('unhandledrejection', () => window.__errors++);", vec![]);
    b.wait_for("the widget to give up quietly", &shadow_js(&host("TEE-ORG-M"), "r", "e.hidden"), WAIT);
    assert_eq!(b.eval("return window.__errors", vec![]), 0, "nothing thrown into the page");
    assert_eq!(
        b.eval("return document.querySelector('h1').textContent", vec![]),
        "Preview",
        "the page itself is intact"
    );
}

#[test]
fn axe_finds_no_violations_in_any_state_left_to_right_or_right_to_left() {
    let b = Browser::launch();
    for (lang, dir) in [("en", "ltr"), ("ar", "rtl"), ("he", "rtl")] {
        b.goto(&embed(&format!("sku={ALL}&lang={lang}&dir={dir}")));
        for sku in ALL.split(',') {
            status(&b, &host(sku));
        }
        assert_eq!(axe(&b), Vec::<Value>::new(), "every state, {lang}");
        // Forms with errors shown.
        for sku in ["MUG-STONE", "JACKET-RAIN-M"] {
            b.click(&b.find_in_shadow(&b.find(&host(sku)), "#b"));
            b.wait_for("an error", &shadow_js(&host(sku), "me", "!e.hidden"), WAIT);
        }
        assert_eq!(axe(&b), Vec::<Value>::new(), "forms with errors, {lang}");
    }
    // The check is not vacuous: an unlabelled field planted in the shadow root is found.
    b.eval("document.querySelector('[data-restock-sku]').shadowRoot.getElementById('r').append(document.createElement('input'))", vec![]);
    let found = axe(&b);
    assert!(found.iter().any(|v| v["id"] == "label"), "axe sees inside the widget: {found:?}");
}

#[test]
fn screenshots_for_the_docs() {
    if std::env::var_os("RESTOCK_SCREENSHOTS").is_none() {
        return;
    }
    let b = Browser::launch_sized(1100, 900);
    b.goto(&embed(&format!("sku={ALL}&lang=ar&dir=rtl")));
    for sku in ALL.split(',') {
        status(&b, &host(sku));
    }
    restock_e2e::widget::screenshot(&b, "widget-rtl");
}
