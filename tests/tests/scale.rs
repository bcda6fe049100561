//! A shop the size of a real one, against a Worker of its own: the large-shop fixture
//! (`cargo xtask` writes it through the domain crate; CI size: 5,000 SKUs, 20,000
//! waitlist entries, 2,000 backorders, 500 purchase orders, 10,000 deliveries) loaded
//! into fresh local D1 before the Worker starts, and the Worker run with a subrequest
//! limit of 200 (`SUBREQUEST_LIMIT`), so work that would not fit Cloudflare's per-
//! invocation limit fails here.
//!
//! Every admin endpoint answers without a 5xx and within a bounded size, lists page
//! through everything exactly once, search finds by SKU and by name, exports stream
//! every row, the scheduled job does bounded work and resumes, the weekly digest goes
//! out through its queued pages, and every dashboard page works in Chromium.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use restock_e2e::browser::Browser;
use restock_e2e::client::{Client, Reply, Shop};
use restock_e2e::dashboard::{WAIT, main_text, sign_in, table_rows, wait_text};
use restock_e2e::server::{DevServer, execute_sql, query_sql, start_own_with};
use serde_json::{Value, json};

/// The fixture's sizes (xtask's `Size::CI`).
const SKUS: usize = 5_000;
const WAITLIST: usize = 20_000;
const BACKORDERS: usize = 2_000;
const DELIVERIES: u64 = 10_000;
/// The largest JSON answer an admin endpoint may give (a page of 200 products is the
/// largest page).
const MAX_JSON_BYTES: usize = 512 * 1024;
const SUBREQUEST_LIMIT: u32 = 200;

fn start() -> (DevServer, Shop) {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run `cargo xtask test` (it writes the fixture)"))
    };
    let (sql, key) = (var("RESTOCK_FIXTURE_SQL"), var("RESTOCK_FIXTURE_KEY"));
    let limit = SUBREQUEST_LIMIT.to_string();
    let started = Instant::now();
    let server = start_own_with("scale", "operator", &[("SUBREQUEST_LIMIT", &limit)], |state| {
        execute_sql(state, std::path::Path::new(&sql))
    })
    .expect("a Worker with the large-shop fixture");
    eprintln!("fixture loaded and Worker ready in {:.1}s", started.elapsed().as_secs_f64());
    let shop = Shop { id: "bigshop".into(), key, client: Client::new(&server.url) };
    (server, shop)
}

/// A GET that must answer 200 within the size bound, and stay within the subrequest limit.
#[track_caller]
fn get(shop: &Shop, path: &str) -> Value {
    let reply = shop.admin("GET", path, None);
    check(&reply, "GET", path);
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
    reply.json()
}

#[track_caller]
fn check(reply: &Reply, method: &str, path: &str) {
    assert!(reply.status < 500, "{method} {path}: {} {}", reply.status, reply.body);
    let json = reply.header("content-type").is_some_and(|t| t.contains("json"));
    assert!(
        !json || reply.body.len() <= MAX_JSON_BYTES,
        "{method} {path}: {} bytes (at most {MAX_JSON_BYTES})",
        reply.body.len()
    );
    let cost = reply.header("x-restock-d1").unwrap_or_default();
    let used: u32 = cost
        .split("subrequests=")
        .nth(1)
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no subrequest count in {cost:?}"));
    assert!(used <= SUBREQUEST_LIMIT, "{method} {path}: {used} subrequests");
}

