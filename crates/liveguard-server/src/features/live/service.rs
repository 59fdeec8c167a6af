//! The live-monitoring operations that the JSON API and the pages both call: create a session
//! from an approved plan, start and end it, take a batch of events into the pipeline, act on
//! alerts, moderate comments, close follow-ups, and build the post-session report. Each
//! operation that changes something takes typed input and the caller, checks the caller's
//! permission (pages are not behind the API's route guard) and writes its state change with
//! its audit entry in one store call; the reads (the report) leave the check to their page or
//! route.

use liveguard_core::{AlertState, SessionState, Severity};
use liveguard_store::Stamp;
use std::collections::BTreeMap;

use liveguard_core::{Category, ProductCategory, Role};
use liveguard_live::{EventIn, LineupEntry, Processed};
use liveguard_store::{AlertAction, LiveAlertRow, LiveSessionRow, NewLiveSession};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;
use liveguard_pipeline::{ScriptRef, SessionSnapshot};

/// Longest reason or note, in characters.
pub const REASON_CHARS_MAX: usize = 500;

pub(crate) fn reason_field(
    field: &str,
    v: Option<&str>,
    required: bool,
) -> Result<Option<String>, ApiError> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    match v {
        None if required => Err(ApiError::invalid(field, "必填", "is required")),
        None => Ok(None),
        Some(s) if s.chars().count() > REASON_CHARS_MAX => Err(ApiError::invalid(
            field,
            format!("最多 {REASON_CHARS_MAX} 个字"),
            format!("must be at most {REASON_CHARS_MAX} characters"),
        )),
        Some(s) => Ok(Some(crate::personal::mask_free_text(s))),
    }
}

/// Roles that may be a session's duty officer (场控).
pub const DUTY_ROLES: &[Role] = &[
    Role::OpsReviewer,
    Role::OpsManager,
    Role::ComplianceLead,
    Role::Admin,
];

/// `POST /api/v1/live/sessions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSessionBody {
    /// The approved session plan.
    pub plan_id: i64,
    /// User name of the duty officer.
    pub duty_officer: String,
    /// Title; the plan's title when absent.
    #[serde(default)]
    pub title: Option<String>,
}

/// Creates a session from a plan: the lineup with each product's category, and the newest
/// approved script submitted for the plan (frozen by its content hash).
pub(crate) async fn create_session(
    state: &AppState,
    p: &Principal,
    body: NewSessionBody,
) -> Result<LiveSessionRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let plan = crate::features::master::service::plan(state, body.plan_id).await?;
    let officer = state
        .store
        .user_by_name(body.duty_officer.trim())
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| {
            ApiError::invalid(
                "duty_officer",
                "没有这个在用的用户",
                "no active user of that name",
            )
        })?;
    if !DUTY_ROLES.contains(&officer.role) {
        return Err(ApiError::invalid(
            "duty_officer",
            "值班人员须为运营初审、运营复审、合规组长或管理员",
            "must be an operations reviewer or manager, the compliance lead or an administrator",
        ));
    }
    let mut lineup = Vec::with_capacity(plan.lineup.len());
    for item in &plan.lineup {
        let product = state.store.product(item.product_id).await?;
        let category = product
            .category
            .parse::<ProductCategory>()
            .map_err(|e| ApiError::Internal(format!("product {}: {e}", product.id)))?;
        lineup.push(LineupEntry {
            product_id: item.product_id,
            price_fen: item.price_fen,
            category,
        });
    }
    let mut script = None;
    for sub in state.store.submissions().await? {
        if sub.plan_id == Some(body.plan_id) && sub.kind == "script" && sub.stage == "approved" {
            let review = crate::features::review::service::load_review(&sub)?;
            let v = state
                .store
                .submission_version(sub.id, review.version as i64)
                .await?;
            script = Some(ScriptRef {
                submission_id: sub.id,
                version: v.version,
                content_hash: v.content_hash,
            });
            break;
        }
    }
    let snap = SessionSnapshot {
        room_id: Some(plan.room_id),
        streamer_ids: plan.streamer_ids.clone(),
        lineup,
        script,
        starts_at: Some(plan.starts_at.clone()),
    };
    let title = body.title.unwrap_or_else(|| plan.title.clone());
    let data = serde_json::to_string(&snap).map_err(|e| ApiError::Internal(e.to_string()))?;
    let id = state
        .store
        .create_live_session(
            NewLiveSession {
                title,
                plan_id: Some(body.plan_id),
                duty_officer_id: officer.id,
                data,
            },
            p.audit("live.session.create", "live_session:new"),
        )
        .await?;
    Ok(state.store.live_session(id).await?)
}

