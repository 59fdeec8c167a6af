//! NATS JetStream transport of live events, for deployments that outgrow one machine.
//!
//! # Overview
//! The server publishes each accepted batch of live events to the stream [`STREAM`]
//! (subjects `liveguard.live.batches.<session>`) and answers its sender once JetStream has
//! stored it. `liveguard worker` processes pull from one durable consumer ([`DURABLE`]), so
//! several workers on several machines share the load; a worker acknowledges a message only
//! after the events in it are committed to the database, so a worker killed mid-batch leaves
//! the message to be delivered again (at least once), and the store's idempotent writes make
//! that harmless. Workers tell consoles what they stored on plain NATS subjects
//! (`liveguard.live.console.<session>`, lossy like the in-process bus).
//!
//! # Bounds and full policies
//! - The stream keeps at most [`BusConfig::max_bytes`] bytes (default 1 GiB) with the
//!   *discard new* policy: when full, a publish is refused and the sender gets an error (the
//!   server answers 503); nothing stored is dropped.
//! - The consumer hands out at most [`BusConfig::max_ack_pending`] unacknowledged messages;
//!   a message not acknowledged within [`BusConfig::ack_wait`] is delivered again.
//!
//! This crate knows bytes and subjects only; the event schema lives in `liveguard-live`.
#![deny(missing_docs)]

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;

/// Default stream name.
pub const STREAM: &str = "LIVEGUARD_LIVE";
/// Default durable consumer shared by the workers.
pub const DURABLE: &str = "liveguard-workers";

/// Transport errors; the message names what failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NatsError {
    /// Could not connect to the server.
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        /// The URL.
        url: String,
        /// Why.
        source: async_nats::ConnectError,
    },
    /// JetStream refused or failed an operation.
    #[error("NATS JetStream {what}: {detail}")]
    JetStream {
        /// What was being done.
        what: &'static str,
        /// What went wrong.
        detail: String,
    },
}

fn js_err(what: &'static str) -> impl Fn(&dyn std::fmt::Display) -> NatsError {
    move |e| NatsError::JetStream {
        what,
        detail: e.to_string(),
    }
}

/// Stream and consumer settings.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// Stream name.
    pub stream: String,
    /// Subject prefix; batches go to `<prefix>.batches.<session>`, console messages to
    /// `<prefix>.console.<session>`.
    pub prefix: String,
    /// Most bytes the stream keeps (discard-new when full).
    pub max_bytes: i64,
    /// Re-delivery after this long without an acknowledgement.
    pub ack_wait: Duration,
    /// Most messages handed out and not yet acknowledged, across all workers.
    pub max_ack_pending: i64,
    /// Window in which a re-published batch with the same id is dropped by JetStream.
    pub duplicate_window: Duration,
}

impl BusConfig {
    /// The production defaults: `LIVEGUARD_LIVE`, `liveguard.live`, 1 GiB, 30 s, 1,024
    /// messages, 2 minutes.
    pub fn default_config() -> BusConfig {
        BusConfig {
            stream: STREAM.into(),
            prefix: "liveguard.live".into(),
            max_bytes: 1 << 30,
            ack_wait: Duration::from_secs(30),
            max_ack_pending: 1024,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// A connection to NATS with the live stream ensured.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: stream::Stream,
    config: BusConfig,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("stream", &self.config.stream)
            .finish_non_exhaustive()
    }
}

/// One delivered batch; acknowledge it after its events are committed.
#[derive(Debug)]
pub struct Delivery {
    message: jetstream::Message,
}

impl Delivery {
    /// The bytes that were published.
    pub fn payload(&self) -> &[u8] {
        &self.message.payload
    }

    /// The session id from the subject, if it has one.
    pub fn session(&self) -> Option<i64> {
        self.message.subject.rsplit('.').next()?.parse().ok()
    }

    /// How many times JetStream has delivered this message (1 the first time).
    pub fn delivered(&self) -> i64 {
        self.message.info().map(|i| i.delivered).unwrap_or(1)
    }

    /// Acknowledges (the message is done) and waits for JetStream to confirm.
    pub async fn ack(self) -> Result<(), NatsError> {
        self.message
            .double_ack()
            .await
            .map_err(|e| js_err("ack")(&e))
    }

