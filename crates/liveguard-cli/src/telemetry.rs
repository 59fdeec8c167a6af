//! The one place a tracing subscriber is installed. Logs go to stderr as text;
//! `LIVEGUARD_LOG` (or `RUST_LOG`) sets the filter, default `info`.

pub(crate) fn install() {
    let filter = std::env::var("LIVEGUARD_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
