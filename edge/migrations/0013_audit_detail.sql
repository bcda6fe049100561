-- What an audited change changed (issue 15): a JSON object with each changed field's
-- value before and after (settings, product settings) and, for stock, the plan's
-- figures and its sentence. No addresses and no secrets are kept in it.
ALTER TABLE audit ADD COLUMN detail TEXT;
