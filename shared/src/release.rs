//! Waitlist release: when units become sellable, notify the oldest subscribers in
//! waves of at most ceil(ratio x units), re-checking stock before each next wave and
//! stopping when it is sold out. With claim holds, each notified subscriber gets one
//! unit held for them, so a wave never exceeds the units there are to hold.

use crate::date::Timestamp;
use crate::input::InvalidInput;

/// Subscribers notified per sellable unit, in thousandths (1000 = 1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ratio(u32);

impl Ratio {
    pub const ONE: Ratio = Ratio(1000);
    pub const MIN_PERMILLE: u32 = 100;
    pub const MAX_PERMILLE: u32 = 10_000;

    /// From thousandths: 100 (0.1) to 10 000 (10.0).
    pub fn from_permille(permille: u32) -> Result<Ratio, InvalidInput> {
        if (Self::MIN_PERMILLE..=Self::MAX_PERMILLE).contains(&permille) {
            Ok(Ratio(permille))
        } else {
            Err(InvalidInput::Range { field: "release_ratio", detail: "0.1 to 10" })
        }
    }

    pub fn permille(self) -> u32 {
        self.0
    }

    /// ceil(ratio x units), in integers so it is exact.
    pub fn apply(self, units: u32) -> u32 {
        let product = u64::from(self.0) * u64::from(units);
        u32::try_from(product.div_ceil(1000)).unwrap_or(u32::MAX)
    }
}

impl Default for Ratio {
    fn default() -> Self {
        Ratio::ONE
    }
}

/// A shop's release settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseRules {
    pub ratio: Ratio,
    /// Hold one unit per notified subscriber for this many hours (`None`: no holds).
    pub hold_hours: Option<u16>,
    /// Minutes between waves.
    pub interval_minutes: u32,
}

impl Default for ReleaseRules {
    fn default() -> Self {
        ReleaseRules { ratio: Ratio::ONE, hold_hours: None, interval_minutes: 60 }
    }
}

/// What to do now for one SKU's waitlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wave {
    /// Notify the `count` oldest subscribers not yet notified.
    Notify {
        count: u32,
        /// Each recipient's held unit expires at this instant.
        hold_until: Option<Timestamp>,
        /// Re-check stock for the next wave no earlier than this.
        next_check_at: Timestamp,
    },
    /// Nothing sellable: stop (a later restock starts a new release).
    SoldOut,
    /// Stock remains but everyone has been notified.
    NobodyWaiting,
}

/// Plans the next wave from the units sellable *now* (after holds) and how many
/// subscribers are still waiting to be notified.
pub fn plan_wave(sellable: u32, waiting: u32, rules: &ReleaseRules, now: Timestamp) -> Wave {
    if sellable == 0 {
        return Wave::SoldOut;
    }
    if waiting == 0 {
        return Wave::NobodyWaiting;
    }
    let mut count = rules.ratio.apply(sellable).min(waiting);
    let hold_until = rules.hold_hours.map(|h| {
        count = count.min(sellable);
        now.plus_hours(u32::from(h))
    });
    Wave::Notify { count, hold_until, next_check_at: now.plus_minutes(rules.interval_minutes) }
}

/// One waitlist subscriber, in signup order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiter<Id> {
    pub id: Id,
    pub notified: bool,
}

/// The recipients of a wave: the `count` oldest not yet notified.
pub fn recipients<Id>(subscribers: &[Waiter<Id>], count: u32) -> impl Iterator<Item = &Id> {
    subscribers.iter().filter(|w| !w.notified).take(count as usize).map(|w| &w.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        Timestamp::from_millis(1_795_000_000_000)
    }

    fn rules(permille: u32, hold_hours: Option<u16>) -> ReleaseRules {
        ReleaseRules { ratio: Ratio::from_permille(permille).expect("valid"), hold_hours, interval_minutes: 30 }
    }

    fn count(wave: Wave) -> u32 {
        match wave {
            Wave::Notify { count, .. } => count,
            Wave::SoldOut | Wave::NobodyWaiting => 0,
        }
    }

    #[test]
    fn ratio_rounds_up() {
        assert_eq!(Ratio::ONE.apply(10), 10);
        assert_eq!(Ratio::from_permille(1500).map(|r| r.apply(3)), Ok(5));
        assert_eq!(Ratio::from_permille(250).map(|r| r.apply(1)), Ok(1));
        assert_eq!(Ratio::from_permille(10_000).map(|r| r.apply(u32::MAX)), Ok(u32::MAX));
        assert!(Ratio::from_permille(99).is_err());
        assert!(Ratio::from_permille(10_001).is_err());
    }

    #[test]
    fn ten_units_notify_the_ten_oldest() {
        let subs: Vec<Waiter<u32>> = (0..50).map(|id| Waiter { id, notified: false }).collect();
        let wave = plan_wave(10, 50, &ReleaseRules::default(), now());
        assert_eq!(count(wave), 10);
        let picked: Vec<u32> = recipients(&subs, count(wave)).copied().collect();
        assert_eq!(picked, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn next_wave_skips_the_notified_and_rechecks_stock() {
        let subs: Vec<Waiter<u32>> = (0..50).map(|id| Waiter { id, notified: id < 10 }).collect();
        let picked: Vec<u32> =
            recipients(&subs, count(plan_wave(4, 40, &ReleaseRules::default(), now()))).copied().collect();
        assert_eq!(picked, vec![10, 11, 12, 13]);
        assert_eq!(plan_wave(0, 40, &ReleaseRules::default(), now()), Wave::SoldOut);
        assert_eq!(plan_wave(3, 0, &ReleaseRules::default(), now()), Wave::NobodyWaiting);
    }

    #[test]
    fn waves_are_scheduled_and_holds_expire() {
        let wave = plan_wave(2, 9, &rules(2000, Some(24)), now());
        assert_eq!(
            wave,
            Wave::Notify { count: 2, hold_until: Some(now().plus_hours(24)), next_check_at: now().plus_minutes(30) },
            "with holds, a wave never exceeds the units to hold"
        );
        assert_eq!(count(plan_wave(2, 9, &rules(2000, None), now())), 4);
    }

    proptest! {
        #[test]
        fn a_wave_never_exceeds_ratio_times_units(
            sellable in 0u32..10_000, waiting in 0u32..20_000,
            permille in 100u32..=10_000, hold in proptest::option::of(1u16..72),
        ) {
            let r = rules(permille, hold);
            let n = count(plan_wave(sellable, waiting, &r, now()));
            let bound = (u64::from(permille) * u64::from(sellable)).div_ceil(1000);
            prop_assert!(u64::from(n) <= bound);
            prop_assert!(n <= waiting);
            if hold.is_some() { prop_assert!(n <= sellable); }
            if sellable > 0 && waiting > 0 { prop_assert!(n >= 1); }
        }

        #[test]
        fn recipients_are_the_oldest_unnotified(flags in proptest::collection::vec(any::<bool>(), 0..60), n in 0u32..70) {
            let subs: Vec<Waiter<usize>> = flags.iter().enumerate().map(|(id, &notified)| Waiter { id, notified }).collect();
            let picked: Vec<usize> = recipients(&subs, n).copied().collect();
            prop_assert!(picked.len() <= n as usize);
            prop_assert!(picked.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(picked.iter().all(|&i| !subs[i].notified));
            if let Some(&last) = picked.last() {
                let skipped = subs[..last].iter().filter(|w| !w.notified && !picked.contains(&w.id)).count();
                prop_assert_eq!(skipped, 0, "nobody older was passed over");
            }
        }
    }
}
