//! Security across every surface: each signed link (confirm, unsubscribe, cancel; GET
//! and POST) refuses every way of altering its token and changes nothing; markup put
//! in every free-text field comes back as text in the widget, the dashboard, the
//! emails and the link pages. (Tenant isolation and CORS: `tenancy.rs`.)

use std::time::Duration;

use restock_e2e::browser::Browser;
use restock_e2e::client::{Client, Shop, ip, link_path};
use restock_e2e::env;
use restock_e2e::mailbox;
use restock_e2e::shopsite::ShopSite;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// `(path before "token=", token)` of a link path.
fn split_token(path: &str) -> (String, String) {
    let (base, token) = path.split_once("token=").unwrap_or_default();
    (format!("{base}token="), token.to_owned())
}

/// Every way we know of to alter a valid token `token` (of shop `shop`), given the
/// valid token `other` of another subscriber or order of that shop, and the id of
/// another shop.
fn tamperings(token: &str, other: &str, other_shop: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 7, "v2.<key id>.<kind>.<shop>.<id>.<expires>.<signature>: {token}");
    let with = |i: usize, value: &str| {
        let mut p = parts.clone();
        p[i] = value;
        p.join(".")
    };
    let sig = parts[6];
    let flipped_sig = {
        let mut s: Vec<char> = sig.chars().collect();
        if let Some(c) = s.get_mut(3) {
            *c = if *c == 'A' { 'B' } else { 'A' };
        }
        s.into_iter().collect::<String>()
    };
    // A 32-byte signature is 43 characters; the last one carries 2 bits no byte uses.
    let respelled_sig = {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = sig.bytes().last().and_then(|c| B64.iter().position(|&x| x == c)).unwrap_or(0);
        format!("{}{}", &sig[..sig.len() - 1], char::from(B64[last ^ 1]))
    };
    let other_id = other.split('.').nth(4).unwrap_or_default();
    // The same link as a key-id-less v1 token, with this token's signature.
    let as_v1 = format!("v1.{}", parts[2..].join("."));
    let mut cases = vec![
        ("one signature character changed", with(6, &flipped_sig)),
        ("the same signature bytes spelled differently", with(6, &respelled_sig)),
        ("signature truncated", with(6, &sig[..sig.len() - 2])),
        ("signature dropped", parts[..6].join(".")),
        ("signature of another link", with(6, other.rsplit('.').next().unwrap_or_default())),
        ("someone else's id", with(4, other_id)),
        ("another shop", with(3, other_shop)),
        ("expiry moved", with(5, "99999999999")),
        ("another version", with(0, "v3")),
        ("an unknown key id", with(1, "AAAAAAAA")),
        ("no key id", with(1, "")),
        ("as a v1 token", as_v1),
        ("an extra part", format!("{token}.x")),
        ("empty", String::new()),
        ("garbage", "%FF%00%3Cscript%3E".into()),
        ("very long", "A".repeat(5000)),
    ];
    for kind in ["c", "u", "x", "o", "h", "z"] {
        if kind != parts[2] {
            cases.push(("another kind", with(2, kind)));
        }
    }
    cases
}

/// Sends every tampered version of `path`'s token by GET and POST: each is a 400 page.
fn refuses_all(client: &Client, what: &str, path: &str, other_path: &str, other_shop: &str) {
    let (base, token) = split_token(path);
    let (_, other) = split_token(other_path);
    for (how, bad) in tamperings(&token, &other, other_shop) {
        for method in ["GET", "POST"] {
            let r = client.request(method, &format!("{base}{bad}"), &[], None);
            assert_eq!(r.status, 400, "{what}, {how}, {method}: {}", r.body);
            assert!(r.body.contains("not valid"), "{what}, {how}, {method}: says why: {}", r.body);
        }
    }
    // Without the parameter at all.
    let bare = base.trim_end_matches("?token=").trim_end_matches("&token=");
    for method in ["GET", "POST"] {
        assert_eq!(client.request(method, bare, &[], None).status, 400, "{what} without a token, {method}");
    }
}

fn signup_status(shop: &Shop, email: &str) -> String {
    let rows = shop.all_pages("/v1/admin/products/MUG/waitlist");
    let row = rows.iter().find(|r| r["email"] == email).cloned().unwrap_or(Value::Null);
    row["status"].as_str().unwrap_or_default().to_owned()
}

