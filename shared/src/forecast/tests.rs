use proptest::prelude::*;

use super::*;
use crate::prelude::*;

/// Quantiles of the standard normal distribution (Python's `statistics.NormalDist`,
/// itself checked against Wichura's AS241).
const KNOWN: &[(f64, f64)] = &[
    (0.5, 0.0),
    (0.8, 0.841_621_233_572_914_4),
    (0.9, 1.281_551_565_544_600_8),
    (0.95, 1.644_853_626_951_471_5),
    (0.975, 1.959_963_984_540_053_6),
    (0.99, 2.326_347_874_040_840_8),
    (0.995, 2.575_829_303_548_9),
    (0.999, 3.090_232_306_167_813),
    (0.01, -2.326_347_874_040_840_8),
    (0.001, -3.090_232_306_167_813),
    // The boundary between Acklam's central and tail regions.
    (0.024_25, -1.972_961_051_311_884_5),
];

#[test]
fn z_scores_match_the_normal_distributions_quantiles() {
    for &(p, z) in KNOWN {
        assert!((z_score(p) - z).abs() < 1e-8, "z({p}) = {} (expected {z})", z_score(p));
    }
    assert!((ServiceLevel::DEFAULT.z() - 1.644_853_6).abs() < 1e-6);
    assert_eq!(z_score(f64::NAN), 0.0, "never NaN");
    assert!(z_score(0.0).is_finite() && z_score(1.0).is_finite(), "clamped inside (0, 1)");
}

#[test]
fn service_levels_are_half_to_nine_hundred_ninety_nine_thousandths() {
    assert!(ServiceLevel::from_permille(499).is_err());
    assert!(ServiceLevel::from_permille(1000).is_err());
    let e = ServiceLevel::from_permille(1000).expect_err("too high");
    assert_eq!((e.code(), e.field()), ("out_of_range", "service_level"));
    assert_eq!(ServiceLevel::from_permille(975).map(ServiceLevel::permille), Ok(975));
}

#[test]
fn the_textbook_case() {
    // 28 days alternating 2 and 4 units: μ = 3, σ = sqrt(28/27) ≈ 1.018.
    let daily: Vec<u32> = (0..28).map(|i| if i % 2 == 0 { 2 } else { 4 }).collect();
    let h = DemandHistory::from_daily(&daily).expect("valid");
    assert!((h.mean() - 3.0).abs() < 1e-12);
    assert!((h.std_dev() - (28.0f64 / 27.0).sqrt()).abs() < 1e-12);
    let f = forecast(&h, Some(9), REVIEW_DAYS, ServiceLevel::DEFAULT, Position { on_hand: 10, incoming: 0, owed: 4 });
    // SS = 1.6449 · 1.0184 · 3 = 5.03 → 6; ROP = 27 + 5.03 = 32.03 → 33.
    assert_eq!((f.safety_stock, f.reorder_point), (Some(6), Some(33)));
    // Position 6 ≤ ROP: order up to 32.03 + 3 · 7 = 53.03, so 47.03 → 48.
    assert_eq!(f.suggested_order, Some(48));
    assert_eq!(f.position, 6);
    let none = forecast(&h, None, REVIEW_DAYS, ServiceLevel::DEFAULT, Position::default());
    assert_eq!((none.safety_stock, none.reorder_point, none.suggested_order), (None, None, None), "no lead time");
    assert!((none.per_day - 3.0).abs() < 1e-12, "the demand estimate needs no lead time");
}

#[test]
fn no_demand_orders_only_what_is_owed() {
    let h = DemandHistory::from_daily(&[0; 56]).expect("valid");
    let f = forecast(&h, Some(14), REVIEW_DAYS, ServiceLevel::DEFAULT, Position { on_hand: 0, incoming: 2, owed: 5 });
    assert_eq!((f.safety_stock, f.reorder_point, f.suggested_order), (Some(0), Some(0), Some(3)));
}

#[test]
fn impossible_moments_are_refused() {
    assert_eq!(DemandHistory::from_moments(0, 0, 0), Err(ForecastError::NoDays));
    assert_eq!(DemandHistory::from_moments(7, 5, 4), Err(ForecastError::Inconsistent), "squares below the sum");
    assert_eq!(DemandHistory::from_moments(2, 10, 40), Err(ForecastError::Inconsistent), "2·40 < 10²");
    assert!(DemandHistory::from_moments(2, 10, 50).is_ok(), "5 and 5");
    assert_eq!(DemandHistory::from_daily(&[]), Err(ForecastError::NoDays));
}

