//! Editable emails: the merchant's own subject and intro for each email kind and
//! language (`email_copy`), anything not edited falling back to the built-in copy.
//!
//! They are templates of plain text with a fixed set of placeholders ([`EmailKind::
//! placeholders`]): `{product}`, `{shop}`, and for orders `{qty}` and `{position}`.
//! Anything else in braces, or a lone brace, is refused (422 naming the field), never
//! kept as literal text or dropped. A subject is a header text (one line, no bidi
//! controls); an intro a body text. Values are filled in as text: the HTML part escapes
//! them like everything else, and in Arabic and Hebrew each sits between isolates.
//!
//! `GET /v1/admin/emails` lists every kind and language with the shop's copy, the
//! built-in copy and the placeholders; `PUT /v1/admin/emails/{kind}/{lang}` saves one
//! (`null` for a part resets it; both `null` deletes the row), and with `?preview=1`
//! saves nothing and answers the email rendered by the real renderer with sample
//! values: the dashboard's live preview.

use restock_shared::{Date, InvalidInput, Lang, Sku, clean_text, header_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::i18n::{M, t};
use crate::notify::render::{Body, Cancel, Extras, render};
use crate::shops::{ShopRow, auth};

/// The emails a merchant can edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailKind {
    Confirm,
    Restock,
    Reminder,
    BackorderConfirmation,
    Delay,
    Allocated,
    StatusUpdate,
}

impl EmailKind {
    pub const ALL: [EmailKind; 7] = [
        EmailKind::Confirm,
        EmailKind::Restock,
        EmailKind::Reminder,
        EmailKind::BackorderConfirmation,
        EmailKind::Delay,
        EmailKind::Allocated,
        EmailKind::StatusUpdate,
    ];

    /// The delivery kind (`deliveries.kind`).
    pub fn name(self) -> &'static str {
        match self {
            EmailKind::Confirm => "confirm",
            EmailKind::Restock => "restock",
            EmailKind::Reminder => "reminder",
            EmailKind::BackorderConfirmation => "backorder_confirmation",
            EmailKind::Delay => "delay",
            EmailKind::Allocated => "allocated",
            EmailKind::StatusUpdate => "status_update",
        }
    }

    pub fn parse(s: &str) -> Option<EmailKind> {
        EmailKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The placeholders its copy may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            EmailKind::Confirm | EmailKind::Restock | EmailKind::Reminder => &["product", "shop"],
            EmailKind::Delay | EmailKind::Allocated => &["product", "shop", "qty"],
            EmailKind::BackorderConfirmation | EmailKind::StatusUpdate => &["product", "shop", "qty", "position"],
        }
    }

    /// The built-in subject and intro (with the built-in's own placeholders).
    pub fn built_in(self, lang: Lang) -> (&'static str, &'static str) {
        let (subject, intro) = match self {
            EmailKind::Confirm => (M::ConfirmSubject, M::ConfirmBody),
            EmailKind::Restock => (M::RestockSubject, M::RestockBody),
            EmailKind::Reminder => (M::ReminderSubject, M::ReminderBody),
            EmailKind::BackorderConfirmation => (M::BackorderSubject, M::BackorderBody),
            EmailKind::Delay => (M::DelaySubject, M::DelayBody),
            EmailKind::Allocated => (M::AllocatedSubject, M::AllocatedBody),
            EmailKind::StatusUpdate => (M::StatusSubject, M::StatusBody),
        };
        (t(lang, subject), t(lang, intro))
    }
}

/// The longest subject and intro, in characters.
pub const SUBJECT_MAX: usize = 150;
pub const INTRO_MAX: usize = 1000;

/// A shop's copy for one email kind and language (either part may be the built-in).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailCopy {
    pub subject: Option<String>,
    pub intro: Option<String>,
}

