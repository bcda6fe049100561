//! Rules for a shop whose platform (Shopify, WooCommerce, BigCommerce) is the source of
//! stock and orders.
//!
//! **Stock.** The platform's available count already has every platform order taken
//! off it, including orders Restock holds as backorders (they drive it below zero).
//! So the units Restock has on hand (not yet set aside for an order) are the
//! platform's available count plus the units still owed to the platform's own open
//! backorders, never below zero ([`on_hand_target`]). A backorder placed after the
//! platform counted its stock is not in that count yet, and is not added back:
//! otherwise a level read just before an order would put phantom units on hand and
//! allocate them. Whatever the order in which webhooks arrive, the sum settles on the
//! right value, and a change of it is a stock plan like any other (an increase is
//! stock arriving, allocated first come, first served).
//!
//! **Orders.** A line of a platform order becomes a backorder when the shopper asked
//! for one (the widget's `_restock` line property) or when the product takes
//! backorders or preorders and Restock has fewer free units than the line asks for
//! ([`line_kind`]); otherwise it is a sale, recorded for attribution only (the
//! platform's own stock webhook carries its effect on stock).
//!
//! Also here: reading the platforms' timestamps (RFC 3339 with or without an offset,
//! RFC 2822), since the domain crate reads no clock and has no date library.

use crate::date::{Date, Timestamp};
use crate::wire::StatusCode;

/// One open backorder that came from the platform, as the stock target counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlatformOwed {
    /// When the platform took the order.
    pub ordered_at: Timestamp,
    /// Units still owed to it.
    pub outstanding: u32,
}

/// Units on hand for a SKU whose platform count is `available` (the sum over the
/// locations followed), counted at `counted_at` (the oldest of those locations'
/// counts), given the platform's open backorders.
pub fn on_hand_target(available: i64, counted_at: Timestamp, owed: &[PlatformOwed]) -> u32 {
    let counted: i64 = owed.iter().filter(|o| o.ordered_at <= counted_at).map(|o| i64::from(o.outstanding)).sum();
    u32::try_from(available.saturating_add(counted).max(0)).unwrap_or(u32::MAX)
}

/// What a line of a platform order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Queued in Restock's backorder queue (first come, first served).
    Backorder,
    /// An ordinary sale.
    Sale,
}

/// Decides a line: `asked` is whether the line carries the widget's backorder
/// property, `status` the SKU's shopper-facing status now, `orders_allowed` whether
/// its policy takes backorders or preorders, `free` its units free to sell.
pub fn line_kind(asked: bool, status: StatusCode, orders_allowed: bool, free: u32, quantity: u32) -> LineKind {
    if !orders_allowed {
        return LineKind::Sale;
    }
    match status {
        StatusCode::Backorder | StatusCode::Preorder => LineKind::Backorder,
        _ if asked || free < quantity => LineKind::Backorder,
        _ => LineKind::Sale,
    }
}

const DAY_MS: i64 = 86_400_000;

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0i64, |acc, &c| acc.checked_mul(10)?.checked_add(i64::from(c - b'0')))
}

fn instant(date: Date, h: i64, m: i64, s: i64, offset_minutes: i64) -> Option<Timestamp> {
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let day = i64::from(date.days_since_epoch()) * DAY_MS;
    Some(Timestamp::from_millis(day + ((h * 60 + m - offset_minutes) * 60 + s) * 1000))
}

/// RFC 3339 / ISO 8601 date-time: `2026-12-01T09:30:00Z`, `...+01:00`, with optional
/// fractional seconds; without an offset the time is UTC (WooCommerce's `_gmt`
/// fields).
pub fn parse_iso(input: &str) -> Option<Timestamp> {
    let b = input.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = Date::parse(input.get(..10)?).ok()?;
    let (h, m, s) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    instant(date, h, m, s, offset)
}

