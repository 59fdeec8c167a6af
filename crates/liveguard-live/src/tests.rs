use std::sync::OnceLock;

use liveguard_core::{Decision, ProductCategory, Severity};
use liveguard_screen::{Scratch, Screen, ScreenBuilder, ScreenConfig, defaults};
use proptest::prelude::*;

use super::*;

fn screen() -> &'static Screen {
    static S: OnceLock<Screen> = OnceLock::new();
    S.get_or_init(|| {
        let mut b = ScreenBuilder::new(ScreenConfig::default_config());
        defaults::add_default_packs(&mut b).unwrap();
        b.build().unwrap()
    })
}

const AT: i64 = 1_764_590_400_000; // 2025-12-01T12:00:00Z

fn ev(key: &str, kind: EventKind) -> EventIn {
    EventIn {
        key: key.into(),
        kind,
        at_ms: AT,
        text: None,
        end_ms: None,
        speaker: None,
        confidence: None,
        user_id: None,
        nickname: None,
        product_id: None,
        price_fen: None,
        stock: None,
        action: None,
        source: None,
    }
}

fn say(key: &str, text: &str) -> EventIn {
    EventIn {
        text: Some(text.into()),
        speaker: Some("主播".into()),
        ..ev(key, EventKind::Transcript)
    }
}

fn comment(key: &str, user: &str, text: &str) -> EventIn {
    EventIn {
        text: Some(text.into()),
        user_id: Some(user.into()),
        nickname: Some("小鹿".into()),
        ..ev(key, EventKind::Comment)
    }
}

fn card(key: &str, product: i64, price: i64) -> EventIn {
    EventIn {
        product_id: Some(product),
        price_fen: Some(price),
        ..ev(key, EventKind::ProductCard)
    }
}

const SCRIPT: &str = "这款面霜保湿效果很好。今天直播间只要99元，七天无理由退货。";

fn monitor() -> Monitor {
    Monitor::new(
        screen(),
        Some(SCRIPT),
        vec![LineupEntry {
            product_id: 7,
            price_fen: 9_900,
            category: ProductCategory::Cosmetics,
        }],
        b"test-key",
    )
}

fn rules(p: &Processed) -> Vec<&str> {
    p.findings.iter().map(|f| f.rule.as_ref()).collect()
}

#[test]
fn validation_names_the_bad_field() {
    let cases: Vec<(EventIn, &str)> = vec![
        (ev("", EventKind::ScreenText), "key"),
        (ev("a b", EventKind::ScreenText), "key"),
        (ev(&"k".repeat(129), EventKind::ScreenText), "key"),
        (ev("k", EventKind::Transcript), "text"),
        (
            EventIn {
                at_ms: 5,
                ..say("k", "hi")
            },
            "at_ms",
        ),
        (
            EventIn {
                text: Some("x".repeat(COMMENT_CHARS_MAX + 1)),
                ..comment("k", "u", "")
            },
            "text",
        ),
        (
            EventIn {
                user_id: None,
                ..comment("k", "u", "hi")
            },
            "user_id",
        ),
        (ev("k", EventKind::ProductCard), "product_id"),
        (ev("k", EventKind::Price), "price_fen"),
        (
            EventIn {
                price_fen: Some(-1),
                ..ev("k", EventKind::Price)
            },
            "price_fen",
        ),
        (ev("k", EventKind::Lottery), "action"),
        (
            EventIn {
                confidence: Some(1.5),
                ..say("k", "hi")
            },
            "confidence",
        ),
        (
            EventIn {
                end_ms: Some(AT - 1),
                ..say("k", "hi")
            },
            "end_ms",
        ),
        (
            EventIn {
                text: Some("a\u{0}b".into()),
                ..say("k", "hi")
            },
            "text",
        ),
    ];
    for (e, field) in cases {
        let got = validate(&e).expect_err(&format!("{e:?} should be refused"));
        assert_eq!(got.field, field, "{e:?}: {got}");
    }
    for ok in [
        say("k", "欢迎"),
        comment("k", "u1", "好看"),
        card("k", 1, 100),
        EventIn {
            action: Some("draw".into()),
            ..ev("k", EventKind::Lottery)
        },
    ] {
        validate(&ok).unwrap();
    }
}

