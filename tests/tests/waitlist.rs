//! Waitlist signups against the built Worker: idempotent per (shop, SKU, email), no
//! leak of membership, honeypot, rate limits, double opt-in (links that expire) and
//! one-click unsubscribe.

use restock_e2e::client::{Client, Shop, ip, link_path};
use restock_e2e::mailbox;
use serde_json::{Value, json};

fn signups(shop: &Shop, sku: &str) -> Vec<Value> {
    shop.all_pages(&format!("/v1/admin/products/{sku}/waitlist"))
}

#[test]
fn repeated_signups_are_one_row_and_answer_the_same() {
    let shop = Shop::create("wl-idem");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let first = shop.signup("MUG", "ada@example.com", &ip(1));
    let again = shop.signup("MUG", "ada@example.com", &ip(2));
    let other = shop.signup("MUG", "bob@example.com", &ip(3));
    for r in [&first, &again, &other] {
        assert_eq!(r.status, 202, "{}", r.body);
    }
    assert_eq!(first.body, again.body, "a repeat answers exactly like a first signup");
    assert_eq!(first.body, other.body, "so nobody can tell who is on the list");
    assert_eq!(first.json()["status"], "subscribed");
    let rows = signups(&shop, "MUG");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["email"], "ada@example.com");
    // The helper claims a text the shop never showed: the record is the shop's own.
    let shown = shop.admin("GET", "/v1/admin/settings", None).json()["consent_text"].clone();
    assert_eq!((&rows[0]["consent_text"], rows[0]["consent_lang"].as_str()), (&shown, Some("default")));
    assert!(rows[0]["consent_at"].as_i64().is_some());
    // Differently cased domains are the same subscriber.
    assert_eq!(shop.signup("MUG", "ada@EXAMPLE.com", &ip(4)).status, 202);
    assert_eq!(signups(&shop, "MUG").len(), 2);
}

#[test]
fn the_honeypot_drops_bots_silently() {
    let shop = Shop::create("wl-bot");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let body = json!({ "sku": "MUG", "email": "bot@example.com", "consent": true, "consent_text": "ok", "website": "http://spam.example" });
    let r = shop.client.send_json("POST", &format!("/v1/shops/{}/waitlist", shop.id), &[], &body);
    assert_eq!(r.status, 202, "the bot is told it worked");
    assert!(signups(&shop, "MUG").is_empty(), "and nothing was stored");
}

#[test]
fn signups_are_rate_limited_per_ip_and_per_email() {
    let shop = Shop::create("wl-rate");
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(shop.signup("MUG", &format!("p{i}@example.com"), "203.0.113.7").status);
    }
    assert_eq!(&statuses[..10], &[202; 10]);
    let limited = shop.signup("MUG", "late@example.com", "203.0.113.7");
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").and_then(|s| s.parse::<u32>().ok()).is_some_and(|s| s > 0));
    assert_eq!(shop.signup("MUG", "late@example.com", "203.0.113.8").status, 202, "another IP is fine");

    let mut per_email = Vec::new();
    for i in 0..6 {
        per_email.push(shop.signup("MUG", "same@example.com", &ip(100 + i)).status);
    }
    assert_eq!(per_email, [202, 202, 202, 202, 202, 429], "five per address per hour");
    assert_eq!(signups(&shop, "MUG").len(), 12, "limited requests wrote nothing");
}

#[test]
fn in_stock_or_closed_products_take_no_signups() {
    let shop = Shop::create("wl-closed");
    shop.put_product("TEE", json!({ "name": "Tee", "policy": "deny", "on_hand": 5 }));
    shop.signup("TEE", "a@example.com", &ip(1)).assert_problem(409, "waitlist_closed");
    shop.put_product("OFF", json!({ "name": "Off", "policy": "deny", "waitlist": false }));
    shop.signup("OFF", "a@example.com", &ip(1)).assert_problem(409, "waitlist_closed");
    shop.signup("NOPE", "a@example.com", &ip(1)).assert_problem(404, "product_not_found");
}

