//! Waitlist signups (`POST /v1/shops/{shop}/waitlist`), the signed links that confirm
//! (double opt-in) and unsubscribe, and the merchant's view of a SKU's waitlist.

use restock_shared::wire::{SignupStatus, WaitlistRequest, WaitlistResponse, WaitlistSignup};
use restock_shared::{Lang, ShopId, Sku};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response};

use crate::crypto::{new_id, sha256_hex};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;
use crate::http;
use crate::i18n::{M, fill, t};
use crate::notify::{self, Outgoing};
use crate::pages::{Action, page};
use crate::paging::Page;
use crate::ratelimit::{self, SIGNUP_PER_EMAIL, SIGNUP_PER_IP};
use crate::shops::cache::PublicShop;
use crate::shops::{auth, load_shop};
use crate::stock::store::load_product;
use crate::tokens::{self, LinkKind};

/// Days a double opt-in confirmation link stays valid. After that its page offers to
/// send a new one (the signup stays pending; signing up again sends one too).
pub const CONFIRM_DAYS: i64 = 7;

/// Why a confirmation email goes out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ConfirmCause {
    Signup,
    /// The shopper asked for a new link from an expired one.
    Resend,
}

/// The confirmation email for a pending signup `id`, its link valid for
/// `CONFIRM_DAYS`. At most one a day per signup and cause (the dedupe key), however
/// often a signup is repeated or a new link asked for.
fn confirm_email(ctx: &Ctx, sub: &Subscriber, shop: &str, cause: ConfirmCause) -> Result<Outgoing, ApiError> {
    let id = sub.id.as_str();
    let token = tokens::sign(ctx, LinkKind::Confirm, shop, id, CONFIRM_DAYS)?;
    let url = tokens::url(&ctx.self_origin, &format!("/v1/shops/{shop}/waitlist/confirm"), &token);
    let day = ctx.today().to_iso();
    let dedupe = match cause {
        ConfirmCause::Signup => format!("confirm:{id}:{day}"),
        ConfirmCause::Resend => format!("confirm:{id}:{day}:resend"),
    };
    let payload = json!({ "waitlist_id": id, "confirm_url": url });
    Ok(Outgoing::email(shop, "confirm", &sub.email, &sub.locale, dedupe, payload).about(&sub.sku, id))
}

#[derive(Deserialize)]
struct Upserted {
    id: String,
    status: String,
    created_at: i64,
}

/// The page a signup's consent text was shown on: the `Referer` without its query and
/// fragment (which may carry anything, an address included), when it is on the
/// request's `Origin` (the widget's POSTs send it: `no-referrer-when-downgrade`); else
/// the origin alone; else nothing (a server-to-server call).
pub fn consent_source(origin: Option<&str>, referer: Option<&str>) -> Option<String> {
    let page = referer.and_then(|r| worker::Url::parse(r).ok()).filter(|u| matches!(u.scheme(), "http" | "https"));
    match (origin, page) {
        (Some(o), Some(u)) if u.origin().ascii_serialization() == o => {
            Some(format!("{o}{}", u.path()).chars().take(500).collect())
        }
        (None, Some(u)) => {
            Some(format!("{}{}", u.origin().ascii_serialization(), u.path()).chars().take(500).collect())
        }
        (o, _) => o.map(str::to_owned),
    }
}

