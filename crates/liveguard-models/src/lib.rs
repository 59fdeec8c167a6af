//! Learned second opinions for what word rules cannot reach.
//!
//! The one crate that knows model formats and runs inference. It reads models from bytes
//! (the caller loads the file: no I/O, no downloads, no logging here) and answers with a
//! score and the model's version, so every finding made from it can say which model said
//! so.
//!
//! [`TextClassifier`] is a linear model over hashed character n-grams of the folded text
//! (the same folding as the rules: full width, traditional characters, inserted symbols
//! and repeats are undone first). It is small (a few hundred KB), needs no runtime, and
//! scores tens of thousands of comments a second on one core. [`train`] fits one by
//! logistic regression (AdaGrad, L2), deterministically.
//!
//! File format (`LGTC`, little endian): magic `LGTC`, format version `u32` = 1, bucket
//! bits `u32`, n-gram orders `u32` (bit n set = n-grams of n characters), threshold `f32`,
//! bias `f32`, weight scale `f32`, then `2^bits` weights as `i8` (weight = q × scale),
//! then the version label as UTF-8 to the end.
#![deny(missing_docs)]

use liveguard_normalize::{NormalizeConfig, Normalizer};

#[cfg(feature = "encoder")]
pub mod encoder;
#[cfg(feature = "vision")]
pub mod vision;

/// Why a model could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Not a model of this kind, or truncated.
    #[error("not a liveguard text classifier ({0})")]
    Format(String),
}

/// A linear classifier over hashed character n-grams.
#[derive(Clone)]
pub struct TextClassifier {
    bits: u32,
    orders: u32,
    threshold: f32,
    bias: f32,
    weights: Vec<f32>,
    version: String,
    normalizer: std::sync::Arc<Normalizer>,
}

impl std::fmt::Debug for TextClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextClassifier")
            .field("version", &self.version)
            .field("buckets", &self.weights.len())
            .field("threshold", &self.threshold)
            .finish()
    }
}

const MAGIC: &[u8; 4] = b"LGTC";
const FORMAT: u32 = 1;
/// Longest text scored, in characters (a comment is short; a long text is cut).
pub const TEXT_CHARS_MAX: usize = 512;

/// FNV-1a over `bytes`, starting from `seed`.
fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The hashed features of `text`: one bucket per character n-gram of each order in
/// `orders`, over the folded text without spaces; each weighs 1/√count.
fn features(normalizer: &Normalizer, text: &str, bits: u32, orders: u32, out: &mut Vec<u32>) {
    out.clear();
    let folded = normalizer.normalize_str(text);
    let chars: Vec<char> = folded
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(TEXT_CHARS_MAX)
        .collect();
    let mask = (1u64 << bits) - 1;
    let mut buf = [0u8; 64];
    for n in 1..=4usize {
        if orders & (1 << n) == 0 || chars.len() < n {
            continue;
        }
        for w in chars.windows(n) {
            let mut len = 0;
            for c in w {
                len += c.encode_utf8(&mut buf[len..]).len();
            }
            out.push((fnv(n as u64, &buf[..len]) & mask) as u32);
        }
    }
}

impl TextClassifier {
    /// Reads a model from its file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<TextClassifier, ModelError> {
        let bad = |why: &str| ModelError::Format(why.to_string());
        if bytes.len() < 28 || &bytes[..4] != MAGIC {
            return Err(bad("no LGTC header"));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        let f32_at = |i: usize| f32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        if u32_at(4) != FORMAT {
            return Err(bad("unknown format version"));
        }
        let bits = u32_at(8);
        if !(8..=24).contains(&bits) {
            return Err(bad("bucket bits out of range"));
        }
        let orders = u32_at(12);
        let (threshold, bias, scale) = (f32_at(16), f32_at(20), f32_at(24));
        let n = 1usize << bits;
        let Some(q) = bytes.get(28..28 + n) else {
            return Err(bad("truncated weights"));
        };
        let version = std::str::from_utf8(&bytes[28 + n..])
            .map_err(|_| bad("version label is not UTF-8"))?
            .to_string();
        if version.is_empty() || version.len() > 200 {
            return Err(bad("missing version label"));
        }
        Ok(TextClassifier {
            bits,
            orders,
            threshold,
            bias,
            weights: q.iter().map(|&b| f32::from(b as i8) * scale).collect(),
            version,
            normalizer: std::sync::Arc::new(Normalizer::new(NormalizeConfig::full())),
        })
    }

