//! The dependency-direction check: lower layers never import higher ones, and the pure
//! engine never pulls in I/O, async or application-level crates — directly or through any
//! crate it uses (the check walks the resolved graph of normal dependencies). The table is
//! the one in docs/ARCHITECTURE.md.

use std::process::Command;

use anyhow::Context;

/// (crate, internal crates it may use, external crates it must never use).
const LAYERS: &[(&str, &[&str], &[&str])] = &[
    ("liveguard-core", &[], PURE_FORBIDDEN),
    ("liveguard-normalize", &[], PURE_FORBIDDEN),
    ("liveguard-models", &["liveguard-normalize"], PURE_FORBIDDEN),
    (
        "liveguard-screen",
        &["liveguard-core", "liveguard-normalize", "liveguard-models"],
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
        &[
            "liveguard-core",
            "liveguard-normalize",
            "liveguard-models",
            "liveguard-screen",
        ],
        PURE_FORBIDDEN,
    ),
    ("liveguard-nats", &[], &["sqlx", "axum"]),
    ("liveguard-outbound", &[], &["sqlx", "axum", "async-nats"]),
    (
        "liveguard-drand",
        &["liveguard-outbound"],
        &["sqlx", "axum", "async-nats"],
    ),
    (
        "liveguard-lottery",
        &["liveguard-core", "liveguard-audit"],
        PURE_FORBIDDEN,
    ),
    ("liveguard-desk", &["liveguard-core"], PURE_FORBIDDEN),
    (
        "liveguard-pipeline",
        &[
            "liveguard-core",
            "liveguard-normalize",
            "liveguard-models",
            "liveguard-screen",
            "liveguard-audit",
            "liveguard-store",
            "liveguard-live",
            "liveguard-nats",
        ],
        &["axum", "hyper", "tower-http", "maud", "clap"],
    ),
    (
        "liveguard-server",
        &[
            "liveguard-core",
            "liveguard-normalize",
            "liveguard-models",
            "liveguard-screen",
            "liveguard-audit",
            "liveguard-store",
            "liveguard-live",
            "liveguard-nats",
            "liveguard-lottery",
            "liveguard-desk",
            "liveguard-drand",
            "liveguard-outbound",
            "liveguard-review",
            "liveguard-pipeline",
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
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host_triple()?,
        ])
        .current_dir(crate::workspace_root())
        .output()
        .context("running cargo metadata")?;
    anyhow::ensure!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let problems = violations(&meta);
    if problems.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("dependency-direction violations:\n{}", problems.join("\n"))
    }
}

/// The triple this machine builds for (the graph is checked for the platform it ships to).
fn host_triple() -> anyhow::Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .context("rustc -vV names no host")
}

/// Package id → (name, the ids of its normal dependencies), from the resolved graph.
fn normal_graph(
    meta: &serde_json::Value,
) -> std::collections::HashMap<String, (String, Vec<String>)> {
    let names: std::collections::HashMap<&str, &str> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let mut graph = std::collections::HashMap::new();
    for node in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
        let id = node["id"].as_str().unwrap_or_default();
        let deps = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                // dev- and build-dependencies are not edges of the shipped graph
                d["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].is_null())
            })
            .filter_map(|d| Some(d["pkg"].as_str()?.to_string()))
            .collect();
        let name = names.get(id).copied().unwrap_or_default().to_string();
        graph.insert(id.to_string(), (name, deps));
    }
    graph
}

fn violations(meta: &serde_json::Value) -> Vec<String> {
    let graph = normal_graph(meta);
    let mut problems = Vec::new();
    let mut ids: Vec<&String> = graph.keys().collect();
    ids.sort();
    for id in ids {
        let name = &graph[id].0;
        let Some((_, allowed, forbidden)) = LAYERS.iter().find(|(n, _, _)| n == name) else {
            continue;
        };
        // Every crate reachable from this one, with the path that reaches it.
        let mut seen = std::collections::HashSet::new();
        let mut queue: std::collections::VecDeque<(String, String)> = graph[id]
            .1
            .iter()
            .map(|d| (d.clone(), String::new()))
            .collect();
        while let Some((dep, via)) = queue.pop_front() {
            if !seen.insert(dep.clone()) {
                continue;
            }
            let Some((dep_name, next)) = graph.get(&dep) else {
                continue;
            };
            let internal_bad =
                dep_name.starts_with("liveguard-") && !allowed.contains(&dep_name.as_str());
            if internal_bad || forbidden.contains(&dep_name.as_str()) {
                problems.push(format!("{name} must not depend on {dep_name}{via}"));
            }
            let via = format!("{via} (via {dep_name})");
            queue.extend(next.iter().map(|d| (d.clone(), via.clone())));
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

    fn node(id: &str, deps: &[(&str, Option<&str>)]) -> serde_json::Value {
        serde_json::json!({"id": id, "deps": deps.iter().map(|(pkg, kind)| serde_json::json!({
            "pkg": pkg, "dep_kinds": [{"kind": kind}]})).collect::<Vec<_>>()})
    }

    #[test]
    fn forbidden_edges_are_reported_direct_and_transitive() {
        let meta = serde_json::json!({
            "packages": [
                {"id": "s", "name": "liveguard-screen"},
                {"id": "t", "name": "tokio"},
                {"id": "c", "name": "liveguard-cli"},
                {"id": "n", "name": "liveguard-normalize"},
                {"id": "x", "name": "some-helper"},
                {"id": "l", "name": "log"},
                {"id": "p", "name": "proptest"}
            ],
            "resolve": {"nodes": [
                node("s", &[("t", None), ("c", None), ("n", None), ("p", Some("dev"))]),
                node("n", &[("x", None)]),
                node("x", &[("l", None)]),
                node("t", &[]), node("c", &[]), node("l", &[]), node("p", &[])
            ]}
        });
        let v = violations(&meta);
        assert!(
            v.contains(&"liveguard-screen must not depend on tokio".to_string()),
            "{v:?}"
        );
        assert!(
            v.contains(&"liveguard-screen must not depend on liveguard-cli".to_string()),
            "{v:?}"
        );
        assert!(
            v.iter().any(|p| p.starts_with("liveguard-screen must not depend on log (via liveguard-normalize) (via some-helper)")),
            "the transitive edge is found with its path: {v:?}"
        );
        // normalize itself reaches log too; the dev-dependency proptest is no edge.
        assert!(
            v.iter()
                .any(|p| p.starts_with("liveguard-normalize must not depend on log")),
            "{v:?}"
        );
        assert!(!v.iter().any(|p| p.contains("proptest")), "{v:?}");
        assert_eq!(v.len(), 4, "{v:?}");
    }
}
