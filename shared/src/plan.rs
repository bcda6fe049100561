//! Stock changes as plans. Every operation on one SKU's stock (receive, set on hand,
//! cancel an order, a purchase-order change, a promise recheck, the scheduled
//! continuation of a waitlist release) is [`plan`]: a pure function from the SKU's
//! facts to one [`StockPlan`] holding everything the change does: the allocation, the
//! on-hand change, the waitlist wave, the promise changes, and the emails owed. The
//! Worker has one executor for it (`stock::commit`), and a preview is the same plan
//! serialized, so a preview and the change it previews cannot differ.
//!
//! The rules, in one place:
//! - Units go to the open queue first come, first served; only what is left is
//!   *free* (sellable to anyone). Before a preorder's release day nothing is allocated
//!   and nothing is free: the units wait for the release, and on that day the
//!   scheduled continuation allocates them.
//! - A SKU has at most one open release (a *window*). Units that become free while it
//!   is open join it, and it grows to ceil(ratio × units it has announced), so a
//!   second receive notifies for the new units only. When the window's interval is
//!   over, the continuation re-checks stock: what is still free starts the next wave
//!   (holds excluded); sold out closes it, or waits for the first hold to end.
//! - After every change each open order's ship date is projected again; a slip past
//!   its promise moves the promise and owes exactly one delay notice, named by the old
//!   and the new promise.

use crate::allocation::{Allocation, AllocationEvent, allocate, cancel};
use crate::availability::ProductState;
use crate::date::{Date, Timestamp};
use crate::delay::project;
use crate::policy::{IncomingPo, Policy, ProductSettings, QueuedOrder, ShopRules, Stock, outstanding};
use crate::prelude::*;
use crate::release::ReleaseRules;

/// An open order as stored: the queue entry and the date last projected for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOrder<Id> {
    pub order: QueuedOrder<Id>,
    pub projected: Option<Date>,
}

/// The SKU's open release window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenRelease {
    /// Units this window has announced.
    pub units: u32,
    /// Subscribers this window notifies in all.
    pub target: u32,
    /// Subscribers notified so far.
    pub planned: u32,
    /// The window's interval ends at this instant.
    pub next_check_at: Timestamp,
}

/// Everything a plan reads about one SKU, from one consistent read.
#[derive(Clone, Debug)]
pub struct Facts<Id> {
    pub settings: ProductSettings,
    pub stock: Stock,
    /// Open orders, oldest first.
    pub queue: Vec<OpenOrder<Id>>,
    /// Open purchase orders.
    pub incoming: Vec<IncomingPo>,
    /// Confirmed subscribers not yet notified.
    pub waiting: u32,
    pub release: Option<OpenRelease>,
    /// When the first claim hold still running ends.
    pub first_hold_end: Option<Timestamp>,
}

/// The time a plan is made at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub today: Date,
    pub now: Timestamp,
}

/// The operation planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op<Id> {
    /// Units arrived.
    Receive { units: u32 },
    /// The merchant counted the stock: on hand becomes this.
    SetOnHand { on_hand: u32 },
    /// An open order is cancelled; its allocated units pass on.
    Cancel { id: Id },
    /// Only the facts changed (settings, purchase orders) or time passed: project
    /// promises again.
    Recheck,
    /// The scheduled step: allocate units a released preorder was waiting for, and
    /// after the open window's interval, the next wave.
    Continue,
}

/// What happens to the SKU's release window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleasePlan {
    /// Nothing.
    Keep,
    /// A new window (`wave` 1 of a restock, or the next wave after an interval,
    /// which also closes the open one).
    Start { units: u32, target: u32, hold_until: Option<Timestamp>, next_check_at: Timestamp, next: bool },
    /// The open window grows: more units announced, more subscribers to notify.
    Extend { units: u32, target: u32 },
    /// Sold out, but units are held for notified shoppers: look again then.
    Wait { next_check_at: Timestamp },
    /// Sold out or nobody waiting: the window closes.
    Close,
}

/// A promise (or projection) that changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromiseChange<Id> {
    pub id: Id,
    pub position: u32,
    pub projected_before: Option<Date>,
    pub projected: Option<Date>,
    pub promise_before: Option<Date>,
    /// The promise afterwards.
    pub promise: Option<Date>,
    /// The shopper is owed a delay notice (the promise slipped).
    pub delayed: bool,
}

