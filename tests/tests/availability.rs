//! Availability over HTTP against the built Worker: the seeded demo shop's states,
//! the batch endpoint, and 4xx problems (never 5xx) for unknown or malformed ids.

use restock_e2e::client::{Client, Shop};

#[test]
fn seeded_products_answer_with_their_status() {
    let demo = Shop::demo();
    for (sku, status) in [
        ("TEE-ORG-M", "in_stock"),
        ("TEE-ORG-L", "low_stock"),
        ("TEE-ORG-XL", "out_of_stock"),
        ("JACKET-RAIN-M", "backorder"),
        ("LAMP-ORBIT", "preorder"),
        ("KETTLE-CLASSIC", "discontinued"),
    ] {
        let reply = demo.availability(sku);
        assert_eq!(reply.status, 200, "{sku}: {}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let v = reply.json();
        assert_eq!(v["sku"], sku);
        assert_eq!(v["status"], status, "{sku}: {v}");
    }
    let low = demo.availability("TEE-ORG-L").json();
    assert_eq!(low["left"], 3);
    let out = demo.availability("TEE-ORG-XL").json();
    assert_eq!(out["waitlist"], true);
    assert_eq!(out["eta"]["basis"], "purchase_order");
    let pre = demo.availability("LAMP-ORBIT").json();
    assert!(pre["release_date"].is_string(), "{pre}");
}

#[test]
fn unknown_shop_or_sku_is_a_404_problem() {
    let client = Client::from_env();
    client.get("/v1/shops/no-such-shop/products/TEE-ORG-M/availability").assert_problem(404, "shop_not_found");
    client.get("/v1/shops/demo/products/NO-SUCH-SKU/availability").assert_problem(404, "product_not_found");
    client.get("/v1/shops/demo/products/TEE-ORG-M/nope").assert_problem(404, "route_not_found");
}

#[test]
fn malformed_ids_are_422_problems_naming_the_field() {
    let client = Client::from_env();
    let p = client.get("/v1/shops/demo/products/%3Cscript%3E/availability").assert_problem(422, "invalid_sku");
    assert_eq!(p["field"], "sku");
    client.get("/v1/shops/DEMO!/products/A/availability").assert_problem(422, "invalid_shop_id");
    let long = "S".repeat(65);
    client.get(&format!("/v1/shops/demo/products/{long}/availability")).assert_problem(422, "invalid_sku");
    client.get("/v1/shops/demo/products/A%27%20OR%201%3D1--/availability").assert_problem(422, "invalid_sku");
}

#[test]
fn wrong_methods_are_405_with_allow() {
    let client = Client::from_env();
    let reply = client.request("DELETE", "/v1/shops/demo/products/TEE-ORG-M/availability", &[], None);
    reply.assert_problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET, OPTIONS"));
}

#[test]
fn batch_answers_many_skus_in_order_and_lists_unknown_ones() {
    let client = Client::from_env();
    let reply = client.get("/v1/shops/demo/availability?skus=TEE-ORG-L,NOPE,TEE-ORG-M");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let v = reply.json();
    let skus: Vec<&str> = v["items"].as_array().into_iter().flatten().filter_map(|i| i["sku"].as_str()).collect();
    assert_eq!(skus, ["TEE-ORG-L", "TEE-ORG-M"]);
    assert_eq!(v["unknown"], serde_json::json!(["NOPE"]));
    assert!(v["shop"]["consent_text"].is_string());
    client.get("/v1/shops/demo/availability").assert_problem(422, "missing_field");
    let too_many: Vec<String> = (0..51).map(|i| format!("S{i}")).collect();
    client.get(&format!("/v1/shops/demo/availability?skus={}", too_many.join(","))).assert_problem(422, "out_of_range");
}

#[test]
fn the_batch_answers_with_the_consent_text_of_the_language_asked_for() {
    let shop = Shop::create_with(
        "consent-lang",
        serde_json::json!({ "consent_texts": { "de": "Einmal per E-Mail, wenn es wieder da ist.", "he": "מייל אחד כשיחזור." } }),
    );
    let settings = shop.admin("GET", "/v1/admin/settings", None).json();
    let default = settings["consent_text"].as_str().unwrap_or_default().to_owned();
    assert!(!default.is_empty(), "{settings}");
    assert_eq!(settings["consent_texts"]["de"], "Einmal per E-Mail, wenn es wieder da ist.");
    let consent = |query: &str| {
        let reply = shop.client.get(&format!("/v1/shops/{}/availability?skus=NOPE{query}", shop.id));
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        reply.json()["shop"]["consent_text"].as_str().unwrap_or_default().to_owned()
    };
    // The same cached shop snapshot answers every language in turn, each with its own text.
    for _ in 0..2 {
        assert_eq!(consent("&lang=de"), "Einmal per E-Mail, wenn es wieder da ist.");
        assert_eq!(consent("&lang=fr"), default, "no French text: the default");
        assert_eq!(consent("&lang=de-CH"), "Einmal per E-Mail, wenn es wieder da ist.", "region ignored");
        assert_eq!(consent("&lang=iw"), "מייל אחד כשיחזור.", "Hebrew's old code");
        assert_eq!(consent(""), default, "no language asked for");
        assert_eq!(consent("&lang="), default);
        assert_eq!(consent("&lang=%3Cscript%3E%00"), default, "garbage is no language we have a text in");
    }
    // Cleared: every language shows the default again.
    let r = shop.admin("PATCH", "/v1/admin/settings", Some(&serde_json::json!({ "consent_texts": null })));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["consent_texts"], serde_json::json!({}));
    assert_eq!(consent("&lang=de&fresh=1"), default);
}

