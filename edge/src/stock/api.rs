//! The merchant's stock API (`/v1/admin/products/...`, `/v1/admin/orders`).

use restock_shared::wire::AvailabilityView;
use restock_shared::{Date, IncomingPo, InvalidInput, Policy, ProductSettings, ShopId, Sku, clean_text, header_text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::notify;
use crate::shops::{ShopRow, auth};
use crate::stock::commit::{self, GUARD, Plan, Received, plan_receive};
use crate::stock::promises::{self, Rechecked};
use crate::stock::store::{ProductFacts, load_product};

fn range(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

fn int(field: &'static str, v: i64, hi: i64) -> Result<u32, ApiError> {
    if (0..=hi).contains(&v) { Ok(v as u32) } else { Err(range(field, "a whole number in range")) }
}

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

/// A date field of a request body.
fn date(field: &'static str, input: &str) -> Result<Date, InvalidInput> {
    Date::parse(input).map_err(|error| InvalidInput::Date { field, error })
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
        })
    }
}

/// A purchase order as the merchant sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurchaseOrderRow {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub expected_date: String,
    pub supplier: Option<String>,
    pub reference: Option<String>,
    pub status: String,
    pub received_at: Option<i64>,
    pub created_at: i64,
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

async fn detail(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<ProductDetail, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let facts = load_product(&ctx.db, &shop_id, sku, ctx.now).await?;
    let params = || crate::args![shop.id.as_str(), sku.as_str()];
    let statements = vec![
        db::stmt(
            &ctx.db,
            "SELECT COUNT(*) AS open, COALESCE(SUM(quantity - allocated), 0) AS units_owed, COALESCE(SUM(delayed), 0) AS delayed \
             FROM backorders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open'",
            params(),
        )?,
        db::stmt(
            &ctx.db,
            "SELECT COALESCE(SUM(status = 'pending'), 0) AS pending, COALESCE(SUM(status = 'active'), 0) AS active, \
                    COALESCE(SUM(status = 'notified'), 0) AS notified, COALESCE(SUM(status = 'unsubscribed'), 0) AS unsubscribed \
             FROM waitlist WHERE shop_id = ?1 AND sku = ?2",
            params(),
        )?,
        db::stmt(
            &ctx.db,
            "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
             FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 ORDER BY status = 'open' DESC, expected_date LIMIT 50",
            params(),
        )?,
        db::stmt(
            &ctx.db,
            "SELECT id, wave, sellable, target, planned, hold_until, next_check_at, status, created_at \
             FROM releases WHERE shop_id = ?1 AND sku = ?2 ORDER BY created_at DESC LIMIT 10",
            params(),
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let [queue, counts, pos, releases] = results.as_slice() else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let mut d = summary(ctx, shop, &facts);
    d.queue = db::rows::<QueueSummary>(queue)?.pop().map(|q| json!(q));
    d.waitlist_counts = db::rows::<Counts>(counts)?.pop().map(|c| json!(c));
    d.purchase_orders = Some(db::rows(pos)?);
    d.releases = Some(json!(db::rows::<ReleaseRow>(releases)?));
    Ok(d)
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
    #[derive(Deserialize)]
    struct SkuRow {
        sku: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT sku FROM products WHERE shop_id = ?1 AND sku > ?2 ORDER BY sku LIMIT ?3",
        crate::args![shop.id.as_str(), after.as_str(), page.limit + 1],
    )?;
    let rows: Vec<SkuRow> = db::all(s).await?;
    let shop_id = ShopId::parse(&shop.id)?;
    let skus: Vec<Sku> = rows.iter().take(page.limit as usize).filter_map(|r| Sku::parse(&r.sku).ok()).collect();
    let facts = crate::stock::store::load_products(&ctx.db, &shop_id, &skus, ctx.now).await?;
    let items: Vec<ProductDetail> = facts.iter().map(|f| summary(ctx, &shop, f)).collect();
    let next = (rows.len() > page.limit as usize).then(|| items.last().map(|i| Page::encode_text(&i.sku))).flatten();
    http::json(200, &json!({ "items": items, "next_cursor": next }))
}

/// A page request: `limit` (1-200, default 50) and an opaque `cursor`.
pub struct Page {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl Page {
    pub fn from_request(req: &Request) -> Result<Page, ApiError> {
        let limit = match http::query_param(req, "limit") {
            None => 50,
            Some(l) => l.parse::<u32>().ok().filter(|l| (1..=200).contains(l)).ok_or(range("limit", "1 to 200"))?,
        };
        Ok(Page { limit, cursor: http::query_param(req, "cursor").filter(|c| !c.is_empty()) })
    }

    fn decode(&self) -> Result<Option<String>, ApiError> {
        let Some(c) = &self.cursor else { return Ok(None) };
        let bytes = crate::crypto::base64url_decode(c).filter(|b| b.len() <= 200);
        bytes
            .and_then(|b| String::from_utf8(b).ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("invalid_cursor", "cursor is not one this API returned"))
    }

    /// The position after which to continue, for SKU-ordered lists.
    pub fn cursor_text(&self) -> Result<String, ApiError> {
        Ok(self.decode()?.and_then(|c| c.strip_prefix("t:").map(str::to_owned)).unwrap_or_default())
    }

    /// The position after which to continue, for sequence-ordered lists.
    pub fn cursor_seq(&self) -> Result<i64, ApiError> {
        match self.decode()? {
            None => Ok(0),
            Some(c) => c
                .strip_prefix("s:")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| ApiError::bad_request("invalid_cursor", "cursor is not one this API returned")),
        }
    }

    pub fn encode_text(after: &str) -> String {
        crate::crypto::base64url(format!("t:{after}").as_bytes())
    }

    pub fn encode_seq(after: i64) -> String {
        crate::crypto::base64url(format!("s:{after}").as_bytes())
    }
}

fn wants_preview(req: &Request) -> bool {
    http::query_param(req, "preview").is_some_and(|v| v == "1" || v == "true")
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

/// What replacing the product with `input` would do: its new availability, the
/// allocation an on-hand increase would make, and the promises it would move.
async fn preview_put(ctx: &Ctx, shop: &ShopRow, sku: &Sku, input: &ProductInput) -> Result<Response, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let rules = shop.rules();
    let snap = match commit::load_snapshot(ctx, &shop_id, sku).await {
        Ok(snap) => snap,
        Err(ApiError::NotFound { .. }) => {
            // A new product: no stock, no queue, no purchase orders yet.
            let settings = input.settings;
            let stock = restock_shared::Stock { on_hand: input.on_hand.unwrap_or(0), held: 0 };
            let state = restock_shared::ProductState { settings: &settings, stock, queued: 0, incoming: &[] };
            let a = restock_shared::availability(&state, &rules, ctx.today());
            let view = AvailabilityView::new(sku.as_str(), &input.name, &a);
            return http::json(
                200,
                &json!({ "preview": true, "created": true, "availability": view, "received": null, "promises": Rechecked::default() }),
            );
        }
        Err(e) => return Err(e),
    };
    let current = u32::try_from(snap.facts.row.on_hand).unwrap_or(0);
    let arriving = input.on_hand.map_or(0, |t| t.saturating_sub(current));
    let alloc = restock_shared::allocate(&snap.orders(), arriving);
    let on_hand = match input.on_hand {
        Some(t) if t > current => current + alloc.sellable,
        Some(t) => t,
        None => current,
    };
    let queued = restock_shared::outstanding(&alloc.queue);
    let stock = restock_shared::Stock { on_hand, held: snap.facts.stock.held };
    let state =
        restock_shared::ProductState { settings: &input.settings, stock, queued, incoming: &snap.facts.incoming };
    let a = restock_shared::availability(&state, &rules, ctx.today());
    let view = AvailabilityView::new(sku.as_str(), &input.name, &a);
    let promises = promises::evaluate(&snap, &rules, ctx.today(), &input.settings, &snap.facts.incoming);
    let completed =
        alloc.events.iter().filter(|e| matches!(e, restock_shared::AllocationEvent::Completed { .. })).count();
    let received = (arriving > 0).then(|| json!({ "received": arriving, "allocated": alloc.allocated(), "backorders_completed": completed, "to_stock": alloc.sellable }));
    http::json(
        200,
        &json!({ "preview": true, "created": false, "availability": view, "received": received, "promises": promises }),
    )
}

/// `PUT /v1/admin/products/{sku}[?preview=1]`: create (201) or replace (200).
pub async fn put(ctx: &Ctx, req: &mut Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let request: ProductRequest = http::read_json(req).await?;
    let current_release = match request.past_release(ctx.today()) {
        Some(_) => stored_release(ctx, &shop, &sku).await?,
        None => None,
    };
    let input = ProductInput::parse(request, ctx.today(), current_release)?;
    if wants_preview(req) {
        return preview_put(ctx, &shop, &sku, &input).await;
    }
    let s = &input.settings;
    let (policy, cap, release) = match s.policy {
        Policy::Deny => ("deny", None, None),
        Policy::Backorder { cap } => ("backorder", cap, None),
        Policy::Preorder { release, cap } => ("preorder", cap, Some(release.to_iso())),
    };
    #[derive(Deserialize)]
    struct Created {
        created: i64,
    }
    let upsert = db::stmt(
        &ctx.db,
        "INSERT INTO products (shop_id, sku, name, url, price_cents, policy, cap, release_date, low_stock_threshold, \
           discontinued, lead_time_days, waitlist, supplier, on_hand, rev, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16) \
         ON CONFLICT(shop_id, sku) DO UPDATE SET name = excluded.name, url = excluded.url, price_cents = excluded.price_cents, \
           policy = excluded.policy, cap = excluded.cap, release_date = excluded.release_date, \
           low_stock_threshold = excluded.low_stock_threshold, discontinued = excluded.discontinued, \
           lead_time_days = excluded.lead_time_days, waitlist = excluded.waitlist, supplier = excluded.supplier, \
           rev = excluded.rev, updated_at = excluded.updated_at \
         RETURNING created_at = ?16 AS created",
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
            new_id("rev"),
            ctx.now.millis(),
        ],
    )?;
    let created = db::first::<Created>(upsert).await?.is_some_and(|c| c.created == 1);
    let mut received = None;
    if let (Some(target), false) = (input.on_hand, created) {
        received = Some(set_on_hand(ctx, &shop, &sku, target).await?);
    }
    let rechecked = promises::recheck(ctx, &shop, &sku).await?;
    after_change(ctx, &shop, &sku).await;
    let mut body = json!(detail(ctx, &shop, &sku).await?);
    body["received"] = json!(received);
    body["promises"] = json!(rechecked);
    http::json(if created { 201 } else { 200 }, &body)
}

/// Sets on-hand to `target`: an increase is received stock (FIFO to backorders, then
/// sellable, then a waitlist wave); a decrease simply takes units away.
async fn set_on_hand(ctx: &Ctx, shop: &ShopRow, sku: &Sku, target: u32) -> Result<Received, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let rules = shop.release_rules();
    commit::commit(ctx, &shop_id, sku, false, |snap, g| {
        let current = u32::try_from(snap.facts.row.on_hand).unwrap_or(0);
        if target > current {
            plan_receive(g, ctx, snap, target - current, &rules, false)
        } else {
            let sellable = snap.facts.stock.sellable().saturating_sub(current - target);
            Ok(Plan {
                on_hand_delta: i64::from(target) - i64::from(current),
                result: Received {
                    received: 0,
                    allocated: 0,
                    backorders_completed: 0,
                    backorders_partial: 0,
                    to_stock: 0,
                    sellable,
                    release: None,
                    preview: false,
                },
            })
        }
    })
    .await
}

