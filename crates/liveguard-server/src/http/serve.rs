//! The HTTP/1 connection loop, with the connection timeouts axum's `serve` does not set
//! (security review F9): a connection must send a whole request head within
//! `header_timeout_seconds` of opening or of its previous answer, or it is closed — so an
//! idle connection, or one that sends half a header and stops, does not hold a socket.
//! Bodies and handlers are bounded by `request_timeout_seconds` (the timeout layer).

use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;

/// Most connections served at once; further ones wait in the kernel's backlog.
pub const CONNECTIONS_MAX: usize = 10_000;

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish
/// (at most `request_timeout` more).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
    request_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(CONNECTIONS_MAX));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(error = %e, "Accepting a connection failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move { router.oneshot(req).await }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await.map(|_| ());
            };
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stopped => {
                    // Finish the request in flight, then close.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(slot);
        });
    }
    let _ = stop_tx.send(true);
    let all = u32::try_from(CONNECTIONS_MAX).unwrap_or(u32::MAX);
    if tokio::time::timeout(request_timeout, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("Connections still open at shutdown were closed.");
    }
    Ok(())
}
