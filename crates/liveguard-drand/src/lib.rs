//! Fetches one drand beacon (`GET {relay}/{chain hash}/public/{round}`) from a list of
//! HTTP(S) relays, trying each in turn. Nothing here is trusted: the caller verifies the
//! signature against the chain's public key (`liveguard-lottery`), so a wrong or lying relay
//! can delay a draw but never choose its winners.
//!
//! The requests go through `liveguard-outbound` (HTTPS with rustls and the system's root
//! certificates).

use std::time::Duration;

use liveguard_outbound::Answer as Answer_;
pub use liveguard_outbound::RootCertStore;
use serde::Deserialize;

/// Largest answer read from a relay.
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// A beacon as a relay reports it (unverified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    /// Round.
    pub round: u64,
    /// BLS signature (hex).
    pub signature: String,
    /// The relay that answered.
    pub relay: String,
}

/// Why no beacon was fetched.
#[derive(Debug, thiserror::Error)]
pub enum DrandError {
    /// A relay address is not `http://` or `https://` with a host.
    #[error("drand relay {0:?} is not an http:// or https:// address with a host")]
    BadRelay(String),
    /// No relay is configured.
    #[error("no drand relay is configured (lottery.drand_relays)")]
    NoRelays,
    /// The round is not produced yet (every relay that answered said so).
    #[error("drand round {0} is not available yet; draw after its time")]
    NotYet(u64),
    /// Every relay failed; one line a relay.
    #[error("no drand relay answered: {}", .0.join("; "))]
    Unreachable(Vec<String>),
}

#[derive(Debug, Clone)]
struct Relay {
    /// The address as configured, without a trailing slash (requests append to it).
    shown: String,
    https: bool,
}

/// Fetches beacons from relays.
#[derive(Clone)]
pub struct Client {
    relays: Vec<Relay>,
    http: liveguard_outbound::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field(
                "relays",
                &self.relays.iter().map(|r| &r.shown).collect::<Vec<_>>(),
            )
            .field("timeout", &self.http.timeout())
            .finish()
    }
}

impl Client {
    /// A client for `relays` (`https://api.drand.sh`, `http://10.0.0.5:8080/drand`, …), each
    /// request bounded by `timeout`.
    pub fn new(relays: &[String], timeout: Duration) -> Result<Self, DrandError> {
        let relays = parse_relays(relays)?;
        let http = if relays.iter().any(|r| r.https) {
            liveguard_outbound::Client::new(timeout)
        } else {
            liveguard_outbound::Client::with_roots(RootCertStore::empty(), timeout)
        };
        Ok(Client { relays, http })
    }

    /// A client trusting only `roots` for https:// relays (a relay behind an internal CA).
    pub fn with_roots(
        relays: &[String],
        timeout: Duration,
        roots: RootCertStore,
    ) -> Result<Self, DrandError> {
        Ok(Client {
            relays: parse_relays(relays)?,
            http: liveguard_outbound::Client::with_roots(roots, timeout),
        })
    }

    /// The relays, as configured.
    pub fn relays(&self) -> Vec<String> {
        self.relays.iter().map(|r| r.shown.clone()).collect()
    }

    /// Round `round` of chain `chain_hash` from the first relay that has it.
    pub async fn round(&self, chain_hash: &str, round: u64) -> Result<Beacon, DrandError> {
        if self.relays.is_empty() {
            return Err(DrandError::NoRelays);
        }
        let mut failures = Vec::new();
        let mut not_yet = 0;
        for relay in &self.relays {
            let url = format!("{}/{chain_hash}/public/{round}", relay.shown);
            let mut request =
                liveguard_outbound::Request::get(&url).header("accept", "application/json");
            request.answer_bytes_max = ANSWER_BYTES_MAX;
            match self.http.send(request).await {
                Err(e) => failures.push(e.to_string()),
                // drand answers 404 or 425 (Too Early) for a round still in the future.
                Ok(Answer_ {
                    status: 404 | 425, ..
                }) => {
                    not_yet += 1;
                    failures.push(format!("{}: round {round} not available", relay.shown));
                }
                Ok(Answer_ { status: 200, body }) => {
                    match serde_json::from_slice::<Answer>(&body) {
                        Ok(a) if a.round == round && !a.signature.is_empty() => {
                            return Ok(Beacon {
                                round,
                                signature: a.signature,
                                relay: relay.shown.clone(),
                            });
                        }
                        Ok(a) => failures.push(format!(
                            "{}: answered round {} instead of {round}",
                            relay.shown, a.round
                        )),
                        Err(e) => failures.push(format!("{}: not a beacon: {e}", relay.shown)),
                    }
                }
                Ok(Answer_ { status, .. }) => {
                    failures.push(format!("{}: HTTP {status}", relay.shown))
                }
            }
        }
        if not_yet > 0 && not_yet == failures.len() {
            return Err(DrandError::NotYet(round));
        }
        Err(DrandError::Unreachable(failures))
    }
}

