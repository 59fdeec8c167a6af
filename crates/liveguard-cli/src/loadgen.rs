//! `liveguard loadgen`: replays busy live rooms against a running server and reports what
//! was sent, accepted, stored and alerted, with latency percentiles, as one JSON line.
//!
//! Each room gets a generator that, ten times a second, makes a batch of viewer comments
//! (bursty: the rate swings ±50 % over a 10-second cycle) and, every 3 seconds, a transcript
//! segment of the streamer; `--violations` of them carry something the engine must flag.
//! A pool of senders, each with its own keep-alive connection, posts the batches. A batch
//! refused with 503 (queue full, database away) or lost to a connection error is re-sent
//! whole with the same keys until it is acknowledged, so nothing is lost and nothing is
//! counted twice. Latency is from the moment a batch was generated to the moment the server
//! acknowledged it — after it was stored and its alerts raised.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::Outcome;

/// Options of `liveguard loadgen`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LoadgenArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    target: String,
    /// An API token whose role may operate live sessions (ops reviewer or manager, the
    /// compliance lead, an administrator).
    #[arg(long)]
    token: String,
    /// Rooms (live sessions) to replay at once; created or reused as `loadgen-room-N`.
    #[arg(long, default_value_t = 4)]
    rooms: usize,
    /// Events per second, all rooms together.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds to send.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Share of events carrying a violation (0 to 1).
    #[arg(long, default_value_t = 0.05)]
    violations: f64,
    /// Transport: http (the batch endpoint), ws (a WebSocket per session and connection)
    /// or nats (straight into the deployment's JetStream stream; needs --nats).
    #[arg(long, default_value = "http")]
    via: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Plan the sessions are created from (default: the first plan).
    #[arg(long)]
    plan: Option<i64>,
    /// Scale-out deployments: also listen to the workers' console messages on this NATS
    /// server and report alert latency (server receipt → stored and pushed) as
    /// `alert_p50_ms`/`alert_p99_ms`.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// The deployment's `live.nats_prefix` (with --nats).
    #[arg(long, default_value = "liveguard.live")]
    nats_prefix: String,
    /// The deployment's `live.nats_stream` (with --nats).
    #[arg(long, default_value = "LIVEGUARD_LIVE")]
    nats_stream: String,
    /// Replay into these existing sessions (comma-separated ids; started if planned)
    /// instead of `loadgen-room-N`; `--rooms` is then their count.
    #[arg(long, value_delimiter = ',')]
    sessions: Vec<i64>,
}

const BENIGN_COMMENTS: &[&str] = &[
    "主播好美",
    "什么时候发货",
    "已拍",
    "这个适合油皮吗",
    "链接在哪",
    "有赠品吗",
    "来了来了",
    "支持主播",
    "敏感肌能用吗",
    "保质期多久",
    "已下单，期待",
    "包装好看",
    "第二次回购了",
    "怎么用",
    "有小样吗",
];
const VIOLATING_COMMENTS: &[&str] = &[
    "加微信私聊",
    "加V领红包，带你赚钱",
    "加我微信13812345678便宜卖",
    "主播是傻逼",
    "私下转账更便宜，加Q",
    "卖发票，代开发票",
];
const BENIGN_SPEECH: &[&str] = &[
    "欢迎来到直播间，今天给大家带来水润修护面霜",
    "今天直播间只要99元，七天无理由退货",
    "成分是水、甘油、透明质酸钠和角鲨烷",
    "有问题请找平台客服",
];
const VIOLATING_SPEECH: &[&str] = &[
    "这款面霜用完立竿见影，全网最低价",
    "到手价八十九块，假一赔十",
    "用了就能美白祛斑，效果百分百",
];

/// A keep-alive HTTP/1 connection that reconnects after an error.
struct Client {
    host: String,
    port: u16,
    token: String,
    sender:
        Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<hyper::body::Bytes>>>,
}

struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    fn new(target: &str, token: &str) -> anyhow::Result<Client> {
        let uri: hyper::Uri = target
            .parse()
            .with_context(|| format!("--target {target} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!(
                "--target must be an http:// address (put TLS in front of liveguard, not between it and loadgen)"
            );
        }
        Ok(Client {
            host: uri.host().context("--target has no host")?.to_string(),
            port: uri.port_u16().unwrap_or(80),
            token: token.to_string(),
            sender: None,
        })
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        use http_body_util::BodyExt;
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .with_context(|| format!("cannot connect to {}:{}", self.host, self.port))?;
            stream.set_nodelay(true)?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().expect("connected above");
        sender.ready().await?;
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, format!("{}:{}", self.host, self.port))
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(http_body_util::Full::new(hyper::body::Bytes::from(bytes)))?;
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                self.sender = None;
                return Err(e.into());
            }
        };
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes().to_vec();
        Ok(Reply { status, body })
    }

    async fn json(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let r = self.call(method, path, body).await?;
        let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if !(200..300).contains(&r.status) {
            bail!(
                "{method} {path}: {} {}",
                r.status,
                v["title"].as_str().unwrap_or("")
            );
        }
        Ok(v)
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// One WebSocket per session, opened on first use and dropped after an error.
struct WsClient {
    host: String,
    port: u16,
    token: String,
    open: std::collections::HashMap<i64, Ws>,
}

impl WsClient {
    async fn send(&mut self, session: i64, body: &Value) -> anyhow::Result<Reply> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
        if !self.open.contains_key(&session) {
            let url = format!(
                "ws://{}:{}/api/v1/live/sessions/{session}/ws",
                self.host, self.port
            );
            let mut req = url.as_str().into_client_request()?;
            req.headers_mut().insert(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token).parse()?,
            );
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await?;
            stream.set_nodelay(true)?;
            let (ws, _) = tokio_tungstenite::client_async(req, stream).await?;
            self.open.insert(session, ws);
        }
        let ws = self.open.get_mut(&session).expect("opened above");
        let answer = async {
            ws.send(Message::Text(body.to_string().into())).await?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => return Ok::<_, anyhow::Error>(t.to_string()),
                    Some(Ok(Message::Close(_))) | None => bail!("the server closed the WebSocket"),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                }
            }
        }
        .await;
        match answer {
            Ok(text) => {
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                // The HTTP status the answer stands for.
                let status = v["status"].as_u64().unwrap_or(200) as u16;
                Ok(Reply {
                    status,
                    body: text.into_bytes(),
                })
            }
            Err(e) => {
                self.open.remove(&session);
                Err(e)
            }
        }
    }
}

