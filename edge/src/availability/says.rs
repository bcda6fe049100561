//! The storefront's words in the batch availability answer: each item's `say` (its
//! status line, date, places left, the heading over its alternatives, from
//! `restock_shared::say`) and the answer's `lang` and `dir`, rendered per request from
//! the language-free views (snapshots stay language-free). The widget's loader paints
//! these lines before the wasm arrives; the wasm shows them as they are.

use restock_shared::Lang;
use restock_shared::say::Says;
use restock_shared::wire::AvailabilityAnswer;
use serde_json::Value;

/// What each of `items` says in `lang`, and the line of each of its alternatives.
pub fn of(items: &[AvailabilityAnswer], lang: Lang) -> Vec<(Says, Vec<&'static str>)> {
    items
        .iter()
        .map(|a| {
            let lines = a.alternatives.iter().map(|alt| restock_shared::say::alternative(alt.status, lang)).collect();
            (Says::of(&a.view, lang, !a.alternatives.is_empty()), lines)
        })
        .collect()
}

/// Adds `lang`, `dir`, each item's `say` and each alternative's `say` (its status
/// line) to a serialized batch answer.
pub fn add(body: &mut Value, says: Vec<(Says, Vec<&'static str>)>, lang: Lang) {
    body["lang"] = Value::from(lang.tag());
    body["dir"] = Value::from(if lang.rtl() { "rtl" } else { "ltr" });
    if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
        for (item, (say, lines)) in items.iter_mut().zip(says) {
            if let Some(alts) = item.get_mut("alternatives").and_then(Value::as_array_mut) {
                for (alt, line) in alts.iter_mut().zip(lines) {
                    if let Some(alt) = alt.as_object_mut() {
                        alt.insert("say".into(), Value::from(line));
                    }
                }
            }
            if let (Some(item), Ok(say)) = (item.as_object_mut(), serde_json::to_value(say)) {
                item.insert("say".into(), say);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use restock_shared::wire::{AlternativeView, AvailabilityView, StatusCode};

    #[test]
    fn each_item_gets_its_lines_and_the_answer_its_language() {
        let view = |sku: &str, status| AvailabilityView {
            sku: sku.into(),
            name: sku.into(),
            status,
            left: Some(2),
            release_date: None,
            eta: None,
            waitlist: false,
            max_quantity: 0,
        };
        let alt = AlternativeView { sku: "C".into(), name: "C".into(), url: None, status: StatusCode::LowStock };
        let items = vec![
            AvailabilityAnswer { view: view("A", StatusCode::LowStock), alternatives: vec![] },
            AvailabilityAnswer { view: view("B", StatusCode::Discontinued), alternatives: vec![alt] },
        ];
        let mut body = serde_json::json!({ "items": items, "unknown": [] });
        add(&mut body, of(&items, Lang::He), Lang::He);
        assert_eq!((body["lang"].as_str(), body["dir"].as_str()), (Some("he"), Some("rtl")));
        assert_eq!(body["items"][0]["say"]["tone"], "low");
        assert_eq!(body["items"][0]["say"]["status"], "נותרו רק \u{2068}2\u{2069}");
        assert_eq!(body["items"][1]["say"]["status"], "כבר לא זמין");
        assert_eq!(body["items"][1]["sku"], "B", "the view's own fields stay");
        assert_eq!(body["items"][0]["say"]["also"], Value::Null, "no alternatives, no heading");
        assert_eq!(body["items"][1]["say"]["also"], "זמין עכשיו במקום זאת:");
        assert_eq!(body["items"][1]["alternatives"][0]["say"], "נותרו יחידות בודדות");
    }
}