fn parse_relays(relays: &[String]) -> Result<Vec<Relay>, DrandError> {
    relays.iter().map(|r| parse_relay(r)).collect()
}

#[derive(Deserialize)]
struct Answer {
    round: u64,
    signature: String,
}

fn parse_relay(s: &str) -> Result<Relay, DrandError> {
    let bad = || DrandError::BadRelay(s.to_string());
    let uri: hyper::Uri = s.trim().parse().map_err(|_| bad())?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(bad()),
    };
    if uri.host().is_none_or(|h| h.is_empty()) || uri.query().is_some() {
        return Err(bad());
    }
    Ok(Relay {
        shown: s.trim().trim_end_matches('/').to_string(),
        https,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A relay on a free local port answering every request with `status` and `body`;
    /// returns its address and the request lines it saw.
    async fn relay(
        status: u16,
        body: &'static str,
    ) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                log.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_string());
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        (format!("http://{addr}"), seen)
    }

    const BEACON_123: &str = r#"{"round":123,"randomness":"ab","signature":"b75c69d0"}"#;

    #[tokio::test]
    async fn the_first_relay_with_the_round_answers() {
        let (down, _) = relay(500, "oops").await;
        let (good, seen) = relay(200, BEACON_123).await;
        let c = Client::new(&[down.clone(), format!("{good}/")], Duration::from_secs(5)).unwrap();
        let b = c.round("chainhash", 123).await.unwrap();
        assert_eq!(
            b,
            Beacon {
                round: 123,
                signature: "b75c69d0".into(),
                relay: good
            }
        );
        assert_eq!(
            seen.lock().unwrap()[0],
            "GET /chainhash/public/123 HTTP/1.1"
        );
    }

    #[tokio::test]
    async fn a_future_round_and_dead_relays_are_told_apart() {
        let (early, _) = relay(425, "too early").await;
        let c = Client::new(std::slice::from_ref(&early), Duration::from_secs(5)).unwrap();
        assert!(matches!(c.round("x", 9).await, Err(DrandError::NotYet(9))));
        // A relay that answers another round, one that answers nonsense, one that is down.
        let (wrong, _) = relay(200, BEACON_123).await;
        let (junk, _) = relay(200, "<html>").await;
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        let c = Client::new(&[wrong, junk, closed], Duration::from_secs(5)).unwrap();
        match c.round("x", 124).await {
            Err(DrandError::Unreachable(lines)) => {
                assert_eq!(lines.len(), 3, "{lines:?}");
                assert!(lines[0].contains("round 123 instead of 124"), "{lines:?}");
                assert!(lines[1].contains("not a beacon"), "{lines:?}");
                assert!(lines[2].contains("connect"), "{lines:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn relay_addresses_are_checked() {
        for bad in ["ftp://x", "api.drand.sh", "https://", "http://x/?q=1"] {
            assert!(
                matches!(
                    Client::new(&[bad.to_string()], Duration::from_secs(1)),
                    Err(DrandError::BadRelay(_))
                ),
                "{bad}"
            );
        }
        let c = Client::new(
            &[
                "https://api.drand.sh/".to_string(),
                "http://10.0.0.5:8080/drand".to_string(),
            ],
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            c.relays(),
            ["https://api.drand.sh", "http://10.0.0.5:8080/drand"]
        );
        assert!(c.relays[0].https && !c.relays[1].https);
    }

    /// A real TLS 1.3 handshake with a local relay whose certificate (made by the openssl
    /// program) is the only root the client trusts; an unknown certificate is refused.
    #[tokio::test]
    async fn https_relays_are_reached_over_tls_and_unknown_certificates_refused() {
        use tokio_rustls::rustls;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = std::env::temp_dir().join(format!("lg-drand-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
            ])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .output();
        match made {
            Ok(o) if o.status.success() => {}
            other if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("openssl is needed under CI=true: {other:?}")
            }
            _ => {
                eprintln!("notice: openssl missing; TLS relay test skipped");
                return;
            }
        }
        let cert = CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap();
        let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut s) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buf = vec![0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BEACON_123}",
                        BEACON_123.len()
                    );
                    let _ = s.write_all(answer.as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        let relay = format!("https://localhost:{port}");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let c = Client::with_roots(std::slice::from_ref(&relay), Duration::from_secs(5), roots)
            .unwrap();
        assert_eq!(c.round("chain", 123).await.unwrap().signature, "b75c69d0");
        let strangers = Client::with_roots(
            &[relay],
            Duration::from_secs(5),
            rustls::RootCertStore::empty(),
        )
        .unwrap();
        match strangers.round("chain", 123).await {
            Err(DrandError::Unreachable(lines)) => assert!(lines[0].contains("TLS"), "{lines:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn no_relays_is_an_error_naming_the_setting() {
        let c = Client::new(&[], Duration::from_secs(1)).unwrap();
        let e = c.round("x", 1).await.unwrap_err();
        assert!(e.to_string().contains("lottery.drand_relays"));
    }
}