#[test]
fn double_opt_in_confirms_through_a_signed_link() {
    let shop = Shop::create_with("wl-doi", json!({ "double_opt_in": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let r = shop.signup("MUG", "ada@example.com", &ip(1));
    assert_eq!(r.json()["status"], "pending_confirmation");
    let row = &signups(&shop, "MUG")[0];
    assert_eq!(row["status"], "pending");
    let url = mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token=");
    let client = Client::from_env();
    let page = client.get(&link_path(&url));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Mug") && page.body.contains("<form method=\"post\""));
    assert_eq!(signups(&shop, "MUG")[0]["status"], "pending", "GET changes nothing");
    assert_eq!(client.request("POST", &link_path(&url), &[], None).status, 200);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "active");
    assert_eq!(client.request("POST", &link_path(&url), &[], None).status, 200, "idempotent");
    let forged = link_path(&url).replace(".c.", ".u.");
    assert_eq!(client.request("POST", &forged, &[], None).status, 400);
}

#[test]
fn one_click_unsubscribe_per_rfc_8058() {
    let shop = Shop::create_with("wl-unsub", json!({ "double_opt_in": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "ada@example.com", &ip(1));
    let confirm = mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token=");
    let client = Client::from_env();
    client.request("POST", &link_path(&confirm), &[], None);
    let unsub = mailbox::list_unsubscribe(&shop.id, "ada@example.com");
    let page = client.get(&link_path(&unsub));
    assert_eq!(page.status, 200);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "active", "GET only shows a page");
    // What a mail client sends for List-Unsubscribe-Post: List-Unsubscribe=One-Click.
    let r = client.request(
        "POST",
        &link_path(&unsub),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(b"List-Unsubscribe=One-Click"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "unsubscribed");
    // Signing up again later re-subscribes (with fresh consent).
    shop.signup("MUG", "ada@example.com", &ip(2));
    assert_eq!(signups(&shop, "MUG")[0]["status"], "pending");
}

fn now_secs() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

#[test]
fn confirmation_links_expire_after_seven_days_and_offer_a_new_one() {
    let shop = Shop::create_with("wl-expiry", json!({ "double_opt_in": true }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    shop.signup("MUG", "ada@example.com", &ip(1));
    let path = link_path(&mailbox::link(&shop.id, "ada@example.com", "/waitlist/confirm?token="));
    let token = path.split("token=").nth(1).unwrap_or_default().to_owned();
    // The link says when it stops working: 7 days from now.
    let (payload, _) = token.rsplit_once('.').expect("a signed token");
    let (head, expires) = payload.rsplit_once('.').expect("an expiry");
    let expires: i64 = expires.parse().expect("seconds");
    assert!((expires - (now_secs() + 7 * 86_400)).abs() < 300, "expires {expires}");
    // The same link a minute after it expired (signed as the Worker would).
    let expired = path.replace(&token, &restock_e2e::links::sign(&format!("{head}.{}", now_secs() - 60)));
    let client = Client::from_env();
    let page = client.get(&expired);
    assert_eq!(page.status, 410, "{}", page.body);
    for words in ["This link has expired", "7 days", "Mug", "Send me a new link", "<form method=\"post\""] {
        assert!(page.body.contains(words), "{words}: {}", page.body);
    }
    // Still a signed link: altered, it is refused like any other.
    assert_eq!(client.request("POST", &expired.replace(".c.", ".u."), &[], None).status, 400);
    let r = client.request("POST", &expired, &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("sent a new confirmation link"), "{}", r.body);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "pending", "an expired link confirms nothing");
    // A new link arrives at the address signed up with, and it works.
    let msgs = mailbox::wait_for(&shop.id, "ada@example.com", "a second confirmation", |m| m.len() >= 2);
    assert_eq!(msgs.len(), 2, "one new link however often it is asked for today");
    client.request("POST", &expired, &[], None);
    let fresh = msgs[0]["text"]
        .as_str()
        .and_then(|t| t.split_whitespace().find(|w| w.contains("/waitlist/confirm?token=")))
        .map(link_path)
        .expect("a confirm link");
    assert_ne!(fresh, path);
    assert_eq!(client.request("POST", &fresh, &[], None).status, 200);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "active");
    // Once confirmed, the expired link only says so.
    let page = client.get(&expired);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("<form"), "{}", page.body);
    assert_eq!(mailbox::messages(&shop.id, "ada@example.com").len(), 2);
    // An expired unsubscribe link is a dead end that says so (they are not sent with an
    // expiry today, but one that had one would not work after it).
    let unsub = path
        .replace(&token, &restock_e2e::links::sign(&format!("{}.{}", head.replacen(".c.", ".u.", 1), now_secs() - 60)));
    let unsub = unsub.replace("/waitlist/confirm?", "/waitlist/unsubscribe?");
    assert_eq!(client.get(&unsub).status, 410);
    assert_eq!(signups(&shop, "MUG")[0]["status"], "active");
}

#[test]
fn the_consent_record_is_the_shops_own_text_by_version() {
    use sha2::Digest;
    let german = "Einmal per E-Mail, wenn es wieder da ist.";
    let shop = Shop::create_with("wl-consent", json!({ "consent_texts": { "de": german } }));
    shop.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    let default =
        shop.admin("GET", "/v1/admin/settings", None).json()["consent_text"].as_str().unwrap_or_default().to_owned();
    let origin = Client::from_env().base.clone();
    let signup = |email: &str, locale: &str, text: &str| {
        let body = json!({ "sku": "MUG", "email": email, "consent": true, "consent_text": text, "locale": locale });
        let headers = [("cf-connecting-ip", "198.51.100.20"), ("origin", origin.as_str())];
        let r = shop.client.send_json("POST", &format!("/v1/shops/{}/waitlist", shop.id), &headers, &body);
        assert_eq!(r.status, 202, "{}", r.body);
    };
    signup("de@example.com", "de-CH", german);
    signup("en@example.com", "en", &default);
    signup("made-up@example.com", "de", "I agree to anything you like.");
    signup("made-up-en@example.com", "fr", "I agree to anything you like.");
    let rows = signups(&shop, "MUG");
    let record = |email: &str| {
        let r = rows.iter().find(|r| r["email"] == email).unwrap_or_else(|| panic!("{email} in {rows:?}"));
        let text = r["consent_text"].as_str().unwrap_or_default().to_owned();
        let version: String = sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(r["consent_version"].as_str(), Some(version.as_str()), "{r}");
        assert_eq!(r["consent_source"].as_str(), Some(origin.as_str()), "{r}");
        (text, r["consent_lang"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(record("de@example.com"), (german.to_owned(), "de".to_owned()));
    assert_eq!(record("en@example.com"), (default.clone(), "default".to_owned()));
    // A text the shop never showed is recorded as the text it shows in that language.
    assert_eq!(record("made-up@example.com"), (german.to_owned(), "de".to_owned()));
    assert_eq!(record("made-up-en@example.com"), (default, "default".to_owned()));
    // The export carries the record too.
    let csv = shop.admin("GET", "/v1/admin/export/waitlist.csv", None).body;
    assert!(
        csv.starts_with("id,")
            && csv
                .lines()
                .next()
                .is_some_and(|h| h.contains(",consent_version,consent_lang,consent_source,consent_country,phone,"))
    );
    let version = rows[0]["consent_version"].as_str().unwrap_or("?");
    assert!(csv.contains(version) && csv.contains(&origin), "{csv}");

    // The page the text was shown on, from the widget's Referer, without query or fragment.
    let body = json!({ "sku": "MUG", "email": "page@example.com", "consent": true, "consent_text": "Email me once.", "locale": "en" });
    let page = format!("{origin}/products/mug?utm_source=news&email=page@example.com#reviews");
    let headers = [("cf-connecting-ip", "198.51.100.21"), ("origin", origin.as_str()), ("referer", page.as_str())];
    let r = shop.client.send_json("POST", &format!("/v1/shops/{}/waitlist", shop.id), &headers, &body);
    assert_eq!(r.status, 202, "{}", r.body);
    let rows = signups(&shop, "MUG");
    let row = rows.iter().find(|r| r["email"] == "page@example.com").cloned().unwrap_or_default();
    assert_eq!(row["consent_source"], format!("{origin}/products/mug"), "{row}");
    assert_eq!(row["consent_country"], Value::Null, "no country unless the shop turns it on");

    // A shop that records the country gets Cloudflare's, from the IP (never the IP).
    let counted = Shop::create_with("wl-country", json!({ "record_country": true }));
    counted.put_product("MUG", json!({ "name": "Mug", "policy": "deny" }));
    assert_eq!(counted.admin("GET", "/v1/admin/settings", None).json()["record_country"], true);
    assert_eq!(counted.signup("MUG", "where@example.com", "198.51.100.22").status, 202);
    let row = signups(&counted, "MUG").into_iter().next().unwrap_or_default();
    let country = row["consent_country"].as_str().unwrap_or_default();
    assert!(country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()), "{row}");
    assert!(!row.to_string().contains("198.51.100.22"), "{row}");
}
