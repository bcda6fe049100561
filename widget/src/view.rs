//! The widget's markup and stylesheet, and what the form shows as a pure function of
//! the state: `paint` turns a `State` into the list of element operations `dom.js`
//! carries out. No DOM types here, so every rendering decision is tested natively; the
//! JavaScript only applies the operations, so it knows nothing of the widget's fields
//! (a new field is a change here and in the template, not there).
//!
//! Two painters share the markup. The loader paints the status block (`r`, `s`, `l`,
//! `t`, `v`, the alternatives `al`) from the Worker's words (`restock_shared::say`), the
//! moment the availability answer arrives; the wasm paints the form and the outcome
//! from this module. The markup, the stylesheet and the ids of the texts that read in
//! the language's direction ([`TEXTS`]) are built into the loader from here
//! (`cargo xtask build`), so the wasm carries none of them.
//!
//! Written for size: decisions are small `Copy` values (a text's `T` and what fills its
//! placeholder), and the operations are written straight into one string, so a render
//! allocates once and drops once.

use alloc::string::String;

use restock_shared::say::push_number;

use crate::i18n::{T, push_digits};
use crate::state::{Done, Failure, Field, FormKind, Msg, State, Submit};

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
ul{margin:.2em 0 0;padding-inline-start:1.2em}a{color:var(--a)}\
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
/// The root stays hidden until an answer says what to show.
///
/// The honeypot (a "Website" field bots fill in) is `hidden`: invisible and out of the
/// accessibility tree through the browser's own stylesheet, so it stays hidden under a
/// Content-Security-Policy that blocks ours. `n` and `s` take focus after an outcome.
/// The shop's consent texts (`kl`, `jl`) read in their own direction (`dir=auto`).
const HEAD: &str = "<div class=r id=r part=container hidden><p class=s id=s role=status tabindex=-1>\
<span class=d aria-hidden=true></span><span id=l></span></p>";

const BODY: &str = "<p class=x id=t hidden></p><p class=x id=v hidden></p>\
<form id=f novalidate hidden><fieldset><legend id=g></legend>\
<div id=qr><label for=q id=ql></label><input class='f q' id=q type=number min=1 value=1 inputmode=numeric aria-describedby=qe>\
<p class=e id=qe hidden></p></div>\
<div id=mr><label for=m id=ml></label><input class=f id=m type=email autocomplete=email required aria-describedby=me>\
<p class=e id=me hidden></p></div>\
<div id=kr><div class=c><input id=k type=checkbox required aria-describedby=ke><label for=k id=kl dir=auto></label></div>\
<p class=e id=ke hidden></p></div>\
<div id=pr><label for=p id=pl></label><input class=f id=p type=tel autocomplete=tel aria-describedby=pe>\
<p class=e id=pe hidden></p></div>\
<div id=jr><div class=c><input id=j type=checkbox aria-describedby=je><label for=j id=jl dir=auto></label></div>\
<p class=e id=je hidden></p></div>\
<div hidden><label for=w>Website</label><input id=w type=text tabindex=-1 autocomplete=off></div>\
<button class=g id=b type=submit></button></fieldset><button class=w id=sw type=button></button></form>\
<p class=n id=n role=status tabindex=-1 hidden></p><p class=e id=er role=alert hidden></p>\
<div id=al hidden><p class=x id=ah></p><ul id=au></ul></div>";

/// Compact mode (collection tiles): a status line and one button, `o`, which opens the
/// dates, the form and the alternatives in a modal dialog (`dl`) with a close button,
/// `x`; every tile keeps the same height. `dom.js` gives the dialog its focus handling.
const COMPACT: &str = "<button class=g id=o type=button hidden></button><dialog id=dl aria-labelledby=g>";

/// Closes compact mode's dialog.
const COMPACT_END: &str = "<button class=w id=x type=button></button></dialog>";

/// The markup's parts as the loader assembles them: `[head, compact, body, compact
/// end, end]` (the compact parts only in compact mode), so it carries the body once.
pub const PARTS: [&str; 5] = [HEAD, COMPACT, BODY, COMPACT_END, "</div>"];

/// The widget's markup, inline or compact.
pub fn template(compact: bool) -> String {
    let mut html = String::new();
    for (i, part) in PARTS.into_iter().enumerate() {
        if compact || i % 2 == 0 {
            html.push_str(part);
        }
    }
    html
}

/// Elements holding the widget's own texts: they read in the language's direction
/// whatever the page's (the layout follows the page). The loader sets it from the
/// answer's `dir`; compact mode adds `o` and `x`.
pub const TEXTS: [&str; 19] =
    ["s", "t", "v", "al", "g", "ql", "qe", "ml", "me", "ke", "pl", "pe", "je", "b", "sw", "n", "er", "o", "x"];