pub async fn signup(ctx: &Ctx, req: &mut Request, shop: &str) -> Result<Response, ApiError> {
    let shop = ShopId::parse(shop)?;
    let row = load_shop(&ctx.db, &shop).await?;
    let origin = http::origin(req);
    let public = PublicShop::from_row(&row);
    if origin.as_deref().is_some_and(|o| !public.allows_origin(o, &ctx.self_origin)) {
        return Err(ApiError::Forbidden {
            code: "origin_not_allowed",
            detail: "this origin may not call this shop's API",
        });
    }
    let request: WaitlistRequest = http::read_json(req).await?;
    let signup = WaitlistSignup::try_from(request)?;
    let double_opt_in = row.double_opt_in != 0;
    // The answer depends only on the shop's setting, never on whether the address was
    // already on the list (or whether we believe a bot sent it).
    let status = if double_opt_in { SignupStatus::PendingConfirmation } else { SignupStatus::Subscribed };
    let answer = |ctx: &Ctx| -> Result<Response, ApiError> {
        let mut resp = http::json(202, &WaitlistResponse { status })?;
        http::apply_cors(&mut resp, origin.as_deref(), origin.is_some());
        let _ = ctx;
        Ok(resp)
    };
    if signup.is_bot {
        return answer(ctx);
    }
    ratelimit::check(
        ctx,
        &[
            (SIGNUP_PER_IP, format!("{shop}:{}", http::client_ip(req))),
            (SIGNUP_PER_EMAIL, format!("{shop}:{}", signup.email.as_str().to_ascii_lowercase())),
        ],
    )
    .await?;
    // A phone number only where the shop offers texts and this deployment can send them
    // (the widget shows the field only then).
    if signup.sms.is_some() && !(row.sms_enabled != 0 && ctx.config.sms_ready()) {
        return Err(ApiError::UnprocessableField {
            code: "sms_not_offered",
            field: "phone",
            detail: "this shop does not offer text messages; leave out phone",
        });
    }
    let facts = load_product(&ctx.db, &shop, &signup.sku, ctx.now).await?;
    if !facts.availability(&row.rules(), ctx.today()).waitlist_open {
        return Err(ApiError::Conflict {
            code: "waitlist_closed",
            detail: "this product is not taking waitlist signups now (it may be in stock)".into(),
        });
    }
    let new_status = if double_opt_in { "pending" } else { "active" };
    // The consent record is the shop's own text, by version, and the page it was shown on.
    let referer = req.headers().get("referer").ok().flatten();
    let source = consent_source(origin.as_deref(), referer.as_deref());
    // The country only if the merchant turned it on (Cloudflare's, from the IP).
    let country = (row.record_country != 0)
        .then(|| req.cf().and_then(|cf| cf.country()))
        .flatten()
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
    let texts = row.consent_texts();
    let (consent_lang, consent_text) = texts.shown(&row.consent_text, signup.locale.lang(), &signup.consent_text);
    let consent_version = sha256_hex(consent_text.as_bytes());
    // Texts: the shop's own SMS text is what the shopper agreed to. A number that
    // replied STOP stays stopped (Twilio blocks it too) until it replies START.
    let phone = signup.sms.as_ref().map(|s| s.phone.as_str().to_owned());
    let sms_text = phone.as_ref().map(|_| row.sms_consent().to_owned());
    let sms_version = sms_text.as_deref().map(|t| sha256_hex(t.as_bytes()));
    // Its opt-out is read inside the upsert itself, so a STOP that lands meanwhile is
    // never missed.
    let phone_hash = signup.sms.as_ref().map(|sms| crate::notify::sms::phone_hash(&sms.phone));
    let upsert = db::stmt(
        &ctx.db,
        "INSERT INTO waitlist (id, shop_id, sku, email, locale, consent_text, consent_at, status, confirmed_at, created_at, updated_at, \
           consent_version, consent_lang, consent_source, consent_country, \
           phone, sms_consent_text, sms_consent_version, sms_consent_at, sms_stopped_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?8 = 'active' THEN ?7 END, ?7, ?7, ?9, ?10, ?11, ?12, \
           ?13, ?14, ?15, CASE WHEN ?13 IS NOT NULL THEN ?7 END, (SELECT created_at FROM sms_optouts WHERE phone_hash = ?16)) \
         ON CONFLICT(shop_id, sku, email) DO UPDATE SET \
           sms_consent_text = CASE WHEN excluded.phone IS NOT NULL THEN excluded.sms_consent_text ELSE waitlist.sms_consent_text END, \
           sms_consent_version = CASE WHEN excluded.phone IS NOT NULL THEN excluded.sms_consent_version ELSE waitlist.sms_consent_version END, \
           sms_consent_at = CASE WHEN excluded.phone IS NOT NULL THEN excluded.sms_consent_at ELSE waitlist.sms_consent_at END, \
           sms_stopped_at = CASE WHEN excluded.phone IS NOT NULL THEN excluded.sms_stopped_at ELSE waitlist.sms_stopped_at END, \
           phone = COALESCE(excluded.phone, waitlist.phone), \
           locale = excluded.locale, consent_text = excluded.consent_text, consent_at = excluded.consent_at, updated_at = excluded.updated_at, \
           consent_version = excluded.consent_version, consent_lang = excluded.consent_lang, consent_source = excluded.consent_source, \
           consent_country = excluded.consent_country, \
           confirmed_at = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN excluded.confirmed_at ELSE waitlist.confirmed_at END, \
           notified_at = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN NULL ELSE waitlist.notified_at END, \
           release_id = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN NULL ELSE waitlist.release_id END, \
           hold_until = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN NULL ELSE waitlist.hold_until END, \
           ended_reason = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN NULL ELSE waitlist.ended_reason END, \
           reminded_at = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN NULL ELSE waitlist.reminded_at END, \
           status = CASE WHEN waitlist.status IN ('unsubscribed', 'notified') THEN excluded.status ELSE waitlist.status END \
         RETURNING id, status, created_at",
        crate::args![
            new_id("wl"),
            shop.as_str(),
            signup.sku.as_str(),
            signup.email.as_str(),
            signup.locale.as_str(),
            consent_text,
            ctx.now.millis(),
            new_status,
            consent_version.as_str(),
            consent_lang,
            source,
            country,
            phone.clone(),
            sms_text,
            sms_version,
            phone_hash,
        ],
    )?;
    let saved: Upserted =
        db::first(upsert).await?.ok_or_else(|| ApiError::Internal("waitlist upsert returned nothing".into()))?;
    let mut follow_up = Vec::new();
    if saved.status == "pending" {
        let pending = Subscriber {
            id: saved.id.clone(),
            status: saved.status.clone(),
            locale: signup.locale.as_str().to_owned(),
            email: signup.email.as_str().to_owned(),
            sku: signup.sku.as_str().to_owned(),
            name: String::new(),
        };
        let email = confirm_email(ctx, &pending, shop.as_str(), ConfirmCause::Signup)?;
        follow_up.push(email);
    }
    let mut statements = follow_up
        .iter()
        .map(|o| {
            let (sql, params) = o.insert(ctx, 1, "1");
            db::stmt(&ctx.db, &sql, params)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if saved.created_at == ctx.now.millis() {
        let hook = notify::webhook(
            ctx,
            &row,
            "waitlist.signup",
            json!({
                "id": saved.id,
                "sku": signup.sku.as_str(),
                "email": signup.email.as_str(),
                "phone": phone,
                "status": saved.status,
            }),
        );
        let (sql, params) = hook.insert(ctx, 1, "1");
        statements.push(db::stmt(&ctx.db, &sql, params)?);
    }
    if !statements.is_empty() {
        db::batch(&ctx.db, statements).await?;
        notify::kick(ctx);
    }
    answer(ctx)
}

#[derive(Deserialize)]
struct Subscriber {
    id: String,
    status: String,
    locale: String,
    email: String,
    sku: String,
    name: String,
}

async fn subscriber(ctx: &Ctx, shop: &str, id: &str) -> Result<Option<Subscriber>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT w.id, w.status, w.locale, w.email, w.sku, p.name FROM waitlist w JOIN products p ON p.shop_id = w.shop_id AND p.sku = w.sku \
         WHERE w.shop_id = ?1 AND w.id = ?2",
        crate::args![shop, id],
    )?;
    db::first(s).await
}

