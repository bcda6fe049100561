-- The waitlist consent text per language: a JSON object from language tag ("de",
-- "he", ...) to text, for the languages the shop wrote one in. A shopper reading any
-- other language is shown `consent_text`. The Worker validates the keys and texts; the
-- CHECK keeps the column an object whatever writes it.
ALTER TABLE shops ADD COLUMN consent_texts TEXT NOT NULL DEFAULT '{}' CHECK (json_type(consent_texts) = 'object');
