//! liveguard storage: one query set over SQLite (the embedded default, WAL mode) and
//! PostgreSQL (scale-out).
//!
//! # Design
//! [`Store`] holds one pool of either kind. Each method's body is written once and
//! expanded once per backend by the `dispatch!`/`write_tx!` macros, so the SQL text is
//! shared (portable SQL with `$N` placeholders, which SQLite binds positionally) while the
//! driver types are resolved per backend. What must differ lives in the migrations
//! (`migrations/{sqlite,postgres}`, same file names) and in how a write transaction starts.
//!
//! # The audit log
//! Every state-changing method takes an [`AuditDraft`] and appends the audit entry in the
//! same transaction as the change: either both are stored or neither. Appends are
//! serialised — `BEGIN IMMEDIATE` plus an in-process lock on SQLite, a transaction-scoped
//! advisory lock on PostgreSQL — and `seq` is the primary key, so concurrent writers can
//! never fork the log. Each entry's leaf hash is checked before it is written and again
//! when it is read back.
//!
//! # Errors
//! [`StoreError`] separates caller mistakes (`NotFound`, `Conflict`, `Invalid`) from
//! failures (`Database`, `Corrupt`); `sqlx::Error` is mapped in one place.
#![deny(missing_docs)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use liveguard_core::clock::{Clock, FixedClock, Stamp, SystemClock, format_rfc3339};
/// The driver's error type, carried inside [`StoreError`].
pub use sqlx::Error as SqlxError;

/// Largest page a list query returns.
pub const PAGE_LIMIT_MAX: i64 = 500;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The object does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference constraint was violated.
    #[error("conflict: {constraint}")]
    Conflict {
        /// What clashed, as the database reported it.
        constraint: String,
    },
    /// The caller passed something invalid (named in the message).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Stored data failed an integrity check (audit hash or sequence).
    #[error("audit log integrity check failed: {0}")]
    Corrupt(String),
    /// The database cannot be reached right now (connection refused or lost, pool timed
    /// out): nothing was written; the same call may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error()
            && (db.is_unique_violation() || db.is_foreign_key_violation())
        {
            return StoreError::Conflict {
                constraint: db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| db.message().to_string()),
            };
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        if matches!(
            e,
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
        ) {
            return StoreError::Unavailable(e);
        }
        StoreError::Database(e)
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The store. Cheap to clone (pools are reference-counted).
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    clock: Arc<dyn Clock>,
    /// Serialises writers within this process (SQLite allows one writer at a time anyway).
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Applied to every audit reason before it is hashed and written (the server masks
    /// personal data in operator free text with it; the log is append-only, so what reaches
    /// it can never be erased).
    redactor: Redactor,
}

