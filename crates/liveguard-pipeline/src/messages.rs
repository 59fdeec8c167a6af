//! Messages on the console bus, and their form on NATS.

use liveguard_live::Processed;
use serde_json::{Value, json};

/// One message on the console bus.
#[derive(Debug, Clone)]
pub struct LiveMsg {
    /// Session.
    pub session_id: i64,
    /// `event`, `alert`, `alert_update` or `session`.
    pub kind: &'static str,
    /// A comment that passed (consoles may sample these).
    pub routine_comment: bool,
    /// JSON payload.
    pub json: String,
}

/// The console message of a stored event.
pub fn event_msg(session_id: i64, event_id: i64, p: &Processed) -> LiveMsg {
    let routine_comment =
        p.kind == liveguard_live::EventKind::Comment && !p.alerts() && p.moderation.is_none();
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(event_id));
    }
    LiveMsg {
        session_id,
        kind: "event",
        routine_comment,
        json: v.to_string(),
    }
}

/// The console message of an alert raised by a stored event; records its latency.
pub fn alert_msg(
    session_id: i64,
    alert_id: i64,
    event_id: i64,
    p: &Processed,
    received_ms: i64,
    stored_ms: i64,
) -> LiveMsg {
    metrics::histogram!("liveguard_live_event_to_alert_seconds")
        .record((stored_ms - received_ms).max(0) as f64 / 1000.0);
    LiveMsg {
        session_id,
        kind: "alert",
        routine_comment: false,
        json: json!({
            "id": alert_id, "event_id": event_id, "severity": p.decision,
            "summary": summary(p), "state": "open", "created_ms": received_ms,
            "received_ms": received_ms, "stored_ms": stored_ms,
            "kind": p.kind, "text": p.text,
        })
        .to_string(),
    }
}

/// The one-line summary of an alert: its most serious finding.
pub fn summary(p: &Processed) -> String {
    let Some(f) = p.findings.iter().max_by_key(|f| f.severity) else {
        return String::new();
    };
    // What the duty officer reads: the kind of problem in Chinese and the words said.
    let mut s = format!("{}：{}", f.category.label_zh(), f.matched);
    if s.chars().count() > 160 {
        s = s.chars().take(159).collect::<String>() + "…";
    }
    s
}

/// A worker's console message as it crosses NATS.
pub fn console_payload(msg: &LiveMsg) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"kind": msg.kind, "routine_comment": msg.routine_comment, "json": msg.json}),
    )
    .expect("JSON values serialize")
}

/// A console message read back from NATS; unknown kinds and malformed payloads are `None`.
pub fn console_msg(session_id: i64, payload: &[u8]) -> Option<LiveMsg> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let kind = match v["kind"].as_str()? {
        "event" => "event",
        "alert" => "alert",
        "alert_update" => "alert_update",
        _ => return None,
    };
    Some(LiveMsg {
        session_id,
        kind,
        routine_comment: v["routine_comment"].as_bool().unwrap_or(false),
        json: v["json"].as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveguard_live::Monitor;
    use liveguard_screen::{Scratch, ScreenBuilder, ScreenConfig, defaults};

    fn processed(text: &str) -> Processed {
        let mut b = ScreenBuilder::new(ScreenConfig::default_config());
        defaults::add_default_packs(&mut b).unwrap();
        let screen = b.build().unwrap();
        let mut m = Monitor::new(&screen, None, vec![], b"k");
        m.process(
            &screen,
            &mut Scratch::default(),
            &serde_json::from_value(json!({"key": "k", "kind": "comment", "at_ms": 1_764_590_400_000i64, "user_id": "u", "text": text})).unwrap(),
        )
    }

    #[test]
    fn console_messages_survive_the_trip_through_nats() {
        let p = processed("加微信聊");
        for sent in [event_msg(4, 17, &p), alert_msg(4, 9, 17, &p, 100, 160)] {
            let got = console_msg(4, &console_payload(&sent)).expect("parses");
            assert_eq!(
                (got.session_id, got.kind, got.routine_comment),
                (4, sent.kind, sent.routine_comment)
            );
            assert_eq!(got.json, sent.json);
        }
        let alert: Value = serde_json::from_str(&alert_msg(4, 9, 17, &p, 100, 160).json).unwrap();
        assert_eq!(
            (
                alert["id"].as_i64(),
                alert["event_id"].as_i64(),
                alert["received_ms"].as_i64()
            ),
            (Some(9), Some(17), Some(100))
        );
        assert!(
            console_msg(4, br#"{"kind":"shutdown","json":"{}"}"#).is_none(),
            "unknown kinds are dropped"
        );
        assert!(console_msg(4, b"not json").is_none());
    }

    #[test]
    fn the_summary_names_the_most_serious_finding() {
        let p = processed("加微信聊");
        assert!(summary(&p).starts_with("站外引流："), "{}", summary(&p));
    }
}
