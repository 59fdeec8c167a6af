//! Lotteries through the API on the demo company: define, commit, change in the consumers'
//! favour only, close entry from the session's comments, draw with a real drand round,
//! and verify everything through the public endpoints and offline.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

const ROUND_123_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

fn rules() -> Value {
    json!({
        "title": "面霜专场福袋", "organiser": "示例电子商务有限公司", "contact": "400-000-0000",
        "prizes": [{"name": "面霜正装", "kind": "goods", "unit_value_fen": 39900, "quantity": 1}],
        "entry": {"method": "comment_keyword", "keyword": "想要面霜"},
        "exclusions": ["员工、主播及其关联账号"],
        "entry_opens_at": "2023-08-23T15:00:00Z", "entry_closes_at": "2023-08-23T15:10:00Z",
        "draw_at": "2023-08-23T15:15:33Z", "draw_method": "drand-quicknet",
        "dedupe": "同一账号只计一次", "redemption": "7日内私信填写收货信息",
        "redemption_deadline": "2023-08-30T23:59:59Z", "unclaimed": "逾期视为放弃", "delivery": "快递包邮"
    })
}

async fn post(t: &TestApp, token: &str, uri: &str, body: Value) -> Resp {
    t.call(json_req(Method::POST, uri, Some(token), body)).await
}