#[test]
fn the_batch_answer_says_each_status_in_the_language_asked_for() {
    let shop = Shop::create("says");
    shop.put_product(
        "MUG-B",
        serde_json::json!({ "name": "Blue mug", "policy": "deny", "on_hand": 5, "category": "Mugs" }),
    );
    shop.put_product("JKT", serde_json::json!({ "name": "Jacket", "policy": "backorder", "cap": 1200 }));
    // Last: its alternatives are found when its own snapshot is built.
    shop.put_product("MUG", serde_json::json!({ "name": "Mug", "policy": "deny", "on_hand": 0, "category": "Mugs" }));
    let get = |lang: &str| {
        let r = shop.client.get(&format!("/v1/shops/{}/availability?skus=MUG,JKT,MUG-B&lang={lang}", shop.id));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let de = get("de-AT");
    assert_eq!((de["lang"].as_str(), de["dir"].as_str()), (Some("de"), Some("ltr")), "{de}");
    assert_eq!(
        de["items"][0]["say"],
        serde_json::json!({ "tone": "out", "status": "Ausverkauft", "eta": null, "left": null, "also": "Stattdessen sofort lieferbar:" })
    );
    assert_eq!(de["items"][0]["alternatives"][0]["say"], "Auf Lager", "{de}");
    let jkt = &de["items"][1]["say"];
    assert_eq!(
        (jkt["tone"].as_str(), jkt["status"].as_str()),
        (Some("bo"), Some("Jetzt bestellen, Versand bei Eingang"))
    );
    assert_eq!(jkt["eta"], "Versand, sobald Ware eintrifft");
    assert_eq!(jkt["left"], "Noch \u{2068}1.200\u{2069} bestellbar", "German groups thousands with a dot");
    assert_eq!(de["items"][2]["say"]["also"], serde_json::Value::Null, "in stock: nothing instead");
    let he = get("he");
    assert_eq!((he["lang"].as_str(), he["dir"].as_str()), (Some("he"), Some("rtl")));
    assert_eq!(he["items"][0]["say"]["status"], "אזל מהמלאי");
    // Without a language: English. The single-product read carries no words.
    assert_eq!(get("")["items"][1]["say"]["left"], "\u{2068}1,200\u{2069} left to order");
    assert!(shop.availability("MUG").json().get("say").is_none());
}