/// Every item of a paged list, checking each page.
fn all_pages(shop: &Shop, path: &str, items: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
            None => format!("{path}{sep}limit=200"),
        };
        let page = get(shop, &url);
        out.extend(page[items].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn strings(items: &[Value], key: &str) -> Vec<String> {
    items.iter().filter_map(|i| i[key].as_str().map(str::to_owned)).collect()
}

fn sql_count(shop_server: &DevServer, sql: &str) -> u64 {
    let v = query_sql(&shop_server.options.persist, sql).expect("d1 query");
    v[0]["results"][0]["n"].as_u64().unwrap_or_else(|| panic!("{sql}: {v}"))
}

#[test]
fn a_shop_with_a_real_catalog_works_on_every_endpoint_page_and_job() {
    let (server, shop) = start();
    lists_and_search(&shop);
    let hot = insights_and_products(&shop);
    exports(&shop);
    changes(&shop, &hot);
    scheduled_work_is_bounded_and_resumes(&server, &shop);
    the_weekly_digest_goes_out(&shop);
    every_other_change(&shop, &hot);
    dashboard(&server, &shop, &hot);
    let rotate = shop.admin("POST", "/v1/admin/key/rotate", Some(&json!({ "grace_hours": 1 })));
    check(&rotate, "POST", "/v1/admin/key/rotate");
    assert_eq!(rotate.status, 200, "{}", rotate.body);
}

fn lists_and_search(shop: &Shop) {
    let products = all_pages(shop, "/v1/admin/products", "items");
    let skus: HashSet<String> = strings(&products, "sku").into_iter().collect();
    assert_eq!((products.len(), skus.len()), (SKUS, SKUS), "every product once across pages");

    let by_sku = get(shop, "/v1/admin/products?q=BIG-0012&limit=200");
    assert_eq!(
        strings(by_sku["items"].as_array().map_or(&[][..], Vec::as_slice), "sku"),
        (120..130).map(|i| format!("BIG-{i:05}")).collect::<Vec<_>>(),
        "a SKU prefix finds those SKUs, in order"
    );
    let by_name = get(shop, "/v1/admin/products?q=no.%204321");
    assert_eq!(strings(by_name["items"].as_array().map_or(&[][..], Vec::as_slice), "sku"), vec!["BIG-04321"]);
    let wild = get(shop, "/v1/admin/products?q=%25");
    assert_eq!(wild["items"].as_array().map(Vec::len), Some(0), "% is a character, not a wildcard");
    let long = shop.admin("GET", &format!("/v1/admin/products?q={}", "a".repeat(41)), None);
    assert_eq!(long.assert_problem(422, "out_of_range")["field"], "q", "{}", long.body);

    let backorders = all_pages(shop, "/v1/admin/backorders", "items");
    assert_eq!(backorders.len(), BACKORDERS);
    let one = &backorders[BACKORDERS / 2];
    get(shop, &format!("/v1/admin/backorders/{}", one["id"].as_str().unwrap_or_default()));

    let deliveries = get(shop, "/v1/admin/deliveries?limit=200");
    let counts = &deliveries["counts"];
    assert_eq!(counts["sent"].as_u64().unwrap_or(0) + counts["dead"].as_u64().unwrap_or(0), DELIVERIES, "{counts}");
    let mut cursor = deliveries["next_cursor"].as_str().map(str::to_owned);
    for _ in 0..5 {
        let Some(c) = cursor else { break };
        let page = get(shop, &format!("/v1/admin/deliveries?limit=200&cursor={c}"));
        assert_eq!(page["items"].as_array().map(Vec::len), Some(200));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    get(shop, "/v1/admin/settings");
    get(shop, "/v1/admin/audit");
}

/// Checks insights and the hottest product's pages; returns its SKU.
fn insights_and_products(shop: &Shop) -> String {
    let first = get(shop, "/v1/admin/insights");
    let ranked = first["products"].as_array().cloned().unwrap_or_default();
    assert_eq!(ranked.len(), 50, "one page of the ranking");
    assert_eq!(first["totals"]["waiting"], json!(WAITLIST), "totals count every signup");
    let demand = |p: &Value| p["demand_units"].as_i64().unwrap_or(0);
    assert!(ranked.windows(2).all(|w| demand(&w[0]) >= demand(&w[1])), "ranked by demand");
    let next = first["next_cursor"].as_str().expect("more ranked products").to_owned();
    let second = get(shop, &format!("/v1/admin/insights?cursor={next}"));
    let page2 = second["products"].as_array().cloned().unwrap_or_default();
    assert!(demand(&ranked[49]) >= demand(&page2[0]), "the second page continues the ranking");
    let firsts: HashSet<String> = strings(&ranked, "sku").into_iter().collect();
    assert!(strings(&page2, "sku").iter().all(|s| !firsts.contains(s)), "no product on two pages");

    let hot = ranked[0]["sku"].as_str().unwrap_or_default().to_owned();
    let detail = get(shop, &format!("/v1/admin/products/{hot}"));
    assert_eq!(detail["sku"], hot.as_str());
    let waitlist = all_pages(shop, &format!("/v1/admin/products/{hot}/waitlist"), "items");
    assert_eq!(waitlist.len() as i64, ranked[0]["waiting"].as_i64().unwrap_or(-1), "the waitlist pages through");
    get(shop, &format!("/v1/admin/products/{hot}/purchase-orders"));
    hot
}

fn exports(shop: &Shop) {
    for (what, rows) in [("waitlist.csv", WAITLIST), ("backorders.csv", BACKORDERS)] {
        let reply = shop.admin("GET", &format!("/v1/admin/export/{what}"), None);
        assert_eq!(reply.status, 200, "{what}");
        assert_eq!(reply.body.lines().count(), rows + 1, "{what}: a header and every row, streamed in pages");
    }
    let digest = shop.admin("GET", "/v1/admin/export/supplier-digest.csv", None);
    assert_eq!(digest.status, 200);
    let backordered: HashSet<String> =
        strings(&all_pages(shop, "/v1/admin/backorders?status=open", "items"), "sku").into_iter().collect();
    assert_eq!(digest.body.lines().count(), backordered.len() + 1, "one row per SKU with open backorders");
}

/// Changes on a big queue stay within the limits too.
fn changes(shop: &Shop, hot: &str) {
    let backordered = all_pages(shop, "/v1/admin/backorders?status=open", "items");
    let sku = backordered[0]["sku"].as_str().unwrap_or_default().to_owned();
    let path = format!("/v1/admin/products/{sku}/receive");
    let reply = shop.admin("POST", &format!("{path}?preview=1"), Some(&json!({ "quantity": 500 })));
    check(&reply, "POST", &path);
    let reply = shop.admin("POST", &path, Some(&json!({ "quantity": 500 })));
    check(&reply, "POST", &path);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let cancel = format!("/v1/admin/backorders/{}/cancel", backordered[1]["id"].as_str().unwrap_or_default());
    check(&shop.admin("POST", &cancel, None), "POST", &cancel);
    let put = format!("/v1/admin/products/{hot}");
    let reply = shop.admin("PUT", &put, Some(&json!({ "name": "Hot product", "policy": "backorder", "on_hand": 0 })));
    check(&reply, "PUT", &put);
    assert!(reply.status == 200, "{}", reply.body);
}

fn scheduled_work_is_bounded_and_resumes(server: &DevServer, shop: &Shop) {
    let due = "SELECT COUNT(*) AS n FROM products p WHERE p.checked_at >= ?  AND EXISTS \
               (SELECT 1 FROM backorders b WHERE b.shop_id = p.shop_id AND b.sku = p.sku AND b.status = 'open')";
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let checked = |server: &DevServer| sql_count(server, &due.replace('?', &since.to_string()));
    let open_skus = sql_count(
        server,
        "SELECT COUNT(DISTINCT sku) AS n FROM backorders WHERE shop_id = 'bigshop' AND status = 'open'",
    );
    shop.run_cron();
    let after_one = checked(server);
    assert!(after_one > 0, "the first run rechecked some products");
    assert!(after_one < open_skus.min(100), "one run stops within its subrequests: {after_one} of {open_skus}");
    shop.run_cron();
    let after_two = checked(server);
    assert!(after_two > after_one, "the next run goes on where it stopped: {after_one} then {after_two}");
}

fn the_weekly_digest_goes_out(shop: &Shop) {
    let r = shop.client.get("/__scheduled?cron=0+7+*+*+MON");
    assert_eq!(r.status, 200, "{}", r.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = get(shop, "/v1/admin/deliveries?kind=digest");
        if let Some(d) = page["items"].as_array().and_then(|i| i.first()) {
            assert_eq!(d["recipient"], "buyer@bigcatalog.example");
            break;
        }
        assert!(Instant::now() < deadline, "no digest within 30 s");
        std::thread::sleep(Duration::from_millis(300));
    }
    // Another run of the same week sends nothing again.
    shop.client.get("/__scheduled?cron=0+7+*+*+MON");
    std::thread::sleep(Duration::from_secs(2));
    let page = get(shop, "/v1/admin/deliveries?kind=digest");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "one digest per shop and week");
}

fn dashboard(server: &DevServer, shop: &Shop, hot: &str) {
    let b = Browser::launch();
    sign_in(&b, &server.url, &shop.key);
    wait_text(&b, "the ranking", "Products by waiting demand");
    assert_eq!(table_rows(&b), 50, "one page of the ranking");
    b.click(&b.find("main .actions button"));
    b.wait_for("the second page", "return document.querySelectorAll('main tbody tr').length === 100", WAIT);

    b.goto(&format!("{}/dashboard/#/products", server.url));
    wait_text(&b, "the product list", "BIG-00049");
    assert_eq!(table_rows(&b), 50, "a page of products, not all {SKUS}");
    let search = b.find("main input[type=search]");
    b.type_into(&search, "no. 4321");
    b.wait_for("the search result", "return document.querySelectorAll('main tbody tr').length === 1", WAIT);
    assert!(main_text(&b).contains("BIG-04321"));

    b.goto(&format!("{}/dashboard/#/product/{hot}", server.url));
    wait_text(&b, "the product page", "Backorder queue");
    b.goto(&format!("{}/dashboard/#/deliveries", server.url));
    wait_text(&b, "the delivery log", "dead-lettered");
    assert_eq!(table_rows(&b), 50);
    b.goto(&format!("{}/dashboard/#/settings", server.url));
    wait_text(&b, "the settings", "Recent changes");
}

/// The admin changes not covered above, on the big shop: each answers without a 5xx,
/// within the size bound and the subrequest limit.
fn every_other_change(shop: &Shop, hot: &str) {
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let in_a_week =
        restock_shared::Timestamp::from_millis(i64::try_from(now_ms).unwrap_or(0)).date().add_days(7).to_iso();
    let change = |method: &str, path: String, body: Option<Value>| -> Value {
        let reply = shop.admin(method, &path, body.as_ref());
        check(&reply, method, &path);
        assert!(reply.status < 300, "{method} {path}: {} {}", reply.status, reply.body);
        if reply.body.is_empty() { Value::Null } else { reply.json() }
    };
    let po = change(
        "POST",
        format!("/v1/admin/products/{hot}/purchase-orders"),
        Some(json!({ "quantity": 40, "expected_date": in_a_week })),
    );
    let po_id = po["purchase_order"]["id"].as_str().unwrap_or_default().to_owned();
    change(
        "PUT",
        format!("/v1/admin/products/{hot}/purchase-orders/{po_id}"),
        Some(json!({ "quantity": 60, "expected_date": in_a_week })),
    );
    change("DELETE", format!("/v1/admin/products/{hot}/purchase-orders/{po_id}"), None);
    change(
        "POST",
        "/v1/admin/orders".into(),
        Some(json!({ "sku": "BIG-00001", "quantity": 1, "reference": "ORDER-1" })),
    );
    change("PATCH", "/v1/admin/settings".into(), Some(json!({ "handling_days": 1 })));
    let dead = get(shop, "/v1/admin/deliveries?status=dead&limit=1");
    let dead_id = dead["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    change("POST", format!("/v1/admin/deliveries/{dead_id}/retry"), None);
    change("DELETE", "/v1/admin/subscribers/waiting000001%40example.com".into(), None);
    get(shop, "/v1/admin/suppressions");
    shop.put_product("BIG-GONE", json!({ "name": "Going", "policy": "deny" }));
    change("DELETE", "/v1/admin/products/BIG-GONE".into(), None);
}
