//! Outgoing HTTP(S) requests: the one place that opens a connection to another server —
//! drand relays, webhook receivers and the group robots of 企业微信, 钉钉 and 飞书.
//!
//! One request per connection (HTTP/1.1), bounded in time end to end and in the size of
//! the answer read back. HTTPS uses rustls (ring; TLS 1.2 and 1.3) with the system's root
//! certificates, or with roots the caller gives (a receiver behind an internal CA).
//!
//! Invariants:
//! - Errors name the server as `scheme://host:port` only ([`shown`]): a URL's path and
//!   query may carry a token (robot keys are in the query) and never reach a message.
//! - A request never follows a redirect and never retries; the caller decides.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;

pub use tokio_rustls::rustls::RootCertStore;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL is not `http://` or `https://` with a host.
    #[error("{0} is not an http:// or https:// address with a host")]
    BadUrl(String),
    /// No connection (refused, unreachable, no such host).
    #[error("{0}: cannot connect: {1}")]
    Connect(String, String),
    /// The TLS handshake failed (an unknown certificate, a wrong name).
    #[error("{0}: TLS: {1}")]
    Tls(String, String),
    /// The exchange failed after connecting.
    #[error("{0}: HTTP: {1}")]
    Http(String, String),
    /// No complete answer within the client's time limit.
    #[error("{0}: no answer within {1:?}")]
    Timeout(String, Duration),
}

/// An answer: its status and its body (cut at the request's bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body, at most the request's `answer_bytes_max`.
    pub body: Bytes,
}

/// One request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: hyper::Method,
    /// The full URL.
    pub url: String,
    /// Extra headers (`Host` and `User-Agent` are set by the client).
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for a GET).
    pub body: Vec<u8>,
    /// Largest answer body read back; a longer one is an error.
    pub answer_bytes_max: usize,
}

impl Request {
    /// A GET of `url`.
    pub fn get(url: &str) -> Request {
        Request {
            method: hyper::Method::GET,
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            answer_bytes_max: 64 * 1024,
        }
    }

    /// A POST of `body` (`content_type`) to `url`.
    pub fn post(url: &str, content_type: &str, body: Vec<u8>) -> Request {
        Request {
            method: hyper::Method::POST,
            url: url.to_string(),
            headers: vec![("content-type", content_type.to_string())],
            body,
            answer_bytes_max: 64 * 1024,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers.push((name, value.into()));
        self
    }
}

/// `scheme://host:port` of `url` (no path, no query), for messages and pages.
pub fn shown(url: &str) -> String {
    match url.trim().parse::<hyper::Uri>() {
        Ok(u) => format!(
            "{}://{}",
            u.scheme_str().unwrap_or("?"),
            u.authority().map(|a| a.as_str()).unwrap_or("?")
        ),
        Err(_) => "<unparsable address>".into(),
    }
}

/// Sends requests; cheap to clone.
#[derive(Clone)]
pub struct Client {
    tls: Arc<tokio_rustls::rustls::ClientConfig>,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Client {
    /// A client trusting the system's root certificates, each request bounded by `timeout`
    /// (connect, handshake, request and answer together).
    pub fn new(timeout: Duration) -> Client {
        let mut roots = RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A root the system lists but rustls cannot read is left out, not fatal.
            let _ = roots.add(cert);
        }
        Client::with_roots(roots, timeout)
    }

    /// A client trusting only `roots` for https:// addresses.
    pub fn with_roots(roots: RootCertStore, timeout: Duration) -> Client {
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Client {
            tls: Arc::new(config),
            timeout,
        }
    }

    /// The time limit of one request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` and reads the answer.
    pub async fn send(&self, request: Request) -> Result<Answer, OutboundError> {
        let name = shown(&request.url);
        match tokio::time::timeout(self.timeout, self.exchange(request, &name)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout(name, self.timeout)),
        }
    }