/// Why an operation cannot be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("this order is not open (already complete or cancelled)")]
    NotOpen,
}

impl PlanError {
    pub fn code(self) -> &'static str {
        match self {
            PlanError::NotOpen => "not_cancellable",
        }
    }
}

/// Everything one stock operation does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockPlan<Id> {
    /// Units received (`Receive`, or the increase of `SetOnHand`).
    pub received: u32,
    /// Units set aside for open orders, and which orders completed.
    pub allocation: Allocation<Id>,
    /// The cancelled order, as it was.
    pub cancelled: Option<QueuedOrder<Id>>,
    /// On hand afterwards, and the change.
    pub on_hand: u32,
    pub on_hand_delta: i64,
    /// Units free to sell afterwards (not held, not owed, released).
    pub free: u32,
    /// Units that became free through this change.
    pub freed: u32,
    pub release: ReleasePlan,
    /// Every open order whose projection or promise changes.
    pub promises: Vec<PromiseChange<Id>>,
    /// Open orders afterwards.
    pub open: u32,
}

impl<Id> StockPlan<Id> {
    pub fn completed(&self) -> impl Iterator<Item = &Id> {
        self.allocation.events.iter().filter_map(|e| match e {
            AllocationEvent::Completed { id } => Some(id),
            AllocationEvent::Allocated { .. } => None,
        })
    }

    /// Orders that got units but are not complete.
    pub fn partial(&self) -> usize {
        let allocated =
            self.allocation.events.iter().filter(|e| matches!(e, AllocationEvent::Allocated { .. })).count();
        allocated - self.completed().count()
    }

    /// Delay notices owed.
    pub fn delays(&self) -> usize {
        self.promises.iter().filter(|p| p.delayed).count()
    }

    /// Subscribers this plan has notified now (the wave's growth).
    pub fn notifies(&self, open: Option<&OpenRelease>) -> u32 {
        match self.release {
            ReleasePlan::Start { target, .. } => target,
            ReleasePlan::Extend { target, .. } => target.saturating_sub(open.map_or(0, |r| r.target)),
            ReleasePlan::Keep | ReleasePlan::Wait { .. } | ReleasePlan::Close => 0,
        }
    }

    /// The plan in the merchant's words (the dashboard shows these, so a preview says
    /// exactly what the change does).
    pub fn says(&self, open: Option<&OpenRelease>) -> Vec<String> {
        let n = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut out = Vec::new();
        if let Some(c) = &self.cancelled {
            let passed = if c.allocated > 0 {
                format!("; its {} go to the next in line", n(c.allocated as usize, "allocated unit", "allocated units"))
            } else {
                String::new()
            };
            out.push(format!("Cancels an order of {}{passed}.", n(c.quantity as usize, "unit", "units")));
        }
        let allocated = self.allocation.allocated();
        if allocated > 0 {
            let mut s = format!(
                "Allocates {} to backorders: {} ready to ship",
                n(allocated as usize, "unit", "units"),
                n(self.completed().count(), "order", "orders")
            );
            if self.partial() > 0 {
                s.push_str(&format!(", {} partly filled", n(self.partial(), "order", "orders")));
            }
            out.push(s + ".");
        }
        if self.on_hand_delta != 0 || self.received > 0 {
            out.push(format!("On hand becomes {}.", self.on_hand));
        }
        if self.freed > 0 {
            out.push(format!("Puts {} on sale.", n(self.freed as usize, "unit", "units")));
        }
        let notify = self.notifies(open) as usize;
        match self.release {
            ReleasePlan::Start { next: true, .. } => {
                out.push(format!("Starts the next waitlist wave: emails {}.", n(notify, "subscriber", "subscribers")));
            }
            ReleasePlan::Start { .. } | ReleasePlan::Extend { .. } if notify > 0 => {
                out.push(format!(
                    "Emails {} that it is back in stock.",
                    n(notify, "waitlist subscriber", "waitlist subscribers")
                ));
            }
            ReleasePlan::Close => out.push("Closes the waitlist release (sold out or nobody waiting).".into()),
            _ => {}
        }
        let moved = self.promises.iter().filter(|p| p.projected != p.projected_before).count();
        if self.delays() > 0 {
            out.push(format!(
                "Delays {}: each gets a delay notice with a one-click cancel.",
                n(self.delays(), "open backorder", "open backorders")
            ));
        } else if moved > 0 {
            out.push(format!("Moves {}; no promise slips.", n(moved, "ship date", "ship dates")));
        }
        if out.is_empty() {
            out.push("Changes no stock, order or promise.".into());
        }
        out
    }
}