    /// The model as file bytes (weights quantized to 8 bits).
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let mut out = Vec::with_capacity(28 + self.weights.len() + self.version.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&self.orders.to_le_bytes());
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend(
            self.weights
                .iter()
                .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8 as u8),
        );
        out.extend_from_slice(self.version.as_bytes());
        out
    }

    /// The model's version label (recorded with every finding made from it).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The score at and above which a text is flagged.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Sets the flagging threshold (chosen on held-out data when training).
    pub fn with_threshold(mut self, threshold: f32) -> TextClassifier {
        self.threshold = threshold;
        self
    }

    /// The probability (0–1) that `text` belongs to the positive class.
    pub fn score(&self, text: &str) -> f32 {
        let mut f = Vec::new();
        self.score_with(text, &mut f)
    }

    /// [`TextClassifier::score`] with a reusable feature buffer.
    pub fn score_with(&self, text: &str, buf: &mut Vec<u32>) -> f32 {
        features(&self.normalizer, text, self.bits, self.orders, buf);
        sigmoid(self.margin(buf))
    }

    fn margin(&self, f: &[u32]) -> f32 {
        if f.is_empty() {
            return self.bias;
        }
        let norm = 1.0 / (f.len() as f32).sqrt();
        self.bias + f.iter().map(|&i| self.weights[i as usize]).sum::<f32>() * norm
    }
}

/// The exemplar most like `text` (Jaccard similarity of their folded character bigrams),
/// with the similarity; `None` when none shares a bigram.
pub fn nearest<'a>(text: &str, exemplars: &'a [String]) -> Option<(&'a str, f32)> {
    // Building a normalizer is far dearer than using one: once per process.
    static NORMALIZER: std::sync::OnceLock<Normalizer> = std::sync::OnceLock::new();
    let normalizer = NORMALIZER.get_or_init(|| Normalizer::new(NormalizeConfig::full()));
    let grams = |t: &str| {
        let chars: Vec<char> = normalizer
            .normalize_str(t)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let mut set: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
        set.sort_unstable();
        set.dedup();
        set
    };
    let a = grams(text);
    exemplars
        .iter()
        .filter_map(|e| {
            let b = grams(e);
            let shared = a.iter().filter(|g| b.binary_search(g).is_ok()).count();
            let union = a.len() + b.len() - shared;
            (shared > 0).then(|| (e.as_str(), shared as f32 / union.max(1) as f32))
        })
        .max_by(|x, y| x.1.total_cmp(&y.1))
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// How to fit a [`TextClassifier`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// log2 of the number of feature buckets.
    pub bits: u32,
    /// Character n-gram orders (bit n set = n-grams of n characters).
    pub orders: u32,
    /// Passes over the data.
    pub epochs: u32,
    /// AdaGrad learning rate.
    pub rate: f32,
    /// L2 penalty per update.
    pub l2: f32,
    /// Shuffling seed (training is deterministic for a seed).
    pub seed: u64,
    /// The version label written into the model.
    pub version: String,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            bits: 18,
            orders: (1 << 1) | (1 << 2),
            epochs: 8,
            rate: 0.3,
            l2: 1e-6,
            seed: 0x1ee7,
            version: "untrained".into(),
        }
    }
}

