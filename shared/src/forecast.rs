//! Demand forecasts and safety stock: how much a product sells per day, how much to
//! keep in reserve for a service level, when to reorder and how much.
//!
//! The inputs are facts the Worker reads (units asked for per day over a window,
//! the supplier's lead time, stock on hand, on order and owed); the answer is a
//! [`Forecast`]. No clock: the window is whatever days the caller counted.
//!
//! The model is the textbook one, stated once here:
//! - demand per day: the mean `μ` and the sample standard deviation `σ` of the daily
//!   totals over the window (days without demand count as zeros);
//! - safety stock `SS = z · σ · √L`, with `L` the lead time in days and `z` the standard
//!   normal quantile of the service level (the chance of not running out during a
//!   lead time);
//! - reorder point `ROP = μ · L + SS`;
//! - inventory position = on hand + on order − owed to open backorders;
//! - the suggested order, when the position is at or below the reorder point, brings
//!   it up to `ROP + μ · R`, with `R` the review period (a week: the supplier digest is
//!   weekly); above the reorder point, nothing.
//!
//! Without a lead time there is no safety stock, reorder point or order: "no data, no
//! number", like the ETA.

use serde::{Deserialize, Serialize};

/// Demand over a window: the number of days, and the sum and sum of squares of the
/// daily totals (so the figures can come from a series or from SQL aggregates alike).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemandHistory {
    days: u32,
    sum: f64,
    sum_sq: f64,
}

/// Why demand figures were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    #[error("a demand window has at least one day")]
    NoDays,
    #[error("daily totals whose squares sum to less than their sum cannot be whole units")]
    Inconsistent,
}

impl DemandHistory {
    /// From each day's total, one entry per day of the window.
    pub fn from_daily(units: &[u32]) -> Result<DemandHistory, ForecastError> {
        let days = u32::try_from(units.len()).map_err(|_| ForecastError::NoDays)?;
        let sum: u64 = units.iter().map(|&u| u64::from(u)).sum();
        let sum_sq: u64 = units.iter().map(|&u| u64::from(u) * u64::from(u)).sum();
        DemandHistory::from_moments(days, sum, sum_sq)
    }

    /// From the window's length and the sum and sum of squares of its daily totals
    /// (days without demand are zeros, so they add nothing to either sum). Refused
    /// when they cannot come from whole daily totals: every unit squared is at least
    /// itself, and by Cauchy–Schwarz `days · sum_sq ≥ sum²`.
    pub fn from_moments(days: u32, sum: u64, sum_sq: u64) -> Result<DemandHistory, ForecastError> {
        if days == 0 {
            return Err(ForecastError::NoDays);
        }
        let (s, q, n) = (sum as f64, sum_sq as f64, f64::from(days));
        if sum_sq < sum || n * q < s * s {
            return Err(ForecastError::Inconsistent);
        }
        Ok(DemandHistory { days, sum: s, sum_sq: q })
    }

    pub fn days(&self) -> u32 {
        self.days
    }

    /// Units over the whole window.
    pub fn total(&self) -> f64 {
        self.sum
    }

    /// Mean units per day.
    pub fn mean(&self) -> f64 {
        self.sum / f64::from(self.days)
    }

    /// Sample standard deviation of the daily totals (0 for a one-day window).
    pub fn std_dev(&self) -> f64 {
        if self.days < 2 {
            return 0.0;
        }
        let n = f64::from(self.days);
        let variance = (self.sum_sq - self.sum * self.sum / n) / (n - 1.0);
        // Rounding can leave a hair below zero for constant demand.
        libm::sqrt(variance.max(0.0))
    }
}

/// The chance of not running out during a lead time, in thousandths: 500 to 999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct ServiceLevel(u16);

impl ServiceLevel {
    /// 95 %, the usual default.
    pub const DEFAULT: ServiceLevel = ServiceLevel(950);

    pub fn from_permille(permille: u16) -> Result<ServiceLevel, crate::InvalidInput> {
        if (500..=999).contains(&permille) {
            Ok(ServiceLevel(permille))
        } else {
            Err(crate::InvalidInput::Range { field: "service_level", detail: "0.5 to 0.999" })
        }
    }

