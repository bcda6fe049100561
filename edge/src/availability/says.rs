//! The storefront's words in the batch availability answer: each item's `say` (its
//! status line, date, places left, the heading over its alternatives, from
//! `restock_shared::say`) and the answer's `lang` and `dir`, rendered per request from
//! the language-free views (snapshots stay language-free). The widget's loader paints
//! these lines before the wasm arrives; the wasm shows them as they are.

use restock_shared::Lang;
use restock_shared::say::Says;
use restock_shared::wire::AvailabilityView;
use serde_json::Value;

/// What each of `items` says in `lang`.
pub fn of(items: &[AvailabilityView], lang: Lang) -> Vec<Says> {
    items.iter().map(|v| Says::of(v, lang, false)).collect()
}

/// Adds `lang`, `dir` and each item's `say` to a serialized batch answer.
pub fn add(body: &mut Value, says: Vec<Says>, lang: Lang) {
    body["lang"] = Value::from(lang.tag());
    body["dir"] = Value::from(if lang.rtl() { "rtl" } else { "ltr" });
    if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
        for (item, say) in items.iter_mut().zip(says) {
            if let (Some(item), Ok(say)) = (item.as_object_mut(), serde_json::to_value(say)) {
                item.insert("say".into(), say);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use restock_shared::wire::StatusCode;

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
        let items = vec![view("A", StatusCode::LowStock), view("B", StatusCode::Discontinued)];
        let mut body = serde_json::json!({ "items": items, "unknown": [] });
        add(&mut body, of(&items, Lang::He), Lang::He);
        assert_eq!((body["lang"].as_str(), body["dir"].as_str()), (Some("he"), Some("rtl")));
        assert_eq!(body["items"][0]["say"]["tone"], "low");
        assert_eq!(body["items"][0]["say"]["status"], "נותרו רק \u{2068}2\u{2069}");
        assert_eq!(body["items"][1]["say"]["status"], "כבר לא זמין");
        assert_eq!(body["items"][1]["sku"], "B", "the view's own fields stay");
    }
}
