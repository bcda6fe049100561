//! `GET /v1/shops/{shop}/products/{sku}/availability` and
//! `GET /v1/shops/{shop}/availability?skus=a,b,c&lang=de`.
//!
//! Answers come from a fresh KV snapshot when there is one, else from D1 through the
//! domain crate (then snapshotted). `?fresh=1` skips the snapshot. The header
//! `x-restock-source` says which (`kv` or `d1`). Snapshots hold nothing specific to a
//! language: the per-SKU views have no text of ours, and the shop's snapshot holds
//! every language's consent text, chosen per request from `lang`. A snapshot of a SKU
//! shoppers cannot buy holds its alternatives in stock (`alternatives.rs`), found
//! when the snapshot is built: a cache hit is still one KV read. The batch answer's
//! words (each item's `say`, its alternatives' lines, the answer's `lang` and `dir`)
//! are rendered per request from the answers too (`says`).

use restock_shared::wire::{AvailabilityAnswer, AvailabilityView, BatchAvailabilityResponse};
use restock_shared::{InvalidInput, Lang, ShopId, Sku};
use worker::{Request, Response};

use crate::cache;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;
use crate::shops::cache::{PublicShop, public_shop};
use crate::stock::store::{ProductFacts, load_products};

/// At most this many SKUs in one batch request (one D1 statement's parameters).
pub const MAX_BATCH: usize = 50;

fn wants_fresh(req: &Request) -> bool {
    http::query_param(req, "fresh").is_some_and(|v| v == "1" || v == "true")
}

fn view_of(ctx: &Ctx, shop: &PublicShop, facts: &ProductFacts) -> AvailabilityView {
    AvailabilityView::new(&facts.row.sku, &facts.row.name, &facts.availability(&shop.rules(), ctx.today()))
}

/// Computes answers from D1 for `skus` (with alternatives for those shoppers cannot
/// buy), snapshots each, and returns them.
pub async fn compute(ctx: &Ctx, shop: &PublicShop, skus: &[Sku]) -> Result<Vec<AvailabilityAnswer>, ApiError> {
    let id = ShopId::parse(&shop.id)?;
    let facts = load_products(&ctx.db, &id, skus, ctx.now).await?;
    let views: Vec<AvailabilityView> = facts.iter().map(|f| view_of(ctx, shop, f)).collect();
    let answers = crate::availability::alternatives::answers(ctx, &id, &shop.rules(), &facts, views).await;
    for a in &answers {
        cache::put(ctx, cache::availability_key(&shop.id, &a.view.sku), a);
    }
    Ok(answers)
}

/// Re-snapshots one SKU after a merchant change (best effort).
pub async fn refresh(ctx: &Ctx, shop: &ShopId, sku: &Sku) {
    if let Ok(public) = public_shop(ctx, shop, true).await {
        let _ = compute(ctx, &public, std::slice::from_ref(sku)).await;
    }
}

fn finish(req: &Request, ctx: &Ctx, shop: &PublicShop, mut resp: Response, source: &str) -> Response {
    let origin = http::origin(req);
    let allowed = origin.as_deref().is_some_and(|o| shop.allows_origin(o, &ctx.self_origin));
    http::apply_cors(&mut resp, origin.as_deref(), allowed);
    http::set_header(&mut resp, "cache-control", "public, max-age=5");
    http::set_header(&mut resp, "x-restock-source", source);
    resp
}

pub async fn get_one(ctx: &Ctx, req: &Request, shop: &str, sku: &str) -> Result<Response, ApiError> {
    let shop = ShopId::parse(shop)?;
    let sku = Sku::parse(sku)?;
    // A customer group signed by the shop's page (`groups`), checked before anything is read.
    let group = crate::groups::token::from_request(ctx, req, &shop).await?;
    let fresh = wants_fresh(req);
    // The shop's public settings and the SKU's snapshot are independent KV reads: one
    // round trip for both.
    let key = cache::availability_key(shop.as_str(), sku.as_str());
    let snapshot = async { if fresh { None } else { cache::get::<AvailabilityAnswer>(ctx, &key).await } };
    let (public, cached) = futures_util::future::join(public_shop(ctx, &shop, fresh), snapshot).await;
    let public = public?;
    if let Some(mut view) = cached {
        restrict(&public, group.as_ref(), std::slice::from_mut(&mut view));
        return Ok(finish(req, ctx, &public, http::json(200, &view)?, "kv"));
    }
    let mut view = compute(ctx, &public, std::slice::from_ref(&sku))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("product_not_found", "this shop has no product with this SKU"))?;
    restrict(&public, group.as_ref(), std::slice::from_mut(&mut view));
    Ok(finish(req, ctx, &public, http::json(200, &view)?, "d1"))
}

/// Each answer as a shopper of `group` sees it (`groups::restrict_views`); an answer
/// the group's rules turn into one that offers no alternatives drops them.
fn restrict(public: &PublicShop, group: Option<&restock_shared::groups::Group>, answers: &mut [AvailabilityAnswer]) {
    for a in answers {
        crate::groups::restrict_views(public, group, std::slice::from_mut(&mut a.view));
        if !AvailabilityAnswer::wants_alternatives(a.view.status) {
            a.alternatives.clear();
        }
    }
}

