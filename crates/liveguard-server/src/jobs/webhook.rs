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

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::Full;
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
    "live.alert.acknowledge",
    "live.alert.resolve",
    "live.alert.escalate",
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

/// One webhook (`[[webhooks]]` in the configuration).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// `http://host[:port]/path`. HTTPS receivers are reached through a relay (see docs).
    pub url: String,
    /// The HMAC key (at least 16 characters).
    pub secret: String,
    /// Which of [`EVENTS`] to send; empty = all.
    #[serde(default)]
    pub events: Vec<String>,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &redacted_url(&self.url))
            .field("secret", &"<redacted>")
            .field("events", &self.events)
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
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(SettingsError::Invalid(format!(
                    "{at}.url: HTTPS is not built in; point the webhook at an HTTP relay on the same host or network that forwards to the HTTPS endpoint"
                )));
            }
            _ => {
                return Err(SettingsError::Invalid(format!(
                    "{at}.url must start with http://"
                )));
            }
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(SettingsError::Invalid(format!("{at}.url has no host")));
        }
        if self.secret.chars().count() < 16 {
            return Err(SettingsError::Invalid(format!(
                "{at}.secret must be at least 16 characters"
            )));
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
    /// The store or the cursor file failed.
    #[error("webhook cursor: {0}")]
    Cursor(String),
}

async fn post(
    hook: &WebhookSettings,
    event: &str,
    delivery: &str,
    body: Vec<u8>,
) -> Result<(), WebhookError> {
    let shown = redacted_url(&hook.url);
    let transport = |e: String| WebhookError::Transport(shown.clone(), e);
    let uri: hyper::Uri = hook.url.parse().map_err(|e| transport(format!("{e}")))?;
    let host = uri
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = uri.port_u16().unwrap_or(80);
    let limit = Duration::from_secs(WEBHOOK_SECONDS_MAX);
    let stream = tokio::time::timeout(limit, tokio::net::TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| transport("connection timed out".into()))?
        .map_err(|e| transport(e.to_string()))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| transport(e.to_string()))?;
    let conn = tokio::spawn(conn);
    let request = hyper::Request::post(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .header(
            hyper::header::HOST,
            uri.authority().map(|a| a.as_str()).unwrap_or(&host),
        )
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("liveguard/", env!("CARGO_PKG_VERSION")),
        )
        .header("x-liveguard-event", event)
        .header("x-liveguard-delivery", delivery.to_string())
        .header("x-liveguard-signature", signature(&hook.secret, &body))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| transport(e.to_string()))?;
    let response = tokio::time::timeout(limit, sender.send_request(request))
        .await
        .map_err(|_| transport("no answer in time".into()))?
        .map_err(|e| transport(e.to_string()));
    conn.abort();
    let status = response?.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(WebhookError::Status(shown, status.as_u16()))
    }
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

/// Sends every review event written since the last call, in order, and returns how many
/// were delivered. A webhook seen for the first time starts at the end of the log (no
/// replay of history). Stops at the first failure, leaving that event to be sent again.
pub async fn deliver_pending(
    state: &AppState,
    hook: &WebhookSettings,
) -> Result<usize, WebhookError> {
    let path = hook.cursor_path(state);
    let size = state
        .store
        .audit_size()
        .await
        .map_err(|e| WebhookError::Cursor(e.to_string()))?;
    let Some(mut next) = read_cursor(&path)? else {
        write_cursor(&path, size)?;
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
                let bytes = serde_json::to_vec(&body).expect("JSON values serialize");
                post(hook, &entry.action, &entry.seq.to_string(), bytes).await?;
                delivered += 1;
                // Saved after each delivery so that a crash resends at most this one.
                write_cursor(&path, entry.seq + 1)?;
            }
            next = entry.seq + 1;
        }
        // Entries that were not for this webhook are passed over once per batch.
        write_cursor(&path, next)?;
    }
    Ok(delivered)
}

/// Sends every live alert raised since the last call, oldest first (a webhook seen for the
/// first time starts after the newest alert), and returns how many were delivered.
pub async fn deliver_alerts(
    state: &AppState,
    hook: &WebhookSettings,
) -> Result<usize, WebhookError> {
    if !hook.wants(ALERT_EVENT) {
        return Ok(0);
    }
    let path = hook.cursor_file(state, "alerts.cursor");
    let store_err = |e: liveguard_store::StoreError| WebhookError::Cursor(e.to_string());
    let Some(mut after) = read_cursor(&path)? else {
        let last = state.store.live_alert_max_id().await.map_err(store_err)?;
        write_cursor(&path, last as u64)?;
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
            let bytes = serde_json::to_vec(&body).expect("JSON values serialize");
            post(hook, ALERT_EVENT, &format!("alert-{}", a.id), bytes).await?;
            delivered += 1;
            after = a.id as u64;
            write_cursor(&path, after)?;
        }
    }
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
        let outcome = match deliver_pending(&state, &hook).await {
            Ok(n) => deliver_alerts(&state, &hook).await.map(|m| n + m),
            Err(e) => Err(e),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookSettings {
        WebhookSettings {
            url: url.into(),
            secret: "0123456789abcdef".into(),
            events: vec![],
        }
    }

    #[test]
    fn urls_secrets_and_events_are_checked() {
        hook("http://127.0.0.1:9000/hooks/liveguard")
            .validate(0)
            .unwrap();
        assert!(
            hook("https://example.com/x")
                .validate(1)
                .unwrap_err()
                .to_string()
                .contains("relay")
        );
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
}
