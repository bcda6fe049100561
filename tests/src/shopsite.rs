//! A merchant's own web site, on another origin than the Worker: a real local HTTP
//! server (its own port, so Chromium treats it as a foreign origin) that serves the
//! platform-like pages in `tests/pages/` with the Restock script tag pointing at the
//! Worker, exactly as a shop embeds it.
//!
//! Pages are templates: `{{RESTOCK}}` becomes the Worker's origin, `{{SHOP}}` the
//! `shop` query parameter (default `demo`), `{{SELF}}` this site's origin. A page
//! `NAME.html` may have `NAME.headers` beside it: extra response headers, one
//! `Name: value` per line, templated the same way (the strict-CSP page sets its policy
//! there). `/vendor/jquery.js` is jQuery from `node_modules` (WooCommerce themes run on it).
//!
//! It also stands in for the two things a storefront itself answers that the widget
//! talks to: Shopify's Ajax Cart API (`POST /cart/add.js`, checked as Shopify
//! documents it, and able to refuse on purpose) and the browser's CSP violation
//! reports (`POST /csp-report`), which tests read back.

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

use crate::env;
use crate::server::repo_root;
use crate::stub::{self, Request};

/// How `POST /cart/add.js` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cart {
    Accept,
    /// 422 with Shopify's error shape (e.g. the variant is sold out).
    Refuse,
}

#[derive(Debug)]
struct State {
    restock: String,
    origin: String,
    cart: Cart,
    cart_adds: Vec<Value>,
    csp_reports: Vec<Value>,
    /// Every path requested, in order (to check what a page loaded).
    log: Vec<String>,
}

/// A running shop site; serves until the test process ends.
#[derive(Debug, Clone)]
pub struct ShopSite {
    /// e.g. `http://127.0.0.1:40123`
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl ShopSite {
    /// The site the widget tests share, on the origin `cargo xtask test` allowed for the
    /// demo shop (`RESTOCK_SHOP_SITE`), embedding the Worker under test.
    pub fn shared() -> &'static ShopSite {
        static SITE: OnceLock<ShopSite> = OnceLock::new();
        SITE.get_or_init(|| {
            let e = env::get();
            ShopSite::start_at(&e.shop_site, &e.url)
        })
    }

    /// Starts a site on the port of `origin` (`http://127.0.0.1:PORT`; any free port if
    /// it names none) embedding the widget from `restock`.
    pub fn start_at(origin: &str, restock: &str) -> ShopSite {
        let port = origin.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        ShopSite::start_on(port, restock)
    }

    /// Starts a site on `port` (0: any free one) whose pages embed the widget from
    /// `restock` (the Worker's origin).
    pub fn start_on(port: u16, restock: &str) -> ShopSite {
        let state = Arc::new(Mutex::new(State {
            restock: restock.trim_end_matches('/').to_owned(),
            origin: String::new(),
            cart: Cart::Accept,
            cart_adds: Vec::new(),
            csp_reports: Vec::new(),
            log: Vec::new(),
        }));
        let shared = state.clone();
        let addr = stub::serve_on(port, move |stream| handle(&stream, &shared));
        let url = format!("http://{addr}");
        if let Ok(mut s) = state.lock() {
            s.origin = url.clone();
        }
        ShopSite { url, state }
    }

    /// The URL of `tests/pages/{page}` with a query string (may be empty).
    pub fn page(&self, page: &str, query: &str) -> String {
        let sep = if query.is_empty() { "" } else { "?" };
        format!("{}/{page}{sep}{query}", self.url)
    }

    pub fn set_cart(&self, cart: Cart) {
        if let Ok(mut s) = self.state.lock() {
            s.cart = cart;
        }
    }

    /// Every accepted `POST /cart/add.js` body, in order.
    pub fn cart_adds(&self) -> Vec<Value> {
        self.state.lock().map(|s| s.cart_adds.clone()).unwrap_or_default()
    }

    /// Every CSP violation report the browser sent (the `csp-report` objects).
    pub fn csp_reports(&self) -> Vec<Value> {
        self.state.lock().map(|s| s.csp_reports.clone()).unwrap_or_default()
    }

    /// Every path requested so far.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().map(|s| s.log.clone()).unwrap_or_default()
    }
}

