//! Products: `GET`/`PUT`/`DELETE /v1/admin/products/{sku}` and the product list.
//! A `PUT` of a product that exists is one stock plan (its settings and on-hand count
//! in the same batch), and its answer is read in that batch: the state this request
//! made, never a later request's.

use restock_shared::wire::AvailabilityView;
use restock_shared::{Date, InvalidInput, Op, Policy, ProductSettings, ShopId, Sku, clean_text, header_text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{D1Result, Request, Response};

use crate::ctx::Ctx;
use crate::db::{self, Db, Stmt};
use crate::error::ApiError;
use crate::http;
use crate::paging::Page;
use crate::shops::{ShopRow, auth};
use crate::stock::commit::{self, Change, GUARD};
use crate::stock::purchase_orders::PurchaseOrderRow;
use crate::stock::store::{ProductFacts, facts_statements, parse_facts};
use crate::stock::{date, int, range, wants_preview};

fn yes() -> bool {
    true
}

/// `PUT /v1/admin/products/{sku}`: the full product (omitted optional fields reset).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRequest {
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub price_cents: i64,
    pub policy: String,
    #[serde(default)]
    pub cap: Option<i64>,
    #[serde(default)]
    pub release_date: Option<String>,
    #[serde(default)]
    pub low_stock_threshold: i64,
    #[serde(default)]
    pub discontinued: bool,
    #[serde(default)]
    pub lead_time_days: Option<i64>,
    #[serde(default = "yes")]
    pub waitlist: bool,
    #[serde(default)]
    pub supplier: Option<String>,
    /// Sets the count of units on hand; an increase is stock arriving (allocated to
    /// backorders first, like a receive), a decrease is stock gone.
    #[serde(default)]
    pub on_hand: Option<i64>,
    /// The product's category: alternatives come from it when none are picked.
    #[serde(default)]
    pub category: Option<String>,
    /// SKUs of this shop offered instead while it is out of stock, in order (at most
    /// 10; `[]`: none; absent or null: the same category's, then supplier's, in stock).
    #[serde(default)]
    pub alternatives: Option<Vec<String>>,
}

/// A product request that passed validation.
#[derive(Debug)]
pub struct ProductInput {
    pub name: String,
    pub url: Option<String>,
    pub price_cents: u32,
    pub settings: ProductSettings,
    pub supplier: Option<String>,
    pub on_hand: Option<u32>,
    pub category: Option<String>,
    pub alternatives: Option<Vec<Sku>>,
}

/// A product page: a path on the shop's own site (`/products/tee`) or an http(s) URL.
/// Whitespace and control characters are refused, never stripped or escaped.
fn product_url(input: &str) -> Result<String, ApiError> {
    if input.starts_with('/') && !input.starts_with("//") {
        let ok = input.len() <= 500 && !input.chars().any(|c| c.is_control() || c.is_whitespace());
        return if ok {
            Ok(input.to_owned())
        } else {
            Err(range("url", "a path such as /products/tee or an https:// URL, without spaces or control characters"))
        };
    }
    crate::shops::settings::parse_url("url", input).map_err(ApiError::Invalid)
}

impl ProductRequest {
    /// The release date asked for when it has already passed: the one case where
    /// validating needs the product's current release date (see `Policy::from_request`).
    pub fn past_release(&self, today: Date) -> Option<Date> {
        self.release_date.as_deref().and_then(|d| Date::parse(d).ok()).filter(|d| *d < today)
    }
}

