//! Alternatives for a product shoppers cannot buy now (out of stock or discontinued):
//! up to three products they can buy instead, with their status.
//!
//! The merchant picks them per product (`alternatives`, validated SKUs of the same
//! shop); otherwise they are products of the same category, then of the same
//! supplier. They are found when a SKU's snapshot is built, never on a cache hit: one
//! statement per such SKU in one batch, each reading at most 20 candidate rows through
//! an index (`products_by_category`, `products_by_supplier`), so the cost does not grow
//! with the catalog. The domain decides which candidates are in stock.

use restock_shared::wire::{AlternativeView, AvailabilityAnswer, AvailabilityView};
use restock_shared::{Date, ShopId, ShopRules, Timestamp};

use crate::ctx::Ctx;
use crate::db::{self, Db, Stmt};
use crate::error::ApiError;
use crate::stock::store::{PRODUCT_COLUMNS, ProductFacts, ProductRow, facts_without_orders};

/// Candidate rows read per product: enough for three in stock after the domain's
/// check, few enough to stay cheap.
const CANDIDATES: i64 = 10;

/// The statement that reads `facts`' candidates, or `None` when it has none to look
/// for (no picks, no category, no supplier).
fn candidates(db: &Db, shop: &ShopId, facts: &ProductFacts, now: Timestamp) -> Result<Option<Stmt>, ApiError> {
    let r = &facts.row;
    if r.alternatives.is_none() && r.category.is_none() && r.supplier.is_none() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS}, c.rank FROM ( \
           SELECT j.value AS sku, j.key AS rank FROM json_each(?4) j \
           UNION ALL SELECT sku, 100 FROM (SELECT sku FROM products INDEXED BY products_by_category \
             WHERE shop_id = ?1 AND ?4 IS NULL AND category = ?5 AND sku != ?3 AND on_hand > 0 AND discontinued = 0 LIMIT ?7) \
           UNION ALL SELECT sku, 200 FROM (SELECT sku FROM products INDEXED BY products_by_supplier \
             WHERE shop_id = ?1 AND ?4 IS NULL AND supplier = ?6 AND sku != ?3 AND on_hand > 0 AND discontinued = 0 LIMIT ?7) \
         ) c JOIN products p ON p.shop_id = ?1 AND p.sku = c.sku \
         WHERE p.on_hand > 0 AND p.discontinued = 0 AND p.sku != ?3 ORDER BY c.rank LIMIT 2 * ?7"
    );
    let params = crate::args![
        shop.as_str(),
        now.millis(),
        r.sku.as_str(),
        r.alternatives.clone(),
        r.category.clone(),
        r.supplier.clone(),
        CANDIDATES
    ];
    Ok(Some(db::stmt(db, &sql, params)?))
}

/// The first [`AlternativeView::MAX`] candidates a shopper can buy now, once each.
pub fn pick(candidates: Vec<ProductFacts>, rules: &ShopRules, today: Date) -> Vec<AlternativeView> {
    let mut out: Vec<AlternativeView> = Vec::new();
    for f in candidates {
        if out.len() == AlternativeView::MAX {
            break;
        }
        let r = &f.row;
        if out.iter().any(|a| a.sku == r.sku) {
            continue;
        }
        if let Some(a) = AlternativeView::of(&r.sku, &r.name, r.url.as_deref(), &f.availability(rules, today)) {
            out.push(a);
        }
    }
    out
}

/// The answers for `views` (of `facts`, in the same order), with alternatives for
/// those shoppers cannot buy now. A failure to read them is logged and answered
/// without alternatives: they are a suggestion, never a reason to fail the answer.
pub async fn answers(
    ctx: &Ctx,
    shop: &ShopId,
    rules: &ShopRules,
    facts: &[ProductFacts],
    views: Vec<AvailabilityView>,
) -> Vec<AvailabilityAnswer> {
    let mut wanted = Vec::new();
    let mut statements = Vec::new();
    for (i, (f, v)) in facts.iter().zip(&views).enumerate() {
        if !AvailabilityAnswer::wants_alternatives(v.status) {
            continue;
        }
        match candidates(&ctx.db, shop, f, ctx.now) {
            Ok(Some(s)) => {
                wanted.push(i);
                statements.push(s);
            }
            Ok(None) => {}
            Err(e) => worker::console_error!("alternatives for {}: {e:?}", f.row.sku),
        }
    }
    let mut found: Vec<Vec<AlternativeView>> = vec![Vec::new(); views.len()];
    if !statements.is_empty() {
        match db::batch(&ctx.db, statements).await {
            Ok(results) => {
                for (i, result) in wanted.iter().zip(&results) {
                    let rows: Vec<ProductRow> = db::rows(result).unwrap_or_default();
                    let parsed: Vec<ProductFacts> =
                        rows.into_iter().filter_map(|r| facts_without_orders(r).ok()).collect();
                    if let Some(slot) = found.get_mut(*i) {
                        *slot = pick(parsed, rules, ctx.today());
                    }
                }
            }
            Err(e) => worker::console_error!("alternatives not read: {e:?}"),
        }
    }
    views.into_iter().zip(found).map(|(view, alternatives)| AvailabilityAnswer { view, alternatives }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sku: &str, on_hand: i64, queued: i64, threshold: i64) -> ProductFacts {
        let row = ProductRow {
            sku: sku.into(),
            name: format!("{sku} name"),
            url: Some(format!("/p/{sku}")),
            price_cents: 0,
            policy: "deny".into(),
            cap: None,
            release_date: None,
            low_stock_threshold: threshold,
            discontinued: 0,
            lead_time_days: None,
            waitlist: 1,
            supplier: None,
            on_hand,
            rev: "r".into(),
            updated_at: 0,
            queued,
            held: 0,
            category: None,
            alternatives: None,
        };
        facts_without_orders(row).expect("valid row")
    }

    #[test]
    fn only_what_can_be_bought_now_once_each_and_at_most_three() {
        let today = Date::parse("2027-01-15").expect("valid");
        let got = pick(
            vec![
                row("A", 5, 5, 0),
                row("B", 9, 0, 0),
                row("C", 2, 0, 3),
                row("B", 9, 0, 0),
                row("D", 1, 0, 0),
                row("E", 4, 0, 0),
            ],
            &ShopRules::default(),
            today,
        );
        let got: Vec<(&str, restock_shared::wire::StatusCode)> =
            got.iter().map(|a| (a.sku.as_str(), a.status)).collect();
        use restock_shared::wire::StatusCode::{InStock, LowStock};
        assert_eq!(
            got,
            [("B", InStock), ("C", LowStock), ("D", InStock)],
            "A's units are all owed; B once; three at most"
        );
    }
}
