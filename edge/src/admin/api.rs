//! Merchant-wide endpoints: demand insights, CSV exports, erasing a subscriber.

use restock_shared::{Date, Email, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
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

/// `GET /v1/admin/insights?days=30`: products ranked by waiting demand, a daily series
/// of signups and backorders, and recovered revenue.
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
    let since = Date::from_days(ctx.today().days_since_epoch() - i32::try_from(days).unwrap_or(30) + 1);
    let since_ms = since.start().millis();
    let p = || crate::args![shop.id.as_str(), since_ms];
    let statements = vec![
        db::stmt(
            &ctx.db,
            "SELECT p.sku, p.name, p.price_cents, p.on_hand, p.supplier, \
               (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'active') AS waiting, \
               (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'pending') AS pending, \
               (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS backorders_open, \
               (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS backordered_units, \
               (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open' AND b.delayed = 1) AS delayed, \
               (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'notified') AS notified, \
               (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.converted_at IS NOT NULL) AS converted, \
               (SELECT COALESCE(SUM(o.amount_cents), 0) FROM orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.attributed IS NOT NULL) AS recovered_cents, \
               (SELECT COALESCE(SUM(b.quantity * b.unit_price_cents), 0) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status != 'cancelled') AS backorder_revenue_cents \
             FROM products p WHERE p.shop_id = ?1 AND ?2 IS NOT NULL",
            p(),
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
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let [products, signups, backorders] = results.as_slice() else {
        return Err(ApiError::Internal("D1 batch returned an unexpected number of results".into()));
    };
    let mut rows: Vec<DemandRow> = db::rows(products)?;
    rows.sort_by(|a, b| {
        let demand = |r: &DemandRow| r.waiting + r.pending + r.backordered_units;
        let value = |r: &DemandRow| (r.waiting + r.pending + r.backordered_units) * r.price_cents;
        demand(b).cmp(&demand(a)).then(value(b).cmp(&value(a))).then(a.sku.cmp(&b.sku))
    });
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
    let sum = |f: fn(&DemandRow) -> i64| rows.iter().map(f).sum::<i64>();
    let notified = sum(|r| r.notified);
    let converted = sum(|r| r.converted);
    let totals = json!({
        "waiting": sum(|r| r.waiting + r.pending),
        "backordered_units": sum(|r| r.backordered_units),
        "backorder_value_cents": sum(|r| r.backordered_units * r.price_cents),
        "backorder_revenue_cents": sum(|r| r.backorder_revenue_cents),
        "recovered_cents": sum(|r| r.recovered_cents),
        "notified": notified,
        "converted": converted,
        "conversion_rate": if notified > 0 { converted as f64 / notified as f64 } else { 0.0 },
    });
    http::json(
        200,
        &json!({ "currency": shop.currency, "days": days, "products": products, "series": series, "totals": totals }),
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

fn csv_response(name: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    http::respond(
        200,
        &[
            ("content-type", "text/csv; charset=utf-8"),
            ("content-disposition", &disposition),
            ("cache-control", "no-store"),
        ],
        body.into_bytes(),
    )
}

/// Rows per D1 read while exporting, and the most rows one export returns.
const EXPORT_CHUNK: i64 = 1000;
const EXPORT_MAX: usize = 200_000;

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

/// `GET /v1/admin/export/{waitlist|backorders|supplier-digest}.csv`.
pub async fn export(ctx: &Ctx, req: &Request, what: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = http::query_param(req, "sku").map(|s| restock_shared::Sku::parse(&s)).transpose()?;
    let sku = sku.map(|s| s.as_str().to_owned());
    match what {
        "waitlist.csv" => {
            let mut out = String::from(
                "id,sku,email,locale,status,consent_text,consent_at,confirmed_at,notified_at,converted_at,created_at,consent_version,consent_lang,consent_source\r\n",
            );
            let mut after = 0i64;
            let mut total = 0usize;
            loop {
                let s = db::stmt(
                    &ctx.db,
                    "SELECT seq, id, sku, email, locale, status, consent_text, consent_at, confirmed_at, notified_at, converted_at, created_at, \
                       consent_version, consent_lang, consent_source \
                     FROM waitlist WHERE shop_id = ?1 AND (?2 IS NULL OR sku = ?2) AND seq > ?3 ORDER BY seq LIMIT ?4",
                    crate::args![shop.id.as_str(), sku.clone(), after, EXPORT_CHUNK],
                )?;
                let rows: Vec<WaitlistExport> = db::all(s).await?;
                for r in &rows {
                    out.push_str(&csv_line(&[
                        r.id.clone(),
                        r.sku.clone(),
                        r.email.clone(),
                        r.locale.clone(),
                        r.status.clone(),
                        r.consent_text.clone(),
                        iso(Some(r.consent_at)),
                        iso(r.confirmed_at),
                        iso(r.notified_at),
                        iso(r.converted_at),
                        iso(Some(r.created_at)),
                        r.consent_version.clone().unwrap_or_default(),
                        r.consent_lang.clone().unwrap_or_default(),
                        r.consent_source.clone().unwrap_or_default(),
                    ]));
                }
                total += rows.len();
                match rows.last() {
                    Some(last) if rows.len() as i64 == EXPORT_CHUNK && total < EXPORT_MAX => after = last.seq,
                    _ => break,
                }
            }
            Ok(csv_response("waitlist.csv", out))
        }
        "backorders.csv" => {
            let status = http::query_param(req, "status");
            let mut out = String::from(
                "id,sku,kind,email,quantity,allocated,status,placed_on,promised_date,current_promise,projected_date,delayed,created_at\r\n",
            );
            let mut after = 0i64;
            let mut total = 0usize;
            loop {
                let s = db::stmt(
                    &ctx.db,
                    "SELECT seq, id, sku, kind, email, quantity, allocated, status, placed_on, promised_date, current_promise, projected_date, delayed, created_at \
                     FROM backorders WHERE shop_id = ?1 AND (?2 IS NULL OR sku = ?2) AND (?3 IS NULL OR status = ?3) AND seq > ?4 ORDER BY seq LIMIT ?5",
                    crate::args![shop.id.as_str(), sku.clone(), status.clone(), after, EXPORT_CHUNK],
                )?;
                let rows: Vec<BackorderExport> = db::all(s).await?;
                for r in &rows {
                    out.push_str(&csv_line(&[
                        r.id.clone(),
                        r.sku.clone(),
                        r.kind.clone(),
                        r.email.clone(),
                        r.quantity.to_string(),
                        r.allocated.to_string(),
                        r.status.clone(),
                        r.placed_on.clone(),
                        r.promised_date.clone().unwrap_or_default(),
                        r.current_promise.clone().unwrap_or_default(),
                        r.projected_date.clone().unwrap_or_default(),
                        (r.delayed != 0).to_string(),
                        iso(Some(r.created_at)),
                    ]));
                }
                total += rows.len();
                match rows.last() {
                    Some(last) if rows.len() as i64 == EXPORT_CHUNK && total < EXPORT_MAX => after = last.seq,
                    _ => break,
                }
            }
            Ok(csv_response("backorders.csv", out))
        }
        "supplier-digest.csv" => Ok(csv_response("supplier-digest.csv", supplier_digest(ctx, &shop.id).await?)),
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
}

/// Open backorders per supplier and SKU (what to chase), as CSV.
pub async fn supplier_digest(ctx: &Ctx, shop: &str) -> Result<String, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT p.supplier, p.sku, p.name, \
           (SELECT COUNT(*) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS open_backorders, \
           (SELECT COALESCE(SUM(b.quantity - b.allocated), 0) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS units_owed, \
           (SELECT COUNT(*) FROM waitlist w WHERE w.shop_id = p.shop_id AND w.sku = p.sku AND w.status = 'active') AS waiting, \
           (SELECT MIN(b.placed_on) FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') AS oldest_placed_on, \
           (SELECT MIN(o.expected_date) FROM purchase_orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.status = 'open') AS next_po_date, \
           (SELECT o.quantity FROM purchase_orders o WHERE o.shop_id = p.shop_id AND o.sku = p.sku AND o.status = 'open' ORDER BY o.expected_date LIMIT 1) AS next_po_quantity \
         FROM products p WHERE p.shop_id = ?1 \
           AND EXISTS (SELECT 1 FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open') \
         ORDER BY COALESCE(p.supplier, ''), p.sku",
        crate::args![shop],
    )?;
    let rows: Vec<DigestRow> = db::all(s).await?;
    let mut out = String::from(
        "supplier,sku,name,open_backorders,units_owed,waiting,oldest_placed_on,next_po_date,next_po_quantity\r\n",
    );
    for r in rows {
        out.push_str(&csv_line(&[
            r.supplier.unwrap_or_default(),
            r.sku,
            r.name,
            r.open_backorders.to_string(),
            r.units_owed.to_string(),
            r.waiting.to_string(),
            r.oldest_placed_on.unwrap_or_default(),
            r.next_po_date.unwrap_or_default(),
            r.next_po_quantity.map(|q| q.to_string()).unwrap_or_default(),
        ]));
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
    let email = Email::parse(&decoded)?;
    let p = || crate::args![shop.id.as_str(), email.as_str()];
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
    ];
    let results = db::batch(&ctx.db, statements).await?;
    let n = |i: usize| results.get(i).map_or(0, db::changes);
    http::json(
        200,
        &json!({ "erased": { "waitlist": n(0), "outbox": n(1), "deliveries": n(2), "backorders": n(3), "orders": n(4) } }),
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
