//! The Restock storefront widget, compiled to wasm and loaded by `widget.js`.
//!
//! `widget.js` (a small esbuild bundle around the wasm-bindgen glue, see `js/boot.js`)
//! reads the script tag's `data-shop`, calls [`start`], and defines the
//! `<restock-availability>` element. Each mount point gets a Shadow DOM whose content
//! is rendered from a [`state::State`]; availability comes from one batched request.

pub mod api;
pub mod decode;
pub mod i18n;
pub mod state;
pub mod view;

use std::cell::RefCell;

use restock_shared::{Lang, Sku};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::api::FetchError;
use crate::state::{Msg, State};
use crate::view::View;

struct Mounted {
    host: Element,
    view: View,
    state: State,
}

struct App {
    shop: String,
    api: String,
    lang: Lang,
    widgets: Vec<Mounted>,
}

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Starts the widget for `shop`, talking to the API at `api` (an origin, no trailing
/// slash). `lang` is the page's language tag (or empty).
#[wasm_bindgen]
pub fn start(shop: String, api: String, lang: String) {
    let lang = if lang.is_empty() { Lang::En } else { Lang::from_tag(&lang) };
    let _ = APP.try_with(|app| *app.borrow_mut() = Some(App { shop, api, lang, widgets: Vec::new() }));
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(nodes) = doc.query_selector_all("[data-restock-sku]") {
        for i in 0..nodes.length() {
            if let Some(el) = nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                mount_element(&doc, el);
            }
        }
    }
    refresh();
}

fn mount_element(doc: &web_sys::Document, host: Element) {
    let sku = host.get_attribute("data-restock-sku").or_else(|| host.get_attribute("sku")).unwrap_or_default();
    let _ = APP.try_with(|app| {
        let mut app = app.borrow_mut();
        let Some(app) = app.as_mut() else { return };
        if app.widgets.iter().any(|w| w.host == host) {
            return;
        }
        let Ok(view) = View::attach(doc, &host) else {
            return;
        };
        let state = State::new(sku, app.lang);
        view.render(&state);
        app.widgets.push(Mounted { host, view, state });
    });
}

/// Fetches availability for every mounted widget in one request and renders it.
fn refresh() {
    let Some((shop, api, skus)) = APP
        .try_with(|app| {
            let app = app.borrow();
            let app = app.as_ref()?;
            let mut skus: Vec<String> = Vec::new();
            for w in &app.widgets {
                if Sku::parse(&w.state.sku).is_ok() && !skus.contains(&w.state.sku) {
                    skus.push(w.state.sku.clone());
                }
            }
            Some((app.shop.clone(), app.api.clone(), skus))
        })
        .ok()
        .flatten()
    else {
        return;
    };
    if skus.is_empty() {
        dispatch_all(|_| Msg::NotFound);
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match api::fetch_batch(&api, &shop, &skus).await {
            Ok((_settings, items)) => dispatch_all(|state| match items.iter().find(|v| v.sku == state.sku) {
                Some(v) => Msg::Loaded(v.clone()),
                None => Msg::NotFound,
            }),
            Err(FetchError::NotFound) => dispatch_all(|_| Msg::NotFound),
            Err(FetchError::Unavailable) => dispatch_all(|_| Msg::Failed),
        }
    });
}

fn dispatch_all(msg_for: impl Fn(&State) -> Msg) {
    let _ = APP.try_with(|app| {
        if let Some(app) = app.borrow_mut().as_mut() {
            for w in &mut app.widgets {
                let msg = msg_for(&w.state);
                w.state.update(msg);
                w.view.render(&w.state);
            }
        }
    });
}
