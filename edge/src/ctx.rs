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

thread_local! {
    static CONFIG: std::cell::OnceCell<Rc<Config>> = const { std::cell::OnceCell::new() };
}

pub struct Ctx {
    pub env: Env,
    /// The database of the shop this invocation works on (`shard.rs`): `DB` until the
    /// shop is known, then that shop's (`use_shop`, `use_binding`).
    pub db: Db,
    binding: String,
    /// This invocation's subrequests against Cloudflare's limit, and its D1 rows.
    pub meter: Rc<Meter>,
    /// Read once per invocation: every rule applied in it sees the same instant.
    pub now: Timestamp,
    /// `scheme://host[:port]` this Worker was called on (it serves the demo storefront
    /// and dashboard, so it is always an allowed origin). Empty outside `fetch`.
    pub self_origin: String,
    /// The variables and secrets, parsed once per isolate (defaults fail closed:
    /// production).
    pub config: Rc<Config>,
    /// Who the request authenticated as (set by `shops::auth`), for the audit log.
    pub actor: std::cell::RefCell<Option<Actor>>,
    /// What the change did, for the audit log (`admin::audit::note`).
    pub audit: std::cell::RefCell<serde_json::Map<String, serde_json::Value>>,
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
        // Variables and secrets are fixed for an isolate's life (they belong to the
        // deployed version it runs), so they are read once, not per request.
        let config = CONFIG.with(|c| c.get_or_init(|| Rc::new(Config::from_env(&env))).clone());
        let meter = Rc::new(Meter::new(config.subrequest_limit));
        let db = Db::new(crate::shard::open(&env, crate::shard::DEFAULT)?, meter.clone());
        let binding = crate::shard::DEFAULT.to_owned();
        Ok(Ctx {
            env,
            db,
            binding,
            meter,
            now,
            self_origin,
            config,
            actor: std::cell::RefCell::new(None),
            audit: std::cell::RefCell::new(serde_json::Map::new()),
            runtime,
        })
    }

    /// The binding name of the database `db` is.
    pub fn binding(&self) -> &str {
        &self.binding
    }

    /// Works on database `binding` from now on (its queries charged to the same meter).
    pub fn use_binding(&mut self, binding: &str) -> Result<(), ApiError> {
        if binding != self.binding {
            self.db = Db::new(crate::shard::open(&self.env, binding)?, self.meter.clone());
            self.binding = binding.to_owned();
        }
        Ok(())
    }

    /// Works on the database that holds `shop`.
    pub fn use_shop(&mut self, shop: &str) -> Result<(), ApiError> {
        let binding = self.config.shards.binding(shop).to_owned();
        self.use_binding(&binding)
    }

    /// The database that holds `shop`, without switching to it.
    pub fn db_for(&self, shop: &str) -> Result<Db, ApiError> {
        self.db_named(self.config.shards.binding(shop))
    }

    /// Database `binding`, without switching to it.
    pub fn db_named(&self, binding: &str) -> Result<Db, ApiError> {
        if binding == self.binding {
            return Ok(self.db.clone());
        }
        Ok(Db::new(crate::shard::open(&self.env, binding)?, self.meter.clone()))
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
