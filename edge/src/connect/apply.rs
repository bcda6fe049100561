//! Carrying out what a platform said, the same way for every platform:
//!
//! - **Catalog**: each variant with a valid SKU maps to that Restock SKU
//!   (`platform_variants`); a SKU Restock does not have yet becomes a product (its
//!   name, price, `backorder` policy if the platform sells beyond stock, else `deny`,
//!   and the platform's count on hand). The platform's "sell beyond stock" switch moves
//!   an existing product between `deny` and `backorder` (a stock plan: promises are
//!   checked again); a preorder is left alone.
//! - **Stock**: the platform's counts per item and location are stored (a newer count
//!   only; only the connection's `location_id` when it has one); every SKU whose count
//!   changed is planned again through `stock::commit` with on hand set to
//!   `restock_shared::platform::on_hand_target` of the sum over the followed locations
//!   (an increase is stock arriving: first come, first served to the queue, then the
//!   waitlist). The target is read again after the commit and planned again if a
//!   concurrent count moved it. A product created from the catalog starts with the
//!   same sum.
//! - **Orders**: each line is decided once, by the first delivery that sees it:
//!   `restock_shared::platform::line_kind` (a line the platform already fulfilled is a
//!   sale); backorder lines go through `backorders::place::place_platform` (the one
//!   guarded INSERT, idempotent by order and line) after the customer group's rules;
//!   sales are recorded for attribution; refusals are recorded (`platform_refusals`).
//!   A later update of the order reads those first and decides only lines it has not
//!   seen, trying again only a line refused for lack of places, as a backorder: a line
//!   sold from stock never becomes a backorder later. The sale's and the backorder's
//!   INSERTs each refuse a line the other holds. A cancelled order cancels its open
//!   backorders (a stock plan each: the place is freed, allocated units pass on) and
//!   drops its sales and refusals.
//! - **Privacy** (Shopify): `customers/redact` erases the address as
//!   `DELETE /v1/admin/subscribers/{email}` does; `shop/redact` removes what the
//!   connection brought; `customers/data_request` is recorded for the merchant.

use std::collections::{BTreeMap, BTreeSet};

use restock_shared::groups::Group;
use restock_shared::platform::{LineKind, PlatformOwed, line_kind, on_hand_target};
use restock_shared::wire::{AvailabilityView, StatusCode};
use restock_shared::{Email, Locale, Op, OrderKind, Policy, Quantity, ShopId, Sku, Timestamp, header_text};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::Method;

use crate::attribution::{Sale, record_sale};
use crate::backorders::place::{PlatformLine, PlatformPlaced, place_platform, platform_key};
use crate::connect::model::{CallError, Fetch, Incoming, Level, Order, Variant};
use crate::connect::store::ConnectionRow;
use crate::connect::{Platform, bigcommerce, budget, fetch, woocommerce};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::shops::ShopRow;
use crate::stock::commit::{self, Change, GUARD};
use crate::stock::store::load_products;

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `applied`, `ignored`, or `failed` (something in it could not be done; the
    /// merchant sees it on the Connections page).
    pub status: &'static str,
    pub detail: String,
}

impl Outcome {
    fn applied(detail: String) -> Outcome {
        Outcome { status: "applied", detail }
    }
    fn ignored(detail: impl Into<String>) -> Outcome {
        Outcome { status: "ignored", detail: detail.into() }
    }
}

/// Why a delivery could not be carried out now.
#[derive(Debug)]
pub enum Failure {
    /// The platform's API did not answer usefully (fetching a light payload's resource).
    Platform(CallError),
    Api(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::Api(e)
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        Failure::Platform(e)
    }
}

/// Carries out `incoming` for `shop` through its connection `conn`.
pub async fn apply(ctx: &Ctx, shop: &ShopRow, conn: &ConnectionRow, incoming: Incoming) -> Result<Outcome, Failure> {
    let platform = conn.platform()?;
    Ok(match incoming {
        Incoming::Levels(levels) => {
            let stats = levels_changed(ctx, shop, conn, &levels).await?;
            leave_to_reconciliation(ctx, conn, &stats.pending).await?;
            Outcome::applied(format!(
                "stock: {} count(s), {} SKU(s) planned again{}",
                levels.len(),
                stats.synced,
                stats.left_note()
            ))
        }
        Incoming::Catalog(variants) => {
            let stats = catalog(ctx, shop, conn, &variants, Via::Webhook).await?;
            leave_to_reconciliation(ctx, conn, &stats.levels.pending).await?;
            Outcome::applied(stats.summary())
        }
        Incoming::Order(mut order) => {
            if !conn.groups().is_empty() && order.customer_groups.is_empty() {
                order.customer_groups = customer_groups(ctx, conn, platform, order.customer_id.as_deref()).await?;
            }
            orders(ctx, shop, conn, &order).await?
        }
        Incoming::Fetch(what) => {
            let base = conn.api_base();
            let h = bigcommerce::headers(&conn.api_token);
            match what {
                Fetch::Variant { product_id, .. } | Fetch::Product { product_id } => {
                    let reply =
                        fetch::call(ctx, Method::Get, &bigcommerce::product_url(&base, &product_id), &h, None).await?;
                    let variants = bigcommerce::product(&reply, ctx.now)?;
                    let stats = catalog(ctx, shop, conn, &variants, Via::Webhook).await?;
                    leave_to_reconciliation(ctx, conn, &stats.levels.pending).await?;
                    Outcome::applied(stats.summary())
                }
                Fetch::Order { order_id } => {
                    let o = fetch::call(ctx, Method::Get, &bigcommerce::order_url(&base, &order_id), &h, None).await?;
                    // Every page of its lines: a long order is decided whole.
                    let mut items = Vec::new();
                    for page in 1..=bigcommerce::ORDER_LINE_PAGES {
                        let url = bigcommerce::order_products_url(&base, &order_id, page);
                        let got =
                            bigcommerce::order_products_page(&fetch::call(ctx, Method::Get, &url, &h, None).await?)?;
                        let last = got.len() < bigcommerce::ORDER_LINES_PAGE as usize;
                        items.extend(got);
                        if last {
                            break;
                        }
                        if page == bigcommerce::ORDER_LINE_PAGES {
                            return Err(Failure::Platform(CallError::Broken(format!(
                                "order {order_id} has more than {} lines",
                                bigcommerce::ORDER_LINE_PAGES * bigcommerce::ORDER_LINES_PAGE
                            ))));
                        }
                    }
                    let mut order = bigcommerce::order(&o, &items)?;
                    if !conn.groups().is_empty() {
                        order.customer_groups =
                            customer_groups(ctx, conn, platform, order.customer_id.as_deref()).await?;
                    }
                    orders(ctx, shop, conn, &order).await?
                }
            }
        }
        Incoming::Redact { emails } => {
            let mut erased = 0;
            for raw in &emails {
                if let Ok(email) = Email::parse(raw) {
                    crate::admin::api::erase_address(ctx, &shop.id, &email).await?;
                    erased += 1;
                }
            }
            Outcome::applied(format!("erased {erased} address(es) as a subscriber erasure does"))
        }
        Incoming::DataRequest { email, request_id } => {
            let hint = email.as_deref().and_then(crate::notify::feedback::address_key).map(|(_, hint)| hint);
            Outcome::applied(format!(
                "data request {request_id} for {}: Restock holds this customer's waitlist signups, backorders and orders; \
                 send them what the exports hold for this address",
                hint.unwrap_or_else(|| "a customer".into())
            ))
        }
        Incoming::ShopRedact => {
            shop_redact(ctx, shop, platform).await?;
            Outcome::applied(
                "the connection was deleted with its variant mapping, counts and refusals; the addresses of its orders \
                 were erased (their quantities stay for the insights); this webhook log is kept (no addresses in it) \
                 until it is pruned, 30 days after each delivery"
                    .into(),
            )
        }
        Incoming::Ping => Outcome::ignored("ping"),
        Incoming::Ignored(why) => Outcome::ignored(why),
    })
}

