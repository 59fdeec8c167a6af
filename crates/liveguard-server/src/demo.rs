//! The demo company: accounts for every role, products, a plan, a submission through
//! review, an approved script, a live session and a lottery — created on an empty database
//! so a newcomer can click through every capability.

use liveguard_core::MasterKind;
use liveguard_core::Role;
use liveguard_store::{AuditDraft, NewUser};

use crate::AppState;
use crate::http::auth;
use crate::jobs::checkpoint;

/// Why the demo company could not be created: the step that failed and its cause.
#[derive(Debug, thiserror::Error)]
#[error("demo data: {step}")]
pub struct DemoError {
    step: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DemoError {
    fn new(
        step: &'static str,
        problem: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> DemoError {
        DemoError {
            step,
            source: problem.into(),
        }
    }
}

/// Names the step of a failure.
trait Step<T> {
    fn step(self, step: &'static str) -> Result<T, DemoError>;
}

impl<T, E: Into<Box<dyn std::error::Error + Send + Sync>>> Step<T> for Result<T, E> {
    fn step(self, step: &'static str) -> Result<T, DemoError> {
        self.map_err(|e| DemoError::new(step, e))
    }
}

/// The demo accounts: (user name, display name, role). Their password is [`demo_password`].
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin", "系统管理员 王工", Role::Admin),
    ("lead", "合规组长 李敏", Role::ComplianceLead),
    ("legal", "法务 陈律", Role::Legal),
    ("reviewer", "运营初审 张一", Role::OpsReviewer),
    ("manager", "运营复审 刘二", Role::OpsManager),
    ("service", "客服 赵小", Role::CustomerService),
    ("streamer", "主播 小美", Role::Streamer),
    ("auditor", "外部审计 周审", Role::Auditor),
];

/// The demo password of a demo account (printed at start in demo mode; never used otherwise).
pub fn demo_password(username: &str) -> String {
    format!("demo-{username}-2026")
}

/// Creates the demo company on an empty database; returns whether it did.
pub async fn seed_demo(state: &AppState) -> Result<bool, DemoError> {
    if state.store.user_count().await.step("accounts")? > 0 {
        return Ok(false);
    }
    for (name, display, role) in DEMO_USERS {
        let hash = auth::hash_password(demo_password(name))
            .await
            .step("accounts")?;
        let new = NewUser {
            username: name.to_string(),
            display_name: display.to_string(),
            role: *role,
            password_hash: hash,
        };
        state
            .store
            .create_user(
                new,
                AuditDraft::new("demo", "system", "user.create", "user:new").reason("demo data"),
            )
            .await
            .step("accounts")?;
    }
    state
        .store
        .append_audit(
            AuditDraft::new("demo", "system", "rules.load", "rules:default")
                .reason("default rule packs loaded"),
        )
        .await
        .step("accounts")?;
    seed_demo_review(state).await?;
    checkpoint::ensure(state).await.step("accounts")?;
    Ok(true)
}

/// A cosmetics product with its facts and a draft script by the demo streamer, ready to be
/// submitted and pushed through 初审 → 复审 → 终审 by the demo accounts.
/// When the demo's evening session is: tomorrow at 20:00 Beijing time, so that a fresh demo
/// has nothing overdue on its first day.
struct DemoDate {
    /// `2026-12-08T20:00:00+08:00`.
    starts_at: String,
    /// `12月8日`.
    label: String,
    /// The session's day number since 1970 (UTC), as the product checks count days.
    day: i64,
}

fn demo_date(now: liveguard_store::Stamp) -> DemoDate {
    let tomorrow = now
        .time()
        .to_offset(liveguard_core::clock::BEIJING)
        .date()
        .next_day()
        .unwrap_or(time::Date::MAX);
    let start = tomorrow
        .with_hms(20, 0, 0)
        .unwrap_or(time::PrimitiveDateTime::MIN)
        .assume_offset(liveguard_core::clock::BEIJING);
    DemoDate {
        starts_at: format!(
            "{:04}-{:02}-{:02}T20:00:00+08:00",
            tomorrow.year(),
            u8::from(tomorrow.month()),
            tomorrow.day()
        ),
        label: format!("{}月{}日", u8::from(tomorrow.month()), tomorrow.day()),
        day: start.unix_timestamp().div_euclid(86_400),
    }
}

async fn seed_demo_review(state: &AppState) -> Result<(), DemoError> {
    let date = demo_date(state.store.now());
    let facts = serde_json::json!({
        "name": "水润修护面霜 50g",
        "category": "cosmetics",
        "cosmetic_filing": "浙G妆网备字2026001234",
        "approved_claims": ["保湿"],
        "disclosures": [["ingredients", "水、甘油、透明质酸钠、角鲨烷"], ["suitable_for", "干性及混合性肌肤"], ["usage", "洁面后取适量涂抹于面部"], ["warnings", "如有不适请停止使用"], ["after_sales", "平台客服，七天无理由退货"]],
        "seven_day_return": true,
        // Transaction prices in fen on the days before the demo session (day numbers since 1970).
        "price_history": [[date.day - 8, 12_900], [date.day - 6, 9_900], [date.day - 4, 11_900]]
    });
    // The facts must be what the product checks read.
    serde_json::from_value::<liveguard_screen::product::Product>(facts.clone())
        .step("product facts")?;
    let product = state
        .store
        .create_product(
            "水润修护面霜 50g",
            "cosmetics",
            &facts.to_string(),
            AuditDraft::new("lead", "compliance_lead", "product.create", "product:new")
                .reason("demo data"),
        )
        .await
        .step("review")?;
    // A live room, a streamer and the evening's session plan with the cream in its lineup.
    let demo_audit = |kind: &str| {
        AuditDraft::new(
            "lead",
            "compliance_lead",
            &format!("{kind}.create"),
            &format!("{kind}:new"),
        )
        .reason("demo data")
    };
    let master = |kind: MasterKind, name: String, doc: serde_json::Value| {
        let audit = demo_audit(kind.as_str());
        async move {
            state
                .store
                .create_master(kind, &name, &doc.to_string(), audit)
                .await
                .step("review")
        }
    };
    let room = master(MasterKind::Room, "抖音 · 好物严选直播间".into(), serde_json::json!({"platform": "抖音", "account": "好物严选直播间", "operator": "示例电子商务有限公司"})).await?;
    let host = master(
        MasterKind::Streamer,
        "小林".into(),
        serde_json::json!({"name": "小林", "agency": "示例MCN"}),
    )
    .await?;
    let plan_title = format!("{} 晚8点 面霜专场", date.label);
    let plan = master(MasterKind::Plan, plan_title.clone(), serde_json::json!({"title": plan_title, "room_id": room.id, "starts_at": date.starts_at,
        "streamer_ids": [host.id], "lineup": [{"product_id": product.id, "price_fen": 9_900, "promotion": "前100名加赠旅行装"}], "has_lottery": false})).await?;
    serde_json::from_str::<crate::features::master::service::SessionPlan>(&plan.data)
        .step("plan")?;
    let streamer = state
        .store
        .user_by_name("streamer")
        .await
        .step("review")?
        .ok_or("demo user missing")
        .step("streamer")?;
    let p = auth::Principal {
        user: streamer,
        via: auth::Via::Session {
            csrf: String::new(),
            token_hash: String::new(),
        },
    };
    let body = crate::features::review::service::SubmissionBody {
        title: format!("{} 晚8点 面霜专场话术", date.label),
        kind: "script".into(),
        product_id: Some(product.id),
        plan_id: Some(plan.id),
        session_start: date.starts_at.clone(),
        has_lottery: false,
        content: crate::features::review::service::Content {
            text: Some("欢迎来到直播间！今天给大家带来我们家的水润修护面霜。\n这款面霜是全网最好用的，用完立竿见影，还能美白祛斑。\n原价399，今天直播间只要99，手慢无！\n第一次来的宝宝先领券，有问题找平台客服。".into()),
            file_base64: None,
            file_name: None,
        },
    };
    crate::features::review::service::create(state, &p, body)
        .await
        .step("review")?;
    let approved = seed_demo_approved_script(state, &p, product.id, plan.id, &date).await?;
    seed_demo_live_session(state, plan.id, approved, &date).await
}

/// A clean script for the demo plan, pushed through 初审 → 复审 → 终审 by the demo accounts,
/// so the demo live session has a frozen script to detect drift against.
async fn seed_demo_approved_script(
    state: &AppState,
    author: &auth::Principal,
    product_id: i64,
    plan_id: i64,
    date: &DemoDate,
) -> Result<i64, DemoError> {
    let body = crate::features::review::service::SubmissionBody {
        title: format!("{} 晚8点 面霜专场话术（定稿）", date.label),
        kind: "script".into(),
        product_id: Some(product_id),
        plan_id: Some(plan_id),
        session_start: date.starts_at.clone(),
        has_lottery: false,
        content: crate::features::review::service::Content {
            text: Some("欢迎来到直播间！今天给大家带来我们家的水润修护面霜，主打保湿。\n成分是水、甘油、透明质酸钠和角鲨烷，适合干性及混合性肌肤。\n今天直播间只要99元，前100名加赠旅行装，七天无理由退货。\n有问题请找平台客服。".into()),
            file_base64: None,
            file_name: None,
        },
    };
    let id = crate::features::review::service::create(state, author, body)
        .await
        .step("approved script")?;
    let as_user = |name: &'static str| async move {
        let user = state
            .store
            .user_by_name(name)
            .await
            .step("approved script")?
            .ok_or("demo user missing")
            .step(name)?;
        Ok::<_, DemoError>(auth::Principal {
            user,
            via: auth::Via::Session {
                csrf: String::new(),
                token_hash: String::new(),
            },
        })
    };
    crate::features::review::service::act(
        state,
        author,
        id,
        liveguard_review::Action::Submit,
        None,
    )
    .await
    .step("script submit")?;
    for _ in 0..8 {
        let row = state.store.submission(id).await.step("approved script")?;
        let review = crate::features::review::service::load_review(&row).step("approved script")?;
        let level = match review.stage {
            liveguard_review::Stage::Approved { .. } => return Ok(id),
            liveguard_review::Stage::Pending { level } => level,
            other => {
                return Err(DemoError::new(
                    "approved script",
                    format!("stuck at {other:?}"),
                ));
            }
        };
        let signers: &[&'static str] = match level {
            liveguard_review::Level::First => &["reviewer"],
            liveguard_review::Level::Second => &["manager"],
            liveguard_review::Level::Final => &["lead", "legal"],
        };
        let checklist = state
            .settings
            .review
            .checklist
            .for_level(level)
            .into_iter()
            .map(|item| {
                (
                    item.key,
                    liveguard_review::ChecklistAnswer {
                        pass: true,
                        comment: None,
                    },
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>();
        for name in signers {
            let who = as_user(name).await?;
            // A signer who already signed this level is refused; the next one signs.
            let _ = crate::features::review::service::act(
                state,
                &who,
                id,
                liveguard_review::Action::Approve {
                    checklist: checklist.clone(),
                    flag_final: false,
                },
                None,
            )
            .await;
        }
    }
    Err(DemoError::new("approved script", "did not reach approval"))
}

/// A planned demo live session for the demo plan, with the demo reviewer on duty.
async fn seed_demo_live_session(
    state: &AppState,
    plan_id: i64,
    approved_script: i64,
    date: &DemoDate,
) -> Result<(), DemoError> {
    let lead = state
        .store
        .user_by_name("lead")
        .await
        .step("live session")?
        .ok_or("demo user missing")
        .step("lead")?;
    let p = auth::Principal {
        user: lead,
        via: auth::Via::Session {
            csrf: String::new(),
            token_hash: String::new(),
        },
    };
    let row = crate::features::live::service::create_session(
        state,
        &p,
        crate::features::live::service::NewSessionBody {
            plan_id,
            duty_officer: "reviewer".into(),
            title: Some(format!("{} 晚8点 面霜专场（演示场次）", date.label)),
        },
    )
    .await
    .step("live session")?;
    let snap: liveguard_pipeline::SessionSnapshot =
        serde_json::from_str(&row.data).step("live session")?;
    if snap.script.as_ref().map(|s| s.submission_id) != Some(approved_script) {
        return Err(DemoError::new(
            "live session",
            "did not pick up the approved script",
        ));
    }
    seed_demo_lottery(state, &p, row.id).await?;
    seed_demo_desk(state, row.id).await
}

/// A handful of consumer-desk cases in different clock states: one overdue (no first reply
/// within 24 h; the first sweep escalates it), one paused while waiting for the consumer,
/// one referred by a regulator, one tied to the demo live session, one solved.
async fn seed_demo_desk(state: &AppState, session_id: i64) -> Result<(), DemoError> {
    use crate::features::desk::service::{self as desk, ActionInput, CaseInput, Consumer};
    let user = state
        .store
        .user_by_name("service")
        .await
        .step("desk")?
        .ok_or("demo user missing")
        .step("service")?;
    let p = auth::Principal {
        user,
        via: auth::Via::Session {
            csrf: String::new(),
            token_hash: String::new(),
        },
    };
    let product_id = state
        .store
        .products()
        .await
        .step("desk")?
        .first()
        .map(|r| r.id);
    let now = state.store.now();
    let ago = |hours: i64| now.plus(time::Duration::hours(-hours)).rfc3339();
    let consumer = |name: &str, phone: &str, address: &str| {
        Some(Consumer {
            name: name.into(),
            phone: phone.into(),
            address: address.into(),
            account: String::new(),
        })
    };
    let base = CaseInput {
        kind: "complaint".into(),
        topic: "quality".into(),
        channel: "platform".into(),
        received_at: ago(1),
        summary: String::new(),
        source: Some("demo".into()),
        product_id,
        ..Default::default()
    };
    // Overdue: received 30 hours ago, nobody answered.
    desk::create(
        state,
        &p,
        &CaseInput {
            summary: "面霜收到时瓶盖开裂，膏体漏出一半。".into(),
            demand: "换新".into(),
            order_ref: Some("DY-DEMO-0001".into()),
            external_ref: Some("DEMO-1".into()),
            received_at: ago(30),
            consumer: consumer("赵晓雨", "13812340001", "浙江省杭州市余杭区文一西路 100 号"),
            ..base.clone()
        },
    )
    .await
    .step("desk: overdue case")?;
    // Waiting for the consumer: a complex case, answered, photos asked for.
    let (waiting, _) = desk::create(
        state,
        &p,
        &CaseInput {
            topic: "false_promotion".into(),
            summary: "主播说这款面霜用一周就能淡化色斑，用了两周没有任何变化。".into(),
            demand: "退货退款".into(),
            order_ref: Some("DY-DEMO-0002".into()),
            external_ref: Some("DEMO-2".into()),
            received_at: ago(10),
            promises: vec!["一周淡斑".into()],
            consumer: consumer("钱多多", "13912340002", "江苏省南京市鼓楼区中山路 8 号"),
            complexity: Some("complex".into()),
            complexity_reason: Some("涉及直播宣传内容，需合规部门核查".into()),
            ..base.clone()
        },
    )
    .await
    .step("desk: waiting case")?;
    desk::act(
        state,
        &p,
        waiting,
        "wait",
        &ActionInput {
            text: Some(
                "您好，我们已收到您的反馈。请提供使用前后的照片和订单截图，我们核实后为您处理。"
                    .into(),
            ),
            ..Default::default()
        },
    )
    .await
    .step("desk: waiting case")?;
    // A regulator's referral: the answer is due in 7 working days.
    desk::create(
        state,
        &p,
        &CaseInput {
            kind: "referral".into(),
            topic: "price".into(),
            channel: "regulator".into(),
            summary: "消费者向 12315 反映：直播间标称原价 299 元，划线价无成交记录。".into(),
            demand: "核实价格并答复".into(),
            regulator: Some("12315（杭州市西湖区市场监督管理局转办）".into()),
            external_ref: Some("12315-DEMO-2026-0001".into()),
            received_at: ago(20),
            consumer: consumer("孙先生", "13712340003", "浙江省杭州市西湖区文三路 1 号"),
            ..base.clone()
        },
    )
    .await
    .step("desk: referral")?;
    // Tied to the demo live session: a promised gift not honoured.
    desk::create(
        state,
        &p,
        &CaseInput {
            topic: "false_promotion".into(),
            channel: "chat".into(),
            summary: "直播预告说前100名加赠旅行装，我是第 20 单，客服说赠品已送完。".into(),
            demand: "补发赠品".into(),
            promises: vec!["前100名加赠旅行装".into()],
            session_id: Some(session_id),
            external_ref: Some("DEMO-4".into()),
            received_at: ago(2),
            consumer: consumer("李小萌", "13612340004", "上海市徐汇区漕溪北路 88 号"),
            ..base.clone()
        },
    )
    .await
    .step("desk: session case")?;
    // Solved at the first reply.
    let (solved, _) = desk::create(
        state,
        &p,
        &CaseInput {
            kind: "after_sales".into(),
            topic: "returns".into(),
            summary: "不想要了，申请七天无理由退货，包装未拆。".into(),
            demand: "退货退款".into(),
            external_ref: Some("DEMO-5".into()),
            received_at: ago(5),
            ..base
        },
    )
    .await
    .step("desk: solved case")?;
    desk::act(
        state,
        &p,
        solved,
        "solve",
        &ActionInput {
            text: Some(
                "您好，已为您通过七天无理由退货申请，请按页面地址寄回，我们收到后七日内退款。"
                    .into(),
            ),
            ..Default::default()
        },
    )
    .await
    .step("desk: solved case")?;
    Ok(())
}

/// A draft lottery on the demo session whose draw time is quicknet's recorded round 123, so
/// a newcomer can commit, close entry, draw (the published signature is filled in) and
/// verify it offline.
async fn seed_demo_lottery(
    state: &AppState,
    p: &auth::Principal,
    session_id: i64,
) -> Result<(), DemoError> {
    let rules: liveguard_lottery::LotteryRules = serde_json::from_value(serde_json::json!({
        "title": "演示福袋：面霜正装（drand 第 123 轮，可离线开奖）",
        "organiser": "示例电子商务有限公司", "contact": "400-000-0000",
        "prizes": [
            {"name": "水润修护面霜 50g 正装", "kind": "goods", "unit_value_fen": 39900, "quantity": 2},
            {"name": "面霜旅行装 5g", "kind": "goods", "unit_value_fen": 2900, "quantity": 3}
        ],
        "entry": {"method": "comment_keyword", "keyword": "想要面霜", "chances_per_entry": 1},
        "exclusions": ["员工、主播、MCN 机构及其关联账号"],
        "entry_opens_at": "2023-08-23T23:00:00+08:00", "entry_closes_at": "2023-08-23T23:10:00+08:00",
        "draw_at": "2023-08-23T23:15:33+08:00", "draw_method": "drand-quicknet",
        "dedupe": "同一账号多次评论只计一次（以第一次为准）",
        "redemption": "中奖后通过直播间私信登记收货信息",
        "redemption_deadline": "2027-01-31T23:59:59+08:00",
        "unclaimed": "逾期未登记视为放弃，奖品不再补发", "delivery": "快递包邮"
    }))
    .step("lottery rules")?;
    if !rules.check().is_empty() {
        return Err(DemoError::new(
            "lottery rules",
            format!("{:?}", rules.check()),
        ));
    }
    state
        .store
        .create_lottery(
            Some(session_id),
            &rules.title,
            &serde_json::to_string(&rules).step("lottery")?,
            &rules.digest(),
            state.settings.lottery.retain_days,
            p.audit("lottery.create", "lottery:new"),
        )
        .await
        .step("lottery")?;
    Ok(())
}
