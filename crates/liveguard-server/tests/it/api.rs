//! The server in-process (router `oneshot`), on a temporary SQLite database with a fixed clock.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use liveguard_core::Role;
use liveguard_server::api_routes;
use liveguard_server::perms::{Permission, allowed};
use std::sync::Arc;

use axum::Router;
use serde_json::{Value, json};

/// A request for each protected API action, with the permission it needs.
fn protected_calls() -> Vec<(Method, &'static str, Value, Permission)> {
    vec![
        (
            Method::GET,
            "/api/v1/users",
            Value::Null,
            Permission::ViewUsers,
        ),
        (
            Method::POST,
            "/api/v1/users",
            json!({"username": "newbie", "display_name": "新人", "role": "streamer", "password": "long-enough-1"}),
            Permission::ManageUsers,
        ),
        (
            Method::PATCH,
            "/api/v1/users/7",
            json!({"disabled": false}),
            Permission::ManageUsers,
        ),
        (
            Method::GET,
            "/api/v1/tokens",
            Value::Null,
            Permission::ManageOwnTokens,
        ),
        (
            Method::GET,
            "/api/v1/tokens?all=true",
            Value::Null,
            Permission::ManageAllTokens,
        ),
        (
            Method::POST,
            "/api/v1/tokens",
            json!({"name": "ci"}),
            Permission::ManageOwnTokens,
        ),
        (
            Method::GET,
            "/api/v1/audit/entries",
            Value::Null,
            Permission::ViewAudit,
        ),
        (
            Method::GET,
            "/api/v1/audit/checkpoint",
            Value::Null,
            Permission::ViewAudit,
        ),
        (
            Method::GET,
            "/api/v1/audit/proof/inclusion?seq=0&size=1",
            Value::Null,
            Permission::ViewAudit,
        ),
        (
            Method::GET,
            "/api/v1/audit/proof/consistency?from=1&to=2",
            Value::Null,
            Permission::ViewAudit,
        ),
        (
            Method::GET,
            "/api/v1/audit/bundle",
            Value::Null,
            Permission::ExportAudit,
        ),
        (
            Method::GET,
            "/api/v1/audit/verify",
            Value::Null,
            Permission::ViewAudit,
        ),
        (
            Method::POST,
            "/api/v1/scan",
            json!({"text": "全网最低价"}),
            Permission::Scan,
        ),
        (
            Method::GET,
            "/api/v1/products",
            Value::Null,
            Permission::ViewReviews,
        ),
        (
            Method::POST,
            "/api/v1/products",
            json!({"name": "面霜", "category": "cosmetics"}),
            Permission::ManageProducts,
        ),
        (
            Method::GET,
            "/api/v1/submissions",
            Value::Null,
            Permission::ViewReviews,
        ),
        (
            Method::POST,
            "/api/v1/submissions",
            json!({"title": "话术", "kind": "script", "session_start": "2026-12-01T20:00:00Z", "text": "欢迎来到直播间"}),
            Permission::Submit,
        ),
        (
            Method::GET,
            "/api/v1/notifications",
            Value::Null,
            Permission::ViewReviews,
        ),
        (
            Method::GET,
            "/api/v1/rooms",
            Value::Null,
            Permission::ViewReviews,
        ),
        (
            Method::POST,
            "/api/v1/rooms",
            json!({"platform": "抖音", "account": "测试直播间", "operator": "测试公司"}),
            Permission::ManageProducts,
        ),
        (
            Method::GET,
            "/api/v1/streamers",
            Value::Null,
            Permission::ViewReviews,
        ),
        (
            Method::POST,
            "/api/v1/streamers",
            json!({"name": "小王"}),
            Permission::ManageProducts,
        ),
        (
            Method::GET,
            "/api/v1/plans",
            Value::Null,
            Permission::ViewReviews,
        ),
        (
            Method::GET,
            "/api/v1/live/sessions",
            Value::Null,
            Permission::ViewLive,
        ),
    ]
}

