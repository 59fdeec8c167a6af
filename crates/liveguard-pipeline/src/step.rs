//! The one step both workers run: screen batches with their sessions' monitors and store
//! them in one transaction.

use std::collections::{HashMap, HashSet};

use liveguard_core::Decision;
use liveguard_live::{EventIn, Monitor, Processed};
use liveguard_screen::Scratch;
use liveguard_store::{IngestRow, NewAlert, NewTask, Stamp};
use serde::{Deserialize, Serialize};

use crate::messages::summary;
use crate::{LiveStore, PipelineError, SessionSnapshot, WorkerCtx};

/// Most sessions whose monitors stay in memory.
const MONITORS_MAX: usize = 10_000;

/// A batch of one session's events, as it is queued (and as it travels through JetStream).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Session.
    pub session_id: i64,
    /// When the server received it (Unix ms).
    pub received_ms: i64,
    /// The validated events.
    pub events: Vec<EventIn>,
}

/// One screened event and what the store made of it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The screened event.
    pub processed: Processed,
    /// The stored event's id; `None` when its key was stored before (a duplicate).
    pub event_id: Option<i64>,
    /// The alert it raised.
    pub alert_id: Option<i64>,
}

/// The outcome of one event of a batch, as the sender is told.
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

impl From<StoredEvent> for EventOutcome {
    fn from(s: StoredEvent) -> Self {
        EventOutcome {
            key: s.processed.key,
            event_id: s.event_id,
            duplicate: s.event_id.is_none(),
            alert_id: s.alert_id,
            decision: s.processed.decision,
        }
    }
}

/// A worker's screening state: one monitor per session (loaded from the database on first
/// use) and the engine's scratch space.
pub struct Screener<S> {
    ctx: WorkerCtx<S>,
    monitors: HashMap<i64, Monitor>,
    scratch: Scratch,
    reread_cards: bool,
}

impl<S: LiveStore> Screener<S> {
    /// A screener for the single in-process worker: it alone moves the product cards.
    pub fn new(ctx: WorkerCtx<S>) -> Self {
        Screener {
            ctx,
            monitors: HashMap::new(),
            scratch: Scratch::default(),
            reread_cards: false,
        }
    }

    /// A screener for one of several workers: since others may have moved a session's
    /// product card, each call re-reads the card of every session it meets once.
    pub fn shared(ctx: WorkerCtx<S>) -> Self {
        Screener {
            reread_cards: true,
            ..Screener::new(ctx)
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.ctx.store
    }

    /// Screens `batches` and stores all of them in one transaction.
    ///
    /// Each batch has its own result, in order: its stored events in order, or why nothing
    /// of it was stored — its session could not be loaded (then no later batch of that
    /// session in this call is screened either), or the write failed
    /// ([`PipelineError::NotStored`] for every batch; the monitors of their sessions are
    /// dropped, since they advanced past unstored events, and are rebuilt from the database
    /// on next use). Events that fail validation are skipped.
    pub async fn process_batch(
        &mut self,
        batches: &[&Batch],
    ) -> Vec<Result<Vec<StoredEvent>, PipelineError>> {
        if self.monitors.len() > MONITORS_MAX {
            self.monitors.clear();
        }
        let screen = self.ctx.screen.load();
        let n: usize = batches.iter().map(|b| b.events.len()).sum();
        let mut rows = Vec::with_capacity(n);
        let mut owners: Vec<(usize, Processed)> = Vec::with_capacity(n);
        let mut results: Vec<Result<Vec<StoredEvent>, PipelineError>> =
            batches.iter().map(|_| Ok(Vec::new())).collect();
        let mut refused_sessions = HashSet::new();
        let mut fresh = HashSet::new();
        for (bi, batch) in batches.iter().enumerate() {
            let sid = batch.session_id;
            if refused_sessions.contains(&sid) {
                results[bi] = Err(PipelineError::NotStored);
                continue;
            }
            if !self.monitors.contains_key(&sid) {
                match load_monitor(&self.ctx, sid).await {
                    Ok(m) => {
                        self.monitors.insert(sid, m);
                        fresh.insert(sid);
                    }
                    Err(e) => {
                        refused_sessions.insert(sid);
                        results[bi] = Err(e);
                        continue;
                    }
                }
            }
            let m = self.monitors.get_mut(&sid).expect("inserted above");
            if self.reread_cards
                && fresh.insert(sid)
                && let Err(e) = restore_card(&self.ctx.store, sid, m).await
            {
                tracing::warn!(error = %e, session = sid, "Re-reading the product card failed; the card this worker knows is used.");
            }
            refresh_lotteries(&self.ctx.store, sid, m, &batch.events).await;
            for ev in &batch.events {
                if liveguard_live::validate(ev).is_err() {
                    continue;
                }
                let p = m.process(&screen, &mut self.scratch, ev);
                rows.push(ingest_row(sid, batch.received_ms, &p));
                owners.push((bi, p));
            }
        }
        let outcomes = match self.ctx.store.ingest_live(&rows).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, events = rows.len(), "Storing live events failed; the batches are refused and may be re-sent.");
                for b in batches {
                    self.monitors.remove(&b.session_id);
                }
                for r in &mut results {
                    if r.is_ok() {
                        *r = Err(PipelineError::NotStored);
                    }
                }
                return results;
            }
        };
        metrics::counter!("liveguard_live_events_total").increment(rows.len() as u64);
        for ((bi, processed), o) in owners.into_iter().zip(outcomes) {
            if let Ok(stored) = &mut results[bi] {
                stored.push(StoredEvent {
                    processed,
                    event_id: o.event_id,
                    alert_id: o.alert_id,
                });
            }
        }
        results
    }

    /// Drops every monitor (they are rebuilt from the database on next use).
    pub fn forget_all(&mut self) {
        self.monitors.clear();
    }
}

