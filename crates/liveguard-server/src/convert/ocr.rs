//! Text in promo images, read by Tesseract (`chi_sim`) in a subprocess.
//!
//! The image type is checked from its first bytes and its size in pixels from its header
//! before anything runs ([`OCR_PIXELS_MAX`]); at most [`crate::convert::subprocess::OCR_RUNNING_MAX`]
//! runs go at once (more wait, up to a bound, then the answer is "busy"); the engine gets
//! the bytes on stdin, at most [`OCR_SECONDS_MAX`] seconds and [`OCR_MEMORY_BYTES_MAX`] of
//! address space; a missing engine is an error that says what to install, never a silent
//! empty result.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// Largest image accepted, in bytes.
pub const IMAGE_BYTES_MAX: usize = 10 * 1024 * 1024;
/// Longest an OCR run may take.
pub const OCR_SECONDS_MAX: u64 = 60;
/// Most pixels an image may have (read from its header before anything decodes it): a
/// 343 KB PNG can claim 19000 × 19000 pixels and make Tesseract take 1.2 GB (security
/// review F5). 40 million pixels is a long product-detail image (750 × 50,000) with room.
pub const OCR_PIXELS_MAX: u64 = 40_000_000;
/// Address space an OCR run may take (kernel limit through `prlimit`).
pub const OCR_MEMORY_BYTES_MAX: u64 = 1536 * 1024 * 1024;

/// Why an image could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    /// Larger than the limit.
    #[error("the image is {0} bytes; at most {IMAGE_BYTES_MAX} are accepted")]
    TooLarge(usize),
    /// The header claims more pixels than [`OCR_PIXELS_MAX`], or cannot be read.
    #[error(
        "the image is {0} × {1} pixels; at most {OCR_PIXELS_MAX} pixels are read (scale it down or cut it into parts)"
    )]
    TooManyPixels(u64, u64),
    /// Every OCR slot is taken and the queue is full.
    #[error("{0}")]
    Busy(String),
    /// Not PNG, JPEG, WebP, BMP, GIF or TIFF.
    #[error("not an image (expected PNG, JPEG, WebP, BMP, GIF or TIFF)")]
    NotAnImage,
    /// The OCR engine is not installed.
    #[error(
        "the OCR engine `{0}` is not installed: install Debian's tesseract-ocr and tesseract-ocr-chi-sim"
    )]
    EngineMissing(String),
    /// The engine failed or timed out.
    #[error("the OCR engine failed: {0}")]
    Engine(String),
}

/// The image kind from its magic bytes.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some("png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("jpeg"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("webp"),
        [b'B', b'M', ..] => Some("bmp"),
        [b'G', b'I', b'F', b'8', ..] => Some("gif"),
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some("tiff"),
        _ => None,
    }
}

/// Reads the text of an image with `engine` (normally `tesseract`), Simplified Chinese plus English.
pub async fn ocr_image(engine: &str, bytes: &[u8]) -> Result<String, OcrError> {
    if bytes.len() > IMAGE_BYTES_MAX {
        return Err(OcrError::TooLarge(bytes.len()));
    }
    if image_kind(bytes).is_none() {
        return Err(OcrError::NotAnImage);
    }
    let size = imagesize::blob_size(bytes).map_err(|_| OcrError::NotAnImage)?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width.saturating_mul(height) > OCR_PIXELS_MAX {
        return Err(OcrError::TooManyPixels(width, height));
    }
    let Some(program) = crate::convert::subprocess::find_program(engine) else {
        return Err(OcrError::EngineMissing(engine.to_string()));
    };
    let _turn = crate::convert::subprocess::OCR_GATE
        .enter()
        .await
        .map_err(|e| OcrError::Busy(e.to_string()))?;
    let mut child = match crate::convert::subprocess::limited_command(
        &program,
        OCR_MEMORY_BYTES_MAX,
        OCR_SECONDS_MAX,
    )
    .args(["stdin", "stdout", "-l", "chi_sim+eng", "--psm", "6"])
    // One thread per run: the gate decides how many cores OCR takes.
    .env("OMP_THREAD_LIMIT", "1")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OcrError::EngineMissing(engine.to_string()));
        }
        Err(e) => return Err(OcrError::Engine(e.to_string())),
    };
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| OcrError::Engine("no stdin".into()))?;
    let input = bytes.to_vec();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let output = tokio::time::timeout(
        Duration::from_secs(OCR_SECONDS_MAX),
        child.wait_with_output(),
    )
    .await
    .map_err(|_| OcrError::Engine(format!("no result within {OCR_SECONDS_MAX} s")))?
    .map_err(|e| OcrError::Engine(e.to_string()))?;
    let _ = writer.await;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        if err.contains("Failed loading language") {
            return Err(OcrError::EngineMissing(format!(
                "{engine} (language chi_sim)"
            )));
        }
        return Err(OcrError::Engine(
            err.lines().last().unwrap_or("unknown error").to_string(),
        ));
    }
    // Tesseract puts spaces between CJK characters of a line; the engine's folding removes
    // them for matching, and findings map back to this text.
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_kinds() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(image_kind(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpeg"));
        assert_eq!(image_kind(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(image_kind("这不是图片".as_bytes()), None);
        assert_eq!(image_kind(b""), None);
    }

    /// Security review F5: an image bomb is refused from its header, before any program runs.
    #[tokio::test]
    async fn r11_f5_an_image_that_claims_too_many_pixels_is_refused_unread() {
        // A PNG header claiming 19000 × 19000 pixels (the review's 343 KB bomb, without the
        // data): refused before the engine is even looked for.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&19000u32.to_be_bytes());
        png.extend_from_slice(&19000u32.to_be_bytes());
        png.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
        let e = ocr_image("/nonexistent/tesseract", &png).await.unwrap_err();
        assert_eq!(e, OcrError::TooManyPixels(19000, 19000));
        assert!(e.to_string().contains("40000000"), "{e}");
    }

    #[tokio::test]
    async fn not_an_image_and_missing_engine_are_clear_errors() {
        assert_eq!(
            ocr_image("tesseract", b"%PDF-1.7 not an image").await,
            Err(OcrError::NotAnImage)
        );
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/ocr/promo.png"
        ))
        .unwrap();
        let e = ocr_image("/nonexistent/tesseract", &png).await.unwrap_err();
        assert!(matches!(e, OcrError::EngineMissing(_)), "{e}");
        assert!(e.to_string().contains("tesseract-ocr-chi-sim"));
    }

    /// With Tesseract installed (mandatory under CI=true), the promo card is read and screened.
    #[tokio::test]
    async fn reads_a_promo_card_and_the_engine_flags_it() {
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/ocr/promo.png"
        ))
        .unwrap();
        let text = match ocr_image("tesseract", &png).await {
            Ok(t) => t,
            Err(OcrError::EngineMissing(e))
                if std::env::var("CI").map(|v| v != "true").unwrap_or(true) =>
            {
                eprintln!("notice: {e} missing; OCR test skipped (mandatory under CI=true)");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let screen = crate::default_screen().unwrap().load();
        let result = screen.scan(
            &text,
            liveguard_screen::ScanContext::new(
                liveguard_core::Channel::ImageText,
                liveguard_core::ProductCategory::Cosmetics,
            ),
        );
        let cats: Vec<_> = result.findings.iter().map(|f| f.category).collect();
        assert!(
            cats.contains(&liveguard_core::Category::PriceFraud),
            "{text} → {cats:?}"
        );
        assert!(
            cats.contains(&liveguard_core::Category::OffPlatform),
            "{text} → {cats:?}"
        );
    }
}
