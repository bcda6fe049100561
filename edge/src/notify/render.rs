//! Emails: what each notification says, in the recipient's language, with the shop's
//! branding, as plain text and HTML built from one document (so both parts always say
//! the same thing). Every value is escaped in the HTML part; nothing supplied by a
//! shopper or merchant is ever markup.

use restock_shared::{Date, Lang};
use serde::Serialize;

use crate::http::escape_html;
use crate::i18n::{M, fill, long_date, t};

/// An email ready for a provider.
#[derive(Debug, Clone, Serialize)]
pub struct Email {
    pub to: String,
    /// The shop's own From address for this kind of mail, if it set one; otherwise
    /// the Worker's `EMAIL_FROM` ([`Email::from_or`]).
    pub from: Option<String>,
    pub from_name: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub headers: Vec<(String, String)>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

impl Email {
    /// The From address: the shop's for this kind of mail, else `configured`.
    pub fn from_or<'a>(&'a self, configured: &'a str) -> &'a str {
        self.from.as_deref().unwrap_or(configured)
    }
}

/// The shop's look and voice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Brand<'a> {
    pub shop_name: &'a str,
    pub sender_name: &'a str,
    pub reply_to: Option<&'a str>,
    /// `#rrggbb` (validated when set).
    pub color: &'a str,
    /// In every footer (bulk-sender rules).
    pub postal_address: Option<&'a str>,
    /// From of transactional mail (orders, confirmations) and of subscription mail
    /// (restock notices, reminders), when the shop set them.
    pub from_transactional: Option<&'a str>,
    pub from_subscription: Option<&'a str>,
    /// The shop's own copy, incentives and the shopper's page, for this email.
    pub extras: Extras<'a>,
}

/// What a shop adds to one email beyond its brand (issue 18): its own subject and
/// intro (editable emails), its incentives, and the link to the shopper's page of
/// their orders. The sender decides which apply to which email; the renderer puts
/// them where they belong.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// The shop's subject and intro for this kind and language, if it wrote them.
    pub copy: Option<&'a crate::notify::copy::EmailCopy>,
    /// The discount code a backorder confirmation carries ("on your next order").
    pub code: Option<&'a str>,
    /// A free-shipping note (backorder confirmations and restock notices).
    pub free_shipping: bool,
    /// The shopper's own page of their orders (every email about an order).
    pub orders_url: Option<&'a str>,
}

/// How the shopper cancels a backorder a notice is about.
#[derive(Clone, Copy, Debug)]
pub enum Cancel<'a> {
    /// Restock's one-click link (the widget's own orders: Restock holds the order).
    Link(&'a str),
    /// In the shop (a platform's order: it was paid in the shop's checkout, so
    /// cancelling Restock's place alone would leave the paid order standing), with the
    /// shop's URL when it has one.
    InShop { shop_url: Option<&'a str> },
}

/// What one email is about.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Confirm {
        product: &'a str,
        confirm_url: &'a str,
        unsubscribe_url: &'a str,
    },
    Restock {
        product: &'a str,
        product_url: Option<&'a str>,
        held_until: Option<Date>,
        code: Option<&'a str>,
        unsubscribe_url: &'a str,
    },
    BackorderConfirmation {
        product: &'a str,
        qty: u32,
        position: Option<u32>,
        promised: Option<Date>,
        cancel_url: &'a str,
    },
    Delay {
        product: &'a str,
        new_date: Option<Date>,
        cancel: Cancel<'a>,
    },
    Allocated {
        product: &'a str,
        qty: u32,
    },
    /// The one follow-up to a notified subscriber who has not bought.
    Reminder {
        product: &'a str,
        product_url: Option<&'a str>,
        unsubscribe_url: &'a str,
    },
    Digest {
        csv: &'a str,
    },
    /// A regular update while a backorder waits (issue 18).
    StatusUpdate {
        product: &'a str,
        qty: u32,
        position: Option<u32>,
        promised: Option<Date>,
        cancel: Cancel<'a>,
    },
    /// A fresh link to the shopper's page of their orders (theirs had expired).
    OrdersLink {
        url: &'a str,
    },
}

