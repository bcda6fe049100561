//! The one outbound call to a platform's API: charged to the invocation's `Meter`,
//! given up after `OUTBOUND_TIMEOUT_MS` (headers and body together), and read into a
//! [`Reply`] (status, the headers the connectors read, the body up to [`MAX_BODY`],
//! enforced while it is read: a larger answer is never held whole). Credentials travel
//! in headers, never in the URL, and errors name neither.
//!
//! Redirects are followed by hand, at most [`MAX_REDIRECTS`], and only within the
//! origin that was called: the `Authorization`, `X-Auth-Token` and
//! `X-Shopify-Access-Token` headers are never sent to another host. A redirect to
//! another origin (a WooCommerce site moved to `www.`) is an error that names the new
//! origin, for the merchant to correct the connection.

use futures_util::StreamExt;
use futures_util::future::{Either, select};
use wasm_bindgen::JsValue;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Url};

use crate::connect::model::{CallError, Reply};
use crate::ctx::Ctx;

/// Headers the connectors read from an answer.
const KEPT: &[&str] =
    &["retry-after", "x-wp-totalpages", "x-wp-total", "x-rate-limit-time-reset-ms", "x-shopify-shop-api-call-limit"];

/// The largest answer read (a page of 250 variants is well under it).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Redirects followed (within the origin called) before giving up.
pub const MAX_REDIRECTS: usize = 3;

/// Where a redirect from `from` to `location` (its `Location` header, absolute or
/// relative) leads: the URL to call next when it stays on `from`'s origin (scheme,
/// host and port), else an error naming the other origin (never its path or query).
pub fn redirect_target(from: &str, location: &str) -> Result<String, String> {
    let base = Url::parse(from).map_err(|_| "an invalid URL was called".to_owned())?;
    let next = base.join(location.trim()).map_err(|_| "the redirect's Location is not a URL".to_owned())?;
    if next.origin() == base.origin() {
        Ok(next.to_string())
    } else {
        Err(format!(
            "the API redirected to another origin ({}): credentials are not sent there; \
             set the connection's store or API base to where the API is",
            next.origin().ascii_serialization()
        ))
    }
}

fn too_big(bytes: usize) -> CallError {
    CallError::Broken(format!("an answer of more than {MAX_BODY} bytes ({bytes} so far): not read"))
}

/// Reads the body of `resp`, stopping as soon as it passes [`MAX_BODY`] (or its
/// `Content-Length` says it will).
async fn read_limited(resp: &mut worker::Response) -> Result<String, CallError> {
    let declared = resp.headers().get("content-length").ok().flatten().and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(n) = declared.filter(|n| *n > MAX_BODY) {
        return Err(too_big(n));
    }
    // No body (a 204): nothing to stream.
    let Ok(mut stream) = resp.stream() else { return Ok(String::new()) };
    let mut out: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| CallError::Later { error: format!("reading the answer: {e}"), after_secs: None })?;
        if out.len() + chunk.len() > MAX_BODY {
            return Err(too_big(out.len() + chunk.len()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// One request and its answer, following same-origin redirects.
async fn exchange(
    ctx: &Ctx,
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
    signal: &worker::AbortSignal,
) -> Result<Reply, CallError> {
    let mut url = url.to_owned();
    let mut method = method;
    let mut body = body;
    for hop in 0..=MAX_REDIRECTS {
        if hop > 0 {
            ctx.charge("fetch", 1).map_err(|_| CallError::Later {
                error: "this invocation's subrequests are used up; the next run goes on".into(),
                after_secs: None,
            })?;
        }
        let h = Headers::new();
        for (k, v) in headers {
            h.set(k, v).map_err(|_| CallError::Broken(format!("invalid value for the {k} header")))?;
        }
        let mut init = RequestInit::new();
        init.with_method(method.clone()).with_headers(h).with_redirect(RequestRedirect::Manual);
        if let Some(b) = body {
            init.with_body(Some(JsValue::from_str(b)));
        }
        let request =
            Request::new_with_init(&url, &init).map_err(|e| CallError::Broken(format!("bad request: {e}")))?;
        let mut resp = Fetch::Request(request)
            .send_with_signal(signal)
            .await
            .map_err(|e| CallError::Later { error: format!("network: {e}"), after_secs: None })?;
        let status = resp.status_code();
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            let location = resp.headers().get("location").ok().flatten().unwrap_or_default();
            url = redirect_target(&url, &location).map_err(CallError::Broken)?;
            if status == 303 || (matches!(status, 301 | 302) && method == Method::Post) {
                method = Method::Get;
                body = None;
            }
            continue;
        }
        let kept = KEPT
            .iter()
            .filter_map(|name| resp.headers().get(name).ok().flatten().map(|v| ((*name).to_owned(), v)))
            .collect();
        let text = read_limited(&mut resp).await?;
        return Ok(Reply { status, headers: kept, body: text });
    }
    Err(CallError::Broken(format!("more than {MAX_REDIRECTS} redirects")))
}

/// Calls `url` with `method`, `headers` and `body`; a network failure or a timeout is
/// [`CallError::Later`].
pub async fn call(
    ctx: &Ctx,
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> Result<Reply, CallError> {
    ctx.charge("fetch", 1).map_err(|_| CallError::Later {
        error: "this invocation's subrequests are used up; the next run goes on".into(),
        after_secs: None,
    })?;
    let timeout = ctx.config.outbound_timeout_ms;
    let controller = AbortController::default();
    let signal = controller.signal();
    let work = Box::pin(exchange(ctx, method, url, headers, body, &signal));
    let timer = Box::pin(Delay::from(std::time::Duration::from_millis(u64::from(timeout))));
    match select(work, timer).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => {
            controller.abort();
            Err(CallError::Later { error: format!("timed out after {timeout} ms"), after_secs: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_are_followed_only_within_the_origin_called() {
        let from = "https://shop.example/wp-json/wc/v3/products?page=1";
        assert_eq!(
            redirect_target(from, "/wp-json/wc/v3/products?page=1&x=2").as_deref(),
            Ok("https://shop.example/wp-json/wc/v3/products?page=1&x=2")
        );
        assert_eq!(redirect_target(from, "https://shop.example/v3").as_deref(), Ok("https://shop.example/v3"));
        let moved = redirect_target(from, "https://www.shop.example/wp-json/wc/v3/products?secret=1");
        assert!(moved.as_ref().is_err_and(|e| e.contains("https://www.shop.example") && !e.contains("secret")));
        assert!(redirect_target(from, "http://shop.example/x").is_err(), "another scheme is another origin");
        assert!(redirect_target(from, "https://shop.example:8443/x").is_err(), "another port too");
        assert!(redirect_target("http://127.0.0.1:9/a", "http://127.0.0.1:10/a").is_err());
    }
}
