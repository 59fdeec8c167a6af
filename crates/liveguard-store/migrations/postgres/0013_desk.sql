-- The consumer desk (issue 15): complaints, reports, after-sales requests and regulator
-- referrals as cases with clocks. The consumer's name, phone, address and account are
-- sealed by the server (AES-256-GCM, the key in the data directory) and never stored in
-- clear; `summary` and `demand` are free text masked before they are stored. Every state
-- change and every clock event is an audit entry (`case:<id>`) in the same transaction.
CREATE TABLE desk_cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    complexity TEXT NOT NULL,
    complexity_reason TEXT,
    -- When the consumer sent it (not when it was typed in).
    received_ms BIGINT NOT NULL,
    summary TEXT NOT NULL,
    demand TEXT NOT NULL,
    order_ref TEXT,
    product_id BIGINT REFERENCES products(id),
    room_id BIGINT REFERENCES master_records(id),
    streamer_id BIGINT REFERENCES master_records(id),
    session_id BIGINT REFERENCES live_sessions(id),
    comment_event_id BIGINT REFERENCES live_events(id),
    promises TEXT NOT NULL,
    consumer_sealed TEXT,
    consumer_masked TEXT,
    assignee TEXT,
    -- Where it came from outside (a platform's ticket number, a regulator's reference):
    -- one case per (source, external_ref), so a re-import adds nothing.
    source TEXT,
    external_ref TEXT,
    regulator TEXT,
    price_fen BIGINT,
    exposure_fen BIGINT,
    exposure_reason TEXT,
    return_json TEXT,
    root_cause TEXT,
    -- The earliest due time of the case's running clocks (the queue's order).
    next_due_ms BIGINT,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (source, external_ref)
);
CREATE INDEX desk_cases_queue ON desk_cases (state, next_due_ms);
CREATE INDEX desk_cases_product ON desk_cases (product_id);
CREATE INDEX desk_cases_session ON desk_cases (session_id);

CREATE TABLE desk_clocks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES desk_cases(id),
    kind TEXT NOT NULL,
    -- The rule in words (`72 小时`) and whether it may pause, as it was when started.
    rule TEXT NOT NULL,
    pausable BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    due_ms BIGINT NOT NULL,
    warn_ms BIGINT NOT NULL,
    paused_ms BIGINT,
    remaining BIGINT,
    finished_ms BIGINT,
    warned BOOLEAN NOT NULL DEFAULT FALSE,
    breached BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX desk_clocks_case ON desk_clocks (case_id);
-- The sweep reads only clocks that can still owe an event (warn_ms <= due_ms).
CREATE INDEX desk_clocks_sweep ON desk_clocks (warn_ms) WHERE state = 'running' AND breached = FALSE;

-- Replies sent to the consumer and internal notes, screened replies with their findings.
CREATE TABLE desk_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES desk_cases(id),
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    decision TEXT,
    findings TEXT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX desk_messages_case ON desk_messages (case_id, id);

-- Saved column mappings for imports of a platform's exported list.
CREATE TABLE desk_import_mappings (
    name TEXT PRIMARY KEY,
    mapping TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
