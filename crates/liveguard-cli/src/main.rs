//! `liveguard`: the command line.
//!
//! Exit codes (every subcommand): 0 nothing at or above `--fail-on` / valid, 1 something
//! is / invalid, 2 error. A broken pipe (for example `| head`) exits 0.

/// `println!` that returns the I/O error (a closed pipe ends the command with exit 0)
/// instead of panicking.
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock())?
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod desk_bench;
mod eval;
mod input;
mod loadgen;
mod lottery_cmd;
mod output;
mod rules_cmd;
mod scan;
mod server_cmd;
mod telemetry;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use liveguard_core::{Channel, ProductCategory, Severity};

/// liveguard — compliance screening for live-stream commerce (直播带货合规).
#[derive(Debug, Parser)]
#[command(name = "liveguard", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Screen texts for regulated and prohibited content (files, stdin, or JSONL records).
    Scan(scan::ScanArgs),
    /// Browse, check and test rule packs.
    Rules {
        #[command(subcommand)]
        command: rules_cmd::RulesCommand,
    },
    /// Report precision, recall and F1 per category on labelled JSONL.
    Eval(eval::EvalArgs),
    /// Run the compliance server (web UI and API).
    Serve(server_cmd::ServeArgs),
    /// Administration: create users and API tokens, back up the database.
    Admin {
        #[command(subcommand)]
        command: server_cmd::AdminCommand,
    },
    /// The audit log: export an offline-verifiable bundle, verify one.
    Audit {
        #[command(subcommand)]
        command: server_cmd::AuditCommand,
    },
    /// Verifiable lotteries: simulate a draw offline, verify a proof bundle.
    Lottery {
        #[command(subcommand)]
        command: lottery_cmd::LotteryCommand,
    },
    /// Screen and store live events from NATS JetStream (scale-out; run as many as needed).
    Worker(server_cmd::WorkerArgs),
    /// Replay busy live rooms against a running server; print one JSON line of results.
    Loadgen(loadgen::LoadgenArgs),
    /// The consumer desk's benchmarks: import a generated export, import it again, time the
    /// queue and the clock sweep on a fresh database; print one JSON line.
    DeskBench(desk_bench::DeskBenchArgs),
    /// Configuration: `liveguard config default` prints every option with its default.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the example configuration (every option, commented, with its default).
    Default,
}

/// Which rules a command loads: the embedded defaults, or the packs in `--rules DIR`,
/// plus lexicons and allowlists.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RuleSource {
    /// Load rule packs (*.toml) from DIR instead of the built-in default packs.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Add a company lexicon: one term per line, or `term<TAB>category<TAB>severity`.
    #[arg(long, value_name = "FILE")]
    lexicon: Vec<PathBuf>,
    /// Add an allowlist: phrases (one per line) inside which no hit is reported.
    #[arg(long, value_name = "FILE")]
    allow: Vec<PathBuf>,
    /// Rules only: leave out the learned second opinions (the comment classifier).
    #[arg(long)]
    no_models: bool,
    /// Where the fetched model files are (`scripts/fetch-encoder-model.sh DIR`); the claim
    /// model's second stage runs when the sentence encoder is there.
    #[arg(long, value_name = "DIR", default_value = "./liveguard-data/models")]
    models: PathBuf,
}

/// The context every text is scanned in unless a JSONL record says otherwise.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ContextArgs {
    /// Channel: script, product_copy, transcript, comment, comment_reply, image_text, contract, post.
    #[arg(long, default_value = "script", value_parser = parse_channel)]
    channel: Channel,
    /// Product category: general, cosmetics, special_cosmetics, food, health_food, drug,
    /// medical_device, electronics, clothing, toys, education, finance, franchise.
    #[arg(long, default_value = "general", value_parser = parse_category)]
    category: ProductCategory,
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    s.parse()
        .map_err(|e: liveguard_core::ParseError| e.to_string())
}

fn parse_category(s: &str) -> Result<ProductCategory, String> {
    s.parse()
        .map_err(|e: liveguard_core::ParseError| e.to_string())
}

/// The severity at which `scan` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Exit 1 when any finding is `review` or `block`.
    Review,
    /// Exit 1 only when a finding is `block`.
    Block,
}

impl FailOn {
    pub(crate) fn severity(self) -> Severity {
        match self {
            FailOn::Review => Severity::Review,
            FailOn::Block => Severity::Block,
        }
    }
}

/// What a command concluded, mapped to the exit code at the very end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Clean / valid.
    Clean,
    /// Violations found / invalid.
    Flagged,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Rules { command } => rules_cmd::run(command),
        Command::Eval(args) => eval::run(args),
        Command::Serve(args) => server_cmd::serve(args),
        Command::Loadgen(args) => loadgen::run(args),
        Command::DeskBench(args) => desk_bench::run(args),
        Command::Worker(args) => server_cmd::worker(args),
        Command::Lottery { command } => lottery_cmd::run(command),
        Command::Admin { command } => server_cmd::admin(command),
        Command::Audit { command } => server_cmd::audit(command),
        Command::Config {
            command: ConfigCommand::Default,
        } => server_cmd::config_default(),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::from(0),
        Ok(Outcome::Flagged) => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(0);
            }
            let _ = writeln!(std::io::stderr(), "liveguard: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn unknown_category_is_rejected_by_name() {
        let err = Cli::try_parse_from(["liveguard", "scan", "--category", "cosmetic"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown product category `cosmetic`"),
            "{err}"
        );
    }

    #[test]
    fn fail_on_accepts_review_and_block_only() {
        assert!(Cli::try_parse_from(["liveguard", "scan", "--fail-on", "block"]).is_ok());
        assert!(Cli::try_parse_from(["liveguard", "scan", "--fail-on", "info"]).is_err());
    }
}