/// Publishes a batch to JetStream the way the server queues one; answers like the server.
async fn publish_nats(
    bus: &liveguard_nats::Bus,
    session: i64,
    body: &Value,
) -> anyhow::Result<Reply> {
    let events = body["events"].as_array().cloned().unwrap_or_default();
    let key = |e: Option<&Value>| e.and_then(|e| e["key"].as_str()).unwrap_or("").to_string();
    let id = format!(
        "{session}:{}:{}:{}",
        key(events.first()),
        key(events.last()),
        events.len()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let payload =
        serde_json::to_vec(&json!({"session_id": session, "received_ms": now, "events": events}))?;
    Ok(match bus.publish_batch(session, &id, payload).await {
        Ok(()) => Reply {
            status: 200,
            body: json!({"accepted": events.len(), "queued": true, "duplicates": 0, "alerts": []})
                .to_string()
                .into_bytes(),
        },
        Err(e) => Reply {
            status: 503,
            body: e.to_string().into_bytes(),
        },
    })
}

/// Finds or creates `loadgen-room-N` sessions (or takes `given`) and makes sure they are live.
async fn sessions(
    c: &mut Client,
    rooms: usize,
    plan: Option<i64>,
    given: &[i64],
) -> anyhow::Result<Vec<i64>> {
    let me = c
        .json("GET", "/api/v1/me", None)
        .await
        .context("checking the token")?;
    if !me["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p == "OperateLive")
    {
        bail!(
            "the token's role ({}) may not operate live sessions",
            me["role"].as_str().unwrap_or("?")
        );
    }
    if !given.is_empty() {
        for id in given {
            let s = c
                .json("GET", &format!("/api/v1/live/sessions/{id}"), None)
                .await?;
            match s["state"].as_str() {
                Some("planned") => {
                    c.json(
                        "POST",
                        &format!("/api/v1/live/sessions/{id}/start"),
                        Some(&json!({})),
                    )
                    .await?;
                }
                Some("live") => {}
                _ => bail!("session {id} has ended"),
            }
        }
        return Ok(given.to_vec());
    }
    let existing = c.json("GET", "/api/v1/live/sessions", None).await?;
    let plan = match plan {
        Some(p) => p,
        None => {
            let plans = c.json("GET", "/api/v1/plans", None).await?;
            plans["plans"][0]["id"].as_i64().context(
                "no session plan exists: create one (POST /api/v1/plans) or start the server with --demo",
            )?
        }
    };
    let mut ids = Vec::new();
    for i in 1..=rooms {
        let title = format!("loadgen-room-{i}");
        let found = existing["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["title"] == title.as_str() && s["state"] != "ended");
        let (id, state) = match found {
            Some(s) => (
                s["id"].as_i64().unwrap_or(0),
                s["state"].as_str().unwrap_or("").to_string(),
            ),
            None => {
                let s = c
                    .json("POST", "/api/v1/live/sessions", Some(&json!({"plan_id": plan, "duty_officer": me["username"], "title": title})))
                    .await?;
                (s["id"].as_i64().unwrap_or(0), "planned".to_string())
            }
        };
        if state == "planned" {
            c.json(
                "POST",
                &format!("/api/v1/live/sessions/{id}/start"),
                Some(&json!({})),
            )
            .await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// (stored events, alerts) of the sessions, from the server's counters.
async fn stored_events(c: &mut Client, ids: &[i64]) -> anyhow::Result<(i64, i64)> {
    let (mut n, mut a) = (0, 0);
    for id in ids {
        let s = c
            .json("GET", &format!("/api/v1/live/sessions/{id}"), None)
            .await?;
        n += s["stats"]["events"].as_i64().unwrap_or(0);
        a += s["stats"]["alerts_by_state"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_i64).sum::<i64>())
            .unwrap_or(0);
    }
    Ok((n, a))
}

struct Batch {
    session: i64,
    body: Value,
    events: u64,
    made: Instant,
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    alerts: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
}

/// A small deterministic generator (xorshift), so runs are repeatable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.next() % list.len() as u64) as usize]
    }
}

pub(crate) fn run(args: LoadgenArgs) -> anyhow::Result<Outcome> {
    if !["http", "ws", "nats"].contains(&args.via.as_str()) {
        bail!("--via {}: use http, ws or nats", args.via);
    }
    if args.via == "nats" && args.nats.is_none() {
        bail!(
            "--via nats needs --nats nats://host:4222 (and the deployment's --nats-prefix/--nats-stream)"
        );
    }
    if !(0.0..=1.0).contains(&args.violations) {
        bail!("--violations must be between 0 and 1");
    }
    if args.rooms == 0 || args.rate == 0 || args.duration == 0 || args.connections == 0 {
        bail!("--rooms, --rate, --duration and --connections must be at least 1");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(drive(args))
}

async fn drive(args: LoadgenArgs) -> anyhow::Result<Outcome> {
    let mut control = Client::new(&args.target, &args.token)?;
    let ids = sessions(&mut control, args.rooms, args.plan, &args.sessions).await?;
    let rooms = ids.len();
    let (before, alerts_before) = stored_events(&mut control, &ids).await?;
    let queued_mode = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let run_tag = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let tally = Arc::new(Tally::default());
    let latencies: Arc<std::sync::Mutex<(Vec<u64>, Vec<u64>)>> = Arc::default();
    let (tx, rx) = mpsc::channel::<Batch>(10_000);
    let rx = Arc::new(Mutex::new(rx));
    // Scale-out: alert latency from the workers' console messages.
    let console_lat: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
    let mut nats_pub = None;
    if let Some(url) = &args.nats {
        let bus = liveguard_nats::Bus::connect(
            url,
            liveguard_nats::BusConfig {
                stream: args.nats_stream.clone(),
                prefix: args.nats_prefix.clone(),
                ..liveguard_nats::BusConfig::default_config()
            },
        )
        .await?;
        let mut console = Box::pin(bus.console().await?);
        if args.via == "nats" {
            nats_pub = Some(bus.clone());
        }
        let (lat, wanted) = (console_lat.clone(), ids.clone());
        tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some((session, payload)) = console.next().await {
                let Ok(v) = serde_json::from_slice::<Value>(&payload) else {
                    continue;
                };
                if v["kind"] != "alert" || !wanted.contains(&session) {
                    continue;
                }
                let Ok(a) = serde_json::from_str::<Value>(v["json"].as_str().unwrap_or("")) else {
                    continue;
                };
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                if let Some(received) = a["received_ms"].as_i64() {
                    lat.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((now - received).max(0) as u64);
                }
            }
        });
    }
    let started = Instant::now();
    let stop_at = started + Duration::from_secs(args.duration);
    let give_up = stop_at + Duration::from_secs(120);

    // Generators: one per room.
    let per_room = args.rate as f64 / rooms as f64;
    let mut generators = Vec::new();
    for (room, &session) in ids.iter().enumerate() {
        let tx = tx.clone();
        let tag = run_tag.clone();
        let violations = args.violations;
        generators.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((room as u64 + 1) * 0x1000_0000_01B3));
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut owed = 0.0f64;
            let mut seq = 0u64;
            let mut n_tick = 0u64;
            while Instant::now() < stop_at {
                tick.tick().await;
                n_tick += 1;
                // Bursty: ±50 % over a 10-second cycle.
                let phase = (n_tick % 100) as f64 / 100.0 * std::f64::consts::TAU;
                owed += per_room / 10.0 * (1.0 + 0.5 * phase.sin());
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                let mut events = Vec::new();
                if n_tick % 30 == 1 {
                    let bad = rng.unit() < violations;
                    let text = rng.pick(if bad { VIOLATING_SPEECH } else { BENIGN_SPEECH });
                    seq += 1;
                    events.push(json!({"key": format!("{tag}-{room}-{seq}"), "kind": "transcript", "at_ms": now_ms, "end_ms": now_ms + 2500, "speaker": "主播", "confidence": 0.92, "text": text}));
                    owed -= 1.0;
                }
                while owed >= 1.0 {
                    owed -= 1.0;
                    let bad = rng.unit() < violations;
                    let text = rng.pick(if bad { VIOLATING_COMMENTS } else { BENIGN_COMMENTS });
                    seq += 1;
                    events.push(json!({"key": format!("{tag}-{room}-{seq}"), "kind": "comment", "at_ms": now_ms,
                        "user_id": format!("viewer-{}", rng.next() % 50_000), "nickname": format!("观众{}", rng.next() % 1000), "text": text}));
                }
                for chunk in events.chunks(1000) {
                    let batch = Batch {
                        session,
                        events: chunk.len() as u64,
                        body: json!({"events": chunk}),
                        made: Instant::now(),
                    };
                    if tx.send(batch).await.is_err() {
                        return;
                    }
                }
            }
        }));
    }
    drop(tx);

    // Senders.
    let mut senders = Vec::new();
    for _ in 0..args.connections {
        let rx = rx.clone();
        let tally = tally.clone();
        let latencies = latencies.clone();
        let queued_mode = queued_mode.clone();
        let mut client = Client::new(&args.target, &args.token)?;
        let nats_pub = nats_pub.clone();
        let mut ws = (args.via == "ws").then(|| WsClient {
            host: client.host.clone(),
            port: client.port,
            token: args.token.clone(),
            open: std::collections::HashMap::new(),
        });
        senders.push(tokio::spawn(async move {
            loop {
                let batch = { rx.lock().await.recv().await };
                let Some(batch) = batch else { return };
                tally.sent.fetch_add(batch.events, Ordering::Relaxed);
                let path = format!("/api/v1/live/sessions/{}/events", batch.session);
                loop {
                    let reply = match (&nats_pub, ws.as_mut()) {
                        // Straight into the deployment's stream, as the server would queue it.
                        (Some(bus), _) => publish_nats(bus, batch.session, &batch.body).await,
                        (None, Some(ws)) => ws.send(batch.session, &batch.body).await,
                        (None, None) => client.call("POST", &path, Some(&batch.body)).await,
                    };
                    match reply {
                        Ok(r) if r.status == 200 => {
                            let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                            if v["queued"] == true {
                                queued_mode.store(true, Ordering::Relaxed);
                            }
                            let accepted = v["accepted"].as_u64().unwrap_or(0);
                            let dups = v["duplicates"].as_u64().unwrap_or(0);
                            let alerts =
                                v["alerts"].as_array().map(|a| a.len() as u64).unwrap_or(0);
                            tally.accepted.fetch_add(accepted + dups, Ordering::Relaxed);
                            tally.duplicates.fetch_add(dups, Ordering::Relaxed);
                            tally.alerts.fetch_add(alerts, Ordering::Relaxed);
                            let ms = batch.made.elapsed().as_millis() as u64;
                            let mut l = latencies.lock().unwrap_or_else(|p| p.into_inner());
                            l.0.extend(std::iter::repeat_n(ms, batch.events as usize));
                            if alerts > 0 {
                                l.1.push(ms);
                            }
                            break;
                        }
                        // Server-side trouble (queue full, database away, an internal
                        // error): re-send; keys make it safe.
                        Ok(r) if r.status >= 500 || r.status == 429 => {
                            tally.refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            // A batch the server will never take (a client error: a bug in
                            // loadgen or a session ended underneath us): count it as failed.
                            eprintln!(
                                "loadgen: batch refused: {} {}",
                                r.status,
                                String::from_utf8_lossy(&r.body)
                            );
                            tally.failed.fetch_add(batch.events, Ordering::Relaxed);
                            break;
                        }
                        Err(_) => {
                            tally.refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if Instant::now() > give_up {
                        tally.failed.fetch_add(batch.events, Ordering::Relaxed);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(1000)).await;
                }
            }
        }));
    }
    for g in generators {
        g.await?;
    }
    for s in senders {
        s.await?;
    }
    let sent_total = tally.sent.load(Ordering::Relaxed) as i64;
    let queued = queued_mode.load(Ordering::Relaxed);
    // Scale-out (NATS): the server acknowledged "queued"; wait for the workers to store
    // everything (or two minutes).
    let drain_started = Instant::now();
    let (mut after, mut alerts_after) = stored_events(&mut control, &ids).await?;
    while queued
        && after - before < sent_total
        && drain_started.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        (after, alerts_after) = stored_events(&mut control, &ids).await?;
    }
    let drain_ms = drain_started.elapsed().as_millis() as u64;
    let elapsed = started.elapsed().as_secs_f64();
    let (mut all, mut alert_lat) =
        std::mem::take(&mut *latencies.lock().unwrap_or_else(|p| p.into_inner()));
    if args.nats.is_some() {
        alert_lat = std::mem::take(&mut *console_lat.lock().unwrap_or_else(|p| p.into_inner()));
    }
    all.sort_unstable();
    alert_lat.sort_unstable();
    let pct = |v: &[u64], q: f64| -> u64 {
        if v.is_empty() {
            0
        } else {
            v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1]
        }
    };
    let sent = tally.sent.load(Ordering::Relaxed);
    let processed = (after - before).max(0) as u64;
    let line = json!({
        "via": args.via,
        "rooms": rooms,
        "rate_target": args.rate,
        "duration_s": (elapsed * 10.0).round() / 10.0,
        "sent": sent,
        "accepted": tally.accepted.load(Ordering::Relaxed),
        "duplicates": tally.duplicates.load(Ordering::Relaxed),
        "processed": processed,
        "alerts": if queued { (alerts_after - alerts_before).max(0) as u64 } else { tally.alerts.load(Ordering::Relaxed) },
        "queued": queued,
        "drain_ms": if queued { drain_ms } else { 0 },
        "lost": sent.saturating_sub(processed),
        "failed": tally.failed.load(Ordering::Relaxed),
        "refused_batches": tally.refused.load(Ordering::Relaxed),
        "rate_achieved": (processed as f64 / elapsed).round(),
        "p50_ms": pct(&all, 0.50),
        "p99_ms": pct(&all, 0.99),
        "max_ms": all.last().copied().unwrap_or(0),
        "alert_p50_ms": pct(&alert_lat, 0.50),
        "alert_p99_ms": pct(&alert_lat, 0.99),
        "sessions": ids,
    });
    println!("{line}");
    Ok(
        if sent.saturating_sub(processed) == 0 && tally.failed.load(Ordering::Relaxed) == 0 {
            Outcome::Clean
        } else {
            Outcome::Flagged
        },
    )
}
