//! A merchant's webhook receiver: a real local HTTP server that records what arrives
//! and answers with the status it is told to (200, a 500 to be retried, 410 Gone), and
//! [`verify`], the check a receiver does with a Standard Webhooks library, written
//! from the specification (<https://www.standardwebhooks.com>), not from our Worker's
//! code: `webhook-id`, `webhook-timestamp` within five minutes, and any `v1,`
//! signature in `webhook-signature` equal to base64(HMAC-SHA256(key, "id.ts.body")),
//! the key being the base64 after `whsec_`.

use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use hmac::{KeyInit, Mac};

use crate::mailserver::Received;
use crate::stub;

#[derive(Debug, Default)]
struct State {
    status: u16,
    received: Vec<Received>,
}

/// A running receiver; each started one is its own endpoint URL.
#[derive(Debug, Clone)]
pub struct HookServer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl HookServer {
    pub fn start() -> HookServer {
        let state = Arc::new(Mutex::new(State { status: 200, received: Vec::new() }));
        let shared = state.clone();
        let addr = stub::serve(move |stream| handle(&stream, &shared));
        HookServer { url: format!("http://{addr}/hooks"), state }
    }

    /// The status of every answer from now on.
    pub fn answer(&self, status: u16) {
        if let Ok(mut s) = self.state.lock() {
            s.status = status;
        }
    }

    /// Every request, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().map(|s| s.received.clone()).unwrap_or_default()
    }

    /// The `type` of every event received.
    pub fn types(&self) -> Vec<String> {
        self.received()
            .iter()
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .filter_map(|v| v["type"].as_str().map(str::to_owned))
            .collect()
    }
}

fn handle(stream: &TcpStream, state: &Mutex<State>) {
    let Some(request) = stub::read_request(stream) else { return };
    let status = {
        let Ok(mut s) = state.lock() else { return };
        s.received.push(Received {
            headers: request.headers.clone(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
        });
        s.status
    };
    stub::respond(stream, status, &[("content-type", "text/plain".into())], b"ok");
}

/// Standard base64 with padding, decoded; `None` on anything else.
fn decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        bits = (bits << 6) | ALPHABET.iter().position(|&a| a == c)? as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Checks `r` as a Standard Webhooks receiver with `secret` would; the error says why not.
pub fn verify(secret: &str, r: &Received) -> Result<(), String> {
    let id = r.header("webhook-id").filter(|i| !i.is_empty()).ok_or("no webhook-id")?;
    let ts = r.header("webhook-timestamp").ok_or("no webhook-timestamp")?;
    let sigs = r.header("webhook-signature").ok_or("no webhook-signature")?;
    let t: u64 = ts.parse().map_err(|_| format!("timestamp {ts:?}"))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    if now.abs_diff(t) > 300 {
        return Err(format!("timestamp {t} is {}s from now", now.abs_diff(t)));
    }
    let key = decode(secret.strip_prefix("whsec_").ok_or("secret without whsec_")?).ok_or("secret not base64")?;
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{ts}.{}", r.body).as_bytes());
    let expected = format!("v1,{}", encode(&mac.finalize().into_bytes()));
    if sigs.split(' ').any(|s| s == expected) { Ok(()) } else { Err(format!("no signature matches in {sigs:?}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_accepts_the_specifications_example_and_nothing_else() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let key = decode(&secret[6..]).unwrap_or_default();
        let sign = |id: &str, ts: u64, body: &str| {
            let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).expect("key");
            mac.update(format!("{id}.{ts}.{body}").as_bytes());
            format!("v1,{}", encode(&mac.finalize().into_bytes()))
        };
        assert_eq!(
            sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, r#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let r = |id: &str, ts: u64, sig: String, body: &str| Received {
            headers: vec![
                ("webhook-id".into(), id.into()),
                ("webhook-timestamp".into(), ts.to_string()),
                ("webhook-signature".into(), sig),
            ],
            body: body.into(),
        };
        assert_eq!(verify(secret, &r("m1", now, format!("v1,bm8= {}", sign("m1", now, "{}")), "{}")), Ok(()));
        assert!(verify(secret, &r("m1", now, sign("m1", now, "{}"), "{ }")).is_err(), "a changed body");
        assert!(verify(secret, &r("m1", now - 400, sign("m1", now - 400, "{}"), "{}")).is_err(), "too old");
        assert!(verify("whsec_b3RoZXI=", &r("m1", now, sign("m1", now, "{}"), "{}")).is_err(), "another secret");
    }
}
