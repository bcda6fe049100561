//! Products, stock and purchase orders: the facts availability is computed from,
//! and the merchant operations that change them.

pub mod api;
pub mod commit;
pub mod promises;
pub mod store;

pub use store::{ProductFacts, load_products};
