//! The one catalogue of what a person reads for a code: every code the pages show (severities,
//! finding categories, roles, states, kinds, channels, product categories, confidence tags,
//! live event kinds) has its zh-CN label here and an English one for the English switch.
//! Pages call [`Label::label`] instead of printing a code; the tests below fail when a code
//! has no Chinese label, and the page sweep test fails when a page prints a bare code.

use liveguard_core::{
    AlertState, CaseChannel, CaseKind, CaseState, CaseTopic, Category, Channel, ClaimState,
    ClockKind, ClockState, Complexity, ConfidenceTag, Decision, LotteryState, MasterKind,
    ProductCategory, Role, SessionState, Severity, TaskState,
};

use super::Lang;

/// A code with a label for people.
pub(crate) trait Label: Copy {
    /// The Chinese label.
    fn zh(self) -> &'static str;
    /// The English label.
    fn en(self) -> &'static str;
    /// The label in `lang`.
    fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh(),
            Lang::En => self.en(),
        }
    }
}

macro_rules! labels {
    ($ty:ty { $($variant:ident => $zh:literal, $en:literal;)+ }) => {
        impl Label for $ty {
            fn zh(self) -> &'static str {
                match self { $(<$ty>::$variant => $zh,)+ }
            }
            fn en(self) -> &'static str {
                match self { $(<$ty>::$variant => $en,)+ }
            }
        }
    };
}

labels!(Severity {
    Block => "拦截", "block";
    Review => "需复核", "needs review";
    Info => "提示", "note";
});

labels!(Decision {
    Pass => "通过", "pass";
    Review => "需复核", "needs review";
    Block => "拦截", "block";
});

impl Label for Category {
    fn zh(self) -> &'static str {
        self.label_zh()
    }
    fn en(self) -> &'static str {
        match self {
            Category::AbsoluteTerms => "absolute terms",
            Category::MedicalClaim => "medical claim",
            Category::EfficacyClaim => "efficacy claim",
            Category::InvestmentPromise => "investment promise",
            Category::FalseUrgency => "false urgency",
            Category::PriceFraud => "price fraud",
            Category::Disparagement => "disparagement",
            Category::OffPlatform => "off-platform contact",
            Category::FakeData => "fake data",
            Category::Minors => "minors",
            Category::ProhibitedContent => "prohibited content",
            Category::Abuse => "abuse",
            Category::PersonalInfo => "personal information",
            Category::UnfairTerms => "unfair terms",
            Category::DisclosureMissing => "missing disclosure",
            Category::RegulatedAd => "regulated advertising",
            Category::Promise => "promise",
            Category::Custom => "custom rule",
        }
    }
}

labels!(ConfidenceTag {
    P => "原文已核", "primary text checked";
    S => "二手来源", "secondary source";
    R => "待核实条号", "article number unconfirmed";
    U => "未能确认", "unconfirmed";
});

labels!(Channel {
    Script => "直播脚本", "script";
    ProductCopy => "商品文案", "product copy";
    Transcript => "口播", "speech";
    Comment => "评论", "comment";
    CommentReply => "评论回复", "comment reply";
    ImageText => "图片文字", "image text";
    Contract => "合同", "contract";
    Post => "帖子", "post";
});

labels!(ProductCategory {
    General => "普通商品", "general";
    Cosmetics => "普通化妆品", "cosmetics";
    SpecialCosmetics => "特殊化妆品", "special cosmetics";
    Food => "食品", "food";
    HealthFood => "保健食品", "health food";
    Drug => "药品", "drug";
    MedicalDevice => "医疗器械", "medical device";
    Electronics => "数码电器", "electronics";
    Clothing => "服装", "clothing";
    Toys => "玩具", "toys";
    Education => "教育培训", "education";
    Finance => "金融理财", "finance";
    Franchise => "招商加盟", "franchise";
});

labels!(Role {
    Admin => "系统管理员", "administrator";
    ComplianceLead => "合规组长", "compliance lead";
    Legal => "法务", "legal";
    OpsReviewer => "运营初审", "operations reviewer";
    OpsManager => "运营复审", "operations manager";
    CustomerService => "客服", "customer service";
    Streamer => "主播", "streamer";
    Auditor => "审计（只读）", "auditor (read-only)";
});

labels!(SessionState {
    Planned => "未开播", "planned";
    Live => "直播中", "live";
    Ended => "已结束", "ended";
});

labels!(AlertState {
    Open => "待处理", "open";
    Acknowledged => "已确认", "acknowledged";
    Escalated => "已升级", "escalated";
    Resolved => "已解决", "resolved";
});

