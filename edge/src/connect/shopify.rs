//! Shopify, as shopify.dev documents it (and `@shopify/shopify-api` checks it):
//!
//! - Webhooks are signed with the app's client secret: `X-Shopify-Hmac-Sha256` is the
//!   base64 HMAC-SHA256 of the raw body. Event-style deliveries send the unprefixed
//!   `shopify-hmac-sha256`, `shopify-topic`, `shopify-shop-domain` and
//!   `shopify-event-id` (and the `X-Shopify-*` ones too); either is taken. A delivery
//!   is deduplicated by `X-Shopify-Event-Id` (the same on every delivery of the event:
//!   Shopify's "ignore duplicates" guide), else by `X-Shopify-Webhook-Id`.
//! - Only the body is signed: the topic, ids and shop headers are not, so a signed body
//!   captured once could be posted again under another topic. So the shop header must
//!   name the connection's shop (`hooks`), and each topic's payload is read strictly
//!   as Shopify documents it: `shop/redact` is exactly `{shop_id, shop_domain}` with
//!   the connection's domain; `customers/redact` needs `shop_id`, `shop_domain`,
//!   `customer` and `orders_to_redact`, and is refused with an order's `line_items` or
//!   a data request's `data_request`; an order is cancelled only when its body says so
//!   (`cancelled_at`), never by the topic alone.
//! - Topics: `inventory_levels/update` (`inventory_item_id`, `location_id`,
//!   `available`, `updated_at`); `products/create` and `products/update` (`variants`
//!   with `id`, `sku`, `inventory_item_id`, `inventory_policy`, `inventory_management`,
//!   `inventory_quantity`, `price`); `orders/create`, `orders/updated`,
//!   `orders/cancelled` (`line_items` with `id`, `variant_id`, `sku`, `quantity`,
//!   `price`, `properties`; `customer.tags`, `cancelled_at`); and the mandatory
//!   compliance topics `customers/data_request`, `customers/redact`, `shop/redact`.
//! - Ids are integers that pass 2^53 (inventory items): read exactly, kept as text.
//! - The reconciliation reads the GraphQL Admin API,
//!   `POST /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`, a page of
//!   `productVariants` at a time with each inventory item's per-location `available`
//!   quantity. Throttling comes as HTTP 429 or as a 200 whose `errors` carry
//!   `extensions.code = "THROTTLED"`, with the bucket in `extensions.cost`.

use restock_shared::Timestamp;
use restock_shared::platform::parse_iso;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connect::model::{CallError, Incoming, Level, Line, Order, Reply, Variant, cents, classify, id_text};
use crate::crypto::{base64_decode, ct_eq, hmac_sha256};
use crate::error::ApiError;
use crate::http;

/// The default Admin API version (quarterly, `YYYY-MM`; each is supported a year).
pub const API_VERSION: &str = "2025-10";

/// Whether `hmac_b64` (a header's value) is the HMAC of `body` under `secret`.
pub fn verify(secret: &str, body: &[u8], hmac_b64: &str) -> bool {
    let Some(given) = base64_decode(hmac_b64.trim()) else { return false };
    !secret.is_empty() && ct_eq(&given, &hmac_sha256(secret.as_bytes(), body))
}

/// The header `name` in its `X-Shopify-*` form or its unprefixed `shopify-*` form.
pub fn header<'a>(get: &impl Fn(&str) -> Option<&'a str>, name: &str) -> Option<&'a str> {
    get(&format!("x-shopify-{name}")).or_else(|| get(&format!("shopify-{name}"))).filter(|v| !v.is_empty())
}

/// Checks a delivery's (unsigned) shop header against the connection's shop: an app's
/// client secret signs the deliveries of every shop that installed it, so a delivery
/// for another shop verifies too. Missing or another shop: a 400.
pub fn check_shop(header: Option<&str>, store: &str) -> Result<(), ApiError> {
    match header.map(str::trim) {
        Some(domain) if domain.eq_ignore_ascii_case(store) => Ok(()),
        Some(_) => Err(ApiError::bad_field(
            "shop_domain_mismatch",
            "X-Shopify-Shop-Domain".into(),
            "this delivery is for another shop than this connection's store",
        )),
        None => Err(ApiError::bad_field(
            "shop_domain_mismatch",
            "X-Shopify-Shop-Domain".into(),
            "a Shopify delivery names its shop in X-Shopify-Shop-Domain",
        )),
    }
}

/// The topics Restock subscribes to (README's table) and reads. The topic header is
/// not signed: any other topic is refused before the delivery is claimed or read, so a
/// signed body can only ever be read as one of these (each strictly, see [`read`]).
pub const TOPICS: &[&str] = &[
    "inventory_levels/update",
    "inventory_levels/connect",
    "products/create",
    "products/update",
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
];

/// Checks a delivery's topic against [`TOPICS`]: another is a 400
/// `topic_not_subscribed` (Shopify sends only what an app subscribed to).
pub fn check_topic(topic: &str) -> Result<(), ApiError> {
    if TOPICS.contains(&topic) {
        Ok(())
    } else {
        Err(ApiError::bad_field(
            "topic_not_subscribed",
            "X-Shopify-Topic".into(),
            format!("Restock does not subscribe to the topic {topic}"),
        ))
    }
}

