//! One folder per capability. Each has `mod.rs` with its `routes()` — every route declared
//! once with its path, method, permission and summary beside its handler — `api.rs` (JSON)
//! and, when it has pages, `pages.rs` (HTML). `crate::app` merges the features' routes.

pub mod live;
pub mod lottery;
pub mod master;
pub mod platform;
pub mod review;
