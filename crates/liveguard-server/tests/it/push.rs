//! Push targets set up by an administrator on the page: a 飞书 robot on a local receiver
//! that checks the message format and the signature, a test message, delivery of review
//! events in order, turning off, deleting, and one node delivering at a time.

use crate::common;
use axum::Router;
use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<Value>>>;

/// A 飞书-style robot on a free local port: takes `POST /open-apis/bot/v2/hook/<token>`,
/// answers `{"code":0}` for a well-formed, correctly signed text message and an error code
/// otherwise; returns its base address and what it took.
async fn feishu_robot(secret: &'static str) -> (String, Seen) {
    use liveguard_server::webhook::{WebhookFormat, robot_sign};
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/open-apis/bot/v2/hook/{token}",
        axum::routing::post(move |body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                    return axum::Json(json!({"code": 9499, "msg": "bad json"}));
                };
                let text_ok = v["msg_type"] == "text" && v["content"]["text"].is_string();
                let ts: i64 = v["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let sign_ok = v["sign"] == robot_sign(WebhookFormat::Feishu, secret, ts);
                if !text_ok {
                    return axum::Json(json!({"code": 19002, "msg": "params error"}));
                }
                if !sign_ok {
                    return axum::Json(json!({"code": 19021, "msg": "sign match fail"}));
                }
                log.lock().unwrap().push(v);
                axum::Json(json!({"code": 0, "msg": "success"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn texts(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|v| v["content"]["text"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn an_administrator_sets_up_a_robot_on_the_page_and_it_gets_signed_messages() {
    use liveguard_server::webhook::deliver_stored_round;
    const SECRET: &str = "feishu-secret-0123";
    let (base, seen) = feishu_robot(SECRET).await;
    let url = format!("{base}/open-apis/bot/v2/hook/TOKEN-abc123");
    let t = spawn_demo(|_| {}).await;
    let (cookie, csrf) = t
        .login("admin", &liveguard_server::demo_password("admin"))
        .await
        .unwrap();

    // A 企业微信 robot has no signing secret: refused in Chinese, what was typed kept.
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            "/admin/webhooks",
            &[
                ("name", "运营群"),
                ("format", "wecom"),
                ("url", &url),
                ("secret", "x"),
                ("enabled", "yes"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text();
    assert!(page.contains("企业微信群机器人没有签名密钥"), "{page}");
    assert!(page.contains("value=\"运营群\""));
    assert!(t.state.store.push_targets().await.unwrap().is_empty());

    // The 飞书 robot, for review submissions only.
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            "/admin/webhooks",
            &[
                ("name", "合规组飞书群"),
                ("format", "feishu"),
                ("url", &url),
                ("secret", SECRET),
                ("event", "review.submitted"),
                ("enabled", "yes"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.text();
    assert!(page.contains("已保存推送目标「合规组飞书群」"), "{page}");
    assert!(page.contains("飞书自定义机器人") && page.contains("提交审核"));
    assert!(
        !page.contains("TOKEN-abc123"),
        "the key in the address is not shown"
    );
    let row = &t.state.store.push_targets().await.unwrap()[0];
    assert!(
        !row.url_sealed.contains("TOKEN") && !row.secret_sealed.contains(SECRET),
        "address and secret are sealed at rest"
    );
    let id = row.id;

    // The test button: the robot gets a signed text message.
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            &format!("/admin/webhooks/{id}"),
            &[("action", "test")],
        ))
        .await;
    assert!(r.text().contains("测试消息已送达"), "{}", r.text());
    assert!(texts(&seen)[0].contains("测试消息：推送目标「合规组飞书群」已连通"));

    // Delivery: the first round only places the cursors; a submission then goes out once.
    let mut waits = Default::default();
    assert_eq!(
        deliver_stored_round(&t.state, "node-a", &mut waits)
            .await
            .unwrap(),
        0
    );
    let streamer = t.token_of("streamer").await;
    let submit = |id: i64| {
        json_req(
            axum::http::Method::POST,
            &format!("/api/v1/submissions/{id}/actions"),
            Some(&streamer),
            json!({"action": "submit"}),
        )
    };
    assert!(t.call(submit(1)).await.status.is_success());
    // Another node does not deliver while this one holds the lease.
    assert_eq!(
        deliver_stored_round(&t.state, "node-b", &mut Default::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        deliver_stored_round(&t.state, "node-a", &mut waits)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        deliver_stored_round(&t.state, "node-a", &mut waits)
            .await
            .unwrap(),
        0,
        "nothing is sent twice"
    );
    let got = texts(&seen);
    assert_eq!(got.len(), 2);
    assert!(got[1].contains("已提交审核"), "{got:?}");

    // Turned off, nothing more goes out; turned on, it resumes where it stopped.
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            &format!("/admin/webhooks/{id}"),
            &[("action", "off")],
        ))
        .await;
    assert!(r.text().contains("已停用「合规组飞书群」"));
    let r = t
        .call(json_req(
            axum::http::Method::POST,
            "/api/v1/submissions",
            Some(&streamer),
            json!({"title": "第二份话术", "kind": "script", "session_start": "2026-12-28T12:00:00Z", "text": "欢迎来到直播间。"}),
        ))
        .await;
    let second = r.json()["id"].as_i64().unwrap();
    assert!(t.call(submit(second)).await.status.is_success());
    assert_eq!(
        deliver_stored_round(&t.state, "node-a", &mut waits)
            .await
            .unwrap(),
        0
    );
    t.call(form_post(
        &cookie,
        &csrf,
        &format!("/admin/webhooks/{id}"),
        &[("action", "on")],
    ))
    .await;
    assert_eq!(
        deliver_stored_round(&t.state, "node-a", &mut waits)
            .await
            .unwrap(),
        1
    );
    assert!(texts(&seen)[2].contains("第二份话术"));

    // Every change is in the audit log, without the key or the secret.
    let entries = t
        .state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            object_prefix: Some("push_target:".into()),
            limit: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "push_target.update",
            "push_target.update",
            "push_target.create"
        ]
    );
    for e in &entries {
        let why = e.reason.as_deref().unwrap_or("");
        assert!(!why.contains("TOKEN") && !why.contains(SECRET), "{why}");
    }
    let audit = t.call(page_get(&cookie, "/audit")).await.text();
    assert!(audit.contains("新增推送目标") && audit.contains("飞书自定义机器人 http://127.0.0.1"));

    // Deleted after confirming: gone, and its progress with it.
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            &format!("/admin/webhooks/{id}"),
            &[("action", "delete")],
        ))
        .await;
    assert!(r.text().contains("已删除推送目标"));
    assert!(t.state.store.push_targets().await.unwrap().is_empty());
}

/// A robot that refuses (a wrong secret) is shown as a failure in Chinese with the error
/// code, on the page and in the API; only administrators reach any of it.
#[tokio::test]
async fn a_refused_test_is_explained_and_only_administrators_manage_targets() {
    let (base, _) = feishu_robot("the-right-secret-1").await;
    let t = spawn_demo(|_| {}).await;
    let admin = t.token_of("admin").await;
    let r = t
        .call(json_req(
            axum::http::Method::POST,
            "/api/v1/push-targets",
            Some(&admin),
            json!({"name": "飞书群", "format": "feishu", "url": format!("{base}/open-apis/bot/v2/hook/T"), "secret": "a-wrong-secret-99"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["signed"], true);
    assert!(r.json().get("secret").is_none() && r.json().get("url").is_none());
    let r = t
        .call(json_req(
            axum::http::Method::POST,
            &format!("/api/v1/push-targets/{id}/test"),
            Some(&admin),
            json!({}),
        ))
        .await;
    assert_eq!(r.json()["delivered"], false, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("19021"));
    let (cookie, csrf) = t
        .login("admin", &liveguard_server::demo_password("admin"))
        .await
        .unwrap();
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            &format!("/admin/webhooks/{id}"),
            &[("action", "test")],
        ))
        .await;
    assert!(
        r.text().contains("机器人拒收，错误码 19021"),
        "{}",
        r.text()
    );

    let lead = t.token_of("lead").await;
    for (method, path) in [
        (axum::http::Method::GET, "/api/v1/push-targets".to_string()),
        (
            axum::http::Method::DELETE,
            format!("/api/v1/push-targets/{id}"),
        ),
    ] {
        let r = t
            .call(json_req(method, &path, Some(&lead), json!({})))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(t.state.store.push_targets().await.unwrap().len(), 1);
}

/// A review left pending past its level's due time is marked once (`review.overdue`), told
/// to the reviewers who may act and to the author, said in words in the audit log, and
/// pushed like any other review event.
#[tokio::test]
async fn an_overdue_review_is_marked_once_told_and_pushed() {
    use liveguard_server::features::review::service::mark_overdue;
    // 初审 is due six days before the demo session (tomorrow evening): already late.
    let t = spawn_demo(|s| s.review.deadlines.first_minutes_before = 6 * 24 * 60).await;
    let streamer = t.token_of("streamer").await;
    let r = t
        .call(json_req(
            axum::http::Method::POST,
            "/api/v1/submissions/1/actions",
            Some(&streamer),
            json!({"action": "submit"}),
        ))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(mark_overdue(&t.state).await.unwrap(), 1);
    assert_eq!(mark_overdue(&t.state).await.unwrap(), 0, "once per level");
    let reviewer = t.token_of("reviewer").await;
    let r = t
        .call(get("/api/v1/notifications", Some(&reviewer)))
        .await
        .json();
    let said: Vec<&str> = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["text_zh"].as_str())
        .collect();
    assert!(said.iter().any(|t| t.contains("初审已逾期")), "{said:?}");
    let (cookie, _) = t
        .login("lead", &liveguard_server::demo_password("lead"))
        .await
        .unwrap();
    let audit = t
        .call(page_get(&cookie, "/audit?action=review.overdue"))
        .await
        .text();
    assert!(
        audit.contains("审核逾期") && audit.contains("初审已逾期，截止时间："),
        "{audit}"
    );
    let entry = &t
        .state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: Some("review.overdue".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap()[0];
    let body = liveguard_server::webhook::payload(entry).expect("pushed like other review events");
    assert_eq!(body["detail"]["level"], "first");
    assert!(liveguard_server::webhook::robot_text(&body, Some("面霜话术")).contains("初审已逾期"));
}
