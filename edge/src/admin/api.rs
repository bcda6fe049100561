//! Merchant-wide endpoints: demand insights, CSV exports, erasing a subscriber.

use restock_shared::{Date, Email, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::http;
use crate::paging::Page;
use crate::shops::auth;

#[derive(Debug, Serialize, Deserialize)]
struct DemandRow {
    sku: String,
    name: String,
    price_cents: i64,
    on_hand: i64,
    supplier: Option<String>,
    waiting: i64,
    pending: i64,
    backorders_open: i64,
    backordered_units: i64,
    delayed: i64,
    notified: i64,
    converted: i64,
    recovered_cents: i64,
    backorder_revenue_cents: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct DayRow {
    day: String,
    n: i64,
    units: i64,
}

/// The per-product figures of an insights page (only the page's products are read).
const DEMAND_COLUMNS: &str = "p.sku, p.name, p.price_cents, p.on_hand, p.supplier, \
   (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'active') AS waiting, \
   (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'pending') AS pending, \
   (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS backorders_open, \
   (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS backordered_units, \
   (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open' AND b.delayed = 1) AS delayed, \
   (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'notified') AS notified, \
   (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.converted_at IS NOT NULL) AS converted, \
   (SELECT COALESCE(SUM(o.amount_cents), 0) FROM orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.attributed IS NOT NULL) AS recovered_cents, \
   (SELECT COALESCE(SUM(b.quantity * b.unit_price_cents), 0) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status != 'cancelled') AS backorder_revenue_cents";

/// Demand per SKU (people waiting or pending, units owed), from the grouped waitlist
/// and open backorders: only SKUs someone waits for are ranked.
const DEMAND_CTE: &str = "WITH d AS (SELECT sku, SUM(people) AS people, SUM(units) AS units FROM ( \
     SELECT sku, COUNT(*) AS people, 0 AS units FROM waitlist WHERE shop_id = ?1 AND status IN ('active', 'pending') GROUP BY sku \
     UNION ALL SELECT sku, 0, SUM(quantity - allocated) FROM backorders WHERE shop_id = ?1 AND status = 'open' GROUP BY sku \
   ) GROUP BY sku)";

#[derive(Debug, Deserialize)]
struct Totals {
    waiting: i64,
    backordered_units: i64,
    backorder_value_cents: i64,
    backorder_revenue_cents: i64,
    recovered_cents: i64,
    notified: i64,
    converted: i64,
    /// Credited within the click window, or only within the delivery window.
    #[serde(default)]
    recovered_direct_cents: i64,
    #[serde(default)]
    recovered_assisted_cents: i64,
}

/// `GET /v1/admin/insights?days=30&limit=50&cursor=`: shop-wide totals (aggregates),
/// a daily series of signups and backorders, and one page of the products ranked by
/// waiting demand (people waiting plus units owed, then its value, then SKU). Bounded
/// whatever the catalog's size: the totals are single rows, the series has `days`
/// points, and only the page's products are read in full.
pub async fn insights(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let days: u32 = match http::query_param(req, "days") {
        None => 30,
        Some(d) => d
            .parse()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or(ApiError::Invalid(restock_shared::InvalidInput::Range { field: "days", detail: "1 to 365" }))?,
    };
    let page = Page::from_request(req)?;
    let offset = page.cursor_seq()?;
    let since = Date::from_days(ctx.today().days_since_epoch() - i32::try_from(days).unwrap_or(30) + 1);
    let since_ms = since.start().millis();
    let p = || crate::args![shop.id.as_str(), since_ms];
    let statements = vec![
        db::stmt(
            &ctx.db,
            &format!(
                "{DEMAND_CTE} SELECT {DEMAND_COLUMNS} FROM d JOIN products p ON p.shop_id = ?1 AND p.sku = d.sku \
                 ORDER BY d.people + d.units DESC, (d.people + d.units) * p.price_cents DESC, p.sku LIMIT ?2 OFFSET ?3"
            ),
            crate::args![shop.id.as_str(), page.limit + 1, offset],
        )?,
        db::stmt(
            &ctx.db,
            "SELECT date(created_at / 1000, 'unixepoch') AS day, COUNT(*) AS n, COUNT(*) AS units FROM waitlist \
             WHERE shop_id = ?1 AND created_at >= ?2 GROUP BY day",
            p(),
        )?,
        db::stmt(
            &ctx.db,
            "SELECT date(created_at / 1000, 'unixepoch') AS day, COUNT(*) AS n, COALESCE(SUM(quantity), 0) AS units FROM backorders \
             WHERE shop_id = ?1 AND created_at >= ?2 GROUP BY day",
            p(),
        )?,
        db::stmt(
            &ctx.db,
            "SELECT \
               (SELECT COUNT(*) FROM waitlist WHERE shop_id = ?1 AND status IN ('active', 'pending')) AS waiting, \
               (SELECT COALESCE(SUM(quantity - allocated), 0) FROM backorders WHERE shop_id = ?1 AND status = 'open') AS backordered_units, \
               (SELECT COALESCE(SUM((b.quantity - b.allocated) * p.price_cents), 0) FROM backorders b \
                  JOIN products p ON p.shop_id = b.shop_id AND p.sku = b.sku WHERE b.shop_id = ?1 AND b.status = 'open') AS backorder_value_cents, \
               (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM backorders WHERE shop_id = ?1 AND status != 'cancelled') AS backorder_revenue_cents, \
               (SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE shop_id = ?1 AND attributed IS NOT NULL) AS recovered_cents, \
               (SELECT COUNT(*) FROM waitlist WHERE shop_id = ?1 AND status = 'notified') AS notified, \
               (SELECT COUNT(*) FROM waitlist WHERE shop_id = ?1 AND converted_at IS NOT NULL) AS converted, \
               (SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE shop_id = ?1 AND attributed = 'direct') AS recovered_direct_cents, \
               (SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE shop_id = ?1 AND attributed = 'assisted') AS recovered_assisted_cents",
            crate::args![shop.id.as_str()],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let [products, signups, backorders, totals] = results.as_slice() else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let mut rows: Vec<DemandRow> = db::rows(products)?;
    let more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let signups: Vec<DayRow> = db::rows(signups)?;
    let backorders: Vec<DayRow> = db::rows(backorders)?;
    let series: Vec<serde_json::Value> = (0..days)
        .map(|i| {
            let day = since.add_days(i).to_iso();
            let s = signups.iter().find(|r| r.day == day);
            let b = backorders.iter().find(|r| r.day == day);
            json!({
                "day": day,
                "signups": s.map_or(0, |r| r.n),
                "backorders": b.map_or(0, |r| r.n),
                "backordered_units": b.map_or(0, |r| r.units),
            })
        })
        .collect();
    let products: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut v = json!(r);
            v["demand_units"] = json!(r.waiting + r.pending + r.backordered_units);
            v["backorder_value_cents"] = json!(r.backordered_units * r.price_cents);
            v["waitlist_value_cents"] = json!((r.waiting + r.pending) * r.price_cents);
            v
        })
        .collect();
    let t: Totals = db::rows::<Totals>(totals)?
        .pop()
        .ok_or_else(|| ApiError::Internal("the insights totals returned no row".into()))?;
    let totals = json!({
        "waiting": t.waiting,
        "backordered_units": t.backordered_units,
        "backorder_value_cents": t.backorder_value_cents,
        "backorder_revenue_cents": t.backorder_revenue_cents,
        "recovered_cents": t.recovered_cents,
        "recovered_direct_cents": t.recovered_direct_cents,
        "recovered_assisted_cents": t.recovered_assisted_cents,
        "notified": t.notified,
        "converted": t.converted,
        "conversion_rate": if t.notified > 0 { t.converted as f64 / t.notified as f64 } else { 0.0 },
    });
    let next = more.then(|| Page::encode_seq(offset + i64::from(page.limit)));
    http::json(
        200,
        &json!({ "currency": shop.currency, "days": days, "products": products, "next_cursor": next, "series": series, "totals": totals }),
    )
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would read it as a
/// formula (OWASP "CSV injection").
pub fn csv_cell(value: &str) -> String {
    let defused =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) { format!("\"{}\"", defused.replace('"', "\"\"")) } else { defused }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn iso(ms: Option<i64>) -> String {
    ms.map(|m| Timestamp::from_millis(m).to_iso()).unwrap_or_default()
}

/// A row of a CSV export: its line, and the key the next page continues after.
trait CsvRow: DeserializeOwned + 'static {
    type Key: Clone + 'static;
    fn key(&self) -> Self::Key;
    fn line(&self) -> String;
}

/// Rows per D1 read while exporting, and the most rows one export returns.
const EXPORT_CHUNK: i64 = 1000;
const EXPORT_MAX: usize = 200_000;

/// Streams a CSV export: `header`, then pages of `EXPORT_CHUNK` rows read one at a
/// time as the client takes them (keyset paging through `page(db, after)`), so memory
/// stays one page whatever the export's size, and each page is one D1 query of the
/// invocation's budget. An error after the first byte ends the stream early (logged);
/// the client sees a truncated download, never a partial file presented as whole.
fn stream_csv<R: CsvRow>(
    ctx: &Ctx,
    name: &str,
    header: &'static str,
    page: impl Fn(&Db, Option<&R::Key>) -> Result<db::Stmt, ApiError> + 'static,
) -> Result<Response, ApiError> {
    struct State<K> {
        after: Option<K>,
        sent: usize,
        started: bool,
        done: bool,
    }
    let db = ctx.db.clone();
    let state = State { after: None, sent: 0, started: false, done: false };
    let body = futures_util::stream::unfold(state, move |mut st| {
        let db = db.clone();
        let next = if st.done { None } else { Some(page(&db, st.after.as_ref())) };
        async move {
            let stmt = next?;
            let rows: Result<Vec<R>, ApiError> = match stmt {
                Ok(s) => db::all(s).await,
                Err(e) => Err(e),
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    worker::console_error!("export stopped: {e:?}");
                    st.done = true;
                    return Some((Err(worker::Error::RustError("export stopped".into())), st));
                }
            };
            let mut out = if st.started { String::new() } else { header.to_owned() };
            st.started = true;
            for r in &rows {
                out.push_str(&r.line());
            }
            st.sent += rows.len();
            st.after = rows.last().map(CsvRow::key);
            st.done = (rows.len() as i64) < EXPORT_CHUNK || st.sent >= EXPORT_MAX;
            Some((Ok::<Vec<u8>, worker::Error>(out.into_bytes()), st))
        }
    });
    let disposition = format!("attachment; filename=\"{name}\"");
    let headers = worker::Headers::new();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set("content-disposition", &disposition)?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_stream(body)?.with_headers(headers))
}

