//! Shop settings: the merchant's patch request, validated field by field into column
//! assignments, and the view the merchant reads back.

use std::collections::BTreeMap;

use restock_shared::{Email, InvalidInput, Lang, Ratio, clean_text, header_text};
use serde::{Deserialize, Deserializer, Serialize};
use worker::Url;

use crate::db::Val;
use crate::error::ApiError;
use crate::shops::store::ShopRow;

/// At most this many characters of consent text (the default and each language's).
pub const CONSENT_MAX: usize = 1000;

/// At most this many characters of postal address.
pub const POSTAL_MAX: usize = 300;

/// Distinguishes "absent" (`None`) from "null" (`Some(None)`) for clearable fields.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?))
}

/// A field that may be absent but, when present, must not be `null` (it cannot be cleared).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `PATCH /v1/admin/settings` (and the settings part of `POST /v1/shops`): every field
/// optional; absent fields keep their value, `null` clears a clearable one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub double_opt_in: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub release_ratio: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    pub release_interval_minutes: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    pub hold_hours: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub handling_days: Option<i64>,
    /// Days that ended records (a notified or unsubscribed signup, a closed backorder,
    /// a delivery) are kept before the scheduled purge removes them.
    #[serde(default, deserialize_with = "present")]
    pub retention_days: Option<i64>,
    /// Record the signup's country (from its IP, by Cloudflare) in the consent record.
    #[serde(default, deserialize_with = "present")]
    pub record_country: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub sender_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub reply_to: Option<Option<String>>,
    /// The shop's postal address, in every email's footer (required before a
    /// production Worker sends the shop's email).
    #[serde(default, deserialize_with = "nullable")]
    pub postal_address: Option<Option<String>>,
    /// From address of transactional mail (backorders, preorders, confirmations).
    #[serde(default, deserialize_with = "nullable")]
    pub from_transactional: Option<Option<String>>,
    /// From address of subscription mail (restock notices, reminders).
    #[serde(default, deserialize_with = "nullable")]
    pub from_subscription: Option<Option<String>>,
    /// One reminder to notified subscribers who have not bought within this many days.
    #[serde(default, deserialize_with = "nullable")]
    pub reminder_days: Option<Option<i64>>,
    /// Signups still waiting after this many days end.
    #[serde(default, deserialize_with = "nullable")]
    pub waitlist_expiry_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub consent_text: Option<String>,
    /// Replaces the whole map; `null` or `{}` clears it.
    #[serde(default, deserialize_with = "nullable")]
    pub consent_texts: Option<Option<BTreeMap<String, String>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub discount_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub backorder_mode: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub shop_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub brand_color: Option<Option<String>>,
    /// A regular status email to shoppers waiting on a backorder every this many days
    /// (1 to 90) when nothing else was sent to them; 0 turns them off.
    #[serde(default, deserialize_with = "present")]
    pub status_update_days: Option<i64>,
    /// The forecasts' service level: the chance of not running out during a lead
    /// time, 0.5 to 0.999 (at most three decimals).
    #[serde(default, deserialize_with = "present")]
    pub service_level: Option<f64>,
    /// A free-shipping note in the emails `incentive_emails` names.
    #[serde(default, deserialize_with = "present")]
    pub free_shipping: Option<bool>,
    /// Which emails carry the discount code and the free-shipping note:
    /// `restock`, `backorder_confirmation` (each at most once; `[]`: none).
    #[serde(default, deserialize_with = "present")]
    pub incentive_emails: Option<Vec<String>>,
    /// Offer shoppers a text message as well (a phone field in the waitlist form).
    #[serde(default, deserialize_with = "present")]
    pub sms_enabled: Option<bool>,
    /// The text shoppers agree to for texts (who sends, what, how often, rates, STOP);
    /// `null` goes back to the built-in text.
    #[serde(default, deserialize_with = "nullable")]
    pub sms_consent_text: Option<Option<String>>,
    /// The most texts one restock wave sends; the rest of the wave gets email only.
    #[serde(default, deserialize_with = "present")]
    pub sms_budget: Option<i64>,
    /// Attribution windows (`attribution`): a sale within this many days of clicking a
    /// restock notice is credited as direct, within this many days of its delivery as
    /// assisted (0 to 30; 0 turns one off).
    #[serde(default, deserialize_with = "present")]
    pub attribution_click_days: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub attribution_delivery_days: Option<i64>,
}

