//! BigCommerce, as developer.bigcommerce.com documents it:
//!
//! - Webhooks are signed in the Standard Webhooks format with the app's client secret
//!   as the key: `webhook-id`, `webhook-timestamp` (Unix seconds) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` (several,
//!   space-separated, during a rotation). Timestamps more than 5 minutes off are
//!   refused (replays). A delivery is deduplicated by `webhook-id`.
//! - Payloads are light: `{scope, store_id, producer: "stores/{hash}", hash,
//!   created_at, data}`, with `data` naming the resource (`store/sku/inventory/updated`:
//!   `{type: "sku", id, inventory: {product_id, variant_id, method, value}}`;
//!   `store/product/inventory/updated`: `{type: "product", id, inventory}`;
//!   `store/order/created`: `{type: "order", id}`). So the connector fetches the
//!   resource from the API: the product with its variants
//!   (`GET /stores/{hash}/v3/catalog/products/{id}?include=variants`; a product has at
//!   most 600 variants), the order (`GET /stores/{hash}/v2/orders/{id}` and its lines,
//!   `/v2/orders/{id}/products?limit=250&page=n`, every page: v2 lists 50 by default
//!   and answers 204 past the last page), and a customer's group
//!   (`GET /stores/{hash}/v3/customers?id:in={id}`), with `X-Auth-Token`.
//! - The reconciliation pages the catalog by *variant*, so a page is bounded whatever
//!   the products hold: `GET /v3/catalog/variants?limit=250&page=n` (250 is the API's
//!   largest page) with `include_fields` naming what is read, then the page's products
//!   (`GET /v3/catalog/products?id:in=...`, their name, price, `inventory_tracking`,
//!   `inventory_level` and `base_variant_id`). A products page with `include=variants`
//!   has no such bound (50 products of 600 variants each).
//! - Order statuses (`status_id`): 0 Incomplete takes nothing yet; 4 Refunded,
//!   5 Cancelled and 6 Declined free what the order took; the rest hold it.
//! - A product tracks inventory per `variant`, per `product`, or `none`. 429 answers
//!   say when to come back in `X-Rate-Limit-Time-Reset-Ms`.

use restock_shared::Timestamp;
use restock_shared::platform::parse_rfc2822;
use serde_json::Value;

use crate::connect::model::{CallError, Fetch, Incoming, Level, Line, Order, Reply, Variant, cents, classify, id_text};
use crate::crypto::{base64, ct_eq, hmac_sha256};
use crate::error::ApiError;
use crate::http;

/// How far a signed timestamp may be from our clock.
pub const TOLERANCE_SECS: i64 = 300;

/// The Standard Webhooks check, keyed with the client secret's bytes.
pub fn verify(client_secret: &str, id: &str, timestamp: &str, signatures: &str, body: &[u8], now_secs: i64) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else { return false };
    if client_secret.is_empty() || id.is_empty() || now_secs.abs_diff(ts) > TOLERANCE_SECS.unsigned_abs() {
        return false;
    }
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(body);
    let expected = format!("v1,{}", base64(&hmac_sha256(client_secret.as_bytes(), &signed)));
    signatures.split(' ').any(|s| ct_eq(s.as_bytes(), expected.as_bytes()))
}

fn field(path: &str, detail: &str) -> ApiError {
    ApiError::bad_field("invalid_body", path.to_owned(), format!("{path} {detail}"))
}