#[tokio::test]
async fn every_role_against_every_protected_api_action() {
    let t = spawn_app().await;
    for role in Role::ALL {
        let token = t.token_for(*role).await;
        for (method, uri, body, perm) in protected_calls() {
            let req = if body.is_null() {
                let mut r = get(uri, Some(&token));
                *r.method_mut() = method.clone();
                r
            } else {
                json_req(method.clone(), uri, Some(&token), body.clone())
            };
            let r = t.call(req).await;
            if allowed(*role, perm) {
                assert!(
                    r.status.is_success() || r.status == StatusCode::CONFLICT,
                    "{role} {method} {uri}: expected success, got {} {}",
                    r.status,
                    r.text()
                );
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {uri}: {}",
                    r.text()
                );
                assert_eq!(r.json()["code"], "forbidden");
                assert_eq!(
                    r.headers.get(header::CONTENT_TYPE).unwrap(),
                    "application/problem+json"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_role_against_every_ui_page() {
    let t = spawn_app().await;
    let pages = [
        ("/", Permission::ViewDashboard),
        ("/scan", Permission::Scan),
        ("/admin/users", Permission::ViewUsers),
        ("/tokens", Permission::ManageOwnTokens),
        ("/audit", Permission::ViewAudit),
        ("/account/password", Permission::ViewDashboard),
        ("/notifications", Permission::ViewReviews),
        ("/plans", Permission::ViewReviews),
        ("/live", Permission::ViewLive),
        ("/lotteries", Permission::ViewLive),
    ];
    for role in Role::ALL {
        let (cookie, _) = t
            .login(&role.as_str().replace('_', "-"), PASSWORD)
            .await
            .unwrap_or_else(|r| panic!("login {role}: {}", r.text()));
        for (uri, perm) in pages {
            let r = t
                .call(
                    Request::builder()
                        .uri(uri)
                        .header(header::COOKIE, &cookie)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            let expected = if allowed(*role, perm) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(r.status, expected, "{role} GET {uri}");
            if r.status == StatusCode::OK {
                assert!(r.text().contains("<html lang=\"zh-CN\">"), "Chinese first");
            }
        }
    }
}

#[tokio::test]
async fn unauthenticated_requests_are_refused_or_sent_to_login() {
    let t = spawn_app().await;
    for (method, path, _, perm) in &api_routes() {
        if *perm == "public" {
            continue;
        }
        let uri = path.replace("{id}", "1");
        let mut req = get(&uri, None);
        *req.method_mut() = method.to_uppercase().parse().unwrap();
        let r = t.call(req).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            r.text()
        );
        assert_eq!(r.json()["code"], "unauthenticated");
    }
    let r = t.call(get("/api/v1/me", Some("lg_not-a-real-token"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for page in [
        "/",
        "/scan",
        "/audit",
        "/admin/users",
        "/live",
        "/live/1",
        "/live/1/report",
        "/static/live.js",
        "/lotteries",
        "/lotteries/1",
    ] {
        let r = t.call(get(page, None)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/login");
    }
    for public in [
        "/healthz",
        "/readyz",
        "/login",
        "/.well-known/liveguard-audit-key",
        "/api/v1/openapi.json",
        "/metrics",
    ] {
        assert_eq!(
            t.call(get(public, None)).await.status,
            StatusCode::OK,
            "{public}"
        );
    }
}

#[tokio::test]
async fn csrf_is_required_for_session_writes() {
    let t = spawn_app().await;
    let (cookie, csrf) = t.login("compliance-lead", PASSWORD).await.unwrap();
    let scan = |token: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/scan")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &cookie);
        if let Some(tk) = token {
            b = b.header("x-csrf-token", tk);
        }
        b.body(Body::from(json!({"text": "最好"}).to_string()))
            .unwrap()
    };
    let r = t.call(scan(None)).await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::FORBIDDEN, json!("csrf_invalid"))
    );
    assert_eq!(
        t.call(scan(Some("forged"))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.call(scan(Some(&csrf))).await.status, StatusCode::OK);
    // UI forms: a forged token is refused, the real one accepted.
    let form = |token: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/scan")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie)
            .body(Body::from(format!(
                "csrf={token}&text=%E6%9C%80%E5%A5%BD&channel=script&category=general"
            )))
            .unwrap()
    };
    assert_eq!(t.call(form("forged")).await.status, StatusCode::FORBIDDEN);
    let ok = t.call(form(&csrf)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(
        ok.text().contains("sev-review"),
        "the finding is highlighted"
    );
}

#[tokio::test]
async fn failed_logins_slow_the_client_down_and_are_audited() {
    let t = spawn_app().await;
    for _ in 0..5 {
        let r = t.login("legal", "wrong-password").await.unwrap_err();
        assert_eq!(r.json()["code"], "bad_credentials");
    }
    let r = t.login("legal", PASSWORD).await.unwrap_err();
    assert_eq!(r.json()["code"], "rate_limited");
    assert_eq!(r.headers["retry-after"], "1");
    t.clock.advance(time::Duration::seconds(2));
    t.login("legal", PASSWORD).await.expect("the wait is over");
    let unknown = t.login("nobody", "whatever-123").await.unwrap_err();
    assert_eq!(
        unknown.json()["code"],
        "bad_credentials",
        "no hint whether the user exists"
    );
    let entries = t
        .state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: Some("session.login_failed".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 5);
}

#[tokio::test]
async fn sessions_expire_and_disabled_users_are_out() {
    let t = spawn_app().await;
    let (cookie, _) = t.login("streamer", PASSWORD).await.unwrap();
    let me = || {
        Request::builder()
            .uri("/api/v1/me")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(t.call(me()).await.status, StatusCode::OK);
    t.clock.advance(time::Duration::minutes(721));
    assert_eq!(t.call(me()).await.status, StatusCode::UNAUTHORIZED);
    let admin = t.token_for(Role::Admin).await;
    let streamer_token = t.token_for(Role::Streamer).await;
    let r = t
        .call(json_req(
            Method::PATCH,
            "/api/v1/users/7",
            Some(&admin),
            json!({"disabled": true, "reason": "离职"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t.call(get("/api/v1/me", Some(&streamer_token))).await;
    assert_eq!(r.json()["code"], "account_disabled");
    let r = t
        .call(json_req(
            Method::PATCH,
            "/api/v1/users/1",
            Some(&admin),
            json!({"disabled": true}),
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no disabling yourself: {}",
        r.text()
    );
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let t = spawn_app().await;
    let admin = t.token_for(Role::Admin).await;
    let r = t
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/scan")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::from(vec![b'a'; 2 * 1024 * 1024]))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = t
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/users")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.json()["code"], "malformed_body");
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            json!({"username": "x1", "display_name": "x", "role": "admin", "password": 12345}),
        ))
        .await;
    assert_eq!(r.json()["code"], "malformed_body");
    assert!(
        r.json()["title"].as_str().unwrap().contains("password"),
        "{}",
        r.text()
    );
    let r = t.call(json_req(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "x1", "display_name": "x", "role": "admin", "password": "long-enough-1", "is_root": true}))).await;
    assert!(
        r.json()["title"].as_str().unwrap().contains("is_root"),
        "{}",
        r.text()
    );
    let r = t.call(json_req(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "x'; DROP TABLE users;--", "display_name": "x", "role": "admin", "password": "long-enough-1"}))).await;
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("username"))
    );
    let r = t.call(json_req(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "x2", "display_name": "x", "role": "boss", "password": "long-enough-1"}))).await;
    assert_eq!(r.json()["field"], "role");
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/scan",
            Some(&admin),
            json!({"text": "x", "category": "cosmetic"}),
        ))
        .await;
    assert_eq!(r.json()["field"], "category");
    // Script in a text field is stored as text and escaped in HTML.
    let r = t.call(json_req(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "xss", "display_name": "<script>alert(1)</script>", "role": "streamer", "password": "long-enough-1"}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (cookie, _) = t.login("admin", PASSWORD).await.unwrap();
    let page = t
        .call(
            Request::builder()
                .uri("/admin/users")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .text();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && !page.contains("<script>alert(1)")
    );
    assert_eq!(
        t.call(get("/no/such/page", Some(&admin))).await.json()["code"],
        "not_found"
    );
}

#[tokio::test]
async fn openapi_documents_exactly_the_served_routes() {
    let t = spawn_app().await;
    let doc = t.call(get("/api/v1/openapi.json", None)).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let admin = t.token_for(Role::Admin).await;
    for (method, path, _, _) in &api_routes() {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} documented"
        );
        let mut req = get(&path.replace("{id}", "999"), Some(&admin));
        *req.method_mut() = method.to_uppercase().parse().unwrap();
        let r = t.call(req).await;
        assert!(
            r.status != StatusCode::METHOD_NOT_ALLOWED
                && !(r.status == StatusCode::NOT_FOUND
                    && r.json()["code"] == "not_found"
                    && !path.contains("{id}")),
            "{method} {path} is served: {}",
            r.status
        );
    }
}

