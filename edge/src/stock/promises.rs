//! Delay detection on a schedule: time passing (a purchase order now overdue, a lead
//! time run out) can move ship dates with no change to stock. It is the stock plan
//! `Op::Recheck`, committed like every other change, so a promise update and its delay
//! notice are in one batch, and two concurrent rechecks cannot both send one (the
//! second is planned again from what the first wrote, and finds nothing to do).
//!
//! The rules (in `restock_shared::plan`): a later date than promised, or no date any
//! more, is a delay: the promise becomes the new date (or unknown), the row is
//! flagged, and the shopper is owed one delay notice with a one-click cancel, named by
//! the old and the new promise. Where nothing was promised and a date now exists, that
//! date becomes the promise, so a later slip from it is caught.

use restock_shared::{Op, Sku};

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::shops::ShopRow;
use crate::stock::commit::{self, Change};

/// What a recheck found.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Rechecked {
    pub open: u32,
    pub changed: usize,
    pub delayed: usize,
}

pub async fn recheck(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<Rechecked, ApiError> {
    let c = commit::commit(ctx, shop, sku, false, |_| Ok(Change::new(Op::Recheck)), |_| Ok(Vec::new())).await?;
    let p = &c.plan;
    Ok(Rechecked {
        open: p.open,
        changed: p.promises.iter().filter(|c| c.projected != c.projected_before).count(),
        delayed: p.delays(),
    })
}