/// After a merchant change: fresh KV snapshot and the notification kick.
async fn after_change(ctx: &Ctx, shop: &ShopRow, sku: &Sku) {
    if let Ok(shop_id) = ShopId::parse(&shop.id) {
        crate::availability::api::refresh(ctx, &shop_id, sku).await;
    }
    notify::kick(ctx);
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

/// `POST /v1/admin/products/{sku}/receive` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub purchase_order_id: Option<String>,
}

/// `POST /v1/admin/products/{sku}/receive[?preview=1]`: units arrived. Allocates to
/// backorders first come first served, puts the rest on sale and starts a waitlist
/// wave. With `preview`, says what it would do and does nothing.
pub async fn receive(ctx: &Ctx, req: &mut Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let preview = wants_preview(req);
    let body: ReceiveRequest = http::read_json(req).await?;
    let po = match &body.purchase_order_id {
        None => None,
        Some(id) => {
            let s = db::stmt(
                &ctx.db,
                "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
                 FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 AND id = ?3",
                crate::args![shop.id.as_str(), sku.as_str(), id.as_str()],
            )?;
            let po: PurchaseOrderRow = db::first(s).await?.ok_or_else(|| {
                ApiError::not_found("purchase_order_not_found", "no such purchase order for this SKU")
            })?;
            if po.status != "open" {
                return Err(ApiError::Conflict {
                    code: "purchase_order_closed",
                    detail: format!("this purchase order is {}", po.status),
                });
            }
            Some(po)
        }
    };
    let quantity = match (body.quantity, &po) {
        (Some(q), _) => q,
        (None, Some(po)) => po.quantity,
        (None, None) => return Err(InvalidInput::Missing { field: "quantity" }.into()),
    };
    let quantity = u32::try_from(quantity)
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
        .ok_or(range("quantity", "1 to 1000000"))?;
    let shop_id = ShopId::parse(&shop.id)?;
    let rules = shop.release_rules();
    let result = commit::commit(ctx, &shop_id, &sku, preview, |snap, g| {
        let plan = plan_receive(g, ctx, snap, quantity, &rules, preview)?;
        if let Some(po) = &po {
            g.push(
                &format!(
                    "UPDATE purchase_orders SET status = 'received', received_at = ?4, updated_at = ?4 \
                     WHERE shop_id = ?1 AND sku = ?2 AND id = ?5 AND status = 'open' AND {GUARD}"
                ),
                crate::args![po.id.as_str()],
            )?;
        }
        let r = &plan.result;
        let events = [
            notify::webhook(ctx, &shop, "stock.received", json!({ "sku": sku.as_str(), "received": r.received, "allocated": r.allocated, "backorders_completed": r.backorders_completed, "to_stock": r.to_stock })),
            r.release.as_ref().and_then(|rel| notify::webhook(ctx, &shop, "restock.released", json!({ "sku": sku.as_str(), "release_id": rel.id, "notify": rel.notify }))),
        ];
        for hook in events.into_iter().flatten() {
            let (sql, params) = hook.insert(ctx, 5, GUARD);
            g.push(&sql, params)?;
        }
        Ok(plan)
    })
    .await?;
    let mut body = json!(result);
    if !preview {
        body["promises"] = json!(promises::recheck(ctx, &shop, &sku).await?);
        after_change(ctx, &shop, &sku).await;
        if let Some(release) = &result.release {
            crate::notify::start_release(ctx, &release.id).await;
        }
    }
    http::json(200, &body)
}

