//! Signing checkpoints, building bundles, verifying the stored log, and the signing key.

use std::path::Path;

use liveguard_audit::{
    Bundle, Checkpoint, LogKey, SignedCheckpoint, build_bundle, merkle, verify_bundle,
};
use serde_json::{Value, json};

use crate::AppState;
use crate::http::error::ApiError;

/// File holding the log's Ed25519 secret key (hex) in the data directory.
pub const KEY_FILE: &str = "audit-signing.key";

/// Loads the signing key from `data_dir`, creating it (mode 0600) on first start.
pub fn load_or_create_key(data_dir: &Path) -> std::io::Result<LogKey> {
    let path = data_dir.join(KEY_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not 64 hex digits", path.display()),
                )
            })?;
        return Ok(LogKey::from_secret_bytes(&bytes));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
    let key = LogKey::from_secret_bytes(&secret);
    std::fs::create_dir_all(data_dir)?;
    write_private(&path, &hex::encode(secret))?;
    Ok(key)
}

/// A 32-byte secret kept hex-encoded in `data_dir/file` (mode 0600), created on first use.
pub fn load_or_create_secret(data_dir: &Path, file: &str) -> std::io::Result<[u8; 32]> {
    let path = data_dir.join(file);
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not 64 hex digits", path.display()),
                )
            });
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
    std::fs::create_dir_all(data_dir)?;
    write_private(&path, &hex::encode(secret))?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// The latest signed checkpoint, signing a new one when the log has grown since.
pub async fn ensure(state: &AppState) -> Result<SignedCheckpoint, ApiError> {
    let _one_signer = state.checkpoint_lock.lock().await;
    let size = state.store.audit_size().await?;
    let stored = state.store.checkpoints().await?;
    if let Some(last) = stored.last()
        && last.checkpoint.size == size
    {
        return Ok(last.clone());
    }
    let leaves = state.store.audit_leaves(size).await?;
    let signed = state.key.sign(Checkpoint {
        origin: state.settings.origin.clone(),
        size,
        root: hex::encode(merkle::root(&leaves)),
        time: state.store.clock().now_rfc3339(),
    });
    state.store.save_checkpoint(&signed).await?;
    metrics::counter!("liveguard_audit_checkpoints_total").increment(1);
    Ok(signed)
}

/// A bundle of every entry up to a freshly signed checkpoint.
pub async fn bundle(state: &AppState) -> Result<Bundle, ApiError> {
    let latest = ensure(state).await?;
    let size = latest.checkpoint.size;
    let entries = state.store.audit_range(0, size).await?;
    let checkpoints: Vec<SignedCheckpoint> = state
        .store
        .checkpoints()
        .await?
        .into_iter()
        .filter(|c| c.checkpoint.size <= size)
        .collect();
    Ok(build_bundle(
        &state.settings.origin,
        &state.key.public_key_hex(),
        entries,
        checkpoints,
    ))
}

/// Verifies the stored log against every stored signed checkpoint, as an outsider would:
/// what was verified, or why it failed.
pub async fn verify_now(state: &AppState) -> Result<liveguard_audit::BundleReport, String> {
    let bundle = async {
        let size = state.store.audit_size().await?;
        let entries = state.store.audit_range(0, size).await?;
        let mut checkpoints = state.store.checkpoints().await?;
        // Entries after the last checkpoint are checked by signing one now.
        if checkpoints.last().map(|c| c.checkpoint.size) != Some(size) {
            checkpoints.push(ensure(state).await?);
        }
        Ok::<_, ApiError>(build_bundle(
            &state.settings.origin,
            &state.key.public_key_hex(),
            entries,
            checkpoints,
        ))
    }
    .await
    .map_err(|e| e.to_string())?;
    verify_bundle(&bundle).map_err(|e| e.to_string())
}

/// [`verify_now`] as the API sends it (`GET /api/v1/audit/verify`).
pub fn verification_json(result: &Result<liveguard_audit::BundleReport, String>) -> Value {
    match result {
        Ok(r) => {
            json!({"ok": true, "entries": r.entries, "checkpoints": r.checkpoints, "root": r.root})
        }
        Err(e) => json!({"ok": false, "error": e}),
    }
}

/// Signs a checkpoint every `interval` while the log grows, until `shutdown` resolves.
pub async fn run_signer(
    state: AppState,
    interval: std::time::Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {
                if let Err(e) = ensure(&state).await {
                    tracing::error!(error = %e, "Signing an audit checkpoint failed.");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    // A last checkpoint so that nothing written before shutdown stays unsigned.
    if let Err(e) = ensure(&state).await {
        tracing::error!(error = %e, "Signing the final audit checkpoint failed.");
    }
}
