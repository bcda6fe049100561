//! Merchant-wide admin endpoints: insights, exports, erasure.

pub mod api;
