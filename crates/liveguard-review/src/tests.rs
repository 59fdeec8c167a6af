use super::*;
use proptest::prelude::*;

fn actor(name: &str, role: Role) -> Actor {
    Actor {
        username: name.to_string(),
        role,
    }
}

fn author() -> Actor {
    actor("anchor-ops", Role::Streamer)
}
fn reviewer() -> Actor {
    actor("zhang", Role::OpsReviewer)
}
fn manager() -> Actor {
    actor("liu", Role::OpsManager)
}
fn lead() -> Actor {
    actor("li", Role::ComplianceLead)
}
fn legal() -> Actor {
    actor("chen", Role::Legal)
}

fn policy() -> RoutingPolicy {
    RoutingPolicy::default_policy()
}

fn all_pass(level: Level) -> BTreeMap<String, ChecklistAnswer> {
    default_checklist(level)
        .into_iter()
        .map(|i| {
            (
                i.key,
                ChecklistAnswer {
                    pass: true,
                    comment: None,
                },
            )
        })
        .collect()
}

fn approve(level: Level) -> Action {
    Action::Approve {
        checklist: all_pass(level),
        flag_final: false,
    }
}

fn findings() -> Vec<FindingRef> {
    vec![
        FindingRef {
            id: "absolute/zui@12".into(),
            severity: Severity::Review,
        },
        FindingRef {
            id: "claims/medical/treatment@30".into(),
            severity: Severity::Block,
        },
        FindingRef {
            id: "commerce/promise/track@50".into(),
            severity: Severity::Info,
        },
    ]
}

fn review(categories: Vec<ProductCategory>) -> Review {
    Review::new(
        "anchor-ops",
        content_hash("脚本 v1"),
        findings(),
        categories,
        false,
    )
}

fn act(r: &mut Review, who: &Actor, action: Action) -> Result<Vec<Event>, ReviewError> {
    r.apply(who, action, &policy(), &default_checklist)
}

fn dismiss_all(r: &mut Review, who: &Actor) {
    let d: BTreeMap<String, FindingDecision> = r
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Review)
        .map(|f| {
            (
                f.id.clone(),
                FindingDecision::Dismiss {
                    reason: DismissReason::NameOrMark,
                    comment: "商标 第123456号".into(),
                },
            )
        })
        .collect();
    act(r, who, Action::Decide(d)).unwrap();
}

#[test]
fn full_flow_through_final_review_freezes_the_text() {
    let mut r = review(vec![ProductCategory::HealthFood]);
    act(&mut r, &author(), Action::Submit).unwrap();
    dismiss_all(&mut r, &reviewer());
    act(&mut r, &reviewer(), approve(Level::First)).unwrap();
    assert_eq!(
        r.stage,
        Stage::Pending {
            level: Level::Second
        }
    );
    let ev = act(&mut r, &manager(), approve(Level::Second)).unwrap();
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::Routed {
                level: Level::Final,
                reason: Some(_)
            }
        )),
        "{ev:?}"
    );
    act(&mut r, &lead(), approve(Level::Final)).unwrap();
    assert_eq!(
        r.stage,
        Stage::Pending {
            level: Level::Final
        },
        "legal must sign too"
    );
    let ev = act(&mut r, &legal(), approve(Level::Final)).unwrap();
    assert_eq!(
        r.stage,
        Stage::Approved {
            content_hash: content_hash("脚本 v1")
        }
    );
    assert!(ev.contains(&Event::Approved {
        content_hash: content_hash("脚本 v1")
    }));

    // An edit after approval voids it and starts a new round.
    let ev = act(
        &mut r,
        &author(),
        Action::Edit {
            content_hash: content_hash("脚本 v2"),
            findings: vec![],
        },
    )
    .unwrap();
    assert_eq!(
        ev,
        vec![Event::NewVersion {
            version: 2,
            voided_approval: true
        }]
    );
    assert_eq!(
        (r.stage.clone(), r.version, r.signatures.len()),
        (Stage::Draft, 2, 0)
    );
}

#[test]
fn without_a_routing_reason_second_review_approves() {
    let mut r = Review::new(
        "anchor-ops",
        content_hash("x"),
        vec![],
        vec![ProductCategory::Clothing],
        false,
    );
    act(&mut r, &author(), Action::Submit).unwrap();
    act(&mut r, &reviewer(), approve(Level::First)).unwrap();
    act(&mut r, &manager(), approve(Level::Second)).unwrap();
    assert!(matches!(r.stage, Stage::Approved { .. }));
}

