//! Stock against the built Worker: receiving allocates first come first served with
//! partial fills, the rest becomes sellable and starts a waitlist wave; previews change
//! nothing; purchase orders move ETAs and flag delays; reported orders take stock.

use restock_e2e::client::{Shop, ip};
use serde_json::{Value, json};

fn by_email<'a>(orders: &'a [Value], email: &str) -> &'a Value {
    orders.iter().find(|o| o["email"] == email).unwrap_or_else(|| panic!("no order for {email}"))
}

#[test]
fn receiving_fills_backorders_fifo_then_stock_then_the_waitlist() {
    let shop = Shop::create("recv");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "price_cents": 9900 }));
    for (i, (email, qty)) in [("a@example.com", 2), ("b@example.com", 3), ("c@example.com", 1)].iter().enumerate() {
        assert_eq!(shop.backorder("JKT", *qty, email, &ip(i), None).status, 201);
    }
    for i in 0..6 {
        assert_eq!(shop.signup("JKT", &format!("w{i}@example.com"), &ip(50 + i)).status, 202);
    }
    // 4 units: a gets 2 (complete), b gets 2 of 3 (partial), c nothing.
    let r = shop.receive("JKT", 4);
    assert_eq!(
        (r["allocated"].as_i64(), r["backorders_completed"].as_i64(), r["backorders_partial"].as_i64()),
        (Some(4), Some(1), Some(1))
    );
    assert_eq!(r["to_stock"], 0);
    assert!(r["release"].is_null(), "nothing sellable, no wave");
    let orders = shop.backorders("JKT");
    assert_eq!(
        (
            by_email(&orders, "a@example.com")["status"].as_str(),
            by_email(&orders, "a@example.com")["allocated"].as_i64()
        ),
        (Some("allocated"), Some(2))
    );
    assert_eq!(
        (
            by_email(&orders, "b@example.com")["status"].as_str(),
            by_email(&orders, "b@example.com")["allocated"].as_i64()
        ),
        (Some("open"), Some(2))
    );
    assert_eq!(by_email(&orders, "b@example.com")["position"], 1);
    assert_eq!(by_email(&orders, "c@example.com")["allocated"], 0);

    // 5 more: b's last unit, c's unit, 3 to stock, a wave for ceil(1.0 x 3) = 3 of 6.
    let r = shop.receive("JKT", 5);
    assert_eq!((r["allocated"].as_i64(), r["to_stock"].as_i64(), r["sellable"].as_i64()), (Some(2), Some(3), Some(3)));
    assert_eq!(r["release"]["notify"], 3);
    let orders = shop.backorders("JKT");
    assert!(orders.iter().all(|o| o["status"] == "allocated"), "{orders:?}");
    let product = shop.admin("GET", "/v1/admin/products/JKT", None).json();
    assert_eq!(product["on_hand"], 3);
    assert_eq!(product["availability"]["status"], "in_stock");
    assert_eq!(product["releases"][0]["target"], 3);
}

#[test]
fn a_preview_says_what_a_receive_would_do_and_does_nothing() {
    let shop = Shop::create("preview");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    for i in 0..5 {
        shop.backorder("JKT", 1, &format!("p{i}@example.com"), &ip(i), None);
    }
    shop.signup("JKT", "w@example.com", &ip(99));
    let preview =
        shop.admin("POST", "/v1/admin/products/JKT/receive?preview=1", Some(&json!({ "quantity": 7 }))).json();
    assert_eq!(preview["preview"], true);
    assert_eq!(
        (preview["allocated"].as_i64(), preview["backorders_completed"].as_i64(), preview["to_stock"].as_i64()),
        (Some(5), Some(5), Some(2))
    );
    assert_eq!(preview["release"]["notify"], 1, "one subscriber waiting");
    let product = shop.admin("GET", "/v1/admin/products/JKT", None).json();
    assert_eq!(product["on_hand"], 0);
    assert_eq!(product["queue"]["open"], 5, "nothing allocated");
    assert!(product["releases"].as_array().is_some_and(Vec::is_empty), "no wave recorded");
    // The real thing then does exactly what the preview said.
    let real = shop.receive("JKT", 7);
    for key in ["allocated", "backorders_completed", "to_stock", "sellable"] {
        assert_eq!(real[key], preview[key], "{key}");
    }
}

