//! The generic import (issue 17): a catalog with its stock as CSV or JSON, previewed
//! with `?preview=1` by the same plans the import then carries out (allocation to
//! backorders first come first served, the waitlist wave, new products, variant
//! mapping), and refused whole, naming `items[i].field`, when any row is wrong.

use restock_e2e::client::{Shop, ip};
use serde_json::{Value, json};

fn import(shop: &Shop, body: &Value, preview: bool) -> restock_e2e::client::Reply {
    let path = if preview { "/v1/admin/import?preview=1" } else { "/v1/admin/import" };
    shop.admin("POST", path, Some(body))
}

/// A change without the fields that say whether it was a preview.
fn plan(v: &Value) -> Value {
    let mut v = v.clone();
    for row in v["rows"].as_array_mut().into_iter().flatten() {
        if let Some(c) = row["change"].as_object_mut() {
            c.remove("preview");
            // The release's id and times are the commit's own (its request's clock).
            if let Some(r) = c.get_mut("release").and_then(Value::as_object_mut) {
                r.retain(|k, _| matches!(k.as_str(), "action" | "units" | "notify"));
            }
        }
    }
    v.as_object_mut().map(|o| o.remove("preview"));
    v
}

#[test]
fn a_csv_preview_is_the_import_it_previews() {
    let shop = Shop::create("imp");
    shop.put_product("LAMP", json!({ "name": "Lamp", "policy": "backorder" }));
    for (i, who) in ["ann", "bob"].iter().enumerate() {
        assert_eq!(shop.backorder("LAMP", 1, &format!("{who}@example.com"), &ip(80 + i), None).status, 201);
    }
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    assert_eq!(shop.signup("MUG", "cy@example.com", &ip(90)).status, 202);
    let csv = "sku,name,on_hand,policy,price_cents,platform,variant_id\r\n\
               LAMP,,5,,,,\r\n\
               MUG,,3,,,,\r\n\
               NEW-1,\"New thing, blue\",7,backorder,1500,shopify,44009\r\n";
    let body = json!({ "csv": csv });
    let preview = import(&shop, &body, true);
    assert_eq!(preview.status, 200, "{}", preview.body);
    let p = preview.json();
    assert_eq!(p["preview"], true);
    assert_eq!(
        p["totals"],
        json!({ "create": 1, "update": 2, "received": 8, "allocated": 2, "to_stock": 6, "notify": 1, "delayed": 0 })
    );
    assert_eq!(p["next_row"], Value::Null);
    let says = p["rows"][0]["change"]["says"].clone();
    assert!(says.to_string().contains("Allocates 2 units to backorders"), "{says}");
    // The preview wrote nothing.
    assert_eq!(shop.admin("GET", "/v1/admin/products/LAMP", None).json()["on_hand"], 0);
    shop.admin("GET", "/v1/admin/products/NEW-1", None).assert_problem(404, "product_not_found");
    assert!(shop.backorders("LAMP").iter().all(|b| b["status"] == "open"));

    let done = import(&shop, &body, false);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(plan(&done.json()), plan(&p), "the import is the plan its preview showed");
    let lamp = shop.admin("GET", "/v1/admin/products/LAMP", None).json();
    assert_eq!(lamp["on_hand"], 3, "5 in, 2 to the two backorders");
    let statuses: Vec<String> = shop
        .all_pages("/v1/admin/backorders?sku=LAMP")
        .iter()
        .filter_map(|b| b["status"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(statuses, ["allocated", "allocated"]);
    let new = shop.admin("GET", "/v1/admin/products/NEW-1", None).json();
    assert_eq!(
        (new["name"].as_str(), new["on_hand"].as_i64(), new["policy"].as_str(), new["price_cents"].as_i64()),
        (Some("New thing, blue"), Some(7), Some("backorder"), Some(1500))
    );
    let b = shop.client.get(&format!("/v1/shops/{}/availability?variants=44009", shop.id)).json();
    assert_eq!(b["variants"], json!({ "44009": "NEW-1" }));
    // Recorded as one change in the audit log; the preview was not.
    let audit = shop.admin("GET", "/v1/admin/audit", None).json();
    let imports = audit["items"].as_array().into_iter().flatten().filter(|a| a["path"] == "/v1/admin/import").count();
    assert_eq!(imports, 1, "{audit}");
}

#[test]
fn a_wrong_row_refuses_the_whole_request_naming_it() {
    let shop = Shop::create("impbad");
    let refused = |body: Value, status: u16, code: &str, field: &str| {
        let p = import(&shop, &body, false).assert_problem(status, code);
        assert_eq!(p["field"], field, "{p}");
    };
    refused(
        json!({ "csv": "sku,name,policy,cap\nGOOD,Good,backorder,3\nBAD,Bad,backorder,0" }),
        422,
        "out_of_range",
        "items[1].cap",
    );
    refused(
        json!({ "items": [{ "sku": "A", "name": "A" }, { "sku": "a b", "name": "B" }] }),
        422,
        "invalid_sku",
        "items[1].sku",
    );
    refused(
        json!({ "items": [{ "sku": "A", "name": "A" }, { "sku": "A", "name": "B" }] }),
        400,
        "duplicate_sku",
        "items[1].sku",
    );
    refused(
        json!({ "items": [{ "sku": "A", "name": "A", "policy": "deny", "cap": 2 }] }),
        422,
        "out_of_range",
        "items[0].cap",
    );
    refused(json!({ "items": [{ "sku": "A" }] }), 422, "missing_field", "items[0].name");
    refused(
        json!({ "items": [{ "sku": "A", "name": "A", "platform": "shopify" }] }),
        400,
        "missing_field",
        "items[0].variant_id",
    );
    refused(
        json!({ "items": [{ "sku": "A", "name": "A", "on_hand": null }] }),
        400,
        "invalid_body",
        "items[0].on_hand",
    );
    refused(json!({ "items": [{ "sku": "A", "name": "Tee\nBcc: x" }] }), 422, "invalid_text", "items[0].name");
    refused(json!({ "csv": "sku,colour\nA,red" }), 400, "invalid_csv", "csv.colour");
    refused(json!({ "csv": "sku,on_hand\nA,1\nB,lots" }), 400, "invalid_csv", "items[1].on_hand");
    let many: Vec<Value> = (0..51).map(|i| json!({ "sku": format!("S{i}"), "name": "S" })).collect();
    refused(json!({ "items": many }), 400, "out_of_range", "items");
    // Nothing of any refused request was written.
    shop.admin("GET", "/v1/admin/products/GOOD", None).assert_problem(404, "product_not_found");
    shop.admin("GET", "/v1/admin/products/A", None).assert_problem(404, "product_not_found");
}