/// A template's refusal: `field` with what is wrong.
fn refuse(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

/// Validates a template for `kind`: text (a header text for the subject), 1 to `max`
/// characters, every `{` opening a placeholder of the kind's set and every `}` closing
/// one.
pub fn template(field: &'static str, input: &str, kind: EmailKind, max: usize) -> Result<String, ApiError> {
    let text = if field == "subject" { header_text(field, input, max)? } else { clean_text(field, input, max)? };
    if text.is_empty() {
        return Err(refuse(field, "text, or null for the built-in copy"));
    }
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err(refuse(field, "a `}` that closes no placeholder"));
        }
        let after = &rest[i + 1..];
        let Some(end) = after.find('}') else { return Err(refuse(field, "a `{` that opens no placeholder")) };
        if !kind.placeholders().contains(&&after[..end]) {
            return Err(refuse(
                field,
                "placeholders are {product} and {shop}, and in order emails {qty} and {position}",
            ));
        }
        rest = &after[end + 1..];
    }
    Ok(text)
}

/// `template` with its placeholders filled in as text (values between isolates in a
/// right-to-left language, as the built-in copy does). Templates are validated when
/// saved; a placeholder this email has no value for is left out.
pub fn fill(template: &str, vars: &[(&str, &str)], rtl: bool) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        if let Some((_, value)) = vars.iter().find(|(name, _)| *name == &after[..end]) {
            if rtl {
                out.push('\u{2068}');
                out.push_str(value);
                out.push('\u{2069}');
            } else {
                out.push_str(value);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// One stored row.
#[derive(Clone, Debug, Deserialize)]
pub struct CopyRow {
    pub shop_id: String,
    pub kind: String,
    pub lang: String,
    pub subject: Option<String>,
    pub intro: Option<String>,
}

impl CopyRow {
    pub fn copy(&self) -> EmailCopy {
        EmailCopy { subject: self.subject.clone(), intro: self.intro.clone() }
    }
}

/// The copy rows for `(shop, kind, lang)` triples (each a primary-key lookup).
pub async fn load(ctx: &Ctx, keys: &[(String, String, String)]) -> Result<Vec<CopyRow>, ApiError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<[&str; 3]> = keys.iter().map(|(s, k, l)| [s.as_str(), k.as_str(), l.as_str()]).collect();
    db::all(db::stmt(
        &ctx.db,
        "SELECT c.shop_id, c.kind, c.lang, c.subject, c.intro FROM json_each(?1) j JOIN email_copy c \
           ON c.shop_id = json_extract(j.value, '$[0]') AND c.kind = json_extract(j.value, '$[1]') \
           AND c.lang = json_extract(j.value, '$[2]')",
        crate::args![serde_json::to_string(&keys)?],
    )?)
    .await
}

/// `GET /v1/admin/emails`: every kind and language (7 × 7, a fixed size), with the
/// shop's copy (null: built-in), the built-in copy and the placeholders.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let rows: Vec<CopyRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT shop_id, kind, lang, subject, intro FROM email_copy WHERE shop_id = ?1",
        crate::args![shop.id.as_str()],
    )?)
    .await?;
    let mut items = Vec::new();
    for kind in EmailKind::ALL {
        for lang in Lang::ALL {
            let stored = rows.iter().find(|r| r.kind == kind.name() && r.lang == lang.tag());
            let (subject, intro) = kind.built_in(lang);
            items.push(json!({
                "kind": kind.name(),
                "lang": lang.tag(),
                "subject": stored.and_then(|r| r.subject.clone()),
                "intro": stored.and_then(|r| r.intro.clone()),
                "built_in": { "subject": subject, "intro": intro },
                "placeholders": kind.placeholders().iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>(),
            }));
        }
    }
    http::json(200, &json!({ "items": items }))
}

/// `PUT /v1/admin/emails/{kind}/{lang}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// `null` (or absent): the built-in subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// `null` (or absent): the built-in intro.
    #[serde(default)]
    pub intro: Option<String>,
    /// Previews only: the product whose name the preview shows (else a sample name).
    #[serde(default)]
    pub sku: Option<String>,
}

fn kind_and_lang(kind: &str, lang: &str) -> Result<(EmailKind, Lang), ApiError> {
    let kind = EmailKind::parse(kind).ok_or(ApiError::not_found(
        "email_kind_not_found",
        "email kinds: confirm, restock, reminder, backorder_confirmation, delay, allocated, status_update",
    ))?;
    let lang = Lang::from_exact_tag(lang)
        .ok_or(ApiError::not_found("language_not_found", "languages: en, de, fr, es, ja, ar, he"))?;
    Ok((kind, lang))
}

