//! Received stock goes to the open backorder queue first come, first served; what is
//! left becomes sellable. Cancelling an order frees its place, and units already set
//! aside for it flow on to the next in line.

use crate::policy::QueuedOrder;
use crate::prelude::*;

/// What happened to one order during an allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocationEvent<Id> {
    /// `units` more were set aside; `allocated` is the order's new total.
    Allocated { id: Id, units: u32, allocated: u32 },
    /// The order is now fully allocated and leaves the queue.
    Completed { id: Id },
}

/// The outcome of allocating received units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation<Id> {
    /// In queue order; a `Completed` follows the `Allocated` that completed it.
    pub events: Vec<AllocationEvent<Id>>,
    /// The orders still open afterwards, in queue order.
    pub queue: Vec<QueuedOrder<Id>>,
    /// Units left over after the queue: these become sellable.
    pub sellable: u32,
}

impl<Id> Allocation<Id> {
    /// Units set aside for orders in this allocation.
    pub fn allocated(&self) -> u32 {
        self.events
            .iter()
            .map(|e| match e {
                AllocationEvent::Allocated { units, .. } => *units,
                AllocationEvent::Completed { .. } => 0,
            })
            .sum()
    }
}

/// Allocates `received` units to `queue` (oldest first), partially filling the last
/// order reached.
pub fn allocate<Id: Clone>(queue: &[QueuedOrder<Id>], received: u32) -> Allocation<Id> {
    let mut left = received;
    let mut events = Vec::new();
    let mut still_open = Vec::with_capacity(queue.len());
    for order in queue {
        let owed = order.outstanding();
        if owed == 0 {
            // Already complete (stale row): it is not in the queue any more.
            continue;
        }
        let units = owed.min(left);
        if units == 0 {
            still_open.push(order.clone());
            continue;
        }
        left -= units;
        let allocated = order.allocated + units;
        events.push(AllocationEvent::Allocated { id: order.id.clone(), units, allocated });
        if units == owed {
            events.push(AllocationEvent::Completed { id: order.id.clone() });
        } else {
            still_open.push(QueuedOrder { allocated, ..order.clone() });
        }
    }
    Allocation { events, queue: still_open, sellable: left }
}

/// The 1-based queue position of an order, counting only orders still owed units.
pub fn position<Id: PartialEq>(queue: &[QueuedOrder<Id>], id: &Id) -> Option<u32> {
    let mut pos = 0u32;
    for order in queue.iter().filter(|o| o.outstanding() > 0) {
        pos += 1;
        if &order.id == id {
            return Some(pos);
        }
    }
    None
}

/// The outcome of cancelling an open order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancellation<Id> {
    pub cancelled: QueuedOrder<Id>,
    /// The units it had been allocated, re-allocated to the orders behind it.
    pub reallocation: Allocation<Id>,
}

/// Why an order could not be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    #[error("this order is not open (already complete or cancelled)")]
    NotOpen,
}

impl CancelError {
    pub fn code(self) -> &'static str {
        "not_cancellable"
    }
}