impl Body<'_> {
    /// Subscription mail (the shopper asked to hear about a product) rather than
    /// transactional (about an order or a signup they just made); the merchant's own
    /// digest is neither.
    fn stream(&self) -> Option<bool> {
        match self {
            Body::Restock { .. } | Body::Reminder { .. } => Some(true),
            Body::Digest { .. } => None,
            _ => Some(false),
        }
    }
}

/// A document both parts are rendered from.
struct Doc {
    paragraphs: Vec<String>,
    button: Option<(String, String)>,
    /// Smaller text with an optional link (cancel, unsubscribe).
    notes: Vec<(String, Option<String>)>,
    pre: Option<String>,
}

pub fn render(lang: Lang, brand: &Brand<'_>, to: &str, body: Body<'_>) -> Email {
    let product_vars = |p: &str| vec![("product".to_owned(), p.to_owned())];
    let f = |m: M, vars: &[(String, String)]| {
        let v: Vec<(&str, &str)> = vars.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        fill(lang, m, &v)
    };
    let mut headers = Vec::new();
    let mut attachments = Vec::new();
    let why = || f(M::WhyThisEmail, &[("shop".into(), brand.shop_name.into())]);
    // An order's variables (product, quantity, place in the queue) and its ship-date line.
    let order_vars = |product: &str, qty: u32, position: Option<u32>| {
        let mut v = product_vars(product);
        v.push(("qty".into(), qty.to_string()));
        v.push(("position".into(), position.map_or_else(|| "–".into(), |p| p.to_string())));
        v
    };
    let ships = |promised: Option<Date>| match promised {
        Some(d) => f(M::ExpectedShip, &[("date".into(), long_date(lang, d))]),
        None => t(lang, M::NoDateYet).to_owned(),
    };
    let (subject, doc) = match body {
        Body::Confirm { product, confirm_url, unsubscribe_url } => {
            list_unsubscribe(&mut headers, unsubscribe_url);
            let v = product_vars(product);
            (
                f(M::ConfirmSubject, &v),
                Doc {
                    paragraphs: vec![f(M::ConfirmBody, &v)],
                    button: Some((t(lang, M::ConfirmButton).to_owned(), confirm_url.to_owned())),
                    notes: vec![(why(), None), (t(lang, M::Unsubscribe).to_owned(), Some(unsubscribe_url.to_owned()))],
                    pre: None,
                },
            )
        }
        Body::Restock { product, product_url, held_until, code, unsubscribe_url } => {
            list_unsubscribe(&mut headers, unsubscribe_url);
            let v = product_vars(product);
            let mut paragraphs = vec![f(M::RestockBody, &v)];
            if let Some(d) = held_until {
                paragraphs.push(f(M::RestockHeld, &[("date".into(), long_date(lang, d))]));
            }
            if let Some(c) = code {
                paragraphs.push(f(M::RestockCode, &[("code".into(), c.into())]));
            }
            (
                f(M::RestockSubject, &v),
                Doc {
                    paragraphs,
                    button: product_url.map(|u| (f(M::ViewProduct, &v), u.to_owned())),
                    notes: vec![(why(), None), (t(lang, M::Unsubscribe).to_owned(), Some(unsubscribe_url.to_owned()))],
                    pre: None,
                },
            )
        }
        Body::Reminder { product, product_url, unsubscribe_url } => {
            list_unsubscribe(&mut headers, unsubscribe_url);
            let v = product_vars(product);
            (
                f(M::ReminderSubject, &v),
                Doc {
                    paragraphs: vec![f(M::ReminderBody, &v)],
                    button: product_url.map(|u| (f(M::ViewProduct, &v), u.to_owned())),
                    notes: vec![(why(), None), (t(lang, M::Unsubscribe).to_owned(), Some(unsubscribe_url.to_owned()))],
                    pre: None,
                },
            )
        }
        Body::BackorderConfirmation { product, qty, position, promised, cancel_url } => {
            let v = order_vars(product, qty, position);
            let when = ships(promised);
            (
                f(M::BackorderSubject, &v),
                Doc {
                    paragraphs: vec![f(M::BackorderBody, &v), when],
                    button: None,
                    notes: vec![(t(lang, M::CancelAnyTime).to_owned(), Some(cancel_url.to_owned()))],
                    pre: None,
                },
            )
        }
        Body::Delay { product, new_date, cancel } => {
            let v = product_vars(product);
            let when = match new_date {
                Some(d) => f(M::NewDate, &[("date".into(), long_date(lang, d))]),
                None => t(lang, M::UnknownDate).to_owned(),
            };
            let (button, notes) = match cancel {
                Cancel::Link(url) => (
                    Some((t(lang, M::CancelButton).to_owned(), url.to_owned())),
                    vec![(t(lang, M::CancelAnyTime).to_owned(), Some(url.to_owned()))],
                ),
                Cancel::InShop { shop_url } => {
                    (None, vec![(t(lang, M::CancelInShop).to_owned(), shop_url.map(str::to_owned))])
                }
            };
            (f(M::DelaySubject, &v), Doc { paragraphs: vec![f(M::DelayBody, &v), when], button, notes, pre: None })
        }
        Body::Allocated { product, qty } => {
            let mut v = product_vars(product);
            v.push(("qty".into(), qty.to_string()));
            (
                f(M::AllocatedSubject, &v),
                Doc { paragraphs: vec![f(M::AllocatedBody, &v)], button: None, notes: Vec::new(), pre: None },
            )
        }
        Body::Digest { csv } => {
            attachments.push(Attachment {
                filename: "supplier-digest.csv".into(),
                content_type: "text/csv".into(),
                content: csv.to_owned(),
            });
            (
                t(lang, M::DigestSubject).to_owned(),
                Doc {
                    paragraphs: vec![t(lang, M::DigestBody).to_owned()],
                    button: None,
                    notes: Vec::new(),
                    pre: Some(csv.to_owned()),
                },
            )
        }
        Body::StatusUpdate { product, qty, position, promised, cancel } => {
            let v = order_vars(product, qty, position);
            let when = ships(promised);
            (
                f(M::StatusSubject, &v),
                Doc {
                    paragraphs: vec![f(M::StatusBody, &v), when],
                    button: brand.extras.orders_url.map(|u| (t(lang, M::OrdersButton).to_owned(), u.to_owned())),
                    notes: vec![cancel_note(lang, cancel)],
                    pre: None,
                },
            )
        }
        Body::OrdersLink { url } => {
            let v = [("shop".to_owned(), brand.shop_name.to_owned())];
            (
                f(M::OrdersLinkSubject, &v),
                Doc {
                    paragraphs: vec![f(M::OrdersLinkBody, &v)],
                    button: Some((t(lang, M::OrdersButton).to_owned(), url.to_owned())),
                    notes: Vec::new(),
                    pre: None,
                },
            )
        }
    };
    let (subject, doc) = apply_extras(lang, brand, &body, subject, doc);
    let from_name = if brand.sender_name.is_empty() { brand.shop_name } else { brand.sender_name };
    let from = match body.stream() {
        Some(true) => brand.from_subscription,
        Some(false) => brand.from_transactional,
        None => None,
    };
    Email {
        to: to.to_owned(),
        from: from.map(str::to_owned),
        from_name: one_line(from_name),
        reply_to: brand.reply_to.map(str::to_owned),
        text: text_part(brand, &doc),
        html: html_part(lang, brand, &subject, &doc),
        subject: one_line(&subject),
        headers,
        attachments,
    }
}

