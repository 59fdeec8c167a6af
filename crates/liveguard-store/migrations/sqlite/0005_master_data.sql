-- Master data of the review (issue 4): live rooms, streamers and session plans. The server
-- owns and validates the JSON documents; the store keeps them with their kind.
CREATE TABLE master_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX master_records_kind ON master_records(kind, id);

-- A submission may belong to a session plan (its lineup decides the product checks).
ALTER TABLE submissions ADD COLUMN plan_id INTEGER REFERENCES master_records(id);
