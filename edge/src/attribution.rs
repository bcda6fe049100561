//! Crediting sales to restock notifications (`restock_shared::attribution`): the
//! product link in a restock notice or reminder goes through
//! `GET /v1/shops/{shop}/go?token=` (a signed link naming the signup), which records
//! the first click and redirects to the product page; a sale (reported by the merchant
//! or coming from the platform) by a notified subscriber is then *direct* within the
//! shop's click window, *assisted* within its delivery window (the notice's `sent_at`),
//! else not credited. Only GET counts (a `HEAD` from a link checker does not).

use restock_shared::attribution::{Attribution, Windows, attribute};
use restock_shared::{Email, ShopId, Timestamp};
use serde::Deserialize;
use worker::{Request, Response};

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::shops::{ShopRow, load_shop};
use crate::tokens::{self, LinkKind};

/// The shop's windows.
pub fn windows(shop: &ShopRow) -> Windows {
    let days = |d: i64| u16::try_from(d.clamp(0, i64::from(Windows::MAX_DAYS))).unwrap_or(0);
    Windows { click_days: days(shop.attribution_click_days), delivery_days: days(shop.attribution_delivery_days) }
}

/// A product URL as an absolute link (a path resolves against the shop's URL).
fn absolute(url: &str, base: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("{}{url}", base.trim_end_matches('/'))
    }
}

#[derive(Deserialize)]
struct Target {
    url: Option<String>,
}

/// `GET /v1/shops/{shop}/go?token=`: counts the first click on a notice's product link
/// and redirects (302) to the product page.
pub async fn click(ctx: &Ctx, req: &Request, shop: &str) -> Result<Response, ApiError> {
    let shop_id = ShopId::parse(shop)?;
    let row = load_shop(&ctx.db, &shop_id).await?;
    let token = http::query_param(req, "token").unwrap_or_default();
    let link = match tokens::verify(ctx, &token, LinkKind::Click, shop_id.as_str()) {
        Ok(link) => link,
        Err(e) => return Ok(crate::backorders::cancel::link_error(&row, e)),
    };
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE waitlist SET clicked_at = ?3 WHERE shop_id = ?1 AND id = ?2 AND clicked_at IS NULL AND status = 'notified'",
                crate::args![shop_id.as_str(), link.id.as_str(), ctx.now.millis()],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT p.url FROM waitlist w JOIN products p ON p.shop_id = w.shop_id AND p.sku = w.sku WHERE w.shop_id = ?1 AND w.id = ?2",
                crate::args![shop_id.as_str(), link.id.as_str()],
            )?,
        ],
    )
    .await?;
    let target = results.get(1).map(db::rows::<Target>).transpose()?.and_then(|mut v| v.pop()).and_then(|t| t.url);
    let base = row.shop_url.clone().unwrap_or_else(|| crate::notify::consumer::base_url(ctx, &row));
    let Some(url) = target.map(|u| absolute(&u, &base)).or(row.shop_url.clone()) else {
        return Ok(crate::backorders::cancel::link_error(
            &row,
            ApiError::not_found("product_not_found", "the product has no page"),
        ));
    };
    Ok(http::respond(
        302,
        &[("location", url.as_str()), ("cache-control", "no-store"), ("referrer-policy", "no-referrer")],
        Vec::new(),
    ))
}

#[derive(Deserialize)]
struct Notified {
    id: String,
    clicked_at: Option<i64>,
    delivered_at: Option<i64>,
}

