//! Escalation of live alerts nobody acknowledged in time.

use crate::AppState;
use crate::features::live::service::alert_json;
use crate::jobs::JobError;

/// Escalates open `block` alerts not acknowledged within `live.escalate_after_seconds`,
/// every few seconds, until `stop` turns true.
pub(crate) async fn run_escalator(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = std::time::Duration::from_secs(5);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = escalate_overdue(&state).await {
            tracing::warn!(error = %e, "Escalating overdue live alerts failed; will retry.");
        }
    }
}

/// One escalation pass (at most 500 alerts, one transaction); returns how many alerts were
/// escalated.
pub async fn escalate_overdue(state: &AppState) -> Result<usize, JobError> {
    let after = state.settings.live.escalate_after_seconds;
    let cutoff = state.store.now().plus(time::Duration::seconds(-after));
    let audit =
        liveguard_store::AuditDraft::new("system", "system", "live.alert.escalate", "live_alert")
            .reason(format!(
                "block alert not acknowledged within {after} s; escalated to the compliance lead"
            ));
    let rows = state.store.escalate_live_alerts(cutoff, 500, audit).await?;
    for row in &rows {
        state
            .live
            .publish(row.session_id, "alert_update", alert_json(row));
    }
    Ok(rows.len())
}