/// The platform groups of a customer (a WooCommerce role, a BigCommerce customer
/// group), fetched only when the connection maps groups. A customer the platform no
/// longer has (404: deleted since the order, a guest) has no group, so the `*` rules
/// apply; only a temporary failure (429, 5xx, a timeout) fails the delivery, as a 503
/// the platform retries.
async fn customer_groups(
    ctx: &Ctx,
    conn: &ConnectionRow,
    platform: Platform,
    customer: Option<&str>,
) -> Result<Vec<String>, Failure> {
    let Some(id) = customer else { return Ok(Vec::new()) };
    let base = conn.api_base();
    let (url, h) = match platform {
        Platform::WooCommerce => (
            woocommerce::customer_url(&base, id),
            woocommerce::headers(conn.api_key.as_deref().unwrap_or_default(), &conn.api_token),
        ),
        Platform::BigCommerce => (bigcommerce::customer_url(&base, id), bigcommerce::headers(&conn.api_token)),
        // Shopify orders carry the customer's tags.
        Platform::Shopify => return Ok(Vec::new()),
    };
    let reply = fetch::call(ctx, Method::Get, &url, &h, None).await?;
    if reply.status == 404 {
        return Ok(Vec::new());
    }
    let group = match platform {
        Platform::WooCommerce => woocommerce::customer_role(&reply)?,
        _ => bigcommerce::customer_group(&reply)?,
    };
    Ok(group.into_iter().collect())
}

/// SKU parameters per statement (two bound parameters besides).
pub const IN_CHUNK: usize = 98;
/// Rows per JSON array in one statement (well under D1's 2 MB per value).
pub const JSON_CHUNK: usize = 500;

#[derive(Deserialize)]
struct Existing {
    sku: String,
    policy: String,
}

/// What a catalog update did.
#[derive(Debug, Default)]
pub struct CatalogStats {
    pub mapped: usize,
    pub created: usize,
    pub policies: usize,
    pub skipped: Vec<String>,
    pub levels: LevelStats,
}

impl CatalogStats {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "catalog: {} variant(s) mapped, {} product(s) created, {} policy change(s), {} SKU(s) planned again",
            self.mapped, self.created, self.policies, self.levels.synced
        );
        s.push_str(&self.levels.left_note());
        if !self.skipped.is_empty() {
            let shown: Vec<&str> = self.skipped.iter().take(5).map(String::as_str).collect();
            s.push_str(&format!("; {} without a usable SKU (variant {})", self.skipped.len(), shown.join(", ")));
        }
        s
    }
}

/// The name a created product gets: the platform's title where it can be an email
/// subject, else its SKU.
fn product_name(v: &Variant, sku: &Sku) -> String {
    header_text("name", &v.name, 200).ok().filter(|n| !n.is_empty()).unwrap_or_else(|| sku.as_str().to_owned())
}

/// Whose counts are stored: a webhook's (a count equal to the stored one is planned
/// again all the same: an earlier attempt of this delivery may have stored it and died
/// before planning, and a retry must finish the job) or the reconciliation's (only a
/// count that differs is planned: a page of 50 unchanged counts costs nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Webhook,
    Reconciliation,
}

impl Via {
    /// Subrequests kept for what the invocation does after the SKUs' plans.
    fn keep(self) -> u32 {
        match self {
            Via::Webhook => budget::AFTER_HOOK,
            Via::Reconciliation => budget::AFTER_SYNC + budget::SAVE,
        }
    }
}

/// A webhook's SKUs whose counts were stored but whose plans did not fit its
/// invocation: noted on the connection's cursor (`sync::Cursor::plan`), and the
/// connection is made due, so the next scheduled run plans them first.
async fn leave_to_reconciliation(ctx: &Ctx, conn: &ConnectionRow, skus: &[String]) -> Result<(), ApiError> {
    if skus.is_empty() {
        return Ok(());
    }
    crate::connect::store::add_plans(ctx, conn, skus).await
}

