//! Delay detection: after any change to stock, the queue or purchase orders, project
//! each open order's ship date again and flag those now later than promised (the FTC
//! mail-order rule: tell the shopper, give a new date or say it is unknown, and offer a
//! one-click cancel).

use crate::eta::{RestockEta, Supply};
use crate::policy::QueuedOrder;
use crate::prelude::*;

/// One open order's projected ship date after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection<Id> {
    pub id: Id,
    /// 1-based place in the queue.
    pub position: u32,
    pub eta: Option<RestockEta>,
    /// Later than promised, or no longer any date although one was promised.
    pub delayed: bool,
}

/// Projects every open order in `queue` (oldest first) against `supply`.
///
/// Each order's own lead-time clock starts on the day it was placed, so a shop that
/// has a lead time but no purchase order yet does not "slip" merely because a day
/// passed; it slips once the lead time itself runs out.
pub fn project<Id: Clone>(queue: &[QueuedOrder<Id>], supply: &Supply<'_>) -> Vec<Projection<Id>> {
    let mut ahead = 0u32;
    let mut out = Vec::with_capacity(queue.len());
    for (index, order) in queue.iter().filter(|o| o.outstanding() > 0).enumerate() {
        let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let eta = supply.eta(ahead, order.outstanding(), order.placed_on);
        let delayed = match (order.promised, eta) {
            (Some(promised), Some(eta)) => eta.date > promised,
            (Some(_), None) => true,
            (None, _) => false,
        };
        out.push(Projection { id: order.id.clone(), position, eta, delayed });
        ahead = ahead.saturating_add(order.outstanding());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::eta::EtaBasis;
    use crate::policy::IncomingPo;
    use proptest::prelude::*;

    fn day(n: u32) -> Date {
        Date::from_ymd(2026, 12, 1).expect("valid").add_days(n)
    }

    fn order(id: u32, quantity: u32, promised: Option<u32>) -> QueuedOrder<u32> {
        QueuedOrder { id, quantity, allocated: 0, placed_on: day(0), promised: promised.map(day) }
    }

    fn supply(incoming: &[IncomingPo], today: u32) -> Supply<'_> {
        Supply { sellable: 0, incoming, lead_time_days: None, release: None, handling_days: 0, today: day(today) }
    }

    fn delayed(projections: &[Projection<u32>]) -> Vec<u32> {
        projections.iter().filter(|p| p.delayed).map(|p| p.id).collect()
    }

    #[test]
    fn a_smaller_purchase_order_delays_those_at_the_back() {
        let queue = [order(1, 2, Some(5)), order(2, 2, Some(5)), order(3, 1, Some(9))];
        let on_time = [IncomingPo { quantity: 5, expected: day(5) }];
        assert!(delayed(&project(&queue, &supply(&on_time, 0))).is_empty());
        // The supplier cuts the PO to 3 units and adds 2 more for day 12.
        let cut = [IncomingPo { quantity: 3, expected: day(5) }, IncomingPo { quantity: 2, expected: day(12) }];
        let p = project(&queue, &supply(&cut, 0));
        assert_eq!(delayed(&p), vec![2, 3]);
        assert_eq!(p[1].eta, Some(RestockEta { date: day(12), basis: EtaBasis::PurchaseOrder }));
    }

    #[test]
    fn a_late_purchase_order_means_no_date_and_a_delay() {
        let queue = [order(1, 1, Some(5))];
        let late = [IncomingPo { quantity: 1, expected: day(5) }];
        let p = project(&queue, &supply(&late, 6));
        assert_eq!((p[0].eta, p[0].delayed), (None, true));
    }

    #[test]
    fn nothing_promised_nothing_delayed_and_earlier_is_fine() {
        let queue = [order(1, 1, None), order(2, 1, Some(10))];
        let early = [IncomingPo { quantity: 2, expected: day(3) }];
        assert!(delayed(&project(&queue, &supply(&early, 0))).is_empty());
        assert!(delayed(&project(&[order(1, 1, None)], &supply(&[], 0))).is_empty());
    }

    #[test]
    fn lead_time_clock_starts_when_the_order_was_placed() {
        let queue = [order(1, 1, Some(14))];
        let s = Supply { lead_time_days: Some(14), ..supply(&[], 10) };
        assert!(delayed(&project(&queue, &s)).is_empty(), "day 10 of 14: on time");
        let s = Supply { lead_time_days: Some(14), ..supply(&[], 15) };
        assert_eq!(delayed(&project(&queue, &s)), vec![1], "lead time ran out with nothing on order");
    }

    #[test]
    fn positions_follow_the_queue() {
        let mut queue = vec![order(1, 1, None), order(2, 1, None), order(3, 1, None)];
        queue[0].allocated = 1;
        let p = project(&queue, &supply(&[], 0));
        assert_eq!(p.iter().map(|p| (p.id, p.position)).collect::<Vec<_>>(), vec![(2, 1), (3, 2)]);
    }

    proptest! {
        /// Projected dates never go backwards along the queue, and an order is delayed
        /// exactly when its projection is later than (or lost) its promise.
        #[test]
        fn projections_are_fifo_and_flag_exactly_the_slips(
            sizes in proptest::collection::vec((1u32..5, proptest::option::of(0u32..30)), 0..20),
            pos in proptest::collection::vec((1u32..8, 0u32..40), 0..6),
            lead in proptest::option::of(0u16..40),
        ) {
            let queue: Vec<QueuedOrder<u32>> = sizes.iter().enumerate().map(|(i, &(q, p))| order(i as u32, q, p)).collect();
            let incoming: Vec<IncomingPo> = pos.iter().map(|&(q, d)| IncomingPo { quantity: q, expected: day(d) }).collect();
            let p = project(&queue, &Supply { lead_time_days: lead, ..supply(&incoming, 0) });
            prop_assert_eq!(p.len(), queue.len());
            for w in p.windows(2) {
                match (w[0].eta, w[1].eta) {
                    (Some(a), Some(b)) => prop_assert!(a.date <= b.date),
                    (None, Some(_)) => prop_assert!(false, "someone behind got a date before someone ahead"),
                    _ => {}
                }
            }
            for (proj, o) in p.iter().zip(&queue) {
                let expect = match (o.promised, proj.eta) {
                    (Some(pr), Some(e)) => e.date > pr,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                prop_assert_eq!(proj.delayed, expect);
            }
        }
    }
}
