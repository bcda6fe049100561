//! Delay detection: after a change to stock, the queue or purchase orders (and on a
//! schedule), project every open backorder's ship date again with the domain's
//! `project` and act on what it finds:
//! - a later date than promised (or no date any more) is a delay: the promise becomes
//!   the new date (or unknown), the row is flagged, and the shopper is owed a delay
//!   notice with a one-click cancel;
//! - any changed projection is stored and announced to the merchant's webhook;
//! - where nothing was promised (or the last notice said "unknown") and a date now
//!   exists, that date becomes the promise, so a later slip from it is caught.
//!
//! Each row is updated with a compare-and-set on its current promise, and each notice
//! has a dedupe key naming the old and new promise, so running this twice (or
//! concurrently) never notifies twice.

use restock_shared::{Date, IncomingPo, ProductSettings, ProductState, ShopId, ShopRules, Sku, project};
use serde_json::json;
use wasm_bindgen::JsValue;

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::notify::{self, Outgoing};
use crate::shops::ShopRow;
use crate::stock::commit::{Snapshot, load_snapshot};

/// What a recheck found.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Rechecked {
    pub open: usize,
    pub changed: usize,
    pub delayed: usize,
}

/// What a recheck would find if the product had `settings` and `incoming` (a preview
/// of a change; writes nothing).
pub fn evaluate(
    snap: &Snapshot,
    rules: &ShopRules,
    today: Date,
    settings: &ProductSettings,
    incoming: &[IncomingPo],
) -> Rechecked {
    let state = ProductState { settings, stock: snap.facts.stock, queued: snap.facts.queued, incoming };
    let projections = project(&snap.orders(), &state.supply(rules, today));
    let mut out = Rechecked { open: projections.len(), ..Rechecked::default() };
    for p in &projections {
        let Some(row) = snap.queue.iter().find(|r| r.id == p.id) else { continue };
        if p.eta.map(|e| e.date.to_iso()) != row.projected_date {
            out.changed += 1;
        }
        if p.delayed {
            out.delayed += 1;
        }
    }
    out
}

/// Statements per D1 batch when many rows change at once.
const CHUNK: usize = 60;

pub async fn recheck(ctx: &Ctx, shop: &ShopRow, sku: &Sku) -> Result<Rechecked, ApiError> {
    let shop_id = ShopId::parse(&shop.id)?;
    let snap = load_snapshot(ctx, &shop_id, sku).await?;
    let rules = shop.rules();
    let supply = snap.facts.state().supply(&rules, ctx.today());
    let projections = project(&snap.orders(), &supply);
    let mut statements = Vec::new();
    let mut out = Rechecked { open: projections.len(), ..Rechecked::default() };
    let iso = |d: Option<Date>| d.map(Date::to_iso);
    for p in &projections {
        let Some(row) = snap.queue.iter().find(|r| r.id == p.id) else { continue };
        let projected = iso(p.eta.map(|e| e.date));
        if projected != row.projected_date {
            out.changed += 1;
            statements.push(db::stmt(
                &ctx.db,
                "UPDATE backorders SET projected_date = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'open'",
                crate::args![row.id.as_str(), projected.clone(), ctx.now.millis()],
            )?);
            let data = json!({ "id": row.id, "sku": sku.as_str(), "previous": row.projected_date, "projected_date": projected, "position": p.position });
            if let Some(hook) = notify::webhook(ctx, shop, "eta.changed", data) {
                statements.push(insert(ctx, &hook)?);
            }
        }
        if !p.delayed && row.current_promise.is_none() && projected.is_some() {
            // A date again after "unknown" (or for an order placed without one): that
            // is the promise from now on, so a later slip is caught.
            statements.push(db::stmt(
                &ctx.db,
                "UPDATE backorders SET current_promise = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'open' AND current_promise IS NULL",
                crate::args![row.id.as_str(), projected.clone(), ctx.now.millis()],
            )?);
        }
        if p.delayed {
            out.delayed += 1;
            let old = row.current_promise.clone();
            statements.push(db::stmt(
                &ctx.db,
                "UPDATE backorders SET delayed = 1, current_promise = ?2, updated_at = ?3 \
                 WHERE id = ?1 AND status = 'open' AND current_promise IS ?4",
                crate::args![row.id.as_str(), projected.clone(), ctx.now.millis(), old.clone()],
            )?);
            let key = format!(
                "delay:{}:{}->{}",
                row.id,
                old.as_deref().unwrap_or("none"),
                projected.as_deref().unwrap_or("unknown")
            );
            let email = Outgoing::email(
                &shop.id,
                "delay",
                &row.email,
                &row.locale,
                key,
                json!({ "backorder_id": row.id, "previous": old, "new_date": projected }),
            )
            .about(sku.as_str(), &row.id);
            statements.push(insert(ctx, &email)?);
        }
    }
    while !statements.is_empty() {
        let rest = statements.split_off(statements.len().min(CHUNK));
        db::batch(&ctx.db, std::mem::replace(&mut statements, rest)).await?;
    }
    if out.delayed > 0 || out.changed > 0 {
        notify::kick(ctx);
    }
    Ok(out)
}

fn insert(ctx: &Ctx, out: &Outgoing) -> Result<worker::D1PreparedStatement, ApiError> {
    let (sql, params): (String, Vec<JsValue>) = out.insert(ctx, 1, "1");
    db::stmt(&ctx.db, &sql, params)
}
