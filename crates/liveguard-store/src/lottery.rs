//! Lotteries: the committed rules, the entrant commitment and the proof bundle, as JSON
//! documents the lottery library owns; every step logged in the same transaction.

use liveguard_core::{ClaimState, LotteryState};
use sqlx::{FromRow, Row};

use crate::columns::TextTime;
use crate::{AuditDraft, Pool, Result, Stamp, Store, StoreError};

/// One lottery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LotteryRow {
    /// Id.
    pub id: i64,
    /// The live session it belongs to.
    pub session_id: Option<i64>,
    /// Title.
    pub title: String,
    /// Draft, committed, closed (entrants committed) or drawn.
    #[sqlx(try_from = "String")]
    pub state: LotteryState,
    /// Rules JSON.
    pub rules: String,
    /// SHA-256 of the canonical rules.
    pub rules_digest: String,
    /// Entrants JSON (after entry closed).
    pub entrants: Option<String>,
    /// Proof bundle JSON (after the draw).
    pub bundle: Option<String>,
    /// Created.
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
    /// Updated.
    #[sqlx(try_from = "String")]
    pub updated_at: Stamp,
    /// The record is kept at least until then (set when it is defined).
    #[sqlx(try_from = "TextTime")]
    pub retain_until: Option<Stamp>,
    /// When the rules were committed (published).
    #[sqlx(try_from = "TextTime")]
    pub committed_at: Option<Stamp>,
}

const LOTTERY_COLUMNS: &str = "id, session_id, title, state, rules, rules_digest, entrants, bundle, created_at, updated_at, retain_until, committed_at";
/// The same without the entrants and bundle documents (tens of MB for a large draw).
const LOTTERY_SUMMARY_COLUMNS: &str = "id, session_id, title, state, rules, rules_digest, CAST(NULL AS TEXT) AS entrants, CAST(NULL AS TEXT) AS bundle, created_at, updated_at, retain_until, committed_at";

/// A step of a lottery: from which state to which, and what it stores.
#[derive(Debug, Clone)]
pub struct LotteryStep {
    /// Required current state.
    pub from: LotteryState,
    /// New state.
    pub to: LotteryState,
    /// New rules, digest and title (an edited draft or a change before the draw), if any.
    pub rules: Option<(String, String, String)>,
    /// Entrants JSON to store, if any.
    pub entrants: Option<String>,
    /// Bundle JSON to store, if any.
    pub bundle: Option<String>,
    /// The winners (prize, entrant code) whose claims the step opens (the draw).
    pub winners: Vec<(String, String)>,
    /// The entrants' masked display names (JSON: code prefix → name), with the entrants.
    pub entrant_names: Option<String>,
}

impl Default for LotteryStep {
    /// A step that stores nothing and moves nowhere (`from` and `to` are set by the caller).
    fn default() -> Self {
        LotteryStep {
            from: LotteryState::Draft,
            to: LotteryState::Draft,
            rules: None,
            entrants: None,
            bundle: None,
            winners: Vec::new(),
            entrant_names: None,
        }
    }
}

