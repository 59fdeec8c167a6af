//! Images: decoding within bounds, text read by PP-OCR (detection + recognition run by
//! the pure-Rust `rten` runtime), and QR codes and barcodes decoded by `rxing`.
//!
//! Like the rest of this crate it does no I/O: the caller passes the image bytes and the
//! model files' bytes (see `models/README.md` for where the OCR models come from and how
//! their sha256 is checked).

mod codes;
mod ocr;
mod picture;

pub use codes::{Code, read_codes};
pub use ocr::{OcrModels, TextLine};
pub use picture::{Picture, decode};

/// Why an image could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisionError {
    /// Not a PNG, JPEG, WebP, BMP or GIF image, or damaged.
    #[error("not a readable image ({0})")]
    NotAnImage(String),
    /// More pixels than allowed.
    #[error("the image is {0} × {1} pixels; at most {2} pixels are read")]
    TooManyPixels(u32, u32, u64),
    /// An OCR model file is not what was expected.
    #[error("OCR model: {0}")]
    Model(String),
    /// Inference failed.
    #[error("OCR inference failed: {0}")]
    Run(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxing::Writer;

    /// Draws `matrix` (a code) at `(left, top)` on a light, speckled background, `scale`
    /// pixels a module.
    fn draw(img: &mut Picture, matrix: &rxing::common::BitMatrix, left: u32, top: u32, scale: u32) {
        for y in 0..matrix.getHeight() {
            for x in 0..matrix.getWidth() {
                if matrix.get(x, y) {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            img.put_pixel(
                                left + x * scale + dx,
                                top + y * scale + dy,
                                image::Rgb([20, 20, 40]),
                            );
                        }
                    }
                }
            }
        }
    }

    fn background(w: u32, h: u32) -> Picture {
        let mut seed = 7u32;
        Picture::from_fn(w, h, |x, y| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (seed >> 27) as u8;
            image::Rgb([240 - n, (200 + (x % 40)) as u8, (180 + (y % 60)) as u8])
        })
    }

    #[test]
    fn qr_codes_and_barcodes_are_read_in_order() {
        let mut img = background(900, 700);
        let qr = rxing::qrcode::QRCodeWriter
            .encode(
                "https://u.wechat.com/EAbc123xyz",
                &rxing::BarcodeFormat::QR_CODE,
                0,
                0,
            )
            .unwrap();
        draw(&mut img, &qr, 500, 60, 6);
        let cn = rxing::qrcode::QRCodeWriter
            .encode("加微信shop888领券", &rxing::BarcodeFormat::QR_CODE, 0, 0)
            .unwrap();
        draw(&mut img, &cn, 60, 360, 6);
        let codes = read_codes(&img);
        let texts: Vec<&str> = codes.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["https://u.wechat.com/EAbc123xyz", "加微信shop888领券"],
            "{codes:?}"
        );
        assert!(codes.iter().all(|c| c.kind == "qrcode"), "{codes:?}");

        let mut img = background(700, 300);
        let bar = rxing::oned::Code128Writer
            .encode("SHOP888", &rxing::BarcodeFormat::CODE_128, 0, 0)
            .unwrap();
        for y in 0..120 {
            for x in 0..bar.getWidth() {
                if bar.get(x, 0) {
                    for dx in 0..3 {
                        img.put_pixel(60 + x * 3 + dx, 80 + y, image::Rgb([0, 0, 0]));
                    }
                }
            }
        }
        let codes = read_codes(&img);
        assert_eq!(codes.len(), 1, "{codes:?}");
        assert_eq!(codes[0].text, "SHOP888");
        assert_eq!(codes[0].kind, "code 128");

        assert!(read_codes(&background(400, 300)).is_empty());
    }

    #[test]
    fn images_are_decoded_within_their_pixel_bound() {
        let mut png = Vec::new();
        background(64, 48)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let img = decode(&png, 10_000).unwrap();
        assert_eq!(img.dimensions(), (64, 48));
        assert_eq!(
            decode(&png, 1_000),
            Err(VisionError::TooManyPixels(64, 48, 1_000))
        );
        assert!(matches!(
            decode(b"%PDF-1.7", 1_000),
            Err(VisionError::NotAnImage(_))
        ));
        // A header claiming 19000 × 19000 pixels is refused before decoding.
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bomb.extend_from_slice(&19000u32.to_be_bytes());
        bomb.extend_from_slice(&19000u32.to_be_bytes());
        bomb.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32(&bomb[12..]);
        bomb.extend_from_slice(&crc.to_be_bytes());
        assert_eq!(
            decode(&bomb, 40_000_000),
            Err(VisionError::TooManyPixels(19000, 19000, 40_000_000))
        );
    }

    /// CRC-32 (PNG chunks).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    /// The OCR models, from `LIVEGUARD_TEST_OCR_MODELS` (a directory filled by
    /// `scripts/fetch-ocr-models.sh`); `None` with a notice when absent, a failure under
    /// `CI=true`.
    fn models() -> Option<OcrModels> {
        let dir = match std::env::var("LIVEGUARD_TEST_OCR_MODELS") {
            Ok(d) if !d.is_empty() => std::path::PathBuf::from(d),
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "LIVEGUARD_TEST_OCR_MODELS is required under CI=true"
                );
                eprintln!(
                    "notice: LIVEGUARD_TEST_OCR_MODELS not set; PP-OCR test skipped (scripts/fetch-ocr-models.sh DIR)"
                );
                return None;
            }
        };
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
        Some(
            OcrModels::from_bytes(
                read("PP-OCRv6_det_small.rten"),
                read("PP-OCRv6_rec_small.rten"),
                &String::from_utf8(read("ppocrv6_dict.txt")).unwrap(),
                "pp-ocrv6-small",
            )
            .unwrap(),
        )
    }

    #[test]
    fn pp_ocr_reads_the_promo_card_line_by_line() {
        let Some(m) = models() else { return };
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/ocr/promo.png"
        ))
        .unwrap();
        let img = decode(&png, 40_000_000).unwrap();
        let lines = m.read(&img).unwrap();
        let texts: Vec<String> = lines.iter().map(|l| l.text.replace(' ', "")).collect();
        assert_eq!(
            texts,
            ["限时秒杀全网最低价", "加微信shop888领优惠券"],
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| l.confidence > 0.8), "{lines:?}");
        // A tall image (the card stacked four times) is read in tiles without losing or
        // repeating a line.
        let (w, h) = img.dimensions();
        let mut tall = Picture::from_pixel(w, h * 4, image::Rgb([255, 255, 255]));
        for i in 0..4 {
            image::imageops::replace(&mut tall, &img, 0, i64::from(h * i));
        }
        let lines = m.read(&tall).unwrap();
        assert_eq!(lines.len(), 8, "{lines:?}");
        assert!(
            lines
                .iter()
                .step_by(2)
                .all(|l| l.text.replace(' ', "") == "限时秒杀全网最低价"),
            "{lines:?}"
        );
        // Nothing on a blank image.
        assert!(
            m.read(&Picture::from_pixel(300, 200, image::Rgb([250, 250, 250])))
                .unwrap()
                .is_empty()
        );
    }
}