/// Which signed-link page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LinkPage {
    Confirm,
    Unsubscribe,
}

/// `GET`/`POST /v1/shops/{shop}/waitlist/{confirm|unsubscribe}?token=`.
///
/// GET shows a page with one button (so link scanners that prefetch change nothing);
/// POST acts. For unsubscribe, the POST is also RFC 8058's one-click unsubscribe
/// (`List-Unsubscribe-Post: List-Unsubscribe=One-Click`). Both are idempotent.
pub async fn link(ctx: &Ctx, req: &Request, shop: &str, which: LinkPage, post: bool) -> Result<Response, ApiError> {
    let shop_id = ShopId::parse(shop)?;
    let row = load_shop(&ctx.db, &shop_id).await?;
    let kind = if which == LinkPage::Confirm { LinkKind::Confirm } else { LinkKind::Unsubscribe };
    let token = http::query_param(req, "token").unwrap_or_default();
    let (link, expired) = match tokens::verify_even_expired(ctx, &token, kind, shop_id.as_str()) {
        Ok((_, true)) if which == LinkPage::Unsubscribe => {
            let gone = ApiError::Gone { code: "link_expired", detail: "this link has expired" };
            return Ok(crate::backorders::cancel::link_error(&row, gone));
        }
        Ok(verified) => verified,
        Err(e) => return Ok(crate::backorders::cancel::link_error(&row, e)),
    };
    let Some(sub) = subscriber(ctx, shop_id.as_str(), &link.id).await? else {
        // Erased on request: nothing left to confirm or unsubscribe.
        let lang = Lang::En;
        return Ok(page(
            200,
            lang,
            &row.name,
            &row.name,
            t(lang, M::Unsubscribed).replace("{product}", "…").as_str(),
            None,
        ));
    };
    let lang = Lang::from_tag(&sub.locale);
    let vars = [("product", sub.name.as_str())];
    let (title, prompt, button, done) = match which {
        LinkPage::Confirm => (M::ConfirmTitle, M::ConfirmPrompt, M::ConfirmButton, M::Confirmed),
        LinkPage::Unsubscribe => (M::UnsubscribeTitle, M::UnsubscribePrompt, M::UnsubscribeButton, M::Unsubscribed),
    };
    let already_done = match which {
        LinkPage::Confirm => sub.status != "pending",
        LinkPage::Unsubscribe => sub.status == "unsubscribed",
    };
    if expired && !already_done {
        return resend_confirmation(ctx, req, &row, &sub, post).await;
    }
    if !post {
        if already_done {
            return Ok(page(200, lang, &row.name, t(lang, title), &fill(lang, done, &vars), None));
        }
        let url = req.url().map(|u| u.to_string()).unwrap_or_default();
        let action = Action { url: &url, label: t(lang, button) };
        return Ok(page(200, lang, &row.name, t(lang, title), &fill(lang, prompt, &vars), Some(action)));
    }
    if !already_done {
        let sql = match which {
            LinkPage::Confirm => {
                "UPDATE waitlist SET status = 'active', confirmed_at = ?3, updated_at = ?3 WHERE shop_id = ?1 AND id = ?2 AND status = 'pending'"
            }
            LinkPage::Unsubscribe => {
                "UPDATE waitlist SET status = 'unsubscribed', ended_reason = 'unsubscribed', hold_until = NULL, updated_at = ?3 \
                 WHERE shop_id = ?1 AND id = ?2"
            }
        };
        let event = if which == LinkPage::Confirm { "waitlist.confirmed" } else { "waitlist.unsubscribed" };
        let (hook_sql, hook_params) = notify::webhook(ctx, &row, event, json!({ "id": sub.id })).insert(ctx, 1, "1");
        let results = db::batch(
            &ctx.db,
            vec![
                db::stmt(&ctx.db, sql, crate::args![shop_id.as_str(), sub.id.as_str(), ctx.now.millis()])?,
                db::stmt(&ctx.db, &hook_sql, hook_params)?,
            ],
        )
        .await?;
        if results.get(1).map(db::changes).unwrap_or(0) > 0 {
            notify::kick(ctx);
        }
    }
    Ok(page(200, lang, &row.name, t(lang, title), &fill(lang, done, &vars), None))
}

