//! The live pipeline: one bounded queue of event batches, one worker that screens them with
//! each session's [`Monitor`] and writes them in grouped transactions, and a broadcast bus
//! that carries stored events and alerts to the consoles.
//!
//! # Guarantees
//! - A batch is acknowledged to its sender only after its events are committed (the
//!   worker replies after the transaction). A refused batch (queue full, database down)
//!   stored nothing and may be re-sent whole; keys make re-sending safe.
//! - The queue has a bound (`live.queue_batches`). Its full policy is *refuse*: the sender
//!   gets 503 `queue_full` with `Retry-After: 1`. Nothing is dropped silently.
//! - The bus is lossy by design (a console that falls behind gets a `lagged` message and
//!   reloads from the database); the database is the record.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use liveguard_core::Decision;
use liveguard_live::{EventIn, LineupEntry, Monitor, Processed};
use liveguard_screen::{Scratch, SharedScreen};
use liveguard_store::{IngestRow, NewAlert, NewTask, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::ApiError;
use crate::settings::LiveSettings;

/// The file in the data directory holding the key of the viewer pseudonyms.
pub const PSEUDONYM_KEY_FILE: &str = "viewer-pseudonym.key";

/// What a session was approved with, snapshotted when it is created.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSnapshot {
    /// The live room.
    #[serde(default)]
    pub room_id: Option<i64>,
    /// Streamers on duty.
    #[serde(default)]
    pub streamer_ids: Vec<i64>,
    /// The approved lineup with prices and categories.
    #[serde(default)]
    pub lineup: Vec<LineupEntry>,
    /// The approved script version.
    #[serde(default)]
    pub script: Option<ScriptRef>,
    /// Planned start.
    #[serde(default)]
    pub starts_at: Option<String>,
}

/// The frozen script a session was approved with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptRef {
    /// Submission.
    pub submission_id: i64,
    /// Approved version.
    pub version: i64,
    /// SHA-256 of its text.
    pub content_hash: String,
}

/// One message on the console bus.
#[derive(Debug, Clone)]
pub struct LiveMsg {
    /// Session.
    pub session_id: i64,
    /// `event`, `alert` or `alert_update`.
    pub kind: &'static str,
    /// A comment that passed (consoles may sample these).
    pub routine_comment: bool,
    /// JSON payload.
    pub json: String,
}

/// The outcome of one event of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct EventOutcome {
    /// The sender's key.
    pub key: String,
    /// Stored event id (also for a duplicate: `null`, it was stored before).
    pub event_id: Option<i64>,
    /// Whether the key was already stored.
    pub duplicate: bool,
    /// The alert raised.
    pub alert_id: Option<i64>,
    /// pass, review or block.
    pub decision: Decision,
}

struct Job {
    session_id: i64,
    events: Vec<EventIn>,
    received_ms: i64,
    reply: oneshot::Sender<Result<Vec<EventOutcome>, ApiError>>,
}

/// The pipeline's entry: the queue sender (or the NATS stream) and the console bus.
pub struct LiveHub {
    tx: mpsc::Sender<Job>,
    /// Stored events and alerts, for consoles.
    pub bus: broadcast::Sender<Arc<LiveMsg>>,
    settings: LiveSettings,
    /// The JetStream transport, when `live.nats_url` is set.
    nats: Option<liveguard_nats::Bus>,
    /// The key of the viewer pseudonyms (for `liveguard worker`).
    pseudonym_key: Arc<[u8]>,
}

/// What became of a submitted batch.
#[derive(Debug)]
pub enum Submitted {
    /// Stored by the in-process worker.
    Stored(Vec<EventOutcome>),
    /// Durably queued in JetStream for the workers (this many events).
    Queued(usize),
}

/// A batch as it travels through JetStream.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsBatch {
    /// Session.
    pub session_id: i64,
    /// When the server received it (Unix ms).
    pub received_ms: i64,
    /// The validated events.
    pub events: Vec<EventIn>,
}

/// The bus settings of a deployment.
pub(crate) fn bus_config(s: &LiveSettings) -> liveguard_nats::BusConfig {
    liveguard_nats::BusConfig {
        stream: s.nats_stream.clone(),
        prefix: s.nats_prefix.clone(),
        max_bytes: s.nats_max_bytes,
        ..liveguard_nats::BusConfig::default_config()
    }
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub")
            .field("queue_free", &self.tx.capacity())
            .finish_non_exhaustive()
    }
}