impl ProductInput {
    /// Validates a product body. `today` bounds the release date; `current_release`
    /// is the product's release date now (a replace may keep it after it has passed).
    pub fn parse(r: ProductRequest, today: Date, current_release: Option<Date>) -> Result<Self, ApiError> {
        // The name is the Subject line of every email about the product.
        let name = header_text("name", &r.name, 200)?;
        if name.is_empty() {
            return Err(InvalidInput::Missing { field: "name" }.into());
        }
        let release = r.release_date.as_deref().map(|d| date("release_date", d)).transpose()?;
        let cap = r.cap.map(|c| int("cap", c, 1_000_000)).transpose()?;
        let policy = Policy::from_request(&r.policy, cap, release, today, current_release)?;
        let settings = ProductSettings {
            policy,
            low_stock_threshold: int("low_stock_threshold", r.low_stock_threshold, 1_000_000)?,
            discontinued: r.discontinued,
            lead_time_days: r.lead_time_days.map(|d| int("lead_time_days", d, 365).map(|d| d as u16)).transpose()?,
            waitlist: r.waitlist,
        };
        Ok(ProductInput {
            name,
            url: r.url.as_deref().map(product_url).transpose()?,
            price_cents: int("price_cents", r.price_cents, 100_000_000)?,
            settings,
            supplier: r.supplier.as_deref().map(|s| clean_text("supplier", s, 100)).transpose()?,
            on_hand: r.on_hand.map(|n| int("on_hand", n, 10_000_000)).transpose()?,
            category: r.category.as_deref().map(category).transpose()?,
            alternatives: r.alternatives.as_deref().map(alternatives).transpose()?,
        })
    }

