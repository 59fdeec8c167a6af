-- Per-user salt for the audit digests of personal data (display names). Erasing a user's
-- personal data deletes the salt too, so old digests can no longer be linked to the person
-- while every audit proof stays valid.
ALTER TABLE users ADD COLUMN pd_salt TEXT NOT NULL DEFAULT '';
