//! The liveguard compliance server.
//!
//! # Overview
//! [`Application::build`] opens the store (SQLite by default, PostgreSQL by URL), loads or
//! creates the audit signing key, builds the screening engine, binds the listener, and
//! [`Application::run_until_stopped`] serves until the shutdown future resolves, then
//! signs a final audit checkpoint.
//!
//! Routes: each feature in [`features`] declares its pages and its JSON routes under
//! `/api/v1` once ([`routes`], [`declarations`], described by `/api/v1/openapi.json`);
//! this file merges them and adds `/healthz`, `/readyz` and `/metrics`. Every route except
//! health, readiness, metrics, login, first-run setup, the public key, the API description
//! and the public lottery pages requires a session or an API token, and the caller's role
//! is checked on the server against the permission the route declares ([`perms`]).
//! Start-up is in `startup.rs` ([`open_state`], [`open_worker`], [`Application`]).
#![deny(missing_docs)]

pub mod convert;
pub mod features;
pub mod http;
pub mod jobs;
pub mod model_files;
pub mod personal;
pub mod settings;
mod ui;

pub use features::live;
pub use http::{auth, error, openapi, perms, serve};
pub use jobs::{checkpoint, webhook};

mod demo;
mod startup;
pub use demo::{DEMO_USERS, DemoError, demo_password, seed_demo};
pub use startup::{Application, KEY_FILES, StartError, default_screen, open_state, open_worker};

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::{self};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::routes::body_limit;
use liveguard_audit::LogKey;
use liveguard_screen::SharedScreen;
use liveguard_store::Store;
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
    pub docs: Arc<features::lottery::service::DocCache>,
    /// How each webhook's deliveries went (the administrator's page shows it).
    pub webhook_status: Arc<jobs::webhook::DeliveryStatus>,
    /// Sends webhooks and group-robot messages (HTTP and HTTPS with the system's roots).
    pub outbound: liveguard_outbound::Client,
    /// Reads promo images and stream frames (PP-OCR or Tesseract, and codes).
    pub images: Arc<convert::ocr::ImageReader>,
    /// Why the claim model's second stage (the sentence encoder) is not in use, when not.
    pub claim_encoder_missing: Option<Arc<str>>,
    /// The consumer desk's clock policy and working-day calendar.
    pub desk: Arc<features::desk::service::DeskRuntime>,
}

/// Every feature's routes, merged: adding a feature means one line here.
pub fn routes() -> http::routes::RouteSet {
    features::platform::routes()
        .merge(features::review::routes())
        .merge(features::master::routes())
        .merge(features::live::routes())
        .merge(features::lottery::routes())
        .merge(features::dashboard::routes())
        .merge(features::push::routes())
        .merge(features::desk::routes())
        .merge(features::system::routes())
}

/// The declared JSON routes and component schemas of every feature.
pub struct Declarations {
    /// The JSON routes, in declaration order.
    pub ops: Vec<http::routes::Op>,
    /// The component schemas the features declared, in declaration order.
    pub schemas: Vec<(&'static str, serde_json::Value)>,
}

/// Every feature's declarations, read once: the OpenAPI document and the tests that walk
/// the routes use them.
pub fn declarations() -> &'static Declarations {
    static DECLARED: OnceLock<Declarations> = OnceLock::new();
    DECLARED.get_or_init(|| {
        let set = routes();
        Declarations {
            ops: set.ops().cloned().collect(),
            schemas: set.schemas().to_vec(),
        }
    })
}

/// `(method, path, summary, permission, "any" or "public")` of every declared JSON route,
/// for the tests that walk them.
pub fn api_routes() -> Vec<(&'static str, &'static str, &'static str, String)> {
    declarations()
        .ops
        .iter()
        .map(|r| (r.method, r.path, r.summary, r.access.name()))
        .collect()
}

/// The router of the whole server.
pub fn app(state: AppState) -> Router {
    // Install the metrics recorder before the first request is counted.
    let _ = http::metrics::prometheus();
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(http::metrics::metrics_text));
    let body_max = state.settings.request_bytes_max;
    let timeout = Duration::from_secs(state.settings.request_timeout_seconds);
    routes()
        .into_router(&state, body_max)
        .merge(ops.layer(body_limit(body_max)))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(middleware::from_fn(auth::refuse_cross_origin_writes))
        .layer(middleware::from_fn(http::headers::security_headers))
        .layer(middleware::from_fn(http::metrics::track_metrics))
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
