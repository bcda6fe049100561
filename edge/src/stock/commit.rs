//! The one executor of stock plans.
//!
//! Every change to a SKU's stock, queue, purchase orders, promises or release window
//! is planned by the domain (`restock_shared::plan`) from one consistent read, and
//! carried out here, in one D1 batch. D1 has no interactive transactions, so the batch
//! is committed with optimistic concurrency: its first statement swaps the product's
//! `rev` from the value read to a fresh one, and every other statement is guarded on
//! the fresh one ([`GUARD`]). If anything changed the product in between (another
//! plan, a reported sale), the swap matches no row, nothing applies, and the plan is
//! made again from a new read. A preview runs the same planning and serializes the
//! same plan ([`Committed::view`]) without writing, so the two cannot differ.
//!
//! Placing a backorder does not bump `rev` (an order storm would starve receives);
//! instead a plan that puts units on sale also requires that no order was placed
//! after its read, since that order would have had to come first.

use restock_shared::wire::AvailabilityView;
use restock_shared::{
    AllocationEvent, Clock, Date, Facts, IncomingPo, Op, OpenOrder, OpenRelease, ProductSettings, ProductState,
    QueuedOrder, ReleasePlan, ShopId, Sku, StockPlan, Timestamp, availability, plan,
};
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use worker::D1Result;

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db::{self, Db, Stmt};
use crate::error::ApiError;
use crate::notify::{self, Outgoing};
use crate::shops::ShopRow;
use crate::stock::store::{ProductFacts, facts_statements, parse_facts};

/// How many times a plan is made again after losing a race before answering 503.
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
    /// The platform whose order this is (`connect`), and when the platform took it.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub platform_at: Option<i64>,
}

impl QueueRow {
    /// The row as the domain's open order; stored data that does not parse is an
    /// error, never a silent 0 (which would count the order as complete).
    pub fn open(&self) -> Result<OpenOrder<String>, ApiError> {
        let bad = |what: &str| ApiError::Internal(format!("stored backorder {} has an invalid {what}", self.id));
        let date = |d: &Option<String>, what| d.as_deref().map(Date::parse).transpose().map_err(|_| bad(what));
        let quantity = u32::try_from(self.quantity).ok().filter(|&q| q > 0).ok_or_else(|| bad("quantity"))?;
        let allocated =
            u32::try_from(self.allocated).ok().filter(|&a| a <= quantity).ok_or_else(|| bad("allocated"))?;
        Ok(OpenOrder {
            order: QueuedOrder {
                id: self.id.clone(),
                quantity,
                allocated,
                placed_on: Date::parse(&self.placed_on).map_err(|_| bad("placed_on"))?,
                promised: date(&self.current_promise, "current_promise")?,
            },
            projected: date(&self.projected_date, "projected_date")?,
        })
    }
}

/// The SKU's open release window, as stored.
#[derive(Clone, Debug, Deserialize)]
pub struct ReleaseRow {
    pub id: String,
    pub wave: i64,
    /// Units the window has announced.
    pub sellable: i64,
    pub target: i64,
    pub planned: i64,
    pub next_check_at: i64,
}

impl ReleaseRow {
    fn open(&self) -> OpenRelease {
        let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        OpenRelease {
            units: n(self.sellable),
            target: n(self.target),
            planned: n(self.planned),
            next_check_at: Timestamp::from_millis(self.next_check_at),
        }
    }
}

/// An open purchase order with its id.
#[derive(Clone, Debug, Deserialize)]
pub struct OpenPo {
    pub id: String,
    pub quantity: i64,
    pub expected_date: String,
}

impl OpenPo {
    pub fn incoming(&self) -> Result<IncomingPo, ApiError> {
        let bad = || ApiError::Internal(format!("stored purchase order {} is invalid", self.id));
        Ok(IncomingPo {
            quantity: u32::try_from(self.quantity).map_err(|_| bad())?,
            expected: Date::parse(&self.expected_date).map_err(|_| bad())?,
        })
    }
}

/// Everything a plan reads, from one consistent batch.
pub struct Snapshot {
    pub facts: ProductFacts,
    pub queue: Vec<QueueRow>,
    /// Confirmed subscribers not yet notified.
    pub waiting: u32,
    pub release: Option<ReleaseRow>,
    pub first_hold_end: Option<i64>,
    pub pos: Vec<OpenPo>,
}

