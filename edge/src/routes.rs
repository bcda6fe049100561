//! The route table: path and method to handler. Unknown paths are 404
//! `route_not_found`, known paths with the wrong method 405 with `Allow`.

use worker::{Method, Request, Response};

use crate::availability;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;

const PUBLIC_GET: &str = "GET, OPTIONS";

pub async fn handle(req: Request, env: worker::Env) -> Response {
    match dispatch(req, env).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(req: Request, env: worker::Env) -> Result<Response, ApiError> {
    let url = req.url().map_err(|_| ApiError::bad_request("invalid_url", "the request URL could not be parsed"))?;
    let self_origin = url.origin().ascii_serialization();
    let path = url.path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    let ctx = Ctx::new(env, self_origin)?;

    match segments.as_slice() {
        ["v1", "health"] => match method {
            Method::Get => http::json(200, &serde_json::json!({ "ok": true })),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET" }),
        },
        ["v1", "shops", shop, "products", sku, "availability"] => match method {
            Method::Get => availability::api::get_one(&ctx, &req, shop, sku).await,
            Method::Options => public_preflight(&ctx, &req, shop, PUBLIC_GET).await,
            _ => Err(ApiError::MethodNotAllowed { allow: PUBLIC_GET }),
        },
        ["v1", "shops", shop, "availability"] => match method {
            Method::Get => availability::api::get_batch(&ctx, &req, shop).await,
            Method::Options => public_preflight(&ctx, &req, shop, PUBLIC_GET).await,
            _ => Err(ApiError::MethodNotAllowed { allow: PUBLIC_GET }),
        },
        _ => Err(ApiError::not_found("route_not_found", "no such endpoint; see /v1/openapi.json")),
    }
}

/// Answers a CORS preflight for a shop's public endpoint.
async fn public_preflight(ctx: &Ctx, req: &Request, shop: &str, methods: &str) -> Result<Response, ApiError> {
    let origin = http::origin(req);
    let allowed = match (restock_shared::ShopId::parse(shop), origin.as_deref()) {
        (Ok(shop), Some(o)) => match crate::shops::load_shop(&ctx.db, &shop).await {
            Ok(row) => row.allows_origin(o, &ctx.self_origin),
            Err(ApiError::NotFound { .. }) => false,
            Err(e) => return Err(e),
        },
        _ => false,
    };
    Ok(http::preflight(origin.as_deref(), allowed, methods))
}
