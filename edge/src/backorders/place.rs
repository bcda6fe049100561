//! `POST /v1/shops/{shop}/backorders`: placing a backorder or preorder.
//!
//! The domain decides whether the request may be accepted and what to promise; one
//! guarded INSERT then makes it so only if, at the moment it runs, the product still
//! takes orders under the same policy, nothing is sellable (backorders), the release is
//! still ahead (preorders), the units owed plus this order stay within the cap, and no
//! order with the same `Idempotency-Key` exists. D1 runs statements one at a time, so
//! any number of concurrent requests accept at most the cap in total.

use restock_shared::groups::Group;
use restock_shared::wire::{BackorderOrder, BackorderRequest, BackorderStatus, BackorderView, OrderKindCode};
use restock_shared::{
    Date, Email, Locale, OrderKind, Policy, Quantity, ShopId, ShopRules, Sku, Timestamp, check_order,
};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

use crate::crypto::{new_id, sha256_hex};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::notify::{self, Outgoing};
use crate::ratelimit::{self, BACKORDER_PER_IP};
use crate::shops::{ShopRow, load_shop};
use crate::stock::store::{ProductFacts, facts_statements, load_product, parse_facts};
use crate::tokens::{self, LinkKind};

/// The `Idempotency-Key` header, if sent: 1-255 visible ASCII characters.
fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(key) = req.headers().get("idempotency-key").ok().flatten() else { return Ok(None) };
    let ok = (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(Some(key))
    } else {
        Err(ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key must be 1-255 visible ASCII characters"))
    }
}

/// Same key + same order = same request, whatever the JSON spacing or field order.
/// A customer group (from a signed token) is part of the request when there is one.
fn fingerprint(o: &BackorderOrder, group: Option<&Group>) -> String {
    let mut text = format!("{}\n{}\n{}\n{}", o.sku, o.quantity.get(), o.email, o.locale);
    if let Some(g) = group {
        text.push_str(&format!("\ngroup:{}", g.as_str()));
    }
    sha256_hex(text.as_bytes())
}

#[derive(Deserialize)]
struct Existing {
    request_hash: Option<String>,
    response_body: Option<String>,
}

/// Polls for the first request's answer this many times, 100 ms apart, while it is
/// still being written.
const REPLAY_WAITS: usize = 20;

/// The first answer for a key already used at this shop; 422 if the body differs.
/// While the first request is still writing its answer, waits for it (up to 2 s), then
/// answers 409 `idempotency_in_progress`: a replay never returns provisional bytes.
async fn replay(ctx: &Ctx, shop: &str, key: &str, hash: &str) -> Result<Option<Response>, ApiError> {
    for attempt in 0..=REPLAY_WAITS {
        let s = db::stmt(
            &ctx.db,
            "SELECT request_hash, response_body FROM backorders WHERE shop_id = ?1 AND idempotency_key = ?2",
            crate::args![shop, key],
        )?;
        let Some(existing) = db::first::<Existing>(s).await? else { return Ok(None) };
        if existing.request_hash.as_deref() != Some(hash) {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: "this Idempotency-Key was used for a different request".into(),
            });
        }
        if let Some(body) = existing.response_body {
            return Ok(Some(http::respond(
                201,
                &[("content-type", "application/json"), ("cache-control", "no-store"), ("idempotent-replayed", "true")],
                body.into_bytes(),
            )));
        }
        if attempt < REPLAY_WAITS {
            worker::Delay::from(std::time::Duration::from_millis(100)).await;
        }
    }
    Err(ApiError::Conflict {
        code: "idempotency_in_progress",
        detail: "a request with this Idempotency-Key is still in progress: retry in a moment".into(),
    })
}

/// Where [`takes_order`] finds its values: SQL placeholders (or expressions).
pub struct OrderSlots<'a> {
    pub shop: &'a str,
    pub sku: &'a str,
    /// `'backorder'` or `'preorder'`: what the domain decided the order is.
    pub kind: &'a str,
    pub quantity: &'a str,
    /// Today (ISO date) and now (ms).
    pub today: &'a str,
    pub now: &'a str,
    /// The policy the domain decided under (`products.policy`).
    pub policy: &'a str,
    /// 1 for an order a platform already took (and charged) in its own checkout: it
    /// skips the "nothing sellable / release ahead" check, never the cap. 0 otherwise.
    pub platform: &'a str,
}

