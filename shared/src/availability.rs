//! What a shopper sees for one SKU, and whether a new backorder/preorder may be placed.
//!
//! `availability` is the single source of the shopper-facing status: the Worker calls it
//! to answer the API, and the widget renders what it returned. `check_order` applies the
//! same rules to a request for q units. (The Worker also enforces the cap inside the
//! D1 write, because two requests can pass this check at the same moment.)

use crate::date::Date;
use crate::eta::{RestockEta, Supply};
use crate::input::Quantity;
use crate::policy::{IncomingPo, Policy, ProductSettings, ShopRules, Stock};

/// The shopper-facing state of a SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    InStock,
    /// Sellable units at or below the product's low-stock threshold.
    LowStock {
        left: u32,
    },
    OutOfStock,
    /// Orderable now, ships when stock lands; `left` places (units) before the cap.
    Backorder {
        left: Option<u32>,
    },
    /// Orderable before `release`; `left` places (units) before the cap.
    Preorder {
        release: Date,
        left: Option<u32>,
    },
    /// Sold out and no more coming.
    Discontinued,
}

/// Everything the storefront needs to know about a SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Availability {
    pub status: Status,
    pub waitlist_open: bool,
    /// When one more unit would ship; only while nothing is sellable.
    pub eta: Option<RestockEta>,
}

/// The facts `availability` needs about one product.
#[derive(Clone, Copy, Debug)]
pub struct ProductState<'a> {
    pub settings: &'a ProductSettings,
    pub stock: Stock,
    /// Units still owed to open backorders/preorders.
    pub queued: u32,
    pub incoming: &'a [IncomingPo],
}

impl<'a> ProductState<'a> {
    /// The supply view used for ETAs: a preorder's release only matters while ahead.
    pub fn supply(&self, rules: &ShopRules, today: Date) -> Supply<'a> {
        let release = match self.settings.policy {
            Policy::Preorder { release, .. } if release > today => Some(release),
            _ => None,
        };
        Supply {
            sellable: self.stock.sellable(),
            incoming: self.incoming,
            lead_time_days: self.settings.lead_time_days,
            release,
            handling_days: rules.handling_days,
            today,
        }
    }

    fn places_left(&self, cap: Option<u32>) -> Option<u32> {
        cap.map(|cap| cap.saturating_sub(self.queued))
    }
}

/// The shopper-facing availability of a product today.
pub fn availability(p: &ProductState<'_>, rules: &ShopRules, today: Date) -> Availability {
    let s = p.settings;
    let sellable = p.stock.sellable();
    let supply = p.supply(rules, today);
    let eta = || supply.eta(p.queued, 1, today);

    if s.discontinued && sellable == 0 {
        return Availability { status: Status::Discontinued, waitlist_open: false, eta: None };
    }
    let status = match s.policy {
        Policy::Preorder { release, cap } if release > today && !s.discontinued => match p.places_left(cap) {
            Some(0) => Status::OutOfStock,
            left => Status::Preorder { release, left },
        },
        // Units owed to the queue are not for sale (units on hand are owed only
        // between a preorder's release day and the step that allocates them).
        _ if sellable > p.queued => {
            let sellable = sellable - p.queued;
            let status =
                if sellable <= s.low_stock_threshold { Status::LowStock { left: sellable } } else { Status::InStock };
            return Availability { status, waitlist_open: false, eta: None };
        }
        Policy::Backorder { cap } | Policy::Preorder { cap, .. } if !s.discontinued => match p.places_left(cap) {
            Some(0) => Status::OutOfStock,
            left => Status::Backorder { left },
        },
        _ => Status::OutOfStock,
    };
    Availability { status, waitlist_open: s.waitlist && !s.discontinued, eta: eta() }
}

/// Backorder (ships when stock lands) or preorder (ships on/after release).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    Backorder,
    Preorder,
}

impl OrderKind {
    pub fn name(self) -> &'static str {
        match self {
            OrderKind::Backorder => "backorder",
            OrderKind::Preorder => "preorder",
        }
    }
}

/// A request for q units that the rules accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderPlan {
    pub kind: OrderKind,
    /// The promised ship date (none when there is no data for one).
    pub eta: Option<RestockEta>,
    /// The cap the write must enforce atomically (`None`: unlimited).
    pub cap: Option<u32>,
}

