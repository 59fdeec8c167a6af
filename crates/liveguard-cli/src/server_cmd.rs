//! `liveguard serve`, `liveguard admin …`, `liveguard audit …`, `liveguard config default`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use liveguard_core::Role;
use liveguard_server::{Application, Settings};
use liveguard_store::{AuditDraft, NewUser, SystemClock};

use crate::Outcome;

/// Where the data lives; shared by every server-side command.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DataArgs {
    /// Configuration file (TOML); see `liveguard config default`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, audit signing key).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (postgres://… or sqlite://…); default SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// NATS server for scale-out live ingest (nats://host:4222); see `[live]` in the config.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
}

impl DataArgs {
    /// defaults → file → LIVEGUARD_* environment → flags.
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Settings::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            }
            None => Settings::default(),
        };
        s.apply_env(std::env::vars())?;
        if let Some(d) = &self.data_dir {
            s.data_dir = d.clone();
        }
        if let Some(u) = &self.database_url {
            s.database_url = u.clone();
        }
        if let Some(n) = &self.nats {
            s.live.nats_url = n.clone();
        }
        s.validate()?;
        Ok(s)
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on, for example 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Create demo accounts (one per role) and sample data on an empty database.
    #[arg(long)]
    demo: bool,
    /// With --demo: delete the demo's SQLite database first and start over with fresh demo
    /// data (the key files are kept). Refused for a --database-url database.
    #[arg(long, requires = "demo")]
    reset: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create a user (the password is read from standard input, or generated and printed).
    CreateUser {
        #[command(flatten)]
        data: DataArgs,
        /// Login name.
        #[arg(long)]
        username: String,
        /// Role: admin, compliance_lead, legal, ops_reviewer, ops_manager, customer_service, streamer, auditor.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Display name (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a new API token for a user on standard output.
    CreateToken {
        #[command(flatten)]
        data: DataArgs,
        /// The user the token acts for.
        #[arg(long)]
        user: String,
        /// Label of the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Write a consistent copy of the SQLite database while the server runs.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Write a self-contained, offline-verifiable bundle of the audit log.
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a bundle offline: exit 0 valid, 1 invalid, 2 error.
    Verify {
        /// Bundle file.
        bundle: PathBuf,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(crate) fn serve(args: ServeArgs) -> anyhow::Result<Outcome> {
    crate::telemetry::install();
    let mut settings = args.data.settings()?;
    if let Some(l) = args.listen {
        settings.listen = l;
    }
    settings.demo |= args.demo;
    let demo = settings.demo;
    if args.reset {
        reset_demo_database(&settings)?;
    }
    runtime()?.block_on(async move {
        let app = Application::build(settings).await?;
        let url = format!("http://127.0.0.1:{}", app.port());
        let mut out = std::io::stdout().lock();
        writeln!(out, "liveguard is running at {url}  (healthz: {url}/healthz)")?;
        writeln!(out, "screening: {}", crate::output::models_line(&app.state().screen.load()))?;
        let images = &app.state().images;
        match &images.pp_ocr_missing {
            None => writeln!(out, "images: PP-OCR {} (QR codes and barcodes decoded)", images.engine())?,
            Some(why) => writeln!(out, "images: Tesseract `{}`; PP-OCR not in use: {why}", images.engine())?,
        }
        if demo {
            writeln!(out, "demo accounts (one per role; demo mode only):")?;
            for (name, display, role) in liveguard_server::DEMO_USERS {
                writeln!(out, "  {name:<9} {:<26} {:<17} password {}", display, role.as_str(), liveguard_server::demo_password(name))?;
            }
        } else if app.state().store.user_count().await? == 0 {
            writeln!(out, "no users yet: open {url}/setup to create the first administrator, or run `liveguard admin create-user`")?;
        }
        out.flush()?;
        drop(out);
        tracing::info!(port = app.port(), "Server started.");
        app.run_until_stopped(shutdown_signal()).await?;
        tracing::info!("Server stopped.");
        Ok(Outcome::Clean)
    })
}

/// Deletes the embedded database of a demo data directory (`--demo --reset`).
fn reset_demo_database(settings: &Settings) -> anyhow::Result<()> {
    if !settings.database_url.is_empty() {
        anyhow::bail!(
            "--reset only deletes the embedded SQLite database of --data-dir; it never touches a --database-url database"
        );
    }
    for name in ["liveguard.db", "liveguard.db-wal", "liveguard.db-shm"] {
        let path = settings.data_dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
        }
    }
    Ok(())
}

/// Options of `liveguard worker`.
#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    data: DataArgs,
}

/// `liveguard worker`: screens and stores live batches from NATS JetStream until stopped.
pub(crate) fn worker(args: WorkerArgs) -> anyhow::Result<Outcome> {
    crate::telemetry::install();
    let settings = args.data.settings()?;
    if settings.live.nats_url.is_empty() {
        anyhow::bail!(
            "a worker needs NATS: pass --nats nats://host:4222 or set live.nats_url (LIVEGUARD_NATS_URL)"
        );
    }
    let Some(nats) = liveguard_server::live::pipeline_config(&settings.live).nats else {
        anyhow::bail!("live.nats_url is not set");
    };
    runtime()?.block_on(async move {
        // The worker opens the store, the engine and the pseudonym key only: no web state.
        let ctx = liveguard_server::open_worker(&settings, Arc::new(SystemClock)).await?;
        let store = ctx.store.clone();
        let bus = liveguard_pipeline::connect_nats(&nats).await?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let durable = nats.durable.clone();
        let run = tokio::spawn(async move {
            liveguard_pipeline::run_nats_worker(ctx, bus, &durable, stop_rx).await
        });
        writeln!(
            std::io::stdout().lock(),
            "liveguard worker is running (durable consumer {})",
            nats.durable
        )?;
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        run.await??;
        store.close().await;
        Ok(Outcome::Clean)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

pub(crate) fn admin(cmd: AdminCommand) -> anyhow::Result<Outcome> {
    runtime()?.block_on(async move {
        match cmd {
            AdminCommand::CreateUser {
                data,
                username,
                role,
                display_name,
                password_stdin,
            } => {
                let role: Role = role
                    .parse()
                    .map_err(|e: liveguard_core::ParseError| anyhow::anyhow!(e))?;
                let state = liveguard_server::open_state(data.settings()?, Arc::new(SystemClock))
                    .await
                    ?;
                let (password, generated) = if password_stdin {
                    let mut p = String::new();
                    std::io::stdin().take(1024).read_to_string(&mut p)?;
                    (p.trim_end_matches(['\r', '\n']).to_string(), false)
                } else {
                    (
                        liveguard_server::auth::random_hex32()[..20].to_string(),
                        true,
                    )
                };
                liveguard_server::auth::validate_password(&password)
                    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                let hash = liveguard_server::auth::hash_password(password.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                let new = NewUser {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    role,
                    password_hash: hash,
                };
                let user = state
                    .store
                    .create_user(
                        new,
                        AuditDraft::new("cli", "system", "user.create", "user:new")
                            .reason("liveguard admin create-user"),
                    )
                    .await?;
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "created user {} ({}) with role {}",
                    user.username, user.id, user.role
                )?;
                if generated {
                    writeln!(out, "password: {password}")?;
                }
                Ok(Outcome::Clean)
            }
            AdminCommand::CreateToken { data, user, name } => {
                let state = liveguard_server::open_state(data.settings()?, Arc::new(SystemClock))
                    .await
                    ?;
                let u = state
                    .store
                    .user_by_name(&user)
                    .await?
                    .with_context(|| format!("no user `{user}`"))?;
                let secret = format!("lg_{}", liveguard_server::auth::random_hex32());
                state
                    .store
                    .create_token(
                        u.id,
                        &name,
                        &liveguard_server::auth::secret_hash(&secret),
                        &secret[..10],
                        None,
                        AuditDraft::new("cli", "system", "token.create", "api_token:new")
                            .reason(format!("for {user}")),
                    )
                    .await?;
                writeln!(std::io::stdout().lock(), "{secret}")?;
                Ok(Outcome::Clean)
            }
            AdminCommand::Backup { data, out } => {
                let state = liveguard_server::open_state(data.settings()?, Arc::new(SystemClock))
                    .await
                    ?;
                anyhow::ensure!(!out.exists(), "{} already exists", out.display());
                state
                    .store
                    .backup_sqlite(&out.display().to_string())
                    .await?;
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "wrote {}", out.display())?;
                // The keys are not in the database copy; they are backed up separately.
                writeln!(
                    stdout,
                    "not in the backup: back up {} from {} separately (sealed personal data cannot be read without its key)",
                    liveguard_server::KEY_FILES.join(", "),
                    state.settings.data_dir.display()
                )?;
                Ok(Outcome::Clean)
            }
        }
    })
}

pub(crate) fn audit(cmd: AuditCommand) -> anyhow::Result<Outcome> {
    match cmd {
        AuditCommand::Export { data, out } => runtime()?.block_on(async move {
            let state =
                liveguard_server::open_state(data.settings()?, Arc::new(SystemClock)).await?;
            let bundle = liveguard_server::checkpoint::bundle(&state)
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let json = serde_json::to_vec_pretty(&bundle)?;
            std::fs::write(&out, json)
                .with_context(|| format!("cannot write {}", out.display()))?;
            state
                .store
                .append_audit(AuditDraft::new(
                    "cli",
                    "system",
                    "audit.export",
                    &format!("audit:{}", bundle.entries.len()),
                ))
                .await?;
            writeln!(
                std::io::stdout().lock(),
                "wrote {} ({} entries, {} checkpoints)",
                out.display(),
                bundle.entries.len(),
                bundle.checkpoints.len()
            )?;
            Ok(Outcome::Clean)
        }),
        AuditCommand::Verify { bundle } => {
            let text = std::fs::read(&bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?;
            let parsed: liveguard_audit::Bundle = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not an audit bundle", bundle.display()))?;
            let mut out = std::io::stdout().lock();
            match liveguard_audit::verify_bundle(&parsed) {
                Ok(r) => {
                    writeln!(
                        out,
                        "valid: {} entries, {} signed checkpoints, root {}",
                        r.entries, r.checkpoints, r.root
                    )?;
                    Ok(Outcome::Clean)
                }
                Err(e) => {
                    writeln!(out, "INVALID: {e}")?;
                    Ok(Outcome::Flagged)
                }
            }
        }
    }
}

pub(crate) fn config_default() -> anyhow::Result<Outcome> {
    std::io::stdout()
        .lock()
        .write_all(liveguard_server::EXAMPLE_CONFIG.as_bytes())?;
    Ok(Outcome::Clean)
}