/// The condition under which product `p` (the alias is `p`) takes an order of
/// `quantity` now, re-checked in the statement that writes it: it still takes orders
/// under the same policy, nothing is sellable (backorders) or its release is still
/// ahead (preorders) unless a platform took the order already, and the units owed plus
/// this order stay within the cap. Said once: placing (the widget's and the platforms'
/// orders) and moving a backorder all use it.
pub fn takes_order(s: &OrderSlots<'_>) -> String {
    let OrderSlots { shop, sku, kind, quantity, today, now, policy, platform } = *s;
    format!(
        "p.shop_id = {shop} AND p.sku = {sku} AND p.discontinued = 0 AND p.policy = {policy} \
         AND ({platform} = 1 OR CASE WHEN {kind} = 'preorder' THEN p.release_date > {today} \
              ELSE p.on_hand <= (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = {shop} AND w.sku = {sku} \
                   AND w.status = 'notified' AND w.hold_until > {now} AND w.converted_at IS NULL) \
                 + (SELECT COALESCE(SUM(o.quantity - o.allocated), 0) FROM backorders o \
                    WHERE o.shop_id = {shop} AND o.sku = {sku} AND o.status = 'open') END) \
         AND (p.cap IS NULL OR (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b \
              WHERE b.shop_id = {shop} AND b.sku = {sku} AND b.status = 'open') + {quantity} <= p.cap)"
    )
}

#[derive(Deserialize)]
struct Placed {
    ahead: i64,
    before: i64,
}

/// The one guarded INSERT of an order, for the widget's requests and the platforms'
/// orders alike: it inserts only if, when it runs, the product still takes orders
/// under policy `?13`, the units owed plus this order stay within the cap, and the
/// idempotency key `?10` is unused; and, for a shopper's own request, nothing is
/// sellable (backorders) or the release is ahead (preorders). A platform's order
/// (`?17` = 1) was already taken and paid in the platform's checkout, so it skips that
/// last check, never the cap. Parameters: `?1` id, `?2` shop, `?3` sku, `?4` kind,
/// `?5` email, `?6` locale, `?7` quantity, `?8` today, `?9` estimate, `?10` key,
/// `?11` request hash, `?12` now, `?13` policy, `?14` source, `?15` the platform's
/// order id, `?16` when the platform took it, `?17` whether it is a platform's order.
fn insert_sql() -> String {
    let takes = takes_order(&OrderSlots {
        shop: "?2",
        sku: "?3",
        kind: "?4",
        quantity: "?7",
        today: "?8",
        now: "?12",
        policy: "?13",
        platform: "?17",
    });
    format!(
        "INSERT INTO backorders (id, shop_id, sku, kind, email, locale, quantity, allocated, status, placed_on, \
           promised_date, current_promise, projected_date, unit_price_cents, idempotency_key, request_hash, response_body, created_at, updated_at, \
           source, platform_order_id, platform_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 'open', ?8, ?9, ?9, ?9, p.price_cents, ?10, ?11, NULL, ?12, ?12, ?14, ?15, ?16 \
         FROM products p \
         WHERE {takes} \
           AND (?10 IS NULL OR NOT EXISTS (SELECT 1 FROM backorders k WHERE k.shop_id = ?2 AND k.idempotency_key = ?10))"
    )
}

fn insert_statement(ctx: &Ctx, params: Vec<wasm_bindgen::JsValue>) -> Result<db::Stmt, ApiError> {
    db::stmt(&ctx.db, &insert_sql(), params)
}

