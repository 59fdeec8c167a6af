//! Master data of the review: live rooms, streamers and session plans, each a JSON document
//! the server validates, stored by kind, every creation and change logged in the same transaction.

use liveguard_core::MasterKind;
use sqlx::{FromRow, Row};

use crate::{AuditDraft, Pool, Result, Stamp, Store, StoreError};

/// One master record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MasterRow {
    /// Id (shared across kinds).
    pub id: i64,
    /// Room, streamer or plan.
    #[sqlx(try_from = "String")]
    pub kind: MasterKind,
    /// Display name.
    pub name: String,
    /// JSON document.
    pub data: String,
    /// Created (RFC 3339).
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
}

impl Store {
    /// Stores a master record of `kind` and logs it as `<kind>:<id>`.
    pub async fn create_master(
        &self,
        kind: MasterKind,
        name: &str,
        data: &str,
        audit: AuditDraft,
    ) -> Result<MasterRow> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid(format!(
                "{kind} name must be 1 to 200 bytes"
            )));
        }
        let now = self.clock.stamp().floor_second();
        let id: i64 = write_tx!(self, tx => {
            let id: i64 = sqlx::query("INSERT INTO master_records (kind, name, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(kind.as_str())
                .bind(name)
                .bind(data)
                .bind(now.rfc3339())
                .bind(now.rfc3339())
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            let draft = AuditDraft { object: format!("{kind}:{id}"), ..audit }.digests(None, Some(data.as_bytes()));
            append_audit!(self, tx, draft);
            id
        });
        Ok(MasterRow {
            id,
            kind,
            name: name.into(),
            data: data.into(),
            created_at: now,
        })
    }

    /// Replaces record `id` of `kind` with `name` and `data` and logs it as `<kind>:<id>`
    /// with the digests before and after, in one transaction. `read` is the document the
    /// caller read and changed: when the stored one differs (someone saved in between),
    /// nothing is written and `Conflict` comes back, so no change is lost silently.
    pub async fn update_master(
        &self,
        kind: MasterKind,
        id: i64,
        name: &str,
        data: &str,
        read: &str,
        audit: AuditDraft,
    ) -> Result<MasterRow> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid(format!(
                "{kind} name must be 1 to 200 bytes"
            )));
        }
        let now = self.clock.stamp().floor_second();
        let created_at: String = write_tx!(self, tx => {
            let Some(row) = sqlx::query("SELECT data, created_at FROM master_records WHERE kind = $1 AND id = $2")
                .bind(kind.as_str())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::NotFound);
            };
            let before: String = row.try_get("data")?;
            if before != read {
                return Err(StoreError::Conflict { constraint: "changed_since_read".into() });
            }
            sqlx::query("UPDATE master_records SET name = $1, data = $2, updated_at = $3 WHERE kind = $4 AND id = $5")
                .bind(name)
                .bind(data)
                .bind(now.rfc3339())
                .bind(kind.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let draft = AuditDraft { object: format!("{kind}:{id}"), ..audit }
                .digests(Some(before.as_bytes()), Some(data.as_bytes()));
            append_audit!(self, tx, draft);
            row.try_get::<String, _>("created_at")?
        });
        Ok(MasterRow {
            id,
            kind,
            name: name.into(),
            data: data.into(),
            created_at: Stamp::parse(&created_at)
                .map_err(|e| StoreError::Corrupt(format!("{kind} {id} created_at: {e}")))?,
        })
    }

    /// Every record of `kind`, oldest first.
    pub async fn masters(&self, kind: MasterKind) -> Result<Vec<MasterRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT id, kind, name, data, created_at FROM master_records WHERE kind = $1 ORDER BY id")
                .bind(kind.as_str())
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(MasterRow::from_row(r)?)).collect()
        })
    }

    /// One record of `kind`.
    pub async fn master(&self, kind: MasterKind, id: i64) -> Result<MasterRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query("SELECT id, kind, name, data, created_at FROM master_records WHERE kind = $1 AND id = $2")
                .bind(kind.as_str())
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(MasterRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }
}
