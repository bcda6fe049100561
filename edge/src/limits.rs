//! Cloudflare's production limits that are counted per invocation or checked per KV
//! write, enforced in every build so that a local run fails where production would.
//! D1's per-statement limits are in `db::check_limits`, Queues' in
//! `notify::consumer::batches`; ARCHITECTURE.md lists each limit, its source and where
//! it is checked.
//!
//! Pure (no JS; callers pass the clock), so every guard is unit-tested natively.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::error::ApiError;

/// Subrequests one invocation may make. D1 allows "Queries per Worker invocation: 1000
/// (Workers Paid) / 50 (Free)" (developers.cloudflare.com/d1/platform/limits), below
/// the Workers limit on other subrequests (10,000 on Paid today,
/// developers.cloudflare.com/workers/platform/limits), so D1's 1,000 is the bound this
/// Worker keeps, counting KV, Queues and `fetch` too (erring on the safe side).
/// `SUBREQUEST_LIMIT` lowers it to match a deployment's plan (Free: 50), and tests
/// lower it to prove that work stops in time.
pub const SUBREQUESTS_PAID: u32 = 1000;

/// Statements in one D1 batch. Cloudflare publishes no count of its own for a batch,
/// but a batch is one transaction that must finish within D1's 30 s query limit and
/// every statement in it is a query of the invocation: 100 is ours, several times what
/// any batch of this Worker builds, so a batch that grows with input fails in tests
/// long before it could meet either.
pub const MAX_BATCH_STATEMENTS: usize = 100;

/// D1's "Maximum string, BLOB or table row size": 2,000,000 bytes (a bound JSON array
/// is one string).
pub const MAX_VALUE_BYTES: usize = 2_000_000;

/// KV's "Key size: 512 bytes" (developers.cloudflare.com/kv/platform/limits).
pub const KV_MAX_KEY_BYTES: usize = 512;
/// KV's "Value size: 25 MiB".
pub const KV_MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;
/// KV's "Writes to the same key: 1 per second".
pub const KV_WRITE_INTERVAL_MS: i64 = 1000;

/// One invocation's subrequests against its limit, and the D1 rows its queries read
/// and wrote (from D1's own `meta`). Shared by every call site through `Ctx`.
#[derive(Debug)]
pub struct Meter {
    used: Cell<u32>,
    limit: u32,
    /// Charges refused (each would have thrown "Too many subrequests" in production).
    refused: Cell<u32>,
    rows_read: Cell<u64>,
    rows_written: Cell<u64>,
}

impl Meter {
    pub fn new(limit: u32) -> Meter {
        Meter { used: Cell::new(0), limit, refused: Cell::new(0), rows_read: Cell::new(0), rows_written: Cell::new(0) }
    }

    pub fn used(&self) -> u32 {
        self.used.get()
    }

    /// Subrequests still allowed: bounded loops (cron, fan-out) stop before this runs out.
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used.get())
    }

    /// Counts `n` subrequests of kind `what`, or refuses them (and counts nothing) when
    /// they would go over the limit: production throws "Too many subrequests" there.
    pub fn charge(&self, what: &'static str, n: u32) -> Result<(), ApiError> {
        let used = self.used.get();
        if used.saturating_add(n) > self.limit {
            self.refused.set(self.refused.get().saturating_add(1));
            return Err(ApiError::Limit {
                code: "subrequest_limit",
                cause: format!(
                    "{used} subrequests made and {n} more ({what}) would pass this invocation's {} (SUBREQUEST_LIMIT)",
                    self.limit
                ),
            });
        }
        self.used.set(used + n);
        Ok(())
    }

    /// Charges refused so far: work that a production invocation could not have done.
    pub fn refused(&self) -> u32 {
        self.refused.get()
    }

    /// Adds one D1 result's `rows_read` and `rows_written`.
    pub fn rows(&self, read: usize, written: usize) {
        self.rows_read.set(self.rows_read.get() + read as u64);
        self.rows_written.set(self.rows_written.get() + written as u64);
    }

    /// (rows read, rows written) so far.
    pub fn d1_rows(&self) -> (u64, u64) {
        (self.rows_read.get(), self.rows_written.get())
    }
}

