//! What the shopper sees, as a pure function of the state: `paint` turns a `State`
//! (and its language's texts) into the list of element operations `dom.js` carries
//! out. No DOM types here, so every rendering decision is tested natively; the
//! JavaScript only applies the operations, so it knows nothing of the widget's fields
//! (a new field is a change here and in the template, not there).
//!
//! Written for size: decisions are small `Copy` values (a text's `T` and what fills its
//! placeholder), and the operations are written straight into one string, so a render
//! allocates once and drops once.

use alloc::string::String;

use restock_shared::wire::StatusCode;
use restock_shared::{Date, EtaBasis};

use crate::i18n::{T, push_digits};
use crate::state::{Done, Failure, Field, FormKind, Load, Msg, State, Submit};

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
/// Content-Security-Policy that blocks ours. `n` and `s` take focus after an outcome.
const HEAD: &str = "<div class=r id=r part=container hidden><p class=s id=s role=status tabindex=-1>\
<span class=d aria-hidden=true></span><span id=l></span></p>";

const BODY: &str = "<p class=x id=t hidden></p><p class=x id=v hidden></p>\
<form id=f novalidate hidden><fieldset><legend id=g></legend>\
<div id=qr><label for=q id=ql></label><input class='f q' id=q type=number min=1 value=1 inputmode=numeric aria-describedby=qe>\
<p class=e id=qe hidden></p></div>\
<div id=mr><label for=m id=ml></label><input class=f id=m type=email autocomplete=email required aria-describedby=me>\
<p class=e id=me hidden></p></div>\
<div id=kr><div class=c><input id=k type=checkbox required aria-describedby=ke><label for=k id=kl></label></div>\
<p class=e id=ke hidden></p></div>\
<div hidden><label for=w>Website</label><input id=w type=text tabindex=-1 autocomplete=off></div>\
<button class=g id=b type=submit></button></fieldset><button class=w id=sw type=button></button></form>\
<p class=n id=n role=status tabindex=-1 hidden></p><p class=e id=er role=alert hidden></p>";

/// Compact mode (collection tiles): a status line and one button, `o`, which opens the
/// dates and the form in a modal dialog (`dl`) with a close button, `x`; every tile
/// keeps the same height. `dom.js` gives the dialog its focus handling.
const COMPACT: &str = "<button class=g id=o type=button hidden></button><dialog id=dl aria-labelledby=g>";

/// The widget's markup, inline or compact.
pub fn template(compact: bool) -> String {
    let mut html = String::from(HEAD);
    if compact {
        html.push_str(COMPACT);
    }
    html.push_str(BODY);
    html.push_str(if compact { "<button class=w id=x type=button></button></dialog></div>" } else { "</div>" });
    html
}

/// What the shopper did to element `id` of the template (its new `value`), as a
/// message; clicks on other buttons (the dialog's) are the page's mechanics.
pub fn input(id: &str, value: String) -> Option<Msg> {
    Some(match id {
        "m" => Msg::EmailInput(value),
        "k" => Msg::ConsentInput(!value.is_empty()),
        "q" => Msg::QuantityInput(value),
        "w" => Msg::WebsiteInput(value),
        "f" => Msg::Submit,
        "sw" => Msg::TogglePreferWaitlist,
        _ => return None,
    })
}

/// Elements holding the widget's own texts: they read in the language's direction
/// whatever the page's (the layout follows the page). Compact mode adds `o` and `x`.
const TEXTS: [&str; 13] = ["s", "t", "v", "g", "ql", "qe", "ml", "me", "ke", "b", "sw", "n", "er"];

/// Separates operations, and an operation's parts.
pub const OP: char = '\u{1e}';
pub const PART: char = '\u{1f}';
/// Around a number, or a date (`d` and its days since 1970-01-01), in a text, for
/// `dom.js` to write in the shopper's locale (`Intl`): the value is decided here, its
/// spelling there.
pub const FORMAT: char = '\u{2}';
pub const FORMAT_END: char = '\u{3}';
/// Starts a text reference: `TEXT`, the text's index in its language's pack (`T as
/// u32`), and, when it has one, `TEXT` and the value for its placeholder.
pub const TEXT: char = '\u{1}';

/// What fills a text's placeholder (`{n}`, `{date}`, `{name}`; a text has at most one).
/// Every value sits between Unicode isolates (FSI ... PDI), so a right-to-left page or a
/// name in another script never reorders the words around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill<'a> {
    No,
    Number(u32),
    Date(Date),
    /// The merchant's words (a product name): text, never markup.
    Name(&'a str),
}

