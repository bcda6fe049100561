//! The OpenAPI description is served, is the committed file, and every operation it
//! documents exists (none answers `route_not_found` or 405).

use restock_e2e::client::Client;
use restock_e2e::server::repo_root;
use serde_json::Value;

#[test]
fn the_served_description_is_the_committed_one() {
    let served = Client::from_env().get("/v1/openapi.json");
    assert_eq!(served.status, 200);
    let committed = std::fs::read_to_string(repo_root().join("edge/openapi.json")).expect("edge/openapi.json");
    assert_eq!(served.body, committed);
    let doc: Value = served.json();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn every_documented_operation_is_routed() {
    let client = Client::from_env();
    let doc = client.get("/v1/openapi.json").json();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(paths.len() >= 25, "the whole API is documented");
    let mut checked = 0;
    for (template, ops) in &paths {
        let path = template
            .replace("{shop}", "demo")
            .replace("{sku}", "TEE-ORG-M")
            .replace("{id}", "x_unknown")
            .replace("{email}", "nobody@example.com")
            .replace("{file}", "waitlist.csv")
            .replace("{kind}", "restock")
            .replace("{lang}", "en");
        for method in ops.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            let method = method.to_uppercase();
            // A wrong key: 401 for admin routes, some answer for public ones; never
            // "no such route" and never "method not allowed".
            let r = client.request(
                &method,
                &path,
                &[("authorization", "Bearer sk_wrong"), ("content-type", "application/json")],
                Some(b"{}"),
            );
            let code = if r.body.starts_with('{') {
                r.json()["code"].as_str().unwrap_or("").to_owned()
            } else {
                String::new()
            };
            assert!(
                code != "route_not_found" && r.status != 405,
                "{method} {template} is documented but not routed: {} {}",
                r.status,
                r.body
            );
            assert!(r.status < 500, "{method} {template}: {} {}", r.status, r.body);
            checked += 1;
        }
    }
    assert!(checked >= 35, "checked {checked} operations");
}