/// D1 rows and subrequests per kind of invocation (`fetch`, `queue`, `scheduled`)
/// since this isolate started: what `GET /dev/d1` shows, so a benchmark can read the
/// D1 cost of work that no response reports (queue consumers, cron).
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Tally {
    pub invocations: u64,
    pub rows_read: u64,
    pub rows_written: u64,
    pub subrequests: u64,
    /// Subrequests refused by the Meter (`subrequest_limit`): an invocation that met
    /// its limit, which production would have failed.
    pub refused: u64,
    /// The most subrequests one invocation of this kind made.
    pub most: u64,
}

thread_local! {
    static TALLIES: RefCell<Vec<(&'static str, Tally)>> = const { RefCell::new(Vec::new()) };
}

/// Adds one finished invocation of `kind` to this isolate's tallies.
pub fn tally(kind: &'static str, meter: &Meter) {
    let (read, written) = meter.d1_rows();
    TALLIES.with(|t| {
        let mut t = t.borrow_mut();
        let i = match t.iter().position(|(k, _)| *k == kind) {
            Some(i) => i,
            None => {
                t.push((kind, Tally::default()));
                t.len() - 1
            }
        };
        let entry = &mut t[i].1;
        entry.invocations += 1;
        entry.rows_read += read;
        entry.rows_written += written;
        entry.subrequests += u64::from(meter.used());
        entry.refused += u64::from(meter.refused());
        entry.most = entry.most.max(u64::from(meter.used()));
    });
}

/// This isolate's tallies by kind.
pub fn tallies() -> Vec<(&'static str, Tally)> {
    TALLIES.with(|t| t.borrow().clone())
}

/// Checks a D1 batch's statement count before it is sent.
pub fn check_batch(statements: usize) -> Result<(), ApiError> {
    if statements > MAX_BATCH_STATEMENTS {
        return Err(ApiError::Limit {
            code: "d1_batch_limit",
            cause: format!("a D1 batch of {statements} statements (at most {MAX_BATCH_STATEMENTS})"),
        });
    }
    Ok(())
}

/// Checks one bound value against D1's largest string.
pub fn check_value(bytes: usize) -> Result<(), ApiError> {
    if bytes > MAX_VALUE_BYTES {
        return Err(ApiError::Limit {
            code: "d1_value_limit",
            cause: format!("a bound value of {bytes} bytes (at most {MAX_VALUE_BYTES})"),
        });
    }
    Ok(())
}

/// Checks a KV write's key and value sizes.
pub fn check_kv(key: &str, value_bytes: usize) -> Result<(), ApiError> {
    if key.len() > KV_MAX_KEY_BYTES {
        return Err(ApiError::Limit {
            code: "kv_key_limit",
            cause: format!("a {}-byte KV key (at most {KV_MAX_KEY_BYTES})", key.len()),
        });
    }
    if value_bytes > KV_MAX_VALUE_BYTES {
        return Err(ApiError::Limit {
            code: "kv_value_limit",
            cause: format!("a {value_bytes}-byte KV value under {key} (at most {KV_MAX_VALUE_BYTES})"),
        });
    }
    Ok(())
}

/// KV writes per key from this isolate, kept to KV's one write per second per key (a
/// second write within the second gets a 429 in production). A write that comes too
/// early waits for the key's next slot; while it waits, newer values replace it, so
/// the last value is the one written and a burst costs one write per second.
#[derive(Debug, Default)]
pub struct KvWrites {
    keys: RefCell<HashMap<String, Slot>>,
}

#[derive(Debug)]
struct Slot {
    /// When this key may next be written.
    next_at: i64,
    /// A value waiting for that time.
    pending: Option<String>,
}

/// What to do with a write offered to [`KvWrites::offer`].
#[derive(Debug, PartialEq, Eq)]
pub enum Write {
    /// Write it now.
    Now(String),
    /// Call [`KvWrites::take`] in this many milliseconds and write what it returns.
    Later(i64),
    /// A write already waits for this key's slot; it will carry this value.
    Merged,
}

/// Keys remembered at most: bounded memory in a long-lived isolate.
const KV_KEYS_REMEMBERED: usize = 4096;

impl KvWrites {
    pub fn offer(&self, key: &str, value: String, now_ms: i64) -> Write {
        let mut keys = self.keys.borrow_mut();
        if keys.len() >= KV_KEYS_REMEMBERED {
            keys.retain(|_, slot| slot.pending.is_some() || slot.next_at > now_ms);
        }
        match keys.get_mut(key) {
            Some(slot) if slot.pending.is_some() => {
                slot.pending = Some(value);
                Write::Merged
            }
            Some(slot) if slot.next_at > now_ms => {
                slot.pending = Some(value);
                Write::Later(slot.next_at - now_ms)
            }
            _ => {
                if keys.len() < KV_KEYS_REMEMBERED {
                    keys.insert(key.to_owned(), Slot { next_at: now_ms + KV_WRITE_INTERVAL_MS, pending: None });
                }
                Write::Now(value)
            }
        }
    }

    /// The value waiting for `key`'s slot, which is taken from `now_ms` on.
    pub fn take(&self, key: &str, now_ms: i64) -> Option<String> {
        let mut keys = self.keys.borrow_mut();
        let slot = keys.get_mut(key)?;
        slot.next_at = now_ms + KV_WRITE_INTERVAL_MS;
        slot.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subrequest_budget_refuses_the_first_request_past_the_limit() {
        let meter = Meter::new(3);
        assert!(meter.charge("D1 query", 2).is_ok());
        assert_eq!(meter.remaining(), 1);
        let refused = meter.charge("D1 batch", 2).err().map(|e| e.code());
        assert_eq!(refused, Some("subrequest_limit"), "2 more would make 4 of 3");
        assert_eq!(meter.used(), 2, "a refused charge counts nothing");
        assert_eq!(meter.refused(), 1, "but is counted as refused");
        assert!(meter.charge("KV get", 1).is_ok());
        assert_eq!(meter.charge("fetch", 1).err().map(|e| e.code()), Some("subrequest_limit"));
    }

    #[test]
    fn d1_batches_and_values_past_the_limits_are_refused() {
        assert!(check_batch(MAX_BATCH_STATEMENTS).is_ok());
        assert_eq!(check_batch(MAX_BATCH_STATEMENTS + 1).err().map(|e| e.code()), Some("d1_batch_limit"));
        assert!(check_value(MAX_VALUE_BYTES).is_ok());
        assert_eq!(check_value(MAX_VALUE_BYTES + 1).err().map(|e| e.code()), Some("d1_value_limit"));
    }

    #[test]
    fn kv_keys_and_values_past_the_limits_are_refused() {
        assert!(check_kv(&"k".repeat(KV_MAX_KEY_BYTES), KV_MAX_VALUE_BYTES).is_ok());
        assert_eq!(check_kv(&"k".repeat(KV_MAX_KEY_BYTES + 1), 1).err().map(|e| e.code()), Some("kv_key_limit"));
        assert_eq!(check_kv("k", KV_MAX_VALUE_BYTES + 1).err().map(|e| e.code()), Some("kv_value_limit"));
    }

    #[test]
    fn a_kv_key_is_written_at_most_once_a_second_and_the_last_value_wins() {
        let writes = KvWrites::default();
        assert_eq!(writes.offer("avail:a", "1".into(), 10_000), Write::Now("1".into()));
        assert_eq!(writes.offer("avail:b", "x".into(), 10_100), Write::Now("x".into()), "another key");
        assert_eq!(writes.offer("avail:a", "2".into(), 10_400), Write::Later(600), "waits for its second");
        assert_eq!(writes.offer("avail:a", "3".into(), 10_500), Write::Merged, "replaces the waiting value");
        assert_eq!(writes.take("avail:a", 11_000), Some("3".into()), "the newest value is written");
        assert_eq!(writes.take("avail:a", 11_000), None);
        assert_eq!(writes.offer("avail:a", "4".into(), 11_500), Write::Later(500), "a second after that write");
        assert_eq!(writes.take("avail:a", 12_000), Some("4".into()));
        assert_eq!(writes.offer("avail:a", "5".into(), 13_000), Write::Now("5".into()));
        for i in 0..(KV_KEYS_REMEMBERED as i64 + 10) {
            assert!(matches!(writes.offer(&format!("k{i}"), String::new(), 20_000 + i), Write::Now(_)));
        }
        assert!(writes.keys.borrow().len() <= KV_KEYS_REMEMBERED, "memory stays bounded");
    }
}