#[test]
fn unknown_fields_are_refused() {
    let e = serde_json::from_str::<EventIn>(
        r#"{"key":"a","kind":"comment","at_ms":1764590400000,"text":"x","user_id":"u","colour":"red"}"#,
    );
    assert!(e.unwrap_err().to_string().contains("colour"));
}

#[test]
fn chinese_numbers_and_prices_parse() {
    for (s, v) in [
        ("九十九", 99),
        ("一百二十九", 129),
        ("一百二", 120),
        ("三千五", 3500),
        ("十", 10),
        ("十五", 15),
        ("两万", 20000),
        ("一万二千", 12000),
        ("一百零五", 105),
    ] {
        assert_eq!(parse_chinese_number(s).map(|x| x.0), Some(v), "{s}");
    }
    let p = |t: &str| {
        selling_prices(t)
            .into_iter()
            .map(|x| x.1)
            .collect::<Vec<_>>()
    };
    assert_eq!(p("今天只要99元"), vec![9_900]);
    assert_eq!(p("到手价：¥129.9"), vec![12_990]);
    assert_eq!(p("直播间只要九十九块九"), vec![9_990]);
    assert_eq!(p("券后价 9块9 包邮"), vec![990]);
    assert_eq!(p("到手价１９９"), vec![19_900]);
    assert_eq!(p("原价399，现价199"), vec![19_900]);
    assert_eq!(p("欢迎来到直播间"), Vec::<i64>::new());
    let text = "只要99元";
    let (range, _) = &selling_prices(text)[0];
    assert_eq!(&text[range.clone()], "只要99元");
}

#[test]
fn the_approved_script_is_not_drift_but_new_claims_are() {
    let mut m = monitor();
    let mut s = Scratch::default();
    let ok = m.process(
        screen(),
        &mut s,
        &say("1", "今天直播间只要99元，七天无理由退货"),
    );
    assert!(
        !rules(&ok).contains(&"live/script-drift"),
        "{:?}",
        rules(&ok)
    );
    let drift = m.process(screen(), &mut s, &say("2", "用完立竿见影，假一赔十"));
    let d: Vec<_> = drift
        .findings
        .iter()
        .filter(|f| f.rule.as_ref() == "live/script-drift")
        .collect();
    assert!(d.len() >= 2, "{:?}", rules(&drift));
    for f in &d {
        assert!(f.severity >= Severity::Review);
        assert_eq!(
            &drift.text.as_deref().unwrap()[f.span.byte_start..f.span.byte_end],
            f.matched
        );
        assert!(f.citations.iter().any(|c| c.law == "直播电商监督管理办法"));
    }
    assert!(drift.alerts());
    // Promises become follow-ups with the product on the card.
    m.process(screen(), &mut s, &card("3", 7, 9_900));
    let p = m.process(screen(), &mut s, &say("4", "坏果包赔，七天无理由"));
    let said: Vec<_> = p.promises.iter().map(|p| p.said.as_str()).collect();
    assert!(
        said.contains(&"坏果包赔") && said.contains(&"七天无理由"),
        "{said:?}"
    );
    assert!(p.promises.iter().all(|p| p.product_id == Some(7)));
}

#[test]
fn without_a_script_there_is_no_drift() {
    let mut m = Monitor::new(screen(), None, vec![], b"k");
    let p = m.process(
        screen(),
        &mut Scratch::default(),
        &say("1", "假一赔十，只要88元"),
    );
    assert!(!rules(&p).contains(&"live/script-drift"));
    assert!(!m.has_script());
}

#[test]
fn spoken_prices_are_checked_against_the_card_and_the_plan() {
    let mut m = monitor();
    let mut s = Scratch::default();
    // No card yet: a price neither in the script nor the plan is drift.
    let p = m.process(screen(), &mut s, &say("1", "今天只要79元"));
    assert!(rules(&p).contains(&"live/script-drift"), "{:?}", rules(&p));
    // The card shows 99 (the plan price): saying 89 is a mismatch with the card.
    let c = m.process(screen(), &mut s, &card("2", 7, 9_900));
    assert_eq!(c.decision, Decision::Pass);
    let p = m.process(screen(), &mut s, &say("3", "到手价八十九块"));
    let f = p
        .findings
        .iter()
        .find(|f| f.rule.as_ref() == "live/price-mismatch")
        .expect("mismatch");
    assert_eq!(f.matched, "到手价八十九块");
    assert_eq!(f.normalized, "spoken 89.00 card 99.00");
    let p = m.process(screen(), &mut s, &say("4", "只要99元"));
    assert_eq!(p.decision, Decision::Pass, "{:?}", rules(&p));
    // The card price changes away from the plan.
    let p = m.process(
        screen(),
        &mut s,
        &EventIn {
            price_fen: Some(12_900),
            ..ev("5", EventKind::Price)
        },
    );
    assert_eq!(rules(&p), vec!["live/price-off-plan"]);
    assert_eq!(m.card(), (Some(7), Some(12_900)));
    // A product that was never reviewed goes on the card.
    let p = m.process(screen(), &mut s, &card("6", 99, 100));
    assert_eq!(rules(&p), vec!["live/product-off-plan"]);
    assert_eq!(p.product_id, Some(99));
}

