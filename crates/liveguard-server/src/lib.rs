//! The liveguard compliance server.
//!
//! # Overview
//! [`Application::build`] opens the store (SQLite by default, PostgreSQL by URL), loads or
//! creates the audit signing key, builds the screening engine, binds the listener, and
//! [`Application::run_until_stopped`] serves until the shutdown future resolves, then
//! signs a final audit checkpoint.
//!
//! Routes: each feature in [`features`] declares its pages and its JSON routes under
//! `/api/v1` once ([`routes`], [`api_routes`], described by `/api/v1/openapi.json`), `/healthz`, `/readyz`, `/metrics` and
//! `/.well-known/liveguard-audit-key`. Every route except health, readiness, metrics, login,
//! first-run setup, the public key and the API description requires a session or an API
//! token, and checks the caller's role on the server ([`perms`]).
#![deny(missing_docs)]

pub mod convert;
pub mod features;
pub mod http;
pub mod jobs;
pub mod personal;
pub mod settings;
mod ui;

pub use features::live;
pub use http::{auth, error, openapi, perms, serve};
pub use jobs::{checkpoint, webhook};

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::routes::body_limit;
use liveguard_audit::LogKey;
use liveguard_core::Role;
use liveguard_screen::{ScreenBuilder, ScreenConfig, SharedScreen, defaults};
use liveguard_store::{AuditDraft, Clock, NewUser, Store, SystemClock};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::timeout::TimeoutLayer;

pub use settings::{EXAMPLE_CONFIG, Settings};

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The screening engine (swappable).
    pub screen: Arc<SharedScreen>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// The audit signing key.
    pub key: Arc<LogKey>,
    /// Login attempts per client.
    pub throttle: Arc<auth::LoginThrottle>,
    /// Failed passwords per account and client, with backoff.
    pub login_guard: Arc<auth::LoginGuard>,
    /// One checkpoint signer (and one first-run setup) at a time.
    pub checkpoint_lock: Arc<tokio::sync::Mutex<()>>,
    /// The live pipeline (ingest queue, worker, console bus).
    pub live: Arc<liveguard_pipeline::LiveHub>,
    /// Seals personal data at rest.
    pub sealer: Arc<personal::Sealer>,
    /// The key of the viewer pseudonyms (to find a viewer's entrant code).
    pub pseudonym_key: Arc<[u8]>,
    /// Fetches drand rounds for lottery draws.
    pub drand: Arc<liveguard_drand::Client>,
    /// Public entrant-code lookups per client.
    pub lookup_throttle: Arc<auth::LoginThrottle>,
    /// Parsed lottery documents for the public pages.
    pub docs: Arc<features::lottery::api::DocCache>,
}

/// Every feature's routes, merged: adding a feature means one line here.
pub fn routes() -> http::routes::RouteSet {
    features::platform::routes()
        .merge(features::review::routes())
        .merge(features::master::routes())
        .merge(features::live::routes())
        .merge(features::lottery::routes())
}

/// `(method, path, summary, permission, "any" or "public")` of every declared JSON route,
/// for the OpenAPI document and for the tests that walk them.
pub fn api_routes() -> Vec<(&'static str, &'static str, &'static str, String)> {
    static ROUTES: OnceLock<Vec<http::routes::ApiRoute>> = OnceLock::new();
    ROUTES
        .get_or_init(|| routes().api_routes().to_vec())
        .iter()
        .map(|r| (r.method, r.path, r.summary, r.access.name()))
        .collect()
}

/// The router of the whole server.
pub fn app(state: AppState) -> Router {
    // Install the metrics recorder before the first request is counted.
    let _ = prometheus();
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text));
    let body_max = state.settings.request_bytes_max;
    let timeout = Duration::from_secs(state.settings.request_timeout_seconds);
    routes()
        .into_router(body_max)
        .merge(ops.layer(body_limit(body_max)))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(middleware::from_fn(auth::refuse_cross_origin_writes))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(track_metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(middleware::from_fn(error::problem_json))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "Readiness check failed.");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // In tests several servers share one process; the first recorder wins.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

async fn metrics_text() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
        .into_response()
}

/// Counts requests and their latency, labelled by route template (never the raw URI).
async fn track_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("liveguard_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status).increment(1);
    metrics::histogram!("liveguard_http_request_seconds", "route" => route, "method" => method)
        .record(start.elapsed().as_secs_f64());
    resp
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
    );
    resp
}

