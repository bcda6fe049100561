//! The widget's components in a real browser (headless Chromium through
//! wasm-bindgen-test-runner): the DOM `dom.js` builds and paints from the view's
//! operations (texts from a language pack), input forwarding, the backorder event, and
//! a calm failure when the API is unreachable.

use std::cell::RefCell;
use std::rc::Rc;

use restock_shared::wire::{AvailabilityView, BackorderMode, StatusCode, WidgetSettings};
use restock_shared::{Date, Lang};
use restock_widget::state::{Msg, State};
use restock_widget::{FIELD, dom, i18n, view};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

type Seen = Rc<RefCell<Vec<(u32, String, String)>>>;
type Answers = Rc<RefCell<Vec<(u32, u16)>>>;

thread_local! {
    static NEXT: RefCell<u32> = const { RefCell::new(100) };
    static SEEN: Seen = Rc::new(RefCell::new(Vec::new()));
    static ANSWERS: Answers = Rc::new(RefCell::new(Vec::new()));
}

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    js_sys::Reflect::set(obj, &key.into(), value).expect("set");
}

/// What `boot.js` does in a page: `dom.js` gets the wasm's memory, the language packs
/// (built from `i18n`), and entry points that record what they are given (or, with
/// `app`, reach the widget's own functions).
fn wire(app: bool) {
    let on = dom::hooks();
    set(&on, "memory", &wasm_bindgen::memory());
    let pack = Closure::<dyn FnMut(String) -> js_sys::Promise>::new(|tag: String| {
        let lang = Lang::from_exact_tag(&tag).unwrap_or(Lang::En);
        js_sys::Promise::resolve(&JsValue::from_str(&i18n::pack(lang)))
    });
    set(&on, "pack", pack.as_ref());
    pack.forget();
    let seen = SEEN.with(Rc::clone);
    let input = Closure::<dyn FnMut(u32, String, String)>::new(move |id: u32, el: String, value: String| {
        if app {
            restock_widget::input(id, &el, value);
        } else {
            seen.borrow_mut().push((id, el, value));
        }
    });
    set(&on, "input", input.as_ref());
    input.forget();
    let answers = ANSWERS.with(Rc::clone);
    let answer = Closure::<dyn FnMut(u32, u16, String)>::new(move |token: u32, status: u16, text: String| {
        if app {
            restock_widget::answer(token, u32::from(status), &text);
        } else {
            answers.borrow_mut().push((token, status));
        }
    });
    set(&on, "answer", answer.as_ref());
    answer.forget();
    let tick = Closure::<dyn FnMut(u32)>::new(restock_widget::tick);
    set(&on, "tick", tick.as_ref());
    tick.forget();
    let texts = Closure::<dyn FnMut()>::new(restock_widget::texts_failed);
    set(&on, "texts", texts.as_ref());
    texts.forget();
}

