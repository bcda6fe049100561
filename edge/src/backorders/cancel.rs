//! Cancelling a backorder: by the shopper (signed link) or the merchant (admin API).
//! The domain removes it from the queue and passes any units already set aside for it
//! to the next shoppers in line (then to stock, which may start a waitlist wave). A
//! platform's order is not the shopper's to cancel here (it was paid in the shop's
//! checkout): the link's page says to cancel it in the shop, and refuses (409).

use restock_shared::{Lang, Op, ShopId, Sku};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::i18n::{M, fill, t};
use crate::pages::{Action, page};
use crate::shops::{ShopRow, load_shop};
use crate::stock::commit::{self, Change, GUARD};
use crate::tokens::{self, LinkKind};

#[derive(Clone, Debug, Deserialize)]
pub struct BackorderRef {
    pub id: String,
    pub sku: String,
    pub status: String,
    pub quantity: i64,
    pub locale: String,
    pub name: String,
    /// The platform whose checkout took the order (`None`: the widget's or the admin
    /// API's own).
    pub source: Option<String>,
}

/// What a cancellation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cancelled {
    pub id: String,
    pub status: &'static str,
    /// Units that had been set aside for it and went to the next in line (or stock).
    pub units_returned: u32,
    pub already: bool,
    /// The plan: what the cancellation did (or, previewed, would do).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<serde_json::Value>,
}

pub async fn find(ctx: &Ctx, shop: &str, id: &str) -> Result<BackorderRef, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT b.id, b.sku, b.status, b.quantity, b.locale, b.source, p.name FROM backorders b \
         JOIN products p ON p.shop_id = b.shop_id AND p.sku = b.sku WHERE b.shop_id = ?1 AND b.id = ?2",
        crate::args![shop, id],
    )?;
    db::first(s).await?.ok_or_else(|| ApiError::not_found("backorder_not_found", "this shop has no such backorder"))
}

/// Cancels backorder `id` of `shop` (or with `preview`, says what cancelling would
/// do: the same plan). Cancelling twice is not an error.
pub async fn cancel_backorder(ctx: &Ctx, shop: &ShopRow, id: &str, preview: bool) -> Result<Cancelled, ApiError> {
    let found = find(ctx, &shop.id, id).await?;
    match found.status.as_str() {
        "cancelled" => {
            return Ok(Cancelled { id: found.id, status: "cancelled", units_returned: 0, already: true, change: None });
        }
        "allocated" => {
            return Err(ApiError::Conflict {
                code: "not_cancellable",
                detail: "every unit is already allocated: the order is ready to ship".into(),
            });
        }
        _ => {}
    }
    let sku = Sku::parse(&found.sku)?;
    let id_owned = found.id.clone();
    let committed = commit::commit(
        ctx,
        shop,
        &sku,
        preview,
        |snap| {
            let mut c = Change::new(Op::Cancel { id: id_owned.clone() });
            c.writes.push((
                format!(
                    "UPDATE backorders SET status = 'cancelled', allocated = 0, cancelled_at = ?4, updated_at = ?4 \
                     WHERE shop_id = ?1 AND id = ?5 AND status = 'open' AND {GUARD}"
                ),
                crate::args![id_owned.as_str()],
            ));
            let row = snap.queue.iter().find(|r| r.id == id_owned);
            let kind = if row.is_some_and(|r| r.kind == "preorder") { "preorder" } else { "backorder" };
            let data = json!({ "id": id_owned, "sku": snap.facts.row.sku, "quantity": row.map(|r| r.quantity) });
            c.events.push((format!("{kind}.cancelled"), data));
            Ok(c)
        },
        |_| Ok(Vec::new()),
    )
    .await?;
    let units_returned = committed.plan.cancelled.as_ref().map_or(0, |c| c.allocated);
    Ok(Cancelled { id: found.id, status: "cancelled", units_returned, already: false, change: Some(committed.view) })
}

/// `GET /v1/shops/{shop}/backorders/cancel?token=`: a page with a cancel button.
/// `POST` (the button): cancels and says so.
pub async fn link(ctx: &Ctx, req: &Request, shop: &str, post: bool) -> Result<Response, ApiError> {
    let shop_id = ShopId::parse(shop)?;
    let row = load_shop(&ctx.db, &shop_id).await?;
    let token = http::query_param(req, "token").unwrap_or_default();
    let link = match tokens::verify(ctx, &token, LinkKind::Cancel, shop_id.as_str()) {
        Ok(link) => link,
        Err(e) => return Ok(link_error(&row, e)),
    };
    let found = find(ctx, shop_id.as_str(), &link.id).await?;
    let lang = Lang::from_tag(&found.locale);
    let qty = found.quantity.to_string();
    let vars = [("product", found.name.as_str()), ("qty", qty.as_str())];
    // A platform's order was paid in the shop's checkout: cancelling Restock's place
    // alone would leave the paid order standing. It is cancelled in the shop (which
    // tells Restock); the merchant can still cancel the place with the admin API.
    if found.source.is_some() {
        let mut message = t(lang, M::CancelInShop).to_owned();
        if let Some(url) = row.shop_url.as_deref() {
            message.push(' ');
            message.push_str(url);
        }
        return Ok(page(409, lang, &row.name, t(lang, M::CancelTitle), &message, None));
    }
    if !post {
        if found.status == "cancelled" {
            return Ok(page(200, lang, &row.name, t(lang, M::CancelTitle), &fill(lang, M::Cancelled, &vars), None));
        }
        let url = req.url().map(|u| u.to_string()).unwrap_or_default();
        let action = Action { url: &url, label: t(lang, M::CancelButton) };
        return Ok(page(
            200,
            lang,
            &row.name,
            t(lang, M::CancelTitle),
            &fill(lang, M::CancelPrompt, &vars),
            Some(action),
        ));
    }
    match cancel_backorder(ctx, &row, &link.id, false).await {
        Ok(_) => Ok(page(200, lang, &row.name, t(lang, M::CancelTitle), &fill(lang, M::Cancelled, &vars), None)),
        Err(ApiError::Conflict { .. }) => {
            Ok(page(409, lang, &row.name, t(lang, M::CancelTitle), t(lang, M::NotCancellable), None))
        }
        Err(e) => Err(e),
    }
}

/// The page for a link that failed verification (400 invalid, 410 expired).
pub fn link_error(shop: &ShopRow, e: ApiError) -> Response {
    let lang = Lang::En;
    let (status, message) = match e {
        ApiError::Gone { .. } => (410, t(lang, M::ExpiredLink)),
        ApiError::Internal(_) => return e.into_response(),
        _ => (400, t(lang, M::InvalidLink)),
    };
    page(status, lang, &shop.name, &shop.name, message, None)
}
