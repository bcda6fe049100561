//! The JSON contract of the public (storefront) API: what the Worker sends and the
//! widget reads, and what the widget sends and the Worker parses. Request types are
//! deliberately dumb (strings and numbers); the Worker converts them into the parsed
//! domain types with `TryFrom`, so every refusal has one stable code.

use crate::prelude::*;
use serde::{Deserialize, Serialize};

use crate::availability::{Availability, OrderKind, Status};
use crate::date::{Date, Timestamp};
use crate::eta::RestockEta;
use crate::input::{Email, InvalidInput, Locale, Quantity, Sku, clean_text};
use crate::phone::Phone;

/// The shopper-facing status, as a string on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCode {
    InStock,
    LowStock,
    OutOfStock,
    Backorder,
    Preorder,
    Discontinued,
}

/// One SKU's availability (`GET .../products/{sku}/availability`, and each item of
/// the batch endpoint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityView {
    pub sku: String,
    /// The merchant's product name: plain text, never markup.
    pub name: String,
    pub status: StatusCode,
    /// `low_stock`: units left. `backorder`/`preorder`: places left before the cap
    /// (null when uncapped). Otherwise null: exact stock is the merchant's business.
    pub left: Option<u32>,
    /// `preorder` only.
    pub release_date: Option<Date>,
    /// When one more unit would ship (null: no data for a date, or it is in stock).
    pub eta: Option<RestockEta>,
    /// Whether the waitlist takes signups for this SKU now.
    pub waitlist: bool,
    /// The most units one backorder/preorder may ask for now (0 when none can).
    pub max_quantity: u32,
}

impl AvailabilityView {
    pub fn new(sku: &str, name: &str, a: &Availability) -> AvailabilityView {
        let (status, left, release_date) = match a.status {
            Status::InStock => (StatusCode::InStock, None, None),
            Status::LowStock { left } => (StatusCode::LowStock, Some(left), None),
            Status::OutOfStock => (StatusCode::OutOfStock, None, None),
            Status::Backorder { left } => (StatusCode::Backorder, left, None),
            Status::Preorder { release, left } => (StatusCode::Preorder, left, Some(release)),
            Status::Discontinued => (StatusCode::Discontinued, None, None),
        };
        let max_quantity = match status {
            StatusCode::Backorder | StatusCode::Preorder => left.unwrap_or(Quantity::MAX).min(Quantity::MAX),
            _ => 0,
        };
        AvailabilityView {
            sku: sku.to_owned(),
            name: name.to_owned(),
            status,
            left,
            release_date,
            eta: a.eta,
            waitlist: a.waitlist_open,
            max_quantity,
        }
    }
}

/// How the widget's backorder button completes an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackorderMode {
    /// The widget places the backorder through the Restock API.
    #[default]
    Api,
    /// The widget dispatches a `restock:backorder` DOM event; the shop's cart handles it.
    Event,
}

/// The shop settings a storefront needs to render the widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSettings {
    /// The text shoppers agree to when joining a waitlist (recorded with the signup).
    pub consent_text: String,
    pub double_opt_in: bool,
    pub backorder_mode: BackorderMode,
    /// The text shoppers agree to when they add a phone number for a text message, when
    /// the shop offers texts (and the deployment can send them); null otherwise.
    #[serde(default)]
    pub sms_consent_text: Option<String>,
}

/// An in-stock product the merchant offers instead of one that is out of stock: its
/// name, its page and its status (`in_stock` or `low_stock`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternativeView {
    pub sku: String,
    /// The merchant's product name: plain text, never markup.
    pub name: String,
    /// The product's page: a path on the shop's own site or an absolute URL (null:
    /// the merchant gave none).
    pub url: Option<String>,
    pub status: StatusCode,
}

impl AlternativeView {
    /// At most this many alternatives in one answer.
    pub const MAX: usize = 3;

    /// The alternative, if its availability makes it one: only products a shopper can
    /// buy now (in stock or low stock) are offered.
    pub fn of(sku: &str, name: &str, url: Option<&str>, a: &Availability) -> Option<AlternativeView> {
        let status = match a.status {
            Status::InStock => StatusCode::InStock,
            Status::LowStock { .. } => StatusCode::LowStock,
            _ => return None,
        };
        Some(AlternativeView { sku: sku.to_owned(), name: name.to_owned(), url: url.map(str::to_owned), status })
    }
}

