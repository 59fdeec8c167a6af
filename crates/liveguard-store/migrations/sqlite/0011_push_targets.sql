-- Push targets set up by an administrator on the page (issue 13): webhooks and the group
-- robots of 企业微信, 钉钉 and 飞书. The address (a robot's key is in it) and the signing
-- secret are stored sealed by the server; the store never sees them in clear.
CREATE TABLE push_targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    url_sealed TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    shown_url TEXT NOT NULL,
    events TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- Delivery progress: the next audit seq to look at, the last alert id sent (NULL until
    -- the first round, which starts at the end: no history is replayed).
    audit_cursor BIGINT,
    alert_cursor BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Jobs that one node of several runs at a time (push delivery): the holder renews its
-- lease; another node takes over after it lapses.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
