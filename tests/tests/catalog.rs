//! A catalog the size of a real shop's page of products, against the built Worker:
//! lists that bind more SKUs than one D1 statement may (100 parameters) still answer.

use restock_e2e::client::Shop;
use serde_json::json;

#[test]
fn the_product_list_pages_through_more_products_than_one_statement_binds() {
    let shop = Shop::create("catalog");
    let n = 250;
    for i in 0..n {
        let sku = format!("SKU-{i:04}");
        shop.put_product(&sku, json!({ "name": format!("Product {i}"), "policy": "backorder", "cap": 3 }));
    }
    for limit in [99, 100, 101, 200] {
        let reply = shop.admin("GET", &format!("/v1/admin/products?limit={limit}"), None);
        assert_eq!(reply.status, 200, "limit={limit}: {}", reply.body);
        let items = reply.json()["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), limit, "limit={limit}");
        assert_eq!(items[0]["sku"], "SKU-0000");
        assert_eq!(items[limit - 1]["availability"]["status"], "backorder", "facts loaded for the last one too");
    }
    let all = shop.all_pages("/v1/admin/products");
    assert_eq!(all.len(), n, "every product, once, across pages");
    let mut skus: Vec<&str> = all.iter().filter_map(|p| p["sku"].as_str()).collect();
    skus.dedup();
    assert_eq!(skus.len(), n);
}