/// Maps `variants` to SKUs, creates the products Restock lacks, moves policies, and
/// stores and applies their counts.
pub async fn catalog(
    ctx: &Ctx,
    shop: &ShopRow,
    conn: &ConnectionRow,
    variants: &[Variant],
    via: Via,
) -> Result<CatalogStats, Failure> {
    let mut stats = CatalogStats::default();
    let mut usable: Vec<(&Variant, Sku)> = Vec::new();
    for v in variants {
        match v.sku.as_deref().map(Sku::parse) {
            Some(Ok(sku)) => usable.push((v, sku)),
            _ => stats.skipped.push(v.variant_id.clone()),
        }
    }
    if usable.is_empty() {
        return Ok(stats);
    }
    // What Restock has of these SKUs.
    let skus: BTreeSet<&str> = usable.iter().map(|(_, s)| s.as_str()).collect();
    let skus: Vec<&str> = skus.into_iter().collect();
    let mut reads = Vec::new();
    for chunk in skus.chunks(IN_CHUNK) {
        let mut params = crate::args![shop.id.as_str()];
        params.extend(chunk.iter().map(db::Arg::js));
        reads.push(db::stmt(
            &ctx.db,
            &format!(
                "SELECT sku, policy FROM products WHERE shop_id = ?1 AND sku IN ({})",
                db::placeholders(2, chunk.len())
            ),
            params,
        )?);
    }
    let platform = conn.platform()?;
    // And which of these variants it had mapped, to what.
    let variant_ids: Vec<&str> = usable.iter().map(|(v, _)| v.variant_id.as_str()).collect();
    let n_sku_reads = reads.len();
    for chunk in variant_ids.chunks(IN_CHUNK - 1) {
        let mut params = crate::args![shop.id.as_str(), platform.name()];
        params.extend(chunk.iter().map(db::Arg::js));
        reads.push(db::stmt(
            &ctx.db,
            &format!(
                "SELECT variant_id, sku FROM platform_variants WHERE shop_id = ?1 AND platform = ?2 AND variant_id IN ({})",
                db::placeholders(3, chunk.len())
            ),
            params,
        )?);
    }
    let mut existing: BTreeMap<String, String> = BTreeMap::new();
    let mut was_mapped: BTreeMap<String, String> = BTreeMap::new();
    for (i, r) in db::batches(&ctx.db, reads).await?.iter().enumerate() {
        if i < n_sku_reads {
            existing.extend(db::rows::<Existing>(r)?.into_iter().map(|e| (e.sku, e.policy)));
        } else {
            was_mapped.extend(db::rows::<Mapped>(r)?.into_iter().map(|m| (m.variant_id, m.sku)));
        }
    }
    let now = ctx.now.millis();
    let mut writes = Vec::new();
    let mapping: Vec<Value> = usable
        .iter()
        .map(|(v, sku)| json!({ "v": v.variant_id, "p": v.product_id, "i": v.item_id, "s": sku.as_str() }))
        .collect();
    for chunk in mapping.chunks(JSON_CHUNK) {
        writes.push(db::stmt(
            &ctx.db,
            "INSERT INTO platform_variants (shop_id, platform, variant_id, product_id, item_id, sku, updated_at) \
             SELECT ?1, ?2, json_extract(j.value, '$.v'), json_extract(j.value, '$.p'), json_extract(j.value, '$.i'), \
                    json_extract(j.value, '$.s'), ?3 FROM json_each(?4) j WHERE true \
             ON CONFLICT (shop_id, platform, variant_id) DO UPDATE SET product_id = excluded.product_id, \
               item_id = excluded.item_id, sku = excluded.sku, updated_at = excluded.updated_at",
            crate::args![shop.id.as_str(), platform.name(), now, Value::Array(chunk.to_vec()).to_string()],
        )?);
    }
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut new_rows = Vec::new();
    for (v, sku) in &usable {
        if existing.contains_key(sku.as_str()) || !created.insert(sku.as_str().to_owned()) {
            continue;
        }
        let on_hand = if v.tracked { conn.count_of(v).unwrap_or(0).max(0) } else { 0 };
        new_rows.push(json!({
            "s": sku.as_str(), "n": product_name(v, sku), "c": v.price_cents.unwrap_or(0),
            "o": if v.backorders == Some(true) { "backorder" } else { "deny" }, "h": on_hand.min(10_000_000),
        }));
    }
    for chunk in new_rows.chunks(JSON_CHUNK) {
        writes.push(db::stmt(
            &ctx.db,
            "INSERT INTO products (shop_id, sku, name, price_cents, policy, on_hand, rev, created_at, updated_at) \
             SELECT ?1, json_extract(j.value, '$.s'), json_extract(j.value, '$.n'), json_extract(j.value, '$.c'), \
                    json_extract(j.value, '$.o'), json_extract(j.value, '$.h'), 'rev_' || lower(hex(randomblob(10))), ?2, ?2 \
             FROM json_each(?3) j WHERE true ON CONFLICT (shop_id, sku) DO NOTHING",
            crate::args![shop.id.as_str(), now, Value::Array(chunk.to_vec()).to_string()],
        )?);
    }
    let results = db::batches(&ctx.db, writes).await?;
    stats.mapped = usable.len();
    stats.created = results.iter().skip(mapping.chunks(JSON_CHUNK).len()).map(db::changes).sum();
    // The platform's "sell beyond stock" moves deny <-> backorder (never a preorder).
    for (v, sku) in &usable {
        let Some(current) = existing.get(sku.as_str()) else { continue };
        let wanted = match (v.backorders, current.as_str()) {
            (Some(true), "deny") => "backorder",
            (Some(false), "backorder") => "deny",
            _ => continue,
        };
        // Not now if it does not fit: the next pass finds the policy still to move.
        if budget::plans(ctx.meter.remaining(), via.keep()) == 0 {
            break;
        }
        set_policy(ctx, shop, sku, wanted).await?;
        stats.policies += 1;
    }
    let levels: Vec<Level> = usable.iter().flat_map(|(v, _)| v.levels.iter().cloned()).collect();
    if !levels.is_empty() {
        stats.levels = store_levels(ctx, shop, conn, &levels, &created, via).await?;
    }
    // A product Restock had before it was mapped follows the counts stored for it.
    let remapped: BTreeSet<&Sku> = usable
        .iter()
        .filter(|(v, sku)| {
            existing.contains_key(sku.as_str())
                && v.levels.is_empty()
                && was_mapped.get(&v.variant_id) != Some(&sku.as_str().to_owned())
        })
        .map(|(_, sku)| sku)
        .collect();
    for sku in remapped {
        if budget::plans(ctx.meter.remaining(), via.keep()) == 0 {
            stats.levels.pending.push(sku.as_str().to_owned());
            continue;
        }
        if sync_sku(ctx, shop, conn, sku).await?.is_some() {
            stats.levels.synced += 1;
        }
    }
    Ok(stats)
}

