//! The pipeline's error type.

use liveguard_store::StoreError;

/// Why the pipeline refused or failed. Every refusal means nothing of the batch was stored.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The in-process queue is full (it holds this many batches).
    #[error(
        "the live ingest queue is full ({0} batches); nothing of this batch was accepted — re-send it after a second"
    )]
    QueueFull(usize),
    /// JetStream did not take the batch.
    #[error(
        "the live stream did not take the batch ({0}); nothing of it was accepted — re-send it"
    )]
    StreamRefused(String),
    /// The worker is gone (the server is stopping).
    #[error("the live pipeline has stopped")]
    Stopped,
    /// The grouped write failed; the batch may be re-sent.
    #[error("the database did not take the events; nothing of this batch was stored — re-send it")]
    NotStored,
    /// Reading what a monitor starts from failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A session's stored snapshot cannot be read.
    #[error("live session {session} snapshot: {message}")]
    Snapshot {
        /// The session.
        session: i64,
        /// What is wrong with it.
        message: String,
    },
    /// Connecting to NATS or setting up the consumer failed.
    #[error("NATS: {0}")]
    Nats(String),
}
