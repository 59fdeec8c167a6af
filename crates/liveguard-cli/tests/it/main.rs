//! The CLI's integration tests against the real `liveguard` binary, in one test binary: the
//! commands in an isolated directory (`cli`) and the real server and workers — crash safety,
//! backups, scale-out over NATS (`server`).

mod cli;
mod server;