/// The emails that can carry the shop's incentives.
pub const INCENTIVE_EMAILS: [&str; 2] = ["restock", "backorder_confirmation"];

/// The service level in thousandths: 0.5 to 0.999 with at most three decimals
/// (0.9505 is refused, not rounded).
fn service_level(v: f64) -> Result<u16, InvalidInput> {
    let bad = || range("service_level", "0.5 to 0.999, at most three decimals");
    let permille = (v * 1000.0).round();
    if !v.is_finite() || (v * 1000.0 - permille).abs() > 1e-6 || !(500.0..=999.0).contains(&permille) {
        return Err(bad());
    }
    restock_shared::ServiceLevel::from_permille(permille as u16).map(|l| l.permille()).map_err(|_| bad())
}

fn incentive_emails(list: &[String]) -> Result<String, InvalidInput> {
    let mut out: Vec<&str> = Vec::new();
    for kind in list {
        let known = INCENTIVE_EMAILS.iter().find(|k| **k == kind.as_str());
        match known {
            Some(k) if !out.contains(k) => out.push(k),
            _ => return Err(range("incentive_emails", "restock and/or backorder_confirmation, each once")),
        }
    }
    Ok(serde_json::to_string(&out).unwrap_or_else(|_| "[]".into()))
}

/// The SMS consent text a shop shows until it writes its own: who texts, what, how
/// often, that rates may apply, and how to stop.
pub const DEFAULT_SMS_CONSENT: &str = "Text me once when this item is back in stock. One message per restock; message and data rates may apply. Reply STOP to opt out.";

/// The most texts a wave may be budgeted (a safety rail, not a plan).
pub const SMS_BUDGET_MAX: i64 = 100_000;

/// A validated column assignment (`column` is from a fixed list, never from input).
pub struct Assign {
    pub column: &'static str,
    pub value: Val,
}

fn range(field: &'static str, detail: &'static str) -> InvalidInput {
    InvalidInput::Range { field, detail }
}

fn int_in(field: &'static str, v: i64, lo: i64, hi: i64, detail: &'static str) -> Result<i64, InvalidInput> {
    if (lo..=hi).contains(&v) { Ok(v) } else { Err(range(field, detail)) }
}

/// Whether a URL as given holds whitespace or a control character anywhere. The URL
/// parser strips tabs and newlines inside and spaces and controls around (WHATWG);
/// a URL we store is the one the merchant typed, so such input is refused instead.
fn has_space_or_control(input: &str) -> bool {
    input.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An origin as browsers send it: `scheme://host[:port]`, http(s), nothing else.
pub fn parse_origin(input: &str) -> Result<String, InvalidInput> {
    let bad = || range("allowed_origins", "each an origin such as https://shop.example (no path)");
    if input.len() > 200 || has_space_or_control(input) {
        return Err(bad());
    }
    let url = Url::parse(input).map_err(|_| bad())?;
    let origin = url.origin().ascii_serialization();
    let ok = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.path() == "/"
        && input.trim_end_matches('/') == origin;
    if ok { Ok(origin) } else { Err(bad()) }
}

/// An http(s) URL; plain http only for the local machine (development). Whitespace
/// and control characters (CR/LF included) are refused, not stripped.
pub fn parse_url(field: &'static str, input: &str) -> Result<String, InvalidInput> {
    let bad = || range(field, "an https:// URL (http:// only for localhost), without spaces or control characters");
    if input.len() > 500 || has_space_or_control(input) {
        return Err(bad());
    }
    let url = Url::parse(input).map_err(|_| bad())?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let ok = (url.scheme() == "https" || (url.scheme() == "http" && local))
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    if ok { Ok(url.to_string()) } else { Err(bad()) }
}

fn text_required(field: &'static str, input: &str, max: usize) -> Result<String, InvalidInput> {
    let t = clean_text(field, input, max)?;
    if t.is_empty() { Err(InvalidInput::Missing { field }) } else { Ok(t) }
}

/// The shop's name: required, and a header text (it is the From display name when
/// there is no sender name, and it is in email footers).
pub fn shop_name(input: &str) -> Result<String, InvalidInput> {
    let t = header_text("name", input, 100)?;
    if t.is_empty() { Err(InvalidInput::Missing { field: "name" }) } else { Ok(t) }
}

fn discount_code(input: &str) -> Result<String, InvalidInput> {
    let ok =
        (1..=64).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(input.to_owned()) } else { Err(range("discount_code", "1-64 of A-Z, 0-9, - and _")) }
}

