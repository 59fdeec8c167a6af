//! Route declarations. A feature's `routes()` declares each JSON route once — method, path,
//! who may call it and a summary, beside its handler — and the same call serves it; the
//! OpenAPI document ([`crate::http::openapi`]) and the route-walking tests read the
//! declarations, so a route cannot be served without its document entry and permission.
//! Pages (HTML) are served through the same set but are not part of the API document.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::limit::RequestBodyLimitLayer;

use crate::AppState;
use crate::http::perms::Permission;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in caller.
    Any,
    /// Callers whose role has this permission (the handler checks it on the server).
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

/// One declared JSON route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    /// `get`, `post`, `put`, `patch` or `delete`.
    pub method: &'static str,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// One line for the API document.
    pub summary: &'static str,
}

/// The routes of a feature (or of several, merged): what is served and what is declared.
#[derive(Default)]
pub struct RouteSet {
    /// Routes under the server's general body limit.
    router: Router<AppState>,
    /// Routes with their own, larger body limit (uploads, entrant lists).
    large: Router<AppState>,
    /// The declared JSON routes.
    api: Vec<ApiRoute>,
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

impl RouteSet {
    /// An empty set.
    pub fn new() -> Self {
        RouteSet::default()
    }

    /// Declares and serves a JSON route.
    pub fn api<H, T>(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter(method), handler));
        self.declare(method, path, access, summary)
    }

    /// Declares and serves a JSON route whose body may be up to `bytes_max` bytes.
    pub fn api_large<H, T>(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        bytes_max: usize,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.large = self.large.route(
            path,
            on(filter(method), handler).layer(body_limit(bytes_max)),
        );
        self.declare(method, path, access, summary)
    }

    /// Serves a page (HTML, or a public file) at `path`.
    pub fn page(mut self, path: &'static str, methods: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, methods);
        self
    }

    /// Serves a page whose form may post up to `bytes_max` bytes.
    pub fn page_large(
        mut self,
        path: &'static str,
        methods: MethodRouter<AppState>,
        bytes_max: usize,
    ) -> Self {
        self.large = self.large.route(path, methods.layer(body_limit(bytes_max)));
        self
    }

    /// Both sets in one.
    pub fn merge(mut self, other: RouteSet) -> Self {
        self.router = self.router.merge(other.router);
        self.large = self.large.merge(other.large);
        self.api.extend(other.api);
        self
    }

    /// The declared JSON routes.
    pub fn api_routes(&self) -> &[ApiRoute] {
        &self.api
    }

    /// The router: the general routes under `general_bytes_max`, the large ones under their
    /// own limits.
    pub fn into_router(self, general_bytes_max: usize) -> Router<AppState> {
        self.router
            .layer(body_limit(general_bytes_max))
            .merge(self.large)
    }

    fn declare(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
    ) -> Self {
        self.api.push(ApiRoute {
            method,
            path,
            access,
            summary,
        });
        self
    }
}