#[derive(Deserialize)]
struct WaitlistExport {
    seq: i64,
    id: String,
    sku: String,
    email: String,
    locale: String,
    status: String,
    consent_text: String,
    consent_at: i64,
    confirmed_at: Option<i64>,
    notified_at: Option<i64>,
    converted_at: Option<i64>,
    created_at: i64,
    consent_version: Option<String>,
    consent_lang: Option<String>,
    consent_source: Option<String>,
    consent_country: Option<String>,
    phone: Option<String>,
    sms_consent_text: Option<String>,
    sms_consent_at: Option<i64>,
    sms_stopped_at: Option<i64>,
}

impl CsvRow for WaitlistExport {
    type Key = i64;
    fn key(&self) -> i64 {
        self.seq
    }
    fn line(&self) -> String {
        csv_line(&[
            self.id.clone(),
            self.sku.clone(),
            self.email.clone(),
            self.locale.clone(),
            self.status.clone(),
            self.consent_text.clone(),
            iso(Some(self.consent_at)),
            iso(self.confirmed_at),
            iso(self.notified_at),
            iso(self.converted_at),
            iso(Some(self.created_at)),
            self.consent_version.clone().unwrap_or_default(),
            self.consent_lang.clone().unwrap_or_default(),
            self.consent_source.clone().unwrap_or_default(),
            self.consent_country.clone().unwrap_or_default(),
            self.phone.clone().unwrap_or_default(),
            self.sms_consent_text.clone().unwrap_or_default(),
            iso(self.sms_consent_at),
            iso(self.sms_stopped_at),
        ])
    }
}

