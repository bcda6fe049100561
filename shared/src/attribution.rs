//! Which restock notification a sale is credited to, in windows like Klaviyo's: an
//! order placed within `click_days` of the buyer clicking the notification's link is
//! *direct*; one placed within `delivery_days` of the notification being delivered,
//! without a click, is *assisted*; anything later is the shop's own. Both windows are
//! the merchant's (0 turns one off); the defaults are 5 days and 1 day.

use crate::date::Timestamp;

/// The attribution windows, in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    pub click_days: u16,
    pub delivery_days: u16,
}

impl Windows {
    /// The longest window a merchant may set.
    pub const MAX_DAYS: u16 = 30;
}

impl Default for Windows {
    fn default() -> Self {
        Windows { click_days: 5, delivery_days: 1 }
    }
}

/// How a sale is credited to a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribution {
    /// Bought after clicking the notification, within the click window.
    Direct,
    /// Bought after the notification was delivered, within the delivery window, without
    /// (a counted) click.
    Assisted,
}

impl Attribution {
    pub fn name(self) -> &'static str {
        match self {
            Attribution::Direct => "direct",
            Attribution::Assisted => "assisted",
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// The credit for an order placed at `order_at` by a shopper whose notification was
/// delivered at `delivered_at` and whose link was first clicked at `clicked_at`.
/// Events after the order never count.
pub fn attribute(
    order_at: Timestamp,
    delivered_at: Option<Timestamp>,
    clicked_at: Option<Timestamp>,
    w: Windows,
) -> Option<Attribution> {
    let within = |at: Option<Timestamp>, days: u16| {
        at.is_some_and(|t| t <= order_at && order_at.millis() - t.millis() <= i64::from(days) * DAY_MS && days > 0)
    };
    if within(clicked_at, w.click_days) {
        Some(Attribution::Direct)
    } else if within(delivered_at, w.delivery_days) {
        Some(Attribution::Assisted)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + hours * H)
    }

    fn check(delivered: Option<i64>, clicked: Option<i64>, order: i64, w: Windows, expected: Option<Attribution>) {
        assert_eq!(
            attribute(at(order), delivered.map(at), clicked.map(at), w),
            expected,
            "{delivered:?} {clicked:?} {order}"
        );
    }

    #[test]
    fn clicks_count_for_five_days_and_deliveries_for_one() {
        let w = Windows::default();
        use Attribution::{Assisted, Direct};
        check(Some(0), Some(1), 2, w, Some(Direct));
        check(Some(0), Some(1), 1 + 120, w, Some(Direct));
        check(Some(0), Some(1), 1 + 121, w, None);
        check(Some(0), None, 24, w, Some(Assisted));
        check(Some(0), None, 25, w, None);
        // A click outside its window leaves the delivery to decide.
        check(Some(0), Some(0), 24, Windows { click_days: 0, delivery_days: 1 }, Some(Assisted));
        // Nothing after the order counts.
        check(Some(5), Some(6), 4, w, None);
        check(None, None, 4, w, None);
        check(Some(0), None, 10, Windows { click_days: 5, delivery_days: 0 }, None);
    }
}
