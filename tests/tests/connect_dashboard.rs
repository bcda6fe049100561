//! The dashboard's Connections page in headless Chromium (issue 17): connecting with
//! secrets that never come back to the page, a connection's last events, the import's
//! preview then import, the group key shown once; axe-core finds nothing.

use restock_e2e::browser::Browser;
use restock_e2e::client::Shop;
use restock_e2e::dashboard::{self, WAIT, axe, main_text, wait_text};
use restock_e2e::env;
use restock_e2e::platforms::{Item, SHOPIFY_SECRET, SHOPIFY_TOKEN, deliver, shopify_hook, shopify_product};
use serde_json::Value;

fn set(b: &Browser, css: &str, value: &str) {
    let el = b.find(css);
    b.clear(&el);
    b.type_into(&el, value);
}

#[test]
fn connect_see_events_import_with_a_preview_and_make_a_group_key() {
    let shop = Shop::create("dash-conn");
    let b = Browser::launch_sized(1280, 1000);
    dashboard::sign_in(&b, &env::get().url, &shop.key);
    wait_text(&b, "signed in", "Demand");
    b.goto(&format!("{}/dashboard/#/connections", env::get().url));
    wait_text(&b, "the page", "No platform connected yet.");
    assert_eq!(b.eval("return document.activeElement.tagName", vec![]), "H1");

    let form = "form[aria-label='Connect a platform']";
    set(&b, &format!("{form} input:not([type=password])"), "acme.myshopify.com");
    let secrets = b.eval(
        &format!("return [...document.querySelectorAll(\"{form} input[type=password]\")].map(i => i.id)"),
        vec![],
    );
    let ids: Vec<String> =
        secrets.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    set(&b, &format!("#{}", ids[0]), SHOPIFY_SECRET);
    set(&b, &format!("#{}", ids[1]), SHOPIFY_TOKEN);
    b.click(&b.find(&format!("{form} button[type=submit]")));
    wait_text(&b, "the connection", "shopify · acme.myshopify.com");
    let page = b.eval("return document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ')", vec![]);
    let page = page.as_str().unwrap_or_default();
    assert!(!page.contains(SHOPIFY_SECRET) && !page.contains(SHOPIFY_TOKEN), "the secrets left the page");
    assert!(main_text(&b).contains("webhook shps…"), "{}", main_text(&b));

    // A webhook arrives: the page lists it.
    let item = Item::simple(31, "DASH-TEE", "Dash tee", 2, "2027-01-01T00:00:00Z");
    let r = deliver(
        &shop.client,
        "shopify",
        &shop.id,
        &shopify_hook(SHOPIFY_SECRET, "products/create", &shopify_product(&[item]), "dash-1", false),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    b.goto(&format!("{}/dashboard/#/", env::get().url));
    wait_text(&b, "demand", "Demand");
    b.goto(&format!("{}/dashboard/#/connections", env::get().url));
    wait_text(&b, "the event", "products/create");

    // The import: a preview in the plan's words, then the import itself.
    set(&b, "textarea[placeholder^='sku,name']", "sku,name,on_hand\nDASH-1,Dash thing,4\nDASH-TEE,,7\n");
    b.click(&b.find("section[aria-labelledby='import-h'] .actions button:not(.primary)"));
    wait_text(&b, "the preview", "Would create 1, change 1 products");
    assert_eq!(shop.admin("GET", "/v1/admin/products/DASH-1", None).status, 404, "a preview writes nothing");
    b.click(&b.find("section[aria-labelledby='import-h'] button.primary"));
    wait_text(&b, "the import", "Created 1, changed 1 products");
    assert_eq!(shop.admin("GET", "/v1/admin/products/DASH-1", None).json()["on_hand"], 4);
    assert_eq!(shop.admin("GET", "/v1/admin/products/DASH-TEE", None).json()["on_hand"], 7);

    // The group key, shown once.
    let make = b.eval("return [...document.querySelectorAll('section[aria-labelledby=groups-h] button')].findIndex(x => x.textContent === 'Make a group key')", vec![]);
    assert!(make.as_i64().unwrap_or(-1) >= 0, "{make}");
    b.eval("[...document.querySelectorAll('section[aria-labelledby=groups-h] button')].find(x => x.textContent === 'Make a group key').click()", vec![]);
    let key = b.wait_for(
        "the key",
        "const i = document.querySelector('input[aria-label=\"Group key\"]'); return i && i.value",
        WAIT,
    );
    let key = key.as_str().unwrap_or_default().to_owned();
    assert!(key.starts_with("gk_"), "{key}");
    assert_eq!(shop.admin("GET", "/v1/admin/groups", None).json()["key"]["prefix"], format!("{}…", &key[..4]));
    assert_eq!(axe(&b), Vec::<Value>::new(), "the Connections page");
}
