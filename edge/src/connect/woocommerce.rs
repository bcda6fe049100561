//! WooCommerce, as its source (`WC_Webhook`, the REST API v3) has it:
//!
//! - `X-WC-Webhook-Signature` is the base64 HMAC-SHA256 of the body under the
//!   webhook's secret; `X-WC-Webhook-Topic` (`product.updated`, ...),
//!   `X-WC-Webhook-Delivery-ID` (a fresh hash per delivery) and `X-WC-Webhook-ID`
//!   come with it. When a webhook is created WooCommerce first sends an unsigned ping,
//!   a form-encoded `webhook_id=<id>`, and keeps the webhook only if it gets a 200.
//! - A payload is the resource as `GET /wp-json/wc/v3/{resource}s/{id}` returns it.
//!   Products: `type` (`simple`, `variable`, `variation`), `sku`, `manage_stock`,
//!   `stock_quantity` (negative when sold on backorder), `stock_status` (`instock`,
//!   `outofstock`, `onbackorder`), `backorders` (`no`, `notify`, `yes`),
//!   `date_modified_gmt`. A variation's change is a `product.updated` of the
//!   variation. Orders: `status`, `date_created_gmt`, `customer_id`, `billing.email`,
//!   `line_items` with `id`, `product_id`, `variation_id`, `quantity`, `sku`, `total`,
//!   `meta_data`.
//! - Stock is reduced when an order is paid or put on hold (`processing`, `on-hold`,
//!   `completed`); `pending` and `checkout-draft` orders take nothing yet; `cancelled`,
//!   `refunded`, `failed` and `trash` free what they took.
//! - The REST API takes HTTP Basic auth with the consumer key and secret over HTTPS;
//!   lists page with `page` and `per_page` (at most 100) and say `X-WP-TotalPages`.
//!   A full product carries its HTML descriptions, images and meta (tens of kilobytes
//!   each), so the reconciliation asks for only the fields it reads with WordPress's
//!   `_fields`: a page of 100 is then a few tens of kilobytes.

use restock_shared::Timestamp;
use restock_shared::platform::parse_iso;
use serde::Deserialize;
use serde_json::Value;

use crate::connect::model::{CallError, Incoming, Level, Line, Order, Reply, Variant, cents, classify, id_text};
use crate::crypto::{base64, base64_decode, ct_eq, hmac_sha256};
use crate::error::ApiError;
use crate::http;

/// Whether `signature` (the header's value) is the HMAC of `body` under `secret`.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Some(given) = base64_decode(signature.trim()) else { return false };
    !secret.is_empty() && ct_eq(&given, &hmac_sha256(secret.as_bytes(), body))
}

/// Whether a delivery is WooCommerce's unsigned ping (`webhook_id=<digits>`, form-encoded).
pub fn is_ping(content_type: Option<&str>, body: &[u8]) -> bool {
    let form = content_type.is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let text = std::str::from_utf8(body).unwrap_or("");
    let id = text.strip_prefix("webhook_id=").unwrap_or("");
    form && !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let v = Value::deserialize(d)?;
        id_text(&v).map(Id).ok_or_else(|| serde::de::Error::custom("invalid type: expected an id"))
    }
}

#[derive(Deserialize)]
struct Attribute {
    #[serde(default)]
    option: Option<String>,
}

#[derive(Deserialize)]
struct Product {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    parent_id: Option<Id>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    manage_stock: Value,
    #[serde(default)]
    stock_quantity: Option<i64>,
    #[serde(default)]
    backorders: Option<String>,
    #[serde(default)]
    date_modified_gmt: Option<String>,
    #[serde(default)]
    attributes: Vec<Attribute>,
}

