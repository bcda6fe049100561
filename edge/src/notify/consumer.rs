//! The notification queue's consumer.
//!
//! Jobs (JSON messages on `restock-notify`):
//! - `{"t":"send","d":<delivery id>}`: send one email, text or webhook;
//! - `{"t":"release","r":<release id>}`: turn the next chunk of a waitlist release into
//!   deliveries and enqueue their sends;
//! - `{"t":"sweep"}`: enqueue sends for deliveries that are queued but have no job
//!   (just created, or orphaned by a crash).
//!
//! Exactly-once effect: a delivery is *claimed* (status `sending` with a lease) by one
//! conditional UPDATE before anything is sent, so a replayed or duplicated message
//! finds nothing to claim. The outbox row and the `sent` status are written in one
//! transaction; providers that take one get the dedupe key as `Idempotency-Key`. A failure
//! leaves the delivery `failed` and the message is retried with exponential backoff (or
//! after the provider's own `Retry-After`, when it sends one);
//! after the queue's retries it lands in the dead-letter queue, whose consumer marks
//! the delivery `dead` (visible in the merchant's delivery log, retryable from there).

use std::collections::HashMap;

use futures_util::future::join_all;
use restock_shared::phone::Phone;
use restock_shared::{Date, Lang, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::notify::feedback;
use crate::notify::provider::{self, Outcome, Provider};
use crate::notify::release;
use crate::notify::render::{Body, Brand, Cancel, Email, Extras, render};
use crate::notify::sms::{self, Sms, SmsProvider};
use crate::notify::webhooks::{self, EndpointRow};
use crate::shops::ShopRow;
use crate::tokens::{self, LinkKind};

pub const DEAD_LETTER_QUEUE: &str = "restock-notify-dlq";
/// How long a claim protects a delivery from being sent by anyone else, and how long an
/// enqueued delivery waits before the sweep assumes its message was lost. `LEASE_SECONDS`
/// overrides it (tests of crash recovery shorten it); it must exceed the slowest send.
pub fn lease_ms(ctx: &Ctx) -> i64 {
    i64::from(ctx.config.lease_seconds) * 1000
}
/// Attempts before a delivery is given up on (the queue's own retries stop earlier).
pub const MAX_ATTEMPTS: i64 = 10;
/// Deliveries claimed per statement, at most (D1 allows 100 bound parameters); fewer
/// when the invocation's subrequests would not last for 50 ([`chunk_fits`]).
pub const CLAIM_CHUNK: usize = 50;
/// What a claim returns: the columns of a `Claimed`.
pub const CLAIMED_COLUMNS: &str =
    "id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, payload, attempts";
/// Subrequests a claimed chunk takes at most besides its deliveries: the claim, the
/// render reads and the write batch (a few statements over JSON lists).
const CHUNK_BASE: u32 = 12;
/// And per delivery: its `fetch`, and what the send learned (a 410, an opt-out: up to
/// two statements).
const PER_DELIVERY: u32 = 3;

/// Subrequests a chunk of `n` deliveries may take at most.
pub const fn chunk_cost(n: usize) -> u32 {
    CHUNK_BASE + PER_DELIVERY * n as u32
}

/// Subrequests a full chunk ([`CLAIM_CHUNK`]) may take at most.
pub const CHUNK_COST: u32 = chunk_cost(CLAIM_CHUNK);

/// How many deliveries the next chunk may hold with `remaining` subrequests left and
/// `keep` kept for after it: at most [`CLAIM_CHUNK`], 0 when not even one fits. At the
/// Free plan's 50 a fresh invocation sends 12 (`SUBREQUEST_LIMIT`), at 1,000 all 100
/// of a queue batch.
pub fn chunk_fits(remaining: u32, keep: u32) -> usize {
    let n = remaining.saturating_sub(CHUNK_BASE + keep) / PER_DELIVERY;
    usize::try_from(n).unwrap_or(usize::MAX).min(CLAIM_CHUNK)
}

/// A job on the notification queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Job {
    #[serde(rename = "sweep")]
    Sweep,
    #[serde(rename = "send")]
    Send { d: String },
    #[serde(rename = "release")]
    Release { r: String },
    /// The next page of the weekly supplier digest: shops after `after`, for `week`.
    #[serde(rename = "digest")]
    Digest { after: String, week: i64 },
}

/// A claimed delivery (its columns as `CLAIMED_COLUMNS` lists them).
#[derive(Debug, Clone, Deserialize)]
pub struct Claimed {
    pub id: String,
    shop_id: String,
    dedupe_key: String,
    channel: String,
    kind: String,
    recipient: String,
    locale: String,
    sku: Option<String>,
    subject_id: Option<String>,
    payload: String,
    attempts: i64,
}

/// How the queue should treat a send job's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Done,
    RetryAfter(u32),
    /// Not tried: the invocation's subrequests ran out first. Put back on the queue as
    /// a new message (a retry would count as a failed attempt, and could dead-letter a
    /// delivery that never failed).
    Later,
}

/// What travels on the queue: a job and the database (`shard.rs`) it is about, when
/// that is not `DB`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub job: Job,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
}

impl Envelope {
    /// `job`, about the database `ctx` works on.
    pub fn new(ctx: &Ctx, job: Job) -> Envelope {
        let db = (ctx.binding() != crate::shard::DEFAULT).then(|| ctx.binding().to_owned());
        Envelope { job, db }
    }

    /// A message body: an envelope, or a bare job (`POST /dev/queue`; messages sent
    /// before envelopes), which is about `DB`.
    fn read(body: &Value) -> Result<Envelope, serde_json::Error> {
        serde_json::from_value::<Envelope>(body.clone())
            .or_else(|_| serde_json::from_value::<Job>(body.clone()).map(|job| Envelope { job, db: None }))
    }
}

pub async fn consume(batch: MessageBatch<Value>, env: worker::Env, rt: worker::Context) -> worker::Result<()> {
    let mut ctx = match Ctx::new(env, String::new(), Some(rt)) {
        Ok(ctx) => ctx,
        Err(e) => {
            worker::console_error!("queue consumer could not start: {e:?}");
            batch.retry_all();
            return Ok(());
        }
    };
    let messages = batch.messages()?;
    let dead_letters = batch.queue() == DEAD_LETTER_QUEUE;
    // Messages by database, each group handled on its own database.
    let mut groups: Vec<(String, Vec<Incoming>)> = Vec::new();
    for m in &messages {
        match Envelope::read(m.body()) {
            Ok(Envelope { job, db }) => {
                let db = db.unwrap_or_else(|| crate::shard::DEFAULT.to_owned());
                match groups.iter_mut().find(|(d, _)| *d == db) {
                    Some((_, jobs)) => jobs.push((job, m)),
                    None => groups.push((db, vec![(job, m)])),
                }
            }
            Err(e) => {
                worker::console_warn!("dropping an unreadable job: {e}");
                m.ack();
            }
        }
    }
    for (db, jobs) in groups {
        if let Err(e) = ctx.use_binding(&db) {
            worker::console_error!("jobs for database {db}: {e:?}");
            jobs.iter().for_each(|(_, m)| m.retry());
            continue;
        }
        consume_jobs(&ctx, jobs, dead_letters).await;
    }
    crate::limits::tally("queue", &ctx.meter);
    Ok(())
}

