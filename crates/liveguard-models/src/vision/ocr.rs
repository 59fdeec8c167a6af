//! PP-OCR: a text detector (DB, a probability map of where text is) and a recogniser
//! (CTC over a character dictionary), both run by `rten`.
//!
//! Detection: the image (or each tile of a tall image) is scaled so its longer side is at
//! most `DET_SIDE_MAX`, normalised with ImageNet mean and deviation in BGR order, and
//! run; pixels above `DET_THRESHOLD` are grouped into connected regions, a region whose
//! mean probability is under `BOX_THRESHOLD` is dropped, and each box is grown by the
//! DB "unclip" distance (area × 1.5 / perimeter). Recognition: each box is cut from the
//! full-resolution image, scaled to 48 pixels high, normalised to [-1, 1] in BGR order,
//! and decoded greedily (index 0 is the CTC blank, index i is dictionary entry i − 1, the
//! index after the dictionary is a space).

use rten::Model;
use rten_tensor::NdTensor;
use rten_tensor::prelude::*;

use super::{Picture, VisionError};

/// Longer side of what the detector sees.
const DET_SIDE_MAX: u32 = 960;
/// Text probability above which a pixel is text.
const DET_THRESHOLD: f32 = 0.3;
/// Mean probability a region needs to be a text box.
const BOX_THRESHOLD: f32 = 0.5;
/// Height of a line for the recogniser.
const REC_HEIGHT: u32 = 48;
/// Widest line crop given to the recogniser (longer lines are cut into parts).
const REC_WIDTH_MAX: u32 = 1600;
/// A tile of a tall image is at most this many times as high as it is wide.
const TILE_ASPECT_MAX: u32 = 2;
/// Lines whose characters' mean probability is under this are dropped as noise.
const LINE_CONFIDENCE_MIN: f32 = 0.5;

/// A line of text read from an image.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    /// The text.
    pub text: String,
    /// Mean probability of its characters (0–1).
    pub confidence: f32,
    /// Its box in the image: left, top, right, bottom (pixels).
    pub bbox: [u32; 4],
}

/// The detector, the recogniser and its dictionary.
pub struct OcrModels {
    det: Model,
    rec: Model,
    dict: Vec<String>,
    version: String,
    /// Runs on this pool instead of rten's global one (all cores) when set.
    pool: Option<std::sync::Arc<rten::ThreadPool>>,
    scripts: Scripts,
}

/// Traditional-to-simplified folding of single characters, and which characters are
/// simplified forms (the target of some different traditional character).
///
/// The recogniser's dictionary holds both scripts, and on simplified text it sometimes
/// answers a traditional form of one character (减 → 減, 叠 → 疊). A line that holds a
/// simplified-only character is simplified text, so its traditional forms are misreads and
/// are folded; a line without one (a traditional brand name, a Hong Kong label) is kept.
struct Scripts {
    fold: liveguard_normalize::Normalizer,
    simplified: std::collections::HashSet<char>,
}

impl Scripts {
    fn new() -> Scripts {
        let fold = liveguard_normalize::Normalizer::new(liveguard_normalize::NormalizeConfig {
            traditional_to_simplified: true,
            ..liveguard_normalize::NormalizeConfig::none()
        });
        let mut simplified = std::collections::HashSet::new();
        for cp in 0x3400u32..0xA000 {
            if let Some(c) = char::from_u32(cp)
                && let liveguard_normalize::Fold::Char(s) = fold.fold_char(c)
                && s != c
            {
                simplified.insert(s);
            }
        }
        Scripts { fold, simplified }
    }

    fn traditional_to_simplified(&self, c: char) -> Option<char> {
        match self.fold.fold_char(c) {
            liveguard_normalize::Fold::Char(s) if s != c => Some(s),
            _ => None,
        }
    }

    /// `line` with its traditional forms folded when it is simplified text.
    fn unify(&self, line: &str) -> String {
        let simplified_text = line
            .chars()
            .any(|c| self.simplified.contains(&c) && self.traditional_to_simplified(c).is_none());
        if !simplified_text {
            return line.to_string();
        }
        line.chars()
            .map(|c| self.traditional_to_simplified(c).unwrap_or(c))
            .collect()
    }
}

impl std::fmt::Debug for OcrModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrModels")
            .field("version", &self.version)
            .field("dictionary", &self.dict.len())
            .finish()
    }
}

impl OcrModels {
    /// Reads the detector and recogniser (`.rten` files' bytes) and the dictionary (one
    /// entry per line); `version` names them in every result.
    pub fn from_bytes(
        det: Vec<u8>,
        rec: Vec<u8>,
        dict: &str,
        version: &str,
    ) -> Result<OcrModels, VisionError> {
        let det = Model::load(det).map_err(|e| VisionError::Model(format!("detector: {e}")))?;
        let rec = Model::load(rec).map_err(|e| VisionError::Model(format!("recogniser: {e}")))?;
        let dict: Vec<String> = dict.lines().map(str::to_string).collect();
        if dict.len() < 100 {
            return Err(VisionError::Model(format!(
                "the dictionary has {} entries",
                dict.len()
            )));
        }
        Ok(OcrModels {
            det,
            rec,
            dict,
            version: version.to_string(),
            pool: None,
            scripts: Scripts::new(),
        })
    }