#[test]
fn routing_reasons() {
    let p = policy();
    let mut r = Review::new(
        "a",
        content_hash("x"),
        findings(),
        vec![ProductCategory::Clothing],
        false,
    );
    assert_eq!(r.final_review_reason(&p), None);
    r.decisions.insert(
        "claims/medical/treatment@30".into(),
        (
            Level::First,
            FindingDecision::Dismiss {
                reason: DismissReason::NotAboutGoods,
                comment: "说明".into(),
            },
        ),
    );
    assert_eq!(
        r.final_review_reason(&p).as_deref(),
        Some("a block finding was dismissed")
    );
    let r = Review::new(
        "a",
        content_hash("x"),
        vec![],
        vec![ProductCategory::Clothing],
        true,
    );
    assert_eq!(
        r.final_review_reason(&p).as_deref(),
        Some("the session plan has a lottery")
    );
    let mut r = Review::new(
        "a",
        content_hash("x"),
        vec![],
        vec![ProductCategory::Clothing],
        false,
    );
    r.final_flag = true;
    assert!(r.final_review_reason(&p).is_some());
    let off = RoutingPolicy {
        on_dismissed_block: false,
        regulated_categories: vec![],
        on_lottery: false,
    };
    let r = Review::new(
        "a",
        content_hash("x"),
        vec![],
        vec![ProductCategory::Drug],
        true,
    );
    assert_eq!(
        r.final_review_reason(&off),
        None,
        "the policy is configurable"
    );
}

#[test]
fn a_reviewer_flag_sends_it_to_final_review() {
    let mut r = Review::new(
        "anchor-ops",
        content_hash("x"),
        vec![],
        vec![ProductCategory::Clothing],
        false,
    );
    act(&mut r, &author(), Action::Submit).unwrap();
    act(
        &mut r,
        &reviewer(),
        Action::Approve {
            checklist: all_pass(Level::First),
            flag_final: true,
        },
    )
    .unwrap();
    act(&mut r, &manager(), approve(Level::Second)).unwrap();
    assert_eq!(
        r.stage,
        Stage::Pending {
            level: Level::Final
        }
    );
}

#[test]
fn separation_of_duties() {
    let mut r = Review::new(
        "zhang",
        content_hash("x"),
        vec![],
        vec![ProductCategory::Clothing],
        false,
    );
    act(&mut r, &reviewer(), Action::Submit).unwrap();
    let e = act(&mut r, &reviewer(), approve(Level::First)).unwrap_err();
    assert!(
        matches!(e, ReviewError::SeparationOfDuties(_)),
        "own submission: {e}"
    );

    let mut r = review(vec![ProductCategory::Drug]);
    act(&mut r, &author(), Action::Submit).unwrap();
    dismiss_all(&mut r, &lead());
    act(&mut r, &lead(), approve(Level::First)).unwrap();
    let e = act(&mut r, &lead(), approve(Level::Second)).unwrap_err();
    assert!(e.to_string().contains("already signed 初审"), "{e}");
    act(&mut r, &manager(), approve(Level::Second)).unwrap();
    let e = act(&mut r, &lead(), approve(Level::Final)).unwrap_err();
    assert!(
        matches!(e, ReviewError::SeparationOfDuties(_)),
        "the lead signed 初审, so another lead must sign 终审: {e}"
    );
    let other_lead = actor("wang", Role::ComplianceLead);
    act(&mut r, &other_lead, approve(Level::Final)).unwrap();
    let e = act(
        &mut r,
        &actor("zhou", Role::ComplianceLead),
        approve(Level::Final),
    )
    .unwrap_err();
    assert!(e.to_string().contains("needs the other role"), "{e}");
    act(&mut r, &legal(), approve(Level::Final)).unwrap();
    assert!(matches!(r.stage, Stage::Approved { .. }));
}

#[test]
fn roles_per_level() {
    let mut r = review(vec![]);
    act(&mut r, &author(), Action::Submit).unwrap();
    for who in [
        actor("s", Role::Streamer),
        actor("c", Role::CustomerService),
        actor("a", Role::Auditor),
        actor("l", Role::Legal),
        actor("ad", Role::Admin),
    ] {
        let e = act(&mut r, &who, approve(Level::First)).unwrap_err();
        assert!(matches!(e, ReviewError::WrongRole { .. }), "{who:?}: {e}");
    }
    let e = act(&mut r, &reviewer(), Action::Submit).unwrap_err();
    assert_eq!(e, ReviewError::NotAuthor("submit"));
}

