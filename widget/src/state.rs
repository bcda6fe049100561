//! One widget's state and its transitions, with no DOM types: testable natively.
//!
//! `update` takes a `Msg` (something happened) and returns an `Effect` (something the
//! shell must do: send a request, dispatch a DOM event, read availability again). The
//! view renders whatever the state is; inputs stay in the DOM, so what the shopper
//! typed survives every re-render and every error.
//!
//! The status lines are not here: the Worker says them (`restock_shared::say`) and the
//! loader paints them. What the form needs of an answer is an [`Item`]: its status,
//! whether the waitlist is open, how many may be ordered, and the name.

use alloc::string::String;

use restock_shared::wire::StatusCode;
use restock_shared::{Email, Lang, Quantity, phone::Phone};

/// What the form needs of one product's availability answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub sku: String,
    /// The merchant's product name: text, never markup.
    pub name: String,
    pub status: StatusCode,
    pub waitlist: bool,
    pub max_quantity: u32,
}

/// The shop's settings the form needs (from the answer's `shop`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Settings {
    /// The waitlist consent text, exactly as shown (and sent back with a signup).
    pub consent_text: String,
    /// The SMS consent text when the shop offers texts: the form then offers an
    /// optional phone number with its own box.
    pub sms_consent_text: Option<String>,
    /// `backorder_mode: "event"`: the shop's own cart takes orders.
    pub event_mode: bool,
}

/// A field a validation message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Email,
    Consent,
    Quantity,
    Phone,
    /// The SMS consent box.
    Sms,
}

/// Which form a submission came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    Waitlist,
    Order,
}

/// Why a submission did not go through (what the shopper is told).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Network, timeout or a fault on our side: try again.
    Network,
    RateLimited,
    /// The last places went while the shopper was typing.
    SoldOut,
    /// The server refused a field (it passed our own check, so rare).
    Invalid(Field),
    /// The shop's own cart did not take the backorder (no handler, or it failed).
    Cart,
    /// The shopper's customer group may not order this before it is in stock (403
    /// `group_not_allowed`).
    NotForGroup,
    /// The shop stopped offering texts since the form was shown (`sms_not_offered`).
    SmsOff,
}

/// What a finished submission achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// Waitlist: the shopper must click the link in the confirmation email.
    CheckInbox,
    /// Waitlist: on the list.
    Joined,
    /// Backorder/preorder placed: their place in the queue.
    Ordered { position: Option<u32> },
    /// Backorder taken by the shop's own cart: the page's `restock:backorder`
    /// handler confirmed it.
    HandedToCart,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submit {
    Idle,
    Sending(FormKind),
    Done(Done),
    Failed(FormKind, Failure),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The answer's product, once there is one (none: nothing to offer yet, or the
    /// shop has no such product).
    pub item: Option<Item>,
    pub settings: Settings,
    /// The language of the answer (the Worker decided it from the page's tag).
    pub lang: Lang,
    pub email: String,
    pub consent: bool,
    pub phone: String,
    pub sms: bool,
    pub quantity: String,
    /// The honeypot, a field people never see (bots fill it in).
    pub website: String,
    /// A field that failed validation, and why.
    pub invalid: Option<Field>,
    pub submit: Submit,
    /// In the backorder/preorder state, the shopper chose "email me instead".
    pub prefer_waitlist: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// An availability answer for this widget, or `None`: it has none (the shop has
    /// no such product, or a new variant's answer is still on its way).
    Loaded(Option<(Item, Settings)>, Lang),
    EmailInput(String),
    ConsentInput(bool),
    PhoneInput(String),
    SmsInput(bool),
    QuantityInput(String),
    WebsiteInput(String),
    /// "Just email me" / "Order instead".
    TogglePreferWaitlist,
    /// The form was submitted (which form depends on the state).
    Submit,
    Finished(Done),
    Refused(Failure),
}

/// What the shell must do after an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    Signup(Signup),
    Order {
        sku: String,
        quantity: u32,
        email: String,
    },
    /// Hand the order to the shop's own cart as a `restock:backorder` event.
    Dispatch {
        sku: String,
        quantity: u32,
    },
    /// Read availability again (after an order, or when something changed under the
    /// shopper: places ran out, the shop's settings).
    Refresh,
}

