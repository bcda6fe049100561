//! Regular status emails while a backorder waits (`status_update`), on each shop's
//! cadence (`status_update_days`, 0: off), only when nothing else reached the shopper
//! in that time. The domain decides (`restock_shared::update_due`); this is the
//! scheduled step that reads what is due and records the emails.
//!
//! Bounded and resuming: one run reads at most [`PER_RUN`] open backorders whose base
//! (`last_update_at`, else when placed) is a period old, oldest shops first, through
//! the partial index `backorders_update_due`; every one it reads gets its base moved
//! (to now when an update is recorded, else to the last email about it), so the next
//! run goes on with the rest. Each update is a `deliveries` row with the dedupe key
//! `status_update:<backorder>:<period>`, written in the same batch as the bases: a run
//! that happens twice records nothing twice, and one that fails records nothing.

use restock_shared::{Cadence, Timestamp, UpdateDue, update_due};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::notify::{self, Outgoing};

/// Open backorders one run looks at, at most.
pub const PER_RUN: i64 = 200;

#[derive(Debug, Deserialize)]
struct DueRow {
    id: String,
    shop_id: String,
    sku: String,
    email: String,
    locale: String,
    created_at: i64,
    base: i64,
    days: i64,
    last_sent: Option<i64>,
}

/// Records the status updates that are due; returns how many.
pub async fn run(ctx: &Ctx) -> Result<usize, ApiError> {
    let now = ctx.now.millis();
    // `CROSS JOIN` keeps shops as the outer loop: for each shop with a cadence, a range
    // of the index, never a walk of every open backorder.
    let due: Vec<DueRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT b.id, b.shop_id, b.sku, b.email, b.locale, b.created_at, COALESCE(b.last_update_at, b.created_at) AS base, \
           s.status_update_days AS days, \
           (SELECT MAX(d.created_at) FROM deliveries d WHERE d.subject_id = b.id AND d.channel = 'email' \
              AND d.status NOT IN ('skipped', 'dead')) AS last_sent \
         FROM shops s CROSS JOIN backorders b \
         WHERE s.status_update_days > 0 AND b.shop_id = s.id AND b.status = 'open' \
           AND COALESCE(b.last_update_at, b.created_at) <= ?1 - s.status_update_days * 86400000 \
         LIMIT ?2",
        crate::args![now, PER_RUN],
    )?)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut outs = Vec::new();
    let mut bases = Vec::with_capacity(due.len());
    for b in &due {
        let Ok(Some(cadence)) = Cadence::from_days(b.days) else { continue };
        let at = Timestamp::from_millis;
        let decision = update_due(cadence, at(b.created_at), at(b.base), b.last_sent.map(at), ctx.now);
        let base = match decision {
            // An erased address is not mailed; its base moves on so it is not read again.
            _ if b.email.ends_with("@erased.invalid") => now,
            UpdateDue::Send { period } => {
                let key = format!("status_update:{}:{period}", b.id);
                outs.push(
                    Outgoing::email(&b.shop_id, "status_update", &b.email, &b.locale, key, json!({ "period": period }))
                        .about(&b.sku, &b.id),
                );
                now
            }
            UpdateDue::NotYet { base } => base.millis(),
        };
        bases.push(json!({ "id": b.id, "t": base }));
    }
    let mut statements = Vec::new();
    if !outs.is_empty() {
        let (sql, params) = Outgoing::insert_many(ctx, &outs, 1, "1")?;
        statements.push(db::stmt(&ctx.db, &sql, params)?);
    }
    statements.push(db::stmt(
        &ctx.db,
        "UPDATE backorders SET last_update_at = json_extract(j.value, '$.t') FROM json_each(?1) j \
         WHERE backorders.id = json_extract(j.value, '$.id') AND backorders.status = 'open'",
        crate::args![Value::Array(bases).to_string()],
    )?);
    let results = db::batch(&ctx.db, statements).await?;
    let recorded = if outs.is_empty() { 0 } else { results.first().map_or(0, db::changes) };
    if recorded > 0 {
        notify::kick(ctx);
    }
    Ok(recorded)
}
