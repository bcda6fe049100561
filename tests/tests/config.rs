//! Secure by default: the security headers of every HTML page the Worker serves, the
//! API index, the health and configuration check, and a Worker of this test's own run
//! as the committed config runs it (production, no email provider, no PUBLIC_URL): it
//! reports what is missing, has no `/dev/*`, and refuses to "send" to the outbox.

use std::thread;
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Reply, Shop, ip, link_path};
use restock_e2e::mailbox;
use restock_e2e::server::start_own;
use serde_json::{Value, json};

fn csp(r: &Reply) -> String {
    r.header("content-security-policy").unwrap_or_default().to_owned()
}

/// The directives of a policy, `name -> sources`.
fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy.split(';').map(str::trim).find_map(|d| d.strip_prefix(name).map(str::trim))
}

#[track_caller]
fn check_page(r: &Reply, frame_ancestors: &str, referrer: &str) {
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap_or_default().starts_with("text/html"));
    let policy = csp(r);
    assert_eq!(directive(&policy, "frame-ancestors"), Some(frame_ancestors), "{policy}");
    assert!(directive(&policy, "default-src").is_some(), "{policy}");
    // No inline script or style, no eval ('wasm-unsafe-eval' only compiles wasm).
    for unsafe_source in ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"] {
        assert!(!directive(&policy, "script-src").unwrap_or_default().contains(unsafe_source), "{policy}");
    }
    assert_eq!(r.header("referrer-policy"), Some(referrer));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // HSTS belongs to the deployed (https) origin only, never to http://127.0.0.1.
    assert_eq!(r.header("strict-transport-security"), None);
}