#[test]
fn receiving_a_purchase_order_closes_it() {
    let shop = Shop::create("po-recv");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let po = shop
        .admin(
            "POST",
            "/v1/admin/products/JKT/purchase-orders",
            Some(&json!({ "quantity": 6, "expected_date": "2031-01-10", "supplier": "Northline" })),
        )
        .json();
    let id = po["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    let r = shop.admin("POST", "/v1/admin/products/JKT/receive", Some(&json!({ "purchase_order_id": id })));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["received"], 6, "quantity defaults to the PO's");
    let pos = shop.admin("GET", "/v1/admin/products/JKT/purchase-orders", None).json();
    assert_eq!(pos["items"][0]["status"], "received");
    let again = shop.admin("POST", "/v1/admin/products/JKT/receive", Some(&json!({ "purchase_order_id": id })));
    again.assert_problem(409, "purchase_order_closed");
    shop.admin("POST", "/v1/admin/products/JKT/receive", Some(&json!({ "purchase_order_id": "po_nope" })))
        .assert_problem(404, "purchase_order_not_found");
}

#[test]
fn a_smaller_purchase_order_delays_those_at_the_back() {
    let shop = Shop::create("delay");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    let po = shop
        .admin(
            "POST",
            "/v1/admin/products/JKT/purchase-orders",
            Some(&json!({ "quantity": 4, "expected_date": "2031-02-01" })),
        )
        .json();
    let id = po["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    for i in 0..4 {
        let r = shop.backorder("JKT", 1, &format!("d{i}@example.com"), &ip(i), None).json();
        assert_eq!(r["promised_date"], "2031-02-01");
    }
    // The supplier ships only 2 on that date, and 2 more a month later. A preview says so
    // first and changes nothing.
    let change = json!({ "quantity": 2, "expected_date": "2031-02-01" });
    let po_path = format!("/v1/admin/products/JKT/purchase-orders/{id}");
    let preview = shop.admin("PUT", &format!("{po_path}?preview=1"), Some(&change)).json();
    assert_eq!((preview["preview"].as_bool(), preview["promises"]["delayed"].as_i64()), (Some(true), Some(2)));
    assert!(shop.backorders("JKT").iter().all(|o| o["delayed"] == 0), "a preview delays nobody");
    let still = shop.admin("GET", "/v1/admin/products/JKT/purchase-orders", None).json();
    assert_eq!(still["items"][0]["quantity"], 4, "a preview changes no purchase order");
    let r = shop.admin(
        "PUT",
        &format!("/v1/admin/products/JKT/purchase-orders/{id}"),
        Some(&json!({ "quantity": 2, "expected_date": "2031-02-01" })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["promises"]["delayed"], 2);
    let later = shop
        .admin(
            "POST",
            "/v1/admin/products/JKT/purchase-orders",
            Some(&json!({ "quantity": 2, "expected_date": "2031-03-01" })),
        )
        .json();
    assert_eq!(later["promises"]["delayed"], 0, "nobody slips further");
    let orders = shop.backorders("JKT");
    let delayed: Vec<&str> = orders.iter().filter(|o| o["delayed"] == 1).filter_map(|o| o["email"].as_str()).collect();
    assert_eq!(delayed, ["d2@example.com", "d3@example.com"], "the back of the queue");
    assert_eq!(by_email(&orders, "d3@example.com")["current_promise"], "2031-03-01");
    assert_eq!(by_email(&orders, "d0@example.com")["current_promise"], "2031-02-01");
    let only_delayed = shop.all_pages("/v1/admin/backorders?delayed=1");
    assert_eq!(only_delayed.len(), 2);
    // Cancelling the first PO: the front two slip to March, the back two have no date.
    let preview = shop.admin("DELETE", &format!("{po_path}?preview=1"), None).json();
    assert_eq!(preview["promises"]["delayed"], 4);
    assert_eq!(
        shop.admin("GET", "/v1/admin/products/JKT/purchase-orders", None).json()["items"].as_array().map(Vec::len),
        Some(2)
    );
    let r = shop.admin("DELETE", &format!("/v1/admin/products/JKT/purchase-orders/{id}"), None);
    assert_eq!(r.json()["promises"]["delayed"], 4);
    let orders = shop.backorders("JKT");
    assert_eq!(by_email(&orders, "d0@example.com")["current_promise"], "2031-03-01");
    assert!(by_email(&orders, "d3@example.com")["current_promise"].is_null(), "told: date unknown");
}

#[test]
fn setting_on_hand_higher_is_stock_arriving() {
    let shop = Shop::create("onhand");
    shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    shop.backorder("JKT", 2, "a@example.com", &ip(1), None);
    let body = json!({ "name": "Jacket", "policy": "backorder", "on_hand": 5 });
    let preview = shop.admin("PUT", "/v1/admin/products/JKT?preview=1", Some(&body)).json();
    assert_eq!((preview["allocated"].as_i64(), preview["to_stock"].as_i64()), (Some(2), Some(3)));
    assert_eq!(preview["availability"]["status"], "in_stock", "what shoppers would see");
    let unchanged = shop.admin("GET", "/v1/admin/products/JKT", None).json();
    assert_eq!(
        (unchanged["on_hand"].as_i64(), unchanged["queue"]["open"].as_i64()),
        (Some(0), Some(1)),
        "a preview changes nothing"
    );
    let p = shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "on_hand": 5 }));
    assert_eq!(p["change"]["allocated"], 2, "the backorder is served first");
    assert_eq!(p["on_hand"], 3);
    // The preview was the same plan: it said exactly what the change did.
    let mut change = p["change"].clone();
    change["preview"] = json!(true);
    change["created"] = json!(false);
    assert_eq!(change, preview, "preview and change are one plan");
    let p = shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder", "on_hand": 1 }));
    assert_eq!(p["on_hand"], 1, "lower is simply lower");
}

