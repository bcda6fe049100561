//! The reconciliation: webhooks get lost and arrive late, so the scheduled job reads
//! each connected platform's catalog and counts from its API, a page at a time, and
//! applies them like a webhook would (`apply::catalog`: mapping, new products, counts,
//! a stock plan for each SKU whose count differed). What differed is the *drift*:
//! counted per pass (units and SKUs) and shown on the Connections page with the time
//! the last pass finished.
//!
//! Bounded by the invocation's `SUBREQUEST_LIMIT` (50 on the Free plan to 1,000 on
//! Paid), through `connect::budget`'s measured costs, and by [`PAGES_PER_RUN`] pages
//! per connection per run (the platforms' API rate limits):
//! - a page is asked for only if it fits what is left (Shopify: with its first
//!   variant's other locations; a variant whose other locations no longer fit ends
//!   the page before it, through its edge's cursor, and is read by the next run);
//! - its counts are all stored, and its SKUs planned while a whole plan fits; the
//!   others are kept on the cursor ([`Cursor::plan`], where webhooks leave theirs too)
//!   and planned first by the next run, which reads no page before they are done.
//!
//! So every run moves the pass on: it plans at least one SKU left to it, or reads a
//! page past the cursor, or finishes the pass. The cursor is stored after every page,
//! so the next run resumes where this one stopped. A platform that asks us to wait
//! (429, Shopify's THROTTLED) is left alone until its `Retry-After`; one that refuses
//! (401, 404) is noted and tried again in an hour. A finished pass starts again
//! [`EVERY_MS`] later (or at once with "Resync"). The webhook log keeps
//! [`EVENTS_KEPT_MS`], pruned here a bounded number of rows per run.

use serde::Deserialize;
use serde_json::{Value, json};
use worker::Method;

use crate::connect::apply::{self, Failure};
use crate::connect::model::{CallError, Variant};
use crate::connect::store::{self, ConnectionRow};
use crate::connect::{Platform, bigcommerce, budget, fetch, shopify, woocommerce};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::shops::{ShopRow, load_shop};
use restock_shared::Sku;

/// Pages one run reads per connection.
pub const PAGES_PER_RUN: u32 = 10;
/// A finished pass starts again this much later.
pub const EVERY_MS: i64 = 6 * 3_600_000;
/// Connections one run visits (per database).
const CONNECTIONS_PER_RUN: i64 = 20;

/// How long the webhook log keeps a delivery (and its id for deduplication: the
/// platforms retry for at most two days).
pub const EVENTS_KEPT_MS: i64 = 30 * 86_400_000;
/// Log rows one run removes.
const EVENTS_PRUNED_PER_RUN: i64 = 500;

/// One run: the webhook log's old rows pruned (a bounded number), then every
/// connection that is due, while the budget lasts. Errors stay with their connection
/// (noted on it); the run goes on.
pub async fn run(ctx: &Ctx) -> Result<u32, ApiError> {
    let now = ctx.now.millis();
    db::run(db::stmt(
        &ctx.db,
        "DELETE FROM hook_events WHERE seq IN (SELECT seq FROM hook_events WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)",
        crate::args![now - EVENTS_KEPT_MS, EVENTS_PRUNED_PER_RUN],
    )?)
    .await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM connections WHERE status = 'active' AND next_sync_at <= ?1 \
           AND (sync_retry_at IS NULL OR sync_retry_at <= ?1) ORDER BY next_sync_at, id LIMIT ?2",
        crate::args![now, CONNECTIONS_PER_RUN],
    )?;
    let due: Vec<ConnectionRow> = db::all(s).await?;
    let mut pages = 0;
    for c in &due {
        // The shop's row, then a plan or a page: neither fits, the run is done.
        if ctx.meter.remaining() < 1 + budget::AFTER_SYNC + budget::PLAN.min(budget::page_cost(Platform::Shopify, 1)) {
            break;
        }
        let Ok(shop_id) = restock_shared::ShopId::parse(&c.shop_id) else { continue };
        let shop = match load_shop(&ctx.db, &shop_id).await {
            Ok(s) => s,
            Err(e) => {
                worker::console_error!("sync {}: {e:?}", c.id);
                continue;
            }
        };
        match step(ctx, &shop, c).await {
            Ok(n) => pages += n,
            Err(e) => {
                store::note_error(ctx, c, &format!("reconciliation: {}", e.problem().detail)).await;
                worker::console_error!("sync {}: {e:?}", c.id);
            }
        }
    }
    Ok(pages)
}

