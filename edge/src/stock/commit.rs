//! Changing stock and the backorder queue safely.
//!
//! D1 has no interactive transactions, so a change that is *planned from a read*
//! (allocating received units FIFO, cancelling and passing units on, setting a count)
//! is committed with optimistic concurrency: the batch's first statement swaps the
//! product's `rev` token from the value we read to a fresh random one, and every other
//! statement is guarded on that fresh token. If anything changed the product in
//! between (another receive, a new backorder, a cancel), the swap matches no row,
//! nothing in the batch applies, and we re-read and re-plan. The plan itself always
//! comes from the domain crate.

use restock_shared::{
    Allocation, AllocationEvent, Date, QueuedOrder, ReleaseRules, ShopId, Sku, Wave, allocate, plan_wave,
};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::stock::store::{ProductFacts, facts_statements, parse_facts};

/// How many times a plan is retried after losing a race before answering 503.
const ATTEMPTS: usize = 12;

/// An open backorder row, oldest first.
#[derive(Clone, Debug, Deserialize)]
pub struct QueueRow {
    pub id: String,
    pub seq: i64,
    pub kind: String,
    pub email: String,
    pub locale: String,
    pub quantity: i64,
    pub allocated: i64,
    pub placed_on: String,
    pub current_promise: Option<String>,
    pub projected_date: Option<String>,
    pub delayed: i64,
    pub created_at: i64,
}

impl QueueRow {
    pub fn order(&self) -> QueuedOrder<String> {
        QueuedOrder {
            id: self.id.clone(),
            quantity: u32::try_from(self.quantity).unwrap_or(0),
            allocated: u32::try_from(self.allocated).unwrap_or(0),
            placed_on: Date::parse(&self.placed_on).unwrap_or(Date::from_days(0)),
            promised: self.current_promise.as_deref().and_then(|d| Date::parse(d).ok()),
        }
    }
}

/// Everything a plan reads, from one consistent batch.
pub struct Snapshot {
    pub facts: ProductFacts,
    pub queue: Vec<QueueRow>,
    /// Active (confirmed, not yet notified) waitlist subscribers.
    pub waiting: u32,
}

impl Snapshot {
    pub fn orders(&self) -> Vec<QueuedOrder<String>> {
        self.queue.iter().map(QueueRow::order).collect()
    }
}

pub const QUEUE_COLUMNS: &str = "id, seq, kind, email, locale, quantity, allocated, placed_on, current_promise, projected_date, delayed, created_at";

/// Loads a product's facts, open queue and waiting count in one batch.
pub async fn load_snapshot(ctx: &Ctx, shop: &ShopId, sku: &Sku) -> Result<Snapshot, ApiError> {
    let mut statements = facts_statements(&ctx.db, shop, std::slice::from_ref(sku), ctx.now)?;
    statements.push(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {QUEUE_COLUMNS} FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open' ORDER BY seq"
        ),
        crate::args![shop.as_str(), sku.as_str()],
    )?);
    statements.push(db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM waitlist WHERE shop_id = ?1 AND sku = ?2 AND status = 'active'",
        crate::args![shop.as_str(), sku.as_str()],
    )?);
    let results = db::batch(&ctx.db, statements).await?;
    let [products, pos, queue, waiting] = results.as_slice() else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let facts = parse_facts(products, pos, std::slice::from_ref(sku))?
        .pop()
        .ok_or_else(|| ApiError::not_found("product_not_found", "this shop has no product with this SKU"))?;
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let waiting = db::rows::<Count>(waiting)?.first().map_or(0, |c| u32::try_from(c.n).unwrap_or(0));
    Ok(Snapshot { facts, queue: db::rows(queue)?, waiting })
}

/// Statements guarded on the fresh `rev`: each gets `?1` shop, `?2` sku, `?3` rev and
/// `?4` now before its own parameters, and must include [`GUARD`] in its condition.
pub struct Guarded<'a> {
    db: &'a D1Database,
    head: Vec<JsValue>,
    pub statements: Vec<D1PreparedStatement>,
}

