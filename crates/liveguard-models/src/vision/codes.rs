//! QR codes and barcodes in an image.

use super::Picture;

/// A code found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The symbology, lower case (`qrcode`, `ean 13`, `code 128`, …).
    pub kind: String,
    /// What it encodes.
    pub text: String,
}

/// Longest image side the code search looks at; larger images are searched at this
/// size (a code that is still readable after the reduction is found).
const SIDE_MAX: u32 = 2000;

/// Every QR code and barcode `img` holds, in reading order (top to bottom). An image with
/// none gives an empty list.
pub fn read_codes(img: &Picture) -> Vec<Code> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let gray = image::DynamicImage::ImageRgb8(img.clone()).to_luma8();
    let gray = if w.max(h) > SIDE_MAX {
        let s = f64::from(SIDE_MAX) / f64::from(w.max(h));
        image::imageops::resize(
            &gray,
            ((f64::from(w) * s) as u32).max(1),
            ((f64::from(h) * s) as u32).max(1),
            image::imageops::FilterType::Triangle,
        )
    } else {
        gray
    };
    let (gw, gh) = gray.dimensions();
    let found = rxing::helpers::detect_multiple_in_luma(gray.into_raw(), gw, gh);
    let Ok(mut results) = found else {
        return Vec::new();
    };
    results.sort_by(|a, b| {
        let y = |r: &rxing::RXingResult| r.getPoints().first().map(|p| p.y).unwrap_or(0.0);
        y(a).total_cmp(&y(b))
    });
    let mut out: Vec<Code> = Vec::new();
    for r in results {
        let code = Code {
            kind: r.getBarcodeFormat().to_string().to_lowercase(),
            text: r.getText().to_string(),
        };
        if !code.text.is_empty() && !out.contains(&code) {
            out.push(code);
        }
    }
    out
}