/// The email kind editable copy is kept under, and the values of its placeholders.
fn copy_values(body: &Body<'_>, shop: &str) -> Option<(crate::notify::copy::EmailKind, Vec<(&'static str, String)>)> {
    use crate::notify::copy::EmailKind as K;
    let n = |v: Option<u32>| v.map_or_else(|| "–".to_owned(), |p| p.to_string());
    let (kind, product, qty, position) = match *body {
        Body::Confirm { product, .. } => (K::Confirm, product, None, None),
        Body::Restock { product, .. } => (K::Restock, product, None, None),
        Body::Reminder { product, .. } => (K::Reminder, product, None, None),
        Body::BackorderConfirmation { product, qty, position, .. } => {
            (K::BackorderConfirmation, product, Some(qty), Some(n(position)))
        }
        Body::Delay { product, .. } => (K::Delay, product, None, None),
        Body::Allocated { product, qty } => (K::Allocated, product, Some(qty), None),
        Body::StatusUpdate { product, qty, position, .. } => (K::StatusUpdate, product, Some(qty), Some(n(position))),
        Body::Digest { .. } | Body::OrdersLink { .. } => return None,
    };
    let mut vars = vec![("product", product.to_owned()), ("shop", shop.to_owned())];
    vars.extend(qty.map(|q| ("qty", q.to_string())));
    vars.extend(position.map(|p| ("position", p)));
    Some((kind, vars))
}

