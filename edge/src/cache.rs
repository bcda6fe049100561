//! KV snapshots for public reads.
//!
//! KV is eventually consistent and takes about one write per second per key, so it
//! never holds anything that decides a write (caps, counters, the queue): it holds
//! *answers* (a SKU's availability view, a shop's public settings), each stamped with
//! the instant it was computed. A reader trusts a snapshot only while it is younger
//! than `FRESH_MS`, whatever KV's own propagation does, so a change is visible in
//! cached answers within seconds. Writes are best-effort and happen after the
//! response (`wait_until`): a burst of changes or KV's rate limit can make one fail,
//! and then the next reader simply computes from D1 again.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::limits::{self, KvWrites, Write};

thread_local! {
    /// This isolate's last write per key (KV takes one write per second per key).
    static WRITES: KvWrites = KvWrites::default();
}

/// How long a snapshot answers for.
pub const FRESH_MS: i64 = 5_000;
/// KV drops snapshots after this long (its minimum TTL is 60 s).
const EXPIRE_SECS: u64 = 300;
const BINDING: &str = "CACHE";

#[derive(Serialize, Deserialize)]
struct Snapshot<T> {
    at: i64,
    value: T,
}

/// Whether a snapshot taken at `at` still answers at `now`.
pub fn is_fresh(at: i64, now: i64) -> bool {
    (0..FRESH_MS).contains(&(now - at))
}

fn decode_stamped<T: DeserializeOwned>(ctx: &Ctx, text: &str) -> Option<(i64, T)> {
    let snap: Snapshot<T> = serde_json::from_str(text).ok()?;
    is_fresh(snap.at, ctx.now.millis()).then_some((snap.at, snap.value))
}

fn decode<T: DeserializeOwned>(ctx: &Ctx, text: &str) -> Option<T> {
    decode_stamped(ctx, text).map(|(_, v)| v)
}

/// A fresh snapshot under `key`, or `None` (missing, stale, unreadable, KV down).
pub async fn get<T: DeserializeOwned>(ctx: &Ctx, key: &str) -> Option<T> {
    get_stamped(ctx, key).await.map(|(_, v)| v)
}

/// [`get`], with the instant the snapshot was computed.
pub async fn get_stamped<T: DeserializeOwned>(ctx: &Ctx, key: &str) -> Option<(i64, T)> {
    ctx.charge("KV get", 1).ok()?;
    let kv = ctx.env.kv(BINDING).ok()?;
    let text = kv.get(key).text().await.ok()??;
    decode_stamped(ctx, &text)
}

/// Fresh snapshots for many keys at once (missing ones are absent from the result).
pub async fn get_many<T: DeserializeOwned>(ctx: &Ctx, keys: &[String]) -> Vec<(String, T)> {
    let Ok(kv) = ctx.env.kv(BINDING) else { return Vec::new() };
    let mut out = Vec::new();
    if ctx.charge("KV get", 1).is_err() {
        return out;
    }
    if let Ok(map) = kv.get_bulk(keys).text().await {
        for (key, text) in map {
            if let Some(value) = text.as_deref().and_then(|t| decode(ctx, t)) {
                out.push((key, value));
            }
        }
        return out;
    }
    for key in keys {
        if let Some(v) = get(ctx, key).await {
            out.push((key.clone(), v));
        }
    }
    out
}

/// Stores a snapshot of `value` after the response is sent. Failures are logged and
/// otherwise ignored: the cache is an optimization, never a source of truth. KV takes
/// one write per second per key: a write within a key's second waits for the next one
/// (and a newer value replaces it while it waits), so the last value is the one kept.
pub fn put<T: Serialize>(ctx: &Ctx, key: String, value: &T) {
    let Ok(text) = serde_json::to_string(&Snapshot { at: ctx.now.millis(), value }) else { return };
    if let Err(e) = limits::check_kv(&key, text.len()) {
        worker::console_error!("KV snapshot not written: {e:?}");
        return;
    }
    let Ok(kv) = ctx.env.kv(BINDING) else { return };
    // Charged before the slot is taken, so a waiting value always has its write coming.
    if ctx.charge("KV put", 1).is_err() {
        return;
    }
    let now = || worker::Date::now().as_millis() as i64;
    let text = match WRITES.with(|w| w.offer(&key, text, now())) {
        Write::Now(text) => text,
        Write::Merged => return,
        Write::Later(ms) => {
            let ms = u64::try_from(ms).unwrap_or(0);
            ctx.wait_until(async move {
                worker::Delay::from(std::time::Duration::from_millis(ms)).await;
                if let Some(text) = WRITES.with(|w| w.take(&key, now())) {
                    write(kv, key, text).await;
                }
            });
            return;
        }
    };
    ctx.wait_until(write(kv, key, text));
}

async fn write(kv: worker::kv::KvStore, key: String, text: String) {
    let result = match kv.put(&key, text) {
        Ok(builder) => builder.expiration_ttl(EXPIRE_SECS).execute().await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        worker::console_warn!("KV snapshot {key} not written: {e}");
    }
}

pub fn shop_key(shop: &str) -> String {
    format!("shop:v1:{shop}")
}

pub fn availability_key(shop: &str, sku: &str) -> String {
    format!("avail:v1:{shop}:{sku}")
}