/// What the worker needs.
#[derive(Clone)]
pub(crate) struct WorkerCtx {
    pub(crate) store: Store,
    pub(crate) screen: Arc<SharedScreen>,
    pub(crate) pseudonym_key: Arc<[u8]>,
}

impl LiveHub {
    /// Starts the in-process worker on the current runtime, or, with `live.nats_url`,
    /// connects to NATS and forwards the workers' console messages to the bus.
    pub(crate) async fn start(
        ctx: WorkerCtx,
        settings: LiveSettings,
    ) -> Result<Arc<LiveHub>, String> {
        let (tx, rx) = mpsc::channel(settings.queue_batches);
        let (bus, _) = broadcast::channel(4096);
        let nats = if settings.nats_url.is_empty() {
            None
        } else {
            Some(
                liveguard_nats::Bus::connect(&settings.nats_url, bus_config(&settings))
                    .await
                    .map_err(|e| e.to_string())?,
            )
        };
        let hub = Arc::new(LiveHub {
            tx,
            bus: bus.clone(),
            settings: settings.clone(),
            nats: nats.clone(),
            pseudonym_key: ctx.pseudonym_key.clone(),
        });
        match nats {
            None => {
                tokio::spawn(run_worker(ctx, rx, bus, settings.commit_events_max));
            }
            Some(nats) => {
                let mut console = Box::pin(nats.console().await.map_err(|e| e.to_string())?);
                tokio::spawn(async move {
                    use futures_util::StreamExt;
                    while let Some((session_id, payload)) = console.next().await {
                        if let Some(msg) = console_msg(session_id, &payload) {
                            let _ = bus.send(Arc::new(msg));
                        }
                    }
                });
            }
        }
        Ok(hub)
    }

    /// The JetStream transport, when configured.
    pub fn nats(&self) -> Option<&liveguard_nats::Bus> {
        self.nats.as_ref()
    }

    /// Most events in one batch.
    pub fn batch_events_max(&self) -> usize {
        self.settings.batch_events_max
    }

    /// Queues a batch: in process, waits until it is stored; with NATS, until JetStream has
    /// stored it for the workers.
    pub(crate) async fn submit(
        &self,
        session_id: i64,
        events: Vec<EventIn>,
        received_ms: i64,
    ) -> Result<Submitted, ApiError> {
        if let Some(nats) = &self.nats {
            let n = events.len();
            // Re-sending the same batch inside the duplicate window is dropped by JetStream;
            // after it, the workers' idempotent writes drop it.
            let id = format!(
                "{session_id}:{}:{}:{n}",
                events.first().map(|e| e.key.as_str()).unwrap_or(""),
                events.last().map(|e| e.key.as_str()).unwrap_or("")
            );
            let payload = serde_json::to_vec(&NatsBatch {
                session_id,
                received_ms,
                events,
            })
            .map_err(|e| ApiError::Internal(e.to_string()))?;
            nats.publish_batch(session_id, &id, payload)
                .await
                .map_err(|e| {
                    metrics::counter!("liveguard_live_batches_refused_total", "reason" => "nats")
                        .increment(1);
                    ApiError::Busy(format!(
                        "the live stream did not take the batch ({e}); nothing of it was accepted — re-send it"
                    ))
                })?;
            return Ok(Submitted::Queued(n));
        }
        let (reply, rx) = oneshot::channel();
        let job = Job {
            session_id,
            events,
            received_ms,
            reply,
        };
        self.tx.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                metrics::counter!("liveguard_live_batches_refused_total", "reason" => "queue_full")
                    .increment(1);
                ApiError::Busy(format!(
                    "the live ingest queue is full ({} batches); nothing of this batch was accepted — re-send it after a second",
                    self.settings.queue_batches
                ))
            }
            mpsc::error::TrySendError::Closed(_) => {
                ApiError::Unavailable("the live pipeline has stopped".into())
            }
        })?;
        metrics::gauge!("liveguard_live_queue_batches")
            .set((self.settings.queue_batches - self.tx.capacity()) as f64);
        let outcomes = rx
            .await
            .map_err(|_| ApiError::Unavailable("the live pipeline has stopped".into()))??;
        Ok(Submitted::Stored(outcomes))
    }

    /// Publishes an alert change to consoles.
    pub(crate) fn publish(&self, session_id: i64, kind: &'static str, json: Value) {
        let _ = self.bus.send(Arc::new(LiveMsg {
            session_id,
            kind,
            routine_comment: false,
            json: json.to_string(),
        }));
    }
}

