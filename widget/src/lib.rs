//! The Restock storefront widget, compiled to wasm and started by `js/boot.js`.
//!
//! The loader (`js/loader.js`, the tag a shop embeds) starts the wasm and language
//! downloads and adds the main script (`boot.js` bundled with the wasm-bindgen glue
//! and `dom.js`), which numbers each mount point and tells the wasm what happens
//! through [`call`]: [`start`], [`mount`], a variant's [`set_sku`], the shopper's
//! [`input`], an [`answer`] to a request, a language pack that did not arrive
//! ([`texts_failed`]), a timer's [`tick`].
//! Each widget gets a Shadow DOM painted from a [`state::State`] through
//! [`view::paint`]; every mount on a page shares one batched availability request.
//! Texts go out as references to the language's pack, which `dom.js` loads.
//! Nothing here throws into the host page: failures become a calm state (hidden until
//! the API answers, errors the shopper can retry).
//!
//! Size shapes the structure (the widget's bytes are a product feature): the DOM
//! work, `fetch`, JSON parsing, `Intl` and timers live in `dom.js`, and only numbers
//! cross (texts as bytes in the wasm's memory; no `JsValue`, no `Closure`, no async
//! runtime, no serde); one export takes every event; the texts stay in JavaScript (one
//! language's pack); requests and answers are matched by tokens kept on the widgets; and
//! the release build is `no_std` (feature `std` off) with a panic handler that traps, so
//! no panic-message formatting is linked.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod api;
pub mod decode;
pub mod dom;
pub mod flat;
pub mod i18n;
pub mod json;
pub mod state;
pub mod view;

use alloc::string::String;
use alloc::vec::Vec;

use restock_shared::wire::{BackorderRequest, WaitlistRequest};
use restock_shared::{Lang, Sku};
use wasm_bindgen::prelude::*;

use crate::flat::Flat;
use crate::state::{Done, Effect, Failure, FormKind, Load, Msg, State, Submit};

// dlmalloc is 8 KB of the widget's wasm; lol_alloc's free list is under 1 KB and plenty
// for a widget's few, short-lived allocations. (The lock is a no-op spin on wasm.)
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

// Without std, a panic (there should be none: input never panics here) traps, and the
// JavaScript that called in catches it. std's handler would link ~4 KB of message
// formatting that nobody reads.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// `performance.mark` name when the first status is on screen (the benchmark measures
/// from DOMContentLoaded to it; `view::paint` asks for it).
pub const FIRST_STATUS: &str = "restock:first-status";

/// What JavaScript tells the widget: [`call`]'s `event`. wasm-bindgen exports these
/// names to JavaScript, so both sides take them from this one definition.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The text: the shop, the API's origin and the page's language tag.
    Start = 0,
    /// `n`: the widget's number; the text: its SKU, its own language tag (or empty) and
    /// its `data-restock-mode`.
    Mount = 1,
    /// `n`: a widget; the text: its new SKU (a variant).
    Sku = 2,
    /// Fetch every widget's availability again, skipping caches.
    Refresh = 3,
    /// `n`: a widget; the text: the element's id and its value (see `view::input`).
    Input = 4,
    /// `n`: a request's token; `m`: its HTTP status (0: no answer); the text: the answer,
    /// flattened (see `flat`).
    Answer = 5,
    /// A language's texts did not arrive (`dom.js` holds a widget's paint until they
    /// have): try again later.
    Texts = 6,
    /// `n`: a timer's token.
    Tick = 7,
}

impl Event {
    const ALL: [Event; 8] = [
        Event::Start,
        Event::Mount,
        Event::Sku,
        Event::Refresh,
        Event::Input,
        Event::Answer,
        Event::Texts,
        Event::Tick,
    ];
}

// Each event's function below is `#[inline(never)]`: the same bytes either way (each has
// one caller), and the benchmark's twiggy attribution then sees what each event costs.

/// Separates the fields of a text; the last field takes the rest.
pub const FIELD: char = '\u{1f}';

// Where JavaScript writes the text of the next `call` (see `inbox`).
static INBOX: spin::Mutex<Vec<u8>> = spin::Mutex::new(Vec::new());

/// Makes room for the next call's text: `len` bytes at the address returned, which
/// `dom.js` fills with UTF-8 before calling [`call`]. (Strings cross as bytes in the
/// wasm's own memory: wasm-bindgen's string glue costs more than the widget's logic.)
#[wasm_bindgen]
pub fn inbox(len: u32) -> u32 {
    let mut inbox = INBOX.lock();
    inbox.clear();
    inbox.resize(len as usize, 0);
    inbox.as_ptr() as usize as u32
}