labels!(TaskState {
    Open => "待跟进", "open";
    Done => "已完成", "done";
});

labels!(LotteryState {
    Draft => "草稿", "draft";
    Committed => "已公示规则", "rules published";
    Closed => "报名已截止", "entry closed";
    Drawn => "已开奖", "drawn";
});

labels!(ClaimState {
    Awaiting => "待领取", "awaiting claim";
    Claimed => "已登记", "claimed";
    Shipped => "已发货", "shipped";
    Redeemed => "已兑现", "redeemed";
    Forfeited => "已作废", "forfeited";
});

labels!(MasterKind {
    Room => "直播间", "live room";
    Streamer => "主播", "streamer";
    Plan => "直播排期", "session plan";
});

labels!(CaseKind {
    Complaint => "投诉", "complaint";
    Report => "举报", "report";
    AfterSales => "售后申请", "after-sales request";
    Referral => "监管转办", "regulator referral";
});

labels!(CaseTopic {
    Quality => "商品质量", "product quality";
    FalsePromotion => "虚假或引人误解的宣传", "false or misleading promotion";
    Price => "价格", "price";
    Returns => "售后退换货", "after-sales / returns";
    Lottery => "抽奖与奖品", "lottery / prize";
    PersonalInfo => "个人信息", "personal information";
    StreamerConduct => "主播言行", "streamer conduct";
    Other => "其他", "other";
});

labels!(CaseChannel {
    Phone => "电话热线", "phone";
    Platform => "平台售后/投诉消息", "platform messages";
    Chat => "在线客服", "online chat";
    Email => "邮件或信函", "e-mail or letter";
    LiveComment => "直播评论", "live comment";
    Regulator => "监管部门（12315/市场监管）", "regulator (12315)";
    Import => "导入", "import";
    Api => "系统对接", "integration";
});

labels!(CaseState {
    New => "待受理", "new";
    Acknowledged => "已回复", "acknowledged";
    InProgress => "处理中", "in progress";
    WaitingConsumer => "等待消费者", "waiting for the consumer";
    Solved => "已解决", "solved";
    Closed => "已结案", "closed";
});

labels!(Complexity {
    Ordinary => "一般", "ordinary";
    Complex => "复杂", "complex";
});

labels!(ClockKind {
    FirstReply => "首次回复", "first reply";
    Solution => "解决方案", "solution";
    Refund => "退款（法定 7 日）", "refund (7 days by law)";
    RegulatorResponse => "答复监管机关", "answer to the regulator";
    Mediation => "监管调解期", "regulator mediation";
});

labels!(ClockState {
    Running => "计时中", "running";
    Paused => "已暂停", "paused";
    Met => "按时完成", "met";
    MetLate => "超时完成", "met late";
    Stopped => "已停止", "stopped";
});

/// The Chinese label of a case state (for messages built outside a page).
pub(crate) fn case_state_zh(s: CaseState) -> &'static str {
    s.zh()
}

/// The Chinese name of a case action code (`reply`, `solve`, …).
pub(crate) fn action_zh(code: &str) -> &'static str {
    match code {
        "reply" => "回复",
        "solve" => "给出解决方案",
        "start" => "开始处理",
        "wait" => "等待消费者",
        "resume" => "消费者已答复",
        "close" => "结案",
        "withdraw" => "撤诉结案",
        "reopen" => "重新打开",
        "note" => "内部备注",
        "assign" => "分派",
        "complexity" => "认定复杂程度",
        "tag" => "标注根因",
        "return" => "登记退货申请",
        "goods_back" => "收到退货",
        "refunded" => "已退款",
        "reschedule" => "调整期限",
        _ => "操作",
    }
}

/// The label of a live event kind (`transcript`, `comment`, …; the codes of
/// `liveguard_live::EventKind`); `None` for a code that is not one.
pub(crate) fn event_kind(lang: Lang, code: &str) -> Option<&'static str> {
    let (zh, en) = match code {
        "transcript" => ("口播", "speech"),
        "screen_text" => ("画面文字", "screen text"),
        "comment" => ("评论", "comment"),
        "product_card" => ("商品卡", "product card"),
        "price" => ("价格", "price"),
        "lottery" => ("抽奖", "lottery"),
        _ => return None,
    };
    Some(super::tr(lang, zh, en))
}

