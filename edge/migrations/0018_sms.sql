-- SMS alerts (issue 16). A waitlist signup can add a phone number with its own, explicit
-- SMS consent; restock waves text those numbers too, at most `sms_budget` texts per wave,
-- and the rest of the wave is told by email only. Texts are deliveries like emails
-- (channel 'sms'), so they are claimed, retried and never sent twice the same way.

-- The shop's switch, the text shoppers agree to for texts, and the most texts one
-- restock wave may send (a large waitlist must not become a sudden bill).
ALTER TABLE shops ADD COLUMN sms_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shops ADD COLUMN sms_consent_text TEXT;
ALTER TABLE shops ADD COLUMN sms_budget INTEGER NOT NULL DEFAULT 100 CHECK (sms_budget >= 0);

-- The number (E.164), the SMS consent record (the shop's text, its version, when), and
-- when the number replied STOP (no text is sent to it while set).
ALTER TABLE waitlist ADD COLUMN phone TEXT;
ALTER TABLE waitlist ADD COLUMN sms_consent_text TEXT;
ALTER TABLE waitlist ADD COLUMN sms_consent_version TEXT;
ALTER TABLE waitlist ADD COLUMN sms_consent_at INTEGER;
ALTER TABLE waitlist ADD COLUMN sms_stopped_at INTEGER;
CREATE INDEX waitlist_by_phone ON waitlist(phone) WHERE phone IS NOT NULL;

-- Texts a wave has planned so far, counted against the shop's budget inside the
-- fan-out's own transaction.
ALTER TABLE releases ADD COLUMN sms_planned INTEGER NOT NULL DEFAULT 0;

-- Numbers that replied STOP to our sender (Twilio blocks them on its side too, until
-- START). One sender serves every shop of a deployment, so an opt-out is not per shop.
-- Only a hash of the number is kept (SHA-256 of its E.164 spelling).
CREATE TABLE sms_optouts (
  phone_hash TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- `deliveries.channel` gains 'sms'. SQLite cannot change a CHECK in place, so the table
-- is rebuilt with the same columns, rows and indexes.
CREATE TABLE deliveries_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  dedupe_key TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'sms')),
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
INSERT INTO deliveries_new (seq, id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id,
  payload, status, attempts, last_error, lease_until, provider_id, created_at, updated_at, sent_at)
SELECT seq, id, shop_id, dedupe_key, channel, kind, recipient, locale, sku, subject_id, release_id,
  payload, status, attempts, last_error, lease_until, provider_id, created_at, updated_at, sent_at
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_by_shop ON deliveries(shop_id, seq);
CREATE INDEX deliveries_by_status ON deliveries(status, updated_at);
CREATE INDEX deliveries_by_recipient ON deliveries(shop_id, recipient);
CREATE INDEX deliveries_by_release ON deliveries(release_id, subject_id);
CREATE INDEX deliveries_by_provider_id ON deliveries(provider_id);
