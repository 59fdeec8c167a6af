//! Master data operations: add live rooms, streamers and session plans (validated;
//! references must exist), and read a stored plan for the review and live features.

use liveguard_core::MasterKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;

/// Most products in one session plan.
pub const LINEUP_MAX: usize = 100;
/// Most streamers in one session plan.
pub const PLAN_STREAMERS_MAX: usize = 20;

pub(crate) fn text(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 || n > max_chars || v.contains(['\n', '\r']) {
        return Err(ApiError::field(
            field,
            format!("must be one line of 1 to {max_chars} characters"),
        ));
    }
    Ok(v.to_string())
}

/// A live room (直播间).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveRoom {
    /// Platform (抖音, 快手, 淘宝直播, 视频号 …).
    pub platform: String,
    /// The room's account name or id on the platform.
    pub account: String,
    /// The operating company (直播间运营者).
    pub operator: String,
}

/// A streamer (主播); real-name and qualification details come with issue 8.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Streamer {
    /// Stage name.
    pub name: String,
    /// Agency (MCN), if any.
    #[serde(default)]
    pub agency: Option<String>,
}

/// One product in a plan's lineup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineupItem {
    /// The product on file.
    pub product_id: i64,
    /// Live price in fen (分).
    pub price_fen: i64,
    /// Promotion as announced (满减, 赠品 …).
    #[serde(default)]
    pub promotion: Option<String>,
}

/// A live session plan (直播排期).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPlan {
    /// Title.
    pub title: String,
    /// Room.
    pub room_id: i64,
    /// Start (RFC 3339).
    pub starts_at: String,
    /// Streamers.
    pub streamer_ids: Vec<i64>,
    /// Products with prices and promotions.
    pub lineup: Vec<LineupItem>,
    /// Whether the session has a lottery (抽奖).
    #[serde(default)]
    pub has_lottery: bool,
}

/// Every record of `kind`, oldest first, each as its typed document (`LiveRoom`,
/// `Streamer` or `SessionPlan`).
pub(crate) async fn records<T: serde::de::DeserializeOwned>(
    state: &AppState,
    kind: MasterKind,
) -> Result<Vec<(i64, T)>, ApiError> {
    state
        .store
        .masters(kind)
        .await?
        .into_iter()
        .map(|r| {
            serde_json::from_str(&r.data)
                .map(|doc| (r.id, doc))
                .map_err(|e| ApiError::Internal(format!("{kind} {}: {e}", r.id)))
        })
        .collect()
}

pub(crate) async fn exists(
    state: &AppState,
    kind: MasterKind,
    id: i64,
    field: &str,
) -> Result<(), ApiError> {
    state
        .store
        .master(kind, id)
        .await
        .map(|_| ())
        .map_err(|_| ApiError::field(field, format!("no {kind} {id}")))
}

pub(crate) async fn create(
    state: &AppState,
    p: &crate::http::auth::Principal,
    kind: MasterKind,
    name: &str,
    doc: Value,
) -> Result<liveguard_store::MasterRow, ApiError> {
    let data = doc.to_string();
    let row = state
        .store
        .create_master(
            kind,
            name,
            &data,
            p.audit(&format!("{kind}.create"), &format!("{kind}:new")),
        )
        .await?;
    Ok(row)
}

/// Adds a LiveRoom (validated; references must exist), with its audit entry.
pub(crate) async fn create_room(
    state: &AppState,
    p: &Principal,
    b: LiveRoom,
) -> Result<liveguard_store::MasterRow, ApiError> {
    p.require(Permission::ManageProducts)?;
    let room = LiveRoom {
        platform: text("platform", &b.platform, 50)?,
        account: text("account", &b.account, 100)?,
        operator: text("operator", &b.operator, 100)?,
    };
    let name = format!("{} · {}", room.platform, room.account);
    create(state, p, MasterKind::Room, &name, json!(room)).await
}

/// Adds a Streamer (validated; references must exist), with its audit entry.
pub(crate) async fn create_streamer(
    state: &AppState,
    p: &Principal,
    b: Streamer,
) -> Result<liveguard_store::MasterRow, ApiError> {
    p.require(Permission::ManageProducts)?;
    let streamer = Streamer {
        name: text("name", &b.name, 50)?,
        agency: match b.agency.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(text("agency", a, 100)?),
        },
    };
    let name = streamer.name.clone();
    create(state, p, MasterKind::Streamer, &name, json!(streamer)).await
}

/// Adds a SessionPlan (validated; references must exist), with its audit entry.
pub(crate) async fn create_plan(
    state: &AppState,
    p: &Principal,
    b: SessionPlan,
) -> Result<liveguard_store::MasterRow, ApiError> {
    p.require(Permission::ManageProducts)?;
    let title = text("title", &b.title, 100)?;
    crate::features::review::service::parse_time("starts_at", &b.starts_at)?;
    exists(state, MasterKind::Room, b.room_id, "room_id").await?;
    if b.streamer_ids.is_empty() || b.streamer_ids.len() > PLAN_STREAMERS_MAX {
        return Err(ApiError::field(
            "streamer_ids",
            format!("a plan needs 1 to {PLAN_STREAMERS_MAX} streamers"),
        ));
    }
    for id in &b.streamer_ids {
        exists(state, MasterKind::Streamer, *id, "streamer_ids").await?;
    }
    if b.lineup.is_empty() || b.lineup.len() > LINEUP_MAX {
        return Err(ApiError::field(
            "lineup",
            format!("a plan needs 1 to {LINEUP_MAX} products"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut lineup = Vec::with_capacity(b.lineup.len());
    for item in b.lineup {
        state
            .store
            .product(item.product_id)
            .await
            .map_err(|_| ApiError::field("lineup", format!("no product {}", item.product_id)))?;
        if !seen.insert(item.product_id) {
            return Err(ApiError::field(
                "lineup",
                format!("product {} is listed twice", item.product_id),
            ));
        }
        if !(1..=10_000_000_000).contains(&item.price_fen) {
            return Err(ApiError::field(
                "lineup",
                format!(
                    "price_fen of product {} must be 1 to 10,000,000,000",
                    item.product_id
                ),
            ));
        }
        let promotion = match item.promotion.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(text("lineup", t, 200)?),
        };
        lineup.push(LineupItem { promotion, ..item });
    }
    let plan = SessionPlan {
        title: title.clone(),
        lineup,
        ..b
    };
    create(state, p, MasterKind::Plan, &title, json!(plan)).await
}

/// The stored plan `id` (for submissions).
pub(crate) async fn plan(state: &AppState, id: i64) -> Result<SessionPlan, ApiError> {
    let row = state
        .store
        .master(MasterKind::Plan, id)
        .await
        .map_err(|_| ApiError::field("plan_id", format!("no plan {id}")))?;
    serde_json::from_str(&row.data).map_err(|e| ApiError::Internal(format!("plan {id}: {e}")))
}
