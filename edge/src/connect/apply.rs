//! Carrying out what a platform said, the same way for every platform:
//!
//! - **Catalog**: each variant with a valid SKU maps to that Restock SKU
//!   (`platform_variants`); a SKU Restock does not have yet becomes a product (its
//!   name, price, `backorder` policy if the platform sells beyond stock, else `deny`,
//!   and the platform's count on hand). The platform's "sell beyond stock" switch moves
//!   an existing product between `deny` and `backorder` (a stock plan: promises are
//!   checked again); a preorder is left alone.
//! - **Stock**: the platform's counts per item and location are stored (a newer count
//!   only); every SKU whose count changed is planned again through `stock::commit` with
//!   on hand set to `restock_shared::platform::on_hand_target` (an increase is stock
//!   arriving: first come, first served to the queue, then the waitlist). The target
//!   is read again after the commit and planned again if a concurrent count moved it.
//! - **Orders**: each line decided by `restock_shared::platform::line_kind`; backorder
//!   lines go through `backorders::place::place_platform` (the one guarded INSERT,
//!   idempotent by order and line) after the customer group's rules; sales are recorded
//!   for attribution. A cancelled order cancels its open backorders (a stock plan each:
//!   the place is freed, allocated units pass on) and drops its sales.
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
use crate::connect::{Platform, bigcommerce, fetch, woocommerce};
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
            Outcome::applied(format!("stock: {} count(s), {} SKU(s) planned again", levels.len(), stats.synced))
        }
        Incoming::Catalog(variants) => {
            let stats = catalog(ctx, shop, conn, &variants).await?;
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
                    let stats = catalog(ctx, shop, conn, &variants).await?;
                    Outcome::applied(stats.summary())
                }
                Fetch::Order { order_id } => {
                    let o = fetch::call(ctx, Method::Get, &bigcommerce::order_url(&base, &order_id), &h, None).await?;
                    let items =
                        fetch::call(ctx, Method::Get, &bigcommerce::order_products_url(&base, &order_id), &h, None)
                            .await?;
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
            Outcome::applied("the connection's data was erased (mapping, counts, log; addresses of its orders)".into())
        }
        Incoming::Ping => Outcome::ignored("ping"),
        Incoming::Ignored(why) => Outcome::ignored(why),
    })
}

/// The platform groups of a customer (a WooCommerce role, a BigCommerce customer
/// group), fetched only when the connection maps groups.
async fn customer_groups(
    ctx: &Ctx,
    conn: &ConnectionRow,
    platform: Platform,
    customer: Option<&str>,
) -> Result<Vec<String>, Failure> {
    let Some(id) = customer else { return Ok(Vec::new()) };
    let base = conn.api_base();
    let group = match platform {
        Platform::WooCommerce => {
            let h = woocommerce::headers(conn.api_key.as_deref().unwrap_or_default(), &conn.api_token);
            woocommerce::customer_role(
                &fetch::call(ctx, Method::Get, &woocommerce::customer_url(&base, id), &h, None).await?,
            )?
        }
        Platform::BigCommerce => {
            let h = bigcommerce::headers(&conn.api_token);
            bigcommerce::customer_group(
                &fetch::call(ctx, Method::Get, &bigcommerce::customer_url(&base, id), &h, None).await?,
            )?
        }
        // Shopify orders carry the customer's tags.
        Platform::Shopify => None,
    };
    Ok(group.into_iter().collect())
}

/// SKU parameters per statement (two bound parameters besides).
const IN_CHUNK: usize = 98;
/// Rows per JSON array in one statement (well under D1's 2 MB per value).
const JSON_CHUNK: usize = 500;

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

