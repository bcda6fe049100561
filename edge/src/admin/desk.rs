//! The service desk: find a shopper by email address or order reference across the
//! shop's backorders, waitlist signups, deliveries and notes, and act on what turns
//! up: cancel, resend, move, add a note. Every action is an admin change, so the
//! route table audits it like any other.
//!
//! Lookups: `GET /v1/admin/desk/{backorders|signups|deliveries|notes}?q=`, each a
//! paged list (newest first). `q` is an email address (any case) or a reference: a
//! backorder id, its `Idempotency-Key` (a platform's order number), a signup id, a
//! delivery id or the reference of a sale the shop reported; a reference resolves to
//! the address it belongs to and the lists are that address's.
//!
//! Actions:
//! - `POST /v1/admin/backorders/{id}/move` `{"sku"}` (`?preview=1`): an open backorder
//!   with nothing set aside yet (and not a platform's order, which is changed in the
//!   platform) moves to another product, at the back of that
//!   product's queue (a new place there; its old place goes to the next in line). One
//!   D1 batch: the source's cancellation is a stock plan (`stock::commit`), and in the
//!   same batch the new backorder is inserted, with its quantity only if the target
//!   takes the order at that moment (`place::takes_order`: its policy, nothing
//!   sellable or a release ahead, its cap with this order); otherwise the quantity is
//!   NULL, `NOT NULL` makes the statement fail, and D1 rolls the whole batch back, so
//!   nothing moves (a 409 with the target's reason). The shopper gets a confirmation
//!   for the new order (with a cancel link and their page).
//! - `POST /v1/admin/signups/{id}/move` `{"sku"}`: a waiting signup moves to another
//!   product's waitlist, at the back, with its consent records (email, and a phone
//!   number's SMS consent); refused if the address
//!   is already on that list. `POST /v1/admin/signups/{id}/cancel` ends a signup.
//! - `POST /v1/admin/deliveries/{id}/resend`: a sent email again, as a new delivery
//!   rendered with today's facts (at most [`MAX_RESENDS`] per email).
//! - `POST /v1/admin/desk/notes` `{"email", "text", "subject_id"}`: a note. Notes are
//!   kept by a hash of the address; erasing the address deletes them.

use restock_shared::{Email, InvalidInput, OrderKind, Quantity, ShopId, Sku, check_order, clean_text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::backorders::admin::{BACKORDER_SELECT, BackorderRow};
use crate::backorders::place::{OrderSlots, takes_order};
use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::notify::{self, Outgoing};
use crate::paging::Page;
use crate::shops::{ShopRow, auth};
use crate::stock::commit::{self, Change, GUARD};
use crate::stock::store::{facts_statements, load_product, parse_facts};
use crate::tokens::{self, LinkKind};

/// How D1 reports the move's insert refusing a NULL quantity: the target did not take
/// the order when the batch ran, and nothing of the batch was applied.
const REFUSED: &str = "NOT NULL constraint failed: backorders.quantity";

/// Resends of one email, at most.
pub const MAX_RESENDS: i64 = 3;

fn range(field: &'static str, detail: &'static str) -> ApiError {
    ApiError::Invalid(InvalidInput::Range { field, detail })
}

/// What the desk was asked to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Email(Email),
    Reference(String),
}

impl Query {
    /// `q`: an address (it holds an `@`) or a reference of 1 to 100 characters.
    pub fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let raw = raw.map(str::trim).filter(|q| !q.is_empty()).ok_or(InvalidInput::Missing { field: "q" })?;
        if raw.contains('@') {
            return Email::parse(raw)
                .map(Query::Email)
                .map_err(|_| range("q", "an email address or an order reference"));
        }
        let reference = clean_text("q", raw, 100)?;
        Ok(Query::Reference(reference))
    }
}

