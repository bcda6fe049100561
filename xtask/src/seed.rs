//! The demo shop: products in every state the widget can show, purchase orders, a
//! backorder queue and waitlists with a few weeks of history for the dashboard's
//! charts. Generated as SQL relative to today, with promised dates computed by the
//! domain crate (so the seed never disagrees with the rules).

use restock_shared::{Date, IncomingPo, Policy, ProductSettings, QueuedOrder, ShopRules, Stock, Supply, Timestamp};
use sha2::{Digest, Sha256};

/// One demo product.
struct Product {
    sku: &'static str,
    name: &'static str,
    price_cents: u32,
    policy: Policy,
    on_hand: u32,
    threshold: u32,
    lead_time: Option<u16>,
    discontinued: bool,
    supplier: &'static str,
    /// (units, days from today)
    pos: &'static [(u32, u32)],
    /// Backorder quantities, oldest first, placed over the last weeks.
    backorders: &'static [u32],
    waitlist: u32,
}

const DAY_MS: i64 = 86_400_000;

fn products(today: Date) -> Vec<Product> {
    vec![
        Product {
            sku: "TEE-ORG-M",
            name: "Organic cotton tee — M",
            price_cents: 2900,
            policy: Policy::Deny,
            on_hand: 42,
            threshold: 5,
            lead_time: Some(21),
            discontinued: false,
            supplier: "Fairweave Mills",
            pos: &[],
            backorders: &[],
            waitlist: 0,
        },
        Product {
            sku: "TEE-ORG-L",
            name: "Organic cotton tee — L",
            price_cents: 2900,
            policy: Policy::Deny,
            on_hand: 3,
            threshold: 5,
            lead_time: Some(21),
            discontinued: false,
            supplier: "Fairweave Mills",
            pos: &[],
            backorders: &[],
            waitlist: 0,
        },
        Product {
            sku: "TEE-ORG-XL",
            name: "Organic cotton tee — XL",
            price_cents: 2900,
            policy: Policy::Deny,
            on_hand: 0,
            threshold: 5,
            lead_time: Some(21),
            discontinued: false,
            supplier: "Fairweave Mills",
            pos: &[(24, 9)],
            backorders: &[],
            waitlist: 14,
        },
        Product {
            sku: "JACKET-RAIN-M",
            name: "Packable rain jacket — M",
            price_cents: 12_900,
            policy: Policy::Backorder { cap: Some(25) },
            on_hand: 0,
            threshold: 3,
            lead_time: Some(30),
            discontinued: false,
            supplier: "Northline Outerwear",
            pos: &[(8, 12), (20, 40)],
            backorders: &[1, 2, 1, 1, 3, 1, 1],
            waitlist: 6,
        },
        Product {
            sku: "LAMP-ORBIT",
            name: "Orbit desk lamp",
            price_cents: 8900,
            policy: Policy::Preorder { release: today.add_days(30), cap: Some(40) },
            on_hand: 0,
            threshold: 0,
            lead_time: None,
            discontinued: false,
            supplier: "Lumen & Co",
            pos: &[(60, 26)],
            backorders: &[1, 1, 2, 1, 1],
            waitlist: 3,
        },
        Product {
            sku: "BOOT-TRAIL-42",
            name: "Trail boot — EU 42",
            price_cents: 15_900,
            policy: Policy::Backorder { cap: Some(4) },
            on_hand: 0,
            threshold: 2,
            lead_time: Some(45),
            discontinued: false,
            supplier: "Northline Outerwear",
            pos: &[],
            backorders: &[2, 1, 1],
            waitlist: 9,
        },
        Product {
            sku: "MUG-STONE",
            name: "Stoneware mug",
            price_cents: 1800,
            policy: Policy::Deny,
            on_hand: 0,
            threshold: 4,
            lead_time: None,
            discontinued: false,
            supplier: "Kiln Street",
            pos: &[],
            backorders: &[],
            waitlist: 22,
        },
        Product {
            sku: "KETTLE-CLASSIC",
            name: "Classic stovetop kettle",
            price_cents: 5400,
            policy: Policy::Deny,
            on_hand: 0,
            threshold: 0,
            lead_time: None,
            discontinued: true,
            supplier: "Kiln Street",
            pos: &[],
            backorders: &[],
            waitlist: 0,
        },
    ]
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("NULL".to_owned(), |v| v.to_string())
}