/// Where a pass is.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Cursor {
    /// Shopify: the GraphQL cursor after the last page read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// WooCommerce and BigCommerce: the next page (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// WooCommerce: variable products of the last page whose variations are still to
    /// be read (id, name), and the next page of the first one's variations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variable: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpage: Option<u32>,
    /// The pass has read its last page: once [`Cursor::plan`] is done, it ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end: bool,
    /// SKUs whose platform counts are stored but whose plans did not fit the run (or
    /// the webhook) that stored them: the next run plans them before anything else.
    /// Stored by merging (`store::merged_plans`), never by overwriting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<String>,
}

impl Cursor {
    /// Where the pass is, without the SKUs to plan.
    fn position(&self) -> Cursor {
        Cursor { plan: Vec::new(), ..self.clone() }
    }
}

/// One page of the platform's catalog after `cursor`, of `first` variants at most
/// (Shopify; the others' pages keep the platform's size, `budget::page_size`), and
/// the cursor after it (`None`: the pass is done).
pub async fn page(
    ctx: &Ctx,
    c: &ConnectionRow,
    cursor: &Cursor,
    first: u32,
) -> Result<(Vec<Variant>, Option<Cursor>), CallError> {
    let base = c.api_base();
    match c.platform().map_err(|e| CallError::Broken(e.problem().detail))? {
        Platform::Shopify => {
            let version = c.api_version.as_deref().unwrap_or(shopify::API_VERSION);
            let (url, body) = shopify::variants_request(&base, version, first, cursor.after.as_deref());
            let h = shopify::headers(&c.api_token);
            let reply = fetch::call(ctx, Method::Post, &url, &h, Some(&body)).await?;
            let mut p = shopify::variants_page(&reply)?;
            // What the rest of the page costs once the call is made (its D1 work and
            // the cursor), whatever extra locations are read.
            let page_rest = budget::page_cost(Platform::Shopify, u32::try_from(p.variants.len()).unwrap_or(u32::MAX))
                .saturating_sub(1);
            // Variants at more locations than the page read: the rest of their
            // counts, or none (never a partial sum). A variant whose reads may not fit
            // what is left ends the page before it: the next run starts at its edge.
            for (i, item, cursor) in std::mem::take(&mut p.more_levels) {
                // The page started only with its first variant's locations affordable
                // (`budget::page_size`), so a cut page still moves the cursor on.
                let before = i.checked_sub(1).and_then(|b| p.cursors.get(b));
                if let Some(before) = before
                    && !budget::extra_fits(ctx.meter.remaining(), page_rest, budget::AFTER_SYNC)
                {
                    p.next = Some(before.clone());
                    p.variants.truncate(i);
                    break;
                }
                let mut after = Some(cursor);
                let mut pages = 0;
                while let Some(cursor) = after.take() {
                    if pages == shopify::LEVELS_PAGES {
                        after = Some(cursor);
                        break;
                    }
                    let (url, body) = shopify::levels_request(&base, version, &item, &cursor);
                    let reply = fetch::call(ctx, Method::Post, &url, &h, Some(&body)).await?;
                    let (levels, next) = shopify::levels_page(&reply, &item)?;
                    if let Some(v) = p.variants.get_mut(i) {
                        v.levels.extend(levels);
                    }
                    after = next;
                    pages += 1;
                }
                if let Some(v) = p.variants.get_mut(i) {
                    if after.is_some() {
                        v.levels.clear();
                        v.total = None;
                    } else {
                        v.total = Some(v.levels.iter().map(|l| l.available).sum());
                    }
                }
            }
            Ok((p.variants, p.next.map(|after| Cursor { after: Some(after), ..Cursor::default() })))
        }
        Platform::BigCommerce => {
            // A page of variants (250 at most, whatever the products hold), then the
            // facts of their products (one call: at most 250 ids).
            let n = cursor.page.unwrap_or(1);
            let h = bigcommerce::headers(&c.api_token);
            let reply = fetch::call(ctx, Method::Get, &bigcommerce::variants_url(&base, n), &h, None).await?;
            let p = bigcommerce::variants_page(&reply)?;
            let variants = if p.product_ids.is_empty() {
                Vec::new()
            } else {
                let url = bigcommerce::products_info_url(&base, &p.product_ids);
                let products = fetch::call(ctx, Method::Get, &url, &h, None).await?;
                bigcommerce::page_variants(&p, &products, ctx.now)?
            };
            Ok((variants, p.more.then(|| Cursor { page: Some(n + 1), ..Cursor::default() })))
        }
        Platform::WooCommerce => {
            let h = woocommerce::headers(c.api_key.as_deref().unwrap_or_default(), &c.api_token);
            if let Some((id, name)) = cursor.variable.first() {
                let vpage = cursor.vpage.unwrap_or(1);
                let url = woocommerce::variations_url(&base, id, vpage);
                let reply = fetch::call(ctx, Method::Get, &url, &h, None).await?;
                let (variants, pages) = woocommerce::variations_page(&reply, id, name)?;
                let mut next = cursor.clone();
                if vpage < pages {
                    next.vpage = Some(vpage + 1);
                } else {
                    next.variable.remove(0);
                    next.vpage = None;
                }
                let done = next.variable.is_empty() && next.page.is_none();
                return Ok((variants, (!done).then_some(next)));
            }
            let n = cursor.page.unwrap_or(1);
            let reply = fetch::call(ctx, Method::Get, &woocommerce::products_url(&base, n), &h, None).await?;
            let p = woocommerce::products_page(&reply)?;
            let next_page = (n < p.total_pages).then_some(n + 1);
            let next = Cursor { page: next_page, variable: p.variable, ..Cursor::default() };
            let done = next.variable.is_empty() && next.page.is_none();
            Ok((p.variants, (!done).then_some(next)))
        }
    }
}