/// Before a batch that announces or opens a lottery, tells the monitor which of the
/// session's lotteries are committed (they may be committed while the session runs).
async fn refresh_lotteries(
    store: &liveguard_store::Store,
    session_id: i64,
    monitor: &mut Monitor,
    events: &[EventIn],
) {
    let opens = events.iter().any(|e| {
        e.kind == liveguard_live::EventKind::Lottery
            && matches!(e.action.as_deref(), Some("announce" | "open"))
    });
    if !opens {
        return;
    }
    match store.committed_lottery_titles(session_id).await {
        Ok(titles) => monitor.set_lotteries(titles),
        Err(e) => {
            tracing::warn!(error = %e, session = session_id, "Reading the session's lotteries failed; the monitor keeps what it knew.")
        }
    }
}

/// Loads the monitor of a session from its snapshot, its frozen script and its last card.
pub(crate) async fn load_monitor(ctx: &WorkerCtx, session_id: i64) -> Result<Monitor, ApiError> {
    let row = ctx.store.live_session(session_id).await?;
    let snap: SessionSnapshot = serde_json::from_str(&row.data)
        .map_err(|e| ApiError::Internal(format!("live session {session_id} snapshot: {e}")))?;
    let script = match &snap.script {
        Some(s) => Some(
            ctx.store
                .submission_version(s.submission_id, s.version)
                .await?
                .text,
        ),
        None => None,
    };
    let screen = ctx.screen.load();
    let mut m = Monitor::new(&screen, script.as_deref(), snap.lineup, &ctx.pseudonym_key);
    restore_card(&ctx.store, session_id, &mut m).await?;
    Ok(m)
}

/// Puts the product and price of the session's last stored card or price event on the
/// monitor's card (after a restart, or when other workers may have moved it).
async fn restore_card(store: &Store, session_id: i64, m: &mut Monitor) -> Result<(), ApiError> {
    if let Some(last) = store.live_last_card_event(session_id).await?
        && let Ok(p) = serde_json::from_str::<Processed>(&last.body)
    {
        m.set_card(p.product_id, p.price_fen);
    }
    Ok(())
}

/// The console message of a stored event.
fn event_msg(session_id: i64, event_id: i64, p: &Processed) -> LiveMsg {
    let routine_comment =
        p.kind == liveguard_live::EventKind::Comment && !p.alerts() && p.moderation.is_none();
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(event_id));
    }
    LiveMsg {
        session_id,
        kind: "event",
        routine_comment,
        json: v.to_string(),
    }
}

/// The console message of an alert raised by a stored event; records its latency.
fn alert_msg(
    session_id: i64,
    alert_id: i64,
    event_id: i64,
    p: &Processed,
    received_ms: i64,
    stored_ms: i64,
) -> LiveMsg {
    metrics::histogram!("liveguard_live_event_to_alert_seconds")
        .record((stored_ms - received_ms).max(0) as f64 / 1000.0);
    LiveMsg {
        session_id,
        kind: "alert",
        routine_comment: false,
        json: json!({
            "id": alert_id, "event_id": event_id, "severity": p.decision,
            "summary": summary(p), "state": "open", "created_ms": received_ms,
            "received_ms": received_ms, "stored_ms": stored_ms,
            "kind": p.kind, "text": p.text,
        })
        .to_string(),
    }
}

/// The one-line summary of an alert: its most serious finding.
pub(crate) fn summary(p: &Processed) -> String {
    let Some(f) = p.findings.iter().max_by_key(|f| f.severity) else {
        return String::new();
    };
    let mut s = format!("{} · {}", f.rule, f.matched);
    if s.chars().count() > 160 {
        s = s.chars().take(159).collect::<String>() + "…";
    }
    s
}

