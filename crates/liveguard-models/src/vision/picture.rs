//! Decoding image bytes into pixels, with the pixel bound checked from the header first.

use super::VisionError;

/// A decoded image (8-bit RGB).
pub type Picture = image::RgbImage;

/// Decodes `bytes` (PNG, JPEG, WebP, BMP, GIF) into RGB. The header's size is checked
/// against `pixels_max` before any pixel is decoded, and the decoder's own allocation
/// limit is set from it, so an image bomb is refused unread.
pub fn decode(bytes: &[u8], pixels_max: u64) -> Result<Picture, VisionError> {
    // The size from the header alone (nothing decoded, truncated files too).
    let size = imagesize::blob_size(bytes).map_err(|e| VisionError::NotAnImage(e.to_string()))?;
    let (w, h) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    if u64::from(w) * u64::from(h) > pixels_max {
        return Err(VisionError::TooManyPixels(w, h, pixels_max));
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VisionError::NotAnImage(e.to_string()))?;
    let mut limits = image::Limits::default();
    // RGBA at 4 bytes a pixel plus the decoder's own buffers.
    limits.max_alloc = Some(pixels_max.saturating_mul(8).max(64 * 1024 * 1024));
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| VisionError::NotAnImage(e.to_string()))?;
    Ok(img.to_rgb8())
}
