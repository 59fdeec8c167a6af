//! The status page and API: the learned models' versions when they are on, "rules only"
//! when the `models` setting turns them off (and then no model finding is made), and a
//! login for both.

use crate::common;
use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn status_shows_model_versions_and_rules_only_mode() {
    let t = spawn_demo(|_| {}).await;
    let token = t.token_of("reviewer").await;
    let s = t.call(get("/api/v1/system", Some(&token))).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    let v = s.json();
    assert!(v["models"]["enabled"].as_bool().unwrap());
    assert!(
        v["models"]["claim"].as_str().unwrap().starts_with("claim-"),
        "{v}"
    );
    assert!(v["models"]["comment"].as_str().is_some(), "{v}");
    assert!(v["rules"].as_u64().unwrap() > 40, "{v}");
    assert!(
        v["packs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "absolute"),
        "{v}"
    );
    let (cookie, _) = t
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let page = t.call(page_get(&cookie, "/system")).await.text();
    assert!(page.contains("data-testid=\"models-on\""), "{page}");
    assert!(!page.contains("data-testid=\"rules-only\""));
    assert_eq!(
        t.call(get("/api/v1/system", None)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Rules only: the page and the API say so, and a paraphrased claim gets no model finding.
    let r = spawn_demo(|s| s.models = false).await;
    let token = r.token_of("reviewer").await;
    let v = r.call(get("/api/v1/system", Some(&token))).await.json();
    assert!(!v["models"]["enabled"].as_bool().unwrap());
    assert!(v["models"]["claim"].is_null() && v["models"]["comment"].is_null());
    let (cookie, _) = r
        .login("reviewer", &liveguard_server::demo_password("reviewer"))
        .await
        .unwrap();
    let page = r.call(page_get(&cookie, "/system")).await.text();
    assert!(page.contains("仅规则运行"), "{page}");
    let claim = json!({"text": "姐妹们看好了。用完第二天痘印自己就退了！", "channel": "transcript", "category": "cosmetics"});
    for (app, want_model) in [(&t, true), (&r, false)] {
        let token = app.token_of("reviewer").await;
        let out = app
            .call(json_req(
                Method::POST,
                "/api/v1/scan",
                Some(&token),
                claim.clone(),
            ))
            .await;
        assert_eq!(out.status, StatusCode::OK, "{}", out.text());
        let has_model = out.text().contains("model/efficacy-claim");
        assert_eq!(has_model, want_model, "{}", out.text());
    }
}

/// A promo image with a QR code to a personal WeChat, submitted for review: the code is
/// decoded and is a block finding with its span in the image text; with the PP-OCR models
/// configured (`LIVEGUARD_TEST_OCR_MODELS`, mandatory under CI=true) the text is read by
/// PP-OCR and the status page says so.
#[tokio::test]
async fn a_promo_image_with_a_wechat_qr_code_is_read_and_flagged() {
    use base64::Engine;
    let Some(dir) = ocr_models_dir() else { return };
    let t = spawn_app_configured(|s| s.ocr_models = dir.clone().into()).await;
    let streamer = t.token_for(liveguard_core::Role::Streamer).await;
    let v = t.call(get("/api/v1/system", Some(&streamer))).await.json();
    assert_eq!(v["images"]["pp_ocr"], true, "{v}");
    assert_eq!(v["images"]["reader"], "pp-ocrv6-small-0.1.0", "{v}");
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/ocr/promo-qr.png"
    ))
    .unwrap();
    let r = t
        .call(json_req(
            Method::POST,
            "/api/v1/submissions",
            Some(&streamer),
            json!({"title": "宣传图", "kind": "image_text", "session_start": "2026-12-01T20:00:00Z",
                   "file_base64": base64::engine::general_purpose::STANDARD.encode(&png), "file_name": "poster.png"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    let text = v["text"].as_str().unwrap();
    assert!(
        text.ends_with("二维码：https://u.wechat.com/EAbc123xyz"),
        "{text}"
    );
    let body = v.to_string();
    assert!(body.contains("offplatform/link-contact"), "{body}");
}

/// The claim model's second stage: without the sentence encoder the status says why and
/// how to fetch it; with it (`LIVEGUARD_TEST_E5_MODELS`, mandatory under CI=true, set as
/// the models directory) the status shows its version and a paraphrase the first stage
/// misses is a model finding carrying that version.
#[tokio::test]
async fn the_claim_models_second_stage_is_reported_and_used_when_its_file_is_there() {
    let t = spawn_demo(|_| {}).await;
    let token = t.token_of("reviewer").await;
    let v = t.call(get("/api/v1/system", Some(&token))).await.json();
    assert!(v["models"]["claim_encoder"].is_null(), "{v}");
    let why = v["models"]["claim_encoder_missing"].as_str().unwrap();
    assert!(why.contains("fetch-encoder-model.sh"), "{why}");

    let Some(dir) = e5_models_dir() else { return };
    let e = spawn_demo(move |s| s.ocr_models = dir.clone().into()).await;
    let token = e.token_of("reviewer").await;
    let v = e.call(get("/api/v1/system", Some(&token))).await.json();
    let version = v["models"]["claim_encoder"].as_str().unwrap().to_string();
    assert!(version.contains("e5head"), "{v}");
    assert!(v["models"]["claim_encoder_missing"].is_null(), "{v}");
    let out = e
        .call(json_req(
            Method::POST,
            "/api/v1/scan",
            Some(&token),
            json!({"text": "我爸那个手麻的毛病，泡了一个月脚，现在手一点都不麻了", "channel": "transcript", "category": "general"}),
        ))
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    assert!(out.text().contains(&version), "{}", out.text());
}