/// The condition every guarded statement carries.
pub const GUARD: &str = "EXISTS (SELECT 1 FROM products g WHERE g.shop_id = ?1 AND g.sku = ?2 AND g.rev = ?3)";

impl Guarded<'_> {
    pub fn push(&mut self, sql: &str, params: Vec<JsValue>) -> Result<(), ApiError> {
        let mut all = self.head.clone();
        all.extend(params);
        self.statements.push(db::stmt(self.db, sql, all)?);
        Ok(())
    }
}

/// What a plan wants done besides its guarded statements.
pub struct Plan<T> {
    /// Units added to (or, negative, taken from) `on_hand`, floored at zero.
    pub on_hand_delta: i64,
    pub result: T,
}

/// Reads a snapshot, lets `plan` decide, and commits atomically if nothing changed in
/// between; re-plans after a lost race. With `dry_run`, plans once and commits nothing.
pub async fn commit<T>(
    ctx: &Ctx,
    shop: &ShopId,
    sku: &Sku,
    dry_run: bool,
    mut plan: impl FnMut(&Snapshot, &mut Guarded<'_>) -> Result<Plan<T>, ApiError>,
) -> Result<T, ApiError> {
    for _ in 0..ATTEMPTS {
        let snap = load_snapshot(ctx, shop, sku).await?;
        let rev = new_id("rev");
        let mut g = Guarded {
            db: &ctx.db,
            head: crate::args![shop.as_str(), sku.as_str(), rev.as_str(), ctx.now.millis()],
            statements: Vec::new(),
        };
        let planned = plan(&snap, &mut g)?;
        if dry_run {
            return Ok(planned.result);
        }
        let swap = db::stmt(
            &ctx.db,
            "UPDATE products SET rev = ?3, on_hand = MAX(on_hand + ?5, 0), updated_at = ?4 \
             WHERE shop_id = ?1 AND sku = ?2 AND rev = ?6",
            crate::args![
                shop.as_str(),
                sku.as_str(),
                rev.as_str(),
                ctx.now.millis(),
                planned.on_hand_delta,
                snap.facts.row.rev.as_str()
            ],
        )?;
        let mut statements = vec![swap];
        statements.extend(g.statements);
        let results = db::batch(&ctx.db, statements).await?;
        if results.first().map(db::changes) == Some(1) {
            return Ok(planned.result);
        }
    }
    Err(ApiError::Busy)
}

/// Adds the statements that carry out an allocation: complete the FIFO prefix of the
/// queue, top up the one partial fill, and owe each completed shopper an email.
pub fn apply_allocation(g: &mut Guarded<'_>, snap: &Snapshot, alloc: &Allocation<String>) -> Result<(), ApiError> {
    let seq_of = |id: &str| snap.queue.iter().find(|r| r.id == id).map(|r| r.seq);
    let completed: Vec<i64> = alloc
        .events
        .iter()
        .filter_map(|e| match e {
            AllocationEvent::Completed { id } => seq_of(id),
            AllocationEvent::Allocated { .. } => None,
        })
        .collect();
    if let Some(&last) = completed.iter().max() {
        // FIFO: the completed orders are exactly the open ones up to `last`.
        g.push(
            &format!(
                "UPDATE backorders SET allocated = quantity, status = 'allocated', updated_at = ?4 \
                 WHERE shop_id = ?1 AND sku = ?2 AND status = 'open' AND seq <= ?5 AND {GUARD}"
            ),
            crate::args![last],
        )?;
        g.push(
            &format!(
                "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, payload, created_at, updated_at) \
                 SELECT 'dl_' || lower(hex(randomblob(10))), shop_id, 'allocated:' || id, 'email', 'allocated', email, locale, sku, id, \
                        json_object('quantity', quantity, 'kind', kind), ?4, ?4 \
                 FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'allocated' AND seq <= ?5 AND updated_at = ?4 AND {GUARD}"
            ),
            crate::args![last],
        )?;
    }
    let completed_ids: Vec<&str> = alloc
        .events
        .iter()
        .filter_map(|e| match e {
            AllocationEvent::Completed { id } => Some(id.as_str()),
            AllocationEvent::Allocated { .. } => None,
        })
        .collect();
    for e in &alloc.events {
        if let AllocationEvent::Allocated { id, allocated, .. } = e
            && !completed_ids.contains(&id.as_str())
        {
            g.push(
                &format!(
                    "UPDATE backorders SET allocated = ?5, updated_at = ?4 \
                     WHERE shop_id = ?1 AND sku = ?2 AND id = ?6 AND status = 'open' AND {GUARD}"
                ),
                crate::args![*allocated, id.as_str()],
            )?;
        }
    }
    Ok(())
}

/// A planned waitlist wave, as recorded.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlannedRelease {
    pub id: String,
    pub notify: u32,
    pub hold_until: Option<i64>,
}