/// The id a delivery is deduplicated by: the event id (the same on every delivery of
/// one event), else the webhook id.
pub fn delivery_id<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> Option<&'a str> {
    header(get, "event-id").or_else(|| header(get, "webhook-id"))
}

/// An id as Shopify sends it: an integer (or its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let v = Value::deserialize(d)?;
        id_text(&v).map(Id).ok_or_else(|| serde::de::Error::custom("invalid type: expected an id"))
    }
}

fn time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    parse_iso(text).ok_or_else(|| {
        ApiError::bad_field("invalid_body", field.to_owned(), format!("{field} must be an ISO 8601 date-time"))
    })
}

#[derive(Deserialize)]
struct InventoryLevel {
    inventory_item_id: Id,
    location_id: Id,
    available: Option<i64>,
    updated_at: String,
}

#[derive(Deserialize)]
struct ProductVariant {
    id: Id,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    title: Option<String>,
    inventory_item_id: Id,
    #[serde(default)]
    inventory_policy: Option<String>,
    #[serde(default)]
    inventory_management: Option<String>,
    #[serde(default)]
    inventory_quantity: Option<i64>,
    #[serde(default)]
    price: Option<String>,
}

#[derive(Deserialize)]
struct Product {
    id: Id,
    title: String,
    #[serde(default)]
    variants: Vec<ProductVariant>,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct LineItem {
    id: Id,
    #[serde(default)]
    variant_id: Option<Id>,
    #[serde(default)]
    sku: Option<String>,
    quantity: u32,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    properties: Vec<Property>,
    /// `fulfilled`, `partial` or null.
    #[serde(default)]
    fulfillment_status: Option<String>,
}

#[derive(Deserialize)]
struct Customer {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    tags: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyOrder {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    created_at: String,
    #[serde(default)]
    cancelled_at: Option<String>,
    #[serde(default)]
    customer_locale: Option<String>,
    #[serde(default)]
    customer: Option<Customer>,
    line_items: Vec<LineItem>,
}

/// `customers/redact`: `{shop_id, shop_domain, customer: {id, email, phone},
/// orders_to_redact: [...]}`.
#[derive(Deserialize)]
struct Redact {
    #[allow(dead_code)]
    shop_id: Id,
    shop_domain: String,
    customer: Customer,
    #[allow(dead_code)]
    orders_to_redact: Vec<Id>,
}

/// `customers/data_request`: `{shop_id, shop_domain, orders_requested, customer,
/// data_request: {id}}`.
#[derive(Deserialize)]
struct DataRequest {
    #[allow(dead_code)]
    shop_id: Id,
    shop_domain: String,
    customer: Customer,
    data_request: RequestId,
}

#[derive(Deserialize)]
struct RequestId {
    id: Id,
}

/// `shop/redact`: exactly `{shop_id, shop_domain}` (any other field means another
/// topic's body).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShopRedact {
    #[allow(dead_code)]
    shop_id: Id,
    shop_domain: String,
}

/// A 400 for a body that carries `key`, which belongs to another topic's payload.
fn foreign(value: &Value, topic: &str, keys: &[&str]) -> Result<(), ApiError> {
    match keys.iter().find(|k| value.get(**k).is_some()) {
        Some(k) => Err(ApiError::bad_field(
            "invalid_body",
            (*k).to_owned(),
            format!("a {topic} payload has no {k}: this is another topic's body"),
        )),
        None => Ok(()),
    }
}

/// The product title with the variant's, unless Shopify's placeholder.
fn variant_name(product: &str, variant: Option<&str>) -> String {
    match variant.map(str::trim) {
        Some(v) if !v.is_empty() && v != "Default Title" => format!("{product} – {v}"),
        _ => product.to_owned(),
    }
}

/// Reads a verified delivery of `topic` for the shop `store` (its myshopify domain).
pub fn read(topic: &str, store: &str, body: &[u8]) -> Result<Incoming, ApiError> {
    let value: Value = http::parse_json(body)?;
    let wrong_shop = |domain: &str| !domain.eq_ignore_ascii_case(store);
    Ok(match topic {
        "inventory_levels/update" | "inventory_levels/connect" => {
            let l: InventoryLevel = http::from_value(value)?;
            match l.available {
                // Untracked at this location: nothing to count.
                None => Incoming::Ignored("inventory level without an available count".into()),
                Some(available) => Incoming::Levels(vec![Level {
                    item_id: l.inventory_item_id.0,
                    location_id: l.location_id.0,
                    available,
                    counted_at: time("updated_at", &l.updated_at)?,
                }]),
            }
        }
        "products/create" | "products/update" => {
            let p: Product = http::from_value(value)?;
            let variants = p
                .variants
                .into_iter()
                .map(|v| Variant {
                    variant_id: v.id.0,
                    product_id: Some(p.id.0.clone()),
                    item_id: v.inventory_item_id.0,
                    sku: v.sku.filter(|s| !s.trim().is_empty()),
                    name: variant_name(&p.title, v.title.as_deref()),
                    price_cents: v.price.as_deref().and_then(cents),
                    backorders: v.inventory_policy.as_deref().map(|p| p == "continue"),
                    tracked: v.inventory_management.as_deref() == Some("shopify"),
                    levels: Vec::new(),
                    total: v.inventory_quantity,
                })
                .collect();
            Incoming::Catalog(variants)
        }
        "orders/create" | "orders/updated" | "orders/paid" | "orders/cancelled" => {
            let o: ShopifyOrder = http::from_value(value)?;
            let tags: Vec<String> = o
                .customer
                .as_ref()
                .and_then(|c| c.tags.as_deref())
                .map(|t| t.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect())
                .unwrap_or_default();
            let lines =
                o.line_items
                    .into_iter()
                    .map(|l| {
                        let asked = l.properties.iter().any(|p| {
                            p.name == "_restock" && matches!(p.value.as_str(), Some("backorder" | "preorder"))
                        });
                        let unit = l.price.as_deref().and_then(cents).unwrap_or(0);
                        Line {
                            line_id: l.id.0,
                            variant_id: l.variant_id.map(|v| v.0),
                            sku: l.sku.filter(|s| !s.trim().is_empty()),
                            quantity: l.quantity,
                            asked,
                            amount_cents: unit.saturating_mul(l.quantity),
                            fulfilled: l.fulfillment_status.as_deref() == Some("fulfilled"),
                        }
                    })
                    .collect();
            Incoming::Order(Order {
                name: o.name.unwrap_or_else(|| o.id.0.clone()),
                order_id: o.id.0,
                created_at: time("created_at", &o.created_at)?,
                email: o.email.filter(|e| !e.is_empty()).or_else(|| o.customer.as_ref().and_then(|c| c.email.clone())),
                locale: o.customer_locale,
                customer_groups: tags,
                customer_id: o.customer.and_then(|c| c.id).map(|i| i.0),
                // The body says whether it is cancelled; the topic is not signed.
                cancelled: o.cancelled_at.as_deref().is_some_and(|c| !c.is_empty()),
                pending: false,
                lines,
            })
        }
        "customers/redact" => {
            foreign(&value, topic, &["line_items", "data_request", "orders_requested"])?;
            let r: Redact = http::from_value(value)?;
            if wrong_shop(&r.shop_domain) {
                return Ok(Incoming::Ignored("shop_domain is not this connection's shop".into()));
            }
            Incoming::Redact { emails: r.customer.email.into_iter().collect() }
        }
        "customers/data_request" => {
            foreign(&value, topic, &["line_items", "orders_to_redact"])?;
            let r: DataRequest = http::from_value(value)?;
            if wrong_shop(&r.shop_domain) {
                return Ok(Incoming::Ignored("shop_domain is not this connection's shop".into()));
            }
            Incoming::DataRequest { email: r.customer.email, request_id: r.data_request.id.0 }
        }
        "shop/redact" => {
            let r: ShopRedact = http::from_value(value)?;
            if wrong_shop(&r.shop_domain) {
                return Ok(Incoming::Ignored("shop_domain is not this connection's shop".into()));
            }
            Incoming::ShopRedact
        }
        other => Incoming::Ignored(format!("topic {other} is not used")),
    })
}

/// The GraphQL query of one reconciliation page: each variant (an edge, with its own
/// cursor, so a page can end before a variant whose other locations the invocation
/// cannot afford to read) with its first [`LEVELS_FIRST`] locations' counts (and
/// whether it has more, read by [`LEVELS_QUERY`]).
pub const VARIANTS_QUERY: &str = "query RestockVariants($first: Int!, $after: String) { \
productVariants(first: $first, after: $after) { pageInfo { hasNextPage endCursor } \
edges { cursor node { id sku title price inventoryPolicy product { id title } \
inventoryItem { id tracked inventoryLevels(first: 10) { pageInfo { hasNextPage endCursor } \
nodes { location { id } updatedAt quantities(names: [\"available\"]) { name quantity } } } } } } } }";

/// Locations read with each variant of a page (a query cost well within Shopify's
/// 1,000 points for 50 variants).
pub const LEVELS_FIRST: u32 = 10;

/// The rest of an inventory item's locations, [`LEVELS_PAGE`] at a time: a shop with
/// more locations than the page reads has every one counted, or (past
/// [`LEVELS_PAGES`] more pages) none: a partial sum is never taken for the count.
pub const LEVELS_QUERY: &str = "query RestockLevels($id: ID!, $first: Int!, $after: String) { \
inventoryItem(id: $id) { inventoryLevels(first: $first, after: $after) { pageInfo { hasNextPage endCursor } \
nodes { location { id } updatedAt quantities(names: [\"available\"]) { name quantity } } } } }";

/// Locations per follow-up page, and the follow-up pages read per item (with the
/// first [`LEVELS_FIRST`], 1,010 locations).
pub const LEVELS_PAGE: u32 = 250;
pub const LEVELS_PAGES: u32 = 4;

/// Variants per reconciliation page at most (a query cost well under Shopify's 1,000
/// points); `connect::budget` may ask for fewer.
pub const PAGE_SIZE: u32 = 50;

/// The URL and body of a reconciliation page of `first` variants after `cursor`.
pub fn variants_request(base: &str, version: &str, first: u32, cursor: Option<&str>) -> (String, String) {
    let url = format!("{}/admin/api/{version}/graphql.json", base.trim_end_matches('/'));
    let body = json!({ "query": VARIANTS_QUERY, "variables": { "first": first.clamp(1, PAGE_SIZE), "after": cursor } });
    (url, body.to_string())
}

/// The URL and body of a follow-up page of inventory item `item`'s levels after
/// `cursor`.
pub fn levels_request(base: &str, version: &str, item: &str, cursor: &str) -> (String, String) {
    let url = format!("{}/admin/api/{version}/graphql.json", base.trim_end_matches('/'));
    let body = json!({ "query": LEVELS_QUERY, "variables": {
        "id": format!("gid://shopify/InventoryItem/{item}"), "first": LEVELS_PAGE, "after": cursor } });
    (url, body.to_string())
}

/// The headers of every Admin API call.
pub fn headers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-Shopify-Access-Token", token.to_owned()),
        ("Content-Type", "application/json".to_owned()),
        ("Accept", "application/json".to_owned()),
    ]
}