#[derive(Deserialize)]
struct BackorderExport {
    seq: i64,
    id: String,
    sku: String,
    kind: String,
    email: String,
    quantity: i64,
    allocated: i64,
    status: String,
    placed_on: String,
    promised_date: Option<String>,
    current_promise: Option<String>,
    projected_date: Option<String>,
    delayed: i64,
    created_at: i64,
}

impl CsvRow for BackorderExport {
    type Key = i64;
    fn key(&self) -> i64 {
        self.seq
    }
    fn line(&self) -> String {
        csv_line(&[
            self.id.clone(),
            self.sku.clone(),
            self.kind.clone(),
            self.email.clone(),
            self.quantity.to_string(),
            self.allocated.to_string(),
            self.status.clone(),
            self.placed_on.clone(),
            self.promised_date.clone().unwrap_or_default(),
            self.current_promise.clone().unwrap_or_default(),
            self.projected_date.clone().unwrap_or_default(),
            (self.delayed != 0).to_string(),
            iso(Some(self.created_at)),
        ])
    }
}

/// `GET /v1/admin/export/{waitlist|backorders|supplier-digest}.csv`, streamed in pages.
pub async fn export(ctx: &Ctx, req: &Request, what: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = http::query_param(req, "sku").map(|s| restock_shared::Sku::parse(&s)).transpose()?;
    let sku = sku.map(|s| s.as_str().to_owned());
    let shop_id = shop.id.clone();
    match what {
        "waitlist.csv" => stream_csv::<WaitlistExport>(
            ctx,
            what,
            "id,sku,email,locale,status,consent_text,consent_at,confirmed_at,notified_at,converted_at,created_at,consent_version,consent_lang,consent_source,consent_country,phone,sms_consent_text,sms_consent_at,sms_stopped_at\r\n",
            move |db, after| {
                db::stmt(
                    db,
                    "SELECT seq, id, sku, email, locale, status, consent_text, consent_at, confirmed_at, notified_at, converted_at, created_at, \
                       consent_version, consent_lang, consent_source, consent_country, \
                       phone, sms_consent_text, sms_consent_at, sms_stopped_at \
                     FROM waitlist WHERE shop_id = ?1 AND (?2 IS NULL OR sku = ?2) AND seq > ?3 ORDER BY seq LIMIT ?4",
                    crate::args![shop_id.as_str(), sku.clone(), after.copied().unwrap_or(0), EXPORT_CHUNK],
                )
            },
        ),
        "backorders.csv" => {
            let status = http::query_param(req, "status");
            stream_csv::<BackorderExport>(
                ctx,
                what,
                "id,sku,kind,email,quantity,allocated,status,placed_on,promised_date,current_promise,projected_date,delayed,created_at\r\n",
                move |db, after| {
                    db::stmt(
                        db,
                        "SELECT seq, id, sku, kind, email, quantity, allocated, status, placed_on, promised_date, current_promise, projected_date, delayed, created_at \
                         FROM backorders WHERE shop_id = ?1 AND (?2 IS NULL OR sku = ?2) AND (?3 IS NULL OR status = ?3) AND seq > ?4 ORDER BY seq LIMIT ?5",
                        crate::args![
                            shop_id.as_str(),
                            sku.clone(),
                            status.clone(),
                            after.copied().unwrap_or(0),
                            EXPORT_CHUNK
                        ],
                    )
                },
            )
        }
        "supplier-digest.csv" => {
            let since = digest_since(ctx);
            stream_csv::<DigestRow>(ctx, what, DIGEST_HEADER, move |db, after| {
                digest_page(db, &shop_id, after, EXPORT_CHUNK, since)
            })
        }
        _ => Err(ApiError::not_found("route_not_found", "exports: waitlist.csv, backorders.csv, supplier-digest.csv")),
    }
}

