//! Sharding is configuration: two shops on two D1 databases of one Worker (`DB` and
//! `DB_2`, `D1_SHARDS=shard-b=DB_2`). Each shop's rows are in its own database only;
//! its key finds it, its public API and emails work, and the scheduled jobs visit both.

use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop, ip};
use restock_e2e::server::{DevServer, query_db, start_sharded};
use serde_json::{Value, json};

fn create(client: &Client, id: &str) -> Shop {
    let body = json!({ "id": id, "name": format!("Shop {id}"), "reply_to": format!("buyer@{id}.example") });
    let reply = client.send_json("POST", "/v1/shops", &[("authorization", "Bearer operator")], &body);
    assert_eq!(reply.status, 201, "creating {id}: {}", reply.body);
    let key = reply.json()["secret_key"].as_str().unwrap_or_default().to_owned();
    Shop { id: id.into(), key, client: client.clone() }
}

fn ids(server: &DevServer, binding: &str, sql: &str) -> Vec<String> {
    let config = server.options.config.clone().unwrap_or_default();
    let v = query_db(&server.options.persist, &config, binding, sql).expect("d1 query");
    v[0]["results"].as_array().into_iter().flatten().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn two_shops_on_two_databases_each_keep_to_their_own() {
    let server = start_sharded("shards", "operator", &["DB_2"], "shard-b=DB_2").expect("a Worker with two databases");
    let client = Client::new(&server.url);
    let (a, b) = (create(&client, "shard-a"), create(&client, "shard-b"));
    for (n, shop) in [&a, &b].into_iter().enumerate() {
        shop.put_product("JKT", json!({ "name": "Rain jacket", "policy": "backorder", "on_hand": 0 }));
        let r = shop.backorder("JKT", 1, &format!("buyer@{}.example", shop.id), &ip(n + 1), None);
        assert_eq!(r.status, 201, "{}: {}", shop.id, r.body);
        assert_eq!(shop.availability("JKT").json()["status"], "backorder");
    }

    // Each shop's rows live in its own database, and only there.
    assert_eq!(ids(&server, "DB", "SELECT id FROM shops"), vec!["shard-a"]);
    assert_eq!(ids(&server, "DB_2", "SELECT id FROM shops"), vec!["shard-b"]);
    let owners = |db: &str| ids(&server, db, "SELECT shop_id AS id FROM backorders");
    assert_eq!((owners("DB"), owners("DB_2")), (vec!["shard-a".to_owned()], vec!["shard-b".to_owned()]));

    // Each key finds its shop's database and sees that shop's queue only.
    for shop in [&a, &b] {
        let list = shop.admin("GET", "/v1/admin/backorders", None);
        assert_eq!(list.status, 200, "{}", list.body);
        let emails: Vec<Value> = list.json()["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(emails.len(), 1, "{}: {emails:?}", shop.id);
        assert_eq!(emails[0]["email"], format!("buyer@{}.example", shop.id));
    }
    let stranger = Shop { key: "sk_not_a_key_of_any_shop_0000".into(), ..b.clone() };
    assert_eq!(stranger.admin("GET", "/v1/admin/backorders", None).status, 401);

    // The confirmation emails went through the queue to each database's outbox.
    for shop in [&a, &b] {
        wait_for("the backorder confirmation", || {
            let box_ = client.get(&format!("/dev/mailbox.json?shop={}", shop.id)).json();
            box_["items"].as_array().is_some_and(|i| i.iter().any(|m| m["to"] == format!("buyer@{}.example", shop.id)))
        });
    }

    // The weekly digest is planned on both databases.
    assert_eq!(client.get("/__scheduled?cron=0+7+*+*+MON").status, 200);
    for shop in [&a, &b] {
        wait_for("the weekly digest", || {
            let page = shop.admin("GET", "/v1/admin/deliveries?kind=digest", None).json();
            page["items"].as_array().is_some_and(|i| !i.is_empty())
        });
    }
}
