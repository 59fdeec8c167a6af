//! Push targets an administrator sets up on the page: webhooks and group robots. The
//! address and the signing secret arrive sealed (the server seals them; the store never
//! holds them in clear); every change is logged in the same transaction.

use sqlx::{FromRow, Row};

use crate::{AuditDraft, Pool, Result, Stamp, Store, StoreError};

/// One push target.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushTargetRow {
    /// Id.
    pub id: i64,
    /// What people call it ("合规组企业微信群").
    pub name: String,
    /// The receiver's format code (`liveguard`, `wecom`, `dingtalk`, `feishu`).
    pub format: String,
    /// The address, sealed.
    pub url_sealed: String,
    /// The signing secret, sealed (an empty secret sealed too).
    pub secret_sealed: String,
    /// The address without path and query, for pages.
    pub shown_url: String,
    /// The events it takes: a JSON list (empty = all).
    pub events: String,
    /// Whether it is sent to.
    pub enabled: bool,
    /// The next audit seq to look at (`None` before the first round).
    pub audit_cursor: Option<i64>,
    /// The last live alert id sent (`None` before the first round).
    pub alert_cursor: Option<i64>,
    /// Created.
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
    /// Last changed.
    #[sqlx(try_from = "String")]
    pub updated_at: Stamp,
}

/// A target as it is written (a new one, or the new state of one).
#[derive(Debug, Clone)]
pub struct PushTargetDraft {
    /// Name.
    pub name: String,
    /// Format code.
    pub format: String,
    /// The address, sealed.
    pub url_sealed: String,
    /// The secret, sealed.
    pub secret_sealed: String,
    /// The address without path and query.
    pub shown_url: String,
    /// Events as a JSON list.
    pub events: String,
    /// Enabled.
    pub enabled: bool,
}

const COLUMNS: &str = "id, name, format, url_sealed, secret_sealed, shown_url, events, enabled, audit_cursor, alert_cursor, created_at, updated_at";

/// Most push targets stored.
pub const PUSH_TARGETS_MAX: i64 = 20;

impl Store {
    /// Every push target, oldest first.
    pub async fn push_targets(&self) -> Result<Vec<PushTargetRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM push_targets ORDER BY id")))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(PushTargetRow::from_row(r)?)).collect()
        })
    }

    /// Target `id`.
    pub async fn push_target(&self, id: i64) -> Result<PushTargetRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM push_targets WHERE id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(PushTargetRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Saves target `id`'s delivery progress (operational state, not a person's decision:
    /// not audited). A target deleted meanwhile is left deleted.
    pub async fn set_push_cursor(
        &self,
        id: i64,
        audit_cursor: Option<i64>,
        alert_cursor: Option<i64>,
    ) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query("UPDATE push_targets SET audit_cursor = COALESCE($1, audit_cursor), alert_cursor = COALESCE($2, alert_cursor) WHERE id = $3")
                .bind(audit_cursor)
                .bind(alert_cursor)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`; `false` while
    /// another holder's lease has not lapsed. One node of several runs the job.
    pub async fn take_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        let now = self.clock.stamp().ms();
        let taken = write_tx!(self, tx => {
            sqlx::query("INSERT INTO job_leases (name, holder, until_ms) VALUES ($1, $2, $3) \
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
                WHERE job_leases.holder = excluded.holder OR job_leases.until_ms < $4")
                .bind(name)
                .bind(holder)
                .bind(now + ttl_ms)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(taken == 1)
    }

    /// Stores a new target and logs it as `push_target:<id>` (the reason names the format
    /// and the shown address, never the secret or the full address).
    pub async fn create_push_target(
        &self,
        d: PushTargetDraft,
        audit: AuditDraft,
    ) -> Result<PushTargetRow> {
        let now = self.clock.stamp().floor_second();
        let id: i64 = write_tx!(self, tx => {
            let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM push_targets")
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            if count >= PUSH_TARGETS_MAX {
                return Err(StoreError::Invalid(format!("at most {PUSH_TARGETS_MAX} push targets")));
            }
            let id: i64 = sqlx::query("INSERT INTO push_targets (name, format, url_sealed, secret_sealed, shown_url, events, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind(&d.name)
                .bind(&d.format)
                .bind(&d.url_sealed)
                .bind(&d.secret_sealed)
                .bind(&d.shown_url)
                .bind(&d.events)
                .bind(d.enabled)
                .bind(now.rfc3339())
                .bind(now.rfc3339())
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            let draft = AuditDraft { object: format!("push_target:{id}"), ..audit };
            append_audit!(self, tx, draft);
            id
        });
        Ok(PushTargetRow {
            id,
            name: d.name,
            format: d.format,
            url_sealed: d.url_sealed,
            secret_sealed: d.secret_sealed,
            shown_url: d.shown_url,
            events: d.events,
            enabled: d.enabled,
            audit_cursor: None,
            alert_cursor: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// Replaces target `id` with `d` and logs it.
    pub async fn update_push_target(
        &self,
        id: i64,
        d: PushTargetDraft,
        audit: AuditDraft,
    ) -> Result<()> {
        let now = self.clock.stamp().floor_second();
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE push_targets SET name = $1, format = $2, url_sealed = $3, secret_sealed = $4, shown_url = $5, events = $6, enabled = $7, updated_at = $8 WHERE id = $9")
                .bind(&d.name)
                .bind(&d.format)
                .bind(&d.url_sealed)
                .bind(&d.secret_sealed)
                .bind(&d.shown_url)
                .bind(&d.events)
                .bind(d.enabled)
                .bind(now.rfc3339())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let draft = AuditDraft { object: format!("push_target:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        Ok(())
    }

    /// Deletes target `id` and logs it.
    pub async fn delete_push_target(&self, id: i64, audit: AuditDraft) -> Result<()> {
        write_tx!(self, tx => {
            let n = sqlx::query("DELETE FROM push_targets WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let draft = AuditDraft { object: format!("push_target:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        Ok(())
    }
}