/// `PUT /v1/admin/emails/{kind}/{lang}[?preview=1]`.
pub async fn put(ctx: &Ctx, req: &mut Request, kind: &str, lang: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let (kind, lang) = kind_and_lang(kind, lang)?;
    let body: CopyRequest = http::read_json(req).await?;
    let copy = EmailCopy {
        subject: body.subject.as_deref().map(|s| template("subject", s, kind, SUBJECT_MAX)).transpose()?,
        intro: body.intro.as_deref().map(|s| template("intro", s, kind, INTRO_MAX)).transpose()?,
    };
    let sku = body.sku.as_deref().map(Sku::parse).transpose()?;
    let preview = http::query_param(req, "preview").is_some_and(|v| v == "1" || v == "true");
    if !preview {
        let statement = if copy.subject.is_none() && copy.intro.is_none() {
            db::stmt(
                &ctx.db,
                "DELETE FROM email_copy WHERE shop_id = ?1 AND kind = ?2 AND lang = ?3",
                crate::args![shop.id.as_str(), kind.name(), lang.tag()],
            )?
        } else {
            db::stmt(
                &ctx.db,
                "INSERT INTO email_copy (shop_id, kind, lang, subject, intro, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (shop_id, kind, lang) DO UPDATE SET subject = ?4, intro = ?5, updated_at = ?6",
                crate::args![
                    shop.id.as_str(),
                    kind.name(),
                    lang.tag(),
                    copy.subject.clone(),
                    copy.intro.clone(),
                    ctx.now.millis()
                ],
            )?
        };
        db::run(statement).await?;
        crate::admin::audit::note(ctx, "email_copy", json!({ "kind": kind.name(), "lang": lang.tag() }));
    }
    let product = match &sku {
        Some(sku) => product_name(ctx, &shop, sku).await?,
        None => None,
    };
    let email = sample(ctx, &shop, kind, lang, &copy, product.as_deref());
    http::json(
        200,
        &json!({
            "kind": kind.name(), "lang": lang.tag(), "subject": copy.subject, "intro": copy.intro, "preview": preview,
            "email": { "subject": email.subject, "text": email.text, "html": email.html },
        }),
    )
}

async fn product_name(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT name FROM products WHERE shop_id = ?1 AND sku = ?2",
        crate::args![shop.id.as_str(), sku.as_str()],
    )?;
    match db::first::<Name>(s).await? {
        Some(n) => Ok(Some(n.name)),
        None => Err(ApiError::not_found("product_not_found", "this shop has no product with this SKU")),
    }
}

