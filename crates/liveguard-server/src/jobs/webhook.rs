//! Webhooks: review state changes, read from the audit log, POSTed as signed JSON.
//!
//! Invariants:
//! - The audit log is the source: a webhook sees exactly the transitions that were
//!   committed, in log order, and nothing that was rolled back.
//! - Delivery is at least once and in order per webhook: the cursor (next audit `seq`) is
//!   saved in the data directory only after the receiver answered 2xx, so a failed or
//!   interrupted delivery is sent again. Receivers deduplicate on `X-Liveguard-Delivery`.
//! - Each body is signed: `X-Liveguard-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
//! - Neither the secret nor the URL's path and query (which may hold a token) is logged.
//! - Group robots (企业微信, 钉钉, 飞书; `format` in the configuration) get a Chinese text
//!   message in their documented format instead of the JSON event, signed by their own
//!   scheme when a secret is set (钉钉: `timestamp` and `sign` in the query; 飞书: in the
//!   body), and a robot's answer counts as delivered only when its error code is 0.

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Bytes;
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::settings::SettingsError;

/// The audit actions a webhook can receive: review state changes and decisions on live
/// alerts.
pub const EVENTS: &[&str] = &[
    "review.submitted",
    "review.routed",
    "review.signed",
    "review.approved",
    "review.rejected",
    "review.new_version",
    "review.overdue",
    "live.alert.acknowledge",
    "live.alert.resolve",
    "live.alert.escalate",
    "desk.clock.breach",
];

/// A live alert raised (read from the alerts, not the audit log: raising one is not a
/// person's decision). Delivered with `X-Liveguard-Delivery: alert-<id>`.
pub const ALERT_EVENT: &str = "live.alert";

/// Most webhooks one server may have.
pub const WEBHOOKS_MAX: usize = 10;
/// Longest a connection or a response may take.
pub const WEBHOOK_SECONDS_MAX: u64 = 10;
/// Audit entries read per round.
const BATCH: u64 = 200;

/// What a receiver takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The JSON event, signed with `X-Liveguard-Signature` (the default).
    #[default]
    Liveguard,
    /// 企业微信群机器人: `{"msgtype":"text","text":{"content":…}}`; the key is in the URL.
    Wecom,
    /// 钉钉自定义机器人: the same text message; with a secret (加签), `timestamp` and `sign`
    /// are added to the URL.
    Dingtalk,
    /// 飞书自定义机器人: `{"msg_type":"text","content":{"text":…}}`; with a secret
    /// (签名校验), `timestamp` and `sign` are in the body.
    Feishu,
}

impl WebhookFormat {
    /// Every format, in the order pages offer them (the robots first).
    pub const ALL: [WebhookFormat; 4] = [
        WebhookFormat::Wecom,
        WebhookFormat::Dingtalk,
        WebhookFormat::Feishu,
        WebhookFormat::Liveguard,
    ];

    /// The format named `code`.
    pub fn parse(code: &str) -> Option<WebhookFormat> {
        Self::ALL.into_iter().find(|f| f.as_str() == code)
    }

    /// The format's name in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Liveguard => "liveguard",
            WebhookFormat::Wecom => "wecom",
            WebhookFormat::Dingtalk => "dingtalk",
            WebhookFormat::Feishu => "feishu",
        }
    }
}

/// One webhook (`[[webhooks]]` in the configuration).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// `https://host[:port]/path` (or `http://`).
    pub url: String,
    /// The HMAC key: at least 16 characters for the `liveguard` format; a robot's signing
    /// secret (钉钉 `SEC…`, 飞书) or empty for the robots.
    #[serde(default)]
    pub secret: String,
    /// Which of [`EVENTS`] to send; empty = all.
    #[serde(default)]
    pub events: Vec<String>,
    /// What the receiver takes.
    #[serde(default)]
    pub format: WebhookFormat,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &redacted_url(&self.url))
            .field("secret", &"<redacted>")
            .field("events", &self.events)
            .field("format", &self.format)
            .finish()
    }
}

