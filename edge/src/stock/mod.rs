//! Products, stock and purchase orders: the facts availability is computed from,
//! and the merchant operations that change them. Every change is a plan of the
//! domain's (`restock_shared::plan`) carried out by `commit`, the one executor.
//! The API is split by resource: `products`, `receive`, `purchase_orders`, `orders`;
//! `forecast` reads demand for the domain's forecast.

pub mod commit;
pub mod forecast;
pub mod orders;
pub mod products;
pub mod promises;
pub mod purchase_orders;
pub mod receive;
pub mod store;

pub use store::{ProductFacts, load_products};

use restock_shared::{Date, InvalidInput};
use worker::Request;

use crate::error::ApiError;
use crate::http;

fn range(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

fn int(field: &'static str, v: i64, hi: i64) -> Result<u32, ApiError> {
    if (0..=hi).contains(&v) { Ok(v as u32) } else { Err(range(field, "a whole number in range")) }
}

/// A date field of a request body.
fn date(field: &'static str, input: &str) -> Result<Date, InvalidInput> {
    Date::parse(input).map_err(|error| InvalidInput::Date { field, error })
}

fn wants_preview(req: &Request) -> bool {
    http::query_param(req, "preview").is_some_and(|v| v == "1" || v == "true")
}
