//! The audit log: appending entries (every other area appends inside its own transaction
//! with `append_audit!`), browsing and proving them, and the signed checkpoints.

use liveguard_audit::{Entry, Hash, SignedCheckpoint};
use sqlx::Row;

use crate::{PAGE_LIMIT_MAX, Pool, Result, Stamp, Store, StoreError};

impl Store {
    // ---- audit log ----

    /// Appends an entry that is not tied to another change (for example a rules reload).
    pub async fn append_audit(&self, draft: AuditDraft) -> Result<Entry> {
        Ok(write_tx!(self, tx => append_audit!(self, tx, draft)))
    }

    /// Number of entries: one past the highest `seq` (an index lookup; gaps are caught by
    /// [`Store::audit_leaves`] and the bundle verifier, not here).
    pub async fn audit_size(&self) -> Result<u64> {
        let n: i64 = dispatch!(self, pool => sqlx::query("SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM audit_entries").fetch_one(pool).await?.try_get("n")?);
        Ok(n as u64)
    }

    /// Entries with `from <= seq < to`, in order, each checked against its stored hash.
    pub async fn audit_range(&self, from: u64, to: u64) -> Result<Vec<Entry>> {
        let rows: Vec<(i64, String, String)> = dispatch!(self, pool => {
            let rows = sqlx::query("SELECT seq, entry, leaf_hash FROM audit_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq")
                .bind(from as i64)
                .bind(to as i64)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("entry")?, r.try_get("leaf_hash")?))).collect::<Result<Vec<_>>>()?
        });
        rows.into_iter()
            .map(|(seq, json, leaf)| decode_entry(seq, &json, &leaf))
            .collect()
    }

    /// Entries matching a filter, newest first.
    pub async fn audit_search(&self, filter: &AuditFilter) -> Result<Vec<Entry>> {
        let limit = filter.limit.clamp(1, PAGE_LIMIT_MAX);
        let prefix = filter
            .object_prefix
            .as_ref()
            .map(|p| format!("{}%", p.replace('%', "")));
        // Entry times are RFC 3339 UTC text with second precision, so they compare as text.
        let from = filter.from.map(Stamp::rfc3339);
        let until = filter.until.map(Stamp::rfc3339);
        let rows: Vec<(i64, String, String)> = dispatch!(self, pool => {
            let rows = sqlx::query(
                "SELECT seq, entry, leaf_hash FROM audit_entries \
                 WHERE ($1 IS NULL OR action = $2) AND ($3 IS NULL OR actor = $4) AND ($5 IS NULL OR object LIKE $6) AND ($7 IS NULL OR seq < $8) \
                 AND ($10 IS NULL OR time >= $11) AND ($12 IS NULL OR time < $13) \
                 ORDER BY seq DESC LIMIT $9",
            )
            .bind(&filter.action)
            .bind(&filter.action)
            .bind(&filter.actor)
            .bind(&filter.actor)
            .bind(&prefix)
            .bind(&prefix)
            .bind(filter.before_seq)
            .bind(filter.before_seq)
            .bind(limit)
            .bind(&from)
            .bind(&from)
            .bind(&until)
            .bind(&until)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("entry")?, r.try_get("leaf_hash")?))).collect::<Result<Vec<_>>>()?
        });
        rows.into_iter()
            .map(|(seq, json, leaf)| decode_entry(seq, &json, &leaf))
            .collect()
    }

    /// Leaf hashes of the first `size` entries, checked for gaps.
    pub async fn audit_leaves(&self, size: u64) -> Result<Vec<Hash>> {
        let entries = self.audit_range(0, size).await?;
        if entries.len() as u64 != size {
            return Err(StoreError::Corrupt(format!(
                "expected {size} entries, found {}",
                entries.len()
            )));
        }
        for (i, e) in entries.iter().enumerate() {
            if e.seq != i as u64 {
                return Err(StoreError::Corrupt(format!(
                    "entry at position {i} has seq {}",
                    e.seq
                )));
            }
        }
        Ok(entries.iter().map(Entry::leaf_hash).collect())
    }

    /// Stores a signed checkpoint (idempotent per size).
    pub async fn save_checkpoint(&self, checkpoint: &SignedCheckpoint) -> Result<()> {
        let json =
            serde_json::to_string(checkpoint).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let size = checkpoint.checkpoint.size as i64;
        dispatch!(self, pool => {
            sqlx::query("INSERT INTO audit_checkpoints (size, checkpoint) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING")
                .bind(size)
                .bind(&json)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every stored checkpoint, by size.
    pub async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>> {
        let rows: Vec<String> = dispatch!(self, pool => {
            let rows = sqlx::query("SELECT checkpoint FROM audit_checkpoints ORDER BY size").fetch_all(pool).await?;
            rows.iter().map(|r| Ok(r.try_get("checkpoint")?)).collect::<Result<Vec<String>>>()?
        });
        rows.iter()
            .map(|j| {
                serde_json::from_str(j).map_err(|e| StoreError::Corrupt(format!("checkpoint: {e}")))
            })
            .collect()
    }
}

/// What the audit entry of a change says; the store adds `seq` and `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    /// Who acted (user name, `token:<id>`, `system`).
    pub actor: String,
    /// The actor's role.
    pub role: String,
    /// What happened (`user.create`).
    pub action: String,
    /// What it happened to (`user:3`).
    pub object: String,
    /// Digest of the object before.
    pub before: Option<String>,
    /// Digest of the object after.
    pub after: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

impl AuditDraft {
    /// A draft with no digests and no reason.
    pub fn new(actor: &str, role: &str, action: &str, object: &str) -> Self {
        AuditDraft {
            actor: actor.to_string(),
            role: role.to_string(),
            action: action.to_string(),
            object: object.to_string(),
            before: None,
            after: None,
            reason: None,
        }
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the before/after digests to already computed (for example salted) digests.
    pub fn digest_values(mut self, before: Option<String>, after: Option<String>) -> Self {
        self.before = before;
        self.after = after;
        self
    }

    /// Sets the before/after digests from canonical bytes.
    pub fn digests(mut self, before: Option<&[u8]>, after: Option<&[u8]>) -> Self {
        self.before = before.map(liveguard_audit::digest_hex);
        self.after = after.map(liveguard_audit::digest_hex);
        self
    }

    pub(crate) fn into_entry(self, seq: u64, time: String) -> Entry {
        Entry {
            seq,
            time,
            actor: self.actor,
            role: self.role,
            action: self.action,
            object: self.object,
            before: self.before,
            after: self.after,
            reason: self.reason,
        }
    }
}

/// Filters for browsing the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact action.
    pub action: Option<String>,
    /// Exact actor.
    pub actor: Option<String>,
    /// Object prefix (`user:` for every user).
    pub object_prefix: Option<String>,
    /// Entries with seq below this (for paging backwards); `None` = newest.
    pub before_seq: Option<i64>,
    /// Entries written at or after this time.
    pub from: Option<Stamp>,
    /// Entries written before this time.
    pub until: Option<Stamp>,
    /// Page size (capped at [`PAGE_LIMIT_MAX`]).
    pub limit: i64,
}

/// Parses a stored entry and checks it against its seq column and stored leaf hash.
fn decode_entry(seq: i64, json: &str, leaf: &str) -> Result<Entry> {
    let entry: Entry =
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("entry {seq}: {e}")))?;
    if entry.seq != seq as u64 {
        return Err(StoreError::Corrupt(format!(
            "entry {seq} says seq {}",
            entry.seq
        )));
    }
    // Pair assertion on the read side: the stored hash matches the stored bytes.
    if hex::encode(liveguard_audit::merkle::leaf_hash(json.as_bytes())) != leaf {
        return Err(StoreError::Corrupt(format!(
            "entry {seq} does not match its stored hash"
        )));
    }
    Ok(entry)
}
