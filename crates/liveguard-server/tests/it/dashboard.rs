//! The dashboard: each role's counts of today's work, linked to their queues.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

fn tile(page: &str, label: &str) -> Option<i64> {
    // <a class="tile…" href="…" data-testid="tile"><span class="n">N</span><span class="l">LABEL</span></a>
    let at = page.find(&format!("<span class=\"l\">{label}</span>"))?;
    let before = &page[..at];
    let n_at = before.rfind("<span class=\"n\">")? + "<span class=\"n\">".len();
    before[n_at..].split('<').next()?.parse().ok()
}

#[tokio::test]
async fn each_role_sees_counts_of_its_own_work() {
    let t = spawn_demo(|_| {}).await;
    let streamer = t.token_of("streamer").await;
    let login = |who: &'static str| {
        let t = &t;
        async move {
            t.login(who, &liveguard_server::demo_password(who))
                .await
                .unwrap()
                .0
        }
    };
    let reviewer = login("reviewer").await;
    let before = t.call(page_get(&reviewer, "/")).await;
    assert_eq!(before.status, StatusCode::OK);
    let before = before.text();
    let waiting = tile(&before, "待我审核").expect("the reviewer has a 待我审核 tile");
    assert!(before.contains("data-testid=\"alert-trend\""), "{before}");
    assert!(before.contains("<svg"), "the week's charts are drawn");

    // A streamer submits a script: it waits for the reviewer (初审) and shows up in the list.
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/submissions",
            Some(&streamer),
            json!({"title": "看板测试话术", "kind": "script", "session_start": "2026-12-20T20:00:00+08:00", "text": "今天给大家介绍一款面霜。"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = t
        .call(json_req(
            Method::POST,
            &format!("/api/v1/submissions/{id}/actions"),
            Some(&streamer),
            json!({"action": "submit"}),
        ))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let after = t.call(page_get(&reviewer, "/")).await.text();
    assert_eq!(tile(&after, "待我审核"), Some(waiting + 1), "{after}");
    assert!(after.contains("看板测试话术"), "listed under 待我审核");
    assert!(after.contains("待初审"), "its stage in words");
    assert!(
        after.contains("2026年12月"),
        "times in Beijing time for people"
    );

    // Roles see only what they may: the streamer has no live or prize tiles, customer
    // service has the prizes to hand out and no review queue.
    let streamer_page = t.call(page_get(&login("streamer").await, "/")).await.text();
    assert!(tile(&streamer_page, "我的草稿与退回").is_some());
    assert!(tile(&streamer_page, "未确认告警").is_none());
    assert!(tile(&streamer_page, "待领取奖品").is_none());
    let service_page = t.call(page_get(&login("service").await, "/")).await.text();
    assert_eq!(tile(&service_page, "待领取奖品"), Some(0));
    assert!(tile(&service_page, "待我审核").is_none());
}
