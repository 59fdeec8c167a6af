//! The real `liveguard serve` process: crash safety (`kill -9` during a burst of writes),
//! hot backups, and the admin and audit commands, on SQLite and PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_liveguard"))
}

struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("lg-srv-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn data_args(dir: &Path, db: Option<&str>) -> Vec<String> {
    let mut v = vec!["--data-dir".to_string(), dir.display().to_string()];
    if let Some(url) = db {
        v.push("--database-url".into());
        v.push(url.to_string());
    }
    v
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, db: Option<&str>) -> Server {
        Server::start_with(dir, db, "127.0.0.1:0", false)
    }

    fn start_with(dir: &Path, db: Option<&str>, listen: &str, demo: bool) -> Server {
        Server::start_args(&data_args(dir, db), listen, demo)
    }

    /// `serve` with these data/config arguments.
    fn start_args(args: &[String], listen: &str, demo: bool) -> Server {
        let mut cmd = bin();
        cmd.arg("serve").args(["--listen", listen]);
        if demo {
            cmd.arg("--demo");
        }
        let child = cmd
            .args(args)
            .env("LIVEGUARD_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Owned by the guard at once, so the process is killed and reaped on every path.
        let mut server = Server { child, port: 0 };
        let mut reader = BufReader::new(server.child.stdout.take().unwrap());
        let mut line = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            line.clear();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "server exited before listening"
            );
            if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
                server.port = rest
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                // Keep draining stdout so the server never blocks on a full pipe.
                std::thread::spawn(move || for _ in reader.lines() {});
                return server;
            }
            assert!(Instant::now() < deadline, "server did not start");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client (one request per connection): (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    // Chunked bodies: take the JSON object inside.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => body[a..=b].to_string(),
        _ => body,
    };
    Ok((status, body))
}

