//! Demand forecasts: `GET /v1/admin/products/{sku}/forecast?days=56`, and the figures
//! the supplier digest carries per SKU. The domain computes (`restock_shared::forecast`);
//! this reads the facts.
//!
//! Demand is said once, here ([`demand_days`]): per day, the signups to the product's
//! waitlist (one unit each: someone asked for one), the units of backorders and
//! preorders placed (a moved one counts once, on the SKU it went to) and the units of
//! sales the merchant reported that no restock notice led to (one that did is the
//! signup already counted).

use restock_shared::{Date, DemandHistory, Forecast, Position, ServiceLevel, ShopId, Sku, forecast};
use serde::{Deserialize, Serialize};
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::shops::{ShopRow, auth};
use crate::stock::range;
use crate::stock::store::load_product;

/// The default window: eight weeks of history.
pub const WINDOW_DAYS: u32 = 56;

/// One SQL statement's rows `(day, units)`: the demand of product `sku` of shop `shop`
/// per UTC day since `since` (milliseconds), days without demand absent. The three
/// arguments are SQL expressions (placeholders or columns), so the same words serve
/// one product and a correlated subquery per product row.
pub fn demand_days(shop: &str, sku: &str, since: &str) -> String {
    format!(
        "SELECT date(created_at / 1000, 'unixepoch') AS day, SUM(units) AS units FROM ( \
           SELECT created_at, 1 AS units FROM waitlist WHERE shop_id = {shop} AND sku = {sku} AND created_at >= {since} \
           UNION ALL SELECT created_at, quantity FROM backorders WHERE shop_id = {shop} AND sku = {sku} \
             AND created_at >= {since} AND moved_to IS NULL \
           UNION ALL SELECT created_at, quantity FROM orders WHERE shop_id = {shop} AND sku = {sku} \
             AND created_at >= {since} AND attributed IS NULL \
         ) GROUP BY day"
    )
}

/// A scalar SQL expression: `[days with demand, units, sum of squared daily units]` as
/// a JSON array, for a correlated subquery (the digest reads it per row).
pub fn demand_moments(shop: &str, sku: &str, since: &str) -> String {
    format!(
        "(SELECT json_array(COUNT(*), COALESCE(SUM(units), 0), COALESCE(SUM(units * units), 0)) FROM ({}))",
        demand_days(shop, sku, since)
    )
}

/// The first day of a window of `days` days ending today, and its first instant.
pub fn window_start(today: Date, days: u32) -> (Date, i64) {
    let first = Date::from_days(today.days_since_epoch() - i32::try_from(days).unwrap_or(0) + 1);
    (first, first.start().millis())
}

/// The demand history from [`demand_moments`]' JSON, over a window of `days` days.
pub fn history_from_moments(json: Option<&str>, days: u32) -> Option<DemandHistory> {
    let [_, sum, sum_sq]: [u64; 3] = json.and_then(|j| serde_json::from_str(j).ok())?;
    DemandHistory::from_moments(days, sum, sum_sq).ok()
}

