//! Scheduled jobs (Cron Triggers; locally `wrangler dev --test-scheduled` and
//! `/__scheduled?cron=...`):
//! - every 5 minutes (also: regular status emails to shoppers waiting on a backorder,
//!   `updates.rs`): the stock step for due SKUs (next waitlist waves after the
//!   shop's interval, re-checking stock first: freed claim holds count again, sold out
//!   stops; a preorder's units on its release day), restarting stuck releases,
//!   ETA slip detection for products with open backorders (round robin), sweeping
//!   deliveries that lost their job, and pruning old rate-limit windows;
//! - weekly (Monday 07:00 UTC): the supplier digest (open backorders per supplier and
//!   SKU, CSV) emailed to each merchant with open backorders, shop by shop across
//!   queue jobs (`Job::Digest`, `DIGEST_SHOPS` shops each), so no invocation does
//!   more than a bounded part of it and a failed page is retried by the queue.
//!
//! Every step does bounded work: a `LIMIT` per query, and loops that stop while the
//! invocation still has `RESERVE` subrequests left (Cloudflare's limit, `limits::Meter`),
//! so the steps after them run too. What a run leaves is picked up by the next (oldest
//! first), since each step reads what is due, not what it was told.

use restock_shared::{Op, ReleasePlan, ShopId, Sku};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::notify::consumer::Job;
use crate::notify::{Outgoing, consumer, release};
use crate::shops::{ShopRow, load_shop};
use crate::stock::commit::{self, Change};
use crate::stock::promises;

pub const WEEKLY: &str = "0 7 * * MON";

/// What one run did (logged, and returned by the dev trigger).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub waves_started: usize,
    pub waves_done: usize,
    pub releases_restarted: usize,
    pub products_rechecked: usize,
    pub delays_found: usize,
    pub deliveries_swept: usize,
    pub digests: usize,
    /// Follow-ups: reminders recorded, signups ended by their shop's expiry.
    pub reminders: usize,
    pub expired: usize,
    /// Ended records removed (or, for addresses kept in closed records, erased) under
    /// the shops' retention.
    pub purged: usize,
    /// Regular status emails recorded for waiting backorders (`notify::updates`).
    pub status_updates: usize,
    /// Pages of the connected platforms' catalogs reconciled (`connect::sync`).
    pub platform_pages: u32,
}

/// Subrequests a loop must have left to take one more item: the item (a stock commit
/// with its plan, 16 to 24 measured: `connect::budget::PLAN` keeps 28 for one) and the
/// closing sweep and purge (about 10). At the Free plan's 50 (`SUBREQUEST_LIMIT`) a run
/// still takes one item; what it leaves is the next run's.
const RESERVE: u32 = 40;

/// Whether a loop may take one more item (one stock commit or release start).
fn budget_left(ctx: &Ctx) -> bool {
    ctx.meter.remaining() >= RESERVE
}

pub async fn run(ctx: &Ctx, cron: &str) -> Result<Report, ApiError> {
    let mut report = Report::default();
    if cron == WEEKLY {
        consumer::enqueue(ctx, vec![Job::Digest { after: String::new(), week: digest_week(ctx) }]).await?;
        report.digests = 1;
    } else {
        next_waves(ctx, &mut report).await?;
        restart_stuck(ctx, &mut report).await?;
        slip_detection(ctx, &mut report).await?;
        follow_ups(ctx, &mut report).await?;
        report.platform_pages = crate::connect::sync::run(ctx).await?;
        if budget_left(ctx) {
            report.status_updates = crate::notify::updates::run(ctx).await?;
        }
        db::run(db::stmt(
            &ctx.db,
            "DELETE FROM rate_limits WHERE window_start < ?1",
            crate::args![ctx.now.millis() / 1000 - 86_400],
        )?)
        .await?;
        report.purged = purge(ctx).await?;
    }
    report.deliveries_swept = consumer::sweep(ctx).await?;
    Ok(report)
}

/// Shops whose follow-ups one run visits, and rows each one takes per shop.
const FOLLOW_UP_SHOPS: i64 = 20;
const FOLLOW_UP_ROWS: i64 = 200;

