-- Stock plans (issue 13): at most one open release window per SKU.
--
-- A release row is a window: `sellable` is the units it has announced (it grows when
-- units become free while it is open), `target` the subscribers it notifies in all.
-- Before this, each receive started a window of its own beside the open one, and the
-- scheduled job continued every chain, so the waitlist was notified for the same
-- units more than once. Close all but the newest open window of each SKU, then let
-- the schema refuse a second one.
UPDATE releases SET status = 'done'
WHERE status IN ('planning', 'sent')
  AND id NOT IN (
    SELECT id FROM (
      SELECT id, ROW_NUMBER() OVER (PARTITION BY shop_id, sku ORDER BY created_at DESC, id DESC) AS n
      FROM releases WHERE status IN ('planning', 'sent')
    ) WHERE n = 1
  );

CREATE UNIQUE INDEX releases_one_open ON releases(shop_id, sku) WHERE status IN ('planning', 'sent');
