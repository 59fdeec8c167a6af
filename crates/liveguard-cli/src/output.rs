//! Output formats of `liveguard scan`. The JSON shapes are specified in docs/output-format.md.

use std::io::{self, Write};

use liveguard_core::{Category, Decision, Severity};
use liveguard_screen::{Finding, ScanContext, ScanResult, Screen};
use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

use crate::scan::Format;

/// Version of the JSON output shapes; bumped only on incompatible change.
pub(crate) const OUTPUT_SCHEMA_VERSION: u32 = 1;

/// One text to scan and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The `id` of a JSONL record (absent for plain text lines).
    pub(crate) id: Option<Value>,
    /// 1-based line number of a plain text line (0 for JSONL records).
    pub(crate) line: usize,
    pub(crate) text: String,
    pub(crate) ctx: ScanContext,
}

impl Record {
    pub(crate) fn line(line: usize, text: String, ctx: ScanContext) -> Record {
        Record {
            id: None,
            line,
            text,
            ctx,
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    texts: usize,
    block: usize,
    review: usize,
    info: usize,
}

pub(crate) struct Printer<W: Write> {
    out: W,
    format: Format,
    mask: bool,
    counts: Counts,
    /// JSON and SARIF collect results until the end.
    files: Vec<Value>,
    current: Vec<Value>,
    current_decision: Decision,
    sarif_results: Vec<Value>,
    sarif_rules: std::collections::BTreeSet<String>,
}

impl<W: Write> Printer<W> {
    pub(crate) fn new(out: W, format: Format, mask: bool) -> Self {
        Printer {
            out,
            format,
            mask,
            counts: Counts::default(),
            files: Vec::new(),
            current: Vec::new(),
            current_decision: Decision::Pass,
            sarif_results: Vec::new(),
            sarif_rules: Default::default(),
        }
    }

    pub(crate) fn begin(&mut self, _name: &str) -> io::Result<()> {
        self.current.clear();
        self.current_decision = Decision::Pass;
        Ok(())
    }

    pub(crate) fn record_error(&mut self, line: usize, raw: &str, message: &str) -> io::Result<()> {
        if self.format == Format::Jsonl {
            let id = serde_json::from_str::<Value>(raw)
                .ok()
                .and_then(|v| v.get("id").cloned());
            let obj = json!({ "id": id, "line": line, "error": message });
            writeln!(self.out, "{obj}")?;
        }
        Ok(())
    }

    pub(crate) fn result(
        &mut self,
        name: &str,
        record: &Record,
        result: &ScanResult,
        masked: Option<&str>,
    ) -> io::Result<()> {
        self.counts.texts += 1;
        for f in &result.findings {
            match f.severity {
                Severity::Block => self.counts.block += 1,
                Severity::Review => self.counts.review += 1,
                Severity::Info => self.counts.info += 1,
            }
        }
        self.current_decision = self.current_decision.max(result.decision);
        match self.format {
            Format::Text => self.text(name, record, result, masked),
            Format::Jsonl => {
                let obj = self.result_object(name, record, result, masked);
                if record.id.is_some()
                    || record.line == 0
                    || !result.findings.is_empty()
                    || masked.is_some()
                {
                    writeln!(self.out, "{obj}")?;
                }
                Ok(())
            }
            Format::Json => {
                if record.line == 0 || !result.findings.is_empty() || masked.is_some() {
                    let obj = self.result_object(name, record, result, masked);
                    self.current.push(obj);
                }
                Ok(())
            }
            Format::Sarif => {
                for f in &result.findings {
                    self.sarif_rules.insert(f.rule.to_string());
                    self.sarif_results.push(sarif_result(name, record, f));
                }
                Ok(())
            }
        }
    }

    pub(crate) fn end(&mut self, name: &str) -> io::Result<()> {
        if self.format == Format::Json {
            let results = std::mem::take(&mut self.current);
            self.files.push(
                json!({ "path": name, "decision": self.current_decision, "results": results }),
            );
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self, decision: Decision, screen: &Screen) -> io::Result<()> {
        let c = &self.counts;
        match self.format {
            Format::Text => {
                if !self.mask {
                    writeln!(
                        self.out,
                        "{} texts scanned: {} block, {} review, {} info; decision {}",
                        c.texts, c.block, c.review, c.info, decision
                    )?;
                    writeln!(self.out, "{}", models_line(screen))?;
                }
            }
            Format::Jsonl => {}
            Format::Json => {
                let doc = json!({
                    "version": OUTPUT_SCHEMA_VERSION,
                    "decision": decision,
                    "summary": { "texts": c.texts, "block": c.block, "review": c.review, "info": c.info },
                    "models": { "comment": screen.comment_model_version(), "claim": screen.claim_model_version(), "claim_encoder": screen.claim_encoder_version() },
                    "files": self.files,
                });
                serde_json::to_writer_pretty(&mut self.out, &doc)?;
                writeln!(self.out)?;
            }
            Format::Sarif => {
                let rules: Vec<Value> = screen
                    .rules()
                    .filter(|(id, _)| self.sarif_rules.contains(*id))
                    .map(|(id, r)| {
                        json!({
                            "id": id,
                            "name": r.category.as_str(),
                            "shortDescription": { "text": format!("{} ({})", category_label(r.category), r.category) },
                            "help": { "text": r.suggestion },
                            "properties": { "citations": r.citations.iter().map(|c| c.to_string()).collect::<Vec<_>>() },
                        })
                    })
                    .collect();
                let doc = json!({
                    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                    "version": "2.1.0",
                    "runs": [{
                        "tool": { "driver": { "name": "liveguard", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
                        "results": self.sarif_results,
                    }],
                });
                serde_json::to_writer_pretty(&mut self.out, &doc)?;
                writeln!(self.out)?;
            }
        }
        self.out.flush()
    }

    fn result_object(
        &self,
        name: &str,
        record: &Record,
        result: &ScanResult,
        masked: Option<&str>,
    ) -> Value {
        let findings: Vec<Value> = result
            .findings
            .iter()
            .map(|f| finding_json(record, f))
            .collect();
        let mut obj = serde_json::Map::new();
        if record.line == 0 {
            obj.insert("id".into(), record.id.clone().unwrap_or(Value::Null));
        } else {
            obj.insert("type".into(), json!("result"));
            obj.insert("path".into(), json!(name));
            obj.insert("line".into(), json!(record.line));
        }
        obj.insert("decision".into(), json!(result.decision));
        obj.insert("channel".into(), json!(record.ctx.channel));
        obj.insert("category".into(), json!(record.ctx.category));
        obj.insert("findings".into(), Value::Array(findings));
        if let Some(m) = masked {
            obj.insert("masked_text".into(), json!(m));
        }
        Value::Object(obj)
    }

    fn text(
        &mut self,
        name: &str,
        record: &Record,
        result: &ScanResult,
        masked: Option<&str>,
    ) -> io::Result<()> {
        if let Some(m) = masked {
            return writeln!(self.out, "{m}");
        }
        let location = |f: &Finding| match (&record.id, record.line) {
            (Some(id), _) => format!("{name}[id={id}]:{}:{}", f.span.line, f.span.column),
            (None, 0) => format!("{name}:{}:{}", f.span.line, f.span.column),
            (None, line) => format!("{name}:{line}:{}", f.span.column),
        };
        for f in &result.findings {
            let line_no = if record.line > 0 {
                record.line
            } else {
                f.span.line
            };
            writeln!(
                self.out,
                "{}: {}[{}] {} {}: {}",
                location(f),
                f.severity,
                f.rule,
                f.category,
                category_label(f.category),
                f.matched
            )?;
            let (shown, before, width) = excerpt(&record.text, f);
            let gutter = line_no.to_string();
            let pad = " ".repeat(gutter.len());
            writeln!(self.out, "{pad} |")?;
            writeln!(self.out, "{gutter} | {shown}")?;
            writeln!(
                self.out,
                "{pad} | {}{}",
                " ".repeat(before),
                "^".repeat(width.max(1))
            )?;
            for c in f.citations.iter() {
                writeln!(self.out, "{pad} = 法条 law: {c}")?;
            }
            writeln!(self.out, "{pad} = 建议 help: {}", f.suggestion)?;
            if let Some(e) = &f.exception {
                writeln!(
                    self.out,
                    "{pad} = 例外 exception: {e} (severity lowered to info)"
                )?;
            }
            if let Some(m) = &f.masked {
                writeln!(self.out, "{pad} = 打码 masked: {m}")?;
            }
            if f.evasion.is_some() {
                writeln!(
                    self.out,
                    "{pad} = 规避 evasion: 字间插入标点 punctuation inserted between the characters ({})",
                    f.normalized
                )?;
            }
            if let Some(m) = &f.model {
                write!(
                    self.out,
                    "{pad} = 模型 model: {} score {:.3} (second opinion: confirm by hand)",
                    m.version,
                    m.score.value()
                )?;
                match &m.exemplar {
                    Some(e) => writeln!(self.out, "; 相似 similar to: {e}")?,
                    None => writeln!(self.out)?,
                }
            }
        }
        Ok(())
    }
}

/// The line holding the finding (one line of the text), cut to a window around the span
/// when long, with the display width before the span and of the span.
fn excerpt(text: &str, f: &Finding) -> (String, usize, usize) {
    const CONTEXT_CHARS: usize = 30;
    let line_start = text[..f.span.byte_start]
        .rfind('\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let line_end = text[f.span.byte_end..]
        .find('\n')
        .map(|i| f.span.byte_end + i)
        .unwrap_or(text.len());
    let span_end = f.span.byte_end.min(line_end);
    let before: String = text[line_start..f.span.byte_start].chars().collect();
    let before_chars: Vec<char> = before.chars().collect();
    let (prefix, before) = if before_chars.len() > CONTEXT_CHARS {
        (
            "…",
            before_chars[before_chars.len() - CONTEXT_CHARS..]
                .iter()
                .collect::<String>(),
        )
    } else {
        ("", before)
    };
    let after: Vec<char> = text[span_end..line_end].chars().collect();
    let (after, suffix) = if after.len() > CONTEXT_CHARS {
        (after[..CONTEXT_CHARS].iter().collect::<String>(), "…")
    } else {
        (after.iter().collect::<String>(), "")
    };
    let span = &text[f.span.byte_start..span_end];
    let shown = format!("{prefix}{before}{span}{after}{suffix}");
    let before_width = UnicodeWidthStr::width(prefix) + UnicodeWidthStr::width(before.as_str());
    (shown, before_width, UnicodeWidthStr::width(span))
}

fn finding_json(record: &Record, f: &Finding) -> Value {
    let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
    if record.line > 0
        && let Some(span) = v.get_mut("span").and_then(Value::as_object_mut)
    {
        // Plain text is scanned line by line: offsets are within the line, `line` is the file's.
        span.insert("line".into(), json!(record.line));
        span.insert("end_line".into(), json!(record.line));
    }
    v
}

fn sarif_result(name: &str, record: &Record, f: &Finding) -> Value {
    let level = match f.severity {
        Severity::Block => "error",
        Severity::Review => "warning",
        Severity::Info => "note",
    };
    let line = if record.line > 0 {
        record.line
    } else {
        f.span.line
    };
    let end_line = if record.line > 0 {
        record.line
    } else {
        f.span.end_line
    };
    let citations: Vec<String> = f.citations.iter().map(|c| c.to_string()).collect();
    json!({
        "ruleId": f.rule.as_ref(),
        "level": level,
        "message": { "text": format!("{}: {} — {} ({})", category_label(f.category), f.matched, f.suggestion, citations.join("; ")) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": name },
                "region": {
                    "startLine": line,
                    "startColumn": f.span.column,
                    "endLine": end_line,
                    "endColumn": f.span.end_column,
                    "snippet": { "text": f.matched },
                }
            }
        }],
        "properties": { "category": f.category, "severity": f.severity, "id": record.id },
    })
}

/// Chinese label of a finding category (the UI speaks Chinese first).
pub(crate) fn category_label(c: Category) -> &'static str {
    match c {
        Category::AbsoluteTerms => "绝对化用语",
        Category::MedicalClaim => "医疗用语",
        Category::EfficacyClaim => "功效宣称",
        Category::InvestmentPromise => "收益承诺",
        Category::FalseUrgency => "虚假紧迫",
        Category::PriceFraud => "价格用语",
        Category::Disparagement => "贬低同行",
        Category::OffPlatform => "站外导流",
        Category::FakeData => "虚假数据",
        Category::Minors => "未成年人",
        Category::ProhibitedContent => "违禁内容",
        Category::Abuse => "辱骂",
        Category::PersonalInfo => "个人信息",
        Category::UnfairTerms => "不公平格式条款",
        Category::DisclosureMissing => "信息披露缺失",
        Category::RegulatedAd => "特殊商品广告",
        Category::Promise => "承诺跟踪",
        Category::Custom => "自定义词库",
    }
}

/// The learned models the scan used, or that it ran on rules only.
pub(crate) fn models_line(screen: &Screen) -> String {
    match (screen.comment_model_version(), screen.claim_model_version()) {
        (None, None) => "rules only: no learned models (--no-models, or models = false in the server's settings)".to_string(),
        (comment, claim) => format!(
            "models: comments {}, claims {}{}",
            comment.unwrap_or("off"),
            claim.unwrap_or("off"),
            match (claim, screen.claim_encoder_version()) {
                (Some(_), Some(second)) => format!(" + {second}"),
                (Some(_), None) => " (first stage only: no sentence encoder in --models DIR; scripts/fetch-encoder-model.sh DIR)".to_string(),
                _ => String::new(),
            }
        ),
    }
}
