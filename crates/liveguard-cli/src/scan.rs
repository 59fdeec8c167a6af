//! `liveguard scan`.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use anyhow::Context;
use clap::ValueEnum;
use liveguard_core::{Channel, Decision, ProductCategory, Severity};
use liveguard_screen::{ScanContext, Scratch, Screen, ScreenBuilder, ScreenConfig};

use crate::input::{self, Line, Source};
use crate::output::{Printer, Record};
use crate::{ContextArgs, FailOn, Outcome, RuleSource};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Compiler-style: file:line:col, the line, the span underlined, rule, law, suggestion.
    Text,
    /// One JSON document with every file's findings.
    Json,
    /// One JSON object per line (see docs/output-format.md).
    Jsonl,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormat {
    /// Plain text; every line is one text.
    Text,
    /// One JSON object per line: {"id", "text", "channel"?, "category"?}.
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    /// Files to scan; `-` or nothing reads standard input.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    context: ContextArgs,
    #[command(flatten)]
    rules: RuleSource,
    /// Exit 1 when a finding reaches this severity.
    #[arg(long, value_enum, default_value = "review")]
    fail_on: FailOn,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Input format.
    #[arg(long, value_enum, default_value = "text")]
    input: InputFormat,
    /// Print the text with personal information masked (text format), or add `masked_text` (JSON formats).
    #[arg(long)]
    mask: bool,
}

/// Largest rule pack, lexicon or allowlist file read, in bytes.
pub(crate) const RULE_FILE_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// Builds the screen a command asked for.
pub(crate) fn build_screen(source: &RuleSource) -> anyhow::Result<Screen> {
    let mut builder = ScreenBuilder::new(ScreenConfig::default_config());
    if !source.no_models {
        liveguard_screen::defaults::add_default_models(&mut builder)?;
        // The second stage only when its file is there; a wrong file is an error, a
        // missing one is said in the output's models line.
        if source
            .models
            .join(liveguard_models::encoder::E5_FILE)
            .exists()
        {
            let encoder = liveguard_server::model_files::load_encoder(&source.models)
                .map_err(|why| anyhow::anyhow!("sentence encoder: {why}"))?;
            liveguard_screen::defaults::add_claim_encoder(&mut builder, encoder)?;
        }
    }
    match &source.rules {
        None => liveguard_screen::defaults::add_default_packs(&mut builder)?,
        Some(dir) => {
            for path in pack_files(dir)? {
                let text = input::read_small_file(&path, RULE_FILE_BYTES_MAX)?;
                builder.add_pack_toml(&text, &path.display().to_string())?;
            }
        }
    }
    for (i, path) in source.lexicon.iter().enumerate() {
        let text = input::read_small_file(path, RULE_FILE_BYTES_MAX)?;
        let id = if i == 0 {
            "custom".to_string()
        } else {
            format!("custom{}", i + 1)
        };
        builder.add_pack(liveguard_screen::lexicon::parse_lexicon(
            &text,
            &path.display().to_string(),
            &id,
        )?);
    }
    for path in &source.allow {
        let text = input::read_small_file(path, RULE_FILE_BYTES_MAX)?;
        builder.add_allowlist(liveguard_screen::lexicon::parse_allowlist(&text));
    }
    Ok(builder.build()?)
}

/// The `*.toml` files of a pack directory, sorted.
pub(crate) fn pack_files(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read rule directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("no rule packs (*.toml) in {}", dir.display());
    }
    Ok(files)
}