#[tokio::test]
async fn a_lottery_is_committed_drawn_and_verifiable_by_anyone() {
    let t = spawn_demo(|s| s.lottery.public_url = "https://live.example.com".into()).await;
    let ops = t.token_of("reviewer").await;
    let streamer = t.token_of("streamer").await;
    let session = 1;

    // Rules are checked with citations.
    let mut rich = rules();
    rich["prizes"][0]["unit_value_fen"] = json!(5_000_100);
    let r = post(
        &t,
        &ops,
        "/api/v1/lotteries",
        json!({"session_id": session, "rules": rich}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "rules.prizes");
    assert!(r.text().contains("反不正当竞争法"), "{}", r.text());
    let r = post(
        &t,
        &streamer,
        "/api/v1/lotteries",
        json!({"rules": rules()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &t,
        &ops,
        "/api/v1/lotteries",
        json!({"session_id": session, "rules": rules()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json()["drand_round"],
        123,
        "the draw time fixes the round"
    );
    // Committing after the draw time is refused: the round's value would already be public.
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("already public"), "{}", r.text());
    // The rules are committed before entry opens (15:00 UTC); comments count only inside
    // the window.
    t.set_clock(time::macros::datetime!(2023-08-23 14:55 UTC));
    // Nothing public before commit.
    assert_eq!(
        t.call(get(&format!("/public/lotteries/{id}"), None))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    assert_eq!(r.json()["state"], "committed", "{}", r.text());
    let digest = r.json()["rules_digest"].as_str().unwrap().to_string();
    let public = t.call(get(&format!("/public/lotteries/{id}"), None)).await;
    assert_eq!(public.status, StatusCode::OK, "no account needed");
    assert_eq!(public.json()["rules_digest"], digest.as_str());

    // After the start: less for consumers is refused; more is allowed with a reason.
    let mut worse = rules();
    worse["prizes"][0]["quantity"] = json!(0);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": worse, "reason": "库存不足"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let mut better = rules();
    better["prizes"][0]["quantity"] = json!(2);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": better, "reason": "加送一份"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_ne!(r.json()["rules_digest"], digest.as_str());

    // Entrants from the session's comments with the keyword.
    post(
        &t,
        &ops,
        &format!("/api/v1/live/sessions/{session}/start"),
        json!({}),
    )
    .await;
    let r = post(&t, &ops, &format!("/api/v1/live/sessions/{session}/events"), json!({"events": [
        {"key": "c1", "kind": "comment", "at_ms": 1_692_803_100_000i64, "user_id": "fan-1", "text": "想要面霜！"},
        {"key": "c2", "kind": "comment", "at_ms": 1_692_803_100_001i64, "user_id": "fan-2", "text": "想要面霜"},
        {"key": "c3", "kind": "comment", "at_ms": 1_692_803_100_002i64, "user_id": "fan-1", "text": "想要面霜 again"},
        {"key": "c4", "kind": "comment", "at_ms": 1_692_803_100_003i64, "user_id": "staff-9", "text": "想要面霜"},
        {"key": "c5", "kind": "comment", "at_ms": 1_692_803_100_004i64, "user_id": "fan-3", "text": "好看"},
        {"key": "c6", "kind": "comment", "at_ms": 1_692_803_100_005i64, "user_id": "fan-4", "text": "想要面霜"},
        {"key": "c7", "kind": "comment", "at_ms": 1_692_803_500_000i64, "user_id": "fan-5", "text": "想要面霜 (too late)"},
    ]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let events = t
        .call(get(
            &format!("/api/v1/live/sessions/{session}/events"),
            Some(&ops),
        ))
        .await
        .json();
    let staff = events["events"][3]["viewer"].as_str().unwrap().to_string();
    // Drawing before entry closed is refused.
    let draw_body =
        json!({"randomness": {"kind": "drand", "round": 123, "signature": ROUND_123_SIGNATURE}});
    assert_eq!(
        post(
            &t,
            &ops,
            &format!("/api/v1/lotteries/{id}/draw"),
            draw_body.clone()
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/entrants"),
        json!({"from_session_comments": true, "exclusions": {staff.clone(): "staff"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (
            r.json()["entrants"]["count"].as_i64(),
            r.json()["entrants"]["removed"].as_i64()
        ),
        (Some(3), Some(2)),
        "fan-1 once, staff out"
    );
    // A flipped signature byte is refused; the real round draws.
    let mut bad = ROUND_123_SIGNATURE.to_string();
    bad.replace_range(0..2, "b6");
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/draw"),
        json!({"randomness": {"kind": "drand", "round": 123, "signature": bad}}),
    )
    .await;
    assert_eq!(r.json()["field"], "randomness", "{}", r.text());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/draw"),
        draw_body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let winners = r.json()["winners"].as_array().unwrap().clone();
    assert_eq!(winners.len(), 2);
    let text = r.json()["announcement"]["zh"].as_str().unwrap().to_string();
    assert!(
        text.contains(&winners[0]["code"].as_str().unwrap()[..12])
            && text.contains("兑奖")
            && text.contains(&format!(
                "验证：https://live.example.com/public/lotteries/{id}/verify"
            )),
        "the announcement carries the full address: {text}"
    );
    assert_eq!(
        post(&t, &ops, &format!("/api/v1/lotteries/{id}/draw"), draw_body)
            .await
            .status,
        StatusCode::CONFLICT,
        "drawn once"
    );

    // Anyone verifies: the bundle offline, and their own inclusion.
    let bundle: liveguard_lottery::Bundle = serde_json::from_slice(
        &t.call(get(&format!("/public/lotteries/{id}/bundle.json"), None))
            .await
            .body,
    )
    .unwrap();
    liveguard_lottery::verify(&bundle).unwrap();
    let code = winners[0]["code"].as_str().unwrap();
    let inc = t
        .call(get(
            &format!("/public/lotteries/{id}/inclusion?code={code}"),
            None,
        ))
        .await
        .json();
    assert_eq!(inc["included"], true);
    let proof: Vec<String> = inc["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert!(liveguard_lottery::verify_inclusion(
        code,
        inc["index"].as_u64().unwrap(),
        inc["size"].as_u64().unwrap(),
        &proof,
        inc["root"].as_str().unwrap()
    ));
    let r = t
        .call(get(
            &format!("/public/lotteries/{id}/inclusion?code=zz"),
            None,
        ))
        .await;
    assert_eq!(r.json()["field"], "code");
    // The public page, without an account: digest, winners, and a viewer's code check.
    let page = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?code={code}"),
            None,
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(bundle.rules_digest.as_str()) && html.contains(code),
        "digest and winners shown"
    );
    assert!(html.contains("在抽奖名单中"), "inclusion shown");
    // The answer comes first, in words: this code won, and what it won.
    let verdict = html
        .split("data-testid=\"verdict\"")
        .nth(1)
        .expect("a verdict in words");
    assert!(
        verdict.contains("恭喜，您已中奖：")
            && verdict.contains(winners[0]["prize"].as_str().unwrap()),
        "{verdict}"
    );
    let staff_code =
        liveguard_lottery::entrant_code(&hex::decode(&bundle.entrants.salt).unwrap(), &staff);
    let page = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?code={staff_code}"),
            None,
        ))
        .await
        .text();
    assert!(
        page.contains("未计入抽奖：excluded: staff"),
        "a removed viewer sees why"
    );
    assert!(
        page.contains("data-testid=\"verdict\""),
        "a removed viewer is told first"
    );
    // Every step is in the audit log.
    t.assert_audited(
        "object=lottery:",
        &[
            "lottery.create",
            "lottery.commit",
            "lottery.change",
            "lottery.entrants",
            "lottery.draw",
        ],
    )
    .await;
}

#[tokio::test]
async fn operations_staff_run_a_lottery_from_the_pages() {
    use axum::body::Body;
    use axum::http::{Request, header};
    let t = spawn_demo(|_| {}).await;
    let (cookie, csrf) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let form = |uri: &str, pairs: &[(&str, &str)]| form_post(&cookie, &csrf, uri, pairs);
    let page = |uri: &str| page_get(&cookie, uri);
    let r = t.call(page("/lotteries")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("新建抽奖") && r.text().contains("想要面霜"),
        "the form starts from a filled-in example"
    );
    // Bad rules come back with the reason and the text kept.
    let mut rich = rules();
    rich["prizes"][0]["unit_value_fen"] = json!(6_000_000);
    let r = t
        .call(form(
            "/lotteries",
            &[("session_id", "1"), ("rules", &rich.to_string())],
        ))
        .await;
    assert!(
        r.text().contains("50,000") && r.text().contains("6000000"),
        "{}",
        r.text()
    );
    let r = t
        .call(form(
            "/lotteries",
            &[("session_id", "1"), ("rules", &rules().to_string())],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    t.set_clock(time::macros::datetime!(2023-08-23 14:55 UTC));
    t.call(form(&format!("/lotteries/{id}/commit"), &[])).await;
    assert!(t.call(page(&at)).await.text().contains("已承诺"));
    let ops = t.token_of("reviewer").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    post(&t, &ops, "/api/v1/live/sessions/1/events", json!({"events": [
        {"key": "k1", "kind": "comment", "at_ms": 1_692_803_100_000i64, "user_id": "a", "text": "想要面霜"},
        {"key": "k2", "kind": "comment", "at_ms": 1_692_803_100_001i64, "user_id": "b", "text": "想要面霜"},
    ]})).await;
    t.call(form(
        &format!("/lotteries/{id}/entrants"),
        &[("exclusions", "")],
    ))
    .await;
    assert!(t.call(page(&at)).await.text().contains("报名截止"));
    // A wrong signature is refused on the page; the real one draws.
    let r = t
        .call(form(
            &format!("/lotteries/{id}/draw"),
            &[("signature", "00")],
        ))
        .await;
    assert!(r.text().contains("randomness"), "{}", r.text());
    let r = t
        .call(form(
            &format!("/lotteries/{id}/draw"),
            &[("signature", ROUND_123_SIGNATURE)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = t.call(page(&at)).await.text();
    assert!(
        html.contains("data-testid=\"announcement\"") && html.contains("开奖结果公布"),
        "{html}"
    );
    // A streamer cannot see the lottery pages.
    let (scookie, _) = t
        .login("streamer", &liveguard_server::demo_password("streamer"))
        .await
        .unwrap();
    let r = t
        .call(
            Request::builder()
                .uri("/lotteries")
                .header(header::COOKIE, &scookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Defines, commits and closes with uploaded accounts a lottery whose claims run until
/// `deadline`; returns its id.
async fn closed_with_accounts(t: &TestApp, accounts: &[&str], deadline: &str) -> i64 {
    let ops = t.token_of("reviewer").await;
    let mut r = rules();
    r["entry"] = json!({"method": "uploaded_list"});
    r["redemption_deadline"] = json!(deadline);
    r["prizes"][0]["quantity"] = json!(2);
    let c = post(t, &ops, "/api/v1/lotteries", json!({"rules": r})).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.text());
    let id = c.json()["id"].as_i64().unwrap();
    assert!(
        c.json()["retain_until"]
            .as_str()
            .is_some_and(|r| r.starts_with("2029-11-30")),
        "kept three years by default: {}",
        c.text()
    );
    // Rules and entrants are committed before the draw round exists (15:15:33 UTC).
    let now = {
        use liveguard_store::Clock;
        t.clock.now()
    };
    t.set_clock(time::macros::datetime!(2023-08-23 14:55 UTC));
    let c = post(
        t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text());
    let e = post(
        t,
        &ops,
        &format!("/api/v1/lotteries/{id}/entrants"),
        json!({"accounts": accounts, "exclusions": {"staff-1": "员工"}}),
    )
    .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text());
    t.set_clock(now);
    id
}

/// [`closed_with_accounts`], then drawn with the recorded round; returns its id and the
/// winners' claims.
async fn drawn_with_accounts(t: &TestApp, accounts: &[&str], deadline: &str) -> (i64, Value) {
    let ops = t.token_of("reviewer").await;
    let id = closed_with_accounts(t, accounts, deadline).await;
    let d = post(
        t,
        &ops,
        &format!("/api/v1/lotteries/{id}/draw"),
        json!({"randomness": {"kind": "drand", "round": 123, "signature": ROUND_123_SIGNATURE}}),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let claims = t
        .call(get(&format!("/api/v1/lotteries/{id}/claims"), Some(&ops)))
        .await
        .json();
    (id, claims)
}

#[tokio::test]
async fn prizes_are_tracked_to_redemption_and_winners_data_is_sealed_masked_and_erased() {
    let t = spawn_demo(|_| {}).await;
    let accounts = ["u-1", "u-2", "u-3", "u-4", "staff-1"];
    let (id, claims) = drawn_with_accounts(&t, &accounts, "2026-12-31T23:59:59Z").await;
    let claims = claims["claims"].as_array().unwrap().clone();
    assert_eq!(claims.len(), 2, "one claim per prize unit");
    assert!(claims.iter().all(|c| c["state"] == "awaiting"));

    // A viewer finds their code by the account they entered with.
    let bundle: liveguard_lottery::Bundle = serde_json::from_slice(
        &t.call(get(&format!("/public/lotteries/{id}/bundle.json"), None))
            .await
            .body,
    )
    .unwrap();
    let salt = hex::decode(&bundle.entrants.salt).unwrap();
    // Security review F7: a code cannot be recomputed from the published salt and a
    // guessed account; only with the deployment's pseudonym key.
    for a in accounts {
        let guessed = liveguard_lottery::entrant_code(&salt, a);
        assert!(
            !bundle.entrants.codes.contains(&guessed)
                && bundle.entrants.removals.iter().all(|r| r.code != guessed),
            "{a} recoverable from the bundle"
        );
    }
    let key = t.state.pseudonym_key.clone();
    let code_of =
        |a: &str| liveguard_lottery::entrant_code(&salt, &liveguard_live::pseudonym(&key, a));
    let winner = accounts
        .iter()
        .find(|a| code_of(a) == claims[0]["code"].as_str().unwrap())
        .unwrap()
        .to_string();
    let loser = accounts
        .iter()
        .find(|a| **a != "staff-1" && claims.iter().all(|c| c["code"] != code_of(a).as_str()))
        .unwrap()
        .to_string();
    let mine = t
        .call(get(
            &format!("/public/lotteries/{id}/code?account={winner}"),
            None,
        ))
        .await
        .json();
    assert_eq!(mine["code"], code_of(&winner).as_str());
    assert_eq!(mine["included"], true);
    let staff = t
        .call(get(
            &format!("/public/lotteries/{id}/code?account=staff-1"),
            None,
        ))
        .await
        .json();
    assert_eq!(
        (staff["included"].clone(), staff["removed"].clone()),
        (json!(false), json!("excluded: 员工"))
    );
    let nobody = t
        .call(get(
            &format!("/public/lotteries/{id}/code?account=nobody"),
            None,
        ))
        .await
        .json();
    assert_eq!(nobody["code"], Value::Null);

    let service = t.token_of("service").await;
    let reviewer = t.token_of("reviewer").await;
    let recipient = json!({"name": "张小明", "phone": "13800138000", "address": "浙江省杭州市西湖区文三路 1 号"});
    let claim = |account: &str| json!({"account": account, "recipient": recipient.clone()});
    // Only prize handlers may claim; a loser's account does not match; bad data is named.
    let r = post(
        &t,
        &reviewer,
        &format!("/api/v1/lotteries/{id}/claims/0/claim"),
        claim(&winner),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/claim"),
        claim(&loser),
    )
    .await;
    assert_eq!(r.json()["field"], "account", "{}", r.text());
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/claim"),
        json!({"account": winner, "recipient": {"name": "张小明", "phone": "call me", "address": "浙江省杭州市"}}),
    )
    .await;
    assert_eq!(r.json()["field"], "recipient.phone", "{}", r.text());
    // Shipping before the claim is a conflict naming the state.
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/ship"),
        json!({"carrier": "顺丰", "tracking": "SF1"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/claim"),
        claim(&winner),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "claimed");
    assert_eq!(
        r.json()["recipient"]["phone"],
        "13800138000",
        "customer service sees it in full"
    );

    // Sealed at rest: the database never holds the phone number.
    let row = t.state.store.lottery_claim(id, 0).await.unwrap();
    let sealed = row.recipient_sealed.clone().unwrap();
    assert!(sealed.starts_with("v1.") && !sealed.contains("13800138000") && !sealed.contains("张"));
    // Masked for a role that does not need it; the audit log has no personal data.
    let masked = t
        .call(get(
            &format!("/api/v1/lotteries/{id}/claims"),
            Some(&reviewer),
        ))
        .await
        .json();
    assert_eq!(masked["claims"][0]["recipient"]["phone"], "138****8000");
    assert_eq!(masked["claims"][0]["recipient"]["name"], "张**");
    // Seeing it in full is logged (who, which lottery, how many); a masked view is not.
    t.call(get(
        &format!("/api/v1/lotteries/{id}/claims"),
        Some(&service),
    ))
    .await;
    let lead_token = t.token_of("lead").await;
    let views = t
        .call(get(
            "/api/v1/audit/entries?action=lottery.personal_view&limit=10",
            Some(&lead_token),
        ))
        .await
        .json();
    let views = views["entries"].as_array().unwrap();
    assert_eq!(views.len(), 1, "{views:?}");
    assert!(views[0]["actor"].as_str().unwrap().starts_with("service@"));
    assert!(!views[0].to_string().contains("13800138000"));
    let lead = t.token_of("lead").await;
    let audit = t
        .call(get(
            "/api/v1/audit/entries?object=lottery_claim:&limit=50",
            Some(&lead),
        ))
        .await
        .text();
    assert!(
        audit.contains("lottery.claim")
            && !audit.contains("13800138000")
            && !audit.contains("文三路")
    );

    // A wrong address is corrected before shipping; the claim time stays.
    let claimed_at = t.state.store.lottery_claim(id, 0).await.unwrap().claimed_at;
    t.clock.advance(time::Duration::minutes(5));
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/correct"),
        json!({"recipient": {"name": "张小明", "phone": "13800138000", "address": "浙江省杭州市西湖区文三路 2 号"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["recipient"]["address"],
        "浙江省杭州市西湖区文三路 2 号"
    );
    assert_eq!(
        t.state.store.lottery_claim(id, 0).await.unwrap().claimed_at,
        claimed_at
    );
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/ship"),
        json!({"carrier": "顺丰", "tracking": ""}),
    )
    .await;
    assert_eq!(r.json()["field"], "tracking");
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/ship"),
        json!({"carrier": "顺丰", "tracking": "SF1234567890"}),
    )
    .await;
    assert_eq!(r.json()["state"], "shipped", "{}", r.text());
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/correct"),
        json!({"recipient": {"name": "张小明", "phone": "13800138000", "address": "浙江省杭州市西湖区文三路 3 号"}}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "not after shipping: {}",
        r.text()
    );
    // The second prize cannot be forfeited before the deadline.
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/1/forfeit"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/0/redeem"),
        json!({"note": "客户已签收"}),
    )
    .await;
    assert_eq!(r.json()["state"], "redeemed", "{}", r.text());
    assert!(
        r.json()["personal_erase_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-31"),
        "30 days after closing: {}",
        r.text()
    );

    // After the deadline: an unclaimed prize is forfeited per the rules, a late claim refused.
    t.clock.advance(time::Duration::days(31));
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/1/claim"),
        claim(&winner),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = post(
        &t,
        &service,
        &format!("/api/v1/lotteries/{id}/claims/1/forfeit"),
        json!({}),
    )
    .await;
    assert_eq!(r.json()["state"], "forfeited", "{}", r.text());
    assert!(r.json()["note"].as_str().unwrap().contains("逾期视为放弃"));

    // The eraser removes the delivery data once its date has passed, and logs it.
    assert_eq!(
        liveguard_server::jobs::erase_personal_data(&t.state)
            .await
            .unwrap(),
        1
    );
    let row = t.state.store.lottery_claim(id, 0).await.unwrap();
    assert_eq!(row.recipient_sealed, None);
    assert!(row.personal_erased_at.is_some());
    assert_eq!(row.state.as_str(), "redeemed", "the claim's record stays");
    let after = t
        .call(get(
            &format!("/api/v1/lotteries/{id}/claims"),
            Some(&service),
        ))
        .await
        .json();
    assert_eq!(after["claims"][0]["recipient"], Value::Null);
    assert_eq!(
        liveguard_server::jobs::erase_personal_data(&t.state)
            .await
            .unwrap(),
        0
    );
    t.assert_audited(
        "object=lottery_claim:",
        &[
            "lottery.claim",
            "lottery.claim.correct",
            "lottery.ship",
            "lottery.redeem",
            "lottery.forfeit",
            "lottery.personal_erase",
        ],
    )
    .await;
}

/// A browser-less walk through the pages: the field-by-field form, an uploaded list with
/// exclusions by platform account, the draw, the claims table, the viewer's code lookup,
/// and the lottery inside the session plan the reviewers see.
#[tokio::test]
async fn the_pages_define_fields_take_a_list_track_prizes_and_show_in_the_plan() {
    use axum::http::header;
    let t = spawn_demo(|_| {}).await;
    let session = |user: &'static str| {
        let t = &t;
        async move {
            t.login(user, &liveguard_server::demo_password(user))
                .await
                .unwrap()
        }
    };
    let (ops_cookie, ops_csrf) = session("reviewer").await;
    let (cs_cookie, cs_csrf) = session("service").await;
    let form = form_post;
    let page = page_get;
    let new = t.call(page(&ops_cookie, "/lotteries")).await.text();
    assert!(
        new.contains("name=\"prize0_name\"") && new.contains("value=\"399.00\""),
        "the form has fields, filled from the example"
    );
    assert!(
        new.contains("value=\"2026-12-02T20:21:00\""),
        "the example draws tomorrow evening, Beijing time"
    );
    // Beijing time 23:15:33 is quicknet round 123 (15:15:33 UTC).
    let mut fields = vec![
        ("session_id", "1"),
        ("title", "面霜福袋"),
        ("organiser", "示例电子商务有限公司"),
        ("contact", "400-000-0000"),
        ("prize0_name", "面霜正装"),
        ("prize0_kind", "goods"),
        ("prize0_value", "abc"),
        ("prize0_quantity", "2"),
        ("prize1_name", "小样"),
        ("prize1_kind", "goods"),
        ("prize1_value", "19.9"),
        ("prize1_quantity", "1"),
        ("entry_method", "uploaded_list"),
        ("entry_keyword", ""),
        ("entry_chances", "1"),
        ("exclusions", "员工、主播及关联账号"),
        ("dedupe", "同一账号只计一次"),
        ("entry_opens_at", "2023-08-23T23:00"),
        ("entry_closes_at", "2023-08-23T23:10"),
        ("draw_at", "2023-08-23T23:15:33"),
        ("draw_method", "drand-quicknet"),
        ("seed_commitment", ""),
        ("redemption", "7日内私信登记"),
        ("redemption_deadline", "2026-12-31T23:59:59"),
        ("unclaimed", "逾期视为放弃"),
        ("delivery", "快递包邮"),
        ("rules", ""),
    ];
    let r = t
        .call(form(&ops_cookie, &ops_csrf, "/lotteries", &fields))
        .await;
    assert!(
        r.text().contains("prize0_value") && r.text().contains("面霜正装"),
        "the field is named and the values kept"
    );
    fields[6].1 = "399";
    let r = t
        .call(form(&ops_cookie, &ops_csrf, "/lotteries", &fields))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let row = t.state.store.lottery(id).await.unwrap();
    let rules: liveguard_lottery::LotteryRules = serde_json::from_str(&row.rules).unwrap();
    assert_eq!(
        (
            rules.prizes[0].unit_value_fen,
            rules.prizes[1].unit_value_fen,
            rules.draw_at.as_str()
        ),
        (39900, 1990, "2023-08-23T23:15:33+08:00")
    );
    assert_eq!(
        liveguard_lottery::time_of(&rules.draw_at).map(liveguard_lottery::quicknet_round_at),
        Some(123)
    );

    // The reviewers see the lottery inside the session plan, and the demo script's page.
    let (lead_cookie, _) = session("lead").await;
    let plans = t.call(page(&lead_cookie, "/plans")).await.text();
    assert!(
        plans.contains("data-testid=\"plan-lotteries\"")
            && plans.contains("面霜福袋")
            && plans.contains("未提交承诺"),
        "{plans}"
    );
    let review = t.call(page(&lead_cookie, "/reviews/1")).await.text();
    assert!(
        review.contains("面霜福袋") && review.contains(&row.rules_digest),
        "the submission under the plan shows it"
    );

    t.set_clock(time::macros::datetime!(2023-08-23 14:55 UTC));
    t.call(form(
        &ops_cookie,
        &ops_csrf,
        &format!("/lotteries/{id}/commit"),
        &[],
    ))
    .await;
    let r = t
        .call(form(
            &ops_cookie,
            &ops_csrf,
            &format!("/lotteries/{id}/entrants"),
            &[
                ("source", "list"),
                ("accounts", "u-1\nu-2\nu-3\nu-2\nstaff-1\n"),
                ("exclusions", "staff-1=员工"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let v = t
        .call(get(&format!("/public/lotteries/{id}"), None))
        .await
        .json();
    assert_eq!(
        (
            v["entrants"]["count"].as_i64(),
            v["entrants"]["removed"].as_i64()
        ),
        (Some(3), Some(2)),
        "u-2 once, staff out"
    );
    let r = t
        .call(form(
            &ops_cookie,
            &ops_csrf,
            &format!("/lotteries/{id}/draw"),
            &[("signature", ROUND_123_SIGNATURE)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // The viewer finds their code by account on the public page.
    let verify = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?account=u-3"),
            None,
        ))
        .await
        .text();
    assert!(
        verify.contains("data-testid=\"my-code\"") && verify.contains("在抽奖名单中"),
        "{verify}"
    );
    let verify = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?account=staff-1"),
            None,
        ))
        .await
        .text();
    assert!(verify.contains("excluded: 员工"));
    let verify = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?account=nobody"),
            None,
        ))
        .await
        .text();
    assert!(verify.contains("该账号未参与本次抽奖"));

    // Customer service records the claim and the shipment; the reviewer sees it masked.
    let claims = t.state.store.lottery_claims(id).await.unwrap();
    assert_eq!(claims.len(), 3);
    let bundle: liveguard_lottery::Bundle =
        serde_json::from_str(&t.state.store.lottery(id).await.unwrap().bundle.unwrap()).unwrap();
    let salt = hex::decode(&bundle.entrants.salt).unwrap();
    let key = t.state.pseudonym_key.clone();
    let winner = ["u-1", "u-2", "u-3"]
        .into_iter()
        .find(|a| {
            liveguard_lottery::entrant_code(&salt, &liveguard_live::pseudonym(&key, a))
                == claims[0].code
        })
        .unwrap();
    let detail = t.call(page(&cs_cookie, &at)).await.text();
    assert!(
        detail.contains("data-testid=\"claims\"") && detail.contains("登记兑奖"),
        "{detail}"
    );
    let r = t
        .call(form(
            &cs_cookie,
            &cs_csrf,
            &format!("/lotteries/{id}/claims/0/claim"),
            &[
                ("account", winner),
                ("name", "王小红"),
                ("phone", "139-0000-1234"),
                ("address", "上海市浦东新区世纪大道 100 号"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = t
        .call(form(
            &cs_cookie,
            &cs_csrf,
            &format!("/lotteries/{id}/claims/0/ship"),
            &[("carrier", "顺丰"), ("tracking", "")],
        ))
        .await;
    assert!(
        r.text().contains("tracking"),
        "a missing tracking number is named"
    );
    let r = t
        .call(form(
            &cs_cookie,
            &cs_csrf,
            &format!("/lotteries/{id}/claims/0/ship"),
            &[("carrier", "顺丰"), ("tracking", "SF100")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let full = t.call(page(&cs_cookie, &at)).await.text();
    assert!(full.contains("139-0000-1234") && full.contains("SF100") && full.contains("已发货"));
    let masked = t.call(page(&ops_cookie, &at)).await.text();
    assert!(
        masked.contains("139****1234")
            && masked.contains("王**")
            && !masked.contains("139-0000-1234")
    );
    assert!(
        !masked.contains("登记兑奖"),
        "the reviewer does not handle prizes"
    );
    // Someone else's account does not claim a prize.
    let loser = ["u-1", "u-2", "u-3"]
        .into_iter()
        .find(|a| {
            liveguard_lottery::entrant_code(&salt, &liveguard_live::pseudonym(&key, a))
                != claims[1].code
        })
        .unwrap();
    let r = t
        .call(form(
            &cs_cookie,
            &cs_csrf,
            &format!("/lotteries/{id}/claims/1/claim"),
            &[
                ("account", loser),
                ("name", "李四"),
                ("phone", "13900001234"),
                ("address", "上海市浦东新区世纪大道 1 号"),
            ],
        ))
        .await;
    assert!(r.text().contains("不是本奖项的中奖编码"), "{}", r.text());
    assert!(
        !r.text().contains("winning code"),
        "said in Chinese on the page"
    );
}

/// A drand relay on a free local port: every request gets `status` and `body`.
async fn fake_relay(status: u16, body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let path_ok = String::from_utf8_lossy(&buf[..n]).starts_with(&format!(
                "GET /{}/public/123 ",
                liveguard_lottery::QUICKNET_CHAIN_HASH
            ));
            let (status, body) = if path_ok {
                (status, body.clone())
            } else {
                (400, String::new())
            };
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(answer.as_bytes()).await;
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_server_fetches_the_draw_round_from_relays_and_trusts_none_of_them() {
    let beacon =
        |sig: &str| json!({"round": 123, "randomness": "00", "signature": sig}).to_string();
    let mut flipped = ROUND_123_SIGNATURE.to_string();
    flipped.replace_range(0..2, "b6");
    let liar = fake_relay(200, beacon(&flipped)).await;
    let early = fake_relay(425, "too early".into()).await;
    let honest = fake_relay(200, beacon(ROUND_123_SIGNATURE)).await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };

    // A relay that lies: the signature does not verify, nothing is drawn.
    let t = spawn_demo(|s| s.lottery.drand_relays = vec![liar.clone()]).await;
    let ops = t.token_of("reviewer").await;
    let id = closed_with_accounts(&t, &["a", "b", "c", "d"], "2026-12-31T23:59:59Z").await;
    let r = post(&t, &ops, &format!("/api/v1/lotteries/{id}/draw"), json!({})).await;
    assert_eq!(r.json()["field"], "randomness", "{}", r.text());
    assert!(r.text().contains(&liar), "names the relay: {}", r.text());
    assert_eq!(
        t.state.store.lottery(id).await.unwrap().state.as_str(),
        "closed"
    );

    // The round not produced yet: a conflict saying so; every relay down: 503.
    let t = spawn_demo(|s| s.lottery.drand_relays = vec![early.clone()]).await;
    let ops = t.token_of("reviewer").await;
    let id = closed_with_accounts(&t, &["a", "b", "c", "d"], "2026-12-31T23:59:59Z").await;
    let r = post(&t, &ops, &format!("/api/v1/lotteries/{id}/draw"), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("not available yet"));
    let t = spawn_demo(|s| s.lottery.drand_relays = vec![dead.clone()]).await;
    let ops = t.token_of("reviewer").await;
    let id = closed_with_accounts(&t, &["a", "b", "c", "d"], "2026-12-31T23:59:59Z").await;
    let r = post(&t, &ops, &format!("/api/v1/lotteries/{id}/draw"), json!({})).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());

    // A dead relay, then an honest one: drawn with the verified round; the audit names it.
    let t = spawn_demo(|s| s.lottery.drand_relays = vec![dead.clone(), honest.clone()]).await;
    let ops = t.token_of("reviewer").await;
    let id = closed_with_accounts(&t, &["a", "b", "c", "d"], "2026-12-31T23:59:59Z").await;
    let r = post(&t, &ops, &format!("/api/v1/lotteries/{id}/draw"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let bundle: liveguard_lottery::Bundle =
        serde_json::from_str(&t.state.store.lottery(id).await.unwrap().bundle.unwrap()).unwrap();
    assert_eq!(
        bundle.randomness,
        liveguard_lottery::Randomness::Drand {
            round: 123,
            signature: ROUND_123_SIGNATURE.into()
        }
    );
    liveguard_lottery::verify(&bundle).unwrap();
    let lead = t.token_of("lead").await;
    let audit = t
        .call(get(
            "/api/v1/audit/entries?action=lottery.draw&limit=5",
            Some(&lead),
        ))
        .await
        .text();
    assert!(audit.contains(&honest), "{audit}");
}

#[tokio::test]
async fn bad_relay_settings_stop_the_server_with_the_setting_named() {
    let mut s = liveguard_server::Settings::default();
    s.lottery.drand_relays = vec!["api.drand.sh".into()];
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("lottery.drand_relays")
    );
    s.lottery.drand_relays = Vec::new();
    s.lottery.retain_days = 365;
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("lottery.retain_days")
    );
}

/// Winners are announced as masked names beside their codes — the masked account of an
/// uploaded list — on the public page, in the API and in the announcement; the names are
/// not part of the proof bundle.
#[tokio::test]
async fn winners_are_shown_as_masked_names_beside_their_codes() {
    let t = spawn_demo(|_| {}).await;
    let accounts = ["fan-alice", "fan-bob", "fan-carol", "fan-dave", "staff-1"];
    let (id, _) = drawn_with_accounts(&t, &accounts, "2030-01-01T00:00:00+08:00").await;
    let v = t
        .call(get(&format!("/public/lotteries/{id}"), None))
        .await
        .json();
    let winners = v["winners"].as_array().unwrap();
    assert_eq!(winners.len(), 2, "{v}");
    for w in winners {
        let code = w["code"].as_str().unwrap();
        // The account behind the code, as its owner would look it up.
        let mut owner = None;
        for a in accounts {
            let c = t
                .call(get(
                    &format!("/public/lotteries/{id}/code?account={a}"),
                    None,
                ))
                .await
                .json();
            if c["code"] == code {
                owner = Some(a);
            }
        }
        let owner = owner.expect("every winner is an entrant");
        let name = w["name"].as_str().unwrap();
        assert_eq!(name, liveguard_server::personal::mask_name(owner));
        assert!(!name.contains(&owner[1..owner.len() - 1]), "masked: {name}");
        assert!(
            v["announcement"]["zh"]
                .as_str()
                .unwrap()
                .contains(&format!("{name}（参与者编码 {}", &code[..12])),
            "{}",
            v["announcement"]["zh"]
        );
    }
    let bundle = t
        .call(get(&format!("/public/lotteries/{id}/bundle.json"), None))
        .await
        .text();
    assert!(!bundle.contains("****"), "names are not in the bundle");
    let page = t
        .call(get(&format!("/public/lotteries/{id}/verify"), None))
        .await
        .text();
    assert_eq!(page.matches("data-testid=\"winner\"").count(), 2);
    assert!(page.contains(winners[0]["name"].as_str().unwrap()));
}

#[tokio::test]
async fn comments_before_the_commit_or_outside_the_window_do_not_enter() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let r = post(
        &t,
        &ops,
        "/api/v1/lotteries",
        json!({"session_id": 1, "rules": rules()}),
    )
    .await;
    let id = r.json()["id"].as_i64().unwrap();
    // Committed late, at 15:05 UTC, five minutes into the 15:00–15:10 window.
    t.set_clock(time::macros::datetime!(2023-08-23 15:05 UTC));
    post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let at = |h: u32, m: u32| {
        time::macros::datetime!(2023-08-23 00:00 UTC).unix_timestamp() * 1000
            + i64::from(h * 3600 + m * 60) * 1000
    };
    let r = post(&t, &ops, "/api/v1/live/sessions/1/events", json!({"events": [
        {"key": "early", "kind": "comment", "at_ms": at(15, 2), "user_id": "before-commit", "text": "想要面霜"},
        {"key": "in", "kind": "comment", "at_ms": at(15, 7), "user_id": "in-window", "nickname": "小林同学", "text": "想要面霜"},
        {"key": "late", "kind": "comment", "at_ms": at(15, 11), "user_id": "after-close", "text": "想要面霜"},
    ]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/entrants"),
        json!({"from_session_comments": true}),
    )
    .await;
    assert_eq!(r.json()["entrants"]["count"], 1, "{}", r.text());
    // The commenter's masked nickname is kept for the winners' list.
    let names = t
        .state
        .store
        .lottery_entrant_names(id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        names.contains("小**学") && !names.contains("小林"),
        "{names}"
    );
    let code = t
        .call(get(
            &format!("/public/lotteries/{id}/code?account=in-window"),
            None,
        ))
        .await
        .json();
    assert_eq!(
        code["included"], true,
        "the comment entrant finds their code by platform account"
    );
    let early = t
        .call(get(
            &format!("/public/lotteries/{id}/code?account=before-commit"),
            None,
        ))
        .await
        .json();
    assert_eq!(early["code"], Value::Null);
    let lead = t.token_of("lead").await;
    let audit = t
        .call(get(
            "/api/v1/audit/entries?action=lottery.entrants&limit=5",
            Some(&lead),
        ))
        .await
        .text();
    assert!(
        audit.contains("2 comments outside the entry window"),
        "{audit}"
    );
}

#[tokio::test]
async fn demo_mode_may_draw_the_recorded_past_round_and_says_so() {
    let t = spawn_demo(|s| s.demo = true).await;
    let ops = t.token_of("reviewer").await;
    // The seeded demo lottery: its draw time is round 123's, long past.
    let list = t.call(get("/api/v1/lotteries", Some(&ops))).await.json();
    let demo = list["lotteries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"].as_str().unwrap().contains("演示福袋"))
        .expect("the demo seeds a lottery")
        .clone();
    assert_eq!(demo["drand_round"], liveguard_lottery::RECORDED_ROUND);
    let id = demo["id"].as_i64().unwrap();
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/entrants"),
        json!({"accounts": ["a", "b", "c", "d", "e", "f"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/draw"),
        json!({"randomness": {"kind": "drand", "round": 123, "signature": ROUND_123_SIGNATURE}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let lead = t.token_of("lead").await;
    let audit = t
        .call(get(
            "/api/v1/audit/entries?action=lottery.commit&limit=5",
            Some(&lead),
        ))
        .await
        .text();
    assert!(
        audit.contains("demo: the draw round was already public"),
        "{audit}"
    );
}

#[tokio::test]
async fn public_code_lookups_are_limited_per_client() {
    let t = spawn_demo(|s| s.lottery.lookups_per_minute = 2).await;
    let id = closed_with_accounts(&t, &["a", "b", "c"], "2026-12-31T23:59:59Z").await;
    for _ in 0..2 {
        let r = t
            .call(get(&format!("/public/lotteries/{id}/code?account=a"), None))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = t
        .call(get(&format!("/public/lotteries/{id}/code?account=b"), None))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let page = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?account=b"),
            None,
        ))
        .await
        .text();
    assert!(page.contains("查询过于频繁"), "{page}");
    // A pasted code needs no lookup and is not limited.
    let page = t
        .call(get(&format!("/public/lotteries/{id}/verify"), None))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    t.clock.advance(time::Duration::minutes(1));
    let r = t
        .call(get(&format!("/public/lotteries/{id}/code?account=b"), None))
        .await;
    assert_eq!(r.status, StatusCode::OK, "a new minute");
}

#[tokio::test]
async fn a_lottery_opened_in_the_live_room_without_committed_rules_raises_an_alert() {
    let t = spawn_demo(|s| s.demo = true).await;
    let ops = t.token_of("reviewer").await;
    post(&t, &ops, "/api/v1/live/sessions/1/start", json!({})).await;
    let open = |key: &str| json!({"events": [{"key": key, "kind": "lottery", "at_ms": 1_764_590_000_000i64, "action": "open", "text": "福袋开啦，评论想要面霜参与"}]});
    // The demo's lottery is still a draft: opening a lottery on air is flagged.
    let r = post(&t, &ops, "/api/v1/live/sessions/1/events", open("l1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let alert = r.json()["results"][0]["alert_id"]
        .as_i64()
        .expect("an alert");
    // The alert's event carries the finding (the alert's summary says it in words).
    let events = t
        .call(get("/api/v1/live/sessions/1/events", Some(&ops)))
        .await
        .text();
    assert!(events.contains("live/lottery-uncommitted"), "{events}");
    assert!(alert > 0);
    // Once committed (published), the same action passes.
    let list = t.call(get("/api/v1/lotteries", Some(&ops))).await.json();
    let id = list["lotteries"][0]["id"].as_i64().unwrap();
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(&t, &ops, "/api/v1/live/sessions/1/events", open("l2")).await;
    assert_eq!(
        r.json()["results"][0]["alert_id"],
        Value::Null,
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_large_uploaded_list_is_taken_while_other_routes_keep_their_limit() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let mut purchase = rules();
    purchase["entry"] = json!({"method": "purchase"});
    let c = post(&t, &ops, "/api/v1/lotteries", json!({"rules": purchase})).await;
    let id = c.json()["id"].as_i64().unwrap();
    t.set_clock(time::macros::datetime!(2023-08-23 14:55 UTC));
    post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    // 200,000 buyers exported from the platform (3.2 MB of JSON, over axum's 2 MiB
    // extractor default), padded to exactly the documented 64 MiB: taken (security review F6).
    let accounts: Vec<String> = (0..200_000).map(|i| format!("buyer-{i:08}")).collect();
    let exact = padded_json(&json!({"accounts": accounts}), 64 * 1024 * 1024);
    let r = t
        .call(raw_json_req(
            Method::POST,
            &format!("/api/v1/lotteries/{id}/entrants"),
            &ops,
            exact,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["entrants"]["count"], 200_000);
    // One byte more is refused as problem+json, before anything is stored.
    let c2 = post(&t, &ops, "/api/v1/lotteries", json!({ "rules": purchase })).await;
    let id2 = c2.json()["id"].as_i64().unwrap();
    post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id2}/commit"),
        json!({}),
    )
    .await;
    let over = padded_json(&json!({"accounts": ["a"]}), 64 * 1024 * 1024 + 1);
    let r = t
        .call(raw_json_req(
            Method::POST,
            &format!("/api/v1/lotteries/{id2}/entrants"),
            &ops,
            over,
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(r.json()["code"], "payload_too_large", "{}", r.text());
    let two = t
        .call(get(&format!("/api/v1/lotteries/{id2}"), Some(&ops)))
        .await
        .json();
    assert_eq!(two["state"], "committed", "nothing changed: {two}");
    // Elsewhere the default limit (1 MiB) holds: exactly at it is read, one byte over is not.
    let at = padded_json(&json!({"rules": rules()}), 1024 * 1024);
    let r = t
        .call(raw_json_req(Method::POST, "/api/v1/lotteries", &ops, at))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let over = padded_json(&json!({"rules": rules()}), 1024 * 1024 + 1);
    let r = t
        .call(raw_json_req(Method::POST, "/api/v1/lotteries", &ops, over))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    // The list does not carry the entrant documents; the lottery does.
    let list = t.call(get("/api/v1/lotteries", Some(&ops))).await.json();
    let row = list["lotteries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap()
        .clone();
    assert!(
        row.get("entrants").is_none() && row["state"] == "closed",
        "{row}"
    );
    let one = t
        .call(get(&format!("/api/v1/lotteries/{id}"), Some(&ops)))
        .await
        .json();
    assert_eq!(one["entrants"]["count"], 200_000);
}

#[tokio::test]
async fn a_draft_is_edited_freely_and_committed_rules_only_for_consumers() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let c = post(&t, &ops, "/api/v1/lotteries", json!({"rules": rules()})).await;
    let id = c.json()["id"].as_i64().unwrap();
    let digest = c.json()["rules_digest"].as_str().unwrap().to_string();
    // Draft: any valid rules, no reason needed; the title follows; invalid rules refused.
    let mut edited = rules();
    edited["title"] = json!("面霜专场福袋（改）");
    edited["prizes"][0]["quantity"] = json!(0);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": edited}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a prize of quantity 0: {}",
        r.text()
    );
    edited["prizes"][0]["quantity"] = json!(1);
    edited["prizes"][0]["unit_value_fen"] = json!(19_900);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": edited}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["title"], "面霜专场福袋（改）");
    assert_ne!(r.json()["rules_digest"], digest.as_str());
    assert_eq!(
        t.state.store.lottery(id).await.unwrap().committed_at,
        None,
        "still a draft"
    );
    t.assert_audited("action=lottery.edit", &["lottery.edit"])
        .await;

    // Through the page: a bad field comes back with the user's edit kept.
    let (cookie, csrf) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let page = t
        .call(page_get(&cookie, &format!("/lotteries/{id}")))
        .await
        .text();
    assert!(page.contains("修改草稿规则") && page.contains("面霜专场福袋（改）"));
    let mut fields: Vec<(&str, String)> = vec![
        ("title", "页面改名".into()),
        ("organiser", "示例电子商务有限公司".into()),
        ("contact", "400-000-0000".into()),
        ("prize0_name", "面霜正装".into()),
        ("prize0_kind", "goods".into()),
        ("prize0_value", "199".into()),
        ("prize0_quantity", "x".into()),
        ("entry_method", "comment_keyword".into()),
        ("entry_keyword", "想要面霜".into()),
        ("entry_chances", "1".into()),
        ("exclusions", "员工".into()),
        ("dedupe", "同一账号只计一次".into()),
        ("entry_opens_at", "2023-08-23T23:00".into()),
        ("entry_closes_at", "2023-08-23T23:10".into()),
        ("draw_at", "2023-08-23T23:15:33".into()),
        ("draw_method", "drand-quicknet".into()),
        ("seed_commitment", "".into()),
        ("redemption", "7日内私信登记".into()),
        ("redemption_deadline", "2026-12-31T23:59:59".into()),
        ("unclaimed", "逾期视为放弃".into()),
        ("delivery", "快递包邮".into()),
        ("rules", "".into()),
        ("reason", "".into()),
    ];
    fn pairs<'a>(f: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
        f.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            &format!("/lotteries/{id}/rules"),
            &pairs(&fields),
        ))
        .await;
    assert!(
        r.text().contains("prize0_quantity") && r.text().contains("页面改名"),
        "{}",
        r.text()
    );
    fields[6].1 = "1".into();
    let r = t
        .call(form_post(
            &cookie,
            &csrf,
            &format!("/lotteries/{id}/rules"),
            &pairs(&fields),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(t.state.store.lottery(id).await.unwrap().title, "页面改名");

    // Committed: a reason is required and only changes in the consumers' favour pass.
    t.set_clock(time::macros::datetime!(2023-08-23 14:55 UTC));
    post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/commit"),
        json!({}),
    )
    .await;
    let current: Value =
        serde_json::from_str(&t.state.store.lottery(id).await.unwrap().rules).unwrap();
    let mut more = current.clone();
    more["prizes"][0]["quantity"] = json!(3);
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": more}),
    )
    .await;
    assert_eq!(r.json()["field"], "reason", "{}", r.text());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": more, "reason": "加送两份"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let committed_at = t.state.store.lottery(id).await.unwrap().committed_at;
    assert!(committed_at.is_some());
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/rules"),
        json!({"rules": current, "reason": "改回"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "fewer prizes after the start: {}",
        r.text()
    );
    assert_eq!(
        t.state.store.lottery(id).await.unwrap().committed_at,
        committed_at,
        "a change keeps the commit time"
    );
}

#[tokio::test]
async fn the_public_pages_follow_the_draw_even_within_the_same_second() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let id = closed_with_accounts(&t, &["a", "b", "c", "d"], "2026-12-31T23:59:59Z").await;
    // Viewers look while entry is closed: the entrant list is read once and kept.
    let before = t
        .call(get(&format!("/public/lotteries/{id}"), None))
        .await
        .json();
    assert_eq!(
        (
            before["entrants"]["count"].as_i64(),
            before["winners"].clone()
        ),
        (Some(4), Value::Null)
    );
    let salt = hex::decode(before["entrants"]["salt"].as_str().unwrap()).unwrap();
    let code = liveguard_lottery::entrant_code(
        &salt,
        &liveguard_live::pseudonym(&t.state.pseudonym_key, "c"),
    );
    let inc = t
        .call(get(
            &format!("/public/lotteries/{id}/inclusion?code={code}"),
            None,
        ))
        .await
        .json();
    assert_eq!(inc["included"], true);
    // Drawn at the same (fixed) clock second: the pages show the winners at once.
    let r = post(
        &t,
        &ops,
        &format!("/api/v1/lotteries/{id}/draw"),
        json!({"randomness": {"kind": "drand", "round": 123, "signature": ROUND_123_SIGNATURE}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let after = t
        .call(get(&format!("/public/lotteries/{id}"), None))
        .await
        .json();
    assert_eq!(
        after["winners"].as_array().map(Vec::len),
        Some(2),
        "{after}"
    );
    let page = t
        .call(get(
            &format!("/public/lotteries/{id}/verify?code={code}"),
            None,
        ))
        .await
        .text();
    assert!(
        page.contains("data-testid=\"winners\"") && page.contains("在抽奖名单中"),
        "{page}"
    );
}

#[tokio::test]
async fn a_plan_with_a_lottery_but_no_rules_is_called_out_to_reviewers() {
    let t = spawn_demo(|_| {}).await;
    let lead = t.token_of("lead").await;
    let products = t.call(get("/api/v1/products", Some(&lead))).await.json();
    let product = products["products"][0]["id"]
        .as_i64()
        .expect("a demo product");
    let r = post(
        &t,
        &lead,
        "/api/v1/plans",
        json!({"title": "12月2日晚场", "room_id": 1, "starts_at": "2026-12-02T20:00:00+08:00", "streamer_ids": [2],
            "lineup": [{"product_id": product, "price_fen": 9900}], "has_lottery": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (cookie, _) = t
        .login("lead", &liveguard_server::demo_password("lead"))
        .await
        .unwrap();
    let page = t.call(page_get(&cookie, "/plans")).await.text();
    assert!(
        page.contains("12月2日晚场") && page.contains("尚未登记抽奖规则"),
        "{page}"
    );
}

/// Issue 12: the live and lottery page forms are read through `CsrfForm`, which checks the
/// session's CSRF field before the handler runs: a wrong or missing one changes nothing and
/// is answered 403 with the error page; the right one goes through.
#[tokio::test]
async fn r12_page_forms_change_nothing_without_the_sessions_csrf_token() {
    let t = spawn_demo(|_| {}).await;
    let (cookie, csrf) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    for uri in ["/live/1/start", "/lotteries/1/commit"] {
        let r = t.call(form_post(&cookie, "not-the-token", uri, &[])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.text());
        assert!(r.text().contains("<html"), "{uri}: an error page");
    }
    assert_eq!(
        t.state.store.live_session(1).await.unwrap().state.as_str(),
        "planned"
    );
    assert_eq!(
        t.state.store.lottery_meta(1).await.unwrap().state.as_str(),
        "draft"
    );
    let r = t
        .call(form_post(&cookie, &csrf, "/live/1/start", &[]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        t.state.store.live_session(1).await.unwrap().state.as_str(),
        "live"
    );
}