/// Units not owed to the queue and not held; none before a preorder's release day.
fn free(settings: &ProductSettings, stock: Stock, owed: u32, today: Date) -> u32 {
    match settings.policy {
        Policy::Preorder { release, .. } if release > today => 0,
        _ => stock.sellable().saturating_sub(owed),
    }
}

/// Whether units may go to the queue now (not before a preorder's release day).
fn allocates(settings: &ProductSettings, today: Date) -> bool {
    !matches!(settings.policy, Policy::Preorder { release, .. } if release > today)
}

/// A window's target for `units`: ceil(ratio × units), never more than those already
/// notified plus those waiting, and with holds never more than the units.
fn target(units: u32, planned: u32, waiting: u32, rules: &ReleaseRules) -> u32 {
    let mut t = rules.ratio.apply(units).min(planned.saturating_add(waiting)).max(planned);
    if rules.hold_hours.is_some() {
        t = t.min(units.max(planned));
    }
    t
}

/// Plans `op` on `facts`.
pub fn plan<Id: Clone + PartialEq>(
    facts: &Facts<Id>,
    op: &Op<Id>,
    rules: &ShopRules,
    release_rules: &ReleaseRules,
    clock: Clock,
) -> Result<StockPlan<Id>, PlanError> {
    let s = &facts.settings;
    let orders: Vec<QueuedOrder<Id>> = facts.queue.iter().map(|o| o.order.clone()).collect();
    let owed_before = outstanding(&orders);
    let free_before = free(s, facts.stock, owed_before, clock.today);
    let on_hand = facts.stock.on_hand;
    let can_allocate = allocates(s, clock.today);
    let none = |queue: &[QueuedOrder<Id>]| Allocation { events: Vec::new(), queue: queue.to_vec(), sellable: 0 };

    // The operation's own allocation, the cancelled order, units received, and on
    // hand afterwards.
    let (own, cancelled, received, on_hand_after) = match op {
        Op::Receive { units } | Op::SetOnHand { on_hand: units } if !can_allocate => {
            let after = if matches!(op, Op::Receive { .. }) { on_hand.saturating_add(*units) } else { *units };
            (none(&orders), None, after.saturating_sub(on_hand), after)
        }
        Op::Receive { units } => {
            let a = allocate(&orders, *units);
            let after = on_hand.saturating_add(a.sellable);
            (a, None, *units, after)
        }
        Op::SetOnHand { on_hand: target } if *target > on_hand => {
            let a = allocate(&orders, *target - on_hand);
            let after = on_hand.saturating_add(a.sellable);
            (a, None, *target - on_hand, after)
        }
        Op::SetOnHand { on_hand: target } => (none(&orders), None, 0, *target),
        Op::Cancel { id } => {
            let c = cancel(&orders, id).map_err(|_| PlanError::NotOpen)?;
            let after = on_hand.saturating_add(c.reallocation.sellable);
            (c.reallocation, Some(c.cancelled), 0, after)
        }
        Op::Recheck | Op::Continue => (none(&orders), None, 0, on_hand),
    };
    // Units on hand while orders are owed (a preorder's release day, or a count set
    // while orders wait) go to the queue too: nothing is on sale while an order waits.
    let (allocation, on_hand_after) = if can_allocate {
        let spare = Stock { on_hand: on_hand_after, held: facts.stock.held }.sellable();
        let heal = allocate(&own.queue, spare.min(outstanding(&own.queue)));
        let taken = heal.allocated();
        (merge(own, heal), on_hand_after - taken)
    } else {
        (own, on_hand_after)
    };
    let stock_after = Stock { on_hand: on_hand_after, held: facts.stock.held };
    let owed_after = outstanding(&allocation.queue);
    let free_after = free(s, stock_after, owed_after, clock.today);
    let freed = free_after.saturating_sub(free_before);

    let release = plan_release(facts, op, free_after, freed, release_rules, clock);
    let promises = recheck(facts, &allocation.queue, stock_after, owed_after, rules, clock.today);
    Ok(StockPlan {
        received,
        open: u32::try_from(allocation.queue.iter().filter(|o| o.outstanding() > 0).count()).unwrap_or(u32::MAX),
        allocation,
        cancelled,
        on_hand: on_hand_after,
        on_hand_delta: i64::from(on_hand_after) - i64::from(on_hand),
        free: free_after,
        freed,
        release,
        promises,
    })
}

