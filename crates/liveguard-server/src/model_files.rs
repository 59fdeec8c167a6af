//! Model files fetched into the models directory: [`read_checked`] reads one with its sha256
//! checked (the PP-OCR files and the sentence encoder), [`load_encoder`] loads the claim
//! model's sentence encoder (multilingual-e5-small, `e5-small-q4.bin`, fetched by
//! `scripts/fetch-encoder-model.sh`). When it is missing or wrong the claim model runs its
//! first stage only and the status page says why.

use std::path::Path;
use std::sync::Arc;

use liveguard_models::encoder::{E5_FILE, E5_SHA256, E5_VERSION, Encoder};
use sha2::Digest;

/// The encoder from the models directory `dir`, or why not.
pub fn load_encoder(dir: &Path) -> Result<Arc<Encoder>, String> {
    let bytes = read_checked(dir, E5_FILE, E5_SHA256, "scripts/fetch-encoder-model.sh")?;
    Encoder::from_bytes(&bytes, E5_VERSION)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// The bytes of model file `name` in `dir` when its sha256 is `want`; otherwise why not, in
/// words that name the file and the fetch `script` to run.
pub fn read_checked(dir: &Path, name: &str, want: &str, script: &str) -> Result<Vec<u8>, String> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "{} cannot be read ({e}); run {script} {}",
            path.display(),
            dir.display()
        )
    })?;
    let got = hex::encode(sha2::Sha256::digest(&bytes));
    if got != want {
        return Err(format!(
            "{} has sha256 {got}, expected {want}; fetch it again with {script}",
            path.display()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_altered_file_is_refused_with_the_fetch_command() {
        let dir = std::env::temp_dir().join(format!("lg-e5-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let why = load_encoder(&dir).expect_err("missing");
        assert!(why.contains("fetch-encoder-model.sh"), "{why}");
        std::fs::write(dir.join(E5_FILE), b"E5S1 not really").expect("write");
        let why = load_encoder(&dir).expect_err("altered");
        assert!(why.contains("sha256"), "{why}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