/// A function that rewrites free text before it is stored (for example masking phone
/// numbers).
pub type Redactor = Arc<dyn Fn(&str) -> String + Send + Sync>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Runs `$body` with `$pool` bound to the backend's pool.
macro_rules! dispatch {
    ($self:expr, $pool:ident => $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a serialised write transaction `$tx`, committing if it succeeds.
macro_rules! write_tx {
    ($self:expr, $tx:ident => $body:expr) => {{
        let _writer = $self.write_lock.lock().await;
        match &$self.pool {
            Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(74137413)")
                    .execute(&mut *$tx)
                    .await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    }};
}

/// Appends an audit entry inside transaction `$tx`; evaluates to the stored [`Entry`].
macro_rules! append_audit {
    ($self:expr, $tx:ident, $draft:expr) => {{
        let next: i64 = next_audit_seq!($tx);
        append_audit_at!($self, $tx, $draft, next)
    }};
}

/// The `seq` the next audit entry gets, read inside transaction `$tx`.
macro_rules! next_audit_seq {
    ($tx:ident) => {{
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(seq), -1) + 1 AS next FROM audit_entries")
            .fetch_one(&mut *$tx)
            .await?
            .try_get("next")?;
        next
    }};
}

/// Appends an audit entry with sequence number `$next` inside transaction `$tx` (a caller
/// writing many entries in one write transaction reads the next `seq` once with
/// `next_audit_seq!` and counts on; the primary key refuses a gap-filling mistake).
macro_rules! append_audit_at {
    ($self:expr, $tx:ident, $draft:expr, $next:expr) => {{
        let draft: AuditDraft = $self.redacted($draft);
        let next: i64 = $next;
        let entry = draft.into_entry(next as u64, $self.clock.now_rfc3339());
        entry.validate().map_err(StoreError::Invalid)?;
        let json = String::from_utf8(entry.canonical_bytes()).expect("JSON is UTF-8");
        let leaf = hex::encode(entry.leaf_hash());
        // Pair assertion: the bytes about to be written hash to the leaf we store.
        debug_assert_eq!(hex::encode(liveguard_audit::merkle::leaf_hash(json.as_bytes())), leaf);
        sqlx::query("INSERT INTO audit_entries (seq, entry, leaf_hash, action, actor, object, time) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(next)
            .bind(&json)
            .bind(&leaf)
            .bind(&entry.action)
            .bind(&entry.actor)
            .bind(&entry.object)
            .bind(&entry.time)
            .execute(&mut *$tx)
            .await?;
        entry
    }};
}

mod accounts;
mod audit;
mod columns;
mod desk;
mod live;
mod lottery;
mod master;
mod push;
mod review;
pub use accounts::{ApiToken, NewUser, Session, User};
pub use audit::{AuditDraft, AuditFilter};
pub use desk::{
    CaseCreated, CaseMessageRow, CaseRow, CaseStep, ClockChange, ClockRow, DeskCounts, NewCase,
    QueueFilter, SweepHit,
};
pub use live::{
    AlertAction, IngestOutcome, IngestRow, LiveAlertRow, LiveEventRow, LiveOpenWork,
    LiveSessionRow, LiveStats, LiveTaskRow, NewAlert, NewLiveSession, NewTask,
};
pub use lottery::{ClaimRow, ClaimStep, LotteryRow, LotteryStep};
pub use master::MasterRow;
pub use push::{PUSH_TARGETS_MAX, PushTargetDraft, PushTargetRow};
pub use review::{NewSubmission, ProductRow, SubmissionRow, VersionRow};

/// Makes a SQLite database file readable by its owner only (security review F12): created
/// 0600 when missing, set to 0600 when present, with its `-wal` and `-shm` files (SQLite
/// creates those with the database file's mode). The key files are 0600 too.
fn private_files(path: &std::path::Path) -> Result<()> {
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| {
            StoreError::Invalid(format!("database file {}: {e}", path.display()))
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// Connects to `url` — `sqlite://PATH` (created if missing, WAL mode) or
    /// `postgres://…` — and runs the migrations.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Store> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?,
            )
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?;
            private_files(options.get_filename())?;
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // 32 MiB of page cache per connection (the default 2 MiB spills large write
                // transactions, such as an import, to disk before they commit).
                .pragma("cache_size", "-32768");
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?,
            )
        } else {
            return Err(StoreError::Invalid(format!(
                "database url must start with sqlite: or postgres:// (got `{}`)",
                redact_url(url)
            )));
        };
        let store = Store {
            pool,
            clock,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            redactor: Arc::new(str::to_string),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// This store with `redactor` applied to every audit reason from now on.
    pub fn with_redactor(mut self, redactor: Redactor) -> Store {
        self.redactor = redactor;
        self
    }

    /// `draft` with its reason passed through the redactor.
    fn redacted(&self, mut draft: AuditDraft) -> AuditDraft {
        if let Some(reason) = &draft.reason {
            draft.reason = Some((self.redactor)(reason));
        }
        draft
    }

    async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await,
        }
        .map_err(|e| StoreError::Database(e.into()))
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The clock the store stamps times with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        dispatch!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    /// Closes the pools (waits for connections to be returned).
    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await)
    }

    /// A consistent copy of a SQLite database at `path` (`VACUUM INTO`), safe while the server runs.
    pub async fn backup_sqlite(&self, path: &str) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(pool)
                    .await?;
                Ok(())
            }
            Pool::Postgres(_) => Err(StoreError::Invalid(
                "backup of PostgreSQL is pg_dump's job".to_string(),
            )),
        }
    }

    /// Runs raw SQL (tests use it to tamper with stored rows).
    #[doc(hidden)]
    pub async fn execute_raw_for_tests(&self, sql: String) -> Result<u64> {
        Ok(
            dispatch!(self, pool => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(pool).await?.rows_affected()),
        )
    }
}

/// A database URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_told_apart_from_a_failing_one() {
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            StoreError::from(sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused
            ))),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            StoreError::from(sqlx::Error::Protocol("bad".into())),
            StoreError::Database(_)
        ));
        assert!(matches!(
            StoreError::from(sqlx::Error::RowNotFound),
            StoreError::NotFound
        ));
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite:///data/lg.db"), "sqlite:///data/lg.db");
        assert_eq!(redact_url("postgres://db/x"), "postgres://db/x");
    }
}
