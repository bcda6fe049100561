//! Reading a product's facts from D1 in one consistent batch: its settings and stock,
//! the units its open backorders are owed, its active claim holds, and its open
//! purchase orders.

use restock_shared::{
    Availability, Date, IncomingPo, Policy, ProductSettings, ProductState, ShopId, ShopRules, Sku, Stock, Timestamp,
    availability,
};
use serde::Deserialize;
use worker::D1Result;

use crate::db::{self, Db, Stmt};
use crate::error::ApiError;

/// A `products` row joined with its queue and hold totals.
#[derive(Clone, Debug, Deserialize)]
pub struct ProductRow {
    pub sku: String,
    pub name: String,
    pub url: Option<String>,
    pub price_cents: i64,
    pub policy: String,
    pub cap: Option<i64>,
    pub release_date: Option<String>,
    pub low_stock_threshold: i64,
    pub discontinued: i64,
    pub lead_time_days: Option<i64>,
    pub waitlist: i64,
    pub supplier: Option<String>,
    pub on_hand: i64,
    pub rev: String,
    pub updated_at: i64,
    /// Units still owed to open backorders/preorders.
    pub queued: i64,
    /// Units held for notified waitlist subscribers right now.
    pub held: i64,
    /// Migration 0030: the product's category, and the SKUs the merchant offers
    /// instead when it is out of stock (a JSON array).
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub alternatives: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PoRow {
    sku: String,
    quantity: i64,
    expected_date: String,
}

/// One product's facts, parsed into domain types.
#[derive(Clone, Debug)]
pub struct ProductFacts {
    pub row: ProductRow,
    pub settings: ProductSettings,
    pub stock: Stock,
    pub queued: u32,
    pub incoming: Vec<IncomingPo>,
}

impl ProductFacts {
    pub fn state(&self) -> ProductState<'_> {
        ProductState { settings: &self.settings, stock: self.stock, queued: self.queued, incoming: &self.incoming }
    }

    pub fn availability(&self, rules: &ShopRules, today: Date) -> Availability {
        availability(&self.state(), rules, today)
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn parse(row: ProductRow, incoming: Vec<IncomingPo>) -> Result<ProductFacts, ApiError> {
    let bad = |what: &str| ApiError::Internal(format!("stored product {} has an invalid {what}", row.sku));
    let release = row.release_date.as_deref().map(Date::parse).transpose().map_err(|_| bad("release_date"))?;
    let cap = row.cap.map(count);
    let policy = Policy::from_parts(&row.policy, cap, release).map_err(|_| bad("policy"))?;
    let settings = ProductSettings {
        policy,
        low_stock_threshold: count(row.low_stock_threshold),
        discontinued: row.discontinued != 0,
        lead_time_days: row.lead_time_days.and_then(|d| u16::try_from(d).ok()),
        waitlist: row.waitlist != 0,
    };
    let stock = Stock { on_hand: count(row.on_hand), held: count(row.held) };
    let queued = count(row.queued);
    Ok(ProductFacts { row, settings, stock, queued, incoming })
}

/// One product's facts from its row alone, without purchase orders: enough for its
/// status (not its ETA). Alternatives are read this way.
pub fn facts_without_orders(row: ProductRow) -> Result<ProductFacts, ApiError> {
    parse(row, Vec::new())
}

/// The columns of `ProductRow`, for queries that read products.
pub const PRODUCT_COLUMNS: &str = "p.sku, p.name, p.url, p.price_cents, p.policy, p.cap, p.release_date, \
    p.low_stock_threshold, p.discontinued, p.lead_time_days, p.waitlist, p.supplier, p.on_hand, p.rev, p.updated_at, \
    (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b \
       WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS queued, \
    (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku \
       AND w.status = 'notified' AND w.hold_until > ?2 AND w.converted_at IS NULL) AS held, \
    p.category, p.alternatives";

/// The two statements that read `skus`' facts (products, then purchase orders).
pub fn facts_statements(db: &Db, shop: &ShopId, skus: &[Sku], now: Timestamp) -> Result<Vec<Stmt>, ApiError> {
    let sku_args = || skus.iter().map(|s| db::Arg::js(&s.as_str()));
    let mut product_params = crate::args![shop.as_str(), now.millis()];
    product_params.extend(sku_args());
    let products = db::stmt(
        db,
        &format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.shop_id = ?1 AND p.sku IN ({})",
            db::placeholders(3, skus.len())
        ),
        product_params,
    )?;
    let mut po_params = crate::args![shop.as_str()];
    po_params.extend(sku_args());
    let pos = db::stmt(
        db,
        &format!(
            "SELECT sku, quantity, expected_date FROM purchase_orders \
             WHERE shop_id = ?1 AND status = 'open' AND sku IN ({})",
            db::placeholders(2, skus.len())
        ),
        po_params,
    )?;
    Ok(vec![products, pos])
}

/// Parses the results of [`facts_statements`], in the order of `skus`, leaving out
/// SKUs the shop does not have.
pub fn parse_facts(products: &D1Result, pos: &D1Result, skus: &[Sku]) -> Result<Vec<ProductFacts>, ApiError> {
    let rows: Vec<ProductRow> = db::rows(products)?;
    let pos: Vec<PoRow> = db::rows(pos)?;
    let mut out = Vec::with_capacity(rows.len());
    for sku in skus {
        let Some(row) = rows.iter().find(|r| r.sku == sku.as_str()) else { continue };
        let incoming = pos
            .iter()
            .filter(|po| po.sku == row.sku)
            .map(|po| {
                let expected = Date::parse(&po.expected_date)
                    .map_err(|_| ApiError::Internal(format!("stored purchase order for {} has a bad date", po.sku)))?;
                Ok(IncomingPo { quantity: count(po.quantity), expected })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        out.push(parse(row.clone(), incoming)?);
    }
    Ok(out)
}

/// SKUs per [`facts_statements`]: the products statement binds two more parameters.
const SKUS_PER_STATEMENT: usize = db::MAX_PARAMS - 2;

/// Loads the facts of `skus` in one batch (two statements per 98 SKUs: D1 binds at
/// most 100 parameters), in the order asked for; SKUs the shop does not have are left
/// out.
pub async fn load_products(
    db: &Db,
    shop: &ShopId,
    skus: &[Sku],
    now: Timestamp,
) -> Result<Vec<ProductFacts>, ApiError> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let mut statements = Vec::new();
    for chunk in skus.chunks(SKUS_PER_STATEMENT) {
        statements.extend(facts_statements(db, shop, chunk, now)?);
    }
    let results = db::batch(db, statements).await?;
    if results.len() != 2 * skus.chunks(SKUS_PER_STATEMENT).len() {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    }
    let mut out = Vec::with_capacity(skus.len());
    for (pair, chunk) in results.chunks(2).zip(skus.chunks(SKUS_PER_STATEMENT)) {
        if let [products, pos] = pair {
            out.extend(parse_facts(products, pos, chunk)?);
        }
    }
    Ok(out)
}

/// One product's facts, or 404 `product_not_found`.
pub async fn load_product(db: &Db, shop: &ShopId, sku: &Sku, now: Timestamp) -> Result<ProductFacts, ApiError> {
    load_products(db, shop, std::slice::from_ref(sku), now)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("product_not_found", "this shop has no product with this SKU"))
}
