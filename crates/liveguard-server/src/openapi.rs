//! The OpenAPI 3.1 document of every JSON route, built from [`crate::API_ROUTES`] so that a
//! route cannot be served without being described (a test checks both directions).

use axum::Json;
use serde_json::{Map, Value, json};

use crate::API_ROUTES;

/// The document.
pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, permission) in API_ROUTES {
        let mut op = json!({
            "summary": summary,
            "x-liveguard-permission": permission,
            "responses": {
                "200": { "description": "Success", "content": { "application/json": { "schema": { "type": "object" } } } },
                "default": { "description": "Error", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
            }
        });
        if *permission != "public" {
            op["security"] = json!([{ "bearer": [] }, { "session": [] }]);
        }
        if path.contains("{id}") {
            op["parameters"] = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
        }
        if matches!(*method, "post" | "patch") {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
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
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "code"],
                    "properties": {
                        "type": { "type": "string", "enum": ["invalid_request", "auth", "internal", "system"] },
                        "title": { "type": "string" }, "status": { "type": "integer" }, "code": { "type": "string" },
                        "field": { "type": "string" }, "link": { "type": "string" }
                    }
                }
            }
        }
    })
}

/// `GET /api/v1/openapi.json`
pub async fn document() -> Json<Value> {
    Json(build())
}
