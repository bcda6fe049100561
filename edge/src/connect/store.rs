//! The connection rows and the webhook log in D1.

use restock_shared::groups::Group;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::connect::model::Variant;
use crate::connect::{Platform, bigcommerce, prefix};
use crate::ctx::Ctx;
use crate::db;
use crate::error::ApiError;

/// A `connections` row. Its `Debug` shows no secret.
#[derive(Clone, Deserialize)]
pub struct ConnectionRow {
    pub id: String,
    pub shop_id: String,
    pub platform: String,
    pub store: String,
    pub api_base: Option<String>,
    pub api_version: Option<String>,
    pub webhook_secret: String,
    pub api_token: String,
    pub api_key: Option<String>,
    pub location_id: Option<String>,
    pub group_map: String,
    pub status: String,
    pub last_event_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub sync_cursor: Option<String>,
    pub sync_started_at: Option<i64>,
    pub sync_pages: i64,
    pub sync_seen: i64,
    pub sync_drift_units: i64,
    pub sync_drift_skus: i64,
    pub sync_retry_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    pub last_sync_seen: Option<i64>,
    pub last_sync_drift_units: Option<i64>,
    pub last_sync_drift_skus: Option<i64>,
    pub next_sync_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for ConnectionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRow")
            .field("id", &self.id)
            .field("shop_id", &self.shop_id)
            .field("platform", &self.platform)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl ConnectionRow {
    pub fn platform(&self) -> Result<Platform, ApiError> {
        Platform::parse(&self.platform)
            .ok_or_else(|| ApiError::Internal(format!("connection {} has an unknown platform", self.id)))
    }

    /// Where the platform's API is: the stand-in's origin when set (development), else
    /// the platform's own host for this store.
    pub fn api_base(&self) -> String {
        match Platform::parse(&self.platform) {
            Some(Platform::BigCommerce) => bigcommerce::base(self.api_base.as_deref(), &self.store),
            Some(Platform::Shopify) => self.api_base.clone().unwrap_or_else(|| format!("https://{}", self.store)),
            _ => self.api_base.clone().unwrap_or_else(|| self.store.clone()),
        }
    }

    /// Whether the connection counts stock at `location` (its `location_id`, else
    /// every location).
    pub fn follows(&self, location: &str) -> bool {
        self.location_id.as_deref().is_none_or(|l| l == location)
    }

    /// A variant's available count as this connection counts it: the sum of its
    /// levels at the locations it follows when the payload carries levels; else the
    /// platform's total, which is over every location, so only without a
    /// `location_id` (`None`: not known).
    pub fn count_of(&self, v: &Variant) -> Option<i64> {
        if !v.levels.is_empty() {
            let followed: Vec<i64> =
                v.levels.iter().filter(|l| self.follows(&l.location_id)).map(|l| l.available).collect();
            return (!followed.is_empty()).then(|| followed.iter().sum());
        }
        if self.location_id.is_some() { None } else { v.total }
    }

    /// The platform-to-Restock group map.
    pub fn groups(&self) -> Vec<(String, Group)> {
        let map: serde_json::Map<String, Value> = serde_json::from_str(&self.group_map).unwrap_or_default();
        map.into_iter().filter_map(|(k, v)| Some((k, Group::parse(v.as_str()?).ok()?))).collect()
    }

    /// The Restock group of a customer with these platform groups (the first mapped one).
    pub fn group_for(&self, platform_groups: &[String]) -> Option<Group> {
        let map = self.groups();
        platform_groups.iter().find_map(|g| map.iter().find(|(k, _)| k == g).map(|(_, v)| v.clone()))
    }
}

/// What the merchant sees of a connection: never a secret, only its first characters.
#[derive(Debug, Serialize)]
pub struct ConnectionView {
    pub id: String,
    pub platform: String,
    pub store: String,
    pub api_base: Option<String>,
    pub api_version: Option<String>,
    pub location_id: Option<String>,
    pub group_map: Value,
    pub status: String,
    /// Where to point the platform's webhooks.
    pub hook_url: String,
    pub webhook_secret_prefix: String,
    pub api_token_prefix: String,
    pub api_key_prefix: Option<String>,
    pub last_event_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub sync: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ConnectionView {
    pub fn of(c: &ConnectionRow, origin: &str) -> ConnectionView {
        ConnectionView {
            id: c.id.clone(),
            platform: c.platform.clone(),
            store: c.store.clone(),
            api_base: c.api_base.clone(),
            api_version: c.api_version.clone(),
            location_id: c.location_id.clone(),
            group_map: serde_json::from_str(&c.group_map).unwrap_or_else(|_| json!({})),
            status: c.status.clone(),
            hook_url: format!("{origin}/v1/hooks/{}/{}", c.platform, c.shop_id),
            webhook_secret_prefix: prefix(&c.webhook_secret),
            api_token_prefix: prefix(&c.api_token),
            api_key_prefix: c.api_key.as_deref().map(prefix),
            last_event_at: c.last_event_at,
            last_error: c.last_error.clone(),
            last_error_at: c.last_error_at,
            sync: json!({
                // A pass is under way (a cursor may also hold only SKUs to plan).
                "running": c.sync_started_at.is_some(),
                "started_at": c.sync_started_at,
                "pages": c.sync_pages,
                "seen": c.sync_seen,
                "drift_units": c.sync_drift_units,
                "drift_skus": c.sync_drift_skus,
                "retry_at": c.sync_retry_at,
                "next_at": c.next_sync_at,
                "last_at": c.last_sync_at,
                "last_seen": c.last_sync_seen,
                "last_drift_units": c.last_sync_drift_units,
                "last_drift_skus": c.last_sync_drift_skus,
            }),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The shop's connection to `platform`, if any.
pub async fn by_platform(ctx: &Ctx, shop: &str, platform: Platform) -> Result<Option<ConnectionRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM connections WHERE shop_id = ?1 AND platform = ?2",
        crate::args![shop, platform.name()],
    )?;
    db::first(s).await
}

/// The shop's connection `id`, or 404.
pub async fn by_id(ctx: &Ctx, shop: &str, id: &str) -> Result<ConnectionRow, ApiError> {
    let s = db::stmt(&ctx.db, "SELECT * FROM connections WHERE shop_id = ?1 AND id = ?2", crate::args![shop, id])?;
    db::first(s)
        .await?
        .ok_or_else(|| ApiError::not_found("connection_not_found", "this shop has no connection with this id"))
}

/// The SQL of the plan list merged on a connection's cursor: the SKUs of the JSON
/// array `?{new}` and those it already holds less the JSON array `?{done}` (planned
/// since it was read), as one JSON array, or no row when none is left. One statement,
/// so a webhook's SKUs and a run's are never lost to each other's write.
pub fn merged_plans(new: u32, done: Option<u32>) -> String {
    let minus = done.map(|d| format!(" WHERE value NOT IN (SELECT value FROM json_each(?{d}))")).unwrap_or_default();
    format!(
        "SELECT value FROM json_each(?{new}) \
         UNION SELECT value FROM json_each(COALESCE(connections.sync_cursor, '{{}}'), '$.plan'){minus}"
    )
}

/// Leaves `skus` (their counts stored, their plans not made: a webhook's budget ran
/// out) on the connection's cursor (`sync::Cursor::plan`) and makes the connection
/// due, so the next scheduled run plans them before it reads anything.
pub async fn add_plans(ctx: &Ctx, c: &ConnectionRow, skus: &[String]) -> Result<(), ApiError> {
    let list = serde_json::to_string(skus).map_err(|e| ApiError::Internal(format!("plan list: {e}")))?;
    let sql = format!(
        "UPDATE connections SET sync_cursor = json_set(COALESCE(sync_cursor, '{{}}'), '$.plan', \
           json((SELECT json_group_array(value) FROM ({})))), next_sync_at = MIN(next_sync_at, ?3), updated_at = ?3 \
         WHERE id = ?1",
        merged_plans(2, None)
    );
    db::run(db::stmt(&ctx.db, &sql, crate::args![c.id.as_str(), list, ctx.now.millis()])?).await?;
    Ok(())
}

/// Records an error of the connection (shown on the Connections page). The message is
/// ours, never a secret or a payload.
pub async fn note_error(ctx: &Ctx, c: &ConnectionRow, message: &str) {
    let text: String = message.chars().take(500).collect();
    if let Ok(s) = db::stmt(
        &ctx.db,
        "UPDATE connections SET last_error = ?2, last_error_at = ?3, updated_at = ?3 WHERE id = ?1",
        crate::args![c.id.as_str(), text.as_str(), ctx.now.millis()],
    ) {
        let _ = db::run(s).await;
    }
}

/// What happened to a delivery that was already received.
#[derive(Debug, Clone, Deserialize)]
pub struct Seen {
    pub status: String,
    pub updated_at: i64,
}

/// How long a claimed delivery is left to its attempt before another may take it over.
pub const STALE_MS: i64 = 60_000;

/// Claims a delivery for processing: `None` if it is new (or its earlier processing
/// failed, or stalled for [`STALE_MS`], so it is processed again), else what became of
/// it (`processing`: another attempt has it now).
pub async fn claim(
    ctx: &Ctx,
    shop: &str,
    platform: Platform,
    event_id: &str,
    topic: &str,
) -> Result<Option<Seen>, ApiError> {
    let now = ctx.now.millis();
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO hook_events (shop_id, platform, event_id, topic, status, received_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'processing', ?5, ?5) \
                 ON CONFLICT (shop_id, platform, event_id) DO UPDATE SET status = 'processing', updated_at = ?5 \
                 WHERE hook_events.status = 'failed' OR (hook_events.status = 'processing' AND hook_events.updated_at < ?5 - ?6)",
                crate::args![shop, platform.name(), event_id, topic, now, STALE_MS],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT status, updated_at FROM hook_events WHERE shop_id = ?1 AND platform = ?2 AND event_id = ?3",
                crate::args![shop, platform.name(), event_id],
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) == Some(1) {
        return Ok(None);
    }
    Ok(results.get(1).map(db::rows::<Seen>).transpose()?.and_then(|mut v| v.pop()))
}

/// Records how a delivery ended, and the connection's last event (and error).
pub async fn finish(ctx: &Ctx, c: &ConnectionRow, event_id: &str, status: &str, detail: &str) -> Result<(), ApiError> {
    let detail: String = detail.chars().take(500).collect();
    let now = ctx.now.millis();
    let failed = status == "failed";
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE hook_events SET status = ?4, detail = ?5, updated_at = ?6 WHERE shop_id = ?1 AND platform = ?2 AND event_id = ?3",
                crate::args![c.shop_id.as_str(), c.platform.as_str(), event_id, status, detail.as_str(), now],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE connections SET last_event_at = ?2, updated_at = ?2, \
                   last_error = CASE WHEN ?3 = 1 THEN ?4 ELSE last_error END, \
                   last_error_at = CASE WHEN ?3 = 1 THEN ?2 ELSE last_error_at END WHERE id = ?1",
                crate::args![c.id.as_str(), now, failed, detail.as_str()],
            )?,
        ],
    )
    .await?;
    Ok(())
}