/// Moves a product between `deny` and `backorder` as one stock plan.
async fn set_policy(ctx: &Ctx, shop: &ShopRow, sku: &Sku, policy: &'static str) -> Result<(), ApiError> {
    commit::commit(
        ctx,
        shop,
        sku,
        false,
        |snap| {
            let mut settings = snap.facts.settings;
            settings.policy = if policy == "deny" { Policy::Deny } else { Policy::Backorder { cap: None } };
            let mut c = Change::new(Op::Recheck);
            c.settings = Some(settings);
            c.writes.push((
                format!("UPDATE products SET policy = ?5, cap = NULL WHERE shop_id = ?1 AND sku = ?2 AND policy IN ('deny', 'backorder') AND {GUARD}"),
                crate::args![policy],
            ));
            Ok(c)
        },
        |_| Ok(Vec::new()),
    )
    .await?;
    Ok(())
}

/// What storing counts did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LevelStats {
    /// SKUs planned again.
    pub synced: usize,
    /// Units by which stored counts differed from the new ones (where one was stored).
    pub drift_units: u64,
    /// SKUs whose stored count differed.
    pub drift_skus: usize,
    /// SKUs whose counts are stored but whose plans did not fit this invocation's
    /// budget: planned by the next scheduled run (`sync::Cursor::plan`).
    pub pending: Vec<String>,
}

impl LevelStats {
    /// What was left to the next scheduled run, for a delivery's outcome.
    fn left_note(&self) -> String {
        match self.pending.len() {
            0 => String::new(),
            n => format!(", {n} left to the next scheduled run (this invocation's subrequests)"),
        }
    }
}

#[derive(Deserialize)]
struct StoredLevel {
    item_id: String,
    location_id: String,
    available: i64,
    counted_at: i64,
}

#[derive(Deserialize)]
struct SkuOf {
    item_id: String,
    sku: String,
}

/// A webhook's counts: stored (newer only), then their SKUs planned again.
pub async fn levels_changed(
    ctx: &Ctx,
    shop: &ShopRow,
    conn: &ConnectionRow,
    levels: &[Level],
) -> Result<LevelStats, Failure> {
    Ok(store_levels(ctx, shop, conn, levels, &BTreeSet::new(), Via::Webhook).await?)
}

