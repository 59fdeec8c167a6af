//! Route declarations. A feature's `routes()` declares each JSON route once, beside its
//! handler, as an [`Op`]: method, path, who may call it, a summary and its OpenAPI fragment
//! (request body, query parameters, success answer, an example). The same call serves the
//! route behind a guard that authenticates the caller and checks the declared permission
//! before the handler runs, so a route cannot be served without its document entry and its
//! permission. The OpenAPI document ([`crate::http::openapi`]) and the route-walking tests
//! read the declarations. Pages (HTML) are served through the same set but are not part of
//! the API document; they check their permission with the signed-in user.

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;

use crate::AppState;
use crate::http::auth::{ApiPrincipal, Authenticated};
use crate::http::perms::Permission;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in caller.
    Any,
    /// Callers whose role has this permission (checked by the route's guard).
    Perm(Permission),
}

impl Access {
    /// `public`, `any` or the permission's name, as the API document shows it.
    pub fn name(self) -> String {
        match self {
            Access::Public => "public".into(),
            Access::Any => "any".into(),
            Access::Perm(p) => format!("{p:?}"),
        }
    }
}

/// A reference to a component schema of the API document.
pub fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The stable codes of a closed set (a `code_enum!` or the like), for a schema's `enum`.
pub fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Value {
    json!(all.iter().map(|v| code(*v)).collect::<Vec<_>>())
}

/// A query parameter of the API document.
pub fn query(name: &str, schema: Value, required: bool, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema, "description": description})
}

/// A `limit` query parameter: a page size from 1 to the store's largest page.
pub fn limit_query(default: i64) -> Value {
    query(
        "limit",
        json!({"type": "integer", "minimum": 1, "maximum": liveguard_store::PAGE_LIMIT_MAX, "default": default}),
        false,
        "page size",
    )
}

/// One declared JSON route: what it is, who may call it and its part of the API document.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// `get`, `post`, `put`, `patch` or `delete`.
    pub method: &'static str,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// One line for the API document.
    pub summary: &'static str,
    /// The OpenAPI `requestBody` object, if it takes a body.
    pub request: Option<Value>,
    /// Path parameters other than integer ids, and query parameters.
    pub parameters: Vec<Value>,
    /// The success status.
    pub status: &'static str,
    /// The success answer's schema; `None` for an answer without a body.
    pub response: Option<Value>,
    /// A documented example request body that the server accepts (tested).
    pub example: Option<Value>,
    /// Other success answers: (status, description, schema).
    pub also: Vec<(&'static str, &'static str, Value)>,
}

impl Op {
    fn new(method: &'static str, path: &'static str, access: Access, summary: &'static str) -> Op {
        Op {
            method,
            path,
            access,
            summary,
            request: None,
            parameters: Vec::new(),
            status: "200",
            response: Some(json!({"type": "object"})),
            example: None,
            also: Vec::new(),
        }
    }

    /// A `GET` route answering 200 with an object.
    pub fn get(path: &'static str, access: Access, summary: &'static str) -> Op {
        Op::new("get", path, access, summary)
    }

    /// A `POST` route answering 200 with an object.
    pub fn post(path: &'static str, access: Access, summary: &'static str) -> Op {
        Op::new("post", path, access, summary)
    }

    /// A `PUT` route answering 200 with an object.
    pub fn put(path: &'static str, access: Access, summary: &'static str) -> Op {
        Op::new("put", path, access, summary)
    }

    /// A `PATCH` route answering 200 with an object.
    pub fn patch(path: &'static str, access: Access, summary: &'static str) -> Op {
        Op::new("patch", path, access, summary)
    }

    /// A `DELETE` route answering 204 without a body.
    pub fn delete(path: &'static str, access: Access, summary: &'static str) -> Op {
        Op::new("delete", path, access, summary).no_content()
    }

