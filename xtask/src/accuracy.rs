//! `cargo xtask accuracy [--data DIR]`: the numbers in docs/accuracy.md.
//!
//! 1. Dev set: every rule example of the default packs (hit → labelled with the rule's
//!    category, miss → labelled benign for that category) plus testdata/eval/benign.jsonl
//!    (benign live-commerce copy written for the project). Writes target/eval/dev.jsonl.
//! 2. Taipei violations (shared/data/taipei_ad_violations): recall of efficacy and medical
//!    claims in `quoted_claims`, traditional characters folded by the engine itself. Rows
//!    labelled `unapproved_or_nonconforming_ad` are procedural and left out.
//! 3. COLD dev (shared/data/cold/dev.csv): how the `abuse` rule does on offensive comments.
//!
//! The data under shared/ is read in place and never copied into the repository.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use liveguard_core::{Category, Channel, ProductCategory, Severity};
use liveguard_screen::{ScanContext, Scratch, Screen, ScreenBuilder, ScreenConfig, defaults};
use serde_json::json;

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let usage = "usage: cargo xtask accuracy [--data DIR] [--encoder FILE]";
    let (mut data, mut encoder) = (root.join("../shared/data"), None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = it.next().ok_or_else(|| anyhow::anyhow!("{usage}"))?;
        match a.as_str() {
            "--data" => data = PathBuf::from(value),
            "--encoder" => encoder = Some(PathBuf::from(value)),
            _ => anyhow::bail!("{usage}"),
        }
    }
    let mut b = ScreenBuilder::new(ScreenConfig::default_config());
    defaults::add_default_packs(&mut b)?;
    defaults::add_default_models(&mut b)?;
    if let Some(path) = &encoder {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        defaults::add_claim_encoder(
            &mut b,
            std::sync::Arc::new(liveguard_models::encoder::Encoder::from_bytes(
                &bytes,
                liveguard_models::encoder::E5_VERSION,
            )?),
        )?;
    }
    let screen = b.build()?;
    println!(
        "claim model: {} (second stage {})",
        screen.claim_model_version().unwrap_or("off"),
        screen
            .claim_encoder_version()
            .unwrap_or("off: --encoder FILE to add it")
    );
    dev_set(&screen, &root)?;
    paraphrases(&screen, &root)?;
    taipei(
        &screen,
        &data.join("taipei_ad_violations/violations-2024.csv"),
    )?;
    cold(&screen, &data.join("cold/dev.csv"))?;
    Ok(())
}

/// The project's paraphrased claims and near-misses (`testdata/claims/eval.jsonl`, and
/// the live-speech set `testdata/claims/speech.jsonl` that no model choice looked at),
/// scanned as transcripts: recall of medical/efficacy findings at `review`, and near-misses
/// flagged with anything at `review`.
fn paraphrases(screen: &Screen, root: &std::path::Path) -> anyhow::Result<()> {
    let mut scratch = Scratch::default();
    println!("\nparaphrased claims (transcript channel, general goods):");
    for name in ["eval.jsonl", "speech.jsonl"] {
        let path = root.join("testdata/claims").join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let (mut tp, mut pos, mut fp, mut neg) = (0, 0, 0, 0);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let t = v["text"].as_str().unwrap_or_default();
            let cats = flagged_categories(
                screen,
                &mut scratch,
                t,
                ScanContext::new(Channel::Transcript, ProductCategory::General),
            );
            if v["claim"].as_bool() == Some(true) {
                pos += 1;
                tp += usize::from(
                    cats.iter()
                        .any(|c| matches!(c, Category::MedicalClaim | Category::EfficacyClaim)),
                );
            } else {
                neg += 1;
                fp += usize::from(!cats.is_empty());
            }
        }
        println!(
            "  {name}: recall {tp}/{pos} = {:.2}; near-misses flagged {fp}/{neg} = {:.3}",
            tp as f64 / pos.max(1) as f64,
            fp as f64 / neg.max(1) as f64
        );
    }
    Ok(())
}

