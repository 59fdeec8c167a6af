//! Retention: live records purged after their date (never under legal hold), winners'
//! delivery data erased once its purpose is over.

use crate::AppState;
use crate::jobs::JobError;

/// Deletes the records of ended sessions whose retention date has passed (not under legal
/// hold), at most ten sessions a pass; returns the sessions purged.
pub async fn purge_expired(state: &AppState) -> Result<Vec<i64>, JobError> {
    let audit =
        liveguard_store::AuditDraft::new("system", "system", "live.session.purge", "live_session");
    Ok(state.store.purge_expired_live(10, audit).await?)
}

/// Erases the delivery data of closed claims past their erase date (run periodically).
pub async fn erase_personal_data(state: &AppState) -> Result<u64, JobError> {
    let audit = liveguard_store::AuditDraft::new(
        "system",
        "system",
        "lottery.personal_erase",
        "lottery_claim",
    )
    .reason("delivery data erased: the claim is closed and its retention has passed");
    Ok(state.store.erase_lottery_personal_data(500, audit).await?)
}