/// What the shopper did to element `id` of the template (its new `value`), as a
/// message; clicks on other buttons (the dialog's) are the page's mechanics.
pub fn input(id: &str, value: String) -> Option<Msg> {
    Some(match id {
        "m" => Msg::EmailInput(value),
        "k" => Msg::ConsentInput(!value.is_empty()),
        "p" => Msg::PhoneInput(value),
        "j" => Msg::SmsInput(!value.is_empty()),
        "q" => Msg::QuantityInput(value),
        "w" => Msg::WebsiteInput(value),
        "f" => Msg::Submit,
        "sw" => Msg::TogglePreferWaitlist,
        _ => return None,
    })
}

/// Separates operations, and an operation's parts.
pub const OP: char = '\u{1e}';
pub const PART: char = '\u{1f}';
/// Starts a text reference: `TEXT`, the text's index in its language's pack (`T as
/// u32`), and, when it has one, `TEXT` and the value for its placeholder.
pub const TEXT: char = '\u{1}';

/// What fills a text's placeholder (`{n}`, `{name}`; a text has at most one). Every
/// value sits between Unicode isolates (FSI ... PDI), so a right-to-left page or a
/// name in another script never reorders the words around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill<'a> {
    No,
    /// Written as the widget's language writes numbers (`say::push_number`), as the
    /// Worker writes the status lines.
    Number(u32),
    /// The merchant's words (a product name): text, never markup.
    Name(&'a str),
}

/// A text and what fills it.
type Line<'a> = Option<(T, Fill<'a>)>;

/// The operations `dom.js` carries out, in order: `id PART key PART value`, separated
/// by `OP`. `key` is a property (`textContent`, `className`, `max`, ...), `hidden`
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
            self.out.push(if matches!(c, OP | PART | TEXT) { '\u{fffd}' } else { c });
        }
    }

    fn set(&mut self, id: &str, key: &str, value: &str) {
        self.key(id, key);
        self.value(value);
    }

    fn show(&mut self, id: &str, on: bool) {
        self.set(id, "hidden", if on { "" } else { "1" });
    }

    /// The text of `line` as `id`'s `textContent` (empty for none), as a reference.
    fn text(&mut self, id: &str, line: Line, state: &State) {
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
            Fill::Number(n) => push_number(&mut self.out, state.lang, n),
            Fill::Name(name) => self.value(name),
            Fill::No => {}
        }
        self.out.push('\u{2069}');
    }

    /// A text that is shown only when there is one.
    fn line(&mut self, id: &str, line: Line, state: &State) {
        self.text(id, line, state);
        self.show(id, line.is_some());
    }
}

