-- The practices shop guides recommend (issue 18): alternatives, a shopper's backorder
-- page with regular updates, forecasts, a service desk, editable emails, incentives.

-- Alternatives: a product's category, and the SKUs the merchant offers instead of it
-- when it is out of stock (a JSON array of at most 10 SKUs of the same shop; NULL:
-- in-stock products of the same category, then of the same supplier). The partial
-- indexes let the availability snapshot find those cheaply in a 50,000-SKU shop.
ALTER TABLE products ADD COLUMN category TEXT;
ALTER TABLE products ADD COLUMN alternatives TEXT
  CHECK (alternatives IS NULL OR json_type(alternatives) = 'array');
CREATE INDEX products_by_category ON products(shop_id, category, sku) WHERE category IS NOT NULL;
CREATE INDEX products_by_supplier ON products(shop_id, supplier, sku) WHERE supplier IS NOT NULL;

-- Regular status emails every `status_update_days` (0: off) while a backorder waits;
-- forecasts for a service level (thousandths, 500 to 999); incentives: a free-shipping
-- note and which emails carry the discount code and the note (a JSON array of email
-- kinds: 'restock' and/or 'backorder_confirmation'; 'restock' alone is what the
-- discount code did before).
ALTER TABLE shops ADD COLUMN status_update_days INTEGER NOT NULL DEFAULT 0
  CHECK (status_update_days BETWEEN 0 AND 90);
ALTER TABLE shops ADD COLUMN service_level_permille INTEGER NOT NULL DEFAULT 950
  CHECK (service_level_permille BETWEEN 500 AND 999);
ALTER TABLE shops ADD COLUMN free_shipping INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shops ADD COLUMN incentive_emails TEXT NOT NULL DEFAULT '["restock"]'
  CHECK (json_type(incentive_emails) = 'array');

-- The base of a backorder's regular updates: when the shopper last heard from us as
-- far as they know (NULL: when it was placed). The scheduled job walks open backorders
-- by it, oldest first, through this index, and moves it forward each time it looks.
ALTER TABLE backorders ADD COLUMN last_update_at INTEGER;
CREATE INDEX backorders_update_due ON backorders(shop_id, COALESCE(last_update_at, created_at))
  WHERE status = 'open';

-- The service desk moves a backorder to another SKU by cancelling it and placing a new
-- one at the back of that SKU's queue in one batch: each names the other.
ALTER TABLE backorders ADD COLUMN moved_from TEXT;
ALTER TABLE backorders ADD COLUMN moved_to TEXT;

-- The service desk looks shoppers up by address, whatever its case.
CREATE INDEX backorders_by_email ON backorders(shop_id, email COLLATE NOCASE);
CREATE INDEX waitlist_by_email_nocase ON waitlist(shop_id, email COLLATE NOCASE);
CREATE INDEX deliveries_by_recipient_nocase ON deliveries(shop_id, recipient COLLATE NOCASE);
-- Every email about one backorder or signup (the shopper's page, the regular updates).
CREATE INDEX deliveries_by_subject ON deliveries(subject_id, created_at);

-- Editable emails: the merchant's subject and intro per email kind and language
-- (NULL: the built-in copy). Text with a fixed set of placeholders, validated by the
-- Worker.
CREATE TABLE email_copy (
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  lang TEXT NOT NULL,
  subject TEXT,
  intro TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, kind, lang)
) WITHOUT ROWID;

-- The service desk's notes about a shopper, found by a hash of the address (SHA-256
-- of its lowercase spelling, like suppressions), optionally about one backorder or
-- signup. Erasing the address deletes them; retention removes old ones.
CREATE TABLE desk_notes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  email_hash TEXT NOT NULL,
  subject_id TEXT,
  text TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX desk_notes_by_email ON desk_notes(shop_id, email_hash, seq);