#[derive(Deserialize)]
struct Meta {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct LineItem {
    id: Id,
    product_id: Id,
    #[serde(default)]
    variation_id: Option<Id>,
    quantity: u32,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    total: Option<String>,
    #[serde(default)]
    meta_data: Vec<Meta>,
}

#[derive(Deserialize)]
struct Billing {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct WooOrder {
    id: Id,
    #[serde(default)]
    number: Option<String>,
    status: String,
    date_created_gmt: String,
    #[serde(default)]
    customer_id: Option<Id>,
    #[serde(default)]
    billing: Option<Billing>,
    line_items: Vec<LineItem>,
}

fn time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    parse_iso(text).ok_or_else(|| {
        ApiError::bad_field(
            "invalid_body",
            field.to_owned(),
            format!("{field} must be a date-time (YYYY-MM-DDTHH:MM:SS)"),
        )
    })
}

/// A simple product or a variation as a catalog variant (`parent_name` names a
/// variation, which has no name of its own in the variations list).
fn variant(p: Product, parent_name: Option<&str>) -> Result<Option<Variant>, ApiError> {
    if p.kind.as_deref() == Some("variable") || p.kind.as_deref() == Some("grouped") {
        // Its variations (or children) are the variants; the parent sells nothing itself.
        return Ok(None);
    }
    let tracked = p.manage_stock == Value::Bool(true);
    let counted_at = match &p.date_modified_gmt {
        Some(t) => time("date_modified_gmt", t)?,
        None if tracked => {
            return Err(ApiError::bad_field(
                "invalid_body",
                "date_modified_gmt".into(),
                "date_modified_gmt is required",
            ));
        }
        None => Timestamp::from_millis(0),
    };
    let options: Vec<&str> = p.attributes.iter().filter_map(|a| a.option.as_deref()).collect();
    let name = match (p.name.as_deref().filter(|n| !n.is_empty()), parent_name) {
        (Some(n), _) => n.to_owned(),
        (None, Some(parent)) if !options.is_empty() => format!("{parent} – {}", options.join(", ")),
        (None, Some(parent)) => parent.to_owned(),
        (None, None) => format!("Product {}", p.id.0),
    };
    let levels = match (tracked, p.stock_quantity) {
        (true, Some(available)) => {
            vec![Level { item_id: p.id.0.clone(), location_id: String::new(), available, counted_at }]
        }
        _ => Vec::new(),
    };
    Ok(Some(Variant {
        total: levels.first().map(|l| l.available),
        variant_id: p.id.0.clone(),
        product_id: p.parent_id.filter(|id| id.0 != "0").map(|id| id.0).or(Some(p.id.0.clone())),
        item_id: p.id.0,
        sku: p.sku.filter(|s| !s.trim().is_empty()),
        name,
        price_cents: p.price.as_deref().and_then(cents),
        backorders: p.backorders.as_deref().map(|b| b != "no"),
        tracked,
        levels,
    }))
}

/// Reads a verified delivery of `topic`.
pub fn read(topic: &str, body: &[u8]) -> Result<Incoming, ApiError> {
    let value: Value = http::parse_json(body)?;
    Ok(match topic {
        "product.created" | "product.updated" | "product.restored" => {
            let p: Product = http::from_value(value)?;
            match variant(p, None)? {
                Some(v) => Incoming::Catalog(vec![v]),
                None => Incoming::Ignored("a variable product: its variations are the variants".into()),
            }
        }
        "order.created" | "order.updated" | "order.restored" => {
            let o: WooOrder = http::from_value(value)?;
            // A completed order was shipped: its lines came from stock.
            let fulfilled = o.status == "completed";
            let (cancelled, pending) = match o.status.as_str() {
                "processing" | "on-hold" | "completed" => (false, false),
                "cancelled" | "refunded" | "failed" | "trash" => (true, false),
                _ => (false, true),
            };
            let lines = o
                .line_items
                .into_iter()
                .map(|l| {
                    let asked = l
                        .meta_data
                        .iter()
                        .any(|m| m.key == "_restock" && matches!(m.value.as_str(), Some("backorder" | "preorder")));
                    let variation = l.variation_id.filter(|v| v.0 != "0");
                    Line {
                        line_id: l.id.0,
                        variant_id: Some(variation.unwrap_or(l.product_id).0),
                        sku: l.sku.filter(|s| !s.trim().is_empty()),
                        quantity: l.quantity,
                        asked,
                        amount_cents: l.total.as_deref().and_then(cents).unwrap_or(0),
                        fulfilled,
                    }
                })
                .collect();
            Incoming::Order(Order {
                name: o.number.map_or_else(|| format!("#{}", o.id.0), |n| format!("#{n}")),
                order_id: o.id.0,
                created_at: time("date_created_gmt", &o.date_created_gmt)?,
                email: o.billing.and_then(|b| b.email).filter(|e| !e.is_empty()),
                locale: None,
                customer_groups: Vec::new(),
                customer_id: o.customer_id.filter(|c| c.0 != "0").map(|c| c.0),
                cancelled,
                pending,
                lines,
            })
        }
        other => Incoming::Ignored(format!("topic {other} is not used")),
    })
}

/// Products (or a product's variations) per page (WooCommerce's largest `per_page`).
pub const PAGE_SIZE: u32 = 100;

/// The `Authorization` header for the REST API.
pub fn headers(key: &str, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Basic {}", base64(format!("{key}:{secret}").as_bytes()))),
        ("Accept", "application/json".to_owned()),
    ]
}