#[test]
fn reported_orders_take_stock_once() {
    let shop = Shop::create("orders");
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 10, "price_cents": 2500 }));
    let body = json!({ "sku": "TEE", "quantity": 3, "reference": "#1001", "email": "buyer@example.com" });
    let first = shop.admin("POST", "/v1/admin/orders", Some(&body));
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.json()["amount_cents"], 7500, "defaults to price x quantity");
    let again = shop.admin("POST", "/v1/admin/orders", Some(&body));
    assert_eq!(again.status, 200, "the same reference is recorded once");
    assert_eq!(shop.admin("GET", "/v1/admin/products/TEE", None).json()["on_hand"], 7);
    shop.admin("POST", "/v1/admin/orders", Some(&json!({ "sku": "TEE", "quantity": 0, "reference": "#2" })))
        .assert_problem(422, "invalid_quantity");
}

#[test]
fn products_can_be_listed_and_deleted_unless_orders_are_open() {
    let shop = Shop::create("crud");
    for i in 0..5 {
        shop.put_product(&format!("P{i}"), json!({ "name": format!("Product {i}"), "policy": "backorder" }));
    }
    let list = shop.all_pages("/v1/admin/products?limit=2");
    let skus: Vec<&str> = list.iter().filter_map(|p| p["sku"].as_str()).collect();
    assert_eq!(skus, ["P0", "P1", "P2", "P3", "P4"], "paged in SKU order");
    shop.backorder("P1", 1, "a@example.com", &ip(1), None);
    shop.admin("DELETE", "/v1/admin/products/P1", None).assert_problem(409, "has_open_backorders");
    assert_eq!(shop.admin("DELETE", "/v1/admin/products/P0", None).status, 204);
    shop.admin("GET", "/v1/admin/products/P0", None).assert_problem(404, "product_not_found");
    shop.admin("DELETE", "/v1/admin/products/P0", None).assert_problem(404, "product_not_found");
}
