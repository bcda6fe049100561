//! What the shopper sees, as a pure function of the state: `model` turns a `State` into
//! a flat view model (texts and flags) that `dom::paint` applies. No DOM types here, so
//! every rendering decision is tested natively.

use restock_shared::wire::StatusCode;
use restock_shared::{Date, EtaBasis};

use crate::i18n::{T, digits, fill, text};
use crate::state::{Done, Failure, Field, FormKind, Load, State, Submit};

/// Defaults meet WCAG AA contrast on a white page; every colour is a custom property.
pub const STYLE: &str = ":host{display:block;color:var(--restock-text,inherit);--a:var(--restock-accent,#1f5f4a);\
--at:var(--restock-accent-text,#fff);--m:var(--restock-muted,#4f5a57);--e:var(--restock-error,#b3261e);\
--r:var(--restock-radius,6px);--b:var(--restock-border,#7c8783)}\
.r{font-family:var(--restock-font,inherit);font-size:inherit;line-height:1.45;margin-block:.5em}\
[hidden]{display:none!important}\
.s{margin:0;font-weight:600;display:flex;align-items:center;gap:.5em}\
.d{inline-size:.6em;block-size:.6em;border-radius:50%;background:var(--m);flex:none}\
.in .d{background:var(--restock-success,#1a7f37)}.low .d{background:var(--restock-warning,#b35900)}\
.out .d,.gone .d{background:var(--e)}.bo .d{background:var(--a)}\
.x{margin:.2em 0 0;color:var(--m)}\
form{margin-block-start:.75em}fieldset{border:0;padding:0;margin:0;min-inline-size:0}\
legend{padding:0;font-weight:600;margin-block-end:.25em}\
label{display:block;margin-block-start:.5em}\
.f{font:inherit;inline-size:100%;box-sizing:border-box;padding:.5em .6em;border:1px solid var(--b);\
border-radius:var(--r);background:var(--restock-bg,#fff);color:var(--restock-input-text,#1c2321)}\
.q{max-inline-size:6em}\
[aria-invalid=true]{border-color:var(--e);outline:1px solid var(--e)}\
.c{display:flex;gap:.5em;align-items:flex-start;margin-block-start:.6em}.c label{margin:0}\
.c input{margin-block-start:.25em;flex:none}\
button{font:inherit;cursor:pointer}\
.g{margin-block-start:.75em;padding:.6em 1.1em;border:0;border-radius:var(--r);background:var(--a);color:var(--at);font-weight:600}\
.g[aria-busy=true]{opacity:.75;cursor:progress}\
.w{display:block;background:none;border:0;padding:0;margin-block-start:.6em;color:var(--a);text-decoration:underline}\
.e{color:var(--e);margin:.25em 0 0}.n{margin:.75em 0 0}\
dialog{border:1px solid var(--b);border-radius:var(--r);padding:1em 1.25em;max-inline-size:min(28em,90vw);\
color:var(--restock-text,CanvasText);background:var(--restock-bg,Canvas)}dialog::backdrop{background:#0008}\
[tabindex='-1']:focus{outline:0}\
:focus-visible{outline:3px solid var(--restock-focus,#0b57d0);outline-offset:2px}";

/// The skeleton: constant markup with no data in it (data goes in via `textContent`).
///
/// The honeypot (a "Website" field bots fill in) is `hidden`: invisible and out of the
/// accessibility tree through the browser's own stylesheet, so it stays hidden under a
/// Content-Security-Policy that blocks ours. `o` (open) and `x` (close) are compact
/// mode's dialog buttons; `n` and `s` take focus after an outcome.
pub const TEMPLATE: &str = "<div class=r id=r part=container hidden><p class=s id=s role=status tabindex=-1>\
<span class=d aria-hidden=true></span><span id=l></span></p><p class=x id=t hidden></p><p class=x id=v hidden></p>\
<button class=g id=o type=button hidden></button>\
<form id=f novalidate hidden><fieldset><legend id=g></legend>\
<div id=qr><label for=q id=ql></label><input class='f q' id=q type=number min=1 value=1 inputmode=numeric aria-describedby=qe>\
<p class=e id=qe hidden></p></div>\
<div id=mr><label for=m id=ml></label><input class=f id=m type=email autocomplete=email required aria-describedby=me>\
<p class=e id=me hidden></p></div>\
<div id=kr><div class=c><input id=k type=checkbox required aria-describedby=ke><label for=k id=kl></label></div>\
<p class=e id=ke hidden></p></div>\
<div hidden><label for=w>Website</label><input id=w type=text tabindex=-1 autocomplete=off></div>\
<button class=g id=b type=submit></button></fieldset><button class=w id=sw type=button></button></form>\
<p class=n id=n role=status tabindex=-1 hidden></p><p class=e id=er role=alert hidden></p>\
<button class=w id=x type=button hidden></button></div>";

