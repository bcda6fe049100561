-- Webhook endpoints (issue 16): several per shop, each with its own URL, event filter
-- and signing secret, in the Standard Webhooks format (webhook-id, webhook-timestamp,
-- webhook-signature). They replace the one `webhook_url` / `webhook_secret` of
-- `shops`, which move here as endpoints marked `legacy`: those keep sending the old
-- `Restock-Signature` header too, signed with the old secret, until the merchant
-- rotates their secret (a rotation gives a `whsec_` secret and ends `legacy`).
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  -- JSON array of event types, or ["*"] for every event.
  events TEXT NOT NULL DEFAULT '["*"]',
  description TEXT NOT NULL DEFAULT '',
  -- `whsec_` + base64 of the key (Standard Webhooks). Shown once, when created or
  -- rotated; afterwards only its prefix.
  secret TEXT NOT NULL,
  -- The secret a rotation replaced, also signed with until `previous_until` (ms), so
  -- receivers can switch without losing events.
  previous_secret TEXT,
  previous_until INTEGER,
  legacy INTEGER NOT NULL DEFAULT 0,
  -- Set by the merchant, or by a 410 Gone from the endpoint; nothing is sent while set.
  disabled_at INTEGER,
  disabled_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_shop ON webhook_endpoints(shop_id, created_at);

INSERT INTO webhook_endpoints (id, shop_id, url, events, secret, legacy, created_at, updated_at)
SELECT 'we_' || lower(hex(randomblob(10))), id, webhook_url, '["*"]', webhook_secret, 1, created_at, created_at
FROM shops WHERE webhook_url IS NOT NULL AND webhook_secret IS NOT NULL;

-- Queued webhook deliveries named the URL; they now name the endpoint.
UPDATE deliveries SET recipient = COALESCE(
  (SELECT e.id FROM webhook_endpoints e WHERE e.shop_id = deliveries.shop_id AND e.url = deliveries.recipient), recipient)
WHERE channel = 'webhook';

ALTER TABLE shops DROP COLUMN webhook_url;
ALTER TABLE shops DROP COLUMN webhook_secret;