/// One SKU's answer on the public API: its [`AvailabilityView`] and, when it is out
/// of stock or discontinued, up to [`AlternativeView::MAX`] alternatives in stock
/// (empty otherwise). Flattened, so the JSON is the view's fields plus `alternatives`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityAnswer {
    #[serde(flatten)]
    pub view: AvailabilityView,
    /// Absent in snapshots from before alternatives: read as none.
    #[serde(default)]
    pub alternatives: Vec<AlternativeView>,
}

impl AvailabilityAnswer {
    /// Whether this status is one that offers alternatives.
    pub fn wants_alternatives(status: StatusCode) -> bool {
        matches!(status, StatusCode::OutOfStock | StatusCode::Discontinued)
    }
}

/// `GET /v1/shops/{shop}/availability?skus=a,b,c`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAvailabilityResponse {
    pub shop: WidgetSettings,
    /// In the order asked for, without the unknown ones.
    pub items: Vec<AvailabilityAnswer>,
    /// Requested SKUs this shop does not have.
    pub unknown: Vec<String>,
}

/// `POST /v1/shops/{shop}/waitlist` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitlistRequest {
    pub sku: String,
    pub email: String,
    #[serde(default)]
    pub locale: Option<String>,
    /// Must be true: the shopper ticked the consent box.
    pub consent: bool,
    /// The consent text exactly as shown to the shopper.
    pub consent_text: String,
    /// Honeypot: hidden from people, filled in by bots. Any value drops the request
    /// silently (the bot is told it worked).
    #[serde(default)]
    pub website: Option<String>,
    /// A phone number for a text message too (E.164: `+` and the country code), only
    /// where the shop offers texts. Needs `sms_consent_text`.
    #[serde(default)]
    pub phone: Option<String>,
    /// The SMS consent text exactly as shown next to the phone field.
    #[serde(default)]
    pub sms_consent_text: Option<String>,
}

/// A waitlist signup that passed parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitlistSignup {
    pub sku: Sku,
    pub email: Email,
    pub locale: Locale,
    pub consent_text: String,
    pub is_bot: bool,
    /// The number to text as well, with the SMS consent text the shopper was shown.
    pub sms: Option<SmsSignup>,
}

/// The text-message part of a signup: its own number and its own consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsSignup {
    pub phone: Phone,
    pub consent_text: String,
}

impl WaitlistSignup {
    pub const CONSENT_MAX: usize = 1000;
}

impl TryFrom<WaitlistRequest> for WaitlistSignup {
    type Error = InvalidInput;

    fn try_from(r: WaitlistRequest) -> Result<Self, Self::Error> {
        let is_bot = r.website.as_deref().is_some_and(|w| !w.is_empty());
        let sku = Sku::parse(&r.sku)?;
        let email = Email::parse(&r.email)?;
        let locale = r.locale.as_deref().map(Locale::parse).transpose()?.unwrap_or_default();
        if !r.consent {
            return Err(InvalidInput::Missing { field: "consent" });
        }
        let consent_text = clean_text("consent_text", &r.consent_text, WaitlistSignup::CONSENT_MAX)?;
        if consent_text.is_empty() {
            return Err(InvalidInput::Missing { field: "consent_text" });
        }
        let sms = match (r.phone.as_deref(), r.sms_consent_text.as_deref()) {
            (None, None) => None,
            (None, Some(_)) => return Err(InvalidInput::Missing { field: "phone" }),
            (Some(phone), text) => {
                let phone = Phone::parse(phone)?;
                let text = clean_text("sms_consent_text", text.unwrap_or_default(), WaitlistSignup::CONSENT_MAX)?;
                if text.is_empty() {
                    return Err(InvalidInput::Missing { field: "sms_consent_text" });
                }
                Some(SmsSignup { phone, consent_text: text })
            }
        };
        Ok(WaitlistSignup { sku, email, locale, consent_text, is_bot, sms })
    }
}

/// Whether the shopper still has to click the link in a confirmation email. The
/// answer depends only on the shop's double opt-in setting, never on whether the
/// address was already on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupStatus {
    PendingConfirmation,
    Subscribed,
}

/// `POST /v1/shops/{shop}/waitlist` answer (202).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistResponse {
    pub status: SignupStatus,
}

/// `POST /v1/shops/{shop}/backorders` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackorderRequest {
    pub sku: String,
    /// A JSON number; anything but a whole number from 1 to 999 is `invalid_quantity`.
    pub quantity: f64,
    pub email: String,
    #[serde(default)]
    pub locale: Option<String>,
}

