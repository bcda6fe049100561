//! The widget's components in a real browser (headless Chromium through
//! wasm-bindgen-test-runner): the DOM the view model paints, input forwarding, the
//! backorder event, and a calm failure when the API is unreachable.

use std::cell::RefCell;
use std::rc::Rc;

use restock_shared::wire::{AvailabilityView, BackorderMode, StatusCode, WidgetSettings};
use restock_shared::{Date, Lang};
use restock_widget::dom::{self, OnInput};
use restock_widget::state::{Msg, State};
use restock_widget::view;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

fn host() -> Element {
    let el = doc().create_element("div").expect("div");
    doc().body().expect("body").append_child(&el).expect("append");
    el
}

type Seen = Rc<RefCell<Vec<(u32, u32, String)>>>;

fn build(host: &Element) -> (JsValue, OnInput, Seen) {
    let seen: Seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let on = Closure::new(move |id: u32, kind: u32, value: String| log.borrow_mut().push((id, kind, value)));
    let root = dom::build(host, view::STYLE, view::TEMPLATE, 7, false, &on).expect("build");
    (root, on, seen)
}

fn iso(d: Date) -> String {
    d.to_iso()
}

fn digits(n: u32) -> String {
    n.to_string()
}

const ISO: view::Format = view::Format { date: &iso, number: &digits };

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
        release_date: None,
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

fn paint(root: &JsValue, state: &State) {
    dom::paint(root, &view::model(state, &ISO, false)).expect("paint");
}

#[wasm_bindgen_test]
fn paints_status_in_a_live_region_and_keeps_the_host_page_clean() {
    let h = host();
    let (root, _on, _) = build(&h);
    paint(&root, &State::new("A".into(), Lang::En));
    assert_eq!(text(&h, "l"), "Checking stock…");
    assert_eq!(by_id(&h, "s").get_attribute("role").as_deref(), Some("status"));
    paint(&root, &loaded(StatusCode::LowStock, "Tee", false, 0));
    assert_eq!(text(&h, "l"), "Only \u{2068}2\u{2069} left", "the number between isolates");
    assert_eq!(h.child_element_count(), 0, "everything lives in the shadow root");
}

#[wasm_bindgen_test]
fn names_and_consent_texts_are_text_never_markup() {
    let h = host();
    let (root, _on, _) = build(&h);
    let name = "<img src=x onerror=\"window.pwned=1\">Tee";
    paint(&root, &loaded(StatusCode::OutOfStock, name, true, 0));
    assert!(visible(&h, "f"));
    assert_eq!(text(&h, "g"), format!("Get an email when \u{2068}{name}\u{2069} is back"));
    assert_eq!(text(&h, "kl"), "I agree <b>really</b>");
    assert!(shadow(&h).query_selector("img, b").expect("query").is_none(), "no element was created from data");
}

#[wasm_bindgen_test]
fn inputs_and_submit_are_forwarded_with_the_widget_id() {
    let h = host();
    let (root, _on, seen) = build(&h);
    paint(&root, &loaded(StatusCode::OutOfStock, "Tee", true, 0));
    let email: web_sys::HtmlInputElement = by_id(&h, "m").dyn_into().expect("input");
    email.set_value("ada@example.com");
    email.dispatch_event(&web_sys::Event::new("input").expect("event")).expect("dispatch");
    let consent: web_sys::HtmlInputElement = by_id(&h, "k").dyn_into().expect("checkbox");
    consent.click();
    let form: web_sys::HtmlFormElement = by_id(&h, "f").dyn_into().expect("form");
    form.request_submit().expect("submit");
    let seen = seen.borrow().clone();
    assert_eq!(
        seen,
        vec![
            (7, dom::EMAIL_INPUT, "ada@example.com".into()),
            (7, dom::CONSENT_INPUT, "1".into()),
            (7, dom::SUBMIT, String::new())
        ]
    );
}