impl Snapshot {
    /// The purchase order `id` if it is open.
    pub fn open_po(&self, id: &str) -> Option<&OpenPo> {
        self.pos.iter().find(|p| p.id == id)
    }

    /// The open purchase orders after a change to one of them: `id` is left out (it
    /// was received or cancelled) or, with `edited`, replaced; `added` joins them.
    pub fn incoming_after(
        &self,
        id: Option<&str>,
        edited: Option<IncomingPo>,
        added: Option<IncomingPo>,
    ) -> Result<Vec<IncomingPo>, ApiError> {
        let mut out = Vec::with_capacity(self.pos.len() + 1);
        for po in &self.pos {
            if Some(po.id.as_str()) == id {
                out.extend(edited);
            } else {
                out.push(po.incoming()?);
            }
        }
        out.extend(added);
        Ok(out)
    }

    fn plan_facts(&self, change: &Change) -> Result<Facts<String>, ApiError> {
        let queue = self.queue.iter().map(QueueRow::open).collect::<Result<Vec<_>, _>>()?;
        Ok(Facts {
            settings: change.settings.unwrap_or(self.facts.settings),
            stock: self.facts.stock,
            queue,
            incoming: change.incoming.clone().unwrap_or_else(|| self.facts.incoming.clone()),
            waiting: self.waiting,
            release: self.release.as_ref().map(ReleaseRow::open),
            first_hold_end: self.first_hold_end.map(Timestamp::from_millis),
        })
    }
}

pub const QUEUE_COLUMNS: &str = "id, seq, kind, email, locale, quantity, allocated, placed_on, current_promise, projected_date, delayed, created_at, source, platform_at";

#[derive(Deserialize)]
struct Count {
    n: i64,
}

#[derive(Deserialize)]
struct HoldEnd {
    end: Option<i64>,
}

/// Loads a product's facts, open queue, waiting count, open release and purchase
/// orders in one batch.
pub async fn load_snapshot(ctx: &Ctx, shop: &ShopId, sku: &Sku) -> Result<Snapshot, ApiError> {
    let mut statements = facts_statements(&ctx.db, shop, std::slice::from_ref(sku), ctx.now)?;
    let two = || crate::args![shop.as_str(), sku.as_str()];
    let reads = [
        format!(
            "SELECT {QUEUE_COLUMNS} FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open' ORDER BY seq"
        ),
        "SELECT COUNT(*) AS n FROM waitlist WHERE shop_id = ?1 AND sku = ?2 AND status = 'active'".into(),
        "SELECT id, wave, sellable, target, planned, next_check_at FROM releases \
         WHERE shop_id = ?1 AND sku = ?2 AND status IN ('planning', 'sent')"
            .into(),
        "SELECT id, quantity, expected_date FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open' \
         ORDER BY expected_date, created_at"
            .into(),
    ];
    for sql in &reads {
        statements.push(db::stmt(&ctx.db, sql, two())?);
    }
    statements.push(db::stmt(
        &ctx.db,
        "SELECT MIN(hold_until) AS end FROM waitlist WHERE shop_id = ?1 AND sku = ?2 AND status = 'notified' \
         AND hold_until > ?3 AND converted_at IS NULL",
        crate::args![shop.as_str(), sku.as_str(), ctx.now.millis()],
    )?);
    let results = db::batch(&ctx.db, statements).await?;
    let [products, po_facts, queue, waiting, release, pos, hold] = results.as_slice() else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let facts = parse_facts(products, po_facts, std::slice::from_ref(sku))?
        .pop()
        .ok_or_else(|| ApiError::not_found("product_not_found", "this shop has no product with this SKU"))?;
    let waiting = db::rows::<Count>(waiting)?.first().map_or(0, |c| u32::try_from(c.n).unwrap_or(0));
    Ok(Snapshot {
        facts,
        queue: db::rows(queue)?,
        waiting,
        release: db::rows::<ReleaseRow>(release)?.pop(),
        first_hold_end: db::rows::<HoldEnd>(hold)?.pop().and_then(|h| h.end),
        pos: db::rows(pos)?,
    })
}

