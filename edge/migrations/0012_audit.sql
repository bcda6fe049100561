-- The audit log (issue 15): each merchant change through the admin API, who (the
-- key's public prefix) and when. No request bodies and no addresses are kept.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL
);
CREATE INDEX audit_by_shop ON audit(shop_id, seq);
