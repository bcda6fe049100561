//! `POST /v1/admin/import[?preview=1]`: the generic import for a platform without a
//! connector: a catalog with its stock (and, optionally, each row's platform variant
//! for the widget to mount by) as CSV (`{"csv": "..."}`, see
//! `restock_shared::import`) or JSON (`{"items": [...]}`), at most 50 rows a request.
//!
//! Every row is validated before anything is written (a bad row is a 4xx naming
//! `items[i].field`, and nothing of the request is imported). A row is then exactly a
//! product's `PUT`: given fields replace the product's, absent ones keep theirs (a
//! new product needs `name`; its policy is `deny` unless given), and `on_hand` is a
//! count (an increase is stock arriving: first come, first served to backorders, then
//! the waitlist). An existing product's row is one stock plan through `stock::commit`,
//! so the preview (`?preview=1`, which writes nothing) is the same plan serialized,
//! row by row, with its totals. A request that would pass the invocation's subrequest
//! budget stops between rows and says where to go on (`next_row`).

use restock_shared::import::{MAX_ROWS, Value as Cell, parse_csv};
use restock_shared::wire::AvailabilityView;
use restock_shared::{Date, Op, ProductState, ShopId, Sku, Stock, availability};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use worker::{Request, Response};

use crate::connect::Platform;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::shops::auth;
use crate::stock::commit::{self, Change};
use crate::stock::products::{ProductInput, ProductRequest, create, settings_write};
use crate::stock::store::{ProductFacts, load_products};

/// The body: exactly one of `csv` and `items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub csv: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub items: Option<Vec<Value>>,
}

/// One row: the SKU and the fields it gives.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportItem {
    pub sku: String,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub policy: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub cap: Option<i64>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub release_date: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub price_cents: Option<i64>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub on_hand: Option<i64>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub low_stock_threshold: Option<i64>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub lead_time_days: Option<i64>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub supplier: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub discontinued: Option<bool>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub waitlist: Option<bool>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub variant_id: Option<String>,
    #[serde(default, deserialize_with = "crate::shops::settings::present")]
    pub product_id: Option<String>,
}

/// The rows of a request as JSON objects (CSV rows typed by their columns), each
/// error named `items[i].field` (CSV: the data row, from 0).
pub fn rows(body: ImportRequest) -> Result<Vec<ImportItem>, ApiError> {
    let raw: Vec<Value> = match (body.csv, body.items) {
        (Some(csv), None) => parse_csv(&csv)
            .map_err(|e| {
                let field = match (e.row, e.column.as_deref()) {
                    (Some(r), Some(c)) => format!("items[{r}].{c}"),
                    (Some(r), None) => format!("items[{r}]"),
                    (None, Some(c)) => format!("csv.{c}"),
                    (None, None) => "csv".into(),
                };
                ApiError::bad_field("invalid_csv", field, e.message)
            })?
            .into_iter()
            .map(|row| {
                let map: Map<String, Value> = row
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Cell::Text(t) => json!(t),
                            Cell::Int(n) => json!(n),
                            Cell::Bool(b) => json!(b),
                        };
                        (k.to_owned(), v)
                    })
                    .collect();
                Value::Object(map)
            })
            .collect(),
        (None, Some(items)) => items,
        _ => {
            return Err(ApiError::bad_request("invalid_body", "send either csv (text) or items (a list), not both"));
        }
    };
    if raw.len() > MAX_ROWS {
        return Err(ApiError::bad_field(
            "out_of_range",
            "items".into(),
            format!("at most {MAX_ROWS} rows per request"),
        ));
    }
    if raw.is_empty() {
        return Err(ApiError::bad_field("missing_field", "items".into(), "no rows to import"));
    }
    raw.into_iter().enumerate().map(|(i, v)| http::from_value::<ImportItem>(v).map_err(|e| at(i, e))).collect()
}

/// A row's error, named by its place in the request.
fn at(i: usize, e: ApiError) -> ApiError {
    e.within(&format!("items[{i}]"))
}

/// A row turned into a product request: what it gives over what the product has.
fn merged(item: &ImportItem, current: Option<&ProductFacts>) -> Result<ProductRequest, ApiError> {
    let r = current.map(|f| &f.row);
    let name = match (&item.name, r) {
        (Some(n), _) => n.clone(),
        (None, Some(r)) => r.name.clone(),
        (None, None) => return Err(restock_shared::InvalidInput::Missing { field: "name" }.into()),
    };
    let policy = item.policy.clone().or_else(|| r.map(|r| r.policy.clone())).unwrap_or_else(|| "deny".into());
    // A policy given without a cap or date keeps the stored ones only where they still
    // mean something (a cap with an ordering policy, a date with a preorder).
    let cap = item.cap.or(if policy == "deny" { None } else { r.and_then(|r| r.cap) });
    let release_date =
        item.release_date.clone().or(if policy == "preorder" { r.and_then(|r| r.release_date.clone()) } else { None });
    Ok(ProductRequest {
        name,
        url: item.url.clone().or_else(|| r.and_then(|r| r.url.clone())),
        price_cents: item.price_cents.or(r.map(|r| r.price_cents)).unwrap_or(0),
        policy,
        cap,
        release_date,
        low_stock_threshold: item.low_stock_threshold.or(r.map(|r| r.low_stock_threshold)).unwrap_or(0),
        discontinued: item.discontinued.or(r.map(|r| r.discontinued != 0)).unwrap_or(false),
        lead_time_days: item.lead_time_days.or(r.and_then(|r| r.lead_time_days)),
        waitlist: item.waitlist.or(r.map(|r| r.waitlist != 0)).unwrap_or(true),
        supplier: item.supplier.clone().or_else(|| r.and_then(|r| r.supplier.clone())),
        on_hand: item.on_hand,
        // Not import columns: what the product has (issue 18).
        category: r.and_then(|r| r.category.clone()),
        alternatives: r.and_then(|r| r.alternatives.as_deref()).and_then(|a| serde_json::from_str(a).ok()),
    })
}