/// `POST`/`PUT .../purchase-orders` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderRequest {
    pub quantity: i64,
    pub expected_date: String,
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// A validated purchase-order body.
pub struct PoInput {
    quantity: u32,
    expected: Date,
    supplier: Option<String>,
    reference: Option<String>,
}

/// Validates a purchase-order body; `today` bounds the expected date.
pub fn po_input(today: Date, r: PurchaseOrderRequest) -> Result<PoInput, ApiError> {
    let quantity = u32::try_from(r.quantity)
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
        .ok_or(range("quantity", "1 to 1000000"))?;
    let expected = date("expected_date", &r.expected_date)?;
    if expected < today {
        return Err(range("expected_date", "today or later"));
    }
    Ok(PoInput {
        quantity,
        expected,
        supplier: r.supplier.as_deref().map(|s| clean_text("supplier", s, 100)).transpose()?,
        reference: r.reference.as_deref().map(|s| clean_text("reference", s, 100)).transpose()?,
    })
}

async fn po_by_id(ctx: &Ctx, shop: &str, sku: &Sku, id: &str) -> Result<PurchaseOrderRow, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
         FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 AND id = ?3",
        crate::args![shop, sku.as_str(), id],
    )?;
    db::first(s)
        .await?
        .ok_or_else(|| ApiError::not_found("purchase_order_not_found", "no such purchase order for this SKU"))
}

