//! `POST /v1/admin/products/{sku}/receive[?preview=1]`: units arrived, from a purchase
//! order or not. One plan: allocation to backorders first come first served, the rest
//! on sale, the waitlist wave, the purchase order marked received, the promises moved.

use restock_shared::{InvalidInput, Op, Sku};
use serde::Deserialize;
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;
use crate::shops::auth;
use crate::stock::commit::{self, Change, GUARD};
use crate::stock::purchase_orders::po_by_id;
use crate::stock::{range, wants_preview};

/// The body as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub purchase_order_id: Option<String>,
}

/// A receive that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receive {
    /// Units (`None`: the purchase order's quantity).
    pub quantity: Option<u32>,
    pub purchase_order_id: Option<String>,
}

impl TryFrom<ReceiveRequest> for Receive {
    type Error = ApiError;

    fn try_from(r: ReceiveRequest) -> Result<Self, ApiError> {
        let quantity = r
            .quantity
            .map(|q| {
                u32::try_from(q).ok().filter(|q| (1..=1_000_000).contains(q)).ok_or(range("quantity", "1 to 1000000"))
            })
            .transpose()?;
        let po = r.purchase_order_id;
        let id_ok =
            |id: &str| (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if po.as_deref().is_some_and(|id| !id_ok(id)) {
            return Err(range("purchase_order_id", "an id this API returned"));
        }
        if quantity.is_none() && po.is_none() {
            return Err(InvalidInput::Missing { field: "quantity" }.into());
        }
        Ok(Receive { quantity, purchase_order_id: po })
    }
}

pub async fn receive(ctx: &Ctx, req: &mut Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let preview = wants_preview(req);
    let body: ReceiveRequest = http::read_json(req).await?;
    let r = Receive::try_from(body)?;
    if let Some(id) = &r.purchase_order_id {
        po_by_id(ctx, &shop.id, &sku, id).await?;
    }
    let committed = commit::commit(
        ctx,
        &shop,
        &sku,
        preview,
        |snap| {
            let po = match &r.purchase_order_id {
                None => None,
                // Checked on every read the plan is made from, and `rev` guards it: a
                // purchase order is received once.
                Some(id) => Some(snap.open_po(id).ok_or_else(|| ApiError::Conflict {
                    code: "purchase_order_closed",
                    detail: "this purchase order was already received or cancelled".into(),
                })?),
            };
            let stored = po.map(|p| p.incoming()).transpose()?;
            let units = r.quantity.or(stored.map(|p| p.quantity)).unwrap_or(0);
            let mut c = Change::new(Op::Receive { units });
            if let Some(po) = po {
                c.incoming = Some(snap.incoming_after(Some(&po.id), None, None)?);
                c.writes.push((
                    format!(
                        "UPDATE purchase_orders SET status = 'received', received_at = ?4, updated_at = ?4 \
                         WHERE shop_id = ?1 AND sku = ?2 AND id = ?5 AND status = 'open' AND {GUARD}"
                    ),
                    crate::args![po.id.as_str()],
                ));
            }
            Ok(c)
        },
        |_| Ok(Vec::new()),
    )
    .await?;
    http::json(200, &committed.view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(quantity: Option<i64>, po: Option<&str>) -> Result<Receive, (&'static str, String)> {
        Receive::try_from(ReceiveRequest { quantity, purchase_order_id: po.map(str::to_owned) }).map_err(|e| {
            let p = e.problem();
            (p.code, p.field.unwrap_or_default())
        })
    }

    #[test]
    fn receive_bodies_name_their_field() {
        assert_eq!(check(Some(3), None), Ok(Receive { quantity: Some(3), purchase_order_id: None }));
        assert_eq!(check(None, Some("po_1")).map(|r| r.quantity), Ok(None));
        assert_eq!(check(Some(0), None), Err(("out_of_range", "quantity".into())));
        assert_eq!(check(Some(1_000_001), None), Err(("out_of_range", "quantity".into())));
        assert_eq!(check(None, None), Err(("missing_field", "quantity".into())));
        assert_eq!(check(None, Some("po 1")), Err(("out_of_range", "purchase_order_id".into())));
    }
}