/// A new element, numbered for `dom.js`, and built (inline or compact).
fn host(compact: bool) -> (u32, Element) {
    wire(false);
    let el = doc().create_element("div").expect("div");
    doc().body().expect("body").append_child(&el).expect("append");
    let id = NEXT.with(|n| {
        let id = *n.borrow();
        *n.borrow_mut() += 1;
        id
    });
    dom::adopt(id, &el);
    let fields = [view::template(compact), FIELD.to_string(), "en".into(), FIELD.to_string(), view::STYLE.into()];
    assert!(dom::build(id, &fields.concat()), "a shadow root");
    (id, el)
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().expect("window").set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Paints `state` on widget `id` and lets the language pack's promise settle.
async fn paint(id: u32, state: &State, focus: bool, compact: bool) {
    dom::paint(id, &view::paint(state, focus, compact, false));
    sleep(5).await;
}

fn shadow(host: &Element) -> ShadowRoot {
    host.shadow_root().expect("an open shadow root")
}

fn by_id(host: &Element, id: &str) -> Element {
    shadow(host).get_element_by_id(id).unwrap_or_else(|| panic!("#{id}"))
}

fn visible(host: &Element, id: &str) -> bool {
    !by_id(host, id).has_attribute("hidden")
}

fn text(host: &Element, id: &str) -> String {
    by_id(host, id).text_content().unwrap_or_default()
}

fn loaded(status: StatusCode, name: &str, waitlist: bool, max: u32) -> State {
    let mut s = State::new("A".into(), Lang::En);
    let v = AvailabilityView {
        sku: "A".into(),
        name: name.into(),
        status,
        left: Some(2),
        release_date: Date::from_ymd(2027, 1, 16).ok().filter(|_| status == StatusCode::Preorder),
        eta: None,
        waitlist,
        max_quantity: max,
    };
    let settings = WidgetSettings {
        consent_text: "I agree <b>really</b>".into(),
        double_opt_in: false,
        backorder_mode: BackorderMode::Api,
        sms_consent_text: None,
    };
    s.update(Msg::Loaded(v, settings));
    s
}

#[wasm_bindgen_test]
async fn paints_status_in_a_live_region_and_keeps_the_host_page_clean() {
    let (id, h) = host(false);
    paint(id, &State::new("A".into(), Lang::En), false, false).await;
    assert_eq!(text(&h, "l"), "Checking stock…");
    assert_eq!(by_id(&h, "s").get_attribute("role").as_deref(), Some("status"));
    paint(id, &loaded(StatusCode::LowStock, "Tee", false, 0), false, false).await;
    assert_eq!(text(&h, "l"), "Only \u{2068}2\u{2069} left", "the number between isolates, from the pack");
    assert_eq!(by_id(&h, "s").class_name(), "s low");
    paint(id, &loaded(StatusCode::Preorder, "Tee", false, 3), false, false).await;
    assert_eq!(text(&h, "l"), "Preorder: out \u{2068}Jan 16, 2027\u{2069}", "the date in the locale's words (Intl)");
    assert_eq!(h.child_element_count(), 0, "everything lives in the shadow root");
}

#[wasm_bindgen_test]
async fn names_and_consent_texts_are_text_never_markup() {
    let (id, h) = host(false);
    let name = "<img src=x onerror=\"window.pwned=1\">Tee";
    paint(id, &loaded(StatusCode::OutOfStock, name, true, 0), false, false).await;
    assert!(visible(&h, "f"));
    assert_eq!(text(&h, "g"), format!("Get an email when \u{2068}{name}\u{2069} is back"));
    assert_eq!(text(&h, "kl"), "I agree <b>really</b>");
    assert!(shadow(&h).query_selector("img, b").expect("query").is_none(), "no element was created from data");
}

#[wasm_bindgen_test]
async fn inputs_and_submit_are_forwarded_with_the_widget_id() {
    let (id, h) = host(false);
    paint(id, &loaded(StatusCode::OutOfStock, "Tee", true, 0), false, false).await;
    SEEN.with(|s| s.borrow_mut().clear());
    let email: web_sys::HtmlInputElement = by_id(&h, "m").dyn_into().expect("input");
    email.set_value("ada@example.com");
    // As typing does: an input event that bubbles (the shadow root listens for them all).
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let typed = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
    email.dispatch_event(&typed).expect("dispatch");
    let consent: web_sys::HtmlInputElement = by_id(&h, "k").dyn_into().expect("checkbox");
    consent.click();
    let form: web_sys::HtmlFormElement = by_id(&h, "f").dyn_into().expect("form");
    form.request_submit().expect("submit");
    let seen = SEEN.with(|s| s.borrow().clone());
    let field = |el: &str, v: &str| (id, el.to_owned(), v.to_owned());
    assert_eq!(
        seen,
        vec![
            field("m", "ada@example.com"),
            field("k", "1"),
            // A submit sends every field as it is, then itself.
            field("q", "1"),
            field("m", "ada@example.com"),
            field("k", "1"),
            field("w", ""),
            field("f", ""),
        ]
    );
    for (_, el, _) in &seen {
        assert!(view::input(el, String::new()).is_some(), "{el} means something to the state");
    }
}

#[wasm_bindgen_test]
async fn an_invalid_field_is_announced_and_focused() {
    let (id, h) = host(false);
    let mut s = loaded(StatusCode::OutOfStock, "Tee", true, 0);
    s.update(Msg::EmailInput("nope".into()));
    s.update(Msg::Submit);
    paint(id, &s, true, false).await;
    assert!(visible(&h, "me"));
    assert_eq!(by_id(&h, "m").get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(by_id(&h, "m").get_attribute("aria-describedby").as_deref(), Some("me"));
    let active = shadow(&h).active_element().map(|e| e.id());
    assert_eq!(active.as_deref(), Some("m"));
}

#[wasm_bindgen_test]
async fn the_backorder_event_leaves_the_shadow_root() {
    let (id, _h) = host(false);
    let got = Rc::new(RefCell::new(JsValue::NULL));
    let sink = got.clone();
    let listener =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| *sink.borrow_mut() = e.detail());
    doc().add_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref()).expect("listen");
    ANSWERS.with(|a| a.borrow_mut().clear());
    dom::fire(id, "JKT-M", 2, 9);
    doc()
        .remove_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref())
        .expect("unlisten");
    let detail = got.borrow().clone();
    let sku = js_sys::Reflect::get(&detail, &"sku".into()).expect("sku").as_string();
    let qty = js_sys::Reflect::get(&detail, &"quantity".into()).expect("qty").as_f64();
    assert_eq!((sku.as_deref(), qty), (Some("JKT-M"), Some(2.0)));
    assert!(ANSWERS.with(|a| a.borrow().is_empty()), "the answer comes later, never during the dispatch");
    sleep(30).await;
    assert_eq!(ANSWERS.with(|a| a.borrow().clone()), vec![(9, 0)], "nobody took it: the cart did not get it");
}

