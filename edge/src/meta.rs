//! Knowing what runs: the API index (`GET /v1/`), the health and configuration check
//! (`GET /v1/health`), and the security headers every response of ours carries on the
//! deployed origin (HSTS), and the static files, handed on to the `restock-www` Worker.

use serde_json::json;
use worker::{Headers, Request, Response, Url};

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;

/// `Strict-Transport-Security` for the deployed origin: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// `GET /v1/`: what this is, which version, where its description is.
pub fn index() -> Result<Response, ApiError> {
    http::json(
        200,
        &json!({
            "name": "restock",
            "version": env!("CARGO_PKG_VERSION"),
            "openapi": "/v1/openapi.json",
            "health": "/v1/health",
            "dashboard": "/dashboard/",
        }),
    )
}

/// `GET /v1/health`: 200 while the Worker answers, with `status: "degraded"` and one
/// problem per misconfiguration (stable `code`s, never a secret's value).
pub fn health(ctx: &Ctx) -> Result<Response, ApiError> {
    let problems = ctx.config.problems();
    http::json(
        200,
        &json!({
            "status": if problems.is_empty() { "ok" } else { "degraded" },
            "environment": ctx.config.environment,
            "version": env!("CARGO_PKG_VERSION"),
            "problems": problems,
        }),
    )
}

/// Whether `url` is the deployed origin (https, not a loopback or `localhost` name), the
/// only place HSTS belongs: browsers ignore it over http, and on 127.0.0.1 it would pin
/// every local port to https.
pub fn is_deployed_origin(url: &Url) -> bool {
    let local = match url.host_str() {
        None => true,
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host == "localhost"
                || host.ends_with(".localhost")
                || host == "::1"
                || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
        }
    };
    url.scheme() == "https" && !local
}

/// Adds the headers every response of ours carries on the deployed origin.
pub fn secure(resp: &mut Response, deployed: bool) {
    if deployed {
        http::set_header(resp, "strict-transport-security", HSTS);
    }
}

/// A static file (the widget's files, the storefront, the dashboard, the embed page):
/// the answer of the `restock-www` Worker (`edge/www.wrangler.toml`, bound as `WWW`),
/// which serves `www/` with its `_headers` rules. The API Worker has no `[assets]` of its
/// own, so an API request does not pass through the assets router first (issue 19: that
/// hop cost a fifth of the read throughput). On the deployed origin the headers are
/// copied into a response we may change (a fetched response's are immutable), for the
/// caller's HSTS ([`secure`]); locally the answer passes through as it is.
pub async fn asset(env: &worker::Env, req: Request, deployed: bool) -> Result<Response, ApiError> {
    let fetched = env.service("WWW")?.fetch_request(req).await?;
    if !deployed {
        return Ok(fetched);
    }
    let status = fetched.status_code();
    let headers = Headers::new();
    for (name, value) in fetched.headers() {
        let _ = headers.append(&name, &value);
    }
    let (_, body) = fetched.into_parts();
    Ok(Response::from_body(body)?.with_status(status).with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_is_for_the_deployed_origin_only() {
        for (url, deployed) in [
            ("https://restock.example.workers.dev/dashboard/", true),
            ("https://shop.example.com/v1/", true),
            ("http://restock.example.com/", false),
            ("http://127.0.0.1:8787/", false),
            ("https://127.0.0.1:8787/", false),
            ("https://localhost/", false),
            ("https://app.localhost/", false),
            ("https://[::1]:8787/", false),
            ("https://0.0.0.0/", false),
        ] {
            let parsed = Url::parse(url).expect("url");
            assert_eq!(is_deployed_origin(&parsed), deployed, "{url}");
        }
    }
}
