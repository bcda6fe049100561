//! The connectors' subrequest budgets: what a SKU's stock plan, a reconciliation page
//! and the work around them cost in subrequests (measured under `wrangler dev` with
//! the Meter's counts, see README's connectors section), turned into how much of that
//! one invocation can do within its `SUBREQUEST_LIMIT` (50 on the Free plan to 1,000
//! on Paid). Pure arithmetic, tested natively; `sync` and `apply` ask it before they
//! spend, and the Meter (`limits::Meter`) refuses anything past the limit regardless.
//!
//! The costs are upper bounds of what was measured, so a budget that says "fits" is
//! never refused by the Meter. Everything is counted in subrequests: each D1 statement
//! (a batch counts each of its statements), each `fetch`, KV and Queues call.

use crate::connect::Platform;
use crate::connect::apply::{IN_CHUNK, JSON_CHUNK};
use crate::connect::{bigcommerce, shopify, woocommerce};

/// One SKU planned again (`apply::sync_sku`): the platform's sum read (1), the stock
/// commit (its snapshot, a batch of 7; its batch of writes: the swap, the allocation
/// and its notices, the release, promises and webhook events; a release's queue send;
/// the availability's KV read and write; the queue kick) and the sum read again (1).
/// Measured (README): 16 or 17 for a count that allocates nothing, 24 for one that
/// allocates to two backorders and starts a waitlist wave; the allocation's statements
/// do not grow with the queue (completed backorders are one range, and at most one is
/// partly allocated), so 28 leaves a margin.
pub const PLAN: u32 = 28;

/// What a webhook does after its counts are stored and planned: the webhook log's
/// outcome (a batch of 2) and, when SKUs did not fit, their note on the connection (1).
pub const AFTER_HOOK: u32 = 3;

/// What the scheduled run does after the reconciliation, kept for it: the rate-limit
/// prune, the retention purge, the delivery sweep (a batch of 2 and its queue sends).
/// Measured 5 to 10 (README); kept at 12. A resync from the dashboard keeps the same for
/// its answer (three reads and the audit).
pub const AFTER_SYNC: u32 = 12;

/// Storing where a page got (the cursor and the pass's counters): one statement.
pub const SAVE: u32 = 1;

/// What a Shopify variant at more than [`shopify::LEVELS_FIRST`] locations may still
/// cost once its page is read: up to [`shopify::LEVELS_PAGES`] calls for the rest of
/// its locations and, for the up to [`shopify::LEVELS_PAGE`] counts each brings, one
/// more statement to store them.
pub const fn extra_levels() -> u32 {
    shopify::LEVELS_PAGES * 2
}

fn chunks(n: u32, size: usize) -> u32 {
    let size = u32::try_from(size).unwrap_or(u32::MAX).max(1);
    n.div_ceil(size)
}

/// The platform's own page limit (`per_page`, `limit`, `first`).
pub fn max_page(platform: Platform) -> u32 {
    match platform {
        Platform::Shopify => shopify::PAGE_SIZE,
        Platform::BigCommerce => bigcommerce::PAGE_SIZE,
        Platform::WooCommerce => woocommerce::PAGE_SIZE,
    }
}

/// Subrequests a reconciliation page of `n` variants costs besides its SKUs' plans
/// (and Shopify's extra locations): the platform's calls (BigCommerce: the variants,
/// then their products), `apply::catalog`'s reads (products, mappings) and writes
/// (mappings, new products), `apply::store_levels`' reads (stored counts, items'
/// SKUs) and its write of the counts (Shopify: up to [`shopify::LEVELS_FIRST`] per
/// variant, else one), and the cursor ([`SAVE`]).
pub fn page_cost(platform: Platform, n: u32) -> u32 {
    let (calls, levels_each) = match platform {
        Platform::Shopify => (1, shopify::LEVELS_FIRST),
        Platform::BigCommerce => (2, 1),
        Platform::WooCommerce => (1, 1),
    };
    let catalog_reads = chunks(n, IN_CHUNK) + chunks(n, IN_CHUNK - 1);
    let catalog_writes = 2 * chunks(n, JSON_CHUNK);
    let level_reads = 2 * chunks(n, IN_CHUNK - 1);
    let level_writes = chunks(n.saturating_mul(levels_each), JSON_CHUNK);
    calls + catalog_reads + catalog_writes + level_reads + level_writes + SAVE
}

