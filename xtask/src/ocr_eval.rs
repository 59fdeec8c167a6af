//! `cargo xtask ocr-eval`: renders promo images whose text is known — varied fonts (Noto
//! Sans and Serif CJK, regular and bold, from Debian's fonts-noto-cjk), sizes, colours,
//! backgrounds (plain, gradient, dark, textured), slight rotation and noise — and measures
//! the character accuracy (1 − edit distance / characters, spaces ignored) and time per
//! image of PP-OCR (one thread) and Tesseract on the same images, and whether the rules
//! find in the read text the violations they find in the true text.
//!
//! ```sh
//! cargo xtask ocr-eval [--count 200] [--models DIR] [--out DIR] [--no-tesseract]
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use anyhow::Context;
use image::{Rgb, RgbImage};
use liveguard_core::{Channel, ProductCategory};
use liveguard_models::vision::OcrModels;
use liveguard_screen::{ScanContext, ScreenBuilder, ScreenConfig};

/// Lines a promo image says: plain product talk and violations, with digits and Latin.
const LINES: &[&str] = &[
    "限时秒杀 全网最低价",
    "加微信 shop888 领优惠券",
    "原价999元 现价仅需99元",
    "买一送一 包邮到家",
    "本品可治愈糖尿病 国家级认证",
    "第一品牌 100%有效 无副作用",
    "补水保湿 温和不刺激",
    "今晚8点 直播间见",
    "扫码进群 领取福利",
    "七天无理由退货 放心购",
    "纯棉面料 透气舒适",
    "敏感肌可用 质地清爽",
    "三天祛斑 永不反弹",
    "降血压降血糖 立竿见影",
    "下单即送 精美小样",
    "品牌官方旗舰店 正品保障",
    "月销10万+ 好评如潮",
    "新品上市 第二件半价",
    "专柜同款 假一赔十",
    "点击下方小黄车购买",
    "私信主播 下单更优惠",
    "坚果礼盒 1.5kg 装",
    "充电宝 20000mAh 快充",
    "儿童保温杯 316不锈钢",
    "抗癌防癌 延年益寿",
    "国家免检产品 绝对安全",
    "满299减50 可叠加",
    "今日下单 明日发货",
    "仅剩最后100件",
    "VX同号 13800138000",
];

struct Face {
    name: &'static str,
    bytes: Vec<u8>,
}

/// The four Noto CJK faces (Simplified Chinese is index 2 of each collection).
fn faces() -> anyhow::Result<Vec<Face>> {
    let dir = Path::new("/usr/share/fonts/opentype/noto");
    let names = [
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJK-Bold.ttc",
        "NotoSerifCJK-Regular.ttc",
        "NotoSerifCJK-Bold.ttc",
    ];
    names
        .iter()
        .map(|n| {
            let path = dir.join(n);
            Ok(Face {
                name: n,
                bytes: std::fs::read(&path).with_context(|| {
                    format!(
                        "{} (Debian: apt-get install fonts-noto-cjk)",
                        path.display()
                    )
                })?,
            })
        })
        .collect()
}

/// A small deterministic generator (64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next() % (hi - lo + 1)
    }
    fn unit(&mut self) -> f32 {
        self.next() as f32 / (u32::MAX >> 1) as f32
    }
}

/// One rendered image and its text.
pub(crate) struct Sample {
    pub(crate) image: RgbImage,
    pub(crate) truth: String,
    pub(crate) face: &'static str,
}

fn luminance(c: Rgb<u8>) -> f32 {
    0.299 * f32::from(c[0]) + 0.587 * f32::from(c[1]) + 0.114 * f32::from(c[2])
}

fn random_colour(rng: &mut Rng, light: bool) -> Rgb<u8> {
    let (lo, hi) = if light { (170, 255) } else { (0, 90) };
    Rgb([
        rng.range(lo, hi) as u8,
        rng.range(lo, hi) as u8,
        rng.range(lo, hi) as u8,
    ])
}