/// The address a query is about (`None`: a reference nothing of this shop has).
async fn resolve(ctx: &Ctx, shop: &str, q: &Query) -> Result<Option<String>, ApiError> {
    let reference = match q {
        Query::Email(e) => return Ok(Some(e.as_str().to_owned())),
        Query::Reference(r) => r,
    };
    #[derive(Deserialize)]
    struct Found {
        email: Option<String>,
    }
    let found: Option<Found> = db::first(db::stmt(
        &ctx.db,
        "SELECT email FROM ( \
           SELECT email FROM backorders WHERE shop_id = ?1 AND (id = ?2 OR idempotency_key = ?2) \
           UNION ALL SELECT email FROM waitlist WHERE shop_id = ?1 AND id = ?2 \
           UNION ALL SELECT email FROM orders WHERE shop_id = ?1 AND reference = ?2 \
           UNION ALL SELECT recipient AS email FROM deliveries WHERE shop_id = ?1 AND id = ?2 AND channel = 'email' \
         ) WHERE email IS NOT NULL LIMIT 1",
        crate::args![shop, reference.as_str()],
    )?)
    .await?;
    Ok(found.and_then(|f| f.email))
}

#[derive(Debug, Serialize, Deserialize)]
struct SignupRow {
    id: String,
    seq: i64,
    sku: String,
    email: String,
    locale: String,
    status: String,
    ended_reason: Option<String>,
    consent_at: i64,
    confirmed_at: Option<i64>,
    notified_at: Option<i64>,
    converted_at: Option<i64>,
    created_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryRow {
    id: String,
    seq: i64,
    kind: String,
    recipient: String,
    locale: String,
    sku: Option<String>,
    subject_id: Option<String>,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct NoteRow {
    id: String,
    seq: i64,
    subject_id: Option<String>,
    text: String,
    actor: String,
    created_at: i64,
}

/// A note's key: the SHA-256 of the address's lowercase spelling (as suppressions).
fn email_hash(email: &str) -> Result<String, ApiError> {
    crate::notify::feedback::address_key(email).map(|(hash, _)| hash).ok_or_else(|| range("email", "an email address"))
}

/// `GET /v1/admin/desk/{section}?q=&limit=&cursor=`.
pub async fn lookup(ctx: &Ctx, req: &Request, section: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    if !matches!(section, "backorders" | "signups" | "deliveries" | "notes") {
        return Err(ApiError::not_found("route_not_found", "desk lists: backorders, signups, deliveries, notes"));
    }
    let q = Query::parse(http::query_param(req, "q").as_deref())?;
    let page = Page::from_request(req)?;
    let before = page.cursor_seq()?;
    let email = resolve(ctx, &shop.id, &q).await?;
    let kind = if matches!(q, Query::Email(_)) { "email" } else { "reference" };
    let query = json!({ "kind": kind, "email": email });
    let Some(email) = email else {
        return http::json(200, &json!({ "query": query, "items": [], "next_cursor": null }));
    };
    let args = || crate::args![shop.id.as_str(), email.as_str(), before, page.limit + 1];
    let newest_first = "AND (?3 = 0 OR seq < ?3) ORDER BY seq DESC LIMIT ?4";
    let (items, seqs): (Vec<Value>, Vec<i64>) = match section {
        "backorders" => {
            let rows: Vec<BackorderRow> = db::all(db::stmt(
                &ctx.db,
                &format!(
                    "SELECT * FROM ({BACKORDER_SELECT} WHERE b.shop_id = ?1 AND b.email = ?2 COLLATE NOCASE) \
                     WHERE 1 {newest_first}"
                ),
                args(),
            )?)
            .await?;
            rows.iter().map(|r| (json!(r), r.seq)).unzip()
        }
        "signups" => {
            let rows: Vec<SignupRow> = db::all(db::stmt(
                &ctx.db,
                &format!(
                    "SELECT id, seq, sku, email, locale, status, ended_reason, consent_at, confirmed_at, notified_at, \
                       converted_at, created_at FROM waitlist WHERE shop_id = ?1 AND email = ?2 COLLATE NOCASE {newest_first}"
                ),
                args(),
            )?)
            .await?;
            rows.iter().map(|r| (json!(r), r.seq)).unzip()
        }
        "deliveries" => {
            let rows: Vec<DeliveryRow> = db::all(db::stmt(
                &ctx.db,
                &format!(
                    "SELECT id, seq, kind, recipient, locale, sku, subject_id, status, attempts, last_error, created_at, sent_at \
                     FROM deliveries WHERE shop_id = ?1 AND recipient = ?2 COLLATE NOCASE AND channel = 'email' {newest_first}"
                ),
                args(),
            )?)
            .await?;
            rows.iter().map(|r| (json!(r), r.seq)).unzip()
        }
        _ => {
            let hash = email_hash(&email)?;
            let rows: Vec<NoteRow> = db::all(db::stmt(
                &ctx.db,
                &format!(
                    "SELECT id, seq, subject_id, text, actor, created_at FROM desk_notes \
                     WHERE shop_id = ?1 AND email_hash = ?2 {newest_first}"
                ),
                crate::args![shop.id.as_str(), hash.as_str(), before, page.limit + 1],
            )?)
            .await?;
            rows.iter().map(|r| (json!(r), r.seq)).unzip()
        }
    };
    let more = items.len() > page.limit as usize;
    let items: Vec<Value> = items.into_iter().take(page.limit as usize).collect();
    let next = more.then(|| seqs.get(page.limit as usize - 1).map(|s| Page::encode_seq(*s))).flatten();
    http::json(200, &json!({ "query": query, "items": items, "next_cursor": next }))
}

/// `POST /v1/admin/desk/notes` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub email: String,
    pub text: String,
    /// The backorder or signup it is about (checked to be this address's).
    #[serde(default)]
    pub subject_id: Option<String>,
}

/// `POST /v1/admin/desk/notes`: a note about a shopper (201).
pub async fn add_note(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let body: NoteRequest = http::read_json(req).await?;
    let email = Email::parse(&body.email)?;
    let text = clean_text("text", &body.text, 2000)?;
    if text.is_empty() {
        return Err(InvalidInput::Missing { field: "text" }.into());
    }
    let hash = email_hash(email.as_str())?;
    if let Some(subject) = &body.subject_id {
        #[derive(Deserialize)]
        struct One {
            #[allow(dead_code)]
            n: i64,
        }
        let theirs: Option<One> = db::first(db::stmt(
            &ctx.db,
            "SELECT 1 AS n FROM backorders WHERE shop_id = ?1 AND id = ?2 AND email = ?3 COLLATE NOCASE \
             UNION ALL SELECT 1 FROM waitlist WHERE shop_id = ?1 AND id = ?2 AND email = ?3 COLLATE NOCASE LIMIT 1",
            crate::args![shop.id.as_str(), subject.as_str(), email.as_str()],
        )?)
        .await?;
        if theirs.is_none() {
            return Err(range("subject_id", "a backorder or signup of this address"));
        }
    }
    let actor = ctx.actor.borrow().as_ref().map(|a| a.key.clone()).unwrap_or_default();
    let id = new_id("nt");
    db::run(db::stmt(
        &ctx.db,
        "INSERT INTO desk_notes (id, shop_id, email_hash, subject_id, text, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        crate::args![
            id.as_str(),
            shop.id.as_str(),
            hash.as_str(),
            body.subject_id.clone(),
            text.as_str(),
            actor.as_str(),
            ctx.now.millis()
        ],
    )?)
    .await?;
    crate::admin::audit::note(ctx, "note", json!({ "id": id, "subject_id": body.subject_id }));
    http::json(
        201,
        &json!({ "id": id, "subject_id": body.subject_id, "text": text, "actor": actor, "created_at": ctx.now.millis() }),
    )
}

