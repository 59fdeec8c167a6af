//! Live monitoring: sessions, events, alerts, promise follow-ups and moderation actions.
//!
//! Events are evidence, written in batches: one transaction per batch, each event inserted
//! with `ON CONFLICT (session_id, event_key) DO NOTHING`, so a re-delivered event is stored
//! once and its alert and follow-ups are created once (at-least-once delivery, exactly-once
//! effect). Event writes are not audit entries; every decision a person takes about them —
//! starting and ending a session, acknowledging or resolving an alert, a moderation action,
//! closing a follow-up — is, in the same transaction.

use liveguard_core::{AlertState, SessionState, Severity, TaskState};
use sqlx::{FromRow, Row};

use crate::columns::{MsTime, TextTime};
use crate::{AuditDraft, Pool, Result, Stamp, Store, StoreError};

/// Rows per multi-row insert (9 bound values each, far below either database's limit).
const INGEST_CHUNK: usize = 200;

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveSessionRow {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// The approved plan.
    pub plan_id: Option<i64>,
    /// The duty officer (场控) receiving the alerts.
    pub duty_officer_id: i64,
    /// Planned, live or ended.
    #[sqlx(try_from = "String")]
    pub state: SessionState,
    /// JSON snapshot: room, streamers, lineup, approved script reference.
    pub data: String,
    /// Started.
    #[sqlx(try_from = "TextTime")]
    pub started_at: Option<Stamp>,
    /// Ended.
    #[sqlx(try_from = "TextTime")]
    pub ended_at: Option<Stamp>,
    /// Records are kept at least until then, set when the session ends.
    #[sqlx(try_from = "TextTime")]
    pub retain_until: Option<Stamp>,
    /// Kept regardless of `retain_until` while set.
    pub legal_hold: bool,
    /// When the session's events, alerts, follow-ups and moderation were deleted after its
    /// retention date.
    #[sqlx(try_from = "TextTime")]
    pub purged_at: Option<Stamp>,
    /// Created.
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewLiveSession {
    /// Title.
    pub title: String,
    /// Plan.
    pub plan_id: Option<i64>,
    /// Duty officer.
    pub duty_officer_id: i64,
    /// JSON snapshot.
    pub data: String,
}

/// An alert to create with a new event.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// `review` or `block`.
    pub severity: Severity,
    /// One line for the console.
    pub summary: String,
}

/// A promise to follow up, created with a new event.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Folded phrase.
    pub phrase: String,
    /// As said.
    pub said: String,
    /// Product on the card.
    pub product_id: Option<i64>,
}

/// One processed event to store.
#[derive(Debug, Clone)]
pub struct IngestRow {
    /// Session.
    pub session_id: i64,
    /// Idempotency key.
    pub key: String,
    /// Event kind code.
    pub kind: String,
    /// When it happened.
    pub at_ms: Stamp,
    /// When the server received it.
    pub received_ms: Stamp,
    /// `pass`, `review` or `block`.
    pub decision: String,
    /// Product on the card.
    pub product_id: Option<i64>,
    /// Comment: the viewer's keyed digest.
    pub viewer: Option<String>,
    /// The processed event as JSON (personal information already masked).
    pub body: String,
    /// Alert, if the event raises one.
    pub alert: Option<NewAlert>,
    /// Promises to follow up.
    pub tasks: Vec<NewTask>,
}