pub(crate) fn run(args: ScanArgs) -> anyhow::Result<Outcome> {
    let screen = build_screen(&args.rules)?;
    let stdout = io::stdout().lock();
    let mut printer = Printer::new(
        io::BufWriter::with_capacity(256 * 1024, stdout),
        args.format,
        args.mask,
    );
    let mut errored = false;
    let mut worst: Option<Severity> = None;
    let mut scratch = Scratch::default();
    let default_ctx = ScanContext::new(args.context.channel, args.context.category);
    for source in Source::from_args(&args.paths) {
        let name = source.display_name();
        let mut lines = match source.open() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("liveguard: error: {e:#}");
                errored = true;
                continue;
            }
        };
        let progress = progress_bar(&source);
        printer.begin(&name)?;
        let mut line_no = 0usize;
        loop {
            let line = match lines.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("liveguard: error: {name}: {e}");
                    errored = true;
                    break;
                }
            };
            line_no += 1;
            if let Some(pb) = &progress
                && line_no.is_multiple_of(1024)
            {
                pb.set_position(lines.bytes_read);
            }
            let text = match line {
                Line::Text { text } => text,
                Line::TooLong { bytes } => {
                    eprintln!(
                        "liveguard: error: {name}:{line_no}: line of {bytes} bytes exceeds line_bytes_max ({}); skipped",
                        input::LINE_BYTES_MAX
                    );
                    errored = true;
                    continue;
                }
            };
            let record = match args.input {
                InputFormat::Text => Record::line(line_no, text, default_ctx),
                InputFormat::Jsonl => match parse_record(&text, default_ctx) {
                    Ok(Some(r)) => r,
                    Ok(None) => continue,
                    Err(message) => {
                        eprintln!("liveguard: error: {name}:{line_no}: {message}");
                        printer.record_error(line_no, &text, &message)?;
                        errored = true;
                        continue;
                    }
                },
            };
            let result = screen.scan_with(&mut scratch, &record.text, record.ctx);
            if let Some(max) = result.findings.iter().map(|f| f.severity).max() {
                worst = worst.max(Some(max));
            }
            let masked = args.mask.then(|| screen.mask_personal_info(&record.text).0);
            printer.result(&name, &record, &result, masked.as_deref())?;
        }
        if let Some(pb) = progress {
            pb.finish_and_clear();
        }
        printer.end(&name)?;
    }
    let decision = Decision::from_max_severity(worst);
    printer.finish(decision, &screen)?;
    if errored {
        anyhow::bail!("some inputs could not be scanned (see messages above)");
    }
    Ok(if worst.is_some_and(|w| w >= args.fail_on.severity()) {
        Outcome::Flagged
    } else {
        Outcome::Clean
    })
}

fn progress_bar(source: &Source) -> Option<indicatif::ProgressBar> {
    const PROGRESS_BYTES_MIN: u64 = 8 * 1024 * 1024;
    let len = source.len_bytes()?;
    if len < PROGRESS_BYTES_MIN || !io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        pb.set_style(style);
    }
    Some(pb)
}

/// Parses one JSONL record. Blank lines are skipped (`Ok(None)`).
fn parse_record(line: &str, default: ScanContext) -> Result<Option<Record>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = value.as_object().ok_or("record must be a JSON object")?;
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "id" | "text" | "channel" | "category" | "labels"
        ) {
            return Err(format!(
                "unknown field `{key}` (expected id, text, channel, category, labels)"
            ));
        }
    }
    let text = obj
        .get("text")
        .ok_or("missing field `text`")?
        .as_str()
        .ok_or("field `text` must be a string")?
        .to_string();
    let channel = match obj.get("channel") {
        None | Some(serde_json::Value::Null) => default.channel,
        Some(v) => v
            .as_str()
            .ok_or("field `channel` must be a string")?
            .parse::<Channel>()
            .map_err(|e| e.to_string())?,
    };
    let category = match obj.get("category") {
        None | Some(serde_json::Value::Null) => default.category,
        Some(v) => v
            .as_str()
            .ok_or("field `category` must be a string")?
            .parse::<ProductCategory>()
            .map_err(|e| e.to_string())?,
    };
    Ok(Some(Record {
        id: obj.get("id").cloned(),
        line: 0,
        text,
        ctx: ScanContext::new(channel, category),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_parsing_names_the_problem() {
        let d = ScanContext::new(Channel::Script, ProductCategory::General);
        let r = parse_record(r#"{"id": 7, "text": "hi", "channel": "comment"}"#, d)
            .unwrap()
            .unwrap();
        assert_eq!(r.ctx.channel, Channel::Comment);
        assert_eq!(r.id, Some(serde_json::json!(7)));
        assert!(
            parse_record(r#"{"id": 1}"#, d)
                .unwrap_err()
                .contains("missing field `text`")
        );
        assert!(
            parse_record(r#"{"text": "x", "category": "cosmetic"}"#, d)
                .unwrap_err()
                .contains("`cosmetic`")
        );
        assert!(
            parse_record(r#"{"text": "x", "colour": 1}"#, d)
                .unwrap_err()
                .contains("unknown field `colour`")
        );
        assert!(
            parse_record("{not json", d)
                .unwrap_err()
                .starts_with("invalid JSON")
        );
        assert!(parse_record("   ", d).unwrap().is_none());
    }
}
