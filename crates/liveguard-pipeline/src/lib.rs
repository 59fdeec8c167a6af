//! The live pipeline: one bounded queue of event batches, a worker that screens them with
//! each session's [`liveguard_live::Monitor`] and writes them in grouped transactions, and a
//! broadcast bus that carries stored events and alerts to the consoles. With NATS the queue
//! is a JetStream stream and the workers are `liveguard worker` processes; both workers run
//! the same step, [`Screener::process_batch`].
//!
//! This crate knows nothing of HTTP: it answers with [`PipelineError`], and the server maps
//! that onto its own error type. It reaches the database through the narrow [`LiveStore`]
//! interface (six operations), which [`liveguard_store::Store`] implements.
//!
//! # Guarantees
//! - A batch is acknowledged to its sender only after its events are committed (the
//!   worker replies after the transaction). A refused batch (queue full, database down)
//!   stored nothing and may be re-sent whole; keys make re-sending safe.
//! - The queue has a bound ([`PipelineConfig::queue_batches`]). Its full policy is
//!   *refuse*: [`PipelineError::QueueFull`]. Nothing is dropped silently.
//! - The bus is lossy by design (a console that falls behind gets a `lagged` message and
//!   reloads from the database); the database is the record.

mod error;
mod hub;
mod messages;
mod nats_worker;
mod snapshot;
mod step;
mod store;

pub use error::PipelineError;
pub use hub::{LiveHub, Submitted};
pub use messages::{LiveMsg, alert_msg, console_msg, console_payload, event_msg, summary};
pub use nats_worker::{connect_nats, run_nats_worker};
pub use snapshot::{ScriptRef, SessionSnapshot};
pub use step::{Batch, EventOutcome, Screener, StoredEvent};
pub use store::LiveStore;

use std::sync::Arc;

use liveguard_screen::SharedScreen;

/// What a worker needs: the store, the engine and the key of the viewer pseudonyms.
#[derive(Clone)]
pub struct WorkerCtx<S> {
    /// The database, through the pipeline's narrow interface.
    pub store: S,
    /// The screening engine (swappable while running).
    pub screen: Arc<SharedScreen>,
    /// Keys the viewer pseudonyms; every worker of a deployment has the same.
    pub pseudonym_key: Arc<[u8]>,
}

/// The pipeline's settings (from the server's `[live]` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Bound of the in-process queue, in batches.
    pub queue_batches: usize,
    /// Most events in one posted batch.
    pub batch_events_max: usize,
    /// Most events one transaction writes (several batches grouped).
    pub commit_events_max: usize,
    /// The JetStream transport; `None` = the in-process queue.
    pub nats: Option<NatsConfig>,
}

/// Where and how the JetStream transport runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// `nats://host:4222`.
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// Subject prefix.
    pub prefix: String,
    /// Most bytes the stream keeps.
    pub max_bytes: i64,
    /// The workers' shared durable consumer.
    pub durable: String,
}

impl NatsConfig {
    /// The transport's bus settings.
    pub fn bus_config(&self) -> liveguard_nats::BusConfig {
        liveguard_nats::BusConfig {
            stream: self.stream.clone(),
            prefix: self.prefix.clone(),
            max_bytes: self.max_bytes,
            ..liveguard_nats::BusConfig::default_config()
        }
    }
}