/// `POST /v1/admin/deliveries/{id}/resend`: a sent email once more (202), as a new
/// delivery of the same kind, to the same address, about the same thing, rendered
/// when it goes (today's position and dates). Its dedupe key counts the resends, so
/// two clicks at once make one.
pub async fn resend(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    #[derive(Deserialize)]
    struct Original {
        channel: String,
        status: String,
        kind: String,
        resends: i64,
    }
    let original: Option<Original> = db::first(db::stmt(
        &ctx.db,
        // The resends' keys are `resend:<id>:<n>`: a range of the unique dedupe_key
        // index (not LIKE: D1 refuses patterns over 50 bytes, and ids are longer).
        "SELECT channel, status, kind, (SELECT COUNT(*) FROM deliveries r WHERE r.dedupe_key > 'resend:' || d.id || ':' \
           AND r.dedupe_key < 'resend:' || d.id || ';') AS resends \
         FROM deliveries d WHERE d.shop_id = ?1 AND d.id = ?2",
        crate::args![shop.id.as_str(), id],
    )?)
    .await?;
    let Some(original) = original else {
        return Err(ApiError::not_found("delivery_not_found", "this shop has no such delivery"));
    };
    if original.channel != "email" || original.kind == "digest" {
        return Err(ApiError::Conflict {
            code: "not_resendable",
            detail: "only emails to shoppers can be resent (webhooks are replayed)".into(),
        });
    }
    if original.status != "sent" {
        return Err(ApiError::Conflict {
            code: "not_resendable",
            detail: "only a sent email can be resent: retry one that failed".into(),
        });
    }
    if original.resends >= MAX_RESENDS {
        return Err(ApiError::Conflict {
            code: "resend_limit",
            detail: "this email was resent 3 times already".into(),
        });
    }
    let copy_id = new_id("dl");
    let inserted = db::run(db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id, payload, created_at, updated_at) \
         SELECT ?3, shop_id, 'resend:' || id || ':' || ?4, channel, kind, recipient, locale, sku, subject_id, NULL, payload, ?5, ?5 \
         FROM deliveries WHERE shop_id = ?1 AND id = ?2 AND status = 'sent'",
        crate::args![shop.id.as_str(), id, copy_id.as_str(), original.resends + 1, ctx.now.millis()],
    )?)
    .await?;
    if inserted == 0 {
        return Err(ApiError::Conflict {
            code: "resend_in_progress",
            detail: "this email is being resent by another request".into(),
        });
    }
    crate::admin::audit::note(ctx, "resend", json!({ "of": id, "delivery": copy_id }));
    notify::kick(ctx);
    http::json(202, &json!({ "id": copy_id, "resent": id, "status": "queued" }))
}

