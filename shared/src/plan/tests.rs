use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::release::Ratio;

fn day(n: u32) -> Date {
    Date::from_ymd(2027, 3, 1).expect("valid").add_days(n)
}

fn clock(days: u32, minutes: u32) -> Clock {
    let now = Timestamp::from_millis(i64::from(day(days).days_since_epoch()) * 86_400_000).plus_minutes(minutes);
    Clock { today: day(days), now }
}

fn settings(policy: Policy) -> ProductSettings {
    ProductSettings { policy, low_stock_threshold: 0, discontinued: false, lead_time_days: None, waitlist: true }
}

fn facts(policy: Policy, on_hand: u32, queue: &[(u32, u32)], waiting: u32) -> Facts<u32> {
    Facts {
        settings: settings(policy),
        stock: Stock { on_hand, held: 0 },
        queue: queue
            .iter()
            .enumerate()
            .map(|(i, &(quantity, allocated))| OpenOrder {
                order: QueuedOrder { id: i as u32, quantity, allocated, placed_on: day(0), promised: None },
                projected: None,
            })
            .collect(),
        incoming: Vec::new(),
        waiting,
        release: None,
        first_hold_end: None,
    }
}

fn rules() -> ReleaseRules {
    ReleaseRules { ratio: Ratio::ONE, hold_hours: None, interval_minutes: 60 }
}

fn run(f: &Facts<u32>, op: Op<u32>, c: Clock) -> StockPlan<u32> {
    plan(f, &op, &ShopRules::default(), &rules(), c).expect("plannable")
}

/// The regression of issue 13: 50 waiting, 10 units, then 10 more.
#[test]
fn a_second_receive_notifies_for_the_new_units_only() {
    let mut f = facts(Policy::Deny, 0, &[], 50);
    let first = run(&f, Op::Receive { units: 10 }, clock(0, 0));
    let ReleasePlan::Start { units: 10, target: 10, .. } = first.release else { panic!("{:?}", first.release) };
    // The first wave went out; 10 units still unsold.
    f.stock.on_hand = 10;
    f.waiting = 40;
    f.release = Some(OpenRelease { units: 10, target: 10, planned: 10, next_check_at: clock(0, 60).now });
    let second = run(&f, Op::Receive { units: 10 }, clock(0, 5));
    assert_eq!(second.release, ReleasePlan::Extend { units: 20, target: 20 });
    assert_eq!(second.notifies(f.release.as_ref()), 10, "10 new units, 10 more emails, not 20");
}

#[test]
fn the_next_wave_comes_after_the_interval_and_only_for_what_is_still_free() {
    let mut f = facts(Policy::Deny, 20, &[], 30);
    f.release = Some(OpenRelease { units: 20, target: 20, planned: 20, next_check_at: clock(0, 60).now });
    assert_eq!(run(&f, Op::Continue, clock(0, 59)).release, ReleasePlan::Keep, "interval not over");
    let next = run(&f, Op::Continue, clock(0, 60));
    assert!(matches!(next.release, ReleasePlan::Start { units: 20, target: 20, next: true, .. }), "{:?}", next.release);
    f.stock.on_hand = 0;
    assert_eq!(run(&f, Op::Continue, clock(0, 60)).release, ReleasePlan::Close, "sold out");
    f.stock = Stock { on_hand: 2, held: 2 };
    f.first_hold_end = Some(clock(1, 0).now);
    assert_eq!(run(&f, Op::Continue, clock(0, 60)).release, ReleasePlan::Wait { next_check_at: clock(1, 0).now });
}

#[test]
fn counts_and_cancellations_start_waves_too() {
    let f = facts(Policy::Deny, 0, &[], 5);
    assert!(matches!(run(&f, Op::SetOnHand { on_hand: 3 }, clock(0, 0)).release, ReleasePlan::Start { units: 3, .. }));
    let f = facts(Policy::Backorder { cap: None }, 0, &[(2, 2), (1, 0)], 5);
    // Order 0 is complete (not open); order 1 is open with nothing allocated.
    let c = run(&f, Op::Cancel { id: 1 }, clock(0, 0));
    assert_eq!((c.freed, c.release), (0, ReleasePlan::Keep), "nothing was allocated to it");
    let f = facts(Policy::Backorder { cap: None }, 0, &[(3, 2)], 5);
    let c = run(&f, Op::Cancel { id: 0 }, clock(0, 0));
    assert_eq!(c.freed, 2);
    assert!(matches!(c.release, ReleasePlan::Start { units: 2, target: 2, .. }));
    assert_eq!(plan(&f, &Op::Cancel { id: 7 }, &ShopRules::default(), &rules(), clock(0, 0)), Err(PlanError::NotOpen));
}