/// One run's step for connection `c`: first the SKUs left to plan ([`Cursor::plan`]),
/// then, if they are all done and a pass is due, up to [`PAGES_PER_RUN`] pages while
/// the budget lasts (`connect::budget`), each applied and its progress stored. A page
/// whose plans do not all fit leaves them on the cursor, and no page is read after
/// it in this run. Returns the pages read.
pub async fn step(ctx: &Ctx, shop: &ShopRow, c: &ConnectionRow) -> Result<u32, ApiError> {
    let platform = c.platform()?;
    let mut cursor: Cursor = match &c.sync_cursor {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| ApiError::Internal(format!("connection {} has an unreadable cursor: {e}", c.id)))?,
        None => Cursor::default(),
    };
    let now = ctx.now.millis();
    let keep = budget::AFTER_SYNC + budget::SAVE;
    // What earlier runs and webhooks left: planned first, each whole.
    let mut planned: Vec<String> = Vec::new();
    for sku in &cursor.plan {
        if budget::plans(ctx.meter.remaining(), keep) == 0 {
            break;
        }
        if let Ok(parsed) = Sku::parse(sku) {
            apply::sync_sku(ctx, shop, c, &parsed).await?;
        }
        planned.push(sku.clone());
    }
    let all_planned = planned.len() == cursor.plan.len();
    let pages_due = c.next_sync_at <= now && c.sync_retry_at.is_none_or(|t| t <= now);
    if !all_planned || !pages_due || cursor.end {
        // The pass ends once its last page's plans are done.
        let ends = cursor.end && all_planned;
        if !planned.is_empty() || ends {
            let position = (!ends).then(|| cursor.position());
            save(ctx, c, position.as_ref(), None, &[], &planned).await?;
        }
        return Ok(0);
    }
    cursor.plan.clear();
    let mut pages = 0;
    while pages < PAGES_PER_RUN {
        let first = budget::page_size(platform, ctx.meter.remaining().saturating_sub(budget::AFTER_SYNC));
        if first == 0 {
            // No page fits after the plans made: they are taken off the cursor.
            if !planned.is_empty() {
                save(ctx, c, Some(&cursor), None, &[], &planned).await?;
            }
            break;
        }
        let (variants, next) = match page(ctx, c, &cursor, first).await {
            Ok(p) => p,
            Err(e) => {
                let now = ctx.now.millis();
                let (retry, next_at) = match &e {
                    CallError::Later { after_secs, .. } => {
                        (Some(now + i64::from(after_secs.unwrap_or(60).clamp(1, 3600)) * 1000), None)
                    }
                    CallError::Broken(_) => (None, Some(now + 3_600_000)),
                };
                if !planned.is_empty() {
                    save(ctx, c, Some(&cursor), None, &[], &planned).await?;
                }
                db::run(db::stmt(
                    &ctx.db,
                    "UPDATE connections SET sync_retry_at = ?2, next_sync_at = COALESCE(?3, next_sync_at), \
                       last_error = ?4, last_error_at = ?5, updated_at = ?5 WHERE id = ?1",
                    crate::args![
                        c.id.as_str(),
                        retry,
                        next_at,
                        format!("reconciliation: {}", e.message()).chars().take(500).collect::<String>(),
                        now
                    ],
                )?)
                .await?;
                return Ok(pages);
            }
        };
        let stats = match apply::catalog(ctx, shop, c, &variants, apply::Via::Reconciliation).await {
            Ok(s) => s,
            Err(Failure::Api(e)) => return Err(e),
            Err(Failure::Platform(e)) => return Err(ApiError::Internal(e.message().to_owned())),
        };
        pages += 1;
        let pending = &stats.levels.pending;
        // The last page with plans still to make: the pass ends after them.
        let next = match next {
            None if !pending.is_empty() => Some(Cursor { end: true, ..Cursor::default() }),
            other => other,
        };
        save(ctx, c, next.as_ref(), Some((variants.len(), &stats.levels)), pending, &planned).await?;
        planned.clear();
        match next {
            Some(n) if pending.is_empty() => cursor = n,
            _ => break,
        }
    }
    Ok(pages)
}

