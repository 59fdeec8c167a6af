//! Regression tests for the security review of 2026-12-03
//! (`shared/docs/security-review-2026-12.md`, issue 11): one test per finding, named
//! `r11_f<N>_…`, each of which failed on the reviewed build (8a7e1c0).

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use liveguard_core::Role;
use serde_json::{Value, json};

async fn new_token(t: &TestApp, bearer: &str, body: Value) -> Resp {
    t.call(json_req(Method::POST, "/api/v1/tokens", Some(bearer), body))
        .await
}

#[tokio::test]
async fn r11_f1_a_scoped_token_never_mints_or_revokes_a_wider_one() {
    let t = spawn_app().await;
    let admin = t.token_for(Role::Admin).await;
    let r = new_token(
        &t,
        &admin,
        json!({"name": "narrow", "role": "ops_reviewer"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let scoped = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        t.call(get("/api/v1/users", Some(&scoped))).await.status,
        StatusCode::FORBIDDEN
    );
    // Minting without a role passes the scope on instead of the owner's role.
    let r = new_token(&t, &scoped, json!({"name": "minted"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["role"], "ops_reviewer", "{}", r.text());
    let minted = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        t.call(get("/api/v1/users", Some(&minted))).await.status,
        StatusCode::FORBIDDEN,
        "the minted token is no wider than its maker"
    );
    assert_eq!(
        t.call(get("/api/v1/me", Some(&minted))).await.json()["role"],
        "ops_reviewer"
    );
    // The scheme is case-insensitive (review note N5).
    let lower = axum::http::Request::builder()
        .uri("/api/v1/me")
        .header("authorization", format!("bearer {minted}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(t.call(lower).await.status, StatusCode::OK);
    // Asking for a wider role is refused with the field named.
    let r = new_token(&t, &scoped, json!({"name": "x", "role": "admin"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "role");
    // The scoped token neither sees nor revokes the owner's full token.
    let list = t.call(get("/api/v1/tokens", Some(&scoped))).await.json();
    let ids: Vec<i64> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let all = t.state.store.tokens(Some(1)).await.unwrap();
    let full = all.iter().find(|t| t.scope_role.is_none()).unwrap().id;
    assert!(!ids.contains(&full), "{ids:?}");
    let r = t
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/tokens/{full}"),
            Some(&scoped),
            Value::Null,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(
        t.call(get("/api/v1/users", Some(&admin))).await.status,
        StatusCode::OK,
        "the owner's full token still works"
    );
    // It may revoke the tokens it covers (its own scope and narrower).
    let minted_id = t
        .state
        .store
        .tokens(Some(1))
        .await
        .unwrap()
        .iter()
        .find(|x| x.name == "minted")
        .unwrap()
        .id;
    let r = t
        .call(json_req(
            Method::DELETE,
            &format!("/api/v1/tokens/{minted_id}"),
            Some(&scoped),
            Value::Null,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
}

#[tokio::test]
async fn r11_f1_a_legal_scoped_lead_token_cannot_mint_its_way_to_personal_data() {
    let t = spawn_app().await;
    let lead = t.token_for(Role::ComplianceLead).await;
    let r = new_token(&t, &lead, json!({"name": "legal-only", "role": "legal"})).await;
    let scoped = r.json()["token"].as_str().unwrap().to_string();
    let r = new_token(&t, &scoped, json!({"name": "minted"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let minted = r.json()["token"].as_str().unwrap().to_string();
    let me = t.call(get("/api/v1/me", Some(&minted))).await.json();
    assert_eq!(me["role"], "legal");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(!perms.contains(&"ViewPersonalData"), "{perms:?}");
}

fn assert_problem(r: &Resp, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(
        r.headers["content-type"],
        "application/problem+json",
        "{}",
        r.text()
    );
    assert_eq!(r.json()["code"], code, "{}", r.text());
}

#[tokio::test]
async fn r11_f6_uploads_take_the_documented_size_and_not_a_byte_more() {
    let t = spawn_app().await;
    let streamer = t.token_for(Role::Streamer).await;
    // The documented limit: a 10 MiB file, base64 in JSON, plus 64 KiB for the rest.
    let limit = 10 * 1024 * 1024 / 3 * 4 + 64 * 1024;
    let text = "欢迎来到直播间，这款面霜全网最好用。\n".repeat(60_000);
    use base64::Engine;
    let file = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    assert!(file.len() > 2 * 1024 * 1024, "over axum's 2 MiB default");
    let mut body =
        json!({"title": "长话术", "kind": "script", "session_start": "2026-12-20T20:00:00+08:00",
        "file_name": "long.txt", "file_base64": file})
        .to_string()
        .into_bytes();
    body.resize(limit, b' ');
    let r = t
        .call(raw_json_req(
            Method::POST,
            "/api/v1/submissions",
            &streamer,
            body.clone(),
        ))
        .await;
    // Read whole and parsed: the answer is about the file's text (longer than a script may
    // be), not the body's size.
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["field"], "text", "{}", r.text());
    body.push(b' ');
    let r = t
        .call(raw_json_req(
            Method::POST,
            "/api/v1/submissions",
            &streamer,
            body,
        ))
        .await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn r11_f14_every_error_is_problem_json() {
    let t = spawn_app().await;
    let admin = t.token_for(Role::Admin).await;
    let r = t.call(get("/api/v1/submissions/abc", Some(&admin))).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_request");
    let r = t
        .call(get("/api/v1/audit/entries?nonsense=1", Some(&admin)))
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_request");
    // Out-of-range page sizes and cursors are refused as documented, not clamped.
    for q in ["limit=-499", "limit=0", "limit=501", "before=-1"] {
        let r = t
            .call(get(&format!("/api/v1/audit/entries?{q}"), Some(&admin)))
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    let r = t
        .call(raw_json_req(
            Method::PUT,
            "/api/v1/me",
            &admin,
            b"{}".to_vec(),
        ))
        .await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let r = t
        .call(raw_json_req(
            Method::POST,
            "/api/v1/scan",
            &admin,
            vec![b' '; 1024 * 1024 + 1],
        ))
        .await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let r = t.call(get("/no/such/page", None)).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    // A browser asking for a page gets a page.
    let (cookie, _) = t.login("ops-reviewer", PASSWORD).await.unwrap();
    let r = t
        .call(
            axum::http::Request::builder()
                .uri("/reviews/abc")
                .header("cookie", &cookie)
                .header("accept", "text/html")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        r.headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html")),
        "{:?} {}",
        r.headers,
        r.status
    );
    assert!(
        r.text().contains("网址或查询参数的格式不对"),
        "{}",
        r.text()
    );
    assert!(
        !r.text().contains("Cannot parse"),
        "no machine text: {}",
        r.text()
    );
}

/// A sign-in from a given client address.
fn login_from(
    ip: [u8; 4],
    username: &str,
    password: &str,
) -> axum::http::Request<axum::body::Body> {
    let mut req = json_req(
        Method::POST,
        "/api/v1/session",
        None,
        json!({"username": username, "password": password}),
    );
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40000,
        ))));
    req
}

#[tokio::test]
async fn r11_f4_wrong_passwords_cannot_keep_a_user_out_or_tell_accounts_apart() {
    let t = spawn_app().await;
    let attacker = [10, 0, 0, 66];
    // The attacker guesses: after five, the attacker waits, doubling, up to 15 minutes.
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(t.call(login_from(attacker, "admin", "wrong")).await.json()["code"].clone());
        t.clock.advance(time::Duration::milliseconds(10));
    }
    assert_eq!(codes[..5], vec![json!("bad_credentials"); 5][..]);
    assert_eq!(codes[5], "rate_limited", "{codes:?}");
    // The same sequence for a name that does not exist answers the same.
    let mut unknown = Vec::new();
    for _ in 0..8 {
        unknown.push(
            t.call(login_from(attacker, "no-such-user", "wrong"))
                .await
                .json()["code"]
                .clone(),
        );
        t.clock.advance(time::Duration::milliseconds(10));
    }
    assert_eq!(codes, unknown, "known and unknown accounts answer alike");
    // The real administrator at their own address signs in meanwhile.
    let r = t.call(login_from([10, 0, 0, 1], "admin", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Keep guessing for an hour, one attempt whenever allowed: the lock never outlasts
    // the backoff (at most 15 minutes), and the administrator still gets in.
    for _ in 0..6 {
        t.clock.advance(time::Duration::minutes(15));
        let r = t.call(login_from(attacker, "admin", "wrong")).await;
        assert_eq!(r.json()["code"], "bad_credentials", "{}", r.text());
        let wait: i64 = t.call(login_from(attacker, "admin", "wrong")).await.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait <= 15 * 60, "{wait}");
    }
    let r = t.call(login_from([10, 0, 0, 1], "admin", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Many addresses against one account: the account slows, but not for an address it
    // signed in from.
    for i in 0..30u8 {
        t.call(login_from([10, 2, 0, i], "legal", "wrong")).await;
    }
    let r = t.call(login_from([10, 3, 0, 1], "legal", PASSWORD)).await;
    assert_eq!(r.json()["code"], "rate_limited", "{}", r.text());
    // A disabled account: a wrong password answers like any other wrong password.
    let admin = t.token_for(Role::Admin).await;
    let r = t
        .call(json_req(
            Method::PATCH,
            "/api/v1/users/7",
            Some(&admin),
            json!({"disabled": true}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let name = t.state.store.user(7).await.unwrap().username;
    let r = t.call(login_from([10, 4, 0, 1], &name, "wrong")).await;
    assert_eq!(r.json()["code"], "bad_credentials", "{}", r.text());
    let r = t.call(login_from([10, 4, 0, 1], &name, PASSWORD)).await;
    assert_eq!(r.json()["code"], "account_disabled", "{}", r.text());
}

#[tokio::test]
async fn r11_f8_password_changes_are_throttled_audited_and_end_api_tokens() {
    let t = spawn_app().await;
    let legal = t.token_for(Role::Legal).await;
    let change = |current: &str| {
        let mut req = json_req(
            Method::POST,
            "/api/v1/account/password",
            Some(&legal),
            json!({"current_password": current, "new_password": "a-new-password-1"}),
        );
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 9],
                40000,
            ))));
        req
    };
    let mut codes = Vec::new();
    for i in 0..8 {
        codes.push(t.call(change(&format!("guess-{i}"))).await.json()["code"].clone());
    }
    assert_eq!(codes[..5], vec![json!("validation_failed"); 5][..]);
    assert!(codes[5..].iter().all(|c| c == "rate_limited"), "{codes:?}");
    let failed = t
        .state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: Some("user.password_change_failed".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 5, "each wrong guess is audited");
    t.clock.advance(time::Duration::minutes(16));
    let r = t.call(change(PASSWORD)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = t.call(get("/api/v1/me", Some(&legal))).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the token ended with the old password"
    );
}

/// The raw values of every kind of personal data the review planted (F2, F10, F12).
const PLANTED: &[&str] = &[
    "13800138000",
    "13900139000",
    "15912345678",
    "138 0013 8000",
    "11010519491231002X",
    "110101199003074578",
    "wxid_lgtest777",
    "lg_wechat_8899",
    "zhang.san@example.com",
];

#[tokio::test]
async fn r11_f2_f10_f12_no_raw_personal_data_at_rest_after_a_mixed_workload() {
    let t = spawn_demo(|_| {}).await;
    let ops = t.token_of("reviewer").await;
    let lead = t.token_of("lead").await;
    let post = |uri: String, token: String, body: Value| {
        let t = &t;
        async move {
            t.call(json_req(Method::POST, &uri, Some(&token), body))
                .await
        }
    };
    // The engine flags and masks a number glued to a name (F2).
    let r = post(
        "/api/v1/scan".into(),
        ops.clone(),
        json!({"text": "张三13800138000", "channel": "comment"}),
    )
    .await;
    assert_eq!(r.json()["decision"], "review", "{}", r.text());
    assert_eq!(r.json()["masked_text"], "张三138****8000");
    let sessions = t
        .call(get("/api/v1/live/sessions", Some(&ops)))
        .await
        .json();
    let id = sessions["sessions"][0]["id"].as_i64().unwrap();
    post(
        format!("/api/v1/live/sessions/{id}/start"),
        ops.clone(),
        json!({}),
    )
    .await;
    let at = 1_764_590_400_000i64;
    let r = post(format!("/api/v1/live/sessions/{id}/events"), ops.clone(), json!({"events": [
        {"key": "13800138000-careless-key", "kind": "comment", "at_ms": at, "user_id": "13800138000",
         "nickname": "张三13800138000", "text": "加我 wxid_lgtest777 身份证三11010519491231002X"},
        {"key": "c2", "kind": "comment", "at_ms": at, "user_id": "u2", "nickname": "李四15912345678",
         "text": "我的身份证110101199003074578，微信 lg_wechat_8899，邮箱 zhang.san@example.com"},
        {"key": "t1", "kind": "transcript", "at_ms": at, "end_ms": at + 2000, "speaker": "主播第一13900139000",
         "text": "有问题打第一13900139000，或者 138 0013 8000，全网最低价"},
        {"key": "s1", "kind": "screen_text", "at_ms": at, "text": "客服电话两13800138000"},
    ]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Operator free text: an alert resolution and a moderation reason with a phone number.
    let alerts = t
        .call(get(
            &format!("/api/v1/live/sessions/{id}/alerts"),
            Some(&ops),
        ))
        .await
        .json();
    let alert = alerts["alerts"][0]["id"].as_i64().expect("an alert");
    let r = post(
        format!("/api/v1/live/alerts/{alert}/actions"),
        ops.clone(),
        json!({"action": "resolve", "reason": "viewer 13800138000 handled"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let events = t
        .call(get(
            &format!("/api/v1/live/sessions/{id}/events"),
            Some(&ops),
        ))
        .await
        .json();
    let comment = events["events"][0]["id"].as_i64().unwrap();
    let r = post(
        format!("/api/v1/live/events/{comment}/moderation"),
        ops.clone(),
        json!({"action": "hide", "reason": "posted phone 138 0013 8000"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // A legal hold with a reason, and a review rejected with a number in the changes.
    let r = post(
        format!("/api/v1/live/sessions/{id}/hold"),
        lead.clone(),
        json!({"legal_hold": true, "reason": "消费者 13900139000 投诉"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Everything the API answers is masked too.
    let all = format!(
        "{}{}",
        t.call(get(
            &format!("/api/v1/live/sessions/{id}/events"),
            Some(&ops)
        ))
        .await
        .text(),
        t.call(get("/api/v1/audit/entries?limit=200", Some(&lead)))
            .await
            .text()
    );
    assert!(all.contains("138****8000"), "masked values remain: {all}");
    for raw in PLANTED {
        assert!(!all.contains(raw), "{raw} in an answer");
    }
    // Nothing raw in the database, its WAL or shared memory; the files are the owner's only.
    let dir = &t.state.settings.data_dir;
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("liveguard.db") {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        for raw in PLANTED {
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
                "{raw} found in {name}"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name} is {mode:o}");
        }
    }
    assert!(files >= 2, "the database and its WAL were read");
}

async fn upload(t: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Resp {
    use base64::Engine;
    let file = base64::engine::general_purpose::STANDARD.encode(bytes);
    t.call(json_req(
        Method::POST,
        "/api/v1/submissions",
        Some(token),
        json!({"title": "t", "kind": "script", "session_start": "2026-12-20T20:00:00+08:00",
               "file_name": name, "file_base64": file}),
    ))
    .await
}

#[tokio::test]
async fn r11_f11_a_stray_byte_does_not_turn_a_utf8_script_into_mojibake() {
    let t = spawn_app().await;
    let streamer = t.token_for(Role::Streamer).await;
    let mut bytes = "欢迎来到直播间，这款面霜全网最好用。\n".as_bytes().to_vec();
    bytes.push(0xFF);
    let r = upload(&t, &streamer, "a.txt", &bytes).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.text().contains("absolute/zui"), "{}", r.text());
    assert!(r.text().contains("全网最好用"), "{}", r.text());
    // A real GBK file is still read as GBK.
    let (gbk, _, _) = encoding_rs::GBK.encode("这款面霜全网最好用");
    let r = upload(&t, &streamer, "b.txt", &gbk).await;
    assert!(r.text().contains("absolute/zui"), "{}", r.text());
}

#[tokio::test]
async fn r11_f5_an_image_bomb_is_refused_from_its_header() {
    let t = spawn_app().await;
    let streamer = t.token_for(Role::Streamer).await;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&19000u32.to_be_bytes());
    png.extend_from_slice(&19000u32.to_be_bytes());
    png.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
    let started = std::time::Instant::now();
    let r = upload(&t, &streamer, "bomb.png", &png).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("19000 × 19000"), "{}", r.text());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn r11_f9_idle_and_slow_header_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = std::env::temp_dir().join(format!("lg-f9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = liveguard_server::Settings {
        data_dir: dir.clone(),
        listen: "127.0.0.1:0".into(),
        header_timeout_seconds: 1,
        ..liveguard_server::Settings::default()
    };
    let app = liveguard_server::Application::build(settings)
        .await
        .unwrap();
    let addr = format!("127.0.0.1:{}", app.port());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut kept = tokio::net::TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Each of them is closed by the server within a few seconds.
    for (name, s) in [
        ("idle", &mut idle),
        ("partial", &mut partial),
        ("kept-alive", &mut kept),
    ] {
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).await.map(|_| rest)
        })
        .await;
        assert!(read.is_ok(), "{name} connection still open after 5 s");
    }
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn r11_f13_the_login_form_refuses_cross_origin_posts() {
    let t = spawn_app().await;
    let login = |origin: Option<&str>| {
        let mut b = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header("host", "127.0.0.1:8080")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        b.body(axum::body::Body::from(format!(
            "username=auditor&password={PASSWORD}"
        )))
        .unwrap()
    };
    let r = t.call(login(Some("http://evil.example"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.headers.get("set-cookie").is_none());
    let r = t.call(login(Some("http://127.0.0.1:8080"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.headers.get("set-cookie").is_some());
}

/// The permission a route of [`liveguard_server::API_ROUTES`] names.
fn permission_named(name: &str) -> Option<liveguard_server::perms::Permission> {
    use liveguard_server::perms::Permission;
    Permission::ALL
        .iter()
        .copied()
        .find(|p| format!("{p:?}") == name)
}

/// Calls every documented API route with `token` and checks the answer against the
/// permission table for `role`: a role without the route's permission never gets a 2xx,
/// a role with it never gets 403. Path ids are the demo's (1) or absent (999999) where a
/// hit could end the credentials under test.
async fn walk_routes(t: &TestApp, token: &str, role: Role, label: &str) {
    use liveguard_server::perms::allowed;
    use tower::ServiceExt;
    for (method, path, _, perm) in &liveguard_server::api_routes() {
        let Some(perm) = permission_named(perm) else {
            continue; // public or any signed-in caller
        };
        let id = if path.contains("tokens/") || path.contains("users/") {
            "999999"
        } else {
            "1"
        };
        let uri = path
            .replace("{id}", id)
            .replace("{position}", "0")
            .replace("{verb}", "ship");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let req = if method == Method::GET {
            get(&uri, Some(token))
        } else {
            json_req(method.clone(), &uri, Some(token), json!({}))
        };
        // Status only: an allowed event stream never ends.
        let resp = t.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        if allowed(role, perm) {
            assert_ne!(status, StatusCode::FORBIDDEN, "{label}: {method} {uri}");
        } else {
            assert!(
                !status.is_success(),
                "{label}: {method} {uri} answered {status} without {perm:?}"
            );
        }
    }
}

#[tokio::test]
async fn r11_every_route_with_every_role_and_every_token_scope() {
    use liveguard_server::auth::role_within;
    use liveguard_server::perms::{Permission, allowed};
    let t = spawn_demo(|_| {}).await;
    let names = [
        "admin", "lead", "legal", "reviewer", "manager", "service", "streamer", "auditor",
    ];
    for owner_name in names {
        let owner = t
            .state
            .store
            .user_by_name(owner_name)
            .await
            .unwrap()
            .unwrap();
        let full = t.token_of(owner_name).await;
        walk_routes(&t, &full, owner.role, owner_name).await;
        for scope in Role::ALL
            .iter()
            .copied()
            .filter(|s| role_within(*s, owner.role))
        {
            let secret = format!("lg_{}", liveguard_server::auth::random_hex32());
            t.state
                .store
                .create_token(
                    owner.id,
                    "scoped",
                    &liveguard_server::auth::secret_hash(&secret),
                    &secret[..10],
                    Some(scope),
                    liveguard_store::AuditDraft::new("test", "system", "token.create", "x"),
                )
                .await
                .unwrap();
            let label = format!("{owner_name} scoped to {scope}");
            walk_routes(&t, &secret, scope, &label).await;
            // A scoped token making and revoking tokens never reaches past its scope.
            let r = new_token(&t, &secret, json!({"name": "minted"})).await;
            if allowed(scope, Permission::ManageOwnTokens) {
                assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.text());
                assert_eq!(r.json()["role"], scope.as_str(), "{label}");
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}");
            }
            if scope != owner.role && role_within(scope, owner.role) {
                let r = new_token(
                    &t,
                    &secret,
                    json!({"name": "wider", "role": owner.role.as_str()}),
                )
                .await;
                assert!(!r.status.is_success(), "{label}: minted its owner's role");
                let wider = t
                    .state
                    .store
                    .tokens(Some(owner.id))
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|x| x.scope_role.is_none() && x.revoked_at.is_none())
                    .unwrap();
                let r = t
                    .call(json_req(
                        Method::DELETE,
                        &format!("/api/v1/tokens/{}", wider.id),
                        Some(&secret),
                        Value::Null,
                    ))
                    .await;
                assert!(
                    !r.status.is_success(),
                    "{label}: revoked its owner's full token"
                );
            }
        }
    }
}

/// Issue 11 (F14): every example request body in the OpenAPI document is sent, as the demo
/// user whose role the route needs, to the demo server, and succeeds.
#[tokio::test]
async fn r11_f14_the_documented_examples_work_against_the_server() {
    use liveguard_server::perms::allowed;
    let t = spawn_demo(|_| {}).await;
    let doc = t.call(get("/api/v1/openapi.json", None)).await.json();
    let mut sent = 0;
    for (method, path, _, perm) in &liveguard_server::api_routes() {
        let op = &doc["paths"][path][method];
        let example = &op["requestBody"]["content"]["application/json"]["example"];
        if example.is_null() {
            continue;
        }
        let user = match permission_named(perm) {
            Some(p) => [
                "admin", "lead", "reviewer", "manager", "legal", "service", "streamer",
            ]
            .into_iter()
            .find(|u| {
                let role = liveguard_server::DEMO_USERS
                    .iter()
                    .find(|(n, _, _)| n == u)
                    .unwrap()
                    .2;
                allowed(role, p)
            })
            .unwrap(),
            None => "admin",
        };
        let token = t.token_of(user).await;
        let uri = path.replace("{id}", "1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = t
            .call(json_req(
                method.clone(),
                &uri,
                Some(&token),
                example.clone(),
            ))
            .await;
        assert!(
            r.status.is_success(),
            "{method} {uri} as {user} with its documented example: {} {}",
            r.status,
            r.text()
        );
        sent += 1;
    }
    assert!(sent >= 8, "{sent} examples");
}

/// The account and review forms (typed forms) have their CSRF field checked by the same
/// extractor as every other page form: a wrong token changes nothing, a right one does, and a
/// form missing a field is refused with a page naming the problem.
#[tokio::test]
async fn r12_typed_page_forms_are_csrf_checked_before_they_are_read() {
    let t = spawn_demo(|_| {}).await;
    let (cookie, csrf) = t
        .login("admin", &liveguard_server::demo_password("admin"))
        .await
        .unwrap();
    let fields = [
        ("username", "newcomer"),
        ("display_name", "新同事"),
        ("role", "ops_reviewer"),
        ("password", "a-long-enough-password"),
    ];
    let r = t
        .call(form_post(&cookie, "not-the-token", "/admin/users", &fields))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let named = |users: &[liveguard_store::User]| users.iter().any(|u| u.username == "newcomer");
    assert!(!named(&t.state.store.users().await.unwrap()));

    let r = t
        .call(form_post(&cookie, &csrf, "/admin/users", &fields[..2]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(
        r.text().contains("role"),
        "names the missing field: {}",
        r.text()
    );
    assert!(!named(&t.state.store.users().await.unwrap()));

    let r = t
        .call(form_post(&cookie, &csrf, "/admin/users", &fields))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert!(named(&t.state.store.users().await.unwrap()));

    let before = t.state.store.submissions().await.unwrap().len();
    let r = t
        .call(form_post(
            &cookie,
            "not-the-token",
            "/reviews/new",
            &[
                ("title", "t"),
                ("kind", "script"),
                ("session_start", ""),
                ("text", "x"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(t.state.store.submissions().await.unwrap().len(), before);
}