/// Loads the monitor of a session from its snapshot, its frozen script and its last card.
async fn load_monitor<S: LiveStore>(
    ctx: &WorkerCtx<S>,
    session_id: i64,
) -> Result<Monitor, PipelineError> {
    let data = ctx.store.session_snapshot(session_id).await?;
    let snap: SessionSnapshot =
        serde_json::from_str(&data).map_err(|e| PipelineError::Snapshot {
            session: session_id,
            message: e.to_string(),
        })?;
    let script = match &snap.script {
        Some(s) => Some(ctx.store.script_text(s.submission_id, s.version).await?),
        None => None,
    };
    let screen = ctx.screen.load();
    let mut m = Monitor::new(&screen, script.as_deref(), snap.lineup, &ctx.pseudonym_key);
    restore_card(&ctx.store, session_id, &mut m).await?;
    Ok(m)
}

/// Puts the product and price of the session's last stored card or price event on the
/// monitor's card (after a restart, or when other workers may have moved it).
async fn restore_card<S: LiveStore>(
    store: &S,
    session_id: i64,
    m: &mut Monitor,
) -> Result<(), PipelineError> {
    if let Some(body) = store.last_card_body(session_id).await?
        && let Ok(p) = serde_json::from_str::<Processed>(&body)
    {
        m.set_card(p.product_id, p.price_fen);
    }
    Ok(())
}

