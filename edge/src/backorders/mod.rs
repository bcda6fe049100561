//! Backorders and preorders: placing them (public), cancelling them (shopper link or
//! merchant), the shopper's own page of them (`mine`), moving one to another SKU
//! (`desk`), and the merchant's listing.

pub mod admin;
pub mod cancel;
pub mod mine;
pub mod place;