/// Renders image `i` of the set.
fn render(i: u64, faces: &[Face]) -> anyhow::Result<Sample> {
    let mut rng = Rng(0x5eed_0000 + i * 7919);
    let face = &faces[(i % faces.len() as u64) as usize];
    let font = FontRef::try_from_slice_and_index(&face.bytes, 2).context("font")?;
    let n_lines = rng.range(2, 4) as usize;
    let lines: Vec<&str> = (0..n_lines)
        .map(|_| LINES[rng.range(0, LINES.len() as u32 - 1) as usize])
        .collect();
    // Text from small print (16 px, detail-page notes) to headlines (60 px).
    let px = rng.range(16, 60) as f32;
    let scaled = font.as_scaled(PxScale::from(px));
    let widths: Vec<f32> = lines
        .iter()
        .map(|l| l.chars().map(|c| scaled.h_advance(font.glyph_id(c))).sum())
        .collect();
    let text_w = widths.iter().cloned().fold(0.0, f32::max);
    let line_h = px * rng.range(14, 20) as f32 / 10.0;
    let margin = rng.range(20, 80) as f32;
    let w = (text_w + 2.0 * margin) as u32;
    let h = (line_h * n_lines as f32 + 2.0 * margin) as u32;
    // Background: 0 plain light, 1 vertical gradient, 2 dark, 3 checked light, 4 light
    // with soft colour blobs (a product photo's bokeh behind the text).
    let style = rng.range(0, 4);
    let blobs: Vec<(f32, f32, f32, Rgb<u8>)> = (0..6)
        .map(|_| {
            (
                rng.unit(),
                rng.unit(),
                0.1 + 0.3 * rng.unit(),
                random_colour(&mut rng, true),
            )
        })
        .collect();
    let (a, b) = match style {
        2 => (
            random_colour(&mut rng, false),
            random_colour(&mut rng, false),
        ),
        _ => (random_colour(&mut rng, true), random_colour(&mut rng, true)),
    };
    let mut img = RgbImage::from_fn(w, h, |x, y| match style {
        1 | 2 => {
            let t = y as f32 / h as f32;
            Rgb([0, 1, 2].map(|c| (f32::from(a[c]) * (1.0 - t) + f32::from(b[c]) * t) as u8))
        }
        3 => {
            let band = ((x / 12 + y / 12) % 2) as u8 * 18;
            Rgb([a[0].saturating_sub(band), a[1].saturating_sub(band), a[2]])
        }
        4 => {
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let mut p = [f32::from(a[0]), f32::from(a[1]), f32::from(a[2])];
            for (bx, by, r, c) in &blobs {
                let d = ((fx - bx).powi(2) + (fy - by).powi(2)).sqrt() / r;
                if d < 1.0 {
                    let k = 0.6 * (1.0 - d);
                    for ch in 0..3 {
                        p[ch] = p[ch] * (1.0 - k) + f32::from(c[ch]) * k;
                    }
                }
            }
            Rgb(p.map(|v| v as u8))
        }
        _ => a,
    });
    let ink = if luminance(a) > 128.0 {
        random_colour(&mut rng, false)
    } else {
        Rgb([
            rng.range(220, 255) as u8,
            rng.range(200, 255) as u8,
            rng.range(120, 255) as u8,
        ])
    };
    for (k, line) in lines.iter().enumerate() {
        let mut x = margin;
        let baseline = margin + line_h * k as f32 + scaled.ascent();
        for c in line.chars() {
            let id = font.glyph_id(c);
            let glyph = id.with_scale_and_position(PxScale::from(px), ab_glyph::point(x, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    let (px_, py_) = (
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                    );
                    if px_ >= 0 && py_ >= 0 && (px_ as u32) < w && (py_ as u32) < h {
                        let p = img.get_pixel_mut(px_ as u32, py_ as u32);
                        for ch in 0..3 {
                            p[ch] =
                                (f32::from(p[ch]) * (1.0 - cov) + f32::from(ink[ch]) * cov) as u8;
                        }
                    }
                });
            }
            x += scaled.h_advance(id);
        }
    }
    // Slight rotation (−3° … 3°) about the centre, edges filled from the nearest pixel.
    let angle = (rng.unit() * 6.0 - 3.0).to_radians();
    let img = rotate(&img, angle);
    // Noise of up to ±16 per channel.
    let amp = rng.range(0, 16) as i32;
    let mut img = img;
    if amp > 0 {
        for p in img.pixels_mut() {
            for ch in 0..3 {
                let n = (rng.next() % (2 * amp as u32 + 1)) as i32 - amp;
                p[ch] = (i32::from(p[ch]) + n).clamp(0, 255) as u8;
            }
        }
    }
    Ok(Sample {
        image: img,
        truth: lines.join("\n"),
        face: face.name,
    })
}

fn rotate(img: &RgbImage, angle: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (s, c) = angle.sin_cos();
    RgbImage::from_fn(w, h, |x, y| {
        let dx = x as f32 - cx;
        let dy = y as f32 - cy;
        let sx = (c * dx + s * dy + cx).clamp(0.0, (w - 1) as f32);
        let sy = (-s * dx + c * dy + cy).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let p = |xx, yy| img.get_pixel(xx, yy);
        Rgb([0, 1, 2].map(|ch| {
            let top = f32::from(p(x0, y0)[ch]) * (1.0 - fx) + f32::from(p(x1, y0)[ch]) * fx;
            let bottom = f32::from(p(x0, y1)[ch]) * (1.0 - fx) + f32::from(p(x1, y1)[ch]) * fx;
            (top * (1.0 - fy) + bottom * fy) as u8
        }))
    })
}