/// Why a backorder/preorder request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("this product is in stock: buy it in the shop")]
    InStock,
    #[error("this product does not take backorders or preorders")]
    NotOffered,
    #[error("only {left} units can still be ordered")]
    CapReached { left: u32 },
}

impl OrderError {
    pub fn code(self) -> &'static str {
        match self {
            OrderError::InStock => "in_stock",
            OrderError::NotOffered => "not_orderable",
            OrderError::CapReached { .. } => "cap_reached",
        }
    }
}

/// Whether q more units may be backordered/preordered now, and on what terms.
pub fn check_order(
    p: &ProductState<'_>,
    rules: &ShopRules,
    today: Date,
    quantity: Quantity,
) -> Result<OrderPlan, OrderError> {
    let a = availability(p, rules, today);
    let (kind, left) = match a.status {
        Status::Backorder { left } => (OrderKind::Backorder, left),
        Status::Preorder { left, .. } => (OrderKind::Preorder, left),
        Status::InStock | Status::LowStock { .. } => return Err(OrderError::InStock),
        // Out of stock under an ordering policy means the cap is used up.
        Status::OutOfStock if p.settings.policy != Policy::Deny => {
            return Err(OrderError::CapReached { left: 0 });
        }
        Status::OutOfStock | Status::Discontinued => return Err(OrderError::NotOffered),
    };
    if let Some(left) = left.filter(|&left| left < quantity.get()) {
        return Err(OrderError::CapReached { left });
    }
    let eta = p.supply(rules, today).eta(p.queued, quantity.get(), today);
    Ok(OrderPlan { kind, eta, cap: p.settings.policy.cap() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eta::EtaBasis;

    fn today() -> Date {
        Date::from_ymd(2026, 11, 23).expect("valid")
    }

    fn settings(policy: Policy) -> ProductSettings {
        ProductSettings { policy, low_stock_threshold: 3, discontinued: false, lead_time_days: None, waitlist: true }
    }

    fn state<'a>(
        settings: &'a ProductSettings,
        on_hand: u32,
        queued: u32,
        incoming: &'a [IncomingPo],
    ) -> ProductState<'a> {
        ProductState { settings, stock: Stock { on_hand, held: 0 }, queued, incoming }
    }

    fn status(settings: ProductSettings, on_hand: u32, queued: u32) -> Status {
        availability(&state(&settings, on_hand, queued, &[]), &ShopRules::default(), today()).status
    }

    #[test]
    fn stock_levels() {
        let deny = settings(Policy::Deny);
        assert_eq!(status(deny, 10, 0), Status::InStock);
        assert_eq!(status(deny, 4, 0), Status::InStock);
        assert_eq!(status(deny, 3, 0), Status::LowStock { left: 3 });
        assert_eq!(status(deny, 1, 0), Status::LowStock { left: 1 });
        assert_eq!(status(deny, 0, 0), Status::OutOfStock);
        assert_eq!(status(ProductSettings { low_stock_threshold: 0, ..deny }, 1, 0), Status::InStock);
    }

    #[test]
    fn holds_make_units_unsellable() {
        let deny = settings(Policy::Deny);
        let p = ProductState { settings: &deny, stock: Stock { on_hand: 2, held: 2 }, queued: 0, incoming: &[] };
        assert_eq!(availability(&p, &ShopRules::default(), today()).status, Status::OutOfStock);
    }

    #[test]
    fn backorders_count_places_left_under_the_cap() {
        let capped = settings(Policy::Backorder { cap: Some(5) });
        assert_eq!(status(capped, 0, 0), Status::Backorder { left: Some(5) });
        assert_eq!(status(capped, 0, 4), Status::Backorder { left: Some(1) });
        assert_eq!(status(capped, 0, 5), Status::OutOfStock);
        assert_eq!(status(capped, 0, 9), Status::OutOfStock);
        assert_eq!(status(capped, 2, 0), Status::LowStock { left: 2 });
        assert_eq!(status(settings(Policy::Backorder { cap: None }), 0, 1000), Status::Backorder { left: None });
    }

    #[test]
    fn preorders_until_release_then_backorders() {
        let release = today().add_days(10);
        let pre = settings(Policy::Preorder { release, cap: Some(3) });
        assert_eq!(status(pre, 0, 1), Status::Preorder { release, left: Some(2) });
        assert_eq!(status(pre, 50, 0), Status::Preorder { release, left: Some(3) }, "stock before release is not sold");
        assert_eq!(status(pre, 0, 3), Status::OutOfStock);
        let released = settings(Policy::Preorder { release: today(), cap: Some(3) });
        assert_eq!(status(released, 0, 1), Status::Backorder { left: Some(2) });
        assert_eq!(status(released, 8, 0), Status::InStock);
    }

    #[test]
    fn discontinued_sells_what_is_left_then_closes() {
        let gone = ProductSettings { discontinued: true, ..settings(Policy::Backorder { cap: None }) };
        assert_eq!(status(gone, 2, 0), Status::LowStock { left: 2 });
        let p = state(&gone, 0, 0, &[]);
        let a = availability(&p, &ShopRules::default(), today());
        assert_eq!(a, Availability { status: Status::Discontinued, waitlist_open: false, eta: None });
    }

    #[test]
    fn waitlist_opens_only_when_nothing_is_sellable() {
        let deny = settings(Policy::Deny);
        let rules = ShopRules::default();
        assert!(!availability(&state(&deny, 5, 0, &[]), &rules, today()).waitlist_open);
        assert!(availability(&state(&deny, 0, 0, &[]), &rules, today()).waitlist_open);
        let closed = ProductSettings { waitlist: false, ..deny };
        assert!(!availability(&state(&closed, 0, 0, &[]), &rules, today()).waitlist_open);
    }

    #[test]
    fn eta_is_for_one_more_unit_behind_the_queue() {
        let s = ProductSettings { lead_time_days: Some(30), ..settings(Policy::Backorder { cap: None }) };
        let incoming = [IncomingPo { quantity: 4, expected: today().add_days(7) }];
        let rules = ShopRules { handling_days: 1 };
        let a = availability(&state(&s, 0, 3, &incoming), &rules, today());
        assert_eq!(a.eta, Some(RestockEta { date: today().add_days(8), basis: EtaBasis::PurchaseOrder }));
        let a = availability(&state(&s, 0, 4, &incoming), &rules, today());
        assert_eq!(a.eta, Some(RestockEta { date: today().add_days(31), basis: EtaBasis::LeadTime }));
        let a = availability(&state(&s, 9, 0, &incoming), &rules, today());
        assert_eq!(a.eta, None, "in stock: no restock date to show");
    }

    fn check(s: ProductSettings, on_hand: u32, queued: u32, q: i64, expected: Result<OrderKind, OrderError>) {
        let quantity = Quantity::new(q).expect("test quantities are valid");
        let got = check_order(&state(&s, on_hand, queued, &[]), &ShopRules::default(), today(), quantity);
        assert_eq!(got.map(|plan| plan.kind), expected);
    }

    #[test]
    fn orders_are_checked_against_policy_stock_and_cap() {
        let capped = settings(Policy::Backorder { cap: Some(5) });
        check(capped, 0, 0, 5, Ok(OrderKind::Backorder));
        check(capped, 0, 3, 2, Ok(OrderKind::Backorder));
        check(capped, 0, 3, 3, Err(OrderError::CapReached { left: 2 }));
        check(capped, 0, 5, 1, Err(OrderError::CapReached { left: 0 }));
        check(capped, 1, 0, 1, Err(OrderError::InStock));
        check(settings(Policy::Deny), 0, 0, 1, Err(OrderError::NotOffered));
        let gone = ProductSettings { discontinued: true, ..capped };
        check(gone, 0, 0, 1, Err(OrderError::NotOffered));
        let release = today().add_days(3);
        check(settings(Policy::Preorder { release, cap: None }), 0, 40, 999, Ok(OrderKind::Preorder));
    }

    #[test]
    fn an_accepted_order_carries_its_promise_and_cap() {
        let s = settings(Policy::Backorder { cap: Some(10) });
        let incoming = [IncomingPo { quantity: 6, expected: today().add_days(5) }];
        let q = Quantity::new(2).expect("valid");
        let plan = check_order(&state(&s, 0, 4, &incoming), &ShopRules::default(), today(), q).expect("accepted");
        assert_eq!(plan.cap, Some(10));
        assert_eq!(plan.eta.map(|e| e.date), Some(today().add_days(5)));
        let plan = check_order(&state(&s, 0, 5, &incoming), &ShopRules::default(), today(), q).expect("accepted");
        assert_eq!(plan.eta, None, "the PO does not cover it and there is no lead time");
    }
}
