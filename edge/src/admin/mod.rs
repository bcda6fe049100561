//! Merchant-wide admin endpoints: insights, exports, erasure, the audit log, the
//! service desk.

pub mod api;
pub mod audit;
pub mod desk;
