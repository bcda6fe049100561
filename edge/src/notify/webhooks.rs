//! Webhooks to the merchant: JSON events signed with HMAC-SHA256 over
//! `"{timestamp}.{body}"` with the shop's webhook secret, sent as
//! `Restock-Signature: t=<unix seconds>,v1=<hex>`. Receivers recompute the HMAC, compare
//! in constant time, and refuse timestamps more than five minutes old (replays).
//! See README, "Webhooks", for a verification example.

use crate::crypto::{hex, hmac_sha256};
use crate::notify::provider::{Outcome, classify, post};

/// The `Restock-Signature` header value for `body` sent at `timestamp` (seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex(&mac))
}

/// Delivers one event.
pub async fn send(
    url: &str,
    secret: &str,
    event: &str,
    delivery_id: &str,
    body: &str,
    now_secs: i64,
    timeout: u32,
) -> Outcome {
    let sig = signature(secret, now_secs, body);
    let headers = [
        ("content-type", "application/json"),
        ("restock-signature", sig.as_str()),
        ("restock-event", event),
        ("restock-delivery", delivery_id),
        ("user-agent", "Restock-Webhooks/1"),
    ];
    match post(url, &headers, body, timeout).await {
        Ok(reply) => classify(reply.status, &reply.hint()),
        Err(e) => Outcome::retry(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_computation() {
        // python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_test',b'1700000000.{\"a\":1}',hashlib.sha256).hexdigest())"
        assert_eq!(
            signature("whsec_test", 1_700_000_000, "{\"a\":1}"),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