/// A text and what fills it.
type Line<'a> = Option<(T, Fill<'a>)>;

/// The operations `dom.js` carries out, in order: `id PART key PART value`, separated
/// by `OP`. `key` is a property (`textContent`, `className`, `dir`, ...), `hidden`
/// (shown when the value is empty), an attribute (a name with `-`: set, or removed
/// when the value is empty), `focus` or `close` (a dialog). Values never hold the
/// separators (they become U+FFFD).
#[derive(Default)]
pub struct Ops {
    out: String,
}

impl Ops {
    fn key(&mut self, id: &str, key: &str) {
        if !self.out.is_empty() {
            self.out.push(OP);
        }
        self.out.push_str(id);
        self.out.push(PART);
        self.out.push_str(key);
        self.out.push(PART);
    }

    fn value(&mut self, value: &str) {
        for c in value.chars() {
            self.out.push(if matches!(c, OP | PART | FORMAT | FORMAT_END | TEXT) { '\u{fffd}' } else { c });
        }
    }

    fn set(&mut self, id: &str, key: &str, value: &str) {
        self.key(id, key);
        self.value(value);
    }

    fn flag(&mut self, id: &str, key: &str, on: bool) {
        self.set(id, key, if on { "1" } else { "" });
    }

    fn show(&mut self, id: &str, on: bool) {
        self.flag(id, "hidden", !on);
    }

    /// The text of `line` as `id`'s `textContent` (empty for none), as a reference.
    fn text(&mut self, id: &str, line: Line) {
        self.key(id, "textContent");
        let Some((t, fill)) = line else { return };
        self.out.push(TEXT);
        push_digits(&mut self.out, t as u32);
        if fill == Fill::No {
            return;
        }
        self.out.push(TEXT);
        self.out.push('\u{2068}');
        match fill {
            Fill::Number(n) => self.formatted(|out| push_digits(out, n)),
            Fill::Date(d) => self.formatted(|out| {
                out.push('d');
                push_digits(out, d.days_since_epoch().unsigned_abs());
            }),
            Fill::Name(name) => self.value(name),
            Fill::No => {}
        }
        self.out.push('\u{2069}');
    }

    fn formatted(&mut self, f: impl FnOnce(&mut String)) {
        self.out.push(FORMAT);
        f(&mut self.out);
        self.out.push(FORMAT_END);
    }

    /// A text that is shown only when there is one.
    fn line(&mut self, id: &str, line: Line) {
        self.text(id, line);
        self.show(id, line.is_some());
    }
}

