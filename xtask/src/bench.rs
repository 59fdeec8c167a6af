//! `cargo xtask bench [--mb N] [--record] [--encoder FILE]`: the engine's speed and size
//! numbers (with `--encoder`, also the claim model's second stage on transcript lines).
//!
//! 1. A 100,000-term custom lexicon: build time and resident memory (measured first, on a
//!    small process, so the corpus does not inflate the resident-set figures).
//! 2. Throughput, single thread, on at least N MB (default 64) of generated live-commerce
//!    text (see corpus.rs), with every default pack and full normalization.
//! 3. The same corpus through a plain Aho-Corasick automaton over the same patterns, on the
//!    raw text without normalization (the baseline the engine should stay within 2× of).
//! 4. Latency of single ~30-character comments (p50, p99).
//!
//! Each run checks its counts against `bench/expected.json` (same size and seed), so a fast
//! but wrong engine fails; `--record` rewrites that file after a deliberate change.

use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use anyhow::Context;
use liveguard_core::{Channel, ProductCategory, Severity};
use liveguard_screen::{
    ScanContext, Scratch, Screen, ScreenBuilder, ScreenConfig, defaults, lexicon,
};

use crate::corpus::{self, Rng};

const SEED: u64 = 20_261_126;
const MIB: usize = 1024 * 1024;

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut mb = 64usize;
    let mut record = false;
    let mut encoder_file: Option<std::path::PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mb" => mb = it.next().context("--mb needs a number")?.parse()?,
            "--record" => record = true,
            "--encoder" => encoder_file = Some(it.next().context("--encoder needs a file")?.into()),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let root = crate::workspace_root();

    // 1. Lexicon build and memory.
    let rss_before = rss_kib();
    let lexicon_text = lexicon_terms(100_000);
    let t = Instant::now();
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    defaults::add_default_packs(&mut b)?;
    b.add_pack(lexicon::parse_lexicon(
        &lexicon_text,
        "bench-lexicon",
        "custom",
    )?);
    let big = b.build()?;
    let lexicon_build = t.elapsed();
    let rss_after = rss_kib();
    let hwm = hwm_kib();
    let big_patterns = big.pattern_count();
    let big_automaton = big.automaton_bytes();
    let sample = "这瓶神仙水真的很好用";
    let _ = big.scan(
        sample,
        ScanContext::new(Channel::Comment, ProductCategory::General),
    );
    drop(big);
    drop(lexicon_text);

    // 2. Corpus and engine throughput.
    let cold_dir = root.join("../shared/data/cold");
    let cold = corpus::cold_comments(&cold_dir)?;
    let lines = corpus::generate(mb * MIB, SEED, &cold);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let t = Instant::now();
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    defaults::add_default_packs(&mut b)?;
    let screen = b.build()?;
    let default_build = t.elapsed();
    let ctx = ScanContext::new(Channel::Transcript, ProductCategory::General);

    let mut engine_best = Duration::MAX;
    let mut counts = Counts::default();
    for _ in 0..3 {
        let (elapsed, c) = scan_all(&screen, &lines, ctx);
        engine_best = engine_best.min(elapsed);
        counts = c;
    }

    // 3. Raw Aho-Corasick baseline over the same patterns, no normalization.
    let raw = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(screen.patterns())?;
    let mut raw_best = Duration::MAX;
    let mut raw_matches = 0usize;
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0usize;
        for l in &lines {
            n += raw.find_overlapping_iter(l.as_str()).count();
        }
        raw_best = raw_best.min(t.elapsed());
        raw_matches = n;
    }

    // 3b. daachorse charwise, same patterns, overlapping, raw text.
    let daac: daachorse::CharwiseDoubleArrayAhoCorasick<u32> =
        daachorse::CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(daachorse::MatchKind::Standard)
            .build(screen.patterns())
            .map_err(|e| anyhow::anyhow!("daachorse: {e}"))?;
    let mut daac_best = Duration::MAX;
    let mut daac_matches = 0usize;
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0usize;
        for l in &lines {
            n += daac.find_overlapping_iter(l.as_str()).count();
        }
        daac_best = daac_best.min(t.elapsed());
        daac_matches = n;
    }

    // 3c. Phase costs: normalization alone, and normalization plus the automaton over folded text.
    let normalizer = screen.normalizer();
    let mut folded = liveguard_normalize::Normalized::default();
    let mut norm_best = Duration::MAX;
    let mut norm_daac_best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for l in &lines {
            normalizer.normalize_into(l, &mut folded);
            std::hint::black_box(folded.as_str().len());
        }
        norm_best = norm_best.min(t.elapsed());
        let t = Instant::now();
        let mut n = 0usize;
        for l in &lines {
            normalizer.normalize_into(l, &mut folded);
            n += daac.find_overlapping_iter(folded.as_str()).count();
        }
        norm_daac_best = norm_daac_best.min(t.elapsed());
        std::hint::black_box(n);
    }

    // 4. Latency of single comments around 30 characters.
    let comments = comment_sample(&cold, 100_000);
    let mut scratch = Scratch::default();
    let cctx = ScanContext::new(Channel::Comment, ProductCategory::General);
    for c in comments.iter().take(1000) {
        let _ = screen.scan_with(&mut scratch, c, cctx);
    }
    let mut lat: Vec<u64> = Vec::with_capacity(comments.len());
    for c in &comments {
        let t = Instant::now();
        let r = screen.scan_with(&mut scratch, c, cctx);
        lat.push(t.elapsed().as_nanos() as u64);
        std::hint::black_box(r);
    }
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    let mean_chars =
        comments.iter().map(|c| c.chars().count()).sum::<usize>() as f64 / comments.len() as f64;

    // 4b. The comment classifier alone, one core: every sampled comment scored, best of 3.
    let model = liveguard_models::TextClassifier::from_bytes(defaults::COMMENT_MODEL)?;
    let mut feats = Vec::new();
    let mut model_best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let mut flagged = 0usize;
        for c in &comments {
            if model.score_with(c, &mut feats) >= model.threshold() {
                flagged += 1;
            }
        }
        model_best = model_best.min(t.elapsed());
        std::hint::black_box(flagged);
    }
    let model_rate = comments.len() as f64 / model_best.as_secs_f64();
    // 4c. The claim model alone on transcript-sized lines of the corpus, one core.
    let claims = liveguard_models::TextClassifier::from_bytes(defaults::CLAIM_MODEL)?;
    let segments: Vec<&String> = lines.iter().take(100_000).collect();
    let mut claim_best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let mut flagged = 0usize;
        for l in &segments {
            if claims.score_with(l, &mut feats) >= claims.threshold() {
                flagged += 1;
            }
        }
        claim_best = claim_best.min(t.elapsed());
        std::hint::black_box(flagged);
    }
    let claim_rate = segments.len() as f64 / claim_best.as_secs_f64();
    // 4d. With `--encoder FILE`: the whole screen on transcript lines with the learned models,
    //     first stage only and with the second stage (run with RAYON_NUM_THREADS=1 for one
    //     core: the encoder's matrix products use the rayon pool).
    let second_stage = match &encoder_file {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
            let t = Instant::now();
            let encoder = std::sync::Arc::new(liveguard_models::encoder::Encoder::from_bytes(
                &bytes,
                liveguard_models::encoder::E5_VERSION,
            )?);
            let load = t.elapsed();
            let build = |second: bool| -> anyhow::Result<Screen> {
                let mut b = ScreenBuilder::new(ScreenConfig::default_config());
                defaults::add_default_packs(&mut b)?;
                defaults::add_default_models(&mut b)?;
                if second {
                    defaults::add_claim_encoder(&mut b, encoder.clone())?;
                }
                Ok(b.build()?)
            };
            let lines20k: Vec<&String> = lines.iter().take(20_000).collect();
            let mut rates = Vec::new();
            let mut model_findings = Vec::new();
            for second in [false, true] {
                let s = build(second)?;
                let mut scratch = Scratch::default();
                let t = Instant::now();
                let mut found = 0usize;
                for l in &lines20k {
                    found += s
                        .scan_with(&mut scratch, l, ctx)
                        .findings
                        .iter()
                        .filter(|f| f.model.is_some())
                        .count();
                }
                rates.push(lines20k.len() as f64 / t.elapsed().as_secs_f64());
                model_findings.push(found);
            }
            Some((load, rates, model_findings, lines20k.len()))
        }
    };

    // 5. Pre-broadcast review: a 5,000-character script against a plan of 20 products, worst
    //    case — the script screened once in each product's context plus each product's checks.
    let script: String = lines
        .iter()
        .take(4000)
        .flat_map(|l| l.chars().chain(std::iter::once('\n')))
        .take(5000)
        .collect();
    let plan = review_plan();
    let session_day = 20_788;
    let mut review_times: Vec<f64> = Vec::new();
    let mut review_findings = 0usize;
    for _ in 0..20 {
        let t = Instant::now();
        let mut n = 0usize;
        for product in &plan {
            let ctx = ScanContext::new(
                Channel::Script,
                product.category.unwrap_or(ProductCategory::General),
            );
            n += screen.scan(&script, ctx).findings.len();
            n += liveguard_screen::product::check_product(&script, product, session_day).len();
        }
        review_times.push(t.elapsed().as_secs_f64() * 1e3);
        review_findings = n;
    }
    review_times.sort_by(f64::total_cmp);

    let mbps = |d: Duration| bytes as f64 / MIB as f64 / d.as_secs_f64();
    println!(
        "corpus: {} lines, {:.1} MiB (seed {SEED}; {} COLD comments available)",
        lines.len(),
        bytes as f64 / MIB as f64,
        cold.len()
    );
    println!(
        "default packs: {} rules, {} patterns, automaton {:.1} MiB, build {:.1} ms",
        screen.rules().count(),
        screen.pattern_count(),
        screen.automaton_bytes() as f64 / MIB as f64,
        default_build.as_secs_f64() * 1e3
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| liveguard scan, default packs, full normalization, 1 thread | {:.1} MB/s ({:.3} s) |",
        mbps(engine_best),
        engine_best.as_secs_f64()
    );
    println!(
        "| raw Aho-Corasick (aho-corasick DFA, same {} patterns, no normalization) | {:.1} MB/s ({:.3} s) |",
        screen.pattern_count(),
        mbps(raw_best),
        raw_best.as_secs_f64()
    );
    println!(
        "| raw daachorse charwise (same patterns, overlapping, no normalization; {daac_matches} matches) | {:.1} MB/s ({:.3} s) |",
        mbps(daac_best),
        daac_best.as_secs_f64()
    );
    println!(
        "| phase: normalization alone | {:.1} MB/s ({:.3} s) |",
        mbps(norm_best),
        norm_best.as_secs_f64()
    );
    println!(
        "| phase: normalization + automaton on folded text | {:.1} MB/s ({:.3} s) |",
        mbps(norm_daac_best),
        norm_daac_best.as_secs_f64()
    );
    println!(
        "| cost of liveguard relative to raw scan | {:.2}× |",
        engine_best.as_secs_f64() / raw_best.as_secs_f64()
    );
    println!(
        "| findings (all / review or above) | {} / {} |",
        counts.findings, counts.review_or_above
    );
    println!("| raw automaton matches on original text | {raw_matches} |");
    println!(
        "| 100k-term lexicon: build (defaults + lexicon, {big_patterns} patterns) | {:.2} s |",
        lexicon_build.as_secs_f64()
    );
    println!(
        "| 100k-term lexicon: automaton memory | {:.1} MiB |",
        big_automaton as f64 / MIB as f64
    );
    println!(
        "| 100k-term lexicon: resident memory after build (before: {:.1} MiB) | {:.1} MiB (peak {:.1} MiB) |",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!(
        "| comment latency, {} comments of {mean_chars:.1} chars on average: p50 / p99 / max | {:.2} / {:.2} / {:.2} µs |",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat[lat.len() - 1] as f64 / 1000.0
    );

    println!(
        "| comment classifier `{}` alone, {} comments, one core | {:.0} comments/s |",
        model.version(),
        comments.len(),
        model_rate
    );

    println!(
        "| claim model `{}` alone, {} corpus lines, one core | {:.0} segments/s |",
        claims.version(),
        segments.len(),
        claim_rate
    );

    if let Some((load, rates, found, n)) = &second_stage {
        println!(
            "| whole screen with the learned models, {n} corpus lines as transcript: claim model first stage only / with the e5 second stage (encoder loaded in {:.2} s) | {:.0} / {:.0} segments/s ({} / {} model findings) |",
            load.as_secs_f64(),
            rates[0],
            rates[1],
            found[0],
            found[1]
        );
    }

    println!(
        "| review: {}-character script × {} products (scan in each product's context + product checks), 20 runs: median / max | {:.1} / {:.1} ms ({review_findings} findings) |",
        script.chars().count(),
        plan.len(),
        review_times[review_times.len() / 2],
        review_times[review_times.len() - 1]
    );

    let expected_path = root.join("bench/expected.json");
    let actual = serde_json::json!({
        "mb": mb, "seed": SEED, "cold_comments": cold.len(), "lines": lines.len(), "bytes": bytes,
        "findings": counts.findings, "review_or_above": counts.review_or_above, "raw_matches": raw_matches,
    });
    if record {
        std::fs::create_dir_all(root.join("bench"))?;
        std::fs::write(
            &expected_path,
            serde_json::to_string_pretty(&actual)? + "\n",
        )?;
        println!("recorded {}", expected_path.display());
    } else if let Ok(text) = std::fs::read_to_string(&expected_path) {
        let expected: serde_json::Value = serde_json::from_str(&text)?;
        if expected["mb"] == actual["mb"] && expected["cold_comments"] == actual["cold_comments"] {
            anyhow::ensure!(
                expected == actual,
                "counts differ from bench/expected.json:\nexpected {expected}\nactual   {actual}"
            );
            println!("counts match bench/expected.json");
        } else {
            println!("note: bench/expected.json is for another size or corpus; counts not checked");
        }
    }
    Ok(())
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    findings: usize,
    review_or_above: usize,
}

