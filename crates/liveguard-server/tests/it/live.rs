//! Live monitoring end to end on the demo company: a session from the approved plan, events
//! in, findings, alerts and their decisions, moderation, follow-ups, escalation, the report.

use crate::common;

use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const T0: i64 = 1_764_590_400_000;

fn events(list: Value) -> Value {
    json!({ "events": list })
}

async fn post(t: &TestApp, token: &str, uri: &str, body: Value) -> Resp {
    t.call(json_req(Method::POST, uri, Some(token), body)).await
}

async fn get_json(t: &TestApp, token: &str, uri: &str) -> Value {
    let r = t.call(get(uri, Some(token))).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.json()
}

fn db_bytes(t: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for f in ["liveguard.db", "liveguard.db-wal"] {
        if let Ok(b) = std::fs::read(t._dir.0.join(f)) {
            all.extend(b);
        }
    }
    all
}

#[tokio::test]
async fn a_demo_session_runs_end_to_end() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let lead = t.token_of("lead").await;
    let streamer = t.token_of("streamer").await;
    let service = t.token_of("service").await;

    let list = get_json(&t, &ops, "/api/v1/live/sessions").await;
    let s = &list["sessions"][0];
    let id = s["id"].as_i64().unwrap();
    assert_eq!(s["state"], "planned");
    assert!(
        s["script"]["submission_id"].is_i64(),
        "the approved script is frozen into the session: {s}"
    );
    let product = s["lineup"][0]["product_id"].as_i64().unwrap();
    let ev_uri = format!("/api/v1/live/sessions/{id}/events");

    // Not live yet: refused, nothing stored.
    let r = post(
        &t,
        &ops,
        &ev_uri,
        events(json!([{"key": "x", "kind": "transcript", "at_ms": T0, "text": "欢迎"}])),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // Streamers may not start sessions or send events.
    let r = post(
        &t,
        &streamer,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(
        &t,
        &streamer,
        &ev_uri,
        events(json!([{"key": "x", "kind": "transcript", "at_ms": T0, "text": "欢迎"}])),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Bad batches name the event and field, and store nothing.
    let r = post(
        &t,
        &ops,
        &ev_uri,
        events(json!([
            {"key": "ok", "kind": "transcript", "at_ms": T0, "text": "欢迎"},
            {"key": "bad", "kind": "comment", "at_ms": T0, "user_id": "u"},
        ])),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "events[1].text");
    let r = post(&t, &ops, &ev_uri, events(json!([]))).await;
    assert_eq!(r.json()["field"], "events");
    let r = post(&t, &ops, &ev_uri, json!({"events": [{"key": "k", "kind": "comment", "at_ms": T0, "text": "x", "user_id": "u", "ip": "1.2.3.4"}]})).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused: {}",
        r.text()
    );
    let big: Vec<Value> = (0..1001).map(|i| json!({"key": format!("b{i}"), "kind": "comment", "at_ms": T0, "text": "好", "user_id": "u"})).collect();
    let r = post(&t, &ops, &ev_uri, events(Value::Array(big))).await;
    assert_eq!(r.json()["field"], "events");
    let stats = get_json(&t, &ops, &format!("/api/v1/live/sessions/{id}")).await;
    assert_eq!(
        stats["stats"]["events"], 0,
        "refused batches stored nothing"
    );

    // The stream.
    let batch = events(json!([
        {"key": "card-1", "kind": "product_card", "at_ms": T0, "product_id": product, "price_fen": 9900},
        {"key": "say-1", "kind": "transcript", "at_ms": T0 + 1000, "end_ms": T0 + 4000, "speaker": "主播", "confidence": 0.93, "text": "今天直播间只要99元，七天无理由退货"},
        {"key": "say-2", "kind": "transcript", "at_ms": T0 + 5000, "speaker": "主播", "text": "这款面霜用完立竿见影，到手价八十九块，假一赔十"},
        {"key": "cmt-1", "kind": "comment", "at_ms": T0 + 6000, "user_id": "douyin-8848", "nickname": "小鹿", "text": "加我微信13812345678便宜卖"},
        {"key": "cmt-2", "kind": "comment", "at_ms": T0 + 7000, "user_id": "douyin-9000", "nickname": "阿花", "text": "上次买的用了过敏烂脸了"},
        {"key": "cmt-3", "kind": "comment", "at_ms": T0 + 8000, "user_id": "douyin-8848", "nickname": "小鹿", "text": "主播好美"},
    ]));
    let r = post(&t, &ops, &ev_uri, batch.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["accepted"], 6);
    assert_eq!(v["duplicates"], 0);
    let decisions: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        ["pass", "pass", "block", "block", "pass", "pass"],
        "{v}"
    );
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2);

    // Re-delivery of the same batch: acknowledged, stored once, no second alert.
    let r = post(&t, &ops, &ev_uri, batch).await;
    let again = r.json();
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(6))
    );
    assert!(again["alerts"].as_array().unwrap().is_empty());

    let stored = get_json(&t, &ops, &format!("{ev_uri}?limit=100")).await;
    let stored = stored["events"].as_array().unwrap().clone();
    assert_eq!(stored.len(), 6);
    let say2 = &stored[2];
    let rules: Vec<&str> = say2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for want in [
        "live/script-drift",
        "live/price-mismatch",
        "claims/efficacy/guarantee",
    ] {
        assert!(rules.contains(&want), "{want} in {rules:?}");
    }
    for f in say2["findings"].as_array().unwrap() {
        assert!(
            !f["citations"].as_array().unwrap().is_empty(),
            "every finding cites the law: {f}"
        );
        let text = say2["text"].as_str().unwrap();
        assert_eq!(
            &text[f["span"]["byte_start"].as_u64().unwrap() as usize
                ..f["span"]["byte_end"].as_u64().unwrap() as usize],
            f["matched"]
        );
    }
    assert!(
        !stored[1]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "live/script-drift"),
        "the approved script is not drift"
    );
    // Personal information never reaches storage; viewers are keyed digests.
    let cmt1 = &stored[3];
    assert_eq!(cmt1["text"], "加我微信138****5678便宜卖");
    assert_eq!(cmt1["moderation"]["action"], "hide");
    assert_eq!(
        cmt1["viewer"], stored[5]["viewer"],
        "one viewer, one digest"
    );
    assert_ne!(cmt1["viewer"], stored[4]["viewer"]);
    let bytes = db_bytes(&t);
    for raw in ["13812345678", "douyin-8848", "douyin-9000"] {
        assert!(
            !bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
            "{raw} was written to the database"
        );
    }
    assert_eq!(stored[4]["moderation"]["action"], "reply");
    assert_eq!(stored[4]["moderation"]["negative_feedback"], true);

    // Moderation: negative feedback may not be hidden; every action is recorded and audited.
    let neg = stored[4]["id"].as_i64().unwrap();
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/events/{neg}/moderation"),
        json!({"action": "hide", "reason": "影响转化"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("negative product feedback"));
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/events/{neg}/moderation"),
        json!({"action": "reply", "reason": "已私信客服跟进退货"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let spam = cmt1["id"].as_i64().unwrap();
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/events/{spam}/moderation"),
        json!({"action": "hide", "reason": "站外引流"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/events/{}/moderation", stored[1]["id"]),
        json!({"action": "hide", "reason": "x"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only comments are moderated"
    );

    // Alerts: acknowledge, resolve with a reason; both audited.
    let alerts = get_json(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/alerts?state=open"),
    )
    .await;
    let alerts = alerts["alerts"].as_array().unwrap().clone();
    assert_eq!(alerts.len(), 2);
    let a = alerts[0]["id"].as_i64().unwrap();
    let act_uri = format!("/api/v1/live/alerts/{a}/actions");
    let act = |body: Value| post(&t, &ops, &act_uri, body);
    assert_eq!(
        act(json!({"action": "acknowledge"})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(json!({"action": "acknowledge"})).await.status,
        StatusCode::CONFLICT,
        "already acknowledged"
    );
    let r = act(json!({"action": "resolve"})).await;
    assert_eq!(r.json()["field"], "reason");
    let r = act(json!({"action": "shout"})).await;
    assert_eq!(r.json()["field"], "action");
    let r = act(json!({"action": "resolve", "reason": "评论已隐藏", "incident": true})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["incident"].as_bool()),
        (Some("resolved"), Some(true))
    );
    let r = post(
        &t,
        &streamer,
        &format!("/api/v1/live/alerts/{}/actions", alerts[1]["id"]),
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audit = get_json(&t, &lead, "/api/v1/audit/entries?limit=200").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "live.session.create",
        "live.session.start",
        "live.alert.acknowledge",
        "live.alert.resolve",
        "live.comment.hide",
        "live.comment.reply",
    ] {
        assert!(actions.contains(&want), "{want} in the audit log");
    }

    // Escalation of the block alert nobody acknowledged.
    let other = alerts[1]["id"].as_i64().unwrap();
    assert_eq!(
        liveguard_server::jobs::escalate_overdue(&t.state)
            .await
            .unwrap(),
        0,
        "not overdue yet"
    );
    t.clock.advance(time::Duration::seconds(121));
    assert_eq!(
        liveguard_server::jobs::escalate_overdue(&t.state)
            .await
            .unwrap(),
        1
    );
    let alerts = get_json(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/alerts?state=escalated"),
    )
    .await;
    assert_eq!(alerts["alerts"][0]["id"].as_i64(), Some(other));
    // The compliance lead is told; the operations staff are not.
    let told = get_json(&t, &lead, "/api/v1/notifications").await;
    let esc: Vec<&Value> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "live.alert.escalate")
        .collect();
    assert_eq!(esc.len(), 1, "{told}");
    assert_eq!(
        (esc[0]["alert_id"].as_i64(), esc[0]["session_id"].as_i64()),
        (Some(other), Some(id))
    );
    let ops_told = get_json(&t, &ops, "/api/v1/notifications").await;
    assert!(
        !ops_told["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["event"] == "live.alert.escalate")
    );
    let r = t
        .call(get(
            &format!("/api/v1/live/sessions/{id}/alerts?state=bogus"),
            Some(&ops),
        ))
        .await;
    assert_eq!(r.json()["field"], "state");

    // Promise follow-ups: customer service closes them.
    let tasks = get_json(&t, &service, &format!("/api/v1/live/sessions/{id}/tasks")).await;
    let said: Vec<&str> = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["said"].as_str().unwrap())
        .collect();
    assert!(
        said.contains(&"假一赔十") && said.contains(&"七天无理由"),
        "{said:?}"
    );
    let task = tasks["tasks"][0]["id"].as_i64().unwrap();
    let r = post(
        &t,
        &streamer,
        &format!("/api/v1/live/tasks/{task}/close"),
        json!({"note": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &t,
        &service,
        &format!("/api/v1/live/tasks/{task}/close"),
        json!({"note": "已在商品页写明七天无理由"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Console and report pages.
    let (cookie, _) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    for uri in [
        format!("/live/{id}"),
        format!("/live/{id}/report"),
        "/live".to_string(),
    ] {
        let r = t
            .call(
                axum::http::Request::builder()
                    .uri(&uri)
                    .header(header::COOKIE, &cookie)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(!r.text().contains("13812345678"));
    }
    // The report page speaks Chinese and draws its counts: categories and severities by
    // their labels, charts as inline SVG, no raw codes.
    let report = t
        .call(page_get(&cookie, &format!("/live/{id}/report")))
        .await
        .text();
    assert!(report.contains("<figure class=\"chart\">"), "{report}");
    assert!(report.contains("<svg"), "{report}");
    assert!(
        report.contains("站外引流") || report.contains("功效宣称"),
        "{report}"
    );
    assert!(
        report.contains("需复核") || report.contains("拦截"),
        "{report}"
    );
    for code in [
        ">block<",
        ">review<",
        "off_platform",
        "efficacy_claim",
        ">open<",
    ] {
        assert!(!report.contains(code), "{code} shown raw in the report");
    }

    // End: events refused afterwards, retention set, the report complete.
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/end"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.json()["retain_until"]
            .as_str()
            .unwrap()
            .starts_with("2029-11-30"),
        "{}",
        r.text()
    );
    let r = post(
        &t,
        &ops,
        &ev_uri,
        events(json!([{"key": "late", "kind": "transcript", "at_ms": T0, "text": "再见"}])),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/hold"),
        json!({"legal_hold": true, "reason": "消费者投诉待处理"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "operations staff cannot set a legal hold"
    );
    let r = post(
        &t,
        &lead,
        &format!("/api/v1/live/sessions/{id}/hold"),
        json!({"legal_hold": true, "reason": "消费者投诉待处理"}),
    )
    .await;
    assert_eq!(r.json()["legal_hold"], true);
    let report = get_json(&t, &ops, &format!("/api/v1/live/sessions/{id}/report")).await;
    assert_eq!(report["stats"]["events"], 6);
    assert_eq!(report["alerts"]["total"], 2);
    assert_eq!(report["alerts"]["escalated"], 1);
    assert_eq!(report["alerts"]["incidents"], 1);
    assert!(report["alerts"]["acknowledge_ms"]["p50"].is_i64());
    assert_eq!(report["comments"]["total"], 3);
    assert_eq!(report["comments"]["viewers"], 2);
    assert_eq!(report["comments"]["moderation_actions"], 2);
    assert!(
        report["drift"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["said"] == "立竿见影")
    );
    assert!(report["findings_by_rule"]["live/price-mismatch"].as_i64() >= Some(1));
}

#[tokio::test]
async fn the_console_stream_carries_alerts_as_they_happen() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let id = get_json(&t, &ops, "/api/v1/live/sessions").await["sessions"][0]["id"]
        .as_i64()
        .unwrap();
    post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    let resp = t
        .router
        .clone()
        .oneshot(get(
            &format!("/api/v1/live/sessions/{id}/stream"),
            Some(&ops),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body();
    let r = post(&t, &ops, &format!("/api/v1/live/sessions/{id}/events"), events(json!([
        {"key": "c1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加V私聊，带你赚钱"},
    ]))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut seen = String::new();
    while !seen.contains("event: alert") {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an alert within 5 s")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(seen.contains("event: event"), "{seen}");
    assert!(seen.contains("加V"), "{seen}");
    // Someone without the right to watch is refused.
    let streamer = t.token_of("streamer").await;
    let r = t
        .call(get(
            &format!("/api/v1/live/sessions/{id}/stream"),
            Some(&streamer),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sessions_are_created_from_plans_with_a_valid_duty_officer() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("manager").await;
    let plans = get_json(&t, &ops, "/api/v1/plans").await;
    let plan = plans["plans"][0]["id"].as_i64().unwrap();
    let r = post(
        &t,
        &ops,
        "/api/v1/live/sessions",
        json!({"plan_id": plan, "duty_officer": "streamer"}),
    )
    .await;
    assert_eq!(
        r.json()["field"],
        "duty_officer",
        "a streamer cannot be the duty officer"
    );
    let r = post(
        &t,
        &ops,
        "/api/v1/live/sessions",
        json!({"plan_id": plan, "duty_officer": "nobody"}),
    )
    .await;
    assert_eq!(r.json()["field"], "duty_officer");
    let r = post(
        &t,
        &ops,
        "/api/v1/live/sessions",
        json!({"plan_id": 9999, "duty_officer": "manager"}),
    )
    .await;
    assert_eq!(r.json()["field"], "plan_id");
    let r = post(
        &t,
        &ops,
        "/api/v1/live/sessions",
        json!({"plan_id": plan, "duty_officer": "manager", "title": "加场"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["title"], "加场");
    assert!(r.json()["script"]["content_hash"].is_string());
    let service = t.token_of("service").await;
    let r = post(
        &t,
        &service,
        "/api/v1/live/sessions",
        json!({"plan_id": plan, "duty_officer": "manager"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn batches_over_a_websocket_are_answered_in_order() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let id = get_json(&t, &ops, "/api/v1/live/sessions").await["sessions"][0]["id"]
        .as_i64()
        .unwrap();
    // Not live yet: the upgrade is refused.
    let port = t.serve_tcp().await;
    let connect = |token: String| async move {
        let mut req = format!("ws://127.0.0.1:{port}/api/v1/live/sessions/{id}/ws")
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(req).await
    };
    match connect(ops.clone()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), StatusCode::CONFLICT)
        }
        other => panic!("expected 409 before the session starts, got {other:?}"),
    }
    post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    let streamer = t.token_of("streamer").await;
    match connect(streamer).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), StatusCode::FORBIDDEN)
        }
        other => panic!("expected 403 for a streamer, got {other:?}"),
    }
    let (mut ws, _) = connect(ops.clone()).await.unwrap();
    let mut ask = async |text: String| -> Value {
        ws.send(Message::Text(text.into())).await.unwrap();
        loop {
            match ws.next().await.unwrap().unwrap() {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                _ => continue,
            }
        }
    };
    let first = ask(events(json!([
        {"key": "w1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加微信私聊"},
        {"key": "w2", "kind": "comment", "at_ms": T0, "user_id": "u2", "text": "好看"},
    ]))
    .to_string())
    .await;
    assert_eq!(first["accepted"], 2, "{first}");
    assert_eq!(first["alerts"].as_array().unwrap().len(), 1);
    // A bad batch is answered with a problem; the connection stays usable.
    let bad = ask("{not json".into()).await;
    assert_eq!(bad["code"], "malformed_body", "{bad}");
    let invalid = ask(
        events(json!([{"key": "w3", "kind": "comment", "at_ms": T0, "text": "x"}])).to_string(),
    )
    .await;
    assert_eq!(
        (invalid["code"].as_str(), invalid["field"].as_str()),
        (Some("validation_failed"), Some("events[0].user_id"))
    );
    let again = ask(events(json!([
        {"key": "w1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加微信私聊"},
        {"key": "w4", "kind": "comment", "at_ms": T0, "user_id": "u3", "text": "已拍"},
    ]))
    .to_string())
    .await;
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(1), Some(1)),
        "{again}"
    );
    let stats = get_json(&t, &ops, &format!("/api/v1/live/sessions/{id}")).await;
    assert_eq!(stats["stats"]["events"], 3);
}

#[tokio::test]
async fn live_alerts_and_their_decisions_reach_webhooks() {
    use liveguard_server::webhook::{WebhookSettings, deliver_alerts, deliver_pending, signature};
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;
    let received: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push((headers, body.to_vec()));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let hook = WebhookSettings {
        url: format!("http://{addr}/hook"),
        secret: "live-secret-0123456789".into(),
        events: vec!["live.alert".into(), "live.alert.resolve".into()],
        format: Default::default(),
    };
    let t = spawn_demo(|s| s.webhooks = vec![hook.clone()]).await;
    t.state.settings.validate().unwrap();
    // New webhooks start at the end: nothing from before is replayed.
    assert_eq!(deliver_alerts(&t.state, &hook).await.unwrap(), 0);
    assert_eq!(deliver_pending(&t.state, &hook).await.unwrap(), 0);

    let ops = t.token_of("reviewer").await;
    let id = get_json(&t, &ops, "/api/v1/live/sessions").await["sessions"][0]["id"]
        .as_i64()
        .unwrap();
    post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/events"),
        events(json!([
            {"key": "h1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加微信私聊"},
            {"key": "h2", "kind": "comment", "at_ms": T0, "user_id": "u2", "text": "好看"},
            {"key": "h3", "kind": "comment", "at_ms": T0, "user_id": "u3", "text": "代开发票"},
        ])),
    )
    .await;
    let alerts: Vec<i64> = r.json()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_i64().unwrap())
        .collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(deliver_alerts(&t.state, &hook).await.unwrap(), 2);
    assert_eq!(
        deliver_alerts(&t.state, &hook).await.unwrap(),
        0,
        "each alert once"
    );
    // Acknowledging is not subscribed; resolving is.
    let uri = format!("/api/v1/live/alerts/{}/actions", alerts[0]);
    post(&t, &ops, &uri, json!({"action": "acknowledge"})).await;
    post(
        &t,
        &ops,
        &uri,
        json!({"action": "resolve", "reason": "已隐藏并禁言"}),
    )
    .await;
    assert_eq!(deliver_pending(&t.state, &hook).await.unwrap(), 1);

    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    for (headers, body) in &got {
        assert_eq!(
            headers["x-liveguard-signature"],
            signature(&hook.secret, body).as_str()
        );
    }
    let bodies: Vec<Value> = got
        .iter()
        .map(|(_, b)| serde_json::from_slice(b).unwrap())
        .collect();
    assert_eq!(
        (bodies[0]["event"].as_str(), bodies[0]["alert_id"].as_i64()),
        (Some("live.alert"), Some(alerts[0]))
    );
    assert_eq!(bodies[0]["session_id"].as_i64(), Some(id));
    assert_eq!(
        got[0].0["x-liveguard-delivery"],
        format!("alert-{}", alerts[0]).as_str()
    );
    assert_eq!(bodies[1]["alert_id"].as_i64(), Some(alerts[1]));
    assert_eq!(
        (bodies[2]["event"].as_str(), bodies[2]["alert_id"].as_i64()),
        (Some("live.alert.resolve"), Some(alerts[0]))
    );
    assert_eq!(bodies[2]["detail"]["reason"], "已隐藏并禁言");
    // An unknown event name in the configuration is refused by name.
    let mut bad = hook.clone();
    bad.events = vec!["live.alerts".into()];
    assert!(
        bad.validate(0)
            .unwrap_err()
            .to_string()
            .contains("live.alerts")
    );
}

#[tokio::test]
async fn records_are_purged_after_their_retention_date_unless_held() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let legal = t.token_of("legal").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let r = post(
        &t,
        &ops,
        "/api/v1/live/sessions/1/events",
        events(json!([{"key": "a", "kind": "transcript", "at_ms": T0, "text": "全网最低价，立竿见影"}])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    post(&t, &ops, "/api/v1/live/sessions/1/end", json!({})).await;
    // A day before the retention date nothing goes; after it, a held session stays.
    t.clock.advance(time::Duration::days(1094));
    assert!(
        liveguard_server::jobs::purge_expired(&t.state)
            .await
            .unwrap()
            .is_empty()
    );
    let r = post(
        &t,
        &legal,
        "/api/v1/live/sessions/1/hold",
        json!({"legal_hold": true, "reason": "消费者投诉待处理"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    t.clock.advance(time::Duration::days(2));
    assert!(
        liveguard_server::jobs::purge_expired(&t.state)
            .await
            .unwrap()
            .is_empty()
    );
    post(
        &t,
        &legal,
        "/api/v1/live/sessions/1/hold",
        json!({"legal_hold": false, "reason": "投诉已结案"}),
    )
    .await;
    assert_eq!(
        liveguard_server::jobs::purge_expired(&t.state)
            .await
            .unwrap(),
        vec![1]
    );
    let s = get_json(&t, &ops, "/api/v1/live/sessions/1").await;
    assert!(s["purged_at"].is_string(), "{s}");
    let ev = get_json(&t, &ops, "/api/v1/live/sessions/1/events").await;
    assert_eq!(ev["events"].as_array().unwrap().len(), 0);
    let (cookie, _) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let page = t.call(page_get(&cookie, "/live/1/report")).await.text();
    assert!(page.contains("记录已清除于"), "{page}");
    t.assert_audited("action=live.session.purge", &["live.session.purge"])
        .await;
}

/// Security review F3 (issue 11): a revoked token or a disabled user loses its open
/// WebSocket at the next batch and its event stream within the recheck period.
#[tokio::test]
async fn r11_f3_open_connections_end_with_their_credential() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let admin = t.token_of("admin").await;
    let id = get_json(&t, &ops, "/api/v1/live/sessions").await["sessions"][0]["id"]
        .as_i64()
        .unwrap();
    post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    let port = t.serve_tcp().await;
    let mut req = format!("ws://127.0.0.1:{port}/api/v1/live/sessions/{id}/ws")
        .into_client_request()
        .unwrap();
    // A token of its own, so that revoking it leaves `ops` working.
    let r = post(&t, &ops, "/api/v1/tokens", json!({"name": "ws"})).await;
    let ws_token = r.json()["token"].as_str().unwrap().to_string();
    let ws_token_id = r.json()["id"].as_i64().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {ws_token}").parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let batch = |key: &str| {
        events(
            json!([{"key": key, "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "好看"}]),
        )
        .to_string()
    };
    ws.send(Message::Text(batch("before").into()))
        .await
        .unwrap();
    let Some(Ok(Message::Text(first))) = ws.next().await else {
        panic!("an answer")
    };
    assert!(first.as_str().contains("\"accepted\":1"), "{first}");
    let r = t
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/tokens/{ws_token_id}"),
            Some(&admin),
            Value::Null,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    ws.send(Message::Text(batch("after").into())).await.unwrap();
    let Some(Ok(Message::Text(answer))) = ws.next().await else {
        panic!("an answer")
    };
    assert!(answer.as_str().contains("unauthenticated"), "{answer}");
    assert!(
        matches!(ws.next().await, Some(Ok(Message::Close(_))) | None),
        "then closed"
    );
    // An idle WebSocket is closed by the timer once its token is revoked.
    let r = post(&t, &ops, "/api/v1/tokens", json!({"name": "idle-ws"})).await;
    let (idle_token, idle_id) = (
        r.json()["token"].as_str().unwrap().to_string(),
        r.json()["id"].as_i64().unwrap(),
    );
    let mut req = format!("ws://127.0.0.1:{port}/api/v1/live/sessions/{id}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {idle_token}").parse().unwrap(),
    );
    let (mut idle, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let r = t
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/tokens/{idle_id}"),
            Some(&ops),
            Value::Null,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let answer = tokio::time::timeout(Duration::from_secs(7), idle.next())
        .await
        .expect("closed within the recheck period");
    assert!(
        matches!(&answer, Some(Ok(Message::Text(t))) if t.as_str().contains("unauthenticated")),
        "{answer:?}"
    );
    let stored = get_json(&t, &ops, &format!("/api/v1/live/sessions/{id}/events")).await;
    assert!(!stored.to_string().contains("\"after\""), "{stored}");

    // The event stream of a token that is then revoked ends with an `auth` event.
    let r = post(&t, &ops, "/api/v1/tokens", json!({"name": "console"})).await;
    let (sse_token, sse_id) = (
        r.json()["token"].as_str().unwrap().to_string(),
        r.json()["id"].as_i64().unwrap(),
    );
    let resp = t
        .router
        .clone()
        .oneshot(get(
            &format!("/api/v1/live/sessions/{id}/stream"),
            Some(&sse_token),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // The stream runs (its first check passes) before the token is revoked: the timer,
    // not the first poll, must end it.
    let mut body = resp.into_body();
    let first = tokio::time::timeout(Duration::from_millis(300), body.frame()).await;
    assert!(first.is_err(), "nothing to send yet: {first:?}");
    let r = t
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/tokens/{sse_id}"),
            Some(&ops),
            Value::Null,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let started = std::time::Instant::now();
    let seen = read_until_end(body).await;
    assert!(
        started.elapsed() <= Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    assert!(
        seen.contains("event: auth") && seen.contains("unauthenticated"),
        "{seen}"
    );

    // The event stream of a user who is then disabled ends with an `auth` event.
    let service = t.token_of("service").await;
    let resp = t
        .router
        .clone()
        .oneshot(get(
            &format!("/api/v1/live/sessions/{id}/stream"),
            Some(&service),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let service_id = t
        .state
        .store
        .user_by_name("service")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = t
        .call(json_req(
            Method::PATCH,
            &format!("/api/v1/users/{service_id}"),
            Some(&admin),
            json!({"disabled": true}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let seen = read_until_end(resp.into_body()).await;
    assert!(seen.contains("event: auth"), "{seen}");
    assert!(seen.contains("account_disabled"), "{seen}");
}

/// Everything an event stream sends until it ends (at most 15 s).
async fn read_until_end(mut body: axum::body::Body) -> String {
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    seen.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Ok(_) => return seen,
            Err(_) => panic!("the stream did not end within 15 s: {seen}"),
        }
    }
}

/// Ending a session with open alerts asks first and says what happens to them; the duty
/// officer can acknowledge every open alert at once (each one audited).
#[tokio::test]
async fn ending_with_open_alerts_asks_first_and_alerts_can_be_acknowledged_at_once() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let r = post(&t, &ops, "/api/v1/live/sessions/1/events", events(json!([
        {"key": "c1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加V私聊，带你赚钱"},
        {"key": "c2", "kind": "comment", "at_ms": T0 + 1, "user_id": "u2", "text": "加我微信 wx123456 私下买更便宜"},
    ]))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (cookie, csrf) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let r = t.call(form_post(&cookie, &csrf, "/live/1/end", &[])).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("data-testid=\"end-confirm\""),
        "{}",
        r.text()
    );
    assert!(r.text().contains("不再升级"));
    assert_eq!(
        t.state.store.live_session(1).await.unwrap().state.as_str(),
        "live"
    );

    let console = t.call(page_get(&cookie, "/live/1")).await.text();
    assert!(console.contains("data-testid=\"acknowledge-all\""));
    let r = t
        .call(form_post(&cookie, &csrf, "/live/1/acknowledge-all", &[]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let alerts = t.state.store.live_alert_page(1, 0, 100).await.unwrap();
    assert!(!alerts.is_empty());
    assert!(alerts.iter().all(|a| a.state.as_str() == "acknowledged"));
    t.assert_audited("action=live.alert.acknowledge", &["live.alert.acknowledge"])
        .await;

    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            "/live/1/end",
            &[("confirm", "yes")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        t.state.store.live_session(1).await.unwrap().state.as_str(),
        "ended"
    );
}

/// The lead's notifications group a session's escalations into one row with their count,
/// and say how many are new since the previous sign-in.
#[tokio::test]
async fn escalations_of_one_session_are_one_notification_with_a_count() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let r = post(&t, &ops, "/api/v1/live/sessions/1/events", events(json!([
        {"key": "b1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加我微信 wx123456 私下买更便宜"},
        {"key": "b2", "kind": "comment", "at_ms": T0 + 1, "user_id": "u2", "text": "加我VX：abc12345，私聊下单"},
        {"key": "b3", "kind": "comment", "at_ms": T0 + 2, "user_id": "u3", "text": "联系电话 13812345678 私下交易"},
    ]))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let blocks = get_json(&t, &ops, "/api/v1/live/sessions/1/alerts").await["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["severity"] == "block")
        .count();
    assert!(blocks >= 2, "two block alerts to escalate");
    t.clock.advance(time::Duration::seconds(121));
    let escalated = liveguard_server::jobs::escalate_overdue(&t.state)
        .await
        .unwrap();
    assert_eq!(escalated, blocks);
    let (cookie, _) = t
        .login("lead", &liveguard_server::demo_password("lead"))
        .await
        .unwrap();
    let page = t.call(page_get(&cookie, "/notifications")).await.text();
    assert_eq!(
        page.matches("data-testid=\"escalation\"").count(),
        1,
        "{page}"
    );
    assert!(page.contains(&format!("同场共 {blocks} 条")), "{page}");
    assert!(page.contains("data-testid=\"new-count\""));
}

/// The console shows open alerts with the same text as one row with their count, by their
/// labels, with a severity filter and a sound switch.
#[tokio::test]
async fn the_console_groups_alike_alerts_and_speaks_in_labels() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let r = post(&t, &ops, "/api/v1/live/sessions/1/events", events(json!([
        {"key": "g1", "kind": "comment", "at_ms": T0, "user_id": "u1", "text": "加微信私聊"},
        {"key": "g2", "kind": "comment", "at_ms": T0 + 1, "user_id": "u2", "text": "加微信私聊"},
        {"key": "g3", "kind": "comment", "at_ms": T0 + 2, "user_id": "u3", "text": "加微信私聊"},
    ]))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (cookie, _) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let page = t.call(page_get(&cookie, "/live/1")).await.text();
    assert_eq!(
        page.matches("data-testid=\"alert\"").count(),
        1,
        "one row for the three"
    );
    assert!(page.contains("×3"), "{page}");
    assert!(page.contains("站外引流："), "the summary in words");
    assert!(page.contains("id=\"alert-filter\"") && page.contains("id=\"alert-sound\""));
    assert!(
        !page.contains(">offplatform/"),
        "rule ids only in hover titles"
    );
    // The session report, also as a PDF to file (headless Chromium; mandatory in CI).
    let report = t.call(page_get(&cookie, "/live/1/report")).await.text();
    assert!(report.contains("data-testid=\"report-pdf\""));
    let pdf = t.call(page_get(&cookie, "/live/1/report.pdf")).await;
    if pdf.status == StatusCode::OK {
        assert!(pdf.body.starts_with(b"%PDF-"), "a PDF document");
    } else {
        assert_eq!(pdf.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true needs chromium for the PDF: {}",
            pdf.text()
        );
        eprintln!("NOTICE: chromium is not installed; the report PDF was not exercised");
    }
}

/// Every alert on the console links to the event it came from: a page with the event, its
/// findings and citations, the alert it raised, and what was said before and after.
#[tokio::test]
async fn an_alert_links_to_its_event_in_context() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let now = 1_796_000_000_000i64;
    let r = post(
        &t,
        &ops,
        "/api/v1/live/sessions/1/events",
        json!({"events": [
            {"key": "before", "kind": "transcript", "at_ms": now, "text": "欢迎大家来到直播间"},
            {"key": "bad", "kind": "transcript", "at_ms": now + 1000, "text": "这款面霜能治疗湿疹"},
            {"key": "after", "kind": "transcript", "at_ms": now + 2000, "text": "下面看看质地"},
        ]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let event_id = r.json()["results"][1]["event_id"].as_i64().unwrap();
    assert!(r.json()["results"][1]["alert_id"].is_i64(), "{}", r.text());
    let (cookie, _) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let console = t.call(page_get(&cookie, "/live/1")).await.text();
    assert!(
        console.contains(&format!("href=\"/live/1/events/{event_id}\"")),
        "the alert links to its event"
    );
    // The frozen script is on the console, beside the stream.
    let approved = t
        .state
        .store
        .submissions()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.stage == "approved")
        .unwrap();
    let first_line = t
        .state
        .store
        .submission_version(approved.id, 1)
        .await
        .unwrap()
        .text
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(console.contains("data-testid=\"approved-script\""));
    assert!(console.contains(&first_line), "{first_line}");
    let page = t
        .call(page_get(&cookie, &format!("/live/1/events/{event_id}")))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert!(
        page.contains("：“治疗湿疹”") && page.contains("医疗用语"),
        "{page}"
    );
    assert!(page.contains("欢迎大家来到直播间") && page.contains("下面看看质地"));
    assert!(page.contains("告警来源") && page.contains("由此产生的告警"));
    // The event belongs to session 1 only.
    let other = t
        .call(page_get(&cookie, &format!("/live/2/events/{event_id}")))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

/// A stream frame with a QR code to a personal WeChat: read (PP-OCR when
/// `LIVEGUARD_TEST_OCR_MODELS` is set, mandatory under CI=true), stored as screen text under
/// the frame's key and screened into a block alert on the console; a blank frame stores
/// nothing; a frame that is not an image, or too large, is refused naming the field.
#[tokio::test]
async fn a_stream_frame_is_read_and_screened_as_screen_text() {
    use base64::Engine;
    let models = ocr_models_dir();
    let t = spawn_demo(|s| {
        if let Some(m) = &models {
            s.ocr_models = m.into();
        }
    })
    .await;
    let ops = t.token_of("reviewer").await;
    let list = get_json(&t, &ops, "/api/v1/live/sessions").await;
    let id = list["sessions"][0]["id"].as_i64().unwrap();
    let uri = format!("/api/v1/live/sessions/{id}/frames");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/ocr/promo-qr.png"
    ))
    .unwrap();
    let frame = json!({"key": "frame-1", "at_ms": T0, "image_base64": b64(&png)});
    // Not live yet: refused before any OCR.
    let r = post(&t, &ops, &uri, frame.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/start"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(&t, &ops, &uri, frame.clone()).await;
    if r.status == StatusCode::UNPROCESSABLE_ENTITY
        && models.is_none()
        && r.text().contains("not installed")
    {
        eprintln!("notice: no OCR engine here; frame test skipped (mandatory under CI=true)");
        return;
    }
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["accepted"], 1, "{v}");
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .ends_with("二维码：https://u.wechat.com/EAbc123xyz"),
        "{v}"
    );
    if models.is_some() {
        assert_eq!(v["reader"], "pp-ocrv6-small-0.1.0");
    }
    assert_eq!(v["results"][0]["decision"], "block", "{v}");
    let alert = v["alerts"][0].as_i64().unwrap();
    let alerts = get_json(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/alerts?state=open"),
    )
    .await;
    assert!(
        alerts.to_string().contains("站外引流：u.wechat.com"),
        "{alerts}"
    );
    assert!(
        alerts.to_string().contains(&format!("\"id\":{alert}")),
        "{alerts}"
    );
    // Sent again: a duplicate, not a second alert.
    let v = post(&t, &ops, &uri, frame).await.json();
    assert_eq!(v["duplicates"], 1, "{v}");
    // The console marks the event as read from a frame (and only that event).
    let (cookie, _) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let page = t
        .call(page_get(&cookie, &format!("/live/{id}")))
        .await
        .text();
    assert_eq!(
        page.matches("data-testid=\"frame-origin\"").count(),
        1,
        "{page}"
    );
    assert!(page.contains("画面识别"), "{page}");
    // A model's second opinion is marked as such on the console, with its score.
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{id}/events"),
        json!({"events": [{"key": "say-1", "kind": "transcript", "at_ms": T0 + 500, "text": "姐妹们看好了。用完第二天痘印自己就退了！"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = t
        .call(page_get(&cookie, &format!("/live/{id}")))
        .await
        .text();
    assert!(page.contains("data-testid=\"model-finding\""), "{page}");
    assert!(page.contains("模型第二意见"), "{page}");
    // A blank frame stores nothing.
    let mut blank = Vec::new();
    image::RgbImage::from_pixel(320, 180, image::Rgb([30, 30, 30]))
        .write_to(
            &mut std::io::Cursor::new(&mut blank),
            image::ImageFormat::Png,
        )
        .unwrap();
    let v = post(
        &t,
        &ops,
        &uri,
        json!({"key": "frame-2", "at_ms": T0 + 1000, "image_base64": b64(&blank)}),
    )
    .await
    .json();
    assert_eq!(v["accepted"], 0, "{v}");
    // Not an image; a bad key: refused naming the field.
    let r = post(
        &t,
        &ops,
        &uri,
        json!({"key": "frame-3", "at_ms": T0, "image_base64": b64(b"%PDF-1.7")}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "image_base64", "{}", r.text());
    let r = post(
        &t,
        &ops,
        &uri,
        json!({"key": "a b", "at_ms": T0, "image_base64": b64(&png)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "key", "{}", r.text());
}