/// Builds the engine from the embedded default rule packs.
pub fn default_screen() -> Result<SharedScreen, String> {
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    defaults::add_default_packs(&mut b).map_err(|e| e.to_string())?;
    Ok(SharedScreen::new(b.build().map_err(|e| e.to_string())?))
}

/// The key files in the data directory: the audit signing key, the viewer-pseudonym key and
/// the personal-data key. A database backup does not contain them; every node of one
/// deployment needs the same files, and sealed personal data cannot be read without its key.
pub const KEY_FILES: &[&str] = &[
    checkpoint::KEY_FILE,
    live::PSEUDONYM_KEY_FILE,
    personal::PERSONAL_KEY_FILE,
];

/// Opens the database of `settings` (creating the data directory), with the audit redactor.
async fn open_store(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Store, String> {
    settings.validate()?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            settings.data_dir.display()
        )
    })?;
    let url = settings.effective_database_url();
    Ok(Store::connect(&url, clock)
        .await
        .map_err(|e| {
            format!(
                "cannot open database {}: {e}",
                liveguard_store::redact_url(&url)
            )
        })?
        .with_redactor(Arc::new(|text: &str| personal::mask_free_text(text))))
}

/// What `liveguard worker` needs and no more: the store, the engine and the viewer
/// pseudonym key — no web state, no listener.
pub async fn open_worker(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<liveguard_pipeline::WorkerCtx<Store>, String> {
    let store = open_store(settings, clock).await?;
    let pseudonym_key =
        checkpoint::load_or_create_secret(&settings.data_dir, live::PSEUDONYM_KEY_FILE)
            .map_err(|e| format!("viewer pseudonym key: {e}"))?;
    Ok(liveguard_pipeline::WorkerCtx {
        store,
        screen: Arc::new(default_screen()?),
        pseudonym_key: Arc::from(&pseudonym_key[..]),
    })
}

/// Opens the store and key described by `settings` (no listener).
pub async fn open_state(settings: Settings, clock: Arc<dyn Clock>) -> Result<AppState, String> {
    let store = open_store(&settings, clock).await?;
    let key = checkpoint::load_or_create_key(&settings.data_dir)
        .map_err(|e| format!("audit signing key: {e}"))?;
    // Keys the viewer pseudonyms; every node of one deployment needs the same file.
    let pseudonym_key =
        checkpoint::load_or_create_secret(&settings.data_dir, live::PSEUDONYM_KEY_FILE)
            .map_err(|e| format!("viewer pseudonym key: {e}"))?;
    let personal_key =
        checkpoint::load_or_create_secret(&settings.data_dir, personal::PERSONAL_KEY_FILE)
            .map_err(|e| format!("personal-data key: {e}"))?;
    let drand = liveguard_drand::Client::new(
        &settings.lottery.drand_relays,
        Duration::from_secs(settings.lottery.drand_timeout_seconds),
    )
    .map_err(|e| format!("lottery.drand_relays: {e}"))?;
    let screen = Arc::new(default_screen()?);
    let live = liveguard_pipeline::LiveHub::start(
        liveguard_pipeline::WorkerCtx {
            store: store.clone(),
            screen: screen.clone(),
            pseudonym_key: Arc::from(&pseudonym_key[..]),
        },
        live::pipeline_config(&settings.live),
    )
    .await
    .map_err(|e| format!("live pipeline: {e}"))?;
    let login_guard = Arc::new(auth::LoginGuard::for_settings(&settings));
    Ok(AppState {
        store,
        screen,
        settings: Arc::new(settings),
        key: Arc::new(key),
        throttle: Arc::new(auth::LoginThrottle::default()),
        login_guard,
        checkpoint_lock: Arc::new(tokio::sync::Mutex::new(())),
        live,
        sealer: Arc::new(personal::Sealer::new(&personal_key)),
        pseudonym_key: Arc::from(&pseudonym_key[..]),
        drand: Arc::new(drand),
        lookup_throttle: Arc::new(auth::LoginThrottle::default()),
        docs: Arc::new(features::lottery::api::DocCache::default()),
    })
}

/// The demo accounts: (user name, display name, role). Their password is [`demo_password`].
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin", "系统管理员 王工", Role::Admin),
    ("lead", "合规组长 李敏", Role::ComplianceLead),
    ("legal", "法务 陈律", Role::Legal),
    ("reviewer", "运营初审 张一", Role::OpsReviewer),
    ("manager", "运营复审 刘二", Role::OpsManager),
    ("service", "客服 赵小", Role::CustomerService),
    ("streamer", "主播 小美", Role::Streamer),
    ("auditor", "外部审计 周审", Role::Auditor),
];