/// Starts (`live`) or ends (`ended`) a session.
pub(crate) async fn set_state(
    state: &AppState,
    p: &Principal,
    id: i64,
    to: SessionState,
) -> Result<LiveSessionRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let action = if to == SessionState::Live {
        "live.session.start"
    } else {
        "live.session.end"
    };
    let row = state
        .store
        .set_live_session_state(
            id,
            to,
            state.settings.live.retain_days,
            p.audit(action, "live_session"),
        )
        .await?;
    state
        .live
        .publish(id, "session", json!({"state": row.state}));
    Ok(row)
}

/// `POST /api/v1/live/sessions/{id}/events` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsBody {
    /// The events, in the order they happened.
    pub events: Vec<EventIn>,
}

/// Validates a whole batch (the error names the event and field), queues it and answers
/// once it is stored: the JSON both ingest transports return.
pub(crate) async fn ingest(state: &AppState, id: i64, body: EventsBody) -> Result<Value, ApiError> {
    let max = state.live.batch_events_max();
    if body.events.is_empty() || body.events.len() > max {
        return Err(ApiError::field(
            "events",
            format!("must hold 1 to {max} events"),
        ));
    }
    for (i, e) in body.events.iter().enumerate() {
        liveguard_live::validate(e)
            .map_err(|err| ApiError::field(&format!("events[{i}].{}", err.field), err.message))?;
    }
    let session = state.store.live_session(id).await?;
    if session.state != SessionState::Live {
        return Err(ApiError::Conflict(format!(
            "session {id} is {}; events are accepted only while it is live",
            session.state
        )));
    }
    let received = state.store.now().ms();
    let outcomes = match state.live.submit(id, body.events, received).await? {
        liveguard_pipeline::Submitted::Stored(o) => o,
        liveguard_pipeline::Submitted::Queued(n) => {
            // Scale-out: durably queued in JetStream; workers store it and raise the alerts.
            return Ok(
                json!({"accepted": n, "queued": true, "duplicates": 0, "alerts": [], "results": []}),
            );
        }
    };
    let accepted = outcomes.iter().filter(|o| !o.duplicate).count();
    let alerts: Vec<i64> = outcomes.iter().filter_map(|o| o.alert_id).collect();
    Ok(json!({
        "accepted": accepted,
        "duplicates": outcomes.len() - accepted,
        "alerts": alerts,
        "results": outcomes,
    }))
}

/// Largest frame snapshot accepted, in bytes (decoded).
pub const FRAME_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Most pixels a frame snapshot may have (a 4K frame has 8.3 million).
pub const FRAME_PIXELS_MAX: u64 = 8_400_000;
/// Largest frame request body (the image in base64 plus the fields).
pub const FRAME_REQUEST_BYTES_MAX: usize = FRAME_BYTES_MAX / 3 * 4 + 8 * 1024;

/// `POST /api/v1/live/sessions/{id}/frames` body: one snapshot of the stream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameBody {
    /// Idempotency key of the screen-text event the frame becomes.
    pub key: String,
    /// When the frame was taken (Unix milliseconds).
    pub at_ms: i64,
    /// The JPEG or PNG snapshot, base64.
    pub image_base64: String,
}

