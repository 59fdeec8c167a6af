//! The server's integration tests, compiled into one binary (one link instead of one per
//! file): a module per feature area and one shared test application in `common` (sign-in,
//! tokens, requests, a real TCP server).

mod common;

mod api;
mod dashboard;
mod desk;
mod live;
mod lottery;
mod pages;
mod push;
mod security;
mod system;