/// The product fields the reconciliation reads (`_fields`).
const PRODUCT_FIELDS: &str =
    "id,name,type,parent_id,sku,price,manage_stock,stock_quantity,backorders,date_modified_gmt";
/// The variation fields it reads (a variation's options name it).
const VARIATION_FIELDS: &str = "id,sku,price,manage_stock,stock_quantity,backorders,date_modified_gmt,attributes";

/// The URL of products page `page` (1-based), oldest id first.
pub fn products_url(base: &str, page: u32) -> String {
    format!(
        "{}/wp-json/wc/v3/products?per_page={PAGE_SIZE}&page={page}&orderby=id&order=asc&_fields={PRODUCT_FIELDS}",
        base.trim_end_matches('/')
    )
}

/// The URL of variations page `page` of product `id`.
pub fn variations_url(base: &str, id: &str, page: u32) -> String {
    format!(
        "{}/wp-json/wc/v3/products/{id}/variations?per_page={PAGE_SIZE}&page={page}&_fields={VARIATION_FIELDS}",
        base.trim_end_matches('/')
    )
}

/// The URL of customer `id` (for its role).
pub fn customer_url(base: &str, id: &str) -> String {
    format!("{}/wp-json/wc/v3/customers/{id}", base.trim_end_matches('/'))
}

/// A page of products: its variants, the variable products whose variations are still
/// to be read, and the number of pages (`X-WP-TotalPages`).
#[derive(Debug, PartialEq, Eq)]
pub struct ProductsPage {
    pub variants: Vec<Variant>,
    pub variable: Vec<(String, String)>,
    pub total_pages: u32,
}

fn list(what: &str, reply: &Reply) -> Result<Vec<Value>, CallError> {
    if !(200..300).contains(&reply.status) {
        return Err(classify(what, reply));
    }
    let v: Value = serde_json::from_str(&reply.body)
        .map_err(|e| CallError::Broken(format!("{what}: the answer is not JSON: {e}")))?;
    v.as_array().cloned().ok_or_else(|| CallError::Broken(format!("{what}: the answer is not a list")))
}

fn total_pages(reply: &Reply) -> u32 {
    reply.header("x-wp-totalpages").and_then(|v| v.trim().parse().ok()).unwrap_or(1)
}

/// Reads a products page.
pub fn products_page(reply: &Reply) -> Result<ProductsPage, CallError> {
    let items = list("WooCommerce products", reply)?;
    let mut page = ProductsPage { variants: Vec::new(), variable: Vec::new(), total_pages: total_pages(reply) };
    for item in items {
        let kind = item["type"].as_str().unwrap_or("simple").to_owned();
        let name = item["name"].as_str().unwrap_or_default().to_owned();
        let id = id_text(&item["id"]);
        let p: Product = serde_json::from_value(item)
            .map_err(|e| CallError::Broken(format!("WooCommerce product in an unexpected shape: {e}")))?;
        if kind == "variable" {
            if let Some(id) = id {
                page.variable.push((id, name));
            }
            continue;
        }
        if let Some(v) =
            variant(p, None).map_err(|e| CallError::Broken(format!("WooCommerce product: {}", e.problem().detail)))?
        {
            page.variants.push(v);
        }
    }
    Ok(page)
}

