//! The demo storefront in headless Chromium: one script tag, many mounts, and the
//! widget renders each product's status from the Worker.

use std::time::Duration;

use restock_e2e::browser::Browser;
use restock_e2e::env;

/// The status line of the widget mounted for `sku`, once it is no longer loading.
fn status_script(sku: &str) -> String {
    format!(
        "const host = document.querySelector('[data-restock-sku=\"{sku}\"]');\
         const s = host && host.shadowRoot && host.shadowRoot.querySelector('[role=status]');\
         const t = s ? s.textContent : '';\
         return t.startsWith('Checking') ? '' : t;"
    )
}

#[test]
fn storefront_renders_each_products_status() {
    let browser = Browser::launch();
    browser.goto(&format!("{}/", env::get().url));
    let wait = Duration::from_secs(20);
    for (sku, expected) in [
        ("TEE-ORG-M", "In stock"),
        ("TEE-ORG-L", "Only 3 left"),
        ("TEE-ORG-XL", "Out of stock"),
        ("JACKET-RAIN-M", "Available on backorder"),
        ("KETTLE-CLASSIC", "No longer available"),
    ] {
        let text = browser.wait_for(&format!("{sku} status"), &status_script(sku), wait);
        assert_eq!(text, expected, "{sku}");
    }
    // All mounts were served by one batched request.
    let requests = browser.eval(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/shops/demo/availability')).length",
        vec![],
    );
    assert_eq!(requests, 1);
}
