//! `liveguard worker`: the scale-out worker on a shared JetStream consumer.

use std::time::Duration;

use crate::messages::{alert_msg, console_payload, event_msg};
use crate::{Batch, LiveStore, NatsConfig, PipelineError, Screener, WorkerCtx};

/// Connects to the JetStream transport (creating the stream if needed).
pub async fn connect_nats(config: &NatsConfig) -> Result<liveguard_nats::Bus, PipelineError> {
    liveguard_nats::Bus::connect(&config.url, config.bus_config())
        .await
        .map_err(|e| PipelineError::Nats(e.to_string()))
}

/// Pulls batches from the shared durable consumer, screens and stores them with the shared
/// step, tells consoles through NATS, and acknowledges each message only after its events
/// are committed (a batch that was not stored is asked to be re-delivered). Runs until
/// `stop` turns true. Several workers may run at once on several machines.
pub async fn run_nats_worker<S: LiveStore>(
    ctx: WorkerCtx<S>,
    nats: liveguard_nats::Bus,
    durable: &str,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), PipelineError> {
    let worker = nats
        .worker(durable)
        .await
        .map_err(|e| PipelineError::Nats(e.to_string()))?;
    let mut screener = Screener::shared(ctx);
    tracing::info!(durable = %durable, "Worker started.");
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
        let mut batches = Vec::with_capacity(deliveries.len());
        let mut kept = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            match serde_json::from_slice::<Batch>(d.payload()) {
                Ok(b) => {
                    batches.push(b);
                    kept.push(d);
                }
                Err(e) => {
                    // Not ours to retry: it can never parse. Logged and removed.
                    tracing::error!(error = %e, "A live batch on NATS is not valid JSON; dropped.");
                    let _ = d.ack().await;
                }
            }
        }
        let refs: Vec<&Batch> = batches.iter().collect();
        let results = screener.process_batch(&refs).await;
        let now = screener.store().now_ms();
        let mut write_failed = false;
        for ((batch, d), result) in batches.iter().zip(kept).zip(results) {
            match result {
                Ok(stored) => {
                    for s in &stored {
                        let Some(event_id) = s.event_id else { continue };
                        let msg = event_msg(batch.session_id, event_id, &s.processed);
                        nats.publish_console(batch.session_id, console_payload(&msg))
                            .await;
                        if let Some(alert_id) = s.alert_id {
                            let msg = alert_msg(
                                batch.session_id,
                                alert_id,
                                event_id,
                                &s.processed,
                                batch.received_ms,
                                now,
                            );
                            nats.publish_console(batch.session_id, console_payload(&msg))
                                .await;
                        }
                    }
                    if let Err(e) = d.ack().await {
                        // Stored but not acknowledged: it comes again and is skipped as a duplicate.
                        tracing::warn!(error = %e, "Acknowledging a stored batch failed.");
                    }
                }
                Err(e) => {
                    if matches!(e, PipelineError::NotStored) {
                        write_failed = true;
                    } else {
                        tracing::warn!(error = %e, session = batch.session_id, "Loading a session failed; the batch will be re-delivered.");
                    }
                    let _ = d.retry_later(Duration::from_secs(1)).await;
                }
            }
        }
        if write_failed {
            screener.forget_all();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
