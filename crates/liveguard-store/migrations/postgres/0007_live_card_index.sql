-- The last product-card or price event of a session (restoring a monitor after a restart)
-- without walking every comment: a partial index holding only those events.
CREATE INDEX live_events_card ON live_events(session_id, id) WHERE kind IN ('product_card', 'price');
