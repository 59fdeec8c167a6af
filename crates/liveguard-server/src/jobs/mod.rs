//! Background work: signed audit checkpoints, webhook delivery, and the housekeeping loop
//! (retention purges of live records, erasure of winners' delivery data). Escalation of
//! unacknowledged alerts has its own, faster loop (every 5 s). Each pass is a function of
//! the feature whose records it changes, re-exported here.

pub mod checkpoint;
pub mod webhook;

/// The passes the loops run, callable one at a time (tests, operators' tools).
pub use crate::features::live::api::{escalate_overdue, purge_expired};
pub use crate::features::lottery::api::erase_personal_data;

use std::time::Duration;

use crate::AppState;

/// Once a minute until `stop`: erases winners' delivery data past its date and purges live
/// records past their retention date (both audited as `system`).
pub(crate) async fn run_housekeeping(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(60);
    loop {
        if let Err(e) = crate::features::lottery::api::erase_personal_data(&state).await {
            tracing::warn!(error = %e, "Erasing expired winners' delivery data failed; will retry.");
        }
        match crate::features::live::api::purge_expired(&state).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(sessions = ?ids, "Purged live records past their retention date.")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Purging expired live records failed; will retry.")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
