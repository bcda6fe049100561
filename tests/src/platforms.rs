//! Stand-ins for the shop platforms' Admin APIs (Shopify's GraphQL Admin API,
//! WooCommerce's REST API v3, BigCommerce's v3 catalog and v2 orders), and the
//! platforms' webhooks, signed as each documents it.
//!
//! A [`PlatformServer`] is a real local HTTP server holding a catalog (and, for
//! BigCommerce, orders and customers). It checks each request the way the platform
//! does (method, path, query, auth header, content type) and answers with the
//! platform's documented shapes and pagination; a request the real API would refuse is
//! answered 401/404/400 and recorded as a violation. It fails on command, per path:
//! 429 with `Retry-After` (BigCommerce also `X-Rate-Limit-Time-Reset-Ms`), 500, a hang
//! past the caller's timeout, or Shopify's GraphQL `THROTTLED`. A catalog can be
//! synthetic (50,000 variants made on the fly) for the large-shop tests.

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::client::{Client, Reply};
use crate::stub::{self, Request};

pub const SHOPIFY_TOKEN: &str = "shpat_test_token_1";
pub const SHOPIFY_SECRET: &str = "shpss_test_client_secret";
pub const WOO_KEY: &str = "ck_test_consumer_key";
pub const WOO_SECRET: &str = "cs_test_consumer_secret";
pub const WOO_WEBHOOK_SECRET: &str = "woo-webhook-secret-1";
pub const BC_TOKEN: &str = "bc-access-token-1";
pub const BC_CLIENT_SECRET: &str = "bc-client-secret-1";
pub const BC_STORE: &str = "abc123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Shopify,
    WooCommerce,
    BigCommerce,
}

/// A scripted failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After: n` seconds.
    RateLimited(u32),
    ServerError,
    /// Answer nothing for this long (the caller's timeout comes first).
    Hang(Duration),
    /// Shopify's GraphQL throttle: a 200 whose `errors` say `THROTTLED`.
    Throttled,
}

/// One sellable variant of the stand-in's catalog.
#[derive(Debug, Clone)]
pub struct Item {
    pub variant_id: u64,
    pub product_id: u64,
    /// Shopify's inventory item (other platforms count the variant itself).
    pub item_id: u64,
    pub sku: String,
    pub product_name: String,
    pub variant_name: Option<String>,
    pub price: String,
    /// Sold beyond stock (Shopify `continue`, WooCommerce `backorders: notify`).
    pub backorders: bool,
    /// Per location: (location id, available, updated at).
    pub levels: Vec<(u64, i64, String)>,
    /// The product's HTML description (WooCommerce sends it, tens of kilobytes on real
    /// shops, unless `_fields` leaves it out).
    pub description: String,
}

impl Item {
    /// A single-variant product with one count at location 1.
    pub fn simple(variant_id: u64, sku: &str, name: &str, available: i64, at: &str) -> Item {
        Item {
            variant_id,
            product_id: variant_id,
            item_id: 900_000_000_000_000_000 + variant_id,
            sku: sku.to_owned(),
            product_name: name.to_owned(),
            variant_name: None,
            price: "19.00".into(),
            backorders: true,
            levels: vec![(1, available, at.to_owned())],
            description: String::new(),
        }
    }

    pub fn total(&self) -> i64 {
        self.levels.iter().map(|l| l.1).sum()
    }
}

#[derive(Debug, Default)]
struct State {
    items: Vec<Item>,
    synthetic: usize,
    orders: HashMap<u64, (Value, Value)>,
    customers: HashMap<u64, Value>,
    faults: Vec<(String, Fault)>,
    requests: Vec<String>,
    violations: Vec<String>,
}

/// A running stand-in.
#[derive(Debug, Clone)]
pub struct PlatformServer {
    pub kind: Kind,
    /// `http://127.0.0.1:PORT`: the connection's `api_base`.
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl PlatformServer {
    pub fn start(kind: Kind) -> PlatformServer {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let addr = stub::serve(move |stream| handle(kind, &stream, &shared));
        PlatformServer { kind, base: format!("http://{addr}"), state }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s)
    }

