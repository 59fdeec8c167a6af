-- Live monitoring (issue 5): sessions, the events of their rooms, alerts, promises to follow
-- up and moderation actions. Event and alert times are Unix milliseconds.
CREATE TABLE live_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    plan_id INTEGER REFERENCES master_records(id),
    duty_officer_id INTEGER NOT NULL REFERENCES users(id),
    state TEXT NOT NULL,
    data TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    retain_until TEXT,
    legal_hold BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE live_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    event_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    decision TEXT NOT NULL,
    product_id BIGINT,
    viewer TEXT,
    body TEXT NOT NULL,
    UNIQUE (session_id, event_key)
);
CREATE INDEX live_events_session ON live_events(session_id, id);

CREATE TABLE live_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    event_id INTEGER NOT NULL UNIQUE REFERENCES live_events(id),
    severity TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    acked_ms BIGINT,
    acked_by TEXT,
    resolved_ms BIGINT,
    resolved_by TEXT,
    resolution TEXT,
    escalated_ms BIGINT,
    incident BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX live_alerts_session ON live_alerts(session_id, id);
CREATE INDEX live_alerts_state ON live_alerts(state, severity, created_ms);

CREATE TABLE live_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    event_id INTEGER NOT NULL REFERENCES live_events(id),
    phrase TEXT NOT NULL,
    said TEXT NOT NULL,
    product_id BIGINT,
    state TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    closed_ms BIGINT,
    closed_by TEXT,
    note TEXT
);
CREATE INDEX live_tasks_session ON live_tasks(session_id, id);

CREATE TABLE live_moderation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    event_id INTEGER NOT NULL REFERENCES live_events(id),
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX live_moderation_session ON live_moderation(session_id, id);