    /// Takes a required JSON body of this schema.
    pub fn body(mut self, schema: Value) -> Op {
        self.request =
            Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}));
        self
    }

    /// Takes no body, or an empty JSON object.
    pub fn empty_body(mut self) -> Op {
        self.request = Some(
            json!({"required": false, "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}}),
        );
        self
    }

    /// Documents a parameter (a query parameter, or a path parameter that is not an id).
    pub fn param(mut self, parameter: Value) -> Op {
        self.parameters.push(parameter);
        self
    }

    /// Answers 200 with this schema.
    pub fn ok(self, schema: Value) -> Op {
        self.answers("200", schema)
    }

    /// Answers 201 with this schema.
    pub fn created(self, schema: Value) -> Op {
        self.answers("201", schema)
    }

    /// Answers `status` with this schema.
    pub fn answers(mut self, status: &'static str, schema: Value) -> Op {
        self.status = status;
        self.response = Some(schema);
        self
    }

    /// Answers 204 without a body.
    pub fn no_content(mut self) -> Op {
        self.status = "204";
        self.response = None;
        self
    }

    /// A request body that the server accepts, shown in the document and sent by the tests.
    pub fn example(mut self, example: Value) -> Op {
        self.example = Some(example);
        self
    }

    /// Documents another success answer (`status` with `schema`, said in `description`).
    pub fn also_answers(
        mut self,
        status: &'static str,
        description: &'static str,
        schema: Value,
    ) -> Op {
        self.also.push((status, description, schema));
        self
    }

    /// The OpenAPI operation object.
    pub fn operation(&self) -> Value {
        let ok = match &self.response {
            None => json!({"description": "Done"}),
            Some(schema) => {
                json!({"description": "Success", "content": {"application/json": {"schema": schema}}})
            }
        };
        let mut op = json!({
            "summary": self.summary,
            "x-liveguard-permission": self.access.name(),
            "responses": {
                self.status: ok,
                "default": {"description": "Error", "content": {"application/problem+json": {"schema": schema_ref("Problem")}}},
            },
        });
        for (status, description, schema) in &self.also {
            op["responses"][*status] = json!({"description": description, "content": {"application/json": {"schema": schema}}});
        }
        if self.access != Access::Public {
            op["security"] = json!([{ "bearer": [] }, { "session": [] }]);
        }
        let mut params: Vec<Value> = self
            .path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .filter(|name| {
                !self
                    .parameters
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == *name)
            })
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer"}}))
            .collect();
        params.extend(self.parameters.iter().cloned());
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(mut body) = self.request.clone() {
            if let Some(e) = &self.example {
                body["content"]["application/json"]["example"] = e.clone();
            }
            op["requestBody"] = body;
        }
        op
    }
}

/// The routes of a feature (or of several, merged): what is served and what is declared.
#[derive(Default)]
pub struct RouteSet {
    /// Pages under the server's general body limit.
    pages: Router<AppState>,
    /// Pages with their own, larger body limit.
    large_pages: Router<AppState>,
    /// The declared JSON routes, each with its handler and its own body limit, if any.
    api: Vec<(Op, MethodRouter<AppState>, Option<usize>)>,
    /// Component schemas of the API document, by name.
    schemas: Vec<(&'static str, Value)>,
}

fn filter(method: &str) -> MethodFilter {
    match method {
        "get" => MethodFilter::GET,
        "post" => MethodFilter::POST,
        "put" => MethodFilter::PUT,
        "patch" => MethodFilter::PATCH,
        "delete" => MethodFilter::DELETE,
        other => panic!("route method `{other}` is not one of get, post, put, patch, delete"),
    }
}

/// The body limit of a group of routes: the transport limit (refuses a longer body,
/// whether announced by `Content-Length` or streamed) and the same limit for axum's
/// extractors, whose own default (2 MiB) would otherwise cut the larger groups short
/// (security review F6).
pub fn body_limit(
    bytes_max: usize,
) -> tower::layer::util::Stack<RequestBodyLimitLayer, axum::extract::DefaultBodyLimit> {
    tower::layer::util::Stack::new(
        RequestBodyLimitLayer::new(bytes_max),
        axum::extract::DefaultBodyLimit::max(bytes_max),
    )
}

/// The guard in front of every declared route that is not public: authenticates the caller
/// (token, or session with its CSRF token on writes), checks the declared permission, and
/// hands the caller to the handler's [`ApiPrincipal`] without a second lookup.
async fn guard(
    State((state, access)): State<(AppState, Access)>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let p = match ApiPrincipal::from_request_parts(&mut parts, &state).await {
        Ok(ApiPrincipal(p)) => p,
        Err(e) => return e.into_response(),
    };
    if let Access::Perm(permission) = access
        && let Err(e) = p.require(permission)
    {
        return e.into_response();
    }
    parts.extensions.insert(Authenticated(p));
    next.run(Request::from_parts(parts, body)).await
}

impl RouteSet {
    /// An empty set.
    pub fn new() -> Self {
        RouteSet::default()
    }

