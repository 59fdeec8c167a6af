//! The pipeline's entry in the server: the bounded queue and the in-process worker, or the
//! JetStream stream; and the console bus.

use std::sync::Arc;

use liveguard_live::EventIn;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::messages::{alert_msg, console_msg, event_msg};
use crate::{
    Batch, EventOutcome, LiveMsg, LiveStore, PipelineConfig, PipelineError, Screener, WorkerCtx,
};

struct Job {
    batch: Batch,
    reply: oneshot::Sender<Result<Vec<EventOutcome>, PipelineError>>,
}

/// The pipeline's entry: the queue sender (or the NATS stream) and the console bus.
pub struct LiveHub {
    tx: mpsc::Sender<Job>,
    /// Stored events and alerts, for consoles.
    pub bus: broadcast::Sender<Arc<LiveMsg>>,
    config: PipelineConfig,
    /// The JetStream transport, when configured.
    nats: Option<liveguard_nats::Bus>,
}

/// What became of a submitted batch.
#[derive(Debug)]
pub enum Submitted {
    /// Stored by the in-process worker.
    Stored(Vec<EventOutcome>),
    /// Durably queued in JetStream for the workers (this many events).
    Queued(usize),
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub")
            .field("queue_free", &self.tx.capacity())
            .finish_non_exhaustive()
    }
}

impl LiveHub {
    /// Starts the in-process worker on the current runtime, or, with NATS configured,
    /// connects to it and forwards the workers' console messages to the bus.
    pub async fn start<S: LiveStore>(
        ctx: WorkerCtx<S>,
        config: PipelineConfig,
    ) -> Result<Arc<LiveHub>, PipelineError> {
        let (tx, rx) = mpsc::channel(config.queue_batches);
        let (bus, _) = broadcast::channel(4096);
        let nats = match &config.nats {
            None => None,
            Some(n) => Some(crate::connect_nats(n).await?),
        };
        let hub = Arc::new(LiveHub {
            tx,
            bus: bus.clone(),
            config: config.clone(),
            nats: nats.clone(),
        });
        match nats {
            None => {
                tokio::spawn(run_worker(
                    Screener::new(ctx),
                    rx,
                    bus,
                    config.commit_events_max,
                ));
            }
            Some(nats) => {
                let mut console = Box::pin(
                    nats.console()
                        .await
                        .map_err(|e| PipelineError::Nats(e.to_string()))?,
                );
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
        self.config.batch_events_max
    }

    /// Queues a batch: in process, waits until it is stored; with NATS, until JetStream has
    /// stored it for the workers.
    pub async fn submit(
        &self,
        session_id: i64,
        events: Vec<EventIn>,
        received_ms: i64,
    ) -> Result<Submitted, PipelineError> {
        let batch = Batch {
            session_id,
            received_ms,
            events,
        };
        if let Some(nats) = &self.nats {
            let n = batch.events.len();
            // Re-sending the same batch inside the duplicate window is dropped by JetStream;
            // after it, the workers' idempotent writes drop it.
            let id = format!(
                "{session_id}:{}:{}:{n}",
                batch.events.first().map(|e| e.key.as_str()).unwrap_or(""),
                batch.events.last().map(|e| e.key.as_str()).unwrap_or("")
            );
            let payload = serde_json::to_vec(&batch).expect("batches serialise");
            nats.publish_batch(session_id, &id, payload)
                .await
                .map_err(|e| {
                    metrics::counter!("liveguard_live_batches_refused_total", "reason" => "nats")
                        .increment(1);
                    PipelineError::StreamRefused(e.to_string())
                })?;
            return Ok(Submitted::Queued(n));
        }
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Job { batch, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => {
                    metrics::counter!("liveguard_live_batches_refused_total", "reason" => "queue_full")
                        .increment(1);
                    PipelineError::QueueFull(self.config.queue_batches)
                }
                mpsc::error::TrySendError::Closed(_) => PipelineError::Stopped,
            })?;
        metrics::gauge!("liveguard_live_queue_batches")
            .set((self.config.queue_batches - self.tx.capacity()) as f64);
        let outcomes = rx.await.map_err(|_| PipelineError::Stopped)??;
        Ok(Submitted::Stored(outcomes))
    }

    /// Publishes a change (of an alert or a session) to consoles.
    pub fn publish(&self, session_id: i64, kind: &'static str, json: Value) {
        let _ = self.bus.send(Arc::new(LiveMsg {
            session_id,
            kind,
            routine_comment: false,
            json: json.to_string(),
        }));
    }
}

/// The in-process worker: takes as many queued batches as fit one transaction, runs the
/// shared step on them, tells consoles, and answers each sender.
async fn run_worker<S: LiveStore>(
    mut screener: Screener<S>,
    mut rx: mpsc::Receiver<Job>,
    bus: broadcast::Sender<Arc<LiveMsg>>,
    commit_max: usize,
) {
    while let Some(first) = rx.recv().await {
        let mut n = first.batch.events.len();
        let mut jobs = vec![first];
        while n < commit_max {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.batch.events.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let batches: Vec<&Batch> = jobs.iter().map(|j| &j.batch).collect();
        let results = screener.process_batch(&batches).await;
        let now = screener.store().now_ms();
        for (job, result) in jobs.into_iter().zip(results) {
            let reply = result.map(|stored| {
                let b = &job.batch;
                for s in &stored {
                    let Some(event_id) = s.event_id else { continue };
                    // Building messages nobody listens to is skipped.
                    if bus.receiver_count() > 0 {
                        let _ = bus.send(Arc::new(event_msg(b.session_id, event_id, &s.processed)));
                    }
                    if let Some(alert_id) = s.alert_id {
                        let msg = alert_msg(
                            b.session_id,
                            alert_id,
                            event_id,
                            &s.processed,
                            b.received_ms,
                            now,
                        );
                        let _ = bus.send(Arc::new(msg));
                    }
                }
                stored.into_iter().map(EventOutcome::from).collect()
            });
            if matches!(reply, Err(PipelineError::NotStored)) {
                metrics::counter!("liveguard_live_batches_refused_total", "reason" => "database")
                    .increment(1);
            }
            let _ = job.reply.send(reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            config: PipelineConfig {
                queue_batches: 1,
                batch_events_max: 10,
                commit_events_max: 10,
                nats: None,
            },
            nats: None,
        });
        let first = {
            let hub = hub.clone();
            tokio::spawn(async move { hub.submit(1, vec![event("a")], 0).await })
        };
        while hub.tx.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = hub.submit(1, vec![event("b")], 0).await.unwrap_err();
        assert!(
            matches!(refused, PipelineError::QueueFull(1)),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("re-send"));
        // The queued batch is still there, whole, for the worker.
        let job = rx.recv().await.unwrap();
        assert_eq!(job.batch.events.len(), 1);
        assert_eq!(job.batch.events[0].key, "a");
        let _ = job.reply.send(Ok(Vec::new()));
        assert!(matches!(first.await.unwrap().unwrap(), Submitted::Stored(v) if v.is_empty()));
        // A stopped pipeline is unavailable, not silently accepting.
        drop(rx);
        let gone = hub.submit(1, vec![event("c")], 0).await.unwrap_err();
        assert!(matches!(gone, PipelineError::Stopped));
    }
}
