//! Regression tests for the security review of 2026-12-03
//! (`shared/docs/security-review-2026-12.md`, issue 11): one test per finding, named
//! `r11_f<N>_…`, each of which failed on the reviewed build (8a7e1c0).

mod common;

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

fn raw(
    method: Method,
    uri: &str,
    token: &str,
    body: Vec<u8>,
) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(body))
        .unwrap()
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
        .call(raw(
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
        .call(raw(Method::POST, "/api/v1/submissions", &streamer, body))
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
    let r = t
        .call(raw(Method::PUT, "/api/v1/me", &admin, b"{}".to_vec()))
        .await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let r = t
        .call(raw(
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
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        r.headers
    );
}
