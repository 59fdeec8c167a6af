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

use liveguard_audit::{Entry, Hash, SignedCheckpoint};
use liveguard_core::Role;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use liveguard_core::clock::{Clock, FixedClock, SystemClock, format_rfc3339};
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
        let draft: AuditDraft = $self.redacted($draft);
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(seq), -1) + 1 AS next FROM audit_entries")
            .fetch_one(&mut *$tx)
            .await?
            .try_get("next")?;
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

macro_rules! user_from_row {
    ($row:expr) => {{
        let row = &$row;
        let role: String = row.try_get("role")?;
        User {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: Role::from_str(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            password_hash: row.try_get("password_hash")?,
            disabled: row.try_get("disabled")?,
            failed_logins: row.try_get("failed_logins")?,
            locked_until: row.try_get("locked_until")?,
            password_changed_at: row.try_get("password_changed_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            pd_salt: row.try_get("pd_salt")?,
        }
    }};
}

macro_rules! token_from_row {
    ($row:expr) => {{
        let row = &$row;
        ApiToken {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            scope_role: parse_scope(row.try_get("scope_role")?)?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
            last_used_at: row.try_get("last_used_at")?,
        }
    }};
}

mod live;
mod lottery;
mod master;
mod review;
pub use live::{
    AlertAction, IngestOutcome, IngestRow, LiveAlertRow, LiveEventRow, LiveSessionRow, LiveStats,
    LiveTaskRow, NewAlert, NewLiveSession, NewTask, SESSION_STATES,
};
pub use lottery::{ClaimRow, ClaimStep, LotteryRow, LotteryStep};
pub use master::{MASTER_KINDS, MasterRow};
pub use review::{NewSubmission, ProductRow, SubmissionRow, VersionRow};

/// The columns of a user row, optionally with a table prefix: written once, so that adding a
/// column cannot miss one of the queries that read users.
macro_rules! user_columns {
    () => {
        "id, username, display_name, role, password_hash, disabled, failed_logins, locked_until, password_changed_at, created_at, updated_at, pd_salt"
    };
    (u) => {
        "u.id, u.username, u.display_name, u.role, u.password_hash, u.disabled, u.failed_logins, u.locked_until, u.password_changed_at, u.created_at, u.updated_at, u.pd_salt"
    };
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

    fn into_entry(self, seq: u64, time: String) -> Entry {
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

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name (unique).
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until this time (RFC 3339) after too many failures.
    pub locked_until: Option<String>,
    /// When the password was last set.
    pub password_changed_at: String,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Hex salt of this user's personal-data digests (never shown; erased with the data).
    pub pd_salt: String,
}

impl User {
    /// The canonical form hashed into audit digests (no password hash, no counters).
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": self.id, "username": self.username, "display_name": self.display_name,
            "role": self.role.as_str(), "disabled": self.disabled,
        }))
        .expect("a JSON object always serializes")
    }

    /// The audit digest of this user: the canonical form holds a display name (personal
    /// data), so it is a salted digest with the user's own salt.
    pub fn audit_digest(&self) -> String {
        let canonical = String::from_utf8(self.canonical()).expect("JSON is UTF-8");
        liveguard_audit::salted_digest(self.pd_salt.as_bytes(), &canonical)
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string (hashing is the caller's job).
    pub password_hash: String,
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 hex of the cookie value (the value itself is never stored).
    pub token_hash: String,
    /// The user.
    pub user_id: i64,
    /// The CSRF token bound to this session.
    pub csrf_token: String,
    /// Created.
    pub created_at: String,
    /// Expires.
    pub expires_at: String,
}

/// An API token (the secret is only ever shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Id.
    pub id: i64,
    /// Owner; the token acts with the owner's role.
    pub user_id: i64,
    /// Label.
    pub name: String,
    /// First characters of the token, to recognise it in lists.
    pub prefix: String,
    /// The role the token acts with, when narrower than the owner's.
    pub scope_role: Option<Role>,
    /// Created.
    pub created_at: String,
    /// Revoked, if it was.
    pub revoked_at: Option<String>,
    /// Last use.
    pub last_used_at: Option<String>,
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
    /// Page size (capped at [`PAGE_LIMIT_MAX`]).
    pub limit: i64,
}

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
                .busy_timeout(Duration::from_secs(10));
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

    // ---- users ----

    /// Creates a user and logs it.
    pub async fn create_user(&self, new: NewUser, audit: AuditDraft) -> Result<User> {
        validate_username(&new.username)?;
        let now = self.clock.now_rfc3339();
        let salt = random_salt()?;
        let user = write_tx!(self, tx => {
            let row = sqlx::query(concat!(
                "INSERT INTO users (username, display_name, role, password_hash, disabled, failed_logins, password_changed_at, created_at, updated_at, pd_salt) \
                 VALUES ($1, $2, $3, $4, FALSE, 0, $5, $6, $7, $8) RETURNING ",
                user_columns!()
            ))
            .bind(&new.username)
            .bind(&new.display_name)
            .bind(new.role.as_str())
            .bind(&new.password_hash)
            .bind(&now)
            .bind(&now)
            .bind(&now)
            .bind(&salt)
            .fetch_one(&mut *tx)
            .await?;
            let user = user_from_row!(row);
            let draft = AuditDraft { object: format!("user:{}", user.id), ..audit }.digest_values(None, Some(user.audit_digest()));
            append_audit!(self, tx, draft);
            user
        });
        Ok(user)
    }

    /// A user by id.
    pub async fn user(&self, id: i64) -> Result<User> {
        let row = dispatch!(self, pool => {
            let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row { Some(r) => Some(user_from_row!(r)), None => None }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// A user by login name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        Ok(dispatch!(self, pool => {
            let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE username = $1"))
                .bind(username)
                .fetch_optional(pool)
                .await?;
            match row { Some(r) => Some(user_from_row!(r)), None => None }
        }))
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users ORDER BY id"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(user_from_row!(r))).collect()
        })
    }

    /// Number of users (to know whether first-run setup is needed).
    pub async fn user_count(&self) -> Result<i64> {
        Ok(
            dispatch!(self, pool => sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(pool).await?.try_get("n")?),
        )
    }

    /// Changes role and/or disabled flag of a user and logs it.
    pub async fn update_user(
        &self,
        id: i64,
        role: Option<Role>,
        disabled: Option<bool>,
        audit: AuditDraft,
    ) -> Result<User> {
        let now = self.clock.now_rfc3339();
        let before = self.user(id).await?;
        let user = write_tx!(self, tx => {
            let row = sqlx::query(concat!(
                "UPDATE users SET role = COALESCE($1, role), disabled = COALESCE($2, disabled), updated_at = $3 WHERE id = $4 \
                 RETURNING ",
                user_columns!()
            ))
            .bind(role.map(Role::as_str))
            .bind(disabled)
            .bind(&now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let user = user_from_row!(row);
            if disabled == Some(true) {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            }
            let draft = AuditDraft { object: format!("user:{id}"), ..audit }.digest_values(Some(before.audit_digest()), Some(user.audit_digest()));
            append_audit!(self, tx, draft);
            user
        });
        Ok(user)
    }

    /// Sets a new password hash, ends the user's other sessions and revokes their API
    /// tokens (a changed password ends every credential made with the old one), and logs it.
    pub async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        audit: AuditDraft,
    ) -> Result<()> {
        let now = self.clock.now_rfc3339();
        write_tx!(self, tx => {
            let done = sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $3, failed_logins = 0, locked_until = NULL WHERE id = $4")
                .bind(password_hash)
                .bind(&now)
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append_audit!(self, tx, AuditDraft { object: format!("user:{id}"), ..audit });
        });
        Ok(())
    }

    /// Records a failed password (sign-in or password change): increments the user's
    /// counter and logs it (the attempts are evidence). Locking is the server's backoff,
    /// not a stored state, so a stored failure never keeps the user out.
    pub async fn record_login_failure(&self, id: i64, audit: AuditDraft) -> Result<i64> {
        let failures = write_tx!(self, tx => {
            let n: i64 = sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("failed_logins")?;
            append_audit!(self, tx, AuditDraft { object: format!("user:{id}"), ..audit });
            n
        });
        Ok(failures)
    }

    // ---- sessions ----

    /// Stores a session after a successful login and logs the login.
    pub async fn create_session(&self, session: &Session, audit: AuditDraft) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1").bind(session.user_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&session.token_hash)
                .bind(session.user_id)
                .bind(&session.csrf_token)
                .bind(&session.created_at)
                .bind(&session.expires_at)
                .execute(&mut *tx)
                .await?;
            append_audit!(self, tx, audit);
        });
        Ok(())
    }

    /// A session and its user, if the session exists.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        dispatch!(self, pool => {
            let row = sqlx::query(concat!(
                "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at AS s_created, s.expires_at, ",
                user_columns!(u),
                " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let session = Session {
                        token_hash: r.try_get("token_hash")?,
                        user_id: r.try_get("user_id")?,
                        csrf_token: r.try_get("csrf_token")?,
                        created_at: r.try_get("s_created")?,
                        expires_at: r.try_get("expires_at")?,
                    };
                    Ok(Some((session, user_from_row!(r))))
                }
            }
        })
    }

    /// Ends a session (logout) and logs it.
    pub async fn delete_session(&self, token_hash: &str, audit: AuditDraft) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
            append_audit!(self, tx, audit);
        });
        Ok(())
    }

    /// Removes expired sessions (housekeeping; not an audited change of state).
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.clock.now_rfc3339();
        Ok(
            dispatch!(self, pool => sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(&now).execute(pool).await?.rows_affected()),
        )
    }

    // ---- API tokens ----

    /// Stores a new API token (only its hash) and logs it.
    pub async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
        scope_role: Option<Role>,
        audit: AuditDraft,
    ) -> Result<ApiToken> {
        if name.trim().is_empty() || name.len() > 100 {
            return Err(StoreError::Invalid(
                "token name must be 1 to 100 bytes".to_string(),
            ));
        }
        let now = self.clock.now_rfc3339();
        let token = write_tx!(self, tx => {
            let row = sqlx::query(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, scope_role) VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id, user_id, name, prefix, scope_role, created_at, revoked_at, last_used_at",
            )
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(prefix)
            .bind(&now)
            .bind(scope_role.map(Role::as_str))
            .fetch_one(&mut *tx)
            .await?;
            let token = token_from_row!(row);
            append_audit!(self, tx, AuditDraft { object: format!("api_token:{}", token.id), ..audit });
            token
        });
        Ok(token)
    }

    /// The active (not revoked) token with this hash and its owner.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>> {
        dispatch!(self, pool => {
            let row = sqlx::query(concat!(
                "SELECT t.id AS t_id, t.user_id, t.name, t.prefix, t.scope_role, t.created_at AS t_created, t.revoked_at, t.last_used_at, ",
                user_columns!(u),
                " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let token = ApiToken {
                        id: r.try_get("t_id")?,
                        user_id: r.try_get("user_id")?,
                        name: r.try_get("name")?,
                        prefix: r.try_get("prefix")?,
                        scope_role: parse_scope(r.try_get("scope_role")?)?,
                        created_at: r.try_get("t_created")?,
                        revoked_at: r.try_get("revoked_at")?,
                        last_used_at: r.try_get("last_used_at")?,
                    };
                    Ok(Some((token, user_from_row!(r))))
                }
            }
        })
    }

    /// Tokens of one user (or of everyone when `user_id` is `None`).
    pub async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, user_id, name, prefix, scope_role, created_at, revoked_at, last_used_at FROM api_tokens WHERE ($1 IS NULL OR user_id = $2) ORDER BY id",
            )
            .bind(user_id)
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| Ok(token_from_row!(r))).collect()
        })
    }

    /// Revokes a token and logs it.
    pub async fn revoke_token(&self, id: i64, audit: AuditDraft) -> Result<()> {
        let now = self.clock.now_rfc3339();
        write_tx!(self, tx => {
            let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit!(self, tx, AuditDraft { object: format!("api_token:{id}"), ..audit });
        });
        Ok(())
    }

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
        let rows: Vec<(i64, String, String)> = dispatch!(self, pool => {
            let rows = sqlx::query(
                "SELECT seq, entry, leaf_hash FROM audit_entries \
                 WHERE ($1 IS NULL OR action = $2) AND ($3 IS NULL OR actor = $4) AND ($5 IS NULL OR object LIKE $6) AND ($7 IS NULL OR seq < $8) \
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

/// 16 random bytes as hex, for a user's personal-data digests.
fn random_salt() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))?;
    Ok(hex::encode(bytes))
}

fn parse_scope(stored: Option<String>) -> Result<Option<Role>> {
    stored
        .map(|r| Role::from_str(&r).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
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

fn validate_username(name: &str) -> Result<()> {
    let ok = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "username must be 2 to 64 characters of letters, digits, `_`, `-` or `.`".to_string(),
        ))
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

    #[test]
    fn usernames_are_validated() {
        assert!(validate_username("lead").is_ok());
        assert!(validate_username("a").is_err());
        assert!(validate_username("x'; DROP TABLE users;--").is_err());
    }
}