    /// Replaces the catalog.
    pub fn set_items(&self, items: Vec<Item>) {
        self.with(|s| s.items = items);
    }

    /// Changes one variant's count at a location (the webhook for it may get lost).
    pub fn set_level(&self, sku: &str, location: u64, available: i64, at: &str) {
        self.with(|s| {
            if let Some(i) = s.items.iter_mut().find(|i| i.sku == sku) {
                i.levels.retain(|l| l.0 != location);
                i.levels.push((location, available, at.to_owned()));
                i.levels.sort_by_key(|l| l.0);
            }
        });
    }

    /// A synthetic catalog of `n` variants (`SYN-000000`, ...), 5 each, made on the fly.
    pub fn set_synthetic(&self, n: usize) {
        self.with(|s| s.synthetic = n);
    }

    pub fn set_order(&self, id: u64, order: Value, products: Value) {
        self.with(|s| s.orders.insert(id, (order, products)));
    }

    pub fn set_customer(&self, id: u64, customer: Value) {
        self.with(|s| s.customers.insert(id, customer));
    }

    /// The next requests whose path contains `path` fail like this, in order.
    pub fn fail(&self, path: &str, faults: &[Fault]) {
        self.with(|s| s.faults.extend(faults.iter().map(|f| (path.to_owned(), *f))));
    }

    /// `METHOD path?query` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        self.with(|s| s.requests.clone())
    }

    /// Requests the real platform would have refused, and why.
    pub fn violations(&self) -> Vec<String> {
        self.with(|s| s.violations.clone())
    }
}

fn synthetic(i: usize) -> Item {
    let id = 5_000_000 + i as u64;
    Item::simple(id, &format!("SYN-{i:06}"), &format!("Synthetic {i}"), 5, "2027-01-01T00:00:00Z")
}

fn all_items(s: &State) -> Vec<Item> {
    if s.synthetic > 0 { (0..s.synthetic).map(synthetic).collect() } else { s.items.clone() }
}

fn items_range(s: &State, from: usize, n: usize) -> (Vec<Item>, usize) {
    if s.synthetic > 0 {
        let end = (from + n).min(s.synthetic);
        ((from..end).map(synthetic).collect(), s.synthetic)
    } else {
        let end = (from + n).min(s.items.len());
        (s.items.get(from..end).map(<[Item]>::to_vec).unwrap_or_default(), s.items.len())
    }
}

