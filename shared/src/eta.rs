//! Restock ETAs: when would an order of q units ship, given everyone queued ahead?
//!
//! Rule (never invent a date):
//! 1. Units already sellable cover the queue first.
//! 2. Otherwise the first purchase-order date at which cumulative incoming units cover
//!    everyone ahead plus q. Overdue purchase orders (expected before today, not yet
//!    received) count as *unknown*, not as "today": a late supplier is not a date.
//! 3. Otherwise, when the product has a lead time, the day the lead-time clock
//!    started (today for a new order, the order day for an existing one) plus the lead
//!    time, unless that day has already passed; and never before the last purchase
//!    order due, because everyone ahead is served from those first (so a later order
//!    never gets an earlier date than an earlier one).
//! 4. Otherwise no ETA, except that a preorder ships no earlier than its release day,
//!    which the merchant stated and we may show.
//!
//! The shop's handling days are added to whatever date comes out.

use crate::prelude::*;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::policy::IncomingPo;

/// Where an ETA came from, so the widget can word it ("expected" vs "estimated").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EtaBasis {
    /// Units already on hand cover it.
    OnHand,
    /// A purchase order with an expected date covers it.
    PurchaseOrder,
    /// Estimated from the product's supplier lead time.
    LeadTime,
    /// A preorder's release day (later than any supply date we know).
    Release,
}

/// The day an order would ship.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestockEta {
    pub date: Date,
    pub basis: EtaBasis,
}

/// What we know about one product's supply, as of `today`.
#[derive(Clone, Copy, Debug)]
pub struct Supply<'a> {
    pub sellable: u32,
    pub incoming: &'a [IncomingPo],
    pub lead_time_days: Option<u16>,
    /// A preorder's release day, while it is still ahead.
    pub release: Option<Date>,
    pub handling_days: u16,
    pub today: Date,
}