/// How a sale of `sku` by `email` at `at` is credited, and the signup it is credited to.
/// The buyer's address matches the signup's whatever the case of its local part (a
/// checkout may spell `Ann@` where the signup spelled `ann@`), through the NOCASE
/// index, named (`INDEXED BY`): SQLite would otherwise pick `waitlist_queue` and read
/// every notified signup of the SKU. The recipient's deliveries are then found by
/// `deliveries_by_recipient` (their recipient is the signup's address as stored).
pub async fn credit(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &str,
    email: Option<&str>,
    at: Timestamp,
) -> Result<(Option<Attribution>, Option<String>), ApiError> {
    let Some(email) = email.and_then(|e| Email::parse(e).ok()) else { return Ok((None, None)) };
    let s = db::stmt(
        &ctx.db,
        "SELECT w.id, w.clicked_at, \
           (SELECT MAX(d.sent_at) FROM deliveries d WHERE d.shop_id = w.shop_id AND d.recipient = w.email \
              AND d.sku = w.sku AND d.kind = 'restock' AND d.status = 'sent') AS delivered_at \
         FROM waitlist w INDEXED BY waitlist_by_email_nocase \
         WHERE w.shop_id = ?1 AND w.sku = ?2 AND w.email = ?3 COLLATE NOCASE AND w.status = 'notified'",
        crate::args![shop.id.as_str(), sku, email.as_str()],
    )?;
    let Some(n) = db::first::<Notified>(s).await? else { return Ok((None, None)) };
    let credit = attribute(
        at,
        n.delivered_at.map(Timestamp::from_millis),
        n.clicked_at.map(Timestamp::from_millis),
        windows(shop),
    );
    Ok((credit, credit.map(|_| n.id)))
}

/// A sale to record (from the admin API or a platform's order).
pub struct Sale<'a> {
    pub sku: &'a str,
    pub quantity: u32,
    pub amount_cents: u32,
    pub email: Option<&'a str>,
    /// Unique per shop: recording it twice records it once.
    pub reference: &'a str,
    /// `None`: reported through the admin API; else the platform.
    pub source: Option<&'a str>,
    pub at: Timestamp,
}

/// Records a sale with its credit (and marks the signup converted); whether it is new.
/// Takes nothing off stock: the platform's count (or the merchant's report) does that.
/// A platform's line (`source` set) is decided once: not recorded as a sale if it was
/// queued as a backorder (its key is the sale's reference).
pub async fn record_sale(ctx: &Ctx, shop: &ShopRow, sale: &Sale<'_>) -> Result<bool, ApiError> {
    let (credit, _) = credit(ctx, shop, sale.sku, sale.email, sale.at).await?;
    let email = sale.email.and_then(|e| Email::parse(e).ok()).map(|e| e.as_str().to_owned());
    let id = new_id("ord");
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO orders (id, shop_id, sku, quantity, amount_cents, email, reference, attributed, created_at, source) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
                 WHERE ?10 IS NULL OR NOT EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = ?2 \
                   AND COALESCE(b.source, '') = ?10 AND b.idempotency_key = ?7) \
                 ON CONFLICT (shop_id, reference) DO NOTHING",
                crate::args![
                    id.as_str(),
                    shop.id.as_str(),
                    sale.sku,
                    sale.quantity,
                    sale.amount_cents,
                    email.clone(),
                    sale.reference,
                    credit.map(Attribution::name),
                    sale.at.millis(),
                    sale.source
                ],
            )?,
            // A notified buyer's signup converted (and its claim hold ends), credited or not.
            db::stmt(
                &ctx.db,
                "UPDATE waitlist INDEXED BY waitlist_by_email_nocase SET converted_at = ?4, updated_at = ?4 \
                 WHERE shop_id = ?1 AND sku = ?2 AND email = ?3 COLLATE NOCASE AND status = 'notified' AND converted_at IS NULL \
                   AND EXISTS (SELECT 1 FROM orders WHERE id = ?5)",
                crate::args![shop.id.as_str(), sale.sku, email, ctx.now.millis(), id.as_str()],
            )?,
        ],
    )
    .await?;
    Ok(results.first().map(db::changes) == Some(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_shop() {
        assert_eq!(absolute("/products/tee", "https://shop.example/"), "https://shop.example/products/tee");
        assert_eq!(absolute("https://x.example/p", "https://shop.example"), "https://x.example/p");
    }
}