/// A job read from the queue, with its message (to ack or retry).
type Incoming<'a> = (Job, &'a worker::Message<Value>);

async fn consume_jobs(ctx: &Ctx, jobs: Vec<Incoming<'_>>, dead_letters: bool) {
    if dead_letters {
        for (job, m) in jobs {
            if let Job::Send { d } = job
                && let Err(e) = mark_dead(ctx, &d, "gave up after the queue's retries").await
            {
                worker::console_error!("could not dead-letter {d}: {e:?}");
                m.retry();
                continue;
            }
            m.ack();
        }
        return;
    }
    let mut sends = Vec::new();
    let mut deferred = Vec::new();
    let mut sweep_requested = false;
    for (job, m) in jobs {
        match job {
            Job::Send { d } => sends.push((d, m)),
            // Out of subrequests for one more chunk: back on the queue (`put_back`).
            Job::Release { r } if ctx.meter.remaining() < release::CHUNK_COST + 1 => {
                deferred.push((Job::Release { r }, m));
            }
            Job::Release { r } => match release::chunk(ctx, &r).await {
                Ok(()) => m.ack(),
                Err(e) => {
                    worker::console_error!("release {r} chunk failed: {e:?}");
                    m.retry();
                }
            },
            Job::Sweep => {
                sweep_requested = true;
                m.ack();
            }
            Job::Digest { after, week } => match crate::notify::cron::digest_page(ctx, &after, week).await {
                Ok(_) => m.ack(),
                Err(e) => {
                    worker::console_error!("digest page after {after:?} failed: {e:?}");
                    m.retry();
                }
            },
        }
    }
    put_back(ctx, deferred, "release").await;
    if sweep_requested && let Err(e) = sweep(ctx).await {
        worker::console_error!("sweep failed: {e:?}");
    }
    if !sends.is_empty() {
        let ids: Vec<String> = sends.iter().map(|(d, _)| d.clone()).collect();
        match deliver(ctx, &ids).await {
            Ok(verdicts) => {
                let mut later = Vec::new();
                for (id, m) in sends {
                    match verdicts.get(&id) {
                        Some(Verdict::RetryAfter(secs)) => {
                            m.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(*secs).build());
                        }
                        Some(Verdict::Later) => later.push((Job::Send { d: id }, m)),
                        _ => m.ack(),
                    }
                }
                put_back(ctx, later, "send").await;
            }
            Err(e) => {
                worker::console_error!("delivery batch failed: {e:?}");
                for (_, m) in sends {
                    m.retry();
                }
            }
        }
    }
}

/// Puts jobs this invocation had no subrequests for back on the queue as new messages
/// and acks theirs: a retry would count as a failed attempt, and could dead-letter a
/// job that never failed. Should the queue refuse them, they are retried after all.
async fn put_back(ctx: &Ctx, jobs: Vec<Incoming<'_>>, what: &str) {
    if jobs.is_empty() {
        return;
    }
    let again = jobs.iter().map(|(job, _)| job.clone()).collect();
    match enqueue(ctx, again).await {
        Ok(()) => jobs.iter().for_each(|(_, m)| m.ack()),
        Err(e) => {
            worker::console_error!("putting back {what} jobs failed: {e:?}");
            jobs.iter().for_each(|(_, m)| m.retry());
        }
    }
}

/// Exponential backoff for the n-th failed attempt: base x 2^(n-1), at most an hour.
pub fn backoff_secs(base: u32, attempts: i64) -> u32 {
    let exp = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    base.saturating_mul(1 << exp).min(3600)
}

/// Queues' longest retry delay (developers.cloudflare.com/queues/configuration/batching-retries).
pub const MAX_RETRY_DELAY_SECS: u32 = 43_200;

/// The delay before the next attempt: the provider's `Retry-After` when it gave one
/// (at least a second, at most Queues' longest delay), else our backoff.
pub fn retry_delay(base: u32, attempts: i64, retry_after: Option<u32>) -> u32 {
    match retry_after {
        Some(secs) => secs.clamp(1, MAX_RETRY_DELAY_SECS),
        None => backoff_secs(base, attempts),
    }
}

async fn mark_dead(ctx: &Ctx, id: &str, why: &str) -> Result<(), ApiError> {
    db::run(db::stmt(
        &ctx.db,
        "UPDATE deliveries SET status = 'dead', last_error = COALESCE(last_error || ' | ', '') || ?2, lease_until = NULL, updated_at = ?3 \
         WHERE id = ?1 AND status IN ('queued', 'sending', 'failed')",
        crate::args![id, why, ctx.now.millis()],
    )?)
    .await?;
    Ok(())
}

/// Cloudflare Queues' limits (developers.cloudflare.com/queues/platform/limits): a
/// message is at most 128 KB; `sendBatch` takes at most 100 messages and 256 KB.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;
pub const MAX_BATCH_MESSAGES: usize = 100;
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Splits `jobs` into `sendBatch` calls within Queues' limits, in order; a job over the
/// message limit is an error here, in every build, as it would be in production.
pub fn batches<T: Serialize>(jobs: Vec<T>) -> Result<Vec<Vec<T>>, ApiError> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut bytes = 0;
    for job in jobs {
        let size = serde_json::to_vec(&job).map_err(ApiError::from)?.len();
        if size > MAX_MESSAGE_BYTES {
            return Err(ApiError::Internal(format!(
                "Queues limit: a {size}-byte message (at most {MAX_MESSAGE_BYTES})"
            )));
        }
        match out.last_mut() {
            Some(batch) if batch.len() < MAX_BATCH_MESSAGES && bytes + size <= MAX_BATCH_BYTES => {
                batch.push(job);
                bytes += size;
            }
            _ => {
                out.push(vec![job]);
                bytes = size;
            }
        }
    }
    Ok(out)
}

/// Sends `job`s to the notification queue, in batches within Queues' limits.
pub async fn enqueue(ctx: &Ctx, jobs: Vec<Job>) -> Result<(), ApiError> {
    enqueue_after(ctx, jobs.into_iter().map(|j| (j, 0)).collect()).await
}

/// Enqueues jobs, each delivered after its delay in seconds (0: at once).
pub async fn enqueue_after(ctx: &Ctx, jobs: Vec<(Job, u32)>) -> Result<(), ApiError> {
    let queue = ctx.env.queue("NOTIFY")?;
    let jobs: Vec<(Envelope, u32)> = jobs.into_iter().map(|(job, d)| (Envelope::new(ctx, job), d)).collect();
    for batch in batches(jobs)? {
        ctx.charge("queue send", 1)?;
        let messages: Vec<worker::SendMessage<Envelope>> = batch
            .into_iter()
            .map(|(e, delay)| {
                let m = worker::MessageBuilder::new(e);
                if delay > 0 { m.delay_seconds(delay).build() } else { m.build() }
            })
            .collect();
        queue.send_batch(messages).await?;
    }
    Ok(())
}

