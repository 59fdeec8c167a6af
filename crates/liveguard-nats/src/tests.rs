//! Against the NATS server at `LIVEGUARD_TEST_NATS_URL` (default nats://127.0.0.1:4222):
//! skipped with a notice when it is unreachable, mandatory under `CI=true`. Each test uses
//! its own stream and subject prefix and deletes the stream afterwards.

use std::time::Duration;

use super::*;

fn url() -> String {
    std::env::var("LIVEGUARD_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

async fn bus(name: &str, ack_wait: Duration) -> Option<Bus> {
    let tag = format!("{name}_{}", std::process::id());
    let config = BusConfig {
        stream: format!("LGTEST_{tag}"),
        prefix: format!("lgtest.{tag}"),
        max_bytes: 1 << 20,
        ack_wait,
        max_ack_pending: 100,
        duplicate_window: Duration::from_secs(60),
    };
    match Bus::connect(&url(), config).await {
        Ok(b) => Some(b),
        Err(e) => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "NATS JetStream is required under CI=true: {e}"
            );
            eprintln!("notice: {e}; NATS tests skipped (mandatory under CI=true)");
            None
        }
    }
}

#[tokio::test]
async fn batches_are_stored_delivered_once_acked_and_redelivered_when_not() {
    let Some(bus) = bus("redeliver", Duration::from_secs(1)).await else {
        return;
    };
    bus.publish_batch(7, "b1", b"first".to_vec()).await.unwrap();
    bus.publish_batch(7, "b2", b"second".to_vec())
        .await
        .unwrap();
    // Same id inside the window: dropped by JetStream.
    bus.publish_batch(7, "b1", b"first again".to_vec())
        .await
        .unwrap();
    assert_eq!(bus.stored_messages().await.unwrap(), 2);

    let w = bus.worker("workers").await.unwrap();
    let got = w
        .next_batches(10, Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].payload(), got[0].session()),
        (&b"first"[..], Some(7))
    );
    assert_eq!(got[0].delivered(), 1);
    let mut got = got.into_iter();
    // The first is acknowledged; the second is left as a crashed worker would leave it.
    got.next().unwrap().ack().await.unwrap();
    drop(got);
    // A second worker on the same durable consumer gets the unacknowledged one again after
    // the ack wait, and nothing else.
    let w2 = bus.worker("workers").await.unwrap();
    let again = w2.next_batches(1, Duration::from_secs(3)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].payload(), b"second");
    assert!(again[0].delivered() >= 2);
    for d in again {
        d.ack().await.unwrap();
    }
    assert!(
        w.next_batches(10, Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    bus.delete_stream().await.unwrap();
}

#[tokio::test]
async fn a_full_stream_refuses_new_batches() {
    let Some(bus) = bus("full", Duration::from_secs(5)).await else {
        return;
    };
    let big = vec![b'x'; 300 * 1024];
    let mut refused = None;
    for i in 0..10 {
        if let Err(e) = bus.publish_batch(1, &format!("big{i}"), big.clone()).await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, e) = refused.expect("a 1 MiB stream refuses the fourth 300 KiB batch");
    assert!(i >= 3, "refused too early: {i}");
    assert!(e.to_string().contains("publish"), "{e}");
    // What was stored is still there.
    assert_eq!(bus.stored_messages().await.unwrap(), i as u64);
    bus.delete_stream().await.unwrap();
}

#[tokio::test]
async fn console_messages_carry_their_session() {
    let Some(bus) = bus("console", Duration::from_secs(5)).await else {
        return;
    };
    let mut sub = Box::pin(bus.console().await.unwrap());
    bus.flush().await.unwrap();
    bus.publish_console(42, b"{\"kind\":\"alert\"}".to_vec())
        .await;
    bus.flush().await.unwrap();
    let (session, payload) = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (session, payload.as_slice()),
        (42, &b"{\"kind\":\"alert\"}"[..])
    );
    bus.delete_stream().await.unwrap();
}