fn brand_color(input: &str) -> Result<String, InvalidInput> {
    let b = input.as_bytes();
    let ok = b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit);
    if ok { Ok(input.to_ascii_lowercase()) } else { Err(range("brand_color", "a colour as #rrggbb")) }
}

fn currency(input: &str) -> Result<String, InvalidInput> {
    let ok = input.len() == 3 && input.bytes().all(|b| b.is_ascii_uppercase());
    if ok { Ok(input.to_owned()) } else { Err(range("currency", "an ISO 4217 code such as EUR")) }
}

/// The consent text per language, for the languages a shop wrote one in; the others
/// show its `consent_text`. Stored as a JSON object from `Lang::tag()` to text, in D1
/// and in the `PublicShop` snapshot, so one snapshot answers every language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsentTexts(BTreeMap<String, String>);

impl ConsentTexts {
    /// Validates a merchant's map: keys exactly one of `Lang::ALL`'s tags (an unknown
    /// one is a 400 naming it, `consent_texts.xx`), each text as `consent_text` is.
    pub fn parse(raw: &BTreeMap<String, String>) -> Result<ConsentTexts, ApiError> {
        let mut out = BTreeMap::new();
        for (tag, text) in raw {
            let Some(lang) = Lang::from_exact_tag(tag) else {
                let tags: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
                return Err(ApiError::bad_field(
                    "invalid_body",
                    format!("consent_texts.{tag}"),
                    format!("consent_texts takes the languages {}", tags.join(", ")),
                ));
            };
            out.insert(lang.tag().to_owned(), text_required(consent_field(lang), text, CONSENT_MAX)?);
        }
        Ok(ConsentTexts(out))
    }

    /// From the stored JSON. A value we did not write (unreadable) reads as no texts:
    /// the shop's default consent text is always there to fall back on.
    pub fn from_json(raw: &str) -> ConsentTexts {
        serde_json::from_str(raw).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// The shop's text for `lang`, if it wrote one.
    pub fn get(&self, lang: Lang) -> Option<&str> {
        self.0.get(lang.tag()).map(String::as_str)
    }

    /// The consent text a signup is recorded with: the shop's own text, never one a
    /// client made up. When `claimed` is one of the shop's texts (its `default` or one
    /// language's) it is that one (a page may show a language other than the signup's
    /// locale); otherwise it is the text the shop shows in `lang`. Returns the text's
    /// language tag (`default` for the default text) and the text.
    pub fn shown<'a>(&'a self, default: &'a str, lang: Lang, claimed: &str) -> (&'a str, &'a str) {
        if let Some((tag, text)) = self.0.iter().find(|(_, text)| text.as_str() == claimed) {
            return (tag, text);
        }
        match self.get(lang) {
            Some(text) if claimed != default => (lang.tag(), text),
            _ => ("default", default),
        }
    }
}

/// The problem field for one language's consent text.
fn consent_field(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "consent_texts.en",
        Lang::De => "consent_texts.de",
        Lang::Fr => "consent_texts.fr",
        Lang::Es => "consent_texts.es",
        Lang::Ja => "consent_texts.ja",
        Lang::Ar => "consent_texts.ar",
        Lang::He => "consent_texts.he",
    }
}