/// The condition every guarded statement carries: `?1` shop, `?2` sku, `?3` the fresh
/// rev, `?4` now come first in each guarded statement's parameters.
pub const GUARD: &str = "EXISTS (SELECT 1 FROM products g WHERE g.shop_id = ?1 AND g.sku = ?2 AND g.rev = ?3)";

/// A guarded statement: SQL using `?1`-`?4` (see [`GUARD`]) and its own parameters
/// from `?5`.
pub type Guarded = (String, Vec<JsValue>);

/// One operation, as its handler describes it for the plan.
pub struct Change {
    pub op: Op<String>,
    /// Settings to plan with (a product's `PUT`); `None`: the stored ones.
    pub settings: Option<ProductSettings>,
    /// Purchase orders to plan with (a purchase-order change); `None`: the stored ones.
    pub incoming: Option<Vec<IncomingPo>>,
    /// The product name the answer shows (a `PUT` renames).
    pub name: Option<String>,
    /// The operation's own writes (the settings, the purchase order), guarded.
    pub writes: Vec<Guarded>,
    /// The operation's own webhook events.
    pub events: Vec<(String, Value)>,
}

impl Change {
    pub fn new(op: Op<String>) -> Change {
        Change { op, settings: None, incoming: None, name: None, writes: Vec::new(), events: Vec::new() }
    }
}

/// A plan, committed (or previewed).
pub struct Committed {
    pub plan: StockPlan<String>,
    /// The plan in the API's words (the answer of a receive, and every preview).
    pub view: Value,
    /// The results of the `reads` run in the same batch, after the writes: the state
    /// this change produced, not a later one.
    pub reads: Vec<D1Result>,
}

/// Plans `change` on a fresh read and commits it in one batch, re-planning after a
/// lost race; then starts the release, kicks the queue and refreshes KV. With
/// `dry_run`, plans once and writes nothing.
pub async fn commit(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &Sku,
    dry_run: bool,
    mut change: impl FnMut(&Snapshot) -> Result<Change, ApiError>,
    reads: impl Fn(&Db) -> Result<Vec<Stmt>, ApiError>,
) -> Result<Committed, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let clock = Clock { today: ctx.today(), now: ctx.now };
    for _ in 0..ATTEMPTS {
        let snap = load_snapshot(ctx, &shop_id, sku).await?;
        let c = change(&snap)?;
        let facts = snap.plan_facts(&c)?;
        let p = plan(&facts, &c.op, &shop.rules(), &shop.release_rules(), clock)
            .map_err(|e| ApiError::Conflict { code: e.code(), detail: e.to_string() })?;
        let rev = new_id("rev");
        let release_id = match p.release {
            ReleasePlan::Start { .. } => Some(new_id("rl")),
            ReleasePlan::Extend { .. } => snap.release.as_ref().map(|r| r.id.clone()),
            _ => None,
        };
        // A preview names no release that does not exist yet.
        let shown =
            if dry_run && matches!(p.release, ReleasePlan::Start { .. }) { None } else { release_id.as_deref() };
        let view = view(ctx, shop, sku, &snap, &c, &facts, &p, shown, dry_run);
        if dry_run {
            return Ok(Committed { plan: p, view, reads: Vec::new() });
        }
        let mut statements = vec![swap(ctx, &shop_id, sku, &snap, &rev, &p)?];
        let head = crate::args![shop_id.as_str(), sku.as_str(), rev.as_str(), ctx.now.millis()];
        let mut guarded = c.writes;
        guarded.extend(allocation(&snap, &p));
        guarded.extend(release(&snap, &p, release_id.as_deref()));
        guarded.extend(promises(ctx, shop, sku, &snap, &p)?);
        let mut events = c.events;
        events.extend(plan_events(sku, &snap, &p, release_id.as_deref()));
        for (event, data) in events {
            guarded.push(notify::webhook(ctx, shop, &event, data).insert(ctx, 5, GUARD));
        }
        for (sql, params) in guarded {
            let mut all = head.clone();
            all.extend(params);
            statements.push(db::stmt(&ctx.db, &sql, all)?);
        }
        let trailing = reads(&ctx.db)?;
        let n = trailing.len();
        statements.extend(trailing);
        let mut results = db::batch(&ctx.db, statements).await?;
        if results.first().map(db::changes) != Some(1) {
            continue;
        }
        let reads = results.split_off(results.len().saturating_sub(n));
        crate::admin::audit::note(
            ctx,
            "stock",
            json!({ "sku": sku.as_str(), "on_hand": { "before": snap.facts.row.on_hand, "after": p.on_hand },
                    "received": p.received, "allocated": p.allocation.allocated(), "says": view["says"] }),
        );
        if let Some(id) = &release_id {
            notify::start_release(ctx, id).await;
        }
        crate::availability::api::refresh(ctx, &shop_id, sku).await;
        notify::kick(ctx);
        return Ok(Committed { plan: p, view, reads });
    }
    Err(ApiError::Busy)
}

