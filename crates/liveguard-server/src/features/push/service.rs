//! Push targets an administrator sets up: validated, their address and secret sealed at
//! rest, every change audited (the reason names the format and the shown address, never
//! the secret or the robot key in the address); and the targets the delivery job sends to.

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;
use crate::jobs::webhook::{ALERT_EVENT, EVENTS, Outcome, WebhookFormat, WebhookSettings};

/// Longest name of a target.
pub const NAME_CHARS_MAX: usize = 50;
/// Longest address.
pub const URL_BYTES_MAX: usize = 1000;
/// Longest signing secret.
pub const SECRET_BYTES_MAX: usize = 200;

const URL_CONTEXT: &str = "push_target.url";
const SECRET_CONTEXT: &str = "push_target.secret";

/// A target as an administrator types it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// What people call it.
    pub name: String,
    /// `wecom`, `dingtalk`, `feishu` or `liveguard`.
    pub format: String,
    /// The robot's webhook address (with its key) or the receiver's URL.
    pub url: String,
    /// The signing secret (钉钉 加签 `SEC…`, 飞书 签名校验; at least 16 characters for the
    /// generic format; none for 企业微信).
    #[serde(default)]
    pub secret: String,
    /// Events to send; empty = all.
    #[serde(default)]
    pub events: Vec<String>,
    /// Sent to (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A target as pages and the API show it (no address path, no secret).
#[derive(Debug, Clone, Serialize)]
pub struct TargetView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Format code.
    pub format: String,
    /// `scheme://host[:port]` only.
    pub shown_url: String,
    /// Whether a signing secret is set.
    pub signed: bool,
    /// Events (empty = all).
    pub events: Vec<String>,
    /// Sent to.
    pub enabled: bool,
    /// Created.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: liveguard_store::Stamp,
    /// How its deliveries went since this node started delivering.
    #[serde(skip)]
    pub outcome: Outcome,
}

fn rfc3339<S: serde::Serializer>(t: &liveguard_store::Stamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.rfc3339())
}

/// Every event a target can take, in the order pages list them.
pub fn all_events() -> impl Iterator<Item = &'static str> {
    std::iter::once(ALERT_EVENT).chain(EVENTS.iter().copied())
}

/// Checks `b` and turns it into the runtime settings; messages in Chinese and English.
fn validate(b: &TargetInput) -> Result<(String, WebhookSettings), ApiError> {
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > NAME_CHARS_MAX || name.contains(['\n', '\r']) {
        return Err(ApiError::invalid(
            "name",
            format!("请填写名称（一行，最多 {NAME_CHARS_MAX} 个字），例如“合规组企业微信群”"),
            format!("must be one line of 1 to {NAME_CHARS_MAX} characters"),
        ));
    }
    let format = WebhookFormat::parse(b.format.trim()).ok_or_else(|| {
        ApiError::invalid(
            "format",
            "请从列表中选择消息格式",
            "must be wecom, dingtalk, feishu or liveguard",
        )
    })?;
    let url = b.url.trim();
    let uri = url.parse::<hyper::Uri>().ok().filter(|u| {
        matches!(u.scheme_str(), Some("https" | "http")) && u.host().is_some_and(|h| !h.is_empty())
    });
    if url.len() > URL_BYTES_MAX || uri.is_none() {
        return Err(ApiError::invalid(
            "url",
            "请粘贴完整的 Webhook 地址（以 https:// 开头，机器人设置页中复制）",
            "must be a full https:// or http:// address with a host",
        ));
    }
    let secret = b.secret.trim();
    if secret.len() > SECRET_BYTES_MAX {
        return Err(ApiError::invalid(
            "secret",
            format!("签名密钥过长（最多 {SECRET_BYTES_MAX} 字节）"),
            format!("at most {SECRET_BYTES_MAX} bytes"),
        ));
    }
    match format {
        WebhookFormat::Wecom if !secret.is_empty() => {
            return Err(ApiError::invalid(
                "secret",
                "企业微信群机器人没有签名密钥（密钥在地址的 key= 中），此处请留空",
                "a WeCom robot has no signing secret (its key is in the address); leave it empty",
            ));
        }
        WebhookFormat::Liveguard if secret.chars().count() < 16 => {
            return Err(ApiError::invalid(
                "secret",
                "通用 Webhook 须设置至少 16 个字符的签名密钥，接收方用它校验签名",
                "the generic format needs a signing secret of at least 16 characters",
            ));
        }
        _ => {}
    }
    let mut events = Vec::new();
    for e in &b.events {
        let e = e.trim();
        if !all_events().any(|k| k == e) {
            return Err(ApiError::invalid(
                "events",
                "推送内容中有不认识的项，请从列表中勾选",
                format!("unknown event `{e}`"),
            ));
        }
        if !events.iter().any(|x| x == e) {
            events.push(e.to_string());
        }
    }
    Ok((
        name.to_string(),
        WebhookSettings {
            url: url.to_string(),
            secret: secret.to_string(),
            events,
            format,
        },
    ))
}

fn sealed(state: &AppState, context: &str, plain: &str) -> Result<String, ApiError> {
    state
        .sealer
        .seal(context, plain.as_bytes())
        .map_err(|e| ApiError::Internal(format!("sealing a push target: {e}")))
}