/// The two-pass standard deviation, the way a textbook computes it.
fn two_pass(daily: &[u32]) -> (f64, f64) {
    let n = daily.len() as f64;
    let mean = daily.iter().map(|&u| f64::from(u)).sum::<f64>() / n;
    if daily.len() < 2 {
        return (mean, 0.0);
    }
    let var = daily.iter().map(|&u| (f64::from(u) - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

fn daily() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(prop_oneof![3 => Just(0u32), 5 => 0u32..20, 1 => 0u32..500], 1..120)
}

fn position() -> impl Strategy<Value = Position> {
    (0u32..2000, 0u32..2000, 0u32..2000).prop_map(|(on_hand, incoming, owed)| Position { on_hand, incoming, owed })
}

proptest! {
    /// SQL's aggregates (count, sum, sum of squares) and the series agree, with days
    /// of no demand as zeros whether they are rows or not.
    #[test]
    fn moments_and_series_agree(d in daily(), extra_zero_days in 0u32..60) {
        let mut padded = d.clone();
        padded.extend(std::iter::repeat_n(0, extra_zero_days as usize));
        let series = DemandHistory::from_daily(&padded).expect("valid");
        let sum: u64 = d.iter().map(|&u| u64::from(u)).sum();
        let sum_sq: u64 = d.iter().map(|&u| u64::from(u).pow(2)).sum();
        let moments = DemandHistory::from_moments(padded.len() as u32, sum, sum_sq).expect("whole units");
        prop_assert_eq!(series, moments);
        let (mean, sd) = two_pass(&padded);
        prop_assert!((series.mean() - mean).abs() < 1e-9);
        prop_assert!((series.std_dev() - sd).abs() < 1e-6 * (1.0 + sd), "{} vs {}", series.std_dev(), sd);
    }

    #[test]
    fn z_is_increasing_and_symmetric(a in 1u32..999_999, b in 1u32..999_999) {
        let (p, q) = (f64::from(a.min(b)) / 1e6, f64::from(a.max(b)) / 1e6);
        prop_assert!(z_score(p) <= z_score(q));
        prop_assert!((z_score(p) + z_score(1.0 - p)).abs() < 1e-7);
    }

    /// Safety stock is z·σ·√L: never negative, nothing for steady demand, twice as
    /// much for four times the lead time, and more for a higher service level.
    #[test]
    fn safety_stock_follows_the_formula(d in daily(), lead in 1u16..200, low in 500u16..999, pos in position()) {
        let h = DemandHistory::from_daily(&d).expect("valid");
        let level = ServiceLevel::from_permille(low).expect("in range");
        let f = forecast(&h, Some(lead), REVIEW_DAYS, level, pos);
        let exact = level.z() * h.std_dev() * f64::from(lead).sqrt();
        prop_assert_eq!(f.safety_stock, Some(exact.max(0.0).ceil() as u32));
        let four = level.z() * h.std_dev() * f64::from(lead * 4).sqrt();
        prop_assert!((four - 2.0 * exact).abs() < 1e-6 * (1.0 + exact));
        let higher = ServiceLevel::from_permille(999).expect("in range");
        let f_high = forecast(&h, Some(lead), REVIEW_DAYS, higher, pos);
        prop_assert!(f_high.safety_stock >= f.safety_stock);
        prop_assert!(f_high.reorder_point >= f.reorder_point);
        let steady = DemandHistory::from_daily(&vec![d[0]; d.len()]).expect("valid");
        prop_assert_eq!(forecast(&steady, Some(lead), REVIEW_DAYS, level, pos).safety_stock, Some(0));
    }

    /// The reorder point covers the lead time's mean demand; the suggested order is the
    /// least that brings the position up to the reorder point plus a review period's
    /// demand, and nothing while the position is above the reorder point.
    #[test]
    fn suggested_orders_cover_exactly_what_is_needed(d in daily(), lead in 0u16..120, pos in position()) {
        let h = DemandHistory::from_daily(&d).expect("valid");
        let f = forecast(&h, Some(lead), REVIEW_DAYS, ServiceLevel::DEFAULT, pos);
        let l = f64::from(lead);
        let rop = h.mean() * l + ServiceLevel::DEFAULT.z() * h.std_dev() * l.sqrt();
        prop_assert!(f64::from(f.reorder_point.expect("lead time")) >= h.mean() * l - 1e-9);
        let target = rop + h.mean() * f64::from(REVIEW_DAYS);
        let order = f.suggested_order.expect("lead time");
        let units = pos.units() as f64;
        if units > rop {
            prop_assert_eq!(order, 0);
        } else {
            prop_assert!(units + f64::from(order) >= target - 1e-9, "covers the target");
            prop_assert!(order == 0 || units + f64::from(order) - 1.0 < target + 1e-9, "and no more");
        }
        // More stock never asks for more.
        let richer = Position { on_hand: pos.on_hand + 1, ..pos };
        let g = forecast(&h, Some(lead), REVIEW_DAYS, ServiceLevel::DEFAULT, richer);
        prop_assert!(g.suggested_order <= f.suggested_order);
    }
}
