//! What the platforms tell us, in one vocabulary: each platform's reader turns its
//! payloads into these values, and `apply` carries them out the same way for all.

use restock_shared::Timestamp;

/// A platform's available count for one inventory item at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    /// Shopify: the inventory item; WooCommerce: the product or variation; BigCommerce:
    /// the variant.
    pub item_id: String,
    /// `""` where the platform has no locations (or one count for all).
    pub location_id: String,
    /// May be negative: orders taken beyond stock.
    pub available: i64,
    /// The platform's time of this count (only a newer count replaces a stored one).
    pub counted_at: Timestamp,
}

/// One sellable variant of the platform's catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub variant_id: String,
    pub product_id: Option<String>,
    /// The inventory item its stock is counted under (Shopify); else the variant.
    pub item_id: String,
    /// The platform's SKU, as given (mapped only if it is a valid Restock SKU).
    pub sku: Option<String>,
    /// The product's title, with the variant's own where it has one.
    pub name: String,
    pub price_cents: Option<u32>,
    /// Whether the platform sells it beyond stock (Shopify `continue`, WooCommerce
    /// `backorders` not `no`); `None`: it does not say.
    pub backorders: Option<bool>,
    /// Whether the platform counts its stock at all.
    pub tracked: bool,
    /// Its counts, when the payload carries them.
    pub levels: Vec<Level>,
    /// Its available count over every location, where the payload says (a product
    /// created from the catalog starts with it).
    pub total: Option<i64>,
}

/// One line of a platform order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub line_id: String,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub quantity: u32,
    /// The shopper asked for a backorder (the widget's `_restock` line property).
    pub asked: bool,
    /// What the line cost, in cents (for attribution).
    pub amount_cents: u32,
    /// The platform already fulfilled (shipped) it: whatever stock says now, it was
    /// sold from stock, never a backorder.
    pub fulfilled: bool,
}

/// A platform order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub order_id: String,
    /// The number people see (`#1001`).
    pub name: String,
    pub created_at: Timestamp,
    pub email: Option<String>,
    pub locale: Option<String>,
    /// The customer's platform groups (Shopify tags, a WooCommerce role, a BigCommerce
    /// customer group id), for the connection's group map.
    pub customer_groups: Vec<String>,
    /// The platform's customer id (WooCommerce and BigCommerce: to look its group up).
    pub customer_id: Option<String>,
    /// Cancelled (or refunded, failed): its places are freed.
    pub cancelled: bool,
    /// Not yet an order that takes stock (WooCommerce `pending`, BigCommerce
    /// `Incomplete`): nothing to do yet.
    pub pending: bool,
    pub lines: Vec<Line>,
}

/// Something a light webhook (BigCommerce) names, to fetch from the platform's API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// A variant's inventory (and its catalog facts).
    Variant { product_id: String, variant_id: String },
    /// Every variant of a product (a product-level inventory change).
    Product { product_id: String },
    /// An order and its lines.
    Order { order_id: String },
}

/// A webhook, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    Levels(Vec<Level>),
    Catalog(Vec<Variant>),
    Order(Order),
    Fetch(Fetch),
    /// Shopify `customers/redact`: erase these addresses.
    Redact {
        emails: Vec<String>,
    },
    /// Shopify `customers/data_request`: the merchant must answer; Restock records it.
    DataRequest {
        email: Option<String>,
        request_id: String,
    },
    /// Shopify `shop/redact`: erase what the connection brought.
    ShopRedact,
    /// WooCommerce's unsigned ping when a webhook is created.
    Ping,
    /// A topic Restock does not act on.
    Ignored(String),
}

/// A platform's answer to an API call, as `fetch` read it.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why an API call did not give us data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// Try again later (429, 5xx, a timeout, Shopify's THROTTLED): after this many
    /// seconds when the platform said.
    Later { error: String, after_secs: Option<u32> },
    /// Will not work as configured (401, 403, 404, an answer we cannot read).
    Broken(String),
}

impl CallError {
    pub fn message(&self) -> &str {
        match self {
            CallError::Later { error, .. } | CallError::Broken(error) => error,
        }
    }
}

/// Classifies a non-2xx answer: 429 and 5xx are for later (with `Retry-After` in
/// seconds, or BigCommerce's `X-Rate-Limit-Time-Reset-Ms`), anything else is broken.
pub fn classify(what: &str, reply: &Reply) -> CallError {
    let after =
        reply.header("retry-after").and_then(|v| v.trim().parse::<f64>().ok()).map(|s| s.ceil() as u32).or_else(|| {
            reply
                .header("x-rate-limit-time-reset-ms")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|ms| u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX))
        });
    let hint: String = reply.body.chars().take(200).collect();
    let error = format!("{what}: HTTP {} {hint}", reply.status);
    match reply.status {
        408 | 425 | 429 | 500..=599 => CallError::Later { error, after_secs: after },
        _ => CallError::Broken(error),
    }
}

/// Cents from a decimal money string (`"29.00"`, `"29.5"`, `"1,299.00"` is refused):
/// `None` for anything else.
pub fn cents(text: &str) -> Option<u32> {
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let frac2: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.get(..2)?.parse().ok()?,
    };
    u32::try_from(whole.checked_mul(100)?.checked_add(frac2)?).ok()
}

/// A JSON id (a number or a numeric string) as text; Shopify's ids pass 2^53, so
/// numbers are read as integers, never through a float.
pub fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_ids_are_read_exactly() {
        assert_eq!(cents("29.00"), Some(2900));
        assert_eq!(cents("29.5"), Some(2950));
        assert_eq!(cents("29.999"), Some(2999));
        assert_eq!(cents("7"), Some(700));
        for bad in ["", "-1.00", "1,299.00", "abc", ".5", "1.x"] {
            assert_eq!(cents(bad), None, "{bad}");
        }
        let big: serde_json::Value = serde_json::from_str("271878346596884015").expect("json");
        assert_eq!(id_text(&big).as_deref(), Some("271878346596884015"), "no float rounding");
        assert_eq!(id_text(&serde_json::json!("44001003")).as_deref(), Some("44001003"));
        assert_eq!(id_text(&serde_json::json!(-1)), None);
        assert_eq!(id_text(&serde_json::json!(1.5)), None);
        assert_eq!(id_text(&serde_json::json!("12a")), None);
    }

    fn reply(status: u16, headers: &[(&str, &str)]) -> Reply {
        Reply {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: String::new(),
        }
    }

    #[test]
    fn answers_are_classified_for_retry() {
        assert_eq!(
            classify("x", &reply(429, &[("Retry-After", "2.0")])),
            CallError::Later { error: "x: HTTP 429 ".into(), after_secs: Some(2) }
        );
        assert!(matches!(
            classify("x", &reply(429, &[("X-Rate-Limit-Time-Reset-Ms", "1500")])),
            CallError::Later { after_secs: Some(2), .. }
        ));
        assert!(matches!(classify("x", &reply(503, &[])), CallError::Later { after_secs: None, .. }));
        assert!(matches!(classify("x", &reply(401, &[])), CallError::Broken(_)));
        assert!(matches!(classify("x", &reply(404, &[])), CallError::Broken(_)));
    }
}