#[test]
fn preorders_wait_for_their_release_day() {
    let pre = Policy::Preorder { release: day(10), cap: None };
    let f = facts(pre, 0, &[(2, 0), (3, 0)], 8);
    let early = run(&f, Op::Receive { units: 9 }, clock(3, 0));
    assert_eq!(early.allocation.allocated(), 0, "nothing ships before the release day");
    assert_eq!((early.on_hand, early.free, early.release), (9, 0, ReleasePlan::Keep));
    let mut f = f;
    f.stock.on_hand = 9;
    let released = run(&f, Op::Continue, clock(10, 0));
    assert_eq!(released.allocation.allocated(), 5);
    assert_eq!(released.completed().count(), 2);
    assert_eq!((released.on_hand, released.free), (4, 4));
    assert!(matches!(released.release, ReleasePlan::Start { units: 4, target: 4, .. }));
}

#[test]
fn a_slip_moves_the_promise_and_owes_one_notice() {
    let mut f = facts(Policy::Backorder { cap: None }, 0, &[(1, 0)], 0);
    f.queue[0].order.promised = Some(day(5));
    f.queue[0].projected = Some(day(5));
    f.incoming = vec![IncomingPo { quantity: 1, expected: day(5) }];
    assert!(run(&f, Op::Recheck, clock(0, 0)).promises.is_empty(), "on time: nothing changes");
    f.incoming = vec![IncomingPo { quantity: 1, expected: day(9) }];
    let p = run(&f, Op::Recheck, clock(0, 0));
    assert_eq!(
        p.promises,
        vec![PromiseChange {
            id: 0,
            position: 1,
            projected_before: Some(day(5)),
            projected: Some(day(9)),
            promise_before: Some(day(5)),
            promise: Some(day(9)),
            delayed: true
        }]
    );
    assert!(p.says(None).iter().any(|s| s.contains("delay notice")));
}

#[test]
fn holds_cap_a_window_at_its_units() {
    let held =
        ReleaseRules { ratio: Ratio::from_permille(3000).expect("valid"), hold_hours: Some(24), interval_minutes: 60 };
    let f = facts(Policy::Deny, 0, &[], 50);
    let p = plan(&f, &Op::Receive { units: 4 }, &ShopRules::default(), &held, clock(0, 0)).expect("ok");
    assert!(matches!(p.release, ReleasePlan::Start { units: 4, target: 4, hold_until: Some(_), .. }));
}

// ---- The model: random sequences of operations, applied as the executor applies
// plans, with the invariants checked after every step.

#[derive(Clone, Debug)]
enum Step {
    Order(u32),
    Receive(u32),
    SetOnHand(u32),
    Cancel(usize),
    Signup(u32),
    Po(u32, u32),
    Time(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u32..4).prop_map(Step::Order),
        3 => (1u32..12).prop_map(Step::Receive),
        1 => (0u32..15).prop_map(Step::SetOnHand),
        1 => (0usize..20).prop_map(Step::Cancel),
        2 => (1u32..10).prop_map(Step::Signup),
        1 => (1u32..6, 1u32..20).prop_map(|(q, d)| Step::Po(q, d)),
        2 => (1u32..3000).prop_map(Step::Time),
    ]
}

#[derive(Clone, Debug)]
struct Order {
    id: u32,
    quantity: u32,
    allocated: u32,
    cancelled: bool,
    promised: Option<Date>,
    projected: Option<Date>,
    /// Allocated units before the product's release day.
    early: bool,
}

#[derive(Debug)]
struct World {
    settings: ProductSettings,
    on_hand: u32,
    orders: Vec<Order>,
    incoming: Vec<IncomingPo>,
    waiting: u32,
    release: Option<OpenRelease>,
    /// Units the open window announced, counted by the model itself.
    window_units: u32,
    window_notified: u32,
    minutes: u32,
    received: u64,
    removed: u64,
    notices: BTreeSet<(u32, Option<Date>, Option<Date>)>,
    rules: ReleaseRules,
}

impl World {
    fn clock(&self) -> Clock {
        clock(self.minutes / 1440, self.minutes % 1440)
    }