fn pages_dir() -> PathBuf {
    repo_root().join("tests/pages")
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn handle(stream: &TcpStream, state: &Mutex<State>) {
    let Some(request) = stub::read_request(stream) else { return };
    let (restock, origin) = {
        let Ok(mut s) = state.lock() else { return };
        s.log.push(format!("{} {}", request.method, request.path));
        (s.restock.clone(), s.origin.clone())
    };
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/cart/add.js") => cart_add(stream, &request, state),
        ("POST", "/csp-report") => {
            let report: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            if let Ok(mut s) = state.lock() {
                s.csp_reports.push(report.get("csp-report").cloned().unwrap_or(report));
            }
            stub::respond(stream, 204, &[], b"");
        }
        ("GET", "/vendor/jquery.js") => {
            let file = repo_root().join("node_modules/jquery/dist/jquery.min.js");
            match std::fs::read(&file) {
                Ok(bytes) => stub::respond(stream, 200, &[("content-type", content_type(".js").into())], &bytes),
                Err(e) => stub::respond(stream, 404, &[], format!("{}: {e}", file.display()).as_bytes()),
            }
        }
        ("GET", path) => {
            let shop = request.param("shop").unwrap_or_else(|| "demo".into());
            let fill = |text: &str| {
                text.replace("{{RESTOCK}}", &restock).replace("{{SHOP}}", &shop).replace("{{SELF}}", &origin)
            };
            let rel = path.trim_start_matches('/');
            let rel = if rel.is_empty() { "index.html" } else { rel };
            // Only plain names below tests/pages/ (no `..`, no hidden files).
            if rel.split('/').any(|part| part.is_empty() || part.starts_with('.')) {
                return stub::respond(stream, 404, &[], b"not found");
            }
            let file = pages_dir().join(rel);
            let Ok(body) = std::fs::read_to_string(&file) else {
                return stub::respond(stream, 404, &[], b"not found");
            };
            let mut headers =
                vec![("content-type", content_type(rel).to_owned()), ("cache-control", "no-store".into())];
            let extra = std::fs::read_to_string(file.with_extension("headers")).unwrap_or_default();
            let extra = fill(&extra);
            for line in extra.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim(), v.trim().to_owned()));
                }
            }
            let headers: Vec<(&str, String)> = headers.into_iter().collect();
            stub::respond(stream, 200, &headers, fill(&body).as_bytes());
        }
        _ => stub::respond(stream, 405, &[], b"method not allowed"),
    }
}

/// Shopify's Ajax Cart API, `POST /{locale}/cart/add.js`: a JSON body
/// `{"items": [{"id": <variant id>, "quantity": n, "properties": {..}}]}`; answers the
/// added line items, or 422 `{"status": 422, "message", "description"}`.
fn cart_add(stream: &TcpStream, request: &Request, state: &Mutex<State>) {
    let json_type = request.header("content-type").is_some_and(|t| t.starts_with("application/json"));
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let items = body["items"].as_array().cloned().unwrap_or_default();
    let well_formed = json_type
        && !items.is_empty()
        && items.iter().all(|i| {
            i["id"].as_u64().is_some()
                && i["quantity"].as_u64().is_some_and(|q| q >= 1)
                && (i.get("properties").is_none() || i["properties"].is_object())
        });
    let refuse = |status: u16, message: &str, description: &str| {
        let body = json!({ "status": status, "message": message, "description": description });
        stub::respond(stream, status, &[("content-type", "application/json".into())], body.to_string().as_bytes());
    };
    if !well_formed {
        return refuse(400, "Bad Request", "expected a JSON body with items: [{ id, quantity }]");
    }
    let cart = state.lock().map(|s| s.cart).unwrap_or(Cart::Refuse);
    if cart == Cart::Refuse {
        return refuse(422, "Cart Error", "You can't add more of this item to the cart.");
    }
    if let Ok(mut s) = state.lock() {
        s.cart_adds.push(body.clone());
    }
    let lines: Vec<Value> = items
        .iter()
        .map(|i| json!({ "id": i["id"], "variant_id": i["id"], "quantity": i["quantity"], "properties": i.get("properties").cloned().unwrap_or(json!({})) }))
        .collect();
    stub::respond(
        stream,
        200,
        &[("content-type", "application/json".into())],
        json!({ "items": lines }).to_string().as_bytes(),
    );
}
