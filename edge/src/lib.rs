//! The Restock Worker: the system of record for stock, backorders and waitlists.
//!
//! D1 holds the truth; KV holds cached availability snapshots; Queues carry
//! notifications. Every rule comes from `restock-shared`; this crate parses requests
//! into domain types, loads facts, asks the domain what to do, and carries it out
//! atomically. See ARCHITECTURE.md for the map.

pub mod admin;
pub mod availability;
pub mod backorders;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod error;
pub mod http;
pub mod i18n;
pub mod limits;
pub mod meta;
pub mod notify;
pub mod pages;
pub mod paging;
pub mod ratelimit;
pub mod routes;
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
    let result = match ctx::Ctx::new(env, String::new(), None) {
        Ok(ctx) => {
            let result = notify::cron::run(&ctx, &cron).await;
            limits::tally("scheduled", &ctx.meter);
            result
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => worker::console_log!("cron {cron}: {}", serde_json::to_string(&report).unwrap_or_default()),
        Err(e) => worker::console_error!("cron {cron} failed: {e:?}"),
    }
}
