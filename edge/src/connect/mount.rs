//! Mounting the widget by a platform's variant id: the batch availability read takes
//! `variants=44001003,44001004` (and optionally `platform=shopify`) beside or instead
//! of `skus`, answers for the SKUs they map to, and says which SKU each variant is
//! (`variants: {"44001003": "TEE-ORG-XL"}`) and which it does not know
//! (`unknown_variants`).

use std::collections::BTreeMap;

use restock_shared::{InvalidInput, ShopId, Sku};

use crate::availability::api::{MAX_BATCH, parse_skus};
use crate::connect::{Platform, apply};
use crate::ctx::Ctx;
use crate::error::ApiError;

/// What a read by variant asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ByVariant {
    /// Variant id to the SKU it is.
    pub variants: BTreeMap<String, String>,
    pub unknown: Vec<String>,
}

fn range(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

/// Parses `platform=` (absent or empty: any).
pub fn parse_platform(raw: Option<&str>) -> Result<Option<Platform>, ApiError> {
    raw.filter(|p| !p.is_empty())
        .map(|p| Platform::parse(p).ok_or_else(|| range("platform", "shopify, woocommerce or bigcommerce")))
        .transpose()
}

/// Parses `variants=1,2,3`: numeric platform ids, duplicates dropped, at most `cap`
/// given (counted before anything else: the de-duplication compares each id with the
/// ones before it, so it only ever sees a short list).
pub fn parse_variants(raw: &str, cap: usize) -> Result<Vec<String>, ApiError> {
    if raw.split(',').nth(cap).is_some() {
        return Err(range("variants", "at most 50 SKUs and variants per request"));
    }
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',') {
        let id = part.trim();
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(range("variants", "platform variant ids: numbers, separated by commas"));
        }
        if !out.iter().any(|x| x == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

/// The SKUs to answer for, from `skus` (optional here) and `variants`, at most
/// `MAX_BATCH` in all; `platform` narrows the lookup when a shop has several.
pub async fn resolve(
    ctx: &Ctx,
    shop: &ShopId,
    skus: Option<&str>,
    variants: &str,
    platform: Option<&str>,
) -> Result<(Vec<Sku>, ByVariant), ApiError> {
    let platform = parse_platform(platform)?;
    let mut out = match skus.filter(|s| !s.is_empty()) {
        Some(raw) => parse_skus(Some(raw))?,
        None => Vec::new(),
    };
    let ids = parse_variants(variants, MAX_BATCH.saturating_sub(out.len()))?;
    if ids.len() + out.len() > MAX_BATCH {
        return Err(range("variants", "at most 50 SKUs and variants per request"));
    }
    let found = apply::skus_for(ctx, shop.as_str(), platform, &ids).await?;
    let mut by = ByVariant::default();
    for id in ids {
        let skus: Vec<&str> = found.iter().filter(|(_, v, _)| *v == id).map(|(_, _, s)| s.as_str()).collect();
        match skus.as_slice() {
            [] => by.unknown.push(id),
            [sku] => {
                if let Ok(sku) = Sku::parse(sku) {
                    if !out.contains(&sku) {
                        out.push(sku.clone());
                    }
                    by.variants.insert(id, sku.as_str().to_owned());
                }
            }
            // The same id on two platforms: the request must say which.
            _ => {
                return Err(range(
                    "platform",
                    "this variant id is mapped on more than one platform: say which (platform=)",
                ));
            }
        }
    }
    Ok((out, by))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_lists_are_numbers() {
        assert_eq!(
            parse_variants("44001003, 44001004,44001003", 50).ok(),
            Some(vec!["44001003".into(), "44001004".into()])
        );
        for bad in ["", "1,,2", "abc", "1;2", &"9".repeat(65)] {
            assert_eq!(
                parse_variants(bad, 50).err().map(|e| e.problem().field),
                Some(Some("variants".into())),
                "{bad}"
            );
        }
        // The cap is counted on what was given, before the (quadratic) de-duplication:
        // 200,000 ids are refused at once.
        let many: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
        let started = std::time::Instant::now();
        assert!(parse_variants(&many.join(","), 50).is_err());
        assert!(started.elapsed() < std::time::Duration::from_millis(100), "{:?}", started.elapsed());
        let fifty: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        assert_eq!(parse_variants(&fifty.join(","), 50).map(|v| v.len()).ok(), Some(50));
        assert!(parse_variants(&fifty.join(","), 49).is_err(), "with one SKU asked for beside them");
    }
}