/// Reads a page of product `parent`'s variations (named `parent_name`).
pub fn variations_page(reply: &Reply, parent: &str, parent_name: &str) -> Result<(Vec<Variant>, u32), CallError> {
    let items = list("WooCommerce variations", reply)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let mut p: Product = serde_json::from_value(item)
            .map_err(|e| CallError::Broken(format!("WooCommerce variation in an unexpected shape: {e}")))?;
        p.kind = Some("variation".into());
        p.parent_id = Some(Id(parent.to_owned()));
        if let Some(v) = variant(p, Some(parent_name))
            .map_err(|e| CallError::Broken(format!("WooCommerce variation: {}", e.problem().detail)))?
        {
            out.push(v);
        }
    }
    Ok((out, total_pages(reply)))
}

/// A customer's role.
pub fn customer_role(reply: &Reply) -> Result<Option<String>, CallError> {
    if !(200..300).contains(&reply.status) {
        return Err(classify("WooCommerce customer", reply));
    }
    let v: Value = serde_json::from_str(&reply.body)
        .map_err(|e| CallError::Broken(format!("WooCommerce customer: the answer is not JSON: {e}")))?;
    Ok(v["role"].as_str().filter(|r| !r.is_empty()).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_and_the_unsigned_ping() {
        let body = br#"{"id":799}"#;
        let sig = base64(&hmac_sha256(b"wc-secret", body));
        assert!(verify("wc-secret", body, &sig));
        assert!(!verify("wc-secret", b"{\"id\":800}", &sig));
        assert!(!verify("other", body, &sig));
        assert!(is_ping(Some("application/x-www-form-urlencoded"), b"webhook_id=42"));
        assert!(!is_ping(Some("application/json"), b"webhook_id=42"));
        assert!(!is_ping(Some("application/x-www-form-urlencoded"), b"webhook_id=42&x=1"));
        assert!(!is_ping(None, b"webhook_id=42"));
    }

    fn catalog(body: Value) -> Vec<Variant> {
        match read("product.updated", body.to_string().as_bytes()) {
            Ok(Incoming::Catalog(v)) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn products_and_variations() {
        let v = catalog(json!({
            "id": 799, "name": "Mug", "type": "simple", "sku": "MUG-STONE", "price": "12.50", "manage_stock": true,
            "stock_quantity": -2, "stock_status": "onbackorder", "backorders": "notify", "date_modified_gmt": "2027-01-05T10:00:00",
            "parent_id": 0
        }));
        assert_eq!(
            (v[0].variant_id.as_str(), v[0].sku.as_deref(), v[0].backorders, v[0].tracked),
            ("799", Some("MUG-STONE"), Some(true), true)
        );
        assert_eq!(
            (v[0].levels[0].available, v[0].levels[0].location_id.as_str(), v[0].price_cents),
            (-2, "", Some(1250))
        );
        let v = catalog(json!({
            "id": 733, "name": "Tee - Large", "type": "variation", "parent_id": 732, "sku": "TEE-L", "manage_stock": "parent",
            "stock_quantity": 5, "backorders": "no", "date_modified_gmt": "2027-01-05T10:00:00"
        }));
        assert_eq!(
            (v[0].product_id.as_deref(), v[0].tracked, v[0].levels.len(), v[0].backorders),
            (Some("732"), false, 0, Some(false))
        );
        let ignored = read(
            "product.updated",
            json!({ "id": 732, "type": "variable", "variations": [733] }).to_string().as_bytes(),
        );
        assert!(matches!(ignored, Ok(Incoming::Ignored(_))));
        let e = read(
            "product.updated",
            json!({ "id": 1, "manage_stock": true, "stock_quantity": 1, "date_modified_gmt": "soon" })
                .to_string()
                .as_bytes(),
        )
        .expect_err("bad date");
        assert_eq!(e.problem().field.as_deref(), Some("date_modified_gmt"));
        let e = read("product.updated", json!({ "id": 1, "stock_quantity": "many" }).to_string().as_bytes())
            .expect_err("bad count");
        assert_eq!(e.problem().field.as_deref(), Some("stock_quantity"));
    }

    #[test]
    fn orders_and_their_statuses() {
        let order = |status: &str| {
            json!({
                "id": 727, "number": "727", "status": status, "date_created_gmt": "2027-01-05T10:00:00", "customer_id": 26,
                "billing": { "email": "john.doe@example.com" },
                "line_items": [
                    { "id": 315, "product_id": 732, "variation_id": 733, "quantity": 2, "sku": "TEE-L", "total": "40.00",
                      "meta_data": [{ "id": 1, "key": "_restock", "value": "backorder" }] },
                    { "id": 316, "product_id": 799, "variation_id": 0, "quantity": 1, "sku": "MUG-STONE", "total": "12.50", "meta_data": [] }
                ]
            })
        };
        let Ok(Incoming::Order(o)) = read("order.created", order("processing").to_string().as_bytes()) else {
            panic!()
        };
        assert_eq!(
            (o.name.as_str(), o.cancelled, o.pending, o.customer_id.as_deref()),
            ("#727", false, false, Some("26"))
        );
        assert_eq!(
            (o.lines[0].variant_id.as_deref(), o.lines[0].asked, o.lines[0].amount_cents),
            (Some("733"), true, 4000)
        );
        assert_eq!((o.lines[1].variant_id.as_deref(), o.lines[1].asked), (Some("799"), false));
        let Ok(Incoming::Order(o)) = read("order.updated", order("cancelled").to_string().as_bytes()) else { panic!() };
        assert!(o.cancelled);
        let Ok(Incoming::Order(o)) = read("order.created", order("pending").to_string().as_bytes()) else { panic!() };
        assert!(o.pending && !o.cancelled);
        let mut bad = order("processing");
        bad["line_items"][1]["quantity"] = json!("one");
        let e = read("order.created", bad.to_string().as_bytes()).expect_err("bad quantity");
        assert_eq!(e.problem().field.as_deref(), Some("line_items[1].quantity"));
    }

    #[test]
    fn rest_pages() {
        assert_eq!(
            products_url("https://shop.example/", 2),
            "https://shop.example/wp-json/wc/v3/products?per_page=100&page=2&orderby=id&order=asc\
             &_fields=id,name,type,parent_id,sku,price,manage_stock,stock_quantity,backorders,date_modified_gmt"
        );
        assert_eq!(headers("ck_1", "cs_2")[0].1, format!("Basic {}", base64(b"ck_1:cs_2")));
        let reply = Reply {
            status: 200,
            headers: vec![("X-WP-TotalPages".into(), "3".into())],
            body: json!([
                { "id": 799, "name": "Mug", "type": "simple", "sku": "MUG", "manage_stock": true, "stock_quantity": 4, "backorders": "no", "date_modified_gmt": "2027-01-05T10:00:00" },
                { "id": 732, "name": "Tee", "type": "variable", "sku": "", "manage_stock": false, "stock_quantity": null }
            ])
            .to_string(),
        };
        let page = products_page(&reply).expect("page");
        assert_eq!(
            (page.variants.len(), page.variable.clone(), page.total_pages),
            (1, vec![("732".to_owned(), "Tee".to_owned())], 3)
        );
        let reply = Reply {
            status: 200,
            headers: vec![("X-WP-TotalPages".into(), "1".into())],
            body: json!([{ "id": 733, "sku": "TEE-L", "manage_stock": true, "stock_quantity": 0, "backorders": "yes",
                "date_modified_gmt": "2027-01-05T10:00:00", "attributes": [{ "id": 1, "name": "Size", "option": "Large" }] }])
            .to_string(),
        };
        let (vars, pages) = variations_page(&reply, "732", "Tee").expect("variations");
        assert_eq!((vars[0].name.as_str(), vars[0].product_id.as_deref(), pages), ("Tee – Large", Some("732"), 1));
        let limited = Reply { status: 429, headers: vec![("Retry-After".into(), "7".into())], body: String::new() };
        assert!(matches!(products_page(&limited), Err(CallError::Later { after_secs: Some(7), .. })));
        let role = Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({ "id": 26, "role": "wholesale_customer" }).to_string(),
        };
        assert_eq!(customer_role(&role), Ok(Some("wholesale_customer".into())));
    }
}
