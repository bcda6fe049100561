//! `GET /v1/shops/{shop}/products/{sku}/availability` and
//! `GET /v1/shops/{shop}/availability?skus=a,b,c`.

use restock_shared::wire::{AvailabilityView, BatchAvailabilityResponse};
use restock_shared::{InvalidInput, ShopId, Sku};
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;
use crate::shops::load_shop;
use crate::stock::store::{load_product, load_products};

/// At most this many SKUs in one batch request (one D1 statement's parameters).
pub const MAX_BATCH: usize = 50;

pub async fn get_one(ctx: &Ctx, req: &Request, shop: &str, sku: &str) -> Result<Response, ApiError> {
    let shop = ShopId::parse(shop)?;
    let sku = Sku::parse(sku)?;
    let shop_row = load_shop(&ctx.db, &shop).await?;
    let facts = load_product(&ctx.db, &shop, &sku, ctx.now).await?;
    let a = facts.availability(&shop_row.rules(), ctx.today());
    let view = AvailabilityView::new(&facts.row.sku, &facts.row.name, &a);
    let mut resp = http::json(200, &view)?;
    let origin = http::origin(req);
    let allowed = origin.as_deref().is_some_and(|o| shop_row.allows_origin(o, &ctx.self_origin));
    http::apply_cors(&mut resp, origin.as_deref(), allowed);
    Ok(resp)
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

pub async fn get_batch(ctx: &Ctx, req: &Request, shop: &str) -> Result<Response, ApiError> {
    let shop = ShopId::parse(shop)?;
    let skus = parse_skus(http::query_param(req, "skus").as_deref())?;
    let shop_row = load_shop(&ctx.db, &shop).await?;
    let facts = load_products(&ctx.db, &shop, &skus, ctx.now).await?;
    let rules = shop_row.rules();
    let items: Vec<AvailabilityView> = facts
        .iter()
        .map(|f| AvailabilityView::new(&f.row.sku, &f.row.name, &f.availability(&rules, ctx.today())))
        .collect();
    let unknown =
        skus.iter().filter(|s| !facts.iter().any(|f| f.row.sku == s.as_str())).map(|s| s.as_str().to_owned()).collect();
    let body = BatchAvailabilityResponse { shop: shop_row.widget_settings(), items, unknown };
    let mut resp = http::json(200, &body)?;
    let origin = http::origin(req);
    let allowed = origin.as_deref().is_some_and(|o| shop_row.allows_origin(o, &ctx.self_origin));
    http::apply_cors(&mut resp, origin.as_deref(), allowed);
    Ok(resp)
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
}