/// Open purchase orders of a SKU with their ids.
async fn open_pos(ctx: &Ctx, shop: &str, sku: &Sku) -> Result<Vec<(String, IncomingPo)>, ApiError> {
    #[derive(Deserialize)]
    struct Po {
        id: String,
        quantity: i64,
        expected_date: String,
    }
    let rows: Vec<Po> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, quantity, expected_date FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 AND status = 'open'",
        crate::args![shop, sku.as_str()],
    )?)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let expected = Date::parse(&r.expected_date).ok()?;
            Some((r.id, IncomingPo { quantity: u32::try_from(r.quantity).unwrap_or(0), expected }))
        })
        .collect())
}

/// What a purchase-order change would do to open backorders' promises.
async fn preview_pos(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &Sku,
    incoming: Vec<(String, IncomingPo)>,
) -> Result<Response, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let snap = commit::load_snapshot(ctx, &shop_id, sku).await?;
    let incoming: Vec<IncomingPo> = incoming.into_iter().map(|(_, po)| po).collect();
    let promises = promises::evaluate(&snap, &shop.rules(), ctx.today(), &snap.facts.settings, &incoming);
    let state = restock_shared::ProductState {
        settings: &snap.facts.settings,
        stock: snap.facts.stock,
        queued: snap.facts.queued,
        incoming: &incoming,
    };
    let a = restock_shared::availability(&state, &shop.rules(), ctx.today());
    http::json(
        200,
        &json!({ "preview": true, "promises": promises, "availability": AvailabilityView::new(sku.as_str(), &snap.facts.row.name, &a) }),
    )
}