/// The label of a submission's stage code (`draft`, `pending_first`, …); `None` for a code
/// that is not one.
pub(crate) fn stage(lang: Lang, code: &str) -> Option<&'static str> {
    let (zh, en) = match code {
        "draft" => ("草稿", "draft"),
        "pending_first" => ("待初审", "awaiting first review"),
        "pending_second" => ("待复审", "awaiting second review"),
        "pending_final" => ("待终审", "awaiting final review"),
        "approved" => ("已批准", "approved"),
        "rejected" => ("已退回", "returned for changes"),
        _ => return None,
    };
    Some(super::tr(lang, zh, en))
}

/// Every audit action the server writes, with its labels (the audit log's filter lists them
/// in this order). Actions made from a name (`review.<event>`, `<kind>.create`,
/// `live.comment.<action>`) are listed in full.
pub(crate) const AUDIT_ACTIONS: &[(&str, &str, &str)] = &[
    ("desk.case.create", "登记投诉案件", "case opened"),
    ("desk.case.reply", "回复消费者", "reply sent"),
    ("desk.case.solve", "给出解决方案", "solution given"),
    ("desk.case.start", "开始处理案件", "case started"),
    ("desk.case.wait", "等待消费者", "waiting for the consumer"),
    ("desk.case.resume", "消费者已答复", "consumer answered"),
    ("desk.case.close", "结案", "case closed"),
    ("desk.case.withdraw", "撤诉结案", "case withdrawn"),
    ("desk.case.reopen", "重新打开案件", "case reopened"),
    ("desk.case.note", "内部备注", "note added"),
    ("desk.case.assign", "分派案件", "case assigned"),
    ("desk.case.complexity", "认定复杂程度", "complexity decided"),
    ("desk.case.tag", "标注根因", "root cause tagged"),
    ("desk.case.return", "判定退货申请", "return decided"),
    (
        "desk.case.goods_back",
        "收到退货",
        "returned goods received",
    ),
    ("desk.case.refunded", "已退款", "refunded"),
    ("desk.case.reschedule", "调整期限", "due time changed"),
    ("desk.clock.start", "时限开始计时", "clock started"),
    ("desk.clock.met", "时限内完成", "clock met"),
    ("desk.clock.met_late", "超时后完成", "clock met late"),
    ("desk.clock.stop", "时限停止", "clock stopped"),
    ("desk.clock.pause", "时限暂停", "clock paused"),
    ("desk.clock.resume", "时限恢复计时", "clock resumed"),
    ("desk.clock.policy", "时限规则变更", "clock rule changed"),
    ("desk.clock.warn", "时限即将到期", "clock warning"),
    (
        "desk.clock.breach",
        "时限已超期（已升级至合规组长）",
        "clock breached (escalated)",
    ),
    (
        "desk.mapping.save",
        "保存导入字段映射",
        "import mapping saved",
    ),
    (
        "desk.rising",
        "投诉上升（已提示合规组）",
        "complaints rising (compliance group told)",
    ),
    ("session.login", "登录", "signed in"),
    ("session.login_failed", "登录失败", "sign-in failed"),
    ("session.logout", "退出登录", "signed out"),
    ("user.create", "创建用户", "user created"),
    ("user.update", "修改用户", "user changed"),
    ("user.password_change", "修改密码", "password changed"),
    (
        "user.password_change_failed",
        "修改密码失败",
        "password change failed",
    ),
    ("token.create", "创建 API 令牌", "API token created"),
    ("token.revoke", "撤销 API 令牌", "API token revoked"),
    ("audit.export", "导出审计证据包", "audit bundle exported"),
    ("rules.load", "加载规则包", "rule packs loaded"),
    ("product.create", "新建商品", "product created"),
    ("product.update", "修改商品", "product changed"),
    ("room.create", "新建直播间", "live room created"),
    ("streamer.create", "新建主播", "streamer created"),
    ("plan.create", "新建直播排期", "session plan created"),
    ("room.update", "修改直播间", "live room changed"),
    ("push_target.create", "新增推送目标", "push target added"),
    ("push_target.update", "修改推送目标", "push target changed"),
    ("push_target.delete", "删除推送目标", "push target deleted"),
    ("streamer.update", "修改主播", "streamer changed"),
    ("plan.update", "修改直播排期", "session plan changed"),
    ("submission.create", "新建审核内容", "submission created"),
    ("review.submitted", "提交审核", "submitted for review"),
    (
        "review.finding_decided",
        "对机器命中作出决定",
        "finding decided",
    ),
    (
        "review.checklist_answered",
        "回答审核要点",
        "checklist answered",
    ),
    ("review.signed", "审核签字", "signed"),
    (
        "review.routed",
        "转入下一级审核",
        "routed to the next level",
    ),
    ("review.approved", "批准并冻结", "approved and frozen"),
    ("review.rejected", "退回修改", "sent back for changes"),
    ("review.new_version", "保存新版本", "new version saved"),
    ("review.overdue", "审核逾期", "review overdue"),
    (
        "live.session.create",
        "新建直播场次",
        "live session created",
    ),
    ("live.session.start", "开播", "session started"),
    ("live.session.end", "结束直播", "session ended"),
    ("live.session.hold", "设置诉讼保全", "legal hold set"),
    (
        "live.session.release",
        "解除诉讼保全",
        "legal hold released",
    ),
    (
        "live.session.purge",
        "保存期满清除记录",
        "records purged after retention",
    ),
    ("live.alert.acknowledge", "确认告警", "alert acknowledged"),
    ("live.alert.resolve", "处理完成告警", "alert resolved"),
    ("live.alert.escalate", "告警超时升级", "alert escalated"),
    ("live.task.close", "完成承诺跟进", "follow-up closed"),
    ("live.comment.hide", "隐藏评论", "comment hidden"),
    ("live.comment.mute", "禁言观众", "viewer muted"),
    ("live.comment.reply", "回复评论", "comment replied"),
    ("live.comment.keep", "保留评论", "comment kept"),
    ("lottery.create", "新建抽奖", "lottery created"),
    ("lottery.edit", "修改抽奖草稿", "lottery draft edited"),
    (
        "lottery.change",
        "修改已公示规则",
        "published rules changed",
    ),
    ("lottery.commit", "公示抽奖规则", "rules published"),
    (
        "lottery.entrants",
        "截止报名并承诺名单",
        "entry closed, entrants committed",
    ),
    ("lottery.draw", "开奖", "drawn"),
    ("lottery.claim", "登记兑奖", "prize claimed"),
    ("lottery.claim.correct", "更正兑奖信息", "claim corrected"),
    ("lottery.ship", "奖品发货", "prize shipped"),
    ("lottery.redeem", "奖品签收", "prize redeemed"),
    ("lottery.forfeit", "逾期作废", "prize forfeited"),
    (
        "lottery.personal_view",
        "查看中奖者收货信息",
        "winner's delivery data viewed",
    ),
    (
        "lottery.personal_erase",
        "删除中奖者收货信息",
        "winner's delivery data erased",
    ),
];

