//! Reading the API's answers straight from the JS objects `fetch().json()` produced.
//!
//! serde-wasm-bindgen's deserializer costs ~25 KB of wasm here, most of it error
//! formatting (serde's messages print floats); these few typed reads cost ~1 KB and
//! turn anything unexpected into `None` (the widget then shows nothing broken).

use js_sys::Reflect;
use restock_shared::wire::{AvailabilityView, BackorderMode, StatusCode, WidgetSettings};
use restock_shared::{Date, EtaBasis, RestockEta};
use wasm_bindgen::JsValue;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

pub fn uint(obj: &JsValue, key: &str) -> Option<u32> {
    get(obj, key).as_f64().filter(|n| n.fract() == 0.0 && (0.0..=4_294_967_295.0).contains(n)).map(|n| n as u32)
}

fn boolean(obj: &JsValue, key: &str) -> Option<bool> {
    get(obj, key).as_bool()
}

fn date(obj: &JsValue, key: &str) -> Option<Date> {
    string(obj, key).and_then(|s| Date::parse(&s).ok())
}

fn status(s: &str) -> Option<StatusCode> {
    Some(match s {
        "in_stock" => StatusCode::InStock,
        "low_stock" => StatusCode::LowStock,
        "out_of_stock" => StatusCode::OutOfStock,
        "backorder" => StatusCode::Backorder,
        "preorder" => StatusCode::Preorder,
        "discontinued" => StatusCode::Discontinued,
        _ => return None,
    })
}

fn eta(obj: &JsValue) -> Option<RestockEta> {
    let e = get(obj, "eta");
    let basis = match string(&e, "basis")?.as_str() {
        "on_hand" => EtaBasis::OnHand,
        "purchase_order" => EtaBasis::PurchaseOrder,
        "lead_time" => EtaBasis::LeadTime,
        "release" => EtaBasis::Release,
        _ => return None,
    };
    Some(RestockEta { date: date(&e, "date")?, basis })
}

/// One item of an availability answer.
pub fn availability(obj: &JsValue) -> Option<AvailabilityView> {
    Some(AvailabilityView {
        sku: string(obj, "sku")?,
        name: string(obj, "name").unwrap_or_default(),
        status: status(&string(obj, "status")?)?,
        left: uint(obj, "left"),
        release_date: date(obj, "release_date"),
        eta: eta(obj),
        waitlist: boolean(obj, "waitlist").unwrap_or(false),
        max_quantity: uint(obj, "max_quantity").unwrap_or(0),
    })
}

/// The batch answer: the shop's widget settings and every known item.
pub fn batch(obj: &JsValue) -> Option<(WidgetSettings, Vec<AvailabilityView>)> {
    let shop = get(obj, "shop");
    let settings = WidgetSettings {
        consent_text: string(&shop, "consent_text")?,
        double_opt_in: boolean(&shop, "double_opt_in").unwrap_or(false),
        backorder_mode: if string(&shop, "backorder_mode").as_deref() == Some("event") {
            BackorderMode::Event
        } else {
            BackorderMode::Api
        },
        sms_consent_text: None,
    };
    let items = js_sys::Array::from(&get(obj, "items")).iter().filter_map(|v| availability(&v)).collect();
    Some((settings, items))
}