async fn po_changed(
    ctx: &Ctx,
    shop: &ShopRow,
    sku: &Sku,
    po: PurchaseOrderRow,
    status: u16,
) -> Result<Response, ApiError> {
    let rechecked: Rechecked = promises::recheck(ctx, shop, sku).await?;
    after_change(ctx, shop, sku).await;
    http::json(status, &json!({ "purchase_order": po, "promises": rechecked }))
}

/// `GET .../purchase-orders` and `POST .../purchase-orders`.
pub async fn purchase_orders(ctx: &Ctx, req: &mut Request, sku: &str, create: bool) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let shop_id = ShopId::parse(&shop.id)?;
    load_product(&ctx.db, &shop_id, &sku, ctx.now).await?;
    if !create {
        let s = db::stmt(
            &ctx.db,
            "SELECT id, sku, quantity, expected_date, supplier, reference, status, received_at, created_at \
             FROM purchase_orders WHERE shop_id = ?1 AND sku = ?2 ORDER BY expected_date, created_at",
            crate::args![shop.id.as_str(), sku.as_str()],
        )?;
        return http::json(200, &json!({ "items": db::all::<PurchaseOrderRow>(s).await? }));
    }
    let input = po_input(ctx.today(), http::read_json(req).await?)?;
    if wants_preview(req) {
        let mut incoming = open_pos(ctx, &shop.id, &sku).await?;
        incoming.push((String::new(), IncomingPo { quantity: input.quantity, expected: input.expected }));
        return preview_pos(ctx, &shop, &sku, incoming).await;
    }
    let id = new_id("po");
    db::run(db::stmt(
        &ctx.db,
        "INSERT INTO purchase_orders (id, shop_id, sku, quantity, expected_date, supplier, reference, status, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?8)",
        crate::args![id.as_str(), shop.id.as_str(), sku.as_str(), input.quantity, input.expected.to_iso(), input.supplier, input.reference, ctx.now.millis()],
    )?)
    .await?;
    let po = po_by_id(ctx, &shop.id, &sku, &id).await?;
    po_changed(ctx, &shop, &sku, po, 201).await
}

/// `PUT` (edit) and `DELETE` (cancel) of one open purchase order.
pub async fn purchase_order(
    ctx: &Ctx,
    req: &mut Request,
    sku: &str,
    id: &str,
    delete: bool,
) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let current = po_by_id(ctx, &shop.id, &sku, id).await?;
    if current.status != "open" {
        return Err(ApiError::Conflict {
            code: "purchase_order_closed",
            detail: format!("this purchase order is {}", current.status),
        });
    }
    if wants_preview(req) {
        let mut incoming = open_pos(ctx, &shop.id, &sku).await?;
        if delete {
            incoming.retain(|(pid, _)| pid != id);
        } else {
            let input = po_input(ctx.today(), http::read_json(req).await?)?;
            for (pid, po) in &mut incoming {
                if pid == id {
                    *po = IncomingPo { quantity: input.quantity, expected: input.expected };
                }
            }
        }
        return preview_pos(ctx, &shop, &sku, incoming).await;
    }
    let changed = if delete {
        db::run(db::stmt(
            &ctx.db,
            "UPDATE purchase_orders SET status = 'cancelled', updated_at = ?4 WHERE shop_id = ?1 AND sku = ?2 AND id = ?3 AND status = 'open'",
            crate::args![shop.id.as_str(), sku.as_str(), id, ctx.now.millis()],
        )?)
        .await?
    } else {
        let input = po_input(ctx.today(), http::read_json(req).await?)?;
        db::run(db::stmt(
            &ctx.db,
            "UPDATE purchase_orders SET quantity = ?4, expected_date = ?5, supplier = ?6, reference = ?7, updated_at = ?8 \
             WHERE shop_id = ?1 AND sku = ?2 AND id = ?3 AND status = 'open'",
            crate::args![shop.id.as_str(), sku.as_str(), id, input.quantity, input.expected.to_iso(), input.supplier, input.reference, ctx.now.millis()],
        )?)
        .await?
    };
    if changed == 0 {
        return Err(ApiError::Conflict {
            code: "purchase_order_closed",
            detail: "this purchase order was just received or cancelled".into(),
        });
    }
    let po = po_by_id(ctx, &shop.id, &sku, id).await?;
    po_changed(ctx, &shop, &sku, po, 200).await
}