/// Edit distance between two character sequences.
fn edits(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn chars(s: &str) -> Vec<char> {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn tesseract(png: &[u8]) -> anyhow::Result<String> {
    let mut child = Command::new("tesseract")
        .args(["stdin", "stdout", "-l", "chi_sim+eng", "--psm", "6"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("tesseract (Debian: tesseract-ocr tesseract-ocr-chi-sim)")?;
    child.stdin.take().context("stdin")?.write_all(png)?;
    let out = child.wait_with_output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[derive(Default)]
struct Tally {
    chars: usize,
    edits: usize,
    time: Duration,
    images: usize,
    exact: usize,
    rules_truth: usize,
    rules_found: usize,
}

impl Tally {
    fn add(&mut self, truth: &str, read: &str, time: Duration, screen: &liveguard_screen::Screen) {
        let t = chars(truth);
        let r = chars(read);
        let e = edits(&t, &r);
        self.chars += t.len();
        self.edits += e;
        self.exact += usize::from(e == 0);
        self.time += time;
        self.images += 1;
        let ctx = ScanContext::new(Channel::ImageText, ProductCategory::General);
        let rules = |text: &str| -> std::collections::BTreeSet<String> {
            screen
                .scan(text, ctx)
                .findings
                .iter()
                .filter(|f| f.model.is_none())
                .map(|f| f.rule.to_string())
                .collect()
        };
        let want = rules(truth);
        let got = rules(read);
        self.rules_truth += want.len();
        self.rules_found += want.intersection(&got).count();
    }
    fn accuracy(&self) -> f64 {
        1.0 - self.edits as f64 / self.chars.max(1) as f64
    }
    fn report(&self, name: &str) {
        println!(
            "{name:<22} char accuracy {:.4} ({} edits / {} chars), exact images {}/{}, violations found {}/{} ({:.3}), {:.0} ms/image",
            self.accuracy(),
            self.edits,
            self.chars,
            self.exact,
            self.images,
            self.rules_found,
            self.rules_truth,
            self.rules_found as f64 / self.rules_truth.max(1) as f64,
            self.time.as_secs_f64() * 1000.0 / self.images.max(1) as f64
        );
    }
}

/// Loads the PP-OCR models from `dir`.
pub(crate) fn load_models(dir: &Path) -> anyhow::Result<OcrModels> {
    let read = |f: &str| {
        std::fs::read(dir.join(f)).with_context(|| {
            format!(
                "{} (fetch with scripts/fetch-ocr-models.sh {})",
                dir.join(f).display(),
                dir.display()
            )
        })
    };
    Ok(OcrModels::from_bytes(
        read("PP-OCRv6_det_small.rten")?,
        read("PP-OCRv6_rec_small.rten")?,
        &String::from_utf8(read("ppocrv6_dict.txt")?)?,
        "pp-ocrv6-small-0.1.0",
    )?)
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut count = 200u64;
    let mut models_dir = std::env::var("LIVEGUARD_TEST_OCR_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| crate::workspace_root().join("target/ocr-models"));
    let mut out: Option<PathBuf> = None;
    let mut with_tesseract = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--count" => count = it.next().context("--count N")?.parse()?,
            "--models" => models_dir = PathBuf::from(it.next().context("--models DIR")?),
            "--out" => out = Some(PathBuf::from(it.next().context("--out DIR")?)),
            "--no-tesseract" => with_tesseract = false,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let models = load_models(&models_dir)?.with_threads(1);
    let faces = faces()?;
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    liveguard_screen::defaults::add_default_packs(&mut b)?;
    let screen = b.build()?;
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)?;
    }
    let mut pp = Tally::default();
    let mut tess = Tally::default();
    let mut per_face: std::collections::BTreeMap<&str, Tally> = Default::default();
    let mut worst: Vec<(f64, String, String)> = Vec::new();
    for i in 0..count {
        let s = render(i, &faces)?;
        let mut png = Vec::new();
        s.image
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
        if let Some(dir) = &out {
            std::fs::write(dir.join(format!("{i:03}.png")), &png)?;
            std::fs::write(dir.join(format!("{i:03}.txt")), &s.truth)?;
        }
        let start = Instant::now();
        let img = liveguard_models::vision::decode(&png, 40_000_000)?;
        let lines = models.read(&img)?;
        let took = start.elapsed();
        let read: Vec<String> = lines.into_iter().map(|l| l.text).collect();
        let read = read.join("\n");
        pp.add(&s.truth, &read, took, &screen);
        per_face
            .entry(s.face)
            .or_default()
            .add(&s.truth, &read, took, &screen);
        let t = chars(&s.truth);
        let acc = 1.0 - edits(&t, &chars(&read)) as f64 / t.len().max(1) as f64;
        worst.push((acc, s.truth.replace('\n', " / "), read.replace('\n', " / ")));
        if with_tesseract {
            let start = Instant::now();
            let text = tesseract(&png)?;
            tess.add(&s.truth, &text, start.elapsed(), &screen);
        }
    }
    println!(
        "{count} rendered promo images (seeded; fonts: Noto Sans/Serif CJK SC regular and bold)"
    );
    pp.report("PP-OCRv6 small (rten)");
    if with_tesseract {
        tess.report("Tesseract chi_sim");
    }
    for (face, t) in &per_face {
        t.report(&format!("  PP-OCR {}", face.trim_end_matches(".ttc")));
    }
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("lowest PP-OCR images:");
    for (acc, truth, read) in worst.iter().take(5) {
        println!("  {acc:.3}  {truth}  →  {read}");
    }
    Ok(())
}
