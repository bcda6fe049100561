//! The `shops` table: one row per tenant, holding its settings and key hash.

use restock_shared::wire::{BackorderMode, WidgetSettings};
use restock_shared::{Ratio, ReleaseRules, ShopId, ShopRules};
use serde::Deserialize;

use crate::args;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::shops::settings::ConsentTexts;

/// A `shops` row. Flags are INTEGER 0/1 in SQLite.
#[derive(Clone, Debug, Deserialize)]
pub struct ShopRow {
    pub id: String,
    pub name: String,
    pub key_hash: String,
    pub key_prefix: String,
    /// The key a rotation replaced, valid until `previous_key_expires_at` (ms).
    #[serde(default)]
    pub previous_key_hash: Option<String>,
    #[serde(default)]
    pub previous_key_expires_at: Option<i64>,
    pub allowed_origins: String,
    pub double_opt_in: i64,
    pub release_ratio_permille: i64,
    pub release_interval_minutes: i64,
    pub hold_hours: Option<i64>,
    pub handling_days: i64,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub consent_text: String,
    /// JSON object from language tag to consent text (migration 0005). Default so a
    /// Worker deployed before that migration still reads shops (with no texts).
    #[serde(default)]
    pub consent_texts: String,
    pub discount_code: Option<String>,
    pub backorder_mode: String,
    pub currency: String,
    pub shop_url: Option<String>,
    pub brand_color: Option<String>,
    pub created_at: i64,
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub notify_email: Option<String>,
    /// Days ended records are kept (migration 0011).
    #[serde(default = "default_retention")]
    pub retention_days: i64,
    #[serde(default)]
    pub record_country: i64,
    /// Migration 0017.
    #[serde(default)]
    pub postal_address: Option<String>,
    #[serde(default)]
    pub from_transactional: Option<String>,
    #[serde(default)]
    pub from_subscription: Option<String>,
    #[serde(default)]
    pub reminder_days: Option<i64>,
    #[serde(default)]
    pub waitlist_expiry_days: Option<i64>,
    /// Migration 0030: regular status emails every this many days (0: off), the
    /// forecasts' service level, and the incentives (a free-shipping note; the emails
    /// that carry it and the discount code, a JSON array of email kinds).
    #[serde(default)]
    pub status_update_days: i64,
    #[serde(default = "default_service_level")]
    pub service_level_permille: i64,
    #[serde(default)]
    pub free_shipping: i64,
    #[serde(default = "default_incentive_emails")]
    pub incentive_emails: String,
    /// Migration 0018: texts.
    #[serde(default)]
    pub sms_enabled: i64,
    #[serde(default)]
    pub sms_consent_text: Option<String>,
    #[serde(default = "default_sms_budget")]
    pub sms_budget: i64,
    /// Customer-group rules, a JSON array (migration 0020; `groups`).
    #[serde(default = "no_rules")]
    pub group_rules: String,
    /// Attribution windows in days (migration 0020; `attribution`).
    #[serde(default = "click_days")]
    pub attribution_click_days: i64,
    #[serde(default = "delivery_days")]
    pub attribution_delivery_days: i64,
}

fn default_sms_budget() -> i64 {
    100
}

fn no_rules() -> String {
    "[]".into()
}

fn click_days() -> i64 {
    5
}

fn delivery_days() -> i64 {
    1
}

fn default_retention() -> i64 {
    365
}

fn default_service_level() -> i64 {
    950
}

fn default_incentive_emails() -> String {
    r#"["restock"]"#.to_owned()
}

impl ShopRow {
    pub fn rules(&self) -> ShopRules {
        ShopRules { handling_days: u16::try_from(self.handling_days).unwrap_or(0) }
    }

    pub fn release_rules(&self) -> ReleaseRules {
        let ratio = u32::try_from(self.release_ratio_permille)
            .ok()
            .and_then(|p| Ratio::from_permille(p).ok())
            .unwrap_or_default();
        ReleaseRules {
            ratio,
            hold_hours: self.hold_hours.and_then(|h| u16::try_from(h).ok()).filter(|&h| h > 0),
            interval_minutes: u32::try_from(self.release_interval_minutes).unwrap_or(60),
        }
    }

    pub fn widget_settings(&self) -> WidgetSettings {
        WidgetSettings {
            consent_text: self.consent_text.clone(),
            double_opt_in: self.double_opt_in != 0,
            backorder_mode: if self.backorder_mode == "event" { BackorderMode::Event } else { BackorderMode::Api },
            sms_consent_text: (self.sms_enabled != 0).then(|| self.sms_consent().to_owned()),
        }
    }

    /// The SMS consent text this shop shows: its own, else the built-in one.
    pub fn sms_consent(&self) -> &str {
        self.sms_consent_text.as_deref().unwrap_or(crate::shops::settings::DEFAULT_SMS_CONSENT)
    }

    pub fn consent_texts(&self) -> ConsentTexts {
        ConsentTexts::from_json(&self.consent_texts)
    }

    pub fn allowed_origins(&self) -> Vec<String> {
        serde_json::from_str(&self.allowed_origins).unwrap_or_default()
    }

    /// The email kinds that carry the shop's incentives (discount code, free shipping).
    pub fn incentive_emails(&self) -> Vec<String> {
        serde_json::from_str(&self.incentive_emails).unwrap_or_default()
    }

    /// Whether emails of `kind` carry the shop's incentives.
    pub fn incentive_in(&self, kind: &str) -> bool {
        self.incentive_emails().iter().any(|k| k == kind)
    }
}

pub async fn load_shop(db: &Db, shop: &ShopId) -> Result<ShopRow, ApiError> {
    let s = db::stmt(db, "SELECT * FROM shops WHERE id = ?1", args![shop.as_str()])?;
    db::first::<ShopRow>(s).await?.ok_or_else(|| ApiError::not_found("shop_not_found", "no shop with this id"))
}
