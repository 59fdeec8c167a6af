//! Helper programs (Tesseract for OCR, Chromium for PDFs) run bounded: in time, in how
//! many run at once, in how many wait, and — where the program allows it — in memory and
//! CPU time (security review F5).
//!
//! A [`Gate`] lets `running_max` runs go at once and `waiting_max` more wait for a turn;
//! anyone beyond that is told at once that the server is busy (503 `queue_full` with
//! `Retry-After`), instead of queueing without end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// How many runs of one helper program may go at once and wait.
#[derive(Debug)]
pub struct Gate {
    name: &'static str,
    permits: Semaphore,
    running_max: usize,
    waiting: AtomicUsize,
    waiting_max: usize,
}

/// The gate was full: the message names the program and the limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} is busy: {running} running and {waiting} waiting already; retry in a moment")]
pub struct Busy {
    /// The program.
    pub name: &'static str,
    /// Runs allowed at once.
    pub running: usize,
    /// Runs allowed to wait.
    pub waiting: usize,
}

impl Gate {
    /// A gate for `name` with `running_max` runs at once and `waiting_max` waiting.
    pub const fn new(name: &'static str, running_max: usize, waiting_max: usize) -> Gate {
        Gate {
            name,
            permits: Semaphore::const_new(running_max),
            running_max,
            waiting: AtomicUsize::new(0),
            waiting_max,
        }
    }

    /// Waits for a turn, or says at once that too many are waiting already.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let busy = || Busy {
            name: self.name,
            running: self.running_max,
            waiting: self.waiting_max,
        };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.waiting_max {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| busy())
    }
}

/// OCR runs at once (each may use one core and up to [`crate::convert::ocr::OCR_MEMORY_BYTES_MAX`]).
pub const OCR_RUNNING_MAX: usize = 2;
/// OCR runs allowed to wait for a turn.
pub const OCR_WAITING_MAX: usize = 8;
/// PDF renderings at once (a headless browser each).
pub const PDF_RUNNING_MAX: usize = 1;
/// PDF renderings allowed to wait for a turn.
pub const PDF_WAITING_MAX: usize = 4;

/// The gate of every OCR run in this process.
pub static OCR_GATE: Gate = Gate::new("OCR", OCR_RUNNING_MAX, OCR_WAITING_MAX);
/// The gate of every PDF rendering in this process.
pub static PDF_GATE: Gate = Gate::new("PDF", PDF_RUNNING_MAX, PDF_WAITING_MAX);

/// Where `program` is: itself when it names a file, else the first match on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let direct = PathBuf::from(program);
    if program.contains('/') {
        return direct.is_file().then_some(direct);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// A command for `program` whose address space and CPU time are capped by the kernel
/// (`prlimit` from util-linux, present on every Debian system) when `prlimit` is there;
/// otherwise the time limit and the gate are the bounds.
pub fn limited_command(
    program: &std::path::Path,
    memory_bytes_max: u64,
    cpu_seconds_max: u64,
) -> tokio::process::Command {
    static PRLIMIT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    match PRLIMIT.get_or_init(|| find_program("prlimit")) {
        Some(prlimit) => {
            let mut c = tokio::process::Command::new(prlimit);
            c.arg(format!("--as={memory_bytes_max}"))
                .arg(format!("--cpu={cpu_seconds_max}"))
                .arg("--")
                .arg(program);
            c
        }
        None => tokio::process::Command::new(program),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_says_busy_at_once() {
        static GATE: Gate = Gate::new("test", 1, 1);
        let first = GATE.enter().await.unwrap();
        let waiter = tokio::spawn(async { GATE.enter().await.map(|_| ()) });
        tokio::task::yield_now().await;
        while GATE.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let e = GATE.enter().await.unwrap_err();
        assert_eq!(e.name, "test");
        assert!(e.to_string().contains("busy"), "{e}");
        drop(first);
        waiter.await.unwrap().expect("the waiter gets its turn");
        let _again = GATE.enter().await.expect("free again");
    }

    #[test]
    fn programs_are_found_on_the_path() {
        assert!(find_program("sh").is_some());
        assert!(find_program("/nonexistent/tesseract").is_none());
        assert!(find_program("no-such-program-liveguard").is_none());
    }
}