/// `kind` in `lang` as the shop's shoppers would get it with `copy`, rendered by the
/// real renderer with sample values (a product, 2 units, third in line, a date two
/// weeks out, links that go nowhere).
pub fn sample(
    ctx: &Ctx,
    shop: &ShopRow,
    kind: EmailKind,
    lang: Lang,
    copy: &EmailCopy,
    product: Option<&str>,
) -> crate::notify::render::Email {
    let base = crate::notify::consumer::base_url(ctx, shop);
    let link = format!("{base}/v1/shops/{}/example", shop.id);
    let product = product.unwrap_or(match lang {
        Lang::De => "Beispielprodukt",
        Lang::Fr => "Produit exemple",
        Lang::Es => "Producto de ejemplo",
        Lang::Ja => "サンプル商品",
        Lang::Ar => "منتج تجريبي",
        Lang::He => "מוצר לדוגמה",
        Lang::En => "Sample product",
    });
    let date: Option<Date> = Some(ctx.today().add_days(14));
    let order = kind.placeholders().contains(&"qty");
    let extras = Extras {
        copy: Some(copy),
        code: shop.discount_code.as_deref().filter(|_| shop.incentive_in("backorder_confirmation")),
        free_shipping: shop.free_shipping != 0 && shop.incentive_in(kind.name()),
        orders_url: order.then_some(link.as_str()),
    };
    let brand = crate::notify::consumer::brand(shop, extras);
    let body = match kind {
        EmailKind::Confirm => Body::Confirm { product, confirm_url: &link, unsubscribe_url: &link },
        EmailKind::Restock => Body::Restock {
            product,
            product_url: Some(&link),
            held_until: None,
            code: shop.discount_code.as_deref().filter(|_| shop.incentive_in("restock")),
            unsubscribe_url: &link,
        },
        EmailKind::Reminder => Body::Reminder { product, product_url: Some(&link), unsubscribe_url: &link },
        EmailKind::BackorderConfirmation => {
            Body::BackorderConfirmation { product, qty: 2, position: Some(3), promised: date, cancel_url: &link }
        }
        EmailKind::Delay => Body::Delay { product, new_date: date, cancel: Cancel::Link(&link) },
        EmailKind::Allocated => Body::Allocated { product, qty: 2 },
        EmailKind::StatusUpdate => {
            Body::StatusUpdate { product, qty: 2, position: Some(3), promised: date, cancel: Cancel::Link(&link) }
        }
    };
    render(lang, &brand, "shopper@example.com", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(field: &'static str, input: &str, kind: EmailKind) -> Result<String, (&'static str, String)> {
        template(field, input, kind, 150).map_err(|e| {
            let p = e.problem();
            (p.code, p.field.unwrap_or_default())
        })
    }

    #[test]
    fn templates_take_only_their_kinds_placeholders() {
        assert_eq!(
            check("subject", " {product} is back at {shop} ", EmailKind::Restock).as_deref(),
            Ok("{product} is back at {shop}")
        );
        assert!(check("intro", "You are number {position} for {qty} × {product}", EmailKind::StatusUpdate).is_ok());
        for (bad, kind) in [
            ("{qty} back", EmailKind::Restock),
            ("{position}", EmailKind::Delay),
            ("{code}", EmailKind::Restock),
            ("{Product}", EmailKind::Restock),
            ("{ product }", EmailKind::Restock),
            ("50% off {", EmailKind::Restock),
            ("smile }", EmailKind::Restock),
            ("{{product}}", EmailKind::Restock),
            ("{}", EmailKind::Restock),
        ] {
            assert_eq!(check("subject", bad, kind), Err(("out_of_range", "subject".into())), "{bad:?}");
        }
        assert_eq!(check("subject", "  ", EmailKind::Restock), Err(("out_of_range", "subject".into())));
    }

    #[test]
    fn subjects_are_one_line_and_intros_plain_text() {
        for bad in ["Back\r\nBcc: x@example.com", "Back\u{2028}now", "Back \u{202E}won"] {
            assert_eq!(check("subject", bad, EmailKind::Restock), Err(("invalid_text", "subject".into())), "{bad:?}");
        }
        assert_eq!(check("intro", "two\nlines", EmailKind::Restock), Err(("invalid_text", "intro".into())));
        assert!(check("intro", "Back: <b>{product}</b> & more", EmailKind::Restock).is_ok(), "markup is text");
        let long = "x".repeat(151);
        assert_eq!(check("subject", &long, EmailKind::Restock), Err(("invalid_text", "subject".into())));
    }

    #[test]
    fn fill_substitutes_text_and_isolates_right_to_left() {
        let vars = [("product", "<b>Mug</b>"), ("shop", "Ana's")];
        assert_eq!(fill("{product} at {shop}!", &vars, false), "<b>Mug</b> at Ana's!");
        assert_eq!(fill("{product}", &vars, true), "\u{2068}<b>Mug</b>\u{2069}");
        assert_eq!(fill("{qty} left", &vars, false), " left", "a value this email lacks is left out");
    }

    #[test]
    fn every_kind_has_built_in_copy_in_every_language() {
        for kind in EmailKind::ALL {
            assert_eq!(EmailKind::parse(kind.name()), Some(kind));
            for lang in Lang::ALL {
                let (subject, intro) = kind.built_in(lang);
                assert!(!subject.is_empty() && !intro.is_empty(), "{kind:?} {lang:?}");
            }
        }
    }
}
