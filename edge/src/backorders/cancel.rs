//! Cancelling a backorder: by the shopper (signed link) or the merchant (admin API).
//! The domain removes it from the queue and passes any units already set aside for it
//! to the next shoppers in line (then to stock, which may start a waitlist wave).

use restock_shared::{Lang, ShopId, Sku, cancel};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::i18n::{M, fill, t};
use crate::notify;
use crate::pages::{Action, page};
use crate::shops::{ShopRow, load_shop};
use crate::stock::commit::{self, GUARD, Plan, apply_allocation, plan_release};
use crate::tokens::{self, LinkKind};

#[derive(Clone, Debug, Deserialize)]
pub struct BackorderRef {
    pub id: String,
    pub sku: String,
    pub status: String,
    pub quantity: i64,
    pub locale: String,
    pub name: String,
}

/// What a cancellation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cancelled {
    pub id: String,
    pub status: &'static str,
    /// Units that had been set aside for it and went to the next in line (or stock).
    pub units_returned: u32,
    pub already: bool,
}

pub async fn find(ctx: &Ctx, shop: &str, id: &str) -> Result<BackorderRef, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT b.id, b.sku, b.status, b.quantity, b.locale, p.name FROM backorders b \
         JOIN products p ON p.shop_id = b.shop_id AND p.sku = b.sku WHERE b.shop_id = ?1 AND b.id = ?2",
        crate::args![shop, id],
    )?;
    db::first(s).await?.ok_or_else(|| ApiError::not_found("backorder_not_found", "this shop has no such backorder"))
}

/// Cancels backorder `id` of `shop`. Cancelling twice is not an error.
pub async fn cancel_backorder(ctx: &Ctx, shop: &ShopRow, id: &str) -> Result<Cancelled, ApiError> {
    let found = find(ctx, &shop.id, id).await?;
    match found.status.as_str() {
        "cancelled" => return Ok(Cancelled { id: found.id, status: "cancelled", units_returned: 0, already: true }),
        "allocated" => {
            return Err(ApiError::Conflict {
                code: "not_cancellable",
                detail: "every unit is already allocated: the order is ready to ship".into(),
            });
        }
        _ => {}
    }
    let shop_id = ShopId::parse(&shop.id)?;
    let sku = Sku::parse(&found.sku)?;
    let rules = shop.release_rules();
    let id_owned = found.id.clone();
    let result = commit::commit(ctx, &shop_id, &sku, false, |snap, g| {
        let c = cancel(&snap.orders(), &id_owned)
            .map_err(|e| ApiError::Conflict { code: e.code(), detail: e.to_string() })?;
        g.push(
            &format!(
                "UPDATE backorders SET status = 'cancelled', allocated = 0, cancelled_at = ?4, updated_at = ?4 \
                 WHERE shop_id = ?1 AND id = ?5 AND status = 'open' AND {GUARD}"
            ),
            crate::args![id_owned.as_str()],
        )?;
        apply_allocation(g, snap, &c.reallocation)?;
        let returned = c.reallocation.sellable;
        if returned > 0 {
            let sellable = snap.facts.stock.sellable() + returned;
            plan_release(g, ctx, sellable, snap.waiting, &rules)?;
        }
        let data = json!({ "id": id_owned, "sku": snap.facts.row.sku, "quantity": c.cancelled.quantity });
        let kind =
            if snap.queue.iter().any(|r| r.id == id_owned && r.kind == "preorder") { "preorder" } else { "backorder" };
        if let Some(hook) = notify::webhook(ctx, shop, &format!("{kind}.cancelled"), data) {
            let (sql, params) = hook.insert(ctx, 5, GUARD);
            g.push(&sql, params)?;
        }
        Ok(Plan {
            on_hand_delta: i64::from(returned),
            result: Cancelled {
                id: id_owned.clone(),
                status: "cancelled",
                units_returned: c.cancelled.allocated,
                already: false,
            },
        })
    })
    .await?;
    if let Err(e) = crate::stock::promises::recheck(ctx, shop, &sku).await {
        worker::console_warn!("promise recheck after cancelling {id} failed: {e:?}");
    }
    notify::kick(ctx);
    Ok(result)
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
    match cancel_backorder(ctx, &row, &link.id).await {
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