/// The shop's copy in place of the built-in subject and intro (the first paragraph),
/// its incentives after the intro's paragraphs, and the shopper's page among the notes
/// of every email about an order.
fn apply_extras(lang: Lang, brand: &Brand<'_>, body: &Body<'_>, subject: String, mut doc: Doc) -> (String, Doc) {
    use crate::notify::copy::fill as fill_copy;
    let x = &brand.extras;
    let mut subject = subject;
    if let (Some(copy), Some((_, vars))) = (x.copy, copy_values(body, brand.shop_name)) {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(s) = &copy.subject {
            subject = fill_copy(s, &vars, lang.rtl());
        }
        if let (Some(intro), Some(first)) = (&copy.intro, doc.paragraphs.first_mut()) {
            *first = fill_copy(intro, &vars, lang.rtl());
        }
    }
    let code = |c: &str| fill(lang, M::BackorderCode, &[("code", c)]);
    match body {
        Body::BackorderConfirmation { .. } => {
            doc.paragraphs.extend(x.code.map(code));
            if x.free_shipping {
                doc.paragraphs.push(t(lang, M::FreeShippingOrder).to_owned());
            }
        }
        Body::Restock { .. } if x.free_shipping => doc.paragraphs.push(t(lang, M::FreeShippingRestock).to_owned()),
        _ => {}
    }
    let about_an_order = matches!(
        body,
        Body::BackorderConfirmation { .. } | Body::Delay { .. } | Body::Allocated { .. } | Body::StatusUpdate { .. }
    );
    if let (true, Some(url)) = (about_an_order, x.orders_url)
        && doc.button.as_ref().is_none_or(|(_, u)| u != url)
    {
        let note = fill(lang, M::OrdersNote, &[("shop", brand.shop_name)]);
        doc.notes.insert(0, (note, Some(url.to_owned())));
    }
    (subject, doc)
}

/// The note saying how to cancel: Restock's link, or, for a platform's order, in the
/// shop (with its URL when it has one).
fn cancel_note(lang: Lang, cancel: Cancel<'_>) -> (String, Option<String>) {
    match cancel {
        Cancel::Link(url) => (t(lang, M::CancelAnyTime).to_owned(), Some(url.to_owned())),
        Cancel::InShop { shop_url } => (t(lang, M::CancelInShop).to_owned(), shop_url.map(str::to_owned)),
    }
}

