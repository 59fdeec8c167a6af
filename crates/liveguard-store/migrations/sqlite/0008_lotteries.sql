-- Verifiable lotteries (issue 6): the rules as committed, the entrant commitment and the
-- proof bundle, moving draft → committed → closed → drawn. The library owns the documents.
CREATE TABLE lotteries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER REFERENCES live_sessions(id),
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    rules TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    entrants TEXT,
    bundle TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