/// An expired confirmation link of a signup still pending: GET says so (410) and
/// offers a new link; POST sends it (one a day at most) to the address signed up with
/// and confirms nothing: only a link that works does.
/// A link for a signup already confirmed needs nothing and shows that it is done.
async fn resend_confirmation(
    ctx: &Ctx,
    req: &Request,
    row: &crate::shops::ShopRow,
    sub: &Subscriber,
    post: bool,
) -> Result<Response, ApiError> {
    let lang = Lang::from_tag(&sub.locale);
    let days = CONFIRM_DAYS.to_string();
    let vars = [("product", sub.name.as_str()), ("days", days.as_str())];
    if !post {
        let url = req.url().map(|u| u.to_string()).unwrap_or_default();
        let action = Action { url: &url, label: t(lang, M::ResendButton) };
        let message = fill(lang, M::ConfirmExpired, &vars);
        return Ok(page(410, lang, &row.name, t(lang, M::ExpiredTitle), &message, Some(action)));
    }
    let email = confirm_email(ctx, sub, &row.id, ConfirmCause::Resend)?;
    let (sql, params) = email.insert(ctx, 1, "1");
    db::run(db::stmt(&ctx.db, &sql, params)?).await?;
    notify::kick(ctx);
    Ok(page(200, lang, &row.name, t(lang, M::ConfirmTitle), &fill(lang, M::ConfirmResent, &vars), None))
}

