//! The one outbound call to a platform's API: charged to the invocation's `Meter`,
//! given up after `OUTBOUND_TIMEOUT_MS`, and read into a [`Reply`] (status, the headers
//! the connectors read, the body up to [`MAX_BODY`]). Credentials travel in headers,
//! never in the URL, and errors name neither.

use futures_util::future::{Either, select};
use wasm_bindgen::JsValue;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use crate::connect::model::{CallError, Reply};
use crate::ctx::Ctx;

/// Headers the connectors read from an answer.
const KEPT: &[&str] =
    &["retry-after", "x-wp-totalpages", "x-wp-total", "x-rate-limit-time-reset-ms", "x-shopify-shop-api-call-limit"];

/// The largest answer read (a page of 250 variants is well under it).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

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
    let h = Headers::new();
    for (k, v) in headers {
        h.set(k, v).map_err(|_| CallError::Broken(format!("invalid value for the {k} header")))?;
    }
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(h);
    if let Some(b) = body {
        init.with_body(Some(JsValue::from_str(b)));
    }
    let request = Request::new_with_init(url, &init).map_err(|e| CallError::Broken(format!("bad request: {e}")))?;
    let timeout = ctx.config.outbound_timeout_ms;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let timer = Box::pin(Delay::from(std::time::Duration::from_millis(u64::from(timeout))));
    match select(send, timer).await {
        Either::Left((Ok(mut resp), _)) => {
            let status = resp.status_code();
            let headers = KEPT
                .iter()
                .filter_map(|name| resp.headers().get(name).ok().flatten().map(|v| ((*name).to_owned(), v)))
                .collect();
            let text = resp
                .text()
                .await
                .map_err(|e| CallError::Later { error: format!("reading the answer: {e}"), after_secs: None })?;
            if text.len() > MAX_BODY {
                return Err(CallError::Broken(format!("an answer of {} bytes (at most {MAX_BODY})", text.len())));
            }
            Ok(Reply { status, headers, body: text })
        }
        Either::Left((Err(e), _)) => Err(CallError::Later { error: format!("network: {e}"), after_secs: None }),
        Either::Right(((), _)) => {
            controller.abort();
            Err(CallError::Later { error: format!("timed out after {timeout} ms"), after_secs: None })
        }
    }
}
