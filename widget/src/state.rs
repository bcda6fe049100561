//! One widget's state and its transitions, with no DOM types: testable natively.
//!
//! `update` takes a `Msg` (something happened) and returns an `Effect` (something the
//! shell must do: send a request, dispatch a DOM event, refetch). The view renders
//! whatever the state is; inputs stay in the DOM, so what the shopper typed survives
//! every re-render and every error.

use restock_shared::wire::{AvailabilityView, BackorderMode, StatusCode, WidgetSettings};
use restock_shared::{Date, Email, Lang, Quantity};

/// Where the availability answer stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Load {
    Loading,
    Ready(AvailabilityView),
    /// The shop has no such SKU: render nothing rather than something wrong.
    Unknown,
    /// The API is slow or down: render nothing broken; retry later.
    Unavailable,
}

/// Which form a submission came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    Waitlist,
    Order,
}

/// A field a validation message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Email,
    Consent,
    Quantity,
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
}

/// What a finished submission achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// Waitlist: the shopper must click the link in the confirmation email.
    CheckInbox,
    /// Waitlist: on the list.
    Joined,
    /// Backorder/preorder placed: their place in the queue and the promised date.
    Ordered { position: Option<u32>, promised: Option<Date> },
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
    pub sku: String,
    pub lang: Lang,
    pub load: Load,
    pub settings: Option<WidgetSettings>,
    pub email: String,
    pub consent: bool,
    pub quantity: String,
    /// A field that failed validation, and why.
    pub invalid: Option<Field>,
    pub submit: Submit,
    /// In the backorder/preorder state, the shopper chose "email me instead".
    pub prefer_waitlist: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    Loaded(AvailabilityView, WidgetSettings),
    NotFound,
    Failed,
    /// The shopper picked another variant.
    SkuChanged(String),
    EmailInput(String),
    ConsentInput(bool),
    QuantityInput(String),
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
    Signup {
        sku: String,
        email: String,
        consent_text: String,
    },
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
    /// Fetch availability again (after an order, or when places ran out).
    Refresh,
}

impl State {
    pub fn new(sku: String, lang: Lang) -> State {
        State {
            sku,
            lang,
            load: Load::Loading,
            settings: None,
            email: String::new(),
            consent: false,
            quantity: "1".into(),
            invalid: None,
            submit: Submit::Idle,
            prefer_waitlist: false,
        }
    }

    /// The current availability, when known.
    pub fn view(&self) -> Option<&AvailabilityView> {
        match &self.load {
            Load::Ready(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the order form (backorder/preorder) is offered.
    pub fn orderable(&self) -> bool {
        self.view()
            .is_some_and(|v| matches!(v.status, StatusCode::Backorder | StatusCode::Preorder) && v.max_quantity > 0)
    }

    /// Which form is shown, if any.
    pub fn form(&self) -> Option<FormKind> {
        let v = self.view()?;
        if self.orderable() && !(self.prefer_waitlist && v.waitlist) {
            Some(FormKind::Order)
        } else if v.waitlist {
            Some(FormKind::Waitlist)
        } else {
            None
        }
    }

    fn event_mode(&self) -> bool {
        self.settings.as_ref().is_some_and(|s| s.backorder_mode == BackorderMode::Event)
    }

    /// Whether the order form needs an email (not when the shop's cart takes over).
    pub fn order_needs_email(&self) -> bool {
        !self.event_mode()
    }

    pub fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Loaded(view, settings) => {
                if view.sku == self.sku {
                    self.load = Load::Ready(view);
                    self.settings = Some(settings);
                }
            }
            Msg::NotFound => self.load = Load::Unknown,
            // Keep showing what we had if a refresh fails; only a first load goes blank.
            Msg::Failed => {
                if !matches!(self.load, Load::Ready(_)) {
                    self.load = Load::Unavailable;
                }
            }
            Msg::SkuChanged(sku) => {
                if sku != self.sku {
                    self.sku = sku;
                    self.load = Load::Loading;
                    self.submit = Submit::Idle;
                    self.invalid = None;
                    self.prefer_waitlist = false;
                }
            }
            Msg::EmailInput(v) => {
                self.email = v;
                if self.invalid == Some(Field::Email) {
                    self.invalid = None;
                }
            }
            Msg::ConsentInput(v) => {
                self.consent = v;
                if self.invalid == Some(Field::Consent) {
                    self.invalid = None;
                }
            }
            Msg::QuantityInput(v) => {
                self.quantity = v;
                if self.invalid == Some(Field::Quantity) {
                    self.invalid = None;
                }
            }
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
                if failure == Failure::SoldOut {
                    return Effect::Refresh;
                }
            }
        }
        Effect::None
    }

    fn sending(&self) -> bool {
        matches!(self.submit, Submit::Sending(_))
    }