/// A signup as the merchant sees it.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignupRow {
    pub id: String,
    pub seq: i64,
    pub email: String,
    pub locale: String,
    pub status: String,
    pub consent_text: String,
    /// SHA-256 (hex) of `consent_text`: which version of the shop's text it was.
    pub consent_version: Option<String>,
    /// The language the text is the shop's text for (`default`: its default text).
    pub consent_lang: Option<String>,
    /// The page the shopper signed up on, without query (absent for server calls).
    pub consent_source: Option<String>,
    /// The country of the signup's IP, when the shop records it.
    pub consent_country: Option<String>,
    pub consent_at: i64,
    pub confirmed_at: Option<i64>,
    pub notified_at: Option<i64>,
    pub release_id: Option<String>,
    pub hold_until: Option<i64>,
    pub converted_at: Option<i64>,
    /// When the one reminder was recorded (migration 0017).
    pub reminded_at: Option<i64>,
    /// The number texts go to (E.164), with its own consent record (migration 0018).
    pub phone: Option<String>,
    pub sms_consent_text: Option<String>,
    pub sms_consent_version: Option<String>,
    pub sms_consent_at: Option<i64>,
    /// When the number replied STOP: no texts since.
    pub sms_stopped_at: Option<i64>,
    /// Why an unsubscribed signup ended: `unsubscribed`, `expired`, `bounce` or `complaint`.
    pub ended_reason: Option<String>,
    pub created_at: i64,
}

pub const SIGNUP_COLUMNS: &str = "id, seq, email, locale, status, consent_text, consent_version, consent_lang, \
     consent_source, consent_country, consent_at, confirmed_at, notified_at, \
     release_id, hold_until, converted_at, reminded_at, ended_reason, created_at, \
     phone, sms_consent_text, sms_consent_version, sms_consent_at, sms_stopped_at";

/// `GET /v1/admin/products/{sku}/waitlist?status=&cursor=&limit=`: signups in signup
/// order (the order they are notified in).
pub async fn admin_list(ctx: &Ctx, req: &Request, sku: &str) -> Result<Response, ApiError> {
    let shop = auth::shop(ctx, req).await?;
    let sku = Sku::parse(sku)?;
    let shop_id = ShopId::parse(&shop.id)?;
    load_product(&ctx.db, &shop_id, &sku, ctx.now).await?;
    let status = http::query_param(req, "status");
    if let Some(s) = &status
        && !matches!(s.as_str(), "pending" | "active" | "notified" | "unsubscribed")
    {
        return Err(ApiError::Invalid(restock_shared::InvalidInput::Range {
            field: "status",
            detail: "pending, active, notified or unsubscribed",
        }));
    }
    let page = Page::from_request(req)?;
    let after = page.cursor_seq()?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT {SIGNUP_COLUMNS} FROM waitlist WHERE shop_id = ?1 AND sku = ?2 AND (?3 IS NULL OR status = ?3) \
             AND seq > ?4 ORDER BY seq LIMIT ?5"
        ),
        crate::args![shop.id.as_str(), sku.as_str(), status, after, page.limit + 1],
    )?;
    let mut items: Vec<SignupRow> = db::all(s).await?;
    let next = (items.len() > page.limit as usize).then(|| {
        items.truncate(page.limit as usize);
        items.last().map(|i| Page::encode_seq(i.seq))
    });
    http::json(200, &json!({ "items": items, "next_cursor": next.flatten() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_source_is_the_page_without_query_or_fragment() {
        let o = Some("https://shop.example");
        let page = |r: &str| consent_source(o, Some(r));
        assert_eq!(
            page("https://shop.example/products/mug?email=a@b.co#x").as_deref(),
            Some("https://shop.example/products/mug")
        );
        assert_eq!(
            page("https://elsewhere.example/p").as_deref(),
            Some("https://shop.example"),
            "another origin's page"
        );
        assert_eq!(page("not a url").as_deref(), Some("https://shop.example"));
        assert_eq!(consent_source(o, None).as_deref(), Some("https://shop.example"));
        assert_eq!(consent_source(None, None), None);
    }
}