/// RFC 2822 date-time as BigCommerce's v2 API writes it: `Tue, 20 Nov 2012 00:00:00 +0000`.
pub fn parse_rfc2822(input: &str) -> Option<Timestamp> {
    let rest = input.split_once(", ").map_or(input, |(_, r)| r);
    let mut parts = rest.split(' ');
    let (day, month, year, time, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let date = Date::from_ymd(
        i32::try_from(digits(year.as_bytes())?).ok()?,
        month,
        u32::try_from(digits(day.as_bytes())?).ok()?,
    )
    .ok()?;
    let t = time.as_bytes();
    if t.len() != 8 || t[2] != b':' || t[5] != b':' {
        return None;
    }
    let z = zone.as_bytes();
    let offset = match z {
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 4 => {
            let minutes = digits(&rest[..2])? * 60 + digits(&rest[2..])?;
            if *sign == b'-' { -minutes } else { minutes }
        }
        b"GMT" | b"UT" => 0,
        _ => return None,
    };
    instant(date, digits(&t[..2])?, digits(&t[3..5])?, digits(&t[6..])?, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        parse_iso(s).expect(s)
    }

    fn owed(at: &str, outstanding: u32) -> PlatformOwed {
        PlatformOwed { ordered_at: ts(at), outstanding }
    }

    #[test]
    fn on_hand_follows_the_platform_plus_what_its_backorders_are_owed() {
        let t = |s| ts(s);
        // A backorder of 3 taken the platform to -3: nothing on hand.
        assert_eq!(on_hand_target(-3, t("2027-01-02T10:00:00Z"), &[owed("2027-01-02T09:00:00Z", 3)]), 0);
        // 10 arrive: -3 becomes 7; the 3 owed are still owed, so 10 are on hand (3 go to the queue).
        assert_eq!(on_hand_target(7, t("2027-01-03T10:00:00Z"), &[owed("2027-01-02T09:00:00Z", 3)]), 10);
        // A level counted before the order does not include it: not added back.
        assert_eq!(on_hand_target(0, t("2027-01-02T08:00:00Z"), &[owed("2027-01-02T09:00:00Z", 3)]), 0);
        // 2 were free when an order of 5 came: -3 + 5 owed = 2 on hand, which go to the queue.
        assert_eq!(on_hand_target(-3, t("2027-01-02T10:00:00Z"), &[owed("2027-01-02T09:00:00Z", 5)]), 2);
        assert_eq!(on_hand_target(-10, t("2027-01-02T10:00:00Z"), &[]), 0);
    }

    #[test]
    fn lines_become_backorders_only_where_the_product_takes_them() {
        use StatusCode::*;
        assert_eq!(line_kind(false, Backorder, true, 0, 1), LineKind::Backorder);
        assert_eq!(line_kind(false, Preorder, true, 0, 1), LineKind::Backorder);
        assert_eq!(line_kind(true, InStock, true, 10, 1), LineKind::Backorder, "the shopper asked for one");
        assert_eq!(line_kind(false, LowStock, true, 2, 5), LineKind::Backorder, "more than is free");
        assert_eq!(line_kind(false, InStock, true, 10, 5), LineKind::Sale);
        assert_eq!(line_kind(true, OutOfStock, false, 0, 1), LineKind::Sale, "deny takes no backorders");
    }

    #[test]
    fn platform_timestamps_parse() {
        let utc = ts("2021-12-31T19:00:00Z").millis();
        assert_eq!(ts("2021-12-31T19:00:00-05:00").millis(), utc + 5 * 3_600_000);
        assert_eq!(ts("2021-12-31T19:00:00").millis(), utc, "no offset is UTC");
        assert_eq!(ts("2021-12-31T19:00:00.123+00:00").millis(), utc);
        for bad in ["2021-12-31", "2021-12-31T25:00:00Z", "2021-12-31T19:00:00+5", "x", "2021-12-31T19:00:00.Z"] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
        let t = parse_rfc2822("Tue, 20 Nov 2012 00:00:00 +0000").map(Timestamp::millis);
        assert_eq!(t, Some(ts("2012-11-20T00:00:00Z").millis()));
        let t = parse_rfc2822("Tue, 20 Nov 2012 01:00:00 +0100").map(Timestamp::millis);
        assert_eq!(t, Some(ts("2012-11-20T00:00:00Z").millis()));
        assert_eq!(parse_rfc2822("20 Nov 2012"), None);
        assert_eq!(parse_rfc2822("Tue, 31 Feb 2012 00:00:00 +0000"), None);
    }
}
