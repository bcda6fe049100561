//! The widget on the pages merchants really have, served by the shop's own site on
//! another origin (`tests/pages/`, which reproduce each platform's product markup and
//! events from their public theme sources): Shopify Dawn and Horizon, WooCommerce and
//! BigCommerce Cornerstone follow variant picks with no glue code; Shopify's cart takes
//! event-mode backorders; collection grids use the compact mode and its dialog; a
//! strict Content-Security-Policy leaves the widget styled and its honeypot hidden.

use std::time::{Duration, Instant};

use restock_e2e::browser::{Browser, keys};
use restock_e2e::client::Shop;
use restock_e2e::shopsite::{Cart, ShopSite};
use restock_e2e::widget::{WAIT, axe, reordered, screenshot, shadow_js, status, visible};
use serde_json::{Value, json};

fn site() -> &'static ShopSite {
    ShopSite::shared()
}

const W: &str = "[data-restock-sku]";

/// Waits until the (first) widget's status line is `line`.
#[track_caller]
fn wait_line(b: &Browser, host: &str, line: &str) {
    let js = shadow_js(host, "l", &format!("e.textContent.replace(/[\\u2068\\u2069]/g, '') === {line:?}"));
    b.wait_for(&format!("{host} to say {line:?}"), &js, WAIT);
}

#[test]
fn shopify_dawn_follows_the_variant_picker_and_the_url() {
    let b = Browser::launch();
    b.goto(&site().page("shopify-dawn.html", ""));
    assert_eq!(status(&b, W), "In stock");
    // A shopper picks XL: Dawn sets input[name="id"] and fires `change` on it.
    b.click(&b.find("label[for=\"template--1001__main-1-2\"]"));
    wait_line(&b, W, "Out of stock");
    assert!(visible(&b, W, "f"), "the waitlist form for the sold-out variant");
    b.click(&b.find("label[for=\"template--1001__main-1-1\"]"));
    wait_line(&b, W, "Only 3 left");
    // Opened on a variant: ?variant=<id>.
    b.goto(&site().page("shopify-dawn.html", "variant=44001003"));
    wait_line(&b, W, "Out of stock");
    screenshot(&b, "theme-shopify-dawn");
}

#[test]
fn shopify_horizon_follows_the_standard_product_select_event() {
    let b = Browser::launch();
    b.goto(&site().page("shopify-horizon.html", ""));
    assert_eq!(status(&b, W), "In stock");
    b.eval("document.querySelector('input[type=radio][value=XL]').click()", vec![]);
    wait_line(&b, W, "Out of stock");
    b.eval("document.querySelector('input[type=radio][value=L]').click()", vec![]);
    wait_line(&b, W, "Only 3 left");
    // Horizon 3.x, before the standard events: `variant:update`.
    b.goto(&site().page("shopify-horizon.html", "horizon=3"));
    assert_eq!(status(&b, W), "In stock");
    b.eval("document.querySelector('input[type=radio][value=XL]').click()", vec![]);
    wait_line(&b, W, "Out of stock");
}

#[test]
fn woocommerce_follows_found_variation_and_reset() {
    let b = Browser::launch();
    b.goto(&site().page("woocommerce.html", ""));
    assert_eq!(status(&b, W), "In stock");
    let pick = |value: &str| {
        b.eval(
            &format!("const s = document.getElementById('pa_size'); s.value = '{value}'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));"),
            vec![],
        );
    };
    pick("xl");
    wait_line(&b, W, "Out of stock");
    pick("l");
    wait_line(&b, W, "Only 3 left");
    // "Clear": reset_data, back to the product's own SKU.
    b.click(&b.find("button.reset_variations"));
    wait_line(&b, W, "In stock");
    screenshot(&b, "theme-woocommerce");
}

#[test]
fn bigcommerce_follows_the_sku_the_theme_shows() {
    let b = Browser::launch();
    b.goto(&site().page("bigcommerce.html", ""));
    assert_eq!(status(&b, W), "In stock");
    b.click(&b.find("label[for=\"attribute_rectangle__115_203\"]"));
    wait_line(&b, W, "Out of stock");
    b.click(&b.find("label[for=\"attribute_rectangle__115_202\"]"));
    wait_line(&b, W, "Only 3 left");
}

/// A shop in event mode whose storefront is the shop site, with the tee's XL on
/// backorder.
fn event_shop() -> Shop {
    let shop = Shop::create_with("cart", json!({ "backorder_mode": "event", "allowed_origins": [site().url] }));
    shop.put_product("TEE-ORG-XL", json!({ "name": "Tee XL", "policy": "backorder", "cap": 5 }));
    shop
}