type Answer = (u16, Vec<(&'static str, String)>, String);

fn refuse(status: u16, why: &str) -> Result<Answer, (u16, String)> {
    Err((status, why.to_owned()))
}

fn json_answer(v: &Value) -> Answer {
    (200, vec![("content-type", "application/json".into())], v.to_string())
}

fn handle(kind: Kind, stream: &TcpStream, state: &Mutex<State>) {
    let Some(req) = stub::read_request(stream) else { return };
    let line = if req.query.is_empty() {
        format!("{} {}", req.method, req.path)
    } else {
        format!("{} {}?{}", req.method, req.path, req.query)
    };
    let fault = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        s.requests.push(line.clone());
        let i = s.faults.iter().position(|(p, _)| req.path.contains(p.as_str()));
        i.map(|i| s.faults.remove(i).1)
    };
    match fault {
        Some(Fault::RateLimited(secs)) => {
            let headers = vec![
                ("retry-after", secs.to_string()),
                ("x-rate-limit-time-reset-ms", (u64::from(secs) * 1000).to_string()),
                ("content-type", "application/json".into()),
            ];
            stub::respond(stream, 429, &headers, br#"{"errors":"Exceeded 2 calls per second for api client."}"#);
            return;
        }
        Some(Fault::ServerError) => {
            stub::respond(
                stream,
                500,
                &[("content-type", "application/json".into())],
                br#"{"errors":"Internal Server Error"}"#,
            );
            return;
        }
        Some(Fault::Hang(d)) => {
            thread::sleep(d);
            return;
        }
        Some(Fault::Throttled) => {
            let body = json!({ "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
                "extensions": { "cost": { "requestedQueryCost": 352, "actualQueryCost": null,
                    "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 52, "restoreRate": 100.0 } } } });
            stub::respond(stream, 200, &[("content-type", "application/json".into())], body.to_string().as_bytes());
            return;
        }
        None => {}
    }
    let answer = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        match kind {
            Kind::Shopify => shopify(&req, &s),
            Kind::WooCommerce => woocommerce(&req, &s),
            Kind::BigCommerce => bigcommerce(&req, &s),
        }
    };
    match answer {
        Ok((status, headers, body)) => stub::respond(stream, status, &headers, body.as_bytes()),
        Err((status, why)) => {
            state.lock().unwrap_or_else(|e| e.into_inner()).violations.push(format!("{line}: {why}"));
            let body = json!({ "errors": why }).to_string();
            stub::respond(stream, status, &[("content-type", "application/json".into())], body.as_bytes());
        }
    }
}

fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// `POST /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`.
fn shopify(req: &Request, s: &State) -> Result<Answer, (u16, String)> {
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let version_ok = |v: &str| v.len() == 7 && v.as_bytes()[4] == b'-';
    if !matches!(parts.as_slice(), ["admin", "api", v, "graphql.json"] if version_ok(v)) {
        return refuse(404, "Not Found");
    }
    if req.method != "POST" {
        return refuse(405, "GraphQL takes POST");
    }
    if req.header("x-shopify-access-token") != Some(SHOPIFY_TOKEN) {
        return refuse(401, "[API] Invalid API key or access token (unrecognized login or wrong password)");
    }
    if !req.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        return refuse(415, "Content-Type must be application/json");
    }
    let body: Value = serde_json::from_slice(&req.body).map_err(|_| (400, "body is not JSON".to_owned()))?;
    let query = body["query"].as_str().unwrap_or_default();
    let level_json = |(loc, a, at): &(u64, i64, String)| {
        json!({ "location": { "id": gid("Location", *loc) }, "updatedAt": at,
            "quantities": [{ "name": "available", "quantity": a }] })
    };
    // The rest of an inventory item's locations.
    if query.contains("inventoryItem(id: $id)") && query.contains("inventoryLevels(first: $first, after: $after)") {
        let item: u64 = body["variables"]["id"]
            .as_str()
            .and_then(|g| g.strip_prefix("gid://shopify/InventoryItem/"))
            .and_then(|n| n.parse().ok())
            .ok_or((400, "id must be an InventoryItem gid".to_owned()))?;
        let first = body["variables"]["first"]
            .as_u64()
            .filter(|f| (1..=250).contains(f))
            .ok_or((400, "first must be 1 to 250".to_owned()))? as usize;
        let from: usize = body["variables"]["after"]
            .as_str()
            .and_then(|c| c.strip_prefix("level-"))
            .and_then(|n| n.parse().ok())
            .ok_or((400, "invalid cursor".to_owned()))?;
        let all = all_items(s);
        let Some(i) = all.iter().find(|i| i.item_id == item) else {
            return Ok(json_answer(&json!({ "data": { "inventoryItem": null } })));
        };
        let end = (from + first).min(i.levels.len());
        let nodes: Vec<Value> = i.levels.get(from..end).unwrap_or_default().iter().map(level_json).collect();
        return Ok(json_answer(&json!({ "data": { "inventoryItem": { "inventoryLevels": { "nodes": nodes,
            "pageInfo": { "hasNextPage": end < i.levels.len(), "endCursor": format!("level-{end}") } } } } })));
    }
    if !query.contains("productVariants(first: $first, after: $after)") || !query.contains("inventoryLevels") {
        return refuse(400, "unexpected query");
    }
    // How many locations a variant's inventoryLevels asks for (Shopify requires first).
    let levels_first: usize = query
        .split("inventoryLevels(first: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or((400, "inventoryLevels needs first".to_owned()))?;
    let first = body["variables"]["first"]
        .as_u64()
        .filter(|f| (1..=250).contains(f))
        .ok_or((400, "first must be 1 to 250".to_owned()))?;
    let from = match body["variables"]["after"].as_str() {
        None => 0,
        Some(c) => c.strip_prefix("cursor-").and_then(|n| n.parse().ok()).ok_or((400, "invalid cursor".to_owned()))?,
    };
    let (items, total) = items_range(s, from, first as usize);
    let nodes: Vec<Value> = items
        .iter()
        .map(|i| {
            json!({
                "id": gid("ProductVariant", i.variant_id), "sku": i.sku, "title": i.variant_name.clone().unwrap_or_else(|| "Default Title".into()),
                "price": i.price, "inventoryPolicy": if i.backorders { "CONTINUE" } else { "DENY" },
                "product": { "id": gid("Product", i.product_id), "title": i.product_name },
                "inventoryItem": { "id": gid("InventoryItem", i.item_id), "tracked": true,
                    "inventoryLevels": {
                        "nodes": i.levels.iter().take(levels_first).map(level_json).collect::<Vec<_>>(),
                        "pageInfo": { "hasNextPage": i.levels.len() > levels_first,
                            "endCursor": format!("level-{}", levels_first.min(i.levels.len())) } } }
            })
        })
        .collect();
    let end = from + items.len();
    // `edges { cursor node { ... } }` (Relay's connection, which Shopify's Admin API
    // offers beside `nodes`): each variant with the cursor after it.
    if query.contains("edges { cursor node {") {
        let edges: Vec<Value> = nodes
            .into_iter()
            .enumerate()
            .map(|(k, node)| json!({ "cursor": format!("cursor-{}", from + k + 1), "node": node }))
            .collect();
        return Ok(json_answer(&json!({
            "data": { "productVariants": { "edges": edges,
                "pageInfo": { "hasNextPage": end < total, "endCursor": format!("cursor-{end}") } } },
            "extensions": { "cost": { "requestedQueryCost": 352, "actualQueryCost": 120,
                "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 1880, "restoreRate": 100.0 } } }
        })));
    }
    Ok(json_answer(&json!({
        "data": { "productVariants": { "nodes": nodes,
            "pageInfo": { "hasNextPage": end < total, "endCursor": format!("cursor-{end}") } } },
        "extensions": { "cost": { "requestedQueryCost": 352, "actualQueryCost": 120,
            "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 1880, "restoreRate": 100.0 } } }
    })))
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(A[((n >> (18 - 6 * i)) & 63) as usize]) } else { '=' });
        }
    }
    out
}

fn param_u64(req: &Request, name: &str) -> Option<u64> {
    req.param(name).and_then(|v| v.parse().ok())
}

fn woo_product_json(i: &Item, kind: &str) -> Value {
    let mut v = woo_product_core(i, kind);
    if let Some(o) = v.as_object_mut() {
        o.insert("description".into(), json!(i.description));
        o.insert("short_description".into(), json!(""));
        o.insert("images".into(), json!([]));
        o.insert("meta_data".into(), json!([]));
    }
    v
}

/// WordPress's `_fields`: only the named top-level fields of each item.
fn only_fields(v: Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(map)) = (fields, &v) else { return v };
    let wanted: Vec<&str> = fields.split(',').collect();
    Value::Object(
        map.iter().filter(|(k, _)| wanted.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
    )
}

fn woo_product_core(i: &Item, kind: &str) -> Value {
    json!({
        "id": i.variant_id, "name": i.product_name, "type": kind, "parent_id": if kind == "variation" { i.product_id } else { 0 },
        "sku": i.sku, "price": i.price, "manage_stock": true, "stock_quantity": i.total(),
        "stock_status": if i.total() > 0 { "instock" } else if i.backorders { "onbackorder" } else { "outofstock" },
        "backorders": if i.backorders { "notify" } else { "no" },
        "date_modified_gmt": i.levels.first().map(|l| l.2.trim_end_matches('Z').to_owned()).unwrap_or_default(),
        "attributes": i.variant_name.iter().map(|v| json!({ "id": 1, "name": "Size", "option": v })).collect::<Vec<_>>(),
    })
}

/// `/wp-json/wc/v3/...` with HTTP Basic auth (consumer key and secret).
fn woocommerce(req: &Request, s: &State) -> Result<Answer, (u16, String)> {
    if req.header("authorization") != Some(&format!("Basic {}", base64(format!("{WOO_KEY}:{WOO_SECRET}").as_bytes()))) {
        return Err((401, "woocommerce_rest_cannot_view: Sorry, you cannot list resources.".into()));
    }
    if req.method != "GET" {
        return refuse(405, "only GET here");
    }
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let page = param_u64(req, "page").unwrap_or(1).max(1) as usize;
    let per_page = param_u64(req, "per_page").unwrap_or(10) as usize;
    if !(1..=100).contains(&per_page) {
        return refuse(400, "rest_invalid_param: per_page must be between 1 (inclusive) and 100 (inclusive)");
    }
    let items = all_items(s);
    let fields = req.param("_fields");
    let paged = |list: Vec<Value>| -> Answer {
        let total = list.len();
        let pages = total.div_ceil(per_page).max(1);
        let slice: Vec<Value> = list
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|v| only_fields(v, fields.as_deref()))
            .collect();
        (
            200,
            vec![
                ("content-type", "application/json".into()),
                ("x-wp-total", total.to_string()),
                ("x-wp-totalpages", pages.to_string()),
            ],
            Value::Array(slice).to_string(),
        )
    };
    match parts.as_slice() {
        ["wp-json", "wc", "v3", "products"] => {
            let mut products: Vec<Value> = Vec::new();
            let mut parents: Vec<u64> = Vec::new();
            for i in &items {
                if i.product_id == i.variant_id {
                    products.push(woo_product_json(i, "simple"));
                } else if !parents.contains(&i.product_id) {
                    parents.push(i.product_id);
                    let variations: Vec<u64> =
                        items.iter().filter(|x| x.product_id == i.product_id).map(|x| x.variant_id).collect();
                    products.push(json!({ "id": i.product_id, "name": i.product_name, "type": "variable", "sku": "",
                        "manage_stock": false, "stock_quantity": null, "variations": variations }));
                }
            }
            products.sort_by_key(|p| p["id"].as_u64());
            Ok(paged(products))
        }
        ["wp-json", "wc", "v3", "products", id, "variations"] => {
            let id: u64 = id.parse().map_err(|_| (404, "woocommerce_rest_product_invalid_id".to_owned()))?;
            let list: Vec<Value> = items
                .iter()
                .filter(|i| i.product_id == id && i.variant_id != id)
                .map(|i| {
                    let mut v = woo_product_json(i, "variation");
                    if let Some(o) = v.as_object_mut() {
                        o.remove("name");
                        o.remove("type");
                        o.remove("parent_id");
                    }
                    v
                })
                .collect();
            Ok(paged(list))
        }
        ["wp-json", "wc", "v3", "customers", id] => {
            let id: u64 = id.parse().map_err(|_| (404, "woocommerce_rest_invalid_id".to_owned()))?;
            s.customers
                .get(&id)
                .map(json_answer)
                .ok_or((404, "woocommerce_rest_invalid_id: Invalid resource ID.".to_owned()))
        }
        _ => refuse(404, "rest_no_route: No route was found matching the URL and request method."),
    }
}

fn bc_product_json(pid: u64, variants: &[&Item]) -> Value {
    let name = variants.first().map(|i| i.product_name.clone()).unwrap_or_default();
    json!({
        "id": pid, "name": name, "type": "physical", "price": 19.0, "inventory_tracking": "variant",
        "inventory_level": variants.iter().map(|i| i.total()).sum::<i64>(),
        "variants": variants.iter().map(|i| json!({
            "id": i.variant_id, "product_id": pid, "sku": i.sku, "price": i.price.parse::<f64>().ok(),
            "inventory_level": i.total(),
            "option_values": i.variant_name.iter().map(|v| json!({ "id": 1, "label": v, "option_display_name": "Size" })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `/stores/{hash}/v3/...` and `/v2/...` with `X-Auth-Token`.
fn bigcommerce(req: &Request, s: &State) -> Result<Answer, (u16, String)> {
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    if parts.first() != Some(&"stores") || parts.get(1) != Some(&BC_STORE) {
        return refuse(404, "store not found");
    }
    if req.header("x-auth-token") != Some(BC_TOKEN) {
        return refuse(401, "You have not provided a valid access token.");
    }
    if req.header("accept") != Some("application/json") || req.method != "GET" {
        return refuse(400, "GET with Accept: application/json");
    }
    let items = all_items(s);
    let mut products: Vec<u64> = items.iter().map(|i| i.product_id).collect();
    products.dedup();
    let of = |pid: u64| -> Vec<&Item> { items.iter().filter(|i| i.product_id == pid).collect() };
    let limit = param_u64(req, "limit").unwrap_or(50) as usize;
    if !(1..=250).contains(&limit) {
        return refuse(422, "limit must be 1 to 250");
    }
    let page = param_u64(req, "page").unwrap_or(1).max(1) as usize;
    // `include_fields`: the id and the named fields.
    let fields = req.param("include_fields").map(|f| format!("id,{f}"));
    let pagination = |total: usize, count: usize| {
        json!({ "pagination": { "total": total, "count": count, "per_page": limit, "current_page": page,
            "total_pages": total.div_ceil(limit).max(1), "links": { "current": format!("?page={page}&limit={limit}") } } })
    };
    match &parts[2..] {
        ["v3", "catalog", "products"] => {
            let include_variants = match req.param("include").as_deref() {
                None => false,
                Some("variants") => true,
                Some(_) => return refuse(400, "the connector asks for include=variants or nothing"),
            };
            let wanted: Option<Vec<u64>> =
                req.param("id:in").map(|ids| ids.split(',').filter_map(|i| i.parse().ok()).collect());
            let listed: Vec<u64> =
                products.iter().copied().filter(|p| wanted.as_ref().is_none_or(|w| w.contains(p))).collect();
            let data: Vec<Value> = listed
                .iter()
                .skip((page - 1) * limit)
                .take(limit)
                .map(|p| {
                    let mut v = bc_product_json(*p, &of(*p));
                    if !include_variants && let Some(o) = v.as_object_mut() {
                        o.remove("variants");
                    }
                    only_fields(v, fields.as_deref())
                })
                .collect();
            Ok(json_answer(&json!({ "data": data, "meta": pagination(listed.len(), data.len()) })))
        }
        ["v3", "catalog", "variants"] => {
            let variants: Vec<Value> = products
                .iter()
                .flat_map(|p| {
                    let json = bc_product_json(*p, &of(*p));
                    json["variants"].as_array().cloned().unwrap_or_default()
                })
                .collect();
            let data: Vec<Value> = variants
                .iter()
                .skip((page - 1) * limit)
                .take(limit)
                .map(|v| only_fields(v.clone(), fields.as_deref()))
                .collect();
            Ok(json_answer(&json!({ "data": data, "meta": pagination(variants.len(), data.len()) })))
        }
        ["v3", "catalog", "products", id] => {
            let pid: u64 = id.parse().map_err(|_| (404, "product not found".to_owned()))?;
            let variants = of(pid);
            if variants.is_empty() {
                return refuse(404, "The requested product was not found.");
            }
            Ok(json_answer(&json!({ "data": bc_product_json(pid, &variants), "meta": {} })))
        }
        ["v2", "orders", id] => {
            let id: u64 = id.parse().map_err(|_| (404, "order not found".to_owned()))?;
            s.orders
                .get(&id)
                .map(|(o, _)| json_answer(o))
                .ok_or((404, "The requested resource was not found.".to_owned()))
        }
        ["v2", "orders", id, "products"] => {
            // v2 pages like v3 (50 by default, at most 250) and answers 204 past the end.
            let id: u64 = id.parse().map_err(|_| (404, "order not found".to_owned()))?;
            let (_, lines) = s.orders.get(&id).ok_or((404, "The requested resource was not found.".to_owned()))?;
            let lines = lines.as_array().cloned().unwrap_or_default();
            let slice: Vec<Value> = lines.into_iter().skip((page - 1) * limit).take(limit).collect();
            if slice.is_empty() {
                return Ok((204, Vec::new(), String::new()));
            }
            Ok(json_answer(&Value::Array(slice)))
        }
        ["v3", "customers"] => {
            let id: u64 =
                req.param("id:in").and_then(|v| v.parse().ok()).ok_or((422, "id:in is required".to_owned()))?;
            let data: Vec<Value> = s.customers.get(&id).cloned().into_iter().collect();
            Ok(json_answer(&json!({ "data": data, "meta": { "pagination": { "total": data.len() } } })))
        }
        _ => refuse(404, "The requested resource was not found."),
    }
}

// ----- Webhooks, as the platforms sign and send them -----

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// A delivery: headers and body.
pub type Delivery = (Vec<(String, String)>, Vec<u8>);

/// A Shopify webhook of `topic` signed with `secret`; `unprefixed` sends the newer
/// `shopify-*` headers (and an event id) instead of `X-Shopify-*`.
pub fn shopify_hook(secret: &str, topic: &str, body: &Value, id: &str, unprefixed: bool) -> Delivery {
    let body = body.to_string().into_bytes();
    let sig = base64(&hmac(secret.as_bytes(), &body));
    let mut h = vec![("content-type".to_owned(), "application/json".to_owned())];
    let prefix = if unprefixed { "shopify-" } else { "X-Shopify-" };
    h.push((format!("{prefix}Hmac-Sha256"), sig));
    h.push((format!("{prefix}Topic"), topic.to_owned()));
    h.push((format!("{prefix}Shop-Domain"), "acme.myshopify.com".to_owned()));
    h.push((format!("{prefix}API-Version"), "2025-10".to_owned()));
    if unprefixed {
        h.push(("shopify-event-id".to_owned(), id.to_owned()));
    } else {
        h.push(("X-Shopify-Webhook-Id".to_owned(), id.to_owned()));
        h.push(("X-Shopify-Triggered-At".to_owned(), "2027-01-01T00:00:00.000Z".to_owned()));
    }
    (h, body)
}

/// A WooCommerce webhook of `topic` (`product.updated`, ...).
pub fn woo_hook(secret: &str, topic: &str, body: &Value, delivery: &str) -> Delivery {
    let body = body.to_string().into_bytes();
    let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
    let h = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("X-WC-Webhook-Source".to_owned(), "https://shop.example/".to_owned()),
        ("X-WC-Webhook-Topic".to_owned(), topic.to_owned()),
        ("X-WC-Webhook-Resource".to_owned(), resource.to_owned()),
        ("X-WC-Webhook-Event".to_owned(), event.to_owned()),
        ("X-WC-Webhook-Signature".to_owned(), base64(&hmac(secret.as_bytes(), &body))),
        ("X-WC-Webhook-ID".to_owned(), "12".to_owned()),
        ("X-WC-Webhook-Delivery-ID".to_owned(), delivery.to_owned()),
    ];
    (h, body)
}

/// WooCommerce's ping when a webhook is saved: unsigned, form-encoded.
pub fn woo_ping(webhook_id: u32) -> Delivery {
    (
        vec![("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned())],
        format!("webhook_id={webhook_id}").into_bytes(),
    )
}

/// A BigCommerce webhook (Standard Webhooks, keyed with the app's client secret).
pub fn bc_hook(client_secret: &str, scope: &str, data: Value, id: &str, timestamp: i64) -> Delivery {
    let body = json!({ "created_at": timestamp, "store_id": "1025646", "producer": format!("stores/{BC_STORE}"),
        "scope": scope, "hash": "352e4afc6dd3fc85ea26bfdf3f91852604d57528", "data": data })
    .to_string()
    .into_bytes();
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&body);
    let sig = format!("v1,{}", base64(&hmac(client_secret.as_bytes(), &signed)));
    let h = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        ("webhook-signature".to_owned(), sig),
    ];
    (h, body)
}

/// Posts a delivery to `/v1/hooks/{platform}/{shop}`.
pub fn deliver(client: &Client, platform: &str, shop: &str, (headers, body): &Delivery) -> Reply {
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.request("POST", &format!("/v1/hooks/{platform}/{shop}"), &h, Some(body))
}

/// Unix seconds now (for signed timestamps).
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Shopify's `inventory_levels/update` payload.
pub fn shopify_level(item_id: u64, location: u64, available: i64, updated_at: &str) -> Value {
    json!({ "inventory_item_id": item_id, "location_id": location, "available": available, "updated_at": updated_at,
        "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{location}?inventory_item_id={item_id}") })
}

/// Shopify's `products/create` / `products/update` payload for `items` of one product.
pub fn shopify_product(items: &[Item]) -> Value {
    let first = items.first();
    json!({
        "id": first.map(|i| i.product_id), "title": first.map(|i| i.product_name.clone()), "status": "active",
        "updated_at": "2027-01-01T00:00:00-05:00",
        "variants": items.iter().map(|i| json!({
            "id": i.variant_id, "product_id": i.product_id, "title": i.variant_name.clone().unwrap_or_else(|| "Default Title".into()),
            "price": i.price, "sku": i.sku, "inventory_policy": if i.backorders { "continue" } else { "deny" },
            "inventory_management": "shopify", "inventory_item_id": i.item_id, "inventory_quantity": i.total(),
            "old_inventory_quantity": i.total(), "requires_shipping": true,
            "admin_graphql_api_id": format!("gid://shopify/ProductVariant/{}", i.variant_id) })).collect::<Vec<_>>(),
    })
}

/// A line of a platform order: (line id, variant id, sku, quantity, asked for a backorder).
pub type OrderLine = (u64, u64, &'static str, u32, bool);

/// Shopify's `orders/create` payload.
pub fn shopify_order(
    id: u64,
    created_at: &str,
    email: &str,
    tags: &str,
    lines: &[OrderLine],
    cancelled: bool,
) -> Value {
    json!({
        "id": id, "name": format!("#{}", id % 10_000), "email": email, "created_at": created_at,
        "cancelled_at": if cancelled { Some(created_at) } else { None }, "customer_locale": "en",
        "financial_status": "paid", "currency": "EUR",
        "customer": { "id": 115310627314723954u64, "email": email, "tags": tags },
        "line_items": lines.iter().map(|(lid, vid, sku, q, asked)| json!({
            "id": lid, "variant_id": vid, "sku": sku, "quantity": q, "price": "19.00",
            "properties": if *asked { vec![json!({ "name": "_restock", "value": "backorder" })] } else { Vec::new() } })).collect::<Vec<_>>(),
    })
}

/// WooCommerce's order payload.
pub fn woo_order(id: u64, status: &str, created_gmt: &str, email: &str, customer: u64, lines: &[OrderLine]) -> Value {
    json!({
        "id": id, "number": id.to_string(), "status": status, "date_created_gmt": created_gmt, "customer_id": customer,
        "billing": { "email": email },
        "line_items": lines.iter().map(|(lid, vid, sku, q, asked)| json!({
            "id": lid, "product_id": vid, "variation_id": 0, "quantity": q, "sku": sku, "total": "19.00",
            "meta_data": if *asked { vec![json!({ "id": 1, "key": "_restock", "value": "backorder" })] } else { Vec::new() } })).collect::<Vec<_>>(),
    })
}

/// WooCommerce's product payload for one item (a simple product).
pub fn woo_product(i: &Item) -> Value {
    woo_product_json(i, if i.product_id == i.variant_id { "simple" } else { "variation" })
}