/// `POST /v1/admin/orders` body: a sale the merchant reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub sku: String,
    pub quantity: i64,
    /// The shop's own order number: reporting it twice records it once.
    pub reference: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// Take the units off `on_hand` (default). Turn off if stock is synced separately.
    #[serde(default = "yes")]
    pub decrement_stock: bool,
}

/// `POST /v1/admin/orders`: records a sale, takes its units off stock, ends the
/// buyer's claim hold, and attributes it to a restock notification when the buyer had
/// been notified for this SKU (for recovered-revenue insights).
pub async fn report_order(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let r: OrderRequest = http::read_json(req).await?;
    let sku = Sku::parse(&r.sku)?;
    let quantity = restock_shared::Quantity::new(r.quantity)?;
    let reference = clean_text("reference", &r.reference, 100)?;
    if reference.is_empty() {
        return Err(InvalidInput::Missing { field: "reference" }.into());
    }
    let email = r.email.as_deref().map(restock_shared::Email::parse).transpose()?;
    let amount = r.amount_cents.map(|a| int("amount_cents", a, 100_000_000)).transpose()?;
    let shop_id = ShopId::parse(&shop.id)?;
    let facts = load_product(&ctx.db, &shop_id, &sku, ctx.now).await?;
    let amount =
        amount.unwrap_or_else(|| u32::try_from(facts.row.price_cents).unwrap_or(0).saturating_mul(quantity.get()));
    let id = new_id("ord");
    let email_str = email.as_ref().map(|e| e.as_str().to_owned());
    let inserted = "EXISTS (SELECT 1 FROM orders WHERE id = ?1)";
    let statements = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO orders (id, shop_id, sku, quantity, amount_cents, email, reference, attributed, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
               CASE WHEN ?6 IS NOT NULL AND EXISTS (SELECT 1 FROM waitlist w WHERE w.shop_id = ?2 AND w.sku = ?3 \
                 AND w.email = ?6 AND w.status = 'notified') THEN 'waitlist' END, ?8) \
             ON CONFLICT(shop_id, reference) DO NOTHING",
            crate::args![
                id.as_str(),
                shop.id.as_str(),
                sku.as_str(),
                quantity.get(),
                amount,
                email_str.clone(),
                reference.as_str(),
                ctx.now.millis()
            ],
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "UPDATE products SET on_hand = MAX(on_hand - ?4, 0), rev = ?5, updated_at = ?6 \
                 WHERE shop_id = ?2 AND sku = ?3 AND ?7 = 1 AND {inserted}"
            ),
            crate::args![
                id.as_str(),
                shop.id.as_str(),
                sku.as_str(),
                quantity.get(),
                new_id("rev"),
                ctx.now.millis(),
                r.decrement_stock
            ],
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "UPDATE waitlist SET converted_at = ?5, updated_at = ?5 \
                 WHERE shop_id = ?2 AND sku = ?3 AND email = ?4 AND status = 'notified' AND converted_at IS NULL AND {inserted}"
            ),
            crate::args![id.as_str(), shop.id.as_str(), sku.as_str(), email_str, ctx.now.millis()],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let created = results.first().map(db::changes) == Some(1);
    let s = db::stmt(
        &ctx.db,
        "SELECT id, sku, quantity, amount_cents, email, reference, attributed, created_at FROM orders WHERE shop_id = ?1 AND reference = ?2",
        crate::args![shop.id.as_str(), reference.as_str()],
    )?;
    let order: Value = db::first(s).await?.unwrap_or(Value::Null);
    if created {
        after_change(ctx, &shop, &sku).await;
    }
    http::json(if created { 201 } else { 200 }, &order)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn purchase_order_dates_name_their_field() {
        let today = Date::parse("2027-01-15").expect("valid");
        let r: PurchaseOrderRequest = http::from_value(json!({ "quantity": 1, "expected_date": "soon" })).expect("ok");
        let p = po_input(today, r).map(|_| ()).expect_err("bad date").problem();
        assert_eq!((p.code, p.field.as_deref()), ("invalid_date", Some("expected_date")));
    }
}