fn outcome(b: &Browser) -> String {
    let js = shadow_js(
        W,
        "r",
        "(r.getElementById('n').hidden ? '' : 'note: ' + r.getElementById('n').textContent) || \
         (r.getElementById('er').hidden ? '' : 'error: ' + r.getElementById('er').textContent)",
    );
    b.wait_for("the outcome", &js, WAIT).as_str().unwrap_or_default().to_owned()
}

#[test]
fn shopifys_cart_takes_a_backorder_with_a_line_item_property() {
    let shop = event_shop();
    let b = Browser::launch();
    let page = site().page("shopify-dawn.html", &format!("shop={}&variant=44001003", shop.id));
    b.goto(&page);
    wait_line(&b, W, "Available on backorder");
    let before = site().cart_adds().len();
    b.click(&b.find_in_shadow(&b.find(W), "#b"));
    assert_eq!(outcome(&b), "note: Added to your cart.");
    let adds = site().cart_adds();
    assert_eq!(adds.len(), before + 1, "one request to Shopify's cart");
    let items = &adds[before]["items"];
    assert_eq!(items, &json!([{ "id": 44001003, "quantity": 1, "properties": { "_restock": "backorder" } }]));
    assert!(shop.backorders("TEE-ORG-XL").is_empty(), "the platform's checkout takes the order, not our API");

    // Shopify refuses (422): the shopper is told, and nothing pretends it worked.
    site().set_cart(Cart::Refuse);
    b.goto(&page);
    wait_line(&b, W, "Available on backorder");
    b.click(&b.find_in_shadow(&b.find(W), "#b"));
    let refused = outcome(&b);
    site().set_cart(Cart::Accept);
    assert!(refused.starts_with("error: We couldn't add it to your cart"), "{refused}");
}

/// The availability requests the page made, as lists of SKUs.
fn batches(b: &Browser) -> Vec<Vec<String>> {
    let v = b.eval(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/availability?')).map(e => new URL(e.name).searchParams.get('skus').split(','))",
        vec![],
    );
    serde_json::from_value(v).unwrap_or_default()
}

#[test]
fn collection_tiles_are_compact_and_load_more_asks_only_for_new_skus() {
    let b = Browser::launch();
    b.goto(&site().page("collection.html", ""));
    let tile = |sku: &str| format!("[data-restock-sku=\"{sku}\"]");
    assert_eq!(status(&b, &tile("TEE-ORG-XL")), "Out of stock");
    assert_eq!(status(&b, &tile("JACKET-RAIN-M")), "Available on backorder");
    // A status line and one button; the form waits in a closed dialog.
    assert!(visible(&b, &tile("TEE-ORG-XL"), "o"));
    assert_eq!(b.eval(&shadow_js(&tile("TEE-ORG-XL"), "o", "e.textContent"), vec![]), "Notify me");
    assert_eq!(b.eval(&shadow_js(&tile("JACKET-RAIN-M"), "o", "e.textContent"), vec![]), "Backorder");
    assert!(!visible(&b, &tile("TEE-ORG-XL"), "f"), "no inline form in a tile");
    assert!(!visible(&b, &tile("TEE-ORG-M"), "o"), "nothing to do for an item in stock");
    let heights = b.eval(
        "return [...document.querySelectorAll('[data-restock-sku]')].map(e => Math.round(e.getBoundingClientRect().height))",
        vec![],
    );
    let heights: Vec<i64> = serde_json::from_value(heights).unwrap_or_default();
    assert!(heights.iter().all(|h| *h <= 80), "tiles stay compact: {heights:?}");
    screenshot(&b, "collection-grid");

    // Open: a modal dialog, focus inside; Tab stays inside; Esc closes; focus returns.
    let xl = tile("TEE-ORG-XL");
    b.click(&b.find_in_shadow(&b.find(&xl), "#o"));
    b.wait_for("the dialog", &shadow_js(&xl, "dl", "e.open"), WAIT);
    assert_eq!(b.eval(&shadow_js(&xl, "m", "r.activeElement === e"), vec![]), true, "focus on the email field");
    for _ in 0..8 {
        b.press(keys::TAB);
        let inside =
            b.eval(&shadow_js(&xl, "dl", "document.activeElement === h && e.contains(r.activeElement)"), vec![]);
        assert_eq!(inside, true, "focus is trapped in the dialog");
    }
    screenshot(&b, "collection-dialog");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the open dialog");
    b.press("\u{E00C}"); // Escape
    b.wait_for("the dialog to close", &shadow_js(&xl, "dl", "!e.open"), WAIT);
    assert_eq!(b.eval(&shadow_js(&xl, "o", "r.activeElement === e"), vec![]), true, "focus back on the button");

    // Load more: four new tiles, and one request for just their SKUs.
    assert_eq!(batches(&b).len(), 1);
    b.click(&b.find("button.load-more__button"));
    assert_eq!(status(&b, &tile("KETTLE-CLASSIC")), "No longer available");
    let deadline = Instant::now() + Duration::from_secs(5);
    while batches(&b).len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let all = batches(&b);
    assert_eq!(all.len(), 2, "{all:?}");
    let mut second = all[1].clone();
    second.sort();
    assert_eq!(second, ["BOOT-TRAIL-42", "KETTLE-CLASSIC", "LAMP-ORBIT", "MUG-STONE"], "only the new tiles");
    assert_eq!(axe(&b), Vec::<Value>::new(), "the grid");

    // A signup from the dialog: the outcome takes focus inside it.
    let mug = tile("MUG-STONE");
    b.click(&b.find_in_shadow(&b.find(&mug), "#o"));
    b.wait_for("the dialog", &shadow_js(&mug, "dl", "e.open"), WAIT);
    b.press(&format!("grid-{}@example.com", std::process::id()));
    b.eval(&shadow_js(&mug, "k", "e.click()"), vec![]);
    b.click(&b.find_in_shadow(&b.find(&mug), "#b"));
    let note =
        b.wait_for("the outcome", &shadow_js(&mug, "n", "!e.hidden && r.activeElement === e && e.textContent"), WAIT);
    assert!(note.as_str().unwrap_or_default().starts_with("Almost there"), "{note}");
}

