//! A minimal W3C WebDriver client driving Debian's headless Chromium through
//! chromedriver: navigate, run scripts, find elements (also inside shadow roots),
//! click, type, press keys, take screenshots.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::{Client, unique_id};
use crate::server::free_port;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const SHADOW_KEY: &str = "shadow-6066-11e4-a52e-4f735466cecf";

/// WebDriver key codes.
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SPACE: &str = "\u{E00D}";
}

/// A reference to an element (or a shadow root) in the page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// A headless Chromium session; closed (and its chromedriver stopped) on drop.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    http: Client,
    session: String,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session with a
    /// fresh profile. Window size is desktop-like unless `mobile` is set.
    pub fn launch() -> Browser {
        Browser::launch_sized(1280, 900)
    }

    pub fn launch_sized(width: u32, height: u32) -> Browser {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {chromedriver}: {e} (cargo xtask test installs it)"));
        let http = Client::new(&format!("http://127.0.0.1:{port}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start on port {port}");
            thread::sleep(Duration::from_millis(50));
        }
        let profile = std::env::temp_dir().join(unique_id("restock-chromium"));
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--lang=en-US".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "timeouts": { "script": 20000, "pageLoad": 30000 }
        }}});
        let mut browser = Browser { driver, http, session: String::new(), profile };
        let reply = browser.http.post_json("/session", &caps);
        assert_eq!(reply.status, 200, "new WebDriver session: {}", reply.body);
        browser.session = reply.json()["value"]["sessionId"].as_str().unwrap_or_default().to_owned();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{}", self.session, path);
        let reply = match body {
            Some(b) => self.http.send_json(method, &path, &[], &b),
            None => self.http.request(method, &path, &[], None),
        };
        let v = reply.json();
        assert_eq!(reply.status, 200, "WebDriver {method} {path}: {}", reply.body);
        v["value"].clone()
    }

    /// Navigates and waits for the load event.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// Runs an async script: it must call `arguments[arguments.length - 1](result)`.
    pub fn eval_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/async", Some(json!({ "script": script, "args": args })))
    }

    /// Polls `script` until it returns something other than null/false/"" and returns
    /// that value; panics after `timeout` naming `what`.
    #[track_caller]
    pub fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.eval(script, vec![]);
            let done = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if done {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what} (last value {v})");
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn element_from(v: &Value, key: &str) -> Option<Element> {
        v.get(key).and_then(Value::as_str).map(|id| Element(id.to_owned()))
    }

    /// The first element matching `css` in the document.
    #[track_caller]
    pub fn find(&self, css: &str) -> Element {
        let v = self.call("POST", "/element", Some(json!({ "using": "css selector", "value": css })));
        Browser::element_from(&v, ELEMENT_KEY).unwrap_or_else(|| panic!("no element {css}: {v}"))
    }

    /// The first element matching `css` inside the shadow root of `host`.
    #[track_caller]
    pub fn find_in_shadow(&self, host: &Element, css: &str) -> Element {
        let root = self.call("GET", &format!("/element/{}/shadow", host.0), None);
        let root = Browser::element_from(&root, SHADOW_KEY).unwrap_or_else(|| panic!("no shadow root"));
        let v = self.call(
            "POST",
            &format!("/shadow/{}/element", root.0),
            Some(json!({ "using": "css selector", "value": css })),
        );
        Browser::element_from(&v, ELEMENT_KEY).unwrap_or_else(|| panic!("no {css} in shadow root"))
    }

    pub fn click(&self, el: &Element) {
        self.call("POST", &format!("/element/{}/click", el.0), Some(json!({})));
    }

    /// Types into a focused-by-click element (real key events).
    pub fn type_into(&self, el: &Element, text: &str) {
        self.call("POST", &format!("/element/{}/value", el.0), Some(json!({ "text": text })));
    }

    pub fn clear(&self, el: &Element) {
        self.call("POST", &format!("/element/{}/clear", el.0), Some(json!({})));
    }

    pub fn text(&self, el: &Element) -> String {
        self.call("GET", &format!("/element/{}/text", el.0), None).as_str().unwrap_or_default().to_owned()
    }

    /// Presses keys on whatever has focus (Tab, Enter, text...).
    pub fn press(&self, keys: &str) {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({ "type": "keyDown", "value": c.to_string() }));
            actions.push(json!({ "type": "keyUp", "value": c.to_string() }));
        }
        self.call(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        );
        self.call("DELETE", "/actions", None);
    }

    /// Saves a PNG screenshot of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        let bytes = decode_base64(b64.as_str().unwrap_or_default());
        std::fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.http.request("DELETE", &format!("/session/{}", self.session), &[], None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Standard base64 (padded or not) to bytes; other characters are skipped.
pub fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
