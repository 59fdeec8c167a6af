//! The server's side of the live pipeline (which lives in `liveguard-pipeline`): its key
//! file and its settings.

use liveguard_pipeline::{NatsConfig, PipelineConfig};

use crate::settings::LiveSettings;

/// The file in the data directory holding the key of the viewer pseudonyms.
pub const PSEUDONYM_KEY_FILE: &str = "viewer-pseudonym.key";

/// The pipeline's settings from the `[live]` section.
pub fn pipeline_config(s: &LiveSettings) -> PipelineConfig {
    PipelineConfig {
        queue_batches: s.queue_batches,
        batch_events_max: s.batch_events_max,
        commit_events_max: s.commit_events_max,
        nats: (!s.nats_url.is_empty()).then(|| NatsConfig {
            url: s.nats_url.clone(),
            stream: s.nats_stream.clone(),
            prefix: s.nats_prefix.clone(),
            max_bytes: s.nats_max_bytes,
            durable: s.nats_durable.clone(),
        }),
    }
}
