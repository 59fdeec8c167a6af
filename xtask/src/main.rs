//! Developer tasks for liveguard, run as `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks: fmt, clippy, tests, rustdoc, dependency direction, fuzz build.
//! - `deps`: the dependency-direction check alone (docs/ARCHITECTURE.md, layer table).
//! - `bench [--mb N]`: engine throughput, raw Aho-Corasick baseline, 100k lexicon build, latency.
//! - `accuracy`: precision/recall on the project's dev set, the Taipei violations and COLD.
//! - `codegen`: regenerate docs/rules-reference.md.

mod accuracy;
mod bench;
mod codegen;
mod corpus;
mod deps;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("deps") => deps::check().map(|()| println!("deps: ok")),
        Some("bench") => bench::run(&args[1..]),
        Some("accuracy") => accuracy::run(&args[1..]),
        Some("codegen") => codegen::run(),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|deps|bench [--mb N] [--record]|accuracy [--data DIR]|codegen>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn cargo(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd.status()?;
    if !status.success() {
        anyhow::bail!("cargo {} failed with {status}", args.join(" "));
    }
    Ok(())
}

fn ci() -> anyhow::Result<()> {
    let workspace = workspace_root();
    std::env::set_current_dir(&workspace)?;
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    deps::check()?;
    println!("deps: ok");
    cargo(&["test", "--workspace"], &[])?;
    cargo(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    fuzz_build()?;
    Ok(())
}

/// Compiles the cargo-fuzz targets when cargo-fuzz is installed (it needs nightly features,
/// enabled here with RUSTC_BOOTSTRAP on the stable toolchain). Under `CI=true` it is mandatory.
fn fuzz_build() -> anyhow::Result<()> {
    let has_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            anyhow::bail!("cargo-fuzz is required under CI=true (.ci/run installs it)");
        }
        println!(
            "notice: cargo-fuzz not installed; fuzz targets not built (cargo install cargo-fuzz)"
        );
        return Ok(());
    }
    std::env::set_current_dir(workspace_root().join("fuzz"))?;
    let result = cargo(&["fuzz", "build", "--dev"], &[("RUSTC_BOOTSTRAP", "1")]);
    std::env::set_current_dir(workspace_root())?;
    result
}

pub(crate) fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}