/// The fields of master records (products, rooms, streamers, plans), as a change's audit
/// entry names them.
pub(crate) const MASTER_FIELDS: &[(&str, &str, &str)] = &[
    ("name", "名称", "name"),
    ("category", "品类", "category"),
    ("cosmetic_filing", "化妆品备案号", "cosmetic filing number"),
    ("registration", "注册证号或批准文号", "registration number"),
    ("sc_number", "食品生产许可证号", "SC number"),
    ("approved_claims", "已核准功效", "approved claims"),
    ("disclosures", "应披露信息", "disclosures"),
    ("seven_day_return", "七日无理由退货", "7-day return"),
    (
        "return_exception",
        "不适用七日退货的理由",
        "return exception",
    ),
    ("price_history", "历史成交价", "price history"),
    (
        "comparison_evidence",
        "比较价依据",
        "comparison-price evidence",
    ),
    ("platform", "平台", "platform"),
    ("account", "账号", "account"),
    ("operator", "运营主体", "operator"),
    ("agency", "所属机构", "agency"),
    ("title", "标题", "title"),
    ("room_id", "直播间", "room"),
    ("starts_at", "开播时间", "start"),
    ("streamer_ids", "主播", "streamers"),
    ("lineup", "商品清单与直播价", "lineup and prices"),
    ("has_lottery", "是否抽奖", "lottery"),
];

/// The label of a master record's field; `None` for a field not in [`MASTER_FIELDS`].
pub(crate) fn master_field(lang: Lang, code: &str) -> Option<&'static str> {
    MASTER_FIELDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
}

/// The label of an audit action; `None` for an action not in [`AUDIT_ACTIONS`].
pub(crate) fn audit_action(lang: Lang, code: &str) -> Option<&'static str> {
    AUDIT_ACTIONS
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, zh, en)| super::tr(lang, zh, en))
}