    /// Validates with the same rules as the server (the domain's `Email::parse`).
    fn valid_email(&mut self) -> Option<String> {
        match Email::parse(&self.email) {
            Ok(e) => Some(e.as_str().to_owned()),
            Err(_) => {
                self.invalid = Some(Field::Email);
                None
            }
        }
    }

    fn submit_waitlist(&mut self) -> Effect {
        if self.sending() || self.form() != Some(FormKind::Waitlist) {
            return Effect::None;
        }
        let Some(email) = self.valid_email() else { return Effect::None };
        if !self.consent {
            self.invalid = Some(Field::Consent);
            return Effect::None;
        }
        let consent_text = self.settings.as_ref().map(|s| s.consent_text.clone()).unwrap_or_default();
        self.invalid = None;
        self.submit = Submit::Sending(FormKind::Waitlist);
        Effect::Signup { sku: self.sku.clone(), email, consent_text }
    }

    fn submit_order(&mut self) -> Effect {
        if self.sending() || self.form() != Some(FormKind::Order) {
            return Effect::None;
        }
        let max = self.view().map_or(0, |v| v.max_quantity);
        let quantity = match self.quantity.trim().parse::<i64>().ok().and_then(|q| Quantity::new(q).ok()) {
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
            return Effect::Dispatch { sku: self.sku.clone(), quantity };
        }
        let Some(email) = self.valid_email() else { return Effect::None };
        self.invalid = None;
        self.submit = Submit::Sending(FormKind::Order);
        Effect::Order { sku: self.sku.clone(), quantity, email }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sku: &str, status: StatusCode, waitlist: bool, max_quantity: u32) -> AvailabilityView {
        AvailabilityView {
            sku: sku.into(),
            name: "Tee".into(),
            status,
            left: None,
            release_date: None,
            eta: None,
            waitlist,
            max_quantity,
        }
    }

    fn settings(mode: BackorderMode) -> WidgetSettings {
        WidgetSettings {
            consent_text: "Email me once.".into(),
            double_opt_in: true,
            backorder_mode: mode,
            sms_consent_text: None,
        }
    }

    fn loaded(status: StatusCode, waitlist: bool, max: u32) -> State {
        let mut s = State::new("A".into(), Lang::En);
        s.update(Msg::Loaded(view("A", status, waitlist, max), settings(BackorderMode::Api)));
        s
    }

    #[test]
    fn loads_then_switches_variant() {
        let mut s = loaded(StatusCode::InStock, false, 0);
        assert_eq!(s.form(), None);
        s.update(Msg::SkuChanged("B".into()));
        assert_eq!((s.sku.as_str(), &s.load), ("B", &Load::Loading));
        s.update(Msg::Loaded(view("A", StatusCode::InStock, false, 0), settings(BackorderMode::Api)));
        assert_eq!(s.load, Load::Loading, "a late answer for the old variant is ignored");
    }

    #[test]
    fn failures_never_replace_a_good_answer() {
        let mut s = State::new("A".into(), Lang::En);
        s.update(Msg::Failed);
        assert_eq!(s.load, Load::Unavailable);
        let mut s = loaded(StatusCode::OutOfStock, true, 0);
        s.update(Msg::Failed);
        assert!(matches!(s.load, Load::Ready(_)));
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
        let effect = s.update(Msg::Submit);
        assert_eq!(
            effect,
            Effect::Signup { sku: "A".into(), email: "Ada@example.com".into(), consent_text: "Email me once.".into() }
        );
        assert_eq!(s.update(Msg::Submit), Effect::None, "no double submit while sending");
        s.update(Msg::Finished(Done::CheckInbox));
        assert_eq!(s.submit, Submit::Done(Done::CheckInbox));
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
        assert!(matches!(s.update(Msg::Submit), Effect::Signup { .. }), "retry sends again");
    }

    #[test]
    fn orders_check_quantity_against_places_left() {
        let mut s = loaded(StatusCode::Backorder, true, 3);
        assert_eq!(s.form(), Some(FormKind::Order));
        s.update(Msg::EmailInput("ada@example.com".into()));
        for bad in ["0", "4", "-1", "x", "1.5", ""] {
            s.update(Msg::QuantityInput(bad.into()));
            assert_eq!(s.update(Msg::Submit), Effect::None, "{bad}");
            assert_eq!(s.invalid, Some(Field::Quantity));
        }
        s.update(Msg::QuantityInput("3".into()));
        assert_eq!(
            s.update(Msg::Submit),
            Effect::Order { sku: "A".into(), quantity: 3, email: "ada@example.com".into() }
        );
        assert_eq!(s.update(Msg::Refused(Failure::SoldOut)), Effect::Refresh, "places ran out: look again");
        assert_eq!(s.submit, Submit::Failed(FormKind::Order, Failure::SoldOut));
    }

    #[test]
    fn the_shops_cart_can_take_the_order() {
        let mut s = State::new("A".into(), Lang::En);
        s.update(Msg::Loaded(view("A", StatusCode::Preorder, false, 5), settings(BackorderMode::Event)));
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
    }
}