/// The operations that paint `state`, inline or `compact`. `focus` asks to move focus
/// to the field that failed validation (after a submit) or to the outcome; `mark`, to
/// mark the first status shown on the page (`performance.mark(FIRST_STATUS)`, once its
/// texts are on screen).
pub fn paint(state: &State, focus: bool, compact: bool, mark: bool) -> String {
    let mut o = Ops::default();
    let lang = state.lang;
    let dir = if lang.rtl() { "rtl" } else { "ltr" };
    o.set("r", "lang", lang.tag());
    for id in TEXTS {
        o.set(id, "dir", dir);
    }
    // The shop's consent text, in whatever language the shop wrote it.
    o.set("kl", "dir", "auto");
    o.text("ql", Some((T::QuantityLabel, Fill::No)));
    o.text("ml", Some((T::EmailLabel, Fill::No)));

    let view = state.view();
    let visible = !matches!(state.load, Load::Unknown | Load::Unavailable);
    o.show("r", visible);
    let (class, line) = match view.map(|v| v.status) {
        None => ("", T::Checking),
        Some(StatusCode::InStock) => ("in", T::InStock),
        Some(StatusCode::LowStock) => ("low", T::OnlyLeft),
        Some(StatusCode::OutOfStock) => ("out", T::OutOfStock),
        Some(StatusCode::Backorder) => ("bo", T::Backorder),
        Some(StatusCode::Preorder) => ("bo", T::Preorder),
        Some(StatusCode::Discontinued) => ("gone", T::Discontinued),
    };
    o.set("s", "className", "s ");
    o.out.push_str(class);
    let fill = match view {
        Some(v) if v.status == StatusCode::LowStock => Fill::Number(v.left.unwrap_or(0)),
        Some(v) if v.status == StatusCode::Preorder => v.release_date.map_or(Fill::No, Fill::Date),
        _ => Fill::No,
    };
    o.text("l", visible.then_some((line, fill)));

    let ordering = view.is_some_and(|v| matches!(v.status, StatusCode::Backorder | StatusCode::Preorder));
    let eta = view.and_then(|v| v.eta);
    let estimate = eta.is_some_and(|e| e.basis == EtaBasis::LeadTime);
    let eta_text = match (eta, ordering) {
        (Some(e), true) => Some((if estimate { T::ShipsAround } else { T::ShipsBy }, Fill::Date(e.date))),
        (None, true) => Some((T::ShipsWhenIn, Fill::No)),
        (Some(e), false) => Some((if estimate { T::BackAround } else { T::BackBy }, Fill::Date(e.date))),
        (None, false) => None,
    };
    o.line("t", eta_text);
    let left = view.and_then(|v| v.left).filter(|_| ordering);
    o.line("v", left.map(|n| (T::PlacesLeft, Fill::Number(n))));

    let done = matches!(state.submit, Submit::Done(_));
    let form = state.form().filter(|_| !done);
    let order = form == Some(FormKind::Order);
    let preorder = view.is_some_and(|v| v.status == StatusCode::Preorder);
    let max = view.map_or(1, |v| v.max_quantity.max(1));
    let name = view.map_or("", |v| v.name.as_str());
    let button = match (order, preorder) {
        (true, true) => T::PreorderButton,
        (true, false) => T::BackorderButton,
        (false, _) => T::NotifyButton,
    };
    let sending = matches!(state.submit, Submit::Sending(_));
    o.show("f", form.is_some());
    let legend = if order { T::OrderHeading } else { T::WaitlistHeading };
    o.text("g", form.map(|_| (legend, Fill::Name(name))));
    o.show("qr", order);
    o.key("q", "max");
    push_digits(&mut o.out, max);
    o.show("mr", form.is_some() && (!order || state.order_needs_email()));
    o.show("kr", form == Some(FormKind::Waitlist));
    o.set("kl", "textContent", state.settings.as_ref().map_or("", |s| s.consent_text.as_str()));
    o.text("b", form.map(|_| (if sending { T::Sending } else { button }, Fill::No)));
    o.set("b", "aria-busy", if sending && form.is_some() { "true" } else { "" });
    let both = state.orderable() && view.is_some_and(|v| v.waitlist);
    o.line("sw", form.filter(|_| both).map(|_| (if order { T::PreferWaitlist } else { T::PreferOrder }, Fill::No)));
    let invalid = state.invalid.filter(|_| form.is_some());
    for (field, error, input, text) in [
        (Field::Quantity, "qe", "q", (T::ErrorQuantity, Fill::Number(max))),
        (Field::Email, "me", "m", (T::ErrorEmail, Fill::No)),
        (Field::Consent, "ke", "k", (T::ErrorConsent, Fill::No)),
    ] {
        let on = invalid == Some(field);
        o.line(error, on.then_some(text));
        o.set(input, "aria-invalid", if on { "true" } else { "" });
    }

    let note = match state.submit {
        Submit::Done(Done::CheckInbox) => Some((T::CheckInbox, Fill::No)),
        Submit::Done(Done::Joined) => Some((T::Joined, Fill::No)),
        Submit::Done(Done::Ordered { position, .. }) => Some((T::Ordered, position.map_or(Fill::No, Fill::Number))),
        Submit::Done(Done::HandedToCart) => Some((T::HandedToCart, Fill::No)),
        _ => None,
    };
    o.line("n", note.filter(|_| view.is_some()));
    let error = match state.submit {
        Submit::Failed(_, Failure::Network) => Some(T::ErrorNetwork),
        Submit::Failed(_, Failure::RateLimited) => Some(T::ErrorRateLimited),
        Submit::Failed(_, Failure::SoldOut) => Some(T::ErrorSoldOut),
        Submit::Failed(_, Failure::Cart) => Some(T::CartFailed),
        _ => None,
    };
    o.line("er", error.filter(|_| view.is_some()).map(|t| (t, Fill::No)));
    if compact {
        o.set("o", "dir", dir);
        o.set("x", "dir", dir);
        o.line("o", form.map(|_| (button, Fill::No)));
        o.text("x", Some((T::Close, Fill::No)));
        if !visible {
            o.set("dl", "close", "");
        }
    }
    // Focus follows the shopper's action: to the field at fault, or to the outcome.
    let target = match invalid {
        Some(Field::Quantity) => "q",
        Some(Field::Email) => "m",
        Some(Field::Consent) => "k",
        None if done && view.is_some() => "n",
        None => "",
    };
    if focus && !target.is_empty() {
        o.set(target, "focus", "");
    }
    if mark && view.is_some() {
        o.set("r", "mark", crate::FIRST_STATUS);
    }
    o.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::text;
    use crate::state::Msg;
    use restock_shared::wire::{AvailabilityView, BackorderMode, WidgetSettings};
    use restock_shared::{Lang, RestockEta};
    use std::collections::BTreeMap;

    /// The painted operations, keyed by (element, key), in the widget's language.
    struct Painted(BTreeMap<(String, String), String>, Lang);

    impl Painted {
        const fn lang_of(&self) -> Lang {
            self.1
        }

        fn get(&self, id: &str, key: &str) -> Option<&str> {
            self.0.get(&(id.to_owned(), key.to_owned())).map(String::as_str)
        }

        /// An element's text as `dom.js` writes it with `Intl` unavailable (dates and
        /// numbers as they are), the isolates around values removed (tested below).
        fn text(&self, id: &str) -> String {
            self.raw(id).replace(['\u{2068}', '\u{2069}'], "")
        }

        /// An element's text with the isolates kept, as `dom.js` writes it from the
        /// language's pack.
        fn raw(&self, id: &str) -> String {
            let mut out = String::new();
            let resolved = self.resolved(id);
            let mut parts = resolved.split([FORMAT, FORMAT_END]);
            // Outside the marks, then inside, in turn: dates as ISO, numbers as they are.
            while let Some(outside) = parts.next() {
                out.push_str(outside);
                match parts.next() {
                    Some(date) if date.starts_with('d') => {
                        out.push_str(&Date::from_days(date[1..].parse().expect("days")).to_iso())
                    }
                    Some(number) => out.push_str(number),
                    None => {}
                }
            }
            out
        }

        /// An element's text from its reference, dates and numbers still marked.
        fn resolved(&self, id: &str) -> String {
            let v = self.get(id, "textContent").unwrap_or_default();
            let Some(reference) = v.strip_prefix(TEXT) else { return v.to_owned() };
            let (index, fill) = reference.split_once(TEXT).unwrap_or((reference, ""));
            let t = T::ALL[index.parse::<usize>().expect("an index")];
            let template = text(self.lang_of(), t);
            match (template.find('{'), template.find('}')) {
                (Some(a), Some(b)) if !fill.is_empty() => [&template[..a], fill, &template[b + 1..]].concat(),
                _ => template.to_owned(),
            }
        }

        fn shown(&self, id: &str) -> bool {
            self.get(id, "hidden") == Some("")
        }

        fn focus(&self) -> Vec<&str> {
            self.0.keys().filter(|(_, k)| k == "focus").map(|(id, _)| id.as_str()).collect()
        }
    }

    fn ops(state: &State, focus: bool, compact: bool) -> Painted {
        let packed = paint(state, focus, compact, false);
        let mut map = BTreeMap::new();
        for op in packed.split(OP) {
            let parts: Vec<&str> = op.split(PART).collect();
            assert_eq!(parts.len(), 3, "{op:?}");
            let old = map.insert((parts[0].to_owned(), parts[1].to_owned()), parts[2].to_owned());
            assert_eq!(old, None, "{op:?} is painted once");
        }
        Painted(map, state.lang)
    }

    fn show(state: &State, focus: bool) -> Painted {
        ops(state, focus, false)
    }

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
    fn checking_first_and_nothing_when_the_api_is_down() {
        let m = show(&State::new("A".into(), Lang::De), false);
        assert_eq!(m.text("l"), "Lagerbestand wird geprüft…");
        assert!(m.shown("r"));
        assert_eq!(m.get("s", "className"), Some("s "), "no status class while checking");
        assert!(!m.shown("f") && !m.shown("t"));
        let mut gone = State::new("A".into(), Lang::En);
        gone.update(Msg::Failed);
        assert!(!show(&gone, false).shown("r"), "nothing broken when the API is down");
    }

    #[test]
    fn out_of_stock_shows_eta_and_the_waitlist_form_with_the_name_as_text() {
        let eta = RestockEta {
            date: Date::from_ymd(2026, 12, 24).unwrap_or(Date::from_days(0)),
            basis: EtaBasis::PurchaseOrder,
        };
        let m = show(&state(StatusCode::OutOfStock, true, 0, Some(eta)), false);
        assert_eq!(m.get("s", "className"), Some("s out"));
        assert_eq!(m.text("t"), "Expected back 2026-12-24");
        assert!(m.shown("t") && m.shown("f"));
        assert_eq!(m.text("g"), "Get an email when <b>Tee</b> is back", "names stay text");
        assert_eq!((m.shown("kr"), m.shown("qr"), m.shown("mr")), (true, false, true));
        assert_eq!(m.text("kl"), "Email me once.");
        assert_eq!(m.text("b"), "Notify me");
        assert!(!m.shown("v") && !m.shown("sw"));
    }

    #[test]
    fn backorders_show_places_ship_dates_and_the_order_form() {
        let eta =
            RestockEta { date: Date::from_ymd(2027, 2, 1).unwrap_or(Date::from_days(0)), basis: EtaBasis::LeadTime };
        let m = show(&state(StatusCode::Backorder, true, 4, Some(eta)), false);
        assert_eq!(m.text("l"), "Available on backorder");
        assert_eq!(m.text("t"), "Ships around 2027-02-01", "lead-time dates are estimates");
        assert_eq!(m.text("v"), "4 left to order");
        assert_eq!((m.shown("qr"), m.get("q", "max")), (true, Some("4")));
        assert!(!m.shown("kr"), "no consent box for an order");
        assert_eq!(m.text("b"), "Backorder");
        assert!(m.shown("sw"));
        assert_eq!(m.text("sw"), "Just email me when it's back");
        let pre = show(&state(StatusCode::Preorder, false, 4, None), false);
        assert_eq!(pre.text("l"), "Preorder: out 2027-01-02");
        assert_eq!(pre.text("t"), "Ships as soon as stock arrives");
        assert_eq!(pre.text("b"), "Preorder");
        assert!(!pre.shown("sw"));
    }

    #[test]
    fn validation_errors_name_the_field_and_take_focus() {
        let mut s = state(StatusCode::OutOfStock, true, 0, None);
        s.update(Msg::EmailInput("nope".into()));
        s.update(Msg::Submit);
        let m = show(&s, true);
        assert!(m.text("me").contains("name@example.com"));
        assert!(m.shown("me") && !m.shown("ke"));
        assert_eq!((m.get("m", "aria-invalid"), m.get("k", "aria-invalid")), (Some("true"), Some("")));
        assert_eq!(m.focus(), ["m"]);
        assert!(show(&s, false).focus().is_empty(), "focus moves only on submit");
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::Submit);
        assert_eq!(show(&s, true).focus(), ["k"]);
        let mut o = state(StatusCode::Backorder, true, 4, None);
        o.update(Msg::QuantityInput("9".into()));
        o.update(Msg::Submit);
        assert_eq!(show(&o, true).text("qe"), "Choose a quantity from 1 to 4.");
    }

    #[test]
    fn sending_done_and_failed() {
        let mut s = state(StatusCode::OutOfStock, true, 0, None);
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::ConsentInput(true));
        s.update(Msg::Submit);
        let m = show(&s, false);
        assert_eq!((m.text("b").as_str(), m.get("b", "aria-busy")), ("Sending…", Some("true")));
        s.update(Msg::Refused(Failure::RateLimited));
        let m = show(&s, false);
        assert!(m.text("er").starts_with("Too many attempts") && m.shown("er"));
        assert_eq!(m.get("b", "aria-busy"), Some(""));
        s.update(Msg::Submit);
        s.update(Msg::Finished(Done::CheckInbox));
        let m = show(&s, false);
        assert!(!m.shown("f"), "the form gives way to the outcome");
        assert!(m.text("n").starts_with("Almost there") && !m.shown("er"));
    }

    #[test]
    fn values_inside_sentences_are_isolated_and_texts_carry_their_direction() {
        let mut s = state(StatusCode::Backorder, true, 4, None);
        let m = show(&s, false);
        assert_eq!(m.resolved("v"), "\u{2068}\u{2}4\u{3}\u{2069} left to order", "a number, isolated, for the locale");
        let reference = format!("\u{1}{}\u{1}\u{2068}\u{2}4\u{3}\u{2069}", T::PlacesLeft as u32);
        assert_eq!(m.get("v", "textContent"), Some(reference.as_str()), "texts go as references");
        assert_eq!(m.raw("g"), "Order \u{2068}<b>Tee</b>\u{2069} now");
        assert_eq!(m.get("s", "dir"), Some("ltr"));
        assert_eq!(m.get("kl", "dir"), Some("auto"), "the shop's text reads in its own direction");
        s.lang = Lang::He;
        assert_eq!(show(&s, false).get("b", "dir"), Some("rtl"));
        s.lang = Lang::Ar;
        let ar = show(&s, false);
        assert_eq!((ar.get("n", "dir"), ar.get("r", "lang")), (Some("rtl"), Some("ar")));
        let preorder = state(StatusCode::Preorder, false, 4, None);
        let pre = show(&preorder, false);
        let days = Date::from_ymd(2027, 1, 2).map(Date::days_since_epoch).unwrap_or_default();
        assert_eq!(
            pre.resolved("l"),
            format!("Preorder: out \u{2068}\u{2}d{days}\u{3}\u{2069}"),
            "a date, for the locale"
        );
        assert_eq!(pre.raw("l"), "Preorder: out \u{2068}2027-01-02\u{2069}");
        let compact = ops(&preorder, false, true);
        assert_eq!((compact.text("o"), compact.shown("o")), ("Preorder".into(), true));
    }

    #[test]
    fn the_outcome_takes_focus_and_a_cart_refusal_is_said() {
        let mut s = state(StatusCode::Backorder, true, 4, None);
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::Submit);
        s.update(Msg::Refused(Failure::Cart));
        assert!(show(&s, false).text("er").starts_with("We couldn't add it"));
        s.update(Msg::Submit);
        s.update(Msg::Finished(Done::HandedToCart));
        assert_eq!(show(&s, true).focus(), ["n"], "focus moves to the result");
        assert!(show(&s, false).focus().is_empty());
        let mut o = state(StatusCode::Backorder, true, 4, None);
        o.update(Msg::EmailInput("a@example.com".into()));
        o.update(Msg::Submit);
        o.update(Msg::Finished(Done::Ordered { position: Some(12), promised: None }));
        assert_eq!(show(&o, false).text("n"), "Thank you! You're number 12 in line; we've emailed you the details.");
    }

    #[test]
    fn low_stock_counts_and_other_languages() {
        let mut s = state(StatusCode::LowStock, false, 0, None);
        s.lang = Lang::Fr;
        let m = show(&s, false);
        assert_eq!((m.get("s", "className"), m.text("l").as_str()), (Some("s low"), "Plus que 4 en stock"));
        assert_eq!(m.get("r", "lang"), Some("fr"));
        assert!(!m.shown("f"));
    }

    #[test]
    fn compact_tiles_have_one_button_and_a_dialog() {
        let s = state(StatusCode::OutOfStock, true, 0, None);
        let m = ops(&s, false, true);
        assert_eq!((m.text("o"), m.shown("o")), ("Notify me".into(), true));
        assert_eq!(m.text("x"), "Close");
        assert_eq!(show(&s, false).get("o", "textContent"), None, "no dialog button inline");
        let mut gone = s.clone();
        gone.update(Msg::Failed);
        gone.load = Load::Unavailable;
        assert!(ops(&gone, false, true).get("dl", "close").is_some(), "a hidden widget's dialog shuts");
        assert!(!ops(&state(StatusCode::InStock, false, 0, None), false, true).shown("o"), "nothing to do");
    }

    #[test]
    fn no_value_can_break_the_encoding() {
        let mut s = state(StatusCode::OutOfStock, true, 0, None);
        if let Load::Ready(v) = &mut s.load {
            v.name = "a\u{1e}b\u{1f}c\u{2}d\u{3}".into();
        }
        assert_eq!(
            show(&s, false).raw("g"),
            "Get an email when \u{2068}a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}\u{2069} is back"
        );
    }

    #[test]
    fn every_element_painted_is_in_the_template() {
        for compact in [false, true] {
            let html = template(compact);
            let mut s = state(StatusCode::Backorder, true, 4, None);
            s.update(Msg::Submit);
            for ((id, _), _) in ops(&s, true, compact).0 {
                assert!(html.contains(&format!("id={id} ")) || html.contains(&format!("id={id}>")), "#{id} {compact}");
            }
        }
        for id in ["m", "k", "q", "w", "f", "sw"] {
            assert!(input(id, "1".into()).is_some(), "{id}");
            assert!(template(false).contains(&format!("id={id} ")), "#{id} is in the template");
        }
        assert_eq!(input("x", String::new()), None, "the dialog's buttons are mechanics");
        assert!(template(true).contains("<dialog id=dl"));
        assert!(!template(false).contains("dialog"));
    }
}
