//! The merchant's view of backorders: `GET /v1/admin/backorders` (cursor pages),
//! `GET /v1/admin/backorders/{id}`, `POST /v1/admin/backorders/{id}/cancel`.

use restock_shared::Sku;
use restock_shared::wire::BackorderStatus;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response};

use crate::backorders::cancel::cancel_backorder;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::paging::Page;
use crate::shops::auth;

/// A backorder as the merchant sees it.
#[derive(Debug, Serialize, Deserialize)]
pub struct BackorderRow {
    pub id: String,
    pub seq: i64,
    pub sku: String,
    pub kind: String,
    pub email: String,
    pub locale: String,
    pub quantity: i64,
    pub allocated: i64,
    pub status: String,
    /// 1-based place in its SKU's queue, while open.
    pub position: Option<i64>,
    pub placed_on: String,
    pub promised_date: Option<String>,
    pub current_promise: Option<String>,
    pub projected_date: Option<String>,
    pub delayed: i64,
    pub unit_price_cents: i64,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
    /// The platform whose order it is (`shopify`, ...), and that order's id; null for
    /// the widget's and the admin API's own.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub platform_order_id: Option<String>,
}

pub const BACKORDER_SELECT: &str = "SELECT b.id, b.seq, b.sku, b.kind, b.email, b.locale, b.quantity, b.allocated, b.status, \
    CASE WHEN b.status = 'open' THEN (SELECT COUNT(*) FROM backorders q WHERE q.shop_id = b.shop_id AND q.sku = b.sku \
      AND q.status = 'open' AND q.quantity > q.allocated AND q.seq <= b.seq) END AS position, \
    b.placed_on, b.promised_date, b.current_promise, b.projected_date, b.delayed, b.unit_price_cents, b.created_at, b.cancelled_at, \
    b.source, b.platform_order_id \
    FROM backorders b";

pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = http::query_param(req, "sku").map(|s| Sku::parse(&s)).transpose()?;
    let status = http::query_param(req, "status");
    if let Some(s) = &status
        && BackorderStatus::parse(s).is_none()
    {
        return Err(ApiError::Invalid(restock_shared::InvalidInput::Range {
            field: "status",
            detail: "open, allocated or cancelled",
        }));
    }
    let delayed_only = http::query_param(req, "delayed").is_some_and(|v| v == "1" || v == "true");
    let page = Page::from_request(req)?;
    let after = page.cursor_seq()?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{BACKORDER_SELECT} WHERE b.shop_id = ?1 AND (?2 IS NULL OR b.sku = ?2) AND (?3 IS NULL OR b.status = ?3) \
             AND (?4 = 0 OR b.delayed = 1) AND b.seq > ?5 ORDER BY b.seq LIMIT ?6"
        ),
        crate::args![
            shop.id.as_str(),
            sku.as_ref().map(|s| s.as_str().to_owned()),
            status,
            delayed_only,
            after,
            page.limit + 1
        ],
    )?;
    let mut items: Vec<BackorderRow> = db::all(s).await?;
    let next = (items.len() > page.limit as usize).then(|| {
        items.truncate(page.limit as usize);
        items.last().map(|i| Page::encode_seq(i.seq))
    });
    http::json(200, &json!({ "items": items, "next_cursor": next.flatten() }))
}

pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let s = db::stmt(
        &ctx.db,
        &format!("{BACKORDER_SELECT} WHERE b.shop_id = ?1 AND b.id = ?2"),
        crate::args![shop.id.as_str(), id],
    )?;
    let row: BackorderRow = db::first(s)
        .await?
        .ok_or_else(|| ApiError::not_found("backorder_not_found", "this shop has no such backorder"))?;
    http::json(200, &row)
}

pub async fn cancel(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let preview = http::query_param(req, "preview").is_some_and(|v| v == "1" || v == "true");
    let cancelled = cancel_backorder(ctx, &shop, id, preview).await?;
    match (preview, cancelled.change) {
        // A preview answers the plan itself, as every preview does.
        (true, Some(change)) => http::json(200, &change),
        (_, change) => http::json(200, &super::cancel::Cancelled { change, ..cancelled }),
    }
}