/// `POST /v1/admin/backorders/{id}/move` and `/v1/admin/signups/{id}/move` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub sku: String,
}

#[derive(Debug, Deserialize)]
struct OrderToMove {
    id: String,
    sku: String,
    kind: String,
    email: String,
    locale: String,
    quantity: i64,
    allocated: i64,
    status: String,
    /// The platform it came from (`connect`), if it did.
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Placed {
    ahead: i64,
    before: i64,
}

/// The target product's facts, or 422 naming `sku`.
async fn target_facts(ctx: &Ctx, shop: &ShopId, sku: &Sku) -> Result<crate::stock::ProductFacts, ApiError> {
    match load_product(&ctx.db, shop, sku, ctx.now).await {
        Err(ApiError::NotFound { .. }) => Err(range("sku", "a product of this shop")),
        other => other,
    }
}

/// `POST /v1/admin/backorders/{id}/move[?preview=1]`.
pub async fn move_backorder(ctx: &Ctx, req: &mut Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let body: MoveRequest = http::read_json(req).await?;
    let target = Sku::parse(&body.sku)?;
    let preview = http::query_param(req, "preview").is_some_and(|v| v == "1" || v == "true");
    let shop_id = ShopId::parse(&shop.id)?;
    let order: OrderToMove = db::first(db::stmt(
        &ctx.db,
        "SELECT id, sku, kind, email, locale, quantity, allocated, status, source FROM backorders WHERE shop_id = ?1 AND id = ?2",
        crate::args![shop.id.as_str(), id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("backorder_not_found", "this shop has no such backorder"))?;
    if order.status != "open" {
        return Err(ApiError::Conflict { code: "not_movable", detail: "only an open backorder can be moved".into() });
    }
    if let Some(platform) = &order.source {
        // The platform's order is for its own variant, and Restock's stock follows the
        // platform's counts, which count it there: it is changed in the platform.
        return Err(ApiError::Conflict {
            code: "platform_order",
            detail: format!("this order came from the shop's {platform} store: change it there"),
        });
    }
    if order.allocated > 0 {
        return Err(ApiError::Conflict {
            code: "partly_allocated",
            detail: "units are already set aside for this order: cancel it instead, or let it complete".into(),
        });
    }
    if order.sku == target.as_str() {
        return Err(range("sku", "another product than the order's"));
    }
    let source = Sku::parse(&order.sku)?;
    let quantity = Quantity::new(order.quantity)?;
    // The domain decides whether the target takes this order now, and what it is.
    let facts = target_facts(ctx, &shop_id, &target).await?;
    let rules = shop.rules();
    let decided = check_order(&facts.state(), &rules, ctx.today(), quantity)
        .map_err(|e| ApiError::Conflict { code: e.code(), detail: e.to_string() })?;
    let kind = decided.kind;
    // The date it would be promised behind the target's queue as read; corrected below
    // from what the batch itself read (another order may have come first).
    let estimate =
        facts.state().supply(&rules, ctx.today()).eta(facts.queued, quantity.get(), ctx.today()).map(|e| e.date);
    let new = new_id("bo");
    let committed = match commit::commit(
        ctx,
        &shop,
        &source,
        preview,
        |snap| move_change(ctx, &shop, snap, &order, (&target, kind, estimate), &new),
        |db| {
            let mut reads = vec![db::stmt(
                db,
                "SELECT (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b WHERE b.shop_id = o.shop_id \
                   AND b.sku = o.sku AND b.status = 'open' AND b.seq < o.seq) AS ahead, \
                   (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = o.shop_id AND b.sku = o.sku AND b.status = 'open' \
                   AND b.seq < o.seq AND b.quantity > b.allocated) AS before \
                 FROM backorders o WHERE o.id = ?1",
                crate::args![new.as_str()],
            )?];
            reads.extend(facts_statements(db, &shop_id, std::slice::from_ref(&target), ctx.now)?);
            Ok(reads)
        },
    )
    .await
    {
        Err(ApiError::Internal(cause)) if cause.contains(REFUSED) => {
            return refused(ctx, &shop_id, &rules, &target, quantity).await;
        }
        other => other?,
    };
    if preview {
        let eta = estimate;
        let mut view = committed.view;
        view["move"] = json!({ "from": order.sku, "to": target.as_str(), "kind": kind.name(), "promised_date": eta });
        if let Some(says) = view["says"].as_array_mut() {
            says.push(json!(format!(
                "Moves the order of {} to {}, at the back of its queue (expected {}).",
                order.quantity,
                facts.row.name,
                eta.map_or_else(|| "with no date yet".to_owned(), |d| d.to_iso())
            )));
        }
        return http::json(200, &view);
    }
    let placed = committed.reads.first().map(db::rows::<Placed>).transpose()?.and_then(|mut v| v.pop());
    let Some(placed) = placed else { return refused(ctx, &shop_id, &rules, &target, quantity).await };
    let after = match (committed.reads.get(1), committed.reads.get(2)) {
        (Some(p), Some(po)) => parse_facts(p, po, std::slice::from_ref(&target))?.pop(),
        _ => None,
    }
    .ok_or_else(|| ApiError::Internal("a moved backorder's product could not be read back".into()))?;
    let ahead = u32::try_from(placed.ahead).unwrap_or(u32::MAX);
    let promise = after.state().supply(&rules, ctx.today()).eta(ahead, quantity.get(), ctx.today()).map(|e| e.date);
    db::run(db::stmt(
        &ctx.db,
        "UPDATE backorders SET promised_date = ?2, current_promise = ?2, projected_date = ?2 WHERE id = ?1 AND status = 'open'",
        crate::args![new.as_str(), promise.map(restock_shared::Date::to_iso)],
    )?)
    .await?;
    crate::availability::api::refresh(ctx, &shop_id, &target).await;
    crate::admin::audit::note(
        ctx,
        "move",
        json!({ "from": { "id": order.id, "sku": order.sku }, "to": { "id": new, "sku": target.as_str() } }),
    );
    notify::kick(ctx);
    http::json(
        200,
        &json!({
            "id": new, "moved_from": { "id": order.id, "sku": order.sku }, "sku": target.as_str(), "kind": kind.name(),
            "quantity": order.quantity, "position": placed.before + 1, "promised_date": promise, "change": committed.view,
        }),
    )
}

/// The target stopped taking the order between the check and the batch, which then
/// applied nothing: why, in the domain's words (409).
async fn refused(
    ctx: &Ctx,
    shop: &ShopId,
    rules: &restock_shared::ShopRules,
    target: &Sku,
    quantity: Quantity,
) -> Result<Response, ApiError> {
    let facts = target_facts(ctx, shop, target).await?;
    let err = check_order(&facts.state(), rules, ctx.today(), quantity)
        .err()
        .map_or(("cap_reached", "the last places were just taken".to_owned()), |e| (e.code(), e.to_string()));
    Err(ApiError::Conflict { code: err.0, detail: err.1 })
}

/// The source's cancellation with the target's insert in the same guarded batch.
fn move_change(
    ctx: &Ctx,
    shop: &ShopRow,
    snap: &commit::Snapshot,
    order: &OrderToMove,
    (target, kind, estimate): (&Sku, OrderKind, Option<restock_shared::Date>),
    new: &str,
) -> Result<Change, ApiError> {
    let takes = takes_order(&OrderSlots {
        shop: "?1",
        sku: "?6",
        kind: "?7",
        quantity: "o.quantity",
        today: "?8",
        now: "?4",
        policy: "p.policy",
        platform: "0",
    });
    let mut c = Change::new(restock_shared::Op::Cancel { id: order.id.clone() });
    // 1. The new order at the back of the target's queue. While the batch holds (the
    //    source's rev is ours) the row is always selected; when the target does not
    //    take the order at this moment (or is gone, or the source is no longer open
    //    with nothing set aside), its quantity is NULL, which `NOT NULL` refuses: the
    //    statement fails and D1 rolls the whole batch back, the source's cancellation
    //    and its plan included. [`REFUSED`] is how that failure reads.
    c.writes.push((
        format!(
            "INSERT INTO backorders (id, shop_id, sku, kind, email, locale, quantity, allocated, status, placed_on, \
               promised_date, current_promise, projected_date, unit_price_cents, moved_from, created_at, updated_at) \
             SELECT ?5, ?1, ?6, ?7, o.email, o.locale, \
               CASE WHEN o.sku = ?2 AND o.status = 'open' AND o.allocated = 0 AND o.source IS NULL AND {takes} \
                 THEN o.quantity END, \
               0, 'open', ?8, ?10, ?10, ?10, COALESCE(p.price_cents, 0), ?2, ?4, ?4 \
             FROM backorders o LEFT JOIN products p ON p.shop_id = ?1 AND p.sku = ?6 \
             WHERE o.shop_id = ?1 AND o.id = ?9 AND {GUARD}"
        ),
        crate::args![
            new,
            target.as_str(),
            kind.name(),
            ctx.today().to_iso(),
            order.id.as_str(),
            estimate.map(restock_shared::Date::to_iso)
        ],
    ));
    // 2. The old order ends, naming the new one.
    c.writes.push((
        format!(
            "UPDATE backorders SET status = 'cancelled', allocated = 0, cancelled_at = ?4, updated_at = ?4, moved_to = ?5 \
             WHERE shop_id = ?1 AND id = ?6 AND status = 'open' AND allocated = 0 AND {GUARD}"
        ),
        crate::args![new, order.id.as_str()],
    ));
    // 3. The shopper's confirmation of the new order.
    let cancel = tokens::sign(ctx, LinkKind::Cancel, &shop.id, new, 0)?;
    let base = crate::notify::consumer::base_url(ctx, shop);
    let cancel_url = tokens::url(&base, &format!("/v1/shops/{}/backorders/cancel", shop.id), &cancel);
    let email = Outgoing::email(
        &shop.id,
        "backorder_confirmation",
        &order.email,
        &order.locale,
        format!("backorder_confirmation:{new}"),
        json!({ "backorder_id": new, "cancel_url": cancel_url }),
    )
    .about(target.as_str(), new);
    c.writes.push(email.insert(ctx, 5, GUARD));
    let qty = snap.queue.iter().find(|r| r.id == order.id).map(|r| r.quantity);
    c.events.push((
        format!("{}.cancelled", order.kind),
        json!({ "id": order.id, "sku": order.sku, "quantity": qty, "moved_to": new }),
    ));
    c.events.push((
        format!("{}.created", kind.name()),
        json!({ "id": new, "sku": target.as_str(), "quantity": order.quantity, "email": order.email, "moved_from": order.id }),
    ));
    Ok(c)
}

#[derive(Debug, Deserialize)]
struct SignupToMove {
    id: String,
    sku: String,
    status: String,
}

/// `POST /v1/admin/signups/{id}/move`: to another product's waitlist, at the back.
pub async fn move_signup(ctx: &Ctx, req: &mut Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let body: MoveRequest = http::read_json(req).await?;
    let target = Sku::parse(&body.sku)?;
    let shop_id = ShopId::parse(&shop.id)?;
    let signup: SignupToMove = db::first(db::stmt(
        &ctx.db,
        "SELECT id, sku, status FROM waitlist WHERE shop_id = ?1 AND id = ?2",
        crate::args![shop.id.as_str(), id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("signup_not_found", "this shop has no such signup"))?;
    if !matches!(signup.status.as_str(), "pending" | "active") {
        return Err(ApiError::Conflict {
            code: "not_movable",
            detail: "only a signup still waiting (pending or active) can be moved".into(),
        });
    }
    if signup.sku == target.as_str() {
        return Err(range("sku", "another product than the signup's"));
    }
    let facts = target_facts(ctx, &shop_id, &target).await?;
    if !facts.availability(&shop.rules(), ctx.today()).waitlist_open {
        return Err(ApiError::Conflict {
            code: "waitlist_closed",
            detail: "that product's waitlist takes no signups now".into(),
        });
    }
    let new = new_id("wl");
    let now = ctx.now.millis();
    let hook = notify::webhook(
        ctx,
        &shop,
        "waitlist.unsubscribed",
        json!({ "id": signup.id, "moved_to": new, "sku": signup.sku }),
    );
    let (hook_sql, mut hook_params) = hook.insert(ctx, 2, "EXISTS (SELECT 1 FROM waitlist WHERE id = ?1)");
    hook_params.insert(0, db::Arg::js(&new.as_str()));
    let statements = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO waitlist (id, shop_id, sku, email, locale, consent_text, consent_at, status, confirmed_at, \
               consent_version, consent_lang, consent_source, consent_country, \
               phone, sms_consent_text, sms_consent_version, sms_consent_at, sms_stopped_at, created_at, updated_at) \
             SELECT ?3, w.shop_id, ?4, w.email, w.locale, w.consent_text, w.consent_at, w.status, w.confirmed_at, \
               w.consent_version, w.consent_lang, w.consent_source, w.consent_country, \
               w.phone, w.sms_consent_text, w.sms_consent_version, w.sms_consent_at, w.sms_stopped_at, ?5, ?5 \
             FROM waitlist w JOIN products p ON p.shop_id = w.shop_id AND p.sku = ?4 \
             WHERE w.shop_id = ?1 AND w.id = ?2 AND w.status IN ('pending', 'active') AND p.waitlist = 1 \
               AND NOT EXISTS (SELECT 1 FROM waitlist x WHERE x.shop_id = ?1 AND x.sku = ?4 AND x.email = w.email)",
            crate::args![shop.id.as_str(), signup.id.as_str(), new.as_str(), target.as_str(), now],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE waitlist SET status = 'unsubscribed', ended_reason = 'moved', hold_until = NULL, updated_at = ?3 \
             WHERE shop_id = ?1 AND id = ?2 AND status IN ('pending', 'active') AND EXISTS (SELECT 1 FROM waitlist WHERE id = ?4)",
            crate::args![shop.id.as_str(), signup.id.as_str(), now, new.as_str()],
        )?,
        db::stmt(&ctx.db, &hook_sql, hook_params)?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(ApiError::Conflict {
            code: "already_on_waitlist",
            detail: "this address is already on that product's waitlist, or the signup stopped waiting".into(),
        });
    }
    crate::admin::audit::note(
        ctx,
        "move",
        json!({ "from": { "id": signup.id, "sku": signup.sku }, "to": { "id": new, "sku": target.as_str() } }),
    );
    notify::kick(ctx);
    http::json(200, &json!({ "id": new, "moved_from": { "id": signup.id, "sku": signup.sku }, "sku": target.as_str() }))
}

/// `POST /v1/admin/signups/{id}/cancel`: ends a signup (`ended_reason` `merchant`).
/// Ending one that has ended is not an error.
pub async fn cancel_signup(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let now = ctx.now.millis();
    let hook = notify::webhook(ctx, &shop, "waitlist.unsubscribed", json!({ "id": id, "by": "merchant" }));
    // The event only when this request ended it (the row now says so, at this instant).
    let (hook_sql, mut hook_params) = hook.insert(
        ctx,
        1,
        "EXISTS (SELECT 1 FROM waitlist WHERE shop_id = ?8 AND id = ?9 AND updated_at = ?10 AND ended_reason = 'merchant')",
    );
    hook_params.extend(crate::args![shop.id.as_str(), id, now]);
    let statements = vec![
        db::stmt(
            &ctx.db,
            "UPDATE waitlist SET status = 'unsubscribed', ended_reason = 'merchant', hold_until = NULL, updated_at = ?3 \
             WHERE shop_id = ?1 AND id = ?2 AND status IN ('pending', 'active', 'notified')",
            crate::args![shop.id.as_str(), id, now],
        )?,
        db::stmt(&ctx.db, &hook_sql, hook_params)?,
        db::stmt(
            &ctx.db,
            "SELECT id, sku, status, ended_reason FROM waitlist WHERE shop_id = ?1 AND id = ?2",
            crate::args![shop.id.as_str(), id],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let row: Option<Value> = results.get(2).map(db::rows::<Value>).transpose()?.and_then(|mut v| v.pop());
    let Some(row) = row else { return Err(ApiError::not_found("signup_not_found", "this shop has no such signup")) };
    let changed = results.first().map(db::changes) == Some(1);
    if changed {
        notify::kick(ctx);
    }
    http::json(
        200,
        &json!({ "id": id, "sku": row["sku"], "status": row["status"], "ended_reason": row["ended_reason"], "already": !changed }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: Option<&str>) -> Result<Query, (&'static str, String)> {
        Query::parse(raw).map_err(|e| {
            let p = e.problem();
            (p.code, p.field.unwrap_or_default())
        })
    }

    #[test]
    fn a_query_is_an_address_or_a_reference() {
        assert!(matches!(check(Some(" Ada@Example.com ")), Ok(Query::Email(e)) if e.as_str() == "Ada@example.com"));
        assert_eq!(check(Some("#1001")), Ok(Query::Reference("#1001".into())));
        assert_eq!(check(Some("bo_12ab")), Ok(Query::Reference("bo_12ab".into())));
        assert_eq!(check(None), Err(("missing_field", "q".into())));
        assert_eq!(check(Some("  ")), Err(("missing_field", "q".into())));
        assert_eq!(check(Some("ada@")), Err(("out_of_range", "q".into())));
        assert_eq!(check(Some("a\nb")), Err(("invalid_text", "q".into())));
        assert_eq!(check(Some(&"x".repeat(101))), Err(("invalid_text", "q".into())));
    }
}