/// Parses `skus=a,b,c`: 1 to `MAX_BATCH` valid SKUs, duplicates dropped.
pub fn parse_skus(raw: Option<&str>) -> Result<Vec<Sku>, ApiError> {
    let raw = raw.filter(|r| !r.is_empty()).ok_or(InvalidInput::Missing { field: "skus" })?;
    let mut skus: Vec<Sku> = Vec::new();
    for part in raw.split(',') {
        let sku = Sku::parse(part.trim())?;
        if !skus.contains(&sku) {
            skus.push(sku);
        }
    }
    if skus.len() > MAX_BATCH {
        return Err(ApiError::Invalid(InvalidInput::Range { field: "skus", detail: "at most 50 SKUs per request" }));
    }
    Ok(skus)
}

/// Parses `lang=de-CH`: the shopper's language as the widget reads it (region ignored,
/// a language we have no texts in is English). Absent or empty asks for none, and the
/// answer carries the shop's default consent text.
pub fn parse_lang(raw: Option<&str>) -> Option<Lang> {
    raw.map(str::trim).filter(|r| !r.is_empty()).map(Lang::from_tag)
}

pub async fn get_batch(ctx: &Ctx, req: &Request, shop: &str) -> Result<Response, ApiError> {
    let shop = ShopId::parse(shop)?;
    let group = crate::groups::token::from_request(ctx, req, &shop).await?;
    // Mounts by platform variant id (`connect::mount`) beside or instead of SKUs.
    let (skus, by_variant) = match http::query_param(req, "variants") {
        Some(variants) => {
            let platform = http::query_param(req, "platform");
            let skus = http::query_param(req, "skus");
            let (skus, by) =
                crate::connect::mount::resolve(ctx, &shop, skus.as_deref(), &variants, platform.as_deref()).await?;
            (skus, Some(by))
        }
        None => {
            // A platform without variants is still checked (never silently ignored).
            crate::connect::mount::parse_platform(http::query_param(req, "platform").as_deref())?;
            (parse_skus(http::query_param(req, "skus").as_deref())?, None)
        }
    };
    let lang = parse_lang(http::query_param(req, "lang").as_deref());
    let fresh = wants_fresh(req);
    let keys: Vec<String> = skus.iter().map(|s| cache::availability_key(shop.as_str(), s.as_str())).collect();
    let snapshots = async { if fresh { Vec::new() } else { cache::get_many::<AvailabilityAnswer>(ctx, &keys).await } };
    let (public, cached) = futures_util::future::join(public_shop(ctx, &shop, fresh), snapshots).await;
    let public = public?;
    let missing: Vec<Sku> =
        skus.iter().filter(|s| !cached.iter().any(|(_, v)| v.view.sku == s.as_str())).cloned().collect();
    let computed = if missing.is_empty() { Vec::new() } else { compute(ctx, &public, &missing).await? };
    let source = match (cached.is_empty(), computed.is_empty()) {
        (false, true) => "kv",
        (true, _) => "d1",
        (false, false) => "kv+d1",
    };
    let mut items = Vec::with_capacity(skus.len());
    let mut unknown = Vec::new();
    for sku in &skus {
        let found = cached.iter().map(|(_, v)| v).chain(computed.iter()).find(|v| v.view.sku == sku.as_str());
        match found {
            Some(v) => items.push(v.clone()),
            None => unknown.push(sku.as_str().to_owned()),
        }
    }
    restrict(&public, group.as_ref(), &mut items);
    // What the storefront says about each item, in the language asked for (`say`).
    let says = crate::availability::says::of(&items, lang.unwrap_or_default());
    let body = BatchAvailabilityResponse { shop: public.widget_for(lang, ctx.config.sms_ready()), items, unknown };
    let mut body = serde_json::to_value(&body)?;
    crate::availability::says::add(&mut body, says, lang.unwrap_or_default());
    if let Some(by) = by_variant {
        body["variants"] = serde_json::json!(by.variants);
        body["unknown_variants"] = serde_json::json!(by.unknown);
    }
    Ok(finish(req, ctx, &public, http::json(200, &body)?, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: Option<&str>, expected: Result<usize, &str>) {
        assert_eq!(parse_skus(raw).map(|s| s.len()).map_err(|e| e.code()), expected, "{raw:?}");
    }

    #[test]
    fn batch_sku_lists_are_bounded_and_valid() {
        check(Some("A,B,C"), Ok(3));
        check(Some("A, A ,B"), Ok(2));
        check(None, Err("missing_field"));
        check(Some(""), Err("missing_field"));
        check(Some("A,,B"), Err("invalid_sku"));
        check(Some("A,<b>"), Err("invalid_sku"));
        let many: Vec<String> = (0..51).map(|i| format!("S{i}")).collect();
        check(Some(&many.join(",")), Err("out_of_range"));
        check(Some(&many[..50].join(",")), Ok(50));
    }

    #[test]
    fn the_language_asked_for_is_read_like_the_widget_reads_it() {
        for (raw, expected) in [
            (None, None),
            (Some(""), None),
            (Some("  "), None),
            (Some("de"), Some(Lang::De)),
            (Some("de-CH"), Some(Lang::De)),
            (Some("HE_il"), Some(Lang::He)),
            (Some("iw"), Some(Lang::He)),
            (Some("ar"), Some(Lang::Ar)),
            (Some("pt-BR"), Some(Lang::En)),
            (Some("<script>"), Some(Lang::En)),
            (Some("-"), Some(Lang::En)),
        ] {
            assert_eq!(parse_lang(raw), expected, "{raw:?}");
        }
    }
}