#[derive(Deserialize)]
struct DigestRow {
    supplier: Option<String>,
    sku: String,
    name: String,
    open_backorders: i64,
    units_owed: i64,
    waiting: i64,
    oldest_placed_on: Option<String>,
    next_po_date: Option<String>,
    next_po_quantity: Option<i64>,
    /// The forecast's facts (see `stock::forecast`).
    #[serde(default)]
    on_hand: i64,
    #[serde(default)]
    lead_time_days: Option<i64>,
    #[serde(default)]
    incoming: i64,
    #[serde(default)]
    demand: Option<String>,
    #[serde(default)]
    service_level_permille: i64,
}

impl DigestRow {
    /// The product's forecast over the digest's window, when its demand reads.
    fn forecast(&self) -> Option<restock_shared::Forecast> {
        use crate::stock::forecast::{WINDOW_DAYS, history_from_moments};
        let history = history_from_moments(self.demand.as_deref(), WINDOW_DAYS)?;
        let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        let position =
            restock_shared::Position { on_hand: n(self.on_hand), incoming: n(self.incoming), owed: n(self.units_owed) };
        let level = u16::try_from(self.service_level_permille)
            .ok()
            .and_then(|p| restock_shared::ServiceLevel::from_permille(p).ok())
            .unwrap_or_default();
        let lead = self.lead_time_days.and_then(|d| u16::try_from(d).ok());
        Some(restock_shared::forecast(&history, lead, restock_shared::forecast::REVIEW_DAYS, level, position))
    }
}

