//! Reading the API's answers (flattened by `dom.js`: see `flat`) into the shared wire
//! types. Anything unexpected reads as `None`, and the widget shows nothing broken.
//! The tests decode serde_json's own serialization of the wire types, so the two
//! cannot drift apart.

use alloc::string::String;

use restock_shared::wire::{AvailabilityView, BackorderMode, StatusCode, WidgetSettings};
use restock_shared::{Date, EtaBasis, RestockEta};

use crate::flat::{Flat, uint};

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

fn basis(s: &str) -> Option<EtaBasis> {
    Some(match s {
        "on_hand" => EtaBasis::OnHand,
        "purchase_order" => EtaBasis::PurchaseOrder,
        "lead_time" => EtaBasis::LeadTime,
        "release" => EtaBasis::Release,
        _ => return None,
    })
}

/// A date at `prefix` + `path`.
pub fn date(f: Flat, prefix: &str, path: &str) -> Option<Date> {
    Date::parse(f.at(prefix, path)?).ok()
}

/// The item for `sku` in an availability answer (each widget reads its own).
/// `None`: not there, or not readable.
pub fn item(f: Flat, sku: &str) -> Option<AvailabilityView> {
    let at = f.element("items", "sku", sku)?;
    let eta = match (f.at(at, "eta.basis").and_then(basis), date(f, at, "eta.date")) {
        (Some(basis), Some(date)) => Some(RestockEta { date, basis }),
        _ => None,
    };
    Some(AvailabilityView {
        status: status(f.at(at, "status")?)?,
        sku: sku.into(),
        name: f.at(at, "name").unwrap_or("").into(),
        left: f.at(at, "left").and_then(uint),
        release_date: date(f, at, "release_date"),
        eta,
        waitlist: f.at(at, "waitlist") == Some("true"),
        max_quantity: f.at(at, "max_quantity").and_then(uint).unwrap_or(0),
    })
}

/// The shop's widget settings in an availability answer.
pub fn settings(f: Flat) -> Option<WidgetSettings> {
    Some(WidgetSettings {
        consent_text: String::from(f.get("shop.consent_text")?),
        double_opt_in: f.get("shop.double_opt_in") == Some("true"),
        backorder_mode: if f.get("shop.backorder_mode") == Some("event") {
            BackorderMode::Event
        } else {
            BackorderMode::Api
        },
        sms_consent_text: f.get("shop.sms_consent_text").map(String::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat::tests::flatten;
    use alloc::string::ToString;
    use alloc::vec;
    use restock_shared::wire::{AvailabilityAnswer, BatchAvailabilityResponse};

    fn view(sku: &str, status: StatusCode, left: Option<u32>, eta: Option<RestockEta>) -> AvailabilityView {
        AvailabilityView {
            sku: sku.into(),
            name: "Tee \"Orbit\" <b>é</b> 😀\\".into(),
            status,
            left,
            release_date: Date::from_ymd(2027, 1, 16).ok().filter(|_| status == StatusCode::Preorder),
            eta,
            waitlist: status == StatusCode::OutOfStock,
            max_quantity: if status == StatusCode::Backorder { 7 } else { 0 },
        }
    }

    #[test]
    fn reads_what_the_worker_serializes() {
        let eta = |basis| Date::from_ymd(2026, 12, 24).ok().map(|date| RestockEta { date, basis });
        let answer = BatchAvailabilityResponse {
            shop: WidgetSettings {
                consent_text: "Email me once.\n«ok»".into(),
                double_opt_in: true,
                backorder_mode: BackorderMode::Event,
                sms_consent_text: Some("Text me once. Reply STOP to opt out.".into()),
            },
            items: [
                view("A", StatusCode::InStock, None, None),
                view("B", StatusCode::LowStock, Some(3), None),
                view("C", StatusCode::OutOfStock, None, eta(EtaBasis::PurchaseOrder)),
                view("D", StatusCode::Backorder, Some(7), eta(EtaBasis::LeadTime)),
                view("E", StatusCode::Preorder, None, eta(EtaBasis::Release)),
                view("F", StatusCode::Discontinued, None, eta(EtaBasis::OnHand)),
            ]
            .into_iter()
            .map(|view| AvailabilityAnswer { view, alternatives: vec![] })
            .collect(),
            unknown: vec!["G".to_string()],
        };
        let text = flatten(&serde_json::to_value(&answer).unwrap_or_default());
        let f = Flat(&text);
        assert_eq!(settings(f), Some(answer.shop.clone()));
        for a in &answer.items {
            assert_eq!(item(f, &a.view.sku).as_ref(), Some(&a.view), "{}", a.view.sku);
        }
        assert_eq!(item(f, "G"), None, "not in the answer");
    }

    #[test]
    fn items_that_do_not_read_are_nothing() {
        let answer = serde_json::json!({
            "shop": { "consent_text": "ok", "double_opt_in": false, "backorder_mode": "api" },
            "items": [{ "sku": "A", "status": "sold_out" }, { "sku": "B", "name": "b", "status": "in_stock",
                "left": null, "max_quantity": 2.5, "eta": { "date": "2027-13-01", "basis": "release" } }],
        });
        let text = flatten(&answer);
        let f = Flat(&text);
        assert_eq!(item(f, "A"), None, "an unknown status: nothing, rather than something wrong");
        let b = item(f, "B");
        assert_eq!(b.as_ref().map(|b| (b.left, b.max_quantity, b.eta)), Some((None, 0, None)), "{b:?}");
        assert_eq!(settings(Flat("")), None);
        assert_eq!(settings(Flat(&flatten(&serde_json::json!({ "shop": {} })))), None);
    }
}
