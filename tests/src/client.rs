//! A blocking HTTP client for the Restock API where every status is data.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::env;

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON: a test failure).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): status {} body {:?}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Asserts a problem+json answer with this status and code; returns the problem.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "expected {status} {code}, got body {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body {}", self.body);
        let p = self.json();
        assert_eq!(p["code"], code, "problem {p}");
        assert_eq!(p["status"], status, "problem {p}");
        assert!(p["title"].is_string() && p["detail"].is_string() && p["type"].is_string(), "problem {p}");
        p
    }
}

/// A client bound to a base URL.
#[derive(Debug, Clone)]
pub struct Client {
    pub base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .max_idle_connections_per_host(64)
            .build()
            .into();
        Client { base: base.trim_end_matches('/').to_owned(), agent }
    }

    /// A client for the Worker `cargo xtask test` started.
    pub fn from_env() -> Client {
        Client::new(&env::get().url)
    }

    /// Any request. `body` is sent as-is with the given headers. Panics (a test
    /// failure) when there is no HTTP answer at all.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
        self.try_request(method, path, headers, body).unwrap_or_else(|e| panic!("{method} {}{path}: {e}", self.base))
    }

    /// Any request; `Err` when the connection failed.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder.body(body.map(<[u8]>::to_vec).unwrap_or_default()).map_err(|e| e.to_string())?;
        let response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        // Whole exports are tens of MB (ureq's default read limit is 10 MB); a body that
        // breaks off is an error, not an empty string.
        let bytes = response.into_body().with_config().limit(1 << 30).read_to_vec().map_err(|e| e.to_string())?;
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Reply { status, headers, body })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.request("GET", path, headers, None)
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send_json("POST", path, &[], body)
    }

    pub fn send_json(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        self.request(method, path, &h, Some(body.to_string().as_bytes()))
    }
}

/// A shop created for one test, with its secret key.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: String,
    pub key: String,
    pub client: Client,
}

/// A shop id nobody else in this run uses.
pub fn unique_id(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{n}-{:x}", std::process::id() % 10_000, nanos % 0xfffff)
}

impl Shop {
    /// Creates a fresh shop through the operator API.
    #[track_caller]
    pub fn create(prefix: &str) -> Shop {
        Shop::create_with(prefix, json!({}))
    }

    /// Creates a fresh shop with settings merged into the request.
    #[track_caller]
    pub fn create_with(prefix: &str, settings: Value) -> Shop {
        Shop::create_on(Client::from_env(), &env::get().operator_token, prefix, settings)
    }

    /// Creates a fresh shop on the Worker `client` talks to.
    #[track_caller]
    pub fn create_on(client: Client, operator_token: &str, prefix: &str, settings: Value) -> Shop {
        let id = unique_id(prefix);
        let mut body = json!({ "id": id, "name": format!("Test shop {id}") });
        if let (Some(b), Some(s)) = (body.as_object_mut(), settings.as_object()) {
            b.extend(s.clone());
        }
        let auth = format!("Bearer {operator_token}");
        let reply = client.send_json("POST", "/v1/shops", &[("authorization", &auth)], &body);
        assert_eq!(reply.status, 201, "creating shop {id}: {}", reply.body);
        let key = reply.json()["secret_key"].as_str().unwrap_or_default().to_owned();
        assert!(key.starts_with("sk_"), "secret key in {}", reply.body);
        Shop { id, key, client }
    }

    /// The demo shop seeded by `cargo xtask`.
    pub fn demo() -> Shop {
        Shop { id: "demo".into(), key: env::get().demo_key.clone(), client: Client::from_env() }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.key)
    }

    /// An admin request with this shop's key.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let auth = self.auth();
        match body {
            Some(b) => self.client.send_json(method, path, &[("authorization", &auth)], b),
            None => self.client.request(method, path, &[("authorization", &auth)], None),
        }
    }

    /// Creates or replaces a product (`PUT /v1/admin/products/{sku}`), asserting success.
    #[track_caller]
    pub fn put_product(&self, sku: &str, body: Value) -> Value {
        let reply = self.admin("PUT", &format!("/v1/admin/products/{sku}"), Some(&body));
        assert!(matches!(reply.status, 200 | 201), "PUT product {sku}: {} {}", reply.status, reply.body);
        reply.json()
    }

    /// Public availability of one SKU.
    pub fn availability(&self, sku: &str) -> Reply {
        self.client.get(&format!("/v1/shops/{}/products/{sku}/availability?fresh=1", self.id))
    }
}