impl CsvRow for DigestRow {
    /// (supplier or "", SKU): the digest's order.
    type Key = (String, String);
    fn key(&self) -> (String, String) {
        (self.supplier.clone().unwrap_or_default(), self.sku.clone())
    }
    fn line(&self) -> String {
        let f = self.forecast();
        let unit = |v: Option<u32>| v.map(|u| u.to_string()).unwrap_or_default();
        csv_line(&[
            self.supplier.clone().unwrap_or_default(),
            self.sku.clone(),
            self.name.clone(),
            self.open_backorders.to_string(),
            self.units_owed.to_string(),
            self.waiting.to_string(),
            self.oldest_placed_on.clone().unwrap_or_default(),
            self.next_po_date.clone().unwrap_or_default(),
            self.next_po_quantity.map(|q| q.to_string()).unwrap_or_default(),
            self.lead_time_days.map(|d| d.to_string()).unwrap_or_default(),
            f.as_ref().map(|f| format!("{:.2}", f.per_day)).unwrap_or_default(),
            unit(f.as_ref().and_then(|f| f.safety_stock)),
            unit(f.as_ref().and_then(|f| f.reorder_point)),
            unit(f.as_ref().and_then(|f| f.suggested_order)),
        ])
    }
}

const DIGEST_HEADER: &str = "supplier,sku,name,open_backorders,units_owed,waiting,oldest_placed_on,next_po_date,\
     next_po_quantity,lead_time_days,demand_per_day,safety_stock,reorder_point,suggested_order\r\n";

/// One page of the supplier digest: open backorders per supplier and SKU (what to
/// chase), in (supplier, SKU) order after `after`, with each SKU's forecast facts
/// (its demand since `since`, ms: one correlated read of that SKU's rows).
fn digest_page(
    db: &Db,
    shop: &str,
    after: Option<&(String, String)>,
    limit: i64,
    since: i64,
) -> Result<db::Stmt, ApiError> {
    let (supplier, sku) = after.cloned().unwrap_or_default();
    let demand = crate::stock::forecast::demand_moments("?1", "p.sku", "?6");
    db::stmt(
        db,
        &format!(
            "SELECT p.supplier, p.sku, p.name, p.on_hand, p.lead_time_days, {demand} AS demand, \
           (SELECT service_level_permille FROM shops WHERE id = ?1) AS service_level_permille, \
           (SELECT COALESCE(SUM(o.quantity), 0) FROM purchase_orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.status = 'open') AS incoming, \
           (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS open_backorders, \
           (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS units_owed, \
           (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'active') AS waiting, \
           (SELECT MIN(b.placed_on) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS oldest_placed_on, \
           (SELECT MIN(o.expected_date) FROM purchase_orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.status = 'open') AS next_po_date, \
           (SELECT o.quantity FROM purchase_orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.status = 'open' ORDER BY o.expected_date LIMIT 1) AS next_po_quantity \
         FROM products p WHERE p.shop_id = ?1 \
           AND EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') \
           AND (?4 = 0 OR (COALESCE(p.supplier, ''), p.sku) > (?2, ?3)) \
         ORDER BY COALESCE(p.supplier, ''), p.sku LIMIT ?5"
        ),
        crate::args![shop, supplier, sku, i64::from(after.is_some()), limit, since],
    )
}

/// The first instant of the digest's forecast window, ending today.
fn digest_since(ctx: &Ctx) -> i64 {
    crate::stock::forecast::window_start(ctx.today(), crate::stock::forecast::WINDOW_DAYS).1
}

/// Rows the weekly digest email carries at most; the dashboard's export has them all.
pub const DIGEST_EMAIL_ROWS: i64 = 1000;

/// The supplier digest for the weekly email, as CSV: the first `DIGEST_EMAIL_ROWS`
/// rows, and a last line saying where the rest is when there are more.
pub async fn supplier_digest(ctx: &Ctx, shop: &str) -> Result<String, ApiError> {
    let mut rows: Vec<DigestRow> =
        db::all(digest_page(&ctx.db, shop, None, DIGEST_EMAIL_ROWS + 1, digest_since(ctx))?).await?;
    let more = rows.len() as i64 > DIGEST_EMAIL_ROWS;
    rows.truncate(DIGEST_EMAIL_ROWS as usize);
    let mut out = String::from(DIGEST_HEADER);
    for r in &rows {
        out.push_str(&r.line());
    }
    if more {
        out.push_str(&csv_line(&[format!(
            "(more SKUs than {DIGEST_EMAIL_ROWS}: the dashboard's supplier digest export has them all)"
        )]));
    }
    Ok(out)
}