#[test]
fn a_strict_csp_leaves_the_widget_styled_and_the_honeypot_hidden() {
    let b = Browser::launch();
    b.goto(&site().page("csp.html", ""));
    let mug = "[data-restock-sku=\"MUG-STONE\"]";
    assert_eq!(status(&b, mug), "Out of stock");
    assert!(status(&b, "[data-restock-sku=\"LAMP-ORBIT\"]").starts_with("Preorder: out "));
    assert_eq!(status(&b, "[data-restock-sku=\"JACKET-RAIN-M\"]"), "Available on backorder");
    // Styled: the button has the accent colour, so the stylesheet applied.
    let bg = b.eval(&shadow_js(mug, "b", "getComputedStyle(e).backgroundColor"), vec![]);
    assert_eq!(bg, "rgb(31, 95, 74)");
    // The honeypot: not rendered, not focusable, not in the accessibility tree.
    assert!(!visible(&b, mug, "w"), "the honeypot is hidden");
    assert_eq!(b.eval(&shadow_js(mug, "w", "!!e.closest('[hidden]')"), vec![]), true);
    assert_eq!(axe(&b), Vec::<Value>::new(), "under the strict CSP");
    // The policy is really on: the page's own inline <style> probe was blocked and
    // reported, and nothing of the widget was.
    let deadline = Instant::now() + Duration::from_secs(10);
    while site().csp_reports().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let reports = site().csp_reports();
    let ours: Vec<&Value> =
        reports.iter().filter(|r| r["document-uri"].as_str().is_some_and(|d| d.contains("/csp.html"))).collect();
    assert_eq!(ours.len(), 1, "exactly the probe was blocked: {ours:?}");
    assert!(ours[0]["violated-directive"].as_str().unwrap_or_default().starts_with("style-src"), "{:?}", ours[0]);
    let probe = b.eval("return getComputedStyle(document.body).outlineStyle", vec![]);
    assert_eq!(probe, "none", "the inline style did not apply");
}

#[test]
fn right_to_left_shops_in_arabic_and_hebrew() {
    let b = Browser::launch();
    for (page, first) in [("rtl-ar.html", "متوفر"), ("rtl-he.html", "במלאי")] {
        b.goto(&site().page(page, ""));
        let skus =
            ["TEE-ORG-M", "TEE-ORG-L", "TEE-ORG-XL", "JACKET-RAIN-M", "LAMP-ORBIT", "MUG-STONE", "KETTLE-CLASSIC"];
        for sku in skus {
            status(&b, &format!("[data-restock-sku=\"{sku}\"]"));
        }
        let m = status(&b, "[data-restock-sku=\"TEE-ORG-M\"]");
        assert!(m.contains(first), "{page}: {m}");
        for sku in skus {
            let host = format!("[data-restock-sku=\"{sku}\"]");
            assert_eq!(b.eval(&shadow_js(&host, "r", "e.dir"), vec![]), "rtl", "{page} {sku}");
            assert_eq!(reordered(&b, &host, true), Value::Null, "{page} {sku}");
        }
        assert_eq!(axe(&b), Vec::<Value>::new(), "{page}");
        if page == "rtl-ar.html" {
            screenshot(&b, "rtl-arabic");
        }
    }
}
