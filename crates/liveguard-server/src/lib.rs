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

mod demo;
pub use demo::{DEMO_USERS, DemoError, demo_password, seed_demo};

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
use liveguard_screen::{ScreenBuilder, ScreenConfig, SharedScreen, defaults};
use liveguard_store::{Clock, Store, SystemClock};
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
    pub docs: Arc<features::lottery::service::DocCache>,
}

/// Every feature's routes, merged: adding a feature means one line here.
pub fn routes() -> http::routes::RouteSet {
    features::platform::routes()
        .merge(features::review::routes())
        .merge(features::master::routes())
        .merge(features::live::routes())
        .merge(features::lottery::routes())
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
    let _ = prometheus();
    let ops = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text));
    let body_max = state.settings.request_bytes_max;
    let timeout = Duration::from_secs(state.settings.request_timeout_seconds);
    routes()
        .into_router(&state, body_max)
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

/// Why the server (or a worker) could not start. The message says what failed; the cause is
/// its [`std::error::Error::source`] (the command line prints the whole chain).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is not usable.
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database cannot be opened or migrated.
    #[error("cannot open database {url}")]
    Database {
        /// The database URL, password redacted.
        url: String,
        /// Why.
        source: liveguard_store::StoreError,
    },
    /// A key file in the data directory cannot be read or created.
    #[error("{what}")]
    Key {
        /// Which key.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A default rule pack does not load (a build with a broken pack).
    #[error("default rule packs")]
    Rules(#[from] liveguard_screen::PackError),
    /// The engine cannot be built from the packs.
    #[error("screening engine")]
    Engine(#[from] liveguard_screen::BuildError),
    /// A drand relay address is not usable.
    #[error("lottery.drand_relays")]
    Drand(#[from] liveguard_drand::DrandError),
    /// The live pipeline (its NATS connection) cannot start.
    #[error("live pipeline")]
    Pipeline(#[from] liveguard_pipeline::PipelineError),
    /// The demo company cannot be created.
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {address}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Builds the engine from the embedded default rule packs.
pub fn default_screen() -> Result<SharedScreen, StartError> {
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    defaults::add_default_packs(&mut b)?;
    Ok(SharedScreen::new(b.build()?))
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
async fn open_store(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Store, StartError> {
    settings.validate()?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::DataDir {
        path: settings.data_dir.clone(),
        source,
    })?;
    let url = settings.effective_database_url();
    Ok(Store::connect(&url, clock)
        .await
        .map_err(|source| StartError::Database {
            url: liveguard_store::redact_url(&url),
            source,
        })?
        .with_redactor(Arc::new(|text: &str| personal::mask_free_text(text))))
}

/// A 32-byte secret from the data directory, created on first use.
fn secret(settings: &Settings, file: &str, what: &'static str) -> Result<[u8; 32], StartError> {
    checkpoint::load_or_create_secret(&settings.data_dir, file)
        .map_err(|source| StartError::Key { what, source })
}

/// What `liveguard worker` needs and no more: the store, the engine and the viewer
/// pseudonym key — no web state, no listener.
pub async fn open_worker(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<liveguard_pipeline::WorkerCtx<Store>, StartError> {
    let store = open_store(settings, clock).await?;
    let pseudonym_key = secret(settings, live::PSEUDONYM_KEY_FILE, "viewer pseudonym key")?;
    Ok(liveguard_pipeline::WorkerCtx {
        store,
        screen: Arc::new(default_screen()?),
        pseudonym_key: Arc::from(&pseudonym_key[..]),
    })
}

/// Opens the store and key described by `settings` (no listener).
pub async fn open_state(settings: Settings, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
    let store = open_store(&settings, clock).await?;
    let key =
        checkpoint::load_or_create_key(&settings.data_dir).map_err(|source| StartError::Key {
            what: "audit signing key",
            source,
        })?;
    // Keys the viewer pseudonyms; every node of one deployment needs the same file.
    let pseudonym_key = secret(&settings, live::PSEUDONYM_KEY_FILE, "viewer pseudonym key")?;
    let personal_key = secret(&settings, personal::PERSONAL_KEY_FILE, "personal-data key")?;
    let drand = liveguard_drand::Client::new(
        &settings.lottery.drand_relays,
        Duration::from_secs(settings.lottery.drand_timeout_seconds),
    )?;
    let screen = Arc::new(default_screen()?);
    let live = liveguard_pipeline::LiveHub::start(
        liveguard_pipeline::WorkerCtx {
            store: store.clone(),
            screen: screen.clone(),
            pseudonym_key: Arc::from(&pseudonym_key[..]),
        },
        live::pipeline_config(&settings.live),
    )
    .await?;
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
        docs: Arc::new(features::lottery::service::DocCache::default()),
    })
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
    port: u16,
}

impl Application {
    /// Opens storage and binds `settings.listen` (port 0 picks a free port).
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let listen = settings.listen.clone();
        let demo = settings.demo;
        let state = open_state(settings, Arc::new(SystemClock)).await?;
        if demo {
            seed_demo(&state).await?;
        }
        let listen_error = |source| StartError::Listen {
            address: listen.clone(),
            source,
        };
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(listen_error)?;
        let port = listener.local_addr().map_err(listen_error)?.port();
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
        let escalator = tokio::spawn(jobs::run_escalator(self.state.clone(), stop_rx.clone()));
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