/// Maps `variants` to SKUs, creates the products Restock lacks, moves policies, and
/// stores and applies their counts.
pub async fn catalog(
    ctx: &Ctx,
    shop: &ShopRow,
    conn: &ConnectionRow,
    variants: &[Variant],
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
    for (i, r) in db::batch(&ctx.db, reads).await?.iter().enumerate() {
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
        let on_hand = if v.tracked { v.total.unwrap_or(0).max(0) } else { 0 };
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
    let results = db::batch(&ctx.db, writes).await?;
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
        if ctx.meter.remaining() < SYNC_RESERVE {
            break;
        }
        set_policy(ctx, shop, sku, wanted).await?;
        stats.policies += 1;
    }
    let levels: Vec<Level> = usable.iter().flat_map(|(v, _)| v.levels.iter().cloned()).collect();
    if !levels.is_empty() {
        stats.levels = store_levels(ctx, shop, conn, &levels, &created).await?;
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
        if ctx.meter.remaining() < SYNC_RESERVE * 2 {
            stats.levels.deferred += 1;
            continue;
        }
        if sync_sku(ctx, shop, platform, sku).await?.is_some() {
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
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LevelStats {
    /// SKUs planned again.
    pub synced: usize,
    /// Units by which stored counts differed from the new ones (where one was stored).
    pub drift_units: u64,
    /// SKUs whose stored count differed.
    pub drift_skus: usize,
    /// SKUs left for later (the invocation's budget ran low).
    pub deferred: usize,
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

/// Subrequests kept back per SKU planned again: a commit (its read, its write, the
/// availability refresh) and two reads of the counts, about 17 measured.
pub const SYNC_RESERVE: u32 = 25;

/// A webhook's counts: stored (newer only), then their SKUs planned again.
pub async fn levels_changed(
    ctx: &Ctx,
    shop: &ShopRow,
    conn: &ConnectionRow,
    levels: &[Level],
) -> Result<LevelStats, Failure> {
    Ok(store_levels(ctx, shop, conn, levels, &BTreeSet::new()).await?)
}

/// Stores `levels` (a newer count only; another location than the connection follows
/// is left out) and plans again each SKU whose counts changed, except `fresh` ones
/// (created from these very counts). Bounded: SKUs past the invocation's budget are
/// left to the next delivery or reconciliation (`deferred`).
pub async fn store_levels(
    ctx: &Ctx,
    shop: &ShopRow,
    conn: &ConnectionRow,
    levels: &[Level],
    fresh: &BTreeSet<String>,
) -> Result<LevelStats, ApiError> {
    let platform = conn.platform()?;
    let levels: Vec<&Level> =
        levels.iter().filter(|l| conn.location_id.as_deref().is_none_or(|loc| loc == l.location_id)).collect();
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
    let results = db::batch(&ctx.db, reads).await?;
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
            Some(o) if o.available == l.available => {}
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
    // As many SKUs as this invocation can plan; the others' counts are not stored yet,
    // so the next delivery or reconciliation still sees them as news (and counts their
    // drift then, once).
    let fits = usize::try_from(ctx.meter.remaining().saturating_sub(SYNC_RESERVE) / SYNC_RESERVE).unwrap_or(0);
    let deferred: BTreeSet<&str> = to_sync.iter().skip(fits).copied().collect();
    stats.deferred = deferred.len();
    let counted = |s: &&SkuOf| drift.contains_key(s.item_id.as_str()) && !deferred.contains(s.sku.as_str());
    stats.drift_units = sku_of.iter().filter(counted).filter_map(|s| drift.get(s.item_id.as_str())).sum();
    stats.drift_skus = sku_of.iter().filter(counted).map(|s| &s.sku).collect::<BTreeSet<_>>().len();
    let held_back: BTreeSet<&str> =
        sku_of.iter().filter(|s| deferred.contains(s.sku.as_str())).map(|s| s.item_id.as_str()).collect();
    let rows: Vec<Value> = levels
        .iter()
        .filter(|l| !held_back.contains(l.item_id.as_str()))
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
    if !writes.is_empty() {
        db::batch(&ctx.db, writes).await?;
    }
    for sku in to_sync.iter().filter(|s| !deferred.contains(*s)) {
        let Ok(sku) = Sku::parse(sku) else { continue };
        sync_sku(ctx, shop, platform, &sku).await?;
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

async fn platform_sum(ctx: &Ctx, shop: &str, platform: Platform, sku: &Sku) -> Result<Sum, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT SUM(l.available) AS available, MIN(l.counted_at) AS counted_at, COUNT(*) AS n FROM platform_levels l \
         JOIN platform_variants v ON v.shop_id = l.shop_id AND v.platform = l.platform AND v.item_id = l.item_id \
         WHERE v.shop_id = ?1 AND v.platform = ?2 AND v.sku = ?3",
        crate::args![shop, platform.name(), sku.as_str()],
    )?;
    Ok(db::first::<Sum>(s).await?.unwrap_or(Sum { available: None, counted_at: None, n: 0 }))
}

/// Plans `sku` again from the platform's counts: on hand becomes the platform's count
/// plus what its counted backorders are still owed. Returns the change of on hand.
pub async fn sync_sku(ctx: &Ctx, shop: &ShopRow, platform: Platform, sku: &Sku) -> Result<Option<i64>, ApiError> {
    let mut sum = platform_sum(ctx, &shop.id, platform, sku).await?;
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
        let again = platform_sum(ctx, &shop.id, platform, sku).await?;
        if again == sum {
            return Ok(Some(committed.plan.on_hand_delta));
        }
        sum = again;
    }
    Ok(None)
}

/// Plans `sku` again so units on hand go to its queue: from the platform's counts
/// when it has them, else as a recheck of what Restock holds.
async fn heal(ctx: &Ctx, shop: &ShopRow, platform: Platform, sku: &Sku) -> Result<(), ApiError> {
    if sync_sku(ctx, shop, platform, sku).await?.is_none() {
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
    again: usize,
    sales: usize,
    problems: Vec<String>,
    unmapped: usize,
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
    if reads.is_empty() {
        return Ok(out);
    }
    for r in db::batch(&ctx.db, reads).await? {
        out.extend(db::rows::<Row>(&r)?.into_iter().map(|r| (r.platform, r.variant_id, r.sku)));
    }
    Ok(out)
}

/// A platform order: cancelled, it frees its places; otherwise each line is queued or
/// recorded as a sale.
async fn orders(ctx: &Ctx, shop: &ShopRow, conn: &ConnectionRow, order: &Order) -> Result<Outcome, Failure> {
    let platform = conn.platform()?;
    if order.pending {
        return Ok(Outcome::ignored(format!("order {} takes no stock yet (not paid or placed)", order.name)));
    }
    if order.cancelled {
        return Ok(cancel_order(ctx, shop, platform, order).await?);
    }
    let variant_ids: Vec<String> = order.lines.iter().filter_map(|l| l.variant_id.clone()).collect();
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
    let skus: Vec<Sku> = order.lines.iter().filter_map(sku_of).collect::<BTreeSet<_>>().into_iter().collect();
    let shop_id = ShopId::parse(&shop.id).map_err(ApiError::from)?;
    let facts = load_products(&ctx.db, &shop_id, &skus, ctx.now).await?;
    let rules = crate::groups::rules_of(shop);
    let group: Option<Group> = conn.group_for(&order.customer_groups);
    let email = order.email.as_deref().and_then(|e| Email::parse(e).ok());
    let locale = order.locale.as_deref().and_then(|l| Locale::parse(l).ok()).unwrap_or_default();
    let mut stats = OrderStats::default();
    for line in &order.lines {
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
        match line_kind(line.asked, view.status, orders_allowed, free, line.quantity) {
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
                record_sale(ctx, shop, &sale).await?;
                stats.sales += 1;
            }
            LineKind::Backorder => {
                let Some(email) = &email else {
                    stats.problems.push(format!("{}: no customer email, not queued", sku.as_str()));
                    continue;
                };
                let Ok(quantity) = Quantity::new(i64::from(line.quantity)) else {
                    stats.problems.push(format!(
                        "{}: {} units is more than one backorder takes (999)",
                        sku.as_str(),
                        line.quantity
                    ));
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
                    stats.problems.push(format!("{}: not queued, {who}: {refusal}", sku.as_str()));
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
                        // Units were free when it came (more were ordered than were
                        // left): they go to the queue now, first come, first served.
                        if free > 0 {
                            heal(ctx, shop, platform, &sku).await?;
                        }
                    }
                    PlatformPlaced::Already { .. } => stats.again += 1,
                    PlatformPlaced::Refused { code, detail } => {
                        stats.problems.push(format!("{}: not queued ({code}): {detail}", sku.as_str()));
                    }
                }
            }
        }
    }
    let mut detail = format!("order {}: {} backorder line(s) queued", order.name, stats.queued.len());
    if !stats.queued.is_empty() {
        detail.push_str(&format!(" ({})", stats.queued.join(", ")));
    }
    if stats.again > 0 {
        detail.push_str(&format!(", {} already queued", stats.again));
    }
    detail.push_str(&format!(", {} sale line(s) recorded", stats.sales));
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

/// A cancelled platform order frees its open backorders and drops its sales.
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
    let prefix = format!("{}:{}:", platform.name(), order.order_id);
    db::run(db::stmt(
        &ctx.db,
        "DELETE FROM orders WHERE shop_id = ?1 AND substr(reference, 1, length(?2)) = ?2",
        crate::args![shop.id.as_str(), prefix.as_str()],
    )?)
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
/// of its orders are erased (their quantities stay for the insights).
async fn shop_redact(ctx: &Ctx, shop: &ShopRow, platform: Platform) -> Result<(), ApiError> {
    let p = || crate::args![shop.id.as_str(), platform.name()];
    db::batch(
        &ctx.db,
        vec![
            db::stmt(&ctx.db, "DELETE FROM platform_variants WHERE shop_id = ?1 AND platform = ?2", p())?,
            db::stmt(&ctx.db, "DELETE FROM platform_levels WHERE shop_id = ?1 AND platform = ?2", p())?,
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