/// `http://host:port` without the path and query (which may carry a token).
fn redacted_url(url: &str) -> String {
    match url.parse::<hyper::Uri>() {
        Ok(u) => format!(
            "{}://{}",
            u.scheme_str().unwrap_or("?"),
            u.authority().map(|a| a.as_str()).unwrap_or("?")
        ),
        Err(_) => "<unparsable>".into(),
    }
}

impl WebhookSettings {
    /// Checks the URL, the secret and the event names; the message names the problem.
    pub fn validate(&self, index: usize) -> Result<(), SettingsError> {
        let at = format!("webhooks[{index}]");
        let uri: hyper::Uri = self
            .url
            .parse()
            .map_err(|e| format!("{at}.url is not a URL: {e}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(SettingsError::Invalid(format!(
                "{at}.url must start with https:// or http://"
            )));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(SettingsError::Invalid(format!("{at}.url has no host")));
        }
        match self.format {
            WebhookFormat::Liveguard if self.secret.chars().count() < 16 => {
                return Err(SettingsError::Invalid(format!(
                    "{at}.secret must be at least 16 characters"
                )));
            }
            WebhookFormat::Wecom if !self.secret.is_empty() => {
                return Err(SettingsError::Invalid(format!(
                    "{at}.secret: a 企业微信 robot has no signing secret (its key is in the URL); leave it out"
                )));
            }
            _ => {}
        }
        if let Some(e) = self
            .events
            .iter()
            .find(|e| !EVENTS.contains(&e.as_str()) && e.as_str() != ALERT_EVENT)
        {
            return Err(SettingsError::Invalid(format!(
                "{at}.events: unknown event `{e}` (known: {}, {ALERT_EVENT})",
                EVENTS.join(", ")
            )));
        }
        Ok(())
    }

    fn wants(&self, action: &str) -> bool {
        (EVENTS.contains(&action) || action == ALERT_EVENT)
            && (self.events.is_empty() || self.events.iter().any(|e| e == action))
    }

    fn cursor_path(&self, state: &AppState) -> PathBuf {
        self.cursor_file(state, "cursor")
    }

    fn cursor_file(&self, state: &AppState, ext: &str) -> PathBuf {
        let id = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(self.url.as_bytes()));
        state
            .settings
            .data_dir
            .join(format!("webhook-{}.{ext}", &id[..16]))
    }
}

/// The JSON body for one audit entry, or `None` when it is not an event webhooks carry.
pub fn payload(entry: &liveguard_audit::Entry) -> Option<Value> {
    if !EVENTS.contains(&entry.action.as_str()) {
        return None;
    }
    if let Some(alert) = entry.object.strip_prefix("live_alert:") {
        let detail = entry
            .reason
            .as_deref()
            .map(|r| serde_json::from_str::<Value>(r).unwrap_or_else(|_| json!(r)))
            .unwrap_or(Value::Null);
        return Some(json!({
            "delivery": entry.seq,
            "event": entry.action,
            "time": entry.time,
            "alert_id": alert.parse::<i64>().ok()?,
            "actor": entry.actor,
            "role": entry.role,
            "detail": detail,
        }));
    }
    if let Some(case) = entry.object.strip_prefix("case:") {
        let detail = entry
            .reason
            .as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .unwrap_or(Value::Null);
        return Some(json!({
            "delivery": entry.seq,
            "event": entry.action,
            "time": entry.time,
            "case_id": case.parse::<i64>().ok()?,
            "actor": entry.actor,
            "role": entry.role,
            "detail": detail,
        }));
    }
    // Objects are `submission:<id>@v<version>`.
    let rest = entry.object.strip_prefix("submission:")?;
    let (id, version) = rest.split_once("@v")?;
    let detail = entry
        .reason
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
        .unwrap_or(Value::Null);
    Some(json!({
        "delivery": entry.seq,
        "event": entry.action,
        "time": entry.time,
        "submission_id": id.parse::<i64>().ok()?,
        "version": version.parse::<u32>().ok()?,
        "actor": entry.actor,
        "role": entry.role,
        "detail": detail,
    }))
}