#[derive(Debug, Deserialize)]
struct FollowUpShop {
    id: String,
    reminder_days: Option<i64>,
    waitlist_expiry_days: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ToRemind {
    id: String,
    email: String,
    locale: String,
    sku: String,
}

/// The shops' follow-ups, both off unless the shop set them:
/// - one reminder (`reminder`, deduplicated per signup) to subscribers notified more
///   than `reminder_days` ago who have not bought (no `converted_at`) while the
///   product still has units on hand; notices older than twice that are left alone,
///   so turning reminders on does not mail every past notice;
/// - signups still waiting `waitlist_expiry_days` after their latest consent end
///   (`unsubscribed`, `ended_reason` `expired`).
///
/// Bounded: [`FOLLOW_UP_SHOPS`] shops, [`FOLLOW_UP_ROWS`] rows each, oldest first,
/// while the budget lasts; the next run goes on.
async fn follow_ups(ctx: &Ctx, report: &mut Report) -> Result<(), ApiError> {
    let now = ctx.now.millis();
    let shops: Vec<FollowUpShop> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, reminder_days, waitlist_expiry_days FROM shops \
         WHERE reminder_days IS NOT NULL OR waitlist_expiry_days IS NOT NULL ORDER BY id LIMIT ?1",
        crate::args![FOLLOW_UP_SHOPS],
    )?)
    .await?;
    const DAY: i64 = 86_400_000;
    for shop in &shops {
        if !budget_left(ctx) {
            break;
        }
        let mut statements = Vec::new();
        if let Some(days) = shop.waitlist_expiry_days {
            statements.push(db::stmt(
                &ctx.db,
                "UPDATE waitlist SET status = 'unsubscribed', ended_reason = 'expired', hold_until = NULL, updated_at = ?3 \
                 WHERE id IN (SELECT id FROM waitlist WHERE shop_id = ?1 AND status IN ('pending', 'active') \
                   AND consent_at < ?2 ORDER BY consent_at LIMIT ?4)",
                crate::args![shop.id.as_str(), now - days * DAY, now, FOLLOW_UP_ROWS],
            )?);
        }
        if let Some(days) = shop.reminder_days {
            let due: Vec<ToRemind> = db::all(db::stmt(
                &ctx.db,
                "SELECT w.id, w.email, w.locale, w.sku FROM waitlist w \
                 JOIN products p ON p.shop_id = w.shop_id AND p.sku = w.sku \
                 WHERE w.shop_id = ?1 AND w.status = 'notified' AND w.reminded_at IS NULL AND w.converted_at IS NULL \
                   AND w.notified_at < ?2 AND w.notified_at >= ?3 AND p.on_hand > 0 \
                 ORDER BY w.notified_at LIMIT ?4",
                crate::args![shop.id.as_str(), now - days * DAY, now - 2 * days * DAY, FOLLOW_UP_ROWS],
            )?)
            .await?;
            if !due.is_empty() {
                let outs: Vec<Outgoing> = due
                    .iter()
                    .map(|w| {
                        Outgoing::email(
                            &shop.id,
                            "reminder",
                            &w.email,
                            &w.locale,
                            format!("reminder:{}", w.id),
                            json!({}),
                        )
                        .about(&w.sku, &w.id)
                    })
                    .collect();
                let ids: Vec<&str> = due.iter().map(|w| w.id.as_str()).collect();
                let (sql, params) = Outgoing::insert_many(ctx, &outs, 1, "1")?;
                statements.push(db::stmt(&ctx.db, &sql, params)?);
                statements.push(db::stmt(
                    &ctx.db,
                    "UPDATE waitlist SET reminded_at = ?2, updated_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) \
                     AND status = 'notified' AND reminded_at IS NULL",
                    crate::args![serde_json::to_string(&ids)?, now],
                )?);
                report.reminders += due.len();
            }
        }
        if statements.is_empty() {
            continue;
        }
        let expiring = shop.waitlist_expiry_days.is_some();
        let results = db::batch(&ctx.db, statements).await?;
        if expiring {
            report.expired += results.first().map(db::changes).unwrap_or(0);
        }
    }
    if report.reminders > 0 {
        crate::notify::kick(ctx);
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct Due {
    shop_id: String,
    sku: String,
}

/// The scheduled stock step (`Op::Continue`, the same plan and executor as every
/// change) for SKUs that are due: a release window whose interval is over (re-check
/// stock, then the next wave, a wait for holds, or close), and a preorder on or after
/// its release day with units on hand, which go to the preorders now.
async fn next_waves(ctx: &Ctx, report: &mut Report) -> Result<(), ApiError> {
    let due: Vec<Due> = db::all(db::stmt(
        &ctx.db,
        "SELECT shop_id, sku FROM releases WHERE status = 'sent' AND next_check_at <= ?1 ORDER BY next_check_at LIMIT 50",
        crate::args![ctx.now.millis()],
    )?)
    .await?;
    let released: Vec<Due> = db::all(db::stmt(
        &ctx.db,
        "SELECT p.shop_id, p.sku FROM products p WHERE p.policy = 'preorder' AND p.release_date <= ?1 AND p.on_hand > 0 \
           AND EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') \
         LIMIT 50",
        crate::args![ctx.today().to_iso()],
    )?)
    .await?;
    let mut shops: Vec<ShopRow> = Vec::new();
    for d in due.iter().chain(&released) {
        if !budget_left(ctx) {
            break;
        }
        let (Ok(shop_id), Ok(sku)) = (ShopId::parse(&d.shop_id), Sku::parse(&d.sku)) else { continue };
        if !shops.iter().any(|s| s.id == d.shop_id) {
            match load_shop(&ctx.db, &shop_id).await {
                Ok(s) => shops.push(s),
                Err(ApiError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        let Some(shop) = shops.iter().find(|s| s.id == d.shop_id) else { continue };
        match commit::commit(ctx, shop, &sku, false, |_| Ok(Change::new(Op::Continue)), |_| Ok(Vec::new())).await {
            Ok(c) => match c.plan.release {
                ReleasePlan::Start { .. } => report.waves_started += 1,
                ReleasePlan::Close => report.waves_done += 1,
                _ => {}
            },
            Err(ApiError::NotFound { .. }) => {
                // The product is gone: so is its release.
                db::run(db::stmt(
                    &ctx.db,
                    "UPDATE releases SET status = 'done', updated_at = ?3 WHERE shop_id = ?1 AND sku = ?2 AND status IN ('planning', 'sent')",
                    crate::args![d.shop_id.as_str(), d.sku.as_str(), ctx.now.millis()],
                )?)
                .await?;
                report.waves_done += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Rows each retention statement touches per run: the purge is bounded and resumes
/// where it stopped at the next run.
const PURGE_ROWS: i64 = 500;

/// Retention: ended records older than their shop's `retention_days` go (a signup
/// notified, unsubscribed or never confirmed; a finished delivery and its outbox
/// copy), and closed backorders and reported sales keep their numbers but lose the
/// address, as an erasure does.
async fn purge(ctx: &Ctx) -> Result<usize, ApiError> {
    let expired = |alias: &str, column: &str| {
        format!(
            "EXISTS (SELECT 1 FROM shops s WHERE s.id = {alias}.shop_id AND {alias}.{column} < ?1 - s.retention_days * 86400000)"
        )
    };
    let statements = [
        format!(
            "DELETE FROM waitlist WHERE seq IN (SELECT w.seq FROM waitlist w WHERE \
               (w.status IN ('notified', 'unsubscribed') OR (w.status = 'pending' AND w.updated_at < ?1 - 30 * 86400000)) \
               AND {} LIMIT ?2)",
            expired("w", "updated_at")
        ),
        format!(
            "DELETE FROM outbox WHERE seq IN (SELECT o.seq FROM outbox o WHERE {} LIMIT ?2)",
            expired("o", "created_at")
        ),
        format!(
            "DELETE FROM deliveries WHERE seq IN (SELECT d.seq FROM deliveries d WHERE d.status IN ('sent', 'dead', 'skipped') \
               AND {} LIMIT ?2)",
            expired("d", "updated_at")
        ),
        format!(
            "UPDATE backorders SET email = 'erased-' || lower(hex(randomblob(6))) || '@erased.invalid' \
             WHERE seq IN (SELECT b.seq FROM backorders b WHERE b.status IN ('cancelled', 'allocated') \
               AND b.email NOT LIKE '%@erased.invalid' AND {} LIMIT ?2)",
            expired("b", "updated_at")
        ),
        format!("DELETE FROM audit WHERE seq IN (SELECT a.seq FROM audit a WHERE {} LIMIT ?2)", expired("a", "at")),
        format!(
            "UPDATE orders SET email = NULL WHERE id IN (SELECT r.id FROM orders r WHERE r.email IS NOT NULL AND {} LIMIT ?2)",
            expired("r", "created_at")
        ),
        format!(
            "DELETE FROM desk_notes WHERE seq IN (SELECT n.seq FROM desk_notes n WHERE {} LIMIT ?2)",
            expired("n", "created_at")
        ),
    ];
    let mut batch = Vec::with_capacity(statements.len());
    for sql in &statements {
        batch.push(db::stmt(&ctx.db, sql, crate::args![ctx.now.millis(), PURGE_ROWS])?);
    }
    Ok(db::batch(&ctx.db, batch).await?.iter().map(db::changes).sum())
}

/// How long a release may make no progress before its jobs count as lost (5 minutes;
/// `STUCK_RELEASE_SECONDS` overrides it).
fn stuck_after_ms(ctx: &Ctx) -> i64 {
    i64::from(ctx.config.stuck_release_seconds) * 1000
}

/// Releases still planning long after their jobs should have run (a job was lost).
async fn restart_stuck(ctx: &Ctx, report: &mut Report) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let stuck: Vec<Id> = db::all(db::stmt(
        &ctx.db,
        "SELECT id FROM releases WHERE status = 'planning' AND updated_at < ?1 LIMIT 20",
        crate::args![ctx.now.millis() - stuck_after_ms(ctx)],
    )?)
    .await?;
    for r in stuck {
        if !budget_left(ctx) {
            break;
        }
        release::start(ctx, &r.id).await?;
        report.releases_restarted += 1;
    }
    Ok(())
}

/// ETA slip detection: re-project open backorders of the products checked longest ago.
async fn slip_detection(ctx: &Ctx, report: &mut Report) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Due {
        shop_id: String,
        sku: String,
    }
    let due: Vec<Due> = db::all(db::stmt(
        &ctx.db,
        "SELECT p.shop_id, p.sku FROM products p WHERE EXISTS \
           (SELECT 1 FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') \
         ORDER BY p.checked_at LIMIT 100",
        crate::args![],
    )?)
    .await?;
    let mut shops: Vec<ShopRow> = Vec::new();
    for d in due {
        if !budget_left(ctx) {
            break;
        }
        let (Ok(shop_id), Ok(sku)) = (ShopId::parse(&d.shop_id), Sku::parse(&d.sku)) else { continue };
        if !shops.iter().any(|s| s.id == d.shop_id) {
            shops.push(load_shop(&ctx.db, &shop_id).await?);
        }
        let Some(shop) = shops.iter().find(|s| s.id == d.shop_id) else { continue };
        let r = promises::recheck(ctx, shop, &sku).await?;
        report.products_rechecked += 1;
        report.delays_found += r.delayed;
        db::run(db::stmt(
            &ctx.db,
            "UPDATE products SET checked_at = ?3 WHERE shop_id = ?1 AND sku = ?2",
            crate::args![d.shop_id.as_str(), d.sku.as_str(), ctx.now.millis()],
        )?)
        .await?;
    }
    Ok(())
}

/// The week a digest belongs to (weeks counted from Monday 1970-01-05), for its dedupe key.
fn digest_week(ctx: &Ctx) -> i64 {
    i64::from(ctx.today().days_since_epoch() - 4).div_euclid(7)
}

/// Shops one digest job handles.
pub const DIGEST_SHOPS: i64 = 20;

/// One page of the weekly supplier digest (`Job::Digest`): the next `DIGEST_SHOPS`
/// shops after `after` (by id) with open backorders and an address get their digest
/// for `week` (deduplicated per shop and week, so a retried page sends nothing twice);
/// a full page enqueues the next. Returns the digests written.
pub async fn digest_page(ctx: &Ctx, after: &str, week: i64) -> Result<usize, ApiError> {
    let shops: Vec<ShopRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM shops s WHERE s.id > ?1 \
           AND EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = s.id AND b.status = 'open') \
           AND COALESCE(s.notify_email, s.reply_to) IS NOT NULL ORDER BY s.id LIMIT ?2",
        crate::args![after, DIGEST_SHOPS],
    )?)
    .await?;
    let mut n = 0;
    for shop in &shops {
        let Some(to) = shop.notify_email.clone().or(shop.reply_to.clone()) else { continue };
        let csv = crate::admin::api::supplier_digest(ctx, &shop.id).await?;
        let out =
            Outgoing::email(&shop.id, "digest", &to, "en", format!("digest:{}:{week}", shop.id), json!({ "csv": csv }));
        let (sql, params) = out.insert(ctx, 1, "1");
        n += db::run(db::stmt(&ctx.db, &sql, params)?).await?;
    }
    if let Some(last) = shops.last().filter(|_| shops.len() as i64 == DIGEST_SHOPS) {
        consumer::enqueue(ctx, vec![Job::Digest { after: last.id.clone(), week }]).await?;
    }
    if n > 0 {
        crate::notify::kick(ctx);
    }
    Ok(n)
}
