//! Waitlist release fan-out: a planned wave (a `releases` row saying "notify the
//! `target` oldest waiting subscribers of this SKU") becomes deliveries in chunks of
//! `CHUNK`, each chunk one D1 transaction that marks exactly that many subscribers
//! notified and creates their deliveries, never exceeding the wave's target (the LIMIT
//! is computed inside the transaction). Chunks are independent queue jobs, so a wave
//! of 100,000 is 1,000 bounded jobs; a lost job is re-enqueued by the scheduled sweep.
//!
//! A chunk job sends its own deliveries right away (`consumer::deliver`: claimed
//! first, so a retried or duplicated job sends nothing twice) while its invocation has
//! subrequests for them; only what could not go now (a provider's temporary refusal,
//! or the budget ran out) becomes a queued send job, after the delay it asks for. A
//! wave of 100,000 is then about 1,000 queue messages, not 101,000. `IN_FLIGHT` chunk
//! jobs run at once: each enqueues its successor while the wave has subscribers left.
//! Subscribers who added a phone number also get a text, within the shop's per-wave
//! SMS budget (counted in `releases.sms_planned` inside the same transaction).

use serde::Deserialize;

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::notify::consumer::{self, Claimed, Job, Verdict, enqueue};

/// Subscribers per chunk.
pub const CHUNK: i64 = 100;
/// Subrequests one chunk takes at most besides its sends (its load, its batch, its
/// successor's enqueue, and the enqueue of whatever it cannot send itself).
pub const CHUNK_COST: u32 = 16;
/// Chunk jobs of one wave on the queue at once (each finished chunk enqueues its
/// successor): one consumer batch's worth (`max_batch_size`), so a batch is dispatched
/// full instead of after `max_batch_timeout`, and never a flood ahead of other shops'
/// mail. An invocation sends the chunks its subrequests allow and puts the rest back.
const IN_FLIGHT: i64 = 100;

#[derive(Debug, Deserialize)]
struct ReleaseRow {
    shop_id: String,
    sku: String,
    target: i64,
    planned: i64,
    status: String,
}

async fn load(ctx: &Ctx, id: &str) -> Result<Option<ReleaseRow>, ApiError> {
    db::first(db::stmt(
        &ctx.db,
        "SELECT shop_id, sku, target, planned, status FROM releases WHERE id = ?1",
        crate::args![id],
    )?)
    .await
}

/// Starts the fan-out of a planned release: enqueues enough chunk jobs for its target.
pub async fn start(ctx: &Ctx, id: &str) -> Result<(), ApiError> {
    let Some(r) = load(ctx, id).await? else { return Ok(()) };
    if r.status != "planning" {
        return Ok(());
    }
    let jobs = ((r.target - r.planned + CHUNK - 1) / CHUNK).clamp(1, IN_FLIGHT);
    db::run(db::stmt(
        &ctx.db,
        "UPDATE releases SET chunks = chunks + ?2, updated_at = ?3 WHERE id = ?1",
        crate::args![id, jobs, ctx.now.millis()],
    )?)
    .await?;
    enqueue(ctx, (0..jobs).map(|_| Job::Release { r: id.to_owned() }).collect()).await
}