/// Stores `levels` (a newer count only; another location than the connection follows
/// is left out) and plans again each SKU whose counts changed, except `fresh` ones
/// (created from these very counts). Bounded: the SKUs whose plans do not fit the
/// invocation's budget (`connect::budget`, keeping what `via` does after) are
/// returned as `pending`, their counts stored, for the caller to leave to the next
/// scheduled run; a plan is never started that the Meter would cut short.
pub async fn store_levels(
    ctx: &Ctx,
    shop: &ShopRow,
    conn: &ConnectionRow,
    levels: &[Level],
    fresh: &BTreeSet<String>,
    via: Via,
) -> Result<LevelStats, ApiError> {
    let platform = conn.platform()?;
    let levels: Vec<&Level> = levels.iter().filter(|l| conn.follows(&l.location_id)).collect();
    let mut stats = LevelStats::default();
    if levels.is_empty() {
        return Ok(stats);
    }
    let items: BTreeSet<&str> = levels.iter().map(|l| l.item_id.as_str()).collect();
    let items: Vec<&str> = items.into_iter().collect();
    let mut reads = Vec::new();
    for chunk in items.chunks(IN_CHUNK - 1) {
        let mut params = crate::args![shop.id.as_str(), platform.name()];
        params.extend(chunk.iter().map(db::Arg::js));
        let list = db::placeholders(3, chunk.len());
        reads.push(db::stmt(
            &ctx.db,
            &format!(
                "SELECT item_id, location_id, available, counted_at FROM platform_levels \
                 WHERE shop_id = ?1 AND platform = ?2 AND item_id IN ({list})"
            ),
            params.clone(),
        )?);
        reads.push(db::stmt(
            &ctx.db,
            &format!("SELECT item_id, sku FROM platform_variants WHERE shop_id = ?1 AND platform = ?2 AND item_id IN ({list})"),
            params,
        )?);
    }
    let results = db::batches(&ctx.db, reads).await?;
    let mut stored: Vec<StoredLevel> = Vec::new();
    let mut sku_of: Vec<SkuOf> = Vec::new();
    for pair in results.chunks(2) {
        if let [l, s] = pair {
            stored.extend(db::rows::<StoredLevel>(l)?);
            sku_of.extend(db::rows::<SkuOf>(s)?);
        }
    }
    // Which counts are news (no stored count, or a newer one that differs).
    let mut changed_items: BTreeSet<&str> = BTreeSet::new();
    let mut drift: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &levels {
        match stored.iter().find(|s| s.item_id == l.item_id && s.location_id == l.location_id) {
            Some(o) if o.counted_at > l.counted_at.millis() => {}
            Some(o)
                if o.available == l.available
                    && (via == Via::Reconciliation || o.counted_at != l.counted_at.millis()) => {}
            Some(o) if o.available == l.available => {
                changed_items.insert(&l.item_id);
            }
            Some(o) => {
                changed_items.insert(&l.item_id);
                *drift.entry(&l.item_id).or_default() += o.available.abs_diff(l.available);
            }
            None => {
                changed_items.insert(&l.item_id);
            }
        }
    }
    let mut to_sync: BTreeSet<&str> = BTreeSet::new();
    for s in &sku_of {
        if changed_items.contains(s.item_id.as_str()) && !fresh.contains(&s.sku) {
            to_sync.insert(&s.sku);
        }
    }
    let counted = |s: &&SkuOf| drift.contains_key(s.item_id.as_str());
    stats.drift_units = sku_of.iter().filter(counted).filter_map(|s| drift.get(s.item_id.as_str())).sum();
    stats.drift_skus = sku_of.iter().filter(counted).map(|s| &s.sku).collect::<BTreeSet<_>>().len();
    let rows: Vec<Value> = levels
        .iter()
        .map(|l| json!({ "i": l.item_id, "l": l.location_id, "a": l.available, "t": l.counted_at.millis() }))
        .collect();
    let mut writes = Vec::new();
    for chunk in rows.chunks(JSON_CHUNK) {
        writes.push(db::stmt(
            &ctx.db,
            "INSERT INTO platform_levels (shop_id, platform, item_id, location_id, available, counted_at, updated_at) \
             SELECT ?1, ?2, json_extract(j.value, '$.i'), json_extract(j.value, '$.l'), json_extract(j.value, '$.a'), \
                    json_extract(j.value, '$.t'), ?3 FROM json_each(?4) j WHERE true \
             ON CONFLICT (shop_id, platform, item_id, location_id) DO UPDATE SET available = excluded.available, \
               counted_at = excluded.counted_at, updated_at = excluded.updated_at \
             WHERE excluded.counted_at >= platform_levels.counted_at",
            crate::args![shop.id.as_str(), platform.name(), ctx.now.millis(), Value::Array(chunk.to_vec()).to_string()],
        )?);
    }
    db::batches(&ctx.db, writes).await?;
    // As many plans as fit, each whole (a commit is one batch); the rest are pending.
    for sku in to_sync {
        if budget::plans(ctx.meter.remaining(), via.keep()) == 0 {
            stats.pending.push(sku.to_owned());
            continue;
        }
        let Ok(sku) = Sku::parse(sku) else { continue };
        sync_sku(ctx, shop, conn, &sku).await?;
        stats.synced += 1;
    }
    Ok(stats)
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
struct Sum {
    available: Option<i64>,
    counted_at: Option<i64>,
    n: i64,
}

/// The platform's count of `sku`: the sum over the locations the connection follows
/// (its `location_id`, else every one) of its items' stored counts, and the oldest of
/// their times.
async fn platform_sum(ctx: &Ctx, shop: &str, conn: &ConnectionRow, sku: &Sku) -> Result<Sum, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT SUM(l.available) AS available, MIN(l.counted_at) AS counted_at, COUNT(*) AS n FROM platform_levels l \
         JOIN platform_variants v ON v.shop_id = l.shop_id AND v.platform = l.platform AND v.item_id = l.item_id \
         WHERE v.shop_id = ?1 AND v.platform = ?2 AND v.sku = ?3 AND (?4 IS NULL OR l.location_id = ?4)",
        crate::args![shop, conn.platform.as_str(), sku.as_str(), conn.location_id.clone()],
    )?;
    Ok(db::first::<Sum>(s).await?.unwrap_or(Sum { available: None, counted_at: None, n: 0 }))
}

