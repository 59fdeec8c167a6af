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
    let r = new_token(&t, &admin, json!({"name": "narrow", "role": "ops_reviewer"})).await;
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
