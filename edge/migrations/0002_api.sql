-- The merchant/public API: key lookup, idempotent responses, rate limits, waitlist
-- releases, the notification delivery log and outbox, and reported orders.

CREATE UNIQUE INDEX shops_by_key ON shops(key_hash);

-- The exact body first returned for a backorder, replayed for a retried Idempotency-Key.
ALTER TABLE backorders ADD COLUMN response_body TEXT;

-- Fixed-window counters for the D1 rate-limit fallback (one row per bucket).
CREATE TABLE rate_limits (
  bucket TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  hits INTEGER NOT NULL
) WITHOUT ROWID;

-- A waitlist release: one wave of notifications for one SKU after stock became sellable.
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  shop_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  wave INTEGER NOT NULL,
  -- Units sellable when the wave was planned, and how many subscribers it notifies.
  sellable INTEGER NOT NULL,
  target INTEGER NOT NULL,
  -- Subscribers turned into deliveries so far (the fan-out advances this in chunks).
  planned INTEGER NOT NULL DEFAULT 0,
  hold_until INTEGER,
  next_check_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planning', 'sent', 'done')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  FOREIGN KEY (shop_id, sku) REFERENCES products(shop_id, sku) ON DELETE CASCADE
);
CREATE INDEX releases_by_product ON releases(shop_id, sku, created_at);
CREATE INDEX releases_by_status ON releases(status, next_check_at);

-- Every notification (email or webhook) we owe. `dedupe_key` (recipient + event) is
-- unique, so a retried job or a duplicated release can never create a second one.
CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  dedupe_key TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  locale TEXT NOT NULL DEFAULT 'en',
  sku TEXT,
  subject_id TEXT,
  release_id TEXT,
  payload TEXT NOT NULL DEFAULT '{}',
  -- skipped: no longer to be sent (the subscriber left, the order was cancelled).
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dead', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  lease_until INTEGER,
  provider_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX deliveries_by_shop ON deliveries(shop_id, seq);
CREATE INDEX deliveries_by_status ON deliveries(status, updated_at);
CREATE INDEX deliveries_by_release ON deliveries(release_id);
CREATE INDEX deliveries_by_recipient ON deliveries(shop_id, recipient);

-- The local email provider: messages "sent" land here (shown at /dev/mailbox).
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  to_addr TEXT NOT NULL,
  from_name TEXT NOT NULL,
  reply_to TEXT,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_recipient ON outbox(shop_id, to_addr);

-- Orders the merchant reports, for stock and for notification -> purchase conversion.
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  amount_cents INTEGER NOT NULL DEFAULT 0,
  email TEXT,
  reference TEXT NOT NULL,
  -- 'waitlist' when the buyer had been notified of this SKU's restock.
  attributed TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (shop_id, reference)
);
CREATE INDEX orders_by_product ON orders(shop_id, sku);
