//! The widget's components in a real browser (headless Chromium through
//! wasm-bindgen-test-runner): what the shopper sees for each state.

use restock_shared::Lang;
use restock_shared::wire::{AvailabilityView, StatusCode};
use restock_widget::state::{Msg, State};
use restock_widget::view::View;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

fn host() -> web_sys::Element {
    let d = doc();
    let el = d.create_element("div").expect("div");
    d.body().expect("body").append_child(&el).expect("append");
    el
}

fn view(sku: &str, status: StatusCode, left: Option<u32>) -> AvailabilityView {
    AvailabilityView {
        sku: sku.into(),
        name: "<img src=x onerror=alert(1)>Tee".into(),
        status,
        left,
        release_date: None,
        eta: None,
        waitlist: false,
        max_quantity: 0,
    }
}

fn shadow_status(host: &web_sys::Element) -> (String, bool) {
    let root = host.shadow_root().expect("shadow root");
    let status = root.query_selector("[role=status]").expect("query").expect("status element");
    let container = root.query_selector(".restock").expect("query").expect("container");
    (status.text_content().unwrap_or_default(), container.has_attribute("hidden"))
}

#[wasm_bindgen_test]
fn renders_loading_then_status_in_a_live_region() {
    let host = host();
    let view_ = View::attach(&doc(), &host).expect("attach");
    let mut state = State::new("A".into(), Lang::En);
    view_.render(&state);
    assert_eq!(shadow_status(&host), ("Checking stock…".into(), false));
    state.update(Msg::Loaded(view("A", StatusCode::LowStock, Some(2))));
    view_.render(&state);
    assert_eq!(shadow_status(&host), ("Only 2 left".into(), false));
}

#[wasm_bindgen_test]
fn speaks_the_pages_language() {
    let host = host();
    let v = View::attach(&doc(), &host).expect("attach");
    let mut state = State::new("A".into(), Lang::De);
    state.update(Msg::Loaded(view("A", StatusCode::OutOfStock, None)));
    v.render(&state);
    assert_eq!(shadow_status(&host).0, "Ausverkauft");
}

#[wasm_bindgen_test]
fn renders_nothing_broken_when_the_api_is_down() {
    let host = host();
    let v = View::attach(&doc(), &host).expect("attach");
    let mut state = State::new("A".into(), Lang::En);
    state.update(Msg::Failed);
    v.render(&state);
    assert_eq!(shadow_status(&host), (String::new(), true));
}

#[wasm_bindgen_test]
fn the_host_page_never_sees_widget_markup() {
    let host = host();
    let v = View::attach(&doc(), &host).expect("attach");
    v.render(&State::new("A".into(), Lang::En));
    assert_eq!(host.child_element_count(), 0, "everything lives in the shadow root");
    let html: web_sys::HtmlElement = host.dyn_into().expect("html element");
    assert_eq!(html.inner_text(), "");
}