/// Reads a verified delivery for the store `hash`.
pub fn read(hash: &str, body: &[u8]) -> Result<Incoming, ApiError> {
    let v: Value = http::parse_json(body)?;
    let scope = v["scope"].as_str().ok_or_else(|| field("scope", "must be a string"))?.to_owned();
    let producer = v["producer"].as_str().ok_or_else(|| field("producer", "must be a string"))?;
    if producer != format!("stores/{hash}") {
        return Ok(Incoming::Ignored("producer is not this connection's store".into()));
    }
    let data = &v["data"];
    let id = || id_text(&data["id"]).ok_or_else(|| field("data.id", "must be an id"));
    Ok(match scope.as_str() {
        "store/sku/inventory/updated" | "store/sku/inventory/order/updated" => {
            let inv = &data["inventory"];
            let product_id =
                id_text(&inv["product_id"]).ok_or_else(|| field("data.inventory.product_id", "must be an id"))?;
            let variant_id =
                id_text(&inv["variant_id"]).ok_or_else(|| field("data.inventory.variant_id", "must be an id"))?;
            Incoming::Fetch(Fetch::Variant { product_id, variant_id })
        }
        "store/product/inventory/updated"
        | "store/product/inventory/order/updated"
        | "store/product/created"
        | "store/product/updated" => Incoming::Fetch(Fetch::Product { product_id: id()? }),
        "store/order/created" | "store/order/updated" | "store/order/statusUpdated" => {
            Incoming::Fetch(Fetch::Order { order_id: id()? })
        }
        other => Incoming::Ignored(format!("scope {other} is not used")),
    })
}

/// The API base for store `hash` (`api_base`: a stand-in's origin instead of
/// `https://api.bigcommerce.com`).
pub fn base(api_base: Option<&str>, hash: &str) -> String {
    format!("{}/stores/{hash}", api_base.unwrap_or("https://api.bigcommerce.com").trim_end_matches('/'))
}

pub fn headers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-Auth-Token", token.to_owned()),
        ("Accept", "application/json".to_owned()),
        ("Content-Type", "application/json".to_owned()),
    ]
}

/// Variants per reconciliation page (the API's largest `limit`).
pub const PAGE_SIZE: u32 = 250;

/// The variant fields the reconciliation reads.
const VARIANT_FIELDS: &str = "product_id,sku,price,inventory_level,option_values";
/// The product fields it reads for a page's products.
const PRODUCT_FIELDS: &str = "name,price,inventory_tracking,inventory_level,base_variant_id";

/// Lines per page of an order's products (v2's largest `limit`), and the pages read:
/// 5,000 lines.
pub const ORDER_LINES_PAGE: u32 = 250;
pub const ORDER_LINE_PAGES: u32 = 20;

pub fn product_url(base: &str, id: &str) -> String {
    format!("{base}/v3/catalog/products/{id}?include=variants")
}

/// A reconciliation page of variants (1-based).
pub fn variants_url(base: &str, page: u32) -> String {
    format!("{base}/v3/catalog/variants?limit={PAGE_SIZE}&page={page}&include_fields={VARIANT_FIELDS}")
}

/// The products of a page's variants (at most [`PAGE_SIZE`] ids, one page).
pub fn products_info_url(base: &str, ids: &[String]) -> String {
    format!("{base}/v3/catalog/products?id:in={}&limit={PAGE_SIZE}&include_fields={PRODUCT_FIELDS}", ids.join(","))
}

pub fn order_url(base: &str, id: &str) -> String {
    format!("{base}/v2/orders/{id}")
}

pub fn order_products_url(base: &str, id: &str, page: u32) -> String {
    format!("{base}/v2/orders/{id}/products?limit={ORDER_LINES_PAGE}&page={page}")
}

pub fn customer_url(base: &str, id: &str) -> String {
    format!("{base}/v3/customers?id:in={id}")
}

fn json(what: &str, reply: &Reply) -> Result<Value, CallError> {
    if !(200..300).contains(&reply.status) {
        return Err(classify(what, reply));
    }
    serde_json::from_str(&reply.body).map_err(|e| CallError::Broken(format!("{what}: the answer is not JSON: {e}")))
}

/// A v3 product (with `include=variants`) as catalog variants, counted `now` (the
/// API's answer is its current count).
fn product_variants(p: &Value, now: Timestamp) -> Result<Vec<Variant>, CallError> {
    let variants = p["variants"]
        .as_array()
        .ok_or_else(|| CallError::Broken("BigCommerce product without variants (include=variants)".into()))?;
    variants.iter().map(|v| variant(p, v, variants.len() == 1, now)).collect()
}

