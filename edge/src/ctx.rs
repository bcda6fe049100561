//! Per-request context: bindings, the clock reading for this request, our own origin.

use restock_shared::{Date, Timestamp};
use worker::{D1Database, Env};

use crate::error::ApiError;

pub struct Ctx {
    pub env: Env,
    pub db: D1Database,
    /// Read once per request: every rule applied in one request sees the same instant.
    pub now: Timestamp,
    /// `scheme://host[:port]` this Worker was called on (it serves the demo storefront
    /// and dashboard, so it is always an allowed origin).
    pub self_origin: String,
}

impl Ctx {
    pub fn new(env: Env, self_origin: String) -> Result<Ctx, ApiError> {
        let db = env.d1("DB")?;
        let now = Timestamp::from_millis(worker::Date::now().as_millis() as i64);
        Ok(Ctx { env, db, now, self_origin })
    }

    pub fn today(&self) -> Date {
        self.now.date()
    }

    /// A plain-text Worker variable, if set.
    pub fn var(&self, name: &str) -> Option<String> {
        self.env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
    }

    /// A Worker secret (or, locally, a `--var`), if set.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.env.secret(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty()).or_else(|| self.var(name))
    }
}
