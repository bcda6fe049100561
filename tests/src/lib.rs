//! End-to-end test support for Restock, and the dev-server harness `cargo xtask` uses.
//!
//! - [`server`]: start the *built* Worker under `wrangler dev` (real workerd, local D1,
//!   KV and Queues) on a chosen port with its own state directory; apply migrations;
//!   stop the whole process group.
//! - [`client`]: a small HTTP client for the API (status codes are data, not errors).
//! - [`browser`]: a W3C WebDriver client for headless Chromium via chromedriver.
//! - [`dashboard`]: driving the merchant dashboard in Chromium (sign in, read, axe).
//! - [`shopsite`]: a merchant's own site on another origin, embedding the widget.
//! - [`providers`]: stand-ins for Resend, Postmark, SendGrid, Mailgun and Amazon SES
//!   that check each request as the provider documents it and fail on command.
//! - [`hooks`]: a merchant's webhook receiver, and the Standard Webhooks check its
//!   library would make.
//! - [`platforms`]: stand-ins for Shopify's, WooCommerce's and BigCommerce's Admin
//!   APIs (checking auth and paths as documented, failing on command), and their
//!   webhooks signed as each platform signs them.
//! - [`stub`]: the HTTP plumbing the local stand-in servers share.
//! - [`widget`]: reading the widget in a page (shadow DOM, axe-core, bidi order).
//! - [`env`]: what `cargo xtask test` hands the tests (URL, operator token, demo key).

pub mod browser;
pub mod client;
pub mod dashboard;
pub mod env;
pub mod hooks;
pub mod links;
pub mod mailbox;
pub mod mailserver;
pub mod platforms;
pub mod providers;
pub mod server;
pub mod shopsite;
pub mod sizes;
pub mod stub;
pub mod twilio;
pub mod widget;