#[wasm_bindgen_test]
async fn a_handler_that_confirms_takes_the_backorder() {
    let (id, h) = host(false);
    let listener = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
        let respond = js_sys::Reflect::get(&e.detail(), &"respondWith".into()).expect("respondWith");
        let respond: js_sys::Function = respond.dyn_into().expect("a function");
        let _ = respond.call1(&JsValue::NULL, &js_sys::Promise::resolve(&JsValue::TRUE));
    });
    h.add_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref()).expect("listen");
    ANSWERS.with(|a| a.borrow_mut().clear());
    dom::fire(id, "JKT-M", 1, 4);
    sleep(30).await;
    assert_eq!(ANSWERS.with(|a| a.borrow().clone()), vec![(4, 200)]);
}

#[wasm_bindgen_test]
async fn compact_mode_puts_the_form_in_a_dialog_and_styles_need_no_style_element() {
    let (id, h) = host(true);
    paint(id, &loaded(StatusCode::OutOfStock, "Tee", true, 0), false, true).await;
    assert_eq!(by_id(&h, "f").parent_element().map(|p| p.tag_name()).as_deref(), Some("DIALOG"));
    assert!(visible(&h, "o"), "one button opens it");
    assert_eq!(text(&h, "o"), "Notify me");
    assert_eq!(text(&h, "x"), "Close");
    assert_eq!(shadow(&h).query_selector("style").ok().flatten(), None, "a constructed stylesheet, no <style>");
}

#[wasm_bindgen_test]
async fn an_unreachable_api_leaves_nothing_broken() {
    // Port 9 (discard) refuses connections: the request fails fast.
    restock_widget::start("demo".into(), "http://127.0.0.1:9".into(), "en".into());
    wire(true);
    let h = doc().create_element("div").expect("div");
    doc().body().expect("body").append_child(&h).expect("append");
    dom::adopt(7, &h);
    restock_widget::mount(7, "TEE-1".into(), "", "");
    // Painted as it mounts, before its request leaves (port 9 refuses at once, so a
    // sleep here could already see the outcome).
    assert!(visible(&h, "r"), "shows it is checking");
    for _ in 0..100 {
        if !visible(&h, "r") {
            break;
        }
        sleep(50).await;
    }
    assert!(!visible(&h, "r"), "hidden, not broken, once the API fails");
    wire(false);
}
