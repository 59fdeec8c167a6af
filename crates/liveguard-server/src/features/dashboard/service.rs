//! The counts behind the dashboard, each only for a person whose role may see its source.

use liveguard_core::SessionState;
use liveguard_review::versions::Urgency;
use liveguard_store::{LiveOpenWork, LiveSessionRow, Stamp};

use crate::AppState;
use crate::features::review::service::{QueueItem, queue};
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;

/// Days the alert trend covers.
pub(crate) const TREND_DAYS: i64 = 7;

/// Today's work of one person.
pub(crate) struct Today {
    /// Submissions pending at a level this person may sign (not their own), soonest due first.
    pub(crate) awaiting_me: Vec<QueueItem>,
    /// Pending submissions past their due time (any level).
    pub(crate) overdue: usize,
    /// This person's own submissions that were returned for changes or are still drafts.
    pub(crate) mine_to_fix: usize,
    /// Submissions by stage code (`draft`, `pending_first`, …, `approved`, `rejected`).
    pub(crate) by_stage: Vec<(&'static str, i64)>,
    /// Open live work, for those who may see live monitoring.
    pub(crate) live: Option<LiveOpenWork>,
    /// Sessions planned or on air, soonest first (for those who may see live monitoring).
    pub(crate) sessions: Vec<LiveSessionRow>,
    /// Alerts per Beijing day over the last [`TREND_DAYS`] days, every day present.
    pub(crate) alerts_per_day: Vec<(Stamp, i64)>,
    /// Prizes drawn and not yet claimed (for those who handle prizes).
    pub(crate) awaiting_claims: Option<i64>,
    /// Notifications addressed to this person that are new since their previous sign-in.
    pub(crate) notifications: Option<usize>,
    /// The consumer desk's counts (for those who may see cases).
    pub(crate) desk: Option<liveguard_store::DeskCounts>,
}

const STAGES: [&str; 6] = [
    "draft",
    "pending_first",
    "pending_second",
    "pending_final",
    "approved",
    "rejected",
];

/// Counts today's work of `p`.
pub(crate) async fn today(state: &AppState, p: &Principal) -> Result<Today, ApiError> {
    let mut t = Today {
        awaiting_me: Vec::new(),
        overdue: 0,
        mine_to_fix: 0,
        by_stage: Vec::new(),
        live: None,
        sessions: Vec::new(),
        alerts_per_day: Vec::new(),
        awaiting_claims: None,
        notifications: None,
        desk: None,
    };
    if p.can(Permission::ViewReviews) {
        let items = queue(state, p).await?;
        t.overdue = items
            .iter()
            .filter(|i| i.urgency == Some(Urgency::Overdue))
            .count();
        t.mine_to_fix = items
            .iter()
            .filter(|i| {
                i.author == p.user.username && matches!(i.stage.as_str(), "draft" | "rejected")
            })
            .count();
        t.by_stage = STAGES
            .iter()
            .map(|s| (*s, items.iter().filter(|i| i.stage == *s).count() as i64))
            .collect();
        let mut mine: Vec<QueueItem> = items.into_iter().filter(|i| i.awaiting_me).collect();
        mine.sort_by(|a, b| a.due.cmp(&b.due));
        t.awaiting_me = mine;
        let since = crate::features::review::service::previous_login(state, p).await?;
        t.notifications = Some(
            crate::features::review::service::notifications_for(state, p)
                .await?
                .iter()
                .filter(|n| since.as_deref().is_none_or(|s| n.time.as_str() > s))
                .count(),
        );
    }
    if p.can(Permission::ViewLive) {
        t.live = Some(state.store.live_open_work().await?);
        let mut sessions: Vec<LiveSessionRow> = state
            .store
            .live_sessions()
            .await?
            .into_iter()
            .filter(|s| s.state != SessionState::Ended)
            .collect();
        sessions.sort_by_key(|s| (s.state != SessionState::Live, s.id));
        t.sessions = sessions;
        t.alerts_per_day = alert_trend(state).await?;
    }
    if p.can(Permission::ViewCases) {
        t.desk = Some(state.store.desk_counts().await?);
    }
    if p.can(Permission::HandlePrizes) {
        t.awaiting_claims = Some(state.store.lottery_claims_awaiting().await?);
    }
    Ok(t)
}

/// Alerts per day over the last [`TREND_DAYS`] Beijing days, today last, days without
/// alerts as zero.
async fn alert_trend(state: &AppState) -> Result<Vec<(Stamp, i64)>, ApiError> {
    const DAY_MS: i64 = 86_400_000;
    const BEIJING_MS: i64 = 8 * 3_600_000;
    let now = state.store.now().ms();
    let today_start = (now + BEIJING_MS).div_euclid(DAY_MS) * DAY_MS - BEIJING_MS;
    let first = today_start - (TREND_DAYS - 1) * DAY_MS;
    let counted = state
        .store
        .live_alerts_per_day(Stamp::from_ms(first))
        .await?;
    Ok((0..TREND_DAYS)
        .map(|d| {
            let day = Stamp::from_ms(first + d * DAY_MS);
            let n = counted
                .iter()
                .find(|(at, _)| *at == day)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (day, n)
        })
        .collect())
}