fn scan_all(screen: &Screen, lines: &[String], ctx: ScanContext) -> (Duration, Counts) {
    let mut scratch = Scratch::default();
    let mut c = Counts::default();
    let t = Instant::now();
    for l in lines {
        let r = screen.scan_with(&mut scratch, l, ctx);
        c.findings += r.findings.len();
        c.review_or_above += r
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Review)
            .count();
    }
    (t.elapsed(), c)
}

/// Twenty products of mixed categories, with facts and a week of prices.
fn review_plan() -> Vec<liveguard_screen::product::Product> {
    use liveguard_screen::product::{Disclosure, Product};
    let categories = [
        ProductCategory::Cosmetics,
        ProductCategory::Food,
        ProductCategory::HealthFood,
        ProductCategory::Clothing,
        ProductCategory::Electronics,
    ];
    (0..20)
        .map(|i| Product {
            name: format!("商品{i}"),
            category: Some(categories[i % categories.len()]),
            cosmetic_filing: Some(format!("浙G妆网备字2026{i:06}")),
            registration: Some(format!("国食健注G2026{i:04}")),
            sc_number: Some(format!("SC1063301000{i:04}")),
            approved_claims: vec!["增强免疫力".into()],
            disclosures: vec![
                (Disclosure::Ingredients, "见包装".into()),
                (Disclosure::ShelfLife, "24个月".into()),
                (Disclosure::AfterSales, "平台客服".into()),
            ],
            seven_day_return: Some(true),
            price_history: (1..=7)
                .map(|d| (20_788 - d, 9_900 + 100 * d as i64))
                .collect(),
            ..Product::default()
        })
        .collect()
}

/// 100k distinct pseudo-words of 2–6 common CJK characters, one per line.
fn lexicon_terms(n: usize) -> String {
    let mut rng = Rng::new(7);
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = String::new();
    while seen.len() < n {
        let len = 2 + rng.below(5);
        let term: String = (0..len)
            .map(|_| char::from_u32(0x4E00 + rng.below(0x9FA5 - 0x4E00) as u32).unwrap_or('一'))
            .collect();
        if seen.insert(term.clone()) {
            out.push_str(&term);
            out.push('\n');
        }
    }
    out
}

/// Comments of 20–40 characters: COLD texts cut to length, or the comment bank repeated.
fn comment_sample(cold: &[String], n: usize) -> Vec<String> {
    let mut rng = Rng::new(11);
    (0..n)
        .map(|_| {
            let len = 20 + rng.below(21);
            let src = if cold.is_empty() {
                corpus::COMMENTS.join("，")
            } else {
                cold[rng.below(cold.len())].clone()
            };
            let mut s: String = src.chars().cycle().take(len).collect();
            if rng.below(10) == 0 {
                s.push_str("加我vx");
            }
            s
        })
        .collect()
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn hwm_kib() -> u64 {
    status_kib("VmHWM:")
}
