//! The dependency-direction check: lower layers never import higher ones, and the pure
//! engine never pulls in I/O, async or application-level crates. The table is the one in
//! docs/ARCHITECTURE.md; crates not yet written are listed so their edges are checked the
//! day they appear.

use std::process::Command;

use anyhow::Context;

/// (crate, internal crates it may use, external crates it must never use).
const LAYERS: &[(&str, &[&str], &[&str])] = &[
    ("liveguard-core", &[], PURE_FORBIDDEN),
    ("liveguard-normalize", &[], PURE_FORBIDDEN),
    (
        "liveguard-screen",
        &["liveguard-core", "liveguard-normalize"],
        PURE_FORBIDDEN,
    ),
    ("liveguard-audit", &["liveguard-core"], PURE_FORBIDDEN),
    ("liveguard-review", &["liveguard-core"], PURE_FORBIDDEN),
    (
        "liveguard-store",
        &["liveguard-core", "liveguard-audit"],
        &["axum", "async-nats"],
    ),
    (
        "liveguard-live",
        &["liveguard-core", "liveguard-screen"],
        PURE_FORBIDDEN,
    ),
    ("liveguard-nats", &[], &["sqlx", "axum"]),
    ("liveguard-drand", &[], &["sqlx", "axum", "async-nats"]),
    (
        "liveguard-lottery",
        &["liveguard-core", "liveguard-audit"],
        PURE_FORBIDDEN,
    ),
    (
        "liveguard-server",
        &[
            "liveguard-core",
            "liveguard-normalize",
            "liveguard-screen",
            "liveguard-audit",
            "liveguard-store",
            "liveguard-live",
            "liveguard-nats",
            "liveguard-lottery",
            "liveguard-drand",
            "liveguard-review",
        ],
        &["clap"],
    ),
];

const PURE_FORBIDDEN: &[&str] = &[
    "tokio",
    "sqlx",
    "axum",
    "async-nats",
    "reqwest",
    "anyhow",
    "tracing-subscriber",
    "log",
    "tracing",
];

pub(crate) fn check() -> anyhow::Result<()> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(crate::workspace_root())
        .output()
        .context("running cargo metadata")?;
    anyhow::ensure!(out.status.success(), "cargo metadata failed");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let problems = violations(&meta);
    if problems.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("dependency-direction violations:\n{}", problems.join("\n"))
    }
}

fn violations(meta: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    for pkg in &packages {
        let name = pkg["name"].as_str().unwrap_or_default();
        let Some((_, allowed, forbidden)) = LAYERS.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        for dep in pkg["dependencies"].as_array().into_iter().flatten() {
            if !dep["kind"].is_null() {
                continue; // dev- and build-dependencies are not edges of the shipped graph
            }
            let dep_name = dep["name"].as_str().unwrap_or_default();
            if dep_name.starts_with("liveguard-") && !allowed.contains(&dep_name) {
                problems.push(format!("{name} must not depend on {dep_name}"));
            }
            if forbidden.contains(&dep_name) {
                problems.push(format!("{name} must not depend on {dep_name}"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_respects_layers() {
        check().unwrap();
    }

    #[test]
    fn a_forbidden_edge_is_reported() {
        let meta = serde_json::json!({"packages": [
            {"name": "liveguard-screen", "dependencies": [
                {"name": "tokio", "kind": null},
                {"name": "liveguard-cli", "kind": null},
                {"name": "proptest", "kind": "dev"}
            ]}
        ]});
        let v = violations(&meta);
        assert_eq!(v.len(), 2, "{v:?}");
    }
}