/// Plans `sku` again from the platform's counts: on hand becomes the platform's count
/// plus what its counted backorders are still owed. Returns the change of on hand.
pub async fn sync_sku(ctx: &Ctx, shop: &ShopRow, conn: &ConnectionRow, sku: &Sku) -> Result<Option<i64>, ApiError> {
    let platform = conn.platform()?;
    let mut sum = platform_sum(ctx, &shop.id, conn, sku).await?;
    for _ in 0..3 {
        let (Some(available), Some(counted_at)) = (sum.available, sum.counted_at) else { return Ok(None) };
        let counted_at = Timestamp::from_millis(counted_at);
        let committed = commit::commit(
            ctx,
            shop,
            sku,
            false,
            |snap| {
                let owed: Vec<PlatformOwed> = snap
                    .queue
                    .iter()
                    .filter(|r| r.source.as_deref() == Some(platform.name()))
                    .filter_map(|r| {
                        Some(PlatformOwed {
                            ordered_at: Timestamp::from_millis(r.platform_at?),
                            outstanding: u32::try_from(r.quantity - r.allocated).unwrap_or(0),
                        })
                    })
                    .collect();
                Ok(Change::new(Op::SetOnHand { on_hand: on_hand_target(available, counted_at, &owed) }))
            },
            |_| Ok(Vec::new()),
        )
        .await;
        let committed = match committed {
            Ok(c) => c,
            // The product is gone from Restock: nothing to plan.
            Err(ApiError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let again = platform_sum(ctx, &shop.id, conn, sku).await?;
        if again == sum {
            return Ok(Some(committed.plan.on_hand_delta));
        }
        sum = again;
    }
    Ok(None)
}

/// Plans `sku` again so units on hand go to its queue: from the platform's counts
/// when it has them, else as a recheck of what Restock holds.
async fn heal(ctx: &Ctx, shop: &ShopRow, conn: &ConnectionRow, sku: &Sku) -> Result<(), ApiError> {
    if sync_sku(ctx, shop, conn, sku).await?.is_none() {
        commit::commit(ctx, shop, sku, false, |_| Ok(Change::new(Op::Recheck)), |_| Ok(Vec::new())).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Mapped {
    variant_id: String,
    sku: String,
}

/// What an order's lines did.
#[derive(Default)]
struct OrderStats {
    queued: Vec<String>,
    /// Lines decided by an earlier delivery: queued, recorded as sales, refused.
    again_queued: usize,
    again_sold: usize,
    again_refused: usize,
    sales: usize,
    problems: Vec<String>,
    unmapped: usize,
    /// Lines refused now: (line id, code), recorded so they are not decided again.
    refused: Vec<(String, &'static str)>,
    /// Lines refused before for lack of places and queued now.
    retried: Vec<String>,
}

/// The SKUs the platform's variant ids map to.
pub async fn skus_for(
    ctx: &Ctx,
    shop: &str,
    platform: Option<Platform>,
    variants: &[String],
) -> Result<Vec<(String, String, String)>, ApiError> {
    let mut reads = Vec::new();
    for chunk in variants.chunks(IN_CHUNK - 1) {
        let mut params = crate::args![shop, platform.map(Platform::name)];
        params.extend(chunk.iter().map(|v| db::Arg::js(&v.as_str())));
        reads.push(db::stmt(
            &ctx.db,
            &format!(
                "SELECT platform, variant_id, sku FROM platform_variants WHERE shop_id = ?1 AND (?2 IS NULL OR platform = ?2) \
                 AND variant_id IN ({})",
                db::placeholders(3, chunk.len())
            ),
            params,
        )?);
    }
    #[derive(Deserialize)]
    struct Row {
        platform: String,
        variant_id: String,
        sku: String,
    }
    let mut out = Vec::new();
    for r in db::batches(&ctx.db, reads).await? {
        out.extend(db::rows::<Row>(&r)?.into_iter().map(|r| (r.platform, r.variant_id, r.sku)));
    }
    Ok(out)
}

/// How an earlier delivery of the order decided a line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decided {
    Backorder,
    Sale,
    /// Refused, with the code (`cap_reached`, `group_not_allowed`, ...).
    Refused(String),
}

/// The one code a refusal for lack of places has: the only refusal a later update
/// of the order tries again (as a backorder, never as a sale).
const NO_PLACE: &str = "cap_reached";

/// The bounds of the keys of `order`'s lines (`{platform}:{order}:` up to, not
/// including, `{platform}:{order};`): a range an index walks, where `substr` would
/// read every reference of the shop.
fn key_range(platform: Platform, order_id: &str) -> (String, String) {
    (format!("{}:{order_id}:", platform.name()), format!("{}:{order_id};", platform.name()))
}

/// How each line of `order` was decided before, by line id: its sale (`orders`), its
/// backorder (`backorders`, by the platform's order id) or its refusal
/// (`platform_refusals`), read in one batch. A backorder wins over a sale, a sale over
/// a refusal (the guarded INSERTs make more than one impossible but for a refusal
/// recorded by a concurrent delivery).
async fn decided_lines(
    ctx: &Ctx,
    shop: &str,
    platform: Platform,
    order_id: &str,
) -> Result<BTreeMap<String, Decided>, ApiError> {
    #[derive(Deserialize)]
    struct Reference {
        reference: String,
    }
    #[derive(Deserialize)]
    struct Key {
        idempotency_key: Option<String>,
    }
    #[derive(Deserialize)]
    struct Refusal {
        line_id: String,
        code: String,
    }
    let (low, high) = key_range(platform, order_id);
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "SELECT reference FROM orders WHERE shop_id = ?1 AND reference >= ?2 AND reference < ?3",
                crate::args![shop, low.as_str(), high.as_str()],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT idempotency_key FROM backorders WHERE shop_id = ?1 AND source = ?2 AND platform_order_id = ?3",
                crate::args![shop, platform.name(), order_id],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT line_id, code FROM platform_refusals WHERE shop_id = ?1 AND platform = ?2 AND order_id = ?3",
                crate::args![shop, platform.name(), order_id],
            )?,
        ],
    )
    .await?;
    let mut out: BTreeMap<String, Decided> = BTreeMap::new();
    let line_of = |key: &str| key.strip_prefix(low.as_str()).map(str::to_owned);
    if let Some(r) = results.get(2) {
        for f in db::rows::<Refusal>(r)? {
            out.insert(f.line_id, Decided::Refused(f.code));
        }
    }
    if let Some(r) = results.first() {
        for s in db::rows::<Reference>(r)? {
            if let Some(line) = line_of(&s.reference) {
                out.insert(line, Decided::Sale);
            }
        }
    }
    if let Some(r) = results.get(1) {
        for b in db::rows::<Key>(r)? {
            if let Some(line) = b.idempotency_key.as_deref().and_then(line_of) {
                out.insert(line, Decided::Backorder);
            }
        }
    }
    Ok(out)
}

/// Records this delivery's refusals (so no later update decides those lines again,
/// unless the code is [`NO_PLACE`]) and forgets the refusals of lines queued now, in
/// one batch. A refusal is not recorded over a sale or a backorder a concurrent
/// delivery recorded for the line.
async fn record_refusals(
    ctx: &Ctx,
    shop: &str,
    platform: Platform,
    order_id: &str,
    stats: &OrderStats,
) -> Result<(), ApiError> {
    let mut statements = Vec::new();
    let refused: Vec<Value> = stats.refused.iter().map(|(line, code)| json!({ "l": line, "c": code })).collect();
    for chunk in refused.chunks(JSON_CHUNK) {
        statements.push(db::stmt(
            &ctx.db,
            "INSERT INTO platform_refusals (shop_id, platform, order_id, line_id, code, refused_at) \
             SELECT ?1, ?2, ?3, json_extract(j.value, '$.l'), json_extract(j.value, '$.c'), ?4 FROM json_each(?5) j \
             WHERE NOT EXISTS (SELECT 1 FROM orders s WHERE s.shop_id = ?1 \
                     AND s.reference = ?2 || ':' || ?3 || ':' || json_extract(j.value, '$.l')) \
               AND NOT EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = ?1 AND COALESCE(b.source, '') = ?2 \
                     AND b.idempotency_key = ?2 || ':' || ?3 || ':' || json_extract(j.value, '$.l')) \
             ON CONFLICT (shop_id, platform, order_id, line_id) DO UPDATE SET code = excluded.code, refused_at = excluded.refused_at",
            crate::args![shop, platform.name(), order_id, ctx.now.millis(), Value::Array(chunk.to_vec()).to_string()],
        )?);
    }
    let retried: Vec<Value> = stats.retried.iter().map(|l| json!(l)).collect();
    for chunk in retried.chunks(JSON_CHUNK) {
        statements.push(db::stmt(
            &ctx.db,
            "DELETE FROM platform_refusals WHERE shop_id = ?1 AND platform = ?2 AND order_id = ?3 \
               AND line_id IN (SELECT value FROM json_each(?4))",
            crate::args![shop, platform.name(), order_id, Value::Array(chunk.to_vec()).to_string()],
        )?);
    }
    db::batches(&ctx.db, statements).await?;
    Ok(())
}

/// A platform order: cancelled, it frees its places; otherwise each line not decided
/// by an earlier delivery is queued, recorded as a sale, or refused, once. A later
/// update of the order (fulfilled, paid, edited) decides only lines it has not seen
/// (an edit's new line) and tries again only lines refused for lack of places, as
/// backorders, while they are still to ship; what a line was sold from stock stays a
/// sale, whatever stock says later.
async fn orders(ctx: &Ctx, shop: &ShopRow, conn: &ConnectionRow, order: &Order) -> Result<Outcome, Failure> {
    let platform = conn.platform()?;
    if order.pending {
        return Ok(Outcome::ignored(format!("order {} takes no stock yet (not paid or placed)", order.name)));
    }
    if order.cancelled {
        return Ok(cancel_order(ctx, shop, platform, order).await?);
    }
    let decided = decided_lines(ctx, &shop.id, platform, &order.order_id).await?;
    let mut stats = OrderStats::default();
    let mut open: Vec<(&crate::connect::model::Line, bool)> = Vec::new();
    for line in &order.lines {
        match decided.get(&line.line_id) {
            None => open.push((line, false)),
            Some(Decided::Refused(code)) if code == NO_PLACE && !line.fulfilled => open.push((line, true)),
            Some(Decided::Backorder) => stats.again_queued += 1,
            Some(Decided::Sale) => stats.again_sold += 1,
            Some(Decided::Refused(_)) => stats.again_refused += 1,
        }
    }
    let variant_ids: Vec<String> = open.iter().filter_map(|(l, _)| l.variant_id.clone()).collect();
    let mapped: Vec<Mapped> = skus_for(ctx, &shop.id, Some(platform), &variant_ids)
        .await?
        .into_iter()
        .map(|(_, variant_id, sku)| Mapped { variant_id, sku })
        .collect();
    let sku_of = |l: &crate::connect::model::Line| -> Option<Sku> {
        let by_variant =
            l.variant_id.as_ref().and_then(|v| mapped.iter().find(|m| &m.variant_id == v)).map(|m| m.sku.clone());
        by_variant.or_else(|| l.sku.clone()).and_then(|s| Sku::parse(&s).ok())
    };
    let skus: Vec<Sku> = open.iter().filter_map(|(l, _)| sku_of(l)).collect::<BTreeSet<_>>().into_iter().collect();
    let shop_id = ShopId::parse(&shop.id).map_err(ApiError::from)?;
    let facts = if skus.is_empty() { Vec::new() } else { load_products(&ctx.db, &shop_id, &skus, ctx.now).await? };
    let rules = crate::groups::rules_of(shop);
    let group: Option<Group> = conn.group_for(&order.customer_groups);
    let email = order.email.as_deref().and_then(|e| Email::parse(e).ok());
    let locale = order.locale.as_deref().and_then(|l| Locale::parse(l).ok()).unwrap_or_default();
    for (line, retry) in open {
        let Some(f) = sku_of(line).and_then(|sku| facts.iter().find(|f| f.row.sku == sku.as_str())) else {
            stats.unmapped += 1;
            continue;
        };
        let Ok(sku) = Sku::parse(&f.row.sku) else { continue };
        if line.quantity == 0 {
            continue;
        }
        let view = AvailabilityView::new(&f.row.sku, &f.row.name, &f.availability(&shop.rules(), ctx.today()));
        let orders_allowed = f.settings.policy != Policy::Deny && !f.settings.discontinued;
        let free = f.stock.sellable().saturating_sub(f.queued);
        let kind = if retry {
            // Refused for lack of places when it came: it is a backorder or nothing.
            LineKind::Backorder
        } else if line.fulfilled {
            LineKind::Sale
        } else {
            line_kind(line.asked, view.status, orders_allowed, free, line.quantity)
        };
        let mut refuse = |code: &'static str, text: String| {
            stats.problems.push(format!("{}: not queued ({code}): {text}", sku.as_str()));
            stats.refused.push((line.line_id.clone(), code));
        };
        match kind {
            LineKind::Sale => {
                let reference = platform_key(platform.name(), &order.order_id, &line.line_id);
                let sale = Sale {
                    sku: sku.as_str(),
                    quantity: line.quantity,
                    amount_cents: line.amount_cents,
                    email: email.as_ref().map(Email::as_str),
                    reference: &reference,
                    source: Some(platform.name()),
                    at: order.created_at,
                };
                if record_sale(ctx, shop, &sale).await? {
                    stats.sales += 1;
                } else {
                    stats.again_sold += 1;
                }
            }
            LineKind::Backorder => {
                let Some(email) = &email else {
                    refuse("no_email", "the order has no customer email".into());
                    continue;
                };
                let Ok(quantity) = Quantity::new(i64::from(line.quantity)) else {
                    refuse("quantity", format!("{} units is more than one backorder takes (999)", line.quantity));
                    continue;
                };
                let kind = match (f.settings.policy, view.status) {
                    (_, StatusCode::Preorder) => OrderKind::Preorder,
                    (Policy::Preorder { release, .. }, _) if release > ctx.today() => OrderKind::Preorder,
                    _ => OrderKind::Backorder,
                };
                if let Err(refusal) = restock_shared::groups::check(rules.allowed(group.as_ref(), &sku), kind, quantity)
                {
                    let who = group
                        .as_ref()
                        .map_or("customers without a group".to_owned(), |g| format!("group {}", g.as_str()));
                    refuse("group_not_allowed", format!("{who}: {refusal}"));
                    continue;
                }
                let placed = place_platform(
                    ctx,
                    shop,
                    f,
                    PlatformLine {
                        source: platform.name(),
                        order_id: &order.order_id,
                        line_id: &line.line_id,
                        ordered_at: order.created_at,
                        sku: &sku,
                        quantity,
                        email,
                        locale: &locale,
                    },
                )
                .await?;
                match placed {
                    PlatformPlaced::New { .. } => {
                        stats.queued.push(format!("{} ×{}", sku.as_str(), line.quantity));
                        if retry {
                            stats.retried.push(line.line_id.clone());
                        }
                        // Units were free when it came (more were ordered than were
                        // left): they go to the queue now, first come, first served.
                        if free > 0 {
                            heal(ctx, shop, conn, &sku).await?;
                        }
                    }
                    PlatformPlaced::Already { .. } => stats.again_queued += 1,
                    PlatformPlaced::Sold => stats.again_sold += 1,
                    PlatformPlaced::Refused { code, detail } => refuse(code, detail),
                }
            }
        }
    }
    if !stats.refused.is_empty() || !stats.retried.is_empty() {
        record_refusals(ctx, &shop.id, platform, &order.order_id, &stats).await?;
    }
    let mut detail = format!("order {}: {} backorder line(s) queued", order.name, stats.queued.len());
    if !stats.queued.is_empty() {
        detail.push_str(&format!(" ({})", stats.queued.join(", ")));
    }
    if stats.again_queued > 0 {
        detail.push_str(&format!(", {} already queued", stats.again_queued));
    }
    detail.push_str(&format!(", {} sale line(s) recorded", stats.sales));
    if stats.again_sold > 0 {
        detail.push_str(&format!(", {} already recorded as sale(s)", stats.again_sold));
    }
    if stats.again_refused > 0 {
        detail.push_str(&format!(", {} refused before (not decided again)", stats.again_refused));
    }
    if stats.unmapped > 0 {
        detail.push_str(&format!(", {} line(s) of products Restock does not know", stats.unmapped));
    }
    if stats.problems.is_empty() {
        Ok(Outcome::applied(detail))
    } else {
        Ok(Outcome { status: "failed", detail: format!("{detail}; {}", stats.problems.join("; ")) })
    }
}

