//! `liveguard rules list|show|check|test`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use liveguard_screen::{ScreenBuilder, ScreenConfig, parse_pack};

use crate::output::category_label;
use crate::scan::{RULE_FILE_BYTES_MAX, build_screen, pack_files};
use crate::{Outcome, RuleSource, input};

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List every rule: id, category, severity, citations.
    List {
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Show one rule in full.
    Show {
        /// Full rule id, for example `absolute/zui`.
        id: String,
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Validate the packs in DIR: syntax, ids, citations, limits. Exit 1 on any problem.
    Check {
        /// Directory of *.toml packs.
        dir: PathBuf,
    },
    /// Validate the packs in DIR and run every rule's examples. Exit 1 on any failure.
    Test {
        /// Directory of *.toml packs.
        dir: PathBuf,
    },
}

pub(crate) fn run(cmd: RulesCommand) -> anyhow::Result<Outcome> {
    match cmd {
        RulesCommand::List { rules } => {
            let screen = build_screen(&rules)?;
            for (id, r) in screen.rules() {
                let cites: Vec<String> = r.citations.iter().map(|c| c.to_string()).collect();
                outln!("{id}\t{}\t{}\t{}", r.category, r.severity, cites.join("; "));
            }
            Ok(Outcome::Clean)
        }
        RulesCommand::Show { id, rules } => {
            let screen = build_screen(&rules)?;
            let Some((_, r)) = screen.rules().find(|(rid, _)| *rid == id) else {
                anyhow::bail!("no rule `{id}` (see `liveguard rules list`)");
            };
            outln!("rule:       {id}");
            outln!("category:   {} {}", r.category, category_label(r.category));
            outln!("severity:   {}", r.severity);
            for (cat, sev) in &r.severity_by_category {
                outln!("            {sev} for {cat}");
            }
            for c in &r.citations {
                outln!("citation:   {c}");
            }
            let list = |v: &[String]| {
                if v.is_empty() {
                    "(all)".to_string()
                } else {
                    v.join(", ")
                }
            };
            outln!(
                "channels:   {}",
                list(&r.channels.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            );
            outln!(
                "categories: {}",
                list(
                    &r.categories
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                )
            );
            if !r.exclude_categories.is_empty() {
                outln!(
                    "excluded:   {}",
                    r.exclude_categories
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if let Some(d) = r.detector {
                outln!("detector:   {d:?}");
            }
            if !r.patterns.is_empty() {
                outln!("patterns:   {}", r.patterns.join("、"));
            }
            if !r.allow.is_empty() {
                outln!("allow:      {}", r.allow.join("、"));
            }
            for s in &r.soften {
                outln!(
                    "soften:     {} ← {}{}",
                    s.reason,
                    s.patterns.join("、"),
                    if s.before.is_empty() {
                        String::new()
                    } else {
                        format!(" / before: {}", s.before.join("、"))
                    }
                );
            }
            outln!("suggestion: {}", r.suggestion);
            outln!("examples:   hit: {}", r.examples.hit.join(" | "));
            outln!("            miss: {}", r.examples.miss.join(" | "));
            if !r.examples.info.is_empty() {
                outln!("            info: {}", r.examples.info.join(" | "));
            }
            outln!("source:     {}:{}", r.origin, r.line);
            Ok(Outcome::Clean)
        }
        RulesCommand::Check { dir } => check(&dir, false),
        RulesCommand::Test { dir } => check(&dir, true),
    }
}

fn check(dir: &Path, run_examples: bool) -> anyhow::Result<Outcome> {
    let mut builder = ScreenBuilder::new(ScreenConfig::default_config());
    let mut problems = 0usize;
    let mut rules = 0usize;
    for path in pack_files(dir)? {
        let text = input::read_small_file(&path, RULE_FILE_BYTES_MAX)?;
        match parse_pack(&text, &path.display().to_string()) {
            Ok(pack) => {
                rules += pack.rules.len();
                builder.add_pack(pack);
            }
            Err(e) => {
                for p in e.problems() {
                    outln!("{p}");
                    problems += 1;
                }
            }
        }
    }
    if problems > 0 {
        outln!("{problems} problems in {}", dir.display());
        return Ok(Outcome::Flagged);
    }
    let screen = match builder.build() {
        Ok(s) => s,
        Err(e) => {
            outln!("{e}");
            return Ok(Outcome::Flagged);
        }
    };
    if !run_examples {
        outln!(
            "ok: {rules} rules, {} patterns in {}",
            screen.pattern_count(),
            dir.display()
        );
        return Ok(Outcome::Clean);
    }
    let failures = screen.check_examples();
    for f in &failures {
        outln!("{f}");
    }
    let examples: usize = screen
        .rules()
        .map(|(_, r)| r.examples.hit.len() + r.examples.miss.len() + r.examples.info.len())
        .sum();
    if failures.is_empty() {
        outln!(
            "ok: {rules} rules, {examples} examples pass in {}",
            dir.display()
        );
        Ok(Outcome::Clean)
    } else {
        outln!(
            "{} of {examples} examples failed in {}",
            failures.len(),
            dir.display()
        );
        Ok(Outcome::Flagged)
    }
}
