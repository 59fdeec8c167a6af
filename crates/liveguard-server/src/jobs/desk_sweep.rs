//! The consumer desk's clock sweep: every `complaints.sweep_seconds`, each running clock
//! whose warning share or due time has passed gets its `desk.clock.warn` or
//! `desk.clock.breach` audit entry (once). A breach is the escalation: the compliance lead
//! sees it in the notifications and the webhooks carry it (`desk.clock.breach`).

use crate::AppState;
use crate::jobs::JobError;

/// Clock events one transaction records; a pass repeats until fewer are owed.
const BATCH: i64 = 1000;

/// Sweeps until `stop` turns true.
pub(crate) async fn run_desk_sweeper(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = std::time::Duration::from_secs(state.settings.complaints.sweep_seconds.max(1));
    loop {
        match sweep_desk(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "Desk clocks: warnings and breaches recorded."),
            Err(e) => tracing::warn!(error = %e, "The desk clock sweep failed; will retry."),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One sweep at the store's now; returns how many clock events it recorded. Each batch is
/// one transaction, so a crash in between loses no event and repeats none.
pub async fn sweep_desk(state: &AppState) -> Result<usize, JobError> {
    let now = state.store.now();
    let mut total = 0;
    loop {
        let hits = state.store.desk_sweep(now, BATCH).await?;
        total += hits.len();
        if (hits.len() as i64) < BATCH {
            return Ok(total);
        }
    }
}
