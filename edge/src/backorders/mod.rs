//! Backorders and preorders: placing them (public), cancelling them (shopper link or
//! merchant), and the merchant's listing.

pub mod admin;
pub mod cancel;
pub mod place;