/// Reads a frame (PP-OCR or Tesseract, and its QR codes and barcodes) and ingests what it
/// says as a `screen_text` event under the frame's key, screened as any screen text. A frame
/// with no text stores nothing. Answers as the events endpoint, plus `text` (what was read)
/// and `reader`.
pub(crate) async fn ingest_frame(
    state: &AppState,
    id: i64,
    body: FrameBody,
) -> Result<Value, ApiError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.image_base64.trim())
        .map_err(|_| ApiError::field("image_base64", "not valid base64"))?;
    if bytes.len() > FRAME_BYTES_MAX {
        return Err(ApiError::field(
            "image_base64",
            format!(
                "the frame is {} bytes; at most {FRAME_BYTES_MAX}",
                bytes.len()
            ),
        ));
    }
    if !matches!(
        crate::convert::ocr::image_kind(&bytes),
        Some("jpeg" | "png")
    ) {
        return Err(ApiError::field(
            "image_base64",
            "a frame must be a JPEG or PNG image",
        ));
    }
    let size = imagesize::blob_size(&bytes)
        .map_err(|_| ApiError::field("image_base64", "not a readable image"))?;
    if (size.width as u64).saturating_mul(size.height as u64) > FRAME_PIXELS_MAX {
        return Err(ApiError::field(
            "image_base64",
            format!(
                "the frame is {} × {} pixels; at most {FRAME_PIXELS_MAX}",
                size.width, size.height
            ),
        ));
    }
    // The key and time are checked (and the session is live) before any OCR runs.
    let probe: EventIn = serde_json::from_value(json!({
        "key": body.key, "kind": "screen_text", "at_ms": body.at_ms, "text": "frame",
    }))
    .map_err(|e| ApiError::BadBody(e.to_string()))?;
    liveguard_live::validate(&probe).map_err(|err| ApiError::field(err.field, err.message))?;
    let session = state.store.live_session(id).await?;
    if session.state != SessionState::Live {
        return Err(ApiError::Conflict(format!(
            "session {id} is {}; events are accepted only while it is live",
            session.state
        )));
    }
    let read = state.images.read(&bytes).await.map_err(|e| match e {
        crate::convert::ocr::OcrError::Busy(m) => ApiError::Busy(m),
        e => ApiError::field("image_base64", e.to_string()),
    })?;
    let text: String = read
        .text
        .chars()
        .take(liveguard_live::TEXT_CHARS_MAX)
        .collect();
    let mut answer = if text.trim().is_empty() {
        json!({"accepted": 0, "duplicates": 0, "alerts": [], "results": []})
    } else {
        let mut event = probe;
        event.text = Some(text.clone());
        event.source = Some(liveguard_live::TextSource::Frame);
        ingest(
            state,
            id,
            EventsBody {
                events: vec![event],
            },
        )
        .await?
    };
    answer["text"] = json!(text);
    answer["reader"] = json!(read.engine);
    Ok(answer)
}

/// `POST /api/v1/live/alerts/{id}/actions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertActionBody {
    /// `acknowledge` or `resolve`.
    pub action: String,
    /// Required to resolve: what was done (主播已当场更正, 已隐藏评论 …).
    #[serde(default)]
    pub reason: Option<String>,
    /// Open an incident record for it (the incident module keeps it).
    #[serde(default)]
    pub incident: bool,
}

/// Acknowledges or resolves an alert; audited; consoles are told.
/// Acknowledges every alert of session `id` that is open or escalated, one audited step
/// each; returns how many.
pub(crate) async fn acknowledge_all(
    state: &AppState,
    p: &Principal,
    id: i64,
) -> Result<usize, ApiError> {
    p.require(Permission::OperateLive)?;
    let mut pending = Vec::new();
    let mut after = 0;
    loop {
        let page = state.store.live_alert_page(id, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        pending.extend(
            page.iter()
                .filter(|a| matches!(a.state, AlertState::Open | AlertState::Escalated))
                .map(|a| a.id),
        );
    }
    for alert in &pending {
        let body = AlertActionBody {
            action: "acknowledge".into(),
            reason: None,
            incident: false,
        };
        alert_action(state, p, *alert, body).await?;
    }
    Ok(pending.len())
}

pub(crate) async fn alert_action(
    state: &AppState,
    p: &Principal,
    id: i64,
    body: AlertActionBody,
) -> Result<LiveAlertRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let (action, name) = match body.action.as_str() {
        "acknowledge" => (AlertAction::Acknowledge, "live.alert.acknowledge"),
        "resolve" => (AlertAction::Resolve, "live.alert.resolve"),
        other => {
            return Err(ApiError::field(
                "action",
                format!("unknown action `{other}`; use acknowledge or resolve"),
            ));
        }
    };
    let reason = reason_field(
        "reason",
        body.reason.as_deref(),
        action == AlertAction::Resolve,
    )?;
    let mut audit = p.audit(name, "live_alert");
    if let Some(r) = &reason {
        audit = audit.reason(json!({"reason": r, "incident": body.incident}).to_string());
    }
    let row = state
        .store
        .live_alert_action(
            id,
            action,
            &p.actor(),
            reason.as_deref(),
            body.incident,
            audit,
        )
        .await?;
    state
        .live
        .publish(row.session_id, "alert_update", alert_json(&row));
    Ok(row)
}

