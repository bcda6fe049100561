//! Per-invocation context: bindings, the clock reading for this invocation, our own
//! origin, and the runtime context for work that outlives the response.

use std::future::Future;
use std::rc::Rc;

use restock_shared::{Date, Timestamp};
use worker::Env;

use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::limits::Meter;

pub struct Ctx {
    pub env: Env,
    pub db: Db,
    /// This invocation's subrequests against Cloudflare's limit, and its D1 rows.
    pub meter: Rc<Meter>,
    /// Read once per invocation: every rule applied in it sees the same instant.
    pub now: Timestamp,
    /// `scheme://host[:port]` this Worker was called on (it serves the demo storefront
    /// and dashboard, so it is always an allowed origin). Empty outside `fetch`.
    pub self_origin: String,
    /// The variables and secrets, parsed once (defaults fail closed: production).
    pub config: Config,
    /// Who the request authenticated as (set by `shops::auth`), for the audit log.
    pub actor: std::cell::RefCell<Option<Actor>>,
    runtime: Option<worker::Context>,
}

/// A merchant request's shop and which of its keys it used (the key's public prefix).
#[derive(Clone, Debug)]
pub struct Actor {
    pub shop_id: String,
    pub key: String,
}

impl Ctx {
    pub fn new(env: Env, self_origin: String, runtime: Option<worker::Context>) -> Result<Ctx, ApiError> {
        let now = Timestamp::from_millis(worker::Date::now().as_millis() as i64);
        let config = Config::from_env(&env);
        let meter = Rc::new(Meter::new(config.subrequest_limit));
        let db = Db::new(env.d1("DB")?, meter.clone());
        Ok(Ctx { env, db, meter, now, self_origin, config, actor: std::cell::RefCell::new(None), runtime })
    }

    /// Counts `n` subrequests that are not D1 queries (KV, Queues, `fetch`).
    pub fn charge(&self, what: &'static str, n: u32) -> Result<(), ApiError> {
        self.meter.charge(what, n)
    }

    pub fn today(&self) -> Date {
        self.now.date()
    }

    /// Whether this deployment is a development one (`ENVIRONMENT = "development"`).
    pub fn is_development(&self) -> bool {
        self.config.is_development()
    }

    /// Runs `work` after the response is sent (or right away outside `fetch`).
    pub fn wait_until<F: Future<Output = ()> + 'static>(&self, work: F) {
        match &self.runtime {
            Some(rt) => rt.wait_until(work),
            None => wasm_bindgen_futures::spawn_local(work),
        }
    }
}
