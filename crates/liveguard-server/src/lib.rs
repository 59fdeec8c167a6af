//! The liveguard compliance server.
//!
//! # Overview
//! [`Application::build`] opens the store (SQLite by default, PostgreSQL by URL), loads or
//! creates the audit signing key, builds the screening engine, binds the listener, and
//! [`Application::run_until_stopped`] serves until the shutdown future resolves, then
//! signs a final audit checkpoint.
//!
//! Routes: the UI (`ui`), the JSON API under `/api/v1` (`api`, listed in [`API_ROUTES`]
//! and described by `/api/v1/openapi.json`), `/healthz`, `/readyz`, `/metrics` and
//! `/.well-known/liveguard-audit-key`. Every route except health, readiness, metrics, login,
//! first-run setup, the public key and the API description requires a session or an API
//! token, and checks the caller's role on the server ([`perms`]).
#![deny(missing_docs)]

mod api;
pub mod auth;
pub mod checkpoint;
pub mod docx;
pub mod error;
pub mod live;
pub mod live_api;
pub mod lottery_api;
pub mod master_api;
pub mod ocr;
pub mod openapi;
pub mod pdf;
pub mod perms;
pub mod personal;
mod review_api;
pub mod serve;
pub mod settings;
pub mod subprocess;
mod ui;
mod ui_live;
mod ui_lottery;
mod ui_review;
pub mod webhook;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use liveguard_audit::LogKey;
use liveguard_core::Role;
use liveguard_screen::{ScreenBuilder, ScreenConfig, SharedScreen, defaults};
use liveguard_store::{AuditDraft, Clock, NewUser, Store, SystemClock};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::limit::RequestBodyLimitLayer;
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
    pub docs: Arc<lottery_api::DocCache>,
}

