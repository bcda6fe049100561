//! Notifications: every email and webhook we owe is first a row in `deliveries`,
//! written in the same D1 batch as the change that caused it, with a unique
//! `dedupe_key` (recipient + event) so it can exist only once. Sending is separate
//! and retryable: see `consumer` (queue jobs), `release` (waitlist fan-out), `render`
//! (emails; `copy` the merchant's own subject and intro), `provider` (outbox or an email API, `providers` speaking each provider's), `webhooks` (signed events), `cron`
//! (scheduled jobs) and `api` (delivery log, dev mailbox).

pub mod api;
pub mod consumer;
pub mod copy;
pub mod cron;
pub mod endpoints;
pub mod feedback;
pub mod provider;
pub mod providers;
pub mod release;
pub mod render;
pub mod signatures;
pub mod sms;
pub mod sns;
pub mod updates;
pub mod webhooks;

use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::crypto::new_id;
use crate::ctx::Ctx;
use crate::shops::ShopRow;

/// How a recorded notification goes out (webhooks are `webhooks::Event`s, one
/// delivery per endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
        }
    }
}

/// A notification to record.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub shop_id: String,
    pub channel: Channel,
    /// `confirm`, `restock`, `backorder_confirmation`, `delay`, `allocated`, `digest`,
    pub kind: String,
    /// An email address.
    pub recipient: String,
    pub locale: String,
    pub sku: Option<String>,
    pub subject_id: Option<String>,
    pub release_id: Option<String>,
    /// What the template needs.
    pub payload: Value,
    pub dedupe_key: String,
}

impl Outgoing {
    pub fn email(shop_id: &str, kind: &str, to: &str, locale: &str, dedupe_key: String, payload: Value) -> Outgoing {
        Outgoing {
            shop_id: shop_id.to_owned(),
            channel: Channel::Email,
            kind: kind.to_owned(),
            recipient: to.to_owned(),
            locale: locale.to_owned(),
            sku: None,
            subject_id: None,
            release_id: None,
            payload,
            dedupe_key,
        }
    }

    pub fn about(mut self, sku: &str, subject_id: &str) -> Outgoing {
        self.sku = Some(sku.to_owned());
        self.subject_id = Some(subject_id.to_owned());
        self
    }

    /// `INSERT OR IGNORE` of this delivery (parameters numbered from `?{first}`),
    /// inserted only when `condition` (SQL) holds.
    pub fn insert(&self, ctx: &Ctx, first: usize, condition: &str) -> (String, Vec<JsValue>) {
        let p = |i: usize| format!("?{}", first + i);
        let sql = format!(
            "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id, payload, created_at, updated_at) \
             SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} WHERE {condition}",
            p(0),
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8),
            p(9),
            p(10),
            p(11),
            p(11)
        );
        let channel = self.channel.as_str();
        let params = crate::args![
            new_id("dl"),
            self.shop_id.as_str(),
            self.dedupe_key.as_str(),
            channel,
            self.kind.as_str(),
            self.recipient.as_str(),
            self.locale.as_str(),
            self.sku.clone(),
            self.subject_id.clone(),
            self.release_id.clone(),
            self.payload.to_string(),
            ctx.now.millis(),
        ];
        (sql, params)
    }
}

impl Outgoing {
    /// One `INSERT OR IGNORE` of many deliveries, from a JSON array bound as one
    /// parameter (`?{first}`; `?{first + 1}` is now), inserted only when `condition`
    /// holds: a plan that owes thousands of emails stays one statement per chunk.
    pub fn insert_many(
        ctx: &Ctx,
        outs: &[Outgoing],
        first: usize,
        condition: &str,
    ) -> Result<(String, Vec<JsValue>), serde_json::Error> {
        let rows: Vec<Value> = outs
            .iter()
            .map(|o| {
                serde_json::json!({
                    "id": new_id("dl"), "shop": o.shop_id, "key": o.dedupe_key,
                    "channel": o.channel.as_str(),
                    "kind": o.kind, "to": o.recipient, "locale": o.locale, "sku": o.sku, "subject": o.subject_id,
                    "release": o.release_id, "payload": o.payload.to_string(),
                })
            })
            .collect();
        let (rows_p, now_p) = (format!("?{first}"), format!("?{}", first + 1));
        let f = |k: &str| format!("json_extract(j.value, '$.{k}')");
        let sql = format!(
            "INSERT OR IGNORE INTO deliveries (id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id, payload, created_at, updated_at) \
             SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {now_p}, {now_p} FROM json_each({rows_p}) j WHERE {condition}",
            f("id"),
            f("shop"),
            f("key"),
            f("channel"),
            f("kind"),
            f("to"),
            f("locale"),
            f("sku"),
            f("subject"),
            f("release"),
            f("payload"),
        );
        Ok((sql, crate::args![Value::Array(rows).to_string(), ctx.now.millis()]))
    }
}

/// An event for the shop's webhook endpoints (delivered to those whose filter takes it).
pub fn webhook(ctx: &Ctx, shop: &ShopRow, event: &str, data: Value) -> webhooks::Event {
    webhooks::Event::new(ctx, &shop.id, event, data)
}

/// Asks the queue consumer to send whatever is queued (a no-op without the queue
/// binding; the scheduled sweep picks deliveries up then).
pub fn kick(ctx: &Ctx) {
    let Ok(queue) = ctx.env.queue("NOTIFY") else { return };
    if let Err(e) = ctx.charge("queue send", 1) {
        // The scheduled sweep sends what is queued.
        worker::console_warn!("no notification sweep enqueued: {e:?}");
        return;
    }
    let job = consumer::Envelope::new(ctx, consumer::Job::Sweep);
    ctx.wait_until(async move {
        // A typed job: a serde_json::Value would arrive as a JS Map, not an object.
        if let Err(e) = queue.send(job).await {
            worker::console_warn!("could not enqueue a notification sweep: {e}");
        }
    });
}

/// Starts the fan-out of a planned waitlist release (logged, not fatal, if the queue
/// is unreachable: the scheduled job restarts releases that stay in planning).
pub async fn start_release(ctx: &Ctx, release_id: &str) {
    if let Err(e) = release::start(ctx, release_id).await {
        worker::console_warn!("could not start release {release_id}: {e:?}");
    }
}
