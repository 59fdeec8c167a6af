//! Accounts: users, browser sessions and API tokens, each change with its audit entry.

use liveguard_core::Role;
use sqlx::{FromRow, Row};

use crate::columns::{RoleColumn, TextTime, opt_role, opt_text_time, text_time};
use crate::{AuditDraft, Pool, Result, Stamp, Store, StoreError};

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

impl Store {
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
            let user = User::from_row(&row)?;
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
            match row { Some(r) => Some(User::from_row(&r)?), None => None }
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
            match row { Some(r) => Some(User::from_row(&r)?), None => None }
        }))
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users ORDER BY id"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(User::from_row(r)?)).collect()
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
            let user = User::from_row(&row)?;
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
                .bind(session.created_at.rfc3339())
                .bind(session.expires_at.rfc3339())
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
                        created_at: text_time(&r, "s_created")?,
                        expires_at: text_time(&r, "expires_at")?,
                    };
                    Ok(Some((session, User::from_row(&r)?)))
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
            let token = ApiToken::from_row(&row)?;
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
                        scope_role: opt_role(&r, "scope_role")?,
                        created_at: text_time(&r, "t_created")?,
                        revoked_at: opt_text_time(&r, "revoked_at")?,
                        last_used_at: opt_text_time(&r, "last_used_at")?,
                    };
                    Ok(Some((token, User::from_row(&r)?)))
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
            rows.iter().map(|r| Ok(ApiToken::from_row(r)?)).collect()
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
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name (unique).
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Role.
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until this time after too many failures.
    #[sqlx(try_from = "TextTime")]
    pub locked_until: Option<Stamp>,
    /// When the password was last set.
    #[sqlx(try_from = "String")]
    pub password_changed_at: Stamp,
    /// Created.
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
    /// Last changed.
    #[sqlx(try_from = "String")]
    pub updated_at: Stamp,
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
    pub created_at: Stamp,
    /// Expires.
    pub expires_at: Stamp,
}

/// An API token (the secret is only ever shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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
    #[sqlx(try_from = "RoleColumn")]
    pub scope_role: Option<Role>,
    /// Created.
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
    /// Revoked, if it was.
    #[sqlx(try_from = "TextTime")]
    pub revoked_at: Option<Stamp>,
    /// Last use.
    #[sqlx(try_from = "TextTime")]
    pub last_used_at: Option<Stamp>,
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

/// 16 random bytes as hex, for a user's personal-data digests.
fn random_salt() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_validated() {
        assert!(validate_username("lead").is_ok());
        assert!(validate_username("a").is_err());
        assert!(validate_username("x'; DROP TABLE users;--").is_err());
    }
}