/// RFC 2369 + RFC 8058: mail clients show an unsubscribe button that POSTs.
fn list_unsubscribe(headers: &mut Vec<(String, String)>, url: &str) {
    headers.push(("List-Unsubscribe".into(), format!("<{url}>")));
    headers.push(("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()));
}

fn text_part(brand: &Brand<'_>, doc: &Doc) -> String {
    let mut out = String::new();
    for p in &doc.paragraphs {
        out.push_str(p);
        out.push_str("\n\n");
    }
    if let Some((label, url)) = &doc.button {
        out.push_str(&format!("{label}: {url}\n\n"));
    }
    if let Some(pre) = &doc.pre {
        out.push_str(pre);
        out.push('\n');
    }
    out.push_str("-- \n");
    out.push_str(brand.shop_name);
    out.push('\n');
    if let Some(address) = brand.postal_address {
        out.push_str(address);
        out.push('\n');
    }
    for (note, link) in &doc.notes {
        match link {
            Some(url) => out.push_str(&format!("{note} {url}\n")),
            None => out.push_str(&format!("{note}\n")),
        }
    }
    out
}

fn html_part(lang: Lang, brand: &Brand<'_>, subject: &str, doc: &Doc) -> String {
    let color = escape_html(brand.color);
    let mut body = String::new();
    for p in &doc.paragraphs {
        body.push_str(&format!("<p style=\"margin:0 0 16px\">{}</p>", escape_html(p)));
    }
    if let Some((label, url)) = &doc.button {
        body.push_str(&format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:{color};color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;display:inline-block;font-weight:600\">{}</a></p>",
            escape_html(url),
            escape_html(label)
        ));
    }
    if let Some(pre) = &doc.pre {
        body.push_str(&format!(
            "<pre dir=\"ltr\" style=\"font-size:13px;background:#f4f5f4;padding:12px;overflow:auto\">{}</pre>",
            escape_html(pre)
        ));
    }
    let mut notes = String::new();
    if let Some(address) = brand.postal_address {
        notes.push_str(&format!(
            "<p style=\"margin:0 0 8px\">{} · {}</p>",
            escape_html(brand.shop_name),
            escape_html(address)
        ));
    }
    for (note, link) in &doc.notes {
        let content = match link {
            Some(url) => format!(
                "{} <a href=\"{}\" style=\"color:#5b6663\">{}</a>",
                escape_html(note),
                escape_html(url),
                escape_html(url)
            ),
            None => escape_html(note),
        };
        notes.push_str(&format!("<p style=\"margin:0 0 8px\">{content}</p>"));
    }
    // Arabic and Hebrew mails are right to left. Webmail clients drop the attributes of
    // `<html>` and `<body>`, so the outer `<div>` says it too.
    let dir = if lang.rtl() { " dir=\"rtl\"" } else { "" };
    format!(
        "<!doctype html><html lang=\"{lang}\"{dir}><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body{dir} style=\"margin:0;background:#f6f7f5;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2321\">\
         <div{dir} style=\"max-width:560px;margin:0 auto;padding:24px\">\
         <p style=\"font-weight:700;font-size:18px;color:{color};margin:0 0 24px\">{shop}</p>\
         <div style=\"background:#ffffff;border-radius:10px;padding:24px;line-height:1.5\">{body}</div>\
         <div style=\"font-size:13px;color:#5b6663;padding:16px 4px\">{notes}</div></div></body></html>",
        lang = lang.tag(),
        title = escape_html(subject),
        shop = escape_html(brand.shop_name),
    )
}

/// A header value on one line. Names are refused with line breaks when they are
/// written (`header_text`); this only keeps a row stored before that rule, or written
/// by anything else, from folding a Subject or From header.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if restock_shared::is_line_break(c) { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_sender_names_stay_on_one_line_whatever_is_stored() {
        let stored = Brand { shop_name: "Bob\u{2028}Bcc: x", color: "#1f5f4a", ..Brand::default() };
        let body = Body::Allocated { product: "Tee\r\nBcc: y\u{85}z\u{2029}", qty: 1 };
        let e = render(Lang::En, &stored, "ada@example.com", body);
        assert!(!e.subject.chars().any(restock_shared::is_line_break), "{:?}", e.subject);
        assert!(e.subject.contains("Tee  Bcc: y z "), "{:?}", e.subject);
        assert_eq!(e.from_name, "Bob Bcc: x");
    }

    fn brand() -> Brand<'static> {
        Brand { shop_name: "Bob's <Bikes>", reply_to: Some("help@bikes.example"), color: "#1f5f4a", ..Brand::default() }
    }

    #[test]
    fn restock_emails_escape_everything_and_carry_unsubscribe_headers() {
        let e = render(
            Lang::En,
            &brand(),
            "ada@example.com",
            Body::Restock {
                product: "<img src=x onerror=alert(1)> Tee",
                product_url: Some("https://shop.example/p?a=1&b=\"2\""),
                held_until: Date::from_ymd(2026, 12, 1).ok(),
                code: Some("BACK10"),
                unsubscribe_url: "https://r.example/u?token=t",
            },
        );
        assert_eq!(e.subject, "<img src=x onerror=alert(1)> Tee is back in stock", "subjects are plain text");
        assert!(!e.html.contains("<img src=x"), "{}", e.html);
        assert!(e.html.contains("&lt;img src=x onerror=alert(1)&gt; Tee"));
        assert!(e.html.contains("href=\"https://shop.example/p?a=1&amp;b=&quot;2&quot;\""));
        assert!(!e.html.contains("<Bikes>") && e.html.contains("Bob&#39;s &lt;Bikes&gt;"));
        assert!(e.text.contains("1 December 2026") && e.text.contains("BACK10"));
        assert!(e.headers.contains(&("List-Unsubscribe".into(), "<https://r.example/u?token=t>".into())));
        assert!(e.headers.contains(&("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into())));
        assert_eq!(e.from_name, "Bob's <Bikes>", "sender falls back to the shop name");
    }

    #[test]
    fn every_kind_renders_in_every_language_with_both_parts() {
        let d = Date::from_ymd(2027, 1, 5).ok();
        let bodies = [
            Body::Confirm { product: "Mug", confirm_url: "https://x/c", unsubscribe_url: "https://x/u" },
            Body::Restock {
                product: "Mug",
                product_url: None,
                held_until: None,
                code: None,
                unsubscribe_url: "https://x/u",
            },
            Body::BackorderConfirmation {
                product: "Mug",
                qty: 2,
                position: Some(3),
                promised: d,
                cancel_url: "https://x/x",
            },
            Body::Delay { product: "Mug", new_date: None, cancel: Cancel::Link("https://x/x") },
            Body::Delay {
                product: "Mug",
                new_date: None,
                cancel: Cancel::InShop { shop_url: Some("https://shop.example") },
            },
            Body::Delay { product: "Mug", new_date: None, cancel: Cancel::InShop { shop_url: None } },
            Body::Allocated { product: "Mug", qty: 2 },
            Body::Digest { csv: "supplier,sku\nA,B" },
        ];
        for lang in Lang::ALL {
            for body in bodies {
                let e = render(lang, &brand(), "a@example.com", body);
                assert!(!e.subject.is_empty() && !e.text.is_empty(), "{lang:?} {body:?}");
                assert!(e.html.starts_with("<!doctype html>") && e.html.contains(&format!("lang=\"{}\"", lang.tag())));
                assert!(!e.text.contains('{') && !e.subject.contains('{'), "unfilled placeholder: {}", e.text);
                let rtl = ["<html lang=\"ar\" dir=\"rtl\">", "<html lang=\"he\" dir=\"rtl\">"];
                assert_eq!(rtl.iter().any(|h| e.html.contains(h)), lang.rtl(), "{lang:?}: {}", e.html);
                assert_eq!(e.html.matches(" dir=\"rtl\"").count(), if lang.rtl() { 3 } else { 0 }, "html, body, div");
            }
        }
        let delay = render(
            Lang::De,
            &brand(),
            "a@example.com",
            Body::Delay { product: "Tasse", new_date: d, cancel: Cancel::Link("https://x/x") },
        );
        assert!(delay.text.contains("5. Januar 2027") && delay.text.contains("https://x/x"));
        // A platform's order: no Restock cancel link, cancelled in the shop.
        let in_shop = render(
            Lang::En,
            &brand(),
            "a@example.com",
            Body::Delay {
                product: "Mug",
                new_date: d,
                cancel: Cancel::InShop { shop_url: Some("https://shop.example") },
            },
        );
        assert!(!in_shop.html.contains("https://x/x") && !in_shop.text.contains("Cancel order"), "{}", in_shop.text);
        assert!(
            in_shop.text.contains("cancel it in the shop") && in_shop.html.contains("href=\"https://shop.example\"")
        );
    }

    #[test]
    fn right_to_left_emails_isolate_values_and_escape_them() {
        let e = render(
            Lang::Ar,
            &brand(),
            "a@example.com",
            Body::BackorderConfirmation {
                product: "Tee <b>(L)</b>",
                qty: 2,
                position: Some(7),
                promised: Date::from_ymd(2027, 1, 5).ok(),
                cancel_url: "https://x/x?a=1&b=2",
            },
        );
        assert_eq!(e.subject, "طلبك: \u{2068}Tee <b>(L)</b>\u{2069}");
        assert!(e.text.contains("\u{2068}5 يناير 2027\u{2069}"), "{}", e.text);
        assert!(e.html.contains("\u{2068}Tee &lt;b&gt;(L)&lt;/b&gt;\u{2069}"), "{}", e.html);
        assert!(e.html.contains("<body dir=\"rtl\" style=") && e.html.contains("href=\"https://x/x?a=1&amp;b=2\""));
        let digest = render(Lang::He, &brand(), "a@example.com", Body::Digest { csv: "a,b" });
        assert!(digest.html.contains("<pre dir=\"ltr\""), "CSV stays left to right: {}", digest.html);
    }

    #[test]
    fn a_shops_copy_incentives_and_page_link_go_where_they_belong() {
        let copy = crate::notify::copy::EmailCopy {
            subject: Some("{qty} × {product} from {shop}".into()),
            intro: Some("Hi! <b>{product}</b> is yours, number {position}.".into()),
        };
        let extras = Extras {
            copy: Some(&copy),
            code: Some("BACK10"),
            free_shipping: true,
            orders_url: Some("https://r.example/mine?token=t"),
        };
        let brand = Brand { shop_name: "Ana's", color: "#1f5f4a", extras, ..Brand::default() };
        let order = Body::BackorderConfirmation {
            product: "Mug",
            qty: 2,
            position: Some(4),
            promised: None,
            cancel_url: "https://r.example/x",
        };
        let e = render(Lang::En, &brand, "a@example.com", order);
        assert_eq!(e.subject, "2 × Mug from Ana's");
        assert!(e.text.starts_with("Hi! <b>Mug</b> is yours, number 4.\n\n"), "{}", e.text);
        assert!(e.html.contains("Hi! &lt;b&gt;Mug&lt;/b&gt; is yours, number 4.") && !e.html.contains("<b>Mug"));
        assert!(
            e.text.contains("use the code BACK10 on your next order")
                && e.text.contains("Shipping is free on this order.")
        );
        assert!(
            e.text.contains(
                "All your orders with Ana's, with their dates and a cancel button: https://r.example/mine?token=t"
            ),
            "{}",
            e.text
        );
        // Not about an order: no page link; a restock gets its own free-shipping note.
        let plain = Brand { extras: Extras { free_shipping: true, ..extras }, ..brand };
        let restock = Body::Restock {
            product: "Mug",
            product_url: None,
            held_until: None,
            code: None,
            unsubscribe_url: "https://r.example/u",
        };
        let e = render(
            Lang::En,
            &Brand { extras: Extras { copy: None, ..plain.extras }, ..plain },
            "a@example.com",
            restock,
        );
        assert!(
            !e.text.contains("mine?token") && e.text.contains("Shipping is free when you order now."),
            "{}",
            e.text
        );
        // A status update links the page as its button, once; values are isolated in RTL.
        let page = Brand { extras: Extras { orders_url: Some("https://r.example/m"), ..Extras::default() }, ..brand };
        let update = Body::StatusUpdate {
            product: "Mug",
            qty: 1,
            position: Some(2),
            promised: Date::from_ymd(2027, 2, 1).ok(),
            cancel: Cancel::Link("https://r.example/x"),
        };
        let e = render(Lang::En, &page, "a@example.com", update);
        assert_eq!(e.subject, "Update on your order of Mug");
        assert_eq!(e.text.matches("https://r.example/m").count(), 1, "{}", e.text);
        assert!(e.text.contains("number 2 in the queue") && e.text.contains("1 February 2027"), "{}", e.text);
        // A platform's order: the update says to cancel in the shop, with no Restock link.
        let in_shop = render(
            Lang::En,
            &page,
            "a@example.com",
            Body::StatusUpdate {
                product: "Mug",
                qty: 1,
                position: Some(2),
                promised: None,
                cancel: Cancel::InShop { shop_url: Some("https://shop.example") },
            },
        );
        assert!(!in_shop.text.contains("https://r.example/x"), "{}", in_shop.text);
        assert!(in_shop.text.contains("cancel it in the shop") && in_shop.text.contains("https://shop.example"));
        let he = render(
            Lang::He,
            &Brand { extras: Extras { copy: Some(&copy), ..Extras::default() }, ..brand },
            "a@example.com",
            order,
        );
        assert_eq!(he.subject, "\u{2068}2\u{2069} × \u{2068}Mug\u{2069} from \u{2068}Ana's\u{2069}");
    }

    #[test]
    fn the_postal_address_is_in_every_footer_and_each_stream_has_its_from() {
        let brand = Brand {
            shop_name: "Bob's",
            color: "#1f5f4a",
            postal_address: Some("1 Quay St <b>, Dublin"),
            from_transactional: Some("orders@bob.example"),
            from_subscription: Some("news@bob.example"),
            ..Brand::default()
        };
        let restock = Body::Restock {
            product: "Mug",
            product_url: None,
            held_until: None,
            code: None,
            unsubscribe_url: "https://r.example/u",
        };
        let reminder = Body::Reminder { product: "Mug", product_url: None, unsubscribe_url: "https://r.example/u" };
        let order = Body::Allocated { product: "Mug", qty: 1 };
        for (body, from) in [
            (restock, Some("news@bob.example")),
            (reminder, Some("news@bob.example")),
            (order, Some("orders@bob.example")),
            (Body::Digest { csv: "a,b" }, None),
        ] {
            let e = render(Lang::En, &brand, "ada@example.com", body);
            assert_eq!(e.from.as_deref(), from, "{body:?}");
            assert!(e.text.contains("\nBob's\n1 Quay St <b>, Dublin\n"), "{}", e.text);
            assert!(e.html.contains("1 Quay St &lt;b&gt;, Dublin"), "escaped: {}", e.html);
        }
        let e = render(Lang::En, &brand, "ada@example.com", reminder);
        assert!(e.subject.contains("still in stock") && e.headers.iter().any(|(k, _)| k == "List-Unsubscribe-Post"));
        assert_eq!(e.from_or("shop@restock.example"), "news@bob.example");
        let plain = render(Lang::En, &Brand { shop_name: "Bob's", ..Brand::default() }, "a@example.com", order);
        assert_eq!(plain.from_or("shop@restock.example"), "shop@restock.example");
    }
}