impl Store {
    /// Stores a draft lottery; logged as `lottery:<id>` with the rules digest.
    pub async fn create_lottery(
        &self,
        session_id: Option<i64>,
        title: &str,
        rules: &str,
        rules_digest: &str,
        retain_days: i64,
        audit: AuditDraft,
    ) -> Result<i64> {
        let now = self.clock.now_rfc3339();
        let retain = crate::format_rfc3339(self.clock.now() + time::Duration::days(retain_days));
        Ok(write_tx!(self, tx => {
            let id: i64 = sqlx::query("INSERT INTO lotteries (session_id, title, state, rules, rules_digest, created_at, updated_at, retain_until) VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7) RETURNING id")
                .bind(session_id)
                .bind(title)
                .bind(rules)
                .bind(rules_digest)
                .bind(&now)
                .bind(&now)
                .bind(&retain)
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
        self.lottery_with(id, LOTTERY_COLUMNS).await
    }

    /// The entrants' masked display names of lottery `id` (JSON), once entry has closed.
    pub async fn lottery_entrant_names(&self, id: i64) -> Result<Option<String>> {
        let names: Option<Option<String>> = dispatch!(self, pool => {
            match sqlx::query("SELECT entrant_names FROM lotteries WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(r.try_get("entrant_names")?),
                None => None,
            }
        });
        names.ok_or(StoreError::NotFound)
    }

    /// One lottery without its entrants and bundle documents.
    pub async fn lottery_meta(&self, id: i64) -> Result<LotteryRow> {
        self.lottery_with(id, LOTTERY_SUMMARY_COLUMNS).await
    }

    async fn lottery_with(&self, id: i64, columns: &'static str) -> Result<LotteryRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {columns} FROM lotteries WHERE id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(LotteryRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Every lottery, newest first, without the entrants and bundle documents.
    pub async fn lotteries(&self) -> Result<Vec<LotteryRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {LOTTERY_SUMMARY_COLUMNS} FROM lotteries ORDER BY id DESC LIMIT 500")))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LotteryRow::from_row(r)?)).collect()
        })
    }

    /// Titles of a live session's lotteries whose rules are committed (not drafts).
    pub async fn committed_lottery_titles(&self, session_id: i64) -> Result<Vec<String>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT title FROM lotteries WHERE session_id = $1 AND state <> 'draft' ORDER BY id LIMIT 100")
                .bind(session_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("title")?)).collect()
        })
    }

    /// The lotteries of the live sessions run under a session plan (the review shows them
    /// inside the plan), oldest first, without the entrants and bundle documents.
    pub async fn lotteries_of_plan(&self, plan_id: i64) -> Result<Vec<LotteryRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT l.id, l.session_id, l.title, l.state, l.rules, l.rules_digest, CAST(NULL AS TEXT) AS entrants, CAST(NULL AS TEXT) AS bundle, l.created_at, l.updated_at, l.retain_until, l.committed_at FROM lotteries l JOIN live_sessions s ON s.id = l.session_id WHERE s.plan_id = $1 ORDER BY l.id LIMIT 100")
                .bind(plan_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LotteryRow::from_row(r)?)).collect()
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
            let n = sqlx::query("UPDATE lotteries SET state = $1, rules = COALESCE($2, rules), rules_digest = COALESCE($3, rules_digest), title = COALESCE($9, title), entrants = COALESCE($4, entrants), bundle = COALESCE($5, bundle), entrant_names = COALESCE($10, entrant_names), updated_at = $6, committed_at = CASE WHEN $8 = 'draft' AND $1 = 'committed' THEN $6 ELSE committed_at END WHERE id = $7 AND state = $8")
                .bind(step.to.as_str())
                .bind(step.rules.as_ref().map(|r| r.0.clone()))
                .bind(step.rules.as_ref().map(|r| r.1.clone()))
                .bind(&step.entrants)
                .bind(&step.bundle)
                .bind(&now)
                .bind(id)
                .bind(step.from.as_str())
                .bind(step.rules.as_ref().map(|r| r.2.clone()))
                .bind(&step.entrant_names)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(match sqlx::query("SELECT state FROM lotteries WHERE id = $1").bind(id).fetch_optional(&mut *tx).await? {
                    None => StoreError::NotFound,
                    Some(r) => StoreError::Conflict { constraint: format!("lottery {id} is {}, not {}", r.try_get::<String, _>("state")?, step.from) },
                });
            }
            for (position, (prize, code)) in step.winners.iter().enumerate() {
                sqlx::query("INSERT INTO lottery_claims (lottery_id, position, prize, code, state, updated_at) VALUES ($1, $2, $3, $4, 'awaiting', $5)")
                    .bind(id)
                    .bind(position as i64)
                    .bind(prize)
                    .bind(code)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
            }
            let draft = AuditDraft { object: format!("lottery:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        self.lottery(id).await
    }
}