    pub fn permille(self) -> u16 {
        self.0
    }

    pub fn probability(self) -> f64 {
        f64::from(self.0) / 1000.0
    }

    /// The standard normal quantile of this level.
    pub fn z(self) -> f64 {
        z_score(self.probability())
    }
}

impl Default for ServiceLevel {
    fn default() -> Self {
        ServiceLevel::DEFAULT
    }
}

impl TryFrom<u16> for ServiceLevel {
    type Error = crate::InvalidInput;
    fn try_from(v: u16) -> Result<Self, Self::Error> {
        ServiceLevel::from_permille(v)
    }
}

impl From<ServiceLevel> for u16 {
    fn from(v: ServiceLevel) -> u16 {
        v.0
    }
}

/// The standard normal quantile `z` with `P(Z ≤ z) = p`, for `0 < p < 1` (clamped just
/// inside otherwise). Peter Acklam's rational approximation: relative error below
/// 1.15e-9 over the whole range, far finer than any stock figure needs.
pub fn z_score(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const LOW: f64 = 0.024_25;
    let p = if p.is_nan() { 0.5 } else { p.clamp(1e-12, 1.0 - 1e-12) };
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p > 1.0 - LOW {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Stock now: on hand, on order (open purchase orders) and owed to open backorders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub on_hand: u32,
    pub incoming: u32,
    pub owed: u32,
}

impl Position {
    /// On hand + on order − owed (negative when more is owed than there will be).
    pub fn units(self) -> i64 {
        i64::from(self.on_hand) + i64::from(self.incoming) - i64::from(self.owed)
    }
}

/// Days between reviews: the supplier digest is weekly.
pub const REVIEW_DAYS: u16 = 7;

/// What to keep and what to order, for one product.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forecast {
    /// Mean units asked for per day over the window.
    pub per_day: f64,
    /// Sample standard deviation of the daily totals.
    pub std_dev: f64,
    pub service_level: ServiceLevel,
    /// The normal quantile of the service level.
    pub z: f64,
    /// On hand + on order − owed.
    pub position: i64,
    /// The rest needs a lead time (`None`: no lead time, no figure).
    pub lead_time_days: Option<u16>,
    /// Whole units: `ceil(z · σ · √L)`.
    pub safety_stock: Option<u32>,
    /// Whole units: `ceil(μ · L + z · σ · √L)`.
    pub reorder_point: Option<u32>,
    /// Units to order now: up to the reorder point plus a review period's demand, when
    /// the position is at or below the reorder point; else 0.
    pub suggested_order: Option<u32>,
}

fn whole(x: f64) -> u32 {
    // Figures this size are beyond any stock; saturate rather than wrap.
    let up = libm::ceil(x.max(0.0));
    if up >= f64::from(u32::MAX) { u32::MAX } else { up as u32 }
}

/// The forecast for `history` with lead time `lead_time_days`, service level `level`,
/// review period `review_days` and stock `position`.
pub fn forecast(
    history: &DemandHistory,
    lead_time_days: Option<u16>,
    review_days: u16,
    level: ServiceLevel,
    position: Position,
) -> Forecast {
    let (mu, sigma, z) = (history.mean(), history.std_dev(), level.z());
    let units = position.units();
    let mut f = Forecast {
        per_day: mu,
        std_dev: sigma,
        service_level: level,
        z,
        position: units,
        lead_time_days,
        safety_stock: None,
        reorder_point: None,
        suggested_order: None,
    };
    if let Some(lead) = lead_time_days {
        let l = f64::from(lead);
        let safety = z * sigma * libm::sqrt(l);
        let reorder = mu * l + safety;
        let target = reorder + mu * f64::from(review_days);
        let due = (units as f64) <= reorder;
        f.safety_stock = Some(whole(safety));
        f.reorder_point = Some(whole(reorder));
        f.suggested_order = Some(if due { whole(target - units as f64) } else { 0 });
    }
    f
}

#[cfg(test)]
mod tests;
