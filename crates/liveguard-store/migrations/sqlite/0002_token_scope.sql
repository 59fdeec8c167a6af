-- A token may act with a narrower role than its owner (NULL = the owner's role).
ALTER TABLE api_tokens ADD COLUMN scope_role TEXT;