    fn owed(&self) -> u32 {
        self.orders.iter().filter(|o| !o.cancelled).map(|o| o.quantity - o.allocated).sum()
    }

    fn released(&self) -> bool {
        allocates(&self.settings, self.clock().today)
    }

    fn free(&self) -> u32 {
        if self.released() { self.on_hand.saturating_sub(self.owed()) } else { 0 }
    }

    fn facts(&self) -> Facts<u32> {
        Facts {
            settings: self.settings,
            stock: Stock { on_hand: self.on_hand, held: 0 },
            queue: self
                .orders
                .iter()
                .filter(|o| !o.cancelled && o.allocated < o.quantity)
                .map(|o| OpenOrder {
                    order: QueuedOrder {
                        id: o.id,
                        quantity: o.quantity,
                        allocated: o.allocated,
                        placed_on: day(0),
                        promised: o.promised,
                    },
                    projected: o.projected,
                })
                .collect(),
            incoming: self.incoming.clone(),
            waiting: self.waiting,
            release: self.release,
            first_hold_end: None,
        }
    }

    /// Plans `op` and applies it the way `stock::commit` does, checking invariants.
    fn apply(&mut self, op: Op<u32>) -> Result<(), TestCaseError> {
        let before_free = self.free();
        let facts = self.facts();
        let Ok(p) = plan(&facts, &op, &ShopRules::default(), &self.rules, self.clock()) else {
            let cancel = matches!(op, Op::Cancel { .. });
            prop_assert!(cancel, "only a cancel can be refused");
            return Ok(());
        };
        if !self.released() {
            prop_assert_eq!(p.allocation.allocated(), 0, "allocated before the release day");
        }
        let mut served = Vec::new();
        let released = self.released();
        for e in &p.allocation.events {
            if let AllocationEvent::Allocated { id, units, allocated } = e {
                let o = self.orders.iter_mut().find(|o| o.id == *id).expect("known order");
                prop_assert_eq!(o.allocated + units, *allocated);
                o.allocated = *allocated;
                o.early |= !released;
                served.push(*id);
            }
        }
        if let Some(c) = &p.cancelled {
            let o = self.orders.iter_mut().find(|o| o.id == c.id).expect("known order");
            prop_assert!(!o.cancelled);
            o.cancelled = true;
            o.allocated = 0;
        }
        match op {
            Op::Receive { units } => self.received += u64::from(units),
            Op::SetOnHand { on_hand } if on_hand < self.on_hand => self.removed += u64::from(self.on_hand - on_hand),
            Op::SetOnHand { on_hand } => self.received += u64::from(on_hand - self.on_hand),
            _ => {}
        }
        self.on_hand = p.on_hand;
        // The release window, and the fan-out (which notifies up to the target).
        let freed = self.free().saturating_sub(before_free);
        prop_assert_eq!(freed, p.freed);
        match p.release {
            ReleasePlan::Keep => {}
            ReleasePlan::Start { units, target, next_check_at, next, .. } => {
                prop_assert_eq!(next, self.release.is_some(), "at most one open release");
                self.window_units = self.free();
                self.window_notified = 0;
                self.release = Some(OpenRelease { units, target, planned: 0, next_check_at });
            }
            ReleasePlan::Extend { units, target } => {
                let open = self.release.as_mut().expect("an open window to extend");
                self.window_units += freed;
                open.units = units;
                open.target = target;
            }
            ReleasePlan::Wait { next_check_at } => {
                self.release.as_mut().expect("an open window").next_check_at = next_check_at;
            }
            ReleasePlan::Close => {
                prop_assert!(self.release.is_some());
                self.release = None;
            }
        }
        if let Some(open) = self.release.as_mut() {
            let n = (open.target - open.planned).min(self.waiting);
            open.planned += n;
            self.waiting -= n;
            self.window_notified += n;
            prop_assert!(
                self.window_notified <= self.rules.ratio.apply(self.window_units),
                "a wave went past ceil(ratio × units announced): {} for {}",
                self.window_notified,
                self.window_units
            );
        }
        // Promises: a notice exactly when the projection passed the promise, once.
        for c in &p.promises {
            let o = self.orders.iter_mut().find(|o| o.id == c.id).expect("known order");
            prop_assert_eq!(o.promised, c.promise_before);
            let slipped = match (c.promise_before, c.projected) {
                (Some(pr), Some(d)) => d > pr,
                (Some(_), None) => true,
                (None, _) => false,
            };
            prop_assert_eq!(c.delayed, slipped);
            if c.delayed {
                prop_assert!(self.notices.insert((c.id, c.promise_before, c.promise)), "a second notice for one slip");
            }
            o.promised = c.promise;
            o.projected = c.projected;
        }
        self.check(&served)
    }