fn ingest_row(session_id: i64, received_ms: i64, p: &Processed) -> IngestRow {
    IngestRow {
        session_id,
        key: p.key.clone(),
        kind: p.kind.as_str().into(),
        at_ms: p.at_ms,
        received_ms,
        decision: p.decision.as_str().into(),
        product_id: p.product_id,
        viewer: p.viewer.clone(),
        body: serde_json::to_string(p).expect("processed events serialise"),
        alert: p.alerts().then(|| NewAlert {
            severity: p.decision.as_str().into(),
            summary: summary(p),
        }),
        tasks: p
            .promises
            .iter()
            .map(|t| NewTask {
                phrase: t.phrase.clone(),
                said: t.said.clone(),
                product_id: t.product_id,
            })
            .collect(),
    }
}

/// Most sessions whose monitors stay in memory.
const MONITORS_MAX: usize = 10_000;

async fn run_worker(
    ctx: WorkerCtx,
    mut rx: mpsc::Receiver<Job>,
    bus: broadcast::Sender<Arc<LiveMsg>>,
    commit_max: usize,
) {
    let mut monitors: HashMap<i64, Monitor> = HashMap::new();
    let mut scratch = Scratch::default();
    while let Some(first) = rx.recv().await {
        let mut n = first.events.len();
        let mut jobs = vec![first];
        while n < commit_max {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.events.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        if monitors.len() > MONITORS_MAX {
            monitors.clear();
        }
        let screen = ctx.screen.load();
        let mut rows = Vec::with_capacity(n);
        let mut owners = Vec::with_capacity(n);
        let mut refused: Vec<Option<ApiError>> = (0..jobs.len()).map(|_| None).collect();
        for (ji, job) in jobs.iter().enumerate() {
            let m = match monitors.entry(job.session_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    match load_monitor(&ctx, job.session_id).await {
                        Ok(m) => v.insert(m),
                        Err(e) => {
                            refused[ji] = Some(e);
                            continue;
                        }
                    }
                }
            };
            refresh_lotteries(&ctx.store, job.session_id, m, &job.events).await;
            for ev in &job.events {
                let p = m.process(&screen, &mut scratch, ev);
                rows.push(ingest_row(job.session_id, job.received_ms, &p));
                owners.push((ji, p));
            }
        }
        match ctx.store.ingest_live(&rows).await {
            Ok(outcomes) => {
                let mut per_job: Vec<Vec<EventOutcome>> = jobs.iter().map(|_| Vec::new()).collect();
                let now = ctx.store.now_ms();
                for ((ji, p), o) in owners.into_iter().zip(outcomes) {
                    let session_id = jobs[ji].session_id;
                    if let Some(event_id) = o.event_id {
                        // Building messages nobody listens to is skipped.
                        if bus.receiver_count() > 0 {
                            let _ = bus.send(Arc::new(event_msg(session_id, event_id, &p)));
                        }
                        if let Some(alert_id) = o.alert_id {
                            let msg = alert_msg(
                                session_id,
                                alert_id,
                                event_id,
                                &p,
                                jobs[ji].received_ms,
                                now,
                            );
                            let _ = bus.send(Arc::new(msg));
                        }
                    }
                    per_job[ji].push(EventOutcome {
                        key: p.key,
                        event_id: o.event_id,
                        duplicate: o.event_id.is_none(),
                        alert_id: o.alert_id,
                        decision: p.decision,
                    });
                }
                metrics::counter!("liveguard_live_events_total").increment(n as u64);
                for ((job, outcomes), refusal) in jobs.into_iter().zip(per_job).zip(refused) {
                    let _ = job.reply.send(match refusal {
                        Some(e) => Err(e),
                        None => Ok(outcomes),
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, events = rows.len(), "Storing live events failed; the batches are refused and may be re-sent.");
                metrics::counter!("liveguard_live_batches_refused_total", "reason" => "database")
                    .increment(jobs.len() as u64);
                // The monitors advanced past events that were not stored: rebuild them.
                for job in &jobs {
                    monitors.remove(&job.session_id);
                }
                for (job, refusal) in jobs.into_iter().zip(refused) {
                    let _ = job.reply.send(Err(refusal.unwrap_or_else(|| {
                        ApiError::Unavailable(
                            "the database did not take the events; nothing of this batch was stored — re-send it".into(),
                        )
                    })));
                }
            }
        }
    }
}

/// A worker's console message as it crosses NATS.
fn console_payload(msg: &LiveMsg) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"kind": msg.kind, "routine_comment": msg.routine_comment, "json": msg.json}),
    )
    .expect("JSON values serialize")
}