/// A `hook_events` row as listed.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventRow {
    pub seq: i64,
    pub event_id: String,
    pub topic: String,
    pub status: String,
    pub detail: Option<String>,
    pub received_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(platform: &str, api_base: Option<&str>) -> ConnectionRow {
        ConnectionRow {
            id: "cn_1".into(),
            shop_id: "acme".into(),
            platform: platform.into(),
            store: match platform {
                "shopify" => "acme.myshopify.com".into(),
                "woocommerce" => "https://shop.example".into(),
                _ => "abc123".into(),
            },
            api_base: api_base.map(str::to_owned),
            api_version: None,
            webhook_secret: "whsecret-value".into(),
            api_token: "shpat_token".into(),
            api_key: None,
            location_id: None,
            group_map: r#"{"wholesale": "b2b", "Retail": "B-A-D"}"#.into(),
            status: "active".into(),
            last_event_at: None,
            last_error: None,
            last_error_at: None,
            sync_cursor: None,
            sync_started_at: None,
            sync_pages: 0,
            sync_seen: 0,
            sync_drift_units: 0,
            sync_drift_skus: 0,
            sync_retry_at: None,
            last_sync_at: None,
            last_sync_seen: None,
            last_sync_drift_units: None,
            last_sync_drift_skus: None,
            next_sync_at: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn api_hosts_and_secrets_shown() {
        assert_eq!(row("shopify", None).api_base(), "https://acme.myshopify.com");
        assert_eq!(row("shopify", Some("http://127.0.0.1:9")).api_base(), "http://127.0.0.1:9");
        assert_eq!(row("woocommerce", None).api_base(), "https://shop.example");
        assert_eq!(row("bigcommerce", None).api_base(), "https://api.bigcommerce.com/stores/abc123");
        assert_eq!(row("bigcommerce", Some("http://127.0.0.1:9")).api_base(), "http://127.0.0.1:9/stores/abc123");
        let c = row("shopify", None);
        let view = serde_json::to_string(&ConnectionView::of(&c, "https://r.example")).expect("json");
        assert!(!view.contains("whsecret-value") && !view.contains("shpat_token"), "{view}");
        assert!(view.contains("\"webhook_secret_prefix\":\"whse…\""));
        assert!(view.contains("https://r.example/v1/hooks/shopify/acme"));
        assert!(!format!("{c:?}").contains("whsecret"), "Debug hides secrets");
        assert_eq!(c.group_for(&["VIP".into(), "wholesale".into()]).map(|g| g.as_str().to_owned()), Some("b2b".into()));
        assert_eq!(c.group_for(&["Retail".into()]), None, "an invalid mapped group is no group");
    }

    #[test]
    fn a_connection_counts_only_the_location_it_follows() {
        use crate::connect::model::Level;
        let level = |location: &str, available| Level {
            item_id: "1".into(),
            location_id: location.into(),
            available,
            counted_at: restock_shared::Timestamp::from_millis(0),
        };
        let mut v = Variant {
            variant_id: "1".into(),
            product_id: None,
            item_id: "1".into(),
            sku: Some("TEE".into()),
            name: "Tee".into(),
            price_cents: None,
            backorders: None,
            tracked: true,
            levels: vec![level("1", 5), level("2", 100)],
            total: Some(105),
        };
        let mut c = row("shopify", None);
        assert_eq!(c.count_of(&v), Some(105), "every location");
        c.location_id = Some("1".into());
        assert_eq!(c.count_of(&v), Some(5), "the followed location only");
        c.location_id = Some("3".into());
        assert_eq!(c.count_of(&v), None, "no count at the followed location");
        v.levels.clear();
        assert_eq!(c.count_of(&v), None, "a total over every location says nothing about one");
        c.location_id = None;
        assert_eq!(c.count_of(&v), Some(105));
    }
}