fn flagged_categories(
    screen: &Screen,
    scratch: &mut Scratch,
    text: &str,
    ctx: ScanContext,
) -> Vec<Category> {
    let mut v: Vec<Category> = screen
        .scan_with(scratch, text, ctx)
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Review)
        .map(|f| f.category)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn dev_set(screen: &Screen, root: &std::path::Path) -> anyhow::Result<()> {
    let out_dir = root.join("target/eval");
    std::fs::create_dir_all(&out_dir)?;
    let path = out_dir.join("dev.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut n = 0;
    for (id, rule) in screen.rules() {
        let (channel, category) = rule.example_context();
        let full = rule.severity_for(category);
        if full < Severity::Review {
            continue; // info-only rules are not predictions
        }
        for (i, t) in rule.examples.hit.iter().enumerate() {
            writeln!(
                out,
                "{}",
                json!({"id": format!("{id}#hit{i}"), "text": t, "channel": channel, "category": category, "labels": [rule.category]})
            )?;
            n += 1;
        }
        for (i, t) in rule
            .examples
            .miss
            .iter()
            .enumerate()
            .chain(rule.examples.info.iter().enumerate())
        {
            // A miss example is benign for this rule; other rules may still rightly fire, so
            // its labels are what the other rules' own examples say: none.
            writeln!(
                out,
                "{}",
                json!({"id": format!("{id}#miss{i}"), "text": t, "channel": channel, "category": category, "labels": []})
            )?;
            n += 1;
        }
    }
    let benign = root.join("testdata/eval/benign.jsonl");
    let text = std::fs::read_to_string(&benign)
        .with_context(|| format!("reading {}", benign.display()))?;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        writeln!(out, "{line}")?;
        n += 1;
    }
    out.flush()?;
    println!(
        "dev set: {n} texts written to {} (run `liveguard eval {}` for the per-category table)",
        path.display(),
        path.display()
    );

    // Benign false-positive rate on the project's own benign copy alone.
    let mut scratch = Scratch::default();
    let (mut total, mut flagged) = (0, 0);
    let mut examples = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let ctx = ScanContext::new(
            v["channel"]
                .as_str()
                .unwrap_or("script")
                .parse::<Channel>()?,
            v["category"]
                .as_str()
                .unwrap_or("general")
                .parse::<ProductCategory>()?,
        );
        let t = v["text"].as_str().unwrap_or_default();
        let cats = flagged_categories(screen, &mut scratch, t, ctx);
        total += 1;
        if !cats.is_empty() {
            flagged += 1;
            examples.push(format!("  {t} -> {cats:?}"));
        }
    }
    println!(
        "benign copy: {flagged} of {total} flagged at review or above ({:.1}%)",
        100.0 * flagged as f64 / total.max(1) as f64
    );
    for e in examples {
        println!("{e}");
    }
    Ok(())
}

/// A CSV reader and its header row.
pub(crate) fn open_csv(
    path: &std::path::Path,
) -> anyhow::Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let mut rdr =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    Ok((rdr, headers))
}

/// The index of a column by name (a UTF-8 BOM on the first header is ignored).
pub(crate) fn column(headers: &csv::StringRecord, name: &str) -> anyhow::Result<usize> {
    headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == name)
        .with_context(|| format!("no column {name}"))
}