/// Before a batch that announces or opens a lottery, tells the monitor which of the
/// session's lotteries are committed (they may be committed while the session runs).
async fn refresh_lotteries<S: LiveStore>(
    store: &S,
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

fn ingest_row(session_id: i64, received_ms: i64, p: &Processed) -> IngestRow {
    IngestRow {
        session_id,
        key: p.key.clone(),
        kind: p.kind.as_str().into(),
        at_ms: Stamp::from_ms(p.at_ms),
        received_ms: Stamp::from_ms(received_ms),
        decision: p.decision.as_str().into(),
        product_id: p.product_id,
        viewer: p.viewer.clone(),
        body: serde_json::to_string(p).expect("processed events serialise"),
        alert: p.alerts().then(|| NewAlert {
            // An event alerts at review or block; its alert carries that severity.
            severity: match p.decision {
                liveguard_core::Decision::Block => liveguard_core::Severity::Block,
                _ => liveguard_core::Severity::Review,
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    use std::sync::{Arc, Mutex};

    use liveguard_screen::{ScreenBuilder, ScreenConfig, SharedScreen, defaults};
    use liveguard_store::{IngestOutcome, StoreError};
    use serde_json::json;

    /// A store in memory: session 1 exists, the write can be made to fail.
    #[derive(Clone, Default)]
    struct Fake {
        down: Arc<AtomicBool>,
        next_id: Arc<AtomicI64>,
        keys: Arc<Mutex<HashSet<(i64, String)>>>,
        loads: Arc<AtomicI64>,
    }

    impl LiveStore for Fake {
        async fn session_snapshot(&self, session_id: i64) -> Result<String, StoreError> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            match session_id {
                1 | 2 => Ok("{}".into()),
                _ => Err(StoreError::NotFound),
            }
        }
        async fn script_text(&self, _: i64, _: i64) -> Result<String, StoreError> {
            Err(StoreError::NotFound)
        }
        async fn last_card_body(&self, _: i64) -> Result<Option<String>, StoreError> {
            Ok(None)
        }
        async fn committed_lottery_titles(&self, _: i64) -> Result<Vec<String>, StoreError> {
            Ok(Vec::new())
        }
        async fn ingest_live(&self, rows: &[IngestRow]) -> Result<Vec<IngestOutcome>, StoreError> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::Invalid("down".into()));
            }
            let mut keys = self.keys.lock().unwrap();
            Ok(rows
                .iter()
                .map(|r| {
                    if keys.insert((r.session_id, r.key.clone())) {
                        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
                        IngestOutcome {
                            event_id: Some(id),
                            alert_id: r.alert.as_ref().map(|_| id),
                        }
                    } else {
                        IngestOutcome {
                            event_id: None,
                            alert_id: None,
                        }
                    }
                })
                .collect())
        }
        fn now_ms(&self) -> i64 {
            0
        }
    }

    fn screener(store: Fake) -> Screener<Fake> {
        let mut b = ScreenBuilder::new(ScreenConfig::default_config());
        defaults::add_default_packs(&mut b).unwrap();
        Screener::new(WorkerCtx {
            store,
            screen: Arc::new(SharedScreen::new(b.build().unwrap())),
            pseudonym_key: Arc::from(&b"k"[..]),
        })
    }

    fn batch(session_id: i64, keys: &[&str]) -> Batch {
        Batch {
            session_id,
            received_ms: 5,
            events: keys
                .iter()
                .map(|k| serde_json::from_value(json!({"key": k, "kind": "comment", "at_ms": 1_764_590_400_000i64, "user_id": "u", "text": "加微信聊"})).unwrap())
                .collect(),
        }
    }

    #[tokio::test]
    async fn one_step_stores_several_batches_and_refuses_only_the_unknown_session() {
        let store = Fake::default();
        let mut s = screener(store.clone());
        let (a, missing, b, again) = (
            batch(1, &["a1", "a2"]),
            batch(9, &["x"]),
            batch(2, &["b1"]),
            batch(9, &["y"]),
        );
        let r = s.process_batch(&[&a, &missing, &b, &again]).await;
        let a_out = r[0].as_ref().unwrap();
        assert_eq!(a_out.len(), 2);
        assert!(
            a_out
                .iter()
                .all(|e| e.event_id.is_some() && e.alert_id.is_some())
        );
        assert!(matches!(
            r[1],
            Err(PipelineError::Store(StoreError::NotFound))
        ));
        assert_eq!(r[2].as_ref().unwrap().len(), 1);
        assert!(
            matches!(r[3], Err(PipelineError::NotStored)),
            "a later batch of a refused session is not screened"
        );
        // Re-sent keys are duplicates, not new events.
        let r = s.process_batch(&[&a]).await;
        assert!(r[0].as_ref().unwrap().iter().all(|e| e.event_id.is_none()));
    }

    #[tokio::test]
    async fn a_failed_write_refuses_every_batch_and_rebuilds_the_monitors() {
        let store = Fake::default();
        let mut s = screener(store.clone());
        s.process_batch(&[&batch(1, &["a"])]).await;
        let loads = store.loads.load(Ordering::SeqCst);
        store.down.store(true, Ordering::SeqCst);
        let r = s
            .process_batch(&[&batch(1, &["b"]), &batch(2, &["c"])])
            .await;
        assert!(r.iter().all(|r| matches!(r, Err(PipelineError::NotStored))));
        store.down.store(false, Ordering::SeqCst);
        let r = s.process_batch(&[&batch(1, &["b"])]).await;
        assert!(r[0].as_ref().unwrap()[0].event_id.is_some());
        assert!(
            store.loads.load(Ordering::SeqCst) > loads + 1,
            "the monitors that advanced past unstored events were reloaded"
        );
    }
}