#[tokio::test]
async fn audit_proofs_verify_against_the_signed_checkpoint() {
    let t = spawn_app().await;
    let auditor = t.token_for(Role::Auditor).await;
    let cp = t
        .call(get("/api/v1/audit/checkpoint", Some(&auditor)))
        .await
        .json();
    let size = cp["checkpoint"]["size"].as_u64().unwrap();
    let key = t
        .call(get("/.well-known/liveguard-audit-key", None))
        .await
        .json();
    let signed: liveguard_audit::SignedCheckpoint = serde_json::from_value(cp.clone()).unwrap();
    liveguard_audit::verify_checkpoint(key["public_key"].as_str().unwrap(), &signed).unwrap();
    let root = liveguard_audit::parse_hash(cp["checkpoint"]["root"].as_str().unwrap()).unwrap();
    for seq in [0, size / 2, size - 1] {
        let p = t
            .call(get(
                &format!("/api/v1/audit/proof/inclusion?seq={seq}&size={size}"),
                Some(&auditor),
            ))
            .await
            .json();
        let proof: Vec<liveguard_audit::Hash> = p["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| liveguard_audit::parse_hash(h.as_str().unwrap()).unwrap())
            .collect();
        let leaf = liveguard_audit::parse_hash(p["leaf_hash"].as_str().unwrap()).unwrap();
        liveguard_audit::merkle::verify_inclusion(&leaf, seq, size, &proof, &root).unwrap();
    }
    // More changes, a new checkpoint, and a consistency proof between the two.
    let admin = t.token_for(Role::Admin).await;
    t.call(json_req(
        Method::POST,
        "/api/v1/tokens",
        Some(&admin),
        json!({"name": "x"}),
    ))
    .await;
    let cp2 = t
        .call(get("/api/v1/audit/checkpoint", Some(&auditor)))
        .await
        .json();
    let size2 = cp2["checkpoint"]["size"].as_u64().unwrap();
    assert!(size2 > size);
    let c = t
        .call(get(
            &format!("/api/v1/audit/proof/consistency?from={size}&to={size2}"),
            Some(&auditor),
        ))
        .await
        .json();
    let proof: Vec<liveguard_audit::Hash> = c["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| liveguard_audit::parse_hash(h.as_str().unwrap()).unwrap())
        .collect();
    let root2 = liveguard_audit::parse_hash(cp2["checkpoint"]["root"].as_str().unwrap()).unwrap();
    liveguard_audit::merkle::verify_consistency(size, size2, &root, &root2, &proof).unwrap();
    // The downloadable bundle verifies offline.
    let bundle: liveguard_audit::Bundle = serde_json::from_slice(
        &t.call(get("/api/v1/audit/bundle", Some(&auditor)))
            .await
            .body,
    )
    .unwrap();
    liveguard_audit::verify_bundle(&bundle).unwrap();
    assert_eq!(
        t.call(get("/api/v1/audit/verify", Some(&auditor)))
            .await
            .json()["ok"],
        true
    );
    assert_eq!(
        t.call(get(
            "/api/v1/audit/proof/inclusion?seq=5&size=0",
            Some(&auditor)
        ))
        .await
        .json()["field"],
        "size"
    );
}

#[tokio::test]
async fn scoped_tokens_act_with_the_narrower_role_only() {
    let t = spawn_app().await;
    let admin = t.token_for(Role::Admin).await;
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/tokens",
            Some(&admin),
            json!({"name": "inspection", "role": "auditor"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let scoped = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        t.call(get("/api/v1/me", Some(&scoped))).await.json()["role"],
        "auditor"
    );
    assert_eq!(
        t.call(get("/api/v1/audit/entries", Some(&scoped)))
            .await
            .status,
        StatusCode::OK
    );
    let r = t.call(json_req(Method::POST, "/api/v1/users", Some(&scoped), json!({"username": "sneaky", "display_name": "x", "role": "admin", "password": "long-enough-1"}))).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "an auditor-scoped admin token cannot manage users"
    );
    // A token can never be wider than its owner.
    let lead = t.token_for(Role::ComplianceLead).await;
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/tokens",
            Some(&lead),
            json!({"name": "x", "role": "admin"}),
        ))
        .await;
    assert_eq!(r.json()["field"], "role", "{}", r.text());
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_client() {
    let t = spawn_app_with(3).await;
    for _ in 0..3 {
        assert_eq!(
            t.login("legal", "wrong-password").await.unwrap_err().json()["code"],
            "bad_credentials"
        );
    }
    let r = t.login("legal", PASSWORD).await.unwrap_err();
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::TOO_MANY_REQUESTS, json!("rate_limited"))
    );
    t.clock.advance(time::Duration::seconds(61));
    t.login("legal", PASSWORD)
        .await
        .expect("a new minute opens a new window");
}

fn checklist(level: liveguard_review::Level) -> Value {
    let m: serde_json::Map<String, Value> = liveguard_review::default_checklist(level)
        .into_iter()
        .map(|i| (i.key, json!({"pass": true})))
        .collect();
    Value::Object(m)
}