/// The number at the end of a GraphQL global id (`gid://shopify/ProductVariant/1`).
pub fn gid_number(gid: &str) -> Option<String> {
    let tail = gid.rsplit('/').next()?;
    let tail = tail.split('?').next()?;
    (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit())).then(|| tail.to_owned())
}

/// One reconciliation page: the variants, the cursor after each of them, and the
/// cursor after the page (`None`: the last), and the variants with more locations
/// than the page read (the variant's index, its inventory item, the cursor after its
/// levels read so far).
#[derive(Debug, PartialEq, Eq)]
pub struct Page {
    pub variants: Vec<Variant>,
    pub cursors: Vec<String>,
    pub next: Option<String>,
    pub more_levels: Vec<(usize, String, String)>,
}

/// An answer's JSON, with Shopify's errors classified (`THROTTLED` is for later).
fn graphql(what: &str, reply: &Reply) -> Result<Value, CallError> {
    if !(200..300).contains(&reply.status) {
        return Err(classify(what, reply));
    }
    let v: Value = serde_json::from_str(&reply.body)
        .map_err(|e| CallError::Broken(format!("Shopify answered something that is not JSON: {e}")))?;
    if let Some(errors) = v["errors"].as_array().filter(|e| !e.is_empty()) {
        let throttled = errors.iter().any(|e| e["extensions"]["code"] == "THROTTLED");
        let message = errors.first().and_then(|e| e["message"].as_str()).unwrap_or("error").to_owned();
        if throttled {
            let cost = &v["extensions"]["cost"];
            let wanted = cost["requestedQueryCost"].as_f64().unwrap_or(0.0);
            let have = cost["throttleStatus"]["currentlyAvailable"].as_f64().unwrap_or(0.0);
            let rate = cost["throttleStatus"]["restoreRate"].as_f64().unwrap_or(0.0);
            let after = (rate > 0.0).then(|| ((wanted - have).max(0.0) / rate).ceil() as u32);
            return Err(CallError::Later {
                error: format!("Shopify throttled the query: {message}"),
                after_secs: after,
            });
        }
        return Err(CallError::Broken(format!("Shopify GraphQL error: {message}")));
    }
    Ok(v)
}