/// The first statement: the `rev` swap, which also sets on hand. A plan that puts
/// units on sale also requires that no order arrived after the read.
fn swap(
    ctx: &Ctx,
    shop: &ShopId,
    sku: &Sku,
    snap: &Snapshot,
    rev: &str,
    p: &StockPlan<String>,
) -> Result<Stmt, ApiError> {
    let last_seq = snap.queue.last().map_or(0, |r| r.seq);
    let tail = if p.free > 0 {
        "AND NOT EXISTS (SELECT 1 FROM backorders n WHERE n.shop_id = ?1 AND n.sku = ?2 AND n.status = 'open' AND n.seq > ?7)"
    } else {
        "AND ?7 IS NOT NULL"
    };
    db::stmt(
        &ctx.db,
        &format!(
            "UPDATE products SET rev = ?3, on_hand = ?5, updated_at = ?4 WHERE shop_id = ?1 AND sku = ?2 AND rev = ?6 {tail}"
        ),
        crate::args![
            shop.as_str(),
            sku.as_str(),
            rev,
            ctx.now.millis(),
            p.on_hand,
            snap.facts.row.rev.as_str(),
            last_seq
        ],
    )
}

/// Complete the FIFO prefix of the queue, top up the partial fills, and owe each
/// completed shopper an email.
fn allocation(snap: &Snapshot, p: &StockPlan<String>) -> Vec<Guarded> {
    let seq_of = |id: &str| snap.queue.iter().find(|r| r.id == id).map(|r| r.seq);
    let completed: Vec<&String> = p.completed().collect();
    let mut out = Vec::new();
    if let Some(last) = completed.iter().filter_map(|id| seq_of(id)).max() {
        out.push((
            format!(
                "UPDATE backorders SET allocated = quantity, status = 'allocated', updated_at = ?4 \
                 WHERE shop_id = ?1 AND sku = ?2 AND status = 'open' AND seq <= ?5 AND {GUARD}"
            ),
            crate::args![last],
        ));
        out.push((
            format!(
                "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, payload, created_at, updated_at) \
                 SELECT 'dl_' || lower(hex(randomblob(10))), shop_id, 'allocated:' || id, 'email', 'allocated', email, locale, sku, id, \
                        json_object('quantity', quantity, 'kind', kind), ?4, ?4 \
                 FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'allocated' AND seq <= ?5 AND updated_at = ?4 AND {GUARD}"
            ),
            crate::args![last],
        ));
    }
    for e in &p.allocation.events {
        if let AllocationEvent::Allocated { id, allocated, .. } = e
            && !completed.contains(&id)
        {
            out.push((
                format!(
                    "UPDATE backorders SET allocated = ?5, updated_at = ?4 \
                     WHERE shop_id = ?1 AND sku = ?2 AND id = ?6 AND status = 'open' AND {GUARD}"
                ),
                crate::args![*allocated, id.as_str()],
            ));
        }
    }
    out
}

