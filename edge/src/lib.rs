//! The Restock Worker: the system of record for stock, backorders and waitlists.
//!
//! D1 holds the truth; KV holds cached availability snapshots; Queues carry
//! notifications. Every rule comes from `restock-shared`; this crate parses requests
//! into domain types, loads facts, asks the domain what to do, and carries it out
//! atomically. See ARCHITECTURE.md for the map.

pub mod admin;
pub mod attribution;
pub mod availability;
pub mod backorders;
pub mod cache;
pub mod config;
pub mod connect;
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod error;
pub mod groups;
pub mod http;
pub mod i18n;
pub mod limits;
pub mod meta;
pub mod notify;
pub mod pages;
pub mod paging;
pub mod ratelimit;
pub mod routes;
pub mod shard;
pub mod shops;
pub mod stock;
pub mod tokens;
pub mod waitlist;

use worker::{Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent, event};

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}

#[event(queue)]
pub async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, ctx: Context) -> worker::Result<()> {
    notify::consumer::consume(batch, env, ctx).await
}

#[event(scheduled)]
pub async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let cron = event.cron();
    let mut ctx = match ctx::Ctx::new(env, String::new(), None) {
        Ok(ctx) => ctx,
        Err(e) => return worker::console_error!("cron {cron} could not start: {e:?}"),
    };
    // Every database (`shard.rs`), in turn, on one subrequest budget.
    let all: Vec<String> = ctx.config.shards.all().into_iter().map(str::to_owned).collect();
    for db in all {
        let result = match ctx.use_binding(&db) {
            Ok(()) => notify::cron::run(&ctx, &cron).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(report) => {
                worker::console_log!("cron {cron} on {db}: {}", serde_json::to_string(&report).unwrap_or_default())
            }
            Err(e) => worker::console_error!("cron {cron} on {db} failed: {e:?}"),
        }
    }
    limits::tally("scheduled", &ctx.meter);
}