#[derive(Deserialize)]
struct Open {
    id: String,
    status: String,
}

/// A cancelled platform order frees its open backorders, drops its sales and forgets
/// its refusals.
async fn cancel_order(ctx: &Ctx, shop: &ShopRow, platform: Platform, order: &Order) -> Result<Outcome, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id, status FROM backorders WHERE shop_id = ?1 AND source = ?2 AND platform_order_id = ?3",
        crate::args![shop.id.as_str(), platform.name(), order.order_id.as_str()],
    )?;
    let rows: Vec<Open> = db::all(s).await?;
    let (mut freed, mut shipped) = (0, 0);
    for r in &rows {
        match r.status.as_str() {
            "open" => match crate::backorders::cancel::cancel_backorder(ctx, shop, &r.id, false).await {
                Ok(_) => freed += 1,
                Err(ApiError::Conflict { .. }) => shipped += 1,
                Err(e) => return Err(e),
            },
            "allocated" => shipped += 1,
            _ => {}
        }
    }
    let (low, high) = key_range(platform, &order.order_id);
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "DELETE FROM orders WHERE shop_id = ?1 AND reference >= ?2 AND reference < ?3",
                crate::args![shop.id.as_str(), low.as_str(), high.as_str()],
            )?,
            db::stmt(
                &ctx.db,
                "DELETE FROM platform_refusals WHERE shop_id = ?1 AND platform = ?2 AND order_id = ?3",
                crate::args![shop.id.as_str(), platform.name(), order.order_id.as_str()],
            )?,
        ],
    )
    .await?;
    let mut detail = format!("order {} cancelled: {freed} backorder(s) freed their place", order.name);
    if shipped > 0 {
        detail.push_str(&format!(
            "; {shipped} already allocated (ready to ship): restock or fulfil them in the platform"
        ));
        return Ok(Outcome { status: "failed", detail });
    }
    Ok(Outcome::applied(detail))
}

