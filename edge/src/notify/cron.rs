//! Scheduled jobs (Cron Triggers; locally `wrangler dev --test-scheduled` and
//! `/__scheduled?cron=...`):
//! - every 5 minutes: next waitlist waves after the shop's interval (re-checking stock
//!   first: freed claim holds count again, sold out stops), restarting stuck releases,
//!   ETA slip detection for products with open backorders (round robin), sweeping
//!   deliveries that lost their job, and pruning old rate-limit windows;
//! - weekly (Monday 07:00 UTC): the supplier digest (open backorders per supplier and
//!   SKU, CSV) emailed to each merchant with open backorders.

use restock_shared::{ShopId, Sku, Wave, plan_wave};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::notify::{Outgoing, consumer, release};
use crate::shops::{ShopRow, load_shop};
use crate::stock::commit::load_snapshot;
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
}

pub async fn run(ctx: &Ctx, cron: &str) -> Result<Report, ApiError> {
    let mut report = Report::default();
    if cron == WEEKLY {
        report.digests = digests(ctx).await?;
    } else {
        next_waves(ctx, &mut report).await?;
        restart_stuck(ctx, &mut report).await?;
        slip_detection(ctx, &mut report).await?;
        db::run(db::stmt(
            &ctx.db,
            "DELETE FROM rate_limits WHERE window_start < ?1",
            crate::args![ctx.now.millis() / 1000 - 86_400],
        )?)
        .await?;
    }
    report.deliveries_swept = consumer::sweep(ctx).await?;
    Ok(report)
}

#[derive(Debug, Deserialize)]
struct DueRelease {
    id: String,
    shop_id: String,
    sku: String,
}

/// Waves whose interval is over: re-check stock and plan the next wave (or stop).
async fn next_waves(ctx: &Ctx, report: &mut Report) -> Result<(), ApiError> {
    let due: Vec<DueRelease> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, shop_id, sku FROM releases WHERE status = 'sent' AND next_check_at <= ?1 ORDER BY next_check_at LIMIT 50",
        crate::args![ctx.now.millis()],
    )?)
    .await?;
    for r in due {
        let (Ok(shop_id), Ok(sku)) = (ShopId::parse(&r.shop_id), Sku::parse(&r.sku)) else { continue };
        let shop = match load_shop(&ctx.db, &shop_id).await {
            Ok(s) => s,
            Err(ApiError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let snap = match load_snapshot(ctx, &shop_id, &sku).await {
            Ok(s) => s,
            Err(ApiError::NotFound { .. }) => {
                close(ctx, &r.id, None).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let rules = shop.release_rules();
        let sellable = if snap.facts.settings.discontinued && snap.facts.stock.sellable() == 0 {
            0
        } else {
            snap.facts.stock.sellable()
        };
        match plan_wave(sellable, snap.waiting, &rules, ctx.now) {
            Wave::Notify { count, hold_until, next_check_at } => {
                let new_id = crate::crypto::new_id("rl");
                let results = db::batch(
                    &ctx.db,
                    vec![
                        db::stmt(
                            &ctx.db,
                            "UPDATE releases SET status = 'done', next_release_id = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'sent'",
                            crate::args![r.id.as_str(), new_id.as_str(), ctx.now.millis()],
                        )?,
                        db::stmt(
                            &ctx.db,
                            "INSERT INTO releases (id, shop_id, sku, wave, sellable, target, planned, hold_until, next_check_at, status, created_at, updated_at) \
                             SELECT ?2, shop_id, sku, wave + 1, ?3, ?4, 0, ?5, ?6, 'planning', ?7, ?7 FROM releases WHERE id = ?1 AND next_release_id = ?2",
                            crate::args![r.id.as_str(), new_id.as_str(), sellable, count, hold_until.map(|t| t.millis()), next_check_at.millis(), ctx.now.millis()],
                        )?,
                    ],
                )
                .await?;
                if results.get(1).map(db::changes) == Some(1) {
                    report.waves_started += 1;
                    release::start(ctx, &new_id).await?;
                }
            }
            Wave::SoldOut if snap.facts.stock.held > 0 => {
                // Units are held for notified shoppers: look again when the first hold ends.
                db::run(db::stmt(
                    &ctx.db,
                    "UPDATE releases SET next_check_at = MAX(?2, COALESCE((SELECT MIN(hold_until) FROM waitlist \
                       WHERE shop_id = ?3 AND sku = ?4 AND status = 'notified' AND hold_until > ?5 AND converted_at IS NULL), ?2)), updated_at = ?5 \
                     WHERE id = ?1 AND status = 'sent'",
                    crate::args![r.id.as_str(), ctx.now.plus_minutes(rules.interval_minutes).millis(), r.shop_id.as_str(), r.sku.as_str(), ctx.now.millis()],
                )?)
                .await?;
            }
            Wave::SoldOut | Wave::NobodyWaiting => {
                close(ctx, &r.id, None).await?;
                report.waves_done += 1;
            }
        }
    }
    Ok(())
}

async fn close(ctx: &Ctx, id: &str, _why: Option<&str>) -> Result<(), ApiError> {
    db::run(db::stmt(
        &ctx.db,
        "UPDATE releases SET status = 'done', updated_at = ?2 WHERE id = ?1 AND status = 'sent'",
        crate::args![id, ctx.now.millis()],
    )?)
    .await?;
    Ok(())
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

/// The weekly supplier digest to each merchant with open backorders.
async fn digests(ctx: &Ctx) -> Result<usize, ApiError> {
    let shops: Vec<ShopRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM shops s WHERE EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = s.id AND b.status = 'open') \
           AND COALESCE(s.notify_email, s.reply_to) IS NOT NULL",
        crate::args![],
    )?)
    .await?;
    let week = ctx.today().days_since_epoch().div_euclid(7);
    let mut n = 0;
    for shop in shops {
        let Some(to) = shop.notify_email.clone().or(shop.reply_to.clone()) else { continue };
        let csv = crate::admin::api::supplier_digest(ctx, &shop.id).await?;
        let out =
            Outgoing::email(&shop.id, "digest", &to, "en", format!("digest:{}:{week}", shop.id), json!({ "csv": csv }));
        let (sql, params) = out.insert(ctx, 1, "1");
        n += db::run(db::stmt(&ctx.db, &sql, params)?).await?;
    }
    Ok(n)
}