impl Supply<'_> {
    /// The ETA for `units` more units behind `ahead` units already queued, where the
    /// lead-time clock for this order started on `lead_from`.
    pub fn eta(&self, ahead: u32, units: u32, lead_from: Date) -> Option<RestockEta> {
        let need = (u64::from(ahead) + u64::from(units)).saturating_sub(u64::from(self.sellable));
        let supply = if need == 0 {
            Some(RestockEta { date: self.today, basis: EtaBasis::OnHand })
        } else {
            self.covering_po(need).map(|date| RestockEta { date, basis: EtaBasis::PurchaseOrder }).or_else(|| {
                let days = self.lead_time_days?;
                let lead = lead_from.add_days(u32::from(days));
                let last_po = self.due().map(|po| po.expected).max();
                let date = last_po.map_or(lead, |po| po.max(lead));
                (lead >= self.today).then_some(RestockEta { date, basis: EtaBasis::LeadTime })
            })
        };
        let shipped = match (supply, self.release) {
            (Some(eta), Some(release)) if release > eta.date => {
                Some(RestockEta { date: release, basis: EtaBasis::Release })
            }
            (None, Some(release)) => Some(RestockEta { date: release, basis: EtaBasis::Release }),
            (eta, _) => eta,
        };
        shipped.map(|eta| RestockEta { date: eta.date.add_days(u32::from(self.handling_days)), ..eta })
    }

    /// Purchase orders due today or later (overdue ones are unknown, not supply).
    fn due(&self) -> impl Iterator<Item = IncomingPo> + '_ {
        self.incoming.iter().copied().filter(|po| po.expected >= self.today && po.quantity > 0)
    }

    /// The earliest expected date by which purchase orders due today or later bring
    /// in at least `need` units.
    fn covering_po(&self, need: u64) -> Option<Date> {
        let mut due: Vec<IncomingPo> = self.due().collect();
        due.sort_by_key(|po| po.expected);
        let mut total = 0u64;
        due.into_iter().find_map(|po| {
            total += u64::from(po.quantity);
            (total >= need).then_some(po.expected)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: u32) -> Date {
        Date::from_ymd(2026, 12, 1).expect("valid").add_days(n)
    }

    fn po(quantity: u32, in_days: u32) -> IncomingPo {
        IncomingPo { quantity, expected: day(in_days) }
    }

    fn supply(incoming: &[IncomingPo]) -> Supply<'_> {
        Supply { sellable: 0, incoming, lead_time_days: None, release: None, handling_days: 0, today: day(0) }
    }

    fn check(s: Supply<'_>, ahead: u32, units: u32, expected: Option<(u32, EtaBasis)>) {
        let got = s.eta(ahead, units, s.today);
        let want = expected.map(|(d, basis)| RestockEta { date: day(d), basis });
        assert_eq!(got, want, "ahead {ahead}, units {units}");
    }

    #[test]
    fn first_po_that_covers_the_queue_and_the_order() {
        let pos = [po(5, 10), po(5, 20), po(10, 30)];
        check(supply(&pos), 0, 1, Some((10, EtaBasis::PurchaseOrder)));
        check(supply(&pos), 4, 1, Some((10, EtaBasis::PurchaseOrder)));
        check(supply(&pos), 5, 1, Some((20, EtaBasis::PurchaseOrder)));
        check(supply(&pos), 9, 2, Some((30, EtaBasis::PurchaseOrder)));
        check(supply(&pos), 19, 1, Some((30, EtaBasis::PurchaseOrder)));
        check(supply(&pos), 20, 1, None);
    }

    #[test]
    fn purchase_orders_count_in_date_order_whatever_order_they_come_in() {
        let pos = [po(10, 30), po(2, 5)];
        check(supply(&pos), 0, 2, Some((5, EtaBasis::PurchaseOrder)));
        check(supply(&pos), 0, 3, Some((30, EtaBasis::PurchaseOrder)));
    }

    #[test]
    fn overdue_purchase_orders_are_unknown_not_today() {
        let pos = [IncomingPo { quantity: 50, expected: Date::from_days(day(0).days_since_epoch() - 3) }];
        check(supply(&pos), 0, 1, None);
        check(Supply { lead_time_days: Some(14), ..supply(&pos) }, 0, 1, Some((14, EtaBasis::LeadTime)));
    }

    #[test]
    fn lead_time_when_purchase_orders_fall_short() {
        let pos = [po(1, 3)];
        let s = Supply { lead_time_days: Some(21), ..supply(&pos) };
        check(s, 0, 1, Some((3, EtaBasis::PurchaseOrder)));
        check(s, 1, 1, Some((21, EtaBasis::LeadTime)));
    }

    #[test]
    fn lead_time_runs_from_the_order_day_and_expires() {
        let s = Supply { lead_time_days: Some(10), today: day(12), ..supply(&[]) };
        assert_eq!(s.eta(0, 1, day(5)), Some(RestockEta { date: day(15), basis: EtaBasis::LeadTime }));
        assert_eq!(s.eta(0, 1, day(2)), Some(RestockEta { date: day(12), basis: EtaBasis::LeadTime }));
        assert_eq!(s.eta(0, 1, day(1)), None, "lead time over and nothing on order: unknown");
    }

    #[test]
    fn lead_time_never_jumps_ahead_of_a_purchase_order_it_waits_behind() {
        // 3 units due on day 27, lead time 20: the second order (4 units needed) cannot
        // ship before the first, which waits for the PO.
        let pos = [po(3, 27)];
        let s = Supply { lead_time_days: Some(20), ..supply(&pos) };
        check(s, 0, 2, Some((27, EtaBasis::PurchaseOrder)));
        check(s, 2, 2, Some((27, EtaBasis::LeadTime)));
        let early = [po(3, 5)];
        check(Supply { lead_time_days: Some(20), ..supply(&early) }, 2, 2, Some((20, EtaBasis::LeadTime)));
    }

    #[test]
    fn no_data_no_date() {
        check(supply(&[]), 0, 1, None);
    }

    #[test]
    fn sellable_units_cover_the_front_of_the_queue() {
        let pos = [po(10, 8)];
        let s = Supply { sellable: 3, ..supply(&pos) };
        check(s, 1, 2, Some((0, EtaBasis::OnHand)));
        check(s, 2, 2, Some((8, EtaBasis::PurchaseOrder)));
    }

    #[test]
    fn preorders_ship_no_earlier_than_release() {
        let pos = [po(10, 5)];
        let s = Supply { release: Some(day(9)), ..supply(&pos) };
        check(s, 0, 1, Some((9, EtaBasis::Release)));
        check(Supply { release: Some(day(3)), ..supply(&pos) }, 0, 1, Some((5, EtaBasis::PurchaseOrder)));
        check(Supply { release: Some(day(9)), ..supply(&[]) }, 0, 1, Some((9, EtaBasis::Release)));
    }

    #[test]
    fn handling_days_are_added_last() {
        let pos = [po(1, 4)];
        let s = Supply { handling_days: 2, release: Some(day(9)), ..supply(&pos) };
        check(s, 0, 1, Some((11, EtaBasis::Release)));
        check(Supply { handling_days: 2, ..supply(&pos) }, 0, 1, Some((6, EtaBasis::PurchaseOrder)));
    }

    fn pos_strategy() -> impl Strategy<Value = Vec<IncomingPo>> {
        proptest::collection::vec((0u32..40, 0u32..60), 0..8)
            .prop_map(|v| v.into_iter().map(|(q, d)| IncomingPo { quantity: q, expected: day(d) }).collect())
    }

    proptest! {
        /// An ETA based on purchase orders is never earlier than the orders allow: by
        /// that date (less handling) enough units are due, counting only those not late.
        #[test]
        fn eta_is_never_earlier_than_purchase_orders_allow(
            incoming in pos_strategy(), ahead in 0u32..100, units in 1u32..20,
            sellable in 0u32..10, today in 0u32..30, handling in 0u16..5,
            lead in proptest::option::of(0u16..30),
        ) {
            let s = Supply { sellable, incoming: &incoming, lead_time_days: lead, release: None, handling_days: handling, today: day(today) };
            if let Some(eta) = s.eta(ahead, units, s.today) {
                let ship_day = Date::from_days(eta.date.days_since_epoch() - i32::from(handling));
                prop_assert!(ship_day >= s.today);
                let need = u64::from(ahead) + u64::from(units);
                let due_by: u64 = incoming.iter()
                    .filter(|po| po.expected >= s.today && po.expected <= ship_day)
                    .map(|po| u64::from(po.quantity)).sum();
                match eta.basis {
                    EtaBasis::OnHand => prop_assert!(u64::from(sellable) >= need),
                    EtaBasis::PurchaseOrder => {
                        prop_assert!(due_by + u64::from(sellable) >= need);
                        // and not a day later than needed: the day before was short
                        let before: u64 = incoming.iter()
                            .filter(|po| po.expected >= s.today && po.expected < ship_day)
                            .map(|po| u64::from(po.quantity)).sum();
                        prop_assert!(before + u64::from(sellable) < need);
                    }
                    EtaBasis::LeadTime => {
                        let lead_day = lead.map(|l| s.today.add_days(u32::from(l)));
                        let last_po = incoming.iter().filter(|po| po.expected >= s.today && po.quantity > 0).map(|po| po.expected).max();
                        prop_assert_eq!(Some(ship_day), lead_day.max(last_po));
                        // Purchase orders alone do not cover it.
                        let all_due: u64 = incoming.iter().filter(|po| po.expected >= s.today).map(|po| u64::from(po.quantity)).sum();
                        prop_assert!(all_due + u64::from(sellable) < need);
                    }
                    EtaBasis::Release => prop_assert!(false, "no release given"),
                }
            } else {
                // No date: nothing covers it and there is no lead time.
                prop_assert!(lead.is_none());
            }
        }

        /// Ordering more, or behind more people, never ships sooner.
        #[test]
        fn eta_is_monotonic_in_queue_position(
            incoming in pos_strategy(), ahead in 0u32..100, extra in 0u32..20,
            lead in proptest::option::of(0u16..60),
        ) {
            let s = Supply { lead_time_days: lead, ..supply(&incoming) };
            let a = s.eta(ahead, 1, s.today).map(|e| e.date);
            let b = s.eta(ahead + extra, 1, s.today).map(|e| e.date);
            if let Some(b) = b {
                prop_assert!(a.is_some_and(|a| a <= b));
            }
        }
    }
}