/// SHA-256 hex of a secret key, as the Worker stores it.
pub fn key_hash(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// The seed SQL for the demo shop, as of `now`.
pub fn demo_sql(now: Timestamp, demo_key: &str, origins: &[String]) -> String {
    let today = now.date();
    let rules = ShopRules { handling_days: 1 };
    let ms = now.millis();
    let mut sql = String::from("-- Demo shop, generated by `cargo xtask` (seed.rs).\n");
    let origins_json = serde_json::to_string(origins).unwrap_or_else(|_| "[]".into());
    sql.push_str(&format!(
        "INSERT INTO shops (id, name, key_hash, key_prefix, allowed_origins, double_opt_in, release_ratio_permille, \
         release_interval_minutes, hold_hours, handling_days, sender_name, reply_to, consent_text, discount_code, \
         backorder_mode, currency, shop_url, brand_color, created_at, base_url, notify_email) VALUES ('demo', 'Northwind Outfitters', {}, {}, {}, 1, 1000, 60, NULL, {}, \
         'Northwind Outfitters', 'help@northwind.example', {}, 'WELCOMEBACK10', 'api', 'EUR', {}, '#1f5f4a', {}, {}, 'buyer@northwind.example');\n",
        q(&key_hash(demo_key)),
        q(&demo_key[..10.min(demo_key.len())]),
        q(&origins_json),
        rules.handling_days,
        q("Email me once when this is back in stock. Northwind Outfitters stores my address only for this and deletes it after."),
        q(origins.first().map(String::as_str).unwrap_or("http://127.0.0.1:8787")),
        ms - 30 * DAY_MS,
        q(origins.first().map(String::as_str).unwrap_or("http://127.0.0.1:8787")),
    ));
    let mut order_no = 0u32;
    let mut signup_no = 0u32;
    for p in products(today) {
        let (policy, cap, release) = match p.policy {
            Policy::Deny => ("deny", None, None),
            Policy::Backorder { cap } => ("backorder", cap, None),
            Policy::Preorder { release, cap } => ("preorder", cap, Some(release)),
        };
        sql.push_str(&format!(
            "INSERT INTO products (shop_id, sku, name, url, price_cents, policy, cap, release_date, low_stock_threshold, \
             discontinued, lead_time_days, waitlist, supplier, on_hand, rev, created_at, updated_at) VALUES \
             ('demo', {}, {}, {}, {}, '{policy}', {}, {}, {}, {}, {}, 1, {}, {}, 'seed', {}, {});\n",
            q(p.sku),
            q(p.name),
            q(&format!("/product.html?sku={}", p.sku)),
            p.price_cents,
            opt(cap),
            release.map_or("NULL".to_owned(), |d| q(&d.to_iso())),
            p.threshold,
            i32::from(p.discontinued),
            opt(p.lead_time),
            q(p.supplier),
            p.on_hand,
            ms - 30 * DAY_MS,
            ms - DAY_MS,
        ));
        let incoming: Vec<IncomingPo> =
            p.pos.iter().map(|&(quantity, days)| IncomingPo { quantity, expected: today.add_days(days) }).collect();
        for (i, po) in incoming.iter().enumerate() {
            sql.push_str(&format!(
                "INSERT INTO purchase_orders (id, shop_id, sku, quantity, expected_date, supplier, reference, status, created_at, updated_at) \
                 VALUES ('po_demo_{}_{i}', 'demo', {}, {}, {}, {}, {}, 'open', {}, {});\n",
                p.sku.to_ascii_lowercase().replace('-', "_"),
                q(p.sku),
                po.quantity,
                q(&po.expected.to_iso()),
                q(p.supplier),
                q(&format!("PO-{}-{}", 2400 + i, &p.sku[..3])),
                ms - 5 * DAY_MS,
                ms - 5 * DAY_MS,
            ));
        }
        // Promised dates as the domain computed them when each order was placed.
        let settings = ProductSettings {
            policy: p.policy,
            low_stock_threshold: p.threshold,
            discontinued: p.discontinued,
            lead_time_days: p.lead_time,
            waitlist: true,
        };
        let release = match p.policy {
            Policy::Preorder { release, .. } => Some(release),
            _ => None,
        };
        let supply = Supply {
            sellable: Stock { on_hand: p.on_hand, held: 0 }.sellable(),
            incoming: &incoming,
            lead_time_days: settings.lead_time_days,
            release,
            handling_days: rules.handling_days,
            today,
        };
        let count = p.backorders.len() as u32;
        let mut ahead = 0u32;
        for (i, &quantity) in p.backorders.iter().enumerate() {
            order_no += 1;
            let days_ago = 2 + (count - i as u32) * 2;
            let placed = Timestamp::from_millis(ms - i64::from(days_ago) * DAY_MS);
            let promise = supply.eta(ahead, quantity, placed.date()).map(|e| e.date);
            ahead += quantity;
            let order =
                QueuedOrder { id: order_no, quantity, allocated: 0, placed_on: placed.date(), promised: promise };
            let kind = if release.is_some() { "preorder" } else { "backorder" };
            let promise_sql = promise.map_or("NULL".to_owned(), |d| q(&d.to_iso()));
            sql.push_str(&format!(
                "INSERT INTO backorders (id, shop_id, sku, kind, email, locale, quantity, allocated, status, placed_on, \
                 promised_date, current_promise, projected_date, unit_price_cents, created_at, updated_at) VALUES \
                 ('bo_demo{:04}', 'demo', {}, '{kind}', {}, 'en', {}, 0, 'open', {}, {promise_sql}, {promise_sql}, {promise_sql}, {}, {}, {});\n",
                order.id,
                q(p.sku),
                q(&format!("shopper{:02}@example.com", order.id)),
                order.quantity,
                q(&order.placed_on.to_iso()),
                p.price_cents,
                placed.millis(),
                placed.millis(),
            ));
        }
        for i in 0..p.waitlist {
            signup_no += 1;
            // Oldest first, spread over three weeks (signup order = seq order = time order).
            let at = ms - i64::from(p.waitlist - i) * 21 * DAY_MS / i64::from(p.waitlist) - 3_600_000;
            let locale = ["en", "de", "fr", "es", "ja"][(signup_no % 5) as usize];
            sql.push_str(&format!(
                "INSERT INTO waitlist (id, shop_id, sku, email, locale, consent_text, consent_at, status, confirmed_at, created_at, updated_at) \
                 VALUES ('wl_demo{signup_no:04}', 'demo', {}, {}, '{locale}', 'Email me once when this is back in stock.', {at}, 'active', {at}, {at}, {at});\n",
                q(p.sku),
                q(&format!("waiting{signup_no:03}@example.com")),
            ));
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_covers_every_widget_state_and_quotes_text() {
        let now = Timestamp::from_millis(1_795_000_000_000);
        let sql = demo_sql(now, "sk_test_key_0123456789", &["http://127.0.0.1:8787".into()]);
        for policy in ["'deny'", "'backorder'", "'preorder'"] {
            assert!(sql.contains(policy), "{policy}");
        }
        assert!(sql.contains("'Northwind Outfitters'"));
        assert!(sql.contains(&key_hash("sk_test_key_0123456789")));
        assert!(!sql.contains("sk_test_key_0123456789'"), "the key itself is never stored");
        // Statements are one per line and each is terminated.
        assert!(sql.lines().skip(1).all(|l| l.ends_with(");")));
    }
}
