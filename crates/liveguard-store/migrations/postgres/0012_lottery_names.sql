-- The masked display name of each entrant (issue 13: winners are announced as masked
-- nicknames beside their codes): a JSON object from the first 16 hex digits of an entrant
-- code to a name like "小*林" — a commenter's masked nickname or a masked account. Written
-- with the entrants when entry closes; never part of the public bundle.
ALTER TABLE lotteries ADD COLUMN entrant_names TEXT;
