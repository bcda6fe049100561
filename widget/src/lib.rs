//! The Restock storefront widget, compiled to wasm and loaded by `widget.js`.
//!
//! `widget.js` (esbuild bundle of `js/boot.js` and the wasm-bindgen glue) reads the
//! script tag, calls [`start`], defines `<restock-availability>`, watches for mount
//! points added later, follows variant pickers, and exposes `Restock.setSku` /
//! `Restock.refresh`. Each mount point gets a Shadow DOM painted from a
//! [`state::State`] through [`view::model`]; every mount on a page shares one batched
//! availability request. Nothing here throws into the host page: failures become a
//! calm state (hidden until the API answers, errors the shopper can retry).
//!
//! Size shapes the structure (the widget's bytes are a product feature): the DOM work
//! and `fetch` live in a few lines of JavaScript (`dom`), so the wasm holds decisions,
//! not glue; there is no async runtime and no JSON code in it.

pub mod api;
pub mod decode;
pub mod dom;
pub mod i18n;
pub mod state;
pub mod view;

use std::cell::RefCell;

use gloo::timers::callback::Timeout;
use restock_shared::wire::{BackorderRequest, WaitlistRequest};
use restock_shared::{Date, Lang, Sku};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::api::FetchError;
use crate::state::{Effect, Msg, State};

// dlmalloc is 8 KB of the widget's wasm; lol_alloc's free list is under 1 KB and plenty
// for a widget's few, short-lived allocations. (The lock is a no-op spin on wasm.)
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

struct Widget {
    host: Element,
    /// The widget's shadow root (painted by `dom::paint`).
    root: JsValue,
    state: State,
    /// The shopper's locale for dates (`de-CH`), beside `state.lang` for texts.
    locale: String,
    /// The honeypot's value at the last submit (bots fill it in).
    honeypot: String,
    /// The Idempotency-Key of the last order attempt and what it was for, so a retry
    /// after a timeout cannot place the order twice.
    order_key: Option<(String, String)>,
}

/// A request in flight, by token.
enum Pending {
    Batch(Vec<String>),
    Signup(usize),
    Order(usize),
}

struct App {
    shop: String,
    api: String,
    locale: String,
    widgets: Vec<Widget>,
    pending: Vec<(u32, Pending)>,
    next_token: u32,
    fresh: bool,
    refresh: Option<Timeout>,
    retry: Option<Timeout>,
    retry_ms: u32,
    marked: bool,
    /// Every widget's inputs call this; every request answers through `on_answer`.
    /// Both are held here for the page's life (never leaked with `forget`).
    on_input: dom::OnInput,
    on_answer: dom::OnAnswer,
}

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Runs `f` on the app, unless it is not started or already borrowed (a host-page
/// listener calling back into us while we dispatch an event): then does nothing.
fn with_app<R>(f: impl FnOnce(&mut App) -> R) -> Option<R> {
    APP.try_with(|cell| cell.try_borrow_mut().ok().and_then(|mut app| app.as_mut().map(f))).ok().flatten()
}

/// Starts the widget for `shop`, talking to the API at `api` (an origin, no trailing
/// slash). `locale` is the page's language tag (or empty).
#[wasm_bindgen]
pub fn start(shop: String, api: String, locale: String) {
    let locale = if locale.is_empty() { "en".to_owned() } else { locale };
    let _ = APP.try_with(|cell| {
        if let Ok(mut app) = cell.try_borrow_mut() {
            *app = Some(App {
                shop,
                api,
                locale,
                widgets: Vec::new(),
                pending: Vec::new(),
                next_token: 0,
                fresh: false,
                refresh: None,
                retry: None,
                retry_ms: 5000,
                marked: false,
                on_input: Closure::new(on_input),
                on_answer: Closure::new(on_answer),
            });
        }
    });
    let nodes =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector_all("[data-restock-sku]").ok());
    if let Some(nodes) = nodes {
        for i in 0..nodes.length() {
            if let Some(el) = nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                mount(el);
            }
        }
    }
}

