//! The Restock storefront widget's forms, compiled to wasm and started by `js/boot.js`.
//!
//! The page's first paint is not here. The loader (`js/loader.js`, the tag a shop
//! embeds) finds the mount points, reads their availability and paints each status
//! block from the Worker's words (`restock_shared::say`) the moment the answer
//! arrives. This wasm takes over for interaction once it has loaded: the forms
//! (waitlist with an optional phone number for texts, backorder and preorder), their
//! validation with the domain's own parsers, the requests they send and what the
//! answers mean, errors, focus. The main script tells it what happens through
//! [`call`]: [`Event::Start`], a widget's [`Event::Mount`], its availability
//! [`Event::Item`] (each new answer, from the loader), the shopper's
//! [`Event::Input`], an [`Event::Answer`] to its request.
//! Each widget's form is painted from a [`state::State`] through [`view::paint`]; texts
//! go out as references to the language's pack, which `dom.js` loads. Nothing here
//! throws into the host page: failures become a calm state.
//!
//! Size shapes the structure (the widget's bytes are a product feature): the DOM
//! work, `fetch`, JSON parsing and timers live in JavaScript, and only numbers cross
//! (texts as bytes in the wasm's memory; no `JsValue`, no `Closure`, no async runtime,
//! no serde); one export takes every event; the texts stay in JavaScript (one
//! language's pack); the markup and stylesheet are the loader's (built from `view`);
//! and the release build is `no_std` (feature `std` off) with a panic handler that
//! traps, so no panic-message formatting is linked.

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
use wasm_bindgen::prelude::*;

use crate::flat::Flat;
use crate::state::{Done, Effect, Failure, FormKind, Msg, State, Submit};

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

/// What JavaScript tells the widget: [`call`]'s `event`. wasm-bindgen exports these
/// names to JavaScript, so both sides take them from this one definition.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The text: the shop and the API's origin (no trailing slash).
    Start = 0,
    /// `n`: the widget's number; `m`: 1 in compact mode; the text: its customer-group
    /// token (the nearest `data-restock-group`), or empty.
    Mount = 1,
    /// `n`: a widget; the text: its item of the latest availability answer with the
    /// answer's `shop` and `lang` beside it, flattened (see `decode`); empty when it
    /// has none (no such product, or a new variant's answer is on its way).
    Item = 2,
    /// `n`: a widget; the text: the element's id and its value (see `view::input`).
    Input = 3,
    /// `n`: a widget; `m`: the HTTP status of the answer to its request (0: no
    /// answer; 200 or 0 from the page's cart); the text: the answer, flattened.
    Answer = 4,
}

impl Event {
    const ALL: [Event; 5] = [Event::Start, Event::Mount, Event::Item, Event::Input, Event::Answer];
}

// Each event's function below is `#[inline(never)]`: the same bytes either way (each has
// one caller), and the benchmark's twiggy attribution then sees what each event costs.

/// Separates the fields of a text; the last field takes the rest.
pub const FIELD: char = '\u{1f}';

// Where JavaScript writes the text of the next `call` (see `inbox`).
static INBOX: spin::Mutex<Vec<u8>> = spin::Mutex::new(Vec::new());

/// Makes room for the next call's text: `len` bytes at the address returned, which
/// the main script fills with UTF-8 before calling [`call`]. (Strings cross as bytes
/// in the wasm's own memory: wasm-bindgen's string glue costs more than the widget's
/// logic.)
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
    let (a, b) = cut(&text);
    match event {
        Event::Start => start(a.into(), b.into()),
        Event::Mount => mount(n, m == 1, text),
        Event::Item => item(n, &text),
        Event::Input => input(n, a, b.into()),
        Event::Answer => answer(n, m, &text),
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
    /// The number JavaScript knows the element by.
    id: u32,
    state: State,
    compact: bool,
    /// The customer-group token orders carry (emptied once the Worker refused it).
    group: String,
    /// The Idempotency-Key of the last order attempt and what it was for, so a retry
    /// after a timeout cannot place the order twice.
    order_key: Option<(String, String)>,
    /// The body of the order in flight, to send again without a refused group token.
    order_body: String,
}

/// What `update` leaves to do once the app is released: dispatching an event runs the
/// page's listeners, which may call back in.
struct Fire {
    id: u32,
    sku: String,
    quantity: u32,
}

