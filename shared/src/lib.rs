//! Restock's domain: the rules of back-in-stock, backorders and preorders, with no I/O.
//!
//! Everything here is pure: time comes in as a parameter (`today: Date`, `now:
//! Timestamp`), ids come in from the caller, decisions come out as values (an
//! `Availability`, an `Allocation` with its events, a `Wave` plan, `Projection`s).
//! The Worker (`edge/`) executes those decisions against D1, KV and Queues; the widget
//! (`widget/`) renders them. Both compile this crate to wasm32; its tests run natively.
//!
//! Map of the rules:
//! - [`input`]: parsed request values (`ShopId`, `Sku`, `Email`, `Quantity`, `Locale`)
//!   with stable error codes.
//! - [`policy`]: a product's selling policy and the stock facts rules apply to.
//! - [`availability`]: the shopper-facing status and whether an order may be placed.
//! - [`eta`]: the restock date for an order of q units behind the queue.
//! - [`allocation`]: received units to the queue, first come first served; cancellation.
//! - [`release`]: waitlist waves of at most ceil(ratio x units).
//! - [`delay`]: re-projecting promised dates after a change.
//! - [`plan`]: every stock operation as one plan (allocation, on hand, wave, promises),
//!   which the Worker executes and previews.
//! - [`forecast`]: demand per day, safety stock, reorder point and suggested order.
//! - [`updates`]: when a waiting backorder's next regular status email is due.
//! - [`wire`]: the public API's JSON shapes, shared by the Worker and the widget.
//! - [`groups`]: customer groups (B2B/B2C): rules per group and the signed group token.
//! - [`platform`]: a connected platform's stock and order lines as Restock sees them.
//! - [`attribution`]: crediting a sale to a notification (direct or assisted).
//! - [`import`]: the generic import's CSV.
//! - [`say`]: what the storefront says about a product (status, dates, places), per
//!   language.

// No std: the widget links this crate into a `no_std` wasm (no panic-message
// formatting; see widget/src/lib.rs), so it uses `core` and `alloc` only. Every module
// takes `String`, `Vec` and friends from `prelude`.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

/// What std's prelude would give every module: `use crate::prelude::*;`.
mod prelude {
    #[allow(unused_imports)]
    pub(crate) use alloc::{
        borrow::ToOwned,
        boxed::Box,
        format,
        string::{String, ToString},
        vec,
        vec::Vec,
    };
}

pub mod allocation;
pub mod attribution;
pub mod availability;
pub mod date;
pub mod delay;
pub mod eta;
pub mod forecast;
pub mod groups;
pub mod import;
pub mod input;
pub mod phone;
pub mod plan;
pub mod platform;
pub mod policy;
pub mod release;
pub mod say;
pub mod updates;
pub mod wire;

pub use allocation::{Allocation, AllocationEvent, CancelError, Cancellation, allocate, cancel, position};
pub use availability::{
    Availability, OrderError, OrderKind, OrderPlan, ProductState, Status, availability, check_order,
};
pub use date::{Date, DateError, Timestamp};
pub use delay::{Projection, project};
pub use eta::{EtaBasis, RestockEta, Supply};
pub use forecast::{DemandHistory, Forecast, ForecastError, Position, ServiceLevel, forecast, z_score};
pub use input::{
    Email, EmailError, InvalidInput, Lang, Locale, Quantity, ShopId, Sku, clean_text, header_text, is_line_break,
};
pub use plan::{Clock, Facts, Op, OpenOrder, OpenRelease, PlanError, PromiseChange, ReleasePlan, StockPlan, plan};
pub use policy::{IncomingPo, Policy, ProductSettings, QueuedOrder, ShopRules, Stock, outstanding};
pub use release::{Ratio, ReleaseRules, Waiter, Wave, plan_wave, recipients};
pub use updates::{Cadence, UpdateDue, update_due};
