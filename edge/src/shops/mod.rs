//! Shops (tenants): their settings, their secret keys, and the operator endpoint
//! that creates them.

pub mod store;

pub use store::{ShopRow, load_shop};
