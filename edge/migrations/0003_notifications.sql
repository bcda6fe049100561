-- Notification fan-out and scheduled jobs.

-- How many fan-out chunk jobs a release has had enqueued, and the wave that followed
-- it (set in the same transaction that creates that wave: one successor, ever).
ALTER TABLE releases ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN next_release_id TEXT;

-- The Worker's public origin when the shop was created: links in emails sent from
-- queue and cron invocations (which have no request) point there, unless the
-- PUBLIC_URL variable says otherwise.
ALTER TABLE shops ADD COLUMN base_url TEXT NOT NULL DEFAULT '';

-- Which fan-out chunk picked a subscriber (each chunk marks rows with its own token,
-- then creates the deliveries for exactly those rows).
ALTER TABLE waitlist ADD COLUMN notify_token TEXT;
CREATE INDEX waitlist_by_token ON waitlist(notify_token);
CREATE INDEX waitlist_by_release ON waitlist(release_id);

-- Round-robin for the scheduled ETA slip detection.
ALTER TABLE products ADD COLUMN checked_at INTEGER NOT NULL DEFAULT 0;

-- The merchant's own address for digests (falls back to reply_to).
ALTER TABLE shops ADD COLUMN notify_email TEXT;
