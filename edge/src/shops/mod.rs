//! Shops (tenants): their settings, secret keys and public face, and the operator
//! endpoint that creates them.

pub mod api;
pub mod auth;
pub mod cache;
pub mod settings;
pub mod store;

pub use store::{ShopRow, load_shop};