/// Removes `id` from the queue. Everyone behind it moves up one place, and units
/// already allocated to it go to the next orders in line (then to sellable stock).
pub fn cancel<Id: Clone + PartialEq>(queue: &[QueuedOrder<Id>], id: &Id) -> Result<Cancellation<Id>, CancelError> {
    let index = queue.iter().position(|o| &o.id == id && o.outstanding() > 0).ok_or(CancelError::NotOpen)?;
    let cancelled = queue[index].clone();
    let rest: Vec<QueuedOrder<Id>> =
        queue.iter().enumerate().filter(|&(i, _)| i != index).map(|(_, o)| o.clone()).collect();
    let reallocation = allocate(&rest, cancelled.allocated);
    Ok(Cancellation { cancelled, reallocation })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::policy::outstanding;
    use proptest::prelude::*;

    fn order(id: u32, quantity: u32, allocated: u32) -> QueuedOrder<u32> {
        let placed_on = Date::from_ymd(2026, 11, 1).expect("valid");
        QueuedOrder { id, quantity, allocated, placed_on, promised: None }
    }

    use AllocationEvent::{Allocated, Completed};

    #[test]
    fn fills_oldest_first_with_a_partial_fill_at_the_end() {
        let queue = [order(1, 2, 0), order(2, 3, 0), order(3, 1, 0)];
        let a = allocate(&queue, 4);
        assert_eq!(
            a.events,
            vec![
                Allocated { id: 1, units: 2, allocated: 2 },
                Completed { id: 1 },
                Allocated { id: 2, units: 2, allocated: 2 },
            ]
        );
        assert_eq!(a.queue, vec![order(2, 3, 2), order(3, 1, 0)]);
        assert_eq!(a.sellable, 0);
        assert_eq!(a.allocated(), 4);
    }

    #[test]
    fn remainder_becomes_sellable() {
        let a = allocate(&[order(1, 2, 1)], 10);
        assert_eq!(a.events, vec![Allocated { id: 1, units: 1, allocated: 2 }, Completed { id: 1 }]);
        assert!(a.queue.is_empty());
        assert_eq!(a.sellable, 9);
        let nothing_queued: Allocation<u32> = allocate(&[], 7);
        assert_eq!((nothing_queued.events.len(), nothing_queued.sellable), (0, 7));
    }

    #[test]
    fn receiving_nothing_changes_nothing() {
        let queue = [order(1, 2, 0)];
        let a = allocate(&queue, 0);
        assert!(a.events.is_empty());
        assert_eq!(a.queue, queue.to_vec());
    }

    #[test]
    fn positions_skip_completed_rows() {
        let queue = [order(1, 1, 1), order(2, 1, 0), order(3, 4, 2)];
        assert_eq!(position(&queue, &2), Some(1));
        assert_eq!(position(&queue, &3), Some(2));
        assert_eq!(position(&queue, &1), None);
    }

    #[test]
    fn cancelling_moves_everyone_up_and_passes_allocated_units_on() {
        let queue = [order(1, 3, 2), order(2, 2, 0), order(3, 1, 0)];
        let c = cancel(&queue, &1).expect("open");
        assert_eq!(c.cancelled, order(1, 3, 2));
        assert_eq!(c.reallocation.events, vec![Allocated { id: 2, units: 2, allocated: 2 }, Completed { id: 2 }]);
        assert_eq!(c.reallocation.queue, vec![order(3, 1, 0)]);
        assert_eq!(position(&c.reallocation.queue, &3), Some(1));
        assert_eq!(cancel(&queue, &9), Err(CancelError::NotOpen));
        assert_eq!(cancel(&[order(4, 1, 1)], &4), Err(CancelError::NotOpen));
    }

    fn queue_strategy() -> impl Strategy<Value = Vec<QueuedOrder<u32>>> {
        proptest::collection::vec((1u32..20, 0u32..20), 0..30)
            .prop_map(|v| v.into_iter().enumerate().map(|(i, (q, a))| order(i as u32, q, a % q)).collect())
    }

    proptest! {
        #[test]
        fn allocation_conserves_units_and_respects_fifo(queue in queue_strategy(), received in 0u32..400) {
            let a = allocate(&queue, received);
            // Never more allocated than received; allocated + sellable == received.
            prop_assert!(a.allocated() <= received);
            prop_assert_eq!(a.allocated() + a.sellable, received);
            // Nobody gets more than they are owed.
            prop_assert_eq!(outstanding(&a.queue) + a.allocated(), outstanding(&queue));
            // FIFO: an order is only served if every order ahead of it is complete.
            let served: Vec<u32> = a.events.iter().filter_map(|e| match e {
                Allocated { id, .. } => Some(*id), Completed { .. } => None }).collect();
            for (i, id) in served.iter().enumerate() {
                if i + 1 < served.len() {
                    prop_assert!(a.events.contains(&Completed { id: *id }), "only the last served order may be partial");
                }
            }
            if let Some(first_open) = a.queue.first() {
                prop_assert!(queue.iter().take_while(|o| o.id != first_open.id)
                    .all(|o| o.outstanding() == 0 || served.contains(&o.id)));
                prop_assert!(a.queue.iter().skip(1).all(|o| !served.contains(&o.id)));
            }
            // Leftover stock only while nobody is waiting.
            prop_assert!(a.sellable == 0 || a.queue.is_empty());
        }

        #[test]
        fn cancellation_never_loses_units(queue in queue_strategy(), pick in 0usize..30) {
            if let Some(target) = queue.get(pick).filter(|o| o.outstanding() > 0) {
                let c = cancel(&queue, &target.id).expect("open order");
                let r = &c.reallocation;
                prop_assert_eq!(r.allocated() + r.sellable, target.allocated);
                prop_assert!(r.queue.iter().all(|o| o.id != target.id));
                prop_assert_eq!(outstanding(&r.queue) + r.allocated(), outstanding(&queue) - target.outstanding());
            }
        }
    }
}
