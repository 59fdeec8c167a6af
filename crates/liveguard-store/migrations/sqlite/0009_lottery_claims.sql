-- After the draw (issue 6): each winner's prize is tracked from claim to redemption or
-- forfeit. The recipient's personal data is collected for delivery only, stored sealed
-- (AES-256-GCM, the key in the data directory, never in the database) and erased once
-- the claim is closed and personal_purge_at has passed. The lottery record itself is kept
-- until retain_until (at least two years, 规范促销行为暂行规定).
ALTER TABLE lotteries ADD COLUMN retain_until TEXT;
-- When the rules were committed: comment entries before it do not count.
ALTER TABLE lotteries ADD COLUMN committed_at TEXT;

CREATE TABLE lottery_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lottery_id INTEGER NOT NULL REFERENCES lotteries(id),
    position INTEGER NOT NULL,
    prize TEXT NOT NULL,
    code TEXT NOT NULL,
    -- awaiting → claimed → shipped → redeemed; awaiting → forfeited after the deadline
    state TEXT NOT NULL,
    recipient_sealed TEXT,
    carrier TEXT,
    tracking TEXT,
    note TEXT,
    claimed_at TEXT,
    shipped_at TEXT,
    closed_at TEXT,
    personal_purge_at TEXT,
    personal_erased_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (lottery_id, position)
);
CREATE INDEX lottery_claims_purge ON lottery_claims (personal_purge_at) WHERE recipient_sealed IS NOT NULL;
