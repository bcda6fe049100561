-- Fixes to the platform connectors (issue 21).

-- A shopper's `Idempotency-Key` and a platform order line's key are separate
-- namespaces: a key is unique per shop *and source* (NULL, the widget's and the admin
-- API's own orders, counts as ''). Before, one unique (shop, key) index meant a shopper
-- posting `Idempotency-Key: woocommerce:1001:57` took the key of that WooCommerce line,
-- which was then reported "already queued" and never queued. Lookups name the same
-- expression (`COALESCE(source, '') = ?`) so they use this index.
DROP INDEX backorders_idempotency;
CREATE UNIQUE INDEX backorders_idempotency ON backorders(shop_id, COALESCE(source, ''), idempotency_key);

-- A platform order line is decided once: a sale (`orders.reference`), a backorder
-- (`backorders.idempotency_key`, both `{platform}:{order}:{line}`), or refused. A
-- refusal is recorded here, so a later update of the order does not decide the line
-- again (a line decided again against later stock could become a backorder of units it
-- was sold from). `code` says why; only `cap_reached` (no place was left) is tried
-- again by a later update of the order, as a backorder, while the platform has not
-- fulfilled the line. No address is kept.
CREATE TABLE platform_refusals (
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  platform TEXT NOT NULL,
  order_id TEXT NOT NULL,
  line_id TEXT NOT NULL,
  code TEXT NOT NULL,
  refused_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, platform, order_id, line_id)
) WITHOUT ROWID;

-- A shopper's sales (their address: erasure, attribution) are found by index, not by
-- reading every order of the shop. Addresses match case-insensitively.
CREATE INDEX orders_by_email ON orders(shop_id, email COLLATE NOCASE);
