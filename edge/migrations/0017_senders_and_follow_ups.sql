-- Bulk-sender compliance and follow-ups (issue 16).
-- The shop's postal address is in every email's footer and is required before a
-- production Worker sends the shop's email. Transactional mail (backorders,
-- preorders, confirmations) and subscription mail (restock notices, reminders) can
-- have separate From addresses; unset, both are EMAIL_FROM.
ALTER TABLE shops ADD COLUMN postal_address TEXT;
ALTER TABLE shops ADD COLUMN from_transactional TEXT;
ALTER TABLE shops ADD COLUMN from_subscription TEXT;
-- Follow-ups, both off unless set: one reminder to notified subscribers who have not
-- bought within `reminder_days`; signups still waiting `waitlist_expiry_days` after their
-- (latest) consent end (status 'unsubscribed', ended_reason 'expired').
ALTER TABLE shops ADD COLUMN reminder_days INTEGER;
ALTER TABLE shops ADD COLUMN waitlist_expiry_days INTEGER;
ALTER TABLE waitlist ADD COLUMN reminded_at INTEGER;
-- Why a signup ended: 'unsubscribed', 'expired', 'bounce', 'complaint' (NULL while open
-- and for signups that ended before this column).
ALTER TABLE waitlist ADD COLUMN ended_reason TEXT;
CREATE INDEX waitlist_to_remind ON waitlist(shop_id, notified_at)
  WHERE status = 'notified' AND reminded_at IS NULL AND converted_at IS NULL;
CREATE INDEX waitlist_waiting_since ON waitlist(shop_id, consent_at) WHERE status IN ('pending', 'active');
