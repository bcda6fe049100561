//! Connections to the shop's platform (issue 17): Shopify, WooCommerce and BigCommerce
//! are the source of stock, catalog and orders.
//!
//! Each platform has one file of pure functions, unit-tested natively against payloads
//! shaped as the platform documents them: how its webhooks are signed (`verify`), what
//! its payloads say (read into the common [`model`] values: stock levels, catalog
//! variants, orders, privacy requests), and the requests and answers of its Admin API
//! for the reconciliation. Everything after that is shared:
//! - [`apply`] carries the common values out: the catalog mapping (platform variant to
//!   Restock SKU, creating products the first time), stock (every change of a SKU's
//!   platform count is a stock plan through `stock::commit`, see
//!   `restock_shared::platform::on_hand_target`), orders (a line on backorder joins the
//!   FIFO queue through the one guarded INSERT of `backorders::place`, idempotent by the
//!   platform's order and line id; a cancellation frees the place), attribution, and
//!   erasure for Shopify's compliance webhooks;
//! - [`hooks`] is `POST /v1/hooks/{platform}/{shop}`: raw body, the platform's own
//!   signature (401 otherwise), deduplication by the platform's webhook or event id
//!   (`hook_events`), then `apply`;
//! - [`sync`] is the scheduled reconciliation: a page of the platform's catalog at a
//!   time, bounded per invocation by [`budget`] (measured costs against the
//!   invocation's `SUBREQUEST_LIMIT`, 50 to 1,000) and the subrequest `Meter`,
//!   resuming from its cursor; it records the drift it corrected;
//! - [`api`] is the merchant's `/v1/admin/connections...` (secrets write-only), and
//!   [`import`] the generic CSV/JSON import with `?preview=1`;
//! - [`mount`] resolves platform variant ids for the widget's batch read;
//! - [`fetch`] is the one outbound HTTP call (timeout, `Retry-After`), [`store`] the
//!   D1 rows.

pub mod api;
pub mod apply;
pub mod bigcommerce;
pub mod budget;
pub mod fetch;
pub mod hooks;
pub mod import;
pub mod model;
pub mod mount;
pub mod shopify;
pub mod store;
pub mod sync;
pub mod woocommerce;

use serde::{Deserialize, Serialize};

/// A platform Restock connects to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
    WooCommerce,
    BigCommerce,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Shopify, Platform::WooCommerce, Platform::BigCommerce];

    pub fn name(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::BigCommerce => "bigcommerce",
        }
    }

    pub fn parse(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The first characters of a secret, for showing which one is stored (never more).
pub fn prefix(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}…")
}