fn ids(view: &Value, rule_prefix: &str) -> Vec<String> {
    view["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with(rule_prefix) && f["severity"] != "info")
        .map(|f| {
            format!(
                "{}@{}",
                f["rule"].as_str().unwrap(),
                f["span"]["byte_start"]
            )
        })
        .collect()
}

#[tokio::test]
async fn pre_broadcast_review_end_to_end() {
    let t = spawn_app().await;
    let (lead, streamer, reviewer, manager, legal) = (
        t.token_for(Role::ComplianceLead).await,
        t.token_for(Role::Streamer).await,
        t.token_for(Role::OpsReviewer).await,
        t.token_for(Role::OpsManager).await,
        t.token_for(Role::Legal).await,
    );
    let action = |token: &str, id: i64, body: Value| {
        json_req(
            Method::POST,
            &format!("/api/v1/submissions/{id}/actions"),
            Some(token),
            body,
        )
    };

    // A health food (a regulated category, so 终审 is required).
    let facts = json!({"registration": "国食健注G20240001", "sc_number": "SC10633010000001", "approved_claims": ["增强免疫力"],
        "disclosures": [["ingredients", "灵芝孢子粉"], ["shelf_life", "24个月"], ["after_sales", "平台客服"]], "seven_day_return": true});
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/products",
            Some(&lead),
            json!({"name": "灵芝胶囊", "category": "health_food", "facts": facts}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let product = r.json()["id"].as_i64().unwrap();
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/products",
            Some(&streamer),
            json!({"name": "x", "category": "food"}),
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "streamers do not edit master data"
    );

    // The streamer submits a script; it is screened on save.
    let v1 = "这款灵芝胶囊能增强免疫力，还能改善睡眠。\n本品不能代替药物。";
    let r = t.call(json_req(Method::POST, "/api/v1/submissions", Some(&streamer), json!({"title": "12月1日晚场话术", "kind": "script", "product_id": product, "session_start": "2026-12-01T20:00:00+08:00", "text": v1}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sub = r.json();
    let id = sub["id"].as_i64().unwrap();
    assert_eq!(sub["stage"], "draft");
    let unapproved = ids(&sub, "product/health-function-unapproved");
    assert_eq!(unapproved.len(), 1, "{}", sub["findings"]);
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/submissions",
            Some(&streamer),
            json!({"title": "x", "kind": "script", "session_start": "tomorrow", "text": "x"}),
        ))
        .await;
    assert_eq!(r.json()["field"], "session_start");
    let r = t.call(json_req(Method::POST, "/api/v1/submissions", Some(&streamer), json!({"title": "x", "kind": "script", "session_start": "2026-12-01T20:00:00Z", "text": "  "}))).await;
    assert_eq!(
        r.json()["field"],
        "text",
        "an empty script is refused: {}",
        r.text()
    );

    assert_eq!(
        t.call(action(&streamer, id, json!({"action": "submit"})))
            .await
            .json()["stage"],
        "pending_first"
    );
    // 初审 cannot approve before deciding on every finding.
    let r = t
        .call(action(
            &reviewer,
            id,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::First)}),
        ))
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::CONFLICT, json!("workflow_refused"))
    );
    assert!(
        r.json()["title"]
            .as_str()
            .unwrap()
            .contains("has no decision"),
        "{}",
        r.text()
    );
    // The reviewer confirms the unapproved function and rejects with the required change.
    let decisions: serde_json::Map<String, Value> = unapproved
        .iter()
        .map(|i| (i.clone(), json!({"decision": "confirm"})))
        .collect();
    assert_eq!(
        t.call(action(
            &reviewer,
            id,
            json!({"action": "decide", "decisions": decisions})
        ))
        .await
        .status,
        StatusCode::OK
    );
    let r = t
        .call(action(
            &reviewer,
            id,
            json!({"action": "reject", "required_changes": "删除“改善睡眠”，该产品未获批此功能"}),
        ))
        .await;
    assert_eq!(r.json()["stage"], "rejected");

    // The author fixes the text: version 2, with a diff and the resolved finding.
    let v2 = "这款灵芝胶囊能增强免疫力。\n本品不能代替药物。";
    let r = t
        .call(json_req(
            Method::PUT,
            &format!("/api/v1/submissions/{id}/text"),
            Some(&streamer),
            json!({"text": v2}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let sub = r.json();
    assert_eq!(
        (sub["version"].clone(), sub["stage"].clone()),
        (json!(2), json!("draft"))
    );
    let resolved = sub["diff"]["resolved_findings"].as_array().unwrap();
    assert!(
        resolved.iter().any(|f| f
            .as_str()
            .unwrap()
            .starts_with("product/health-function-unapproved@")),
        "{}",
        sub["diff"]
    );
    assert!(
        sub["diff"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "removed")
    );
    t.call(action(&streamer, id, json!({"action": "submit"})))
        .await;

    // 初审: dismiss what remains with reasons, answer the checklist, approve.
    let remaining: serde_json::Map<String, Value> = ids(&sub, "")
        .into_iter()
        .map(|i| (i, json!({"decision": "dismiss", "reason": "name_or_mark", "comment": "批准文号所列功能，见 国食健注G20240001"})))
        .collect();
    t.call(action(
        &reviewer,
        id,
        json!({"action": "decide", "decisions": remaining}),
    ))
    .await;
    let r = t
        .call(action(
            &reviewer,
            id,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::First)}),
        ))
        .await;
    assert_eq!(r.json()["stage"], "pending_second", "{}", r.text());
    // The reviewer cannot also sign 复审; the manager does.
    let r = t
        .call(action(
            &reviewer,
            id,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::Second)}),
        ))
        .await;
    assert_eq!(r.json()["code"], "workflow_refused");
    let r = t
        .call(action(
            &manager,
            id,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::Second)}),
        ))
        .await;
    assert_eq!(r.json()["stage"], "pending_final");
    assert!(
        r.json()["final_review_reason"]
            .as_str()
            .unwrap()
            .contains("health_food")
    );
    // 终审 needs both the compliance lead and legal.
    let r = t
        .call(action(
            &lead,
            id,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::Final)}),
        ))
        .await;
    assert_eq!(r.json()["stage"], "pending_final");
    let r = t
        .call(action(
            &legal,
            id,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::Final)}),
        ))
        .await;
    let approved = r.json();
    assert_eq!(approved["stage"], "approved");
    assert_eq!(
        approved["review"]["stage"]["content_hash"],
        json!(liveguard_review::content_hash(v2)),
        "frozen under its content hash"
    );

    // The queue, and the audit trail of every transition.
    let q = t
        .call(get("/api/v1/submissions", Some(&reviewer)))
        .await
        .json();
    assert_eq!(q["submissions"][0]["stage"], "approved");
    let audit = t
        .state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            object_prefix: Some(format!("submission:{id}")),
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "submission.create",
        "review.submitted",
        "review.finding_decided",
        "review.rejected",
        "review.new_version",
        "review.checklist_answered",
        "review.signed",
        "review.routed",
        "review.approved",
    ] {
        assert!(actions.contains(&a), "no {a} in {actions:?}");
    }

    // An edit after approval voids it.
    let r = t
        .call(json_req(
            Method::PUT,
            &format!("/api/v1/submissions/{id}/text"),
            Some(&streamer),
            json!({"text": format!("{v2}\n欢迎下单")}),
        ))
        .await;
    assert_eq!(
        (r.json()["stage"].clone(), r.json()["version"].clone()),
        (json!("draft"), json!(3))
    );
    let voided = t
        .state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: Some("review.new_version".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        voided[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("\"voided_approval\":true")
    );
}