#[test]
fn checklist_rules() {
    let mut r = Review::new("anchor-ops", content_hash("x"), vec![], vec![], false);
    act(&mut r, &author(), Action::Submit).unwrap();
    let mut missing = all_pass(Level::First);
    missing.remove("advertising");
    let e = act(
        &mut r,
        &reviewer(),
        Action::Approve {
            checklist: missing,
            flag_final: false,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("`advertising`"), "{e}");
    let mut failed = all_pass(Level::First);
    failed.insert(
        "advertising".into(),
        ChecklistAnswer {
            pass: false,
            comment: None,
        },
    );
    let e = act(
        &mut r,
        &reviewer(),
        Action::Approve {
            checklist: failed.clone(),
            flag_final: false,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("without a comment"), "{e}");
    failed.insert(
        "advertising".into(),
        ChecklistAnswer {
            pass: false,
            comment: Some("含“全网最低价”".into()),
        },
    );
    let e = act(
        &mut r,
        &reviewer(),
        Action::Approve {
            checklist: failed,
            flag_final: false,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("reject"), "{e}");
    let mut extra = all_pass(Level::First);
    extra.insert(
        "made_up".into(),
        ChecklistAnswer {
            pass: true,
            comment: None,
        },
    );
    assert!(
        act(
            &mut r,
            &reviewer(),
            Action::Approve {
                checklist: extra,
                flag_final: false
            }
        )
        .is_err()
    );
    assert_eq!(
        r.stage,
        Stage::Pending {
            level: Level::First
        },
        "a refused action changes nothing"
    );
}

#[test]
fn finding_rules() {
    let mut r = review(vec![]);
    act(&mut r, &author(), Action::Submit).unwrap();
    let e = act(&mut r, &reviewer(), approve(Level::First)).unwrap_err();
    assert!(e.to_string().contains("has no decision"), "{e}");
    let mut d = BTreeMap::new();
    d.insert(
        "absolute/zui@12".to_string(),
        FindingDecision::Dismiss {
            reason: DismissReason::SelfComparison,
            comment: " ".into(),
        },
    );
    assert!(
        act(&mut r, &reviewer(), Action::Decide(d))
            .unwrap_err()
            .to_string()
            .contains("needs a comment")
    );
    let mut d = BTreeMap::new();
    d.insert("nope@1".to_string(), FindingDecision::Confirm);
    assert!(act(&mut r, &reviewer(), Action::Decide(d)).is_err());
    let mut d = BTreeMap::new();
    d.insert(
        "absolute/zui@12".to_string(),
        FindingDecision::Dismiss {
            reason: DismissReason::SelfComparison,
            comment: "本品牌新旧款对比".into(),
        },
    );
    d.insert(
        "claims/medical/treatment@30".to_string(),
        FindingDecision::Confirm,
    );
    let ev = act(&mut r, &reviewer(), Action::Decide(d)).unwrap();
    assert_eq!(ev.len(), 2);
    let e = act(&mut r, &reviewer(), approve(Level::First)).unwrap_err();
    assert!(e.to_string().contains("is confirmed"), "{e}");
    // Reject, edit, resubmit: decisions on findings that remain carry over.
    act(
        &mut r,
        &reviewer(),
        Action::Reject {
            required_changes: "删除“治疗”".into(),
        },
    )
    .unwrap();
    assert!(matches!(
        r.stage,
        Stage::Rejected {
            level: Level::First,
            ..
        }
    ));
    assert!(
        act(
            &mut r,
            &reviewer(),
            Action::Reject {
                required_changes: "x".into()
            }
        )
        .is_err()
    );
    let kept = vec![FindingRef {
        id: "absolute/zui@12".into(),
        severity: Severity::Review,
    }];
    act(
        &mut r,
        &author(),
        Action::Edit {
            content_hash: content_hash("v2"),
            findings: kept,
        },
    )
    .unwrap();
    assert_eq!(
        r.decisions.len(),
        1,
        "the dismissal of the remaining finding is kept"
    );
    act(&mut r, &author(), Action::Submit).unwrap();
    act(&mut r, &reviewer(), approve(Level::First)).unwrap();
    assert_eq!(
        r.stage,
        Stage::Pending {
            level: Level::Second
        }
    );
}

#[test]
fn empty_reject_reason_is_refused() {
    let mut r = review(vec![]);
    act(&mut r, &author(), Action::Submit).unwrap();
    assert_eq!(
        act(
            &mut r,
            &reviewer(),
            Action::Reject {
                required_changes: "  ".into()
            }
        )
        .unwrap_err(),
        ReviewError::Empty("required changes")
    );
}

#[derive(Debug, Clone)]
enum Step {
    Submit,
    DismissAll(usize),
    ConfirmOne(usize),
    Approve(usize, bool),
    Reject(usize),
    Edit,
}

fn people() -> Vec<Actor> {
    vec![
        author(),
        reviewer(),
        manager(),
        lead(),
        legal(),
        actor("wang", Role::ComplianceLead),
        actor("ops2", Role::OpsReviewer),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever people do, in any order: an approved version carries 初审 and 复审 by two
    /// different people who are not the author, and both 终审 roles when routing requires it.
    #[test]
    fn approvals_always_respect_the_rules(
        steps in prop::collection::vec(prop_oneof![
            Just(Step::Submit),
            (0usize..7).prop_map(Step::DismissAll),
            (0usize..7).prop_map(Step::ConfirmOne),
            ((0usize..7), any::<bool>()).prop_map(|(a, f)| Step::Approve(a, f)),
            (0usize..7).prop_map(Step::Reject),
            Just(Step::Edit),
        ], 0..40),
        regulated in any::<bool>(),
    ) {
        let ppl = people();
        let cats = if regulated { vec![ProductCategory::HealthFood] } else { vec![ProductCategory::Clothing] };
        let mut r = review(cats);
        let mut edits = 0;
        for step in steps {
            let before = r.clone();
            let result = match step {
                Step::Submit => act(&mut r, &ppl[0], Action::Submit),
                Step::DismissAll(i) => {
                    let d = r.findings.iter().map(|f| (f.id.clone(), FindingDecision::Dismiss { reason: DismissReason::FalsePositive, comment: "误报".into() })).collect();
                    act(&mut r, &ppl[i], Action::Decide(d))
                }
                Step::ConfirmOne(i) => {
                    let d = r.findings.iter().take(1).map(|f| (f.id.clone(), FindingDecision::Confirm)).collect();
                    act(&mut r, &ppl[i], Action::Decide(d))
                }
                Step::Approve(i, flag) => {
                    let level = match r.stage { Stage::Pending { level } => level, _ => Level::First };
                    act(&mut r, &ppl[i], Action::Approve { checklist: all_pass(level), flag_final: flag })
                }
                Step::Reject(i) => act(&mut r, &ppl[i], Action::Reject { required_changes: "改".into() }),
                Step::Edit => { edits += 1; act(&mut r, &ppl[0], Action::Edit { content_hash: content_hash(&format!("v{edits}")), findings: findings() }) }
            };
            if result.is_err() {
                prop_assert_eq!(&r, &before, "a refused action must not change the review");
            }
            if let Stage::Approved { content_hash } = &r.stage {
                prop_assert_eq!(content_hash, &r.content_hash);
                let signer = |l: Level| r.signatures.iter().filter(move |s| s.level == l).map(|s| s.reviewer.clone()).collect::<Vec<_>>();
                let (first, second) = (signer(Level::First), signer(Level::Second));
                prop_assert_eq!(first.len(), 1);
                prop_assert_eq!(second.len(), 1);
                prop_assert_ne!(&first[0], &second[0]);
                prop_assert!(r.signatures.iter().all(|s| s.reviewer != r.author));
                let mut names: Vec<_> = r.signatures.iter().map(|s| &s.reviewer).collect();
                names.sort();
                names.dedup();
                prop_assert_eq!(names.len(), r.signatures.len(), "nobody signs twice");
                if r.final_review_reason(&policy()).is_some() {
                    let roles: Vec<Role> = r.signatures.iter().filter(|s| s.level == Level::Final).map(|s| s.role).collect();
                    prop_assert!(roles.contains(&Role::ComplianceLead) && roles.contains(&Role::Legal));
                }
                prop_assert!(!r.decisions.values().any(|(_, d)| *d == FindingDecision::Confirm), "no confirmed finding in an approved text");
            }
        }
    }
}
