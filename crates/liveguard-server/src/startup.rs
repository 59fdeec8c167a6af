//! Start-up: open the store, the keys, the engine and the live pipeline ([`open_state`]),
//! or only what a worker needs ([`open_worker`]); bind the listener and serve until told to
//! stop ([`Application`]). Every failure is a [`StartError`] naming what could not start.

use std::sync::Arc;
use std::time::Duration;

use liveguard_screen::{ScreenBuilder, ScreenConfig, SharedScreen, defaults};
use liveguard_store::{Clock, Store, SystemClock};

use crate::{
    AppState, Settings, app, auth, checkpoint, demo, features, jobs, live, personal, seed_demo,
    serve, settings, webhook,
};

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
    /// An embedded model does not load (a build with a broken model file).
    #[error("learned models")]
    Model(#[from] liveguard_models::ModelError),
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

/// Builds the engine from the embedded default rule packs and models.
pub fn default_screen() -> Result<SharedScreen, StartError> {
    screen_for(true, None)
}

/// Builds the engine from the embedded default rule packs, with the learned models when
/// `models` is set (the `models` setting) and on rules only when not; `encoder` adds the
/// claim model's second stage.
pub(crate) fn screen_for(
    models: bool,
    encoder: Option<Arc<liveguard_models::encoder::Encoder>>,
) -> Result<SharedScreen, StartError> {
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    defaults::add_default_packs(&mut b)?;
    if models {
        defaults::add_default_models(&mut b)?;
        if let Some(encoder) = encoder {
            defaults::add_claim_encoder(&mut b, encoder)?;
        }
    }
    let screen = b.build()?;
    // The second stage's exemplars are embedded now, at start-up, not at the first live
    // finding (a 2 s stall there showed as a p99 spike under load).
    screen.warm_up();
    Ok(SharedScreen::new(screen))
}

/// [`screen_for`] on a blocking thread (with the second stage, warming it up takes about
/// 2 s of computation).
async fn screen_off_thread(
    models: bool,
    encoder: Option<Arc<liveguard_models::encoder::Encoder>>,
) -> Result<SharedScreen, StartError> {
    match tokio::task::spawn_blocking(move || screen_for(models, encoder)).await {
        Ok(screen) => screen,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// The claim model's sentence encoder from the models directory (read off the async
/// threads), or why it is not used. Start-up goes on without it: the claim model then runs
/// its first stage only.
async fn claim_encoder(
    settings: &Settings,
) -> (
    Option<Arc<liveguard_models::encoder::Encoder>>,
    Option<Arc<str>>,
) {
    if !settings.models {
        return (None, Some(Arc::from("models = false")));
    }
    let dir = crate::convert::ocr::models_dir(settings);
    let loaded = tokio::task::spawn_blocking(move || crate::model_files::load_encoder(&dir))
        .await
        .unwrap_or_else(|e| Err(format!("loading stopped: {e}")));
    match loaded {
        Ok(encoder) => (Some(encoder), None),
        Err(why) => {
            tracing::warn!(reason = %why, "claim model second stage off: sentence encoder not loaded");
            (None, Some(Arc::from(why)))
        }
    }
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
        screen: Arc::new(
            screen_off_thread(settings.models, claim_encoder(settings).await.0).await?,
        ),
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
    let (encoder, claim_encoder_missing) = claim_encoder(&settings).await;
    let screen = Arc::new(screen_off_thread(settings.models, encoder).await?);
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
    let models_dir = crate::convert::ocr::models_dir(&settings);
    let tesseract = settings.ocr_engine.clone();
    let images = tokio::task::spawn_blocking(move || {
        crate::convert::ocr::ImageReader::load(&models_dir, &tesseract)
    })
    .await
    .unwrap_or_else(|_| crate::convert::ocr::ImageReader::tesseract_only(&settings.ocr_engine));
    let desk = features::desk::service::DeskRuntime {
        policy: settings.complaints.clocks,
        calendar: settings.complaints.calendar()?,
    };
    Ok(AppState {
        desk: Arc::new(desk),
        images: Arc::new(images),
        claim_encoder_missing,
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
        outbound: liveguard_outbound::Client::new(Duration::from_secs(
            crate::jobs::webhook::WEBHOOK_SECONDS_MAX,
        )),
        lookup_throttle: Arc::new(auth::LoginThrottle::default()),
        docs: Arc::new(features::lottery::service::DocCache::default()),
        webhook_status: Arc::new(crate::jobs::webhook::DeliveryStatus::default()),
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
        let pushes = tokio::spawn(webhook::run_stored(self.state.clone(), stop_rx.clone()));
        let escalator = tokio::spawn(jobs::run_escalator(self.state.clone(), stop_rx.clone()));
        let desk_sweeper =
            tokio::spawn(jobs::run_desk_sweeper(self.state.clone(), stop_rx.clone()));
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
        let _ = pushes.await;
        let _ = escalator.await;
        let _ = desk_sweeper.await;
        let _ = housekeeping.await;
        self.state.store.close().await;
        Ok(())
    }
}