/// Fits a classifier to `examples` (text, positive) by logistic regression; the threshold
/// is 0.5 until the caller chooses one on held-out data.
pub fn train(examples: &[(&str, bool)], opts: &TrainOptions) -> TextClassifier {
    let normalizer = std::sync::Arc::new(Normalizer::new(NormalizeConfig::full()));
    let n = 1usize << opts.bits;
    let data: Vec<(Vec<u32>, f32)> = examples
        .iter()
        .map(|(t, y)| {
            let mut f = Vec::new();
            features(&normalizer, t, opts.bits, opts.orders, &mut f);
            (f, if *y { 1.0 } else { 0.0 })
        })
        .collect();
    let mut m = TextClassifier {
        bits: opts.bits,
        orders: opts.orders,
        threshold: 0.5,
        bias: 0.0,
        weights: vec![0.0; n],
        version: opts.version.clone(),
        normalizer,
    };
    let mut g2 = vec![1e-8f32; n];
    let mut b2 = 1e-8f32;
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut state = opts.seed | 1;
    for _ in 0..opts.epochs {
        // Fisher–Yates with a xorshift stream: the same seed, the same model.
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        for &k in &order {
            let (f, y) = &data[k];
            let g = sigmoid(m.margin(f)) - y;
            let norm = if f.is_empty() {
                0.0
            } else {
                1.0 / (f.len() as f32).sqrt()
            };
            for &i in f {
                let i = i as usize;
                let grad = g * norm + opts.l2 * m.weights[i];
                g2[i] += grad * grad;
                m.weights[i] -= opts.rate * grad / g2[i].sqrt();
            }
            b2 += g * g;
            m.bias -= opts.rate * g / b2.sqrt();
        }
    }
    m
}

/// Precision, recall and F1 of `model` on `examples` at its threshold.
pub fn evaluate(model: &TextClassifier, examples: &[(&str, bool)]) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut buf = Vec::new();
    for (t, y) in examples {
        let flagged = model.score_with(t, &mut buf) >= model.threshold;
        match (flagged, *y) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fn_).max(1) as f64;
    let f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f1)
}

/// The threshold (among the scores seen) with the best F1 on `examples`.
pub fn best_threshold(model: &TextClassifier, examples: &[(&str, bool)]) -> f32 {
    let mut buf = Vec::new();
    let mut scored: Vec<(f32, bool)> = examples
        .iter()
        .map(|(t, y)| (model.score_with(t, &mut buf), *y))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = scored.iter().filter(|s| s.1).count().max(1) as f64;
    let (mut tp, mut fp) = (0f64, 0f64);
    let (mut best, mut best_f1) = (0.5f32, -1f64);
    for (score, y) in scored {
        if y {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let (p, r) = (tp / (tp + fp), tp / positives);
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        if f1 > best_f1 {
            best_f1 = f1;
            best = score;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<(&'static str, bool)> {
        let mut v = Vec::new();
        for _ in 0..20 {
            v.push(("你这个蠢货滚出去", true));
            v.push(("这种人都是垃圾", true));
            v.push(("主播声音好好听", false));
            v.push(("衣服什么时候发货", false));
        }
        v
    }

    #[test]
    fn it_learns_separates_and_survives_a_round_trip_through_bytes() {
        let opts = TrainOptions {
            bits: 12,
            version: "toy-1".into(),
            ..Default::default()
        };
        let m = train(&toy(), &opts);
        assert!(m.score("你是蠢货") > 0.5, "{}", m.score("你是蠢货"));
        assert!(m.score("什么时候发货") < 0.5);
        let back = TextClassifier::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.version(), "toy-1");
        for t in ["你是蠢货", "什么时候发货", ""] {
            assert!((back.score(t) - m.score(t)).abs() < 0.02, "{t}");
        }
        let (p, r, f1) = evaluate(&back, &toy());
        assert!(p > 0.99 && r > 0.99 && f1 > 0.99);
        // Folding applies: full width and traditional characters score as their plain forms.
        assert!((back.score("你是蠢貨") - back.score("你是蠢货")).abs() < 1e-6);
    }

    #[test]
    fn training_is_deterministic_and_bad_files_are_refused() {
        let opts = TrainOptions {
            bits: 10,
            version: "toy".into(),
            ..Default::default()
        };
        assert_eq!(
            train(&toy(), &opts).to_bytes(),
            train(&toy(), &opts).to_bytes()
        );
        assert!(TextClassifier::from_bytes(b"nope").is_err());
        let mut bytes = train(&toy(), &opts).to_bytes();
        bytes.truncate(100);
        assert!(TextClassifier::from_bytes(&bytes).is_err());
    }
}
