//! Regular updates to shoppers waiting on a backorder: when the next status email is
//! due, on a cadence the shop sets, and only when nothing else reached the shopper in
//! that time (a confirmation, a delay notice, a partial allocation's news).
//!
//! Each open backorder carries a *base*: the last time the shopper heard from us as far
//! as these updates know (its placing, the last update, or a later email found when it
//! was last looked at). An update is due when a whole period has passed since the later
//! of the base and the last email sent about it. Each update is numbered by the period
//! it falls in since the order was placed, which the Worker uses in its dedupe key: one
//! email per backorder and period, whatever runs twice.

use crate::date::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// What to do about one open backorder now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateDue {
    /// Send the update for period `period` (1 = the first full period after placing);
    /// the base becomes now.
    Send { period: u32 },
    /// Nothing yet: the base becomes `base` (the last contact), and the next look is
    /// due a period after it.
    NotYet { base: Timestamp },
}

/// The cadence: every `days` days while waiting (1 to 90), or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence(u16);

impl Cadence {
    /// `0` is off; 1 to 90 days otherwise.
    pub fn from_days(days: i64) -> Result<Option<Cadence>, crate::InvalidInput> {
        match days {
            0 => Ok(None),
            1..=90 => Ok(Some(Cadence(days as u16))),
            _ => Err(crate::InvalidInput::Range { field: "status_update_days", detail: "0 (off) or 1 to 90" }),
        }
    }

    pub fn days(self) -> u16 {
        self.0
    }

    fn period_ms(self) -> i64 {
        i64::from(self.0) * DAY_MS
    }
}

/// Whether an update is due for a backorder placed at `placed`, with update base
/// `base` and the last email about it at `last_sent` (if any), at `now`.
pub fn update_due(
    cadence: Cadence,
    placed: Timestamp,
    base: Timestamp,
    last_sent: Option<Timestamp>,
    now: Timestamp,
) -> UpdateDue {
    let contact = last_sent.map_or(base, |s| s.max(base)).max(placed);
    if now.millis() - contact.millis() < cadence.period_ms() {
        return UpdateDue::NotYet { base: contact };
    }
    let elapsed = (now.millis() - placed.millis()).max(0);
    let period = u32::try_from(elapsed / cadence.period_ms()).unwrap_or(u32::MAX).max(1);
    UpdateDue::Send { period }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::prelude::*;

    fn at(day: i64, hour: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + day * DAY_MS + hour * 3_600_000)
    }

    fn every(days: i64) -> Cadence {
        Cadence::from_days(days).expect("valid").expect("on")
    }

    #[test]
    fn every_fourteen_days_unless_something_else_was_sent() {
        let c = every(14);
        let placed = at(0, 0);
        assert_eq!(update_due(c, placed, placed, Some(placed), at(13, 23)), UpdateDue::NotYet { base: placed });
        assert_eq!(update_due(c, placed, placed, Some(placed), at(14, 0)), UpdateDue::Send { period: 1 });
        // A delay notice on day 10 pushes the first update to day 24.
        let notice = at(10, 0);
        assert_eq!(update_due(c, placed, placed, Some(notice), at(20, 0)), UpdateDue::NotYet { base: notice });
        assert_eq!(update_due(c, placed, notice, Some(notice), at(24, 0)), UpdateDue::Send { period: 1 });
        // After the update on day 24 (base 24), the next is on day 38, in period 2.
        assert_eq!(update_due(c, placed, at(24, 0), Some(at(24, 0)), at(38, 0)), UpdateDue::Send { period: 2 });
        assert_eq!(Cadence::from_days(0), Ok(None));
        for bad in [-1, 91] {
            let e = Cadence::from_days(bad).expect_err("out of range");
            assert_eq!((e.code(), e.field()), ("out_of_range", "status_update_days"));
        }
    }

    proptest! {
        /// Following the rule (moving the base as it says) never sends two updates
        /// within one period of each other or of any other email, never one in the
        /// first period, and never leaves a whole period plus a check interval without
        /// one while nothing else is sent.
        #[test]
        fn updates_are_spaced_and_never_missed(
            days in 1i64..30,
            others in prop::collection::vec(0i64..2000, 0..6),
            step_hours in 1i64..12,
        ) {
            let c = every(days);
            let placed = at(0, 0);
            let others: Vec<Timestamp> = others.into_iter().map(|h| at(0, h)).collect();
            let mut base = placed;
            let mut sent: Vec<Timestamp> = vec![placed];
            let mut periods = Vec::new();
            let mut hour = 0;
            while hour < 2200 {
                let now = at(0, hour);
                let arrived: Vec<Timestamp> = others.iter().copied().filter(|o| *o <= now && !sent.contains(o)).collect();
                sent.extend(arrived);
                let last = sent.iter().copied().filter(|s| *s <= now).max();
                match update_due(c, placed, base, last, now) {
                    UpdateDue::Send { period } => {
                        let gap = now.millis() - last.map_or(placed, |l| l.max(placed)).millis();
                        prop_assert!(gap >= c.period_ms(), "too soon after the last email");
                        prop_assert!(period >= 1 && !periods.contains(&period), "one per period: {periods:?} + {period}");
                        periods.push(period);
                        sent.push(now);
                        base = now;
                    }
                    UpdateDue::NotYet { base: b } => {
                        let gap = now.millis() - last.map_or(placed, |l| l.max(placed)).millis();
                        prop_assert!(gap < c.period_ms());
                        prop_assert!(b >= base, "the base only moves forward");
                        base = b;
                    }
                }
                hour += step_hours;
            }
        }
    }
}