/// `GET .../v3/catalog/products/{id}?include=variants`.
pub fn product(reply: &Reply, now: Timestamp) -> Result<Vec<Variant>, CallError> {
    let v = json("BigCommerce product", reply)?;
    product_variants(&v["data"], now)
}

/// A reconciliation page of variants (`GET .../v3/catalog/variants`): the variants as
/// the API gave them, their products' ids, and whether there is another page.
#[derive(Debug)]
pub struct VariantsPage {
    pub variants: Vec<Value>,
    pub product_ids: Vec<String>,
    pub more: bool,
}

pub fn variants_page(reply: &Reply) -> Result<VariantsPage, CallError> {
    let v = json("BigCommerce variants", reply)?;
    let variants =
        v["data"].as_array().cloned().ok_or_else(|| CallError::Broken("BigCommerce variants: no data".into()))?;
    let mut product_ids: Vec<String> = variants.iter().filter_map(|x| id_text(&x["product_id"])).collect();
    product_ids.sort();
    product_ids.dedup();
    let pagination = &v["meta"]["pagination"];
    let more = pagination["current_page"].as_u64().unwrap_or(1) < pagination["total_pages"].as_u64().unwrap_or(1);
    Ok(VariantsPage { variants, product_ids, more })
}

/// A page's variants as catalog variants, with their products' facts (`GET
/// .../v3/catalog/products?id:in=...`), counted `now`. A variant whose product is not
/// in the answer (deleted between the two calls) is left out.
pub fn page_variants(page: &VariantsPage, products: &Reply, now: Timestamp) -> Result<Vec<Variant>, CallError> {
    let p = json("BigCommerce products", products)?;
    let list = p["data"].as_array().ok_or_else(|| CallError::Broken("BigCommerce products: no data".into()))?;
    let mut out = Vec::with_capacity(page.variants.len());
    for v in &page.variants {
        let Some(product) =
            id_text(&v["product_id"]).and_then(|id| list.iter().find(|p| id_text(&p["id"]) == Some(id.clone())))
        else {
            continue;
        };
        // A simple product counted per product: its base variant holds the count.
        let base = id_text(&product["base_variant_id"]).is_some_and(|b| id_text(&v["id"]) == Some(b));
        out.push(variant(product, v, base, now)?);
    }
    Ok(out)
}

/// One variant of product `p` (`single`: the product's only variant, which a
/// product-level count counts).
fn variant(p: &Value, v: &Value, single: bool, now: Timestamp) -> Result<Variant, CallError> {
    let bad = |what: &str| CallError::Broken(format!("BigCommerce product without {what}"));
    let product_id = id_text(&p["id"]).ok_or_else(|| bad("an id"))?;
    let name = p["name"].as_str().unwrap_or_default();
    let tracking = p["inventory_tracking"].as_str().unwrap_or("none");
    let variant_id = id_text(&v["id"]).ok_or_else(|| bad("a variant id"))?;
    let options: Vec<&str> =
        v["option_values"].as_array().into_iter().flatten().filter_map(|o| o["label"].as_str()).collect();
    let level = match tracking {
        "variant" => v["inventory_level"].as_i64(),
        "product" if single => p["inventory_level"].as_i64(),
        _ => None,
    };
    let price = v["price"].as_f64().or_else(|| p["price"].as_f64()).filter(|p| *p >= 0.0);
    Ok(Variant {
        levels: level
            .map(|available| Level {
                item_id: variant_id.clone(),
                location_id: String::new(),
                available,
                counted_at: now,
            })
            .into_iter()
            .collect(),
        total: level,
        variant_id: variant_id.clone(),
        product_id: Some(product_id),
        item_id: variant_id,
        sku: v["sku"].as_str().filter(|s| !s.trim().is_empty()).map(str::to_owned),
        name: if options.is_empty() { name.to_owned() } else { format!("{name} – {}", options.join(", ")) },
        price_cents: price.and_then(|p| cents(&format!("{p:.2}"))),
        backorders: None,
        tracked: level.is_some(),
    })
}