/// Every event from JavaScript (see [`Event`]), with the text in the inbox; never
/// throws.
#[wasm_bindgen]
pub fn call(event: u32, n: u32, m: u32) {
    let bytes = core::mem::take(&mut *INBOX.lock());
    let text = String::from_utf8(bytes).unwrap_or_default();
    let Some(&event) = Event::ALL.get(event as usize) else { return };
    let (a, rest) = cut(&text);
    let (b, c) = cut(rest);
    match event {
        Event::Start => start(a.into(), b.into(), c.into()),
        Event::Mount => mount(n, a.into(), b, c),
        Event::Sku => set_sku(n, text),
        Event::Refresh => refresh(),
        Event::Input => input(n, a, rest.into()),
        Event::Answer => answer(n, m, &text),
        Event::Texts => texts_failed(),
        Event::Tick => tick(n),
    }
}

/// `text` up to the first [`FIELD`], and the rest after it.
fn cut(text: &str) -> (&str, &str) {
    match text.bytes().position(|b| b == FIELD as u8) {
        Some(i) => (text.get(..i).unwrap_or(""), text.get(i + 1..).unwrap_or("")),
        None => (text, ""),
    }
}

struct Widget {
    /// The number `dom.js` knows the element by.
    id: u32,
    state: State,
    compact: bool,
    /// The token of the availability request for the current SKU, while it is out.
    asked: u32,
    /// The token of the submission (or cart event) in flight.
    sent: u32,
    /// The Idempotency-Key of the last order attempt and what it was for, so a retry
    /// after a timeout cannot place the order twice.
    order_key: Option<(String, String)>,
}

/// What `update` leaves to do once the app is released: dispatching an event runs the
/// page's listeners, which may call back in.
struct Fire {
    id: u32,
    sku: String,
    quantity: u32,
    token: u32,
}

struct App {
    shop: String,
    api: String,
    locale: String,
    widgets: Vec<Widget>,
    /// Paint every widget again with the next retry (a language's texts did not arrive).
    repaint: bool,
    next_token: u32,
    /// The timers that count (0: none): a refresh on the next tick, and the retry after
    /// a failure. A newer timer makes an older one's tick a no-op.
    refresh_timer: u32,
    retry_timer: u32,
    fresh: bool,
    retry_ms: u32,
    marked: bool,
}

// One instance per page. A spin lock rather than a `thread_local!` because the
// release build has no std; `try_lock` also refuses a host-page listener calling back
// in while we dispatch (the call is dropped).
static APP: spin::Mutex<Option<App>> = spin::Mutex::new(None);

/// Runs `f` on the app, unless it is not started or busy: then does nothing.
fn with_app<R>(f: impl FnOnce(&mut App) -> R) -> Option<R> {
    APP.try_lock()?.as_mut().map(f)
}

/// Starts the widget for `shop`, talking to the API at `api` (an origin, no trailing
/// slash). `locale` is the page's language tag (or empty).
#[inline(never)]
pub fn start(shop: String, api: String, locale: String) {
    let locale = if locale.is_empty() { "en".into() } else { locale };
    // Once per page: a second start (a second copy of the script) changes nothing, and
    // an app is never dropped (which saves the wasm its clean-up code).
    if let Some(mut app) = APP.try_lock().filter(|app| app.is_none()) {
        app.get_or_insert(App {
            shop,
            api,
            locale,
            widgets: Vec::new(),
            repaint: false,
            next_token: 1,
            refresh_timer: 0,
            retry_timer: 0,
            fresh: false,
            retry_ms: 5000,
            marked: false,
        });
    }
}

/// Mounts widget `id` (the element `dom.js` numbered) for `sku`, in the language `lang`
/// (the mount's own tag, or empty for the page's); `mode` is its `data-restock-mode`
/// (`compact` for collection tiles). Mounting twice is a no-op.
#[inline(never)]
pub fn mount(id: u32, sku: String, lang: &str, mode: &str) {
    with_app(|app| {
        let compact = mode == "compact";
        let locale = if lang.is_empty() { app.locale.as_str() } else { lang };
        if app.widgets.iter().any(|w| w.id == id) {
            return;
        }
        let mut fields = view::template(compact);
        fields.push(FIELD);
        fields.push_str(locale);
        fields.push(FIELD);
        fields.push_str(view::STYLE);
        if !dom::build(id, &fields) {
            return;
        }
        let state = State::new(sku, Lang::from_tag(locale));
        app.widgets.push(Widget { id, state, compact, asked: 0, sent: 0, order_key: None });
        app.render(app.widgets.len() - 1, false);
        app.schedule_refresh(false);
    });
}

/// Switches widget `id` to another SKU (a variant) without a reload.
#[inline(never)]
pub fn set_sku(id: u32, sku: String) {
    send(id, Msg::SkuChanged(sku));
}