/// One winner's prize, from claim to redemption or forfeit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimRow {
    /// Id.
    pub id: i64,
    /// The lottery.
    pub lottery_id: i64,
    /// Position in the draw's winner list (0-based).
    pub position: i64,
    /// Prize name.
    pub prize: String,
    /// The winner's entrant code.
    pub code: String,
    /// `awaiting`, `claimed`, `shipped`, `redeemed` or `forfeited`.
    #[sqlx(try_from = "String")]
    pub state: ClaimState,
    /// The recipient's delivery data, sealed by the server (never plain text here).
    pub recipient_sealed: Option<String>,
    /// Carrier.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking: Option<String>,
    /// Note of the last step (why forfeited, how redeemed).
    pub note: Option<String>,
    /// When the winner claimed.
    #[sqlx(try_from = "TextTime")]
    pub claimed_at: Option<Stamp>,
    /// When the prize was shipped.
    #[sqlx(try_from = "TextTime")]
    pub shipped_at: Option<Stamp>,
    /// When the claim was closed (redeemed or forfeited).
    #[sqlx(try_from = "TextTime")]
    pub closed_at: Option<Stamp>,
    /// When the personal data is erased.
    #[sqlx(try_from = "TextTime")]
    pub personal_purge_at: Option<Stamp>,
    /// When it was erased.
    #[sqlx(try_from = "TextTime")]
    pub personal_erased_at: Option<Stamp>,
    /// Updated.
    #[sqlx(try_from = "String")]
    pub updated_at: Stamp,
}

const CLAIM_COLUMNS: &str = "id, lottery_id, CAST(position AS BIGINT) AS position, prize, code, state, recipient_sealed, carrier, tracking, note, claimed_at, shipped_at, closed_at, personal_purge_at, personal_erased_at, updated_at";

/// A step of a prize claim.
#[derive(Debug, Clone)]
pub struct ClaimStep {
    /// The states the step applies to.
    pub from: &'static [ClaimState],
    /// New state.
    pub to: ClaimState,
    /// Sealed recipient data (the claim).
    pub recipient_sealed: Option<String>,
    /// Carrier and tracking number (the shipment).
    pub shipment: Option<(String, String)>,
    /// Note.
    pub note: Option<String>,
    /// Days after closing when the personal data is erased (closing steps).
    pub erase_after_days: Option<i64>,
}

impl Default for ClaimStep {
    /// A step that applies to no state (`from` and `to` are set by the caller).
    fn default() -> Self {
        ClaimStep {
            from: &[],
            to: ClaimState::Awaiting,
            recipient_sealed: None,
            shipment: None,
            note: None,
            erase_after_days: None,
        }
    }
}

