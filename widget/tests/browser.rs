//! The widget's form in a real browser (headless Chromium through
//! wasm-bindgen-test-runner): `dom.js` applying the view's operations to a shadow root
//! built from the view's markup (texts from a language pack, values as text), input
//! forwarding by element id, focus and errors, the SMS fields, compact mode's dialog,
//! and the backorder event. (The status block is the loader's, painted from the
//! Worker's words: the end-to-end suites test it in a page.)

use std::cell::RefCell;
use std::rc::Rc;

use restock_shared::Lang;
use restock_shared::wire::StatusCode;
use restock_widget::state::{Item, Msg, Settings, State};
use restock_widget::{dom, i18n, view};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, ShadowRoot, ShadowRootInit, ShadowRootMode};

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
/// (built from `i18n`), and entry points that record what they are given.
fn hooks() {
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
        seen.borrow_mut().push((id, el, value));
    });
    set(&on, "input", input.as_ref());
    input.forget();
    let answers = ANSWERS.with(Rc::clone);
    let answer = Closure::<dyn FnMut(u32, u16, String)>::new(move |id: u32, status: u16, _: String| {
        answers.borrow_mut().push((id, status));
    });
    set(&on, "answer", answer.as_ref());
    answer.forget();
}

/// A new element with a shadow root holding the view's markup (as the loader builds
/// it), numbered and wired for `dom.js`.
fn host(compact: bool) -> (u32, Element) {
    hooks();
    let el = doc().create_element("div").expect("div");
    doc().body().expect("body").append_child(&el).expect("append");
    let root = el.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open)).expect("a shadow root");
    root.set_inner_html(&view::template(compact));
    let id = NEXT.with(|n| {
        let id = *n.borrow();
        *n.borrow_mut() += 1;
        id
    });
    // The loader shows the root once an answer says there is a product.
    root.get_element_by_id("r").expect("#r").remove_attribute("hidden").expect("shown");
    dom::wire(id, root.as_ref());
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
    dom::paint(id, &view::paint(state, focus, compact));
    sleep(5).await;
}

fn shadow(host: &Element) -> ShadowRoot {
    host.shadow_root().expect("an open shadow root")
}

fn by_id(host: &Element, id: &str) -> Element {
    shadow(host).get_element_by_id(id).unwrap_or_else(|| panic!("#{id}"))
}

fn visible(host: &Element, id: &str) -> bool {
    let mut e = Some(by_id(host, id));
    while let Some(el) = e {
        if el.has_attribute("hidden") {
            return false;
        }
        e = el.parent_element();
    }
    true
}

fn text(host: &Element, id: &str) -> String {
    by_id(host, id).text_content().unwrap_or_default()
}

fn loaded(status: StatusCode, name: &str, waitlist: bool, max: u32, sms: Option<&str>) -> State {
    let mut s = State::new();
    let item = Item { sku: "A".into(), name: name.into(), status, waitlist, max_quantity: max };
    let settings = Settings {
        consent_text: "I agree <b>really</b>".into(),
        sms_consent_text: sms.map(Into::into),
        event_mode: false,
    };
    s.update(Msg::Loaded(Some((item, settings)), Lang::En));
    s
}

#[wasm_bindgen_test]
async fn names_and_consent_texts_are_text_never_markup() {
    let (id, h) = host(false);
    let name = "<img src=x onerror=\"window.pwned=1\">Tee";
    paint(id, &loaded(StatusCode::OutOfStock, name, true, 0, None), false, false).await;
    assert!(visible(&h, "f"));
    assert_eq!(by_id(&h, "r").get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(text(&h, "g"), format!("Get an email when \u{2068}{name}\u{2069} is back"), "from the pack");
    assert_eq!(text(&h, "kl"), "I agree <b>really</b>");
    assert_eq!(text(&h, "b"), "Notify me");
    assert!(!visible(&h, "pr") && !visible(&h, "jr"), "no phone field: the shop does not text");
    assert!(shadow(&h).query_selector("img, b").expect("query").is_none(), "no element was created from data");
}

#[wasm_bindgen_test]
async fn a_shop_that_texts_gets_a_phone_field_with_its_own_consent_box() {
    let (id, h) = host(false);
    let sms = "Text me once. Reply STOP to opt out. <i>really</i>";
    paint(id, &loaded(StatusCode::OutOfStock, "Tee", true, 0, Some(sms)), false, false).await;
    assert!(visible(&h, "pr") && visible(&h, "jr"));
    assert_eq!(text(&h, "pl"), "Mobile number for a text too (optional)");
    assert_eq!(text(&h, "jl"), sms, "the shop's text exactly, as text");
    let mut s = loaded(StatusCode::OutOfStock, "Tee", true, 0, Some(sms));
    for msg in [Msg::EmailInput("ada@example.com".into()), Msg::ConsentInput(true), Msg::PhoneInput("0770".into())] {
        s.update(msg);
    }
    s.update(Msg::Submit);
    paint(id, &s, true, false).await;
    assert!(visible(&h, "pe"));
    assert!(text(&h, "pe").contains("country code"), "{}", text(&h, "pe"));
    assert_eq!(by_id(&h, "p").get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(shadow(&h).active_element().map(|e| e.id()).as_deref(), Some("p"));
}

#[wasm_bindgen_test]
async fn inputs_and_submit_are_forwarded_with_the_widget_id() {
    let (id, h) = host(false);
    paint(id, &loaded(StatusCode::OutOfStock, "Tee", true, 0, None), false, false).await;
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
            field("p", ""),
            field("j", ""),
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
    let mut s = loaded(StatusCode::OutOfStock, "Tee", true, 0, None);
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
    dom::fire(id, "JKT-M", 2);
    doc()
        .remove_event_listener_with_callback("restock:backorder", listener.as_ref().unchecked_ref())
        .expect("unlisten");
    let detail = got.borrow().clone();
    let sku = js_sys::Reflect::get(&detail, &"sku".into()).expect("sku").as_string();
    let qty = js_sys::Reflect::get(&detail, &"quantity".into()).expect("qty").as_f64();
    assert_eq!((sku.as_deref(), qty), (Some("JKT-M"), Some(2.0)));
    assert!(ANSWERS.with(|a| a.borrow().is_empty()), "the answer comes later, never during the dispatch");
    sleep(30).await;
    assert_eq!(ANSWERS.with(|a| a.borrow().clone()), vec![(id, 0)], "nobody took it: the cart did not get it");
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
    dom::fire(id, "JKT-M", 1);
    sleep(30).await;
    assert_eq!(ANSWERS.with(|a| a.borrow().clone()), vec![(id, 200)]);
}

#[wasm_bindgen_test]
async fn compact_mode_puts_the_form_in_a_dialog() {
    let (id, h) = host(true);
    paint(id, &loaded(StatusCode::OutOfStock, "Tee", true, 0, None), false, true).await;
    assert_eq!(by_id(&h, "f").parent_element().map(|p| p.tag_name()).as_deref(), Some("DIALOG"));
    assert!(visible(&h, "o"), "one button opens it");
    assert_eq!(text(&h, "o"), "Notify me");
    assert_eq!(text(&h, "x"), "Close");
    // (Opening it is tested in a page, themes.rs: a modal here would make the other
    // tests' fields, which run alongside, inert.)
    assert!(!by_id(&h, "dl").has_attribute("open"), "closed until the button is pressed");
}
