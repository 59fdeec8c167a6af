-- Pre-broadcast review (issue 4): products, submissions and their versions.
-- The server owns the JSON documents (product facts, review state, findings); the store keeps
-- them and the columns that queues filter on.
CREATE TABLE products (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    product_id BIGINT REFERENCES products(id),
    session_start TEXT NOT NULL,
    has_lottery BOOLEAN NOT NULL,
    stage TEXT NOT NULL,
    review TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX submissions_stage ON submissions(stage);

CREATE TABLE submission_versions (
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    version BIGINT NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    findings TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, version)
);
