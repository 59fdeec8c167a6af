//! Master data the review needs: live rooms (platform, account, operator), streamers
//! (name, agency) and live session plans (date, room, streamers, product lineup with prices
//! and promotions, lottery). Every document is validated here; references must exist.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::features::platform::api::ApiJson;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;

/// Most products in one session plan.
pub const LINEUP_MAX: usize = 100;
/// Most streamers in one session plan.
pub const PLAN_STREAMERS_MAX: usize = 20;

fn text(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
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

async fn exists(state: &AppState, kind: &str, id: i64, field: &str) -> Result<(), ApiError> {
    state
        .store
        .master(kind, id)
        .await
        .map(|_| ())
        .map_err(|_| ApiError::field(field, format!("no {kind} {id}")))
}

async fn create(
    state: &AppState,
    p: &crate::http::auth::Principal,
    kind: &str,
    name: &str,
    doc: Value,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(row_json(&row))))
}

fn row_json(row: &liveguard_store::MasterRow) -> Value {
    let mut v = serde_json::from_str::<Value>(&row.data).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(row.id));
        m.insert("name".into(), json!(row.name));
        m.insert("created_at".into(), json!(row.created_at));
    }
    v
}

async fn list(state: &AppState, kind: &str) -> Result<Vec<Value>, ApiError> {
    Ok(state
        .store
        .masters(kind)
        .await?
        .iter()
        .map(row_json)
        .collect())
}

/// `POST /api/v1/rooms`
pub(crate) async fn create_room(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<LiveRoom>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    p.require(Permission::ManageProducts)?;
    let room = LiveRoom {
        platform: text("platform", &b.platform, 50)?,
        account: text("account", &b.account, 100)?,
        operator: text("operator", &b.operator, 100)?,
    };
    let name = format!("{} · {}", room.platform, room.account);
    create(&state, &p, "room", &name, json!(room)).await
}

/// `GET /api/v1/rooms`
pub(crate) async fn list_rooms(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewReviews)?;
    Ok(Json(json!({"rooms": list(&state, "room").await?})))
}

/// `POST /api/v1/streamers`
pub(crate) async fn create_streamer(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<Streamer>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    p.require(Permission::ManageProducts)?;
    let streamer = Streamer {
        name: text("name", &b.name, 50)?,
        agency: match b.agency.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(text("agency", a, 100)?),
        },
    };
    let name = streamer.name.clone();
    create(&state, &p, "streamer", &name, json!(streamer)).await
}

/// `GET /api/v1/streamers`
pub(crate) async fn list_streamers(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewReviews)?;
    Ok(Json(json!({"streamers": list(&state, "streamer").await?})))
}

/// `POST /api/v1/plans`
pub(crate) async fn create_plan(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<SessionPlan>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    p.require(Permission::ManageProducts)?;
    let title = text("title", &b.title, 100)?;
    crate::features::review::api::parse_time("starts_at", &b.starts_at)?;
    exists(&state, "room", b.room_id, "room_id").await?;
    if b.streamer_ids.is_empty() || b.streamer_ids.len() > PLAN_STREAMERS_MAX {
        return Err(ApiError::field(
            "streamer_ids",
            format!("a plan needs 1 to {PLAN_STREAMERS_MAX} streamers"),
        ));
    }
    for id in &b.streamer_ids {
        exists(&state, "streamer", *id, "streamer_ids").await?;
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
    create(&state, &p, "plan", &title, json!(plan)).await
}

/// `GET /api/v1/plans`
pub(crate) async fn list_plans(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewReviews)?;
    Ok(Json(json!({"plans": list(&state, "plan").await?})))
}

/// `GET /api/v1/plans/{id}`
pub(crate) async fn get_plan(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewReviews)?;
    Ok(Json(row_json(&state.store.master("plan", id).await?)))
}

/// The stored plan `id` (for submissions).
pub(crate) async fn plan(state: &AppState, id: i64) -> Result<SessionPlan, ApiError> {
    let row = state
        .store
        .master("plan", id)
        .await
        .map_err(|_| ApiError::field("plan_id", format!("no plan {id}")))?;
    serde_json::from_str(&row.data).map_err(|e| ApiError::Internal(format!("plan {id}: {e}")))
}
