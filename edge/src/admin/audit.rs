//! The audit log: every merchant change (a `POST`, `PUT`, `PATCH` or `DELETE` of the
//! admin API that succeeded, previews excluded) is recorded with when, which key (its
//! public prefix, never the key), the method, the path, the status and what it changed
//! (`detail`: settings and product fields before and after, a stock plan's figures and
//! sentence, noted by the handler with [`note`]). The route
//! table records it in one place, after the handler answered, so no handler can
//! forget; a path that names an address (`/subscribers/{email}`) is recorded without
//! it, so an erasure leaves nothing behind here. `GET /v1/admin/audit` pages it,
//! newest first.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use worker::{Method, Request, Response, Url};

use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::paging::Page;
use crate::shops::auth;

/// The path as recorded: segments that may hold personal data are replaced.
pub fn recorded_path(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "admin", "subscribers", _] => "/v1/admin/subscribers/{email}".to_owned(),
        _ => format!("/{}", segments.join("/")),
    }
}

/// Adds `key: value` to what this request's change did (recorded if it succeeds).
pub fn note(ctx: &Ctx, key: &str, value: Value) {
    ctx.audit.borrow_mut().insert(key.to_owned(), value);
}

/// The top-level fields of `after` whose value differs from `before`, each as
/// `{"before": …, "after": …}` (a field `before` lacks was `null`).
pub fn changes(before: &Value, after: &Value, fields: &[&str]) -> Value {
    let mut out = Map::new();
    for f in fields {
        let (b, a) = (before.get(f).unwrap_or(&Value::Null), after.get(f).unwrap_or(&Value::Null));
        if b != a {
            out.insert((*f).to_owned(), json!({ "before": b, "after": a }));
        }
    }
    Value::Object(out)
}

/// The longest detail kept (a larger one keeps its keys' names only).
const MAX_DETAIL_BYTES: usize = 8_000;

/// Records a merchant change (logged, never failing the answer already made).
pub async fn record(ctx: &Ctx, method: &Method, url: &Url, status: u16) {
    let preview = url.query_pairs().any(|(k, v)| k == "preview" && (v == "1" || v == "true"));
    let Some(actor) = ctx.actor.borrow().clone() else { return };
    if preview || status >= 400 {
        return;
    }
    let noted = ctx.audit.borrow().clone();
    let detail = (!noted.is_empty()).then(|| {
        let text = Value::Object(noted.clone()).to_string();
        if text.len() <= MAX_DETAIL_BYTES {
            text
        } else {
            json!({ "truncated": noted.keys().collect::<Vec<_>>() }).to_string()
        }
    });
    let insert = db::stmt(
        &ctx.db,
        "INSERT INTO audit (shop_id, at, actor, method, path, status, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        crate::args![
            actor.shop_id.as_str(),
            ctx.now.millis(),
            actor.key.as_str(),
            method.to_string(),
            recorded_path(url.path()),
            u32::from(status),
            detail
        ],
    );
    let result = match insert {
        Ok(s) => db::run(s).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        worker::console_error!("audit record failed: {e:?}");
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Row {
    seq: i64,
    at: i64,
    actor: String,
    method: String,
    path: String,
    status: i64,
    detail: Option<String>,
}

/// `GET /v1/admin/audit?cursor=&limit=`: the shop's changes, newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let page = Page::from_request(req)?;
    let before = page.cursor_seq()?;
    let s = db::stmt(
        &ctx.db,
        "SELECT seq, at, actor, method, path, status, detail FROM audit WHERE shop_id = ?1 AND (?2 = 0 OR seq < ?2) \
         ORDER BY seq DESC LIMIT ?3",
        crate::args![shop.id.as_str(), before, page.limit + 1],
    )?;
    let mut rows: Vec<Row> = db::all(s).await?;
    let next = (rows.len() > page.limit as usize).then(|| {
        rows.truncate(page.limit as usize);
        rows.last().map(|e| Page::encode_seq(e.seq))
    });
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let detail = r.detail.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok());
            json!({ "seq": r.seq, "at": r.at, "actor": r.actor, "method": r.method, "path": r.path,
                    "status": r.status, "detail": detail })
        })
        .collect();
    http::json(200, &json!({ "items": items, "next_cursor": next.flatten() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_each_changed_field_with_both_values() {
        let before = json!({ "name": "Tee", "cap": 5, "policy": "backorder" });
        let after = json!({ "name": "Tee", "cap": 8, "policy": "backorder", "supplier": "Acme" });
        assert_eq!(
            changes(&before, &after, &["name", "cap", "policy", "supplier"]),
            json!({ "cap": { "before": 5, "after": 8 }, "supplier": { "before": null, "after": "Acme" } })
        );
        assert_eq!(changes(&before, &before, &["name", "cap"]), json!({}));
    }

    #[test]
    fn recorded_paths_hold_no_address() {
        assert_eq!(recorded_path("/v1/admin/subscribers/ada@example.com"), "/v1/admin/subscribers/{email}");
        assert_eq!(recorded_path("/v1/admin/products/TEE/receive"), "/v1/admin/products/TEE/receive");
    }
}
