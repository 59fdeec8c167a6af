//! Lotteries: the committed rules, the entrant commitment and the proof bundle, as JSON
//! documents the lottery library owns; every step logged in the same transaction.

use sqlx::Row;

use crate::{AuditDraft, Pool, Result, Store, StoreError};

/// One lottery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotteryRow {
    /// Id.
    pub id: i64,
    /// The live session it belongs to.
    pub session_id: Option<i64>,
    /// Title.
    pub title: String,
    /// `draft`, `committed`, `closed` (entrants committed) or `drawn`.
    pub state: String,
    /// Rules JSON.
    pub rules: String,
    /// SHA-256 of the canonical rules.
    pub rules_digest: String,
    /// Entrants JSON (after entry closed).
    pub entrants: Option<String>,
    /// Proof bundle JSON (after the draw).
    pub bundle: Option<String>,
    /// Created.
    pub created_at: String,
    /// Updated.
    pub updated_at: String,
}

macro_rules! lottery_from_row {
    ($r:expr) => {{
        let r = &$r;
        LotteryRow {
            id: r.try_get("id")?,
            session_id: r.try_get("session_id")?,
            title: r.try_get("title")?,
            state: r.try_get("state")?,
            rules: r.try_get("rules")?,
            rules_digest: r.try_get("rules_digest")?,
            entrants: r.try_get("entrants")?,
            bundle: r.try_get("bundle")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

/// A step of a lottery: from which state to which, and what it stores.
#[derive(Debug, Clone)]
pub struct LotteryStep {
    /// Required current state.
    pub from: &'static str,
    /// New state.
    pub to: &'static str,
    /// New rules and digest (a change before the draw), if any.
    pub rules: Option<(String, String)>,
    /// Entrants JSON to store, if any.
    pub entrants: Option<String>,
    /// Bundle JSON to store, if any.
    pub bundle: Option<String>,
}

impl Store {
    /// Stores a draft lottery; logged as `lottery:<id>` with the rules digest.
    pub async fn create_lottery(
        &self,
        session_id: Option<i64>,
        title: &str,
        rules: &str,
        rules_digest: &str,
        audit: AuditDraft,
    ) -> Result<i64> {
        let now = self.clock.now_rfc3339();
        Ok(write_tx!(self, tx => {
            let id: i64 = sqlx::query("INSERT INTO lotteries (session_id, title, state, rules, rules_digest, created_at, updated_at) VALUES ($1, $2, 'draft', $3, $4, $5, $6) RETURNING id")
                .bind(session_id)
                .bind(title)
                .bind(rules)
                .bind(rules_digest)
                .bind(&now)
                .bind(&now)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            let draft = AuditDraft { object: format!("lottery:{id}"), ..audit }.digest_values(None, Some(rules_digest.to_string()));
            append_audit!(self, tx, draft);
            id
        }))
    }

    /// One lottery.
    pub async fn lottery(&self, id: i64) -> Result<LotteryRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query("SELECT id, session_id, title, state, rules, rules_digest, entrants, bundle, created_at, updated_at FROM lotteries WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(lottery_from_row!(r)),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Every lottery, newest first.
    pub async fn lotteries(&self) -> Result<Vec<LotteryRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT id, session_id, title, state, rules, rules_digest, entrants, bundle, created_at, updated_at FROM lotteries ORDER BY id DESC LIMIT 500")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(lottery_from_row!(r))).collect()
        })
    }

    /// Moves a lottery one step, storing what the step produced; a lottery not in
    /// `step.from` is a conflict. Logged as `lottery:<id>`.
    pub async fn lottery_step(
        &self,
        id: i64,
        step: LotteryStep,
        audit: AuditDraft,
    ) -> Result<LotteryRow> {
        let now = self.clock.now_rfc3339();
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE lotteries SET state = $1, rules = COALESCE($2, rules), rules_digest = COALESCE($3, rules_digest), entrants = COALESCE($4, entrants), bundle = COALESCE($5, bundle), updated_at = $6 WHERE id = $7 AND state = $8")
                .bind(step.to)
                .bind(step.rules.as_ref().map(|r| r.0.clone()))
                .bind(step.rules.as_ref().map(|r| r.1.clone()))
                .bind(&step.entrants)
                .bind(&step.bundle)
                .bind(&now)
                .bind(id)
                .bind(step.from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(match sqlx::query("SELECT state FROM lotteries WHERE id = $1").bind(id).fetch_optional(&mut *tx).await? {
                    None => StoreError::NotFound,
                    Some(r) => StoreError::Conflict { constraint: format!("lottery {id} is {}, not {}", r.try_get::<String, _>("state")?, step.from) },
                });
            }
            let draft = AuditDraft { object: format!("lottery:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        self.lottery(id).await
    }
}
