//! The merchant's delivery log (`GET /v1/admin/deliveries`) and manual retry
//! (`POST /v1/admin/deliveries/{id}/retry`), plus the development-only mailbox at
//! `/dev/mailbox` (HTML) and `/dev/mailbox.json`, and `/dev/queue` for replaying jobs.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http::{self, escape_html};
use crate::notify::consumer::{Job, enqueue};
use crate::paging::Page;
use crate::shops::auth;

#[derive(Debug, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    pub seq: i64,
    pub channel: String,
    pub kind: String,
    pub recipient: String,
    pub sku: Option<String>,
    pub release_id: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The provider's message id once sent (`outbox` or `webhook` for those channels).
    pub provider_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Counts {
    queued: i64,
    sending: i64,
    sent: i64,
    failed: i64,
    dead: i64,
    skipped: i64,
}

const STATUSES: [&str; 6] = ["queued", "sending", "sent", "failed", "dead", "skipped"];

fn filter(req: &Request, name: &'static str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match http::query_param(req, name) {
        None => Ok(None),
        Some(v) if allowed.is_empty() || allowed.contains(&v.as_str()) => Ok(Some(v)),
        Some(_) => {
            Err(ApiError::Invalid(restock_shared::InvalidInput::Range { field: name, detail: "not a known value" }))
        }
    }
}

/// `GET /v1/admin/deliveries?status=&kind=&channel=&sku=&cursor=&limit=`: newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let status = filter(req, "status", &STATUSES)?;
    let channel = filter(req, "channel", &["email", "webhook", "sms"])?;
    let kind = filter(req, "kind", &[])?;
    let sku = http::query_param(req, "sku").map(|s| restock_shared::Sku::parse(&s)).transpose()?;
    let page = Page::from_request(req)?;
    let before = match page.cursor_seq()? {
        0 => i64::MAX,
        n => n,
    };
    let statements = vec![
        db::stmt(
            &ctx.db,
            "SELECT id, seq, channel, kind, recipient, sku, release_id, status, attempts, last_error, provider_id, created_at, updated_at, sent_at \
             FROM deliveries WHERE shop_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR channel = ?3) \
               AND (?4 IS NULL OR kind = ?4) AND (?5 IS NULL OR sku = ?5) AND seq < ?6 ORDER BY seq DESC LIMIT ?7",
            crate::args![
                shop.id.as_str(),
                status,
                channel,
                kind,
                sku.map(|s| s.as_str().to_owned()),
                before,
                page.limit + 1
            ],
        )?,
        db::stmt(
            &ctx.db,
            "SELECT COALESCE(SUM(status = 'queued'), 0) AS queued, COALESCE(SUM(status = 'sending'), 0) AS sending, \
               COALESCE(SUM(status = 'sent'), 0) AS sent, COALESCE(SUM(status = 'failed'), 0) AS failed, \
               COALESCE(SUM(status = 'dead'), 0) AS dead, COALESCE(SUM(status = 'skipped'), 0) AS skipped \
             FROM deliveries WHERE shop_id = ?1",
            crate::args![shop.id.as_str()],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let mut items: Vec<DeliveryRow> = results.first().map(db::rows).transpose()?.unwrap_or_default();
    let counts: Option<Counts> = results.get(1).map(db::rows).transpose()?.and_then(|mut v| v.pop());
    let next = (items.len() > page.limit as usize).then(|| {
        items.truncate(page.limit as usize);
        items.last().map(|i| Page::encode_seq(i.seq))
    });
    http::json(200, &json!({ "items": items, "counts": counts, "next_cursor": next.flatten() }))
}

/// `POST /v1/admin/deliveries/{id}/retry`: a failed or dead delivery goes out again.
pub async fn retry(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let changed = db::run(db::stmt(
        &ctx.db,
        "UPDATE deliveries SET status = 'queued', lease_until = NULL, last_error = NULL, updated_at = ?3 \
         WHERE shop_id = ?1 AND id = ?2 AND status IN ('failed', 'dead')",
        crate::args![shop.id.as_str(), id, ctx.now.millis()],
    )?)
    .await?;
    if changed == 0 {
        let exists: Option<Value> = db::first(db::stmt(
            &ctx.db,
            "SELECT status FROM deliveries WHERE shop_id = ?1 AND id = ?2",
            crate::args![shop.id.as_str(), id],
        )?)
        .await?;
        return match exists {
            None => Err(ApiError::not_found("delivery_not_found", "this shop has no such delivery")),
            Some(_) => Err(ApiError::Conflict {
                code: "not_retryable",
                detail: "only failed or dead deliveries can be retried".into(),
            }),
        };
    }
    crate::notify::kick(ctx);
    http::json(202, &json!({ "id": id, "status": "queued" }))
}

fn dev_only(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.is_development() { Ok(()) } else { Err(ApiError::not_found("route_not_found", "no such endpoint")) }
}

#[derive(Debug, Serialize, Deserialize)]
struct OutboxRow {
    seq: i64,
    delivery_id: String,
    shop_id: String,
    to_addr: String,
    from_name: String,
    reply_to: Option<String>,
    subject: String,
    text_body: String,
    html_body: String,
    headers: String,
    created_at: i64,
}

async fn outbox(ctx: &Ctx, req: &Request) -> Result<Vec<OutboxRow>, ApiError> {
    let limit: i64 =
        http::query_param(req, "limit").and_then(|l| l.parse().ok()).filter(|l| (1..=1000).contains(l)).unwrap_or(100);
    db::all(db::stmt(
        &ctx.db,
        "SELECT seq, delivery_id, shop_id, to_addr, from_name, reply_to, subject, text_body, html_body, headers, created_at FROM outbox \
         WHERE (?1 IS NULL OR shop_id = ?1) AND (?2 IS NULL OR lower(to_addr) = lower(?2)) ORDER BY seq DESC LIMIT ?3",
        crate::args![http::query_param(req, "shop"), http::query_param(req, "to"), limit],
    )?)
    .await
}

/// `GET /dev/mailbox.json?shop=&to=&limit=` (development only).
pub async fn mailbox_json(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    dev_only(ctx)?;
    let rows = outbox(ctx, req).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.delivery_id, "shop": r.shop_id, "to": r.to_addr, "from_name": r.from_name, "reply_to": r.reply_to,
                "subject": r.subject, "text": r.text_body, "html": r.html_body,
                "headers": serde_json::from_str::<Value>(&r.headers).unwrap_or(Value::Null), "created_at": r.created_at,
            })
        })
        .collect();
    http::json(200, &json!({ "items": items }))
}