#[test]
fn comments_are_masked_pseudonymised_and_moderated() {
    let mut m = monitor();
    let mut s = Scratch::default();
    let p = m.process(
        screen(),
        &mut s,
        &comment("1", "douyin-42", "加微信私聊，电话13812345678"),
    );
    let text = p.text.as_deref().unwrap();
    assert!(!text.contains("13812345678"), "{text}");
    assert!(p.masked >= 1);
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains("13812345678") && !json.contains("douyin-42"));
    assert_eq!(
        p.viewer.as_deref(),
        Some(pseudonym(b"test-key", "douyin-42").as_str())
    );
    assert_ne!(
        pseudonym(b"test-key", "douyin-42"),
        pseudonym(b"other", "douyin-42")
    );
    for f in &p.findings {
        assert_eq!(
            &text[f.span.byte_start..f.span.byte_end],
            f.matched,
            "{f:?}"
        );
    }
    assert!(
        p.findings
            .iter()
            .any(|f| f.category == liveguard_core::Category::PersonalInfo)
    );
    assert_eq!(
        p.moderation.as_ref().unwrap().action,
        ModerationAction::Hide
    );
    // Negative product feedback is answered, never hidden — even when it is rude.
    let p = m.process(
        screen(),
        &mut s,
        &comment("2", "u2", "用了过敏烂脸，你们就是骗子，加微信退款？"),
    );
    let md = p.moderation.unwrap();
    assert_eq!(md.action, ModerationAction::Reply);
    assert!(md.negative_feedback);
    // An ordinary comment needs nothing.
    let p = m.process(screen(), &mut s, &comment("3", "u3", "主播今天好漂亮"));
    assert!(p.moderation.is_none());
    assert_eq!(p.decision, Decision::Pass);
}

proptest! {
    #[test]
    fn no_phone_number_survives_processing(prefix in "[好的今天直播间买送宝贝你们我他a-z ]{0,20}", n in 0u32..100_000_000, suffix in "[好的今天直播间买送宝贝你们我他a-z ]{0,20}") {
        let phone = format!("139{n:08}");
        let text = format!("{prefix} {phone} {suffix}");
        let mut m = monitor();
        let p = m.process(screen(), &mut Scratch::default(), &comment("k", "u", &text));
        let json = serde_json::to_string(&p).unwrap();
        prop_assert!(!json.contains(&phone));
        let stored = p.text.unwrap();
        for f in &p.findings {
            prop_assert_eq!(&stored[f.span.byte_start..f.span.byte_end], f.matched.as_str());
        }
    }

    #[test]
    fn processing_never_panics(text in "\\PC{1,80}") {
        let mut m = monitor();
        let mut s = Scratch::default();
        for kind in [EventKind::Transcript, EventKind::ScreenText, EventKind::Comment] {
            let e = EventIn { text: Some(text.clone()), user_id: Some("u".into()), ..ev("k", kind) };
            let p = m.process(screen(), &mut s, &e);
            let stored = p.text.unwrap();
            for f in &p.findings {
                prop_assert!(stored.is_char_boundary(f.span.byte_start) && f.span.byte_end <= stored.len());
            }
        }
    }
}

