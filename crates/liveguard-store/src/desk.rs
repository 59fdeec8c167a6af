//! The consumer desk: cases, their clocks and messages. Every change — a case created, a
//! step, an edit, each clock event (start, pause, resume, met, stop, policy change, warn,
//! breach) — is an audit entry on `case:<id>` in the same transaction, so a clock can be
//! proved from the log. The rules (which clocks, when they are due) are the caller's; the
//! store keeps what it is told and refuses a step from a state the case is no longer in.

use liveguard_core::{
    CaseChannel, CaseKind, CaseState, CaseTopic, ClockKind, ClockState, Complexity,
};
use sqlx::{FromRow, Row};

use crate::columns::MsTime;
use crate::{AuditDraft, PAGE_LIMIT_MAX, Pool, Result, Stamp, Store, StoreError};

/// Inserts the running clock a `ClockChange::Start` describes, inside a write transaction.
macro_rules! insert_clock {
    ($tx:ident, $case:expr, $change:expr) => {{
        if let ClockChange::Start { kind, rule, pausable, started, due, warn } = $change {
            sqlx::query("INSERT INTO desk_clocks (case_id, kind, rule, pausable, state, started_ms, due_ms, warn_ms) VALUES ($1, $2, $3, $4, 'running', $5, $6, $7)")
                .bind($case)
                .bind(kind.as_str())
                .bind(rule)
                .bind(*pausable)
                .bind(started.ms())
                .bind(due.ms())
                .bind(warn.ms())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Applies one clock change inside a write transaction.
macro_rules! apply_clock {
    ($tx:ident, $case:expr, $change:expr) => {{
        let change: &ClockChange = $change;
        let kind = change.kind().as_str();
        match change {
            ClockChange::Start { started, .. } => {
                sqlx::query("UPDATE desk_clocks SET state = 'stopped', finished_ms = $1 WHERE case_id = $2 AND kind = $3 AND state IN ('running', 'paused')")
                    .bind(started.ms())
                    .bind($case)
                    .bind(kind)
                    .execute(&mut *$tx)
                    .await?;
                insert_clock!($tx, $case, change);
            }
            ClockChange::Finish { state, at, .. } => {
                sqlx::query("UPDATE desk_clocks SET state = $1, finished_ms = $2, paused_ms = NULL WHERE case_id = $3 AND kind = $4 AND state IN ('running', 'paused')")
                    .bind(state.as_str())
                    .bind(at.ms())
                    .bind($case)
                    .bind(kind)
                    .execute(&mut *$tx)
                    .await?;
            }
            ClockChange::Pause { at, remaining, .. } => {
                sqlx::query("UPDATE desk_clocks SET state = 'paused', paused_ms = $1, remaining = $2 WHERE case_id = $3 AND kind = $4 AND state = 'running' AND pausable = TRUE")
                    .bind(at.ms())
                    .bind(*remaining)
                    .bind($case)
                    .bind(kind)
                    .execute(&mut *$tx)
                    .await?;
            }
            ClockChange::Resume { due, warn, .. } => {
                sqlx::query("UPDATE desk_clocks SET state = 'running', paused_ms = NULL, remaining = NULL, due_ms = $1, warn_ms = $2, warned = CASE WHEN $3 < warn_ms THEN FALSE ELSE warned END WHERE case_id = $4 AND kind = $5 AND state = 'paused'")
                    .bind(due.ms())
                    .bind(warn.ms())
                    .bind(warn.ms())
                    .bind($case)
                    .bind(kind)
                    .execute(&mut *$tx)
                    .await?;
            }
            ClockChange::Reschedule { rule, pausable, due, warn, .. } => {
                sqlx::query("UPDATE desk_clocks SET rule = $1, pausable = $2, due_ms = $3, warn_ms = $4, warned = FALSE, breached = FALSE WHERE case_id = $5 AND kind = $6 AND state IN ('running', 'paused')")
                    .bind(rule)
                    .bind(*pausable)
                    .bind(due.ms())
                    .bind(warn.ms())
                    .bind($case)
                    .bind(kind)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

/// Sets a case's `next_due_ms` to the earliest due time of its running clocks.
macro_rules! refresh_next_due {
    ($tx:ident, $case:expr) => {{
        sqlx::query("UPDATE desk_cases SET next_due_ms = (SELECT MIN(due_ms) FROM desk_clocks WHERE case_id = $1 AND state = 'running') WHERE id = $2")
            .bind($case)
            .bind($case)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Stores one case inside a write transaction (see [`Store::create_case`]); evaluates to
/// its [`CaseCreated`].
macro_rules! create_case_in {
    ($self:expr, $tx:ident, $case:expr, $clocks:expr, $seal:expr, $audit:expr, $seq:ident) => {{
        let case: &NewCase = $case;
        let audit: &AuditDraft = $audit;
        let clocks: &[ClockChange] = $clocks;
        let now = $self.clock.stamp().ms();
        // The earliest due time of the clocks started with the case (the queue's order).
        let next_due: Option<i64> = clocks
            .iter()
            .filter_map(|c| match c {
                ClockChange::Start { due, .. } => Some(due.ms()),
                _ => None,
            })
            .min();
        // One statement in the usual case: a row whose (source, external_ref) exists is not
        // inserted, and then its id is looked up.
        let inserted: Option<i64> = sqlx::query("INSERT INTO desk_cases (kind, topic, channel, state, complexity, complexity_reason, received_ms, summary, demand, order_ref, product_id, room_id, streamer_id, session_id, comment_event_id, promises, consumer_masked, assignee, source, external_ref, regulator, price_fen, exposure_fen, exposure_reason, return_json, created_by, created_ms, updated_ms, next_due_ms) VALUES ($1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) ON CONFLICT (source, external_ref) DO NOTHING RETURNING id")
            .bind(case.kind.as_str())
            .bind(case.topic.as_str())
            .bind(case.channel.as_str())
            .bind(case.complexity.as_str())
            .bind(&case.complexity_reason)
            .bind(case.received.ms())
            .bind(&case.summary)
            .bind(&case.demand)
            .bind(&case.order_ref)
            .bind(case.product_id)
            .bind(case.room_id)
            .bind(case.streamer_id)
            .bind(case.session_id)
            .bind(case.comment_event_id)
            .bind(&case.promises)
            .bind(&case.consumer_masked)
            .bind(&case.assignee)
            .bind(&case.source)
            .bind(&case.external_ref)
            .bind(&case.regulator)
            .bind(case.price_fen)
            .bind(case.exposure_fen)
            .bind(&case.exposure_reason)
            .bind(&case.return_json)
            .bind(&audit.actor)
            .bind(now)
            .bind(now)
            .bind(next_due)
            .fetch_optional(&mut *$tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
        match inserted {
            None => {
                let id: i64 = sqlx::query("SELECT id FROM desk_cases WHERE source = $1 AND external_ref = $2")
                    .bind(&case.source)
                    .bind(&case.external_ref)
                    .fetch_one(&mut *$tx)
                    .await?
                    .try_get("id")?;
                CaseCreated::Existing(id)
            }
            Some(id) => {
                let sealed = ($seal)(id).map_err(StoreError::Invalid)?;
                if sealed.is_some() {
                    sqlx::query("UPDATE desk_cases SET consumer_sealed = $1 WHERE id = $2")
                        .bind(&sealed)
                        .bind(id)
                        .execute(&mut *$tx)
                        .await?;
                }
                let object = format!("case:{id}");
                append_audit_at!($self, $tx, AuditDraft { object: object.clone(), ..audit.clone() }, $seq);
                $seq += 1;
                for change in clocks {
                    match change {
                        // A new case has no earlier clock to stop.
                        ClockChange::Start { .. } => insert_clock!($tx, id, change),
                        other => apply_clock!($tx, id, other),
                    }
                    let draft = AuditDraft { object: object.clone(), action: change.action().to_string(), before: None, after: None, ..audit.clone() }.reason(change.detail());
                    append_audit_at!($self, $tx, draft, $seq);
                    $seq += 1;
                }
                if clocks.iter().any(|c| !matches!(c, ClockChange::Start { .. })) {
                    refresh_next_due!($tx, id);
                }
                CaseCreated::New(id)
            }
        }
    }};
}

/// One case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseRow {
    /// Id.
    pub id: i64,
    /// Complaint, report, after-sales request, referral.
    #[sqlx(try_from = "String")]
    pub kind: CaseKind,
    /// What it is about.
    #[sqlx(try_from = "String")]
    pub topic: CaseTopic,
    /// Where it came in.
    #[sqlx(try_from = "String")]
    pub channel: CaseChannel,
    /// Where it stands.
    #[sqlx(try_from = "String")]
    pub state: CaseState,
    /// 一般 or 复杂.
    #[sqlx(try_from = "String")]
    pub complexity: Complexity,
    /// Why (set when a person decided).
    pub complexity_reason: Option<String>,
    /// When the consumer sent it.
    #[sqlx(try_from = "i64")]
    pub received_ms: Stamp,
    /// What the consumer says (masked).
    pub summary: String,
    /// What the consumer asks for (masked).
    pub demand: String,
    /// The order.
    pub order_ref: Option<String>,
    /// The product.
    pub product_id: Option<i64>,
    /// The live room (master record).
    pub room_id: Option<i64>,
    /// The streamer (master record).
    pub streamer_id: Option<i64>,
    /// The live session.
    pub session_id: Option<i64>,
    /// The live comment it came from.
    pub comment_event_id: Option<i64>,
    /// The promises the consumer refers to (JSON array of strings).
    pub promises: String,
    /// The consumer's personal data, sealed by the server.
    pub consumer_sealed: Option<String>,
    /// The same, masked (JSON), for roles that may not see it.
    pub consumer_masked: Option<String>,
    /// Who works it.
    pub assignee: Option<String>,
    /// Import or integration source name.
    pub source: Option<String>,
    /// The source's own reference (a platform ticket, the regulator's case number).
    pub external_ref: Option<String>,
    /// The regulator that referred it.
    pub regulator: Option<String>,
    /// The price paid, in fen.
    pub price_fen: Option<i64>,
    /// Punitive-damages exposure, in fen (the case goes to legal).
    pub exposure_fen: Option<i64>,
    /// Why.
    pub exposure_reason: Option<String>,
    /// The return request and its decision (JSON).
    pub return_json: Option<String>,
    /// Root-cause tag from customer service.
    pub root_cause: Option<String>,
    /// The earliest due time of its running clocks.
    #[sqlx(try_from = "MsTime")]
    pub next_due_ms: Option<Stamp>,
    /// Who entered it.
    pub created_by: String,
    /// Entered.
    #[sqlx(try_from = "i64")]
    pub created_ms: Stamp,
    /// Last change.
    #[sqlx(try_from = "i64")]
    pub updated_ms: Stamp,
}

const CASE_COLUMNS: &str = "id, kind, topic, channel, state, complexity, complexity_reason, received_ms, summary, demand, order_ref, product_id, room_id, streamer_id, session_id, comment_event_id, promises, consumer_sealed, consumer_masked, assignee, source, external_ref, regulator, price_fen, exposure_fen, exposure_reason, return_json, root_cause, next_due_ms, created_by, created_ms, updated_ms";

/// One clock of a case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClockRow {
    /// Id.
    pub id: i64,
    /// Case.
    pub case_id: i64,
    /// Which clock.
    #[sqlx(try_from = "String")]
    pub kind: ClockKind,
    /// Its rule in words, as started.
    pub rule: String,
    /// Whether it may pause.
    pub pausable: bool,
    /// Where it stands.
    #[sqlx(try_from = "String")]
    pub state: ClockState,
    /// Started.
    #[sqlx(try_from = "i64")]
    pub started_ms: Stamp,
    /// Due.
    #[sqlx(try_from = "i64")]
    pub due_ms: Stamp,
    /// Warns from.
    #[sqlx(try_from = "i64")]
    pub warn_ms: Stamp,
    /// Paused since.
    #[sqlx(try_from = "MsTime")]
    pub paused_ms: Option<Stamp>,
    /// What was left when it paused (ms, or working days for a working-day clock).
    pub remaining: Option<i64>,
    /// Met or stopped.
    #[sqlx(try_from = "MsTime")]
    pub finished_ms: Option<Stamp>,
    /// A warning was raised.
    pub warned: bool,
    /// A breach was raised.
    pub breached: bool,
}

const CLOCK_COLUMNS: &str = "id, case_id, kind, rule, pausable, state, started_ms, due_ms, warn_ms, paused_ms, remaining, finished_ms, warned, breached";

/// One reply or note.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseMessageRow {
    /// Id.
    pub id: i64,
    /// Case.
    pub case_id: i64,
    /// `reply` (sent to the consumer) or `note` (internal).
    pub kind: String,
    /// Who wrote it.
    pub author: String,
    /// Text (masked).
    pub body: String,
    /// The engine's decision on a reply.
    pub decision: Option<String>,
    /// The engine's findings (JSON).
    pub findings: Option<String>,
    /// When.
    #[sqlx(try_from = "i64")]
    pub created_ms: Stamp,
}

/// A case to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Kind.
    pub kind: CaseKind,
    /// Topic.
    pub topic: CaseTopic,
    /// Channel.
    pub channel: CaseChannel,
    /// Complexity.
    pub complexity: Complexity,
    /// Why, when a person decided.
    pub complexity_reason: Option<String>,
    /// When the consumer sent it.
    pub received: Stamp,
    /// What the consumer says (masked by the caller).
    pub summary: String,
    /// What the consumer asks for (masked by the caller).
    pub demand: String,
    /// Order.
    pub order_ref: Option<String>,
    /// Product.
    pub product_id: Option<i64>,
    /// Room.
    pub room_id: Option<i64>,
    /// Streamer.
    pub streamer_id: Option<i64>,
    /// Live session.
    pub session_id: Option<i64>,
    /// Live comment.
    pub comment_event_id: Option<i64>,
    /// Promises referenced (JSON array).
    pub promises: String,
    /// The consumer's data masked (JSON); the sealed form is made by the `seal` callback
    /// of [`Store::create_case`], which gets the new case's id.
    pub consumer_masked: Option<String>,
    /// Assignee.
    pub assignee: Option<String>,
    /// Source name (import mapping, integration).
    pub source: Option<String>,
    /// The source's own reference.
    pub external_ref: Option<String>,
    /// Regulator.
    pub regulator: Option<String>,
    /// Price paid in fen.
    pub price_fen: Option<i64>,
    /// Punitive exposure in fen.
    pub exposure_fen: Option<i64>,
    /// Why.
    pub exposure_reason: Option<String>,
    /// Return request and decision (JSON).
    pub return_json: Option<String>,
}

/// What happens to one clock of a case (applied to the open clock of that kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockChange {
    /// A new clock (an open one of the kind is stopped first).
    Start {
        /// Kind.
        kind: ClockKind,
        /// Rule in words.
        rule: String,
        /// May pause.
        pausable: bool,
        /// Start.
        started: Stamp,
        /// Due.
        due: Stamp,
        /// Warn from.
        warn: Stamp,
    },
    /// Met or stopped at `at`.
    Finish {
        /// Kind.
        kind: ClockKind,
        /// `met`, `met_late` or `stopped`.
        state: ClockState,
        /// When.
        at: Stamp,
    },
    /// Paused at `at` with `remaining` left.
    Pause {
        /// Kind.
        kind: ClockKind,
        /// When.
        at: Stamp,
        /// What is left.
        remaining: i64,
    },
    /// Resumed with a new due time.
    Resume {
        /// Kind.
        kind: ClockKind,
        /// When.
        at: Stamp,
        /// New due.
        due: Stamp,
        /// New warning time.
        warn: Stamp,
    },
    /// A new rule or a corrected due time (the reason is the audit entry's).
    Reschedule {
        /// Kind.
        kind: ClockKind,
        /// Rule in words.
        rule: String,
        /// May pause.
        pausable: bool,
        /// New due.
        due: Stamp,
        /// New warning time.
        warn: Stamp,
    },
}

impl ClockChange {
    fn kind(&self) -> ClockKind {
        match self {
            ClockChange::Start { kind, .. }
            | ClockChange::Finish { kind, .. }
            | ClockChange::Pause { kind, .. }
            | ClockChange::Resume { kind, .. }
            | ClockChange::Reschedule { kind, .. } => *kind,
        }
    }

    /// The audit action of the change.
    fn action(&self) -> &'static str {
        match self {
            ClockChange::Start { .. } => "desk.clock.start",
            ClockChange::Finish {
                state: ClockState::Met,
                ..
            } => "desk.clock.met",
            ClockChange::Finish {
                state: ClockState::MetLate,
                ..
            } => "desk.clock.met_late",
            ClockChange::Finish { .. } => "desk.clock.stop",
            ClockChange::Pause { .. } => "desk.clock.pause",
            ClockChange::Resume { .. } => "desk.clock.resume",
            ClockChange::Reschedule { .. } => "desk.clock.policy",
        }
    }

    /// The audit reason: what a proof of the clock needs (kind, times, rule).
    fn detail(&self) -> String {
        let v = match self {
            ClockChange::Start {
                kind,
                rule,
                started,
                due,
                ..
            } => {
                serde_json::json!({"clock": kind.as_str(), "rule": rule, "started": started.rfc3339(), "due": due.rfc3339()})
            }
            ClockChange::Finish { kind, at, .. } => {
                serde_json::json!({"clock": kind.as_str(), "at": at.rfc3339()})
            }
            ClockChange::Pause { kind, at, .. } => {
                serde_json::json!({"clock": kind.as_str(), "at": at.rfc3339()})
            }
            ClockChange::Resume { kind, at, due, .. } => {
                serde_json::json!({"clock": kind.as_str(), "at": at.rfc3339(), "due": due.rfc3339()})
            }
            ClockChange::Reschedule {
                kind, rule, due, ..
            } => {
                serde_json::json!({"clock": kind.as_str(), "rule": rule, "due": due.rfc3339()})
            }
        };
        v.to_string()
    }
}

/// A step of a case.
#[derive(Debug, Clone, Default)]
pub struct CaseStep {
    /// Required current state (`None`: any).
    pub from: Option<CaseState>,
    /// New state (`None`: unchanged).
    pub to: Option<CaseState>,
    /// Clock changes, in order.
    pub clocks: Vec<ClockChange>,
    /// A reply or note to record: (kind, body, decision, findings JSON).
    pub message: Option<(String, String, Option<String>, Option<String>)>,
    /// New assignee (`Some(None)` clears it).
    pub assignee: Option<Option<String>>,
    /// New complexity and its reason.
    pub complexity: Option<(Complexity, String)>,
    /// New root-cause tag.
    pub root_cause: Option<String>,
    /// New return request and decision JSON.
    pub return_json: Option<String>,
    /// New exposure (fen, reason).
    pub exposure: Option<(i64, String)>,
}

/// How creating a case went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseCreated {
    /// Stored with this id.
    New(i64),
    /// A case with the same source and external reference exists: nothing stored.
    Existing(i64),
}

impl CaseCreated {
    /// The case's id either way.
    pub fn id(self) -> i64 {
        match self {
            CaseCreated::New(id) | CaseCreated::Existing(id) => id,
        }
    }
}

/// A clock event the sweep recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepHit {
    /// Case.
    pub case_id: i64,
    /// Clock.
    pub kind: ClockKind,
    /// `true` for a breach, `false` for a warning.
    pub breach: bool,
    /// Its due time.
    pub due: Stamp,
}

/// What the queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only open cases (not solved or closed).
    pub open_only: bool,
    /// One state.
    pub state: Option<CaseState>,
    /// One topic.
    pub topic: Option<CaseTopic>,
    /// One kind.
    pub kind: Option<CaseKind>,
    /// One assignee (`""`: unassigned).
    pub assignee: Option<String>,
    /// Only cases with punitive exposure.
    pub exposure_only: bool,
    /// Page size.
    pub limit: i64,
    /// Skip this many.
    pub offset: i64,
}

/// A case's share of the desk's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskCounts {
    /// Open cases.
    pub open: i64,
    /// Open cases with a breached running clock.
    pub overdue: i64,
    /// Open cases with a warned (not breached) running clock.
    pub warning: i64,
    /// Open cases waiting for the consumer.
    pub waiting: i64,
    /// Open cases nobody is assigned to.
    pub unassigned: i64,
    /// Open cases with punitive-damages exposure (legal looks at them).
    pub exposure: i64,
}

impl Store {
    /// Stores a case and starts its clocks; `seal(id)` gives the sealed consumer data bound
    /// to the new id. A case whose (source, external_ref) exists already is not stored again
    /// (re-imports add nothing). Logged as `desk.case.create` and one `desk.clock.start`
    /// per clock.
    pub async fn create_case(
        &self,
        case: &NewCase,
        clocks: &[ClockChange],
        seal: &(dyn Fn(i64) -> std::result::Result<Option<String>, String> + Sync),
        audit: AuditDraft,
    ) -> Result<CaseCreated> {
        Ok(write_tx!(self, tx => {
            let mut seq = next_audit_seq!(tx);
            create_case_in!(self, tx, case, clocks, seal, &audit, seq)
        }))
    }

    /// Stores many cases in one transaction (an import): each as [`Store::create_case`]
    /// would, so a crash stores all or none of the batch.
    pub async fn create_cases(
        &self,
        cases: &[(NewCase, Vec<ClockChange>)],
        seal: &(dyn Fn(i64, usize) -> std::result::Result<Option<String>, String> + Sync),
        audit: AuditDraft,
    ) -> Result<Vec<CaseCreated>> {
        Ok(write_tx!(self, tx => {
            let mut out = Vec::with_capacity(cases.len());
            let mut seq = next_audit_seq!(tx);
            for (i, (case, clocks)) in cases.iter().enumerate() {
                let one = |id: i64| seal(id, i);
                out.push(create_case_in!(self, tx, case, clocks, one, &audit, seq));
            }
            out
        }))
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<CaseRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM desk_cases WHERE id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(CaseRow::from_row(&r)?),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// A case's clocks, oldest first.
    pub async fn case_clocks(&self, id: i64) -> Result<Vec<ClockRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CLOCK_COLUMNS} FROM desk_clocks WHERE case_id = $1 ORDER BY id LIMIT 100")))
                .bind(id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(ClockRow::from_row(r)?)).collect()
        })
    }

    /// The running and paused clocks of the cases `ids` (the queue shows them).
    pub async fn open_clocks_of(&self, ids: &[i64]) -> Result<Vec<ClockRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .take(PAGE_LIMIT_MAX as usize)
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CLOCK_COLUMNS} FROM desk_clocks WHERE case_id IN ({list}) AND state IN ('running', 'paused') ORDER BY due_ms")))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(ClockRow::from_row(r)?)).collect()
        })
    }

    /// A case's replies and notes, oldest first.
    pub async fn case_messages(&self, id: i64) -> Result<Vec<CaseMessageRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT id, case_id, kind, author, body, decision, findings, created_ms FROM desk_messages WHERE case_id = $1 ORDER BY id LIMIT 500")
                .bind(id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(CaseMessageRow::from_row(r)?)).collect()
        })
    }

    /// The queue: open cases first, then by the earliest due time (overdue on top), newest
    /// received last; filtered.
    pub async fn case_queue(&self, f: &QueueFilter) -> Result<Vec<CaseRow>> {
        let limit = f.limit.clamp(1, PAGE_LIMIT_MAX);
        let open = f.open_only;
        let state = f.state.map(|s| s.as_str());
        let topic = f.topic.map(|s| s.as_str());
        let kind = f.kind.map(|s| s.as_str());
        let assignee = f.assignee.clone();
        let exposure = f.exposure_only;
        // Open cases only (the queue page): the partial index on next_due_ms gives the
        // order without sorting every open case.
        let order = if open {
            "next_due_ms NULLS LAST, received_ms DESC, id DESC"
        } else {
            "CASE WHEN state IN ('solved', 'closed') THEN 1 ELSE 0 END, CASE WHEN next_due_ms IS NULL THEN 1 ELSE 0 END, next_due_ms, received_ms DESC, id DESC"
        };
        // Written out (not a bound flag) so the planner can use the partial index.
        let open_clause = if open {
            "state NOT IN ('solved', 'closed')"
        } else {
            "TRUE"
        };
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {CASE_COLUMNS} FROM desk_cases \
                 WHERE {open_clause} AND $1 = $1 AND ($2 IS NULL OR state = $3) \
                 AND ($4 IS NULL OR topic = $5) AND ($6 IS NULL OR kind = $7) \
                 AND ($8 IS NULL OR COALESCE(assignee, '') = $9) AND ($10 = FALSE OR exposure_fen IS NOT NULL) \
                 ORDER BY {order} LIMIT $11 OFFSET $12")))
                .bind(open)
                .bind(state)
                .bind(state)
                .bind(topic)
                .bind(topic)
                .bind(kind)
                .bind(kind)
                .bind(&assignee)
                .bind(&assignee)
                .bind(exposure)
                .bind(limit)
                .bind(f.offset.max(0))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(CaseRow::from_row(r)?)).collect()
        })
    }

    /// The desk's counts for the dashboard tiles.
    pub async fn desk_counts(&self) -> Result<DeskCounts> {
        dispatch!(self, pool => {
            let r = sqlx::query(
                "SELECT \
                   (SELECT COUNT(*) FROM desk_cases WHERE state NOT IN ('solved', 'closed')) AS open, \
                   (SELECT COUNT(DISTINCT c.case_id) FROM desk_clocks c JOIN desk_cases d ON d.id = c.case_id WHERE c.state = 'running' AND c.breached = TRUE AND d.state NOT IN ('solved', 'closed')) AS overdue, \
                   (SELECT COUNT(DISTINCT c.case_id) FROM desk_clocks c JOIN desk_cases d ON d.id = c.case_id WHERE c.state = 'running' AND c.warned = TRUE AND c.breached = FALSE AND d.state NOT IN ('solved', 'closed')) AS warning, \
                   (SELECT COUNT(*) FROM desk_cases WHERE state = 'waiting_consumer') AS waiting, \
                   (SELECT COUNT(*) FROM desk_cases WHERE state NOT IN ('solved', 'closed') AND assignee IS NULL) AS unassigned, \
                   (SELECT COUNT(*) FROM desk_cases WHERE state NOT IN ('solved', 'closed') AND exposure_fen IS NOT NULL) AS exposure",
            )
            .fetch_one(pool)
            .await?;
            Ok(DeskCounts {
                open: r.try_get("open")?,
                overdue: r.try_get("overdue")?,
                warning: r.try_get("warning")?,
                waiting: r.try_get("waiting")?,
                unassigned: r.try_get("unassigned")?,
                exposure: r.try_get("exposure")?,
            })
        })
    }

    /// Applies a step to case `id`: the state (refused as a conflict when the case is no
    /// longer in `step.from`), the clock changes, the message and the edits, with one audit
    /// entry for the step (`audit`) and one per clock change.
    pub async fn case_step(&self, id: i64, step: CaseStep, audit: AuditDraft) -> Result<CaseRow> {
        let now = self.clock.stamp();
        let object = format!("case:{id}");
        Ok(write_tx!(self, tx => {
            let state: Option<String> = sqlx::query("SELECT state FROM desk_cases WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("state"))
                .transpose()?;
            let Some(state) = state else {
                return Err(StoreError::NotFound);
            };
            if let Some(from) = step.from
                && state != from.as_str()
            {
                return Err(StoreError::Conflict {
                    constraint: format!("case {id} is {state}, not {}", from.as_str()),
                });
            }
            sqlx::query("UPDATE desk_cases SET state = COALESCE($1, state), assignee = CASE WHEN $2 THEN $3 ELSE assignee END, complexity = COALESCE($4, complexity), complexity_reason = COALESCE($5, complexity_reason), root_cause = COALESCE($6, root_cause), return_json = COALESCE($7, return_json), exposure_fen = COALESCE($8, exposure_fen), exposure_reason = COALESCE($9, exposure_reason), updated_ms = $10 WHERE id = $11")
                .bind(step.to.map(|s| s.as_str()))
                .bind(step.assignee.is_some())
                .bind(step.assignee.clone().flatten())
                .bind(step.complexity.as_ref().map(|c| c.0.as_str()))
                .bind(step.complexity.as_ref().map(|c| c.1.clone()))
                .bind(&step.root_cause)
                .bind(&step.return_json)
                .bind(step.exposure.as_ref().map(|e| e.0))
                .bind(step.exposure.as_ref().map(|e| e.1.clone()))
                .bind(now.ms())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let Some((kind, body, decision, findings)) = &step.message {
                sqlx::query("INSERT INTO desk_messages (case_id, kind, author, body, decision, findings, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(kind)
                    .bind(&audit.actor)
                    .bind(body)
                    .bind(decision)
                    .bind(findings)
                    .bind(now.ms())
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(self, tx, AuditDraft { object: object.clone(), ..audit.clone() });
            for change in &step.clocks {
                apply_clock!(tx, id, change);
                let draft = AuditDraft { object: object.clone(), action: change.action().to_string(), before: None, after: None, ..audit.clone() }.reason(change.detail());
                append_audit!(self, tx, draft);
            }
            refresh_next_due!(tx, id);
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM desk_cases WHERE id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            CaseRow::from_row(&row)?
        }))
    }

    /// One sweep pass at `now`: every running clock whose warning or due time has passed
    /// and that has not raised that event is marked, with a `desk.clock.warn` or
    /// `desk.clock.breach` audit entry, at most `limit` per pass (one transaction). Clocks
    /// that owe nothing are not read: the index holds only running, unbreached clocks.
    pub async fn desk_sweep(&self, now: Stamp, limit: i64) -> Result<Vec<SweepHit>> {
        let limit = limit.clamp(1, 10_000);
        Ok(write_tx!(self, tx => {
            let rows = sqlx::query("SELECT id, case_id, kind, due_ms, warned FROM desk_clocks WHERE state = 'running' AND breached = FALSE AND warn_ms <= $1 AND (warned = FALSE OR due_ms <= $2) ORDER BY warn_ms LIMIT $3")
                .bind(now.ms())
                .bind(now.ms())
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            let mut hits = Vec::with_capacity(rows.len());
            for r in &rows {
                let clock_id: i64 = r.try_get("id")?;
                let case_id: i64 = r.try_get("case_id")?;
                let kind: String = r.try_get("kind")?;
                let kind = ClockKind::try_from(kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let due = Stamp::from_ms(r.try_get("due_ms")?);
                let breach = due <= now;
                if breach {
                    sqlx::query("UPDATE desk_clocks SET breached = TRUE, warned = TRUE WHERE id = $1")
                        .bind(clock_id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query("UPDATE desk_clocks SET warned = TRUE WHERE id = $1")
                        .bind(clock_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let action = if breach { "desk.clock.breach" } else { "desk.clock.warn" };
                let draft = AuditDraft::new("system", "system", action, &format!("case:{case_id}"))
                    .reason(serde_json::json!({"clock": kind.as_str(), "due": due.rfc3339()}).to_string());
                append_audit!(self, tx, draft);
                hits.push(SweepHit { case_id, kind, breach, due });
            }
            hits
        }))
    }

    /// The external references of every case from `source` (an import checks its rows
    /// against them before storing).
    pub async fn case_refs(&self, source: &str) -> Result<std::collections::HashSet<String>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT external_ref FROM desk_cases WHERE source = $1 AND external_ref IS NOT NULL")
                .bind(source)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("external_ref")?)).collect()
        })
    }

    /// Finished first-reply and solution clocks since `since` (by their finish), for the
    /// desk's charts: (kind, started, due, finished), at most 200,000.
    pub async fn desk_finished_clocks(
        &self,
        since: Stamp,
    ) -> Result<Vec<(ClockKind, Stamp, Stamp, Stamp)>> {
        let rows: Vec<(String, i64, i64, i64)> = dispatch!(self, pool => {
            let rows = sqlx::query("SELECT kind, started_ms, due_ms, finished_ms FROM desk_clocks WHERE kind IN ('first_reply', 'solution') AND state IN ('met', 'met_late') AND finished_ms >= $1 ORDER BY finished_ms LIMIT 200000")
                .bind(since.ms())
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("kind")?, r.try_get("started_ms")?, r.try_get("due_ms")?, r.try_get("finished_ms")?))).collect::<Result<Vec<_>>>()?
        });
        rows.into_iter()
            .map(|(k, s, d, f)| {
                let kind =
                    ClockKind::try_from(k).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((
                    kind,
                    Stamp::from_ms(s),
                    Stamp::from_ms(d),
                    Stamp::from_ms(f),
                ))
            })
            .collect()
    }

    /// Cases received in `[from, to)` per product and per live session: (`product` or
    /// `session`, id, count).
    pub async fn desk_counts_between(
        &self,
        from: Stamp,
        to: Stamp,
    ) -> Result<Vec<(String, i64, i64)>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT 'product' AS what, product_id AS id, COUNT(*) AS n FROM desk_cases WHERE product_id IS NOT NULL AND received_ms >= $1 AND received_ms < $2 GROUP BY product_id \
                UNION ALL SELECT 'session' AS what, session_id AS id, COUNT(*) AS n FROM desk_cases WHERE session_id IS NOT NULL AND received_ms >= $3 AND received_ms < $4 GROUP BY session_id")
                .bind(from.ms())
                .bind(to.ms())
                .bind(from.ms())
                .bind(to.ms())
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("what")?, r.try_get("id")?, r.try_get("n")?))).collect()
        })
    }

    /// The due times of clocks that breached, due since `since` (at most 200,000).
    pub async fn desk_breaches_since(&self, since: Stamp) -> Result<Vec<Stamp>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT due_ms FROM desk_clocks WHERE breached = TRUE AND due_ms >= $1 ORDER BY due_ms LIMIT 200000")
                .bind(since.ms())
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(Stamp::from_ms(r.try_get("due_ms")?))).collect()
        })
    }

    /// Cases per product (product name, count), most first, at most `limit`.
    pub async fn desk_cases_per_product(&self, limit: i64) -> Result<Vec<(String, i64)>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT p.name AS name, COUNT(*) AS n FROM desk_cases c JOIN products p ON p.id = c.product_id GROUP BY p.name ORDER BY n DESC, p.name LIMIT $1")
                .bind(limit.clamp(1, 100))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("name")?, r.try_get("n")?))).collect()
        })
    }

    /// The saved column mapping of an import source.
    pub async fn import_mapping(&self, name: &str) -> Result<Option<String>> {
        dispatch!(self, pool => {
            Ok(sqlx::query("SELECT mapping FROM desk_import_mappings WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get("mapping"))
                .transpose()?)
        })
    }

    /// Every saved mapping's name, sorted.
    pub async fn import_mapping_names(&self) -> Result<Vec<String>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT name FROM desk_import_mappings ORDER BY name LIMIT 100")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("name")?)).collect()
        })
    }

    /// Saves a column mapping (logged as `desk.mapping.save`).
    pub async fn save_import_mapping(
        &self,
        name: &str,
        mapping: &str,
        audit: AuditDraft,
    ) -> Result<()> {
        let now = self.clock.stamp().ms();
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO desk_import_mappings (name, mapping, updated_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET mapping = $4, updated_ms = $5")
                .bind(name)
                .bind(mapping)
                .bind(now)
                .bind(mapping)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            append_audit!(self, tx, AuditDraft { object: format!("desk_mapping:{name}"), ..audit });
        });
        Ok(())
    }
}
