//! `liveguard eval`: precision, recall and F1 per finding category on labelled JSONL.
//!
//! Each line: `{"id": .., "text": "..", "channel": "..", "category": "..", "labels": ["medical_claim", ..]}`.
//! A text with an empty `labels` list is benign. A category is predicted for a text when a
//! finding of that category reaches `--min-severity` (default `review`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Context;
use liveguard_core::{Category, Channel, ProductCategory, Severity};
use liveguard_screen::{ScanContext, Scratch};
use serde::Deserialize;
use serde_json::json;

use crate::input::{Line, Source};
use crate::scan::build_screen;
use crate::{ContextArgs, Outcome, RuleSource};

#[derive(Debug, clap::Args)]
pub(crate) struct EvalArgs {
    /// Labelled JSONL file.
    path: PathBuf,
    #[command(flatten)]
    context: ContextArgs,
    #[command(flatten)]
    rules: RuleSource,
    /// Lowest severity that counts as a prediction.
    #[arg(long, default_value = "review", value_parser = parse_severity)]
    min_severity: Severity,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Print up to N misclassified texts per kind (false positive, false negative).
    #[arg(long, default_value_t = 0)]
    show_errors: usize,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
        .map_err(|e: liveguard_core::ParseError| e.to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Labelled {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    channel: Option<Channel>,
    category: Option<ProductCategory>,
    #[serde(default)]
    labels: Vec<Category>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
    support: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

pub(crate) fn run(args: EvalArgs) -> anyhow::Result<Outcome> {
    let screen = build_screen(&args.rules)?;
    let mut lines = Source::File(args.path.clone()).open()?;
    let mut per: BTreeMap<Category, Tally> = BTreeMap::new();
    let mut any = Tally::default();
    let (mut texts, mut benign, mut benign_flagged) = (0usize, 0usize, 0usize);
    let mut fps: Vec<String> = Vec::new();
    let mut fns: Vec<String> = Vec::new();
    let mut scratch = Scratch::default();
    let mut line_no = 0;
    while let Some(line) = lines.next_line()? {
        line_no += 1;
        let Line::Text { text } = line else {
            anyhow::bail!("{}:{line_no}: line too long", args.path.display());
        };
        if text.trim().is_empty() {
            continue;
        }
        let rec: Labelled = serde_json::from_str(&text)
            .with_context(|| format!("{}:{line_no}", args.path.display()))?;
        let ctx = ScanContext::new(
            rec.channel.unwrap_or(args.context.channel),
            rec.category.unwrap_or(args.context.category),
        );
        let result = screen.scan_with(&mut scratch, &rec.text, ctx);
        let predicted: BTreeSet<Category> = result
            .findings
            .iter()
            .filter(|f| f.severity >= args.min_severity)
            .map(|f| f.category)
            .collect();
        let gold: BTreeSet<Category> = rec.labels.iter().copied().collect();
        texts += 1;
        for c in gold.union(&predicted) {
            let t = per.entry(*c).or_default();
            match (gold.contains(c), predicted.contains(c)) {
                (true, true) => t.tp += 1,
                (false, true) => t.fp += 1,
                (true, false) => t.fn_ += 1,
                (false, false) => {}
            }
            if gold.contains(c) {
                t.support += 1;
            }
        }
        match (!gold.is_empty(), !predicted.is_empty()) {
            (true, true) => any.tp += 1,
            (false, true) => any.fp += 1,
            (true, false) => any.fn_ += 1,
            (false, false) => {}
        }
        if !gold.is_empty() {
            any.support += 1;
        }
        if gold.is_empty() {
            benign += 1;
            if !predicted.is_empty() {
                benign_flagged += 1;
            }
        }
        let show =
            |set: &BTreeSet<Category>| set.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",");
        if args.show_errors > 0 {
            if predicted.difference(&gold).next().is_some() && fps.len() < args.show_errors {
                fps.push(format!(
                    "FP id={} gold=[{}] got=[{}] {}",
                    rec.id,
                    show(&gold),
                    show(&predicted),
                    rec.text
                ));
            }
            if gold.difference(&predicted).next().is_some() && fns.len() < args.show_errors {
                fns.push(format!(
                    "FN id={} gold=[{}] got=[{}] {}",
                    rec.id,
                    show(&gold),
                    show(&predicted),
                    rec.text
                ));
            }
        }
    }
    let fp_rate = ratio(benign_flagged, benign);
    if args.json {
        let rows: serde_json::Map<String, serde_json::Value> = per
            .iter()
            .map(|(c, t)| (c.as_str().to_string(), json!({"precision": t.precision(), "recall": t.recall(), "f1": t.f1(), "tp": t.tp, "fp": t.fp, "fn": t.fn_, "support": t.support})))
            .collect();
        outln!(
            "{}",
            json!({"texts": texts, "benign": benign, "benign_flagged": benign_flagged, "false_positive_rate": fp_rate,
                   "any": {"precision": any.precision(), "recall": any.recall(), "f1": any.f1(), "tp": any.tp, "fp": any.fp, "fn": any.fn_, "support": any.support},
                   "categories": rows})
        );
    } else {
        outln!(
            "{:<20} {:>9} {:>9} {:>9} {:>6} {:>6} {:>6} {:>8}",
            "category",
            "precision",
            "recall",
            "f1",
            "tp",
            "fp",
            "fn",
            "support"
        );
        for (c, t) in &per {
            outln!(
                "{:<20} {:>9.3} {:>9.3} {:>9.3} {:>6} {:>6} {:>6} {:>8}",
                c.as_str(),
                t.precision(),
                t.recall(),
                t.f1(),
                t.tp,
                t.fp,
                t.fn_,
                t.support
            );
        }
        outln!(
            "{:<20} {:>9.3} {:>9.3} {:>9.3} {:>6} {:>6} {:>6} {:>8}",
            "(any violation)",
            any.precision(),
            any.recall(),
            any.f1(),
            any.tp,
            any.fp,
            any.fn_,
            any.support
        );
        outln!(
            "texts {texts}; benign {benign}, flagged {benign_flagged} (false-positive rate {:.2}%)",
            fp_rate * 100.0
        );
        for e in fps.iter().chain(&fns) {
            outln!("{e}");
        }
    }
    Ok(Outcome::Clean)
}
