//! Reading what the loader hands the wasm for one widget: the availability answer's
//! item for it, the shop's settings and the answer's language, flattened by `dom.js`
//! (see `flat`; the item's fields at the top, `shop.*` and `lang` beside them).
//! Anything unexpected reads as no item, and the widget offers nothing rather than
//! something wrong. The tests read serde_json's own serialization of the wire types,
//! so the two cannot drift apart.

use restock_shared::Lang;
use restock_shared::wire::StatusCode;

use crate::flat::{Flat, uint};
use crate::state::{Item, Settings};

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

/// The item and the shop's settings (none: no item, or one that does not read), and
/// the answer's language (English if it names none we have).
pub fn loaded(f: Flat) -> (Option<(Item, Settings)>, Lang) {
    let lang = f.get("lang").and_then(Lang::from_exact_tag).unwrap_or_default();
    (read(f), lang)
}

fn read(f: Flat) -> Option<(Item, Settings)> {
    let item = Item {
        status: status(f.get("status")?)?,
        sku: f.get("sku")?.into(),
        name: f.get("name").unwrap_or("").into(),
        waitlist: f.get("waitlist") == Some("true"),
        max_quantity: f.get("max_quantity").and_then(uint).unwrap_or(0),
    };
    let settings = Settings {
        consent_text: f.get("shop.consent_text")?.into(),
        sms_consent_text: f.get("shop.sms_consent_text").map(Into::into),
        event_mode: f.get("shop.backorder_mode") == Some("event"),
    };
    Some((item, settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat::tests::flatten;
    use restock_shared::wire::{AvailabilityView, BackorderMode, WidgetSettings};
    use serde_json::json;

    /// What the loader hands over for an item of a batch answer: its fields, with the
    /// answer's `shop` and `lang` beside them.
    fn handed(item: &AvailabilityView, shop: &WidgetSettings, lang: &str) -> String {
        let mut v = serde_json::to_value(item).unwrap_or_default();
        v["say"] = json!({ "tone": "out", "status": "Out of stock", "eta": null, "left": null, "also": null });
        v["shop"] = serde_json::to_value(shop).unwrap_or_default();
        v["lang"] = json!(lang);
        flatten(&v)
    }

    #[test]
    fn reads_what_the_worker_serializes() {
        let view = AvailabilityView {
            sku: "A".into(),
            name: "Tee \"Orbit\" <b>é</b> 😀\\".into(),
            status: StatusCode::Backorder,
            left: Some(7),
            release_date: None,
            eta: None,
            waitlist: true,
            max_quantity: 7,
        };
        let shop = WidgetSettings {
            consent_text: "Email me once.\n«ok»".into(),
            double_opt_in: true,
            backorder_mode: BackorderMode::Event,
            sms_consent_text: Some("Text me once. Reply STOP to opt out.".into()),
        };
        let text = handed(&view, &shop, "ar");
        let (got, lang) = loaded(Flat(&text));
        let item =
            Item { sku: "A".into(), name: view.name.clone(), status: view.status, waitlist: true, max_quantity: 7 };
        let settings = Settings {
            consent_text: shop.consent_text.clone(),
            sms_consent_text: shop.sms_consent_text.clone(),
            event_mode: true,
        };
        assert_eq!((got, lang), (Some((item, settings)), Lang::Ar));
        let plain = WidgetSettings { backorder_mode: BackorderMode::Api, sms_consent_text: None, ..shop };
        let (got, _) = loaded(Flat(&handed(&view, &plain, "en")));
        assert_eq!(got.map(|(_, s)| (s.event_mode, s.sms_consent_text)), Some((false, None)));
    }

    #[test]
    fn what_does_not_read_is_no_item() {
        let answer = |v: serde_json::Value| flatten(&v);
        let shop = json!({ "consent_text": "ok", "double_opt_in": false, "backorder_mode": "api" });
        let sold = answer(json!({ "sku": "A", "status": "sold_out", "shop": shop, "lang": "de" }));
        assert_eq!(loaded(Flat(&sold)), (None, Lang::De), "an unknown status: nothing, rather than something wrong");
        let odd = answer(json!({ "sku": "B", "status": "in_stock", "max_quantity": 2.5, "shop": shop, "lang": "xx" }));
        let (got, lang) = loaded(Flat(&odd));
        assert_eq!((got.map(|(i, _)| i.max_quantity), lang), (Some(0), Lang::En));
        assert_eq!(loaded(Flat("")), (None, Lang::En), "gone: the loader hands over nothing");
        let no_shop = answer(json!({ "sku": "A", "status": "in_stock" }));
        assert_eq!(loaded(Flat(&no_shop)).0, None);
    }
}