    /// Declares and serves a JSON route.
    pub fn api<H, T>(self, op: Op, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.declare(op, handler, None)
    }

    /// Declares and serves a JSON route whose body may be up to `bytes_max` bytes.
    pub fn api_large<H, T>(self, op: Op, bytes_max: usize, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.declare(op, handler, Some(bytes_max))
    }

    fn declare<H, T>(mut self, op: Op, handler: H, bytes_max: Option<usize>) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let methods = on(filter(op.method), handler);
        self.api.push((op, methods, bytes_max));
        self
    }

    /// A component schema of the API document, referred to with [`schema_ref`].
    pub fn schema(mut self, name: &'static str, schema: Value) -> Self {
        self.schemas.push((name, schema));
        self
    }

    /// Serves a page (HTML, or a public file) at `path`.
    pub fn page(mut self, path: &'static str, methods: MethodRouter<AppState>) -> Self {
        self.pages = self.pages.route(path, methods);
        self
    }

    /// Serves a page whose form may post up to `bytes_max` bytes.
    pub fn page_large(
        mut self,
        path: &'static str,
        methods: MethodRouter<AppState>,
        bytes_max: usize,
    ) -> Self {
        self.large_pages = self
            .large_pages
            .route(path, methods.layer(body_limit(bytes_max)));
        self
    }

    /// Both sets in one.
    pub fn merge(mut self, other: RouteSet) -> Self {
        self.pages = self.pages.merge(other.pages);
        self.large_pages = self.large_pages.merge(other.large_pages);
        self.api.extend(other.api);
        self.schemas.extend(other.schemas);
        self
    }

    /// The declared JSON routes, in declaration order.
    pub fn ops(&self) -> impl Iterator<Item = &Op> {
        self.api.iter().map(|(op, _, _)| op)
    }

    /// The declared component schemas, in declaration order.
    pub fn schemas(&self) -> &[(&'static str, Value)] {
        &self.schemas
    }

    /// The router: pages and JSON routes under `general_bytes_max` unless they declared
    /// their own limit; every JSON route that is not public behind its guard.
    pub fn into_router(self, state: &AppState, general_bytes_max: usize) -> Router<AppState> {
        let mut general = self.pages;
        let mut large = self.large_pages;
        for (op, methods, bytes_max) in self.api {
            let methods = match op.access {
                Access::Public => methods,
                access => methods.route_layer(middleware::from_fn_with_state(
                    (state.clone(), access),
                    guard,
                )),
            };
            match bytes_max {
                None => general = general.route(op.path, methods),
                Some(max) => large = large.route(op.path, methods.layer(body_limit(max))),
            }
        }
        general.layer(body_limit(general_bytes_max)).merge(large)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_documents_its_access_parameters_body_answer_and_example() {
        let op = Op::post(
            "/api/v1/lotteries/{id}/claims/{position}",
            Access::Perm(Permission::HandlePrizes),
            "Move a claim",
        )
        .param(json!({"name": "position", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}))
        .param(query("all", json!({"type": "boolean"}), false, "every one"))
        .body(json!({"type": "object"}))
        .created(schema_ref("PrizeClaim"))
        .example(json!({"note": "x"}));
        let doc = op.operation();
        assert_eq!(doc["x-liveguard-permission"], "HandlePrizes");
        assert!(doc["security"].is_array());
        let params = doc["parameters"].as_array().unwrap();
        // `{id}` is documented as an integer without being declared; `{position}` once, as declared.
        assert_eq!(params.iter().filter(|p| p["name"] == "id").count(), 1);
        assert_eq!(params.iter().filter(|p| p["name"] == "position").count(), 1);
        assert_eq!(
            params.iter().find(|p| p["name"] == "position").unwrap()["schema"]["minimum"],
            0
        );
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "all" && p["in"] == "query")
        );
        assert_eq!(doc["requestBody"]["required"], true);
        assert_eq!(
            doc["requestBody"]["content"]["application/json"]["example"]["note"],
            "x"
        );
        assert_eq!(
            doc["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/PrizeClaim"
        );
        assert!(doc["responses"]["default"].is_object());

        let public = Op::delete("/api/v1/session", Access::Public, "Log out").operation();
        assert!(public["security"].is_null());
        assert!(public["parameters"].is_null());
        assert!(public["responses"]["204"]["content"].is_null(), "no body");
    }
}