/// The operations that paint the form of `state`, inline or `compact`. The first is
/// always the root's `lang` (its pack). `focus` asks to move focus to the field that
/// failed validation (after a submit) or to the outcome.
pub fn paint(state: &State, focus: bool, compact: bool) -> String {
    let mut o = Ops::default();
    let s = state;
    o.set("r", "lang", s.lang.tag());
    o.text("ql", Some((T::QuantityLabel, Fill::No)), s);
    o.text("ml", Some((T::EmailLabel, Fill::No)), s);
    o.text("pl", Some((T::PhoneLabel, Fill::No)), s);

    let item = s.item.as_ref();
    let done = matches!(s.submit, Submit::Done(_));
    let form = s.form().filter(|_| !done);
    let order = form == Some(FormKind::Order);
    let waitlist = form == Some(FormKind::Waitlist);
    let preorder = item.is_some_and(|i| i.status == restock_shared::wire::StatusCode::Preorder);
    let max = item.map_or(1, |i| i.max_quantity.max(1));
    let name = item.map_or("", |i| i.name.as_str());
    let button = match (order, preorder) {
        (true, true) => T::PreorderButton,
        (true, false) => T::BackorderButton,
        (false, _) => T::NotifyButton,
    };
    let sending = matches!(s.submit, Submit::Sending(_));
    o.show("f", form.is_some());
    let legend = if order { T::OrderHeading } else { T::WaitlistHeading };
    o.text("g", form.map(|_| (legend, Fill::Name(name))), s);
    o.show("qr", order);
    o.key("q", "max");
    push_digits(&mut o.out, max);
    o.show("mr", form.is_some() && (!order || s.order_needs_email()));
    o.show("kr", waitlist);
    o.set("kl", "textContent", &s.settings.consent_text);
    let sms = waitlist && s.offers_sms();
    o.show("pr", sms);
    o.show("jr", sms);
    o.set("jl", "textContent", s.settings.sms_consent_text.as_deref().unwrap_or(""));
    o.text("b", form.map(|_| (if sending { T::Sending } else { button }, Fill::No)), s);
    o.set("b", "aria-busy", if sending && form.is_some() { "true" } else { "" });
    let both = s.orderable() && item.is_some_and(|i| i.waitlist);
    let switch = if order { T::PreferWaitlist } else { T::PreferOrder };
    o.line("sw", form.filter(|_| both).map(|_| (switch, Fill::No)), s);
    let invalid = s.invalid.filter(|_| form.is_some());
    for (field, error, input, text) in [
        (Field::Quantity, "qe", "q", (T::ErrorQuantity, Fill::Number(max))),
        (Field::Email, "me", "m", (T::ErrorEmail, Fill::No)),
        (Field::Consent, "ke", "k", (T::ErrorConsent, Fill::No)),
        (Field::Phone, "pe", "p", (T::ErrorPhone, Fill::No)),
        (Field::Sms, "je", "j", (T::ErrorSms, Fill::No)),
    ] {
        let on = invalid == Some(field);
        o.line(error, on.then_some(text), s);
        o.set(input, "aria-invalid", if on { "true" } else { "" });
    }

    let note = match s.submit {
        Submit::Done(Done::CheckInbox) => Some((T::CheckInbox, Fill::No)),
        Submit::Done(Done::Joined) => Some((T::Joined, Fill::No)),
        Submit::Done(Done::Ordered { position }) => Some((T::Ordered, position.map_or(Fill::No, Fill::Number))),
        Submit::Done(Done::HandedToCart) => Some((T::HandedToCart, Fill::No)),
        _ => None,
    };
    o.line("n", note.filter(|_| item.is_some()), s);
    let error = match s.submit {
        Submit::Failed(_, Failure::Network) => Some(T::ErrorNetwork),
        Submit::Failed(_, Failure::RateLimited) => Some(T::ErrorRateLimited),
        Submit::Failed(_, Failure::SoldOut) => Some(T::ErrorSoldOut),
        Submit::Failed(_, Failure::Cart) => Some(T::CartFailed),
        Submit::Failed(_, Failure::NotForGroup) => Some(T::NotForGroup),
        Submit::Failed(_, Failure::SmsOff) => Some(T::SmsOff),
        _ => None,
    };
    o.line("er", error.filter(|_| item.is_some()).map(|t| (t, Fill::No)), s);
    if compact {
        o.line("o", form.map(|_| (button, Fill::No)), s);
        o.text("x", Some((T::Close, Fill::No)), s);
        if item.is_none() {
            o.set("dl", "close", "");
        }
    }
    // Focus follows the shopper's action: to the field at fault, or to the outcome.
    let target = match invalid {
        Some(Field::Quantity) => "q",
        Some(Field::Email) => "m",
        Some(Field::Consent) => "k",
        Some(Field::Phone) => "p",
        Some(Field::Sms) => "j",
        None if done && item.is_some() => "n",
        None => "",
    };
    if focus && !target.is_empty() {
        o.set(target, "focus", "");
    }
    o.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::text;
    use crate::state::{Item, Settings};
    use restock_shared::Lang;
    use restock_shared::wire::StatusCode;
    use std::collections::BTreeMap;

    /// The painted operations, keyed by (element, key), in the widget's language.
    struct Painted(BTreeMap<(String, String), String>, Lang);

    impl Painted {
        fn get(&self, id: &str, key: &str) -> Option<&str> {
            self.0.get(&(id.to_owned(), key.to_owned())).map(String::as_str)
        }

        /// An element's text as `dom.js` writes it, the isolates around values removed.
        fn text(&self, id: &str) -> String {
            self.raw(id).replace(['\u{2068}', '\u{2069}'], "")
        }

        /// An element's text with the isolates kept, as `dom.js` writes it from the
        /// language's pack.
        fn raw(&self, id: &str) -> String {
            let v = self.get(id, "textContent").unwrap_or_default();
            let Some(reference) = v.strip_prefix(TEXT) else { return v.to_owned() };
            let (index, fill) = reference.split_once(TEXT).unwrap_or((reference, ""));
            let t = T::ALL[index.parse::<usize>().expect("an index")];
            let template = text(self.1, t);
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
        let packed = paint(state, focus, compact);
        assert!(packed.starts_with("r\u{1f}lang\u{1f}"), "the pack's language comes first");
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

    fn state_with(status: StatusCode, waitlist: bool, max: u32, sms: bool) -> State {
        let mut s = State::new();
        let item = Item { sku: "A".into(), name: "<b>Tee</b>".into(), status, waitlist, max_quantity: max };
        let settings = Settings {
            consent_text: "Email me once.".into(),
            sms_consent_text: sms.then(|| "Text me once.".into()),
            event_mode: false,
        };
        s.update(Msg::Loaded(Some((item, settings)), Lang::En));
        s
    }

    fn state(status: StatusCode, waitlist: bool, max: u32) -> State {
        state_with(status, waitlist, max, false)
    }

    #[test]
    fn nothing_to_offer_before_an_answer() {
        let m = show(&State::new(), false);
        assert!(!m.shown("f") && !m.shown("n") && !m.shown("er"));
        assert_eq!(m.get("r", "hidden"), None, "the root's visibility is the loader's");
    }

    #[test]
    fn out_of_stock_shows_the_waitlist_form_with_the_name_as_text() {
        let m = show(&state(StatusCode::OutOfStock, true, 0), false);
        assert!(m.shown("f"));
        assert_eq!(m.text("g"), "Get an email when <b>Tee</b> is back", "names stay text");
        assert_eq!((m.shown("kr"), m.shown("qr"), m.shown("mr")), (true, false, true));
        assert_eq!((m.shown("pr"), m.shown("jr")), (false, false), "no texts offered");
        assert_eq!(m.text("kl"), "Email me once.");
        assert_eq!(m.text("b"), "Notify me");
        assert!(!m.shown("sw"));
    }

    #[test]
    fn a_shop_that_texts_offers_a_phone_field_with_its_own_consent() {
        let mut s = state_with(StatusCode::OutOfStock, true, 0, true);
        let m = show(&s, false);
        assert_eq!((m.shown("pr"), m.shown("jr")), (true, true));
        assert_eq!(m.text("pl"), "Mobile number for a text too (optional)");
        assert_eq!(m.text("jl"), "Text me once.", "the shop's SMS consent text, as text");
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::ConsentInput(true));
        s.update(Msg::PhoneInput("0770".into()));
        s.update(Msg::Submit);
        let m = show(&s, true);
        assert!(m.shown("pe") && m.text("pe").contains("country code"));
        assert_eq!((m.get("p", "aria-invalid"), m.focus()), (Some("true"), vec!["p"]));
        s.update(Msg::PhoneInput("+44 7700 900123".into()));
        s.update(Msg::Submit);
        let m = show(&s, true);
        assert!(m.shown("je") && m.text("je").starts_with("Tick the box"));
        assert_eq!(m.focus(), ["j"]);
        let order = show(&state_with(StatusCode::Backorder, true, 3, true), false);
        assert!(!order.shown("pr"), "texts are for the waitlist, not orders");
    }

    #[test]
    fn backorders_show_the_order_form() {
        let m = show(&state(StatusCode::Backorder, true, 4), false);
        assert_eq!((m.shown("qr"), m.get("q", "max")), (true, Some("4")));
        assert!(!m.shown("kr"), "no consent box for an order");
        assert_eq!(m.text("b"), "Backorder");
        assert!(m.shown("sw"));
        assert_eq!(m.text("sw"), "Just email me when it's back");
        let pre = show(&state(StatusCode::Preorder, false, 4), false);
        assert_eq!(pre.text("b"), "Preorder");
        assert!(!pre.shown("sw"));
    }

    #[test]
    fn validation_errors_name_the_field_and_take_focus() {
        let mut s = state(StatusCode::OutOfStock, true, 0);
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
        let mut o = state(StatusCode::Backorder, true, 4);
        o.update(Msg::QuantityInput("9".into()));
        o.update(Msg::Submit);
        assert_eq!(show(&o, true).text("qe"), "Choose a quantity from 1 to 4.");
    }

    #[test]
    fn sending_done_and_failed() {
        let mut s = state(StatusCode::OutOfStock, true, 0);
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
    fn a_group_refusal_and_texts_switched_off_are_said() {
        let mut o = state(StatusCode::Backorder, true, 4);
        o.update(Msg::EmailInput("a@example.com".into()));
        o.update(Msg::Submit);
        o.update(Msg::Refused(Failure::NotForGroup));
        assert!(show(&o, false).text("er").starts_with("Your account can't order this"));
        let mut w = state_with(StatusCode::OutOfStock, true, 0, true);
        w.update(Msg::Refused(Failure::SmsOff));
        assert!(show(&w, false).text("er").starts_with("Texts aren't available"));
    }

    #[test]
    fn values_inside_sentences_are_isolated_and_numbers_read_as_the_language_writes_them() {
        let mut o = state(StatusCode::Backorder, true, 4);
        o.update(Msg::EmailInput("a@example.com".into()));
        o.update(Msg::Submit);
        o.update(Msg::Finished(Done::Ordered { position: Some(12_345) }));
        o.lang = Lang::De;
        let m = show(&o, false);
        assert_eq!(
            m.raw("n"),
            "Danke! Sie sind Nummer \u{2068}12.345\u{2069} in der Warteschlange; die Details kommen per E-Mail."
        );
        let reference = format!("\u{1}{}\u{1}\u{2068}12.345\u{2069}", T::Ordered as u32);
        assert_eq!(m.get("n", "textContent"), Some(reference.as_str()), "texts go as references");
        assert_eq!(
            show(&state(StatusCode::Backorder, true, 4), false).raw("g"),
            "Order \u{2068}<b>Tee</b>\u{2069} now"
        );
        o.lang = Lang::Ar;
        assert_eq!(show(&o, false).get("r", "lang"), Some("ar"));
        let compact = ops(&state(StatusCode::Preorder, false, 4), false, true);
        assert_eq!((compact.text("o"), compact.shown("o")), ("Preorder".into(), true));
    }

    #[test]
    fn the_outcome_takes_focus_and_a_cart_refusal_is_said() {
        let mut s = state(StatusCode::Backorder, true, 4);
        s.update(Msg::EmailInput("a@example.com".into()));
        s.update(Msg::Submit);
        s.update(Msg::Refused(Failure::Cart));
        assert!(show(&s, false).text("er").starts_with("We couldn't add it"));
        s.update(Msg::Submit);
        s.update(Msg::Finished(Done::HandedToCart));
        assert_eq!(show(&s, true).focus(), ["n"], "focus moves to the result");
        assert!(show(&s, false).focus().is_empty());
        let mut o = state(StatusCode::Backorder, true, 4);
        o.update(Msg::EmailInput("a@example.com".into()));
        o.update(Msg::Submit);
        o.update(Msg::Finished(Done::Ordered { position: Some(12) }));
        assert_eq!(show(&o, false).text("n"), "Thank you! You're number 12 in line; we've emailed you the details.");
    }

    #[test]
    fn compact_tiles_have_one_button_and_a_dialog() {
        let s = state(StatusCode::OutOfStock, true, 0);
        let m = ops(&s, false, true);
        assert_eq!((m.text("o"), m.shown("o")), ("Notify me".into(), true));
        assert_eq!(m.text("x"), "Close");
        assert_eq!(show(&s, false).get("o", "textContent"), None, "no dialog button inline");
        assert!(ops(&State::new(), false, true).get("dl", "close").is_some(), "a widget without an answer shuts it");
        assert!(!ops(&state(StatusCode::InStock, false, 0), false, true).shown("o"), "nothing to do");
    }

    #[test]
    fn no_value_can_break_the_encoding() {
        let mut s = state(StatusCode::OutOfStock, true, 0);
        if let Some(i) = &mut s.item {
            i.name = "a\u{1e}b\u{1f}c\u{1}d".into();
        }
        assert_eq!(show(&s, false).raw("g"), "Get an email when \u{2068}a\u{fffd}b\u{fffd}c\u{fffd}d\u{2069} is back");
    }

    #[test]
    fn every_element_painted_or_directed_is_in_the_template() {
        let has = |html: &str, id: &str| html.contains(&format!("id={id} ")) || html.contains(&format!("id={id}>"));
        for compact in [false, true] {
            let html = template(compact);
            let mut s = state_with(StatusCode::Backorder, true, 4, true);
            s.update(Msg::Submit);
            for ((id, _), _) in ops(&s, true, compact).0 {
                assert!(has(&html, &id), "#{id} {compact}");
            }
        }
        for id in ["m", "k", "p", "j", "q", "w", "f", "sw"] {
            assert!(input(id, "1".into()).is_some(), "{id}");
            assert!(has(&template(false), id), "#{id} is in the template");
        }
        for id in TEXTS {
            assert!(has(&template(true), id), "#{id} takes the language's direction");
        }
        // The loader paints these from the Worker's words.
        for id in ["r", "s", "l", "t", "v", "al", "ah", "au"] {
            assert!(has(&template(false), id), "#{id}");
        }
        assert_eq!(input("x", String::new()), None, "the dialog's buttons are mechanics");
        assert!(template(true).contains("<dialog id=dl"));
        assert!(!template(false).contains("dialog"));
    }
}