/// A validated row.
struct Row {
    sku: Sku,
    input: ProductInput,
    exists: bool,
    mapping: Option<(Platform, String, Option<String>)>,
}

/// Subrequests kept back before each row (a stock plan, its reads and the refresh).
const ROW_RESERVE: u32 = 40;

pub async fn import(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let preview = http::query_param(req, "preview").is_some_and(|v| v == "1" || v == "true");
    let body: ImportRequest = http::read_json(req).await?;
    let items = rows(body)?;
    let mut skus = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let sku = Sku::parse(&item.sku).map_err(|e| at(i, e.into()))?;
        if skus.contains(&sku) {
            return Err(ApiError::bad_field(
                "duplicate_sku",
                format!("items[{i}].sku"),
                "a SKU may appear once per request",
            ));
        }
        skus.push(sku);
    }
    let shop_id = ShopId::parse(&shop.id)?;
    let facts = load_products(&ctx.db, &shop_id, &skus, ctx.now).await?;
    let today = ctx.today();
    // Every row is checked before anything is written.
    let mut valid = Vec::with_capacity(items.len());
    for (i, (item, sku)) in items.iter().zip(&skus).enumerate() {
        let current = facts.iter().find(|f| f.row.sku == sku.as_str());
        let request = merged(item, current).map_err(|e| at(i, e))?;
        let stored_release = current.and_then(|f| f.row.release_date.as_deref()).and_then(|d| Date::parse(d).ok());
        let input = ProductInput::parse(request, today, stored_release).map_err(|e| at(i, e))?;
        let id_ok = |id: &str| (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
        for (field, value) in [("variant_id", &item.variant_id), ("product_id", &item.product_id)] {
            if value.as_deref().is_some_and(|v| !id_ok(v)) {
                return Err(ApiError::bad_field(
                    "out_of_range",
                    format!("items[{i}].{field}"),
                    "platform ids are numbers (up to 64 digits)",
                ));
            }
        }
        let mapping = match (&item.platform, &item.variant_id) {
            (None, None) => None,
            (Some(p), Some(v)) => {
                let platform = Platform::parse(p).ok_or_else(|| {
                    ApiError::bad_field(
                        "out_of_range",
                        format!("items[{i}].platform"),
                        "shopify, woocommerce or bigcommerce",
                    )
                })?;
                Some((platform, v.clone(), item.product_id.clone()))
            }
            (None, Some(_)) => {
                return Err(ApiError::bad_field(
                    "missing_field",
                    format!("items[{i}].platform"),
                    "a variant_id needs its platform",
                ));
            }
            (Some(_), None) => {
                return Err(ApiError::bad_field(
                    "missing_field",
                    format!("items[{i}].variant_id"),
                    "a platform needs the variant_id",
                ));
            }
        };
        valid.push(Row { sku: sku.clone(), input, exists: current.is_some(), mapping });
    }
    let mut out = Vec::with_capacity(valid.len());
    let mut next_row = None;
    let mut totals =
        json!({ "create": 0, "update": 0, "received": 0, "allocated": 0, "to_stock": 0, "notify": 0, "delayed": 0 });
    for (i, row) in valid.iter().enumerate() {
        if ctx.meter.remaining() < ROW_RESERVE {
            next_row = Some(i);
            break;
        }
        let result = if row.exists {
            update(ctx, &shop, row, preview).await?
        } else {
            create_row(ctx, &shop, row, preview).await?
        };
        let add = |totals: &mut Value, key: &str, n: &Value| {
            totals[key] = json!(totals[key].as_i64().unwrap_or(0) + n.as_i64().unwrap_or(0));
        };
        add(&mut totals, if row.exists { "update" } else { "create" }, &json!(1));
        add(&mut totals, "received", &result["received"]);
        add(&mut totals, "allocated", &result["allocated"]);
        add(&mut totals, "to_stock", &result["to_stock"]);
        add(&mut totals, "notify", &result["release"]["notify"]);
        add(&mut totals, "delayed", &result["promises"]["delayed"]);
        if !preview && let Some((platform, variant, product)) = &row.mapping {
            db::run(db::stmt(
                &ctx.db,
                "INSERT INTO platform_variants (shop_id, platform, variant_id, product_id, item_id, sku, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?3, ?5, ?6) ON CONFLICT (shop_id, platform, variant_id) DO UPDATE SET \
                   product_id = excluded.product_id, sku = excluded.sku, updated_at = excluded.updated_at",
                crate::args![
                    shop.id.as_str(),
                    platform.name(),
                    variant.as_str(),
                    product.clone(),
                    row.sku.as_str(),
                    ctx.now.millis()
                ],
            )?)
            .await?;
        }
        out.push(json!({ "row": i, "sku": row.sku.as_str(), "action": if row.exists { "update" } else { "create" }, "change": result }));
    }
    if !preview {
        crate::admin::audit::note(ctx, "import", json!({ "rows": out.len(), "totals": totals.clone() }));
    }
    http::json(200, &json!({ "preview": preview, "rows": out, "totals": totals, "next_row": next_row }))
}

