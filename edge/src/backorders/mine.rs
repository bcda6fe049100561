//! The shopper's own page of their backorders and preorders with one shop:
//! `GET /v1/shops/{shop}/backorders/mine?token=` (every email about an order links it).
//!
//! The signed token names one backorder; the page lists every order placed with that
//! order's address at this shop, newest first, 50 at a time (`&before=` for older
//! ones): its place in the queue, when it is expected to ship, what changed (placed,
//! delayed from the first date, partly set aside, changed by the shop to another
//! product), and a cancel button for open ones. Cancelling POSTs back to the page
//! (`&cancel=<id>`) and goes through the one cancel path (a stock plan); only the
//! orders of the token's address can be cancelled from it.
//!
//! Links work for `ORDERS_LINK_DAYS`. An expired one is not a dead end: its page (410)
//! offers "Send me a new link", which emails a fresh one to the order's address (at
//! most one a day) and shows nothing by itself.
//!
//! Server-rendered like the other link pages (`pages.rs`): every value escaped, the
//! stylesheet `/link.css` only (strict CSP, no inline style or script), the shopper's
//! language and direction.

use restock_shared::{Date, Lang, ShopId};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

use crate::backorders::cancel::{cancel_backorder, link_error};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http::{self, escape_html};
use crate::i18n::{M, fill, long_date, t};
use crate::notify::{self, Outgoing};
use crate::shops::{ShopRow, load_shop};
use crate::tokens::{self, LinkKind};

/// Orders on one page.
const PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
struct Anchor {
    email: String,
    locale: String,
    sku: String,
}

/// One order as its shopper sees it.
#[derive(Debug, Deserialize)]
struct MineRow {
    id: String,
    seq: i64,
    name: String,
    quantity: i64,
    allocated: i64,
    status: String,
    position: Option<i64>,
    placed_on: String,
    promised_date: Option<String>,
    current_promise: Option<String>,
    moved_from_name: Option<String>,
}

async fn find_anchor(ctx: &Ctx, shop: &str, id: &str) -> Result<Option<Anchor>, ApiError> {
    db::first(db::stmt(
        &ctx.db,
        "SELECT email, locale, sku FROM backorders WHERE shop_id = ?1 AND id = ?2",
        crate::args![shop, id],
    )?)
    .await
}

async fn orders(ctx: &Ctx, shop: &str, email: &str, before: i64) -> Result<Vec<MineRow>, ApiError> {
    db::all(db::stmt(
        &ctx.db,
        "SELECT b.id, b.seq, p.name, b.quantity, b.allocated, b.status, \
           CASE WHEN b.status = 'open' THEN (SELECT COUNT(*) FROM backorders q WHERE q.shop_id = b.shop_id AND q.sku = b.sku \
             AND q.status = 'open' AND q.quantity > q.allocated AND q.seq <= b.seq) END AS position, \
           b.placed_on, b.promised_date, b.current_promise, \
           (SELECT m.name FROM products m WHERE m.shop_id = b.shop_id AND m.sku = b.moved_from) AS moved_from_name \
         FROM backorders b JOIN products p ON p.shop_id = b.shop_id AND p.sku = b.sku \
         WHERE b.shop_id = ?1 AND b.email = ?2 COLLATE NOCASE AND b.moved_to IS NULL AND (?3 = 0 OR b.seq < ?3) \
         ORDER BY b.seq DESC LIMIT ?4",
        crate::args![shop, email, before, PAGE + 1],
    )?)
    .await
}

fn date_of(iso: Option<&str>) -> Option<Date> {
    iso.and_then(|d| Date::parse(d).ok())
}

/// What the page says about one order: its line, its state, its date and what changed.
fn describe(lang: Lang, o: &MineRow) -> (String, String, Option<String>, Vec<String>) {
    let qty = o.quantity.to_string();
    let line = fill(lang, M::OrderLine, &[("qty", &qty), ("product", &o.name)]);
    let state = match o.status.as_str() {
        "open" => {
            let position = o.position.map_or_else(|| "–".to_owned(), |p| p.to_string());
            fill(lang, M::OrderWaiting, &[("position", &position)])
        }
        "allocated" => t(lang, M::OrderReady).to_owned(),
        _ => t(lang, M::OrderCancelled).to_owned(),
    };
    let current = date_of(o.current_promise.as_deref());
    let when = (o.status == "open").then(|| match current {
        Some(d) => fill(lang, M::ExpectedShip, &[("date", &long_date(lang, d))]),
        None => t(lang, M::NoDateYet).to_owned(),
    });
    let mut changes = Vec::new();
    if let Some(d) = date_of(Some(&o.placed_on)) {
        changes.push(fill(lang, M::OrderPlaced, &[("date", &long_date(lang, d))]));
    }
    if let Some(from) = &o.moved_from_name {
        changes.push(fill(lang, M::OrderMoved, &[("product", from)]));
    }
    let first = date_of(o.promised_date.as_deref());
    if let Some(was) = first.filter(|f| o.status == "open" && Some(*f) != current) {
        changes.push(fill(lang, M::OrderDelayed, &[("was", &long_date(lang, was))]));
    }
    if o.status == "open" && o.allocated > 0 {
        changes.push(fill(lang, M::OrderPartly, &[("done", &o.allocated.to_string())]));
    }
    (line, state, when, changes)
}