/// The counts of a connection of `inventoryLevels` nodes for `item`, and the cursor
/// after them when there are more.
fn levels_of(item: &str, connection: &Value) -> (Vec<Level>, Option<String>) {
    let mut levels = Vec::new();
    for l in connection["nodes"].as_array().into_iter().flatten() {
        let location = l["location"]["id"].as_str().and_then(gid_number);
        let available = l["quantities"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|q| q["name"] == "available")
            .and_then(|q| q["quantity"].as_i64());
        let at = l["updatedAt"].as_str().and_then(parse_iso);
        if let (Some(location_id), Some(available), Some(counted_at)) = (location, available, at) {
            levels.push(Level { item_id: item.to_owned(), location_id, available, counted_at });
        }
    }
    let more = connection["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
    (levels, if more { connection["pageInfo"]["endCursor"].as_str().map(str::to_owned) } else { None })
}

/// Reads a follow-up page of an item's levels: its counts and the cursor after them.
pub fn levels_page(reply: &Reply, item: &str) -> Result<(Vec<Level>, Option<String>), CallError> {
    let v = graphql("Shopify inventoryItem", reply)?;
    let connection = &v["data"]["inventoryItem"]["inventoryLevels"];
    if !connection.is_object() {
        return Err(CallError::Broken(format!("Shopify's answer has no inventoryLevels for item {item}")));
    }
    Ok(levels_of(item, connection))
}

/// Reads a reconciliation page's answer.
pub fn variants_page(reply: &Reply) -> Result<Page, CallError> {
    let v = graphql("Shopify productVariants", reply)?;
    let conn = &v["data"]["productVariants"];
    let edges = conn["edges"]
        .as_array()
        .ok_or_else(|| CallError::Broken("Shopify's answer has no productVariants.edges".into()))?;
    let mut variants = Vec::with_capacity(edges.len());
    let mut cursors = Vec::with_capacity(edges.len());
    let mut more_levels = Vec::new();
    for e in edges {
        let n = &e["node"];
        let cursor = e["cursor"]
            .as_str()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| CallError::Broken("a variant edge without a cursor in Shopify's answer".into()))?;
        let (Some(id), Some(item)) =
            (n["id"].as_str().and_then(gid_number), n["inventoryItem"]["id"].as_str().and_then(gid_number))
        else {
            return Err(CallError::Broken("a variant without an id or inventory item in Shopify's answer".into()));
        };
        let (levels, after) = levels_of(&item, &n["inventoryItem"]["inventoryLevels"]);
        if let Some(cursor) = after {
            more_levels.push((variants.len(), item.clone(), cursor));
        }
        let title = n["product"]["title"].as_str().unwrap_or_default();
        variants.push(Variant {
            variant_id: id,
            product_id: n["product"]["id"].as_str().and_then(gid_number),
            item_id: item,
            sku: n["sku"].as_str().filter(|s| !s.trim().is_empty()).map(str::to_owned),
            name: variant_name(title, n["title"].as_str()),
            price_cents: n["price"].as_str().and_then(cents),
            backorders: n["inventoryPolicy"].as_str().map(|p| p == "CONTINUE"),
            tracked: n["inventoryItem"]["tracked"].as_bool().unwrap_or(false),
            total: Some(levels.iter().map(|l| l.available).sum()),
            levels,
        });
        cursors.push(cursor.to_owned());
    }
    let more = conn["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
    let next = if more { conn["pageInfo"]["endCursor"].as_str().map(str::to_owned) } else { None };
    Ok(Page { variants, cursors, next, more_levels })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::base64;

    const SECRET: &str = "shpss_test_secret";

    #[test]
    fn the_hmac_is_over_the_raw_body() {
        let body = br#"{"inventory_item_id":271878346596884015,"location_id":24826418,"available":6}"#;
        let sig = base64(&hmac_sha256(SECRET.as_bytes(), body));
        assert!(verify(SECRET, body, &sig));
        assert!(verify(SECRET, body, &format!(" {sig} ")), "header whitespace");
        assert!(!verify("other", body, &sig));
        let mut tampered = body.to_vec();
        tampered[40] = b'7';
        assert!(!verify(SECRET, &tampered, &sig));
        assert!(!verify(SECRET, body, "not base64!"));
        assert!(!verify("", body, &base64(&hmac_sha256(b"", body))), "no secret, no verification");
    }

    #[test]
    fn prefixed_and_unprefixed_headers_are_read() {
        let h = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        };
        let legacy = h(&[
            ("x-shopify-topic", "orders/create"),
            ("x-shopify-webhook-id", "wh-1"),
            ("x-shopify-event-id", "ev-1"),
        ]);
        assert_eq!(header(&legacy, "topic"), Some("orders/create"));
        assert_eq!(delivery_id(&legacy), Some("ev-1"), "the event id is the same on every delivery of the event");
        let webhook_only = h(&[("x-shopify-topic", "orders/create"), ("x-shopify-webhook-id", "wh-2")]);
        assert_eq!(delivery_id(&webhook_only), Some("wh-2"));
        let events = h(&[("shopify-topic", "orders/create"), ("shopify-event-id", "ev-2")]);
        assert_eq!(header(&events, "topic"), Some("orders/create"));
        assert_eq!(delivery_id(&events), Some("ev-2"));
    }

    fn level(body: Value) -> Result<Incoming, (u16, Option<String>)> {
        read("inventory_levels/update", "acme.myshopify.com", body.to_string().as_bytes()).map_err(|e| {
            let p = e.problem();
            (p.status, p.field)
        })
    }

    #[test]
    fn inventory_levels_keep_big_ids_exact() {
        let got = level(json!({
            "inventory_item_id": 271878346596884015u64, "location_id": 24826418, "available": -3,
            "updated_at": "2021-12-31T19:00:00-05:00",
            "admin_graphql_api_id": "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"
        }));
        let Ok(Incoming::Levels(levels)) = got else { panic!("{got:?}") };
        assert_eq!(levels[0].item_id, "271878346596884015");
        assert_eq!((levels[0].location_id.as_str(), levels[0].available), ("24826418", -3));
        assert_eq!(levels[0].counted_at, parse_iso("2022-01-01T00:00:00Z").expect("valid"));
        assert_eq!(
            level(json!({ "location_id": 1, "available": 1, "updated_at": "2021-12-31T19:00:00Z" })),
            Err((400, Some("inventory_item_id".into())))
        );
        assert_eq!(
            level(
                json!({ "inventory_item_id": "x", "location_id": 1, "available": 1, "updated_at": "2021-12-31T19:00:00Z" })
            ),
            Err((400, Some("inventory_item_id".into())))
        );
        assert_eq!(
            level(json!({ "inventory_item_id": 1, "location_id": 1, "available": 1, "updated_at": "yesterday" })),
            Err((400, Some("updated_at".into())))
        );
        assert!(matches!(
            level(
                json!({ "inventory_item_id": 1, "location_id": 1, "available": null, "updated_at": "2021-12-31T19:00:00Z" })
            ),
            Ok(Incoming::Ignored(_))
        ));
    }

    #[test]
    fn products_become_catalog_variants() {
        let body = json!({
            "id": 788032119674292922u64, "title": "Organic tee", "status": "active",
            "variants": [
                { "id": 44001003, "product_id": 788032119674292922u64, "title": "XL", "price": "29.00", "sku": "TEE-ORG-XL",
                  "inventory_policy": "continue", "inventory_management": "shopify", "inventory_item_id": 271878346596884015u64,
                  "inventory_quantity": -2 },
                { "id": 44001004, "title": "Default Title", "price": "19.5", "sku": "", "inventory_policy": "deny",
                  "inventory_management": null, "inventory_item_id": 2 }
            ]
        });
        let Ok(Incoming::Catalog(v)) = read("products/update", "acme.myshopify.com", body.to_string().as_bytes())
        else {
            panic!()
        };
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].variant_id.as_str(), v[0].sku.as_deref(), v[0].name.as_str()),
            ("44001003", Some("TEE-ORG-XL"), "Organic tee – XL")
        );
        assert_eq!(
            (v[0].backorders, v[0].tracked, v[0].total, v[0].price_cents),
            (Some(true), true, Some(-2), Some(2900))
        );
        assert_eq!(v[0].product_id.as_deref(), Some("788032119674292922"));
        assert_eq!(
            (v[1].sku.as_deref(), v[1].name.as_str(), v[1].backorders, v[1].tracked),
            (None, "Organic tee", Some(false), false)
        );
        let bad = json!({ "id": 1, "title": "x", "variants": [{ "id": 2 }] });
        let e = read("products/update", "a", bad.to_string().as_bytes()).expect_err("no inventory item");
        assert_eq!(e.problem().field.as_deref(), Some("variants[0].inventory_item_id"));
    }

    #[test]
    fn orders_read_lines_properties_tags_and_cancellation() {
        let body = json!({
            "id": 820982911946154508u64, "name": "#1001", "email": "ada@example.com", "created_at": "2027-01-10T10:00:00+01:00",
            "cancelled_at": null, "customer_locale": "de",
            "customer": { "id": 115310627314723954u64, "email": "ada@example.com", "tags": "wholesale, VIP" },
            "line_items": [
                { "id": 866550311766439020u64, "variant_id": 44001003, "sku": "TEE-ORG-XL", "quantity": 2, "price": "29.00",
                  "properties": [{ "name": "_restock", "value": "backorder" }] },
                { "id": 2, "variant_id": null, "sku": null, "quantity": 1, "price": "5.00", "properties": [] }
            ]
        });
        let Ok(Incoming::Order(o)) = read("orders/create", "a", body.to_string().as_bytes()) else { panic!() };
        assert_eq!((o.order_id.as_str(), o.name.as_str(), o.cancelled), ("820982911946154508", "#1001", false));
        assert_eq!(o.customer_groups, vec!["wholesale".to_owned(), "VIP".to_owned()]);
        assert_eq!(o.created_at, parse_iso("2027-01-10T09:00:00Z").expect("valid"));
        assert_eq!((o.lines[0].asked, o.lines[0].amount_cents, o.lines[0].quantity), (true, 5800, 2));
        assert_eq!((o.lines[1].variant_id.as_deref(), o.lines[1].asked), (None, false));
        // The topic is not signed: orders/cancelled over a body that is not cancelled
        // cancels nothing; a body with cancelled_at is cancelled under any order topic.
        let Ok(Incoming::Order(c)) = read("orders/cancelled", "a", body.to_string().as_bytes()) else { panic!() };
        assert!(!c.cancelled);
        let mut cancelled = body.clone();
        cancelled["cancelled_at"] = json!("2027-01-11T10:00:00+01:00");
        let Ok(Incoming::Order(c)) = read("orders/updated", "a", cancelled.to_string().as_bytes()) else { panic!() };
        assert!(c.cancelled);
        assert!(!o.lines[0].fulfilled);
        let mut shipped = body.clone();
        shipped["line_items"][0]["fulfillment_status"] = json!("fulfilled");
        let Ok(Incoming::Order(f)) = read("orders/updated", "a", shipped.to_string().as_bytes()) else { panic!() };
        assert!(f.lines[0].fulfilled);
        let bad = json!({ "id": 1, "created_at": "2027-01-10T10:00:00Z", "line_items": [{ "id": 1, "variant_id": 1, "quantity": -1 }] });
        let e = read("orders/create", "a", bad.to_string().as_bytes()).expect_err("negative quantity");
        assert_eq!(e.problem().field.as_deref(), Some("line_items[0].quantity"));
    }

    #[test]
    fn compliance_topics() {
        let redact = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com",
            "customer": { "id": 191167, "email": "john@example.com", "phone": "555-625-1199" }, "orders_to_redact": [299938] });
        let got = read("customers/redact", "acme.myshopify.com", redact.to_string().as_bytes());
        assert_eq!(got.ok(), Some(Incoming::Redact { emails: vec!["john@example.com".into()] }));
        let other = read("customers/redact", "other.myshopify.com", redact.to_string().as_bytes());
        assert!(matches!(other, Ok(Incoming::Ignored(_))), "another shop's request is not ours");
        let request = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com", "orders_requested": [299938],
            "customer": { "id": 191167, "email": "john@example.com" }, "data_request": { "id": 9999 } });
        let got = read("customers/data_request", "acme.myshopify.com", request.to_string().as_bytes());
        assert_eq!(
            got.ok(),
            Some(Incoming::DataRequest { email: Some("john@example.com".into()), request_id: "9999".into() })
        );
        let shop = json!({ "shop_id": 954889, "shop_domain": "acme.myshopify.com" });
        assert_eq!(
            read("shop/redact", "acme.myshopify.com", shop.to_string().as_bytes()).ok(),
            Some(Incoming::ShopRedact)
        );
        assert!(matches!(read("app/uninstalled", "a", b"{}"), Ok(Incoming::Ignored(_))));
        assert_eq!(read("customers/redact", "a", b"{nope").map_err(|e| e.code()), Err("invalid_json"));
    }

    #[test]
    fn only_subscribed_topics_are_read() {
        for t in TOPICS {
            assert!(check_topic(t).is_ok(), "{t}");
        }
        for t in ["app/uninstalled", "orders/delete", "ORDERS/CANCELLED", "shop/redact ", ""] {
            let e = check_topic(t).expect_err(t);
            assert_eq!((e.code(), e.problem().field.as_deref()), ("topic_not_subscribed", Some("X-Shopify-Topic")));
        }
    }

    /// Only the body is signed: a body captured from one topic and posted again under
    /// another is refused, never read as that topic.
    #[test]
    fn compliance_topics_refuse_another_topics_body() {
        let store = "acme.myshopify.com";
        let field = |topic: &str, body: Value| {
            read(topic, store, body.to_string().as_bytes()).err().map(|e| (e.problem().status, e.problem().field))
        };
        let order = json!({ "id": 820982911946154508u64, "email": "ann@example.com", "created_at": "2027-01-10T10:00:00Z",
            "customer": { "id": 1, "email": "ann@example.com" }, "line_items": [{ "id": 1, "quantity": 1 }] });
        assert_eq!(field("customers/redact", order.clone()), Some((400, Some("line_items".into()))));
        assert_eq!(field("shop/redact", order).map(|(s, _)| s), Some(400), "an order is no shop/redact");
        let request = json!({ "shop_id": 954889, "shop_domain": store, "orders_requested": [299938],
            "customer": { "id": 191167, "email": "john@example.com" }, "data_request": { "id": 9999 } });
        assert_eq!(field("customers/redact", request.clone()), Some((400, Some("data_request".into()))));
        assert!(field("shop/redact", request).is_some());
        let redact = json!({ "shop_id": 954889, "shop_domain": store,
            "customer": { "id": 191167, "email": "john@example.com" }, "orders_to_redact": [299938] });
        assert_eq!(field("shop/redact", redact.clone()), Some((400, Some("customer".into()))));
        assert!(field("customers/data_request", redact).is_some());
        let level =
            json!({ "inventory_item_id": 1, "location_id": 1, "available": 1, "updated_at": "2021-12-31T19:00:00Z" });
        assert!(field("shop/redact", level.clone()).is_some() && field("customers/redact", level).is_some());
        // Required: customers/redact names the orders; shop/redact names the shop.
        let no_orders = json!({ "shop_id": 954889, "shop_domain": store, "customer": { "email": "john@example.com" } });
        assert_eq!(field("customers/redact", no_orders), Some((400, Some("orders_to_redact".into()))));
        assert_eq!(field("shop/redact", json!({ "shop_domain": store })), Some((400, Some("shop_id".into()))));
        assert_eq!(field("shop/redact", json!({ "shop_id": 1 })), Some((400, Some("shop_domain".into()))));
        let other = json!({ "shop_id": 954889, "shop_domain": "other.myshopify.com" });
        assert!(matches!(read("shop/redact", store, other.to_string().as_bytes()), Ok(Incoming::Ignored(_))));
    }

    #[test]
    fn graphql_pages_and_throttling() {
        let (url, body) = variants_request("https://acme.myshopify.com/", "2025-10", 50, Some("abc"));
        assert_eq!(url, "https://acme.myshopify.com/admin/api/2025-10/graphql.json");
        let b: Value = serde_json::from_str(&body).expect("json");
        assert_eq!((b["variables"]["first"].as_u64(), b["variables"]["after"].as_str()), (Some(50), Some("abc")));
        let (_, body) = variants_request("https://acme.myshopify.com/", "2025-10", 500, None);
        let b: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            (b["variables"]["first"].as_u64(), b["variables"]["after"].as_str()),
            (Some(50), None),
            "at most 50"
        );
        let ok = Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({ "data": { "productVariants": {
                "pageInfo": { "hasNextPage": true, "endCursor": "c2" },
                "edges": [{ "cursor": "c1", "node": { "id": "gid://shopify/ProductVariant/44001003", "sku": "TEE-ORG-XL", "title": "XL", "price": "29.00",
                    "inventoryPolicy": "CONTINUE", "product": { "id": "gid://shopify/Product/7", "title": "Organic tee" },
                    "inventoryItem": { "id": "gid://shopify/InventoryItem/271878346596884015", "tracked": true,
                        "inventoryLevels": { "nodes": [
                            { "location": { "id": "gid://shopify/Location/1" }, "updatedAt": "2027-01-01T00:00:00Z",
                              "quantities": [{ "name": "available", "quantity": 4 }] },
                            { "location": { "id": "gid://shopify/Location/2" }, "updatedAt": "2027-01-02T00:00:00Z",
                              "quantities": [{ "name": "available", "quantity": -1 }] } ] } } } }] } },
                "extensions": { "cost": { "requestedQueryCost": 352 } } })
            .to_string(),
        };
        let page = variants_page(&ok).expect("page");
        assert_eq!((page.next.as_deref(), page.cursors.as_slice()), (Some("c2"), &["c1".to_owned()][..]));
        let v = &page.variants[0];
        assert_eq!(
            (v.variant_id.as_str(), v.item_id.as_str(), v.total, v.backorders),
            ("44001003", "271878346596884015", Some(3), Some(true))
        );
        assert_eq!(v.levels.len(), 2);
        assert!(page.more_levels.is_empty());
        // More locations than the page reads: the rest is asked for by item.
        let mut more: Value = serde_json::from_str(&ok.body).expect("json");
        more["data"]["productVariants"]["edges"][0]["node"]["inventoryItem"]["inventoryLevels"]["pageInfo"] =
            json!({ "hasNextPage": true, "endCursor": "lv10" });
        let page = variants_page(&Reply { status: 200, headers: Vec::new(), body: more.to_string() }).expect("page");
        assert_eq!(page.more_levels, [(0, "271878346596884015".to_owned(), "lv10".to_owned())]);
        // Each variant comes with its own cursor (the page can end before it), or the
        // answer is not one Restock can page through.
        let mut uncursored = more.clone();
        uncursored["data"]["productVariants"]["edges"][0]["cursor"] = Value::Null;
        let answer = Reply { status: 200, headers: Vec::new(), body: uncursored.to_string() };
        assert!(matches!(variants_page(&answer), Err(CallError::Broken(_))));
        let mut nodes_only = more.clone();
        nodes_only["data"]["productVariants"] = json!({ "nodes": [], "pageInfo": { "hasNextPage": false } });
        let answer = Reply { status: 200, headers: Vec::new(), body: nodes_only.to_string() };
        assert!(matches!(variants_page(&answer), Err(CallError::Broken(_))));
        let (url, body) = levels_request("https://acme.myshopify.com", "2025-10", "271878346596884015", "lv10");
        assert!(url.ends_with("/admin/api/2025-10/graphql.json"));
        let b: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(b["variables"]["id"], "gid://shopify/InventoryItem/271878346596884015");
        assert_eq!((b["variables"]["first"].as_u64(), b["variables"]["after"].as_str()), (Some(250), Some("lv10")));
        let rest = Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({ "data": { "inventoryItem": { "inventoryLevels": {
                "pageInfo": { "hasNextPage": false, "endCursor": "lv11" },
                "nodes": [{ "location": { "id": "gid://shopify/Location/11" }, "updatedAt": "2027-01-02T00:00:00Z",
                    "quantities": [{ "name": "available", "quantity": 7 }] }] } } } })
            .to_string(),
        };
        let (levels, next) = levels_page(&rest, "271878346596884015").expect("levels");
        assert_eq!((levels[0].location_id.as_str(), levels[0].available, next), ("11", 7, None));
        let throttled = Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({ "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED" } }],
                "extensions": { "cost": { "requestedQueryCost": 352, "throttleStatus": { "maximumAvailable": 1000.0, "currentlyAvailable": 52, "restoreRate": 50.0 } } } })
            .to_string(),
        };
        assert_eq!(
            variants_page(&throttled).map(|_| ()),
            Err(CallError::Later { error: "Shopify throttled the query: Throttled".into(), after_secs: Some(6) })
        );
        let denied = Reply {
            status: 401,
            headers: Vec::new(),
            body: "{\"errors\":\"[API] Invalid API key or access token\"}".into(),
        };
        assert!(matches!(variants_page(&denied), Err(CallError::Broken(_))));
        assert_eq!(gid_number("gid://shopify/InventoryLevel/1?inventory_item_id=2").as_deref(), Some("1"));
    }
}