/// What became of one ingested event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    /// The stored event's id, or `None` when the key was already stored (a duplicate).
    pub event_id: Option<i64>,
    /// The alert created with it.
    pub alert_id: Option<i64>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveEventRow {
    /// Id.
    pub id: i64,
    /// Session.
    pub session_id: i64,
    /// Key.
    #[sqlx(rename = "event_key")]
    pub key: String,
    /// Kind code.
    pub kind: String,
    /// When.
    #[sqlx(try_from = "i64")]
    pub at_ms: Stamp,
    /// Received.
    #[sqlx(try_from = "i64")]
    pub received_ms: Stamp,
    /// Decision.
    pub decision: String,
    /// Product on the card.
    pub product_id: Option<i64>,
    /// Processed event JSON.
    pub body: String,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveAlertRow {
    /// Id.
    pub id: i64,
    /// Session.
    pub session_id: i64,
    /// The event that raised it.
    pub event_id: i64,
    /// `review` or `block`.
    #[sqlx(try_from = "String")]
    pub severity: Severity,
    /// One line.
    pub summary: String,
    /// `open`, `acknowledged`, `escalated` or `resolved`.
    #[sqlx(try_from = "String")]
    pub state: AlertState,
    /// Raised.
    #[sqlx(try_from = "i64")]
    pub created_ms: Stamp,
    /// Acknowledged.
    #[sqlx(try_from = "MsTime")]
    pub acked_ms: Option<Stamp>,
    /// By whom.
    pub acked_by: Option<String>,
    /// Resolved.
    #[sqlx(try_from = "MsTime")]
    pub resolved_ms: Option<Stamp>,
    /// By whom.
    pub resolved_by: Option<String>,
    /// Resolution reason.
    pub resolution: Option<String>,
    /// Escalated to the compliance lead.
    #[sqlx(try_from = "MsTime")]
    pub escalated_ms: Option<Stamp>,
    /// An incident record was requested.
    pub incident: bool,
}

/// A promise follow-up.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveTaskRow {
    /// Id.
    pub id: i64,
    /// Session.
    pub session_id: i64,
    /// Event.
    pub event_id: i64,
    /// Folded phrase.
    pub phrase: String,
    /// As said.
    pub said: String,
    /// Product.
    pub product_id: Option<i64>,
    /// `open` or `done`.
    #[sqlx(try_from = "String")]
    pub state: TaskState,
    /// Created.
    #[sqlx(try_from = "i64")]
    pub created_ms: Stamp,
    /// Closed by.
    pub closed_by: Option<String>,
    /// Note on closing.
    pub note: Option<String>,
}

/// Open work across every session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveOpenWork {
    /// Alerts open or escalated (not yet acknowledged).
    pub open_alerts: i64,
    /// Of those, escalated to the compliance lead.
    pub escalated_alerts: i64,
    /// Promise follow-ups not yet done.
    pub open_tasks: i64,
    /// Sessions on air now.
    pub live_sessions: i64,
}

/// Counters of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Events by kind.
    pub events_by_kind: Vec<(String, i64)>,
    /// Events by decision.
    pub events_by_decision: Vec<(String, i64)>,
    /// Alerts by state.
    pub alerts_by_state: Vec<(String, i64)>,
    /// Distinct viewers who commented.
    pub viewers: i64,
    /// Open follow-ups.
    pub open_tasks: i64,
    /// Moderation actions taken.
    pub moderation_actions: i64,
}

impl LiveStats {
    /// Total events stored.
    pub fn events(&self) -> i64 {
        self.events_by_kind.iter().map(|(_, n)| n).sum()
    }
}

macro_rules! session_cols {
    () => {
        "id, title, plan_id, duty_officer_id, state, data, started_at, ended_at, retain_until, legal_hold, purged_at, created_at"
    };
}
macro_rules! alert_cols {
    () => {
        "id, session_id, event_id, severity, summary, state, created_ms, acked_ms, acked_by, resolved_ms, resolved_by, resolution, escalated_ms, incident"
    };
}
macro_rules! event_cols {
    () => {
        "id, session_id, event_key, kind, at_ms, received_ms, decision, product_id, body"
    };
}

/// What a person does to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    /// Seen and being handled.
    Acknowledge,
    /// Handled, with a reason.
    Resolve,
}

impl Store {
    /// Now, by the store's clock.
    pub fn now(&self) -> Stamp {
        self.clock.stamp()
    }

