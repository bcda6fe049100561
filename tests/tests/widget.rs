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
    form(&b, &host("TEE-ORG-XL"));
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
fn the_first_status_needs_no_wasm() {
    // The loader paints every status from the Worker's words; the wasm only brings
    // the forms. With no wasm at all, the statuses are there, and no form is.
    let b = Browser::launch();
    b.goto(&embed(&format!("sku={ALL}&nowasm=1&lang=de")));
    assert_eq!(status(&b, &host("TEE-ORG-L")), "Nur noch 3 verfügbar");
    assert_eq!(status(&b, &host("TEE-ORG-XL")), "Ausverkauft");
    assert!(text(&b, &host("TEE-ORG-XL"), "t").starts_with("Voraussichtlich wieder da am "), "the date, in German");
    assert!(status(&b, &host("LAMP-ORBIT")).starts_with("Vorbestellung: erscheint am "));
    assert_eq!(b.eval("return performance.getEntriesByName('restock:first-status').length", vec![]), 1);
    let packs =
        b.eval("return performance.getEntriesByType('resource').filter(e => e.name.endsWith('.txt')).length", vec![]);
    assert!(!visible(&b, &host("TEE-ORG-XL"), "f"), "no form without the wasm ({packs} packs loaded)");
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
    form(&b, &w);
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
    form(&b, &w);
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
    form(&b, &w);
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
    form(&b, &w);
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
        form(&b, &host("MUG-STONE"));
        form(&b, &host("JACKET-RAIN-M"));
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

/// Waits for the form of the widget on `host`: the loader paints the status, and the
/// form comes with the wasm, just after.
#[track_caller]
fn form(b: &Browser, host: &str) {
    b.wait_for(&format!("the form of {host}"), &shadow_js(host, "f", "e.checkVisibility()"), WAIT);
}

/// The availability reads the page made, as their query strings.
fn reads(b: &Browser) -> Vec<String> {
    let v = b.eval(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/availability?')).map(n => new URL(n).search)",
        vec![],
    );
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
}

#[test]
fn a_shop_that_texts_offers_a_phone_number_with_its_own_consent() {
    // Without texts: no phone field.
    let plain = shop_with("nosms", json!({}));
    plain.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let b = Browser::launch();
    b.goto(&embed(&format!("shop={}&sku=MUG", plain.id)));
    let w = host("MUG");
    assert_eq!(status(&b, &w), "Out of stock");
    form(&b, &w);
    assert!(visible(&b, &w, "m") && !visible(&b, &w, "p") && !visible(&b, &w, "j"), "email only");

    let text = "Text me once when it's back. Msg & data rates may apply. Reply STOP to opt out.";
    let shop = shop_with("sms", json!({ "sms_enabled": true, "sms_consent_text": text }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    b.goto(&embed(&format!("shop={}&sku=MUG", shop.id)));
    assert_eq!(status(&b, &w), "Out of stock");
    form(&b, &w);
    assert!(visible(&b, &w, "p") && visible(&b, &w, "j"), "the phone field and its own box");
    assert_eq!(b.eval(&shadow_js(&w, "jl", "e.textContent"), vec![]), text, "the shop's SMS consent text, as text");
    assert_eq!(b.eval(&shadow_js(&w, "p", "e.type + ' ' + e.autocomplete"), vec![]), "tel tel");
    let el = b.find(&w);
    let address = format!("sms-widget-{}@example.com", std::process::id());
    b.type_into(&b.find_in_shadow(&el, "#m"), &address);
    b.click(&b.find_in_shadow(&el, "#k"));
    // A national number is not one a text can go to: refused before anything is sent.
    let phone = b.find_in_shadow(&el, "#p");
    b.type_into(&phone, "07700 900123");
    b.click(&b.find_in_shadow(&el, "#j"));
    b.click(&b.find_in_shadow(&el, "#b"));
    let error = b.wait_for("the phone error", &shadow_js(&w, "pe", "!e.hidden && e.textContent"), WAIT);
    assert!(error.as_str().is_some_and(|e| e.contains("country code")), "{error}");
    assert_eq!(b.eval(&shadow_js(&w, "p", "e.getAttribute('aria-invalid')"), vec![]), "true");
    assert_eq!(b.eval(&shadow_js(&w, "p", "h.shadowRoot.activeElement === e"), vec![]), true, "focus on the field");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the phone field with its error");
    assert!(shop.all_pages("/v1/admin/products/MUG/waitlist").is_empty(), "nothing was sent");
    b.clear(&phone);
    b.type_into(&phone, "+44 (7700) 900-123");
    b.click(&b.find_in_shadow(&el, "#b"));
    let note = b.wait_for("the outcome", &shadow_js(&w, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().is_some_and(|n| !n.is_empty()), "{note}");
    // Posted as the Worker takes it: the number in E.164, the text exactly as shown.
    let rows = shop.all_pages("/v1/admin/products/MUG/waitlist");
    let mine = rows.iter().find(|r| r["email"] == address.as_str()).cloned().unwrap_or_default();
    assert_eq!(
        (mine["phone"].as_str(), mine["sms_consent_text"].as_str()),
        (Some("+447700900123"), Some(text)),
        "{mine}"
    );
}

#[test]
fn out_of_stock_products_offer_alternatives_in_stock_as_links() {
    let shop = shop_with("alt", json!({}));
    let p = |name: &str, on_hand: u32, extra: Value| {
        let mut body = json!({ "name": name, "policy": "deny", "on_hand": on_hand, "category": "Mugs" });
        if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        body
    };
    shop.put_product("MUG-B", p("Blue <b>mug</b>", 5, json!({ "url": "/p/mug-b" })));
    shop.put_product(
        "MUG-C",
        p("Cream mug", 2, json!({ "low_stock_threshold": 3, "url": "https://brand.example/cream" })),
    );
    shop.put_product("MUG-D", p("Dark mug", 0, json!({})));
    // Last: a product's alternatives are found when its snapshot is built (on a change
    // to it), not when another product changes.
    shop.put_product("MUG", p("Mug", 0, json!({})));
    let b = Browser::launch();
    b.goto(&embed(&format!("shop={}&sku=MUG,MUG-B", shop.id)));
    let w = host("MUG");
    assert_eq!(status(&b, &w), "Out of stock");
    assert!(visible(&b, &w, "al"), "the alternatives");
    assert_eq!(text(&b, &w, "ah"), "Available now instead:");
    let items = b.eval(
        &shadow_js(&w, "au", "[...e.children].map(li => { const a = li.querySelector('a'); return [li.textContent, a ? a.href : null]; })"),
        vec![],
    );
    let url = site().url.clone();
    assert_eq!(
        items,
        json!([
            ["Blue <b>mug</b> – In stock", format!("{url}/p/mug-b")],
            ["Cream mug – Only a few left", "https://brand.example/cream"]
        ]),
        "in stock only, names as text, paths on the shop's own site"
    );
    assert_eq!(b.eval(&shadow_js(&w, "au", "e.querySelectorAll('b').length"), vec![]), 0);
    assert_eq!(status(&b, &host("MUG-B")), "In stock");
    assert!(!visible(&b, &host("MUG-B"), "al"), "nothing offered instead of what is in stock");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the alternatives");
    // In the shopper's language.
    b.goto(&embed(&format!("shop={}&sku=MUG&lang=de", shop.id)));
    assert_eq!(status(&b, &w), "Ausverkauft");
    assert_eq!(text(&b, &w, "ah"), "Stattdessen sofort lieferbar:");
    assert!(text(&b, &w, "au").contains("Auf Lager"));
}

#[test]
fn a_widget_mounted_by_platform_variant_id_shows_its_product() {
    let shop = shop_with("var", json!({}));
    shop.put_product("TEE-M", json!({ "name": "Tee M", "policy": "deny", "on_hand": 4 }));
    shop.put_product("TEE-L", json!({ "name": "Tee L", "policy": "deny" }));
    let r = shop.admin(
        "POST",
        "/v1/admin/import",
        Some(&json!({ "items": [
            { "sku": "TEE-M", "platform": "shopify", "variant_id": "7001" },
            { "sku": "TEE-L", "platform": "shopify", "variant_id": "7002" }
        ] })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let b = Browser::launch();
    b.goto(&embed(&format!("shop={}&variant_ids=7001,7002,7999&platform=shopify", shop.id)));
    let by = |id: &str| format!("[data-restock-variant-id=\"{id}\"]");
    assert_eq!(status(&b, &by("7001")), "In stock");
    assert_eq!(status(&b, &by("7002")), "Out of stock");
    form(&b, &by("7002"));
    b.wait_for("the unknown variant to stay hidden", &shadow_js(&by("7999"), "r", "e.hidden"), WAIT);
    let asked = reads(&b);
    assert_eq!(asked.len(), 1, "one read for three variants: {asked:?}");
    assert!(asked[0].contains("variants=7001,7002,7999") && asked[0].contains("platform=shopify"), "{asked:?}");
    assert!(!asked[0].contains("skus="), "{asked:?}");
    // A signup from it names the SKU the Worker mapped the variant to.
    let el = b.find(&by("7002"));
    let address = format!("variant-{}@example.com", std::process::id());
    b.type_into(&b.find_in_shadow(&el, "#m"), &address);
    b.click(&b.find_in_shadow(&el, "#k"));
    b.click(&b.find_in_shadow(&el, "#b"));
    b.wait_for("the outcome", &shadow_js(&by("7002"), "n", "!e.hidden && e.textContent"), WAIT);
    let rows = shop.all_pages("/v1/admin/products/TEE-L/waitlist");
    assert!(rows.iter().any(|r| r["email"] == address.as_str()), "{rows:?}");
}

/// A customer-group token as the shop's server signs it (HMAC-SHA256 of
/// `{shop}.{group}.{expires}` under the shop's group key).
fn group_token(key: &str, shop: &str, group: &str, expires: i64) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(format!("{shop}.{group}.{expires}").as_bytes());
    let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("{group}.{expires}.{sig}")
}

#[test]
fn a_signed_customer_group_token_goes_with_reads_and_orders() {
    let shop = shop_with("grp", json!({}));
    shop.put_product("CRATE", json!({ "name": "Crate", "policy": "backorder" }));
    let rules = json!({ "rules": [
        { "group": "*", "backorder": false, "preorder": true },
        { "group": "b2b", "backorder": true, "preorder": true, "max_quantity": 50 }
    ] });
    assert_eq!(shop.admin("PUT", "/v1/admin/groups", Some(&rules)).status, 200);
    let r = shop.admin("POST", "/v1/admin/groups/key", Some(&json!({ "grace_hours": 0 })));
    assert_eq!(r.status, 201, "{}", r.body);
    let key = r.json()["key"].as_str().unwrap_or_default().to_owned();
    let b2b = group_token(&key, &shop.id, "b2b", restock_e2e::platforms::now_secs() + 3600);
    let w = host("CRATE");
    let b = Browser::launch();
    // Anyone: no backorders for the crate.
    b.goto(&embed(&format!("shop={}&sku=CRATE", shop.id)));
    assert_eq!(status(&b, &w), "Out of stock");
    // A wholesale customer (data-restock-group on the tag): backorders, up to 50.
    b.goto(&embed(&format!("shop={}&sku=CRATE&group={b2b}", shop.id)));
    assert_eq!(status(&b, &w), "Available on backorder");
    assert!(reads(&b).iter().all(|q| q.contains(&format!("group={b2b}"))), "{:?}", reads(&b));
    form(&b, &w);
    assert_eq!(b.eval(&shadow_js(&w, "q", "e.max"), vec![]), "50");
    let el = b.find(&w);
    let qty = b.find_in_shadow(&el, "#q");
    b.clear(&qty);
    b.type_into(&qty, "12");
    let address = format!("b2b-{}@example.com", std::process::id());
    b.type_into(&b.find_in_shadow(&el, "#m"), &address);
    b.click(&b.find_in_shadow(&el, "#b"));
    let note = b.wait_for("the order note", &shadow_js(&w, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().contains("in line"), "{note}");
    let mine = shop.backorders("CRATE").into_iter().find(|o| o["email"] == address.as_str()).unwrap_or_default();
    assert_eq!(mine["quantity"].as_i64(), Some(12), "the order went with the token: {mine}");
    // An altered token: the Worker refuses it, and the widget reads as anyone, quietly.
    let altered = b2b.replacen("b2b", "vip", 1);
    b.goto(&embed(&format!("shop={}&sku=CRATE&group={altered}", shop.id)));
    b.eval("window.__errors = 0; window.addEventListener('error', () => window.__errors++);", vec![]);
    assert_eq!(status(&b, &w), "Out of stock");
    let asked = reads(&b);
    assert_eq!(asked.len(), 2, "once with the token, once without: {asked:?}");
    assert!(!asked[1].contains("group="), "{asked:?}");
    assert_eq!(b.eval("return window.__errors", vec![]), 0);
}

/// The error under field `id` (`qe`, `me`, ...) once shown, isolates removed; and
/// whether its input is marked invalid and has the focus.
#[track_caller]
fn field_error(b: &Browser, host: &str, input: &str) -> String {
    let shown = b.wait_for(
        &format!("the error of #{input}"),
        &shadow_js(host, &format!("{input}e"), "!e.hidden && e.textContent"),
        WAIT,
    );
    let marked =
        b.eval(&shadow_js(host, input, "e.getAttribute('aria-invalid') === 'true' && r.activeElement === e"), vec![]);
    assert_eq!(marked, true, "#{input} is marked invalid and focused");
    shown.as_str().unwrap_or_default().replace(['\u{2068}', '\u{2069}'], "")
}

#[test]
fn the_form_checks_each_field_as_the_worker_does_and_says_what_the_worker_answered() {
    // What the form decides in the browser (the wasm's rules from `shared`, the form's
    // JavaScript), each field in turn, and two answers of the Worker's: places taken
    // meanwhile (409) and a honeypot a bot filled in.
    let sms = "Text me once when it's back. Reply STOP to opt out.";
    let shop = shop_with("checks", json!({ "sms_enabled": true, "sms_consent_text": sms }));
    shop.put_product("CAP", json!({ "name": "Cap", "policy": "backorder", "cap": 3 }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let b = Browser::launch();
    b.goto(&embed(&format!("shop={}&sku=CAP,MUG", shop.id)));
    let (cap, mug) = (host("CAP"), host("MUG"));
    assert_eq!(status(&b, &cap), "Available on backorder");
    form(&b, &cap);
    let el = b.find(&cap);
    let (qty, email, submit) = (b.find_in_shadow(&el, "#q"), b.find_in_shadow(&el, "#m"), b.find_in_shadow(&el, "#b"));
    b.type_into(&email, "ada@example.com");
    for bad in ["4", "0", "1.5"] {
        b.clear(&qty);
        b.type_into(&qty, bad);
        b.click(&submit);
        assert_eq!(field_error(&b, &cap, "q"), "Choose a quantity from 1 to 3.", "{bad:?}");
    }
    b.clear(&qty);
    b.type_into(&qty, "2");
    assert!(!visible(&b, &cap, "qe"), "typing clears the error");
    b.clear(&email);
    b.type_into(&email, "ada@example");
    b.click(&submit);
    assert!(field_error(&b, &cap, "m").contains("name@example.com"));
    assert!(shop.backorders("CAP").is_empty(), "nothing was sent");
    // Two of the three places go while the shopper types: the Worker refuses 2, the
    // widget says so and reads availability again, skipping caches.
    let taken = shop.backorder("CAP", 2, "first@example.com", "203.0.113.7", None);
    assert_eq!(taken.status, 201, "{}", taken.body);
    b.clear(&email);
    b.type_into(&email, &format!("late-{}@example.com", std::process::id()));
    b.click(&submit);
    let said = b.wait_for("the refusal", &shadow_js(&cap, "er", "!e.hidden && e.textContent"), WAIT);
    assert_eq!(said, "Sorry, the last places were just taken.");
    b.wait_for("a fresh read", "return performance.getEntriesByType('resource').some(e => e.name.includes('/availability?') && e.name.includes('fresh=1'))", WAIT);
    assert_eq!(shop.backorders("CAP").len(), 1, "only the first order");

    // The waitlist with texts: consent, a number needs its box, a box needs a number.
    form(&b, &mug);
    let el = b.find(&mug);
    let (phone, submit) = (b.find_in_shadow(&el, "#p"), b.find_in_shadow(&el, "#b"));
    b.type_into(&b.find_in_shadow(&el, "#m"), &format!("mug-{}@example.com", std::process::id()));
    b.click(&submit);
    assert_eq!(field_error(&b, &mug, "k"), "Please tick the box to agree.");
    b.click(&b.find_in_shadow(&el, "#k"));
    b.type_into(&phone, "+44 7700 900123");
    b.click(&submit);
    assert!(field_error(&b, &mug, "j").starts_with("Tick the box to get a text too"));
    b.clear(&phone);
    b.click(&b.find_in_shadow(&el, "#j"));
    assert!(!visible(&b, &mug, "je"), "ticking the box clears its error");
    b.click(&submit);
    assert!(field_error(&b, &mug, "p").contains("country code"), "a ticked box needs a number");
    b.click(&b.find_in_shadow(&el, "#j"));
    assert!(shop.all_pages("/v1/admin/products/MUG/waitlist").is_empty(), "nothing was sent");
    // A bot fills in the hidden honeypot: it goes along, the Worker answers as usual
    // and keeps nothing.
    b.eval(&shadow_js(&mug, "w", "(e.value = 'http://spam', true)"), vec![]);
    b.click(&submit);
    let note = b.wait_for("the outcome", &shadow_js(&mug, "n", "!e.hidden && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().starts_with("You're on the list"), "{note}");
    assert!(shop.all_pages("/v1/admin/products/MUG/waitlist").is_empty(), "the Worker kept nothing");
}

#[test]
fn another_variant_starts_its_form_afresh_and_keeps_what_was_typed() {
    let b = Browser::launch();
    b.goto(&embed("sku=MUG-STONE"));
    let w = host("MUG-STONE");
    assert_eq!(status(&b, &w), "Out of stock");
    form(&b, &w);
    let before = text(&b, &w, "g");
    let el = b.find(&w);
    b.type_into(&b.find_in_shadow(&el, "#m"), "nope");
    b.click(&b.find_in_shadow(&el, "#b"));
    assert!(field_error(&b, &w, "m").contains("name@example.com"));
    // The shopper picks another variant (here through the page's API): its form starts
    // afresh, without the old error, and the address typed stays in the field.
    b.eval(&format!("Restock.setSku(document.querySelector('{w}'), 'TEE-ORG-XL')"), vec![]);
    let before = serde_json::to_string(&before).unwrap_or_default();
    let js = shadow_js(&w, "g", &format!("e.textContent !== {before} && e.textContent"));
    let after = b.wait_for("the other variant's form", &js, WAIT);
    assert!(after.as_str().is_some_and(|g| g.starts_with("Get an email when")), "{after}");
    assert!(!visible(&b, &w, "me"), "the old error is gone");
    assert_eq!(b.eval(&shadow_js(&w, "m", "e.getAttribute('aria-invalid')"), vec![]), Value::Null);
    assert_eq!(b.eval(&shadow_js(&w, "m", "e.value"), vec![]), "nope", "what was typed stays");
}