/// A page of an order's lines (`GET .../v2/orders/{id}/products`): v2 answers 204
/// with no body past the last page.
pub fn order_products_page(reply: &Reply) -> Result<Vec<Value>, CallError> {
    if reply.status == 204 {
        return Ok(Vec::new());
    }
    let items = json("BigCommerce order products", reply)?;
    items.as_array().cloned().ok_or_else(|| CallError::Broken("BigCommerce order without a list of products".into()))
}

/// `GET .../v2/orders/{id}` and every line of `/v2/orders/{id}/products` as an order.
pub fn order(order: &Reply, items: &[Value]) -> Result<Order, CallError> {
    let o = json("BigCommerce order", order)?;
    let bad = |what: &str| CallError::Broken(format!("BigCommerce order without {what}"));
    let order_id = id_text(&o["id"]).ok_or_else(|| bad("an id"))?;
    let created_at = o["date_created"].as_str().and_then(parse_rfc2822).ok_or_else(|| bad("a date_created"))?;
    let status = o["status_id"].as_u64().ok_or_else(|| bad("a status_id"))?;
    // Shipped (2) or Completed (10): every line left the warehouse.
    let shipped = matches!(status, 2 | 10);
    let mut lines = Vec::new();
    for item in items {
        let quantity =
            item["quantity"].as_u64().and_then(|q| u32::try_from(q).ok()).ok_or_else(|| bad("a line quantity"))?;
        let line_shipped = item["quantity_shipped"].as_u64().is_some_and(|s| s >= u64::from(quantity) && quantity > 0);
        lines.push(Line {
            line_id: id_text(&item["id"]).ok_or_else(|| bad("a line id"))?,
            variant_id: id_text(&item["variant_id"]),
            sku: item["sku"].as_str().filter(|s| !s.trim().is_empty()).map(str::to_owned),
            quantity,
            asked: false,
            amount_cents: item["total_inc_tax"].as_str().and_then(cents).unwrap_or(0),
            fulfilled: shipped || line_shipped,
        });
    }
    Ok(Order {
        name: format!("#{order_id}"),
        order_id,
        created_at,
        email: o["billing_address"]["email"].as_str().filter(|e| !e.is_empty()).map(str::to_owned),
        locale: None,
        customer_groups: Vec::new(),
        customer_id: id_text(&o["customer_id"]).filter(|c| c != "0"),
        cancelled: matches!(status, 4..=6),
        pending: status == 0,
        lines,
    })
}