/// The fields of a view model, in the order `dom::paint` reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Visible,
    StatusClass,
    Line,
    Eta,
    Left,
    FormVisible,
    Legend,
    QuantityVisible,
    QuantityMax,
    EmailVisible,
    ConsentVisible,
    ConsentText,
    SubmitText,
    Busy,
    SwitchVisible,
    SwitchText,
    QuantityError,
    EmailError,
    ConsentError,
    Note,
    Error,
    Lang,
    Focus,
    QuantityLabel,
    EmailLabel,
    /// Compact mode's one button that opens the form ("Notify me", "Backorder").
    Action,
    /// The dialog's close button.
    Close,
    /// The texts' direction (`rtl` for Arabic and Hebrew), whatever the page's.
    TextDir,
}

const SLOTS: usize = Slot::TextDir as usize + 1;
const SEPARATOR: char = '\u{1f}';

fn flag(on: bool) -> String {
    if on { "1".into() } else { String::new() }
}

/// A value inside a sentence (a date, a number, a product name) between Unicode
/// isolates (FSI ... PDI), so a right-to-left page or a name in another script never
/// reorders the words around it.
pub fn isolate(value: &str) -> String {
    ['\u{2068}'].into_iter().chain(value.chars()).chain(['\u{2069}']).collect()
}

/// How the shell formats what depends on the shopper's locale (`Intl` in the browser).
pub struct Format<'a> {
    pub date: &'a dyn Fn(Date) -> String,
    pub number: &'a dyn Fn(u32) -> String,
}

/// The view model for `state`, packed for `dom::paint`. `focus` asks to move focus to
/// the field that failed validation (after a submit) or to the outcome.
pub fn model(state: &State, format: &Format, focus: bool) -> String {
    let mut v: [String; SLOTS] = Default::default();
    let lang = state.lang;
    let t = |x: T| text(lang, x);
    let date = |d: Date| isolate(&(format.date)(d));
    let number = |n: u32| isolate(&(format.number)(n));
    v[Slot::Lang as usize] = lang.tag().into();
    v[Slot::TextDir as usize] = if lang.rtl() { "rtl" } else { "ltr" }.into();
    v[Slot::Close as usize] = t(T::Close).into();
    v[Slot::QuantityLabel as usize] = t(T::QuantityLabel).into();
    v[Slot::EmailLabel as usize] = t(T::EmailLabel).into();
    match &state.load {
        Load::Loading => {
            v[Slot::Visible as usize] = flag(true);
            v[Slot::Line as usize] = t(T::Checking).into();
        }
        Load::Unknown | Load::Unavailable => {}
        Load::Ready(view) => {
            v[Slot::Visible as usize] = flag(true);
            let (class, line) = match view.status {
                StatusCode::InStock => ("in", t(T::InStock).into()),
                StatusCode::LowStock => ("low", fill(t(T::OnlyLeft), "n", &number(view.left.unwrap_or(0)))),
                StatusCode::OutOfStock => ("out", t(T::OutOfStock).into()),
                StatusCode::Backorder => ("bo", t(T::Backorder).into()),
                StatusCode::Preorder => {
                    ("bo", fill(t(T::Preorder), "date", &view.release_date.map(date).unwrap_or_default()))
                }
                StatusCode::Discontinued => ("gone", t(T::Discontinued).into()),
            };
            v[Slot::StatusClass as usize] = class.into();
            v[Slot::Line as usize] = line;
            let ordering = matches!(view.status, StatusCode::Backorder | StatusCode::Preorder);
            let estimate = view.eta.is_some_and(|e| e.basis == EtaBasis::LeadTime);
            v[Slot::Eta as usize] = match (view.eta, ordering) {
                (Some(e), true) => fill(t(if estimate { T::ShipsAround } else { T::ShipsBy }), "date", &date(e.date)),
                (None, true) => t(T::ShipsWhenIn).into(),
                (Some(e), false) => fill(t(if estimate { T::BackAround } else { T::BackBy }), "date", &date(e.date)),
                (None, false) => String::new(),
            };
            if let (true, Some(n)) = (ordering, view.left) {
                v[Slot::Left as usize] = fill(t(T::PlacesLeft), "n", &number(n));
            }
            let done = matches!(state.submit, Submit::Done(_));
            if let Some(kind) = state.form().filter(|_| !done) {
                form(state, kind, &isolate(&view.name), &number, focus, &mut v);
            } else if done && focus {
                v[Slot::Focus as usize] = "n".into();
            }
            v[Slot::Note as usize] = match &state.submit {
                Submit::Done(Done::CheckInbox) => t(T::CheckInbox).into(),
                Submit::Done(Done::Joined) => t(T::Joined).into(),
                Submit::Done(Done::Ordered { position, .. }) => {
                    fill(t(T::Ordered), "n", &position.map(number).unwrap_or_default())
                }
                Submit::Done(Done::HandedToCart) => t(T::HandedToCart).into(),
                _ => String::new(),
            };
            v[Slot::Error as usize] = match state.submit {
                Submit::Failed(_, Failure::Network) => t(T::ErrorNetwork).into(),
                Submit::Failed(_, Failure::RateLimited) => t(T::ErrorRateLimited).into(),
                Submit::Failed(_, Failure::SoldOut) => t(T::ErrorSoldOut).into(),
                Submit::Failed(_, Failure::Cart) => t(T::CartFailed).into(),
                _ => String::new(),
            };
        }
    }
    let mut out = String::new();
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        out.push_str(s);
    }
    out
}