/// The queue ahead of a placed order (units owed before it, and orders before it)
/// and the facts after it, read in one batch: the promise is what the queue actually
/// ahead allows (another order may have landed between the read and the insert).
async fn promise_for(
    ctx: &Ctx,
    shop: &ShopId,
    sku: &Sku,
    id: &str,
    quantity: Quantity,
    rules: &ShopRules,
) -> Result<(Option<u32>, Option<Date>), ApiError> {
    let mut reads = vec![db::stmt(
        &ctx.db,
        "SELECT o.seq, \
           (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b WHERE b.shop_id = ?1 AND b.sku = ?2 AND b.status = 'open' AND b.seq < o.seq) AS ahead, \
           (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = ?1 AND b.sku = ?2 AND b.status = 'open' AND b.seq < o.seq AND b.quantity > b.allocated) AS before \
         FROM backorders o WHERE o.id = ?3",
        crate::args![shop.as_str(), sku.as_str(), id],
    )?];
    reads.extend(facts_statements(&ctx.db, shop, std::slice::from_ref(sku), ctx.now)?);
    let results = db::batch(&ctx.db, reads).await?;
    let placed = results.first().map(db::rows::<Placed>).transpose()?.and_then(|mut v| v.pop());
    let facts = match (results.get(1), results.get(2)) {
        (Some(p), Some(po)) => parse_facts(p, po, std::slice::from_ref(sku))?.pop(),
        _ => None,
    };
    let (Some(placed), Some(facts)) = (placed, facts) else {
        return Err(ApiError::Internal("a placed backorder could not be read back".into()));
    };
    let ahead = u32::try_from(placed.ahead).unwrap_or(u32::MAX);
    let promise = facts.state().supply(rules, ctx.today()).eta(ahead, quantity.get(), ctx.today()).map(|e| e.date);
    Ok((u32::try_from(placed.before + 1).ok(), promise))
}

fn view(
    id: &str,
    o: &BackorderOrder,
    kind: OrderKindCode,
    position: Option<u32>,
    promised: Option<Date>,
    at: Timestamp,
    cancel_url: String,
) -> BackorderView {
    BackorderView {
        id: id.to_owned(),
        sku: o.sku.as_str().to_owned(),
        kind,
        quantity: o.quantity.get(),
        allocated: 0,
        status: BackorderStatus::Open,
        position,
        promised_date: promised,
        created_at: at,
        cancel_url: Some(cancel_url),
    }
}