fn console_msg(session_id: i64, payload: &[u8]) -> Option<LiveMsg> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let kind = match v["kind"].as_str()? {
        "event" => "event",
        "alert" => "alert",
        "alert_update" => "alert_update",
        _ => return None,
    };
    Some(LiveMsg {
        session_id,
        kind,
        routine_comment: v["routine_comment"].as_bool().unwrap_or(false),
        json: v["json"].as_str()?.to_string(),
    })
}

/// `liveguard worker`: pulls batches from the shared durable consumer, screens them with
/// per-session monitors, stores them, tells consoles, and acknowledges each message only
/// after its events are committed (a failed write asks for re-delivery). Runs until `stop`
/// turns true. Several workers may run at once on several machines.
pub async fn run_nats_worker(
    state: crate::AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let nats = state
        .live
        .nats()
        .ok_or("live.nats_url is not set: a worker needs NATS (--nats nats://host:4222)")?
        .clone();
    let worker = nats
        .worker(&state.settings.live.nats_durable)
        .await
        .map_err(|e| e.to_string())?;
    let ctx = WorkerCtx {
        store: state.store.clone(),
        screen: state.screen.clone(),
        pseudonym_key: state.live.pseudonym_key.clone(),
    };
    let mut monitors: HashMap<i64, Monitor> = HashMap::new();
    let mut scratch = Scratch::default();
    tracing::info!(durable = %state.settings.live.nats_durable, "Worker started.");
    loop {
        let deliveries = tokio::select! {
            _ = stop.changed() => return Ok(()),
            d = worker.next_batches(64, Duration::from_millis(500)) => d,
        };
        let deliveries = match deliveries {
            Ok(d) if d.is_empty() => continue,
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "Fetching from NATS failed; retrying.");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let screen = ctx.screen.load();
        let mut rows = Vec::new();
        let mut owners: Vec<(i64, i64, Processed)> = Vec::new();
        let mut keep = Vec::with_capacity(deliveries.len());
        let mut refreshed = std::collections::HashSet::new();
        let mut failed = false;
        for d in deliveries {
            let batch: NatsBatch = match serde_json::from_slice(d.payload()) {
                Ok(b) => b,
                Err(e) => {
                    // Not ours to retry: it can never parse. Logged and removed.
                    tracing::error!(error = %e, "A live batch on NATS is not valid JSON; dropped.");
                    let _ = d.ack().await;
                    continue;
                }
            };
            let monitor = match monitors.entry(batch.session_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    match load_monitor(&ctx, batch.session_id).await {
                        Ok(m) => {
                            refreshed.insert(batch.session_id);
                            v.insert(m)
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, session = batch.session_id, "Loading a session failed; the batch will be re-delivered.");
                            failed = true;
                            keep.push(d);
                            break;
                        }
                    }
                }
            };
            // Other workers may have moved the product card: take it from the database
            // once per fetch.
            if refreshed.insert(batch.session_id)
                && let Err(e) = restore_card(&ctx.store, batch.session_id, monitor).await
            {
                tracing::warn!(error = %e, session = batch.session_id, "Re-reading the product card failed; the card this worker knows is used.");
            }
            refresh_lotteries(&ctx.store, batch.session_id, monitor, &batch.events).await;
            for ev in &batch.events {
                if liveguard_live::validate(ev).is_err() {
                    continue;
                }
                let p = monitor.process(&screen, &mut scratch, ev);
                rows.push(ingest_row(batch.session_id, batch.received_ms, &p));
                owners.push((batch.session_id, batch.received_ms, p));
            }
            keep.push(d);
        }
        let stored = if failed {
            Err(())
        } else {
            ctx.store.ingest_live(&rows).await.map_err(|e| {
                tracing::warn!(error = %e, events = rows.len(), "Storing live events failed; the batches will be re-delivered.");
            })
        };
        match stored {
            Ok(outcomes) => {
                let now = ctx.store.now_ms();
                for ((session_id, received_ms, p), o) in owners.into_iter().zip(outcomes) {
                    let Some(event_id) = o.event_id else { continue };
                    let msg = event_msg(session_id, event_id, &p);
                    nats.publish_console(session_id, console_payload(&msg))
                        .await;
                    if let Some(alert_id) = o.alert_id {
                        let msg = alert_msg(session_id, alert_id, event_id, &p, received_ms, now);
                        nats.publish_console(session_id, console_payload(&msg))
                            .await;
                    }
                }
                metrics::counter!("liveguard_live_events_total").increment(rows.len() as u64);
                for d in keep {
                    if let Err(e) = d.ack().await {
                        // Stored but not acknowledged: it comes again and is skipped as a duplicate.
                        tracing::warn!(error = %e, "Acknowledging a stored batch failed.");
                    }
                }
            }
            Err(()) => {
                monitors.clear();
                for d in keep {
                    let _ = d.retry_later(Duration::from_secs(1)).await;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: &str) -> EventIn {
        serde_json::from_value(json!({"key": key, "kind": "transcript", "at_ms": 1_764_590_400_000i64, "text": "欢迎"})).unwrap()
    }

    #[tokio::test]
    async fn a_full_queue_refuses_the_batch_whole_and_says_so() {
        // A hub whose worker is stalled: nothing drains the queue of one batch.
        let (tx, mut rx) = mpsc::channel(1);
        let (bus, _) = broadcast::channel(4);
        let hub = Arc::new(LiveHub {
            tx,
            bus,
            settings: LiveSettings {
                queue_batches: 1,
                ..LiveSettings::default()
            },
            nats: None,
            pseudonym_key: Arc::from(&b"k"[..]),
        });
        let first = {
            let hub = hub.clone();
            tokio::spawn(async move { hub.submit(1, vec![event("a")], 0).await })
        };
        while hub.tx.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = hub.submit(1, vec![event("b")], 0).await.unwrap_err();
        assert!(matches!(refused, ApiError::Busy(_)), "{refused:?}");
        assert_eq!(refused.parts().1, "queue_full");
        assert!(refused.to_string().contains("re-send"));
        // The queued batch is still there, whole, for the worker.
        let job = rx.recv().await.unwrap();
        assert_eq!(job.events.len(), 1);
        assert_eq!(job.events[0].key, "a");
        let _ = job.reply.send(Ok(Vec::new()));
        assert!(matches!(first.await.unwrap().unwrap(), Submitted::Stored(v) if v.is_empty()));
        // A stopped pipeline is unavailable, not silently accepting.
        drop(rx);
        let gone = hub.submit(1, vec![event("c")], 0).await.unwrap_err();
        assert!(matches!(gone, ApiError::Unavailable(_)));
    }

    #[test]
    fn console_messages_survive_the_trip_through_nats() {
        let screen = crate::default_screen().unwrap().load();
        let mut m = Monitor::new(&screen, None, vec![], b"k");
        let p = m.process(
            &screen,
            &mut Scratch::default(),
            &serde_json::from_value(json!({"key": "k", "kind": "comment", "at_ms": 1_764_590_400_000i64, "user_id": "u", "text": "加微信聊"})).unwrap(),
        );
        for sent in [event_msg(4, 17, &p), alert_msg(4, 9, 17, &p, 100, 160)] {
            let got = console_msg(4, &console_payload(&sent)).expect("parses");
            assert_eq!(
                (got.session_id, got.kind, got.routine_comment),
                (4, sent.kind, sent.routine_comment)
            );
            assert_eq!(got.json, sent.json);
        }
        let alert: Value = serde_json::from_str(&alert_msg(4, 9, 17, &p, 100, 160).json).unwrap();
        assert_eq!(
            (
                alert["id"].as_i64(),
                alert["event_id"].as_i64(),
                alert["received_ms"].as_i64()
            ),
            (Some(9), Some(17), Some(100))
        );
        assert!(
            console_msg(4, br#"{"kind":"shutdown","json":"{}"}"#).is_none(),
            "unknown kinds are dropped"
        );
        assert!(console_msg(4, b"not json").is_none());
    }

    #[test]
    fn the_summary_names_the_most_serious_finding() {
        let screen = crate::default_screen().unwrap().load();
        let mut m = Monitor::new(&screen, None, vec![], b"k");
        let p = m.process(
            &screen,
            &mut Scratch::default(),
            &serde_json::from_value(json!({"key": "k", "kind": "comment", "at_ms": 1_764_590_400_000i64, "user_id": "u", "text": "加微信聊"})).unwrap(),
        );
        assert!(summary(&p).starts_with("offplatform/"), "{}", summary(&p));
    }
}
