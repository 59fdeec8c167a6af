//! The OpenAPI 3.1 document of every JSON route, assembled from the features' declarations
//! ([`crate::declarations`]): each route's operation (permission, parameters, request body,
//! success answer, example) is declared beside its handler in the feature's `mod.rs`, each
//! feature declares the component schemas it answers with, and the schemas every feature
//! shares (problems, hashes, findings) live here. A test checks that every served route is
//! documented and every documented route is served.

use std::sync::OnceLock;

use axum::Json;
use serde_json::{Map, Value, json};

/// The schemas every feature shares.
fn shared_schemas() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Problem",
            json!({"type": "object", "required": ["type", "title", "status", "code"], "properties": {
            "type": {"type": "string", "enum": ["invalid_request", "auth", "internal", "system"]}, "title": {"type": "string"},
            "status": {"type": "integer"}, "code": {"type": "string"}, "field": {"type": "string"}, "link": {"type": "string"}}}),
        ),
        (
            "Hash",
            json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
        ),
        (
            "Finding",
            json!({"type": "object", "required": ["rule", "category", "severity", "citations", "span", "matched"], "properties": {
            "rule": {"type": "string"}, "category": {"type": "string"}, "severity": {"type": "string", "enum": ["info", "review", "block"]},
            "citations": {"type": "array", "items": {"type": "object", "properties": {"law": {"type": "string"}, "article": {"type": "string"}, "clause": {"type": "string"}, "tag": {"type": "string", "enum": ["P", "S", "R", "U"]}}}},
            "span": {"type": "object", "properties": {"byte_start": {"type": "integer"}, "byte_end": {"type": "integer"}, "char_start": {"type": "integer"}, "char_end": {"type": "integer"},
                "line": {"type": "integer"}, "column": {"type": "integer"}, "end_line": {"type": "integer"}, "end_column": {"type": "integer"}}},
            "matched": {"type": "string"}, "normalized": {"type": "string"}, "suggestion": {"type": "string"}, "exception": {"type": "string"}, "masked": {"type": "string"}}}),
        ),
    ]
}

/// The document.
///
/// # Panics
/// When two declarations give one component schema, or one method and path, twice: a
/// programming error that the tests meet before a release.
pub fn build() -> Value {
    let crate::Declarations {
        ops,
        schemas: feature_schemas,
    } = crate::declarations();
    let mut paths = Map::new();
    for op in ops {
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        assert!(
            entry[op.method].is_null(),
            "{} {} is declared twice",
            op.method,
            op.path
        );
        entry[op.method] = op.operation();
    }
    let mut schemas = Map::new();
    for (name, schema) in shared_schemas()
        .into_iter()
        .chain(feature_schemas.iter().cloned())
    {
        assert!(
            schemas.insert(name.to_string(), schema).is_none(),
            "schema {name} is declared twice"
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "liveguard API", "version": env!("CARGO_PKG_VERSION"), "description": "直播带货合规平台 API. Errors are application/problem+json with a stable `code`." },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "API token from `liveguard admin create-token` or POST /api/v1/tokens" },
                "session": { "type": "apiKey", "in": "cookie", "name": "lg_session", "description": "Browser session; state-changing requests also need the X-CSRF-Token header" }
            },
            "schemas": schemas
        }
    })
}

/// `GET /api/v1/openapi.json`: built once, then served from memory.
pub async fn document() -> Json<Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(build).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_resolves_and_every_path_parameter_is_declared() {
        let doc = build();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected ref {r}"));
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{r} does not resolve"
            );
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if path.contains('{') {
                    assert!(
                        op["parameters"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|p| p["in"] == "path"),
                        "{method} {path}"
                    );
                }
                if matches!(method.as_str(), "post" | "patch") && path != "/api/v1/session"
                    || path == "/api/v1/session" && method == "post"
                {
                    assert!(
                        op["requestBody"].is_object(),
                        "{method} {path} has a request body schema"
                    );
                }
                assert!(op["responses"]["default"].is_object());
            }
        }
    }
}
