-- The consent record holds what the shop showed, by version: `consent_text` is the
-- shop's own text (never one a client made up), `consent_version` its SHA-256 (hex),
-- `consent_lang` the language it is the shop's text for (`default` for the shop's
-- default text), `consent_source` the origin of the page it was shown on. Rows from
-- before this migration have NULLs: their text is what the client sent.
ALTER TABLE waitlist ADD COLUMN consent_version TEXT;
ALTER TABLE waitlist ADD COLUMN consent_lang TEXT;
ALTER TABLE waitlist ADD COLUMN consent_source TEXT;