/// A shop's service level as stored (the default for a value we did not write).
pub fn service_level(shop: &ShopRow) -> ServiceLevel {
    u16::try_from(shop.service_level_permille)
        .ok()
        .and_then(|p| ServiceLevel::from_permille(p).ok())
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct DayRow {
    day: String,
    units: i64,
}

#[derive(Debug, Deserialize)]
struct StockRow {
    owed: i64,
    incoming: i64,
}

/// `GET /v1/admin/products/{sku}/forecast?days=56`: the forecast answer.
#[derive(Debug, Serialize)]
struct ForecastView {
    sku: String,
    /// The window: `days` days ending today (UTC), from `since`.
    days: u32,
    since: String,
    /// Units asked for per day of the window, oldest first.
    daily: Vec<u32>,
    total: f64,
    on_hand: u32,
    incoming: u32,
    owed: u32,
    #[serde(flatten)]
    forecast: Forecast,
    /// The review period the suggested order covers beyond the reorder point.
    review_days: u16,
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Reads `days=` (7 to 365, default 56).
fn window_days(req: &Request) -> Result<u32, ApiError> {
    match http::query_param(req, "days") {
        None => Ok(WINDOW_DAYS),
        Some(d) => d.parse::<u32>().ok().filter(|d| (7..=365).contains(d)).ok_or(range("days", "7 to 365")),
    }
}

/// `GET /v1/admin/products/{sku}/forecast?days=56`.
pub async fn get(ctx: &Ctx, req: &Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let days = window_days(req)?;
    let shop_id = ShopId::parse(&shop.id)?;
    let facts = load_product(&ctx.db, &shop_id, &sku, ctx.now).await?;
    let (first, since) = window_start(ctx.today(), days);
    let statements = vec![
        db::stmt(&ctx.db, &demand_days("?1", "?2", "?3"), crate::args![shop.id.as_str(), sku.as_str(), since])?,
        db::stmt(
            &ctx.db,
            "SELECT (SELECT COALESCE(SUM(quantity - allocated), 0) FROM backorders WHERE shop_id = ?1 AND sku = ?2 \
                       AND status = 'open') AS owed, \
                    (SELECT COALESCE(SUM(quantity), 0) FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 \
                       AND status = 'open') AS incoming",
            crate::args![shop.id.as_str(), sku.as_str()],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let [demand, stock] = results.as_slice() else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let rows: Vec<DayRow> = db::rows(demand)?;
    let daily: Vec<u32> = (0..days)
        .map(|i| {
            let day = first.add_days(i).to_iso();
            rows.iter().find(|r| r.day == day).map_or(0, |r| count(r.units))
        })
        .collect();
    let stock: StockRow =
        db::rows(stock)?.pop().ok_or_else(|| ApiError::Internal("the stock totals returned no row".into()))?;
    let history =
        DemandHistory::from_daily(&daily).map_err(|e| ApiError::Internal(format!("demand history of {sku}: {e}")))?;
    let position =
        Position { on_hand: count(facts.row.on_hand), incoming: count(stock.incoming), owed: count(stock.owed) };
    let lead = facts.settings.lead_time_days;
    let f = forecast(&history, lead, restock_shared::forecast::REVIEW_DAYS, service_level(&shop), position);
    http::json(
        200,
        &ForecastView {
            sku: sku.as_str().to_owned(),
            days,
            since: first.to_iso(),
            total: history.total(),
            daily,
            on_hand: position.on_hand,
            incoming: position.incoming,
            owed: position.owed,
            forecast: f,
            review_days: restock_shared::forecast::REVIEW_DAYS,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_end_today() {
        let today = Date::parse("2027-03-10").expect("valid");
        let (first, since) = window_start(today, 7);
        assert_eq!(first.to_iso(), "2027-03-04", "seven days: the 4th to the 10th");
        assert_eq!(since, first.start().millis());
    }

    #[test]
    fn moments_from_sql_become_a_history_or_nothing() {
        let h = history_from_moments(Some("[2,6,20]"), 28).expect("valid");
        assert_eq!((h.days(), h.total()), (28, 6.0));
        assert_eq!(history_from_moments(Some("[1,5,4]"), 28), None, "not whole units");
        assert_eq!(history_from_moments(None, 28), None);
        assert_eq!(history_from_moments(Some("nope"), 28), None);
    }

    #[test]
    fn one_sql_fragment_for_one_product_and_per_row() {
        let one = demand_days("?1", "?2", "?3");
        assert!(one.contains("sku = ?2") && one.contains("moved_to IS NULL") && one.contains("attributed IS NULL"));
        let per_row = demand_moments("?1", "p.sku", "?6");
        assert!(per_row.starts_with("(SELECT json_array(") && per_row.contains("sku = p.sku"));
    }
}
