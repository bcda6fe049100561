//! The route table: path and method to handler. Unknown paths are 404
//! `route_not_found`, known paths with the wrong method 405 with `Allow`. Every path
//! outside `/v1/` and `/dev/` is a static file, handed on to the `restock-www` Worker.

use worker::{Method, Request, Response};

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::waitlist::api::LinkPage;
use crate::{
    admin, attribution, availability, backorders, connect, groups, http, meta, notify, shops, stock, waitlist,
};

const PUBLIC_GET: &str = "GET, OPTIONS";
const PUBLIC_POST: &str = "POST, OPTIONS";

/// The OpenAPI 3.1 description of this API, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

pub async fn handle(req: Request, env: worker::Env, runtime: worker::Context) -> Response {
    let Ok(url) = req.url() else {
        return ApiError::bad_request("invalid_url", "the request URL could not be parsed").into_response();
    };
    let deployed = meta::is_deployed_origin(&url);
    let result = if is_api(url.path()) {
        dispatch(req, url, env, runtime).await
    } else {
        meta::asset(&env, req, deployed).await
    };
    let mut resp = result.unwrap_or_else(|e| e.into_response());
    meta::secure(&mut resp, deployed);
    resp
}

/// Whether `path` is the API's (or a development endpoint's): everything else is a
/// static file.
fn is_api(path: &str) -> bool {
    ["/v1", "/dev"].iter().any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

fn not_allowed(allow: &'static str) -> Result<Response, ApiError> {
    Err(ApiError::MethodNotAllowed { allow })
}

/// An API request (`url` is `req`'s, parsed once by `handle`).
async fn dispatch(
    mut req: Request,
    url: worker::Url,
    env: worker::Env,
    runtime: worker::Context,
) -> Result<Response, ApiError> {
    let self_origin = url.origin().ascii_serialization();
    let path = url.path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // workers-rs maps any method it does not know (QUERY, PROPFIND, ...) to GET; answer
    // those with 405 instead of as if they were a GET.
    let known = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let method =
        if known.contains(&req.inner().method().to_ascii_uppercase().as_str()) { req.method() } else { Method::Trace };
    let mut ctx = Ctx::new(env, self_origin, Some(runtime))?;
    // The shop's database (`shard.rs`): named by a public path or a development
    // endpoint's `shop`, found by the key for the admin API, by the id it creates for
    // `POST /v1/shops`.
    match segments.as_slice() {
        ["v1", "shops", shop, ..] => ctx.use_shop(shop)?,
        ["dev", ..] => {
            if let Some(shop) = http::query_param(&req, "shop") {
                ctx.use_shop(&shop)?;
            }
        }
        ["v1", "admin", ..] => shops::auth::locate(&mut ctx, &req).await?,
        ["v1", "hooks", "shopify" | "woocommerce" | "bigcommerce", shop] => ctx.use_shop(shop)?,
        _ => {}
    }
    let r = &mut req;
    use Method::{Delete, Get, Options, Patch, Post, Put};

    let audited = matches!(method, Post | Put | Patch | Delete) && segments.get(1) == Some(&"admin");
    let result = match (segments.as_slice(), method.clone()) {
        (["v1"], Get) => meta::index(),
        (["v1"], _) => not_allowed("GET"),
        (["v1", "health"], Get) => meta::health(&ctx),
        (["v1", "health"], _) => not_allowed("GET"),
        (["v1", "openapi.json"], Get) => Ok(http::respond(
            200,
            &[("content-type", "application/json"), ("cache-control", "public, max-age=300")],
            OPENAPI.as_bytes().to_vec(),
        )),
        (["v1", "openapi.json"], _) => not_allowed("GET"),

        // Operator.
        (["v1", "shops"], Post) => shops::api::create(&mut ctx, r).await,
        (["v1", "shops"], _) => not_allowed("POST"),

        // Public: availability.
        (["v1", "shops", shop, "products", sku, "availability"], Get) => {
            availability::api::get_one(&ctx, r, shop, sku).await
        }
        (["v1", "shops", shop, "availability"], Get) => availability::api::get_batch(&ctx, r, shop).await,
        (["v1", "shops", shop, "products", _, "availability"] | ["v1", "shops", shop, "availability"], Options) => {
            public_preflight(&ctx, r, shop, PUBLIC_GET).await
        }
        (["v1", "shops", _, "products", _, "availability"] | ["v1", "shops", _, "availability"], _) => {
            not_allowed(PUBLIC_GET)
        }

        // Public: waitlist and backorders.
        (["v1", "shops", shop, "waitlist"], Post) => waitlist::api::signup(&ctx, r, shop).await,
        (["v1", "shops", shop, "backorders"], Post) => backorders::place::place(&ctx, r, shop).await,
        (["v1", "shops", shop, "waitlist" | "backorders"], Options) => {
            public_preflight(&ctx, r, shop, PUBLIC_POST).await
        }
        (["v1", "shops", _, "waitlist" | "backorders"], _) => not_allowed(PUBLIC_POST),

        // Signed links (pages on GET, actions on POST).
        (["v1", "shops", shop, "waitlist", "confirm"], Get | Post) => {
            let post = r.method() == Post;
            waitlist::api::link(&ctx, r, shop, LinkPage::Confirm, post).await
        }
        (["v1", "shops", shop, "waitlist", "unsubscribe"], Get | Post) => {
            let post = r.method() == Post;
            waitlist::api::link(&ctx, r, shop, LinkPage::Unsubscribe, post).await
        }
        (["v1", "shops", shop, "backorders", "cancel"], Get | Post) => {
            let post = r.method() == Post;
            backorders::cancel::link(&ctx, r, shop, post).await
        }
        (["v1", "shops", _, "waitlist", "confirm" | "unsubscribe"] | ["v1", "shops", _, "backorders", "cancel"], _) => {
            not_allowed("GET, POST")
        }
        // The shopper's own page of their orders (issue 18).
        (["v1", "shops", shop, "backorders", "mine"], Get | Post) => {
            let post = r.method() == Post;
            backorders::mine::page(&ctx, r, shop, post).await
        }
        (["v1", "shops", _, "backorders", "mine"], _) => not_allowed("GET, POST"),

        // Merchant: products and stock.
        (["v1", "admin", "products"], Get) => stock::products::list(&ctx, r).await,
        (["v1", "admin", "products"], _) => not_allowed("GET"),
        (["v1", "admin", "products", sku], Get) => stock::products::get(&ctx, r, sku).await,
        (["v1", "admin", "products", sku], Put) => stock::products::put(&ctx, r, sku).await,
        (["v1", "admin", "products", sku], Delete) => stock::products::delete(&ctx, r, sku).await,
        (["v1", "admin", "products", _], _) => not_allowed("GET, PUT, DELETE"),
        (["v1", "admin", "products", sku, "receive"], Post) => stock::receive::receive(&ctx, r, sku).await,
        (["v1", "admin", "products", _, "receive"], _) => not_allowed("POST"),
        (["v1", "admin", "products", sku, "purchase-orders"], Get) => {
            stock::purchase_orders::purchase_orders(&ctx, r, sku, false).await
        }
        (["v1", "admin", "products", sku, "purchase-orders"], Post) => {
            stock::purchase_orders::purchase_orders(&ctx, r, sku, true).await
        }
        (["v1", "admin", "products", _, "purchase-orders"], _) => not_allowed("GET, POST"),
        (["v1", "admin", "products", sku, "purchase-orders", id], Put) => {
            stock::purchase_orders::purchase_order(&ctx, r, sku, id, false).await
        }
        (["v1", "admin", "products", sku, "purchase-orders", id], Delete) => {
            stock::purchase_orders::purchase_order(&ctx, r, sku, id, true).await
        }
        (["v1", "admin", "products", _, "purchase-orders", _], _) => not_allowed("PUT, DELETE"),
        (["v1", "admin", "products", sku, "waitlist"], Get) => waitlist::api::admin_list(&ctx, r, sku).await,
        (["v1", "admin", "products", _, "waitlist"], _) => not_allowed("GET"),
        (["v1", "admin", "orders"], Post) => stock::orders::report_order(&ctx, r).await,
        (["v1", "admin", "orders"], _) => not_allowed("POST"),

        // Merchant: backorders, insights, exports, erasure, settings.
        (["v1", "admin", "backorders"], Get) => backorders::admin::list(&ctx, r).await,
        (["v1", "admin", "backorders"], _) => not_allowed("GET"),
        (["v1", "admin", "backorders", id], Get) => backorders::admin::get(&ctx, r, id).await,
        (["v1", "admin", "backorders", _], _) => not_allowed("GET"),
        (["v1", "admin", "backorders", id, "cancel"], Post) => backorders::admin::cancel(&ctx, r, id).await,
        (["v1", "admin", "backorders", _, "cancel"], _) => not_allowed("POST"),
        (["v1", "admin", "insights"], Get) => admin::api::insights(&ctx, r).await,
        (["v1", "admin", "insights"], _) => not_allowed("GET"),
        (["v1", "admin", "export", what], Get) => admin::api::export(&ctx, r, what).await,
        (["v1", "admin", "export", _], _) => not_allowed("GET"),
        (["v1", "admin", "subscribers", email], Delete) => admin::api::erase(&ctx, r, email).await,
        (["v1", "admin", "subscribers", _], _) => not_allowed("DELETE"),
        (["v1", "admin", "deliveries"], Get) => notify::api::list(&ctx, r).await,
        (["v1", "admin", "deliveries"], _) => not_allowed("GET"),
        (["v1", "admin", "deliveries", id, "retry"], Post) => notify::api::retry(&ctx, r, id).await,
        (["v1", "admin", "deliveries", _, "retry"], _) => not_allowed("POST"),
        (["v1", "admin", "deliveries", id, "replay"], Post) => notify::endpoints::replay(&ctx, r, id).await,
        (["v1", "admin", "deliveries", _, "replay"], _) => not_allowed("POST"),
        (["v1", "admin", "webhooks"], Get) => notify::endpoints::list(&ctx, r).await,
        (["v1", "admin", "webhooks"], Post) => notify::endpoints::create(&ctx, r).await,
        (["v1", "admin", "webhooks"], _) => not_allowed("GET, POST"),
        (["v1", "admin", "webhooks", id], Get) => notify::endpoints::get(&ctx, r, id).await,
        (["v1", "admin", "webhooks", id], Patch) => notify::endpoints::patch(&ctx, r, id).await,
        (["v1", "admin", "webhooks", id], Delete) => notify::endpoints::delete(&ctx, r, id).await,
        (["v1", "admin", "webhooks", _], _) => not_allowed("GET, PATCH, DELETE"),
        (["v1", "admin", "key", "rotate"], Post) => shops::api::rotate_key(&ctx, r).await,
        (["v1", "admin", "key", "rotate"], _) => not_allowed("POST"),
        (["v1", "admin", "settings"], Get) => shops::api::get(&ctx, r).await,
        (["v1", "admin", "settings"], Patch) => shops::api::patch(&ctx, r).await,
        (["v1", "admin", "settings"], _) => not_allowed("GET, PATCH"),
        (["v1", "admin", "suppressions"], Get) => notify::feedback::list(&ctx, r).await,
        (["v1", "admin", "suppressions"], _) => not_allowed("GET"),
        // Bounce and complaint webhooks from the email provider (signed by it).
        (["v1", "hooks", "email", provider], Post) => notify::feedback::receive(&ctx, r, provider).await,
        (["v1", "hooks", "email", _], _) => not_allowed("POST"),
        // Incoming texts (STOP, START) from Twilio (signed by it).
        (["v1", "hooks", "sms", "twilio"], Post) => notify::sms::hook::receive(&ctx, r).await,
        (["v1", "hooks", "sms", "twilio"], _) => not_allowed("POST"),
        (["v1", "admin", "audit"], Get) => admin::audit::list(&ctx, r).await,
        (["v1", "admin", "audit"], _) => not_allowed("GET"),

        // Merchant: the guides' practices (issue 18): forecasts, the service desk,
        // editable emails.
        (["v1", "admin", "products", sku, "forecast"], Get) => stock::forecast::get(&ctx, r, sku).await,
        (["v1", "admin", "products", _, "forecast"], _) => not_allowed("GET"),
        (["v1", "admin", "desk", "notes"], Post) => admin::desk::add_note(&ctx, r).await,
        (["v1", "admin", "desk", section], Get) => admin::desk::lookup(&ctx, r, section).await,
        (["v1", "admin", "desk", "notes"], _) => not_allowed("GET, POST"),
        (["v1", "admin", "desk", _], _) => not_allowed("GET"),
        (["v1", "admin", "backorders", id, "move"], Post) => admin::desk::move_backorder(&ctx, r, id).await,
        (["v1", "admin", "backorders", _, "move"], _) => not_allowed("POST"),
        (["v1", "admin", "signups", id, "move"], Post) => admin::desk::move_signup(&ctx, r, id).await,
        (["v1", "admin", "signups", _, "move"], _) => not_allowed("POST"),
        (["v1", "admin", "signups", id, "cancel"], Post) => admin::desk::cancel_signup(&ctx, r, id).await,
        (["v1", "admin", "signups", _, "cancel"], _) => not_allowed("POST"),
        (["v1", "admin", "deliveries", id, "resend"], Post) => admin::desk::resend(&ctx, r, id).await,
        (["v1", "admin", "deliveries", _, "resend"], _) => not_allowed("POST"),
        (["v1", "admin", "emails"], Get) => notify::copy::list(&ctx, r).await,
        (["v1", "admin", "emails"], _) => not_allowed("GET"),
        (["v1", "admin", "emails", kind, lang], Put) => notify::copy::put(&ctx, r, kind, lang).await,
        (["v1", "admin", "emails", _, _], _) => not_allowed("PUT"),
        // Connections to the shop's platform, the import, customer groups (issue 17).
        (["v1", "hooks", platform @ ("shopify" | "woocommerce" | "bigcommerce"), shop], Post) => {
            connect::hooks::receive(&ctx, r, platform, shop).await
        }
        (["v1", "hooks", "shopify" | "woocommerce" | "bigcommerce", _], _) => not_allowed("POST"),
        (["v1", "admin", "connections"], Get) => connect::api::list(&ctx, r).await,
        (["v1", "admin", "connections"], Post) => connect::api::create(&ctx, r).await,
        (["v1", "admin", "connections"], _) => not_allowed("GET, POST"),
        (["v1", "admin", "connections", id], Get) => connect::api::get(&ctx, r, id).await,
        (["v1", "admin", "connections", id], Patch) => connect::api::patch(&ctx, r, id).await,
        (["v1", "admin", "connections", id], Delete) => connect::api::delete(&ctx, r, id).await,
        (["v1", "admin", "connections", _], _) => not_allowed("GET, PATCH, DELETE"),
        (["v1", "admin", "connections", id, "resync"], Post) => connect::api::resync(&ctx, r, id).await,
        (["v1", "admin", "connections", _, "resync"], _) => not_allowed("POST"),
        (["v1", "admin", "connections", id, "events"], Get) => connect::api::events(&ctx, r, id).await,
        (["v1", "admin", "connections", _, "events"], _) => not_allowed("GET"),
        (["v1", "admin", "import"], Post) => connect::import::import(&ctx, r).await,
        (["v1", "admin", "import"], _) => not_allowed("POST"),
        (["v1", "admin", "groups"], Get) => groups::api::get(&ctx, r).await,
        (["v1", "admin", "groups"], Put) => groups::api::put(&ctx, r).await,
        (["v1", "admin", "groups"], _) => not_allowed("GET, PUT"),
        (["v1", "admin", "groups", "key"], Post) => groups::api::rotate(&ctx, r).await,
        (["v1", "admin", "groups", "key"], _) => not_allowed("POST"),
        (["v1", "shops", shop, "go"], Get) => attribution::click(&ctx, r, shop).await,
        (["v1", "shops", _, "go"], _) => not_allowed("GET"),

        // Development only (404 unless ENVIRONMENT = "development").
        (["dev", "mailbox"], Get) => notify::api::mailbox(&ctx, r).await,
        (["dev", "mailbox.json"], Get) => notify::api::mailbox_json(&ctx, r).await,
        (["dev", "queue"], Post) => notify::api::queue(&ctx, r).await,
        (["dev", "releases", "due"], Post) => notify::api::make_due(&ctx, r).await,
        (["dev", "d1"], Get) => notify::api::d1_tallies(&ctx),

        _ => Err(ApiError::not_found("route_not_found", "no such endpoint; see /v1/openapi.json")),
    };
    // A refusal from a shop's public endpoint reaches the widget on the shop's own site
    // like its answers do (the same CORS), so it can act on the problem's code (a
    // refused group token, texts no longer offered).
    let result = match (segments.as_slice(), result) {
        (["v1", "shops", shop, _, ..], Err(e)) if method != Options => Ok(public_refusal(&ctx, &req, shop, e).await),
        (_, result) => result,
    };
    if audited && let Ok(resp) = &result {
        admin::audit::record(&ctx, &method, &url, resp.status_code()).await;
    }
    crate::limits::tally("fetch", &ctx.meter);
    if ctx.is_development() {
        // What this request cost in D1 (from D1's own meta) and subrequests, for the
        // benchmark; development only.
        let (read, written) = ctx.meter.d1_rows();
        let cost = format!("rows_read={read}; rows_written={written}; subrequests={}", ctx.meter.used());
        return result.map(|mut resp| {
            let _ = resp.headers_mut().set("x-restock-d1", &cost);
            resp
        });
    }
    result
}

/// A shop's public endpoint's problem answer, with CORS for the origins the shop
/// allows (none for others, or when the shop is not there).
async fn public_refusal(ctx: &Ctx, req: &Request, shop: &str, e: ApiError) -> Response {
    let origin = http::origin(req);
    let allowed = match (restock_shared::ShopId::parse(shop), origin.as_deref()) {
        (Ok(id), Some(o)) => {
            shops::cache::public_shop(ctx, &id, false).await.is_ok_and(|p| p.allows_origin(o, &ctx.self_origin))
        }
        _ => false,
    };
    let mut resp = e.into_response();
    http::apply_cors(&mut resp, origin.as_deref(), allowed);
    resp
}

/// Answers a CORS preflight for a shop's public endpoint.
async fn public_preflight(ctx: &Ctx, req: &Request, shop: &str, methods: &str) -> Result<Response, ApiError> {
    let origin = http::origin(req);
    let allowed = match (restock_shared::ShopId::parse(shop), origin.as_deref()) {
        (Ok(shop), Some(o)) => match shops::cache::public_shop(ctx, &shop, false).await {
            Ok(public) => public.allows_origin(o, &ctx.self_origin),
            Err(ApiError::NotFound { .. }) => false,
            Err(e) => return Err(e),
        },
        _ => false,
    };
    Ok(http::preflight(origin.as_deref(), allowed, methods))
}

#[cfg(test)]
mod tests {
    use super::is_api;

    #[test]
    fn only_v1_and_dev_are_the_apis_the_rest_is_static() {
        for (path, api) in [
            ("/v1", true),
            ("/v1/", true),
            ("/v1/shops/demo/availability", true),
            ("/dev/mailbox", true),
            ("/", false),
            ("/v1x", false),
            ("/v10/shops", false),
            ("/developer", false),
            ("/widget/widget.js", false),
            ("/dashboard/", false),
            ("/product", false),
        ] {
            assert_eq!(is_api(path), api, "{path}");
        }
    }
}