/// Shopify's `shop/redact`: what the connection brought is removed, and the addresses
/// of its orders are erased (their quantities stay for the insights). The webhook log
/// (`hook_events`: ids, topics, outcomes, no address) is kept for its 30 days, so a
/// retry of this very delivery is still known as one.
async fn shop_redact(ctx: &Ctx, shop: &ShopRow, platform: Platform) -> Result<(), ApiError> {
    let p = || crate::args![shop.id.as_str(), platform.name()];
    db::batch(
        &ctx.db,
        vec![
            db::stmt(&ctx.db, "DELETE FROM platform_variants WHERE shop_id = ?1 AND platform = ?2", p())?,
            db::stmt(&ctx.db, "DELETE FROM platform_levels WHERE shop_id = ?1 AND platform = ?2", p())?,
            db::stmt(&ctx.db, "DELETE FROM platform_refusals WHERE shop_id = ?1 AND platform = ?2", p())?,
            db::stmt(
                &ctx.db,
                "UPDATE backorders SET email = 'erased-' || lower(hex(randomblob(6))) || '@erased.invalid' \
                 WHERE shop_id = ?1 AND source = ?2",
                p(),
            )?,
            db::stmt(&ctx.db, "UPDATE orders SET email = NULL WHERE shop_id = ?1 AND source = ?2", p())?,
            db::stmt(&ctx.db, "DELETE FROM connections WHERE shop_id = ?1 AND platform = ?2", p())?,
        ],
    )
    .await?;
    Ok(())
}