fn setup_admin(dir: &Path, db: Option<&str>) -> String {
    let mut child = bin()
        .args([
            "admin",
            "create-user",
            "--username",
            "ops",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .args(data_args(dir, db))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ops-password-123\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let out = bin()
        .args(["admin", "create-token", "--user", "ops"])
        .args(data_args(dir, db))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Writes from 8 clients, SIGKILL mid-burst, restart: every acknowledged write is stored and
/// the audit log still verifies.
fn crash_story(dir: &Path, db: Option<&str>) {
    let token = setup_admin(dir, db);
    let mut server = Server::start(dir, db);
    let port = server.port;
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..8 {
        let (acked, token) = (acked.clone(), token.clone());
        workers.push(std::thread::spawn(move || {
            for i in 0.. {
                let body = format!("{{\"name\":\"burst-{w}-{i}\"}}");
                match http(port, "POST", "/api/v1/tokens", &token, Some(&body)) {
                    Ok((201, body)) => {
                        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                        acked.lock().unwrap().push(v["id"].as_i64().unwrap());
                    }
                    Ok(_) | Err(_) => return,
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no final checkpoint
    server.child.wait().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    drop(server);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "the burst made only {} writes",
        acked.len()
    );

    let server = Server::start(dir, db);
    let (status, body) = http(server.port, "GET", "/api/v1/tokens?all=true", &token, None).unwrap();
    assert_eq!(status, 200, "{body}");
    let stored: Vec<i64> = serde_json::from_str::<serde_json::Value>(&body).unwrap()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let lost: Vec<&i64> = acked.iter().filter(|id| !stored.contains(id)).collect();
    eprintln!(
        "crash test ({}): {} writes acknowledged before kill -9, {} stored after restart, {} lost",
        if db.is_some() { "postgres" } else { "sqlite" },
        acked.len(),
        stored.len(),
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "acknowledged writes lost after kill -9: {lost:?}"
    );
    let (_, verify) = http(server.port, "GET", "/api/v1/audit/verify", &token, None).unwrap();
    assert!(verify.contains("\"ok\":true"), "{verify}");
    drop(server);

    // Offline: export, verify, and every acknowledged write has its audit entry.
    let bundle = dir.join("bundle.json");
    let out = bin()
        .args(["audit", "export", "--out"])
        .arg(&bundle)
        .args(data_args(dir, db))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args(["audit", "verify"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&bundle).unwrap();
    for id in &acked {
        assert!(
            text.contains(&format!("\"api_token:{id}\"")),
            "no audit entry for token {id}"
        );
    }
    // A tampered copy fails with exit code 1.
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, text.replacen("token.create", "token.revoke", 1)).unwrap();
    let out = bin()
        .args(["audit", "verify"])
        .arg(&tampered)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID"));
}

#[test]
fn kill_9_during_writes_loses_nothing_acknowledged_sqlite() {
    let dir = TempDir::new("crash-sqlite");
    crash_story(&dir.0, None);
}

#[test]
fn kill_9_during_writes_loses_nothing_acknowledged_postgres() {
    let admin = std::env::var("LIVEGUARD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = format!("liveguard_crash_{}", std::process::id());
    let created = Command::new("psql")
        .args([admin.as_str(), "-q", "-c", &format!("CREATE DATABASE {db}")])
        .status()
        .is_ok_and(|s| s.success());
    if !created {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "PostgreSQL is required under CI=true"
        );
        eprintln!("notice: PostgreSQL not reachable at {admin}; postgres crash test skipped");
        return;
    }
    let base = admin.rsplit_once('/').unwrap().0.to_string();
    let dir = TempDir::new("crash-postgres");
    crash_story(&dir.0, Some(&format!("{base}/{db}")));
    let _ = Command::new("psql")
        .args([
            admin.as_str(),
            "-q",
            "-c",
            &format!("DROP DATABASE {db} WITH (FORCE)"),
        ])
        .status();
}

/// A free loopback port (bound, then released) so a restarted server comes back where
/// clients look for it.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Session 1 holds exactly `sent` events (none twice) and one alert per alerting event.
fn assert_stored_once(port: u16, token: &str, sent: &serde_json::Value) {
    let (status, body) = http(port, "GET", "/api/v1/live/sessions/1", token, None).unwrap();
    assert_eq!(status, 200, "{body}");
    let s: serde_json::Value = serde_json::from_str(&body).unwrap();
    let stats = &s["stats"];
    assert_eq!(&stats["events"], sent, "stored once each: {stats}");
    let flagged: i64 = ["review", "block"]
        .iter()
        .map(|d| stats["events_by_decision"][d].as_i64().unwrap_or(0))
        .sum();
    let alerts: i64 = stats["alerts_by_state"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert!(flagged > 0);
    assert_eq!(
        alerts, flagged,
        "one alert per alerting event, none twice: {stats}"
    );
}

/// `liveguard loadgen` streams into the demo session; the server is killed with SIGKILL
/// mid-stream and restarted on the same port. Every event sent is stored exactly once and
/// every alerting event has exactly one alert.
fn live_crash_story(dir: &Path, db: Option<&str>, via: &str) {
    let listen = format!("127.0.0.1:{}", free_port());
    let server = Server::start_with(dir, db, &listen, true);
    let out = bin()
        .args([
            "admin",
            "create-token",
            "--user",
            "reviewer",
            "--name",
            "loadgen",
        ])
        .args(data_args(dir, db))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut server = server;
    let target = format!("http://{listen}");
    let loadgen = bin()
        .args([
            "loadgen",
            "--target",
            &target,
            "--token",
            &token,
            "--sessions",
            "1",
            "--via",
            via,
        ])
        .args([
            "--rate",
            "400",
            "--duration",
            "8",
            "--violations",
            "0.2",
            "--connections",
            "4",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    server.child.kill().unwrap(); // SIGKILL mid-stream
    server.child.wait().unwrap();
    drop(server);
    std::thread::sleep(Duration::from_millis(1500));
    let server = Server::start_with(dir, db, &listen, false);
    let out = loadgen.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let line: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    eprintln!(
        "live crash test ({}, {via}): {line}",
        if db.is_some() { "postgres" } else { "sqlite" }
    );
    assert_eq!(line["via"], via);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(line["lost"], 0, "{line}");
    assert_eq!(line["failed"], 0, "{line}");
    assert!(line["sent"].as_u64().unwrap() > 1000, "{line}");
    assert_eq!(line["processed"], line["sent"], "{line}");
    assert!(
        line["refused_batches"].as_u64().unwrap() > 0,
        "the outage was felt: {line}"
    );
    assert_stored_once(server.port, &token, &line["sent"]);
}

#[test]
fn kill_9_mid_stream_stores_every_live_event_once_sqlite() {
    let dir = TempDir::new("live-crash-sqlite");
    live_crash_story(&dir.0, None, "http");
}

#[test]
fn kill_9_mid_stream_stores_every_live_event_once_postgres() {
    let admin = std::env::var("LIVEGUARD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = format!("liveguard_livecrash_{}", std::process::id());
    let created = Command::new("psql")
        .args([admin.as_str(), "-q", "-c", &format!("CREATE DATABASE {db}")])
        .status()
        .is_ok_and(|s| s.success());
    if !created {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "PostgreSQL is required under CI=true"
        );
        eprintln!("notice: PostgreSQL not reachable at {admin}; postgres live crash test skipped");
        return;
    }
    let base = admin.rsplit_once('/').unwrap().0.to_string();
    let dir = TempDir::new("live-crash-postgres");
    // Over WebSockets here: the sender reconnects after the kill.
    live_crash_story(&dir.0, Some(&format!("{base}/{db}")), "ws");
    let _ = Command::new("psql")
        .args([
            admin.as_str(),
            "-q",
            "-c",
            &format!("DROP DATABASE {db} WITH (FORCE)"),
        ])
        .status();
}

#[test]
fn hot_backup_is_consistent_and_verifiable() {
    let dir = TempDir::new("backup");
    let token = setup_admin(&dir.0, None);
    let server = Server::start(&dir.0, None);
    for i in 0..20 {
        let (status, _) = http(
            server.port,
            "POST",
            "/api/v1/tokens",
            &token,
            Some(&format!("{{\"name\":\"b{i}\"}}")),
        )
        .unwrap();
        assert_eq!(status, 201);
    }
    let backup = dir.0.join("backup.db");
    let out = bin()
        .args(["admin", "backup", "--out"])
        .arg(&backup)
        .args(data_args(&dir.0, None))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("personal-data.key") && said.contains("audit-signing.key"),
        "the key files to keep separately are named: {said}"
    );
    drop(server);
    // The copy opens on its own, with the original signing key, and its log verifies.
    let bundle = dir.0.join("from-backup.json");
    let out = bin()
        .args(["audit", "export", "--out"])
        .arg(&bundle)
        .args(data_args(
            &dir.0,
            Some(&format!("sqlite://{}", backup.display())),
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args(["audit", "verify"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = bin()
        .args(["admin", "backup", "--out"])
        .arg(&backup)
        .args(data_args(&dir.0, None))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing file is not overwritten"
    );
}

#[test]
fn config_default_prints_every_option() {
    let out = bin().args(["config", "default"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for key in [
        "listen",
        "data_dir",
        "database_url",
        "session_minutes",
        "login_failures_max",
        "request_bytes_max",
    ] {
        assert!(
            text.contains(&format!("\n{key} =")) || text.starts_with(&format!("{key} =")),
            "{key} missing"
        );
    }
}

/// A `liveguard worker` process, killed and reaped on drop.
struct Worker(Child);

impl Worker {
    fn start(args: &[String]) -> Worker {
        let mut child = bin()
            .arg("worker")
            .args(args)
            .env("LIVEGUARD_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let worker = Worker(child);
        assert!(reader.read_line(&mut line).unwrap() > 0, "worker exited");
        assert!(line.contains("worker is running"), "{line}");
        std::thread::spawn(move || for _ in reader.lines() {});
        worker
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Scale-out: the server queues batches in NATS JetStream, two `liveguard worker`
/// processes share the durable consumer; one is killed with SIGKILL mid-stream and started
/// again. Every event sent is stored exactly once, one alert per alerting event.
#[test]
fn nats_workers_share_the_stream_and_survive_a_kill() {
    let nats_url =
        std::env::var("LIVEGUARD_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let hostport = nats_url.trim_start_matches("nats://").to_string();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if TcpStream::connect(&hostport).is_err() {
        assert!(!ci, "NATS is required under CI=true ({nats_url})");
        eprintln!("notice: NATS not reachable at {nats_url}; NATS worker test skipped");
        return;
    }
    let admin = std::env::var("LIVEGUARD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = format!("liveguard_nats_{}", std::process::id());
    let created = Command::new("psql")
        .args([admin.as_str(), "-q", "-c", &format!("CREATE DATABASE {db}")])
        .status()
        .is_ok_and(|s| s.success());
    if !created {
        assert!(!ci, "PostgreSQL is required under CI=true");
        eprintln!("notice: PostgreSQL not reachable at {admin}; NATS worker test skipped");
        return;
    }
    let url = format!("{}/{db}", admin.rsplit_once('/').unwrap().0);
    let dir = TempDir::new("nats-workers");
    let stream = format!("LGTEST_CLI_{}", std::process::id());
    let config = dir.0.join("liveguard.toml");
    std::fs::write(
        &config,
        format!(
            "[live]\nnats_stream = \"{stream}\"\nnats_prefix = \"lgtest.cli{}\"\n",
            std::process::id()
        ),
    )
    .unwrap();
    let mut args = data_args(&dir.0, Some(&url));
    args.extend([
        "--config".to_string(),
        config.display().to_string(),
        "--nats".to_string(),
        nats_url.clone(),
    ]);
    let listen = format!("127.0.0.1:{}", free_port());
    let server = Server::start_args(&args, &listen, true);
    let mut w1 = Worker::start(&args);
    let _w2 = Worker::start(&args);
    let out = bin()
        .args(["admin", "create-token", "--user", "reviewer"])
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let loadgen = bin()
        .args([
            "loadgen",
            "--target",
            &format!("http://{listen}"),
            "--token",
            &token,
        ])
        .args([
            "--sessions",
            "1",
            "--rate",
            "400",
            "--duration",
            "8",
            "--violations",
            "0.2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    w1.0.kill().unwrap(); // SIGKILL: its unacknowledged batches go to the other worker
    w1.0.wait().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    w1 = Worker::start(&args);
    let out = loadgen.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let line: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    eprintln!("nats worker test: {line}");
    assert_eq!(line["queued"], true, "{line}");
    assert_eq!(line["lost"], 0, "{line}");
    assert_eq!(line["processed"], line["sent"], "{line}");
    assert!(line["sent"].as_u64().unwrap() > 1000, "{line}");
    assert_stored_once(server.port, &token, &line["sent"]);
    // The load generator can also publish straight into the stream, and reads the workers'
    // console messages for alert latency.
    let out = bin()
        .args([
            "loadgen",
            "--target",
            &format!("http://{listen}"),
            "--token",
            &token,
        ])
        .args([
            "--sessions",
            "1",
            "--rate",
            "300",
            "--duration",
            "3",
            "--violations",
            "0.3",
        ])
        .args([
            "--via",
            "nats",
            "--nats",
            &nats_url,
            "--nats-stream",
            &stream,
        ])
        .args([
            "--nats-prefix",
            &format!("lgtest.cli{}", std::process::id()),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let direct: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)));
    eprintln!("nats direct: {direct}");
    assert_eq!(
        (direct["via"].as_str(), direct["queued"].as_bool()),
        (Some("nats"), Some(true))
    );
    assert_eq!(direct["lost"], 0, "{direct}");
    assert_eq!(direct["processed"], direct["sent"], "{direct}");
    assert!(direct["alerts"].as_u64().unwrap() > 0, "{direct}");
    assert!(
        direct["alert_p99_ms"].as_u64().unwrap() > 0,
        "console latency measured: {direct}"
    );
    drop(w1);
    drop(server);
    // Remove the test stream and database.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = liveguard_nats::BusConfig {
            stream: stream.clone(),
            prefix: format!("lgtest.cli{}", std::process::id()),
            ..liveguard_nats::BusConfig::default_config()
        };
        if let Ok(bus) = liveguard_nats::Bus::connect(&nats_url, config).await {
            let _ = bus.delete_stream().await;
        }
    });
    let _ = Command::new("psql")
        .args([
            admin.as_str(),
            "-q",
            "-c",
            &format!("DROP DATABASE {db} WITH (FORCE)"),
        ])
        .status();
}

fn token_for(dir: &Path, user: &str) -> String {
    let out = bin()
        .args(["admin", "create-token", "--user", user])
        .args(data_args(dir, None))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `serve --demo --reset` starts the demo over: what was added is gone, the demo data is
/// fresh; `--reset` needs `--demo` and never touches a `--database-url` database.
#[test]
fn a_demo_can_be_reset_to_start_over() {
    let dir = TempDir::new("demo-reset");
    let products = |port: u16, token: &str| {
        let (status, body) = http(port, "GET", "/api/v1/products", token, None).unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["products"]
            .as_array()
            .unwrap()
            .len()
    };
    {
        let server = Server::start_with(&dir.0, None, "127.0.0.1:0", true);
        let lead = token_for(&dir.0, "lead");
        let demo = products(server.port, &lead);
        let (status, body) = http(
            server.port,
            "POST",
            "/api/v1/products",
            &lead,
            Some(r#"{"name": "试用装", "category": "cosmetics"}"#),
        )
        .unwrap();
        assert_eq!(status, 201, "{body}");
        assert_eq!(products(server.port, &lead), demo + 1);
    }
    let server = Server::start_args(
        &[data_args(&dir.0, None), vec!["--reset".into()]].concat(),
        "127.0.0.1:0",
        true,
    );
    let lead = token_for(&dir.0, "lead");
    assert_eq!(
        products(server.port, &lead),
        1,
        "the demo's one product again"
    );
    drop(server);

    let out = bin()
        .args(["serve", "--reset"])
        .args(data_args(&dir.0, None))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "--reset without --demo is refused"
    );
    let out = bin()
        .args(["serve", "--demo", "--reset", "--listen", "127.0.0.1:0"])
        .args(data_args(
            &dir.0,
            Some("postgres://postgres@127.0.0.1:1/none"),
        ))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--reset only deletes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