/// Requests shoppers make (public API), with a chosen client IP so rate limits can be
/// exercised per IP (`CF-Connecting-IP`; set by Cloudflare in production).
impl Shop {
    pub fn backorder(&self, sku: &str, quantity: i64, email: &str, ip: &str, key: Option<&str>) -> Reply {
        let mut headers = vec![("cf-connecting-ip", ip)];
        if let Some(k) = key {
            headers.push(("idempotency-key", k));
        }
        let body = serde_json::json!({ "sku": sku, "quantity": quantity, "email": email });
        self.client.send_json("POST", &format!("/v1/shops/{}/backorders", self.id), &headers, &body)
    }

    pub fn signup(&self, sku: &str, email: &str, ip: &str) -> Reply {
        let body = serde_json::json!({
            "sku": sku, "email": email, "consent": true,
            "consent_text": "Email me once when it is back.", "locale": "en"
        });
        self.client.send_json("POST", &format!("/v1/shops/{}/waitlist", self.id), &[("cf-connecting-ip", ip)], &body)
    }

    /// `POST /v1/admin/products/{sku}/receive`, asserting success.
    #[track_caller]
    pub fn receive(&self, sku: &str, quantity: u32) -> Value {
        let reply =
            self.admin("POST", &format!("/v1/admin/products/{sku}/receive"), Some(&json!({ "quantity": quantity })));
        assert_eq!(reply.status, 200, "receive {sku}: {}", reply.body);
        reply.json()
    }

    /// Every item of a paged admin list (follows `next_cursor`).
    #[track_caller]
    pub fn all_pages(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
                None => format!("{path}{sep}limit=200"),
            };
            let reply = self.admin("GET", &url, None);
            assert_eq!(reply.status, 200, "GET {url}: {}", reply.body);
            let v = reply.json();
            items.extend(v["items"].as_array().cloned().unwrap_or_default());
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
    }

    /// The admin view of one product (`GET /v1/admin/products/{sku}`), asserted 200.
    #[track_caller]
    pub fn product(&self, sku: &str) -> Value {
        let r = self.admin("GET", &format!("/v1/admin/products/{sku}"), None);
        assert_eq!(r.status, 200, "{sku}: {}", r.body);
        r.json()
    }

    /// One platform connection (`GET /v1/admin/connections/{id}`), asserted 200.
    #[track_caller]
    pub fn connection(&self, id: &str) -> Value {
        let r = self.admin("GET", &format!("/v1/admin/connections/{id}"), None);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// Open backorders of a SKU, oldest first.
    pub fn backorders(&self, sku: &str) -> Vec<Value> {
        self.all_pages(&format!("/v1/admin/backorders?sku={sku}"))
    }
}

/// The `/v1/...` path and query of an absolute link (from an email or an API answer).
pub fn link_path(url: &str) -> String {
    url.split_once("/v1/").map(|(_, p)| format!("/v1/{p}")).unwrap_or_default()
}

/// A distinct client IP for request `n` (10.x.y.z).
pub fn ip(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

impl Shop {
    /// Runs the every-5-minutes scheduled jobs now (`wrangler dev --test-scheduled`).
    #[track_caller]
    pub fn run_cron(&self) {
        let r = self.client.get("/__scheduled?cron=*/5+*+*+*+*");
        assert_eq!(r.status, 200, "scheduled run: {}", r.body);
    }

    /// Makes this SKU's current waitlist wave due for its next-wave check now.
    #[track_caller]
    pub fn make_wave_due(&self, sku: &str) {
        let r = self.client.request("POST", &format!("/dev/releases/due?shop={}&sku={sku}", self.id), &[], None);
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Reports a sale of `quantity` units (takes them off stock).
    #[track_caller]
    pub fn report_order(&self, sku: &str, quantity: u32, reference: &str) {
        let r = self.admin(
            "POST",
            "/v1/admin/orders",
            Some(&json!({ "sku": sku, "quantity": quantity, "reference": reference })),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
}
