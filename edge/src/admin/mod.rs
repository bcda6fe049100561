//! Merchant-wide admin endpoints: insights, exports, erasure, the audit log.

pub mod api;
pub mod audit;