/// `DELETE /v1/admin/subscribers/{email}`: erases an address from this shop (GDPR
/// art. 17): waitlist signups, queued and logged notifications of every kind (emails
/// to it, and webhooks whose payload carries it, sent or not) and outbox copies are
/// deleted; backorders and reported orders keep their quantities but lose the address.
/// Rate-limit buckets only ever hold a hash of it. `tests/tests/privacy.rs` searches
/// every table for the address afterwards.
pub async fn erase(ctx: &Ctx, req: &Request, raw_email: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let decoded = percent_decode(raw_email)
        .ok_or(ApiError::Invalid(restock_shared::InvalidInput::Email(restock_shared::EmailError::At)))?;
    // A phone number (texts) is erased the same way: every signup that gave it, its
    // texts, and the events that carried it.
    if !decoded.contains('@')
        && let Ok(phone) = restock_shared::phone::Phone::parse(&decoded)
    {
        return erase_phone(ctx, &shop.id, &phone).await;
    }
    let email = Email::parse(&decoded)?;
    http::json(200, &json!({ "erased": erase_address(ctx, &shop.id, &email).await? }))
}

/// Erases `email` at `shop` (the merchant's request, or a platform's privacy webhook):
/// what was erased, per table.
pub async fn erase_address(ctx: &Ctx, shop: &str, email: &Email) -> Result<serde_json::Value, ApiError> {
    let p = || crate::args![shop, email.as_str()];
    let statements = vec![
        db::stmt(&ctx.db, "DELETE FROM waitlist WHERE shop_id = ?1 AND lower(email) = lower(?2)", p())?,
        db::stmt(&ctx.db, "DELETE FROM outbox WHERE shop_id = ?1 AND lower(to_addr) = lower(?2)", p())?,
        db::stmt(
            &ctx.db,
            "DELETE FROM deliveries WHERE shop_id = ?1 AND (lower(recipient) = lower(?2) \
               OR instr(lower(payload), lower(?2)) > 0)",
            p(),
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE backorders SET email = 'erased-' || lower(hex(randomblob(6))) || '@erased.invalid' \
             WHERE shop_id = ?1 AND lower(email) = lower(?2)",
            p(),
        )?,
        db::stmt(&ctx.db, "UPDATE orders SET email = NULL WHERE shop_id = ?1 AND lower(email) = lower(?2)", p())?,
        // The service desk's notes about the address (kept by its hash).
        db::stmt(
            &ctx.db,
            "DELETE FROM desk_notes WHERE shop_id = ?1 AND email_hash = ?2",
            crate::args![
                shop,
                crate::notify::feedback::address_key(email.as_str()).map(|(hash, _)| hash).unwrap_or_default()
            ],
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let n = |i: usize| results.get(i).map_or(0, db::changes);
    Ok(
        json!({ "waitlist": n(0), "outbox": n(1), "deliveries": n(2), "backorders": n(3), "orders": n(4), "notes": n(5) }),
    )
}

async fn erase_phone(ctx: &Ctx, shop: &str, phone: &restock_shared::phone::Phone) -> Result<Response, ApiError> {
    let p = || crate::args![shop, phone.as_str()];
    let statements = vec![
        db::stmt(&ctx.db, "DELETE FROM waitlist WHERE shop_id = ?1 AND phone = ?2", p())?,
        db::stmt(&ctx.db, "DELETE FROM outbox WHERE shop_id = ?1 AND to_addr = ?2", p())?,
        db::stmt(
            &ctx.db,
            "DELETE FROM deliveries WHERE shop_id = ?1 AND (recipient = ?2 OR instr(payload, ?2) > 0)",
            p(),
        )?,
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let n = |i: usize| results.get(i).map_or(0, db::changes);
    http::json(
        200,
        &json!({ "erased": { "waitlist": n(0), "outbox": n(1), "deliveries": n(2), "backorders": 0, "orders": 0 } }),
    )
}

/// Decodes `%XX` escapes of a path segment; `None` if malformed or not UTF-8.
pub fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("ada%40example.com").as_deref(), Some("ada@example.com"));
        assert_eq!(percent_decode("ada@example.com").as_deref(), Some("ada@example.com"));
        assert_eq!(percent_decode("bad%4"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
