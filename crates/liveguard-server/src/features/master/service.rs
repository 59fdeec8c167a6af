//! Master data operations: add and change live rooms, streamers and session plans
//! (validated; references must exist; a change is logged with the fields it changed), and read a stored plan for the review and live features.

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
        return Err(ApiError::invalid(
            field,
            format!("须为一行文字，1 至 {max_chars} 个字"),
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
    state.store.master(kind, id).await.map(|_| ()).map_err(|_| {
        ApiError::invalid(
            field,
            format!("没有编号为 {id} 的{}", crate::ui::Label::zh(kind)),
            format!("no {kind} {id}"),
        )
    })
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
    let (name, doc) = valid_room(b)?;
    create(state, p, MasterKind::Room, &name, doc).await
}

/// A room's display name and document, validated.
fn valid_room(b: LiveRoom) -> Result<(String, Value), ApiError> {
    let room = LiveRoom {
        platform: text("platform", &b.platform, 50)?,
        account: text("account", &b.account, 100)?,
        operator: text("operator", &b.operator, 100)?,
    };
    Ok((format!("{} · {}", room.platform, room.account), json!(room)))
}

/// Adds a Streamer (validated; references must exist), with its audit entry.
pub(crate) async fn create_streamer(
    state: &AppState,
    p: &Principal,
    b: Streamer,
) -> Result<liveguard_store::MasterRow, ApiError> {
    p.require(Permission::ManageProducts)?;
    let (name, doc) = valid_streamer(b)?;
    create(state, p, MasterKind::Streamer, &name, doc).await
}

/// A streamer's display name and document, validated.
fn valid_streamer(b: Streamer) -> Result<(String, Value), ApiError> {
    let streamer = Streamer {
        name: text("name", &b.name, 50)?,
        agency: match b.agency.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(text("agency", a, 100)?),
        },
    };
    Ok((streamer.name.clone(), json!(streamer)))
}

/// Adds a SessionPlan (validated; references must exist), with its audit entry.
pub(crate) async fn create_plan(
    state: &AppState,
    p: &Principal,
    b: SessionPlan,
) -> Result<liveguard_store::MasterRow, ApiError> {
    p.require(Permission::ManageProducts)?;
    let (title, doc) = valid_plan(state, b).await?;
    create(state, p, MasterKind::Plan, &title, doc).await
}