fn opened(state: &AppState, context: &str, sealed: &str) -> Result<String, ApiError> {
    let bytes = state
        .sealer
        .open(context, sealed)
        .map_err(|e| ApiError::Internal(format!("opening a push target: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

fn draft(
    state: &AppState,
    name: String,
    hook: &WebhookSettings,
    enabled: bool,
) -> Result<liveguard_store::PushTargetDraft, ApiError> {
    Ok(liveguard_store::PushTargetDraft {
        name,
        format: hook.format.as_str().to_string(),
        url_sealed: sealed(state, URL_CONTEXT, &hook.url)?,
        secret_sealed: sealed(state, SECRET_CONTEXT, &hook.secret)?,
        shown_url: crate::jobs::webhook::shown_url(hook),
        events: serde_json::to_string(&hook.events)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        enabled,
    })
}

/// The audit reason of a change: format, shown address, events, on/off.
fn reason(d: &liveguard_store::PushTargetDraft) -> String {
    serde_json::json!({"format": d.format, "address": d.shown_url, "events": serde_json::from_str::<serde_json::Value>(&d.events).unwrap_or_default(), "enabled": d.enabled}).to_string()
}

/// The stored target `row` as runtime settings (address and secret unsealed).
fn settings_of(
    state: &AppState,
    row: &liveguard_store::PushTargetRow,
) -> Result<WebhookSettings, ApiError> {
    Ok(WebhookSettings {
        url: opened(state, URL_CONTEXT, &row.url_sealed)?,
        secret: opened(state, SECRET_CONTEXT, &row.secret_sealed)?,
        events: serde_json::from_str(&row.events).map_err(|e| ApiError::Internal(e.to_string()))?,
        format: WebhookFormat::parse(&row.format).ok_or_else(|| {
            ApiError::Internal(format!("push target {}: format {}", row.id, row.format))
        })?,
    })
}

fn view(state: &AppState, row: liveguard_store::PushTargetRow) -> Result<TargetView, ApiError> {
    let hook = settings_of(state, &row)?;
    Ok(TargetView {
        id: row.id,
        outcome: state.webhook_status.of(&hook).unwrap_or_default(),
        signed: !hook.secret.is_empty(),
        events: hook.events,
        name: row.name,
        format: row.format,
        shown_url: row.shown_url,
        enabled: row.enabled,
        created_at: row.created_at,
    })
}

/// Every stored target, for the administrator.
pub(crate) async fn list(state: &AppState, p: &Principal) -> Result<Vec<TargetView>, ApiError> {
    p.require(Permission::ManageUsers)?;
    state
        .store
        .push_targets()
        .await?
        .into_iter()
        .map(|r| view(state, r))
        .collect()
}

/// Adds a target (it starts at the end of the log: nothing from before is sent).
pub(crate) async fn create(
    state: &AppState,
    p: &Principal,
    b: &TargetInput,
) -> Result<TargetView, ApiError> {
    p.require(Permission::ManageUsers)?;
    let (name, hook) = validate(b)?;
    let d = draft(state, name, &hook, b.enabled)?;
    let why = reason(&d);
    let row = state
        .store
        .create_push_target(
            d,
            p.audit("push_target.create", "push_target:new").reason(why),
        )
        .await?;
    view(state, row)
}

/// What a change to a target may say (each field optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetPatch {
    /// New name.
    pub name: Option<String>,
    /// New events (empty = all).
    pub events: Option<Vec<String>>,
    /// On or off.
    pub enabled: Option<bool>,
}

/// Changes a target's name, events or on/off; address, format and secret stay (delete and
/// add again to change them).
pub(crate) async fn change(
    state: &AppState,
    p: &Principal,
    id: i64,
    patch: &TargetPatch,
) -> Result<TargetView, ApiError> {
    p.require(Permission::ManageUsers)?;
    let row = state.store.push_target(id).await?;
    let mut hook = settings_of(state, &row)?;
    let input = TargetInput {
        name: patch.name.clone().unwrap_or(row.name.clone()),
        format: row.format.clone(),
        url: hook.url.clone(),
        secret: hook.secret.clone(),
        events: patch.events.clone().unwrap_or(hook.events.clone()),
        enabled: patch.enabled.unwrap_or(row.enabled),
    };
    let (name, checked) = validate(&input)?;
    hook.events = checked.events;
    let d = draft(state, name, &hook, input.enabled)?;
    let why = reason(&d);
    state
        .store
        .update_push_target(
            id,
            d,
            p.audit("push_target.update", &format!("push_target:{id}"))
                .reason(why),
        )
        .await?;
    view(state, state.store.push_target(id).await?)
}

/// Deletes a target.
pub(crate) async fn delete(state: &AppState, p: &Principal, id: i64) -> Result<(), ApiError> {
    p.require(Permission::ManageUsers)?;
    let row = state.store.push_target(id).await?;
    let why = serde_json::json!({"format": row.format, "address": row.shown_url}).to_string();
    state
        .store
        .delete_push_target(
            id,
            p.audit("push_target.delete", &format!("push_target:{id}"))
                .reason(why),
        )
        .await?;
    Ok(())
}

/// Sends a test message to target `id` now; the error says what the receiver answered.
pub(crate) async fn test(
    state: &AppState,
    p: &Principal,
    id: i64,
) -> Result<Result<(), crate::jobs::webhook::WebhookError>, ApiError> {
    p.require(Permission::ManageUsers)?;
    let row = state.store.push_target(id).await?;
    let hook = settings_of(state, &row)?;
    let text = format!(
        "【liveguard】测试消息：推送目标「{}」已连通，由 {} 发送。",
        row.name, p.user.display_name
    );
    Ok(crate::jobs::webhook::send_test(state, &hook, &text).await)
}

/// The enabled targets with their runtime settings, for the delivery job.
pub(crate) async fn enabled_targets(
    state: &AppState,
) -> Result<Vec<(i64, WebhookSettings)>, ApiError> {
    let mut out = Vec::new();
    for row in state.store.push_targets().await? {
        if row.enabled {
            out.push((row.id, settings_of(state, &row)?));
        }
    }
    Ok(out)
}
