//! The consumer desk's clock sweep: every `complaints.sweep_seconds`, each running clock
//! whose warning share or due time has passed gets its `desk.clock.warn` or
//! `desk.clock.breach` audit entry (once). A breach is the escalation: the compliance lead
//! sees it in the notifications and the webhooks carry it (`desk.clock.breach`).

use crate::AppState;
use crate::jobs::JobError;

/// How often rising complaints are looked for.
const RISES_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Reports each product and live session whose complaints are rising (see
/// `liveguard_desk::case::rising`) as one `desk.rising` audit entry a day on `product:<id>` or
/// `live_session:<id>`: the compliance lead's notifications show it. Returns how many.
pub async fn report_rises(state: &AppState) -> Result<usize, JobError> {
    const DAY_MS: i64 = 86_400_000;
    let now = state.store.now();
    let day_ago = liveguard_store::Stamp::from_ms(now.ms() - DAY_MS);
    let week_before = liveguard_store::Stamp::from_ms(now.ms() - 8 * DAY_MS);
    let last_day = state.store.desk_counts_between(day_ago, now).await?;
    let before = state
        .store
        .desk_counts_between(week_before, day_ago)
        .await?;
    let mut reported = 0;
    for (what, id, n) in last_day {
        let usual = before
            .iter()
            .find(|(w, i, _)| *w == what && *i == id)
            .map(|x| x.2)
            .unwrap_or(0);
        if !liveguard_desk::case::rising(n, usual, state.settings.complaints.rising_min) {
            continue;
        }
        let object = if what == "product" {
            format!("product:{id}")
        } else {
            format!("live_session:{id}")
        };
        let already = state
            .store
            .audit_search(&liveguard_store::AuditFilter {
                action: Some("desk.rising".into()),
                actor: None,
                object_prefix: Some(object.clone()),
                before_seq: None,
                from: Some(day_ago),
                until: None,
                limit: 5,
            })
            .await?;
        if already.iter().any(|e| e.object == object) {
            continue;
        }
        let reason = serde_json::json!({"last_day": n, "week_before": usual}).to_string();
        state
            .store
            .append_audit(
                liveguard_store::AuditDraft::new("system", "system", "desk.rising", &object)
                    .reason(reason),
            )
            .await?;
        reported += 1;
    }
    Ok(reported)
}

/// Clock events one transaction records; a pass repeats until fewer are owed.
const BATCH: i64 = 1000;

/// Sweeps until `stop` turns true.
pub(crate) async fn run_desk_sweeper(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = std::time::Duration::from_secs(state.settings.complaints.sweep_seconds.max(1));
    let mut rises_checked: Option<std::time::Instant> = None;
    loop {
        if rises_checked.is_none_or(|t| t.elapsed() >= RISES_EVERY) {
            rises_checked = Some(std::time::Instant::now());
            if let Err(e) = report_rises(&state).await {
                tracing::warn!(error = %e, "Checking for rising complaints failed; will retry.");
            }
        }
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
