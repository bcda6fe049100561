//! A shop's public face (what public endpoints need: CORS origins, widget settings,
//! ETA rules), served from a KV snapshot when fresh.

use restock_shared::wire::WidgetSettings;
use restock_shared::{Lang, ShopId, ShopRules};
use serde::{Deserialize, Serialize};

use crate::cache;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::shops::settings::ConsentTexts;
use crate::shops::store::{ShopRow, load_shop};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicShop {
    pub id: String,
    pub allowed_origins: Vec<String>,
    /// The widget's settings with the default consent text.
    pub widget: WidgetSettings,
    pub handling_days: u16,
    /// Every language's consent text is in the one snapshot, and `widget_for` picks
    /// per request: nothing cached is specific to a shopper's language. (Required: a
    /// snapshot written before this field existed fails to decode, which is a miss.)
    pub consent_texts: ConsentTexts,
    /// The customer-group rules (`groups`), applied to each shopper's answer.
    #[serde(default)]
    pub group_rules: Vec<restock_shared::groups::RuleRequest>,
    /// The stored rules could not be read: no orders until they are set again.
    #[serde(default)]
    pub group_rules_unreadable: bool,
}

impl PublicShop {
    pub fn from_row(row: &ShopRow) -> PublicShop {
        let rules = crate::groups::rules_of(row);
        PublicShop {
            id: row.id.clone(),
            allowed_origins: row.allowed_origins(),
            widget: row.widget_settings(),
            handling_days: row.rules().handling_days,
            consent_texts: row.consent_texts(),
            group_rules: rules.requests(),
            group_rules_unreadable: rules.is_unreadable(),
        }
    }

    /// The widget's settings for a shopper reading `lang` (`None`: none asked for):
    /// the shop's consent text in that language if it wrote one, else its default.
    pub fn widget_for(&self, lang: Option<Lang>) -> WidgetSettings {
        let mut widget = self.widget.clone();
        if let Some(text) = lang.and_then(|l| self.consent_texts.get(l)) {
            text.clone_into(&mut widget.consent_text);
        }
        widget
    }

    pub fn rules(&self) -> ShopRules {
        ShopRules { handling_days: self.handling_days }
    }

    /// Whether a browser on `origin` may call this shop's public endpoints. The
    /// Worker's own origin (demo storefront, dashboard) always may.
    pub fn allows_origin(&self, origin: &str, self_origin: &str) -> bool {
        origin == self_origin || self.allowed_origins.iter().any(|o| o == origin)
    }
}

/// The shop's public face: from KV when a fresh snapshot exists (and `fresh` is not
/// asked for), else from D1 (then snapshotted). 404 `shop_not_found` for no such shop.
pub async fn public_shop(ctx: &Ctx, shop: &ShopId, fresh: bool) -> Result<PublicShop, ApiError> {
    let key = cache::shop_key(shop.as_str());
    if !fresh && let Some(s) = cache::get::<PublicShop>(ctx, &key).await {
        return Ok(s);
    }
    let row = load_shop(&ctx.db, shop).await?;
    let public = PublicShop::from_row(&row);
    cache::put(ctx, key, &public);
    Ok(public)
}

/// Re-snapshots a shop after its settings changed.
pub async fn refresh_shop(ctx: &Ctx, row: &ShopRow) {
    cache::put(ctx, cache::shop_key(&row.id), &PublicShop::from_row(row));
}
