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
use crate::state::{Done, Effect, Failure, Load, Msg, State};

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
    /// Availability of these SKUs, in this language (`Lang::tag`).
    Batch(&'static str, Vec<String>),
    Signup(usize),
    Order(usize),
    /// A `restock:backorder` event waiting for the page's cart to say yes or no.
    Cart(usize),
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

impl App {
    /// A fresh token for an answer that will come back through `on_answer`.
    fn take_token(&mut self) -> u32 {
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        token
    }
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
/// slash). `locale` is the page's language tag (or empty). The loader then mounts the
/// page's mount points.
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
        // Collection tiles: a status line and one button that opens the form in a dialog.
        let compact = host.get_attribute("data-restock-mode").is_some_and(|m| m == "compact");
        let Ok(root) = dom::build(&host, view::STYLE, view::TEMPLATE, id as u32, compact, &app.on_input) else {
            return false;
        };
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

/// `date` in the shopper's locale (`Intl.DateTimeFormat`), or ISO if the browser can't.
fn format_date(locale: &str, date: Date) -> String {
    let (y, m, d) = date.ymd();
    dom::format(locale, f64::from(y), f64::from(m), f64::from(d)).unwrap_or_else(|_| date.to_iso())
}

/// `n` in the shopper's locale (`Intl.NumberFormat`: Arabic-Indic digits in Egyptian
/// Arabic, for example).
fn format_number(locale: &str, n: u32) -> String {
    dom::format(locale, f64::from(n), -1.0, 0.0).unwrap_or_else(|_| i18n::digits(n))
}

fn render(w: &Widget, focus: bool) {
    let date = |d| format_date(&w.locale, d);
    let number = |n| format_number(&w.locale, n);
    let packed = view::model(&w.state, &view::Format { date: &date, number: &number }, focus);
    let _ = dom::paint(&w.root, &packed);
}

/// Sends a request whose answer comes back to `on_answer` with a fresh token.
fn request(app: &mut App, url: &str, body: &JsValue, key: &str, pending: Pending) {
    let token = app.take_token();
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
        // Focus follows the shopper's action: to the field at fault, or to the outcome.
        let focus = matches!(msg, Msg::Submit | Msg::Finished(_));
        let effect = w.state.update(msg);
        render(w, focus);
        let ready = w.state.view().is_some();
        let lang = Some(w.state.lang.tag().to_owned());
        let host = w.host.clone();
        let mut fire = None;
        let refresh = effect == Effect::Refresh;
        match effect {
            Effect::None | Effect::Refresh => {}
            Effect::Signup { sku, email, consent_text } => {
                let website = Some(w.honeypot.clone()).filter(|h| !h.is_empty());
                let r = WaitlistRequest {
                    sku,
                    email,
                    locale: lang,
                    consent: true,
                    consent_text,
                    website,
                    phone: None,
                    sms_consent_text: None,
                };
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
            Effect::Dispatch { sku, quantity } => {
                let token = app.take_token();
                app.pending.push((token, Pending::Cart(id)));
                fire = Some((host, sku, quantity, token));
            }
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
    if let Some((host, sku, quantity, token)) = fire {
        // The shop's own cart completes the order: `restock:backorder` bubbles out of
        // the widget (and its shadow root), and its handler answers through
        // `on_answer`. Outside the borrow: its listeners may call us.
        let done = with_app(|app| app.on_answer.as_ref().clone()).unwrap_or(JsValue::NULL);
        if dom::fire(&host, &sku, quantity, token, &done).is_err() {
            on_answer(token, 0, JsValue::NULL);
        }
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
        Pending::Cart(id) => {
            send(id, if status == 200 { Msg::Finished(Done::HandedToCart) } else { Msg::Refused(Failure::Cart) })
        }
        Pending::Batch(lang, skus) => {
            let answer = api::batch_answer(status, &body);
            let targets: Vec<(usize, String)> = with_app(|app| {
                app.widgets
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.state.lang.tag() == lang && skus.contains(&w.state.sku))
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
    // `uuid` does not fail in a browser; the fallback only keeps this total.
    dom::uuid().unwrap_or_default()
}

/// `performance.mark("restock:first-status")` when the first status is on screen
/// (the benchmark measures from DOMContentLoaded to this mark).
fn mark_first_status() {
    let _ = dom::mark("restock:first-status");
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

/// Asks for the SKUs that have no answer yet (new mounts: a collection's "load more"
/// asks only for its new tiles), or for every SKU when `fresh` (after an order, or the
/// page's `Restock.refresh()`); one request per language and 50 SKUs.
fn refresh_now() {
    let bad = with_app(|app| {
        app.refresh = None;
        let fresh = std::mem::take(&mut app.fresh);
        let mut wanted: Vec<(&'static str, Vec<String>)> = Vec::new();
        let mut bad = Vec::new();
        for (id, w) in app.widgets.iter().enumerate() {
            if Sku::parse(&w.state.sku).is_err() {
                bad.push(id);
                continue;
            }
            if !fresh && matches!(w.state.load, Load::Ready(_) | Load::Unknown) {
                continue;
            }
            let lang = w.state.lang.tag();
            let in_flight = app
                .pending
                .iter()
                .any(|(_, p)| matches!(p, Pending::Batch(l, s) if *l == lang && s.contains(&w.state.sku)));
            if in_flight && !fresh {
                continue;
            }
            match wanted.iter_mut().find(|(l, _)| *l == lang) {
                Some((_, skus)) if skus.contains(&w.state.sku) => {}
                Some((_, skus)) => skus.push(w.state.sku.clone()),
                None => wanted.push((lang, vec![w.state.sku.clone()])),
            }
        }
        for (lang, skus) in wanted {
            for chunk in skus.chunks(50) {
                let url = api::batch_url(&app.api, &app.shop, chunk, lang, fresh);
                request(app, &url, &JsValue::NULL, "", Pending::Batch(lang, chunk.to_vec()));
            }
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