/// The signature header value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Could not connect, send or read in time.
    #[error("webhook {0}: {1}")]
    Transport(String, String),
    /// The receiver answered with a non-2xx status.
    #[error("webhook {0} answered {1}")]
    Status(String, u16),
    /// A group robot answered with an error code.
    #[error("webhook {0}: the robot refused the message (error code {1})")]
    Refused(String, String),
    /// The store or the cursor file failed.
    #[error("webhook cursor: {0}")]
    Cursor(String),
}

/// The Chinese text a group robot posts for one event.
pub fn robot_text(event: &Value, title: Option<&str>) -> String {
    let name = |key: &str| event[key].as_str().unwrap_or("").to_string();
    let level = |v: &Value| match v.as_str() {
        Some("first") => "初审",
        Some("second") => "复审",
        Some("final") => "终审",
        _ => "审核",
    };
    let what = title.map(|t| format!("「{t}」")).unwrap_or_else(|| {
        match (event["submission_id"].as_i64(), event["case_id"].as_i64()) {
            (Some(id), _) => format!("审核内容 #{id}"),
            (None, Some(id)) => format!("投诉案件 #{id}"),
            _ => format!("直播场次 #{}", event["session_id"].as_i64().unwrap_or(0)),
        }
    });
    let said = match name("event").as_str() {
        "review.submitted" => format!("{what}已提交审核"),
        "review.routed" => format!("{what}待{}", level(&event["detail"]["level"])),
        "review.signed" => format!("{what}已通过{}", level(&event["detail"]["level"])),
        "review.approved" => format!("{what}已批准并冻结"),
        "review.rejected" => format!("{what}被退回修改"),
        "review.new_version" => format!("{what}保存了新版本"),
        "review.overdue" => format!(
            "{what}{}已逾期（截止时间已过），请尽快处理",
            level(&event["detail"]["level"])
        ),
        "live.alert.acknowledge" => format!("{what}的告警 #{} 已确认", event["alert_id"]),
        "live.alert.resolve" => format!("{what}的告警 #{} 已处理完成", event["alert_id"]),
        "desk.clock.breach" => {
            let clock = event["detail"]["clock"]
                .as_str()
                .and_then(|c| c.parse::<liveguard_core::ClockKind>().ok())
                .map(|c| crate::ui::labels::Label::zh(c))
                .unwrap_or("处理");
            format!("{what}的「{clock}」时限已超期，已升级给合规组长，请立即处理")
        }
        "live.alert.escalate" => format!(
            "{what}的阻断告警 #{} 超时未确认，已升级给合规组长",
            event["alert_id"]
        ),
        ALERT_EVENT => {
            let severity = match event["severity"].as_str() {
                Some("block") => "拦截",
                Some("review") => "需复核",
                _ => "提示",
            };
            format!("{what}直播告警（{severity}）：{}", name("summary"))
        }
        other => format!("{what}：{other}"),
    };
    format!("【liveguard】{said}")
}