/// The release window's statements. At most one window is open per SKU: the schema
/// enforces it (`releases_one_open`), and a new one is inserted only with the old one
/// closed in the same batch.
fn release(snap: &Snapshot, p: &StockPlan<String>, new: Option<&str>) -> Vec<Guarded> {
    let open = snap.release.as_ref().map(|r| r.id.as_str());
    let close = |id: &str, next: Option<&str>| {
        (
            format!(
                "UPDATE releases SET status = 'done', next_release_id = ?6, updated_at = ?4 \
                 WHERE id = ?5 AND status IN ('planning', 'sent') AND {GUARD}"
            ),
            crate::args![id, next.map(str::to_owned)],
        )
    };
    match (p.release, open) {
        (ReleasePlan::Start { units, target, hold_until, next_check_at, .. }, _) => {
            let mut out: Vec<Guarded> = open.map(|id| close(id, new)).into_iter().collect();
            out.push((
                format!(
                    "INSERT INTO releases (id, shop_id, sku, wave, sellable, target, planned, hold_until, next_check_at, status, created_at, updated_at) \
                     SELECT ?5, ?1, ?2, (SELECT COALESCE(MAX(wave), 0) + 1 FROM releases WHERE shop_id = ?1 AND sku = ?2), \
                            ?6, ?7, 0, ?8, ?9, 'planning', ?4, ?4 WHERE {GUARD}"
                ),
                crate::args![new.map(str::to_owned), units, target, hold_until.map(|t| t.millis()), next_check_at.millis()],
            ));
            out
        }
        (ReleasePlan::Extend { units, target }, Some(id)) => vec![(
            format!(
                "UPDATE releases SET sellable = ?6, target = ?7, updated_at = ?4, \
                   status = CASE WHEN ?7 > planned THEN 'planning' ELSE status END \
                 WHERE id = ?5 AND status IN ('planning', 'sent') AND {GUARD}"
            ),
            crate::args![id, units, target],
        )],
        (ReleasePlan::Wait { next_check_at }, Some(id)) => vec![(
            format!("UPDATE releases SET next_check_at = ?6, updated_at = ?4 WHERE id = ?5 AND {GUARD}"),
            crate::args![id, next_check_at.millis()],
        )],
        (ReleasePlan::Close, Some(id)) => vec![close(id, None)],
        _ => Vec::new(),
    }
}

/// Rows per JSON array in one statement: a promise row is about 100 bytes and a
/// notice about 400, so a bound value stays under D1's 2 MB (`limits::check_value`
/// refuses one that would not), and a SKU's queue of 20,000 open backorders is 10
/// statements of each, well within a batch.
const JSON_ROWS: usize = 2000;

/// Projections and promises, and the delay notices owed: one statement per
/// [`JSON_ROWS`] changes, in the same batch as everything else, so a notice exists
/// exactly when its promise moved.
fn promises(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &Sku,
    snap: &Snapshot,
    p: &StockPlan<String>,
) -> Result<Vec<Guarded>, ApiError> {
    let iso = |d: Option<Date>| d.map(Date::to_iso);
    let mut out = Vec::new();
    for chunk in p.promises.chunks(JSON_ROWS) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|c| json!({ "id": c.id, "p": iso(c.projected), "c": iso(c.promise), "d": i64::from(c.delayed) }))
            .collect();
        out.push((
            format!(
                "UPDATE backorders SET projected_date = json_extract(j.value, '$.p'), current_promise = json_extract(j.value, '$.c'), \
                   delayed = MAX(delayed, json_extract(j.value, '$.d')), updated_at = ?4 \
                 FROM json_each(?5) j \
                 WHERE backorders.shop_id = ?1 AND backorders.sku = ?2 AND backorders.id = json_extract(j.value, '$.id') \
                   AND backorders.status = 'open' AND {GUARD}"
            ),
            crate::args![Value::Array(rows).to_string()],
        ));
    }
    let notices: Vec<Outgoing> = p
        .promises
        .iter()
        .filter(|c| c.delayed)
        .filter_map(|c| {
            let row = snap.queue.iter().find(|r| r.id == c.id)?;
            let (old, new) = (iso(c.promise_before), iso(c.promise));
            let key = format!(
                "delay:{}:{}->{}",
                row.id,
                old.as_deref().unwrap_or("none"),
                new.as_deref().unwrap_or("unknown")
            );
            let payload = json!({ "backorder_id": row.id, "previous": old, "new_date": new });
            Some(Outgoing::email(&shop.id, "delay", &row.email, &row.locale, key, payload).about(sku.as_str(), &row.id))
        })
        .collect();
    for chunk in notices.chunks(JSON_ROWS) {
        out.push(Outgoing::insert_many(ctx, chunk, 5, GUARD)?);
    }
    Ok(out)
}