/// A backorder request that passed parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackorderOrder {
    pub sku: Sku,
    pub quantity: Quantity,
    pub email: Email,
    pub locale: Locale,
}

impl TryFrom<BackorderRequest> for BackorderOrder {
    type Error = InvalidInput;

    fn try_from(r: BackorderRequest) -> Result<Self, Self::Error> {
        let sku = Sku::parse(&r.sku)?;
        // A whole number: what it is as an integer (`fract` is std's, not core's).
        let whole = r.quantity.is_finite() && r.quantity.abs() < 1e15 && r.quantity == r.quantity as i64 as f64;
        let quantity = if whole {
            Quantity::new(r.quantity as i64)?
        } else {
            return Err(InvalidInput::Quantity);
        };
        let email = Email::parse(&r.email)?;
        let locale = r.locale.as_deref().map(Locale::parse).transpose()?.unwrap_or_default();
        Ok(BackorderOrder { sku, quantity, email, locale })
    }
}

/// A backorder/preorder as its shopper may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackorderView {
    pub id: String,
    pub sku: String,
    pub kind: OrderKindCode,
    pub quantity: u32,
    pub allocated: u32,
    pub status: BackorderStatus,
    /// 1-based place in the queue while open.
    pub position: Option<u32>,
    /// The ship date promised when it was placed (null: no data for one).
    pub promised_date: Option<Date>,
    pub created_at: Timestamp,
    /// The shopper's own link to cancel it (only in the answer to the shopper).
    pub cancel_url: Option<String>,
}

/// `backorder` or `preorder` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKindCode {
    Backorder,
    Preorder,
}

impl From<OrderKind> for OrderKindCode {
    fn from(k: OrderKind) -> Self {
        match k {
            OrderKind::Backorder => OrderKindCode::Backorder,
            OrderKind::Preorder => OrderKindCode::Preorder,
        }
    }
}

/// A backorder's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackorderStatus {
    /// Waiting for (more) stock.
    Open,
    /// Every unit has been allocated: ready to ship.
    Allocated,
    Cancelled,
}

