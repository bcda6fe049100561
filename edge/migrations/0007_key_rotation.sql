-- Rotating a shop's secret key: the key it replaced stays valid until
-- `previous_key_expires_at` (milliseconds), a grace period the merchant chooses, so
-- integrations can move to the new key without downtime. Then it is refused.
ALTER TABLE shops ADD COLUMN previous_key_hash TEXT;
ALTER TABLE shops ADD COLUMN previous_key_expires_at INTEGER;
CREATE INDEX shops_by_previous_key ON shops(previous_key_hash);
