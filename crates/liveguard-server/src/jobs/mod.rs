//! Background work: signed audit checkpoints, webhook delivery, and the housekeeping loop
//! (reviews past their due time marked `review.overdue`, retention purges of live records,
//! erasure of winners' delivery data). Escalation of
//! unacknowledged alerts has its own, faster loop (every 5 s). Each pass answers with
//! [`JobError`].

pub mod checkpoint;
mod desk_sweep;
mod escalation;
mod retention;
pub mod webhook;

pub(crate) use desk_sweep::run_desk_sweeper;
pub use desk_sweep::{report_rises, sweep_desk};
pub use escalation::escalate_overdue;
pub(crate) use escalation::run_escalator;
pub use retention::{erase_personal_data, purge_expired};

/// Why a background pass failed (it is retried on the next tick).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database refused or could not be reached.
    #[error(transparent)]
    Store(#[from] liveguard_store::StoreError),
}

use std::time::Duration;

use crate::AppState;

/// Once a minute until `stop`: marks reviews past their due time, erases winners' delivery
/// data past its date and purges live records past their retention date (all audited as
/// `system`).
pub(crate) async fn run_housekeeping(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(60);
    loop {
        if let Err(e) = crate::features::review::service::mark_overdue(&state).await {
            tracing::warn!(error = %e, "Marking overdue reviews failed; will retry.");
        }
        if let Err(e) = erase_personal_data(&state).await {
            tracing::warn!(error = %e, "Erasing expired winners' delivery data failed; will retry.");
        }
        match purge_expired(&state).await {
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