/// When units become sellable, plans the next waitlist wave (the domain decides how
/// many) and records it; the notification fan-out picks it up.
pub fn plan_release(
    g: &mut Guarded<'_>,
    ctx: &Ctx,
    sellable: u32,
    waiting: u32,
    rules: &ReleaseRules,
) -> Result<Option<PlannedRelease>, ApiError> {
    let Wave::Notify { count, hold_until, next_check_at } = plan_wave(sellable, waiting, rules, ctx.now) else {
        return Ok(None);
    };
    let id = new_id("rl");
    g.push(
        &format!(
            "INSERT INTO releases (id, shop_id, sku, wave, sellable, target, planned, hold_until, next_check_at, status, created_at, updated_at) \
             SELECT ?5, ?1, ?2, (SELECT COALESCE(MAX(wave), 0) + 1 FROM releases WHERE shop_id = ?1 AND sku = ?2), \
                    ?6, ?7, 0, ?8, ?9, 'planning', ?4, ?4 WHERE {GUARD}"
        ),
        crate::args![id.as_str(), sellable, count, hold_until.map(|t| t.millis()), next_check_at.millis()],
    )?;
    Ok(Some(PlannedRelease { id, notify: count, hold_until: hold_until.map(|t| t.millis()) }))
}

/// The outcome of receiving units (or of a preview of it).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Received {
    pub received: u32,
    pub allocated: u32,
    /// Backorders that became fully allocated (ready to ship).
    pub backorders_completed: u32,
    /// Backorders that got some, but not all, of their units.
    pub backorders_partial: u32,
    /// Units left over that became sellable.
    pub to_stock: u32,
    /// Sellable units afterwards.
    pub sellable: u32,
    pub release: Option<PlannedRelease>,
    pub preview: bool,
}

/// Plans receiving `units`: FIFO allocation, the remainder to stock, a waitlist wave.
pub fn plan_receive(
    g: &mut Guarded<'_>,
    ctx: &Ctx,
    snap: &Snapshot,
    units: u32,
    rules: &ReleaseRules,
    preview: bool,
) -> Result<Plan<Received>, ApiError> {
    let alloc = allocate(&snap.orders(), units);
    apply_allocation(g, snap, &alloc)?;
    let completed = alloc.events.iter().filter(|e| matches!(e, AllocationEvent::Completed { .. })).count() as u32;
    let touched = alloc.events.iter().filter(|e| matches!(e, AllocationEvent::Allocated { .. })).count() as u32;
    let sellable = snap.facts.stock.sellable().saturating_add(alloc.sellable);
    let release = if alloc.sellable > 0 && !snap.facts.settings.discontinued {
        plan_release(g, ctx, sellable, snap.waiting, rules)?
    } else {
        None
    };
    Ok(Plan {
        on_hand_delta: i64::from(alloc.sellable),
        result: Received {
            received: units,
            allocated: alloc.allocated(),
            backorders_completed: completed,
            backorders_partial: touched - completed,
            to_stock: alloc.sellable,
            sellable,
            release,
            preview,
        },
    })
}
