//! The claim model's sentence encoder file (multilingual-e5-small, `e5-small-q4.bin`,
//! fetched by `scripts/fetch-encoder-model.sh`) in the models directory: read, its sha256
//! checked against the one the fetch script checks, and parsed. When it is missing or wrong
//! the claim model runs its first stage only and the status page says why.

use std::path::Path;
use std::sync::Arc;

use liveguard_models::encoder::{E5_FILE, E5_SHA256, E5_VERSION, Encoder};
use sha2::Digest;

/// The encoder from the models directory `dir`, or why not.
pub fn load(dir: &Path) -> Result<Arc<Encoder>, String> {
    let path = dir.join(E5_FILE);
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "{} cannot be read ({e}); run scripts/fetch-encoder-model.sh {}",
            path.display(),
            dir.display()
        )
    })?;
    let got = hex::encode(sha2::Sha256::digest(&bytes));
    if got != E5_SHA256 {
        return Err(format!(
            "{} has sha256 {got}, expected {E5_SHA256}; fetch it again with scripts/fetch-encoder-model.sh",
            path.display()
        ));
    }
    Encoder::from_bytes(&bytes, E5_VERSION)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_altered_file_is_refused_with_the_fetch_command() {
        let dir = std::env::temp_dir().join(format!("lg-e5-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let why = load(&dir).expect_err("missing");
        assert!(why.contains("fetch-encoder-model.sh"), "{why}");
        std::fs::write(dir.join(E5_FILE), b"E5S1 not really").expect("write");
        let why = load(&dir).expect_err("altered");
        assert!(why.contains("sha256"), "{why}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
