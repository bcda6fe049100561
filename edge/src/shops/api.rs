//! `POST /v1/shops` (operator) and `GET`/`PATCH /v1/admin/settings` (merchant).

use serde_json::{Map, Value, json};
use worker::{Request, Response};

use restock_shared::{InvalidInput, ShopId};

use crate::crypto::{new_secret_key, sha256_hex};
use crate::ctx::Ctx;
use crate::db::{self, Arg};
use crate::error::ApiError;
use crate::http;
use crate::shops::settings::{Assign, SettingsPatch, SettingsView};
use crate::shops::store::load_shop;
use crate::shops::{auth, cache};

pub const DEFAULT_CONSENT: &str = "Email me once when this item is back in stock. I can unsubscribe at any time, and my address is used for nothing else.";

/// Builds `UPDATE shops SET a = ?3, b = ?4 ... WHERE id = ?1` from validated
/// assignments; with `key_hash`, only the row with that key hash (?2) is touched.
fn update_statement(
    ctx: &Ctx,
    shop: &str,
    assigns: &[Assign],
    key_hash: Option<&str>,
) -> Result<Option<db::Stmt>, ApiError> {
    if assigns.is_empty() {
        return Ok(None);
    }
    let sets: Vec<String> = assigns.iter().enumerate().map(|(i, a)| format!("{} = ?{}", a.column, i + 3)).collect();
    let mut params = crate::args![shop, key_hash.map(str::to_owned)];
    params.extend(assigns.iter().map(|a| a.value.js()));
    let sql = format!("UPDATE shops SET {} WHERE id = ?1 AND (?2 IS NULL OR key_hash = ?2)", sets.join(", "));
    Ok(Some(db::stmt(&ctx.db, &sql, params)?))
}

/// Takes `field` out of a create body: a string, or a 4xx naming it.
fn required_string(body: &mut Map<String, Value>, field: &'static str) -> Result<String, ApiError> {
    match body.remove(field) {
        None | Some(Value::Null) => Err(InvalidInput::Missing { field }.into()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::bad_field("invalid_body", field.to_owned(), format!("{field} must be a string"))),
    }
}

/// `POST /v1/shops`: creates a shop and returns its secret key (shown this once).
pub async fn create(ctx: &mut Ctx, req: &mut Request) -> Result<Response, ApiError> {
    auth::operator(ctx, req)?;
    let mut body: Map<String, Value> = http::read_json(req).await?;
    let id = required_string(&mut body, "id")?;
    let shop = ShopId::parse(&id)?;
    ctx.use_shop(shop.as_str())?;
    let ctx = &*ctx;
    let name = crate::shops::settings::shop_name(&required_string(&mut body, "name")?)?;
    let patch: SettingsPatch = http::from_value(Value::Object(body))?;
    // Validate before writing anything: a bad field must not leave a half-made shop.
    let assigns = patch.validate()?;

    let key = new_secret_key();
    let hash = sha256_hex(key.as_bytes());
    let insert = db::stmt(
        &ctx.db,
        "INSERT INTO shops (id, name, key_hash, key_prefix, consent_text, sender_name, created_at, base_url) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?2, ?6, ?7) ON CONFLICT(id) DO NOTHING",
        crate::args![
            shop.as_str(),
            name.as_str(),
            hash.as_str(),
            &key[..10],
            DEFAULT_CONSENT,
            ctx.now.millis(),
            ctx.self_origin.as_str()
        ],
    )?;
    let mut statements = vec![insert];
    // Settings apply only to the row this request inserted (same key hash).
    if let Some(update) = update_statement(ctx, shop.as_str(), &assigns, Some(&hash))? {
        statements.push(update);
    }
    let results = db::batch(&ctx.db, statements).await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(ApiError::Conflict { code: "shop_exists", detail: "a shop with this id already exists".into() });
    }
    let row = load_shop(&ctx.db, &shop).await?;
    http::json(201, &json!({ "id": row.id, "secret_key": key, "settings": SettingsView::of(&row, production(ctx)) }))
}

fn production(ctx: &Ctx) -> bool {
    ctx.config.environment == crate::config::Environment::Production
}

/// The longest grace period a rotated key may keep working: 30 days.
pub const MAX_GRACE_HOURS: u64 = 720;

/// `POST /v1/admin/key/rotate` `{"grace_hours": 0..=720}` (default 24): a new secret
/// key, shown this once; the key it replaces keeps working for the grace period, then
/// is refused. Only the current key may rotate (a replaced key can't start a chain).
pub async fn rotate_key(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let (shop, used) = auth::shop_and_key(ctx, req).await?;
    if used != auth::KeyUsed::Current {
        return Err(ApiError::Forbidden {
            code: "key_replaced",
            detail: "this key was replaced by a rotation: rotate with the current key",
        });
    }
    let body: Map<String, Value> = http::read_json(req).await?;
    let grace_hours = match body.get("grace_hours") {
        None => 24,
        Some(v) => v.as_u64().filter(|h| *h <= MAX_GRACE_HOURS).ok_or_else(|| {
            ApiError::bad_field(
                "invalid_grace",
                "grace_hours".into(),
                "grace_hours must be a whole number from 0 to 720",
            )
        })?,
    };
    if let Some(other) = body.keys().find(|k| *k != "grace_hours") {
        return Err(ApiError::bad_field("invalid_body", other.clone(), format!("unknown field {other}")));
    }
    let key = new_secret_key();
    let hash = sha256_hex(key.as_bytes());
    let until = ctx.now.millis() + i64::try_from(grace_hours).unwrap_or(0) * 3_600_000;
    // Guarded on the key this request used: of two rotations at once, one wins.
    let update = db::stmt(
        &ctx.db,
        "UPDATE shops SET previous_key_hash = key_hash, previous_key_expires_at = ?3, key_hash = ?4, key_prefix = ?5 \
         WHERE id = ?1 AND key_hash = ?2",
        crate::args![shop.id.as_str(), shop.key_hash.as_str(), until, hash.as_str(), &key[..10]],
    )?;
    if db::run(update).await? == 0 {
        return Err(ApiError::Conflict { code: "key_changed", detail: "the key was rotated meanwhile".into() });
    }
    http::json(
        200,
        &json!({ "secret_key": key, "key_prefix": &key[..10], "previous_key_expires_at": until, "grace_hours": grace_hours }),
    )
}

/// `GET /v1/admin/settings`.
pub async fn get(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    http::json(200, &SettingsView::of(&shop, production(ctx)))
}

/// `PATCH /v1/admin/settings`: absent fields keep their value.
pub async fn patch(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let patch: SettingsPatch = http::read_json(req).await?;
    let assigns = patch.validate()?;
    if let Some(update) = update_statement(ctx, &shop.id, &assigns, None)? {
        db::run(update).await?;
    }
    let id = ShopId::parse(&shop.id)?;
    let row = load_shop(&ctx.db, &id).await?;
    cache::refresh_shop(ctx, &row).await;
    // Before and after, as the merchant reads them.
    let (before, after) = (json!(SettingsView::from(&shop)), json!(SettingsView::from(&row)));
    let fields: Vec<&str> = after.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    crate::admin::audit::note(ctx, "settings", crate::admin::audit::changes(&before, &after, &fields));
    http::json(200, &SettingsView::of(&row, production(ctx)))
}