/// Mounts a widget on `host` (a `[data-restock-sku]` element or a
/// `<restock-availability sku>`); mounting twice is a no-op.
#[wasm_bindgen]
pub fn mount(host: Element) {
    let sku = host.get_attribute("data-restock-sku").or_else(|| host.get_attribute("sku")).unwrap_or_default();
    let mounted = with_app(|app| {
        if app.widgets.iter().any(|w| w.host == host) {
            return false;
        }
        let id = app.widgets.len();
        let Ok(root) = dom::build(&host, view::STYLE, view::TEMPLATE, id as u32, &app.on_input) else { return false };
        let locale = host
            .get_attribute("lang")
            .or_else(|| host.get_attribute("data-lang"))
            .unwrap_or_else(|| app.locale.clone());
        let state = State::new(sku, Lang::from_tag(&locale));
        let w = Widget { host, root, state, locale, honeypot: String::new(), order_key: None };
        render(&w, false);
        app.widgets.push(w);
        true
    });
    if mounted == Some(true) {
        schedule_refresh(false);
    }
}

/// Switches a mounted widget to another SKU (a variant) without a reload.
#[wasm_bindgen(js_name = setSku)]
pub fn set_sku(host: Element, sku: String) {
    match with_app(|app| app.widgets.iter().position(|w| w.host == host)).flatten() {
        Some(id) => {
            send(id, Msg::SkuChanged(sku));
            schedule_refresh(false);
        }
        None => mount(host),
    }
}

/// Fetches every widget's availability again, skipping caches.
#[wasm_bindgen]
pub fn refresh() {
    schedule_refresh(true);
}

/// What the shopper did in widget `id` (forwarded by `dom::build`'s listeners).
fn on_input(id: u32, kind: u32, value: String) {
    let id = id as usize;
    let msg = match kind {
        dom::EMAIL_INPUT => Msg::EmailInput(value),
        dom::CONSENT_INPUT => Msg::ConsentInput(!value.is_empty()),
        dom::QUANTITY_INPUT => Msg::QuantityInput(value),
        dom::SUBMIT => {
            with_app(|app| app.widgets.get_mut(id).map(|w| w.honeypot = value));
            Msg::Submit
        }
        dom::TOGGLE => Msg::TogglePreferWaitlist,
        _ => return,
    };
    send(id, msg);
}

fn format_date(locale: &str, date: Date) -> String {
    let (y, m, d) = date.ymd();
    let locales = js_sys::Array::of1(&JsValue::from_str(locale));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &"UTC".into());
    let ms = js_sys::Date::utc(f64::from(y), f64::from(m) - 1.0) + (f64::from(d) - 1.0) * 86_400_000.0;
    let format = js_sys::Intl::DateTimeFormat::new(&locales, &options).format();
    format
        .call1(&JsValue::NULL, &js_sys::Date::new(&JsValue::from_f64(ms)))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| date.to_iso())
}

fn render(w: &Widget, focus: bool) {
    let locale = w.locale.clone();
    let packed = view::model(&w.state, &move |d| format_date(&locale, d), focus);
    let _ = dom::paint(&w.root, &packed);
}

/// Sends a request whose answer comes back to `on_answer` with a fresh token.
fn request(app: &mut App, url: &str, body: &JsValue, key: &str, pending: Pending) {
    let token = app.next_token;
    app.next_token = app.next_token.wrapping_add(1);
    app.pending.push((token, pending));
    if dom::request(url, body, key, token, &app.on_answer).is_err() {
        app.pending.retain(|(t, _)| *t != token);
    }
}

/// Applies a message to widget `id`, re-renders it, and carries out the effect.
fn send(id: usize, msg: Msg) {
    let fired = with_app(|app| {
        let first_status = !app.marked;
        let w = app.widgets.get_mut(id)?;
        let submitting = msg == Msg::Submit;
        let effect = w.state.update(msg);
        render(w, submitting);
        let ready = w.state.view().is_some();
        let lang = Some(w.state.lang.tag().to_owned());
        let host = w.host.clone();
        let mut fire = None;
        let refresh = effect == Effect::Refresh;
        match effect {
            Effect::None | Effect::Refresh => {}
            Effect::Signup { sku, email, consent_text } => {
                let website = Some(w.honeypot.clone()).filter(|h| !h.is_empty());
                let r = WaitlistRequest { sku, email, locale: lang, consent: true, consent_text, website };
                let url = api::signup_url(&app.api, &app.shop);
                request(app, &url, &api::signup_body(&r), "", Pending::Signup(id));
            }
            Effect::Order { sku, quantity, email } => {
                let what = [sku.as_str(), &i18n::digits(quantity), &email].concat();
                let reuse = w.order_key.as_ref().filter(|(for_what, _)| *for_what == what).map(|(_, k)| k.clone());
                let key = reuse.unwrap_or_else(new_key);
                w.order_key = Some((what, key.clone()));
                let r = BackorderRequest { sku, quantity: f64::from(quantity), email, locale: lang };
                let url = api::order_url(&app.api, &app.shop);
                request(app, &url, &api::order_body(&r), &key, Pending::Order(id));
            }
            Effect::Dispatch { sku, quantity } => fire = Some((host, sku, quantity)),
        }
        if first_status && ready {
            app.marked = true;
            mark_first_status();
        }
        Some((fire, refresh))
    })
    .flatten();
    let Some((fire, refresh)) = fired else { return };
    if refresh {
        schedule_refresh(true);
    }
    if let Some((host, sku, quantity)) = fire {
        // The shop's own cart completes the order: `restock:backorder` bubbles out of
        // the widget (and its shadow root). Outside the borrow: its listeners may call us.
        let _ = dom::fire(&host, &sku, quantity);
    }
}