/// A plan's title and document, validated; its room, streamers and products must exist.
async fn valid_plan(state: &AppState, b: SessionPlan) -> Result<(String, Value), ApiError> {
    let title = text("title", &b.title, 100)?;
    crate::features::review::service::parse_time("starts_at", &b.starts_at)?;
    exists(state, MasterKind::Room, b.room_id, "room_id").await?;
    if b.streamer_ids.is_empty() || b.streamer_ids.len() > PLAN_STREAMERS_MAX {
        return Err(ApiError::invalid(
            "streamer_ids",
            format!("请选择 1 至 {PLAN_STREAMERS_MAX} 位主播"),
            format!("a plan needs 1 to {PLAN_STREAMERS_MAX} streamers"),
        ));
    }
    for id in &b.streamer_ids {
        exists(state, MasterKind::Streamer, *id, "streamer_ids").await?;
    }
    if b.lineup.is_empty() || b.lineup.len() > LINEUP_MAX {
        return Err(ApiError::invalid(
            "lineup",
            format!("请列出 1 至 {LINEUP_MAX} 件商品及其直播价"),
            format!("a plan needs 1 to {LINEUP_MAX} products"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut lineup = Vec::with_capacity(b.lineup.len());
    for item in b.lineup {
        state.store.product(item.product_id).await.map_err(|_| {
            ApiError::invalid(
                "lineup",
                format!("没有编号为 {} 的商品", item.product_id),
                format!("no product {}", item.product_id),
            )
        })?;
        if !seen.insert(item.product_id) {
            return Err(ApiError::invalid(
                "lineup",
                format!("编号为 {} 的商品列了两次", item.product_id),
                format!("product {} is listed twice", item.product_id),
            ));
        }
        if !(1..=10_000_000_000).contains(&item.price_fen) {
            return Err(ApiError::invalid(
                "lineup",
                format!(
                    "编号为 {} 的商品直播价须在 0.01 至 1 亿元之间",
                    item.product_id
                ),
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
    Ok((title, json!(plan)))
}

/// A change to one master record: the new document, and optionally the digest of the
/// document the editor started from (a page form carries it; when the record changed in
/// between, the save is refused instead of overwriting the other person's change).
pub(crate) enum Change {
    /// A live room.
    Room(LiveRoom),
    /// A streamer.
    Streamer(Streamer),
    /// A session plan.
    Plan(SessionPlan),
}

impl Change {
    /// The kind of record it changes.
    pub(crate) fn kind(&self) -> MasterKind {
        match self {
            Change::Room(_) => MasterKind::Room,
            Change::Streamer(_) => MasterKind::Streamer,
            Change::Plan(_) => MasterKind::Plan,
        }
    }
}

/// The top-level fields whose values differ between two JSON documents, in the order of
/// the newer one (then fields it dropped), for the audit entry's reason.
pub(crate) fn changed_fields(before: &str, after: &str) -> Vec<String> {
    let parse = |t: &str| match serde_json::from_str::<Value>(t) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (b, a) = (parse(before), parse(after));
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k).unwrap_or(&Value::Null) != *v)
        .map(|(k, _)| k.clone())
        .collect();
    out.extend(
        b.iter()
            .filter(|(k, v)| !a.contains_key(*k) && !v.is_null())
            .map(|(k, _)| k.clone()),
    );
    out
}

/// The audit reason of a master-data change: `{"changed": [field, …]}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeReason {
    /// The fields that changed.
    pub changed: Vec<String>,
}

/// Saves a change to record `id` (validated as on creation), logged with the fields that
/// changed. With `read` (the hex SHA-256 of the document the editor started from), a
/// record changed by someone else in between is refused with `Conflict`.
pub(crate) async fn change(
    state: &AppState,
    p: &Principal,
    id: i64,
    change: Change,
    read: Option<&str>,
) -> Result<liveguard_store::MasterRow, ApiError> {
    p.require(Permission::ManageProducts)?;
    let kind = change.kind();
    let current = state.store.master(kind, id).await?;
    if let Some(read) = read
        && read != liveguard_audit::digest_hex(current.data.as_bytes())
    {
        return Err(ApiError::Conflict(CHANGED_SINCE_READ.into()));
    }
    let (name, doc) = match change {
        Change::Room(b) => valid_room(b)?,
        Change::Streamer(b) => valid_streamer(b)?,
        Change::Plan(b) => valid_plan(state, b).await?,
    };
    let data = doc.to_string();
    let mut changed = changed_fields(&current.data, &data);
    if name.trim() != current.name && !changed.iter().any(|f| f == "name" || f == "title") {
        changed.insert(0, "name".into());
    }
    let reason = serde_json::to_string(&ChangeReason { changed })
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let row = state
        .store
        .update_master(
            kind,
            id,
            &name,
            &data,
            &current.data,
            p.audit(&format!("{kind}.update"), &format!("{kind}:{id}"))
                .reason(reason),
        )
        .await
        .map_err(|e| match e {
            liveguard_store::StoreError::Conflict { .. } => {
                ApiError::Conflict(CHANGED_SINCE_READ.into())
            }
            e => e.into(),
        })?;
    Ok(row)
}

/// The conflict a save gets when the record changed after the editor read it.
pub(crate) const CHANGED_SINCE_READ: &str = "changed_since_read";

/// The stored plan `id` (for submissions).
pub(crate) async fn plan(state: &AppState, id: i64) -> Result<SessionPlan, ApiError> {
    let row = state
        .store
        .master(MasterKind::Plan, id)
        .await
        .map_err(|_| {
            ApiError::invalid(
                "plan_id",
                format!("没有编号为 {id} 的直播排期"),
                format!("no plan {id}"),
            )
        })?;
    serde_json::from_str(&row.data).map_err(|e| ApiError::Internal(format!("plan {id}: {e}")))
}