/// Escapes text and turns URLs in it into links (the dev mailbox's plain-text view).
fn linkify(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| {
            let (word, space) = w.split_at(w.trim_end().len());
            if word.starts_with("http://") || word.starts_with("https://") {
                format!(
                    "<a href=\"{0}\" target=\"_blank\" rel=\"noopener\">{0}</a>{1}",
                    escape_html(word),
                    escape_html(space)
                )
            } else {
                escape_html(w)
            }
        })
        .collect()
}

/// `GET /dev/mailbox` (development only): every message the outbox "sent".
pub async fn mailbox(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    dev_only(ctx)?;
    let rows = outbox(ctx, req).await?;
    let mut items = String::new();
    for r in &rows {
        let when = restock_shared::Timestamp::from_millis(r.created_at).to_iso();
        items.push_str(&format!(
            "<article><header><h2>{subject}</h2><p class=\"meta\">To <b>{to}</b> from {from} · {when} · shop {shop}</p></header>\
             <details open><summary>Text</summary><pre>{text}</pre></details>\
             <details><summary>HTML</summary><iframe sandbox title=\"{subject}\" srcdoc=\"{html}\"></iframe></details>\
             <details><summary>Headers</summary><pre>{headers}</pre></details></article>",
            subject = escape_html(&r.subject),
            to = escape_html(&r.to_addr),
            from = escape_html(&r.from_name),
            shop = escape_html(&r.shop_id),
            text = linkify(&r.text_body),
            html = escape_html(&r.html_body),
            headers = escape_html(&r.headers),
        ));
    }
    if rows.is_empty() {
        items.push_str("<p>No messages yet. Join a waitlist on the <a href=\"/\">demo storefront</a>.</p>");
    }
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Dev mailbox · Restock</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1c2321}}\
         article{{border:1px solid #d9dedc;border-radius:8px;padding:1rem;margin:1rem 0;background:#fff}}h2{{font-size:1.05rem;margin:0}}\
         .meta{{color:#5b6663;margin:.25rem 0 .5rem}}pre{{white-space:pre-wrap;background:#f6f7f5;padding:.75rem;border-radius:6px}}\
         iframe{{width:100%;height:28rem;border:1px solid #d9dedc;border-radius:6px}}</style></head>\
         <body><h1>Dev mailbox</h1><p>Emails the local outbox provider delivered (development only; newest first). \
         Links work: they point at this Worker.</p>{items}</body></html>"
    );
    let mut resp = http::html(200, page);
    // The page embeds message HTML in sandboxed frames only.
    http::set_header(
        &mut resp,
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self' about:; img-src * data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'",
    );
    Ok(resp)
}

/// `POST /dev/queue` (development only): enqueue raw jobs, e.g. to replay a batch.
pub async fn queue(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    dev_only(ctx)?;
    #[derive(Deserialize)]
    struct Body {
        jobs: Vec<Job>,
    }
    let body: Body = http::read_json(req).await?;
    let n = body.jobs.len();
    enqueue(ctx, body.jobs).await?;
    http::json(202, &json!({ "enqueued": n }))
}

/// `GET /dev/d1` (development only): D1 rows read and written and subrequests made by
/// this isolate's invocations since it started, by kind (`fetch`, `queue`,
/// `scheduled`), for the benchmark's cost per notification.
pub fn d1_tallies(ctx: &Ctx) -> Result<Response, ApiError> {
    dev_only(ctx)?;
    let tallies: serde_json::Map<String, serde_json::Value> = crate::limits::tallies()
        .into_iter()
        .map(|(kind, t)| (kind.to_owned(), serde_json::to_value(t).unwrap_or_default()))
        .collect();
    http::json(200, &tallies)
}

/// `POST /dev/releases/due?shop=&sku=` (development only): makes a SKU's current wave
/// due for its next-wave check now, so tests need not wait out the interval.
pub async fn make_due(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    dev_only(ctx)?;
    let shop = restock_shared::ShopId::parse(&http::query_param(req, "shop").unwrap_or_default())?;
    let sku = restock_shared::Sku::parse(&http::query_param(req, "sku").unwrap_or_default())?;
    let n = db::run(db::stmt(
        &ctx.db,
        "UPDATE releases SET next_check_at = ?3 WHERE shop_id = ?1 AND sku = ?2 AND status = 'sent'",
        crate::args![shop.as_str(), sku.as_str(), ctx.now.millis()],
    )?)
    .await?;
    http::json(200, &json!({ "due": n }))
}
