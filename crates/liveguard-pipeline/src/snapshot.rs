//! What a live session was approved with.

use liveguard_live::LineupEntry;
use serde::{Deserialize, Serialize};

/// What a session was approved with, snapshotted when it is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