/// An existing product's row: one stock plan, the same as its `PUT`.
async fn update(ctx: &Ctx, shop: &crate::shops::ShopRow, row: &Row, preview: bool) -> Result<Value, ApiError> {
    let op = row.input.on_hand.map_or(Op::Recheck, |on_hand| Op::SetOnHand { on_hand });
    let committed = commit::commit(
        ctx,
        shop,
        &row.sku,
        preview,
        |_| {
            let mut c = Change::new(op.clone());
            c.settings = Some(row.input.settings);
            c.name = Some(row.input.name.clone());
            c.writes.push(settings_write(&row.input));
            Ok(c)
        },
        |_| Ok(Vec::new()),
    )
    .await?;
    Ok(committed.view)
}

/// A new product's row: created with its count (it has no queue and no waitlist yet).
async fn create_row(ctx: &Ctx, shop: &crate::shops::ShopRow, row: &Row, preview: bool) -> Result<Value, ApiError> {
    let stock = Stock { on_hand: row.input.on_hand.unwrap_or(0), held: 0 };
    let state = ProductState { settings: &row.input.settings, stock, queued: 0, incoming: &[] };
    let a = availability(&state, &shop.rules(), ctx.today());
    if !preview {
        let shop_id = ShopId::parse(&shop.id)?;
        if create(ctx, shop, &row.sku, &row.input).await? {
            crate::availability::api::refresh(ctx, &shop_id, &row.sku).await;
        }
    }
    Ok(json!({
        "preview": preview, "created": true, "says": ["Creates the product."],
        "received": 0, "allocated": 0, "backorders_completed": 0, "backorders_partial": 0, "to_stock": 0,
        "on_hand": stock.on_hand, "sellable": stock.on_hand, "release": null,
        "promises": { "open": 0, "changed": 0, "delayed": 0 },
        "availability": AvailabilityView::new(row.sku.as_str(), &row.input.name, &a),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(body: Value) -> (u16, String, Option<String>) {
        let r: ImportRequest = http::from_value(body).expect("shape");
        let e = rows(r).expect_err("refused");
        let p = e.problem();
        (p.status, p.code.to_owned(), p.field)
    }

    #[test]
    fn rows_name_their_place() {
        assert_eq!(
            problem(json!({ "csv": "sku,on_hand\nA,1\nB,x" })),
            (400, "invalid_csv".into(), Some("items[1].on_hand".into()))
        );
        assert_eq!(
            problem(json!({ "csv": "sku,colour\nA,red" })),
            (400, "invalid_csv".into(), Some("csv.colour".into()))
        );
        assert_eq!(
            problem(json!({ "items": [{ "sku": "A" }, { "sku": "B", "cap": "5" }] })).2,
            Some("items[1].cap".into())
        );
        assert_eq!(problem(json!({ "items": [{ "sku": "A", "colour": "red" }] })).2, Some("items[0].colour".into()));
        assert_eq!(problem(json!({ "items": [] })).2, Some("items".into()));
        assert_eq!(problem(json!({ "csv": "sku\nA", "items": [] })).1, "invalid_body");
        let many: Vec<Value> = (0..51).map(|i| json!({ "sku": format!("S{i}") })).collect();
        assert_eq!(problem(json!({ "items": many })).2, Some("items".into()));
        let ok: ImportRequest =
            http::from_value(json!({ "csv": "sku,name,on_hand,waitlist\nA,Mug,3,no" })).expect("shape");
        let items = rows(ok).expect("valid");
        assert_eq!(
            (items[0].on_hand, items[0].waitlist, items[0].name.as_deref()),
            (Some(3), Some(false), Some("Mug"))
        );
    }

    #[test]
    fn a_row_replaces_only_what_it_gives() {
        let item: ImportItem = http::from_value(json!({ "sku": "A", "on_hand": 4 })).expect("shape");
        assert_eq!(
            merged(&item, None).err().map(|e| e.problem().field),
            Some(Some("name".into())),
            "a new product needs a name"
        );
        let item: ImportItem = http::from_value(json!({ "sku": "A", "name": "Mug" })).expect("shape");
        let r = merged(&item, None).expect("new");
        assert_eq!((r.policy.as_str(), r.waitlist, r.on_hand), ("deny", true, None));
    }
}
