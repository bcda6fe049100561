//! Purchase orders: `GET`/`POST .../purchase-orders` and `PUT`/`DELETE` of one. Each
//! change is a stock plan with the purchase-order list it leaves (so its promises are
//! projected against it), and its write is guarded like every other write of the plan.

use restock_shared::{Date, IncomingPo, Op, Sku, clean_text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::shops::{ShopRow, auth};
use crate::stock::commit::{self, Change, GUARD, Guarded, Snapshot};
use crate::stock::{date, range, wants_preview};

/// A purchase order as the merchant sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurchaseOrderRow {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub expected_date: String,
    pub supplier: Option<String>,
    pub reference: Option<String>,
    pub status: String,
    pub received_at: Option<i64>,
    pub created_at: i64,
}

/// `POST`/`PUT .../purchase-orders` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderRequest {
    pub quantity: i64,
    pub expected_date: String,
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// A validated purchase-order body.
pub struct PoInput {
    pub quantity: u32,
    pub expected: Date,
    pub supplier: Option<String>,
    pub reference: Option<String>,
}

impl PoInput {
    fn incoming(&self) -> IncomingPo {
        IncomingPo { quantity: self.quantity, expected: self.expected }
    }
}

/// Validates a purchase-order body; `today` bounds the expected date.
pub fn po_input(today: Date, r: PurchaseOrderRequest) -> Result<PoInput, ApiError> {
    let quantity = u32::try_from(r.quantity)
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
        .ok_or(range("quantity", "1 to 1000000"))?;
    let expected = date("expected_date", &r.expected_date)?;
    if expected < today {
        return Err(range("expected_date", "today or later"));
    }
    Ok(PoInput {
        quantity,
        expected,
        supplier: r.supplier.as_deref().map(|s| clean_text("supplier", s, 100)).transpose()?,
        reference: r.reference.as_deref().map(|s| clean_text("reference", s, 100)).transpose()?,
    })
}

/// One purchase order of this SKU, or 404.
pub async fn po_by_id(ctx: &Ctx, shop: &str, sku: &Sku, id: &str) -> Result<PurchaseOrderRow, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
         FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 AND id = ?3",
        crate::args![shop, sku.as_str(), id],
    )?;
    db::first(s)
        .await?
        .ok_or_else(|| ApiError::not_found("purchase_order_not_found", "no such purchase order for this SKU"))
}

/// The answer of a change: the purchase order as it is now, and the plan.
async fn changed(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &Sku,
    id: &str,
    view: Value,
    status: u16,
) -> Result<Response, ApiError> {
    let po = po_by_id(ctx, &shop.id, sku, id).await?;
    http::json(status, &json!({ "purchase_order": po, "promises": view["promises"].clone(), "change": view }))
}

/// `GET .../purchase-orders` and `POST .../purchase-orders[?preview=1]`.
pub async fn purchase_orders(ctx: &Ctx, req: &mut Request, sku: &str, create: bool) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let shop_id = restock_shared::ShopId::parse(&shop.id)?;
    crate::stock::store::load_product(&ctx.db, &shop_id, &sku, ctx.now).await?;
    if !create {
        let page = crate::paging::Page::from_request(req)?;
        let offset = page.cursor_seq()?;
        let s = db::stmt(
            &ctx.db,
            "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
             FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 ORDER BY expected_date, created_at, id LIMIT ?3 OFFSET ?4",
            crate::args![shop.id.as_str(), sku.as_str(), page.limit + 1, offset],
        )?;
        let mut items = db::all::<PurchaseOrderRow>(s).await?;
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next = more.then(|| crate::paging::Page::encode_seq(offset + i64::from(page.limit)));
        return http::json(200, &json!({ "items": items, "next_cursor": next }));
    }
    let input = po_input(ctx.today(), http::read_json(req).await?)?;
    let preview = wants_preview(req);
    let id = new_id("po");
    let committed = commit::commit(
        ctx,
        &shop,
        &sku,
        preview,
        |snap| {
            let mut c = Change::new(Op::Recheck);
            c.incoming = Some(snap.incoming_after(None, None, Some(input.incoming()))?);
            c.writes.push((
                format!(
                    "INSERT INTO purchase_orders (id, shop_id, sku, quantity, expected_date, supplier, reference, status, created_at, updated_at) \
                     SELECT ?5, ?1, ?2, ?6, ?7, ?8, ?9, 'open', ?4, ?4 WHERE {GUARD}"
                ),
                crate::args![id.as_str(), input.quantity, input.expected.to_iso(), input.supplier.clone(), input.reference.clone()],
            ));
            Ok(c)
        },
        |_| Ok(Vec::new()),
    )
    .await?;
    if preview {
        return http::json(200, &committed.view);
    }
    changed(ctx, &shop, &sku, &id, committed.view, 201).await
}

/// The open purchase order `id` in a plan's read, or 409.
fn open<'a>(snap: &'a Snapshot, id: &str) -> Result<&'a commit::OpenPo, ApiError> {
    snap.open_po(id).ok_or_else(|| ApiError::Conflict {
        code: "purchase_order_closed",
        detail: "this purchase order was already received or cancelled".into(),
    })
}

/// `PUT` (edit) and `DELETE` (cancel) of one open purchase order, `?preview=1` too.
pub async fn purchase_order(
    ctx: &Ctx,
    req: &mut Request,
    sku: &str,
    id: &str,
    delete: bool,
) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    po_by_id(ctx, &shop.id, &sku, id).await?;
    let input = if delete { None } else { Some(po_input(ctx.today(), http::read_json(req).await?)?) };
    let preview = wants_preview(req);
    let committed = commit::commit(
        ctx,
        &shop,
        &sku,
        preview,
        |snap| {
            open(snap, id)?;
            let mut c = Change::new(Op::Recheck);
            c.incoming = Some(snap.incoming_after(Some(id), input.as_ref().map(PoInput::incoming), None)?);
            c.writes.push(write(id, input.as_ref()));
            Ok(c)
        },
        |_| Ok(Vec::new()),
    )
    .await?;
    if preview {
        return http::json(200, &committed.view);
    }
    changed(ctx, &shop, &sku, id, committed.view, 200).await
}

/// The edit (or, without input, the cancellation) as a guarded write.
fn write(id: &str, input: Option<&PoInput>) -> Guarded {
    match input {
        None => (
            format!(
                "UPDATE purchase_orders SET status = 'cancelled', updated_at = ?4 \
                 WHERE shop_id = ?1 AND sku = ?2 AND id = ?5 AND status = 'open' AND {GUARD}"
            ),
            crate::args![id],
        ),
        Some(i) => (
            format!(
                "UPDATE purchase_orders SET quantity = ?6, expected_date = ?7, supplier = ?8, reference = ?9, updated_at = ?4 \
                 WHERE shop_id = ?1 AND sku = ?2 AND id = ?5 AND status = 'open' AND {GUARD}"
            ),
            crate::args![id, i.quantity, i.expected.to_iso(), i.supplier.clone(), i.reference.clone()],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_order_dates_name_their_field() {
        let today = Date::parse("2027-01-15").expect("valid");
        let r: PurchaseOrderRequest = http::from_value(json!({ "quantity": 1, "expected_date": "soon" })).expect("ok");
        let p = po_input(today, r).map(|_| ()).expect_err("bad date").problem();
        assert_eq!((p.code, p.field.as_deref()), ("invalid_date", Some("expected_date")));
    }
}