#[test]
fn a_lottery_opened_on_air_without_committed_rules_is_flagged() {
    let mut m = monitor();
    let mut s = Scratch::default();
    let open = |key: &str, action: &str, text: Option<&str>| EventIn {
        action: Some(action.into()),
        text: text.map(String::from),
        ..ev(key, EventKind::Lottery)
    };
    let p = m.process(
        screen(),
        &mut s,
        &open("l1", "open", Some("福袋开啦，评论想要面霜参与")),
    );
    assert!(
        rules(&p).contains(&"live/lottery-uncommitted"),
        "{:?}",
        rules(&p)
    );
    let f = p
        .findings
        .iter()
        .find(|f| f.rule.as_ref() == "live/lottery-uncommitted")
        .unwrap();
    assert_eq!(
        f.span.byte_end,
        p.text.as_ref().unwrap().len(),
        "the span is the stored text"
    );
    assert!(f.citations.iter().any(|c| c.law == "反不正当竞争法"));
    assert_ne!(p.decision, liveguard_core::Decision::Pass);
    // Without text the finding names the action; closing or drawing is not flagged again.
    let p = m.process(screen(), &mut s, &open("l2", "announce", None));
    assert_eq!(p.findings[0].matched, "lottery:announce");
    let p = m.process(screen(), &mut s, &open("l3", "draw", None));
    assert!(!rules(&p).contains(&"live/lottery-uncommitted"));
    // With a committed lottery the same event passes.
    m.set_lotteries(vec!["面霜福袋".into()]);
    let p = m.process(
        screen(),
        &mut s,
        &open("l4", "open", Some("福袋开啦，评论想要面霜参与")),
    );
    assert!(
        !rules(&p).contains(&"live/lottery-uncommitted"),
        "{:?}",
        rules(&p)
    );
}

/// Security review F10: a sender's key carrying a phone number is stored as its keyed
/// digest, the same one each time (so re-delivery is still recognised); other keys as sent.
#[test]
fn r11_f10_keys_with_personal_data_are_stored_as_keyed_digests() {
    let key = b"deployment-key";
    let careless = crate::monitor::stored_key(key, "13800138000-careless-key");
    assert!(
        careless.starts_with("k:") && !careless.contains("13800138000"),
        "{careless}"
    );
    assert_eq!(
        careless,
        crate::monitor::stored_key(key, "13800138000-careless-key")
    );
    assert_ne!(
        careless,
        crate::monitor::stored_key(b"other-key", "13800138000-careless-key")
    );
    assert_eq!(
        crate::monitor::stored_key(key, "batch-7-c12"),
        "batch-7-c12"
    );
}

/// Session memory on air: the same scarcity count said again ten minutes later, and a
/// countdown announced again after it ran out, are findings the single sentence cannot give.
#[test]
fn repeated_scarcity_and_restarted_countdowns_are_caught_on_air() {
    let mut m = Monitor::new(screen(), None, vec![], b"k");
    let mut s = Scratch::default();
    let at = |key: &str, text: &str, minutes: i64| EventIn {
        at_ms: AT + minutes * 60_000,
        ..say(key, text)
    };
    let rules = |p: &Processed| {
        p.findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        !rules(&m.process(screen(), &mut s, &at("1", "宝宝们仅剩3单了", 0)))
            .contains(&"live/scarcity-repeated".to_string())
    );
    let p = m.process(screen(), &mut s, &at("2", "真的仅剩3单了，抓紧", 10));
    assert!(
        rules(&p).contains(&"live/scarcity-repeated".to_string()),
        "{:?}",
        p.findings
    );
    let f = p
        .findings
        .iter()
        .find(|f| f.rule.as_ref() == "live/scarcity-repeated")
        .unwrap();
    assert_eq!(f.category, liveguard_core::Category::FalseUrgency);
    assert!(f.severity >= Severity::Review);
    assert!(f.normalized.starts_with("said 3 at "), "{}", f.normalized);

    assert!(
        !rules(&m.process(screen(), &mut s, &at("3", "最后5分钟", 20)))
            .contains(&"live/countdown-restarted".to_string())
    );
    let p = m.process(screen(), &mut s, &at("4", "最后5分钟，抓紧下单", 40));
    assert!(
        rules(&p).contains(&"live/countdown-restarted".to_string()),
        "{:?}",
        p.findings
    );
    // Comments do not count: viewers saying 仅剩3单 is not the seller's claim.
    let p = m.process(
        screen(),
        &mut s,
        &EventIn {
            at_ms: AT + 50 * 60_000,
            ..comment("5", "u1", "仅剩3单吗")
        },
    );
    assert!(!rules(&p).contains(&"live/scarcity-repeated".to_string()));
}