/// A request came back (status 0: no answer).
fn on_answer(token: u32, status: u16, body: JsValue) {
    let Some(pending) = with_app(|app| {
        let i = app.pending.iter().position(|(t, _)| *t == token)?;
        Some(app.pending.swap_remove(i).1)
    })
    .flatten() else {
        return;
    };
    match pending {
        Pending::Signup(id) => send(id, api::signup_answer(status, &body).map_or_else(Msg::Refused, Msg::Finished)),
        Pending::Order(id) => send(id, api::order_answer(status, &body).map_or_else(Msg::Refused, Msg::Finished)),
        Pending::Batch(skus) => {
            let answer = api::batch_answer(status, &body);
            let targets: Vec<(usize, String)> = with_app(|app| {
                app.widgets
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| skus.contains(&w.state.sku))
                    .map(|(i, w)| (i, w.state.sku.clone()))
                    .collect()
            })
            .unwrap_or_default();
            for (id, sku) in targets {
                let msg = match &answer {
                    Ok((settings, items)) => match items.iter().find(|v| v.sku == sku) {
                        Some(v) => Msg::Loaded(v.clone(), settings.clone()),
                        None => Msg::NotFound,
                    },
                    Err(FetchError::NotFound) => Msg::NotFound,
                    Err(FetchError::Unavailable) => Msg::Failed,
                };
                send(id, msg);
            }
            schedule_retry(answer.is_err_and(|e| e == FetchError::Unavailable));
        }
    }
}

fn new_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| i18n::digits((js_sys::Math::random() * 4e9) as u32))
}

/// `performance.mark("restock:first-status")` when the first status is on screen
/// (the benchmark measures from DOMContentLoaded to this mark).
fn mark_first_status() {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("restock:first-status");
    }
}

/// Fetches availability on the next tick, once however many mounts and changes ask.
fn schedule_refresh(fresh: bool) {
    with_app(|app| {
        app.fresh |= fresh;
        if app.refresh.is_none() {
            app.refresh = Some(Timeout::new(0, refresh_now));
        }
    });
}

fn refresh_now() {
    let bad = with_app(|app| {
        app.refresh = None;
        let fresh = std::mem::take(&mut app.fresh);
        let mut skus: Vec<String> = Vec::new();
        let mut bad = Vec::new();
        for (id, w) in app.widgets.iter().enumerate() {
            if Sku::parse(&w.state.sku).is_err() {
                bad.push(id);
            } else if !skus.contains(&w.state.sku) {
                skus.push(w.state.sku.clone());
            }
        }
        for chunk in skus.chunks(50) {
            let url = api::batch_url(&app.api, &app.shop, chunk, fresh);
            request(app, &url, &JsValue::NULL, "", Pending::Batch(chunk.to_vec()));
        }
        bad
    })
    .unwrap_or_default();
    // Mount points whose SKU is not even well-formed: nothing to show.
    for id in bad {
        send(id, Msg::NotFound);
    }
}

/// After a failure, tries again later (5 s, then 3x longer each time, at most 5 min).
fn schedule_retry(failed: bool) {
    with_app(|app| {
        if !failed {
            app.retry = None;
            app.retry_ms = 5000;
            return;
        }
        let delay = app.retry_ms;
        app.retry_ms = (delay * 3).min(300_000);
        app.retry = Some(Timeout::new(delay, || schedule_refresh(false)));
    });
}
