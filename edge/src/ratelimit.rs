//! Rate limits for public writes. Where a Workers Rate Limiting binding is configured
//! (`[[ratelimits]]` in wrangler.toml, named per limit) it decides; otherwise a
//! fixed-window counter in D1 does, which also works under `wrangler dev`.

use serde::Deserialize;

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;

/// A limit: at most `max` hits per `window_secs` per key.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub name: &'static str,
    /// The Rate Limiting binding that enforces it in production, when configured.
    pub binding: &'static str,
    pub max: u32,
    pub window_secs: u32,
}

/// Waitlist signups per shop from one IP.
pub const SIGNUP_PER_IP: Limit = Limit { name: "signup-ip", binding: "SIGNUP_IP_LIMITER", max: 10, window_secs: 600 };
/// Waitlist signups per shop for one email address (also bounds confirmation mails).
pub const SIGNUP_PER_EMAIL: Limit =
    Limit { name: "signup-email", binding: "SIGNUP_EMAIL_LIMITER", max: 5, window_secs: 3600 };
/// Backorders per shop from one IP (caps protect stock; this protects the caps).
pub const BACKORDER_PER_IP: Limit =
    Limit { name: "backorder-ip", binding: "BACKORDER_IP_LIMITER", max: 20, window_secs: 600 };

#[derive(Deserialize)]
struct Hits {
    hits: i64,
}

/// Counts one hit for each `(limit, key)`; 429 if any is over its limit.
pub async fn check(ctx: &Ctx, hits: &[(Limit, String)]) -> Result<(), ApiError> {
    let now_secs = ctx.now.millis() / 1000;
    let mut d1 = Vec::new();
    for (limit, key) in hits {
        // Keys name people (an email address, an IP address): buckets hold their hash,
        // so neither a D1 row nor the Rate Limiting service ever sees one.
        let bucket = format!("{}:{}", limit.name, crate::crypto::sha256_hex(key.as_bytes()));
        if let Ok(binding) = ctx.env.rate_limiter(limit.binding) {
            let outcome = binding.limit(bucket).await?;
            if !outcome.success {
                return Err(ApiError::RateLimited { retry_after_secs: limit.window_secs });
            }
            continue;
        }
        let window = i64::from(limit.window_secs);
        let start = now_secs - now_secs.rem_euclid(window);
        d1.push((
            *limit,
            start + window - now_secs,
            db::stmt(
                &ctx.db,
                "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?1, ?2, 1) \
                 ON CONFLICT(bucket) DO UPDATE SET \
                   hits = CASE WHEN window_start = excluded.window_start THEN hits + 1 ELSE 1 END, \
                   window_start = excluded.window_start \
                 RETURNING hits",
                crate::args![bucket, start],
            )?,
        ));
    }
    if d1.is_empty() {
        return Ok(());
    }
    let meta: Vec<(Limit, i64)> = d1.iter().map(|(l, wait, _)| (*l, *wait)).collect();
    let results = db::batch(&ctx.db, d1.into_iter().map(|(_, _, s)| s).collect()).await?;
    for ((limit, wait), result) in meta.iter().zip(&results) {
        let hits = db::rows::<Hits>(result)?.first().map_or(0, |h| h.hits);
        if hits > i64::from(limit.max) {
            return Err(ApiError::RateLimited {
                retry_after_secs: u32::try_from(*wait).unwrap_or(limit.window_secs).max(1),
            });
        }
    }
    Ok(())
}