impl BackorderStatus {
    pub fn name(self) -> &'static str {
        match self {
            BackorderStatus::Open => "open",
            BackorderStatus::Allocated => "allocated",
            BackorderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<BackorderStatus> {
        match s {
            "open" => Some(BackorderStatus::Open),
            "allocated" => Some(BackorderStatus::Allocated),
            "cancelled" => Some(BackorderStatus::Cancelled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eta::EtaBasis;

    fn signup(email: &str, consent: bool, website: Option<&str>) -> WaitlistRequest {
        WaitlistRequest {
            sku: "TEE-1".into(),
            email: email.into(),
            locale: Some("de_de".into()),
            consent,
            consent_text: "Email me once when it is back.".into(),
            website: website.map(str::to_owned),
            phone: None,
            sms_consent_text: None,
        }
    }

    #[test]
    fn a_phone_number_comes_with_its_own_consent() {
        let with = |phone: Option<&str>, text: Option<&str>| {
            let mut r = signup("ada@example.com", true, None);
            r.phone = phone.map(str::to_owned);
            r.sms_consent_text = text.map(str::to_owned);
            WaitlistSignup::try_from(r).map(|s| s.sms).map_err(|e| (e.code(), e.field()))
        };
        assert_eq!(with(None, None), Ok(None));
        let sms = with(Some("+44 7700 900123"), Some(" Text me once. Reply STOP to opt out. ")).expect("valid");
        let sms = sms.expect("an SMS part");
        assert_eq!(
            (sms.phone.as_str(), sms.consent_text.as_str()),
            ("+447700900123", "Text me once. Reply STOP to opt out.")
        );
        assert_eq!(with(Some("07700 900123"), Some("ok")), Err(("invalid_phone", "phone")));
        assert_eq!(with(Some("+447700900123"), None), Err(("missing_field", "sms_consent_text")));
        assert_eq!(with(Some("+447700900123"), Some("  ")), Err(("missing_field", "sms_consent_text")));
        assert_eq!(with(None, Some("Text me")), Err(("missing_field", "phone")));
        assert_eq!(with(Some("+447700900123"), Some("a\u{202E}b")).map_err(|e| e.1), Err("sms_consent_text"));
    }

    #[test]
    fn signups_parse_into_domain_types() {
        let s = WaitlistSignup::try_from(signup(" Ada@Example.COM ", true, None)).expect("valid");
        assert_eq!(s.email.as_str(), "Ada@example.com");
        assert_eq!(s.locale.as_str(), "de-DE");
        assert!(!s.is_bot);
        let bot = WaitlistSignup::try_from(signup("ada@example.com", true, Some("http://spam"))).expect("valid");
        assert!(bot.is_bot);
        let err = WaitlistSignup::try_from(signup("ada@example.com", false, None)).expect_err("no consent");
        assert_eq!((err.code(), err.field()), ("missing_field", "consent"));
        let err = WaitlistSignup::try_from(signup("nope", true, None)).expect_err("bad email");
        assert_eq!(err.code(), "invalid_email");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let body = r#"{"sku":"A","email":"a@b.co","consent":true,"consent_text":"ok","admin":true}"#;
        assert!(serde_json::from_str::<WaitlistRequest>(body).is_err());
    }

    fn order(quantity: f64) -> Result<BackorderOrder, &'static str> {
        let r = BackorderRequest { sku: "TEE-1".into(), quantity, email: "a@b.co".into(), locale: None };
        BackorderOrder::try_from(r).map_err(|e| e.code())
    }

    #[test]
    fn backorder_quantities_must_be_whole_and_in_range() {
        assert_eq!(order(3.0).map(|o| o.quantity.get()), Ok(3));
        for bad in [0.0, -1.0, 1.5, 1000.0, 1e30, f64::NAN, f64::INFINITY, -0.5] {
            assert_eq!(order(bad).map(|o| o.quantity.get()), Err("invalid_quantity"), "{bad}");
        }
    }

    #[test]
    fn availability_views_expose_places_not_stock() {
        let eta = RestockEta { date: Date::from_ymd(2026, 12, 24).expect("valid"), basis: EtaBasis::PurchaseOrder };
        let a = Availability { status: Status::Backorder { left: Some(4) }, waitlist_open: true, eta: Some(eta) };
        let v = AvailabilityView::new("TEE-1", "<b>Tee</b>", &a);
        assert_eq!((v.status, v.left, v.max_quantity), (StatusCode::Backorder, Some(4), 4));
        let json = serde_json::to_value(&v).expect("ser");
        assert_eq!(json["eta"]["date"], "2026-12-24");
        assert_eq!(json["eta"]["basis"], "purchase_order");
        assert_eq!(json["name"], "<b>Tee</b>");
        let uncapped = Availability { status: Status::Backorder { left: None }, waitlist_open: false, eta: None };
        assert_eq!(AvailabilityView::new("A", "A", &uncapped).max_quantity, Quantity::MAX);
        let in_stock = Availability { status: Status::InStock, waitlist_open: false, eta: None };
        let v = AvailabilityView::new("A", "A", &in_stock);
        assert_eq!((v.left, v.max_quantity), (None, 0));
    }

    #[test]
    fn answers_are_the_view_plus_alternatives_in_stock() {
        let out = Availability { status: Status::OutOfStock, waitlist_open: true, eta: None };
        let low = Availability { status: Status::LowStock { left: 2 }, waitlist_open: false, eta: None };
        let alt = AlternativeView::of("MUG-2", "Mug <2>", Some("/p/mug-2"), &low).expect("buyable now");
        let answer = AvailabilityAnswer { view: AvailabilityView::new("MUG", "Mug", &out), alternatives: vec![alt] };
        let json = serde_json::to_value(&answer).expect("ser");
        assert_eq!(json["status"], "out_of_stock", "the view's fields stay at the top level");
        assert_eq!(json["alternatives"][0]["status"], "low_stock");
        assert_eq!(json["alternatives"][0]["name"], "Mug <2>");
        let back: AvailabilityAnswer = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, answer);
        // A snapshot written before alternatives existed still reads.
        let old = serde_json::to_value(AvailabilityView::new("MUG", "Mug", &out)).expect("ser");
        let read: AvailabilityAnswer = serde_json::from_value(old).expect("old snapshot");
        assert!(read.alternatives.is_empty());
        for a in [out, Availability { status: Status::Backorder { left: None }, waitlist_open: false, eta: None }] {
            assert_eq!(AlternativeView::of("X", "X", None, &a), None, "only what can be bought now");
        }
        assert!(AvailabilityAnswer::wants_alternatives(StatusCode::Discontinued));
        assert!(!AvailabilityAnswer::wants_alternatives(StatusCode::Backorder));
    }
}
