//! The audit log: every merchant change (a `POST`, `PUT`, `PATCH` or `DELETE` of the
//! admin API that succeeded, previews excluded) is recorded with when, which key (its
//! public prefix, never the key), the method, the path and the status. The route
//! table records it in one place, after the handler answered, so no handler can
//! forget; a path that names an address (`/subscribers/{email}`) is recorded without
//! it, so an erasure leaves nothing behind here. `GET /v1/admin/audit` pages it,
//! newest first.

use serde::{Deserialize, Serialize};
use serde_json::json;
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

/// Records a merchant change (logged, never failing the answer already made).
pub async fn record(ctx: &Ctx, method: &Method, url: &Url, status: u16) {
    let preview = url.query_pairs().any(|(k, v)| k == "preview" && (v == "1" || v == "true"));
    let Some(actor) = ctx.actor.borrow().clone() else { return };
    if preview || status >= 400 {
        return;
    }
    let insert = db::stmt(
        &ctx.db,
        "INSERT INTO audit (shop_id, at, actor, method, path, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        crate::args![
            actor.shop_id.as_str(),
            ctx.now.millis(),
            actor.key.as_str(),
            method.to_string(),
            recorded_path(url.path()),
            u32::from(status)
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
struct Entry {
    seq: i64,
    at: i64,
    actor: String,
    method: String,
    path: String,
    status: i64,
}

/// `GET /v1/admin/audit?cursor=&limit=`: the shop's changes, newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let page = Page::from_request(req)?;
    let before = page.cursor_seq()?;
    let s = db::stmt(
        &ctx.db,
        "SELECT seq, at, actor, method, path, status FROM audit WHERE shop_id = ?1 AND (?2 = 0 OR seq < ?2) \
         ORDER BY seq DESC LIMIT ?3",
        crate::args![shop.id.as_str(), before, page.limit + 1],
    )?;
    let mut items: Vec<Entry> = db::all(s).await?;
    let next = (items.len() > page.limit as usize).then(|| {
        items.truncate(page.limit as usize);
        items.last().map(|e| Page::encode_seq(e.seq))
    });
    http::json(200, &json!({ "items": items, "next_cursor": next.flatten() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_paths_hold_no_address() {
        assert_eq!(recorded_path("/v1/admin/subscribers/ada@example.com"), "/v1/admin/subscribers/{email}");
        assert_eq!(recorded_path("/v1/admin/products/TEE/receive"), "/v1/admin/products/TEE/receive");
    }
}
