//! Customer groups (B2B/B2C) at the edge: the shop's rules (`restock_shared::groups`)
//! applied to public reads and to orders, and the signed group token checked.
//!
//! The shop's own server signs the shopper's group with the shop's group key
//! (`POST /v1/admin/groups/key`, shown once): `token = "{group}.{expires}.{hex}"`, where
//! `hex` is the lowercase hex HMAC-SHA256 of `"{shop}.{group}.{expires}"` and
//! `expires` is Unix seconds at most 31 days ahead. The widget passes it on as the
//! `group` query parameter of availability reads and backorder POSTs. The Worker
//! checks expiry, then the signature in constant time against the shop's current key
//! and, during a rotation's grace period, the previous one. A token from another shop,
//! with another key, altered, or expired is refused (400, `field: "group"`).

pub mod api;
pub mod token;

use restock_shared::groups::{self as domain, Group, GroupRules, RuleRequest};
use restock_shared::wire::AvailabilityView;
use restock_shared::{OrderKind, Quantity, Sku};

use crate::error::ApiError;
use crate::shops::ShopRow;
use crate::shops::cache::PublicShop;

/// The shop's rules as stored (an unreadable value allows no orders; it is logged).
pub fn rules_of(row: &ShopRow) -> GroupRules {
    let parsed: Option<Vec<RuleRequest>> = serde_json::from_str(&row.group_rules).ok();
    let rules = GroupRules::from_stored(parsed);
    if rules.is_unreadable() {
        worker::console_error!(
            "shop {}: stored group_rules are unreadable; no orders until they are set again",
            row.id
        );
    }
    rules
}

/// The rules in a shop's public snapshot.
pub fn rules_of_public(shop: &PublicShop) -> GroupRules {
    if shop.group_rules_unreadable {
        GroupRules::from_stored(None)
    } else {
        GroupRules::from_stored(Some(shop.group_rules.clone()))
    }
}

/// Refuses an order the shopper's group may not place: 403 `group_not_allowed`, or
/// 422 `out_of_range` on `quantity` beyond the group's limit.
pub fn enforce(
    row: &ShopRow,
    group: Option<&Group>,
    sku: &Sku,
    kind: OrderKind,
    quantity: Quantity,
) -> Result<(), ApiError> {
    let allowed = rules_of(row).allowed(group, sku);
    domain::check(allowed, kind, quantity).map_err(|e| match e {
        domain::GroupRefusal::NotForGroup => ApiError::Forbidden {
            code: "group_not_allowed",
            detail: "your customer group cannot order this product before it is in stock",
        },
        domain::GroupRefusal::TooMany { .. } => ApiError::Invalid(restock_shared::InvalidInput::Range {
            field: "quantity",
            detail: "more than your customer group may order at once",
        }),
    })
}

/// Each view as a shopper of `group` sees it (nothing changes without rules).
pub fn restrict_views(shop: &PublicShop, group: Option<&Group>, views: &mut [AvailabilityView]) {
    let rules = rules_of_public(shop);
    if rules.is_empty() {
        return;
    }
    for v in views {
        let allowed = match Sku::parse(&v.sku) {
            Ok(sku) => rules.allowed(group, &sku),
            Err(_) => domain::Allowed::NONE,
        };
        domain::restrict(v, allowed);
    }
}