impl SettingsPatch {
    /// Validates every present field; the first invalid one is the error.
    pub fn validate(&self) -> Result<Vec<Assign>, ApiError> {
        let mut out = Vec::new();
        let mut set = |column: &'static str, value: Val| out.push(Assign { column, value });
        if let Some(v) = &self.name {
            set("name", Val::from(shop_name(v)?));
        }
        if let Some(list) = &self.allowed_origins {
            if list.len() > 20 {
                return Err(range("allowed_origins", "at most 20 origins").into());
            }
            let origins = list.iter().map(|o| parse_origin(o)).collect::<Result<Vec<_>, _>>()?;
            set("allowed_origins", Val::from(serde_json::to_string(&origins).unwrap_or_else(|_| "[]".into())));
        }
        if let Some(v) = self.double_opt_in {
            set("double_opt_in", Val::from(v));
        }
        if let Some(v) = self.record_country {
            set("record_country", Val::from(v));
        }
        if let Some(r) = self.release_ratio {
            let permille = (r * 1000.0).round();
            let ratio = if r.is_finite() && (0.0..=1e7).contains(&permille) {
                Ratio::from_permille(permille as u32)?
            } else {
                return Err(range("release_ratio", "0.1 to 10").into());
            };
            set("release_ratio_permille", Val::from(ratio.permille()));
        }
        if let Some(v) = self.release_interval_minutes {
            set("release_interval_minutes", Val::from(int_in("release_interval_minutes", v, 5, 10_080, "5 to 10080")?));
        }
        if let Some(v) = self.hold_hours {
            let v = v.map(|h| int_in("hold_hours", h, 1, 168, "1 to 168, or null for no holds")).transpose()?;
            set("hold_hours", Val::from(v));
        }
        if let Some(v) = self.handling_days {
            set("handling_days", Val::from(int_in("handling_days", v, 0, 30, "0 to 30")?));
        }
        if let Some(v) = self.retention_days {
            set("retention_days", Val::from(int_in("retention_days", v, 30, 3650, "30 to 3650")?));
        }
        if let Some(v) = &self.sender_name {
            // The From display name of every email.
            set("sender_name", Val::from(header_text("sender_name", v, 100)?));
        }
        if let Some(v) = &self.reply_to {
            let v = v.as_deref().map(Email::parse).transpose().map_err(|_| range("reply_to", "an email address"))?;
            set("reply_to", Val::from(v.map(|e| e.as_str().to_owned())));
        }
        if let Some(v) = &self.postal_address {
            let v = v.as_deref().map(|a| text_required("postal_address", a, POSTAL_MAX)).transpose()?;
            set("postal_address", Val::from(v));
        }
        for (field, value) in
            [("from_transactional", &self.from_transactional), ("from_subscription", &self.from_subscription)]
        {
            if let Some(v) = value {
                let v = v.as_deref().map(Email::parse).transpose().map_err(|_| range(field, "an email address"))?;
                set(field, Val::from(v.map(|e| e.as_str().to_owned())));
            }
        }
        if let Some(v) = self.reminder_days {
            let v = v.map(|d| int_in("reminder_days", d, 1, 90, "1 to 90, or null for no reminder")).transpose()?;
            set("reminder_days", Val::from(v));
        }
        if let Some(v) = self.waitlist_expiry_days {
            let v =
                v.map(|d| int_in("waitlist_expiry_days", d, 7, 3650, "7 to 3650, or null for never")).transpose()?;
            set("waitlist_expiry_days", Val::from(v));
        }
        if let Some(v) = &self.consent_text {
            set("consent_text", Val::from(text_required("consent_text", v, CONSENT_MAX)?));
        }
        if let Some(v) = &self.consent_texts {
            let texts = v.as_ref().map(ConsentTexts::parse).transpose()?.unwrap_or_default();
            set("consent_texts", Val::from(texts.to_json()));
        }
        if let Some(v) = &self.discount_code {
            set("discount_code", Val::from(v.as_deref().map(discount_code).transpose()?));
        }
        if let Some(v) = &self.backorder_mode {
            if !matches!(v.as_str(), "api" | "event") {
                return Err(range("backorder_mode", "api or event").into());
            }
            set("backorder_mode", Val::from(v.as_str()));
        }
        if let Some(v) = &self.currency {
            set("currency", Val::from(currency(v)?));
        }
        if let Some(v) = &self.shop_url {
            set("shop_url", Val::from(v.as_deref().map(|u| parse_url("shop_url", u)).transpose()?));
        }
        if let Some(v) = &self.brand_color {
            set("brand_color", Val::from(v.as_deref().map(brand_color).transpose()?));
        }
        if let Some(v) = self.status_update_days {
            let days = restock_shared::Cadence::from_days(v)?.map_or(0, |c| i64::from(c.days()));
            set("status_update_days", Val::from(days));
        }
        if let Some(v) = self.service_level {
            set("service_level_permille", Val::from(i64::from(service_level(v)?)));
        }
        if let Some(v) = self.free_shipping {
            set("free_shipping", Val::from(v));
        }
        if let Some(v) = &self.incentive_emails {
            set("incentive_emails", Val::from(incentive_emails(v)?));
        }
        if let Some(v) = self.sms_enabled {
            set("sms_enabled", Val::from(v));
        }
        if let Some(v) = &self.sms_consent_text {
            let v = v.as_deref().map(|t| text_required("sms_consent_text", t, CONSENT_MAX)).transpose()?;
            set("sms_consent_text", Val::from(v));
        }
        if let Some(v) = self.sms_budget {
            set("sms_budget", Val::from(int_in("sms_budget", v, 0, SMS_BUDGET_MAX, "0 to 100000 texts per wave")?));
        }
        for (field, value) in [
            ("attribution_click_days", self.attribution_click_days),
            ("attribution_delivery_days", self.attribution_delivery_days),
        ] {
            if let Some(v) = value {
                set(field, Val::from(int_in(field, v, 0, 30, "0 to 30 days (0 turns it off)")?));
            }
        }
        Ok(out)
    }
}