/// Plans the next chunk of release `id` and sends it.
pub async fn chunk(ctx: &Ctx, id: &str) -> Result<(), ApiError> {
    let Some(r) = load(ctx, id).await? else { return Ok(()) };
    if r.status != "planning" {
        return Ok(());
    }
    let token = new_id("ck");
    let now = ctx.now.millis();
    // Sent by this invocation while its subrequests last for a claimed chunk: then the
    // deliveries are created claimed (`sending`, one attempt, under a lease: no other
    // job sends them, and should this invocation vanish the sweep puts them back to
    // `queued` once the lease runs out), so no claim statement is needed; what the
    // subrequests then do not last for is given back (`deliver_claimed`). Otherwise
    // they are created `queued`, for send jobs.
    let claim_now = ctx.meter.remaining() > CHUNK_COST + consumer::CHUNK_COST;
    let (status, attempts): (&str, i64) = if claim_now { ("sending", 1) } else { ("queued", 0) };
    let statements = vec![
        // Mark the next subscribers in signup order, never past the wave's target.
        db::stmt(
            &ctx.db,
            "UPDATE waitlist SET status = 'notified', notified_at = ?4, release_id = ?1, notify_token = ?5, updated_at = ?4, \
               hold_until = (SELECT hold_until FROM releases WHERE id = ?1) \
             WHERE seq IN (SELECT seq FROM waitlist WHERE shop_id = ?2 AND sku = ?3 AND status = 'active' ORDER BY seq \
               LIMIT (SELECT COALESCE(MAX(MIN(?6, target - planned), 0), 0) FROM releases WHERE id = ?1 AND status = 'planning'))",
            crate::args![id, r.shop_id.as_str(), r.sku.as_str(), now, token.as_str(), CHUNK],
        )?,
        // One restock email owed to each of exactly those subscribers.
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id, \
               payload, status, attempts, lease_until, created_at, updated_at) \
             SELECT 'dl_' || lower(hex(randomblob(10))), shop_id, 'restock:' || id || ':' || ?1, 'email', 'restock', email, locale, \
               sku, id, ?1, '{}', ?5, ?6, ?2 + ?3, ?2, ?2 \
             FROM waitlist WHERE notify_token = ?4",
            crate::args![id, now, consumer::lease_ms(ctx), token.as_str(), status, attempts],
        )?,
        // And a text to those of them who gave a number (and did not reply STOP), oldest
        // first, while the wave's SMS budget lasts: the rest are told by email only. One
        // text per number and wave, however many signups (emails) share the number.
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id, \
               payload, status, attempts, lease_until, created_at, updated_at) \
             SELECT 'dl_' || lower(hex(randomblob(10))), w.shop_id, 'restock-sms:' || w.phone || ':' || ?1, 'sms', 'restock', w.phone, \
               w.locale, w.sku, w.id, ?1, '{}', ?5, ?6, ?2 + ?3, ?2, ?2 \
             FROM waitlist w WHERE w.notify_token = ?4 AND w.phone IS NOT NULL AND w.sms_stopped_at IS NULL ORDER BY w.seq \
             LIMIT COALESCE((SELECT MAX(s.sms_budget - r.sms_planned, 0) FROM releases r JOIN shops s ON s.id = r.shop_id \
               WHERE r.id = ?1 AND s.sms_enabled = 1), 0)",
            crate::args![id, now, consumer::lease_ms(ctx), token.as_str(), status, attempts],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE releases SET sms_planned = sms_planned + (SELECT COUNT(*) FROM deliveries WHERE release_id = ?1 \
               AND channel = 'sms' AND subject_id IN (SELECT id FROM waitlist WHERE notify_token = ?2)) WHERE id = ?1",
            crate::args![id, token.as_str()],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE releases SET planned = planned + (SELECT COUNT(*) FROM waitlist WHERE notify_token = ?2), updated_at = ?3, \
               status = CASE WHEN planned + (SELECT COUNT(*) FROM waitlist WHERE notify_token = ?2) >= target \
                   OR NOT EXISTS (SELECT 1 FROM waitlist WHERE shop_id = ?4 AND sku = ?5 AND status = 'active') \
                 THEN 'sent' ELSE status END \
             WHERE id = ?1 AND status = 'planning'",
            crate::args![id, token.as_str(), now, r.shop_id.as_str(), r.sku.as_str()],
        )?,
        // The successor's count, while the wave has subscribers left (read back below).
        db::stmt(
            &ctx.db,
            "UPDATE releases SET chunks = chunks + 1 WHERE id = ?1 AND status = 'planning' RETURNING status",
            crate::args![id],
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "SELECT {} FROM deliveries d WHERE d.release_id = ?1 AND d.kind = 'restock' \
                   AND d.subject_id IN (SELECT id FROM waitlist WHERE notify_token = ?2)",
                consumer::CLAIMED_COLUMNS
            ),
            crate::args![id, token.as_str()],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let successor = results.get(5).map(db::rows::<serde_json::Value>).transpose()?.unwrap_or_default();
    let made: Vec<Claimed> = results.get(6).map(db::rows::<Claimed>).transpose()?.unwrap_or_default();
    // The successor first, so the wave goes on whatever happens to this invocation.
    if !successor.is_empty() {
        enqueue(ctx, vec![Job::Release { r: id.to_owned() }]).await?;
    }
    if made.is_empty() {
        return Ok(());
    }
    if !claim_now {
        return consumer::enqueue_after(ctx, made.into_iter().map(|d| (Job::Send { d: d.id }, 0)).collect()).await;
    }
    // Send them now; what cannot go now is queued, after the delay it asks for.
    let later: Vec<(Job, u32)> = match consumer::deliver_claimed(ctx, &made).await {
        Ok(verdicts) => made
            .into_iter()
            .filter_map(|d| match verdicts.get(&d.id) {
                Some(Verdict::RetryAfter(secs)) => Some((Job::Send { d: d.id }, *secs)),
                Some(Verdict::Later) => Some((Job::Send { d: d.id }, 0)),
                _ => None,
            })
            .collect(),
        Err(e) => {
            // Claimed, so a send job could not take them before their lease ends.
            worker::console_error!("release {id}: sending a chunk failed, queueing its sends: {e:?}");
            let after = u32::try_from(consumer::lease_ms(ctx) / 1000 + 1).unwrap_or(u32::MAX);
            made.into_iter().map(|d| (Job::Send { d: d.id }, after)).collect()
        }
    };
    if !later.is_empty() {
        consumer::enqueue_after(ctx, later).await?;
    }
    Ok(())
}
