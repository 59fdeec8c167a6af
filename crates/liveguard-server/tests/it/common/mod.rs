//! The test harness shared by the server's test binaries: the server in-process (router
//! `oneshot`) on a temporary SQLite database with a fixed clock, one user per role.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use liveguard_core::Role;
use liveguard_server::{AppState, Settings, app, open_state};
use liveguard_store::{AuditDraft, FixedClock, NewUser};
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: Arc<FixedClock>,
    pub _dir: TempDir,
}

pub struct TempDir(pub std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub const PASSWORD: &str = "test-password-123";

pub async fn spawn_app() -> TestApp {
    spawn_app_with(1000).await
}

pub async fn spawn_app_with(login_attempts_per_minute: u32) -> TestApp {
    spawn_app_configured(|s| s.login_attempts_per_minute = login_attempts_per_minute).await
}

pub async fn spawn_app_configured(configure: impl FnOnce(&mut Settings)) -> TestApp {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lg-server-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut settings = Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    };
    configure(&mut settings);
    let clock = Arc::new(FixedClock::new(
        time::macros::datetime!(2026-11-26 09:00:00 UTC),
    ));
    let state = open_state(settings, clock.clone()).await.unwrap();
    // One user per role, all with the same password (hashed once).
    let hash = liveguard_server::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    for role in Role::ALL {
        let new = NewUser {
            username: role.as_str().replace('_', "-"),
            display_name: format!("{} 测试", role.label_zh()),
            role: *role,
            password_hash: hash.clone(),
        };
        state
            .store
            .create_user(
                new,
                AuditDraft::new("test", "system", "user.create", "user:new"),
            )
            .await
            .unwrap();
    }
    TestApp {
        router: app(state.clone()),
        state,
        clock,
        _dir: TempDir(dir),
    }
}

/// The demo company (`seed_demo`): one account per demo role, a product, room, streamer,
/// plan, an approved script and a planned live session.
pub async fn spawn_demo(configure: impl FnOnce(&mut Settings)) -> TestApp {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lg-demo-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut settings = Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    };
    configure(&mut settings);
    let clock = Arc::new(FixedClock::new(
        time::macros::datetime!(2026-12-01 12:00:00 UTC),
    ));
    let state = open_state(settings, clock.clone()).await.unwrap();
    assert!(liveguard_server::seed_demo(&state).await.unwrap());
    TestApp {
        router: app(state.clone()),
        state,
        clock,
        _dir: TempDir(dir),
    }
}

impl TestApp {
    /// Serves the router on a free local port over real TCP (for WebSockets); returns the port.
    pub async fn serve_tcp(&self) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let router = self.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        port
    }

    /// Sets the fixed clock to `at` (forwards or back).
    pub fn set_clock(&self, at: time::OffsetDateTime) {
        use liveguard_store::Clock;
        self.clock.advance(at - self.clock.now());
    }

    /// Asserts that the audit entries the compliance lead gets for `query` (e.g.
    /// `object=lottery:`) include every action in `want`.
    pub async fn assert_audited(&self, query: &str, want: &[&str]) {
        let lead = self.token_of("lead").await;
        let audit = self
            .call(get(
                &format!("/api/v1/audit/entries?{query}&limit=200"),
                Some(&lead),
            ))
            .await
            .json();
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["action"].as_str().expect("action"))
            .collect();
        for w in want {
            assert!(actions.contains(w), "{w} in {actions:?}");
        }
    }

    /// An API token of the user `username`.
    pub async fn token_of(&self, username: &str) -> String {
        let user = self
            .state
            .store
            .user_by_name(username)
            .await
            .unwrap()
            .unwrap();
        let secret = format!("lg_{}", liveguard_server::auth::random_hex32());
        self.state
            .store
            .create_token(
                user.id,
                "t",
                &liveguard_server::auth::secret_hash(&secret),
                &secret[..10],
                None,
                AuditDraft::new("test", "system", "token.create", "x"),
            )
            .await
            .unwrap();
        secret
    }

    pub async fn call(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn token_for(&self, role: Role) -> String {
        let user = self
            .state
            .store
            .user_by_name(&role.as_str().replace('_', "-"))
            .await
            .unwrap()
            .unwrap();
        let secret = format!("lg_{}", liveguard_server::auth::random_hex32());
        self.state
            .store
            .create_token(
                user.id,
                "t",
                &liveguard_server::auth::secret_hash(&secret),
                &secret[..10],
                None,
                AuditDraft::new("test", "system", "token.create", "x"),
            )
            .await
            .unwrap();
        secret
    }

    /// Logs in through the API; returns (cookie header value, csrf token).
    pub async fn login(&self, username: &str, password: &str) -> Result<(String, String), Resp> {
        let r = self
            .call(json_req(
                Method::POST,
                "/api/v1/session",
                None,
                json!({"username": username, "password": password}),
            ))
            .await;
        if r.status != StatusCode::OK {
            return Err(r);
        }
        let cookie = r
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        Ok((cookie, r.json()["csrf_token"].as_str().unwrap().to_string()))
    }
}

pub fn json_req(method: Method, uri: &str, bearer: Option<&str>, body: Value) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// A JSON request whose body is given as bytes (any size, padded or not), with the
/// `Content-Length` clients send.
pub fn raw_json_req(method: Method, uri: &str, bearer: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
        .body(Body::from(body))
        .unwrap()
}

/// `value` as JSON followed by spaces up to exactly `bytes` bytes.
pub fn padded_json(value: &Value, bytes: usize) -> Vec<u8> {
    let mut v = value.to_string().into_bytes();
    assert!(v.len() <= bytes, "{} > {bytes}", v.len());
    v.resize(bytes, b' ');
    v
}

pub fn get(uri: &str, bearer: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().uri(uri);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

/// Percent-encodes a form value (every byte but ASCII letters and digits).
/// A form POST of a signed-in browser: the session cookie, its CSRF token and the fields.
pub fn form_post(cookie: &str, csrf: &str, uri: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let mut body = format!("csrf={}", enc(csrf));
    for (k, v) in pairs {
        body.push_str(&format!("&{k}={}", enc(v)));
    }
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// A page GET of a signed-in browser.
pub fn page_get(cookie: &str, uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The PP-OCR model directory from `LIVEGUARD_TEST_OCR_MODELS` (`cargo xtask ci` fetches
/// it); `None` with a notice when unset, a failure under `CI=true`.
pub fn ocr_models_dir() -> Option<String> {
    fetched_dir("LIVEGUARD_TEST_OCR_MODELS", "PP-OCR")
}

/// The sentence-encoder directory from `LIVEGUARD_TEST_E5_MODELS` (`cargo xtask ci` fetches
/// it); `None` with a notice when unset, a failure under `CI=true`.
pub fn e5_models_dir() -> Option<String> {
    fetched_dir("LIVEGUARD_TEST_E5_MODELS", "sentence-encoder")
}

/// A directory of fetched model files named by environment variable `var`.
fn fetched_dir(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(d) if !d.is_empty() => Some(d),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{var} is required under CI=true"
            );
            eprintln!("notice: {var} not set; {what} checks skipped");
            None
        }
    }
}