/// What the merchant reads at `GET /v1/admin/settings`.
#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub allowed_origins: Vec<String>,
    pub double_opt_in: bool,
    pub release_ratio: f64,
    pub release_interval_minutes: i64,
    pub hold_hours: Option<i64>,
    pub handling_days: i64,
    pub retention_days: i64,
    pub record_country: bool,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub postal_address: Option<String>,
    pub from_transactional: Option<String>,
    pub from_subscription: Option<String>,
    pub reminder_days: Option<i64>,
    pub waitlist_expiry_days: Option<i64>,
    /// What keeps this shop's email from going out (`postal_address_missing` on a
    /// production Worker), with what to do.
    pub problems: Vec<SettingsProblem>,
    pub consent_text: String,
    pub consent_texts: ConsentTexts,
    pub discount_code: Option<String>,
    pub backorder_mode: String,
    pub currency: String,
    pub shop_url: Option<String>,
    pub brand_color: Option<String>,
    pub sms_enabled: bool,
    /// The text shown next to the phone field (the built-in one unless the shop wrote one).
    pub sms_consent_text: String,
    pub sms_budget: i64,
    pub attribution_click_days: i64,
    pub attribution_delivery_days: i64,
    pub created_at: i64,
    pub status_update_days: i64,
    pub service_level: f64,
    pub free_shipping: bool,
    pub incentive_emails: Vec<String>,
}

/// One thing the merchant must fix before the shop's email goes out.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsProblem {
    pub code: &'static str,
    pub message: &'static str,
}

impl SettingsView {
    /// The view, with what a Worker in production (`production`) holds back.
    pub fn of(s: &ShopRow, production: bool) -> SettingsView {
        let mut v = SettingsView::from(s);
        if production && s.postal_address.is_none() {
            v.problems.push(SettingsProblem {
                code: "postal_address_missing",
                message: "set the shop's postal address: every email's footer needs it, and no email to shoppers is sent without it",
            });
        }
        v
    }
}

