//! A stand-in for an HTTP email API (the one third party we cannot reach offline): a
//! real local HTTP server that accepts, fails with 5xx, rejects with 4xx, or stalls
//! past the caller's timeout, on command. Like real providers it honours
//! `Idempotency-Key`: a repeated key is answered 200 without delivering again.

use std::collections::HashSet;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::stub;

/// How the server answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 503 Service Unavailable.
    Fail,
    /// 400 Bad Request (a permanent error).
    Reject,
    /// Accept (and deliver), but answer only after this long.
    Stall(Duration),
}

/// One message the provider delivered.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub idempotency_key: String,
    pub to: String,
    pub subject: String,
    pub body: Value,
}

/// Any request received, as sent.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct State {
    mode: Option<Mode>,
    delivered: Vec<Delivered>,
    keys: HashSet<String>,
    attempts: usize,
    received: Vec<Received>,
}

/// A running stand-in provider; stops accepting when dropped.
#[derive(Debug, Clone)]
pub struct MailServer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl MailServer {
    pub fn start() -> MailServer {
        let state = Arc::new(Mutex::new(State { mode: Some(Mode::Accept), ..State::default() }));
        let shared = state.clone();
        let addr = stub::serve(move |stream| handle(&stream, &shared));
        MailServer { url: format!("http://{addr}/send"), state }
    }

    pub fn set_mode(&self, mode: Mode) {
        if let Ok(mut s) = self.state.lock() {
            s.mode = Some(mode);
        }
    }

    /// Messages delivered (once per idempotency key).
    pub fn delivered(&self) -> Vec<Delivered> {
        self.state.lock().map(|s| s.delivered.clone()).unwrap_or_default()
    }

    /// Every request received, including failed and repeated ones.
    pub fn attempts(&self) -> usize {
        self.state.lock().map(|s| s.attempts).unwrap_or(0)
    }

    /// Every request received, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().map(|s| s.received.clone()).unwrap_or_default()
    }
}

fn handle(stream: &TcpStream, state: &Mutex<State>) {
    // The caller went away before the request was complete: nothing arrived.
    let Some(request) = stub::read_request(stream) else { return };
    let key = request.header("idempotency-key").unwrap_or_default().to_owned();
    let headers = request.headers.clone();
    let body = request.body;
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Like a real API: a message without a recipient is refused, never delivered.
    let valid = json["to"].as_str().is_some_and(|to| to.contains('@'));
    let mode = {
        let Ok(mut s) = state.lock() else { return };
        s.attempts += 1;
        s.received.push(Received { headers: headers.clone(), body: String::from_utf8_lossy(&body).into_owned() });
        if valid { s.mode.unwrap_or(Mode::Accept) } else { Mode::Reject }
    };
    let deliver = |s: &mut State| {
        if s.keys.insert(key.clone()) {
            s.delivered.push(Delivered {
                idempotency_key: key.clone(),
                to: json["to"].as_str().unwrap_or_default().to_owned(),
                subject: json["subject"].as_str().unwrap_or_default().to_owned(),
                body: json.clone(),
            });
        }
    };
    let status = match mode {
        Mode::Accept => {
            if let Ok(mut s) = state.lock() {
                deliver(&mut s);
            }
            200
        }
        Mode::Fail => 503,
        Mode::Reject => 400,
        Mode::Stall(d) => {
            if let Ok(mut s) = state.lock() {
                deliver(&mut s);
            }
            thread::sleep(d);
            200
        }
    };
    let payload = format!("{{\"id\":\"msg_{}\"}}", key.len());
    stub::respond(stream, status, &[("content-type", "application/json".into())], payload.as_bytes());
}