/// Fetches every widget's availability again, skipping caches.
#[inline(never)]
pub fn refresh() {
    with_app(|app| app.schedule_refresh(true));
}

/// What the shopper did in widget `id`: element `element` now holds `value`, or was
/// clicked or submitted (forwarded by `dom.js`).
#[inline(never)]
pub fn input(id: u32, element: &str, value: String) {
    if let Some(msg) = view::input(element, value) {
        send(id, msg);
    }
}

/// A request (or the page's cart) with `token` answered: its HTTP status (0: no
/// answer) and what it said, flattened (see `flat`).
#[inline(never)]
pub fn answer(token: u32, status: u32, body: &str) {
    let status = u16::try_from(status).unwrap_or(0);
    let body = Flat(body);
    let fire = with_app(|app| {
        // An availability request: every widget it was for.
        let mut failed = None;
        for i in 0..app.widgets.len() {
            let Some(w) = app.widgets.get_mut(i).filter(|w| w.asked == token) else { continue };
            w.asked = 0;
            let msg = api::availability(status, body, &w.state.sku);
            failed = Some(failed.unwrap_or(false) | (msg == Msg::Failed));
            // Availability never asks the page's cart: nothing to fire.
            let _ = app.update(i, msg);
        }
        if let Some(failed) = failed {
            app.schedule_retry(failed);
            return None;
        }
        // A submission: what it means depends on what was sent.
        let i = app.widgets.iter().position(|w| w.sent == token)?;
        let w = app.widgets.get_mut(i)?;
        w.sent = 0;
        let done = match w.state.submit {
            Submit::Sending(FormKind::Waitlist) => api::signup_answer(status, body),
            Submit::Sending(FormKind::Order) if !w.state.order_needs_email() => {
                if status == 200 {
                    Ok(Done::HandedToCart)
                } else {
                    Err(Failure::Cart)
                }
            }
            _ => api::order_answer(status, body),
        };
        app.update(i, done.map_or_else(Msg::Refused, Msg::Finished))
    });
    fire_event(fire.flatten());
}

/// A language's texts did not arrive: paint again with the next retry.
#[inline(never)]
pub fn texts_failed() {
    with_app(|app| {
        app.repaint = true;
        app.schedule_retry(true);
    });
}

/// A timer set with `dom::timer` went off.
#[inline(never)]
pub fn tick(token: u32) {
    with_app(|app| {
        if token == app.refresh_timer {
            app.refresh_timer = 0;
            app.refresh_now();
        } else if token == app.retry_timer {
            app.retry_timer = 0;
            if core::mem::take(&mut app.repaint) {
                for i in 0..app.widgets.len() {
                    app.render(i, false);
                }
            }
            app.schedule_refresh(false);
        }
    });
}

/// A random Idempotency-Key: 128 bits in hex.
fn new_key() -> String {
    let mut key = String::new();
    for _ in 0..4 {
        let bits = dom::random();
        for shift in (0..32).step_by(4).rev() {
            key.push(char::from(b"0123456789abcdef"[((bits >> shift) & 15) as usize]));
        }
    }
    key
}

/// Applies a message to widget `id` and carries out its effect.
fn send(id: u32, msg: Msg) {
    let fire = with_app(|app| {
        let i = app.widgets.iter().position(|w| w.id == id)?;
        app.update(i, msg)
    });
    fire_event(fire.flatten());
}

/// The shop's own cart completes an order: `restock:backorder` bubbles out of the
/// widget (and its shadow root), and its handler answers through `answer`. Never while
/// holding the app: its listeners may call us.
fn fire_event(fire: Option<Fire>) {
    if let Some(Fire { id, sku, quantity, token }) = fire {
        dom::fire(id, &sku, quantity, token);
    }
}

/// Sends an availability request once its SKUs are in.
fn send_batch(token: u32, mut url: String, lang: Lang, fresh: bool) {
    api::batch_end(&mut url, lang.tag(), fresh);
    dom::request(token, &url);
}