struct App {
    shop: String,
    api: String,
    widgets: Vec<Widget>,
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
/// slash).
#[inline(never)]
pub fn start(shop: String, api: String) {
    // Once per page: a second start (a second copy of the script) changes nothing, and
    // an app is never dropped (which saves the wasm its clean-up code).
    if let Some(mut app) = APP.try_lock().filter(|app| app.is_none()) {
        app.get_or_insert(App { shop, api, widgets: Vec::new() });
    }
}

/// Takes over widget `id` (its shadow root is the loader's), `compact` for collection
/// tiles, its orders carrying `group` (a customer-group token, or empty). Mounting
/// twice is a no-op.
#[inline(never)]
pub fn mount(id: u32, compact: bool, group: String) {
    with_app(|app| {
        if !app.widgets.iter().any(|w| w.id == id) {
            let state = State::new();
            app.widgets.push(Widget { id, state, compact, group, order_key: None, order_body: String::new() });
        }
    });
}

/// Widget `id`'s item of the latest availability answer (see [`Event::Item`]).
#[inline(never)]
pub fn item(id: u32, text: &str) {
    let (loaded, lang) = api::loaded(Flat(text));
    send(id, Msg::Loaded(loaded, lang));
}

/// What the shopper did in widget `id`: element `element` now holds `value`, or was
/// clicked or submitted.
#[inline(never)]
pub fn input(id: u32, element: &str, value: String) {
    if let Some(msg) = view::input(element, value) {
        send(id, msg);
    }
}

/// The answer to widget `id`'s request (or the page's cart): its HTTP status (0: no
/// answer) and what it said, flattened (see `flat`). Ignored unless the widget is
/// waiting for one.
#[inline(never)]
pub fn answer(id: u32, status: u32, body: &str) {
    let status = u16::try_from(status).unwrap_or(0);
    let body = Flat(body);
    let fire = with_app(|app| {
        let i = app.widgets.iter().position(|w| w.id == id)?;
        let (api, shop) = (&app.api, &app.shop);
        let w = app.widgets.get_mut(i)?;
        let done = match w.state.submit {
            Submit::Sending(FormKind::Waitlist) => api::signup_answer(status, body),
            Submit::Sending(FormKind::Order) if !w.state.order_needs_email() => {
                if status == 200 {
                    Ok(Done::HandedToCart)
                } else {
                    Err(Failure::Cart)
                }
            }
            Submit::Sending(FormKind::Order) => {
                // A group token the Worker refused (expired, altered): once more
                // without it, as a shopper of no group.
                if api::group_token_refused(status, body) && !w.group.is_empty() {
                    w.group.clear();
                    let key = w.order_key.as_ref().map_or("", |(_, k)| k.as_str());
                    let url = api::order_url(api, shop, "");
                    dom::request(id, &api::request(url, &w.order_body, &["idempotency-key", key]));
                    return None;
                }
                api::order_answer(status, body)
            }
            _ => return None,
        };
        app.update(i, done.map_or_else(Msg::Refused, Msg::Finished))
    });
    fire_event(fire.flatten());
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
    if let Some(Fire { id, sku, quantity }) = fire {
        dom::fire(id, &sku, quantity);
    }
}

impl App {
    /// Applies `msg` to widget `i`, repaints it and carries out the effect, except an
    /// event for the page's cart, which it returns.
    fn update(&mut self, i: usize, msg: Msg) -> Option<Fire> {
        // Focus follows the shopper's action: to the field at fault, or to the outcome.
        let focus = matches!(msg, Msg::Submit | Msg::Finished(_));
        let (api, shop) = (&self.api, &self.shop);
        let w = self.widgets.get_mut(i)?;
        let effect = w.state.update(msg);
        let id = w.id;
        let locale = Some(String::from(w.state.lang.tag()));
        let mut fire = None;
        match effect {
            Effect::None => {}
            Effect::Refresh => dom::refresh(),
            Effect::Signup(s) => {
                let (phone, sms_consent_text) = s.sms.map_or((None, None), |(p, t)| (Some(p), Some(t)));
                let r = WaitlistRequest {
                    sku: s.sku,
                    email: s.email,
                    locale,
                    consent: true,
                    consent_text: s.consent_text,
                    website: s.website,
                    phone,
                    sms_consent_text,
                };
                dom::request(id, &api::request(api::signup_url(api, shop), &api::signup_body(&r), &[]));
            }
            Effect::Order { sku, quantity, email } => {
                let mut what = sku.clone();
                what.push(FIELD);
                i18n::push_digits(&mut what, quantity);
                what.push(FIELD);
                what.push_str(&email);
                let reuse = w.order_key.as_ref().filter(|(for_what, _)| *for_what == what).map(|(_, k)| k.clone());
                let key = reuse.unwrap_or_else(new_key);
                let r = BackorderRequest { sku, quantity: f64::from(quantity), email, locale };
                w.order_body = api::order_body(&r, quantity);
                let url = api::order_url(api, shop, &w.group);
                dom::request(id, &api::request(url, &w.order_body, &["idempotency-key", &key]));
                w.order_key = Some((what, key));
            }
            Effect::Dispatch { sku, quantity } => fire = Some(Fire { id, sku, quantity }),
        }
        dom::paint(id, &view::paint(&w.state, focus, w.compact));
        fire
    }
}