/// 钉钉's and 飞书's signature: base64(HMAC-SHA256) over `"{timestamp}\n{secret}"` — keyed with
/// the secret for 钉钉, with that text itself (and nothing signed) for 飞书.
pub fn robot_sign(format: WebhookFormat, secret: &str, timestamp: i64) -> String {
    use base64::Engine;
    let text = format!("{timestamp}\n{secret}");
    let mac = match format {
        WebhookFormat::Feishu => hmac::Hmac::<sha2::Sha256>::new_from_slice(text.as_bytes())
            .expect("HMAC takes a key of any length"),
        _ => {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes a key of any length");
            m.update(text.as_bytes());
            m
        }
    };
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The URL and body a robot receives for `text`, signed at `now_ms` when it has a secret.
pub fn robot_request(hook: &WebhookSettings, text: &str, now_ms: i64) -> (String, Vec<u8>) {
    let body = match hook.format {
        WebhookFormat::Feishu => {
            let mut b = json!({"msg_type": "text", "content": {"text": text}});
            if !hook.secret.is_empty() {
                let ts = now_ms.div_euclid(1000);
                b["timestamp"] = json!(ts.to_string());
                b["sign"] = json!(robot_sign(WebhookFormat::Feishu, &hook.secret, ts));
            }
            b
        }
        _ => json!({"msgtype": "text", "text": {"content": text}}),
    };
    let url = if hook.format == WebhookFormat::Dingtalk && !hook.secret.is_empty() {
        let sign = robot_sign(WebhookFormat::Dingtalk, &hook.secret, now_ms);
        let sign: String = url_escape(&sign);
        let sep = if hook.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}timestamp={now_ms}&sign={sign}", hook.url)
    } else {
        hook.url.clone()
    };
    (
        url,
        serde_json::to_vec(&body).expect("JSON values serialize"),
    )
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends one event to `hook` in its format: the JSON event, or a robot's text message.
async fn send(
    state: &AppState,
    hook: &WebhookSettings,
    event: &str,
    delivery: &str,
    body: &Value,
) -> Result<(), WebhookError> {
    if hook.format == WebhookFormat::Liveguard {
        let bytes = serde_json::to_vec(body).expect("JSON values serialize");
        return post(state, hook, &hook.url, event, delivery, bytes)
            .await
            .map(|_| ());
    }
    let title = match body["submission_id"].as_i64() {
        Some(id) => state.store.submission(id).await.ok().map(|s| s.title),
        None => match body["session_id"].as_i64() {
            Some(id) => state.store.live_session(id).await.ok().map(|s| s.title),
            None => None,
        },
    };
    send_robot_text(
        state,
        hook,
        event,
        delivery,
        &robot_text(body, title.as_deref()),
    )
    .await
}

/// Posts `text` to a group robot in its format and checks its error code.
async fn send_robot_text(
    state: &AppState,
    hook: &WebhookSettings,
    event: &str,
    delivery: &str,
    text: &str,
) -> Result<(), WebhookError> {
    let (url, bytes) = robot_request(hook, text, state.store.now().ms());
    let answer = post(state, hook, &url, event, delivery, bytes).await?;
    // Robots answer 200 with an error code in the body.
    let code = serde_json::from_slice::<Value>(&answer).ok().and_then(|v| {
        v.get("errcode")
            .or_else(|| v.get("code"))
            .or_else(|| v.get("StatusCode"))
            .and_then(Value::as_i64)
    });
    match code {
        Some(0) | None if answer.is_empty() => Ok(()),
        Some(0) => Ok(()),
        other => Err(WebhookError::Refused(
            redacted_url(&hook.url),
            other
                .map(|c| c.to_string())
                .unwrap_or_else(|| "no error code".into()),
        )),
    }
}

async fn post(
    state: &AppState,
    hook: &WebhookSettings,
    url: &str,
    event: &str,
    delivery: &str,
    body: Vec<u8>,
) -> Result<Bytes, WebhookError> {
    let shown = redacted_url(&hook.url);
    let request = liveguard_outbound::Request::post(url, "application/json", Vec::new())
        .header("x-liveguard-event", event)
        .header("x-liveguard-delivery", delivery)
        .header("x-liveguard-signature", signature(&hook.secret, &body));
    let request = liveguard_outbound::Request { body, ..request };
    let answer = state
        .outbound
        .send(request)
        .await
        .map_err(|e| WebhookError::Transport(shown.clone(), e.to_string()))?;
    if (200..300).contains(&answer.status) {
        Ok(answer.body)
    } else {
        Err(WebhookError::Status(shown, answer.status))
    }
}

/// Sends one test message to `hook` now (a robot gets `text`; a generic receiver a signed
/// `{"event": "test"}`), outside the log order and without moving any cursor.
pub async fn send_test(
    state: &AppState,
    hook: &WebhookSettings,
    text: &str,
) -> Result<(), WebhookError> {
    let delivery = format!("test-{}", state.store.now().ms());
    if hook.format == WebhookFormat::Liveguard {
        let body = json!({"delivery": delivery, "event": "test", "text": text});
        let bytes = serde_json::to_vec(&body).expect("JSON values serialize");
        return post(state, hook, &hook.url, "test", &delivery, bytes)
            .await
            .map(|_| ());
    }
    send_robot_text(state, hook, "test", &delivery, text).await
}

fn read_cursor(path: &std::path::Path) -> Result<Option<u64>, WebhookError> {
    match std::fs::read_to_string(path) {
        Ok(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| WebhookError::Cursor(format!("{} is not a number", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(WebhookError::Cursor(e.to_string())),
    }
}

fn write_cursor(path: &std::path::Path, next: u64) -> Result<(), WebhookError> {
    let tmp = path.with_extension("cursor.tmp");
    std::fs::write(&tmp, next.to_string()).map_err(|e| WebhookError::Cursor(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| WebhookError::Cursor(e.to_string()))
}

/// Where a target keeps its delivery progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A webhook of the configuration file: cursor files in the data directory.
    File,
    /// A push target an administrator set up (`push_targets` row `id`): in the database,
    /// so the node that takes over delivery goes on where the last one stopped.
    Stored(i64),
}

/// Which of a target's two cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    /// The next audit seq to look at.
    Audit,
    /// The last live alert id sent.
    Alerts,
}

impl Progress {
    async fn read(
        self,
        state: &AppState,
        hook: &WebhookSettings,
        which: Cursor,
    ) -> Result<Option<u64>, WebhookError> {
        match self {
            Progress::File => read_cursor(&match which {
                Cursor::Audit => hook.cursor_path(state),
                Cursor::Alerts => hook.cursor_file(state, "alerts.cursor"),
            }),
            Progress::Stored(id) => {
                let row = state
                    .store
                    .push_target(id)
                    .await
                    .map_err(|e| WebhookError::Cursor(e.to_string()))?;
                Ok(match which {
                    Cursor::Audit => row.audit_cursor,
                    Cursor::Alerts => row.alert_cursor,
                }
                .map(|v| v.max(0) as u64))
            }
        }
    }

    async fn write(
        self,
        state: &AppState,
        hook: &WebhookSettings,
        which: Cursor,
        value: u64,
    ) -> Result<(), WebhookError> {
        match self {
            Progress::File => write_cursor(
                &match which {
                    Cursor::Audit => hook.cursor_path(state),
                    Cursor::Alerts => hook.cursor_file(state, "alerts.cursor"),
                },
                value,
            ),
            Progress::Stored(id) => {
                let v = Some(value as i64);
                let (audit, alerts) = match which {
                    Cursor::Audit => (v, None),
                    Cursor::Alerts => (None, v),
                };
                state
                    .store
                    .set_push_cursor(id, audit, alerts)
                    .await
                    .map_err(|e| WebhookError::Cursor(e.to_string()))
            }
        }
    }
}

/// Sends every review event written since the last call, in order, and returns how many
/// were delivered. A webhook seen for the first time starts at the end of the log (no
/// replay of history). Stops at the first failure, leaving that event to be sent again.
pub async fn deliver_pending(
    state: &AppState,
    hook: &WebhookSettings,
) -> Result<usize, WebhookError> {
    deliver_pending_at(state, hook, Progress::File).await
}

async fn deliver_pending_at(
    state: &AppState,
    hook: &WebhookSettings,
    at: Progress,
) -> Result<usize, WebhookError> {
    let size = state
        .store
        .audit_size()
        .await
        .map_err(|e| WebhookError::Cursor(e.to_string()))?;
    let Some(mut next) = at.read(state, hook, Cursor::Audit).await? else {
        at.write(state, hook, Cursor::Audit, size).await?;
        return Ok(0);
    };
    let mut delivered = 0;
    while next < size {
        let to = size.min(next + BATCH);
        let entries = state
            .store
            .audit_range(next, to)
            .await
            .map_err(|e| WebhookError::Cursor(e.to_string()))?;
        for entry in entries {
            if hook.wants(&entry.action)
                && let Some(body) = payload(&entry)
            {
                send(state, hook, &entry.action, &entry.seq.to_string(), &body).await?;
                delivered += 1;
                // Saved after each delivery so that a crash resends at most this one.
                at.write(state, hook, Cursor::Audit, entry.seq + 1).await?;
            }
            next = entry.seq + 1;
        }
        // Entries that were not for this webhook are passed over once per batch.
        at.write(state, hook, Cursor::Audit, next).await?;
    }
    Ok(delivered)
}

/// Sends every live alert raised since the last call, oldest first (a webhook seen for the
/// first time starts after the newest alert), and returns how many were delivered.
pub async fn deliver_alerts(
    state: &AppState,
    hook: &WebhookSettings,
) -> Result<usize, WebhookError> {
    deliver_alerts_at(state, hook, Progress::File).await
}

async fn deliver_alerts_at(
    state: &AppState,
    hook: &WebhookSettings,
    at: Progress,
) -> Result<usize, WebhookError> {
    if !hook.wants(ALERT_EVENT) {
        return Ok(0);
    }
    let store_err = |e: liveguard_store::StoreError| WebhookError::Cursor(e.to_string());
    let Some(mut after) = at.read(state, hook, Cursor::Alerts).await? else {
        let last = state.store.live_alert_max_id().await.map_err(store_err)?;
        at.write(state, hook, Cursor::Alerts, last as u64).await?;
        return Ok(0);
    };
    let mut delivered = 0;
    loop {
        let page = state
            .store
            .live_alerts_after(after as i64, BATCH as i64)
            .await
            .map_err(store_err)?;
        if page.is_empty() {
            return Ok(delivered);
        }
        for a in page {
            let body = json!({
                "delivery": format!("alert-{}", a.id),
                "event": ALERT_EVENT,
                "alert_id": a.id, "session_id": a.session_id, "event_id": a.event_id,
                "severity": a.severity, "summary": a.summary, "created_ms": a.created_ms.ms(),
            });
            send(state, hook, ALERT_EVENT, &format!("alert-{}", a.id), &body).await?;
            delivered += 1;
            after = a.id as u64;
            at.write(state, hook, Cursor::Alerts, after).await?;
        }
    }
}

/// The last outcome of each webhook's delivery, by its URL (kept in memory for the
/// administrator's page; the log has the same in its warnings).
#[derive(Debug, Default)]
pub struct DeliveryStatus {
    outcomes: std::sync::Mutex<std::collections::HashMap<String, Outcome>>,
}

/// How a webhook's last round went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// When the last round that delivered or had nothing to deliver ended.
    pub last_ok: Option<liveguard_store::Stamp>,
    /// When the last failure happened, and what it was.
    pub last_failure: Option<(liveguard_store::Stamp, WebhookError)>,
    /// Failures in a row (0 after a success).
    pub failures: u32,
    /// Events delivered since the server started.
    pub delivered: u64,
}

impl DeliveryStatus {
    /// Records a round's outcome for `hook`.
    pub fn record(
        &self,
        hook: &WebhookSettings,
        at: liveguard_store::Stamp,
        result: &Result<usize, WebhookError>,
    ) {
        let mut all = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        let o = all.entry(hook.url.clone()).or_default();
        match result {
            Ok(n) => {
                o.last_ok = Some(at);
                o.failures = 0;
                o.delivered += *n as u64;
            }
            Err(e) => {
                o.last_failure = Some((at, e.clone()));
                o.failures = o.failures.saturating_add(1);
            }
        }
    }

    /// The last outcome for `hook`, if it has run.
    pub fn of(&self, hook: &WebhookSettings) -> Option<Outcome> {
        let all = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        all.get(&hook.url).cloned()
    }
}

/// The webhook's address without its path and query, for pages.
pub fn shown_url(hook: &WebhookSettings) -> String {
    redacted_url(&hook.url)
}

/// One round for `hook`: the review and decision events, then the alerts raised; the
/// outcome is recorded for the administrator's page.
pub async fn deliver_round(
    state: &AppState,
    hook: &WebhookSettings,
) -> Result<usize, WebhookError> {
    deliver_round_at(state, hook, Progress::File).await
}

/// One round for `hook` with its progress kept `at`.
pub async fn deliver_round_at(
    state: &AppState,
    hook: &WebhookSettings,
    at: Progress,
) -> Result<usize, WebhookError> {
    let outcome = match deliver_pending_at(state, hook, at).await {
        Ok(n) => deliver_alerts_at(state, hook, at).await.map(|m| n + m),
        Err(e) => Err(e),
    };
    state
        .webhook_status
        .record(hook, state.store.now(), &outcome);
    outcome
}

/// Delivers in the background until `shutdown` changes; after a failure waits 2, 4, …
/// up to 60 seconds before trying again.
pub async fn run(
    state: AppState,
    hook: WebhookSettings,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    let mut failures: u32 = 0;
    loop {
        let outcome = deliver_round(&state, &hook).await;
        let wait = match outcome {
            Ok(_) => {
                failures = 0;
                Duration::from_secs(1)
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, failures, "Webhook delivery failed; it will be retried.");
                Duration::from_secs((1u64 << failures.min(6)).min(60))
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// The lease under which one node delivers to the stored push targets.
pub const PUSH_LEASE: &str = "push";
/// How long a delivering node's lease lasts without renewal.
const PUSH_LEASE_MS: i64 = 30_000;

/// One pass over the push targets stored by administrators, if this node holds (or takes)
/// the delivery lease: a round for each enabled target not waiting out a failure. Returns
/// how many events were delivered.
pub async fn deliver_stored_round(
    state: &AppState,
    holder: &str,
    waits: &mut std::collections::HashMap<i64, (u32, std::time::Instant)>,
) -> Result<usize, WebhookError> {
    let cursor = |e: String| WebhookError::Cursor(e);
    if !state
        .store
        .take_lease(PUSH_LEASE, holder, PUSH_LEASE_MS)
        .await
        .map_err(|e| cursor(e.to_string()))?
    {
        return Ok(0);
    }
    let targets = crate::features::push::service::enabled_targets(state)
        .await
        .map_err(|e| cursor(e.to_string()))?;
    waits.retain(|id, _| targets.iter().any(|(t, _)| t == id));
    let mut delivered = 0;
    for (id, hook) in targets {
        if waits
            .get(&id)
            .is_some_and(|(_, until)| *until > std::time::Instant::now())
        {
            continue;
        }
        match deliver_round_at(state, &hook, Progress::Stored(id)).await {
            Ok(n) => {
                waits.remove(&id);
                delivered += n;
            }
            Err(e) => {
                let failures = waits.get(&id).map_or(0, |(f, _)| *f).saturating_add(1);
                tracing::warn!(error = %e, target = id, failures, "Push delivery failed; it will be retried.");
                let wait = Duration::from_secs((1u64 << failures.min(6)).min(60));
                waits.insert(id, (failures, std::time::Instant::now() + wait));
            }
        }
        // A long round must not let the lease lapse under it.
        let _ = state
            .store
            .take_lease(PUSH_LEASE, holder, PUSH_LEASE_MS)
            .await;
    }
    Ok(delivered)
}

/// Delivers to the stored push targets every second until `shutdown` changes; with several
/// nodes on one database, the lease makes one of them do it and another take over within
/// 30 s when it stops.
pub async fn run_stored(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut shutdown = shutdown;
    let holder = crate::auth::random_hex32();
    let mut waits = std::collections::HashMap::new();
    loop {
        if let Err(e) = deliver_stored_round(&state, &holder, &mut waits).await {
            tracing::warn!(error = %e, "Push targets could not be read; retrying.");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookSettings {
        WebhookSettings {
            url: url.into(),
            secret: "0123456789abcdef".into(),
            events: vec![],
            format: Default::default(),
        }
    }

    #[test]
    fn urls_secrets_and_events_are_checked() {
        hook("http://127.0.0.1:9000/hooks/liveguard")
            .validate(0)
            .unwrap();
        hook("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
            .validate(1)
            .unwrap();
        assert!(
            hook("ftp://x/y")
                .validate(0)
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(
            hook("not a url")
                .validate(0)
                .unwrap_err()
                .to_string()
                .contains("webhooks[0].url")
        );
        let mut h = hook("http://h/x");
        h.secret = "short".into();
        assert!(h.validate(0).unwrap_err().to_string().contains("secret"));
        let mut h = hook("http://h/x");
        h.events = vec!["review.aproved".into()];
        assert!(
            h.validate(0)
                .unwrap_err()
                .to_string()
                .contains("review.aproved")
        );
    }

    #[test]
    fn debug_output_hides_the_secret_and_the_path() {
        let text = format!(
            "{:?}",
            hook("http://relay:8081/robot?access_token=SECRET-TOKEN")
        );
        assert!(
            !text.contains("0123456789abcdef") && !text.contains("SECRET-TOKEN"),
            "{text}"
        );
        assert!(text.contains("http://relay:8081"));
    }

    #[test]
    fn only_review_state_changes_become_payloads() {
        let entry = |action: &str, object: &str| liveguard_audit::Entry {
            seq: 7,
            time: "2026-11-26T09:00:00Z".into(),
            actor: "ops-reviewer".into(),
            role: "ops_reviewer".into(),
            action: action.into(),
            object: object.into(),
            before: None,
            after: None,
            reason: Some(r#"{"event":"rejected","level":"first"}"#.into()),
        };
        let p = payload(&entry("review.rejected", "submission:12@v3")).unwrap();
        assert_eq!(p["submission_id"], 12);
        assert_eq!(p["version"], 3);
        assert_eq!(p["delivery"], 7);
        assert_eq!(p["detail"]["level"], "first");
        assert!(payload(&entry("review.finding_decided", "submission:12@v3")).is_none());
        assert!(payload(&entry("session.login", "user:1")).is_none());
        let mut h = hook("http://h/x");
        h.events = vec!["review.approved".into()];
        assert!(h.wants("review.approved") && !h.wants("review.rejected"));
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn robots_sign_as_their_documents_say() {
        // Reference values computed independently (Python's hmac and base64).
        assert_eq!(
            robot_sign(
                WebhookFormat::Dingtalk,
                "SEC0123456789abcdef",
                1_700_000_000_000
            ),
            "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="
        );
        assert_eq!(
            robot_sign(WebhookFormat::Feishu, "feishu-secret", 1_700_000_000),
            "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="
        );
    }

    #[test]
    fn robots_get_their_own_message_formats() {
        let robot = |format, secret: &str| WebhookSettings {
            url: "http://127.0.0.1:9/robot/send?access_token=abc".into(),
            secret: secret.into(),
            events: vec![],
            format,
        };
        let (url, body) = robot_request(
            &robot(WebhookFormat::Dingtalk, "SEC0123456789abcdef"),
            "【liveguard】测试",
            1_700_000_000_000,
        );
        assert_eq!(
            url,
            "http://127.0.0.1:9/robot/send?access_token=abc&timestamp=1700000000000&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"
        );
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            json!({"msgtype": "text", "text": {"content": "【liveguard】测试"}})
        );
        let (url, body) = robot_request(&robot(WebhookFormat::Wecom, ""), "x", 1);
        assert!(
            url.ends_with("access_token=abc"),
            "the key stays in the URL, nothing added"
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["msgtype"],
            "text"
        );
        let (_, body) = robot_request(
            &robot(WebhookFormat::Feishu, "feishu-secret"),
            "x",
            1_700_000_000_123,
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"msg_type": "text", "content": {"text": "x"}, "timestamp": "1700000000", "sign": "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="})
        );
        assert!(robot(WebhookFormat::Wecom, "").validate(0).is_ok());
        assert!(
            robot(WebhookFormat::Dingtalk, "").validate(0).is_ok(),
            "加签 is optional"
        );
        assert!(
            robot(WebhookFormat::Wecom, "some-secret-here")
                .validate(0)
                .is_err()
        );
        assert!(robot(WebhookFormat::Liveguard, "").validate(0).is_err());
    }

    #[test]
    fn robot_messages_read_as_sentences() {
        let routed =
            json!({"event": "review.routed", "submission_id": 3, "detail": {"level": "second"}});
        assert_eq!(
            robot_text(&routed, Some("晚场话术")),
            "【liveguard】「晚场话术」待复审"
        );
        let alert = json!({"event": "live.alert", "session_id": 1, "severity": "block", "summary": "站外引流：加微信"});
        assert_eq!(
            robot_text(&alert, None),
            "【liveguard】直播场次 #1直播告警（拦截）：站外引流：加微信"
        );
    }
}
