//! The small HTML pages signed links open (confirm, unsubscribe, cancel). Every value
//! is escaped; the page carries a strict CSP (no script; its one stylesheet is
//! `www/link.css`, so no inline style either). Actions are a POST form
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
    http::html(status, document(lang, shop_name, title, message, action))
}

/// The page's HTML. Arabic and Hebrew pages are `dir="rtl"` (the layout mirrors, and
/// the browser orders mixed-script text from the right).
fn document(lang: Lang, shop_name: &str, title: &str, message: &str, action: Option<Action<'_>>) -> String {
    let form = action.map_or(String::new(), |a| {
        format!(
            "<form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>",
            escape_html(a.url),
            escape_html(a.label)
        )
    });
    format!(
        "<!doctype html><html lang=\"{lang}\"{dir}><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/link.css\"></head>\
         <body><main><p class=\"shop\">{shop}</p><h1>{title}</h1><p>{message}</p>{form}</main></body></html>",
        lang = lang.tag(),
        dir = if lang.rtl() { " dir=\"rtl\"" } else { "" },
        title = escape_html(title),
        shop = escape_html(shop_name),
        message = escape_html(message),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(lang: Lang) -> String {
        let action = Action { url: "/v1/shops/s/waitlist/confirm?token=a&b", label: "<Go>" };
        document(lang, "Bob's <Bikes>", "Title <i>", "Message & more", Some(action))
    }

    #[test]
    fn pages_declare_language_and_direction() {
        for (lang, head) in [
            (Lang::En, "<html lang=\"en\">"),
            (Lang::Ja, "<html lang=\"ja\">"),
            (Lang::Ar, "<html lang=\"ar\" dir=\"rtl\">"),
            (Lang::He, "<html lang=\"he\" dir=\"rtl\">"),
        ] {
            assert!(html(lang).starts_with(&format!("<!doctype html>{head}<head>")), "{lang:?}: {}", html(lang));
        }
        for lang in Lang::ALL {
            assert_eq!(html(lang).contains("dir=\"rtl\""), lang.rtl(), "{lang:?}");
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let page = html(Lang::He);
        assert!(page.contains("<p class=\"shop\">Bob&#39;s &lt;Bikes&gt;</p>"), "{page}");
        assert!(page.contains("<h1>Title &lt;i&gt;</h1>") && page.contains("<p>Message &amp; more</p>"));
        assert!(
            page.contains("action=\"/v1/shops/s/waitlist/confirm?token=a&amp;b\"><button type=\"submit\">&lt;Go&gt;")
        );
    }
}
