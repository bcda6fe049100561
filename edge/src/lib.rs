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
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod error;
pub mod http;
pub mod i18n;
pub mod notify;
pub mod pages;
pub mod ratelimit;
pub mod routes;
pub mod shops;
pub mod stock;
pub mod tokens;
pub mod waitlist;

use worker::{Context, Env, Request, Response, event};

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}