/// `first` followed by `then` (an allocation of the queue `first` left), as one.
fn merge<Id: Clone + PartialEq>(first: Allocation<Id>, then: Allocation<Id>) -> Allocation<Id> {
    let mut events = first.events;
    for e in then.events {
        if let AllocationEvent::Allocated { id, units, allocated } = &e
            && let Some(AllocationEvent::Allocated { units: u, allocated: a, .. }) =
                events.iter_mut().find(|x| matches!(x, AllocationEvent::Allocated { id: i, .. } if i == id))
        {
            *u += units;
            *a = *allocated;
            continue;
        }
        events.push(e);
    }
    // A `Completed` must follow its order's `Allocated`: the merged one came first.
    Allocation { events, queue: then.queue, sellable: first.sellable }
}

fn plan_release<Id>(
    facts: &Facts<Id>,
    op: &Op<Id>,
    free_after: u32,
    freed: u32,
    rules: &ReleaseRules,
    clock: Clock,
) -> ReleasePlan {
    let start = |units: u32, next: bool| {
        let target = target(units, 0, facts.waiting, rules);
        if target == 0 {
            return if next { ReleasePlan::Close } else { ReleasePlan::Keep };
        }
        ReleasePlan::Start {
            units,
            target,
            hold_until: rules.hold_hours.map(|h| clock.now.plus_hours(u32::from(h))),
            next_check_at: clock.now.plus_minutes(rules.interval_minutes),
            next,
        }
    };
    match facts.release {
        // The interval is over: re-check what is still free.
        Some(_) if matches!(op, Op::Continue) && facts.release.is_some_and(|r| r.next_check_at <= clock.now) => {
            if free_after == 0 {
                match facts.first_hold_end {
                    Some(end) if facts.stock.held > 0 => {
                        ReleasePlan::Wait { next_check_at: end.max(clock.now.plus_minutes(rules.interval_minutes)) }
                    }
                    _ => ReleasePlan::Close,
                }
            } else {
                start(free_after, true)
            }
        }
        Some(open) if freed > 0 => {
            let units = open.units.saturating_add(freed);
            ReleasePlan::Extend { units, target: target(units, open.planned, facts.waiting, rules).max(open.target) }
        }
        Some(_) => ReleasePlan::Keep,
        // No window open: everything free now is announced to a new one.
        None if freed > 0 || (matches!(op, Op::Continue) && free_after > 0) => start(free_after, false),
        None => ReleasePlan::Keep,
    }
}

fn recheck<Id: Clone + PartialEq>(
    facts: &Facts<Id>,
    queue: &[QueuedOrder<Id>],
    stock: Stock,
    owed: u32,
    rules: &ShopRules,
    today: Date,
) -> Vec<PromiseChange<Id>> {
    let state = ProductState { settings: &facts.settings, stock, queued: owed, incoming: &facts.incoming };
    let supply = state.supply(rules, today);
    let mut out = Vec::new();
    for p in project(queue, &supply) {
        let Some(stored) = facts.queue.iter().find(|o| o.order.id == p.id) else { continue };
        let projected = p.eta.map(|e| e.date);
        let promise_before = stored.order.promised;
        let promise = if p.delayed || promise_before.is_none() { projected } else { promise_before };
        if projected != stored.projected || promise != promise_before {
            out.push(PromiseChange {
                id: p.id,
                position: p.position,
                projected_before: stored.projected,
                projected,
                promise_before,
                promise,
                delayed: p.delayed,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