#[test]
fn every_html_page_carries_its_security_headers() {
    let client = Client::from_env();
    // The dashboard: its own scripts only, never framed.
    let dashboard = client.get("/dashboard/");
    check_page(&dashboard, "'none'", "no-referrer");
    assert_eq!(directive(&csp(&dashboard), "script-src"), Some("'self'"));
    assert_eq!(directive(&csp(&dashboard), "frame-src"), Some("'self'"));
    // The storefront and the widget preview, which the dashboard frames.
    for path in ["/", "/product.html?sku=MUG-STONE", "/embed.html?shop=demo&sku=MUG-STONE"] {
        let page = client.get(path);
        check_page(&page, "'self'", "strict-origin-when-cross-origin");
        assert!(!page.body.contains("<script>") && !page.body.contains(" style="), "{path} has inline code");
    }
    // A signed link's page: nothing may leak the token through Referer.
    let shop = Shop::create_with("hdr", json!({ "double_opt_in": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "ada@example.com", &ip(1));
    let confirm = link_path(&mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token="));
    let page = client.get(&confirm);
    check_page(&page, "'none'", "no-referrer");
    assert_eq!(directive(&csp(&page), "default-src"), Some("'none'"));
    // Its style is the one stylesheet of its own origin, no inline style.
    assert_eq!(directive(&csp(&page), "style-src"), Some("'self'"));
    assert!(!page.body.contains("<style") && !page.body.contains(" style="), "{}", page.body);
    let css = client.get("/link.css");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap_or_default().starts_with("text/css"), "{:?}", css.header("content-type"));
    // The dev mailbox holds every signed link: the same.
    check_page(&client.get("/dev/mailbox"), "'none'", "no-referrer");
}

#[test]
fn the_api_answers_an_index_and_a_healthy_check() {
    let client = Client::from_env();
    for path in ["/v1/", "/v1"] {
        let index = client.get(path);
        assert_eq!(index.status, 200, "{path}: {}", index.body);
        let v = index.json();
        assert_eq!(v["name"], "restock");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"), "the crates share the workspace version");
        assert_eq!(v["openapi"], "/v1/openapi.json");
        assert_eq!(client.get(v["openapi"].as_str().unwrap_or_default()).status, 200);
    }
    let health = client.get("/v1/health").json();
    assert_eq!(
        health,
        json!({ "status": "ok", "environment": "development", "version": env!("CARGO_PKG_VERSION"), "problems": [] })
    );
}

fn wait_until<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn the_committed_config_is_production_reports_what_is_missing_and_sends_nothing_silently() {
    let operator = "op_config_test";
    // As deployed from the committed wrangler.toml, with the two secrets set.
    let committed =
        std::fs::read_to_string(restock_e2e::server::repo_root().join("edge/wrangler.toml")).unwrap_or_default();
    assert!(committed.contains("\nENVIRONMENT = \"production\"\n") && !committed.contains("\"development\""));
    let server = start_own("config-prod", operator, &[("ENVIRONMENT", "production")]).unwrap_or_else(|e| panic!("{e}"));
    let client = Client::new(&server.url);

    let health = client.get("/v1/health").json();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["environment"], "production", "{health}");
    let codes: Vec<&str> =
        health["problems"].as_array().into_iter().flatten().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(codes, ["email_provider_missing", "public_url_missing"], "{health}");
    assert!(
        health["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["message"].as_str().is_some_and(|m| !m.is_empty()))
    );
    assert!(!health.to_string().contains(operator), "no secret in the report: {health}");

    // The merchant sees it in the dashboard, before signing in, not a shopper later.
    let b = restock_e2e::browser::Browser::launch();
    b.goto(&format!("{}/dashboard/", server.url));
    let banner = b.wait_for(
        "the health banner",
        "const box = document.getElementById('health'); return box && !box.hidden && box.textContent",
        Duration::from_secs(20),
    );
    let banner = banner.as_str().unwrap_or_default();
    assert!(banner.contains("misconfigured") && banner.contains("email_provider_missing"), "{banner}");
    assert!(!banner.contains(operator), "{banner}");

    // No development endpoint exists.
    for (method, path) in [
        ("GET", "/dev/mailbox"),
        ("GET", "/dev/mailbox.json"),
        ("POST", "/dev/queue"),
        ("POST", "/dev/releases/due?shop=x&sku=y"),
    ] {
        let r = client.request(method, path, &[("content-type", "application/json")], Some(b"{\"jobs\":[]}"));
        r.assert_problem(404, "route_not_found");
    }

    // An email that is due fails, visibly and with the same code, instead of being "sent".
    let shop = Shop::create_on(client.clone(), operator, "prod", json!({ "postal_address": "1 Quay St, Dublin" }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    assert_eq!(shop.signup("MUG", "ada@example.com", &ip(7)).status, 202);
    shop.receive("MUG", 1);
    let delivery: Value = wait_until("the restock email to be attempted", 60, || {
        shop.all_pages("/v1/admin/deliveries?kind=restock")
            .into_iter()
            .find(|d| d["attempts"].as_i64().unwrap_or(0) >= 1 && d["status"] != "sending")
    });
    assert_eq!(delivery["status"], "failed", "{delivery}");
    let error = delivery["last_error"].as_str().unwrap_or_default();
    assert!(error.starts_with("email_provider_missing: "), "{delivery}");
    // And it is in the logs, without a secret.
    let log_path = server.options.log.clone().unwrap_or_default();
    let log = wait_until("the refusal in the log", 20, || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        text.contains("emails not sent: email_provider_missing").then_some(text)
    });
    assert!(!log.contains(&format!("{operator}-links")), "the token secret is never logged");

    // A shop without a postal address: its settings say so, and its email waits for it.
    let bare = Shop::create_on(client.clone(), operator, "noaddr", json!({}));
    let problems = bare.admin("GET", "/v1/admin/settings", None).json()["problems"].clone();
    assert_eq!(problems[0]["code"], "postal_address_missing", "{problems}");
    assert_eq!(shop.admin("GET", "/v1/admin/settings", None).json()["problems"], json!([]));
    bare.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    assert_eq!(bare.signup("MUG", "bo@example.com", &ip(8)).status, 202);
    bare.receive("MUG", 1);
    let delivery: Value = wait_until("the email without an address to be attempted", 60, || {
        bare.all_pages("/v1/admin/deliveries?kind=restock")
            .into_iter()
            .find(|d| d["attempts"].as_i64().unwrap_or(0) >= 1 && d["status"] != "sending")
    });
    assert_eq!(delivery["status"], "failed", "{delivery}");
    assert!(delivery["last_error"].as_str().is_some_and(|e| e.starts_with("postal_address_missing: ")), "{delivery}");
    drop(server);
}
