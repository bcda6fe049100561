-- Addresses a shop no longer mails (issue 16): a provider reported a hard bounce or a
-- spam complaint. Checked before every email is sent. Only a hash of the address
-- (SHA-256 of its lowercase spelling) and a masked hint are kept, so an erasure leaves
-- no address here and the address is still never mailed again.
CREATE TABLE suppressions (
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  email_hash TEXT NOT NULL,
  hint TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint')),
  source TEXT NOT NULL,
  detail TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, email_hash)
) WITHOUT ROWID;
-- Feedback names the provider's message id: find its delivery (and shop) by it.
CREATE INDEX deliveries_by_provider_id ON deliveries(provider_id);