/// A customer's group id, from `GET .../v3/customers?id:in={id}`.
pub fn customer_group(reply: &Reply) -> Result<Option<String>, CallError> {
    let v = json("BigCommerce customer", reply)?;
    Ok(v["data"].as_array().and_then(|d| d.first()).and_then(|c| id_text(&c["customer_group_id"])).filter(|g| g != "0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "bc-client-secret";

    fn sign(id: &str, ts: i64, body: &[u8]) -> String {
        let mut signed = format!("{id}.{ts}.").into_bytes();
        signed.extend_from_slice(body);
        format!("v1,{}", base64(&hmac_sha256(SECRET.as_bytes(), &signed)))
    }

    #[test]
    fn standard_webhooks_with_the_client_secret() {
        let body = br#"{"scope":"store/order/created"}"#;
        let now = 1_800_000_000;
        let sig = sign("msg_1", now, body);
        assert!(verify(SECRET, "msg_1", &now.to_string(), &sig, body, now));
        assert!(
            verify(SECRET, "msg_1", &now.to_string(), &format!("v1,bm9wZQ== {sig}"), body, now + 299),
            "any of several"
        );
        assert!(!verify(SECRET, "msg_1", &now.to_string(), &sig, body, now + 301), "too old");
        assert!(!verify(SECRET, "msg_2", &now.to_string(), &sig, body, now), "another id");
        assert!(!verify("other", "msg_1", &now.to_string(), &sig, body, now));
        assert!(!verify(SECRET, "msg_1", "soon", &sig, body, now));
        // Any timestamp is compared without overflow (no panic, refused).
        assert!(!verify(SECRET, "msg_1", &i64::MIN.to_string(), &sig, body, now));
        assert!(!verify(SECRET, "msg_1", &i64::MAX.to_string(), &sig, body, -now));
    }

    #[test]
    fn the_catalog_is_paged_by_variant_with_its_products_facts() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        assert_eq!(
            variants_url("https://api.bigcommerce.com/stores/abc", 3),
            "https://api.bigcommerce.com/stores/abc/v3/catalog/variants?limit=250&page=3\
             &include_fields=product_id,sku,price,inventory_level,option_values"
        );
        let page = reply(json!({ "data": [
            { "id": 509, "product_id": 167, "sku": "TEE-M", "price": null, "inventory_level": 3, "option_values": [{ "label": "M" }] },
            { "id": 510, "product_id": 167, "sku": "TEE-L", "price": 22.5, "inventory_level": 0, "option_values": [{ "label": "L" }] },
            { "id": 600, "product_id": 168, "sku": "MUG", "inventory_level": 99, "option_values": [] },
            { "id": 700, "product_id": 169, "sku": "GONE", "inventory_level": 1, "option_values": [] } ],
            "meta": { "pagination": { "total": 600, "count": 4, "per_page": 250, "current_page": 1, "total_pages": 3 } } }));
        let p = variants_page(&page).expect("page");
        assert_eq!((p.product_ids.clone(), p.more), (vec!["167".into(), "168".into(), "169".into()], true));
        assert_eq!(
            products_info_url("https://x/stores/abc", &p.product_ids),
            "https://x/stores/abc/v3/catalog/products?id:in=167,168,169&limit=250\
             &include_fields=name,price,inventory_tracking,inventory_level,base_variant_id"
        );
        let products = reply(json!({ "data": [
            { "id": 167, "name": "Tee", "price": 20.0, "inventory_tracking": "variant", "inventory_level": 3, "base_variant_id": null },
            { "id": 168, "name": "Mug", "price": 9.0, "inventory_tracking": "product", "inventory_level": 12, "base_variant_id": 600 } ],
            "meta": {} }));
        let v = page_variants(&p, &products, now).expect("variants");
        assert_eq!(v.len(), 3, "a variant whose product is gone is left out");
        assert_eq!((v[0].name.as_str(), v[0].price_cents, v[0].levels[0].available), ("Tee – M", Some(2000), 3));
        assert_eq!((v[1].price_cents, v[1].total), (Some(2250), Some(0)));
        assert_eq!((v[2].name.as_str(), v[2].total), ("Mug", Some(12)), "a product-level count on its base variant");
    }

    #[test]
    fn light_payloads_name_what_to_fetch() {
        let read_json = |v: Value| read("abc123", v.to_string().as_bytes());
        let sku = json!({ "created_at": 1561482670, "store_id": "1025646", "producer": "stores/abc123",
            "scope": "store/sku/inventory/updated", "hash": "352e4afc6dd3fc85ea26bfdf3f91852604d57528",
            "data": { "type": "sku", "id": 461, "inventory": { "product_id": 167, "method": "absolute", "value": 2, "variant_id": 509 } } });
        assert_eq!(
            read_json(sku).ok(),
            Some(Incoming::Fetch(Fetch::Variant { product_id: "167".into(), variant_id: "509".into() }))
        );
        let product = json!({ "producer": "stores/abc123", "scope": "store/product/inventory/order/updated",
            "data": { "type": "product", "id": 167, "inventory": { "product_id": 167, "method": "absolute", "value": 2 } } });
        assert_eq!(read_json(product).ok(), Some(Incoming::Fetch(Fetch::Product { product_id: "167".into() })));
        let order = json!({ "producer": "stores/abc123", "scope": "store/order/created", "data": { "type": "order", "id": 250 } });
        assert_eq!(read_json(order).ok(), Some(Incoming::Fetch(Fetch::Order { order_id: "250".into() })));
        let other_store =
            json!({ "producer": "stores/zzz", "scope": "store/order/created", "data": { "type": "order", "id": 250 } });
        assert!(matches!(read_json(other_store), Ok(Incoming::Ignored(_))));
        let bad = json!({ "producer": "stores/abc123", "scope": "store/order/created", "data": { "type": "order" } });
        assert_eq!(read_json(bad).err().and_then(|e| e.problem().field), Some("data.id".into()));
    }

    fn reply(body: Value) -> Reply {
        Reply { status: 200, headers: Vec::new(), body: body.to_string() }
    }

    #[test]
    fn products_orders_and_customers() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        let p = reply(
            json!({ "data": { "id": 167, "name": "Tee", "price": 20.0, "inventory_tracking": "variant", "inventory_level": 7,
            "variants": [
                { "id": 509, "product_id": 167, "sku": "TEE-M", "price": null, "inventory_level": 3, "option_values": [{ "label": "M", "option_display_name": "Size" }] },
                { "id": 510, "product_id": 167, "sku": "TEE-L", "price": 22.5, "inventory_level": 0, "option_values": [{ "label": "L" }] } ] }, "meta": {} }),
        );
        let v = product(&p, now).expect("product");
        assert_eq!((v[0].name.as_str(), v[0].price_cents, v[0].levels[0].available), ("Tee – M", Some(2000), 3));
        assert_eq!((v[1].variant_id.as_str(), v[1].price_cents, v[1].item_id.as_str()), ("510", Some(2250), "510"));
        let o = reply(
            json!({ "id": 250, "customer_id": 11, "date_created": "Tue, 20 Nov 2027 10:00:00 +0000", "status_id": 11,
            "billing_address": { "email": "ada@example.com" } }),
        );
        let lines = reply(
            json!([{ "id": 1, "order_id": 250, "product_id": 167, "variant_id": 509, "sku": "TEE-M", "quantity": 2, "total_inc_tax": "40.0000" }]),
        );
        let lines = order_products_page(&lines).expect("lines");
        let order = order(&o, &lines).expect("order");
        assert_eq!(
            (order.order_id.as_str(), order.cancelled, order.pending, order.customer_id.as_deref()),
            ("250", false, false, Some("11"))
        );
        assert_eq!((order.lines[0].variant_id.as_deref(), order.lines[0].amount_cents), (Some("509"), 4000));
        let cancelled = reply(
            json!({ "id": 250, "date_created": "Tue, 20 Nov 2027 10:00:00 +0000", "status_id": 5, "billing_address": {} }),
        );
        assert!(super::order(&cancelled, &[]).expect("order").cancelled);
        let past_the_end = Reply { status: 204, headers: Vec::new(), body: String::new() };
        assert_eq!(order_products_page(&past_the_end), Ok(Vec::new()), "204: no more lines");
        assert_eq!(
            order_products_url("https://api.bigcommerce.com/stores/abc", "250", 2),
            "https://api.bigcommerce.com/stores/abc/v2/orders/250/products?limit=250&page=2"
        );
        let c =
            reply(json!({ "data": [{ "id": 11, "email": "ada@example.com", "customer_group_id": 2 }], "meta": {} }));
        assert_eq!(customer_group(&c), Ok(Some("2".into())));
        assert_eq!(
            customer_url("https://api.bigcommerce.com/stores/abc", "11"),
            "https://api.bigcommerce.com/stores/abc/v3/customers?id:in=11"
        );
        let limited = Reply {
            status: 429,
            headers: vec![("X-Rate-Limit-Time-Reset-Ms".into(), "2500".into())],
            body: String::new(),
        };
        assert!(matches!(product(&limited, now), Err(CallError::Later { after_secs: Some(3), .. })));
    }
}