/// `POST /api/v1/live/events/{id}/moderation` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationBody {
    /// `hide`, `mute`, `reply` or `keep`.
    pub action: String,
    /// Why (for `reply`, the answer given).
    pub reason: String,
}

/// Moderation actions a person may record.
pub const MODERATION_ACTIONS: &[&str] = &["hide", "mute", "reply", "keep"];

/// Records who did what to a comment. Hiding or muting negative product feedback is refused.
pub(crate) async fn moderate(
    state: &AppState,
    p: &Principal,
    event_id: i64,
    body: ModerationBody,
) -> Result<i64, ApiError> {
    p.require(Permission::OperateLive)?;
    if !MODERATION_ACTIONS.contains(&body.action.as_str()) {
        return Err(ApiError::field(
            "action",
            format!("must be one of {}", MODERATION_ACTIONS.join(", ")),
        ));
    }
    let reason = reason_field("reason", Some(&body.reason), true)?.unwrap_or_default();
    let event = state.store.live_event(event_id).await?;
    if event.kind != "comment" {
        return Err(ApiError::invalid(
            "event",
            "只有评论可以处理",
            "only comments are moderated",
        ));
    }
    let processed: Processed = serde_json::from_str(&event.body)
        .map_err(|e| ApiError::Internal(format!("live event {event_id}: {e}")))?;
    let negative = processed
        .moderation
        .as_ref()
        .is_some_and(|m| m.negative_feedback);
    if negative && matches!(body.action.as_str(), "hide" | "mute") {
        return Err(ApiError::Workflow(
            "this comment is negative product feedback: it may not be hidden to mislead buyers (直播电商监督管理办法 Art. 31, 电子商务法 Art. 39); reply to it instead".into(),
        ));
    }
    let id = state
        .store
        .record_moderation(
            event.session_id,
            event_id,
            &body.action,
            &p.actor(),
            &reason,
            p.audit(&format!("live.comment.{}", body.action), "live_event")
                .reason(reason.clone()),
        )
        .await?;
    Ok(id)
}

pub(crate) async fn close(
    state: &AppState,
    p: &Principal,
    id: i64,
    note: &str,
) -> Result<(), ApiError> {
    p.require(Permission::FollowUp)?;
    let note = reason_field("note", Some(note), true)?.unwrap_or_default();
    state
        .store
        .close_live_task(
            id,
            &p.actor(),
            &note,
            p.audit("live.task.close", "live_task").reason(note.clone()),
        )
        .await?;
    Ok(())
}

pub(crate) fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    Some(sorted[i])
}

/// One place where the stream drifted from the approved script.
pub(crate) struct DriftLine {
    pub(crate) event_id: i64,
    pub(crate) at: Stamp,
    pub(crate) said: String,
    pub(crate) category: Category,
    /// The whole segment, when the event had text.
    pub(crate) text: Option<String>,
}

