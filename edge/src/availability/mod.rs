//! Public availability reads: one SKU, or a bounded batch for collection pages.

pub mod alternatives;
pub mod api;
pub mod says;