    /// Runs inference on `threads` threads of its own instead of rten's global pool (one
    /// thread: what a single core does, as the benchmark measures).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.pool = Some(std::sync::Arc::new(rten::ThreadPool::with_num_threads(
            threads.max(1),
        )));
        self
    }

    fn options(&self) -> Option<rten::RunOptions> {
        self.pool
            .as_ref()
            .map(|p| rten::RunOptions::default().with_thread_pool(Some(p.clone())))
    }

    /// The models' version label.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The lines of text in `img`, top to bottom and left to right.
    pub fn read(&self, img: &Picture) -> Result<Vec<TextLine>, VisionError> {
        let (w, h) = img.dimensions();
        if w < 4 || h < 4 {
            return Ok(Vec::new());
        }
        let mut boxes = Vec::new();
        // A tall image (a long product-detail page) is read in tiles that overlap by a
        // quarter; a box belongs to the tile its centre falls in outside the overlap.
        let tile_h = h.min(w.saturating_mul(TILE_ASPECT_MAX).max(64));
        let step = if tile_h < h { tile_h * 3 / 4 } else { h };
        let mut top = 0u32;
        loop {
            let bottom = (top + tile_h).min(h);
            let tile = image::imageops::crop_imm(img, 0, top, w, bottom - top).to_image();
            let own_from = if top == 0 {
                0
            } else {
                top + (tile_h - step) / 2
            };
            let own_to = if bottom == h {
                h
            } else {
                top + step + (tile_h - step) / 2
            };
            for [x0, y0, x1, y1] in self.detect(&tile)? {
                let b = [x0, y0 + top, x1, y1 + top];
                let centre = (b[1] + b[3]) / 2;
                if centre >= own_from && centre < own_to {
                    boxes.push(b);
                }
            }
            if bottom == h {
                break;
            }
            top += step;
        }
        sort_reading_order(&mut boxes);
        let mut lines = Vec::new();
        for b in boxes {
            if let Some(line) = self.recognise(img, b)? {
                lines.push(line);
            }
        }
        Ok(lines)
    }

    /// Text boxes in `img` (pixels of `img`).
    fn detect(&self, img: &Picture) -> Result<Vec<[u32; 4]>, VisionError> {
        let (w, h) = img.dimensions();
        let scale = (DET_SIDE_MAX as f32 / w.max(h) as f32).min(1.0);
        let dw = round32(w as f32 * scale);
        let dh = round32(h as f32 * scale);
        let small = image::imageops::resize(img, dw, dh, image::imageops::FilterType::Triangle);
        const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
        const STD: [f32; 3] = [0.229, 0.224, 0.225];
        let (dwu, dhu) = (dw as usize, dh as usize);
        let mut data = vec![0f32; 3 * dwu * dhu];
        for (x, y, p) in small.enumerate_pixels() {
            let i = y as usize * dwu + x as usize;
            for c in 0..3 {
                data[c * dwu * dhu + i] = (f32::from(p[2 - c]) / 255.0 - MEAN[c]) / STD[c];
            }
        }
        let input = NdTensor::from_data([1, 3, dhu, dwu], data);
        let out = self
            .det
            .run_one(input.into(), self.options())
            .map_err(|e| VisionError::Run(e.to_string()))?;
        let prob: NdTensor<f32, 4> = out
            .try_into()
            .map_err(|_| VisionError::Run("the detector's output is not a 4-d map".into()))?;
        let (ph, pw) = (prob.size(2), prob.size(3));
        let map: Vec<f32> = prob.iter().copied().collect();
        let sx = w as f32 / pw as f32;
        let sy = h as f32 / ph as f32;
        let mut out = Vec::new();
        for r in regions(&map, pw, ph) {
            if r.pixels < 8 || r.sum / (r.pixels as f32) < BOX_THRESHOLD {
                continue;
            }
            let bw = (r.x1 - r.x0 + 1) as f32;
            let bh = (r.y1 - r.y0 + 1) as f32;
            let d = bw * bh * 1.5 / (2.0 * (bw + bh));
            let x0 = ((r.x0 as f32 - d) * sx).max(0.0) as u32;
            let y0 = ((r.y0 as f32 - d) * sy).max(0.0) as u32;
            let x1 = (((r.x1 + 1) as f32 + d) * sx).min(w as f32) as u32;
            let y1 = (((r.y1 + 1) as f32 + d) * sy).min(h as f32) as u32;
            if x1 > x0 + 3 && y1 > y0 + 3 {
                out.push([x0, y0, x1, y1]);
            }
        }
        Ok(out)
    }

    /// The text in one box, or `None` when it reads as nothing or as noise.
    fn recognise(&self, img: &Picture, b: [u32; 4]) -> Result<Option<TextLine>, VisionError> {
        let [x0, y0, x1, y1] = b;
        let (cw, ch) = (x1 - x0, y1 - y0);
        let crop = image::imageops::crop_imm(img, x0, y0, cw, ch).to_image();
        let full_w = ((cw as f32 * REC_HEIGHT as f32 / ch as f32).ceil() as u32).max(16);
        let mut text = String::new();
        let mut conf_sum = 0f32;
        let mut conf_n = 0usize;
        // A very long line is read in parts of at most REC_WIDTH_MAX (after scaling).
        let parts = full_w.div_ceil(REC_WIDTH_MAX);
        for part in 0..parts {
            let px0 = cw * part / parts;
            let px1 = cw * (part + 1) / parts;
            let piece = image::imageops::crop_imm(&crop, px0, 0, px1 - px0, ch).to_image();
            let tw = (full_w / parts).max(16);
            let r = image::imageops::resize(
                &piece,
                tw,
                REC_HEIGHT,
                image::imageops::FilterType::Triangle,
            );
            let (twu, thu) = (tw as usize, REC_HEIGHT as usize);
            let mut data = vec![0f32; 3 * twu * thu];
            for (x, y, p) in r.enumerate_pixels() {
                let i = y as usize * twu + x as usize;
                for c in 0..3 {
                    data[c * twu * thu + i] = (f32::from(p[2 - c]) / 255.0 - 0.5) / 0.5;
                }
            }
            let input = NdTensor::from_data([1, 3, thu, twu], data);
            let out = self
                .rec
                .run_one(input.into(), self.options())
                .map_err(|e| VisionError::Run(e.to_string()))?;
            let probs: NdTensor<f32, 3> = out.try_into().map_err(|_| {
                VisionError::Run("the recogniser's output is not a 3-d sequence".into())
            })?;
            let (steps, classes) = (probs.size(1), probs.size(2));
            let mut prev = 0usize;
            for t in 0..steps {
                let mut best = 0usize;
                let mut best_p = f32::MIN;
                for c in 0..classes {
                    let p = probs[[0, t, c]];
                    if p > best_p {
                        best_p = p;
                        best = c;
                    }
                }
                if best != 0 && best != prev {
                    match self.dict.get(best - 1) {
                        Some(s) => text.push_str(s),
                        None => text.push(' '),
                    }
                    conf_sum += best_p;
                    conf_n += 1;
                }
                prev = best;
            }
        }
        let text = self.scripts.unify(text.trim());
        if text.is_empty() || conf_n == 0 {
            return Ok(None);
        }
        let confidence = conf_sum / conf_n as f32;
        if confidence < LINE_CONFIDENCE_MIN {
            return Ok(None);
        }
        Ok(Some(TextLine {
            text,
            confidence,
            bbox: b,
        }))
    }
}