    async fn exchange(&self, request: Request, name: &str) -> Result<Answer, OutboundError> {
        let bad = || OutboundError::BadUrl(name.to_string());
        let uri: hyper::Uri = request.url.trim().parse().map_err(|_| bad())?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad()),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(bad)?
            .trim_matches(['[', ']'])
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = uri
            .authority()
            .map(|a| a.to_string())
            .unwrap_or(host.clone());
        let mut builder = hyper::Request::builder()
            .method(request.method)
            .uri(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
            .header(hyper::header::HOST, authority)
            .header(
                hyper::header::USER_AGENT,
                concat!("liveguard/", env!("CARGO_PKG_VERSION")),
            );
        for (k, v) in &request.headers {
            builder = builder.header(*k, v);
        }
        let http = |e: String| OutboundError::Http(name.to_string(), e);
        let req = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| http(e.to_string()))?;
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| OutboundError::Connect(name.to_string(), e.to_string()))?;
        if https {
            let server = tokio_rustls::rustls::pki_types::ServerName::try_from(host)
                .map_err(|e| OutboundError::Tls(name.to_string(), e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(server, tcp)
                .await
                .map_err(|e| OutboundError::Tls(name.to_string(), e.to_string()))?;
            one_exchange(
                hyper_util::rt::TokioIo::new(tls),
                req,
                request.answer_bytes_max,
            )
            .await
            .map_err(http)
        } else {
            one_exchange(
                hyper_util::rt::TokioIo::new(tcp),
                req,
                request.answer_bytes_max,
            )
            .await
            .map_err(http)
        }
    }
}

async fn one_exchange<T>(
    io: T,
    request: hyper::Request<Full<Bytes>>,
    answer_bytes_max: usize,
) -> Result<Answer, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), answer_bytes_max)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        Ok(Answer { status, body })
    }
    .await;
    conn.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on a free local port that answers once per connection with `answer` and
    /// keeps what it was sent.
    async fn server(answer: &'static str) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).to_string());
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        (format!("http://{addr}"), seen)
    }

    #[tokio::test]
    async fn a_post_carries_its_headers_and_body_and_reads_the_answer() {
        let (url, seen) = server(
            "HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"errcode\":0}",
        )
        .await;
        let c = Client::with_roots(RootCertStore::empty(), Duration::from_secs(5));
        let a = c
            .send(
                Request::post(
                    &format!("{url}/hook?key=SECRET"),
                    "application/json",
                    b"{\"x\":1}".to_vec(),
                )
                .header("x-test", "yes"),
            )
            .await
            .unwrap();
        assert_eq!(a.status, 200);
        assert_eq!(&a.body[..], b"{\"errcode\":0}");
        let got = seen.lock().unwrap()[0].clone();
        assert!(got.starts_with("POST /hook?key=SECRET HTTP/1.1"), "{got}");
        assert!(
            got.contains("x-test: yes") && got.ends_with("{\"x\":1}"),
            "{got}"
        );
    }

    #[tokio::test]
    async fn errors_name_the_server_but_never_the_path_or_query() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let c = Client::with_roots(RootCertStore::empty(), Duration::from_secs(5));
        let e = c
            .send(Request::get(&format!(
                "http://127.0.0.1:{port}/cgi-bin/webhook/send?key=TOPSECRET"
            )))
            .await
            .unwrap_err();
        let said = e.to_string();
        assert!(matches!(e, OutboundError::Connect(..)), "{said}");
        assert!(said.contains(&format!("127.0.0.1:{port}")) && !said.contains("TOPSECRET"));
        for bad in ["ftp://x/y", "http:///nohost", "not a url"] {
            assert!(matches!(
                c.send(Request::get(bad)).await,
                Err(OutboundError::BadUrl(_))
            ));
        }
        assert_eq!(
            shown("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
            "https://qyapi.weixin.qq.com"
        );
    }

    #[tokio::test]
    async fn a_silent_server_is_cut_off_at_the_time_limit() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let c = Client::with_roots(RootCertStore::empty(), Duration::from_millis(300));
        let e = c
            .send(Request::get(&format!("http://{addr}/")))
            .await
            .unwrap_err();
        assert!(matches!(e, OutboundError::Timeout(..)), "{e}");
    }

    #[tokio::test]
    async fn an_answer_over_the_bound_is_an_error() {
        let (url, _) = server(
            "HTTP/1.1 200 OK\r\ncontent-length: 20\r\nconnection: close\r\n\r\n01234567890123456789",
        )
        .await;
        let c = Client::with_roots(RootCertStore::empty(), Duration::from_secs(5));
        let mut r = Request::get(&url);
        r.answer_bytes_max = 10;
        assert!(matches!(c.send(r).await, Err(OutboundError::Http(..))));
    }
}