/// The demo password of a demo account (printed at start in demo mode; never used otherwise).
pub fn demo_password(username: &str) -> String {
    format!("demo-{username}-2026")
}

/// Creates the demo company on an empty database; returns whether it did.
pub async fn seed_demo(state: &AppState) -> Result<bool, String> {
    if state.store.user_count().await.map_err(|e| e.to_string())? > 0 {
        return Ok(false);
    }
    for (name, display, role) in DEMO_USERS {
        let hash = auth::hash_password(demo_password(name))
            .await
            .map_err(|e| e.to_string())?;
        let new = NewUser {
            username: name.to_string(),
            display_name: display.to_string(),
            role: *role,
            password_hash: hash,
        };
        state
            .store
            .create_user(
                new,
                AuditDraft::new("demo", "system", "user.create", "user:new").reason("demo data"),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    state
        .store
        .append_audit(
            AuditDraft::new("demo", "system", "rules.load", "rules:default")
                .reason("default rule packs loaded"),
        )
        .await
        .map_err(|e| e.to_string())?;
    seed_demo_review(state).await?;
    checkpoint::ensure(state).await.map_err(|e| e.to_string())?;
    Ok(true)
}

/// A cosmetics product with its facts and a draft script by the demo streamer, ready to be
/// submitted and pushed through 初审 → 复审 → 终审 by the demo accounts.
async fn seed_demo_review(state: &AppState) -> Result<(), String> {
    let facts = serde_json::json!({
        "name": "水润修护面霜 50g",
        "category": "cosmetics",
        "cosmetic_filing": "浙G妆网备字2026001234",
        "approved_claims": ["保湿"],
        "disclosures": [["ingredients", "水、甘油、透明质酸钠、角鲨烷"], ["suitable_for", "干性及混合性肌肤"], ["usage", "洁面后取适量涂抹于面部"], ["warnings", "如有不适请停止使用"], ["after_sales", "平台客服，七天无理由退货"]],
        "seven_day_return": true,
        // Transaction prices in fen on the days before the demo session (day numbers since 1970).
        "price_history": [[20_780, 12_900], [20_782, 9_900], [20_784, 11_900]]
    });
    // The facts must be what the product checks read.
    serde_json::from_value::<liveguard_screen::product::Product>(facts.clone())
        .map_err(|e| format!("demo product facts: {e}"))?;
    let product = state
        .store
        .create_product(
            "水润修护面霜 50g",
            "cosmetics",
            &facts.to_string(),
            AuditDraft::new("lead", "compliance_lead", "product.create", "product:new")
                .reason("demo data"),
        )
        .await
        .map_err(|e| e.to_string())?;
    // A live room, a streamer and the evening's session plan with the cream in its lineup.
    let demo_audit = |kind: &str| {
        AuditDraft::new(
            "lead",
            "compliance_lead",
            &format!("{kind}.create"),
            &format!("{kind}:new"),
        )
        .reason("demo data")
    };
    let master = |kind: &'static str, name: &'static str, doc: serde_json::Value| {
        let audit = demo_audit(kind);
        async move {
            state
                .store
                .create_master(kind, name, &doc.to_string(), audit)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let room = master("room", "抖音 · 好物严选直播间", serde_json::json!({"platform": "抖音", "account": "好物严选直播间", "operator": "示例电子商务有限公司"})).await?;
    let host = master(
        "streamer",
        "小林",
        serde_json::json!({"name": "小林", "agency": "示例MCN"}),
    )
    .await?;
    let plan = master("plan", "12月1日 晚8点 面霜专场", serde_json::json!({"title": "12月1日 晚8点 面霜专场", "room_id": room.id, "starts_at": "2026-12-01T20:00:00+08:00",
        "streamer_ids": [host.id], "lineup": [{"product_id": product.id, "price_fen": 9_900, "promotion": "前100名加赠旅行装"}], "has_lottery": false})).await?;
    serde_json::from_str::<crate::features::master::api::SessionPlan>(&plan.data)
        .map_err(|e| format!("demo plan: {e}"))?;
    let streamer = state
        .store
        .user_by_name("streamer")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("demo streamer missing")?;
    let p = auth::Principal {
        user: streamer,
        via: auth::Via::Session {
            csrf: String::new(),
            token_hash: String::new(),
        },
    };
    let body = crate::features::review::api::SubmissionBody {
        title: "12月1日 晚8点 面霜专场话术".into(),
        kind: "script".into(),
        product_id: Some(product.id),
        plan_id: Some(plan.id),
        session_start: "2026-12-01T20:00:00+08:00".into(),
        has_lottery: false,
        content: crate::features::review::api::Content {
            text: Some("欢迎来到直播间！今天给大家带来我们家的水润修护面霜。\n这款面霜是全网最好用的，用完立竿见影，还能美白祛斑。\n原价399，今天直播间只要99，手慢无！\n第一次来的宝宝先领券，有问题找平台客服。".into()),
            file_base64: None,
            file_name: None,
        },
    };
    crate::features::review::api::create(state, &p, body)
        .await
        .map_err(|e| e.to_string())?;
    let approved = seed_demo_approved_script(state, &p, product.id, plan.id).await?;
    seed_demo_live_session(state, plan.id, approved).await
}

/// A clean script for the demo plan, pushed through 初审 → 复审 → 终审 by the demo accounts,
/// so the demo live session has a frozen script to detect drift against.
async fn seed_demo_approved_script(
    state: &AppState,
    author: &auth::Principal,
    product_id: i64,
    plan_id: i64,
) -> Result<i64, String> {
    let body = crate::features::review::api::SubmissionBody {
        title: "12月1日 晚8点 面霜专场话术（定稿）".into(),
        kind: "script".into(),
        product_id: Some(product_id),
        plan_id: Some(plan_id),
        session_start: "2026-12-01T20:00:00+08:00".into(),
        has_lottery: false,
        content: crate::features::review::api::Content {
            text: Some("欢迎来到直播间！今天给大家带来我们家的水润修护面霜，主打保湿。\n成分是水、甘油、透明质酸钠和角鲨烷，适合干性及混合性肌肤。\n今天直播间只要99元，前100名加赠旅行装，七天无理由退货。\n有问题请找平台客服。".into()),
            file_base64: None,
            file_name: None,
        },
    };
    let id = crate::features::review::api::create(state, author, body)
        .await
        .map_err(|e| e.to_string())?;
    let as_user = |name: &'static str| async move {
        let user = state
            .store
            .user_by_name(name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("demo user {name} missing"))?;
        Ok::<_, String>(auth::Principal {
            user,
            via: auth::Via::Session {
                csrf: String::new(),
                token_hash: String::new(),
            },
        })
    };
    crate::features::review::api::act(state, author, id, liveguard_review::Action::Submit, None)
        .await
        .map_err(|e| format!("demo script submit: {e}"))?;
    for _ in 0..8 {
        let row = state
            .store
            .submission(id)
            .await
            .map_err(|e| e.to_string())?;
        let review = crate::features::review::api::load_review(&row).map_err(|e| e.to_string())?;
        let level = match review.stage {
            liveguard_review::Stage::Approved { .. } => return Ok(id),
            liveguard_review::Stage::Pending { level } => level,
            other => return Err(format!("demo script stuck at {other:?}")),
        };
        let signers: &[&'static str] = match level {
            liveguard_review::Level::First => &["reviewer"],
            liveguard_review::Level::Second => &["manager"],
            liveguard_review::Level::Final => &["lead", "legal"],
        };
        let checklist = state
            .settings
            .review
            .checklist
            .for_level(level)
            .into_iter()
            .map(|item| {
                (
                    item.key,
                    liveguard_review::ChecklistAnswer {
                        pass: true,
                        comment: None,
                    },
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>();
        for name in signers {
            let who = as_user(name).await?;
            // A signer who already signed this level is refused; the next one signs.
            let _ = crate::features::review::api::act(
                state,
                &who,
                id,
                liveguard_review::Action::Approve {
                    checklist: checklist.clone(),
                    flag_final: false,
                },
                None,
            )
            .await;
        }
    }
    Err("the demo script did not reach approval".into())
}

/// A planned demo live session for the demo plan, with the demo reviewer on duty.
async fn seed_demo_live_session(
    state: &AppState,
    plan_id: i64,
    approved_script: i64,
) -> Result<(), String> {
    let lead = state
        .store
        .user_by_name("lead")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("demo lead missing")?;
    let p = auth::Principal {
        user: lead,
        via: auth::Via::Session {
            csrf: String::new(),
            token_hash: String::new(),
        },
    };
    let row = crate::features::live::api::create_session(
        state,
        &p,
        crate::features::live::api::NewSessionBody {
            plan_id,
            duty_officer: "reviewer".into(),
            title: Some("12月1日 晚8点 面霜专场（演示场次）".into()),
        },
    )
    .await
    .map_err(|e| format!("demo live session: {e}"))?;
    let snap: liveguard_pipeline::SessionSnapshot =
        serde_json::from_str(&row.data).map_err(|e| e.to_string())?;
    if snap.script.as_ref().map(|s| s.submission_id) != Some(approved_script) {
        return Err("the demo live session did not pick up the approved script".into());
    }
    seed_demo_lottery(state, &p, row.id).await
}

/// A draft lottery on the demo session whose draw time is quicknet's recorded round 123, so
/// a newcomer can commit, close entry, draw (the published signature is filled in) and
/// verify it offline.
async fn seed_demo_lottery(
    state: &AppState,
    p: &auth::Principal,
    session_id: i64,
) -> Result<(), String> {
    let rules: liveguard_lottery::LotteryRules = serde_json::from_value(serde_json::json!({
        "title": "演示福袋：面霜正装（drand 第 123 轮，可离线开奖）",
        "organiser": "示例电子商务有限公司", "contact": "400-000-0000",
        "prizes": [
            {"name": "水润修护面霜 50g 正装", "kind": "goods", "unit_value_fen": 39900, "quantity": 2},
            {"name": "面霜旅行装 5g", "kind": "goods", "unit_value_fen": 2900, "quantity": 3}
        ],
        "entry": {"method": "comment_keyword", "keyword": "想要面霜", "chances_per_entry": 1},
        "exclusions": ["员工、主播、MCN 机构及其关联账号"],
        "entry_opens_at": "2023-08-23T23:00:00+08:00", "entry_closes_at": "2023-08-23T23:10:00+08:00",
        "draw_at": "2023-08-23T23:15:33+08:00", "draw_method": "drand-quicknet",
        "dedupe": "同一账号多次评论只计一次（以第一次为准）",
        "redemption": "中奖后通过直播间私信登记收货信息",
        "redemption_deadline": "2027-01-31T23:59:59+08:00",
        "unclaimed": "逾期未登记视为放弃，奖品不再补发", "delivery": "快递包邮"
    }))
    .map_err(|e| format!("demo lottery rules: {e}"))?;
    if !rules.check().is_empty() {
        return Err(format!("demo lottery rules: {:?}", rules.check()));
    }
    state
        .store
        .create_lottery(
            Some(session_id),
            &rules.title,
            &serde_json::to_string(&rules).map_err(|e| e.to_string())?,
            &rules.digest(),
            state.settings.lottery.retain_days,
            p.audit("lottery.create", "lottery:new"),
        )
        .await
        .map_err(|e| format!("demo lottery: {e}"))?;
    Ok(())
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
    port: u16,
}

impl Application {
    /// Opens storage and binds `settings.listen` (port 0 picks a free port).
    pub async fn build(settings: Settings) -> Result<Application, String> {
        let listen = settings.listen.clone();
        let demo = settings.demo;
        let state = open_state(settings, Arc::new(SystemClock)).await?;
        if demo {
            seed_demo(&state).await?;
        }
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        Ok(Application {
            listener,
            state,
            port,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state (for tests and the CLI).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then signs a last checkpoint.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let signer = tokio::spawn(checkpoint::run_signer(
            self.state.clone(),
            Duration::from_secs(self.state.settings.checkpoint_interval_seconds.max(1)),
            stop_rx.clone(),
        ));
        let webhooks: Vec<_> = self
            .state
            .settings
            .webhooks
            .iter()
            .map(|hook| {
                tokio::spawn(webhook::run(
                    self.state.clone(),
                    hook.clone(),
                    stop_rx.clone(),
                ))
            })
            .collect();
        let escalator = tokio::spawn(features::live::api::run_escalator(
            self.state.clone(),
            stop_rx.clone(),
        ));
        let housekeeping =
            tokio::spawn(jobs::run_housekeeping(self.state.clone(), stop_rx.clone()));
        let router = app(self.state.clone());
        serve::serve(
            self.listener,
            router,
            Duration::from_secs(self.state.settings.header_timeout_seconds),
            Duration::from_secs(self.state.settings.request_timeout_seconds),
            shutdown,
        )
        .await?;
        let _ = stop_tx.send(true);
        let _ = signer.await;
        for w in webhooks {
            let _ = w.await;
        }
        let _ = escalator.await;
        let _ = housekeeping.await;
        self.state.store.close().await;
        Ok(())
    }
}