/// The page's HTML.
fn document(
    lang: Lang,
    shop_name: &str,
    notice: Option<&str>,
    rows: &[MineRow],
    self_url: &str,
    older: Option<&str>,
) -> String {
    let title = t(lang, M::OrdersTitle);
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(&format!("<p class=\"notice\" role=\"status\">{}</p>", escape_html(n)));
    }
    body.push_str(&format!("<p>{}</p>", escape_html(&fill(lang, M::OrdersIntro, &[("shop", shop_name)]))));
    if rows.is_empty() {
        body.push_str(&format!("<p>{}</p>", escape_html(t(lang, M::OrdersNone))));
    }
    for o in rows {
        let (line, state, when, changes) = describe(lang, o);
        let heading = format!("o-{}", o.id);
        body.push_str(&format!(
            "<section class=\"order\" aria-labelledby=\"{h}\"><h2 id=\"{h}\">{}</h2><p class=\"state\">{}</p>",
            escape_html(&line),
            escape_html(&state),
            h = escape_html(&heading),
        ));
        if let Some(w) = when {
            body.push_str(&format!("<p>{}</p>", escape_html(&w)));
        }
        if !changes.is_empty() {
            body.push_str("<ul class=\"changes\">");
            for c in &changes {
                body.push_str(&format!("<li>{}</li>", escape_html(c)));
            }
            body.push_str("</ul>");
        }
        if o.status == "open" {
            body.push_str(&format!(
                "<form method=\"post\" action=\"{}\"><button type=\"submit\" aria-describedby=\"{}\">{}</button></form>",
                escape_html(&format!("{self_url}&cancel={}", o.id)),
                escape_html(&heading),
                escape_html(t(lang, M::CancelButton)),
            ));
        }
        body.push_str("</section>");
    }
    if let Some(url) = older {
        body.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape_html(url), escape_html(t(lang, M::OrdersOlder))));
    }
    format!(
        "<!doctype html><html lang=\"{tag}\"{dir}><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/link.css\"></head>\
         <body><main><p class=\"shop\">{shop}</p><h1>{title}</h1>{body}</main></body></html>",
        tag = lang.tag(),
        dir = if lang.rtl() { " dir=\"rtl\"" } else { "" },
        title = escape_html(title),
        shop = escape_html(shop_name),
    )
}

/// `GET|POST /v1/shops/{shop}/backorders/mine?token=[&before=][&cancel=][&resend=1]`.
pub async fn page(ctx: &Ctx, req: &Request, shop: &str, post: bool) -> Result<Response, ApiError> {
    let shop_id = ShopId::parse(shop)?;
    let row = load_shop(&ctx.db, &shop_id).await?;
    let token = http::query_param(req, "token").unwrap_or_default();
    let (link, expired) = match tokens::verify_even_expired(ctx, &token, LinkKind::Orders, shop_id.as_str()) {
        Ok(v) => v,
        Err(e) => return Ok(link_error(&row, e)),
    };
    let path = format!("/v1/shops/{}/backorders/mine?token={token}", shop_id.as_str());
    let Some(anchor) = find_anchor(ctx, shop_id.as_str(), &link.id).await? else {
        // Erased (GDPR) or never ours: nothing to show, and nothing said about why.
        return Ok(http::html(404, document(Lang::En, &row.name, None, &[], &path, None)));
    };
    let lang = Lang::from_tag(&anchor.locale);
    if expired {
        return expired_page(ctx, req, &row, &link.id, &anchor, lang, &path, post).await;
    }
    let mut status = 200;
    let mut notice = None;
    if post {
        let Some(id) = http::query_param(req, "cancel") else {
            return Err(ApiError::bad_request("missing_field", "say which order to cancel (`cancel`)"));
        };
        let theirs = match find_anchor(ctx, shop_id.as_str(), &id).await? {
            Some(other) => other.email.eq_ignore_ascii_case(&anchor.email),
            None => false,
        };
        if !theirs {
            let html = document(lang, &row.name, Some(t(lang, M::InvalidLink)), &[], &path, None);
            return Ok(http::html(404, html));
        }
        notice = Some(match cancel_backorder(ctx, &row, &id, false).await {
            Ok(_) => t(lang, M::OrderCancelled),
            Err(ApiError::Conflict { .. }) => {
                status = 409;
                t(lang, M::NotCancellable)
            }
            Err(e) => return Err(e),
        });
    }
    let before = http::query_param(req, "before").and_then(|b| b.parse::<i64>().ok()).filter(|b| *b > 0).unwrap_or(0);
    let mut rows = orders(ctx, shop_id.as_str(), &anchor.email, before).await?;
    let older = (rows.len() as i64 > PAGE).then(|| {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| format!("{path}&before={}", r.seq))
    });
    let html = document(lang, &row.name, notice, &rows, &path, older.flatten().as_deref());
    Ok(http::html(status, html))
}