fn round32(v: f32) -> u32 {
    ((v / 32.0).round() as u32).max(1) * 32
}

/// A connected region of text pixels: its bounds, pixel count and summed probability.
struct Region {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    pixels: usize,
    sum: f32,
}

/// The 4-connected regions of `map` above `DET_THRESHOLD`.
fn regions(map: &[f32], w: usize, h: usize) -> Vec<Region> {
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] || map[start] <= DET_THRESHOLD {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut r = Region {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            pixels: 0,
            sum: 0.0,
        };
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            r.x0 = r.x0.min(x);
            r.x1 = r.x1.max(x);
            r.y0 = r.y0.min(y);
            r.y1 = r.y1.max(y);
            r.pixels += 1;
            r.sum += map[i];
            let mut visit = |j: usize| {
                if !seen[j] && map[j] > DET_THRESHOLD {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        out.push(r);
    }
    out
}

/// Top to bottom; boxes on the same line (vertical centres within half a box height of
/// each other) left to right.
fn sort_reading_order(boxes: &mut [[u32; 4]]) {
    boxes.sort_by_key(|b| (b[1] + b[3]) / 2);
    let mut i = 0;
    while i < boxes.len() {
        let mut j = i + 1;
        let centre = |b: &[u32; 4]| (b[1] + b[3]) / 2;
        while j < boxes.len()
            && centre(&boxes[j]).abs_diff(centre(&boxes[i])) <= (boxes[i][3] - boxes[i][1]) / 2
        {
            j += 1;
        }
        boxes[i..j].sort_by_key(|b| b[0]);
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::Scripts;

    #[test]
    fn traditional_misreads_in_simplified_lines_are_folded_and_traditional_lines_kept() {
        let s = Scripts::new();
        assert_eq!(s.unify("满299減50 可疊加"), "满299减50 可叠加");
        assert_eq!(s.unify("限時秒殺 全網最低價"), "限時秒殺 全網最低價");
        assert_eq!(s.unify("加微信 shop888"), "加微信 shop888");
        assert_eq!(s.unify("VX 13800138000"), "VX 13800138000");
    }
}