/// The webhook events a plan causes.
fn plan_events(sku: &Sku, snap: &Snapshot, p: &StockPlan<String>, release: Option<&str>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if p.received > 0 {
        out.push((
            "stock.received".into(),
            json!({ "sku": sku.as_str(), "received": p.received, "allocated": p.allocation.allocated(),
                    "backorders_completed": p.completed().count(), "to_stock": p.freed }),
        ));
    }
    let notify = p.notifies(snap.release.as_ref().map(ReleaseRow::open).as_ref());
    if let (Some(id), true) = (release, notify > 0) {
        out.push(("restock.released".into(), json!({ "sku": sku.as_str(), "release_id": id, "notify": notify })));
    }
    let iso = |d: Option<Date>| d.map(Date::to_iso);
    for c in p.promises.iter().filter(|c| c.projected != c.projected_before) {
        out.push((
            "eta.changed".into(),
            json!({ "id": c.id, "sku": sku.as_str(), "previous": iso(c.projected_before),
                    "projected_date": iso(c.projected), "position": c.position }),
        ));
    }
    out
}

/// The plan in the API's words: what a receive answers, and what every preview is.
#[allow(clippy::too_many_arguments)]
fn view(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &Sku,
    snap: &Snapshot,
    c: &Change,
    facts: &Facts<String>,
    p: &StockPlan<String>,
    release_id: Option<&str>,
    preview: bool,
) -> Value {
    let open = facts.release;
    let queue: Vec<QueuedOrder<String>> = p.allocation.queue.clone();
    let owed = restock_shared::outstanding(&queue);
    let stock = restock_shared::Stock { on_hand: p.on_hand, held: facts.stock.held };
    let state = ProductState { settings: &facts.settings, stock, queued: owed, incoming: &facts.incoming };
    let a = availability(&state, &shop.rules(), ctx.today());
    let name = c.name.as_deref().unwrap_or(&snap.facts.row.name);
    let release = match p.release {
        ReleasePlan::Start { units, hold_until, next_check_at, next, .. } => Some(json!({
            "id": release_id, "action": if next { "next_wave" } else { "start" }, "units": units,
            "notify": p.notifies(open.as_ref()), "hold_until": hold_until.map(|t| t.millis()), "next_check_at": next_check_at.millis(),
        })),
        ReleasePlan::Extend { units, .. } => Some(json!({
            "id": release_id, "action": "extend", "units": units, "notify": p.notifies(open.as_ref()),
            "hold_until": null, "next_check_at": open.map(|o| o.next_check_at.millis()),
        })),
        ReleasePlan::Keep | ReleasePlan::Wait { .. } | ReleasePlan::Close => None,
    };
    json!({
        "preview": preview,
        "says": p.says(open.as_ref()),
        "received": p.received,
        "allocated": p.allocation.allocated(),
        "backorders_completed": p.completed().count(),
        "backorders_partial": p.partial(),
        "to_stock": p.freed,
        "on_hand": p.on_hand,
        "sellable": p.free,
        "release": release,
        "promises": {
            "open": p.open,
            "changed": p.promises.iter().filter(|c| c.projected != c.projected_before).count(),
            "delayed": p.delays(),
        },
        "availability": AvailabilityView::new(sku.as_str(), name, &a),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(quantity: i64, allocated: i64, promise: Option<&str>) -> QueueRow {
        QueueRow {
            id: "bo_1".into(),
            seq: 1,
            kind: "backorder".into(),
            email: "a@example.com".into(),
            locale: "en".into(),
            quantity,
            allocated,
            placed_on: "2027-01-15".into(),
            current_promise: promise.map(str::to_owned),
            projected_date: None,
            delayed: 0,
            created_at: 0,
            source: None,
            platform_at: None,
        }
    }

    #[test]
    fn stored_rows_that_do_not_parse_are_errors_not_zeros() {
        assert_eq!(row(3, 1, Some("2027-02-01")).open().map(|o| o.order.outstanding()).ok(), Some(2));
        // A quantity of 0 or below would have counted as complete; a bad date as none.
        for bad in [row(0, 0, None), row(-2, 0, None), row(2, 3, None), row(2, 0, Some("soon"))] {
            assert!(matches!(bad.open(), Err(ApiError::Internal(_))), "{bad:?}");
        }
    }
}
