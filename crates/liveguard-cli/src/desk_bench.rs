//! `liveguard desk-bench`: the consumer desk's benchmarks on a fresh database — importing a
//! generated platform export of N rows (preview with every row checked, then the import),
//! importing it again (must add nothing), the queue's query with N open cases (p50/p99 of
//! the work behind `GET /api/v1/cases?open=true`), and one clock sweep over them. Prints one
//! JSON line.

use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::json;

use crate::Outcome;

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DeskBenchArgs {
    /// Rows in the generated export.
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Database: empty = SQLite in a fresh temporary directory; or `postgres://…` (a fresh
    /// database is created beside the one named and dropped afterwards).
    #[arg(long, default_value = "")]
    database_url: String,
    /// Queue queries to time.
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

pub(crate) fn run(args: DeskBenchArgs) -> anyhow::Result<Outcome> {
    if args.rows == 0 || args.rows > 200_000 {
        bail!("--rows must be 1 to 200000 (the import's limit)");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(drive(args))
}

/// A generated export: distinct after-sales numbers, times in the last two days, Chinese
/// text, consumer data in every row.
fn export(rows: usize, now: time::OffsetDateTime) -> String {
    let mut out = String::from(
        "售后单号,订单号,申请时间,售后类型,问题描述,买家诉求,买家昵称,收货人,联系电话,收货地址,实付金额\n",
    );
    let kinds = [
        "退货退款",
        "质量问题",
        "虚假宣传",
        "价格问题",
        "物流问题",
        "七天无理由",
    ];
    let beijing = now.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC));
    for i in 0..rows {
        let at = beijing - time::Duration::seconds((i as i64 * 7919) % 172_000 + 600);
        out.push_str(&format!(
            "AS-BENCH-{i:07},DY-{:09},{:04}-{:02}-{:02} {:02}:{:02},{},第 {i} 单：收到的商品与直播间介绍不一致，希望尽快处理,退货退款,用户{i},顾客{},138{:08},浙江省杭州市西湖区文三路 {} 号,{}.{:02}\n",
            100_000_000 + i,
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            kinds[i % kinds.len()],
            i % 977,
            i,
            i % 500 + 1,
            50 + i % 300,
            i % 100
        ));
    }
    out
}

async fn drive(args: DeskBenchArgs) -> anyhow::Result<Outcome> {
    use base64::Engine;
    let dir = std::env::temp_dir().join(format!("liveguard-desk-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let (url, drop_pg) = if args.database_url.is_empty() {
        (String::new(), None)
    } else {
        let admin = sqlx::PgPool::connect(&args.database_url)
            .await
            .context("connecting to PostgreSQL")?;
        let name = format!("liveguard_desk_bench_{}", std::process::id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await?;
        let base = args
            .database_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .context("database url")?;
        (format!("{base}/{name}"), Some((admin, name)))
    };
    let settings = liveguard_server::Settings {
        data_dir: dir.clone(),
        database_url: url,
        models: false,
        ..liveguard_server::Settings::default()
    };
    let state =
        liveguard_server::open_state(settings, std::sync::Arc::new(liveguard_store::SystemClock))
            .await?;
    let hash = liveguard_server::auth::hash_password("bench-password-123".into()).await?;
    state
        .store
        .create_user(
            liveguard_store::NewUser {
                username: "cs".into(),
                display_name: "客服".into(),
                role: liveguard_core::Role::CustomerService,
                password_hash: hash,
            },
            liveguard_store::AuditDraft::new("bench", "system", "user.create", "user:new"),
        )
        .await?;
    let user = state.store.user_by_name("cs").await?.context("user")?;
    let p = liveguard_server::auth::Principal {
        user,
        via: liveguard_server::auth::Via::Session {
            csrf: String::new(),
            token_hash: String::new(),
        },
    };
    let csv = export(args.rows, time::OffsetDateTime::now_utc());
    let mut input = liveguard_server::features::desk::import::ImportInput {
        file_base64: base64::engine::general_purpose::STANDARD.encode(csv.as_bytes()),
        file_name: "bench.csv".into(),
        mapping_name: "bench".into(),
        ..Default::default()
    };
    let t = Instant::now();
    let preview = liveguard_server::features::desk::import::run(&state, &p, &input).await?;
    let preview_s = t.elapsed().as_secs_f64();
    if preview.invalid > 0 {
        bail!(
            "the generated export has {} invalid rows: {:?}",
            preview.invalid,
            preview.errors.first()
        );
    }
    input.commit = true;
    let t = Instant::now();
    let done = liveguard_server::features::desk::import::run(&state, &p, &input).await?;
    let import_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = liveguard_server::features::desk::import::run(&state, &p, &input).await?;
    let reimport_s = t.elapsed().as_secs_f64();
    // The queue with every imported case open.
    let mut times = Vec::with_capacity(args.queries);
    for i in 0..args.queries {
        let t = Instant::now();
        let rows = state
            .store
            .case_queue(&liveguard_store::QueueFilter {
                open_only: true,
                limit: 100,
                offset: (i % 5) as i64 * 100,
                ..Default::default()
            })
            .await?;
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let clocks = state.store.open_clocks_of(&ids).await?;
        std::hint::black_box((rows, clocks));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let t = Instant::now();
    let events = liveguard_server::jobs::sweep_desk(&state).await?;
    let sweep_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let events_again = liveguard_server::jobs::sweep_desk(&state).await?;
    let sweep_again_s = t.elapsed().as_secs_f64();
    let backend = match state.store.backend() {
        liveguard_store::Backend::Sqlite => "sqlite",
        liveguard_store::Backend::Postgres => "postgres",
    };
    state.store.close().await;
    if let Some((admin, name)) = drop_pg {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        json!({
            "backend": backend, "rows": args.rows, "file_bytes": csv.len(),
            "preview_seconds": preview_s, "import_seconds": import_s, "created": done.created,
            "reimport_seconds": reimport_s, "reimport_created": again.created, "reimport_duplicates": again.duplicates,
            "queue_ms_p50": pct(0.5), "queue_ms_p99": pct(0.99), "queue_queries": args.queries,
            "sweep_seconds": sweep_s, "sweep_events": events, "sweep_again_seconds": sweep_again_s, "sweep_again_events": events_again,
        })
    );
    if done.created != args.rows || again.created != 0 {
        bail!(
            "expected {} created and 0 on the second import, got {} and {}",
            args.rows,
            done.created,
            again.created
        );
    }
    Ok(Outcome::Clean)
}