    /// Asks for re-delivery after `delay` (the batch could not be stored now).
    pub async fn retry_later(self, delay: Duration) -> Result<(), NatsError> {
        self.message
            .ack_with(jetstream::AckKind::Nak(Some(delay)))
            .await
            .map_err(|e| js_err("nak")(&e))
    }
}

/// A worker's handle on the durable consumer.
#[derive(Debug)]
pub struct Worker {
    consumer: consumer::Consumer<consumer::pull::Config>,
}

impl Worker {
    /// Waits up to `wait` for at most `max` batches.
    pub async fn next_batches(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, NatsError> {
        let mut batch = self
            .consumer
            .batch()
            .max_messages(max)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| js_err("fetch")(&e))?;
        let mut out = Vec::new();
        while let Some(m) = batch.next().await {
            match m {
                Ok(message) => out.push(Delivery { message }),
                Err(e) => return Err(js_err("fetch")(&e)),
            }
        }
        Ok(out)
    }
}

impl Bus {
    /// Connects and creates the stream if it does not exist.
    pub async fn connect(url: &str, config: BusConfig) -> Result<Bus, NatsError> {
        let client = async_nats::ConnectOptions::new()
            .name("liveguard")
            .connect(url)
            .await
            .map_err(|source| NatsError::Connect {
                url: url.to_string(),
                source,
            })?;
        let js = jetstream::new(client.clone());
        let stream = js
            .get_or_create_stream(stream::Config {
                name: config.stream.clone(),
                subjects: vec![format!("{}.batches.>", config.prefix)],
                max_bytes: config.max_bytes,
                discard: stream::DiscardPolicy::New,
                storage: stream::StorageType::File,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(|e| js_err("create stream")(&e))?;
        Ok(Bus {
            client,
            js,
            stream,
            config,
        })
    }

    /// Publishes one batch for `session` and waits until JetStream has stored it. `id`
    /// identifies the batch: a second publish with the same id inside the duplicate window
    /// is dropped by JetStream.
    pub async fn publish_batch(
        &self,
        session: i64,
        id: &str,
        payload: Vec<u8>,
    ) -> Result<(), NatsError> {
        let subject = format!("{}.batches.{session}", self.config.prefix);
        self.js
            .send_publish(
                subject,
                jetstream::message::PublishMessage::build()
                    .payload(payload.into())
                    .message_id(id),
            )
            .await
            .map_err(|e| js_err("publish")(&e))?
            .await
            .map_err(|e| js_err("publish ack")(&e))?;
        Ok(())
    }

    /// Joins the durable consumer `durable` (created on first use).
    pub async fn worker(&self, durable: &str) -> Result<Worker, NatsError> {
        let consumer = self
            .stream
            .get_or_create_consumer(
                durable,
                consumer::pull::Config {
                    durable_name: Some(durable.to_string()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: self.config.ack_wait,
                    max_ack_pending: self.config.max_ack_pending,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| js_err("create consumer")(&e))?;
        Ok(Worker { consumer })
    }

    /// Sends a console message about `session` (fire and forget).
    pub async fn publish_console(&self, session: i64, payload: Vec<u8>) {
        let _ = self
            .client
            .publish(
                format!("{}.console.{session}", self.config.prefix),
                payload.into(),
            )
            .await;
    }

    /// Subscribes to every session's console messages: (session, payload).
    pub async fn console(
        &self,
    ) -> Result<impl futures_util::Stream<Item = (i64, Vec<u8>)> + use<>, NatsError> {
        let sub = self
            .client
            .subscribe(format!("{}.console.*", self.config.prefix))
            .await
            .map_err(|e| js_err("subscribe")(&e))?;
        Ok(sub.filter_map(|m| async move {
            let session = m.subject.rsplit('.').next()?.parse().ok()?;
            Some((session, m.payload.to_vec()))
        }))
    }

    /// Messages waiting in the stream (published, not yet removed).
    pub async fn stored_messages(&self) -> Result<u64, NatsError> {
        let mut s = self.stream.clone();
        let info = s.info().await.map_err(|e| js_err("stream info")(&e))?;
        Ok(info.state.messages)
    }

    /// Deletes the stream (tests use their own stream names and remove them).
    pub async fn delete_stream(&self) -> Result<(), NatsError> {
        self.js
            .delete_stream(&self.config.stream)
            .await
            .map_err(|e| js_err("delete stream")(&e))?;
        Ok(())
    }

    /// Flushes pending publishes to the server.
    pub async fn flush(&self) -> Result<(), NatsError> {
        self.client.flush().await.map_err(|e| js_err("flush")(&e))
    }
}

#[cfg(test)]
mod tests;
