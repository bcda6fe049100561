//! Waitlist signups, their signed links, and the merchant's listing.

pub mod api;