/// The post-session report: timeline, findings by category and rule, drift from the
/// script, alerts with response times, comment statistics and follow-ups. The API sends it
/// as [`LiveReport::to_json`]; the report page reads its fields.
pub(crate) struct LiveReport {
    pub(crate) session: LiveSessionRow,
    pub(crate) stats: liveguard_store::LiveStats,
    pub(crate) findings_by_category: BTreeMap<Category, i64>,
    pub(crate) findings_by_rule: BTreeMap<String, i64>,
    /// At most 200, in the order said.
    pub(crate) drift: Vec<DriftLine>,
    /// Every alert, oldest first.
    pub(crate) alerts: Vec<LiveAlertRow>,
    /// Time to acknowledge of each acknowledged alert, in milliseconds, ascending.
    pub(crate) acknowledge_ms: Vec<i64>,
    pub(crate) comments: i64,
    pub(crate) flagged_comments: i64,
    pub(crate) tasks: Vec<liveguard_store::LiveTaskRow>,
    /// The latest 500 transcript, screen-text, card, price and lottery events, newest first.
    pub(crate) timeline: Vec<liveguard_store::LiveEventRow>,
}

impl LiveReport {
    /// Alerts counted by severity.
    pub(crate) fn alerts_by_severity(&self) -> BTreeMap<Severity, i64> {
        let mut by = BTreeMap::new();
        for a in &self.alerts {
            *by.entry(a.severity).or_default() += 1;
        }
        by
    }

    /// Alerts that were escalated to the compliance lead.
    pub(crate) fn escalated(&self) -> usize {
        self.alerts
            .iter()
            .filter(|a| a.escalated_ms.is_some())
            .count()
    }

    /// Alerts for which an incident record was asked.
    pub(crate) fn incidents(&self) -> usize {
        self.alerts.iter().filter(|a| a.incident).count()
    }

    /// Alerts not resolved.
    pub(crate) fn unresolved(&self) -> usize {
        self.alerts
            .iter()
            .filter(|a| a.state != AlertState::Resolved)
            .count()
    }

    /// The `q` quantile of the time to acknowledge, in milliseconds.
    pub(crate) fn acknowledge_quantile(&self, q: f64) -> Option<i64> {
        percentile(&self.acknowledge_ms, q)
    }

    /// The report as the API sends it (`GET /api/v1/live/sessions/{id}/report`).
    pub(crate) fn to_json(&self) -> Value {
        let by_severity: BTreeMap<&str, i64> = self
            .alerts_by_severity()
            .into_iter()
            .map(|(s, n)| (s.as_str(), n))
            .collect();
        let by_category: BTreeMap<&str, i64> = self
            .findings_by_category
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect();
        json!({
            "session": session_json(&self.session),
            "stats": stats_json(&self.stats),
            "findings_by_category": by_category,
            "findings_by_rule": self.findings_by_rule,
            "drift": self.drift.iter().map(|d| json!({"event_id": d.event_id, "at_ms": d.at.ms(), "said": d.said, "category": d.category, "text": d.text})).collect::<Vec<_>>(),
            "alerts": {
                "total": self.alerts.len(),
                "by_severity": by_severity,
                "escalated": self.escalated(),
                "incidents": self.incidents(),
                "unresolved": self.unresolved(),
                "acknowledge_ms": {"p50": self.acknowledge_quantile(0.5), "p90": self.acknowledge_quantile(0.9), "max": self.acknowledge_ms.last()},
                "list": self.alerts.iter().rev().take(200).map(alert_json).collect::<Vec<_>>(),
            },
            "comments": {
                "total": self.comments,
                "flagged": self.flagged_comments,
                "viewers": self.stats.viewers,
                "moderation_actions": self.stats.moderation_actions,
            },
            "tasks": self.tasks.iter().map(|t| json!({"id": t.id, "said": t.said, "product_id": t.product_id, "state": t.state, "note": t.note})).collect::<Vec<_>>(),
            "timeline": self.timeline.iter().rev().map(event_json).collect::<Vec<_>>(),
            "categories": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        })
    }
}

