//! The platform connectors on Cloudflare's Free plan (`SUBREQUEST_LIMIT=50`), against
//! the built Worker, each test on a Worker of its own with that limit: a Shopify
//! stock webhook is planned in its own invocation (the queue allocated, the waitlist
//! notified) and costs what `connect::budget` keeps for it; a reconciliation of a
//! few hundred variants, some at more than ten locations, completes its pass over
//! several scheduled runs, each within the limit (the Meter refused nothing: see
//! `GET /dev/d1`), each moving the pass on, and ends with Restock's counts equal to
//! the platform's. The same catalog at 1,000 (Paid) gives the figures to compare;
//! WooCommerce's pages at 50 too; and a BigCommerce product webhook whose plans do
//! not all fit leaves the rest to the next scheduled run. The figures measured are
//! printed (README quotes them).

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::platforms::{
    BC_CLIENT_SECRET, BC_STORE, BC_TOKEN, Item, Kind, PlatformServer, SHOPIFY_SECRET, SHOPIFY_TOKEN, WOO_KEY,
    WOO_SECRET, WOO_WEBHOOK_SECRET, bc_hook, deliver, now_secs, shopify_hook, shopify_level, shopify_order,
    shopify_product,
};
use restock_e2e::server::{DevServer, query_sql, start_own};
use serde_json::{Value, json};

/// What `connect::budget::PLAN` keeps for one SKU's plan.
const PLAN_KEPT: u64 = 28;

fn own(name: &str, limit: &str) -> (DevServer, Client, Shop) {
    let operator = format!("op_{name}");
    let server = start_own(name, &operator, &[("SUBREQUEST_LIMIT", limit)]).unwrap_or_else(|e| panic!("{name}: {e}"));
    let client = Client::new(&server.url);
    let shop = Shop::create_on(client.clone(), &operator, name, json!({}));
    (server, client, shop)
}

fn connect_shopify(shop: &Shop, api: &PlatformServer) -> String {
    let body = json!({ "platform": "shopify", "store": "acme.myshopify.com", "webhook_secret": SHOPIFY_SECRET,
        "api_token": SHOPIFY_TOKEN, "api_base": api.base });
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_owned()
}