/// A duration for people: `850 毫秒`, `42 秒`, `3 分 20 秒`, `2 小时 5 分`.
pub(crate) fn duration_ms(lang: Lang, ms: i64) -> String {
    let s = ms / 1000;
    match lang {
        Lang::Zh if ms < 1000 => format!("{ms} 毫秒"),
        Lang::Zh if s < 60 => format!("{s} 秒"),
        Lang::Zh if s < 3600 => format!("{} 分 {} 秒", s / 60, s % 60),
        Lang::Zh => format!("{} 小时 {} 分", s / 3600, s % 3600 / 60),
        Lang::En if ms < 1000 => format!("{ms} ms"),
        Lang::En if s < 60 => format!("{s} s"),
        Lang::En if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        Lang::En => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    fn check<T: Label + std::fmt::Debug>(all: &[T], code: impl Fn(T) -> &'static str) {
        let mut seen = std::collections::HashSet::new();
        for &v in all {
            assert!(has_han(v.zh()), "{v:?} has no Chinese label");
            assert!(
                !v.en().is_empty() && v.en() != "?",
                "{v:?} has no English label"
            );
            assert!(
                seen.insert(v.zh()),
                "{v:?}: two codes share the label {}",
                v.zh()
            );
            assert_ne!(v.zh(), code(v));
        }
    }

    #[test]
    fn every_code_the_pages_show_has_a_distinct_chinese_label() {
        check(Severity::ALL, Severity::as_str);
        check(Decision::ALL, Decision::as_str);
        check(Category::ALL, Category::as_str);
        check(ConfidenceTag::ALL, ConfidenceTag::as_str);
        check(Channel::ALL, Channel::as_str);
        check(ProductCategory::ALL, ProductCategory::as_str);
        check(Role::ALL, Role::as_str);
        check(SessionState::ALL, SessionState::as_str);
        check(AlertState::ALL, AlertState::as_str);
        check(TaskState::ALL, TaskState::as_str);
        check(LotteryState::ALL, LotteryState::as_str);
        check(ClaimState::ALL, ClaimState::as_str);
        check(MasterKind::ALL, MasterKind::as_str);
        check(CaseKind::ALL, CaseKind::as_str);
        check(CaseTopic::ALL, CaseTopic::as_str);
        check(CaseChannel::ALL, CaseChannel::as_str);
        check(CaseState::ALL, CaseState::as_str);
        check(Complexity::ALL, Complexity::as_str);
        check(ClockKind::ALL, ClockKind::as_str);
        check(ClockState::ALL, ClockState::as_str);
        for code in [
            "draft",
            "pending_first",
            "pending_second",
            "pending_final",
            "approved",
            "rejected",
        ] {
            assert!(stage(Lang::Zh, code).is_some_and(has_han), "{code}");
        }
        for (code, zh, en) in AUDIT_ACTIONS {
            assert!(has_han(zh) && !en.is_empty(), "{code}");
        }
        for kind in liveguard_live::EventKind::ALL {
            assert!(
                event_kind(Lang::Zh, kind.as_str()).is_some_and(has_han),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn every_field_of_a_master_record_has_a_label() {
        use crate::features::master::service::{LineupItem, LiveRoom, SessionPlan, Streamer};
        let docs = [
            serde_json::to_value(liveguard_screen::product::Product::default()).unwrap(),
            serde_json::to_value(LiveRoom {
                platform: String::new(),
                account: String::new(),
                operator: String::new(),
            })
            .unwrap(),
            serde_json::to_value(Streamer {
                name: String::new(),
                agency: None,
            })
            .unwrap(),
            serde_json::to_value(SessionPlan {
                title: String::new(),
                room_id: 0,
                starts_at: String::new(),
                streamer_ids: vec![],
                lineup: vec![LineupItem {
                    product_id: 0,
                    price_fen: 0,
                    promotion: None,
                }],
                has_lottery: false,
            })
            .unwrap(),
        ];
        for doc in docs {
            for key in doc.as_object().unwrap().keys() {
                assert!(
                    master_field(Lang::Zh, key).is_some_and(has_han),
                    "no label for field {key}"
                );
            }
        }
    }

    #[test]
    fn durations_read_as_minutes_and_hours() {
        assert_eq!(duration_ms(Lang::Zh, 850), "850 毫秒");
        assert_eq!(duration_ms(Lang::Zh, 42_000), "42 秒");
        assert_eq!(duration_ms(Lang::Zh, 200_000), "3 分 20 秒");
        assert_eq!(duration_ms(Lang::Zh, 7_500_000), "2 小时 5 分");
        assert_eq!(duration_ms(Lang::En, 200_000), "3 min 20 s");
    }
}
