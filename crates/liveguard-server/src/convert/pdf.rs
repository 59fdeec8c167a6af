//! PDF of a page, made offline by headless Chromium (`--print-to-pdf`) in a bounded
//! subprocess with a fresh profile. Chinese text stays extractable (components.md §8).

use std::process::Stdio;
use std::time::Duration;

/// Longest a PDF rendering may take.
pub const PDF_SECONDS_MAX: u64 = 60;

/// Why no PDF could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The browser is not installed.
    #[error("PDF output needs `{0}` (Debian's chromium); the print page works without it")]
    EngineMissing(String),
    /// Every PDF slot is taken and the queue is full.
    #[error("{0}")]
    Busy(String),
    /// The browser failed or timed out.
    #[error("making the PDF failed: {0}")]
    Engine(String),
}

/// Renders `html` (a complete document) to PDF bytes with `engine`.
pub async fn html_to_pdf(engine: &str, html: &str) -> Result<Vec<u8>, PdfError> {
    let dir = std::env::temp_dir().join(format!(
        "liveguard-pdf-{}-{}",
        std::process::id(),
        &crate::http::auth::random_hex32()[..12]
    ));
    let _turn = crate::convert::subprocess::PDF_GATE
        .enter()
        .await
        .map_err(|e| PdfError::Busy(e.to_string()))?;
    let result = render(engine, html, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn render(engine: &str, html: &str, dir: &std::path::Path) -> Result<Vec<u8>, PdfError> {
    std::fs::create_dir_all(dir.join("profile")).map_err(|e| PdfError::Engine(e.to_string()))?;
    let page = dir.join("page.html");
    let out = dir.join("out.pdf");
    std::fs::write(&page, html).map_err(|e| PdfError::Engine(e.to_string()))?;
    let child = tokio::process::Command::new(engine)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PdfError::EngineMissing(engine.to_string()));
        }
        Err(e) => return Err(PdfError::Engine(e.to_string())),
    };
    let status = tokio::time::timeout(Duration::from_secs(PDF_SECONDS_MAX), child.wait())
        .await
        .map_err(|_| PdfError::Engine(format!("no PDF within {PDF_SECONDS_MAX} s")))?
        .map_err(|e| PdfError::Engine(e.to_string()))?;
    let bytes = std::fs::read(&out).map_err(|_| {
        PdfError::Engine(format!("the browser exited with {status} and wrote no PDF"))
    })?;
    if !bytes.starts_with(b"%PDF-") {
        return Err(PdfError::Engine("the output is not a PDF".into()));
    }
    Ok(bytes)
}