/// Subrequests one answer made (`x-restock-d1`, development only).
fn subrequests(r: &restock_e2e::client::Reply) -> u64 {
    let cost = r.header("x-restock-d1").unwrap_or_default().to_owned();
    cost.split(';')
        .find_map(|p| p.trim().strip_prefix("subrequests="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no subrequests in x-restock-d1: {cost:?}"))
}

/// This isolate's tally of one kind of invocation (`GET /dev/d1`).
fn tally(client: &Client, kind: &str) -> Value {
    let r = client.get("/dev/d1");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()[kind].clone()
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// A Shopify stock webhook at the Free plan's limit is planned at once: the count
/// moves on hand, the queue gets its units first come first served, and the waitlist
/// its wave, as at 1,000; it costs what the budget keeps for it.
#[test]
fn at_fifty_a_stock_webhook_is_planned_in_its_own_invocation() {
    let (_server, client, shop) = own("freehook", "50");
    let api = PlatformServer::start(Kind::Shopify);
    connect_shopify(&shop, &api);
    let hook = |topic: &str, body: &Value, id: &str| {
        let r = deliver(&client, "shopify", &shop.id, &shopify_hook(SHOPIFY_SECRET, topic, body, id, false));
        assert_eq!(r.status, 200, "{topic}: {}", r.body);
        r
    };
    let tee = Item::simple(501, "TEE", "Tee", 0, "2027-01-01T00:00:00Z");
    hook("products/create", &shopify_product(std::slice::from_ref(&tee)), "p-1");
    let level = |available: i64, at: &str, id: &str| {
        let r = hook("inventory_levels/update", &shopify_level(tee.item_id, 1, available, at), id);
        assert_eq!(r.json()["status"], "applied", "{}", r.body);
        r
    };
    let first = level(0, "2027-01-01T00:00:00Z", "l-0");
    for (i, (email, qty)) in [("ann@example.com", 2), ("bob@example.com", 1)].iter().enumerate() {
        let id = 9001 + i as u64;
        let at = format!("2027-01-02T1{i}:00:00Z");
        let order = shopify_order(id, &at, email, "", &[(i as u64 + 1, 501, "TEE", *qty, true)], false);
        let r = hook("orders/create", &order, &format!("o-{id}"));
        assert_eq!(r.json()["status"], "applied", "{}", r.body);
    }
    assert_eq!(shop.signup("TEE", "wendy@example.com", &ip(7)).status, 202);

    // An older count than the one stored: stored nothing, planned nothing.
    let old = level(50, "2026-12-01T00:00:00Z", "l-old");
    assert!(old.json()["detail"].as_str().is_some_and(|d| d.contains("0 SKU(s) planned again")), "{}", old.body);
    assert_eq!(shop.product("TEE")["on_hand"], 0);

    // Ten arrive (-3 after the orders, then 7): planned in this very invocation.
    let r = level(7, "2027-01-03T09:00:00Z", "l-1");
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("1 SKU(s) planned again") && !detail.contains("left to"), "{detail}");
    let p = shop.product("TEE");
    assert_eq!((p["on_hand"].as_i64(), p["availability"]["status"].as_str()), (Some(7), Some("in_stock")), "{p}");
    let queue = shop.all_pages("/v1/admin/backorders?sku=TEE");
    let statuses: Vec<&str> = queue.iter().filter_map(|q| q["status"].as_str()).collect();
    assert_eq!(statuses, ["allocated", "allocated"], "{queue:?}");
    let releases = p["releases"].as_array().cloned().unwrap_or_default();
    assert_eq!(releases.len(), 1, "a wave for the waitlist, as at 1,000: {p}");
    let (with_plan, without, first_cost) = (subrequests(&r), subrequests(&old), subrequests(&first));
    eprintln!(
        "measured at 50: a stock webhook {with_plan} subrequests with its SKU's plan (allocating 2 backorders, \
         starting a wave), {without} without a plan; the first count of a new product {first_cost}"
    );
    assert!(with_plan <= 50);
    assert!(with_plan - without <= PLAN_KEPT, "a plan costs {} > the {PLAN_KEPT} kept", with_plan - without);
    assert_eq!(n(&tally(&client, "fetch"), "refused"), 0, "no request met the limit");
}

/// `n` variants `FREE-000`...: every 25th at 12 locations (10 read with its page, the
/// rest by item), the others at one.
fn catalog(n: u64) -> Vec<Item> {
    (0..n)
        .map(|i| {
            let mut item =
                Item::simple(70_000 + i, &format!("FREE-{i:03}"), &format!("Free {i}"), 3, "2027-01-01T00:00:00Z");
            if i % 25 == 7 {
                for loc in 2..=12 {
                    item.levels.push((loc, 1, "2027-01-01T00:00:00Z".into()));
                }
            }
            item
        })
        .collect()
}

/// What the scheduled runs of one pass did.
#[derive(Debug, Default)]
struct Pass {
    runs: u64,
    most: u64,
    subrequests: u64,
    calls: usize,
    /// Subrequests of each run.
    each: Vec<u64>,
}

/// Runs the scheduled job until the connection's pass is done (at most `max_runs`),
/// checking after each run that the Meter refused nothing and that the pass moved
/// on (its cursor changed, or it ended).
fn run_pass(server: &DevServer, client: &Client, shop: &Shop, api: &PlatformServer, id: &str, max_runs: u64) -> Pass {
    let cursor = || {
        let v = query_sql(&server.options.persist, &format!("SELECT sync_cursor FROM connections WHERE id = '{id}'"))
            .unwrap_or_else(|e| panic!("{e}"));
        v[0]["results"][0]["sync_cursor"].clone()
    };
    let c = shop.connection(id);
    if c["sync"]["last_at"] != Value::Null && c["sync"]["running"] == false && cursor() == Value::Null {
        return Pass::default();
    }
    let last_at = c["sync"]["last_at"].clone();
    let before = tally(client, "scheduled");
    let calls = api.requests().len();
    let mut pass = Pass::default();
    let mut was = cursor();
    let mut spent = n(&before, "subrequests");
    loop {
        let r = client.get("/__scheduled?cron=*/5+*+*+*+*");
        assert_eq!(r.status, 200, "{}", r.body);
        pass.runs += 1;
        let t = tally(client, "scheduled");
        pass.each.push(n(&t, "subrequests") - spent);
        spent = n(&t, "subrequests");
        assert_eq!(n(&t, "refused"), 0, "run {}: the Meter refused a subrequest: {t}", pass.runs);
        let c = shop.connection(id);
        assert_eq!(c["last_error"], Value::Null, "run {}: {c}", pass.runs);
        if c["sync"]["last_at"] != last_at && c["sync"]["running"] == false {
            pass.most = n(&t, "most");
            pass.subrequests = n(&t, "subrequests") - n(&before, "subrequests");
            pass.calls = api.requests().len() - calls;
            return pass;
        }
        let now = cursor();
        assert_ne!(now, was, "run {}: the pass did not move: {pass:?}", pass.runs);
        was = now;
        assert!(pass.runs < max_runs, "the pass did not end in {max_runs} runs: {c}");
    }
}

fn on_hand_equals_the_platforms(shop: &Shop, items: &[Item]) {
    let mut products = shop.all_pages("/v1/admin/products?limit=200");
    products.retain(|p| p["sku"].as_str().is_some_and(|s| s.starts_with("FREE-")));
    assert_eq!(products.len(), items.len(), "every variant became a product");
    for item in items {
        let p = products.iter().find(|p| p["sku"] == item.sku.as_str());
        assert_eq!(p.and_then(|p| p["on_hand"].as_i64()), Some(item.total()), "{}", item.sku);
    }
}

/// A catalog of 300 Shopify variants (12 of them at 12 locations) at the limit
/// `limit`: a first pass that creates the products, then a pass after 6 counts
/// drifted, each SKU planned. Returns the two passes.
fn reconcile_shopify(name: &str, limit: &str) -> (Pass, Pass) {
    let (server, client, shop) = own(name, limit);
    let api = PlatformServer::start(Kind::Shopify);
    let mut items = catalog(300);
    api.set_items(items.clone());
    let id = connect_shopify(&shop, &api);
    let first = run_pass(&server, &client, &shop, &api, &id, 40);
    on_hand_equals_the_platforms(&shop, &items);
    let s = shop.connection(&id)["sync"].clone();
    assert_eq!((s["last_seen"].as_i64(), s["last_drift_units"].as_i64()), (Some(300), Some(0)), "{s}");

    // Six counts drift (two of them at a twelfth location) while webhooks are lost.
    for i in [3_usize, 7, 80, 132, 199, 257] {
        let loc = if i % 25 == 7 { 12 } else { 1 };
        let at = "2027-02-01T00:00:00Z";
        api.set_level(&items[i].sku, loc, 10 + i as i64, at);
        if let Some(l) = items[i].levels.iter_mut().find(|l| l.0 == loc) {
            *l = (loc, 10 + i as i64, at.into());
        }
    }
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    assert_eq!(r.status, 202, "{}", r.body);
    eprintln!("measured at {limit}: a resync's first step {} subrequests: {}", subrequests(&r), r.json()["sync"]);
    assert!(subrequests(&r) <= limit.parse().unwrap_or(0));
    let second = run_pass(&server, &client, &shop, &api, &id, 60);
    on_hand_equals_the_platforms(&shop, &items);
    let s = shop.connection(&id)["sync"].clone();
    assert_eq!(s["last_drift_skus"].as_i64(), Some(6), "{s}");
    assert!(api.violations().is_empty(), "{:?}", api.violations());
    (first, second)
}

#[test]
fn at_fifty_a_shopify_catalog_is_reconciled_over_runs_each_within_the_limit() {
    let (first, second) = reconcile_shopify("freeshop", "50");
    eprintln!("measured at 50: first pass over 300 variants {first:?}; the pass planning 6 drifted SKUs {second:?}");
    assert!(first.most <= 50 && second.most <= 50);
    assert!(first.runs > 1, "300 variants do not fit one run at 50: {first:?}");
    // Each page's variants fit one run: 50 per page, one page a run, plus the runs
    // cut short before a variant at twelve locations.
    assert!(first.runs <= 12, "{first:?}");
}

#[test]
fn at_a_thousand_the_same_catalog_takes_one_run() {
    let (first, second) = reconcile_shopify("paidshop", "1000");
    eprintln!("measured at 1000: first pass over 300 variants {first:?}; the pass planning 6 drifted SKUs {second:?}");
    assert_eq!(first.runs, 1, "{first:?}");
    assert!(first.most <= 1000);
}

/// WooCommerce numbers its pages (100 products): at 50 each run reads a page whole,
/// and the counts end equal to the store's.
#[test]
fn at_fifty_a_woocommerce_catalog_is_reconciled_over_runs_each_within_the_limit() {
    let (server, client, shop) = own("freewoo", "50");
    let api = PlatformServer::start(Kind::WooCommerce);
    let items: Vec<Item> = (0..250)
        .map(|i| Item::simple(80_000 + i, &format!("FREE-{i:03}"), &format!("Free {i}"), 4, "2027-01-01T00:00:00Z"))
        .collect();
    api.set_items(items.clone());
    let body = json!({ "platform": "woocommerce", "store": api.base, "webhook_secret": WOO_WEBHOOK_SECRET,
        "api_key": WOO_KEY, "api_token": WOO_SECRET });
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let pass = run_pass(&server, &client, &shop, &api, &id, 20);
    eprintln!("measured at 50: WooCommerce, 250 simple products {pass:?}");
    assert!(pass.runs >= 2 && pass.most <= 50, "{pass:?}");
    on_hand_equals_the_platforms(&shop, &items);
}

/// A BigCommerce product webhook whose variants' counts all changed, at 50: the
/// invocation plans what fits, stores every count, and leaves the other SKUs to the
/// next scheduled run (its outcome says how many), which plans them first; a resync
/// meanwhile keeps them. Each count ends equal to the store's.
#[test]
fn at_fifty_a_webhooks_plans_that_do_not_fit_are_made_by_the_next_run() {
    let (server, client, shop) = own("freebc", "50");
    let api = PlatformServer::start(Kind::BigCommerce);
    let sizes = ["XS", "S", "M", "L", "XL"];
    let items = |level: i64| -> Vec<Item> {
        sizes
            .iter()
            .enumerate()
            .map(|(k, size)| {
                let mut i = Item::simple(600 + k as u64, &format!("BC-{size}"), "Shirt", level, "2027-01-01T00:00:00Z");
                i.product_id = 177;
                i.variant_name = Some((*size).into());
                i
            })
            .collect()
    };
    api.set_items(items(2));
    let body = json!({ "platform": "bigcommerce", "store": BC_STORE, "webhook_secret": BC_CLIENT_SECRET,
        "api_token": BC_TOKEN, "api_base": api.base });
    let r = shop.admin("POST", "/v1/admin/connections", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let hook = |n: u32| {
        let data = json!({ "type": "product", "id": 177,
            "inventory": { "product_id": 177, "method": "absolute", "value": 9 } });
        let d = bc_hook(BC_CLIENT_SECRET, "store/product/inventory/updated", data, &format!("msg_{n}"), now_secs());
        let r = deliver(&client, "bigcommerce", &shop.id, &d);
        assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("applied")), "{}", r.body);
        r
    };
    hook(1);
    for size in sizes {
        assert_eq!(shop.product(&format!("BC-{size}"))["on_hand"], 2, "created with the store's count");
    }

    api.set_items(items(9));
    let r = hook(2);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    eprintln!(
        "measured at 50: a BigCommerce product webhook of 5 changed variants: {} subrequests: {detail}",
        subrequests(&r)
    );
    assert!(
        detail.contains("1 SKU(s) planned again") && detail.contains("4 left to the next scheduled run"),
        "{detail}"
    );
    let planned: Vec<i64> = sizes.iter().filter_map(|s| shop.product(&format!("BC-{s}"))["on_hand"].as_i64()).collect();
    assert_eq!(planned.iter().filter(|&&n| n == 9).count(), 1, "{planned:?}");
    // A resync now keeps them (their counts are stored: the pass would not see them
    // change), and its own step plans what it can.
    let r = shop.admin("POST", &format!("/v1/admin/connections/{id}/resync"), None);
    assert_eq!(r.status, 202, "{}", r.body);
    let pass = run_pass(&server, &client, &shop, &api, &id, 10);
    eprintln!("measured at 50: after the webhook and a resync {pass:?}");
    for size in sizes {
        assert_eq!(shop.product(&format!("BC-{size}"))["on_hand"], 9, "BC-{size}");
    }
    assert!(api.violations().is_empty(), "{:?}", api.violations());
}