fn form(
    state: &State,
    kind: FormKind,
    name: &str,
    number: &dyn Fn(u32) -> String,
    focus: bool,
    v: &mut [String; SLOTS],
) {
    let lang = state.lang;
    let t = |x: T| text(lang, x);
    let order = kind == FormKind::Order;
    let preorder = state.view().is_some_and(|v| v.status == StatusCode::Preorder);
    let max = state.view().map_or(1, |v| v.max_quantity.max(1));
    v[Slot::Action as usize] = t(match (order, preorder) {
        (true, true) => T::PreorderButton,
        (true, false) => T::BackorderButton,
        (false, _) => T::NotifyButton,
    })
    .into();
    v[Slot::FormVisible as usize] = flag(true);
    v[Slot::Legend as usize] = fill(t(if order { T::OrderHeading } else { T::WaitlistHeading }), "name", name);
    v[Slot::QuantityVisible as usize] = flag(order);
    v[Slot::QuantityMax as usize] = digits(max);
    v[Slot::EmailVisible as usize] = flag(!order || state.order_needs_email());
    v[Slot::ConsentVisible as usize] = flag(!order);
    v[Slot::ConsentText as usize] = state.settings.as_ref().map(|s| s.consent_text.clone()).unwrap_or_default();
    let sending = matches!(state.submit, Submit::Sending(_));
    v[Slot::SubmitText as usize] = t(match (sending, order, preorder) {
        (true, _, _) => T::Sending,
        (false, true, true) => T::PreorderButton,
        (false, true, false) => T::BackorderButton,
        (false, false, _) => T::NotifyButton,
    })
    .into();
    v[Slot::Busy as usize] = flag(sending);
    let both = state.orderable() && state.view().is_some_and(|v| v.waitlist);
    v[Slot::SwitchVisible as usize] = flag(both);
    v[Slot::SwitchText as usize] = t(if order { T::PreferWaitlist } else { T::PreferOrder }).into();
    let (slot, message, id) = match state.invalid {
        Some(Field::Quantity) => (Slot::QuantityError, fill(t(T::ErrorQuantity), "n", &number(max)), "q"),
        Some(Field::Email) => (Slot::EmailError, t(T::ErrorEmail).into(), "m"),
        Some(Field::Consent) => (Slot::ConsentError, t(T::ErrorConsent).into(), "k"),
        None => return,
    };
    v[slot as usize] = message;
    if focus {
        v[Slot::Focus as usize] = id.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Msg;
    use restock_shared::wire::{AvailabilityView, BackorderMode, WidgetSettings};
    use restock_shared::{Lang, RestockEta};

    fn fields(packed: &str) -> Vec<String> {
        packed.split(SEPARATOR).map(str::to_owned).collect()
    }

    /// A slot's text without the isolates around values (tested on their own below).
    fn at(packed: &str, slot: Slot) -> String {
        fields(packed)[slot as usize].replace(['\u{2068}', '\u{2069}'], "")
    }

    fn iso(d: Date) -> String {
        d.to_iso()
    }

    const ISO: Format = Format { date: &iso, number: &digits };

    fn state(status: StatusCode, waitlist: bool, max: u32, eta: Option<RestockEta>) -> State {
        let mut s = State::new("A".into(), Lang::En);
        let view = AvailabilityView {
            sku: "A".into(),
            name: "<b>Tee</b>".into(),
            status,
            left: Some(4),
            release_date: Date::from_ymd(2027, 1, 2).ok(),
            eta,
            waitlist,
            max_quantity: max,
        };
        let settings = WidgetSettings {
            consent_text: "Email me once.".into(),
            double_opt_in: true,
            backorder_mode: BackorderMode::Api,
            sms_consent_text: None,
        };
        s.update(Msg::Loaded(view, settings));
        s
    }

    #[test]
    fn every_slot_is_always_present() {
        let m = model(&State::new("A".into(), Lang::De), &ISO, false);
        assert_eq!(fields(&m).len(), SLOTS);
        assert_eq!(at(&m, Slot::Line), "Lagerbestand wird geprüft…");
        assert_eq!(at(&m, Slot::Visible), "1");
        let mut gone = State::new("A".into(), Lang::En);
        gone.update(Msg::Failed);
        assert_eq!(at(&model(&gone, &ISO, false), Slot::Visible), "", "nothing broken when the API is down");
    }

    #[test]
    fn out_of_stock_shows_eta_and_the_waitlist_form_with_the_name_as_text() {
        let eta = RestockEta {
            date: Date::from_ymd(2026, 12, 24).unwrap_or(Date::from_days(0)),
            basis: EtaBasis::PurchaseOrder,
        };
        let m = model(&state(StatusCode::OutOfStock, true, 0, Some(eta)), &ISO, false);
        assert_eq!(at(&m, Slot::StatusClass), "out");
        assert_eq!(at(&m, Slot::Eta), "Expected back 2026-12-24");
        assert_eq!(at(&m, Slot::FormVisible), "1");
        assert_eq!(at(&m, Slot::Legend), "Get an email when <b>Tee</b> is back", "names stay text");
        assert_eq!((at(&m, Slot::ConsentVisible), at(&m, Slot::QuantityVisible)), ("1".into(), String::new()));
        assert_eq!(at(&m, Slot::ConsentText), "Email me once.");
        assert_eq!(at(&m, Slot::SubmitText), "Notify me");
    }

    #[test]
    fn backorders_show_places_ship_dates_and_the_order_form() {
        let eta =
            RestockEta { date: Date::from_ymd(2027, 2, 1).unwrap_or(Date::from_days(0)), basis: EtaBasis::LeadTime };
        let m = model(&state(StatusCode::Backorder, true, 4, Some(eta)), &ISO, false);
        assert_eq!(at(&m, Slot::Line), "Available on backorder");
        assert_eq!(at(&m, Slot::Eta), "Ships around 2027-02-01", "lead-time dates are estimates");
        assert_eq!(at(&m, Slot::Left), "4 left to order");
        assert_eq!((at(&m, Slot::QuantityVisible), at(&m, Slot::QuantityMax)), ("1".into(), "4".into()));
        assert_eq!(at(&m, Slot::SubmitText), "Backorder");
        assert_eq!(at(&m, Slot::SwitchVisible), "1");
        let pre = model(&state(StatusCode::Preorder, false, 4, None), &ISO, false);
        assert_eq!(at(&pre, Slot::Line), "Preorder: out 2027-01-02");
        assert_eq!(at(&pre, Slot::Eta), "Ships as soon as stock arrives");
        assert_eq!(at(&pre, Slot::SubmitText), "Preorder");
        assert_eq!(at(&pre, Slot::SwitchVisible), "");
    }

    #[test]
    fn validation_errors_name_the_field_and_take_focus() {
        let mut s = state(StatusCode::OutOfStock, true, 0, None);
        s.update(Msg::EmailInput("nope".into()));
        s.update(Msg::Submit);
        let m = model(&s, &ISO, true);
        assert!(at(&m, Slot::EmailError).contains("name@example.com"));
        assert_eq!(at(&m, Slot::Focus), "m");
        assert_eq!(at(&model(&s, &ISO, false), Slot::Focus), "", "focus moves only on submit");
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::Submit);
        assert_eq!(at(&model(&s, &ISO, true), Slot::Focus), "k");
    }

    #[test]
    fn sending_done_and_failed() {
        let mut s = state(StatusCode::OutOfStock, true, 0, None);
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::ConsentInput(true));
        s.update(Msg::Submit);
        let m = model(&s, &ISO, false);
        assert_eq!((at(&m, Slot::SubmitText), at(&m, Slot::Busy)), ("Sending…".into(), "1".into()));
        s.update(Msg::Refused(Failure::RateLimited));
        assert!(at(&model(&s, &ISO, false), Slot::Error).starts_with("Too many attempts"));
        s.update(Msg::Submit);
        s.update(Msg::Finished(Done::CheckInbox));
        let m = model(&s, &ISO, false);
        assert_eq!(at(&m, Slot::FormVisible), "", "the form gives way to the outcome");
        assert!(at(&m, Slot::Note).starts_with("Almost there"));
    }

    #[test]
    fn values_inside_sentences_are_isolated_and_texts_carry_their_direction() {
        let arabic = |n: u32| digits(n).chars().map(|c| char::from_u32(c as u32 - 0x30 + 0x660).unwrap_or(c)).collect();
        let format = Format { date: &iso, number: &arabic };
        let mut s = state(StatusCode::Backorder, true, 4, None);
        let m = model(&s, &format, false);
        assert_eq!(fields(&m)[Slot::Left as usize], "\u{2068}٤\u{2069} left to order", "numbers go through the locale");
        assert_eq!(fields(&m)[Slot::Legend as usize], "Order \u{2068}<b>Tee</b>\u{2069} now");
        assert_eq!(at(&m, Slot::TextDir), "ltr");
        assert_eq!(at(&m, Slot::Action), "Backorder");
        s.lang = Lang::He;
        assert_eq!(at(&model(&s, &format, false), Slot::TextDir), "rtl");
        s.lang = Lang::Ar;
        assert_eq!(at(&model(&s, &format, false), Slot::TextDir), "rtl");
        let pre = model(&state(StatusCode::Preorder, false, 4, None), &ISO, false);
        assert_eq!(fields(&pre)[Slot::Line as usize], "Preorder: out \u{2068}2027-01-02\u{2069}");
        assert_eq!(at(&pre, Slot::Action), "Preorder");
    }

    #[test]
    fn the_outcome_takes_focus_and_a_cart_refusal_is_said() {
        let mut s = state(StatusCode::Backorder, true, 4, None);
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::Submit);
        s.update(Msg::Refused(Failure::Cart));
        assert!(at(&model(&s, &ISO, false), Slot::Error).starts_with("We couldn't add it"));
        s.update(Msg::Submit);
        s.update(Msg::Finished(Done::HandedToCart));
        assert_eq!(at(&model(&s, &ISO, true), Slot::Focus), "n", "focus moves to the result");
        assert_eq!(at(&model(&s, &ISO, false), Slot::Focus), "");
    }

    #[test]
    fn low_stock_counts_and_other_languages() {
        let mut s = state(StatusCode::LowStock, false, 0, None);
        s.lang = Lang::Fr;
        let m = model(&s, &ISO, false);
        assert_eq!((at(&m, Slot::StatusClass), at(&m, Slot::Line)), ("low".into(), "Plus que 4 en stock".into()));
        assert_eq!(at(&m, Slot::Lang), "fr");
        assert_eq!(at(&m, Slot::FormVisible), "");
    }
}