pub async fn place(ctx: &Ctx, req: &mut Request, shop: &str) -> Result<Response, ApiError> {
    let shop = ShopId::parse(shop)?;
    let origin = http::origin(req);
    let row = load_shop(&ctx.db, &shop).await?;
    let public = crate::shops::cache::PublicShop::from_row(&row);
    let allowed = origin.as_deref().is_none_or(|o| public.allows_origin(o, &ctx.self_origin));
    if !allowed {
        return Err(ApiError::Forbidden {
            code: "origin_not_allowed",
            detail: "this origin may not call this shop's API",
        });
    }
    let key = idempotency_key(req)?;
    // The shopper's customer group, when the shop's page signed one (`?group=`).
    let group = crate::groups::token::from_request(ctx, req, &shop).await?;
    let request: BackorderRequest = http::read_json(req).await?;
    let order = BackorderOrder::try_from(request)?;
    let hash = fingerprint(&order, group.as_ref());
    if let Some(key) = &key
        && let Some(resp) = replay(ctx, shop.as_str(), key, &hash).await?
    {
        return Ok(with_cors(resp, origin.as_deref()));
    }
    ratelimit::check(ctx, &[(BACKORDER_PER_IP, format!("{}:{}", shop, http::client_ip(req)))]).await?;

    let facts = load_product(&ctx.db, &shop, &order.sku, ctx.now).await?;
    let rules = row.rules();
    let plan = check_order(&facts.state(), &rules, ctx.today(), order.quantity)
        .map_err(|e| ApiError::Conflict { code: e.code(), detail: e.to_string() })?;
    crate::groups::enforce(&row, group.as_ref(), &order.sku, plan.kind, order.quantity)?;
    let kind: OrderKindCode = plan.kind.into();
    let kind_name = plan.kind.name();
    let id = new_id("bo");
    let estimate = plan.eta.map(|e| e.date);
    let cancel_token = tokens::sign(ctx, LinkKind::Cancel, shop.as_str(), &id, 0)?;
    let cancel_url = tokens::url(&ctx.self_origin, &format!("/v1/shops/{shop}/backorders/cancel"), &cancel_token);

    let insert = insert_statement(
        ctx,
        crate::args![
            id.as_str(),
            shop.as_str(),
            order.sku.as_str(),
            kind_name,
            order.email.as_str(),
            order.locale.as_str(),
            order.quantity.get(),
            ctx.today().to_iso(),
            estimate.map(Date::to_iso),
            key.clone(),
            hash.as_str(),
            ctx.now.millis(),
            facts.settings.policy.name(),
            None::<String>,
            None::<String>,
            None::<i64>,
            false,
        ],
    )?;
    // No `rev` bump: a stock plan that puts units on sale checks that no order
    // arrived after its read instead (see `stock::commit`).
    let mut statements = vec![insert];
    let email = Outgoing::email(
        shop.as_str(),
        "backorder_confirmation",
        order.email.as_str(),
        order.locale.as_str(),
        format!("backorder_confirmation:{id}"),
        json!({ "backorder_id": id, "cancel_url": cancel_url }),
    )
    .about(order.sku.as_str(), &id);
    let hook = notify::webhook(
        ctx,
        &row,
        &format!("{kind_name}.created"),
        json!({ "id": id, "sku": order.sku.as_str(), "quantity": order.quantity.get(), "email": order.email.as_str() }),
    );
    let exists = "EXISTS (SELECT 1 FROM backorders WHERE id = ?1)";
    for (sql, mut params) in [email.insert(ctx, 2, exists), hook.insert(ctx, 2, exists)] {
        params.insert(0, db::Arg::js(&id.as_str()));
        statements.push(db::stmt(&ctx.db, &sql, params)?);
    }
    let results = db::batch(&ctx.db, statements).await?;

    if results.first().map(db::changes) != Some(1) {
        // Not inserted: the same key won a race, or the state changed since we read it.
        if let Some(key) = &key
            && let Some(resp) = replay(ctx, shop.as_str(), key, &hash).await?
        {
            return Ok(with_cors(resp, origin.as_deref()));
        }
        let facts = load_product(&ctx.db, &shop, &order.sku, ctx.now).await?;
        let err = check_order(&facts.state(), &rules, ctx.today(), order.quantity)
            .err()
            .map_or(("cap_reached", "the last places were just taken".to_owned()), |e| (e.code(), e.to_string()));
        return Err(ApiError::Conflict { code: err.0, detail: err.1 });
    }

    // Promise what the queue *actually* ahead of this order allows.
    let (position, promise) = promise_for(ctx, &shop, &order.sku, &id, order.quantity, &rules).await?;
    let final_view = view(&id, &order, kind, position, promise, ctx.now, cancel_url);
    let body = serde_json::to_string(&final_view)?;
    db::run(db::stmt(
        &ctx.db,
        "UPDATE backorders SET promised_date = ?2, current_promise = ?2, projected_date = ?2, response_body = ?3 WHERE id = ?1",
        crate::args![id.as_str(), promise.map(Date::to_iso), body.as_str()],
    )?)
    .await?;
    notify::kick(ctx);
    let resp =
        http::respond(201, &[("content-type", "application/json"), ("cache-control", "no-store")], body.into_bytes());
    Ok(with_cors(resp, origin.as_deref()))
}

fn with_cors(mut resp: Response, origin: Option<&str>) -> Response {
    // The origin was checked against the shop's list before anything was done.
    http::apply_cors(&mut resp, origin, origin.is_some());
    resp
}

/// A line of a platform's order to queue (the connector decided it is a backorder).
pub struct PlatformLine<'a> {
    /// The platform's name (`shopify`, ...).
    pub source: &'a str,
    pub order_id: &'a str,
    pub line_id: &'a str,
    /// When the platform took the order.
    pub ordered_at: Timestamp,
    pub sku: &'a Sku,
    pub quantity: Quantity,
    pub email: &'a Email,
    pub locale: &'a Locale,
}

/// What queueing a platform's line did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformPlaced {
    /// Queued now, as this backorder.
    New { id: String, kind: OrderKind },
    /// Queued before (the same order and line came again).
    Already { id: String },
    /// Not queued: the product takes no orders, or its cap is reached.
    Refused { code: &'static str, detail: String },
}