/// A waitlist signup as the form collected it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signup {
    pub sku: String,
    pub email: String,
    pub consent_text: String,
    /// The honeypot's value, if a bot filled it in.
    pub website: Option<String>,
    /// The phone number in E.164 (as `Phone::parse` reads what was typed) and the SMS
    /// consent text shown beside it, when the shopper asked for texts too.
    pub sms: Option<(String, String)>,
}

impl State {
    pub fn new() -> State {
        State {
            item: None,
            settings: Settings::default(),
            lang: Lang::En,
            email: String::new(),
            consent: false,
            phone: String::new(),
            sms: false,
            quantity: "1".into(),
            website: String::new(),
            invalid: None,
            submit: Submit::Idle,
            prefer_waitlist: false,
        }
    }

    /// Whether the order form (backorder/preorder) is offered.
    pub fn orderable(&self) -> bool {
        self.item
            .as_ref()
            .is_some_and(|i| matches!(i.status, StatusCode::Backorder | StatusCode::Preorder) && i.max_quantity > 0)
    }

    /// Which form is shown, if any.
    pub fn form(&self) -> Option<FormKind> {
        let waitlist = self.item.as_ref()?.waitlist;
        if self.orderable() && !(self.prefer_waitlist && waitlist) {
            Some(FormKind::Order)
        } else if waitlist {
            Some(FormKind::Waitlist)
        } else {
            None
        }
    }

    /// Whether the order form needs an email (not when the shop's cart takes over).
    pub fn order_needs_email(&self) -> bool {
        !self.settings.event_mode
    }

    /// Whether the waitlist form offers a phone number for texts.
    pub fn offers_sms(&self) -> bool {
        self.settings.sms_consent_text.is_some()
    }