/// Builds the post-session report of session `id`.
pub(crate) async fn report(state: &AppState, id: i64) -> Result<LiveReport, ApiError> {
    let session = state.store.live_session(id).await?;
    let stats = state.store.live_stats(id).await?;
    // Alerts, oldest first, all of them.
    let mut alerts = Vec::new();
    let mut after = 0;
    loop {
        let page = state.store.live_alert_page(id, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        alerts.extend(page);
    }
    let mut acknowledge_ms: Vec<i64> = alerts
        .iter()
        .filter_map(|a| a.acked_ms.map(|t| t.ms() - a.created_ms.ms()))
        .collect();
    acknowledge_ms.sort_unstable();
    // Findings of every flagged event.
    let mut findings_by_category: BTreeMap<Category, i64> = BTreeMap::new();
    let mut findings_by_rule: BTreeMap<String, i64> = BTreeMap::new();
    let mut drift = Vec::new();
    let mut flagged_comments = 0;
    let mut after = 0;
    loop {
        let page = state.store.live_flagged_events(id, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in &page {
            let Ok(p) = serde_json::from_str::<Processed>(&e.body) else {
                continue;
            };
            if e.kind == "comment" {
                flagged_comments += 1;
            }
            for f in &p.findings {
                *findings_by_category.entry(f.category).or_default() += 1;
                *findings_by_rule.entry(f.rule.to_string()).or_default() += 1;
                if f.rule.as_ref() == "live/script-drift" && drift.len() < 200 {
                    drift.push(DriftLine {
                        event_id: e.id,
                        at: e.at_ms,
                        said: f.matched.clone(),
                        category: f.category,
                        text: p.text.clone(),
                    });
                }
            }
        }
    }
    let comments = stats
        .events_by_kind
        .iter()
        .find(|(k, _)| k == "comment")
        .map(|(_, n)| *n)
        .unwrap_or(0);
    let tasks = state.store.live_tasks(id).await?;
    let timeline = state
        .store
        .live_recent_events(
            id,
            &[
                "transcript",
                "screen_text",
                "product_card",
                "price",
                "lottery",
            ],
            500,
        )
        .await?;
    Ok(LiveReport {
        session,
        stats,
        findings_by_category,
        findings_by_rule,
        drift,
        alerts,
        acknowledge_ms,
        comments,
        flagged_comments,
        tasks,
        timeline,
    })
}

pub(crate) fn session_json(row: &LiveSessionRow) -> Value {
    let snap = serde_json::from_str::<Value>(&row.data).unwrap_or(Value::Null);
    json!({
        "id": row.id, "title": row.title, "plan_id": row.plan_id, "duty_officer_id": row.duty_officer_id,
        "state": row.state, "started_at": row.started_at.map(Stamp::rfc3339), "ended_at": row.ended_at.map(Stamp::rfc3339),
        "retain_until": row.retain_until.map(Stamp::rfc3339), "legal_hold": row.legal_hold, "purged_at": row.purged_at.map(Stamp::rfc3339), "created_at": row.created_at.rfc3339(),
        "room_id": snap["room_id"], "streamer_ids": snap["streamer_ids"], "lineup": snap["lineup"],
        "script": snap["script"], "starts_at": snap["starts_at"],
    })
}

pub(crate) fn stats_json(s: &liveguard_store::LiveStats) -> Value {
    let map = |pairs: &[(String, i64)]| pairs.iter().cloned().collect::<BTreeMap<_, _>>();
    json!({
        "events": s.events(), "events_by_kind": map(&s.events_by_kind),
        "events_by_decision": map(&s.events_by_decision), "alerts_by_state": map(&s.alerts_by_state),
        "viewers": s.viewers, "open_tasks": s.open_tasks, "moderation_actions": s.moderation_actions,
    })
}

pub(crate) fn event_json(row: &liveguard_store::LiveEventRow) -> Value {
    let mut v = serde_json::from_str::<Value>(&row.body).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(row.id));
        m.insert("received_ms".into(), json!(row.received_ms.ms()));
    }
    v
}

pub(crate) fn alert_json(a: &LiveAlertRow) -> Value {
    json!({
        "id": a.id, "session_id": a.session_id, "event_id": a.event_id, "severity": a.severity,
        "summary": a.summary, "state": a.state, "created_ms": a.created_ms.ms(), "acked_ms": a.acked_ms.map(Stamp::ms),
        "acked_by": a.acked_by, "resolved_ms": a.resolved_ms.map(Stamp::ms), "resolved_by": a.resolved_by,
        "resolution": a.resolution, "escalated_ms": a.escalated_ms.map(Stamp::ms), "incident": a.incident,
    })
}