    fn check(&self, served: &[u32]) -> Result<(), TestCaseError> {
        // Units are conserved.
        let allocated: u64 = self.orders.iter().filter(|o| !o.cancelled).map(|o| u64::from(o.allocated)).sum();
        prop_assert_eq!(self.received, u64::from(self.on_hand) + allocated + self.removed);
        // FIFO: completed orders are a prefix of the live ones, then at most one partial.
        let live: Vec<&Order> = self.orders.iter().filter(|o| !o.cancelled).collect();
        let done = live.iter().take_while(|o| o.allocated == o.quantity).count();
        prop_assert!(live[done..].iter().skip(1).all(|o| o.allocated == 0), "served out of order: {served:?}");
        prop_assert!(self.orders.iter().all(|o| !o.early), "a preorder was allocated before its release day");
        // Nothing is on sale while an order waits (once released).
        if self.released() && self.owed() > 0 {
            prop_assert_eq!(self.on_hand, 0);
        }
        Ok(())
    }

    fn run(&mut self, s: &Step) -> Result<(), TestCaseError> {
        match *s {
            Step::Order(q) => {
                let f = self.facts();
                let state = ProductState {
                    settings: &self.settings,
                    stock: f.stock,
                    queued: self.owed(),
                    incoming: &self.incoming,
                };
                let qty = crate::input::Quantity::new(i64::from(q)).expect("valid");
                if let Ok(o) = crate::availability::check_order(&state, &ShopRules::default(), self.clock().today, qty)
                {
                    let id = self.orders.len() as u32;
                    let promised = o.eta.map(|e| e.date);
                    let order = Order {
                        id,
                        quantity: q,
                        allocated: 0,
                        cancelled: false,
                        promised,
                        projected: promised,
                        early: false,
                    };
                    self.orders.push(order);
                }
                self.apply(Op::Recheck)
            }
            Step::Receive(u) => self.apply(Op::Receive { units: u }),
            Step::SetOnHand(n) => self.apply(Op::SetOnHand { on_hand: n }),
            Step::Cancel(i) => {
                let id = i as u32;
                self.apply(Op::Cancel { id })
            }
            Step::Signup(n) => {
                self.waiting += n;
                Ok(())
            }
            Step::Po(q, d) => {
                self.incoming.push(IncomingPo { quantity: q, expected: self.clock().today.add_days(d) });
                self.apply(Op::Recheck)
            }
            Step::Time(m) => {
                self.minutes += m;
                // A purchase order not received by its date is late, not arrived.
                self.apply(Op::Continue)?;
                // Re-running the same step changes nothing and sends nothing twice.
                let f = self.facts();
                let again = plan(&f, &Op::Recheck, &ShopRules::default(), &self.rules, self.clock()).expect("ok");
                prop_assert!(again.promises.is_empty(), "a recheck right after a recheck changed something");
                Ok(())
            }
        }
    }
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::Deny),
        proptest::option::of(1u32..15).prop_map(|cap| Policy::Backorder { cap }),
        (0u32..6, proptest::option::of(1u32..15)).prop_map(|(d, cap)| Policy::Preorder { release: day(d), cap }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Units are conserved, allocation is FIFO, waves never exceed ceil(ratio × units
    /// announced), preorders are never allocated before release, and every slip past a
    /// promise owes exactly one notice, over any sequence of operations.
    #[test]
    fn stock_plans_keep_the_invariants(
        policy in policy(),
        lead in proptest::option::of(1u16..20),
        permille in 100u32..4000,
        holds in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let rules = ReleaseRules {
            ratio: Ratio::from_permille(permille).expect("valid"),
            hold_hours: holds.then_some(24),
            interval_minutes: 60,
        };
        let mut world = World {
            settings: ProductSettings { lead_time_days: lead, ..settings(policy) },
            on_hand: 0,
            orders: Vec::new(),
            incoming: Vec::new(),
            waiting: 0,
            release: None,
            window_units: 0,
            window_notified: 0,
            minutes: 0,
            received: 0,
            removed: 0,
            notices: BTreeSet::new(),
            rules,
        };
        for s in &steps {
            world.run(s)?;
        }
    }
}
