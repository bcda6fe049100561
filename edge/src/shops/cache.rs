//! A shop's public face (what public endpoints need: CORS origins, widget settings,
//! ETA rules), served from a KV snapshot when fresh.
//!
//! Every public request needs it, and it changes only when the merchant edits
//! settings, so each isolate also keeps the copy it last read or wrote, under the same
//! rule as KV's: only while younger than `cache::FRESH_MS` by the instant it was
//! computed. An availability read on a warm isolate then makes one KV read, for the
//! SKU, not two.

use std::cell::RefCell;
use std::collections::HashMap;

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
    /// the shop's consent text in that language if it wrote one, else its default. The
    /// phone field is offered only where this deployment can send texts (`sms_ready`).
    pub fn widget_for(&self, lang: Option<Lang>, sms_ready: bool) -> WidgetSettings {
        let mut widget = self.widget.clone();
        if let Some(text) = lang.and_then(|l| self.consent_texts.get(l)) {
            text.clone_into(&mut widget.consent_text);
        }
        if !sms_ready {
            widget.sms_consent_text = None;
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

thread_local! {
    /// This isolate's copies: shop id to (computed at, public face).
    static MEMO: RefCell<HashMap<String, (i64, PublicShop)>> = RefCell::new(HashMap::new());
}

/// Shops one isolate keeps at most (then it starts over: a cold read is one KV get).
const MEMO_MAX: usize = 1_000;

fn remembered(shop: &str, now: i64) -> Option<PublicShop> {
    MEMO.with(|m| m.borrow().get(shop).filter(|(at, _)| cache::is_fresh(*at, now)).map(|(_, s)| s.clone()))
}

fn remember(shop: &str, at: i64, public: &PublicShop) {
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_MAX && !m.contains_key(shop) {
            m.clear();
        }
        m.insert(shop.to_owned(), (at, public.clone()));
    });
}

/// The shop's public face: this isolate's fresh copy, else KV's fresh snapshot, else
/// D1 (then snapshotted); `fresh` goes to D1. 404 `shop_not_found` for no such shop.
pub async fn public_shop(ctx: &Ctx, shop: &ShopId, fresh: bool) -> Result<PublicShop, ApiError> {
    let now = ctx.now.millis();
    if !fresh && let Some(s) = remembered(shop.as_str(), now) {
        return Ok(s);
    }
    let key = cache::shop_key(shop.as_str());
    if !fresh && let Some((at, s)) = cache::get_stamped::<PublicShop>(ctx, &key).await {
        remember(shop.as_str(), at, &s);
        return Ok(s);
    }
    let row = load_shop(&ctx.db, shop).await?;
    let public = PublicShop::from_row(&row);
    cache::put(ctx, key, &public);
    remember(shop.as_str(), now, &public);
    Ok(public)
}

/// Re-snapshots a shop after its settings changed.
pub async fn refresh_shop(ctx: &Ctx, row: &ShopRow) {
    let public = PublicShop::from_row(row);
    cache::put(ctx, cache::shop_key(&row.id), &public);
    remember(&row.id, ctx.now.millis(), &public);
}