/// Stores a run's progress in one statement: where the pass is (`None`: it is done,
/// and its totals become the last sync), a page's counters (variants seen, drift),
/// and the SKUs left to plan, merged with those the cursor holds: `pending` added,
/// `planned` taken off (`store::merged_plans`: a webhook's SKUs noted meanwhile stay,
/// and a pass that ends with some keeps the connection due, so they never wait for
/// the next pass).
async fn save(
    ctx: &Ctx,
    c: &ConnectionRow,
    next: Option<&Cursor>,
    page: Option<(usize, &apply::LevelStats)>,
    pending: &[String],
    planned: &[String],
) -> Result<(), ApiError> {
    let now = ctx.now.millis();
    let (seen, drift_units, drift_skus, pages) = match page {
        Some((seen, levels)) => (
            i64::try_from(seen).unwrap_or(i64::MAX),
            i64::try_from(levels.drift_units).unwrap_or(i64::MAX),
            i64::try_from(levels.drift_skus).unwrap_or(i64::MAX),
            1_i64,
        ),
        None => (0, 0, 0, 0),
    };
    let list = |l: &[String]| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    // ?2 the position (NULL: none), ?8 SKUs added, ?9 SKUs planned.
    let cursor = format!(
        "sync_cursor = (SELECT CASE WHEN COUNT(*) = 0 THEN ?2 \
           ELSE json_set(COALESCE(?2, '{{}}'), '$.plan', json(json_group_array(value))) END FROM ({}))",
        crate::connect::store::merged_plans(8, Some(9))
    );
    let sql = match next {
        Some(_) => format!(
            "UPDATE connections SET {cursor}, sync_started_at = COALESCE(sync_started_at, ?3), \
               sync_pages = sync_pages + ?7, sync_seen = sync_seen + ?4, sync_drift_units = sync_drift_units + ?5, \
               sync_drift_skus = sync_drift_skus + ?6, sync_retry_at = NULL, updated_at = ?3 WHERE id = ?1"
        ),
        None => format!(
            "UPDATE connections SET {cursor}, sync_started_at = NULL, sync_pages = 0, sync_seen = 0, \
               sync_drift_units = 0, sync_drift_skus = 0, sync_retry_at = NULL, last_sync_at = ?3, \
               last_sync_seen = sync_seen + ?4, last_sync_drift_units = sync_drift_units + ?5, \
               last_sync_drift_skus = sync_drift_skus + ?6, updated_at = ?3, \
               next_sync_at = ?3 + CASE WHEN EXISTS ({}) THEN 0 ELSE ?10 END WHERE id = ?1",
            crate::connect::store::merged_plans(8, Some(9))
        ),
    };
    let position = next.map(|n| json!(n.position()).to_string());
    let mut params =
        crate::args![c.id.as_str(), position, now, seen, drift_units, drift_skus, pages, list(pending), list(planned)];
    if next.is_none() {
        params.extend(crate::args![EVERY_MS]);
    }
    db::run(db::stmt(&ctx.db, &sql, params)?).await?;
    Ok(())
}

/// A cursor as stored (for tests and the view).
pub fn cursor_json(c: &Cursor) -> Value {
    json!(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_compactly() {
        let c =
            Cursor { page: Some(3), variable: vec![("732".into(), "Tee".into())], vpage: Some(2), ..Cursor::default() };
        let text = cursor_json(&c).to_string();
        assert_eq!(text, r#"{"page":3,"variable":[["732","Tee"]],"vpage":2}"#);
        assert_eq!(serde_json::from_str::<Cursor>(&text).ok(), Some(c));
        assert_eq!(cursor_json(&Cursor::default()).to_string(), "{}");
        // SKUs left to plan are stored apart from where the pass is.
        let left = Cursor { end: true, plan: vec!["TEE-1".into()], ..Cursor::default() };
        assert_eq!(cursor_json(&left).to_string(), r#"{"end":true,"plan":["TEE-1"]}"#);
        assert_eq!(cursor_json(&left.position()).to_string(), r#"{"end":true}"#);
        let webhook: Cursor = serde_json::from_str(r#"{"plan":["A","B"]}"#).unwrap_or_default();
        assert_eq!((webhook.plan.len(), webhook.end, webhook.after), (2, false, None));
    }
}