fn taipei(screen: &Screen, path: &std::path::Path) -> anyhow::Result<()> {
    if !path.exists() {
        println!("taipei: {} not found; skipped", path.display());
        return Ok(());
    }
    let (mut rdr, headers) = open_csv(path)?;
    let col = |name: &str| column(&headers, name);
    let (c_cat, c_claims, c_label) = (
        col("product_category")?,
        col("quoted_claims")?,
        col("platform_category")?,
    );
    let mut scratch = Scratch::default();
    // (label, product category) -> (rows, flagged as medical/efficacy, flagged at all)
    let mut table: BTreeMap<(String, String), (usize, usize, usize)> = BTreeMap::new();
    let mut missed: Vec<String> = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        let label = rec.get(c_label).unwrap_or_default().to_string();
        if label == "unapproved_or_nonconforming_ad" {
            continue;
        }
        let claims: Vec<String> =
            serde_json::from_str(rec.get(c_claims).unwrap_or("[]")).unwrap_or_default();
        if claims.is_empty() {
            continue;
        }
        let product = rec.get(c_cat).unwrap_or_default().to_string();
        let category = match product.as_str() {
            "cosmetics" => ProductCategory::Cosmetics,
            "food_health_food" => ProductCategory::Food,
            _ => ProductCategory::General,
        };
        let text = claims.join("。");
        let cats = flagged_categories(
            screen,
            &mut scratch,
            &text,
            ScanContext::new(Channel::ProductCopy, category),
        );
        let claim_hit = cats.iter().any(|c| {
            matches!(
                c,
                Category::MedicalClaim | Category::EfficacyClaim | Category::RegulatedAd
            )
        });
        let e = table.entry((label, product)).or_default();
        e.0 += 1;
        e.1 += usize::from(claim_hit);
        e.2 += usize::from(!cats.is_empty());
        if !claim_hit && missed.len() < 25 {
            missed.push(format!("  {}", text.chars().take(80).collect::<String>()));
        }
    }
    println!("\ntaipei violations (quoted claims, product_copy channel):");
    println!(
        "| ruling label | product | rows | recall (medical/efficacy) | recall (any category) |"
    );
    println!("|---|---|---|---|---|");
    let (mut rows, mut hit, mut any) = (0, 0, 0);
    for ((label, product), (n, h, a)) in &table {
        println!(
            "| {label} | {product} | {n} | {:.1}% | {:.1}% |",
            100.0 * *h as f64 / *n as f64,
            100.0 * *a as f64 / *n as f64
        );
        rows += n;
        hit += h;
        any += a;
    }
    println!(
        "| all | all | {rows} | {:.1}% | {:.1}% |",
        100.0 * hit as f64 / rows.max(1) as f64,
        100.0 * any as f64 / rows.max(1) as f64
    );
    println!("first misses:");
    for m in missed {
        println!("{m}");
    }
    Ok(())
}

fn cold(screen: &Screen, path: &std::path::Path) -> anyhow::Result<()> {
    if !path.exists() {
        println!("cold: {} not found; skipped", path.display());
        return Ok(());
    }
    let (mut rdr, headers) = open_csv(path)?;
    let col = |name: &str| column(&headers, name);
    let (c_label, c_text) = (col("label")?, col("TEXT")?);
    let mut scratch = Scratch::default();
    let (mut tp, mut fp, mut fn_, mut tn, mut any_fp) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let ctx = ScanContext::new(Channel::Comment, ProductCategory::General);
    for rec in rdr.records() {
        let rec = rec?;
        let offensive = rec.get(c_label) == Some("1");
        let text = rec.get(c_text).unwrap_or_default();
        let cats = flagged_categories(screen, &mut scratch, text, ctx);
        let abuse = cats.contains(&Category::Abuse);
        match (offensive, abuse) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
        if !offensive && !cats.is_empty() {
            any_fp += 1;
        }
    }
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "\nCOLD dev (comment channel, `abuse` from rules and the comment classifier {} vs label 1): precision {:.3}, recall {:.3}, F1 {:.3} (tp {tp}, fp {fp}, fn {fn_}, tn {tn})",
        screen.comment_model_version().unwrap_or("(none)"),
        p,
        r,
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    );
    println!(
        "COLD dev safe comments flagged by any rule: {any_fp} of {} ({:.2}%)",
        fp + tn,
        100.0 * any_fp as f64 / (fp + tn).max(1) as f64
    );
    Ok(())
}