impl App {
    /// A fresh token for an answer that will come back through `answer` or `tick`.
    fn take_token(&mut self) -> u32 {
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1).max(1);
        token
    }

    /// Paints widget `i`, and marks the first status shown on the page.
    fn render(&mut self, i: usize, focus: bool) {
        let Some(w) = self.widgets.get(i) else { return };
        let mark = !self.marked && w.state.view().is_some();
        self.marked |= mark;
        dom::paint(w.id, &view::paint(&w.state, focus, w.compact, mark));
    }

    /// Applies `msg` to widget `i`, repaints it and carries out the effect, except an
    /// event for the page's cart, which it returns.
    fn update(&mut self, i: usize, msg: Msg) -> Option<Fire> {
        // Focus follows the shopper's action: to the field at fault, or to the outcome.
        let focus = matches!(msg, Msg::Submit | Msg::Finished(_));
        let sku_changed = matches!(&msg, Msg::SkuChanged(_));
        let token = self.take_token();
        let (api, shop) = (&self.api, &self.shop);
        let w = self.widgets.get_mut(i)?;
        let effect = w.state.update(msg);
        if sku_changed && w.state.load == Load::Loading {
            w.asked = 0;
        }
        let id = w.id;
        let lang = Some(String::from(w.state.lang.tag()));
        let mut fire = None;
        let mut refresh = sku_changed;
        match effect {
            Effect::None => {}
            Effect::Refresh => refresh = true,
            Effect::Signup { sku, email, consent_text, website } => {
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
                w.sent = token;
                dom::request(token, &api::request(api::signup_url(api, shop), &api::signup_body(&r), &[]));
            }
            Effect::Order { sku, quantity, email } => {
                let mut what = sku.clone();
                what.push(FIELD);
                i18n::push_digits(&mut what, quantity);
                what.push(FIELD);
                what.push_str(&email);
                let reuse = w.order_key.as_ref().filter(|(for_what, _)| *for_what == what).map(|(_, k)| k.clone());
                let key = reuse.unwrap_or_else(new_key);
                let r = BackorderRequest { sku, quantity: f64::from(quantity), email, locale: lang };
                let body = api::order_body(&r, quantity);
                w.sent = token;
                dom::request(token, &api::request(api::order_url(api, shop), &body, &["idempotency-key", &key]));
                w.order_key = Some((what, key));
            }
            Effect::Dispatch { sku, quantity } => {
                w.sent = token;
                fire = Some(Fire { id, sku, quantity, token });
            }
        }
        if refresh {
            self.schedule_refresh(!sku_changed);
        }
        self.render(i, focus);
        fire
    }

    /// Fetches availability on the next tick, once however many mounts and changes ask.
    fn schedule_refresh(&mut self, fresh: bool) {
        self.fresh |= fresh;
        if self.refresh_timer == 0 {
            self.refresh_timer = self.take_token();
            dom::timer(0, self.refresh_timer);
        }
    }

    /// Asks for the SKUs that have no answer yet (new mounts: a collection's "load more"
    /// asks only for its new tiles), or for every SKU when `fresh` (after an order, or
    /// the page's `Restock.refresh()`); one request per language and 50 SKUs, each SKU
    /// once. A widget remembers the request it waits for (`asked`).
    fn refresh_now(&mut self) {
        let fresh = core::mem::take(&mut self.fresh);
        for lang in Lang::ALL {
            // The request being filled: its token, URL and number of SKUs.
            let (mut token, mut url, mut count) = (0, String::new(), 0);
            for i in 0..self.widgets.len() {
                let Some(w) = self.widgets.get(i).filter(|w| w.state.lang == lang) else { continue };
                if Sku::parse(&w.state.sku).is_err() {
                    // Not even well-formed: nothing to show.
                    let _ = self.update(i, Msg::NotFound);
                    continue;
                }
                let answered = matches!(w.state.load, Load::Ready(_) | Load::Unknown);
                if !fresh && (answered || w.asked != 0) {
                    continue;
                }
                let sku = &w.state.sku;
                let asked = self.widgets.iter().take(i).any(|o| token != 0 && o.asked == token && o.state.sku == *sku);
                if !asked {
                    if count == 50 {
                        send_batch(token, url, lang, fresh);
                        (token, url, count) = (0, String::new(), 0);
                    }
                    if token == 0 {
                        // (`take_token`, field by field: the widget is still borrowed.)
                        token = self.next_token;
                        self.next_token = token.wrapping_add(1).max(1);
                        url = api::batch_url(&self.api, &self.shop);
                    } else {
                        url.push(',');
                    }
                    api::push_encoded(&mut url, sku);
                    count += 1;
                }
                if let Some(w) = self.widgets.get_mut(i) {
                    w.asked = token;
                }
            }
            if token != 0 {
                send_batch(token, url, lang, fresh);
            }
        }
    }

    /// After a failure, tries again later (5 s, then 3x longer each time, at most 5 min).
    /// An answer that worked resets the backoff, unless a language's texts are still to
    /// be asked for again (the retry then stays on its way).
    fn schedule_retry(&mut self, failed: bool) {
        if !failed && !self.repaint {
            self.retry_timer = 0;
            self.retry_ms = 5000;
        } else if self.retry_timer == 0 {
            let delay = self.retry_ms;
            self.retry_ms = delay.saturating_mul(3).min(300_000);
            self.retry_timer = self.take_token();
            dom::timer(delay, self.retry_timer);
        }
    }
}