fn order_status(shop: &Shop, email: &str) -> String {
    let rows = shop.backorders("JKT");
    let row = rows.iter().find(|r| r["email"] == email).cloned().unwrap_or(Value::Null);
    row["status"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn every_signed_link_refuses_every_tampering_and_changes_nothing() {
    let client = Client::from_env();
    let a = Shop::create_with("sec-a", json!({ "double_opt_in": true }));
    let b = Shop::create_with("sec-b", json!({ "double_opt_in": true }));
    for shop in [&a, &b] {
        shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
        shop.put_product("JKT", json!({ "name": "Jacket", "policy": "backorder" }));
    }
    a.signup("MUG", "ada@example.com", &ip(1));
    a.signup("MUG", "bob@example.com", &ip(2));
    b.signup("MUG", "cy@example.com", &ip(3));
    let confirm = |shop: &Shop, to: &str| link_path(&mailbox::link(&shop.id, to, "/waitlist/confirm?token="));
    let (ada, bob, cy) =
        (confirm(&a, "ada@example.com"), confirm(&a, "bob@example.com"), confirm(&b, "cy@example.com"));

    // Confirm links: every alteration refused; a valid link of shop B at shop A too.
    refuses_all(&client, "confirm", &ada, &bob, &b.id);
    let b_token_at_a = format!("{}{}", split_token(&ada).0, split_token(&cy).1);
    assert_eq!(client.request("POST", &b_token_at_a, &[], None).status, 400, "B's link at A");
    assert_eq!(signup_status(&a, "ada@example.com"), "pending", "nothing confirmed");
    assert_eq!(signup_status(&a, "bob@example.com"), "pending", "nor anyone else");
    // The untouched link still works (so the refusals above were the tampering's doing).
    assert_eq!(client.request("POST", &ada, &[], None).status, 200);
    assert_eq!(signup_status(&a, "ada@example.com"), "active");

    // Unsubscribe links.
    assert_eq!(client.request("POST", &bob, &[], None).status, 200);
    let unsub = |shop: &Shop, to: &str| link_path(&mailbox::list_unsubscribe(&shop.id, to));
    let (ada_u, bob_u) = (unsub(&a, "ada@example.com"), unsub(&a, "bob@example.com"));
    refuses_all(&client, "unsubscribe", &ada_u, &bob_u, &b.id);
    // A confirm token is no unsubscribe token, even for the same person.
    let confirm_as_unsub = format!("{}{}", split_token(&ada_u).0, split_token(&ada).1);
    assert_eq!(client.request("POST", &confirm_as_unsub, &[], None).status, 400);
    assert_eq!(signup_status(&a, "ada@example.com"), "active", "still subscribed");
    assert_eq!(signup_status(&a, "bob@example.com"), "active");
    assert_eq!(client.request("POST", &ada_u, &[], None).status, 200);
    assert_eq!(signup_status(&a, "ada@example.com"), "unsubscribed");

    // Cancel links.
    let cancel = |shop: &Shop, to: &str, n: usize| {
        let r = shop.backorder("JKT", 1, to, &ip(n), None);
        link_path(r.json()["cancel_url"].as_str().unwrap_or_default())
    };
    let (dee, eve) = (cancel(&a, "dee@example.com", 4), cancel(&a, "eve@example.com", 5));
    refuses_all(&client, "cancel", &dee, &eve, &b.id);
    let unsub_as_cancel = format!("{}{}", split_token(&dee).0, split_token(&bob_u).1);
    assert_eq!(client.request("POST", &unsub_as_cancel, &[], None).status, 400);
    assert_eq!(
        (order_status(&a, "dee@example.com"), order_status(&a, "eve@example.com")),
        ("open".into(), "open".into())
    );
    assert_eq!(client.request("POST", &dee, &[], None).status, 200);
    assert_eq!(order_status(&a, "dee@example.com"), "cancelled");
    assert_eq!(order_status(&a, "eve@example.com"), "open");

    // Links to the shopper's page of their orders (issue 18), which can cancel too.
    let mine = |to: &str| link_path(&mailbox::link(&a.id, to, "/backorders/mine?token="));
    cancel(&a, "fay@example.com", 6);
    let (eve_m, fay_m) = (mine("eve@example.com"), mine("fay@example.com"));
    let eve_id = a.backorders("JKT").iter().find(|r| r["email"] == "eve@example.com").map(|r| r["id"].clone());
    let eve_id = eve_id.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    // `cancel` first, so the token stays the last parameter (as `refuses_all` reads it).
    let with_cancel = |path: &str| path.replace("/mine?token=", &format!("/mine?cancel={eve_id}&token="));
    refuses_all(&client, "orders page", &with_cancel(&eve_m), &fay_m, &b.id);
    let cancel_as_page = format!("{}{}", split_token(&eve_m).0, split_token(&dee).1);
    assert_eq!(client.request("POST", &with_cancel(&cancel_as_page), &[], None).status, 400);
    assert_eq!(order_status(&a, "eve@example.com"), "open", "nothing cancelled by a tampered page link");
    assert_eq!(client.get(&eve_m).status, 200, "the untouched link works");
}

/// Markup that would run or show if anything put it into HTML unescaped.
const PAYLOAD: &str = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>";

fn marked(label: &str) -> String {
    format!("{label} {PAYLOAD}")
}

/// No element the payload would create, and no script of it ran.
fn assert_inert(b: &Browser, where_: &str) {
    let found = b.eval(
        "const all = [document, ...[...document.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => e.shadowRoot)];\
         return all.map(r => [...r.querySelectorAll('img, script')].filter(e => e.outerHTML.includes('pwned')).length).reduce((a, n) => a + n, 0)",
        vec![],
    );
    assert_eq!(found, 0, "{where_}: markup became elements");
    assert_eq!(b.eval("return window.pwned === undefined", vec![]), true, "{where_}: a payload ran");
}

#[test]
fn markup_in_every_text_field_is_shown_as_text() {
    let client = Client::from_env();
    let shop = Shop::create_with(
        "sec-xss",
        json!({
            "name": marked("Shop"),
            "sender_name": marked("Sender"),
            "consent_text": marked("Consent"),
            "double_opt_in": true,
            "allowed_origins": [ShopSite::shared().url],
        }),
    );
    let product = json!({ "name": marked("Mug"), "policy": "deny", "supplier": marked("Supplier") });
    shop.put_product("MUG", product);
    shop.put_product("JKT", json!({ "name": marked("Jacket"), "policy": "backorder", "supplier": marked("Supplier") }));
    let po =
        json!({ "quantity": 3, "expected_date": "2031-01-01", "supplier": marked("PO"), "reference": marked("Ref") });
    assert_eq!(shop.admin("POST", "/v1/admin/products/JKT/purchase-orders", Some(&po)).status, 201);
    shop.signup("MUG", "ada@example.com", &ip(1));
    let order = shop.backorder("JKT", 1, "bo@example.com", &ip(2), None).json();
    let sale = json!({ "sku": "JKT", "quantity": 1, "reference": marked("Order"), "email": "ada@example.com" });
    let sold = shop.admin("POST", "/v1/admin/orders", Some(&sale));
    assert!(sold.status < 300, "{}", sold.body);

    // Emails: the HTML parts carry the text escaped, never the markup.
    let msgs = mailbox::wait_for(&shop.id, "ada@example.com", "the confirm email", |m| !m.is_empty());
    let bo_msgs = mailbox::wait_for(&shop.id, "bo@example.com", "the order email", |m| !m.is_empty());
    for m in msgs.iter().chain(&bo_msgs) {
        let html = m["html"].as_str().unwrap_or_default();
        assert!(!html.is_empty(), "an HTML part: {m}");
        assert!(!html.contains("<script") && !html.contains("<img src=x"), "markup in an email: {html}");
        assert!(html.contains("&lt;script&gt;"), "the text is there, escaped: {html}");
        let subject = m["subject"].as_str().unwrap_or_default();
        assert!(!subject.contains('\n'), "one-line subject: {subject:?}");
    }

    // Link pages (confirm and cancel): shop and product names escaped.
    let confirm = link_path(&mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token="));
    let cancel = link_path(order["cancel_url"].as_str().unwrap_or_default());
    for path in [&confirm, &cancel] {
        let page = client.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains("<script>window") && !page.body.contains("<img src=x"), "{path}: {}", page.body);
        assert!(page.body.contains("&lt;script&gt;"), "{path}: the names are there, escaped");
    }

    // The widget, on the shop's own site (another origin): product name and consent text.
    let b = Browser::launch();
    let base = &env::get().url;
    for sku in ["MUG", "JKT"] {
        b.goto(&ShopSite::shared().page("embed.html", &format!("shop={}&sku={sku}", shop.id)));
        b.wait_for(
            "the widget",
            "const h = document.querySelector('[data-restock-sku]'); const l = h && h.shadowRoot && h.shadowRoot.getElementById('l'); return !!l && !!l.textContent && !l.textContent.includes('…')",
            WAIT,
        );
        let shown = b.eval(
            "return document.querySelector('[data-restock-sku]').shadowRoot.getElementById('r').textContent",
            vec![],
        );
        if sku == "MUG" {
            assert!(shown.as_str().unwrap_or_default().contains("<script>"), "the markup shows as text: {shown}");
        }
        assert_inert(&b, &format!("widget {sku}"));
    }

    // The dashboard, on every page that shows these fields.
    b.goto(&format!("{base}/dashboard/"));
    b.wait_for("the sign-in form", "return document.querySelector('input[type=password]') !== null", WAIT);
    b.type_into(&b.find("input[type=password]"), &shop.key);
    b.click(&b.find("form button[type=submit]"));
    for route in ["#/", "#/products", "#/product/JKT", "#/product/MUG", "#/deliveries", "#/settings", "#/embed"] {
        b.eval(&format!("location.hash = {}", json!(route)), vec![]);
        b.wait_for(
            route,
            "const m = document.getElementById('main'); return !!m && !m.getAttribute('aria-busy') && m.innerText.length > 40",
            WAIT,
        );
        std::thread::sleep(Duration::from_millis(300));
        assert_inert(&b, &format!("dashboard {route}"));
        if route.starts_with("#/product") {
            let text = b.eval("return document.getElementById('main').innerText", vec![]);
            assert!(text.as_str().unwrap_or_default().contains("<script>"), "{route} shows the text: {text}");
        }
    }
}