/// Enqueues sends for deliveries that have no job yet (or lost theirs), at most 500
/// per sweep; asks for another sweep if more remain.
pub async fn sweep(ctx: &Ctx) -> Result<usize, ApiError> {
    const BATCH: i64 = 500;
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let now = ctx.now.millis();
    let statements = vec![
        // A claim whose holder vanished (crash, redeploy): back to queued.
        db::stmt(
            &ctx.db,
            "UPDATE deliveries SET status = 'queued', lease_until = NULL, updated_at = ?1 \
             WHERE status = 'sending' AND lease_until < ?1",
            crate::args![now],
        )?,
        // Queued and not enqueued recently: enqueue now (the lease marks it enqueued).
        db::stmt(
            &ctx.db,
            "UPDATE deliveries SET lease_until = ?1 + ?2, updated_at = ?1 WHERE id IN \
               (SELECT id FROM deliveries WHERE status = 'queued' AND (lease_until IS NULL OR lease_until < ?1) ORDER BY seq LIMIT ?3) \
             RETURNING id",
            crate::args![now, lease_ms(ctx), BATCH],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let ids: Vec<Id> = results.get(1).map(db::rows).transpose()?.unwrap_or_default();
    let n = ids.len();
    let mut jobs: Vec<Job> = ids.into_iter().map(|i| Job::Send { d: i.id }).collect();
    if n as i64 == BATCH {
        jobs.push(Job::Sweep);
    }
    if !jobs.is_empty() {
        enqueue(ctx, jobs).await?;
    }
    Ok(n)
}

/// Claims, renders and sends the deliveries `ids`; says per id whether to retry.
pub async fn deliver(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, Verdict>, ApiError> {
    let mut verdicts = HashMap::new();
    let mut rest = ids;
    while !rest.is_empty() {
        // One subrequest kept for putting back on the queue what cannot go now.
        let n = chunk_fits(ctx.meter.remaining(), 1).min(rest.len());
        if n == 0 {
            verdicts.extend(rest.iter().map(|id| (id.clone(), Verdict::Later)));
            break;
        }
        let (chunk, tail) = rest.split_at(n);
        deliver_chunk(ctx, chunk, &mut verdicts).await?;
        rest = tail;
    }
    Ok(verdicts)
}

#[derive(Debug, Deserialize)]
struct ProductInfo {
    shop_id: String,
    sku: String,
    name: String,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SubscriberInfo {
    id: String,
    status: String,
    hold_until: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct BackorderInfo {
    id: String,
    quantity: i64,
    status: String,
    /// The platform whose checkout took it (its cancel is there, not Restock's link).
    source: Option<String>,
    current_promise: Option<String>,
    position: Option<i64>,
}

/// What to do with one claimed delivery.
enum Plan {
    Email(Email),
    Sms(Sms),
    Webhook {
        endpoint: EndpointRow,
        event: String,
        event_id: String,
        body: String,
    },
    Skip(String),
    Dead(String),
    /// Not sendable yet (a setting is missing): retried with backoff.
    Wait(String),
}

/// What a send learned beyond its own outcome.
enum Gone {
    /// The webhook endpoint answered 410 Gone: disable it.
    Endpoint(String),
    /// The number opted out at the SMS provider: record it.
    OptedOut(String),
}

/// How the shop's emails look and whom they come from, from its settings, with this
/// email's `extras` (the sender and the dashboard's preview use the same).
pub fn brand<'a>(shop: &'a ShopRow, extras: Extras<'a>) -> Brand<'a> {
    Brand {
        shop_name: &shop.name,
        sender_name: &shop.sender_name,
        reply_to: shop.reply_to.as_deref(),
        color: shop.brand_color.as_deref().unwrap_or("#1f5f4a"),
        postal_address: shop.postal_address.as_deref(),
        from_transactional: shop.from_transactional.as_deref(),
        from_subscription: shop.from_subscription.as_deref(),
        extras,
    }
}

/// Why a production Worker holds a shop's emails back.
pub const POSTAL_ADDRESS_MISSING: &str =
    "postal_address_missing: set the shop's postal address (Settings); every email's footer needs it";

async fn deliver_chunk(ctx: &Ctx, ids: &[String], verdicts: &mut HashMap<String, Verdict>) -> Result<(), ApiError> {
    let now = ctx.now.millis();
    let mut params = crate::args![now, lease_ms(ctx)];
    params.extend(ids.iter().map(|id| db::Arg::js(&id.as_str())));
    let claim = db::stmt(
        &ctx.db,
        &format!(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?1 + ?2, updated_at = ?1 \
             WHERE id IN ({}) AND (status IN ('queued', 'failed') OR (status = 'sending' AND lease_until < ?1)) \
             RETURNING {CLAIMED_COLUMNS}",
            db::placeholders(3, ids.len())
        ),
        params,
    )?;
    let claimed: Vec<Claimed> = db::all(claim).await?;
    // Whatever was not claimed is sent, being sent, or given up on: nothing to do.
    for id in ids {
        verdicts.insert(id.clone(), Verdict::Done);
    }
    send_claimed(ctx, &claimed, verdicts).await
}

/// Sends deliveries that were created already claimed (`sending`, one attempt counted,
/// under a lease) by the caller's own transaction: a release chunk's restock emails.
/// What the invocation's subrequests do not last for (`CHUNK_COST` per `CLAIM_CHUNK`)
/// is given back (`queued`, the attempt not counted) by one statement, for send jobs
/// to claim at once.
pub async fn deliver_claimed(ctx: &Ctx, claimed: &[Claimed]) -> Result<HashMap<String, Verdict>, ApiError> {
    let mut verdicts = HashMap::new();
    let mut back: Vec<&str> = Vec::new();
    let mut rest = claimed;
    while !rest.is_empty() {
        // Two subrequests kept: giving back what cannot go, and the caller's send jobs
        // for it.
        let n = chunk_fits(ctx.meter.remaining(), 2).min(rest.len());
        if n == 0 {
            back.extend(rest.iter().map(|d| d.id.as_str()));
            break;
        }
        let (chunk, tail) = rest.split_at(n);
        verdicts.extend(chunk.iter().map(|d| (d.id.clone(), Verdict::Done)));
        send_claimed(ctx, chunk, &mut verdicts).await?;
        rest = tail;
    }
    if !back.is_empty() {
        db::run(db::stmt(
            &ctx.db,
            "UPDATE deliveries SET status = 'queued', attempts = attempts - 1, lease_until = NULL, updated_at = ?2 \
             WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'sending'",
            crate::args![serde_json::to_string(&back)?, ctx.now.millis()],
        )?)
        .await?;
        verdicts.extend(back.into_iter().map(|id| (id.to_owned(), Verdict::RetryAfter(0))));
    }
    Ok(verdicts)
}

async fn send_claimed(ctx: &Ctx, claimed: &[Claimed], verdicts: &mut HashMap<String, Verdict>) -> Result<(), ApiError> {
    if claimed.is_empty() {
        return Ok(());
    }
    let now = ctx.now.millis();
    let plans = plan(ctx, claimed).await?;
    let provider = Provider::from_config(&ctx.config);
    if let Some(why) = provider.refusal()
        && claimed.iter().any(|d| d.channel == "email")
    {
        // Loud in the logs (and in /v1/health), never silently "sent".
        worker::console_error!("emails not sent: {why}");
    }
    let texts = SmsProvider::from_config(&ctx.config);
    if let SmsProvider::Refused(why) = &texts
        && claimed.iter().any(|d| d.channel == "sms")
    {
        worker::console_error!("texts not sent: {why}");
    }
    let timeout = provider::timeout_ms(ctx);
    let base = ctx.config.retry_base_seconds;

    // How each claimed delivery ends, and the outbox copies: recorded by a few
    // statements over JSON lists (`json_each`), not two statements per delivery.
    let mut ends: Vec<End> = Vec::new();
    let mut outbox: Vec<Value> = Vec::new();
    let mut pending = Vec::new();
    for (d, p) in claimed.iter().zip(plans) {
        match p {
            Plan::Skip(why) => ends.push(End::new(&d.id, "skipped", None, Some(why))),
            Plan::Dead(why) => ends.push(End::new(&d.id, "dead", None, Some(why))),
            Plan::Email(email) if matches!(provider, Provider::Outbox) => {
                let headers = serde_json::to_string(&email.headers.iter().cloned().collect::<HashMap<_, _>>())?;
                outbox.push(json!({ "d": d.id, "shop": d.shop_id, "to": email.to, "from": email.from_name,
                    "reply": email.reply_to, "subject": email.subject, "text": email.text, "html": email.html,
                    "headers": headers }));
                ends.push(End::new(&d.id, "sent", Some("outbox".into()), None));
            }
            // Development: a text lands in the outbox too (shown at /dev/mailbox).
            Plan::Sms(text) if matches!(texts, SmsProvider::Outbox) => {
                outbox.push(json!({ "d": d.id, "shop": d.shop_id, "to": text.to, "from": "SMS", "reply": null,
                    "subject": "SMS", "text": text.body, "html": "", "headers": "{\"channel\":\"sms\"}" }));
                ends.push(End::new(&d.id, "sent", Some("outbox".into()), None));
            }
            other => pending.push((d, other)),
        }
    }
    let provider = &provider;
    let texts = &texts;
    let fetches = pending.iter().filter(|(_, p)| !matches!(p, Plan::Wait(_))).count();
    ctx.charge("fetch", u32::try_from(fetches).unwrap_or(u32::MAX))?;
    // Each outcome, and the endpoint a 410 Gone disables.
    let outcomes = join_all(pending.iter().map(|(d, p)| async move {
        match (p, provider) {
            (Plan::Email(email), Provider::Api(api)) => {
                (provider::send(api, email, &d.dedupe_key, ctx.now, timeout).await, None)
            }
            (Plan::Email(email), Provider::Cloudflare(settings)) => {
                (crate::notify::providers::cloudflare::send(&ctx.env, settings, email).await, None)
            }
            (Plan::Wait(why), _) => (Outcome::retry(why.clone()), None),
            (Plan::Webhook { endpoint, event, event_id, body }, _) => {
                let sent = webhooks::send(endpoint, event, event_id, body, now, timeout).await;
                (sent.outcome, sent.gone.then(|| Gone::Endpoint(endpoint.id.clone())))
            }
            // Retried with backoff, so the emails go out once the configuration is fixed.
            (Plan::Email(_), Provider::Refused { .. }) => {
                (Outcome::retry(provider.refusal().unwrap_or_default()), None)
            }
            (Plan::Sms(text), _) => match texts {
                SmsProvider::Api(api) => {
                    let (outcome, opted_out) = sms::send(api, text, &d.dedupe_key, ctx.now, timeout).await;
                    (outcome, opted_out.then(|| Gone::OptedOut(text.to.clone())))
                }
                SmsProvider::Refused(why) => (Outcome::retry(why.clone()), None),
                SmsProvider::Outbox => (Outcome::Permanent("the outbox takes texts before this point".into()), None),
            },
            _ => (Outcome::Permanent("no provider for this delivery".into()), None),
        }
    }))
    .await;
    // What the sends learned, in a batch of its own after the outcomes (each is
    // idempotent; the outcomes' batch stays within D1's 100 statements: 50 deliveries
    // with at most two statements each).
    let mut learned = Vec::new();
    let mut opted_out = Vec::new();
    for gone in outcomes.iter().filter_map(|(_, g)| g.as_ref()) {
        match gone {
            Gone::Endpoint(id) => learned.push(db::stmt(
                &ctx.db,
                "UPDATE webhook_endpoints SET disabled_at = ?2, disabled_reason = 'the endpoint answered 410 Gone', updated_at = ?2 \
                 WHERE id = ?1 AND disabled_at IS NULL",
                crate::args![id.as_str(), now],
            )?),
            Gone::OptedOut(number) => {
                if let Ok(phone) = Phone::parse(number) {
                    opted_out.push(phone);
                }
            }
        }
    }
    for ((d, _), (outcome, _)) in pending.iter().zip(outcomes) {
        match outcome {
            Outcome::Sent { provider_id } => {
                ends.push(End::new(&d.id, "sent", Some(provider_id.unwrap_or_else(|| d.channel.clone())), None));
            }
            Outcome::Permanent(e) => ends.push(End::new(&d.id, "dead", None, Some(e))),
            Outcome::Retry { error: e, .. } if d.attempts >= MAX_ATTEMPTS => {
                ends.push(End::new(&d.id, "dead", None, Some(format!("{e} (after {} attempts)", d.attempts))));
            }
            Outcome::Retry { error: e, after } => {
                ends.push(End::new(&d.id, "failed", None, Some(e)));
                verdicts.insert(d.id.clone(), Verdict::RetryAfter(retry_delay(base, d.attempts, after)));
            }
        }
    }
    // The outbox copies and the `sent` marks in one transaction: a copy exists exactly
    // when its delivery is sent.
    let mut statements = outbox_inserts(ctx, &outbox)?;
    statements.extend(record_ends(ctx, &ends)?);
    db::batch(&ctx.db, statements).await?;
    while !learned.is_empty() {
        let rest = learned.split_off(learned.len().min(crate::limits::MAX_BATCH_STATEMENTS));
        db::batch(&ctx.db, learned).await?;
        learned = rest;
    }
    // A number Twilio says replied STOP: recorded everywhere, as the STOP webhook does.
    for phone in &opted_out {
        sms::record(ctx, phone, sms::OptOut::Stop).await?;
    }
    Ok(())
}

/// How one claimed delivery ended (`s`: sent, failed, dead or skipped; `p`: the
/// provider's id; `e`: why), as the JSON `record_ends` reads.
#[derive(Serialize)]
struct End {
    id: String,
    s: &'static str,
    p: Option<String>,
    e: Option<String>,
}

impl End {
    fn new(id: &str, s: &'static str, p: Option<String>, e: Option<String>) -> End {
        End { id: id.to_owned(), s, p, e: e.map(|e| e.chars().take(500).collect()) }
    }
}

/// The most bytes of JSON one statement binds (D1 takes values up to 2 MB).
const JSON_CHUNK_BYTES: usize = 1_000_000;

/// `items` as JSON arrays of at most `JSON_CHUNK_BYTES` each.
fn json_chunks<T: Serialize>(items: &[T]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for item in items {
        let text = serde_json::to_string(item)?;
        if !current.is_empty() && size + text.len() + 1 > JSON_CHUNK_BYTES {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += text.len() + 1;
        current.push(text);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    Ok(out)
}

/// Ends the claims in `ends` (only those still ours), one statement per JSON chunk.
/// (`+status`: SQLite must look each delivery up by id, not walk every delivery being
/// sent by its status.)
fn record_ends(ctx: &Ctx, ends: &[End]) -> Result<Vec<db::Stmt>, ApiError> {
    json_chunks(ends)?
        .into_iter()
        .map(|list| {
            db::stmt(
                &ctx.db,
                "UPDATE deliveries SET status = json_extract(j.value, '$.s'), \
                   provider_id = COALESCE(json_extract(j.value, '$.p'), deliveries.provider_id), \
                   last_error = json_extract(j.value, '$.e'), lease_until = NULL, \
                   sent_at = CASE WHEN json_extract(j.value, '$.s') = 'sent' THEN ?2 ELSE deliveries.sent_at END, \
                   updated_at = ?2 \
                 FROM json_each(?1) AS j \
                 WHERE deliveries.id = json_extract(j.value, '$.id') AND +deliveries.status = 'sending'",
                crate::args![list, ctx.now.millis()],
            )
        })
        .collect()
}

/// The outbox copies in `rows` (development), one statement per JSON chunk.
fn outbox_inserts(ctx: &Ctx, rows: &[Value]) -> Result<Vec<db::Stmt>, ApiError> {
    json_chunks(rows)?
        .into_iter()
        .map(|list| {
            db::stmt(
                &ctx.db,
                "INSERT OR IGNORE INTO outbox (delivery_id, shop_id, to_addr, from_name, reply_to, subject, text_body, \
                   html_body, headers, created_at) \
                 SELECT json_extract(value, '$.d'), json_extract(value, '$.shop'), json_extract(value, '$.to'), \
                   json_extract(value, '$.from'), json_extract(value, '$.reply'), json_extract(value, '$.subject'), \
                   json_extract(value, '$.text'), json_extract(value, '$.html'), json_extract(value, '$.headers'), ?2 \
                 FROM json_each(?1)",
                crate::args![list, ctx.now.millis()],
            )
        })
        .collect()
}

/// Public base URL for links: the `PUBLIC_URL` variable, else the shop's recorded one.
pub fn base_url(ctx: &Ctx, shop: &ShopRow) -> String {
    ctx.config
        .public_url
        .clone()
        .or_else(|| (!shop.base_url.is_empty()).then(|| shop.base_url.clone()))
        .or_else(|| (!ctx.self_origin.is_empty()).then(|| ctx.self_origin.clone()))
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

/// Loads what the claimed deliveries need and decides each one's message.
async fn plan(ctx: &Ctx, claimed: &[Claimed]) -> Result<Vec<Plan>, ApiError> {
    let mut shop_ids: Vec<&str> = claimed.iter().map(|d| d.shop_id.as_str()).collect();
    shop_ids.sort_unstable();
    shop_ids.dedup();
    let mut statements = Vec::new();
    let mut params = Vec::new();
    params.extend(shop_ids.iter().map(db::Arg::js));
    statements.push(db::stmt(
        &ctx.db,
        &format!("SELECT * FROM shops WHERE id IN ({})", db::placeholders(1, shop_ids.len())),
        params,
    )?);
    let mut pairs: Vec<(&str, &str)> =
        claimed.iter().filter_map(|d| d.sku.as_deref().map(|s| (d.shop_id.as_str(), s))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    for (shop, sku) in &pairs {
        statements.push(db::stmt(
            &ctx.db,
            "SELECT shop_id, sku, name, url FROM products WHERE shop_id = ?1 AND sku = ?2",
            crate::args![*shop, *sku],
        )?);
    }
    let subject = |kinds: &[&str]| -> Vec<String> {
        claimed.iter().filter(|d| kinds.contains(&d.kind.as_str())).filter_map(|d| d.subject_id.clone()).collect()
    };
    let subscribers = subject(&["confirm", "restock", "reminder"]);
    let orders = subject(&["backorder_confirmation", "delay", "allocated", "status_update", "orders_link"]);
    let sub_stmt = db::stmt(
        &ctx.db,
        &format!(
            "SELECT id, status, hold_until FROM waitlist WHERE id IN ({})",
            db::placeholders(1, subscribers.len().max(1))
        ),
        if subscribers.is_empty() {
            crate::args![""]
        } else {
            subscribers.iter().map(|s| db::Arg::js(&s.as_str())).collect()
        },
    )?;
    let order_stmt = db::stmt(
        &ctx.db,
        &format!(
            "SELECT b.id, b.quantity, b.status, b.source, b.current_promise, \
               CASE WHEN b.status = 'open' THEN (SELECT COUNT(*) FROM backorders q WHERE q.shop_id = b.shop_id AND q.sku = b.sku \
                 AND q.status = 'open' AND q.quantity > q.allocated AND q.seq <= b.seq) END AS position \
             FROM backorders b WHERE b.id IN ({})",
            db::placeholders(1, orders.len().max(1))
        ),
        if orders.is_empty() { crate::args![""] } else { orders.iter().map(|s| db::Arg::js(&s.as_str())).collect() },
    )?;
    statements.push(sub_stmt);
    statements.push(order_stmt);
    // Addresses the shop no longer mails (bounces, complaints): by hash, one JSON list
    // of [shop, hash] pairs, each looked up by the primary key (a condition on
    // `shop_id || ':' || email_hash` would read every shop's suppressions).
    let keys: Vec<[String; 2]> = claimed
        .iter()
        .filter(|d| d.channel == "email")
        .filter_map(|d| feedback::address_key(&d.recipient).map(|(hash, _)| [d.shop_id.clone(), hash]))
        .collect();
    statements.push(db::stmt(
        &ctx.db,
        "SELECT s.shop_id || ':' || s.email_hash AS key FROM json_each(?1) j \
         JOIN suppressions s ON s.shop_id = j.value ->> 0 AND s.email_hash = j.value ->> 1",
        crate::args![serde_json::to_string(&keys)?],
    )?);
    // Numbers that replied STOP: by hash, one JSON list.
    let phones: Vec<String> = claimed
        .iter()
        .filter(|d| d.channel == "sms")
        .filter_map(|d| Phone::parse(&d.recipient).ok().map(|p| sms::phone_hash(&p)))
        .collect();
    statements.push(db::stmt(
        &ctx.db,
        "SELECT phone_hash AS key FROM sms_optouts WHERE phone_hash IN (SELECT value FROM json_each(?1))",
        crate::args![serde_json::to_string(&phones)?],
    )?);
    let endpoints: Vec<&str> =
        claimed.iter().filter(|d| d.channel == "webhook").map(|d| d.recipient.as_str()).collect();
    statements.push(db::stmt(
        &ctx.db,
        "SELECT * FROM webhook_endpoints WHERE id IN (SELECT value FROM json_each(?1))",
        crate::args![serde_json::to_string(&endpoints)?],
    )?);
    let results = db::batch(&ctx.db, statements).await?;
    if results.len() != pairs.len() + 6 {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    }
    let (first, rest) = results.split_at(1);
    let (product_results, tail) = rest.split_at(pairs.len());
    let shops: Vec<ShopRow> = first.iter().map(db::rows).collect::<Result<Vec<Vec<ShopRow>>, _>>()?.concat();
    let mut products: Vec<ProductInfo> = Vec::new();
    for r in product_results {
        products.extend(db::rows::<ProductInfo>(r)?);
    }
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    type Loaded = (Vec<SubscriberInfo>, Vec<BackorderInfo>, Vec<Key>, Vec<Key>, Vec<EndpointRow>);
    let (subs, backorders, suppressed, opted_out, endpoints): Loaded = match tail {
        [s, b, x, o, e] => (db::rows(s)?, db::rows(b)?, db::rows(x)?, db::rows(o)?, db::rows(e)?),
        _ => return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into())),
    };
    let copies = crate::notify::copy::load(ctx, &copy_keys(claimed)).await?;
    let is_suppressed = |d: &Claimed| {
        feedback::address_key(&d.recipient)
            .is_some_and(|(hash, _)| suppressed.iter().any(|k| k.key == format!("{}:{hash}", d.shop_id)))
    };

    let mut out = Vec::with_capacity(claimed.len());
    for d in claimed {
        let Some(shop) = shops.iter().find(|s| s.id == d.shop_id) else {
            out.push(Plan::Dead("the shop no longer exists".into()));
            continue;
        };
        if d.channel == "webhook" {
            let endpoint = endpoints.iter().find(|e| e.id == d.recipient && e.shop_id == d.shop_id);
            out.push(match endpoint {
                None => Plan::Skip("the webhook endpoint was deleted".into()),
                Some(e) if e.disabled_at.is_some() => Plan::Skip(format!(
                    "the webhook endpoint is disabled ({})",
                    e.disabled_reason.as_deref().unwrap_or("by the merchant")
                )),
                Some(e) => {
                    let event_id = serde_json::from_str::<Value>(&d.payload)
                        .ok()
                        .and_then(|p| p["id"].as_str().map(str::to_owned))
                        .unwrap_or_else(|| d.id.clone());
                    Plan::Webhook { endpoint: e.clone(), event: d.kind.clone(), event_id, body: d.payload.clone() }
                }
            });
            continue;
        }
        if d.channel == "sms" {
            let stopped = Phone::parse(&d.recipient).is_ok_and(|p| {
                let hash = sms::phone_hash(&p);
                opted_out.iter().any(|k| k.key == hash)
            });
            let product =
                d.sku.as_deref().and_then(|sku| products.iter().find(|p| p.shop_id == d.shop_id && p.sku == sku));
            out.push(if stopped {
                Plan::Skip("the number replied STOP".into())
            } else {
                sms_plan(ctx, shop, d, product, &subs)
            });
            continue;
        }
        if is_suppressed(d) {
            out.push(Plan::Skip("suppressed: the provider reported a hard bounce or a spam complaint".into()));
            continue;
        }
        let product = d.sku.as_deref().and_then(|sku| products.iter().find(|p| p.shop_id == d.shop_id && p.sku == sku));
        let mut plan = email_plan(ctx, shop, d, product, &subs, &backorders, &copies);
        if let Plan::Email(email) = &mut plan {
            email.headers.push(("List-Id".into(), list_id(&shop.name, &shop.id, &base_url(ctx, shop))));
        }
        out.push(plan);
    }
    Ok(out)
}

/// RFC 2919 `List-Id`: the shop's name as the phrase and `<shop id>.<our host>` as the
/// id, so mailbox providers (Gmail's and Yahoo's bulk-sender rules) can group, filter
/// and unsubscribe one shop's mail. The name is quoted (RFC 5322), the host taken
/// without its port (a colon is not allowed in the id).
pub fn list_id(shop_name: &str, shop_id: &str, base_url: &str) -> String {
    let host = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    let host = host.split(['/', ':']).next().filter(|h| !h.is_empty()).unwrap_or("localhost");
    let label: String =
        shop_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    let name: String = shop_name
        .chars()
        .filter(|c| !restock_shared::is_line_break(*c))
        .flat_map(|c| if c == '"' || c == '\\' { vec!['\\', c] } else { vec![c] })
        .collect();
    format!("\"{name}\" <{label}.{}>", host.to_ascii_lowercase())
}

/// The (shop, kind, language) of each claimed email, for its shop's own copy.
fn copy_keys(claimed: &[Claimed]) -> Vec<(String, String, String)> {
    let mut keys: Vec<(String, String, String)> = claimed
        .iter()
        .filter(|d| d.channel == "email")
        .map(|d| (d.shop_id.clone(), d.kind.clone(), Lang::from_tag(&d.locale).tag().to_owned()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// How long a link to the shopper's page of their orders works. Every email about an
/// order carries a fresh one, and an expired one's page offers a new one by email.
pub const ORDERS_LINK_DAYS: i64 = 60;

/// The link to the shopper's page of their orders, named by backorder `id`.
pub fn orders_url(ctx: &Ctx, base: &str, shop: &str, id: &str) -> Option<String> {
    let token = tokens::sign(ctx, LinkKind::Orders, shop, id, ORDERS_LINK_DAYS).ok()?;
    Some(tokens::url(base, &format!("/v1/shops/{shop}/backorders/mine"), &token))
}

/// What the shop adds to this email (issue 18): its copy for the kind and language,
/// its incentives where it chose them, the shopper's page for emails about an order.
fn extras<'a>(
    shop: &'a ShopRow,
    d: &Claimed,
    lang: Lang,
    copies: &'a [crate::notify::copy::CopyRow],
    orders: Option<&'a str>,
    copy: &'a mut Option<crate::notify::copy::EmailCopy>,
) -> Extras<'a> {
    *copy = copies.iter().find(|c| c.shop_id == shop.id && c.kind == d.kind && c.lang == lang.tag()).map(|c| c.copy());
    Extras {
        copy: copy.as_ref(),
        code: shop.discount_code.as_deref().filter(|_| shop.incentive_in("backorder_confirmation")),
        free_shipping: shop.free_shipping != 0 && shop.incentive_in(&d.kind),
        orders_url: orders,
    }
}

fn email_plan(
    ctx: &Ctx,
    shop: &ShopRow,
    d: &Claimed,
    product: Option<&ProductInfo>,
    subs: &[SubscriberInfo],
    backorders: &[BackorderInfo],
    copies: &[crate::notify::copy::CopyRow],
) -> Plan {
    let payload: Value = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
    let lang = Lang::from_tag(&d.locale);
    let brand = brand(shop, Extras::default());
    // Bulk-sender rules: no email to shoppers from a production Worker without the
    // shop's postal address in its footer. Retried, so it goes out once it is set.
    if d.kind != "digest"
        && shop.postal_address.is_none()
        && ctx.config.environment == crate::config::Environment::Production
    {
        return Plan::Wait(POSTAL_ADDRESS_MISSING.into());
    }
    let base = base_url(ctx, shop);
    let name = product.map_or("", |p| p.name.as_str());
    let sub = d.subject_id.as_deref().and_then(|id| subs.iter().find(|s| s.id == id));
    let order = d.subject_id.as_deref().and_then(|id| backorders.iter().find(|b| b.id == id));
    let link = |kind: LinkKind, path: &str| -> Option<String> {
        let id = d.subject_id.as_deref()?;
        let token = tokens::sign(ctx, kind, &shop.id, id, 0).ok()?;
        Some(tokens::url(&base, &format!("/v1/shops/{}/{path}", shop.id), &token))
    };
    let date = |v: &Value| v.as_str().and_then(|s| Date::parse(s).ok());
    let orders = order.and_then(|o| orders_url(ctx, &base, &shop.id, &o.id));
    let mut copy = None;
    let brand = Brand { extras: extras(shop, d, lang, copies, orders.as_deref(), &mut copy), ..brand };
    let body = match d.kind.as_str() {
        "confirm" => {
            if sub.is_none_or(|s| s.status != "pending") {
                return Plan::Skip("no longer waiting for confirmation".into());
            }
            let (Some(confirm), Some(unsub)) =
                (payload["confirm_url"].as_str(), link(LinkKind::Unsubscribe, "waitlist/unsubscribe"))
            else {
                return Plan::Dead("confirmation link missing".into());
            };
            return Plan::Email(render(
                lang,
                &brand,
                &d.recipient,
                Body::Confirm { product: name, confirm_url: confirm, unsubscribe_url: &unsub },
            ));
        }
        "restock" => {
            let Some(sub) = sub.filter(|s| s.status == "notified") else {
                return Plan::Skip("unsubscribed or erased since the release".into());
            };
            let Some(unsub) = link(LinkKind::Unsubscribe, "waitlist/unsubscribe") else {
                return Plan::Dead("unsubscribe link could not be signed".into());
            };
            let url =
                product.and_then(|p| p.url.as_deref()).map(|u| absolute(u, shop.shop_url.as_deref().unwrap_or(&base)));
            // Through the click counter (`attribution`), when the link can be signed.
            let url = url.map(|u| link(LinkKind::Click, "go").unwrap_or(u));
            let held = sub.hold_until.map(|ms| Timestamp::from_millis(ms).date());
            return Plan::Email(render(
                lang,
                &brand,
                &d.recipient,
                Body::Restock {
                    product: name,
                    product_url: url.as_deref(),
                    held_until: held,
                    code: shop.discount_code.as_deref().filter(|_| shop.incentive_in("restock")),
                    unsubscribe_url: &unsub,
                },
            ));
        }
        "reminder" => {
            let Some(_) = sub.filter(|s| s.status == "notified") else {
                return Plan::Skip("unsubscribed or erased since the notice".into());
            };
            let Some(unsub) = link(LinkKind::Unsubscribe, "waitlist/unsubscribe") else {
                return Plan::Dead("unsubscribe link could not be signed".into());
            };
            let url =
                product.and_then(|p| p.url.as_deref()).map(|u| absolute(u, shop.shop_url.as_deref().unwrap_or(&base)));
            let url = url.map(|u| link(LinkKind::Click, "go").unwrap_or(u));
            return Plan::Email(render(
                lang,
                &brand,
                &d.recipient,
                Body::Reminder { product: name, product_url: url.as_deref(), unsubscribe_url: &unsub },
            ));
        }
        "digest" => {
            let csv = payload["csv"].as_str().unwrap_or_default();
            return Plan::Email(render(lang, &brand, &d.recipient, Body::Digest { csv }));
        }
        _ => {
            let Some(order) = order else { return Plan::Skip("the order was erased".into()) };
            let qty = u32::try_from(order.quantity).unwrap_or(0);
            let promised = order.current_promise.as_deref().and_then(|s| Date::parse(s).ok());
            let position = order.position.and_then(|p| u32::try_from(p).ok());
            // A platform's order is cancelled in the platform (where it was paid): no
            // Restock link, which would free the place and leave the paid order.
            let cancel = if order.source.is_some() {
                None
            } else {
                payload["cancel_url"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| link(LinkKind::Cancel, "backorders/cancel"))
            };
            match (d.kind.as_str(), cancel) {
                ("allocated", _) => Body::Allocated { product: name, qty },
                ("orders_link", _) => {
                    let Some(url) = orders.as_deref() else { return Plan::Dead("the link could not be signed".into()) };
                    return Plan::Email(render(lang, &brand, &d.recipient, Body::OrdersLink { url }));
                }
                (_, _) if order.status == "cancelled" => return Plan::Skip("the order was cancelled".into()),
                ("backorder_confirmation", Some(c)) => {
                    return Plan::Email(render(
                        lang,
                        &brand,
                        &d.recipient,
                        Body::BackorderConfirmation { product: name, qty, position, promised, cancel_url: &c },
                    ));
                }
                ("status_update", _) if order.status != "open" => {
                    return Plan::Skip("the order is no longer waiting".into());
                }
                ("status_update", c) if c.is_some() || order.source.is_some() => {
                    let cancel = match &c {
                        Some(url) => Cancel::Link(url),
                        None => Cancel::InShop { shop_url: shop.shop_url.as_deref() },
                    };
                    return Plan::Email(render(
                        lang,
                        &brand,
                        &d.recipient,
                        Body::StatusUpdate { product: name, qty, position, promised, cancel },
                    ));
                }
                ("delay", c) if c.is_some() || order.source.is_some() => {
                    let cancel = match &c {
                        Some(url) => Cancel::Link(url),
                        None => Cancel::InShop { shop_url: shop.shop_url.as_deref() },
                    };
                    return Plan::Email(render(
                        lang,
                        &brand,
                        &d.recipient,
                        Body::Delay { product: name, new_date: date(&payload["new_date"]), cancel },
                    ));
                }
                (kind, _) => return Plan::Dead(format!("cannot render a {kind} email")),
            }
        }
    };
    Plan::Email(render(lang, &brand, &d.recipient, body))
}

/// The text a claimed `sms` delivery sends: only restock notices are texted, to
/// subscribers still notified, while the shop still offers texts.
fn sms_plan(ctx: &Ctx, shop: &ShopRow, d: &Claimed, product: Option<&ProductInfo>, subs: &[SubscriberInfo]) -> Plan {
    if shop.sms_enabled == 0 {
        return Plan::Skip("the shop no longer offers texts".into());
    }
    if d.kind != "restock" {
        return Plan::Dead(format!("cannot text a {} notice", d.kind));
    }
    let sub = d.subject_id.as_deref().and_then(|id| subs.iter().find(|s| s.id == id));
    if sub.is_none_or(|s| s.status != "notified") {
        return Plan::Skip("unsubscribed or erased since the release".into());
    }
    let Ok(phone) = Phone::parse(&d.recipient) else {
        return Plan::Dead("the number is not in E.164".into());
    };
    let base = base_url(ctx, shop);
    let url = product.and_then(|p| p.url.as_deref()).map(|u| absolute(u, shop.shop_url.as_deref().unwrap_or(&base)));
    let sender = if shop.sender_name.is_empty() { &shop.name } else { &shop.sender_name };
    let name = product.map_or("", |p| p.name.as_str());
    Plan::Sms(Sms::new(&phone, sms::restock_body(Lang::from_tag(&d.locale), sender, name, url.as_deref())))
}

/// A product URL as an absolute link (relative ones resolve against the shop's URL).
fn absolute(url: &str, base: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("{}{url}", base.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod queue_limits {
    use super::*;

    #[test]
    fn batches_keep_within_queues_limits_and_order() {
        let jobs: Vec<Job> = (0..250).map(|i| Job::Send { d: format!("dl_{i}") }).collect();
        let out = batches(jobs).unwrap_or_default();
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50], "at most 100 per batch");
        let Some(Job::Send { d }) = out[2].last() else { panic!("a send job") };
        assert_eq!(d, "dl_249", "in order");
        // Large messages: the byte limit splits before the count does.
        let big = |i: usize| Job::Send { d: format!("{i}{}", "x".repeat(100 * 1024)) };
        let out = batches((0..5).map(big).collect()).unwrap_or_default();
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1], "at most 256 KB per batch");
        // One message over 128 KB is refused, not sent to fail in production.
        assert!(batches(vec![Job::Send { d: "x".repeat(MAX_MESSAGE_BYTES) }]).is_err());
        assert!(batches(Vec::<Job>::new()).is_ok_and(|b| b.is_empty()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_holds_what_the_subrequests_left_last_for() {
        assert_eq!(chunk_fits(1_000, 1), CLAIM_CHUNK);
        assert_eq!(chunk_fits(50, 1), 12, "the Free plan's limit sends 12 a fresh invocation");
        assert_eq!((chunk_fits(15, 1), chunk_fits(16, 1)), (0, 1));
        for remaining in 0..=1_000 {
            for keep in 0..=2 {
                let n = chunk_fits(remaining, keep);
                if n > 0 {
                    assert!(chunk_cost(n) + keep <= remaining, "{n} deliveries with {remaining} left, {keep} kept");
                }
                assert!(n == CLAIM_CHUNK || chunk_cost(n + 1) + keep > remaining, "one more would fit: {remaining}");
            }
        }
    }

    #[test]
    fn json_lists_are_cut_to_what_one_statement_binds() {
        let small: Vec<u32> = (0..10).collect();
        assert_eq!(super::json_chunks(&small).ok(), Some(vec!["[0,1,2,3,4,5,6,7,8,9]".to_owned()]));
        let big = "x".repeat(300_000);
        let items = vec![big.clone(), big.clone(), big.clone(), big.clone(), big];
        let chunks = super::json_chunks(&items).unwrap_or_default();
        assert_eq!(chunks.len(), 2, "five 300 KB texts: three, then two");
        assert!(chunks.iter().all(|c| c.len() <= super::JSON_CHUNK_BYTES));
        let back: Vec<Vec<String>> = chunks.iter().map(|c| serde_json::from_str(c).unwrap_or_default()).collect();
        assert_eq!(back.iter().map(Vec::len).collect::<Vec<_>>(), [3, 2]);
        assert!(super::json_chunks::<u32>(&[]).unwrap_or_default().is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_secs(30, 1), 30);
        assert_eq!(backoff_secs(30, 2), 60);
        assert_eq!(backoff_secs(30, 5), 480);
        assert_eq!(backoff_secs(30, 9), 3600);
        assert_eq!(backoff_secs(1, 3), 4);
        assert_eq!(backoff_secs(30, 0), 30);
        assert_eq!(backoff_secs(u32::MAX, 3), 3600);
    }

    #[test]
    fn a_providers_retry_after_replaces_the_backoff() {
        assert_eq!(retry_delay(30, 1, Some(7)), 7);
        assert_eq!(retry_delay(30, 4, None), 240);
        assert_eq!(retry_delay(30, 1, Some(0)), 1);
        assert_eq!(retry_delay(30, 1, Some(u32::MAX)), MAX_RETRY_DELAY_SECS);
    }

    #[test]
    fn jobs_have_a_stable_wire_form() {
        assert_eq!(
            serde_json::to_string(&Job::Send { d: "dl_1".into() }).unwrap_or_default(),
            r#"{"t":"send","d":"dl_1"}"#
        );
        assert!(matches!(serde_json::from_str::<Job>(r#"{"t":"release","r":"rl_1"}"#), Ok(Job::Release { .. })));
        assert!(serde_json::from_str::<Job>(r#"{"t":"nope"}"#).is_err());
    }

    #[test]
    fn list_ids_name_the_shop_under_our_host() {
        assert_eq!(
            list_id("Ana's \"Mugs\"", "shop_ab12", "https://restock.example.com/"),
            r#""Ana's \"Mugs\"" <shop_ab12.restock.example.com>"#
        );
        assert_eq!(list_id("M", "shop_1", "http://127.0.0.1:8787"), r#""M" <shop_1.127.0.0.1>"#);
        assert_eq!(list_id("M", "s.x", ""), r#""M" <s-x.localhost>"#);
    }

    #[test]
    fn relative_product_urls_resolve_against_the_shop() {
        assert_eq!(absolute("/p/1", "https://shop.example/"), "https://shop.example/p/1");
        assert_eq!(absolute("https://x.example/p", "https://shop.example"), "https://x.example/p");
    }
}