impl From<&ShopRow> for SettingsView {
    fn from(s: &ShopRow) -> Self {
        SettingsView {
            id: s.id.clone(),
            name: s.name.clone(),
            key_prefix: s.key_prefix.clone(),
            allowed_origins: s.allowed_origins(),
            double_opt_in: s.double_opt_in != 0,
            release_ratio: s.release_ratio_permille as f64 / 1000.0,
            release_interval_minutes: s.release_interval_minutes,
            hold_hours: s.hold_hours,
            handling_days: s.handling_days,
            retention_days: s.retention_days,
            record_country: s.record_country != 0,
            sender_name: s.sender_name.clone(),
            reply_to: s.reply_to.clone(),
            postal_address: s.postal_address.clone(),
            from_transactional: s.from_transactional.clone(),
            from_subscription: s.from_subscription.clone(),
            reminder_days: s.reminder_days,
            waitlist_expiry_days: s.waitlist_expiry_days,
            problems: Vec::new(),
            consent_text: s.consent_text.clone(),
            consent_texts: s.consent_texts(),
            discount_code: s.discount_code.clone(),
            backorder_mode: s.backorder_mode.clone(),
            currency: s.currency.clone(),
            shop_url: s.shop_url.clone(),
            brand_color: s.brand_color.clone(),
            sms_enabled: s.sms_enabled != 0,
            sms_consent_text: s.sms_consent().to_owned(),
            sms_budget: s.sms_budget,
            attribution_click_days: s.attribution_click_days,
            attribution_delivery_days: s.attribution_delivery_days,
            created_at: s.created_at,
            status_update_days: s.status_update_days,
            service_level: s.service_level_permille as f64 / 1000.0,
            free_shipping: s.free_shipping != 0,
            incentive_emails: s.incentive_emails(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_bare_http_origins() {
        assert_eq!(parse_origin("https://shop.example"), Ok("https://shop.example".into()));
        assert_eq!(parse_origin("https://shop.example/"), Ok("https://shop.example".into()));
        assert_eq!(parse_origin("http://localhost:3000"), Ok("http://localhost:3000".into()));
        for bad in [
            "shop.example",
            "https://shop.example/path",
            "ftp://x.example",
            "https://u:p@x.example",
            "*",
            "javascript:alert(1)",
            "https://x.example?q=1",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_https_except_locally() {
        assert!(parse_url("webhook_url", "https://hooks.example/restock").is_ok());
        assert!(parse_url("webhook_url", "http://127.0.0.1:9999/hook").is_ok());
        assert!(parse_url("webhook_url", "http://hooks.example/restock").is_err());
        assert!(parse_url("webhook_url", "file:///etc/passwd").is_err());
    }

    #[test]
    fn urls_with_whitespace_or_controls_are_refused_not_rewritten() {
        // Each of these parses (the URL parser strips or encodes the character).
        for bad in [
            "https://hooks.example/a\r\nX-Injected: 1",
            "https://hooks.example/a\nb",
            "https://hooks.exa\tmple/a",
            "https://hooks.example/a b",
            " https://hooks.example/a",
            "https://hooks.example/a\r\n",
            "https://hooks.example/a\u{0}",
            "https://hooks.example/a\u{85}",
            "https://hooks.example/a\u{2028}",
            "https://hooks.example/a\u{a0}",
        ] {
            for field in ["webhook_url", "shop_url"] {
                let e = parse_url(field, bad).expect_err(bad);
                assert_eq!((e.code(), e.field()), ("out_of_range", field), "{bad:?}");
            }
            assert!(parse_origin(bad).is_err(), "{bad:?}");
        }
        assert!(parse_origin("https://shop.example\n").is_err());
        assert_eq!(parse_url("shop_url", "https://shop.example/a%20b"), Ok("https://shop.example/a%20b".into()));
    }

    #[test]
    fn names_that_reach_email_headers_refuse_line_breaks_and_bidi_controls() {
        for field in ["name", "sender_name"] {
            for c in [
                '\u{2028}', '\u{2029}', '\u{85}', '\u{0B}', '\u{0C}', '\r', '\n', '\u{202E}', '\u{2067}', '\u{200F}',
                '\u{061C}',
            ] {
                let json = serde_json::json!({ field: format!("Bob{c}Bikes") }).to_string();
                assert_eq!(patch(&json), Err("invalid_text"), "{field} {c:?}");
                let trailing = serde_json::json!({ field: format!("Bob Bikes{c}") }).to_string();
                assert_eq!(patch(&trailing), Err("invalid_text"), "{field} trailing {c:?}");
            }
            let ok = serde_json::json!({ field: "Bob\u{2019}s Bikes متجر" }).to_string();
            assert_eq!(patch(&ok), Ok(1), "{field}");
        }
        // The consent text is only ever a body: the directional marks stay allowed.
        assert_eq!(patch(r#"{"consent_text": "אני מסכים\u200f."}"#), Ok(1));
        assert_eq!(patch(r#"{"consent_text": "a\u2028b"}"#), Err("invalid_text"));
    }

    fn patch(json: &str) -> Result<usize, &'static str> {
        let p: SettingsPatch = serde_json::from_str(json).map_err(|_| "serde")?;
        p.validate().map(|a| a.len()).map_err(|e| e.code())
    }

    #[test]
    fn patches_validate_every_field() {
        assert_eq!(patch(r#"{"release_ratio": 1.5, "hold_hours": null, "double_opt_in": true}"#), Ok(3));
        assert!(patch(r#"{"record_country": null}"#).is_err(), "null is not a value of a switch");
        assert_eq!(patch(r#"{"webhook_url": "https://h.example/x"}"#), Err("serde"), "webhooks are endpoints now");
        assert_eq!(patch(r#"{"postal_address": "1 Quay St, Dublin D02 X285, Ireland", "reminder_days": 7}"#), Ok(2));
        assert_eq!(patch(r#"{"postal_address": " "}"#), Err("missing_field"));
        assert_eq!(patch(r#"{"reminder_days": 0}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"waitlist_expiry_days": 3}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"waitlist_expiry_days": null, "from_subscription": null}"#), Ok(2));
        assert_eq!(patch(r#"{"from_transactional": "orders at shop"}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"release_ratio": 0}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"release_ratio": 1e308}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"hold_hours": 0}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"consent_text": "  "}"#), Err("missing_field"));
        assert_eq!(patch(r#"{"brand_color": "red"}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"discount_code": "10% OFF"}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"backorder_mode": "cart"}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"reply_to": "not-an-email"}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"name": "a\u0000b"}"#), Err("invalid_text"));
        assert_eq!(patch(r#"{"key_hash": "x"}"#), Err("serde"), "unknown fields are refused");
        assert_eq!(patch(r#"{"sms_enabled": true, "sms_budget": 0, "sms_consent_text": null}"#), Ok(3));
        assert_eq!(patch(r#"{"sms_enabled": null}"#), Err("serde"));
        assert_eq!(patch(r#"{"sms_budget": null}"#), Err("serde"));
        assert_eq!(patch(r#"{"sms_budget": -1}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"sms_budget": 100001}"#), Err("out_of_range"));
        assert_eq!(patch(r#"{"sms_consent_text": " "}"#), Err("missing_field"));
        assert_eq!(patch(r#"{"sms_consent_text": "Text me\u202E"}"#), Err("invalid_text"));
    }

    /// The `consent_texts` column a patch of `{"consent_texts": texts}` writes, or the
    /// problem's (status, code, field); serde's refusals are (400, "serde", "").
    fn consent_texts(texts: &str) -> Result<String, (u16, &'static str, String)> {
        let json = format!(r#"{{"consent_texts": {texts}}}"#);
        let p: SettingsPatch = serde_json::from_str(&json).map_err(|_| (400, "serde", String::new()))?;
        let assigns = p.validate().map_err(|e| {
            let problem = e.problem();
            (problem.status, problem.code, problem.field.unwrap_or_default())
        })?;
        match assigns.iter().find(|a| a.column == "consent_texts").map(|a| &a.value) {
            Some(Val::Text(json)) => Ok(json.clone()),
            _ => Err((0, "absent", String::new())),
        }
    }

    #[test]
    fn consent_texts_are_per_known_language_and_validated_like_the_default() {
        let stored = r#"{"de":"Ja, bitte.","he":"כן"}"#;
        assert_eq!(consent_texts(r#"{"de": "  Ja, bitte. ", "he": "כן"}"#), Ok(stored.into()));
        assert_eq!(consent_texts("{}"), Ok("{}".into()), "an empty map clears");
        assert_eq!(consent_texts("null"), Ok("{}".into()), "null clears");
        let long = format!(r#"{{"ja": "{}"}}"#, "あ".repeat(CONSENT_MAX + 1));
        let max = format!(r#"{{"ja": "{}"}}"#, "あ".repeat(CONSENT_MAX));
        assert!(consent_texts(&max).is_ok());
        for (texts, status, code, field) in [
            (r#"{"xx": "t"}"#, 400, "invalid_body", "consent_texts.xx"),
            (r#"{"de": "t", "de-CH": "t"}"#, 400, "invalid_body", "consent_texts.de-CH"),
            (r#"{"DE": "t"}"#, 400, "invalid_body", "consent_texts.DE"),
            (r#"{"iw": "t"}"#, 400, "invalid_body", "consent_texts.iw"),
            (r#"{"fr": " "}"#, 422, "missing_field", "consent_texts.fr"),
            (r#"{"ar": "a\u0007"}"#, 422, "invalid_text", "consent_texts.ar"),
            (r#"{"he": "a\u202Eb"}"#, 422, "invalid_text", "consent_texts.he"),
            (&long, 422, "invalid_text", "consent_texts.ja"),
            (r#"{"de": null}"#, 400, "serde", ""),
            (r#"{"de": 1}"#, 400, "serde", ""),
            (r#"["de"]"#, 400, "serde", ""),
        ] {
            assert_eq!(consent_texts(texts), Err((status, code, field.to_owned())), "{texts}");
        }
    }

    #[test]
    fn signups_are_recorded_with_the_shops_own_text() {
        let texts = ConsentTexts::from_json(r#"{"de":"Ja, bitte.","he":"כן"}"#);
        let default = "Email me once.";
        for (lang, claimed, expected) in [
            (Lang::En, "Email me once.", ("default", default)),
            (Lang::De, "Ja, bitte.", ("de", "Ja, bitte.")),
            // A page in German for a shopper whose locale is English: still the German text.
            (Lang::En, "Ja, bitte.", ("de", "Ja, bitte.")),
            // The default shown in German where the shop has a German text (an old page).
            (Lang::De, "Email me once.", ("default", default)),
            // A text the shop never showed is replaced by the one it shows in that language.
            (Lang::De, "I agree to everything.", ("de", "Ja, bitte.")),
            (Lang::Fr, "I agree to everything.", ("default", default)),
            (Lang::He, "", ("he", "כן")),
        ] {
            assert_eq!(texts.shown(default, lang, claimed), expected, "{lang:?} {claimed:?}");
        }
    }

    #[test]
    fn the_practices_settings_refuse_what_they_would_have_to_repair() {
        assert_eq!(patch(r#"{"status_update_days": 14, "service_level": 0.975, "free_shipping": true}"#), Ok(3));
        assert_eq!(patch(r#"{"status_update_days": 0}"#), Ok(1), "0 is off");
        for bad in [r#"{"status_update_days": 91}"#, r#"{"status_update_days": -1}"#] {
            assert_eq!(patch(bad), Err("out_of_range"), "{bad}");
        }
        assert_eq!(patch(r#"{"status_update_days": null}"#), Err("serde"), "null is not a cadence");
        for bad in ["0.9505", "1", "0.4", "0.9999", "1e308"] {
            assert_eq!(patch(&format!(r#"{{"service_level": {bad}}}"#)), Err("out_of_range"), "{bad}");
        }
        assert_eq!(service_level(0.95), Ok(950));
        assert_eq!(service_level(0.999), Ok(999));
        assert_eq!(
            incentive_emails(&["backorder_confirmation".into(), "restock".into()]).as_deref(),
            Ok(r#"["backorder_confirmation","restock"]"#)
        );
        assert_eq!(incentive_emails(&[]).as_deref(), Ok("[]"));
        for bad in [vec!["restock", "restock"], vec!["delay"], vec![""]] {
            let list: Vec<String> = bad.iter().map(|s| (*s).to_owned()).collect();
            let e = incentive_emails(&list).expect_err("refused");
            assert_eq!((e.code(), e.field()), ("out_of_range", "incentive_emails"), "{bad:?}");
        }
    }

    #[test]
    fn stored_consent_texts_answer_per_language() {
        let texts = ConsentTexts::from_json(r#"{"de":"Ja","he":"כן"}"#);
        assert_eq!((texts.get(Lang::De), texts.get(Lang::He), texts.get(Lang::Fr)), (Some("Ja"), Some("כן"), None));
        assert_eq!(ConsentTexts::from_json(&texts.to_json()), texts);
        assert_eq!(ConsentTexts::from_json("not json"), ConsentTexts::default());
        assert_eq!(ConsentTexts::from_json(""), ConsentTexts::default());
    }
}
