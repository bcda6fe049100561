-- Restock core schema: shops, products, purchase orders, the backorder queue and the
-- waitlist. Timestamps are milliseconds since the Unix epoch (INTEGER); calendar days
-- are TEXT 'YYYY-MM-DD' (UTC). Money is integer cents.

CREATE TABLE shops (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- SHA-256 (hex) of the shop's secret key; the key itself is shown once, never stored.
  key_hash TEXT NOT NULL,
  key_prefix TEXT NOT NULL,
  -- JSON array of origins allowed to call the public API from a browser.
  allowed_origins TEXT NOT NULL DEFAULT '[]',
  double_opt_in INTEGER NOT NULL DEFAULT 0,
  release_ratio_permille INTEGER NOT NULL DEFAULT 1000,
  release_interval_minutes INTEGER NOT NULL DEFAULT 60,
  hold_hours INTEGER,
  handling_days INTEGER NOT NULL DEFAULT 0,
  sender_name TEXT NOT NULL DEFAULT '',
  reply_to TEXT,
  webhook_url TEXT,
  webhook_secret TEXT,
  consent_text TEXT NOT NULL,
  discount_code TEXT,
  backorder_mode TEXT NOT NULL DEFAULT 'api' CHECK (backorder_mode IN ('api', 'event')),
  currency TEXT NOT NULL DEFAULT 'EUR',
  shop_url TEXT,
  brand_color TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE products (
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  sku TEXT NOT NULL,
  name TEXT NOT NULL,
  url TEXT,
  price_cents INTEGER NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
  policy TEXT NOT NULL DEFAULT 'deny' CHECK (policy IN ('deny', 'backorder', 'preorder')),
  cap INTEGER CHECK (cap IS NULL OR cap >= 0),
  release_date TEXT,
  low_stock_threshold INTEGER NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
  discontinued INTEGER NOT NULL DEFAULT 0,
  lead_time_days INTEGER CHECK (lead_time_days IS NULL OR lead_time_days >= 0),
  waitlist INTEGER NOT NULL DEFAULT 1,
  supplier TEXT,
  on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  -- A fresh random token on every write to stock or the queue: writers that plan from
  -- a read (receive, cancel) commit only if it is unchanged (optimistic concurrency).
  rev TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, sku)
) WITHOUT ROWID;

CREATE TABLE purchase_orders (
  id TEXT PRIMARY KEY,
  shop_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  expected_date TEXT NOT NULL,
  supplier TEXT,
  reference TEXT,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'received', 'cancelled')),
  received_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  FOREIGN KEY (shop_id, sku) REFERENCES products(shop_id, sku) ON DELETE CASCADE
);
CREATE INDEX purchase_orders_by_product ON purchase_orders(shop_id, sku, status, expected_date);

-- The backorder/preorder queue. `seq` is the global first-come-first-served order.
CREATE TABLE backorders (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('backorder', 'preorder')),
  email TEXT NOT NULL,
  locale TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  allocated INTEGER NOT NULL DEFAULT 0 CHECK (allocated >= 0 AND allocated <= quantity),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'allocated', 'cancelled')),
  placed_on TEXT NOT NULL,
  -- The ship date promised when placed, and the one we last told the shopper (a delay
  -- notice revises it; NULL after a notice that the new date is unknown).
  promised_date TEXT,
  current_promise TEXT,
  projected_date TEXT,
  delayed INTEGER NOT NULL DEFAULT 0,
  unit_price_cents INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  request_hash TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  cancelled_at INTEGER,
  FOREIGN KEY (shop_id, sku) REFERENCES products(shop_id, sku) ON DELETE CASCADE
);
CREATE UNIQUE INDEX backorders_idempotency ON backorders(shop_id, idempotency_key);
CREATE INDEX backorders_queue ON backorders(shop_id, sku, status, seq);
CREATE INDEX backorders_by_shop ON backorders(shop_id, seq);

-- Waitlist signups. One row per (shop, SKU, email): repeats update, never duplicate.
CREATE TABLE waitlist (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  email TEXT NOT NULL,
  locale TEXT NOT NULL,
  consent_text TEXT NOT NULL,
  consent_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'notified', 'unsubscribed')),
  confirmed_at INTEGER,
  notified_at INTEGER,
  release_id TEXT,
  hold_until INTEGER,
  converted_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (shop_id, sku, email),
  FOREIGN KEY (shop_id, sku) REFERENCES products(shop_id, sku) ON DELETE CASCADE
);
CREATE INDEX waitlist_queue ON waitlist(shop_id, sku, status, seq);
CREATE INDEX waitlist_by_email ON waitlist(shop_id, email);
