//! The HTTP pieces every feature shares: errors, authentication and CSRF, permissions, the
//! route declarations and the OpenAPI document assembled from them, metrics, response
//! headers, and the connection loop.

pub mod auth;
pub mod error;
pub mod extract;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod perms;
pub mod routes;
pub mod serve;