/// The idempotency key of a platform's order line.
pub fn platform_key(source: &str, order_id: &str, line_id: &str) -> String {
    format!("{source}:{order_id}:{line_id}")
}

/// Queues a platform order's line through the same guarded INSERT as the widget's
/// orders (the cap holds under any concurrency), idempotent by the platform's order and
/// line id. The platform already took and charged the order, so whether units are
/// free now does not matter; the cap and the policy do. No confirmation email: the
/// platform sends its own. The `backorder.created` (or `preorder.created`) webhook goes
/// out as for any order.
pub async fn place_platform(
    ctx: &Ctx,
    row: &ShopRow,
    facts: &ProductFacts,
    line: PlatformLine<'_>,
) -> Result<PlatformPlaced, ApiError> {
    let shop = ShopId::parse(&row.id)?;
    let key = platform_key(line.source, line.order_id, line.line_id);
    let kind = match facts.settings.policy {
        Policy::Preorder { release, .. } if release > ctx.today() => OrderKind::Preorder,
        Policy::Backorder { .. } | Policy::Preorder { .. } if !facts.settings.discontinued => OrderKind::Backorder,
        _ => {
            return Ok(PlatformPlaced::Refused {
                code: "not_orderable",
                detail: "the product takes no backorders or preorders".into(),
            });
        }
    };
    let rules = row.rules();
    let estimate =
        facts.state().supply(&rules, ctx.today()).eta(facts.queued, line.quantity.get(), ctx.today()).map(|e| e.date);
    let id = new_id("bo");
    let hash = sha256_hex(key.as_bytes());
    let insert = insert_statement(
        ctx,
        crate::args![
            id.as_str(),
            shop.as_str(),
            line.sku.as_str(),
            kind.name(),
            line.email.as_str(),
            line.locale.as_str(),
            line.quantity.get(),
            ctx.today().to_iso(),
            estimate.map(Date::to_iso),
            Some(key.clone()),
            hash.as_str(),
            ctx.now.millis(),
            facts.settings.policy.name(),
            Some(line.source.to_owned()),
            Some(line.order_id.to_owned()),
            Some(line.ordered_at.millis()),
            true,
        ],
    )?;
    let hook = notify::webhook(
        ctx,
        row,
        &format!("{}.created", kind.name()),
        json!({ "id": id, "sku": line.sku.as_str(), "quantity": line.quantity.get(), "email": line.email.as_str(),
                "source": line.source, "platform_order_id": line.order_id }),
    );
    let (sql, mut params) = hook.insert(ctx, 2, "EXISTS (SELECT 1 FROM backorders WHERE id = ?1)");
    params.insert(0, db::Arg::js(&id.as_str()));
    let results = db::batch(&ctx.db, vec![insert, db::stmt(&ctx.db, &sql, params)?]).await?;
    if results.first().map(db::changes) != Some(1) {
        #[derive(Deserialize)]
        struct Existing {
            id: String,
        }
        let s = db::stmt(
            &ctx.db,
            "SELECT id FROM backorders WHERE shop_id = ?1 AND idempotency_key = ?2",
            crate::args![shop.as_str(), key.as_str()],
        )?;
        if let Some(e) = db::first::<Existing>(s).await? {
            return Ok(PlatformPlaced::Already { id: e.id });
        }
        let left = facts.settings.policy.cap().map(|c| c.saturating_sub(facts.queued));
        return Ok(PlatformPlaced::Refused {
            code: "cap_reached",
            detail: format!("the cap is reached ({} units left)", left.map_or("no".into(), |l| l.to_string())),
        });
    }
    let (_, promise) = promise_for(ctx, &shop, line.sku, &id, line.quantity, &rules).await?;
    db::run(db::stmt(
        &ctx.db,
        "UPDATE backorders SET promised_date = ?2, current_promise = ?2, projected_date = ?2 WHERE id = ?1",
        crate::args![id.as_str(), promise.map(Date::to_iso)],
    )?)
    .await?;
    notify::kick(ctx);
    Ok(PlatformPlaced::New { id, kind })
}
