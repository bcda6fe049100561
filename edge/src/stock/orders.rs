//! `POST /v1/admin/orders`: a sale the merchant reports. It takes its units off stock
//! (bumping `rev`, so a stock plan read before it is made again), ends the buyer's
//! claim hold, and credits it to a restock email the buyer had been sent, direct or
//! assisted within the shop's attribution windows (`attribution`).

use restock_shared::{Email, InvalidInput, Quantity, ShopId, Sku, clean_text};
use serde::Deserialize;
use serde_json::Value;
use worker::{Request, Response};

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::notify;
use crate::shops::auth;
use crate::stock::int;
use crate::stock::store::load_product;

fn yes() -> bool {
    true
}

/// `POST /v1/admin/orders` body: a sale the merchant reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub sku: String,
    pub quantity: i64,
    /// The shop's own order number: reporting it twice records it once.
    pub reference: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// Take the units off `on_hand` (default). Turn off if stock is synced separately.
    #[serde(default = "yes")]
    pub decrement_stock: bool,
}

/// A reported sale that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedOrder {
    pub sku: Sku,
    pub quantity: Quantity,
    pub reference: String,
    pub email: Option<Email>,
    pub amount_cents: Option<u32>,
    pub decrement_stock: bool,
}

impl TryFrom<OrderRequest> for ReportedOrder {
    type Error = ApiError;

    fn try_from(r: OrderRequest) -> Result<Self, ApiError> {
        let sku = Sku::parse(&r.sku)?;
        let quantity = Quantity::new(r.quantity)?;
        let reference = clean_text("reference", &r.reference, 100)?;
        if reference.is_empty() {
            return Err(InvalidInput::Missing { field: "reference" }.into());
        }
        let email = r.email.as_deref().map(Email::parse).transpose()?;
        let amount_cents = r.amount_cents.map(|a| int("amount_cents", a, 100_000_000)).transpose()?;
        Ok(ReportedOrder { sku, quantity, reference, email, amount_cents, decrement_stock: r.decrement_stock })
    }
}

/// `POST /v1/admin/orders`: records a sale, takes its units off stock, ends the
/// buyer's claim hold, and attributes it to a restock notification when the buyer had
/// been notified for this SKU (for recovered-revenue insights).
pub async fn report_order(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let r = ReportedOrder::try_from(http::read_json::<OrderRequest>(req).await?)?;
    let (sku, quantity, reference, email, amount) = (&r.sku, r.quantity, &r.reference, &r.email, r.amount_cents);
    let shop_id = ShopId::parse(&shop.id)?;
    let facts = load_product(&ctx.db, &shop_id, sku, ctx.now).await?;
    let amount =
        amount.unwrap_or_else(|| u32::try_from(facts.row.price_cents).unwrap_or(0).saturating_mul(quantity.get()));
    let email_str = email.as_ref().map(|e| e.as_str().to_owned());
    // Credited to a restock notice within the shop's windows (`attribution`).
    let (credit, _) = crate::attribution::credit(ctx, &shop, sku.as_str(), email_str.as_deref(), ctx.now).await?;
    let id = new_id("ord");
    let inserted = "EXISTS (SELECT 1 FROM orders WHERE id = ?1)";
    let statements = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO orders (id, shop_id, sku, quantity, amount_cents, email, reference, attributed, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?8) \
             ON CONFLICT(shop_id, reference) DO NOTHING",
            crate::args![
                id.as_str(),
                shop.id.as_str(),
                sku.as_str(),
                quantity.get(),
                amount,
                email_str.clone(),
                reference.as_str(),
                ctx.now.millis(),
                credit.map(restock_shared::attribution::Attribution::name)
            ],
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "UPDATE products SET on_hand = MAX(on_hand - ?4, 0), rev = ?5, updated_at = ?6 \
                 WHERE shop_id = ?2 AND sku = ?3 AND ?7 = 1 AND {inserted}"
            ),
            crate::args![
                id.as_str(),
                shop.id.as_str(),
                sku.as_str(),
                quantity.get(),
                new_id("rev"),
                ctx.now.millis(),
                r.decrement_stock
            ],
        )?,
        // The buyer was notified: the signup converted (and its claim hold ends),
        // credited or not; matched as `attribution::credit` matches it.
        db::stmt(
            &ctx.db,
            &format!(
                "UPDATE waitlist INDEXED BY waitlist_by_email_nocase SET converted_at = ?5, updated_at = ?5 \
                 WHERE shop_id = ?2 AND sku = ?3 AND email = ?4 COLLATE NOCASE AND status = 'notified' AND converted_at IS NULL AND {inserted}"
            ),
            crate::args![id.as_str(), shop.id.as_str(), sku.as_str(), email_str, ctx.now.millis()],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let created = results.first().map(db::changes) == Some(1);
    let s = db::stmt(
        &ctx.db,
        "SELECT id, sku, quantity, amount_cents, email, reference, attributed, created_at FROM orders WHERE shop_id = ?1 AND reference = ?2",
        crate::args![shop.id.as_str(), reference.as_str()],
    )?;
    let order: Value = db::first(s).await?.unwrap_or(Value::Null);
    if created {
        crate::availability::api::refresh(ctx, &shop_id, sku).await;
        notify::kick(ctx);
    }
    http::json(if created { 201 } else { 200 }, &order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> Result<(), (&'static str, String)> {
        let r: OrderRequest = http::from_value(body).expect("well-formed");
        ReportedOrder::try_from(r).map(|_| ()).map_err(|e| {
            let p = e.problem();
            (p.code, p.field.unwrap_or_default())
        })
    }

    #[test]
    fn reported_orders_name_their_field() {
        assert_eq!(check(json!({ "sku": "TEE", "quantity": 2, "reference": "#1001" })), Ok(()));
        assert_eq!(
            check(json!({ "sku": "TEE", "quantity": 0, "reference": "#1" })).map_err(|e| e.1),
            Err("quantity".into())
        );
        assert_eq!(
            check(json!({ "sku": "TEE", "quantity": 1, "reference": "" })),
            Err(("missing_field", "reference".into()))
        );
        let bad_email = check(json!({ "sku": "TEE", "quantity": 1, "reference": "#2", "email": "nope" }));
        assert_eq!(bad_email.map_err(|e| e.1), Err("email".into()));
        let amount = check(json!({ "sku": "TEE", "quantity": 1, "reference": "#3", "amount_cents": -1 }));
        assert_eq!(amount, Err(("out_of_range", "amount_cents".into())));
    }
}