impl Store {
    /// The claims of a lottery, in winner order.
    pub async fn lottery_claims(&self, lottery_id: i64) -> Result<Vec<ClaimRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CLAIM_COLUMNS} FROM lottery_claims WHERE lottery_id = $1 ORDER BY position")))
                .bind(lottery_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(ClaimRow::from_row(r)?)).collect()
        })
    }

    /// One claim of a lottery by its position.
    pub async fn lottery_claim(&self, lottery_id: i64, position: i64) -> Result<ClaimRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CLAIM_COLUMNS} FROM lottery_claims WHERE lottery_id = $1 AND position = $2")))
                .bind(lottery_id)
                .bind(position)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(ClaimRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Moves a claim one step; a claim not in `step.from` is a conflict naming its state.
    /// Logged as `lottery_claim:<id>` (the audit never holds the personal data).
    pub async fn lottery_claim_step(
        &self,
        lottery_id: i64,
        position: i64,
        step: ClaimStep,
        audit: AuditDraft,
    ) -> Result<ClaimRow> {
        let now_t = self.clock.now();
        let now = crate::format_rfc3339(now_t);
        let purge = step
            .erase_after_days
            .map(|d| crate::format_rfc3339(now_t + time::Duration::days(d)));
        let (claimed, shipped, closed) = match step.to {
            ClaimState::Claimed => (Some(now.clone()), None, None),
            ClaimState::Shipped => (None, Some(now.clone()), None),
            ClaimState::Redeemed | ClaimState::Forfeited => (None, None, Some(now.clone())),
            ClaimState::Awaiting => (None, None, None),
        };
        write_tx!(self, tx => {
            let Some(r) = sqlx::query("SELECT id, state FROM lottery_claims WHERE lottery_id = $1 AND position = $2")
                .bind(lottery_id)
                .bind(position)
                .fetch_optional(&mut *tx)
                .await? else { return Err(StoreError::NotFound) };
            let id: i64 = r.try_get("id")?;
            let state: String = r.try_get("state")?;
            let state = ClaimState::try_from(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if !step.from.contains(&state) {
                let from: Vec<&str> = step.from.iter().map(|s| s.as_str()).collect();
                return Err(StoreError::Conflict { constraint: format!("prize claim {position} is {state}, not {}", from.join(" or ")) });
            }
            // A step within a state (a corrected recipient) keeps the state's timestamps.
            let (claimed, shipped, closed) = if state == step.to {
                (None, None, None)
            } else {
                (claimed.clone(), shipped.clone(), closed.clone())
            };
            sqlx::query("UPDATE lottery_claims SET state = $1, recipient_sealed = COALESCE($2, recipient_sealed), carrier = COALESCE($3, carrier), tracking = COALESCE($4, tracking), note = COALESCE($5, note), claimed_at = COALESCE($6, claimed_at), shipped_at = COALESCE($7, shipped_at), closed_at = COALESCE($8, closed_at), personal_purge_at = COALESCE($9, personal_purge_at), updated_at = $10 WHERE id = $11 AND state = $12")
                .bind(step.to.as_str())
                .bind(&step.recipient_sealed)
                .bind(step.shipment.as_ref().map(|s| s.0.clone()))
                .bind(step.shipment.as_ref().map(|s| s.1.clone()))
                .bind(&step.note)
                .bind(&claimed)
                .bind(&shipped)
                .bind(&closed)
                .bind(&purge)
                .bind(&now)
                .bind(id)
                .bind(state.as_str())
                .execute(&mut *tx)
                .await?;
            let draft = AuditDraft { object: format!("lottery_claim:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        self.lottery_claim(lottery_id, position).await
    }

    /// Erases the recipient data of closed claims whose erase date has come (at most
    /// `limit` a pass); each erasure is logged as `lottery_claim:<id>`. Returns how many.
    pub async fn erase_lottery_personal_data(&self, limit: i64, audit: AuditDraft) -> Result<u64> {
        let now = self.clock.now_rfc3339();
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        Ok(write_tx!(self, tx => {
            let rows = sqlx::query("SELECT id FROM lottery_claims WHERE recipient_sealed IS NOT NULL AND personal_purge_at IS NOT NULL AND personal_purge_at <= $1 ORDER BY id LIMIT $2")
                .bind(&now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            let mut n = 0u64;
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                sqlx::query("UPDATE lottery_claims SET recipient_sealed = NULL, personal_erased_at = $1, updated_at = $1 WHERE id = $2")
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let draft = AuditDraft { object: format!("lottery_claim:{id}"), ..audit.clone() };
                append_audit!(self, tx, draft);
                n += 1;
            }
            n
        }))
    }
    /// Prizes drawn but not yet claimed by their winners, across every lottery.
    pub async fn lottery_claims_awaiting(&self) -> Result<i64> {
        dispatch!(self, pool => {
            Ok(sqlx::query("SELECT COUNT(*) AS n FROM lottery_claims WHERE state = 'awaiting'")
                .fetch_one(pool)
                .await?
                .try_get("n")?)
        })
    }
}