/// `(method, path, summary, permission or "public")` of every JSON route, for the OpenAPI
/// document and for the tests that walk them.
pub const API_ROUTES: &[(&str, &str, &str, &str)] = &[
    (
        "get",
        "/api/v1/me",
        "The caller: user, role, permissions, CSRF token of a session",
        "any",
    ),
    (
        "post",
        "/api/v1/session",
        "Log in with user name and password; sets the session cookie",
        "public",
    ),
    ("delete", "/api/v1/session", "Log out", "any"),
    ("get", "/api/v1/users", "List users", "ViewUsers"),
    ("post", "/api/v1/users", "Create a user", "ManageUsers"),
    (
        "patch",
        "/api/v1/users/{id}",
        "Change a user's role or disabled flag",
        "ManageUsers",
    ),
    (
        "post",
        "/api/v1/account/password",
        "Change one's own password",
        "any",
    ),
    (
        "get",
        "/api/v1/tokens",
        "List one's API tokens (all with ?all=true)",
        "ManageOwnTokens",
    ),
    (
        "post",
        "/api/v1/tokens",
        "Create an API token (returned once)",
        "ManageOwnTokens",
    ),
    (
        "delete",
        "/api/v1/tokens/{id}",
        "Revoke an API token",
        "ManageOwnTokens",
    ),
    (
        "get",
        "/api/v1/audit/entries",
        "Browse the audit log, newest first",
        "ViewAudit",
    ),
    (
        "get",
        "/api/v1/audit/checkpoint",
        "The latest signed checkpoint",
        "ViewAudit",
    ),
    (
        "get",
        "/api/v1/audit/proof/inclusion",
        "Inclusion proof of an entry",
        "ViewAudit",
    ),
    (
        "get",
        "/api/v1/audit/proof/consistency",
        "Consistency proof between two sizes",
        "ViewAudit",
    ),
    (
        "get",
        "/api/v1/audit/bundle",
        "Self-contained bundle for offline verification",
        "ExportAudit",
    ),
    (
        "get",
        "/api/v1/audit/verify",
        "Verify the stored log against its checkpoints",
        "ViewAudit",
    ),
    (
        "post",
        "/api/v1/scan",
        "Screen one text with the engine",
        "Scan",
    ),
    ("get", "/api/v1/products", "List products", "ViewReviews"),
    (
        "put",
        "/api/v1/products/{id}",
        "Replace a product's facts (price history, disclosures, claims); audited with before/after digests",
        "ManageProducts",
    ),
    (
        "post",
        "/api/v1/products",
        "Create a product with its facts (category, numbers, disclosures, prices)",
        "ManageProducts",
    ),
    (
        "get",
        "/api/v1/submissions",
        "The review queue with due times",
        "ViewReviews",
    ),
    (
        "get",
        "/api/v1/rooms",
        "Live rooms (platform, account, operator)",
        "ViewReviews",
    ),
    ("post", "/api/v1/rooms", "Add a live room", "ManageProducts"),
    (
        "get",
        "/api/v1/streamers",
        "Streamers (name, agency)",
        "ViewReviews",
    ),
    (
        "post",
        "/api/v1/streamers",
        "Add a streamer",
        "ManageProducts",
    ),
    (
        "get",
        "/api/v1/plans",
        "Live session plans: date, room, streamers, lineup with prices and promotions",
        "ViewReviews",
    ),
    (
        "post",
        "/api/v1/plans",
        "Add a session plan; the room, streamers and products must exist",
        "ManageProducts",
    ),
    (
        "get",
        "/api/v1/plans/{id}",
        "One session plan",
        "ViewReviews",
    ),
    (
        "get",
        "/api/v1/notifications",
        "Review state changes that concern the caller, and for the compliance lead live alerts escalated to them, newest first (from the audit log)",
        "ViewReviews",
    ),
    (
        "post",
        "/api/v1/submissions",
        "Submit a script, product copy or promo image (text, .txt/.md/.docx, or an image via OCR); screened on save",
        "Submit",
    ),
    (
        "get",
        "/api/v1/submissions/{id}",
        "A submission: text, findings, review state, checklist, diff from the previous version",
        "ViewReviews",
    ),
    (
        "put",
        "/api/v1/submissions/{id}/text",
        "Save a new version (author); voids an approval",
        "Submit",
    ),
    (
        "post",
        "/api/v1/submissions/{id}/actions",
        "Submit, decide on findings, approve with the checklist, or reject",
        "ViewReviews",
    ),
    (
        "get",
        "/api/v1/live/sessions",
        "Live sessions, newest first",
        "ViewLive",
    ),
    (
        "post",
        "/api/v1/live/sessions",
        "Create a live session from an approved plan (lineup, frozen script, duty officer)",
        "OperateLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}",
        "A live session with its counters",
        "ViewLive",
    ),
    (
        "post",
        "/api/v1/live/sessions/{id}/start",
        "Start a planned session (events are accepted while it is live)",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/live/sessions/{id}/end",
        "End a live session; its records are kept for live.retain_days",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/live/sessions/{id}/hold",
        "Set or release the legal hold of a session's records",
        "LegalHold",
    ),
    (
        "post",
        "/api/v1/live/sessions/{id}/events",
        "Send a batch of live events (transcript, screen text, comments, product card, price, lottery); answered once stored",
        "OperateLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}/ws",
        "WebSocket for event batches: one text frame per batch, answered in order by one frame each",
        "OperateLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}/events",
        "Stored events of a session, oldest first, with their findings",
        "ViewLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}/alerts",
        "Alerts of a session, newest first",
        "ViewLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}/tasks",
        "Promise follow-ups of a session",
        "ViewLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}/stream",
        "Server-sent events of a session: event, alert, alert_update, session, lagged",
        "ViewLive",
    ),
    (
        "get",
        "/api/v1/live/sessions/{id}/report",
        "The post-session report",
        "ViewLive",
    ),
    (
        "post",
        "/api/v1/live/alerts/{id}/actions",
        "Acknowledge or resolve an alert (resolve needs a reason; may open an incident)",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/live/events/{id}/moderation",
        "Record a moderation action on a comment (negative feedback may not be hidden)",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/live/tasks/{id}/close",
        "Close a promise follow-up with a note",
        "FollowUp",
    ),
    (
        "get",
        "/api/v1/lotteries",
        "Lotteries, newest first",
        "ViewLive",
    ),
    (
        "post",
        "/api/v1/lotteries",
        "Define a lottery; the rules are checked (¥50,000 cap with multiple chances, disclosures) and stored as a draft",
        "OperateLive",
    ),
    ("get", "/api/v1/lotteries/{id}", "One lottery", "ViewLive"),
    (
        "post",
        "/api/v1/lotteries/{id}/commit",
        "Commit the rules (their digest is logged and published) before entry opens",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/lotteries/{id}/rules",
        "Edit a draft's rules, or change committed rules only in the consumers' favour, with a reason",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/lotteries/{id}/entrants",
        "Close entry: commit the entrants (uploaded accounts or the session's keyword comments) as a Merkle root",
        "OperateLive",
    ),
    (
        "post",
        "/api/v1/lotteries/{id}/draw",
        "Draw with the drand round fixed by the draw time (fetched from the relays, or its signature given) or the revealed seed",
        "OperateLive",
    ),
    (
        "get",
        "/api/v1/lotteries/{id}/claims",
        "The winners' prize claims; delivery data masked unless the role may see personal data",
        "ViewLive",
    ),
    (
        "post",
        "/api/v1/lotteries/{id}/claims/{position}/{verb}",
        "Move a prize claim: claim (account checked against the winning code; delivery data sealed), correct (the delivery data, before shipping), ship, redeem, forfeit (after the deadline)",
        "HandlePrizes",
    ),
    ("get", "/api/v1/openapi.json", "This document", "public"),
];

