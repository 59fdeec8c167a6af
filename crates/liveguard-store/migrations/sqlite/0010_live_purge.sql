-- Live records are deleted once their retention date has passed (个人信息保护法 Art. 19:
-- kept no longer than necessary), unless a legal hold is set. The session row stays, with
-- when its events, alerts, follow-ups and moderation records were purged; the audit log
-- keeps every decision about them.
ALTER TABLE live_sessions ADD COLUMN purged_at TEXT;
