//! Returns the value stored under "availability" in KV, nothing else: the same work as
//! `bench/baseline/index.js`, in Rust with workers-rs, built like Restock's Worker.

use worker::{Context, Env, Request, Response, Result, event};

#[event(fetch)]
async fn fetch(_req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let value = env.kv("KV")?.get("availability").text().await?.unwrap_or_else(|| "{}".to_owned());
    let mut resp = Response::ok(value)?;
    resp.headers_mut().set("content-type", "application/json")?;
    Ok(resp)
}