/// How many variants the next page asks for with `left` subrequests still to spend
/// on it (what the invocation has, less what it keeps for the work after): the most
/// the platform allows, or fewer if that page would not fit, and 0 if not even one
/// variant fits (no page is started). A Shopify page must also fit its first
/// variant's extra locations: every page then moves the cursor by at least one
/// variant, or the pass could read the same page forever.
///
/// WooCommerce and BigCommerce number their pages, so the size of a pass's pages
/// cannot change mid-pass: theirs is all or nothing at the platform's maximum.
pub fn page_size(platform: Platform, left: u32) -> u32 {
    let max = max_page(platform);
    let fits = |n: u32| {
        let extra = if platform == Platform::Shopify { extra_levels() } else { 0 };
        page_cost(platform, n) + extra <= left
    };
    match platform {
        Platform::Shopify => (1..=max).rev().find(|&n| fits(n)).unwrap_or(0),
        Platform::BigCommerce | Platform::WooCommerce => {
            if fits(max) {
                max
            } else {
                0
            }
        }
    }
}

/// How many SKU plans fit in `remaining` subrequests while `keep` are kept for what
/// comes after them.
pub fn plans(remaining: u32, keep: u32) -> usize {
    usize::try_from(remaining.saturating_sub(keep) / PLAN).unwrap_or(0)
}

/// Whether a Shopify variant's extra locations may be read with `remaining`
/// subrequests while the page still has `page_rest` to spend (its D1 reads and
/// writes, the cursor) and `keep` are kept for after it.
pub fn extra_fits(remaining: u32, page_rest: u32, keep: u32) -> bool {
    remaining >= extra_levels() + page_rest + keep
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a scheduled run at the Free plan's limit has spent when the reconciliation
    /// starts on a connection (measured: the steps before it read what is due, 5, then
    /// the reconciliation's prune, due connections and shop, 3).
    const BEFORE_SYNC_MEASURED: u32 = 8;

    #[test]
    fn a_page_costs_little_more_as_it_grows() {
        assert_eq!(page_cost(Platform::Shopify, 1), 1 + 2 + 2 + 2 + 1 + 1);
        assert_eq!(page_cost(Platform::Shopify, 50), 1 + 2 + 2 + 2 + 1 + 1, "500 counts: one write");
        assert_eq!(page_cost(Platform::Shopify, 51), 1 + 2 + 2 + 2 + 2 + 1, "510 counts: two");
        assert_eq!(page_cost(Platform::WooCommerce, 100), 1 + 4 + 2 + 4 + 1 + 1);
        assert_eq!(page_cost(Platform::BigCommerce, 250), 2 + 6 + 2 + 6 + 1 + 1);
    }

    #[test]
    fn at_the_free_plans_limit_every_platforms_largest_page_fits_a_run() {
        let left = 50 - BEFORE_SYNC_MEASURED - AFTER_SYNC;
        assert_eq!(page_size(Platform::Shopify, left), 50);
        assert_eq!(page_size(Platform::WooCommerce, left), 100);
        assert_eq!(page_size(Platform::BigCommerce, left), 250);
        assert_eq!(plans(50 - BEFORE_SYNC_MEASURED, AFTER_SYNC + SAVE), 1, "and one plan of what it found");
    }

    #[test]
    fn at_paids_limit_a_run_plans_thirty_four_skus() {
        assert_eq!(plans(1000 - BEFORE_SYNC_MEASURED, AFTER_SYNC + SAVE), 34);
    }

    #[test]
    fn a_page_shrinks_then_stops_when_it_does_not_fit() {
        let shopify_min = page_cost(Platform::Shopify, 1) + extra_levels();
        assert_eq!(page_size(Platform::Shopify, shopify_min), 50, "50 cost what 1 costs");
        assert_eq!(page_size(Platform::Shopify, shopify_min - 1), 0, "not even one variant and its locations");
        let bc = page_cost(Platform::BigCommerce, 250);
        assert_eq!(page_size(Platform::BigCommerce, bc), 250);
        assert_eq!(page_size(Platform::BigCommerce, bc - 1), 0, "numbered pages keep their size");
        assert_eq!(page_size(Platform::WooCommerce, 0), 0);
    }

    #[test]
    fn plans_fit_what_is_left_after_what_is_kept() {
        assert_eq!(plans(PLAN + 3, 3), 1);
        assert_eq!(plans(PLAN + 2, 3), 0);
        assert_eq!(plans(2, 3), 0, "less left than is kept");
        assert_eq!(plans(3 * PLAN + 3, 3), 3);
    }

    #[test]
    fn extra_locations_are_read_only_when_their_worst_case_fits() {
        assert!(extra_fits(extra_levels() + 5 + 12, 5, 12));
        assert!(!extra_fits(extra_levels() + 5 + 11, 5, 12));
    }
}
