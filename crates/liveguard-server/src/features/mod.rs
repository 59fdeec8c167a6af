//! One folder per capability, each with the same files: `mod.rs` with its `routes()` — every
//! JSON route declared once beside its handler with its path, method, permission and OpenAPI
//! fragment, every page with its path — and the component schemas it answers with;
//! `service.rs`, the operations with typed inputs that the API and the pages both call;
//! `api.rs` (JSON handlers) and, when it has pages, `pages.rs` (HTML, built with
//! `crate::ui`). Pages never call API handlers. `crate::routes` merges the features' routes.

pub mod dashboard;
pub mod desk;
pub mod live;
pub mod lottery;
pub mod master;
pub mod platform;
pub mod push;
pub mod review;
pub mod system;