/// An expired link's page (410) with "Send me a new link"; its POST (`&resend=1`)
/// emails a fresh link to the order's address, once a day at most.
#[allow(clippy::too_many_arguments)]
async fn expired_page(
    ctx: &Ctx,
    req: &Request,
    shop: &ShopRow,
    id: &str,
    anchor: &Anchor,
    lang: Lang,
    path: &str,
    post: bool,
) -> Result<Response, ApiError> {
    let resend = post && http::query_param(req, "resend").is_some_and(|v| v == "1");
    if resend {
        let key = format!("orders_link:{id}:{}", ctx.today().to_iso());
        let out = Outgoing::email(&shop.id, "orders_link", &anchor.email, &anchor.locale, key, json!({}))
            .about(&anchor.sku, id);
        let (sql, params) = out.insert(ctx, 1, "1");
        db::run(db::stmt(&ctx.db, &sql, params)?).await?;
        notify::kick(ctx);
        let html = crate::pages::page(200, lang, &shop.name, t(lang, M::OrdersTitle), t(lang, M::OrdersLinkSent), None);
        return Ok(html);
    }
    let url = format!("{path}&resend=1");
    let action = crate::pages::Action { url: &url, label: t(lang, M::ResendButton) };
    Ok(crate::pages::page(410, lang, &shop.name, t(lang, M::ExpiredTitle), t(lang, M::OrdersExpired), Some(action)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, allocated: i64, promised: Option<&str>, current: Option<&str>) -> MineRow {
        MineRow {
            id: "bo_1".into(),
            seq: 7,
            name: "Mug <b>".into(),
            quantity: 3,
            allocated,
            status: status.into(),
            position: (status == "open").then_some(2),
            placed_on: "2027-01-05".into(),
            promised_date: promised.map(str::to_owned),
            current_promise: current.map(str::to_owned),
            moved_from_name: None,
        }
    }

    #[test]
    fn each_order_says_where_it_is_and_what_changed() {
        let (line, state, when, changes) = describe(Lang::En, &row("open", 1, Some("2027-02-01"), Some("2027-03-01")));
        assert_eq!(line, "3 × Mug <b>");
        assert_eq!(state, "Waiting for stock: number 2 in the queue.");
        assert_eq!(when.as_deref(), Some("Expected to ship: 1 March 2027."));
        assert_eq!(
            changes,
            [
                "Ordered on 5 January 2027.",
                "Delayed: we first expected 1 February 2027.",
                "1 of them already set aside for you."
            ]
        );
        let (_, state, when, changes) =
            describe(Lang::En, &row("allocated", 3, Some("2027-02-01"), Some("2027-02-01")));
        assert_eq!((state.as_str(), when), ("Set aside for you: ready to ship.", None));
        assert_eq!(changes.len(), 1, "placed only: {changes:?}");
        let (_, _, when, _) = describe(Lang::De, &row("open", 0, None, None));
        assert_eq!(when.as_deref(), Some(t(Lang::De, M::NoDateYet)), "no date, never an invented one");
    }

    #[test]
    fn the_page_escapes_everything_and_offers_cancel_only_while_open() {
        let rows = [row("open", 0, None, None), MineRow { id: "bo_2".into(), ..row("cancelled", 0, None, None) }];
        let html =
            document(Lang::He, "Bob's <Bikes>", Some("<done>"), &rows, "/v1/shops/s/backorders/mine?token=a&b", None);
        assert!(html.starts_with("<!doctype html><html lang=\"he\" dir=\"rtl\">"), "{html}");
        assert!(!html.contains("<b>") && html.contains("Mug &lt;b&gt;"), "{html}");
        assert!(html.contains("Bob&#39;s &lt;Bikes&gt;") && html.contains("&lt;done&gt;"));
        assert_eq!(html.matches("<form method=\"post\"").count(), 1, "one open order, one button");
        assert!(html.contains("action=\"/v1/shops/s/backorders/mine?token=a&amp;b&amp;cancel=bo_1\""), "{html}");
        assert!(!html.contains("style="), "no inline style under the page's CSP");
    }
}