/// Walks a lottery script through 初审 and 复审 and returns the stage after 复审 and the
/// view while 初审 was pending.
async fn lottery_script_after_second_review(t: &TestApp, first_checklist: Value) -> (Value, Value) {
    let (streamer, reviewer, manager) = (
        t.token_for(Role::Streamer).await,
        t.token_for(Role::OpsReviewer).await,
        t.token_for(Role::OpsManager).await,
    );
    let r = t.call(json_req(Method::POST, "/api/v1/submissions", Some(&streamer), json!({"title": "抽奖场", "kind": "script", "session_start": "2026-11-28T12:00:00Z", "has_lottery": true, "text": "今晚八点开播，欢迎来到直播间，整点抽奖送福利。"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["findings"], json!([]), "a clean script");
    let action = |token: &str, body: Value| {
        json_req(
            Method::POST,
            &format!("/api/v1/submissions/{id}/actions"),
            Some(token),
            body,
        )
    };
    let r = t.call(action(&streamer, json!({"action": "submit"}))).await;
    assert_eq!(r.json()["stage"], "pending_first", "{}", r.text());
    let pending = t
        .call(get(&format!("/api/v1/submissions/{id}"), Some(&reviewer)))
        .await
        .json();
    let r = t
        .call(action(
            &reviewer,
            json!({"action": "approve", "checklist": first_checklist}),
        ))
        .await;
    assert_eq!(r.json()["stage"], "pending_second", "{}", r.text());
    let r = t
        .call(action(
            &manager,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::Second)}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (r.json()["stage"].clone(), pending)
}

#[tokio::test]
async fn review_routing_deadlines_and_checklists_follow_the_settings() {
    // Defaults: a lottery sends the script to 终审; 初审 is due three days ahead.
    let t = spawn_app().await;
    let (stage, pending) =
        lottery_script_after_second_review(&t, checklist(liveguard_review::Level::First)).await;
    assert_eq!(stage, "pending_final");
    assert_eq!(pending["due"], "2026-11-25T12:00:00Z");
    assert_eq!(
        pending["checklist"].as_array().unwrap().len(),
        liveguard_review::default_checklist(liveguard_review::Level::First).len()
    );

    // Configured: no 终审 for lotteries, 初审 due an hour ahead, a one-item checklist.
    let t = spawn_app_configured(|s| {
        s.review.routing.on_lottery = false;
        s.review.deadlines.first_minutes_before = 60;
        s.review.checklist.first = vec![liveguard_review::ChecklistItem {
            key: "brand_ok".into(),
            text: "品牌授权文件齐全".into(),
        }];
    })
    .await;
    let reviewer = t.token_for(Role::OpsReviewer).await;
    // The default items no longer satisfy 初审: the configured item is missing.
    let r = t.call(json_req(Method::POST, "/api/v1/submissions", Some(&t.token_for(Role::Streamer).await), json!({"title": "x", "kind": "script", "session_start": "2026-11-28T12:00:00Z", "text": "欢迎来到直播间。"}))).await;
    let probe = r.json()["id"].as_i64().unwrap();
    let submit = |token: &str, body: Value| {
        json_req(
            Method::POST,
            &format!("/api/v1/submissions/{probe}/actions"),
            Some(token),
            body,
        )
    };
    let streamer = t.token_for(Role::Streamer).await;
    t.call(submit(&streamer, json!({"action": "submit"}))).await;
    let r = t
        .call(submit(
            &reviewer,
            json!({"action": "approve", "checklist": checklist(liveguard_review::Level::First)}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("brand_ok"), "{}", r.text());

    let (stage, pending) =
        lottery_script_after_second_review(&t, json!({"brand_ok": {"pass": true}})).await;
    assert_eq!(stage, "approved", "the lottery rule is switched off");
    assert_eq!(pending["due"], "2026-11-28T11:00:00Z");
    assert_eq!(
        pending["checklist"],
        json!([{"key": "brand_ok", "text": "品牌授权文件齐全"}])
    );
}

#[tokio::test]
async fn submissions_from_files_and_bad_files() {
    use base64::Engine;
    let t = spawn_app().await;
    let streamer = t.token_for(Role::Streamer).await;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let submit = |body: Value| json_req(Method::POST, "/api/v1/submissions", Some(&streamer), body);
    let base = |extra: Value| {
        let mut v =
            json!({"title": "上传", "kind": "script", "session_start": "2026-12-01T20:00:00Z"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    // GBK text file.
    let (gbk, _, _) = encoding_rs::GBK.encode("全网最低价，加微信");
    let r = t
        .call(submit(base(
            json!({"file_base64": b64(&gbk), "file_name": "脚本.txt"}),
        )))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["text"], "全网最低价，加微信");
    // A corrupted .docx, an image that is not an image, an unknown type, both text and file.
    let r = t
        .call(submit(base(
            json!({"file_base64": b64(b"PK\x03\x04garbage"), "file_name": "a.docx"}),
        )))
        .await;
    assert_eq!(r.json()["field"], "file_base64", "{}", r.text());
    assert!(r.json()["title"].as_str().unwrap().contains("not a .docx"));
    let r = t
        .call(submit(base(
            json!({"file_base64": b64(b"%PDF-1.7"), "file_name": "poster.png"}),
        )))
        .await;
    assert!(
        r.json()["title"].as_str().unwrap().contains("not an image"),
        "{}",
        r.text()
    );
    let r = t
        .call(submit(base(
            json!({"file_base64": b64(b"x"), "file_name": "a.exe"}),
        )))
        .await;
    assert_eq!(r.json()["field"], "file_name");
    let r = t
        .call(submit(base(
            json!({"file_base64": b64(b"x"), "file_name": "a.txt", "text": "x"}),
        )))
        .await;
    assert_eq!(r.json()["field"], "text");
    let r = t
        .call(submit(base(
            json!({"file_base64": "***", "file_name": "a.txt"}),
        )))
        .await;
    assert_eq!(r.json()["field"], "file_base64");
    // 10 MB of base64 is over the upload limit: refused whole, nothing stored.
    let before = t
        .call(get("/api/v1/submissions", Some(&streamer)))
        .await
        .json()["submissions"]
        .as_array()
        .unwrap()
        .len();
    let big = "A".repeat(15 * 1024 * 1024);
    let r = t
        .call(submit(base(
            json!({"file_base64": big, "file_name": "big.txt"}),
        )))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let after = t
        .call(get("/api/v1/submissions", Some(&streamer)))
        .await
        .json()["submissions"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}

fn form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn review_pages_walk_a_script_to_approval() {
    let t = spawn_app().await;
    let (s_cookie, s_csrf) = t.login("streamer", PASSWORD).await.unwrap();
    let page = |cookie: &str, uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    // The streamer writes a clothing script (no 终审 needed) through the form.
    let text = "这件外套是全网最好看的，第一次来的宝宝先领券";
    let body = format!(
        "csrf={s_csrf}&title={}&kind=script&product_id=&session_start={}&text={}",
        enc("外套专场"),
        enc("2026-12-01T20:00:00+08:00"),
        enc(text)
    );
    let r = t.call(form("/reviews/new", &s_cookie, &body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let detail = t.call(page(&s_cookie, &location)).await.text();
    assert!(
        detail.contains("sev-review") && detail.contains("草稿"),
        "screened and shown as a draft"
    );
    assert_eq!(
        t.call(form(
            &format!("/reviews/{id}/submit"),
            &s_cookie,
            &format!("csrf={s_csrf}")
        ))
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    // Print is refused before approval.
    assert_eq!(
        t.call(page(&s_cookie, &format!("/reviews/{id}/print")))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // The reviewer sees it awaiting them, dismisses the finding with a reason, approves.
    let (r_cookie, r_csrf) = t.login("ops-reviewer", PASSWORD).await.unwrap();
    let queue = t.call(page(&r_cookie, "/reviews")).await.text();
    assert!(queue.contains("待我审核"), "{queue}");
    let v = t
        .call(get(
            &format!("/api/v1/submissions/{id}"),
            Some(&t.token_for(Role::OpsReviewer).await),
        ))
        .await
        .json();
    let fids = ids(&v, "");
    assert_eq!(fids.len(), 1, "{}", v["findings"]);
    let decide = format!(
        "csrf={r_csrf}&f0={}&d0={}&c0={}",
        enc(&fids[0]),
        enc("dismiss:limited_fact"),
        enc("2026年11月本店外套销量数据，见附件")
    );
    assert_eq!(
        t.call(form(&format!("/reviews/{id}/decide"), &r_cookie, &decide))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let approve = |csrf: &str, level: liveguard_review::Level| {
        let mut b = format!("csrf={csrf}");
        for item in liveguard_review::default_checklist(level) {
            b.push_str(&format!("&k%3A{}=pass&m%3A{}=", item.key, item.key));
        }
        b
    };
    // A failed checklist item without a comment is refused on the page, with the reason.
    let bad = approve(&r_csrf, liveguard_review::Level::First).replacen("=pass", "=fail", 1);
    let r = t
        .call(form(&format!("/reviews/{id}/approve"), &r_cookie, &bad))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text().contains("failed without a comment"),
        "{}",
        r.text()
    );
    assert_eq!(
        t.call(form(
            &format!("/reviews/{id}/approve"),
            &r_cookie,
            &approve(&r_csrf, liveguard_review::Level::First)
        ))
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    // The manager approves the second level; with no routing reason it is approved.
    let (m_cookie, m_csrf) = t.login("ops-manager", PASSWORD).await.unwrap();
    assert_eq!(
        t.call(form(
            &format!("/reviews/{id}/approve"),
            &m_cookie,
            &approve(&m_csrf, liveguard_review::Level::Second)
        ))
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let detail = t
        .call(page(&m_cookie, &format!("/reviews/{id}")))
        .await
        .text();
    assert!(detail.contains("已批准并冻结"), "approved");
    let printed = t
        .call(page(&s_cookie, &format!("/reviews/{id}/print")))
        .await;
    assert_eq!(printed.status, StatusCode::OK);
    let html = printed.text();
    assert!(
        html.contains(&liveguard_review::content_hash(text))
            && html.contains("运营初审 测试")
            && html.contains("限定事实（有来源）")
            && html.contains("data-testid=\"signature-area\""),
        "the print has the hash, the chain by display name and the decisions in words"
    );
    // The author is told, in the app.
    let notes = t.call(page(&s_cookie, "/notifications")).await.text();
    assert!(
        notes.contains("已批准并冻结") && notes.contains(&format!("/reviews/{id}")),
        "{notes}"
    );
    // The same approved version as a PDF (headless Chromium; mandatory in CI).
    let pdf = t
        .call(page(&s_cookie, &format!("/reviews/{id}/print.pdf")))
        .await;
    if pdf.status == StatusCode::OK {
        assert!(pdf.body.starts_with(b"%PDF-"), "a PDF document");
        assert!(pdf.body.len() > 1000, "the PDF has content");
    } else {
        assert_eq!(pdf.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(pdf.text().contains("chromium"), "{}", pdf.text());
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true needs chromium for the PDF: {}",
            pdf.text()
        );
        eprintln!("NOTICE: chromium is not installed; the PDF output was not exercised");
    }
    // A pending version has no PDF.
    let pending = t.call(page(&s_cookie, "/reviews/999999/print.pdf")).await;
    assert_eq!(pending.status, StatusCode::NOT_FOUND);
    // A forged CSRF token on a review form is refused.
    assert_eq!(
        t.call(form(
            &format!("/reviews/{id}/submit"),
            &s_cookie,
            "csrf=forged"
        ))
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn review_changes_reach_webhooks_signed_in_order_and_retried() {
    use hmac::{KeyInit, Mac};
    use liveguard_server::webhook::{WebhookSettings, deliver_pending};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;
    let received: Seen = Arc::default();
    let fail_next = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen, fail) = (received.clone(), fail_next.clone());
    let receiver = Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let (seen, fail) = (seen.clone(), fail.clone());
                async move {
                    if fail.swap(false, Ordering::SeqCst) {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    seen.lock().unwrap().push((headers, body.to_vec()));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let hook = WebhookSettings {
        url: format!("http://{addr}/hook"),
        secret: "test-secret-0123456789".into(),
        events: vec![],
        format: Default::default(),
    };
    let t = spawn_app_configured(|s| s.webhooks = vec![hook.clone()]).await;
    t.state.settings.validate().unwrap();
    // A new webhook starts at the end of the log: the harness's user creations are not sent.
    assert_eq!(deliver_pending(&t.state, &hook).await.unwrap(), 0);

    let (streamer, reviewer) = (
        t.token_for(Role::Streamer).await,
        t.token_for(Role::OpsReviewer).await,
    );
    let r = t.call(json_req(Method::POST, "/api/v1/submissions", Some(&streamer), json!({"title": "webhook", "kind": "script", "session_start": "2026-11-28T12:00:00Z", "text": "欢迎来到直播间。"}))).await;
    let id = r.json()["id"].as_i64().unwrap();
    let action = |token: &str, body: Value| {
        json_req(
            Method::POST,
            &format!("/api/v1/submissions/{id}/actions"),
            Some(token),
            body,
        )
    };
    t.call(action(&streamer, json!({"action": "submit"}))).await;

    // The receiver fails once: nothing is lost, the same event is sent again.
    fail_next.store(true, Ordering::SeqCst);
    let e = deliver_pending(&t.state, &hook).await.unwrap_err();
    assert!(e.to_string().contains("500"), "{e}");
    assert!(
        !e.to_string().contains("/hook"),
        "the path is not shown: {e}"
    );
    assert!(received.lock().unwrap().is_empty());
    let n = deliver_pending(&t.state, &hook).await.unwrap();
    assert!(n >= 2, "submitted and routed: {n}");
    assert_eq!(
        deliver_pending(&t.state, &hook).await.unwrap(),
        0,
        "no repeats"
    );

    let r = t
        .call(action(
            &reviewer,
            json!({"action": "reject", "required_changes": "补充品牌授权"}),
        ))
        .await;
    assert_eq!(r.json()["stage"], "rejected", "{}", r.text());
    assert!(deliver_pending(&t.state, &hook).await.unwrap() >= 1);

    let seen = received.lock().unwrap().clone();
    let mut last = None;
    let mut events = Vec::new();
    for (headers, body) in &seen {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(hook.secret.as_bytes()).unwrap();
        mac.update(body);
        assert_eq!(
            headers["x-liveguard-signature"].to_str().unwrap(),
            format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
            "signed body"
        );
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["submission_id"], id);
        assert_eq!(headers["x-liveguard-event"].to_str().unwrap(), v["event"]);
        let delivery = v["delivery"].as_u64().unwrap();
        assert!(last.is_none_or(|l| delivery > l), "in log order");
        last = Some(delivery);
        events.push(v["event"].as_str().unwrap().to_string());
    }
    assert_eq!(events.first().map(String::as_str), Some("review.submitted"));
    assert!(events.contains(&"review.routed".to_string()), "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("review.rejected"));
    assert!(
        !events
            .iter()
            .any(|e| e.contains("finding") || e.contains("checklist")),
        "only state changes: {events:?}"
    );
}

#[tokio::test]
async fn session_plans_drive_product_checks_and_routing() {
    let t = spawn_app().await;
    let (lead, streamer) = (
        t.token_for(Role::ComplianceLead).await,
        t.token_for(Role::Streamer).await,
    );
    let post = |uri: &str, token: &str, body: Value| json_req(Method::POST, uri, Some(token), body);
    let r = t
        .call(post(
            "/api/v1/rooms",
            &lead,
            json!({"platform": "抖音", "account": "好物直播间", "operator": "示例公司"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let room = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["name"], "抖音 · 好物直播间");
    let r = t
        .call(post(
            "/api/v1/streamers",
            &lead,
            json!({"name": "小林", "agency": "示例MCN"}),
        ))
        .await;
    let host = r.json()["id"].as_i64().unwrap();
    let cream = t
        .call(post(
            "/api/v1/products",
            &lead,
            json!({"name": "面霜", "category": "cosmetics"}),
        ))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let capsules = t
        .call(post(
            "/api/v1/products",
            &lead,
            json!({"name": "灵芝胶囊", "category": "health_food",
        "facts": {"registration": "国食健注G20240001", "approved_claims": ["增强免疫力"]}}),
        ))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let plan = |lineup: Value, room_id: i64, streamers: Value| {
        json!({"title": "12月1日晚场", "room_id": room_id, "starts_at": "2026-12-01T20:00:00+08:00", "streamer_ids": streamers,
            "lineup": lineup, "has_lottery": true})
    };
    let good = json!([{"product_id": cream, "price_fen": 9900}, {"product_id": capsules, "price_fen": 19900, "promotion": "买二送一"}]);

    // Bad plans are refused, naming the field, and nothing is stored.
    for (body, field) in [
        (plan(good.clone(), 999_999, json!([host])), "room_id"),
        (plan(good.clone(), room, json!([])), "streamer_ids"),
        (plan(good.clone(), room, json!([999_999])), "streamer_ids"),
        (
            plan(
                json!([{"product_id": cream, "price_fen": 1}, {"product_id": cream, "price_fen": 2}]),
                room,
                json!([host]),
            ),
            "lineup",
        ),
        (
            plan(
                json!([{"product_id": cream, "price_fen": 0}]),
                room,
                json!([host]),
            ),
            "lineup",
        ),
        (
            plan(
                json!([{"product_id": 999_999, "price_fen": 100}]),
                room,
                json!([host]),
            ),
            "lineup",
        ),
    ] {
        let r = t.call(post("/api/v1/plans", &lead, body)).await;
        assert_eq!(
            (r.status, r.json()["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{}",
            r.text()
        );
    }
    let r = t
        .call(post(
            "/api/v1/plans",
            &streamer,
            plan(good.clone(), room, json!([host])),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let plans = t.call(get("/api/v1/plans", Some(&lead))).await.json();
    assert_eq!(plans["plans"], json!([]), "nothing stored by bad input");

    let r = t
        .call(post(
            "/api/v1/plans",
            &lead,
            plan(good, room, json!([host])),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let plan_id = r.json()["id"].as_i64().unwrap();
    let r = t
        .call(get(&format!("/api/v1/plans/{plan_id}"), Some(&streamer)))
        .await;
    assert_eq!(r.json()["lineup"][1]["promotion"], "买二送一");

    // A script for the plan: its start and lottery come from the plan, and the lineup's
    // health food is checked even though the script names no product.
    let r = t
        .call(post(
            "/api/v1/submissions",
            &streamer,
            json!({"title": "晚场话术", "kind": "script", "plan_id": plan_id,
        "text": "这款灵芝胶囊能增强免疫力，还能改善睡眠。"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sub = r.json();
    assert_eq!(sub["plan_id"], plan_id);
    assert_eq!(sub["session_start"], "2026-12-01T20:00:00+08:00");
    assert_eq!(sub["has_lottery"], true);
    assert_eq!(
        ids(&sub, "product/health-function-unapproved").len(),
        1,
        "{}",
        sub["findings"]
    );
    assert!(
        sub["final_review_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{sub}"
    );
    let cats = sub["review"]["categories"].as_array().unwrap();
    assert!(
        cats.contains(&json!("health_food")) && cats.contains(&json!("cosmetics")),
        "{cats:?}"
    );
    let r = t
        .call(post(
            "/api/v1/submissions",
            &streamer,
            json!({"title": "x", "kind": "script", "plan_id": plan_id,
        "session_start": "2026-12-02T20:00:00+08:00", "text": "欢迎"}),
        ))
        .await;
    assert_eq!(r.json()["field"], "session_start", "{}", r.text());
    let r = t
        .call(post(
            "/api/v1/submissions",
            &streamer,
            json!({"title": "x", "kind": "script", "plan_id": 999_999, "text": "欢迎"}),
        ))
        .await;
    assert_eq!(r.json()["field"], "plan_id", "{}", r.text());

    // Product facts can be corrected later (audited); new screenings use them, screened
    // versions keep their findings.
    let put =
        |uri: String, token: &str, body: Value| json_req(Method::PUT, &uri, Some(token), body);
    let fixed = json!({"name": "灵芝胶囊", "category": "health_food",
        "facts": {"registration": "国食健注G20240001", "approved_claims": ["增强免疫力", "改善睡眠"]}});
    let r = t
        .call(put(
            format!("/api/v1/products/{capsules}"),
            &streamer,
            fixed.clone(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .call(put("/api/v1/products/999999".into(), &lead, fixed.clone()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = t
        .call(put(
            format!("/api/v1/products/{capsules}"),
            &lead,
            json!({"name": "灵芝胶囊", "category": "spaceships"}),
        ))
        .await;
    assert_eq!(r.json()["field"], "category", "{}", r.text());
    let r = t
        .call(put(format!("/api/v1/products/{capsules}"), &lead, fixed))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .call(post(
            "/api/v1/submissions",
            &streamer,
            json!({"title": "晚场话术 修订", "kind": "script", "plan_id": plan_id,
        "text": "这款灵芝胶囊能增强免疫力，还能改善睡眠。"}),
        ))
        .await;
    assert!(
        ids(&r.json(), "product/health-function-unapproved").is_empty(),
        "{}",
        r.json()["findings"]
    );
    let earlier = t
        .call(get(
            &format!("/api/v1/submissions/{}", sub["id"]),
            Some(&lead),
        ))
        .await
        .json();
    assert_eq!(
        ids(&earlier, "product/health-function-unapproved").len(),
        1,
        "screened versions keep their findings"
    );
    let audit = t
        .call(get(
            "/api/v1/audit/entries?action=product.update",
            Some(&t.token_for(Role::Auditor).await),
        ))
        .await
        .json();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "only the accepted update is logged: {audit}"
    );
    assert!(
        entries[0]["before"].is_string()
            && entries[0]["after"].is_string()
            && entries[0]["before"] != entries[0]["after"]
    );

    // The same in the UI: the plans page, and a new submission for the plan by form.
    let (cookie, csrf) = t.login("streamer", PASSWORD).await.unwrap();
    let page = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let html = t.call(page("/plans")).await.text();
    for part in [
        "12月1日晚场",
        "抖音",
        "好物直播间",
        "小林",
        "灵芝胶囊",
        "¥199.00",
        "买二送一",
    ] {
        assert!(html.contains(part), "{part} on the plans page");
    }
    assert!(
        t.call(page("/reviews/new"))
            .await
            .text()
            .contains(&format!("option value=\"{plan_id}\""))
    );
    let body = format!(
        "csrf={csrf}&title={}&kind=script&product_id=&plan_id={plan_id}&session_start=&text={}",
        enc("晚场话术二"),
        enc("这款灵芝胶囊能增强免疫力，还能改善睡眠。")
    );
    let r = t.call(form("/reviews/new", &cookie, &body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let body =
        format!("csrf={csrf}&title=x&kind=script&product_id=&plan_id=abc&session_start=&text=x");
    let r = t.call(form("/reviews/new", &cookie, &body)).await;
    assert!(r.text().contains("plan_id"), "{}", r.text());
}

/// Issue 12: the permission a route declares is checked by the route's guard before the
/// handler (and its body extractor) runs, so a caller without it hears 403 whatever it sent,
/// a caller without credentials 401, and a caller with it reaches the handler.
#[tokio::test]
async fn r12_the_declared_permission_is_checked_before_the_handler_runs() {
    let t = spawn_app().await;
    let reviewer = t.token_for(Role::OpsReviewer).await;
    let admin = t.token_for(Role::Admin).await;
    let garbage = b"{not json".to_vec();
    let r = t
        .call(raw_json_req(
            Method::POST,
            "/api/v1/users",
            &reviewer,
            garbage.clone(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["code"], "forbidden");
    let mut anonymous = raw_json_req(Method::POST, "/api/v1/users", &admin, garbage.clone());
    anonymous.headers_mut().remove(header::AUTHORIZATION);
    let r = t.call(anonymous).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    // With the permission the handler runs, and its extractor refuses the body.
    let r = t
        .call(raw_json_req(Method::POST, "/api/v1/users", &admin, garbage))
        .await;
    assert!(
        r.status.is_client_error() && r.status != StatusCode::FORBIDDEN,
        "{}",
        r.status
    );
    assert_ne!(r.json()["code"], "forbidden");
}

/// A 钉钉 robot (加签) receives review changes as Chinese text messages with a valid
/// signature in the URL; a robot that answers with an error code is not counted as
/// delivered, and the same message is sent again.
#[tokio::test]
async fn review_changes_reach_a_dingtalk_robot_signed() {
    use liveguard_server::webhook::{WebhookFormat, WebhookSettings, deliver_pending, robot_sign};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    type Seen = Arc<Mutex<Vec<(String, Value)>>>;
    let received: Seen = Arc::default();
    let refuse_next = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen, refuse) = (received.clone(), refuse_next.clone());
    let receiver = Router::new().route(
        "/robot/send",
        axum::routing::post(move |uri: axum::http::Uri, body: axum::body::Bytes| {
            let (seen, refuse) = (seen.clone(), refuse.clone());
            async move {
                if refuse.swap(false, Ordering::SeqCst) {
                    return axum::Json(json!({"errcode": 310000, "errmsg": "sign not match"}));
                }
                seen.lock()
                    .unwrap()
                    .push((uri.to_string(), serde_json::from_slice(&body).unwrap()));
                axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let hook = WebhookSettings {
        url: format!("http://{addr}/robot/send?access_token=test-token"),
        secret: "SECtest0123456789".into(),
        events: vec!["review.submitted".into()],
        format: WebhookFormat::Dingtalk,
    };
    let t = spawn_app_configured(|s| s.webhooks = vec![hook.clone()]).await;
    t.state.settings.validate().unwrap();
    assert_eq!(deliver_pending(&t.state, &hook).await.unwrap(), 0);
    let streamer = t.token_for(Role::Streamer).await;
    let r = t.call(json_req(Method::POST, "/api/v1/submissions", Some(&streamer), json!({"title": "机器人测试话术", "kind": "script", "session_start": "2026-11-28T12:00:00Z", "text": "欢迎来到直播间。"}))).await;
    let id = r.json()["id"].as_i64().unwrap();
    t.call(json_req(
        Method::POST,
        &format!("/api/v1/submissions/{id}/actions"),
        Some(&streamer),
        json!({"action": "submit"}),
    ))
    .await;

    refuse_next.store(true, Ordering::SeqCst);
    let e = deliver_pending(&t.state, &hook).await.unwrap_err();
    assert!(e.to_string().contains("310000"), "{e}");
    assert!(
        !e.to_string().contains("test-token"),
        "the key is not shown: {e}"
    );
    assert_eq!(deliver_pending(&t.state, &hook).await.unwrap(), 1);

    let seen = received.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (uri, body) = &seen[0];
    assert_eq!(
        body,
        &json!({"msgtype": "text", "text": {"content": "【liveguard】「机器人测试话术」已提交审核"}})
    );
    let query: std::collections::HashMap<String, String> = uri
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (
                k.to_string(),
                v.replace("%2B", "+")
                    .replace("%2F", "/")
                    .replace("%3D", "="),
            )
        })
        .collect();
    assert_eq!(query["access_token"], "test-token");
    let ts: i64 = query["timestamp"].parse().unwrap();
    assert_eq!(
        query["sign"],
        robot_sign(WebhookFormat::Dingtalk, &hook.secret, ts),
        "the receiver can check the signature"
    );
}