    /// Creates a session in state `planned`; logged as `live_session:<id>`.
    pub async fn create_live_session(&self, new: NewLiveSession, audit: AuditDraft) -> Result<i64> {
        let title = new.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(StoreError::Invalid(
                "session title must be 1 to 200 characters".into(),
            ));
        }
        let now = self.clock.now_rfc3339();
        Ok(write_tx!(self, tx => {
            let id: i64 = sqlx::query("INSERT INTO live_sessions (title, plan_id, duty_officer_id, state, data, legal_hold, created_at, updated_at) VALUES ($1, $2, $3, 'planned', $4, FALSE, $5, $6) RETURNING id")
                .bind(title)
                .bind(new.plan_id)
                .bind(new.duty_officer_id)
                .bind(&new.data)
                .bind(&now)
                .bind(&now)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            let draft = AuditDraft { object: format!("live_session:{id}"), ..audit }.digests(None, Some(new.data.as_bytes()));
            append_audit!(self, tx, draft);
            id
        }))
    }

    /// Every session, newest first.
    pub async fn live_sessions(&self) -> Result<Vec<LiveSessionRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", session_cols!(), " FROM live_sessions ORDER BY id DESC LIMIT 500"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveSessionRow::from_row(r)?)).collect()
        })
    }

    /// One session.
    pub async fn live_session(&self, id: i64) -> Result<LiveSessionRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(concat!("SELECT ", session_cols!(), " FROM live_sessions WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(LiveSessionRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Deletes the events, alerts, follow-ups and moderation records of at most `limit`
    /// ended sessions whose retention date has passed and that are not under legal hold,
    /// one transaction a session, each logged as `live_session:<id>` with what was deleted.
    /// Returns the sessions purged.
    pub async fn purge_expired_live(&self, limit: i64, audit: AuditDraft) -> Result<Vec<i64>> {
        let now = self.clock.now_rfc3339();
        let ids: Vec<i64> = dispatch!(self, pool => {
            let rows = sqlx::query("SELECT id FROM live_sessions WHERE state = 'ended' AND purged_at IS NULL AND legal_hold = FALSE AND retain_until IS NOT NULL AND retain_until < $1 ORDER BY id LIMIT $2")
                .bind(&now)
                .bind(limit.clamp(1, 100))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| r.try_get::<i64, _>("id")).collect::<std::result::Result<Vec<_>, _>>()?
        });
        let mut purged = Vec::new();
        for id in ids {
            let done = write_tx!(self, tx => {
                // Checked again inside the transaction: a hold set meanwhile wins.
                let due = sqlx::query("SELECT id FROM live_sessions WHERE id = $1 AND purged_at IS NULL AND legal_hold = FALSE AND retain_until < $2")
                    .bind(id)
                    .bind(&now)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if due {
                    let mut counts = Vec::new();
                    for table in ["live_moderation", "live_tasks", "live_alerts", "live_events"] {
                        let n = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE session_id = $1")))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        counts.push(format!("{n} {}", table.trim_start_matches("live_")));
                    }
                    sqlx::query("UPDATE live_sessions SET purged_at = $1, updated_at = $1 WHERE id = $2")
                        .bind(&now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let draft = AuditDraft { object: format!("live_session:{id}"), ..audit.clone() }
                        .reason(format!("retention passed; deleted {}", counts.join(", ")));
                    append_audit!(self, tx, draft);
                }
                due
            });
            if done {
                purged.push(id);
            }
        }
        Ok(purged)
    }

    /// Moves a session `planned → live` or `live → ended`; `retain_days` sets the retention
    /// date when it ends. A session in another state is a conflict.
    pub async fn set_live_session_state(
        &self,
        id: i64,
        to: SessionState,
        retain_days: i64,
        audit: AuditDraft,
    ) -> Result<LiveSessionRow> {
        let from = match to {
            SessionState::Live => SessionState::Planned,
            SessionState::Ended => SessionState::Live,
            SessionState::Planned => {
                return Err(StoreError::Invalid(format!(
                    "a session cannot be moved to `{to}`"
                )));
            }
        };
        let now = self.clock.now();
        let now_text = crate::format_rfc3339(now);
        let retain = crate::format_rfc3339(now + time::Duration::days(retain_days));
        write_tx!(self, tx => {
            let sql = if to == SessionState::Live {
                "UPDATE live_sessions SET state = $1, started_at = $2, updated_at = $2 WHERE id = $3 AND state = $4"
            } else {
                "UPDATE live_sessions SET state = $1, ended_at = $2, updated_at = $2, retain_until = $5 WHERE id = $3 AND state = $4"
            };
            let mut q = sqlx::query(sql).bind(to.as_str()).bind(&now_text).bind(id).bind(from.as_str());
            if to == SessionState::Ended {
                q = q.bind(&retain);
            }
            let n = q.execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict { constraint: format!("session {id} is not {from}") });
            }
            let draft = AuditDraft { object: format!("live_session:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        self.live_session(id).await
    }

    /// Sets or clears the legal hold of a session.
    pub async fn set_live_legal_hold(&self, id: i64, hold: bool, audit: AuditDraft) -> Result<()> {
        let now = self.clock.now_rfc3339();
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE live_sessions SET legal_hold = $1, updated_at = $2 WHERE id = $3")
                .bind(hold)
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let draft = AuditDraft { object: format!("live_session:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        Ok(())
    }

    /// Stores a batch of processed events in one transaction. Events whose key is already
    /// stored for their session are skipped (outcome `event_id: None`), with no new alert
    /// or follow-up.
    pub async fn ingest_live(&self, rows: &[IngestRow]) -> Result<Vec<IngestOutcome>> {
        use std::collections::HashMap;
        let mut out: Vec<IngestOutcome> = rows
            .iter()
            .map(|_| IngestOutcome {
                event_id: None,
                alert_id: None,
            })
            .collect();
        // Multi-row statements: one round trip per chunk, not per event (the SQLite driver
        // runs every statement on its own thread, so round trips are what costs).
        macro_rules! body {
            ($tx:ident) => {
                for (chunk_no, chunk) in rows.chunks(INGEST_CHUNK).enumerate() {
                    let base = chunk_no * INGEST_CHUNK;
                    let mut qb = sqlx::QueryBuilder::new("INSERT INTO live_events (session_id, event_key, kind, at_ms, received_ms, decision, product_id, viewer, body) ");
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(r.session_id)
                            .push_bind(&r.key)
                            .push_bind(&r.kind)
                            .push_bind(r.at_ms.ms())
                            .push_bind(r.received_ms.ms())
                            .push_bind(&r.decision)
                            .push_bind(r.product_id)
                            .push_bind(&r.viewer)
                            .push_bind(&r.body);
                    });
                    qb.push(" ON CONFLICT (session_id, event_key) DO NOTHING RETURNING id, session_id, event_key");
                    let stored = qb.build().fetch_all(&mut *$tx).await?;
                    let mut ids: HashMap<(i64, String), i64> = HashMap::with_capacity(stored.len());
                    for row in &stored {
                        ids.insert((row.try_get("session_id")?, row.try_get("event_key")?), row.try_get("id")?);
                    }
                    // The first row with a key takes the stored id; a repeat in the same
                    // batch is a duplicate.
                    let mut alerts: Vec<(usize, i64, &IngestRow)> = Vec::new();
                    let mut tasks: Vec<(i64, &IngestRow, &NewTask)> = Vec::new();
                    for (i, r) in chunk.iter().enumerate() {
                        if let Some(id) = ids.remove(&(r.session_id, r.key.clone())) {
                            out[base + i].event_id = Some(id);
                            if r.alert.is_some() {
                                alerts.push((base + i, id, r));
                            }
                            for t in &r.tasks {
                                tasks.push((id, r, t));
                            }
                        }
                    }
                    if !alerts.is_empty() {
                        let mut qb = sqlx::QueryBuilder::new("INSERT INTO live_alerts (session_id, event_id, severity, summary, state, created_ms, incident) ");
                        qb.push_values(&alerts, |mut b, (_, id, r)| {
                            let a = r.alert.as_ref().expect("filtered above");
                            b.push_bind(r.session_id)
                                .push_bind(*id)
                                .push_bind(a.severity.as_str())
                                .push_bind(&a.summary)
                                .push_bind("open")
                                .push_bind(r.received_ms.ms())
                                .push_bind(false);
                        });
                        qb.push(" RETURNING id, event_id");
                        let made = qb.build().fetch_all(&mut *$tx).await?;
                        let mut by_event: HashMap<i64, i64> = HashMap::with_capacity(made.len());
                        for row in &made {
                            by_event.insert(row.try_get("event_id")?, row.try_get("id")?);
                        }
                        for (at, event_id, _) in &alerts {
                            out[*at].alert_id = by_event.get(event_id).copied();
                        }
                    }
                    if !tasks.is_empty() {
                        let mut qb = sqlx::QueryBuilder::new("INSERT INTO live_tasks (session_id, event_id, phrase, said, product_id, state, created_ms) ");
                        qb.push_values(&tasks, |mut b, (id, r, t)| {
                            b.push_bind(r.session_id)
                                .push_bind(*id)
                                .push_bind(&t.phrase)
                                .push_bind(&t.said)
                                .push_bind(t.product_id)
                                .push_bind("open")
                                .push_bind(r.received_ms.ms());
                        });
                        qb.build().execute(&mut *$tx).await?;
                    }
                }
            };
        }
        // Events append no audit entries, so on PostgreSQL several workers may write at
        // once; SQLite has one writer anyway.
        match &self.pool {
            Pool::Sqlite(pool) => {
                let _writer = self.write_lock.lock().await;
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                body!(tx);
                tx.commit().await?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                body!(tx);
                tx.commit().await?;
            }
        }
        Ok(out)
    }

    /// Events of a session after `after_id`, oldest first, at most `limit`.
    pub async fn live_events(
        &self,
        session_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<LiveEventRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", event_cols!(), " FROM live_events WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3"))
                .bind(session_id)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveEventRow::from_row(r)?)).collect()
        })
    }

    /// The newest `limit` events of a session of the given kinds, newest first.
    pub async fn live_recent_events(
        &self,
        session_id: i64,
        kinds: &[&str],
        limit: i64,
    ) -> Result<Vec<LiveEventRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        let kinds = kinds.join(",");
        dispatch!(self, pool => {
            // The kind list is matched as a comma-separated string so one query serves both backends.
            let rows = sqlx::query(concat!("SELECT ", event_cols!(), " FROM live_events WHERE session_id = $1 AND (',' || $2 || ',') LIKE ('%,' || kind || ',%') ORDER BY id DESC LIMIT $3"))
                .bind(session_id)
                .bind(&kinds)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveEventRow::from_row(r)?)).collect()
        })
    }

    /// One event.
    pub async fn live_event(&self, id: i64) -> Result<LiveEventRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(concat!("SELECT ", event_cols!(), " FROM live_events WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(LiveEventRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// The last product-card or price event of a session (to restore the card after a restart).
    pub async fn live_last_card_event(&self, session_id: i64) -> Result<Option<LiveEventRow>> {
        dispatch!(self, pool => {
            match sqlx::query(concat!("SELECT ", event_cols!(), " FROM live_events WHERE session_id = $1 AND kind IN ('product_card', 'price') ORDER BY id DESC LIMIT 1"))
                .bind(session_id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Ok(Some(LiveEventRow::from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The alerts raised by event `event_id` (one, in practice).
    pub async fn live_alerts_of_event(&self, event_id: i64) -> Result<Vec<LiveAlertRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", alert_cols!(), " FROM live_alerts WHERE event_id = $1 ORDER BY id"))
                .bind(event_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveAlertRow::from_row(r)?)).collect()
        })
    }

    /// Alerts of a session, newest first; `state` filters when given.
    pub async fn live_alerts(
        &self,
        session_id: i64,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<LiveAlertRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", alert_cols!(), " FROM live_alerts WHERE session_id = $1 AND ($2 IS NULL OR state = $2) ORDER BY id DESC LIMIT $3"))
                .bind(session_id)
                .bind(state)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveAlertRow::from_row(r)?)).collect()
        })
    }

    /// Alerts of a session after `after_id`, oldest first (for reports).
    pub async fn live_alert_page(
        &self,
        session_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<LiveAlertRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", alert_cols!(), " FROM live_alerts WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3"))
                .bind(session_id)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveAlertRow::from_row(r)?)).collect()
        })
    }

    /// Alerts of every session after `after_id`, oldest first (for webhooks).
    pub async fn live_alerts_after(&self, after_id: i64, limit: i64) -> Result<Vec<LiveAlertRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", alert_cols!(), " FROM live_alerts WHERE id > $1 ORDER BY id LIMIT $2"))
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveAlertRow::from_row(r)?)).collect()
        })
    }

    /// The newest alert id (0 when there is none).
    pub async fn live_alert_max_id(&self) -> Result<i64> {
        dispatch!(self, pool => {
            let n: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM live_alerts")
                .fetch_one(pool)
                .await?
                .try_get("n")?;
            Ok(n)
        })
    }

    /// Events of a session after `after_id` whose decision is not `pass`, oldest first.
    pub async fn live_flagged_events(
        &self,
        session_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<LiveEventRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        dispatch!(self, pool => {
            let rows = sqlx::query(concat!("SELECT ", event_cols!(), " FROM live_events WHERE session_id = $1 AND id > $2 AND decision <> 'pass' ORDER BY id LIMIT $3"))
                .bind(session_id)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveEventRow::from_row(r)?)).collect()
        })
    }

    /// One alert.
    pub async fn live_alert(&self, id: i64) -> Result<LiveAlertRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(concat!("SELECT ", alert_cols!(), " FROM live_alerts WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(LiveAlertRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Open `block` alerts raised before `cutoff` (not acknowledged in time) in sessions on
    /// air, oldest first. Alerts of an ended session stay open for its report but are not
    /// escalated.
    pub async fn live_overdue_block_alerts(
        &self,
        cutoff: Stamp,
        limit: i64,
    ) -> Result<Vec<LiveAlertRow>> {
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        dispatch!(self, pool => {
            // Ordered like the (state, severity, created_ms) index, so no sort.
            let rows = sqlx::query(concat!("SELECT ", alert_cols!(), " FROM live_alerts WHERE state = 'open' AND severity = 'block' AND created_ms < $1 AND session_id IN (SELECT id FROM live_sessions WHERE state = 'live') ORDER BY state, severity, created_ms LIMIT $2"))
                .bind(cutoff.ms())
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveAlertRow::from_row(r)?)).collect()
        })
    }

    /// Escalates the open `block` alerts raised before `cutoff` (at most `limit`, oldest
    /// first) in one transaction, one audit entry per alert (`audit` with the object set to
    /// `live_alert:<id>`). Returns the escalated alerts.
    pub async fn escalate_live_alerts(
        &self,
        cutoff: Stamp,
        limit: i64,
        audit: AuditDraft,
    ) -> Result<Vec<LiveAlertRow>> {
        let now = self.now().ms();
        let limit = limit.clamp(1, crate::PAGE_LIMIT_MAX);
        let ids: Vec<i64> = write_tx!(self, tx => {
            let rows = sqlx::query("SELECT id FROM live_alerts WHERE state = 'open' AND severity = 'block' AND created_ms < $1 AND session_id IN (SELECT id FROM live_sessions WHERE state = 'live') ORDER BY state, severity, created_ms LIMIT $2")
                .bind(cutoff.ms())
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            let mut ids = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                sqlx::query("UPDATE live_alerts SET state = 'escalated', escalated_ms = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let draft = AuditDraft { object: format!("live_alert:{id}"), ..audit.clone() };
                append_audit!(self, tx, draft);
                ids.push(id);
            }
            ids
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.live_alert(id).await?);
        }
        Ok(out)
    }

    /// Acknowledges or resolves an alert. The alert must be in a state the action applies to
    /// (open or escalated to acknowledge; anything but resolved to resolve), else a conflict.
    /// Logged as `live_alert:<id>`.
    pub async fn live_alert_action(
        &self,
        id: i64,
        action: AlertAction,
        actor: &str,
        reason: Option<&str>,
        incident: bool,
        audit: AuditDraft,
    ) -> Result<LiveAlertRow> {
        let now = self.now().ms();
        write_tx!(self, tx => {
            let (sql, allowed): (&str, &str) = match action {
                AlertAction::Acknowledge => ("UPDATE live_alerts SET state = 'acknowledged', acked_ms = $1, acked_by = $2 WHERE id = $3 AND state IN ('open', 'escalated')", "open or escalated"),
                AlertAction::Resolve => ("UPDATE live_alerts SET state = 'resolved', resolved_ms = $1, resolved_by = $2, resolution = $4, incident = $5, acked_ms = COALESCE(acked_ms, $1), acked_by = COALESCE(acked_by, $2) WHERE id = $3 AND state <> 'resolved'", "not yet resolved"),
            };
            let mut q = sqlx::query(sql).bind(now).bind(actor).bind(id);
            if action == AlertAction::Resolve {
                q = q.bind(reason.unwrap_or("")).bind(incident);
            }
            let n = q.execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(match sqlx::query("SELECT id FROM live_alerts WHERE id = $1").bind(id).fetch_optional(&mut *tx).await? {
                    None => StoreError::NotFound,
                    Some(_) => StoreError::Conflict { constraint: format!("alert {id} is not {allowed}") },
                });
            }
            let draft = AuditDraft { object: format!("live_alert:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        self.live_alert(id).await
    }

    /// Records a moderation action on a comment; logged as `live_event:<id>`.
    pub async fn record_moderation(
        &self,
        session_id: i64,
        event_id: i64,
        action: &str,
        actor: &str,
        reason: &str,
        audit: AuditDraft,
    ) -> Result<i64> {
        let now = self.now().ms();
        Ok(write_tx!(self, tx => {
            let id: i64 = sqlx::query("INSERT INTO live_moderation (session_id, event_id, action, actor, reason, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(session_id)
                .bind(event_id)
                .bind(action)
                .bind(actor)
                .bind(reason)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            let draft = AuditDraft { object: format!("live_event:{event_id}"), ..audit };
            append_audit!(self, tx, draft);
            id
        }))
    }

    /// Follow-ups of a session, oldest first.
    pub async fn live_tasks(&self, session_id: i64) -> Result<Vec<LiveTaskRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT id, session_id, event_id, phrase, said, product_id, state, created_ms, closed_by, note FROM live_tasks WHERE session_id = $1 ORDER BY id LIMIT 2000")
                .bind(session_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(LiveTaskRow::from_row(r)?)).collect()
        })
    }

    /// Closes a follow-up with a note; logged as `live_task:<id>`.
    pub async fn close_live_task(
        &self,
        id: i64,
        actor: &str,
        note: &str,
        audit: AuditDraft,
    ) -> Result<()> {
        let now = self.now().ms();
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE live_tasks SET state = 'done', closed_ms = $1, closed_by = $2, note = $3 WHERE id = $4 AND state = 'open'")
                .bind(now)
                .bind(actor)
                .bind(note)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict { constraint: format!("task {id} is not open") });
            }
            let draft = AuditDraft { object: format!("live_task:{id}"), ..audit };
            append_audit!(self, tx, draft);
        });
        Ok(())
    }

    /// Counters of a session.
    pub async fn live_stats(&self, session_id: i64) -> Result<LiveStats> {
        dispatch!(self, pool => {
            macro_rules! pairs {
                ($rows:expr) => {
                    $rows.iter().map(|r| Ok((r.try_get("k")?, r.try_get("n")?))).collect::<Result<Vec<(String, i64)>>>()
                };
            }
            let by_kind = sqlx::query("SELECT kind AS k, COUNT(*) AS n FROM live_events WHERE session_id = $1 GROUP BY kind ORDER BY kind")
                .bind(session_id).fetch_all(pool).await?;
            let by_decision = sqlx::query("SELECT decision AS k, COUNT(*) AS n FROM live_events WHERE session_id = $1 GROUP BY decision ORDER BY decision")
                .bind(session_id).fetch_all(pool).await?;
            let alerts = sqlx::query("SELECT state AS k, COUNT(*) AS n FROM live_alerts WHERE session_id = $1 GROUP BY state ORDER BY state")
                .bind(session_id).fetch_all(pool).await?;
            let open_tasks: i64 = sqlx::query("SELECT COUNT(*) AS n FROM live_tasks WHERE session_id = $1 AND state = 'open'")
                .bind(session_id).fetch_one(pool).await?.try_get("n")?;
            let viewers: i64 = sqlx::query("SELECT COUNT(DISTINCT viewer) AS n FROM live_events WHERE session_id = $1 AND viewer IS NOT NULL")
                .bind(session_id).fetch_one(pool).await?.try_get("n")?;
            let moderation: i64 = sqlx::query("SELECT COUNT(*) AS n FROM live_moderation WHERE session_id = $1")
                .bind(session_id).fetch_one(pool).await?.try_get("n")?;
            Ok(LiveStats {
                events_by_kind: pairs!(by_kind)?,
                events_by_decision: pairs!(by_decision)?,
                alerts_by_state: pairs!(alerts)?,
                viewers,
                open_tasks,
                moderation_actions: moderation,
            })
        })
    }
    /// What the duty officers have open across every session, for the dashboards.
    pub async fn live_open_work(&self) -> Result<LiveOpenWork> {
        dispatch!(self, pool => {
            let row = sqlx::query(
                "SELECT \
                 (SELECT COUNT(*) FROM live_alerts WHERE state IN ('open', 'escalated')) AS open_alerts, \
                 (SELECT COUNT(*) FROM live_alerts WHERE state = 'escalated') AS escalated, \
                 (SELECT COUNT(*) FROM live_tasks WHERE state = 'open') AS open_tasks, \
                 (SELECT COUNT(*) FROM live_sessions WHERE state = 'live') AS live_sessions",
            )
            .fetch_one(pool)
            .await?;
            Ok(LiveOpenWork {
                open_alerts: row.try_get("open_alerts")?,
                escalated_alerts: row.try_get("escalated")?,
                open_tasks: row.try_get("open_tasks")?,
                live_sessions: row.try_get("live_sessions")?,
            })
        })
    }

    /// Alerts raised per Beijing calendar day from `since` on, oldest day first: the start
    /// of each day that had alerts, and how many.
    pub async fn live_alerts_per_day(&self, since: Stamp) -> Result<Vec<(Stamp, i64)>> {
        const DAY_MS: i64 = 86_400_000;
        const BEIJING_MS: i64 = 8 * 3_600_000;
        dispatch!(self, pool => {
            let rows = sqlx::query(
                "SELECT (created_ms + $1) / $2 AS day, COUNT(*) AS n FROM live_alerts WHERE created_ms >= $3 GROUP BY (created_ms + $1) / $2 ORDER BY day",
            )
            .bind(BEIJING_MS)
            .bind(DAY_MS)
            .bind(since.ms())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let day: i64 = r.try_get("day")?;
                    Ok((Stamp::from_ms(day * DAY_MS - BEIJING_MS), r.try_get("n")?))
                })
                .collect()
        })
    }
}