/// The router with every route and middleware.
pub fn app(state: AppState) -> Router {
    // Install the metrics recorder before the first request is counted.
    let _ = prometheus();
    let api = Router::new()
        .route("/api/v1/me", get(api::me))
        .route(
            "/api/v1/session",
            post(api::create_session).delete(api::delete_session),
        )
        .route("/api/v1/users", get(api::list_users).post(api::create_user))
        .route("/api/v1/users/{id}", patch(api::update_user))
        .route("/api/v1/account/password", post(api::change_password))
        .route(
            "/api/v1/tokens",
            get(api::list_tokens).post(api::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(api::revoke_token))
        .route("/api/v1/audit/entries", get(api::audit_entries))
        .route("/api/v1/audit/checkpoint", get(api::audit_checkpoint))
        .route("/api/v1/audit/proof/inclusion", get(api::audit_inclusion))
        .route(
            "/api/v1/audit/proof/consistency",
            get(api::audit_consistency),
        )
        .route("/api/v1/audit/bundle", get(api::audit_bundle))
        .route("/api/v1/audit/verify", get(api::audit_verify))
        .route("/api/v1/scan", post(api::scan))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route(
            "/api/v1/products",
            get(review_api::list_products).post(review_api::create_product),
        )
        .route(
            "/api/v1/products/{id}",
            axum::routing::put(review_api::update_product),
        )
        .route("/api/v1/submissions", get(review_api::list_submissions))
        .route("/api/v1/notifications", get(review_api::notifications))
        .route(
            "/api/v1/rooms",
            get(master_api::list_rooms).post(master_api::create_room),
        )
        .route(
            "/api/v1/streamers",
            get(master_api::list_streamers).post(master_api::create_streamer),
        )
        .route(
            "/api/v1/plans",
            get(master_api::list_plans).post(master_api::create_plan),
        )
        .route("/api/v1/plans/{id}", get(master_api::get_plan))
        .route("/api/v1/submissions/{id}", get(review_api::get_submission))
        .route(
            "/api/v1/submissions/{id}/actions",
            post(review_api::submission_action),
        )
        .route(
            "/api/v1/live/sessions",
            get(live_api::list_sessions).post(live_api::post_session),
        )
        .route("/api/v1/live/sessions/{id}", get(live_api::get_session))
        .route(
            "/api/v1/live/sessions/{id}/start",
            post(live_api::start_session),
        )
        .route(
            "/api/v1/live/sessions/{id}/end",
            post(live_api::end_session),
        )
        .route(
            "/api/v1/live/sessions/{id}/hold",
            post(live_api::hold_session),
        )
        .route(
            "/api/v1/live/sessions/{id}/events",
            get(live_api::list_events).post(live_api::post_events),
        )
        .route(
            "/api/v1/live/sessions/{id}/alerts",
            get(live_api::list_alerts),
        )
        .route("/api/v1/live/sessions/{id}/ws", get(live_api::ws))
        .route(
            "/api/v1/live/sessions/{id}/tasks",
            get(live_api::list_tasks),
        )
        .route("/api/v1/live/sessions/{id}/stream", get(live_api::stream))
        .route(
            "/api/v1/live/sessions/{id}/report",
            get(live_api::get_report),
        )
        .route(
            "/api/v1/live/alerts/{id}/actions",
            post(live_api::post_alert_action),
        )
        .route(
            "/api/v1/live/events/{id}/moderation",
            post(live_api::post_moderation),
        )
        .route("/api/v1/live/tasks/{id}/close", post(live_api::close_task))
        .route(
            "/api/v1/lotteries",
            get(lottery_api::list).post(lottery_api::create),
        )
        .route("/api/v1/lotteries/{id}", get(lottery_api::get))
        .route("/api/v1/lotteries/{id}/commit", post(lottery_api::commit))
        .route("/api/v1/lotteries/{id}/rules", post(lottery_api::change))
        .route("/api/v1/lotteries/{id}/draw", post(lottery_api::draw))
        .route("/api/v1/lotteries/{id}/claims", get(lottery_api::claims))
        .route(
            "/api/v1/lotteries/{id}/claims/{position}/{verb}",
            post(lottery_api::claim_action),
        )
        .route("/public/lotteries/{id}/code", get(lottery_api::public_code))
        // Public by design (issue 6): anyone may check a committed lottery and its draw.
        .route("/public/lotteries/{id}", get(lottery_api::public))
        .route(
            "/public/lotteries/{id}/bundle.json",
            get(lottery_api::public_bundle),
        )
        .route(
            "/public/lotteries/{id}/inclusion",
            get(lottery_api::public_inclusion),
        );
    // Uploads carry files (base64 in JSON), so they get their own, larger body limit.
    let uploads = Router::new()
        .route("/api/v1/submissions", post(review_api::create_submission))
        .route(
            "/api/v1/submissions/{id}/text",
            axum::routing::put(review_api::edit_submission),
        )
        .layer(body_limit(review_api::UPLOAD_REQUEST_BYTES_MAX));
    // Closing a lottery's entry may carry an uploaded list of up to a million accounts.
    let entrant_lists = Router::new()
        .route(
            "/api/v1/lotteries/{id}/entrants",
            post(lottery_api::entrants),
        )
        .route(
            "/lotteries/{id}/entrants",
            post(ui_lottery::entrants_action),
        )
        .layer(body_limit(lottery_api::ENTRANTS_REQUEST_BYTES_MAX));
    let ui = Router::new()
        .route("/", get(ui::dashboard))
        .route("/login", get(ui::login_page).post(ui::login_submit))
        .route("/logout", post(ui::logout))
        .route("/lang", get(ui::set_lang))
        .route("/setup", get(ui::setup_page).post(ui::setup_submit))
        .route("/scan", get(ui::scan_page).post(ui::scan_submit))
        .route("/admin/users", get(ui::users_page).post(ui::users_create))
        .route("/admin/users/{id}", post(ui::users_update))
        .route("/tokens", get(ui::tokens_page).post(ui::tokens_create))
        .route("/tokens/{id}/revoke", post(ui::tokens_revoke))
        .route(
            "/account/password",
            get(ui::password_page).post(ui::password_submit),
        )
        .route("/audit", get(ui::audit_page))
        .route("/reviews", get(ui_review::queue))
        .route("/notifications", get(ui_review::notifications))
        .route("/plans", get(ui_review::plans))
        .route(
            "/reviews/new",
            get(ui_review::new_page).post(ui_review::new_submit),
        )
        .route("/reviews/{id}", get(ui_review::detail))
        .route("/reviews/{id}/print", get(ui_review::print))
        .route("/reviews/{id}/print.pdf", get(ui_review::print_pdf))
        .route("/reviews/{id}/{verb}", post(ui_review::post_action))
        .route("/live", get(ui_live::list).post(ui_live::create))
        .route("/live/{id}", get(ui_live::console))
        .route("/live/{id}/report", get(ui_live::report_page))
        .route("/live/{id}/{verb}", post(ui_live::session_action))
        .route("/live/alerts/{id}/{verb}", post(ui_live::alert_action))
        .route("/live/events/{id}/moderate", post(ui_live::moderate))
        .route("/live/tasks/{id}/close", post(ui_live::close_task))
        .route("/static/live.js", get(ui_live::live_js))
        .route(
            "/public/lotteries/{id}/verify",
            get(ui_lottery::verify_page),
        )
        .route("/lotteries", get(ui_lottery::list).post(ui_lottery::create))
        .route("/lotteries/{id}", get(ui_lottery::detail))
        .route("/lotteries/{id}/{verb}", post(ui_lottery::action))
        .route(
            "/lotteries/{id}/claims/{position}/{verb}",
            post(ui_lottery::claim_action),
        );
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/.well-known/liveguard-audit-key", get(api::audit_key));
    let body_max = state.settings.request_bytes_max;
    let timeout = Duration::from_secs(state.settings.request_timeout_seconds);
    api.merge(ui)
        .merge(ops)
        .layer(body_limit(body_max))
        .merge(uploads)
        .merge(entrant_lists)
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

/// The body limit of a group of routes: the transport limit (refuses a longer body,
/// whether announced by `Content-Length` or streamed) and the same limit for axum's
/// extractors, whose own default (2 MiB) would otherwise cut the larger groups short
/// (security review F6).
fn body_limit(
    bytes_max: usize,
) -> tower::layer::util::Stack<RequestBodyLimitLayer, axum::extract::DefaultBodyLimit> {
    tower::layer::util::Stack::new(
        RequestBodyLimitLayer::new(bytes_max),
        axum::extract::DefaultBodyLimit::max(bytes_max),
    )
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
        docs: Arc::new(lottery_api::DocCache::default()),
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
    serde_json::from_str::<master_api::SessionPlan>(&plan.data)
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
    let body = review_api::SubmissionBody {
        title: "12月1日 晚8点 面霜专场话术".into(),
        kind: "script".into(),
        product_id: Some(product.id),
        plan_id: Some(plan.id),
        session_start: "2026-12-01T20:00:00+08:00".into(),
        has_lottery: false,
        content: review_api::Content {
            text: Some("欢迎来到直播间！今天给大家带来我们家的水润修护面霜。\n这款面霜是全网最好用的，用完立竿见影，还能美白祛斑。\n原价399，今天直播间只要99，手慢无！\n第一次来的宝宝先领券，有问题找平台客服。".into()),
            file_base64: None,
            file_name: None,
        },
    };
    review_api::create(state, &p, body)
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
    let body = review_api::SubmissionBody {
        title: "12月1日 晚8点 面霜专场话术（定稿）".into(),
        kind: "script".into(),
        product_id: Some(product_id),
        plan_id: Some(plan_id),
        session_start: "2026-12-01T20:00:00+08:00".into(),
        has_lottery: false,
        content: review_api::Content {
            text: Some("欢迎来到直播间！今天给大家带来我们家的水润修护面霜，主打保湿。\n成分是水、甘油、透明质酸钠和角鲨烷，适合干性及混合性肌肤。\n今天直播间只要99元，前100名加赠旅行装，七天无理由退货。\n有问题请找平台客服。".into()),
            file_base64: None,
            file_name: None,
        },
    };
    let id = review_api::create(state, author, body)
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
    review_api::act(state, author, id, liveguard_review::Action::Submit, None)
        .await
        .map_err(|e| format!("demo script submit: {e}"))?;
    for _ in 0..8 {
        let row = state
            .store
            .submission(id)
            .await
            .map_err(|e| e.to_string())?;
        let review = review_api::load_review(&row).map_err(|e| e.to_string())?;
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
            let _ = review_api::act(
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
    let row = live_api::create_session(
        state,
        &p,
        live_api::NewSessionBody {
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

/// Once a minute until `stop`: erases winners' delivery data past its date and purges live
/// records past their retention date (both audited as `system`).
async fn run_housekeeping(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = Duration::from_secs(60);
    loop {
        if let Err(e) = lottery_api::erase_personal_data(&state).await {
            tracing::warn!(error = %e, "Erasing expired winners' delivery data failed; will retry.");
        }
        match live_api::purge_expired(&state).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(sessions = ?ids, "Purged live records past their retention date.")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Purging expired live records failed; will retry.")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
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
        let escalator = tokio::spawn(live_api::run_escalator(self.state.clone(), stop_rx.clone()));
        let housekeeping = tokio::spawn(run_housekeeping(self.state.clone(), stop_rx.clone()));
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