    /// The picked alternatives as stored (a JSON array), or NULL.
    fn alternatives_json(&self) -> Option<String> {
        self.alternatives.as_ref().map(|list| {
            serde_json::to_string(&list.iter().map(Sku::as_str).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
        })
    }
}

/// At most this many picked alternatives per product.
pub const MAX_ALTERNATIVES: usize = 10;

/// The problem field of each picked alternative.
const ALTERNATIVE_FIELDS: [&str; MAX_ALTERNATIVES] = [
    "alternatives[0]",
    "alternatives[1]",
    "alternatives[2]",
    "alternatives[3]",
    "alternatives[4]",
    "alternatives[5]",
    "alternatives[6]",
    "alternatives[7]",
    "alternatives[8]",
    "alternatives[9]",
];

/// A category: 1 to 100 characters of text (null for none; empty is refused, not
/// read as none).
fn category(input: &str) -> Result<String, ApiError> {
    let c = clean_text("category", input, 100)?;
    if c.is_empty() { Err(range("category", "1 to 100 characters, or null for none")) } else { Ok(c) }
}

/// Picked alternatives: at most [`MAX_ALTERNATIVES`] SKUs, each once. (That they are
/// this shop's, and not the product itself, is checked against D1 by `put`.)
fn alternatives(list: &[String]) -> Result<Vec<Sku>, ApiError> {
    if list.len() > MAX_ALTERNATIVES {
        return Err(range("alternatives", "at most 10 SKUs"));
    }
    let mut out: Vec<Sku> = Vec::with_capacity(list.len());
    for (raw, field) in list.iter().zip(ALTERNATIVE_FIELDS) {
        let sku = Sku::parse(raw).map_err(|_| range(field, "a SKU: letters, digits, '.', '_' and '-'"))?;
        if out.contains(&sku) {
            return Err(range(field, "each SKU once"));
        }
        out.push(sku);
    }
    Ok(out)
}

/// Refuses picked alternatives that are the product itself or not SKUs of this shop
/// (422 naming the entry, `alternatives[i]`).
async fn check_alternatives(ctx: &Ctx, shop: &ShopRow, sku: &Sku, input: &ProductInput) -> Result<(), ApiError> {
    let Some(list) = input.alternatives.as_ref().filter(|l| !l.is_empty()) else { return Ok(()) };
    if let Some(i) = list.iter().position(|a| a == sku) {
        return Err(range(ALTERNATIVE_FIELDS[i], "another product than this one"));
    }
    #[derive(Deserialize)]
    struct Found {
        sku: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT sku FROM products WHERE shop_id = ?1 AND sku IN (SELECT value FROM json_each(?2))",
        crate::args![shop.id.as_str(), input.alternatives_json()],
    )?;
    let found: Vec<Found> = db::all(s).await?;
    match list.iter().position(|a| !found.iter().any(|f| f.sku == a.as_str())) {
        Some(i) => Err(range(ALTERNATIVE_FIELDS[i], "a SKU of this shop")),
        None => Ok(()),
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Counts {
    pending: i64,
    active: i64,
    notified: i64,
    unsubscribed: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct QueueSummary {
    open: i64,
    units_owed: i64,
    delayed: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReleaseRow {
    id: String,
    wave: i64,
    sellable: i64,
    target: i64,
    planned: i64,
    hold_until: Option<i64>,
    next_check_at: i64,
    status: String,
    created_at: i64,
}

/// A product with everything the dashboard shows about it.
#[derive(Debug, Serialize)]
pub struct ProductDetail {
    pub sku: String,
    pub name: String,
    pub url: Option<String>,
    pub price_cents: i64,
    pub policy: String,
    pub cap: Option<i64>,
    pub release_date: Option<String>,
    pub low_stock_threshold: i64,
    pub discontinued: bool,
    pub lead_time_days: Option<i64>,
    pub waitlist: bool,
    pub supplier: Option<String>,
    pub category: Option<String>,
    /// The picked alternatives (null: the same category's, then supplier's).
    pub alternatives: Option<Vec<String>>,
    pub on_hand: i64,
    pub held: i64,
    pub updated_at: i64,
    pub availability: AvailabilityView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waitlist_counts: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_orders: Option<Vec<PurchaseOrderRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases: Option<Value>,
}

/// The product fields the audit log keeps before and after a change (stock is the
/// commit's own `stock` entry).
pub(crate) const AUDITED_FIELDS: &[&str] = &[
    "name",
    "url",
    "price_cents",
    "policy",
    "cap",
    "release_date",
    "low_stock_threshold",
    "discontinued",
    "lead_time_days",
    "waitlist",
    "supplier",
    "category",
    "alternatives",
];

fn summary(ctx: &Ctx, shop: &ShopRow, f: &ProductFacts) -> ProductDetail {
    let r = &f.row;
    ProductDetail {
        sku: r.sku.clone(),
        name: r.name.clone(),
        url: r.url.clone(),
        price_cents: r.price_cents,
        policy: r.policy.clone(),
        cap: r.cap,
        release_date: r.release_date.clone(),
        low_stock_threshold: r.low_stock_threshold,
        discontinued: r.discontinued != 0,
        lead_time_days: r.lead_time_days,
        waitlist: r.waitlist != 0,
        supplier: r.supplier.clone(),
        category: r.category.clone(),
        alternatives: r.alternatives.as_deref().and_then(|a| serde_json::from_str(a).ok()),
        on_hand: r.on_hand,
        held: r.held,
        updated_at: r.updated_at,
        availability: AvailabilityView::new(&r.sku, &r.name, &f.availability(&shop.rules(), ctx.today())),
        queue: None,
        waitlist_counts: None,
        purchase_orders: None,
        releases: None,
    }
}

/// The statements that read everything [`ProductDetail`] shows, in one batch.
pub fn detail_statements(
    db: &Db,
    shop: &ShopId,
    sku: &Sku,
    now: restock_shared::Timestamp,
) -> Result<Vec<Stmt>, ApiError> {
    let mut statements = facts_statements(db, shop, std::slice::from_ref(sku), now)?;
    let params = || crate::args![shop.as_str(), sku.as_str()];
    for sql in [
        "SELECT COUNT(*) AS open, COALESCE(SUM(quantity - allocated), 0) AS units_owed, COALESCE(SUM(delayed), 0) AS delayed \
         FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open'",
        "SELECT COALESCE(SUM(status = 'pending'), 0) AS pending, COALESCE(SUM(status = 'active'), 0) AS active, \
                COALESCE(SUM(status = 'notified'), 0) AS notified, COALESCE(SUM(status = 'unsubscribed'), 0) AS unsubscribed \
         FROM waitlist WHERE shop_id = ?1 AND sku = ?2",
        "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
         FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 ORDER BY status = 'open' DESC, expected_date LIMIT 50",
        "SELECT id, wave, sellable, target, planned, hold_until, next_check_at, status, created_at \
         FROM releases WHERE shop_id = ?1 AND sku = ?2 ORDER BY created_at DESC LIMIT 10",
    ] {
        statements.push(db::stmt(db, sql, params())?);
    }
    Ok(statements)
}

/// A [`ProductDetail`] from the results of [`detail_statements`].
pub fn detail_from(ctx: &Ctx, shop: &ShopRow, sku: &Sku, results: &[D1Result]) -> Result<ProductDetail, ApiError> {
    let [products, pos_facts, queue, counts, pos, releases] = results else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let facts = parse_facts(products, pos_facts, std::slice::from_ref(sku))?
        .pop()
        .ok_or_else(|| ApiError::not_found("product_not_found", "this shop has no product with this SKU"))?;
    let mut d = summary(ctx, shop, &facts);
    d.queue = db::rows::<QueueSummary>(queue)?.pop().map(|q| json!(q));
    d.waitlist_counts = db::rows::<Counts>(counts)?.pop().map(|c| json!(c));
    d.purchase_orders = Some(db::rows(pos)?);
    d.releases = Some(json!(db::rows::<ReleaseRow>(releases)?));
    Ok(d)
}

async fn detail(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<ProductDetail, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let results = db::batch(&ctx.db, detail_statements(&ctx.db, &shop_id, sku, ctx.now)?).await?;
    detail_from(ctx, shop, sku, &results)
}

/// `GET /v1/admin/products/{sku}`.
pub async fn get(ctx: &Ctx, req: &Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    http::json(200, &detail(ctx, &shop, &sku).await?)
}

/// `GET /v1/admin/products?cursor=&limit=`: products by SKU, a page at a time.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let page = Page::from_request(req)?;
    let after = page.cursor_text()?;
    let search = Search::from_query(http::query_param(req, "q").as_deref())?;
    #[derive(Deserialize)]
    struct SkuRow {
        sku: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT sku FROM products WHERE shop_id = ?1 AND sku > ?2 \
           AND (?4 IS NULL OR sku LIKE ?4 ESCAPE '\\' OR name LIKE ?5 ESCAPE '\\') ORDER BY sku LIMIT ?3",
        crate::args![shop.id.as_str(), after.as_str(), page.limit + 1, search.prefix(), search.contains()],
    )?;
    let rows: Vec<SkuRow> = db::all(s).await?;
    let shop_id = ShopId::parse(&shop.id)?;
    let skus: Vec<Sku> = rows.iter().take(page.limit as usize).filter_map(|r| Sku::parse(&r.sku).ok()).collect();
    let facts = crate::stock::store::load_products(&ctx.db, &shop_id, &skus, ctx.now).await?;
    let items: Vec<ProductDetail> = facts.iter().map(|f| summary(ctx, &shop, f)).collect();
    let next = (rows.len() > page.limit as usize).then(|| items.last().map(|i| Page::encode_text(&i.sku))).flatten();
    http::json(200, &json!({ "items": items, "next_cursor": next }))
}

/// A product search (`q`): SKUs that start with it or names that contain it, as LIKE
/// patterns with `%`, `_` and `\` escaped. D1 takes LIKE patterns of at most 50 bytes
/// ("Maximum characters (bytes) in a LIKE or GLOB pattern"), so `q` is at most 40
/// characters and its pattern at most 50 bytes; longer is a 422 naming `q`.
#[derive(Debug, PartialEq)]
pub struct Search(Option<String>);

/// D1's longest LIKE pattern, in bytes.
const MAX_LIKE_BYTES: usize = 50;

impl Search {
    pub fn from_query(q: Option<&str>) -> Result<Search, ApiError> {
        let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else { return Ok(Search(None)) };
        let escaped: String = q
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let too_long = q.chars().count() > 40 || escaped.len() + 2 > MAX_LIKE_BYTES;
        if too_long || q.chars().any(char::is_control) {
            return Err(ApiError::Invalid(restock_shared::InvalidInput::Range {
                field: "q",
                detail: "a search of 1 to 40 characters, without control characters",
            }));
        }
        Ok(Search(Some(escaped)))
    }

    fn prefix(&self) -> Option<String> {
        self.0.as_ref().map(|e| format!("{e}%"))
    }

    fn contains(&self) -> Option<String> {
        self.0.as_ref().map(|e| format!("%{e}%"))
    }
}

/// The release date a product has now, if it is a preorder.
async fn stored_release(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<Option<Date>, ApiError> {
    #[derive(Deserialize)]
    struct Release {
        release_date: Option<String>,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT release_date FROM products WHERE shop_id = ?1 AND sku = ?2 AND policy = 'preorder'",
        crate::args![shop.id.as_str(), sku.as_str()],
    )?;
    let row: Option<Release> = db::first(s).await?;
    Ok(row.and_then(|r| r.release_date).and_then(|d| Date::parse(&d).ok()))
}

/// `PUT /v1/admin/products/{sku}[?preview=1]`: create (201) or replace (200). A
/// replace is one plan: the settings, the on-hand count (an increase is received
/// stock, allocated first come first served), the wave and the promises it moves.
pub async fn put(ctx: &Ctx, req: &mut Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let request: ProductRequest = http::read_json(req).await?;
    let current_release = match request.past_release(ctx.today()) {
        Some(_) => stored_release(ctx, &shop, &sku).await?,
        None => None,
    };
    let input = ProductInput::parse(request, ctx.today(), current_release)?;
    check_alternatives(ctx, &shop, &sku, &input).await?;
    let preview = wants_preview(req);
    let shop_id = ShopId::parse(&shop.id)?;
    if !exists(ctx, &shop, &sku).await? {
        if preview {
            return preview_new(ctx, &shop, &sku, &input);
        }
        if create(ctx, &shop, &sku, &input).await? {
            crate::availability::api::refresh(ctx, &shop_id, &sku).await;
            let body = json!(detail(ctx, &shop, &sku).await?);
            crate::admin::audit::note(
                ctx,
                "product",
                crate::admin::audit::changes(&Value::Null, &body, AUDITED_FIELDS),
            );
            return http::json(201, &body);
        }
        // Created a moment ago by another request: this one replaces it.
    }
    let op = input.on_hand.map_or(Op::Recheck, |on_hand| Op::SetOnHand { on_hand });
    let before = std::cell::RefCell::new(Value::Null);
    let committed = commit::commit(
        ctx,
        &shop,
        &sku,
        preview,
        |snap| {
            before.replace(json!(summary(ctx, &shop, &snap.facts)));
            let mut c = Change::new(op.clone());
            c.settings = Some(input.settings);
            c.name = Some(input.name.clone());
            c.writes.push(settings_write(&input));
            c.writes.push(alternatives_write(&input));
            Ok(c)
        },
        |db| detail_statements(db, &shop_id, &sku, ctx.now),
    )
    .await?;
    let mut change = committed.view;
    if preview {
        change["created"] = json!(false);
        return http::json(200, &change);
    }
    let mut body = json!(detail_from(ctx, &shop, &sku, &committed.reads)?);
    crate::admin::audit::note(ctx, "product", crate::admin::audit::changes(&before.borrow(), &body, AUDITED_FIELDS));
    body["promises"] = change["promises"].clone();
    body["change"] = change;
    http::json(200, &body)
}

fn policy_parts(s: &ProductSettings) -> (&'static str, Option<u32>, Option<String>) {
    match s.policy {
        Policy::Deny => ("deny", None, None),
        Policy::Backorder { cap } => ("backorder", cap, None),
        Policy::Preorder { release, cap } => ("preorder", cap, Some(release.to_iso())),
    }
}

/// The settings of a replace, as a guarded write of its plan.
pub(crate) fn settings_write(input: &ProductInput) -> commit::Guarded {
    let s = &input.settings;
    let (policy, cap, release) = policy_parts(s);
    (
        format!(
            "UPDATE products SET name = ?5, url = ?6, price_cents = ?7, policy = ?8, cap = ?9, release_date = ?10, \
               low_stock_threshold = ?11, discontinued = ?12, lead_time_days = ?13, waitlist = ?14, supplier = ?15 \
             WHERE shop_id = ?1 AND sku = ?2 AND {GUARD}"
        ),
        crate::args![
            input.name.as_str(),
            input.url.clone(),
            input.price_cents,
            policy,
            cap,
            release,
            s.low_stock_threshold,
            s.discontinued,
            s.lead_time_days.map(u32::from),
            s.waitlist,
            input.supplier.clone(),
        ],
    )
}

/// The category and picked alternatives of a replace, guarded like its settings.
fn alternatives_write(input: &ProductInput) -> commit::Guarded {
    (
        format!("UPDATE products SET category = ?5, alternatives = ?6 WHERE shop_id = ?1 AND sku = ?2 AND {GUARD}"),
        crate::args![input.category.clone(), input.alternatives_json()],
    )
}

async fn exists(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct One {
        #[allow(dead_code)]
        one: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT 1 AS one FROM products WHERE shop_id = ?1 AND sku = ?2",
        crate::args![shop.id.as_str(), sku.as_str()],
    )?;
    Ok(db::first::<One>(s).await?.is_some())
}

/// Inserts a new product; false if it exists already.
pub(crate) async fn create(ctx: &Ctx, shop: &ShopRow, sku: &Sku, input: &ProductInput) -> Result<bool, ApiError> {
    let s = &input.settings;
    let (policy, cap, release) = policy_parts(s);
    let insert = db::stmt(
        &ctx.db,
        "INSERT INTO products (shop_id, sku, name, url, price_cents, policy, cap, release_date, low_stock_threshold, \
           discontinued, lead_time_days, waitlist, supplier, on_hand, rev, created_at, updated_at, category, alternatives) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18) \
         ON CONFLICT(shop_id, sku) DO NOTHING",
        crate::args![
            shop.id.as_str(),
            sku.as_str(),
            input.name.as_str(),
            input.url.clone(),
            input.price_cents,
            policy,
            cap,
            release,
            s.low_stock_threshold,
            s.discontinued,
            s.lead_time_days.map(u32::from),
            s.waitlist,
            input.supplier.clone(),
            input.on_hand.unwrap_or(0),
            crate::crypto::new_id("rev"),
            ctx.now.millis(),
            input.category.clone(),
            input.alternatives_json(),
        ],
    )?;
    Ok(db::run(insert).await? == 1)
}

/// What creating the product would do: a new product has no queue, no waitlist and
/// no purchase orders, so only its availability.
fn preview_new(ctx: &Ctx, shop: &ShopRow, sku: &Sku, input: &ProductInput) -> Result<Response, ApiError> {
    let stock = restock_shared::Stock { on_hand: input.on_hand.unwrap_or(0), held: 0 };
    let state = restock_shared::ProductState { settings: &input.settings, stock, queued: 0, incoming: &[] };
    let a = restock_shared::availability(&state, &shop.rules(), ctx.today());
    http::json(
        200,
        &json!({
            "preview": true, "created": true, "says": ["Creates the product."],
            "received": 0, "allocated": 0, "backorders_completed": 0, "backorders_partial": 0, "to_stock": 0,
            "on_hand": stock.on_hand, "sellable": stock.on_hand, "release": null,
            "promises": { "open": 0, "changed": 0, "delayed": 0 },
            "availability": AvailabilityView::new(sku.as_str(), &input.name, &a),
        }),
    )
}

/// `DELETE /v1/admin/products/{sku}`: refused while backorders are open.
pub async fn delete(ctx: &Ctx, req: &Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "DELETE FROM products WHERE shop_id = ?1 AND sku = ?2 AND NOT EXISTS \
                 (SELECT 1 FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open')",
                crate::args![shop.id.as_str(), sku.as_str()],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT COUNT(*) AS n FROM products WHERE shop_id = ?1 AND sku = ?2",
                crate::args![shop.id.as_str(), sku.as_str()],
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) == Some(1) {
        return Ok(http::respond(204, &[("cache-control", "no-store")], Vec::new()));
    }
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    let exists = results.get(1).map(db::rows::<N>).transpose()?.and_then(|mut v| v.pop()).is_some_and(|n| n.n > 0);
    if exists {
        Err(ApiError::Conflict {
            code: "has_open_backorders",
            detail: "cancel or fulfil its open backorders first".into(),
        })
    } else {
        Err(ApiError::not_found("product_not_found", "this shop has no product with this SKU"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_escape_like_and_stay_within_d1s_pattern_length() {
        assert_eq!(Search::from_query(None).ok(), Some(Search(None)));
        assert_eq!(Search::from_query(Some("  ")).ok(), Some(Search(None)));
        let s = Search::from_query(Some("50%_off\\")).ok();
        assert_eq!(s.as_ref().and_then(Search::prefix).as_deref(), Some("50\\%\\_off\\\\%"));
        assert_eq!(s.as_ref().and_then(Search::contains).as_deref(), Some("%50\\%\\_off\\\\%"));
        assert!(Search::from_query(Some(&"a".repeat(40))).is_ok());
        for bad in ["a".repeat(41), "%".repeat(30), "é".repeat(30), "a\nb".to_owned()] {
            let e = Search::from_query(Some(&bad)).err();
            assert_eq!(e.as_ref().map(|e| e.problem().field), Some(Some("q".to_owned())), "{bad:?}");
        }
    }

    /// The (code, field) a product body is refused with, today being 2027-01-15.
    fn check(body: serde_json::Value, current: Option<&str>, expected: Result<(), (&str, &str)>) {
        let today = Date::parse("2027-01-15").expect("valid");
        let current = current.map(|d| Date::parse(d).expect("valid"));
        let request: ProductRequest = http::from_value(body.clone()).expect("well-formed");
        let got = ProductInput::parse(request, today, current).map(|_| ()).map_err(|e| {
            let p = e.problem();
            (p.code, p.field.unwrap_or_default())
        });
        assert_eq!(got, expected.map_err(|(c, f)| (c, f.to_owned())), "{body}");
    }

    #[test]
    fn product_bodies_refuse_what_would_be_silently_changed() {
        let ok = json!({ "name": "Lamp", "policy": "preorder", "release_date": "2027-01-15", "cap": 1 });
        check(ok, None, Ok(()));
        check(json!({ "name": "x", "policy": "backorder", "cap": 0 }), None, Err(("out_of_range", "cap")));
        check(json!({ "name": "x", "policy": "deny", "cap": 5 }), None, Err(("out_of_range", "cap")));
        let past = json!({ "name": "x", "policy": "preorder", "release_date": "2027-01-14" });
        check(past.clone(), None, Err(("date_in_past", "release_date")));
        check(past.clone(), Some("2027-01-20"), Err(("date_in_past", "release_date")));
        check(past, Some("2027-01-14"), Ok(()));
        let bad_date = json!({ "name": "x", "policy": "preorder", "release_date": "2027-02-30" });
        check(bad_date, None, Err(("invalid_date", "release_date")));
        check(json!({ "name": "Tee\u{2028}Bcc: x", "policy": "deny" }), None, Err(("invalid_text", "name")));
        check(json!({ "name": "Tee\u{200F}", "policy": "deny" }), None, Err(("invalid_text", "name")));
        check(json!({ "name": "x", "policy": "deny", "url": "/p/a\r\nb" }), None, Err(("out_of_range", "url")));
        check(json!({ "name": "x", "policy": "deny", "url": "/p/a b" }), None, Err(("out_of_range", "url")));
        check(
            json!({ "name": "x", "policy": "deny", "url": "https://s.example/p\n" }),
            None,
            Err(("out_of_range", "url")),
        );
        check(json!({ "name": "x", "policy": "deny", "url": "/products/tee?v=1" }), None, Ok(()));
    }
}