    pub fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Loaded(loaded, lang) => {
                self.lang = lang;
                let (item, settings) = match loaded {
                    Some((item, settings)) => (Some(item), settings),
                    None => (None, self.settings.clone()),
                };
                // Another product (a variant, or none yet): start its form afresh; what
                // was typed stays in the fields.
                if item.as_ref().map(|i| &i.sku) != self.item.as_ref().map(|i| &i.sku) {
                    self.submit = Submit::Idle;
                    self.invalid = None;
                    self.prefer_waitlist = false;
                }
                self.item = item;
                self.settings = settings;
            }
            Msg::EmailInput(v) => {
                self.email = v;
                self.clear(Field::Email);
            }
            Msg::ConsentInput(v) => {
                self.consent = v;
                self.clear(Field::Consent);
            }
            Msg::PhoneInput(v) => {
                self.phone = v;
                self.clear(Field::Phone);
                self.clear(Field::Sms);
            }
            Msg::SmsInput(v) => {
                self.sms = v;
                self.clear(Field::Sms);
                self.clear(Field::Phone);
            }
            Msg::QuantityInput(v) => {
                self.quantity = v;
                self.clear(Field::Quantity);
            }
            Msg::WebsiteInput(v) => self.website = v,
            Msg::TogglePreferWaitlist => {
                self.prefer_waitlist = !self.prefer_waitlist;
                self.invalid = None;
                self.submit = Submit::Idle;
            }
            Msg::Submit => {
                return match self.form() {
                    Some(FormKind::Order) => self.submit_order(),
                    Some(FormKind::Waitlist) => self.submit_waitlist(),
                    None => Effect::None,
                };
            }
            Msg::Finished(done) => {
                let ordered = matches!(done, Done::Ordered { .. } | Done::HandedToCart);
                self.submit = Submit::Done(done);
                if ordered {
                    return Effect::Refresh;
                }
            }
            Msg::Refused(failure) => {
                let kind = match self.submit {
                    Submit::Sending(kind) => kind,
                    _ => FormKind::Waitlist,
                };
                if let Failure::Invalid(field) = failure {
                    self.invalid = Some(field);
                }
                self.submit = Submit::Failed(kind, failure);
                // The answer changed under the shopper: show what is true now.
                if matches!(failure, Failure::SoldOut | Failure::NotForGroup | Failure::SmsOff) {
                    return Effect::Refresh;
                }
            }
        }
        Effect::None
    }

    fn clear(&mut self, field: Field) {
        if self.invalid == Some(field) {
            self.invalid = None;
        }
    }

    fn sending(&self) -> bool {
        matches!(self.submit, Submit::Sending(_))
    }

    /// Marks `field` invalid; `None` to stop a submission.
    fn refuse<T>(&mut self, field: Field) -> Option<T> {
        self.invalid = Some(field);
        None
    }

    /// Validates with the same rules as the server (the domain's `Email::parse`).
    fn valid_email(&mut self) -> Option<String> {
        match Email::parse(&self.email) {
            Ok(e) => Some(String::from(e.as_str())),
            Err(_) => self.refuse(Field::Email),
        }
    }

    /// The phone number and the SMS consent text, when the shopper asked for texts:
    /// a number they typed must be one (`Phone::parse`, as the Worker parses it) and
    /// come with the box ticked; a ticked box needs a number. `Err` stops the
    /// submission (the field is marked).
    fn valid_sms(&mut self) -> Result<Option<(String, String)>, ()> {
        let Some(text) = self.settings.sms_consent_text.clone() else { return Ok(None) };
        let typed = !self.phone.trim_ascii().is_empty();
        if !typed && !self.sms {
            return Ok(None);
        }
        let Ok(phone) = Phone::parse(&self.phone) else { return self.refuse(Field::Phone).ok_or(()) };
        if !self.sms {
            return self.refuse(Field::Sms).ok_or(());
        }
        Ok(Some((String::from(phone.as_str()), text)))
    }

    fn submit_waitlist(&mut self) -> Effect {
        if self.sending() {
            return Effect::None;
        }
        let Some(email) = self.valid_email() else { return Effect::None };
        if !self.consent {
            self.invalid = Some(Field::Consent);
            return Effect::None;
        }
        let Ok(sms) = self.valid_sms() else { return Effect::None };
        let sku = self.item.as_ref().map(|i| i.sku.clone()).unwrap_or_default();
        self.invalid = None;
        self.submit = Submit::Sending(FormKind::Waitlist);
        let website = Some(self.website.clone()).filter(|w| !w.is_empty());
        Effect::Signup(Signup { sku, email, consent_text: self.settings.consent_text.clone(), website, sms })
    }

    fn submit_order(&mut self) -> Effect {
        if self.sending() {
            return Effect::None;
        }
        let Some(item) = &self.item else { return Effect::None };
        let (sku, max) = (item.sku.clone(), item.max_quantity);
        let quantity = match whole(&self.quantity).and_then(|q| Quantity::new(q).ok()) {
            Some(q) if q.get() <= max => q.get(),
            _ => {
                self.invalid = Some(Field::Quantity);
                return Effect::None;
            }
        };
        if !self.order_needs_email() {
            self.invalid = None;
            // Done only when the page's handler says the cart took it (`Msg::Finished`).
            self.submit = Submit::Sending(FormKind::Order);
            return Effect::Dispatch { sku, quantity };
        }
        let Some(email) = self.valid_email() else { return Effect::None };
        self.invalid = None;
        self.submit = Submit::Sending(FormKind::Order);
        Effect::Order { sku, quantity, email }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// The whole number a quantity field holds (digits, spaces around them allowed).
/// Byte by byte: `str::parse` and `trim` pull number-parsing and Unicode tables into
/// the wasm.
fn whole(field: &str) -> Option<i64> {
    let digits = field.trim_ascii();
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.bytes().try_fold(0i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn item(sku: &str, status: StatusCode, waitlist: bool, max_quantity: u32) -> Item {
        Item { sku: sku.into(), name: "Tee".into(), status, waitlist, max_quantity }
    }

    fn settings(event_mode: bool, sms: bool) -> Settings {
        Settings {
            consent_text: "Email me once.".into(),
            sms_consent_text: sms.then(|| "Text me once. Reply STOP to stop.".into()),
            event_mode,
        }
    }

    fn loaded(status: StatusCode, waitlist: bool, max: u32) -> State {
        let mut s = State::new();
        s.update(Msg::Loaded(Some((item("A", status, waitlist, max), settings(false, false))), Lang::En));
        s
    }

    fn signup(sms: Option<(&str, &str)>) -> Effect {
        Effect::Signup(Signup {
            sku: "A".into(),
            email: "Ada@example.com".into(),
            consent_text: "Email me once.".into(),
            website: None,
            sms: sms.map(|(p, t)| (p.into(), t.into())),
        })
    }

    #[test]
    fn an_answer_for_another_product_starts_its_form_afresh() {
        let mut s = loaded(StatusCode::OutOfStock, true, 0);
        s.update(Msg::EmailInput("x".into()));
        s.update(Msg::Submit);
        assert_eq!(s.invalid, Some(Field::Email));
        s.update(Msg::Loaded(Some((item("A", StatusCode::OutOfStock, true, 0), settings(false, false))), Lang::De));
        assert_eq!((s.invalid, s.lang), (Some(Field::Email), Lang::De), "the same product: the error stays");
        s.update(Msg::Loaded(None, Lang::De));
        assert_eq!((s.form(), s.invalid), (None, None), "a variant on its way: no form");
        s.update(Msg::Loaded(Some((item("B", StatusCode::InStock, false, 0), settings(false, false))), Lang::De));
        assert_eq!((s.form(), s.email.as_str()), (None, "x"), "in stock: nothing to offer; what was typed stays");
    }

    #[test]
    fn the_waitlist_form_validates_before_sending() {
        let mut s = loaded(StatusCode::OutOfStock, true, 0);
        assert_eq!(s.form(), Some(FormKind::Waitlist));
        s.update(Msg::EmailInput("not an email".into()));
        assert_eq!(s.update(Msg::Submit), Effect::None);
        assert_eq!(s.invalid, Some(Field::Email));
        s.update(Msg::EmailInput(" Ada@Example.COM ".into()));
        assert_eq!(s.invalid, None, "typing clears the error");
        assert_eq!(s.update(Msg::Submit), Effect::None);
        assert_eq!(s.invalid, Some(Field::Consent), "consent is required");
        s.update(Msg::ConsentInput(true));
        assert_eq!(s.update(Msg::Submit), signup(None));
        assert_eq!(s.update(Msg::Submit), Effect::None, "no double submit while sending");
        s.update(Msg::Finished(Done::CheckInbox));
        assert_eq!(s.submit, Submit::Done(Done::CheckInbox));
    }

    #[test]
    fn texts_are_optional_but_need_a_real_number_and_their_own_box() {
        let mut s = State::new();
        s.update(Msg::Loaded(Some((item("A", StatusCode::OutOfStock, true, 0), settings(false, true))), Lang::En));
        assert!(s.offers_sms());
        s.update(Msg::EmailInput("Ada@example.com".into()));
        s.update(Msg::ConsentInput(true));
        assert_eq!(s.update(Msg::Submit), signup(None), "no number, no box: email only");
        s.update(Msg::Refused(Failure::Network));
        s.update(Msg::PhoneInput("07700 900123".into()));
        assert_eq!((s.update(Msg::Submit), s.invalid), (Effect::None, Some(Field::Phone)), "no country code");
        s.update(Msg::PhoneInput("+44 7700 900123".into()));
        assert_eq!(s.invalid, None, "typing clears it");
        assert_eq!((s.update(Msg::Submit), s.invalid), (Effect::None, Some(Field::Sms)), "a number needs the box");
        s.update(Msg::SmsInput(true));
        assert_eq!(s.update(Msg::Submit), signup(Some(("+447700900123", "Text me once. Reply STOP to stop."))));
        s.update(Msg::Refused(Failure::Network));
        s.update(Msg::PhoneInput(" ".into()));
        assert_eq!(
            (s.update(Msg::Submit), s.invalid),
            (Effect::None, Some(Field::Phone)),
            "a ticked box needs a number"
        );
        s.update(Msg::SmsInput(false));
        assert_eq!(s.update(Msg::Submit), signup(None), "both left empty again");
        s.update(Msg::Refused(Failure::SmsOff));
        assert_eq!(s.submit, Submit::Failed(FormKind::Waitlist, Failure::SmsOff));
        let mut off = loaded(StatusCode::OutOfStock, true, 0);
        off.update(Msg::EmailInput("Ada@example.com".into()));
        off.update(Msg::ConsentInput(true));
        off.update(Msg::PhoneInput("garbage".into()));
        assert_eq!(off.update(Msg::Submit), signup(None), "no texts offered: no phone sent, whatever is typed");
    }

    #[test]
    fn errors_keep_what_was_typed_and_allow_a_retry() {
        let mut s = loaded(StatusCode::OutOfStock, true, 0);
        s.update(Msg::EmailInput("ada@example.com".into()));
        s.update(Msg::ConsentInput(true));
        s.update(Msg::Submit);
        s.update(Msg::Refused(Failure::Network));
        assert_eq!(s.submit, Submit::Failed(FormKind::Waitlist, Failure::Network));
        assert_eq!((s.email.as_str(), s.consent), ("ada@example.com", true));
        assert!(matches!(s.update(Msg::Submit), Effect::Signup(_)), "retry sends again");
        s.update(Msg::Refused(Failure::Network));
        s.update(Msg::WebsiteInput("http://spam".into()));
        let bot = s.update(Msg::Submit);
        assert!(
            matches!(bot, Effect::Signup(Signup { website: Some(w), .. }) if w == "http://spam"),
            "the honeypot goes along"
        );
    }

    #[test]
    fn orders_check_quantity_against_places_left() {
        let mut s = loaded(StatusCode::Backorder, true, 3);
        assert_eq!(s.form(), Some(FormKind::Order));
        s.update(Msg::EmailInput("ada@example.com".into()));
        for bad in ["0", "4", "-1", "x", "1.5", "", " ", "+2", "1e0", "999999999999"] {
            s.update(Msg::QuantityInput(bad.into()));
            assert_eq!(s.update(Msg::Submit), Effect::None, "{bad}");
            assert_eq!(s.invalid, Some(Field::Quantity));
        }
        s.update(Msg::QuantityInput(" 3 ".into()));
        assert_eq!(
            s.update(Msg::Submit),
            Effect::Order { sku: "A".into(), quantity: 3, email: "ada@example.com".into() }
        );
        assert_eq!(s.update(Msg::Refused(Failure::SoldOut)), Effect::Refresh, "places ran out: look again");
        assert_eq!(s.submit, Submit::Failed(FormKind::Order, Failure::SoldOut));
        s.update(Msg::Submit);
        assert_eq!(s.update(Msg::Refused(Failure::NotForGroup)), Effect::Refresh, "the group's answer: look again");
    }

    #[test]
    fn the_shops_cart_can_take_the_order() {
        let mut s = State::new();
        s.update(Msg::Loaded(Some((item("A", StatusCode::Preorder, false, 5), settings(true, false))), Lang::En));
        assert!(!s.order_needs_email());
        s.update(Msg::QuantityInput("2".into()));
        assert_eq!(s.update(Msg::Submit), Effect::Dispatch { sku: "A".into(), quantity: 2 });
        assert_eq!(s.submit, Submit::Sending(FormKind::Order), "not done until the page's cart confirms");
        assert_eq!(s.update(Msg::Submit), Effect::None, "no second event while the first is pending");
        assert_eq!(s.update(Msg::Refused(Failure::Cart)), Effect::None);
        assert_eq!(s.submit, Submit::Failed(FormKind::Order, Failure::Cart));
        assert_eq!(s.update(Msg::Submit), Effect::Dispatch { sku: "A".into(), quantity: 2 }, "the shopper may retry");
        assert_eq!(s.update(Msg::Finished(Done::HandedToCart)), Effect::Refresh);
        assert_eq!(s.submit, Submit::Done(Done::HandedToCart));
    }

    #[test]
    fn shoppers_may_prefer_the_waitlist_to_a_backorder() {
        let mut s = loaded(StatusCode::Backorder, true, 5);
        s.update(Msg::TogglePreferWaitlist);
        assert_eq!(s.form(), Some(FormKind::Waitlist));
        s.update(Msg::TogglePreferWaitlist);
        assert_eq!(s.form(), Some(FormKind::Order));
        let no_waitlist = loaded(StatusCode::Backorder, false, 5);
        assert_eq!(no_waitlist.form(), Some(FormKind::Order));
    }

    #[test]
    fn nothing_to_offer_when_in_stock_or_discontinued() {
        assert_eq!(loaded(StatusCode::LowStock, false, 0).form(), None);
        assert_eq!(loaded(StatusCode::Discontinued, false, 0).form(), None);
        assert_eq!(loaded(StatusCode::Backorder, false, 0).form(), None, "no places and no waitlist");
        assert_eq!(State::new().update(Msg::Submit), Effect::None, "no answer, nothing to submit");
    }
}
