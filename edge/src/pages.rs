//! The small HTML pages signed links open (confirm, unsubscribe, cancel). Every value
//! is escaped; the page carries a strict CSP and no script. Actions are a POST form
//! (so mail scanners that prefetch links change nothing).

use restock_shared::Lang;
use worker::Response;

use crate::http::{self, escape_html};

/// A button that POSTs back to the page's own URL.
pub struct Action<'a> {
    pub url: &'a str,
    pub label: &'a str,
}

/// A page with a heading, a message and optionally one action.
pub fn page(
    status: u16,
    lang: Lang,
    shop_name: &str,
    title: &str,
    message: &str,
    action: Option<Action<'_>>,
) -> Response {
    let form = action.map_or(String::new(), |a| {
        format!(
            "<form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>",
            escape_html(a.url),
            escape_html(a.label)
        )
    });
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1c2321;line-height:1.5}}\
         .shop{{color:#5b6663}}button{{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#1f5f4a;color:#fff;cursor:pointer}}\
         button:focus-visible{{outline:3px solid #f0b429;outline-offset:2px}}</style></head>\
         <body><main><p class=\"shop\">{shop}</p><h1>{title}</h1><p>{message}</p>{form}</main></body></html>",
        lang = lang.tag(),
        title = escape_html(title),
        shop = escape_html(shop_name),
        message = escape_html(message),
    );
    http::html(status, html)
}
