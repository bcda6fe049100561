-- Country in the consent record (issue 15), only for shops that turn it on: the country
-- Cloudflare derives from the signup's IP address (`request.cf.country`), never the
-- address itself.
ALTER TABLE shops ADD COLUMN record_country INTEGER NOT NULL DEFAULT 0;
ALTER TABLE waitlist ADD COLUMN consent_country TEXT;
