-- Retention (issue 15): each shop keeps ended records (a notified, unsubscribed or
-- never-confirmed signup, a closed backorder's address, a finished delivery, a sale's
-- buyer address) for this many days; the scheduled purge then removes them, a bounded
-- number per run. A year unless the merchant sets 30 to 3650 days.
ALTER TABLE shops ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 365;
