-- Connections to the shop's platform (issue 17): Shopify, WooCommerce, BigCommerce.
-- The platform is the source of stock and orders: its webhooks (verified with its own
-- signature) and a scheduled reconciliation against its API keep Restock's stock and
-- backorder queue in step. Timestamps are milliseconds; platform ids are TEXT (Shopify's
-- ids pass 2^53).

-- One connection per shop and platform. The secrets (webhook signing secret, API
-- token, WooCommerce consumer key) are write-only: stored, never returned, shown only
-- as a prefix.
CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  platform TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce', 'bigcommerce')),
  -- Shopify: the shop's myshopify.com domain; WooCommerce: the site's URL;
  -- BigCommerce: the store hash.
  store TEXT NOT NULL,
  -- The API's base URL when not the platform's own (a test stand-in; development only).
  api_base TEXT,
  -- Shopify's Admin API version (YYYY-MM).
  api_version TEXT,
  webhook_secret TEXT NOT NULL,
  api_token TEXT NOT NULL,
  api_key TEXT,
  -- Shopify: follow this location only (NULL: every location's available count).
  location_id TEXT,
  -- Platform customer groups to Restock groups: Shopify tags, WooCommerce roles,
  -- BigCommerce customer group ids. A JSON object.
  group_map TEXT NOT NULL DEFAULT '{}' CHECK (json_type(group_map) = 'object'),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  last_event_at INTEGER,
  last_error TEXT,
  last_error_at INTEGER,
  -- Reconciliation: where the pass in progress is (an opaque, platform-specific JSON
  -- cursor; NULL: no pass running), what it found so far, and the last finished pass.
  sync_cursor TEXT,
  sync_started_at INTEGER,
  sync_pages INTEGER NOT NULL DEFAULT 0,
  sync_seen INTEGER NOT NULL DEFAULT 0,
  sync_drift_units INTEGER NOT NULL DEFAULT 0,
  sync_drift_skus INTEGER NOT NULL DEFAULT 0,
  -- The platform asked us to slow down (429 / throttled) until then.
  sync_retry_at INTEGER,
  last_sync_at INTEGER,
  last_sync_seen INTEGER,
  last_sync_drift_units INTEGER,
  last_sync_drift_skus INTEGER,
  next_sync_at INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (shop_id, platform)
);
CREATE INDEX connections_due ON connections(status, next_sync_at);

-- Platform variants (and products) to Restock SKUs: from product webhooks, the
-- reconciliation, or an import. `item_id` is Shopify's inventory item.
CREATE TABLE platform_variants (
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  platform TEXT NOT NULL,
  variant_id TEXT NOT NULL,
  product_id TEXT,
  item_id TEXT,
  sku TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, platform, variant_id)
) WITHOUT ROWID;
CREATE INDEX platform_variants_by_item ON platform_variants(shop_id, platform, item_id);
CREATE INDEX platform_variants_by_sku ON platform_variants(shop_id, sku);

-- The platform's available count per inventory item and location (one location,
-- '', on platforms without locations), with the platform's time of the count. Only a
-- newer count replaces an older one (webhooks arrive out of order).
CREATE TABLE platform_levels (
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  platform TEXT NOT NULL,
  item_id TEXT NOT NULL,
  location_id TEXT NOT NULL,
  available INTEGER NOT NULL,
  counted_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, platform, item_id, location_id)
) WITHOUT ROWID;

-- Webhooks received, for deduplication (by the platform's webhook or event id) and
-- the Connections page's last events and errors. No payload and no address is kept.
CREATE TABLE hook_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  platform TEXT NOT NULL,
  event_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('processing', 'applied', 'ignored', 'failed')),
  detail TEXT,
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (shop_id, platform, event_id)
);
CREATE INDEX hook_events_by_shop ON hook_events(shop_id, platform, seq);
-- The scheduled job prunes deliveries older than 30 days, oldest first.
CREATE INDEX hook_events_by_time ON hook_events(received_at);

-- Backorders from a platform's order: which platform, its order id, and when the
-- platform took it (the stock target counts an order only once the platform's count
-- includes it). NULL for the widget's and the admin API's own.
ALTER TABLE backorders ADD COLUMN source TEXT;
ALTER TABLE backorders ADD COLUMN platform_order_id TEXT;
ALTER TABLE backorders ADD COLUMN platform_at INTEGER;
CREATE INDEX backorders_by_platform_order ON backorders(shop_id, source, platform_order_id);

-- Attribution (direct: clicked within the click window; assisted: delivered within
-- the delivery window). `clicked_at` is the first click on the notice's link.
ALTER TABLE waitlist ADD COLUMN clicked_at INTEGER;
ALTER TABLE orders ADD COLUMN source TEXT;
ALTER TABLE shops ADD COLUMN attribution_click_days INTEGER NOT NULL DEFAULT 5;
ALTER TABLE shops ADD COLUMN attribution_delivery_days INTEGER NOT NULL DEFAULT 1;

-- Customer groups: the rules (a JSON array, validated by the Worker, at most 200; read
-- with the shop's public face) and the key that signs group tokens (its own table: a
-- secret, never in a shop snapshot).
ALTER TABLE shops ADD COLUMN group_rules TEXT NOT NULL DEFAULT '[]';
CREATE TABLE group_keys (
  shop_id TEXT PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  previous_key TEXT,
  previous_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