#[wasm_bindgen_test]
fn an_invalid_field_is_announced_and_focused() {
    let h = host();
    let (root, _on, _) = build(&h);
    let mut s = loaded(StatusCode::OutOfStock, "Tee", true, 0);
    s.update(Msg::EmailInput("nope".into()));
    s.update(Msg::Submit);
    dom::paint(&root, &view::model(&s, &ISO, true)).expect("paint");
    assert!(visible(&h, "me"));
    assert_eq!(by_id(&h, "m").get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(by_id(&h, "m").get_attribute("aria-describedby").as_deref(), Some("me"));
    let active = shadow(&h).active_element().map(|e| e.id());
    assert_eq!(active.as_deref(), Some("m"));
}

#[wasm_bindgen_test]
async fn the_backorder_event_leaves_the_shadow_root() {
    let h = host();
    build(&h);
    let got = Rc::new(RefCell::new(JsValue::NULL));
    let sink = got.clone();
    let listener =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| *sink.borrow_mut() = e.detail());
    doc().add_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref()).expect("listen");
    let answers = Rc::new(RefCell::new(Vec::new()));
    let log = answers.clone();
    let done = Closure::<dyn FnMut(u32, u16, JsValue)>::new(move |t: u32, status: u16, _: JsValue| {
        log.borrow_mut().push((t, status))
    });
    dom::fire(&h, "JKT-M", 2, 9, done.as_ref()).expect("fire");
    doc()
        .remove_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref())
        .expect("unlisten");
    let detail = got.borrow().clone();
    let sku = js_sys::Reflect::get(&detail, &"sku".into()).expect("sku").as_string();
    let qty = js_sys::Reflect::get(&detail, &"quantity".into()).expect("qty").as_f64();
    assert_eq!((sku.as_deref(), qty), (Some("JKT-M"), Some(2.0)));
    assert!(answers.borrow().is_empty(), "the answer comes later, never during the dispatch");
    sleep(30).await;
    assert_eq!(*answers.borrow(), vec![(9, 0)], "nobody took it: the cart did not get it");
}

#[wasm_bindgen_test]
async fn a_handler_that_confirms_takes_the_backorder() {
    let h = host();
    build(&h);
    let listener = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
        let respond = js_sys::Reflect::get(&e.detail(), &"respondWith".into()).expect("respondWith");
        let respond: js_sys::Function = respond.dyn_into().expect("a function");
        let _ = respond.call1(&JsValue::NULL, &js_sys::Promise::resolve(&JsValue::TRUE));
    });
    h.add_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref()).expect("listen");
    let answers = Rc::new(RefCell::new(Vec::new()));
    let log = answers.clone();
    let done = Closure::<dyn FnMut(u32, u16, JsValue)>::new(move |t: u32, status: u16, _: JsValue| {
        log.borrow_mut().push((t, status))
    });
    dom::fire(&h, "JKT-M", 1, 4, done.as_ref()).expect("fire");
    sleep(30).await;
    assert_eq!(*answers.borrow(), vec![(4, 200)]);
}

#[wasm_bindgen_test]
fn compact_mode_puts_the_form_in_a_dialog_and_styles_need_no_style_element() {
    let h = host();
    let on = Closure::new(move |_: u32, _: u32, _: String| {});
    let root = dom::build(&h, view::STYLE, view::TEMPLATE, 3, true, &on).expect("build");
    let s = loaded(StatusCode::OutOfStock, "Tee", true, 0);
    dom::paint(&root, &view::model(&s, &ISO, false)).expect("paint");
    assert_eq!(by_id(&h, "f").parent_element().map(|p| p.tag_name()).as_deref(), Some("DIALOG"));
    assert!(visible(&h, "o"), "one button opens it");
    assert_eq!(text(&h, "o"), "Notify me");
    assert_eq!(shadow(&h).query_selector("style").ok().flatten(), None, "a constructed stylesheet, no <style>");
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().expect("window").set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

#[wasm_bindgen_test]
async fn an_unreachable_api_leaves_nothing_broken() {
    // Port 9 (discard) refuses connections: the request fails fast.
    restock_widget::start("demo".into(), "http://127.0.0.1:9".into(), "en".into());
    let h = host();
    h.set_attribute("data-restock-sku", "TEE-1").expect("attr");
    restock_widget::mount(h.clone());
    assert!(visible(&h, "r"), "shows it is checking");
    for _ in 0..100 {
        if !visible(&h, "r") {
            break;
        }
        sleep(50).await;
    }
    assert!(!visible(&h, "r"), "hidden, not broken, once the API fails");
}
