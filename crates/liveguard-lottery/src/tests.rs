use std::collections::HashMap;

use super::*;

/// drand quicknet round 123 as published (api3.drand.sh/52db9ba7…e971/public/123).
const ROUND_123_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
/// When round 123 was published: genesis + 122 periods.
const ROUND_123_TIME: &str = "2023-08-23T15:15:33Z";

fn rules(draw_at: &str) -> LotteryRules {
    LotteryRules {
        title: "面霜专场福袋".into(),
        organiser: "示例电子商务有限公司".into(),
        contact: "400-000-0000".into(),
        prizes: vec![
            Prize {
                name: "面霜正装".into(),
                kind: "goods".into(),
                unit_value_fen: 39_900,
                quantity: 2,
            },
            Prize {
                name: "旅行装".into(),
                kind: "goods".into(),
                unit_value_fen: 5_900,
                quantity: 3,
            },
        ],
        entry: Entry {
            method: "comment_keyword".into(),
            keyword: Some("想要面霜".into()),
            chances_per_entry: 1,
        },
        exclusions: vec!["员工、主播及其关联账号".into()],
        entry_opens_at: "2023-08-23T15:00:00Z".into(),
        entry_closes_at: "2023-08-23T15:10:00Z".into(),
        draw_at: draw_at.into(),
        draw_method: "drand-quicknet".into(),
        dedupe: "同一账号多次评论只计一次".into(),
        redemption: "中奖后7日内在直播间私信填写收货信息".into(),
        redemption_deadline: "2023-08-30T23:59:59Z".into(),
        unclaimed: "逾期未填写视为放弃，奖品不再补发".into(),
        delivery: "快递包邮，签收前可验货".into(),
        seed_commitment: None,
    }
}

fn accounts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("douyin-{i}")).collect()
}

fn entrants(n: usize) -> Entrants {
    let a = accounts(n);
    commit_entrants(b"salt-2026", a.iter().map(String::as_str), &HashMap::new())
}

fn commit_reveal() -> Randomness {
    let seed = b"operator-seed-0001";
    Randomness::CommitReveal {
        seed: hex::encode(seed),
        commitment: hex::encode(Sha256::digest(seed)),
        contribution: "公证处随机数 8841-2290".into(),
    }
}

#[test]
fn real_quicknet_round_verifies_and_a_flipped_byte_fails() {
    let good = Randomness::Drand {
        round: 123,
        signature: ROUND_123_SIGNATURE.into(),
    };
    let value = good.value(&"00".repeat(32)).unwrap();
    assert_eq!(
        value,
        <[u8; 32]>::from(Sha256::digest(hex::decode(ROUND_123_SIGNATURE).unwrap()))
    );
    let mut sig = hex::decode(ROUND_123_SIGNATURE).unwrap();
    sig[10] ^= 0x01;
    let bad = Randomness::Drand {
        round: 123,
        signature: hex::encode(&sig),
    };
    assert!(bad.value("").is_err());
    let wrong_round = Randomness::Drand {
        round: 124,
        signature: ROUND_123_SIGNATURE.into(),
    };
    assert!(wrong_round.value("").is_err());
}

#[test]
fn draw_times_fix_the_round() {
    assert_eq!(quicknet_round_at(QUICKNET_GENESIS), 1);
    assert_eq!(quicknet_round_at(QUICKNET_GENESIS + 1), 2);
    assert_eq!(quicknet_round_at(QUICKNET_GENESIS + 3), 2);
    assert_eq!(quicknet_round_at(time_of(ROUND_123_TIME).unwrap()), 123);
    assert_eq!(time_of("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(time_of("2026-12-01T20:00:00+08:00"), Some(1_796_126_400));
    assert_eq!(time_of("2026-12-01 20:00"), None);
}

#[test]
fn rules_are_checked_with_citations() {
    let ok = rules(ROUND_123_TIME);
    assert!(ok.check().is_empty(), "{:?}", ok.check());
    let mut rich = ok.clone();
    rich.prizes[0].unit_value_fen = 5_000_100;
    let f = rich.check();
    assert_eq!(f[0].rule, "lottery/top-prize-cap");
    assert!(
        f[0].citations
            .iter()
            .any(|c| c.law == "反不正当竞争法" && c.article == "11")
    );
    // ¥30,000 with two chances per purchase is a ¥60,000 top prize.
    let mut chances = ok.clone();
    chances.prizes[0].unit_value_fen = 3_000_000;
    chances.entry.chances_per_entry = 2;
    assert_eq!(chances.check()[0].rule, "lottery/top-prize-cap");
    chances.entry.chances_per_entry = 1;
    assert!(chances.check().is_empty());
    let mut vague = ok.clone();
    vague.redemption_deadline = String::new();
    vague.entry.keyword = None;
    vague.draw_method = "random.org".into();
    let fields: Vec<String> = vague.check().into_iter().map(|f| f.field).collect();
    assert_eq!(
        fields,
        ["redemption_deadline", "entry.keyword", "draw_method"]
    );
}

#[test]
fn only_changes_in_the_consumers_favour_are_allowed_after_the_start() {
    let before = rules(ROUND_123_TIME);
    let mut better = before.clone();
    better.prizes[1].quantity = 10;
    better.prizes.push(Prize {
        name: "口红".into(),
        kind: "goods".into(),
        unit_value_fen: 19_900,
        quantity: 1,
    });
    better.redemption_deadline = "2023-09-30T23:59:59Z".into();
    assert!(before.change_after_start(&better).is_empty());
    let mut worse = before.clone();
    worse.prizes[0].quantity = 1;
    worse.entry_closes_at = "2023-08-23T15:05:00Z".into();
    worse.entry.keyword = Some("别的词".into());
    let fields: Vec<String> = before
        .change_after_start(&worse)
        .into_iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(fields, ["prizes", "entry_closes_at", "entry"]);
}

#[test]
fn entrants_are_deduplicated_excluded_and_committed_independent_of_arrival_order() {
    let excluded: HashMap<String, String> = [("staff-1".to_string(), "staff".to_string())]
        .into_iter()
        .collect();
    let a = commit_entrants(b"s", ["u1", "u2", "u1", "staff-1", "u3"], &excluded);
    assert_eq!(a.codes.len(), 3);
    let reasons: Vec<&str> = a.removals.iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons.contains(&"duplicate") && reasons.contains(&"excluded: staff"));
    let b = commit_entrants(b"s", ["u3", "staff-1", "u2", "u1"], &excluded);
    assert_eq!(a.root, b.root);
    assert!(
        !a.codes.iter().any(|c| c.contains("u1")),
        "codes are digests"
    );
    assert_ne!(
        commit_entrants(b"other", ["u1"], &excluded).codes,
        commit_entrants(b"s", ["u1"], &excluded).codes
    );
    // Each entrant can prove they were in the draw.
    let code = entrant_code(b"s", "u2");
    let (index, size, proof) = inclusion_proof(&a, &code).unwrap();
    assert!(verify_inclusion(&code, index, size, &proof, &a.root));
    assert!(!verify_inclusion(
        &entrant_code(b"s", "u9"),
        index,
        size,
        &proof,
        &a.root
    ));
    assert!(inclusion_proof(&a, &entrant_code(b"s", "staff-1")).is_none());
}

#[test]
fn choose_gives_distinct_indices_in_range_deterministically() {
    let seed = [7u8; 32];
    let a = choose(&seed, 1_000_000, 10);
    assert_eq!(a, choose(&seed, 1_000_000, 10));
    assert_eq!(a.len(), 10);
    let mut d = a.clone();
    d.sort_unstable();
    d.dedup();
    assert_eq!(d.len(), 10);
    assert!(a.iter().all(|&i| i < 1_000_000));
    let all = choose(&seed, 5, 9);
    let mut s = all.clone();
    s.sort_unstable();
    assert_eq!(
        s,
        [0, 1, 2, 3, 4],
        "k is clamped to n and every entrant appears once"
    );
    assert_ne!(choose(&[8u8; 32], 1_000_000, 10), a);
}

#[test]
fn winner_selection_is_uniform() {
    // 12,000 seeded draws of one winner among 12 entrants: chi-square with 11 degrees of
    // freedom must stay below 31.26 (p = 0.001). Seeds are fixed, so this cannot flake.
    let n = 12u64;
    let draws = 12_000u64;
    let mut counts = vec![0u64; n as usize];
    for i in 0..draws {
        let seed: [u8; 32] = Sha256::digest(i.to_be_bytes()).into();
        counts[choose(&seed, n, 1)[0] as usize] += 1;
    }
    let expected = draws as f64 / n as f64;
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < 31.26, "chi-square {chi2:.2}, counts {counts:?}");
    // The second pick is uniform over the rest too (pairs of 4 entrants: 12 ordered pairs).
    let mut pairs: HashMap<(u64, u64), u64> = HashMap::new();
    for i in 0..draws {
        let seed: [u8; 32] = Sha256::digest((i + 1_000_000).to_be_bytes()).into();
        let p = choose(&seed, 4, 2);
        *pairs.entry((p[0], p[1])).or_default() += 1;
    }
    assert_eq!(pairs.len(), 12);
    let expected = draws as f64 / 12.0;
    let chi2: f64 = pairs
        .values()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < 31.26, "pairs chi-square {chi2:.2}");
}

#[test]
fn a_drand_draw_verifies_offline() {
    let r = rules(ROUND_123_TIME);
    let at = time_of(ROUND_123_TIME).unwrap();
    let bundle = draw(
        &r,
        entrants(1000),
        Randomness::Drand {
            round: 123,
            signature: ROUND_123_SIGNATURE.into(),
        },
        at,
    )
    .unwrap();
    assert_eq!(bundle.winners.len(), 5);
    assert_eq!(bundle.winners[0].prize, "面霜正装");
    assert_eq!(bundle.winners[4].prize, "旅行装");
    verify(&bundle).unwrap();
    // Through JSON, as a regulator would receive it.
    let text = serde_json::to_string_pretty(&bundle).unwrap();
    verify(&serde_json::from_str(&text).unwrap()).unwrap();
    // Another round than the one fixed by the draw time is refused.
    let e = draw(
        &r,
        entrants(10),
        Randomness::Drand {
            round: 124,
            signature: ROUND_123_SIGNATURE.into(),
        },
        at,
    )
    .unwrap_err();
    assert!(e.to_string().contains("round 124"), "{e}");
}

fn tampered(bundle: &Bundle, f: impl FnOnce(&mut Bundle)) -> LotteryError {
    let mut b = bundle.clone();
    f(&mut b);
    verify(&b).expect_err("tampering must fail verification")
}

#[test]
fn tampering_with_any_part_fails_verification() {
    let mut r = rules("2026-12-01T20:30:00+08:00");
    r.draw_method = "commit-reveal".into();
    assert_eq!(
        r.check()[0].field,
        "seed_commitment",
        "commit-reveal needs its commitment published"
    );
    r.seed_commitment = Some(hex::encode(Sha256::digest(b"operator-seed-0001")));
    let bundle = draw(&r, entrants(200), commit_reveal(), 0).unwrap();
    verify(&bundle).unwrap();
    let part = |e: LotteryError| match e {
        LotteryError::Mismatch { part, .. } => part.to_string(),
        LotteryError::Randomness(_) => "randomness".into(),
        other => other.to_string(),
    };
    assert_eq!(
        part(tampered(&bundle, |b| b.rules.prizes[0].quantity = 1)),
        "rules"
    );
    assert_eq!(
        part(tampered(&bundle, |b| {
            b.rules.prizes[0].quantity = 1;
            b.rules_digest = b.rules.digest();
        })),
        "seed",
        "re-digested rules change the seed"
    );
    assert_eq!(
        part(tampered(&bundle, |b| b.entrants.codes.swap(0, 1))),
        "entrants"
    );
    assert_eq!(
        part(tampered(&bundle, |b| {
            b.entrants.codes.pop();
        })),
        "entrants"
    );
    assert_eq!(
        part(tampered(&bundle, |b| {
            let c = b.entrants.codes[3].clone();
            b.entrants.removals.push(Removal {
                code: c,
                reason: "excluded: staff".into(),
            });
        })),
        "removals"
    );
    assert_eq!(
        part(tampered(&bundle, |b| {
            if let Randomness::CommitReveal { contribution, .. } = &mut b.randomness {
                contribution.push('9');
            }
        })),
        "seed"
    );
    assert_eq!(
        part(tampered(&bundle, |b| {
            if let Randomness::CommitReveal { seed, .. } = &mut b.randomness {
                *seed = hex::encode(b"another seed");
            }
        })),
        "randomness"
    );
    assert_eq!(
        part(tampered(&bundle, |b| b.seed = "00".repeat(32))),
        "seed"
    );
    assert_eq!(part(tampered(&bundle, |b| b.winners.swap(0, 1))), "winners");
    assert_eq!(
        part(tampered(&bundle, |b| b.winners[2].code = b.entrants.codes[0].clone())),
        "winners"
    );
    assert_eq!(
        part(tampered(&bundle, |b| {
            b.winners.pop();
        })),
        "winners"
    );
    assert_eq!(part(tampered(&bundle, |b| b.format = "x".into())), "format");
    // A seed whose commitment was not the published one.
    assert_eq!(
        part(tampered(&bundle, |b| {
            b.randomness = Randomness::CommitReveal {
                seed: hex::encode(b"late seed"),
                commitment: hex::encode(Sha256::digest(b"late seed")),
                contribution: "x".into(),
            }
        })),
        "randomness"
    );
}

/// The commitment as first written (a set for the first entry of each account, then a
/// sort), kept as the reference the sort-once version must match.
fn reference_commit(
    salt: &[u8],
    accounts: &[String],
    excluded: &HashMap<String, String>,
) -> Entrants {
    let mut seen = std::collections::HashSet::new();
    let mut codes = Vec::new();
    let mut removals = Vec::new();
    for account in accounts {
        let code = entrant_code(salt, account);
        if !seen.insert(account.as_str()) {
            removals.push(Removal {
                code,
                reason: "duplicate".into(),
            });
        } else if let Some(why) = excluded.get(account) {
            removals.push(Removal {
                code,
                reason: format!("excluded: {why}"),
            });
        } else {
            codes.push(code);
        }
    }
    codes.sort_unstable();
    removals.sort_by(|a, b| (&a.code, &a.reason).cmp(&(&b.code, &b.reason)));
    let root = hex::encode(root_of(&codes));
    Entrants {
        salt: hex::encode(salt),
        codes,
        removals,
        root,
    }
}

#[test]
fn the_commitment_matches_the_reference_with_repeats_and_exclusions() {
    // A small deterministic generator: accounts drawn from a pool so that many repeat,
    // some of them excluded, some repeated three times or more.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..50 {
        let pool = 1 + (next() % 40) as usize;
        let n = (next() % 120) as usize;
        let accounts: Vec<String> = (0..n)
            .map(|_| format!("a{}", next() % pool as u64))
            .collect();
        let excluded: HashMap<String, String> = (0..pool)
            .filter(|i| i % 5 == round % 5)
            .map(|i| (format!("a{i}"), "staff".to_string()))
            .collect();
        let got = commit_entrants(b"s", accounts.iter().map(String::as_str), &excluded);
        assert_eq!(
            got,
            reference_commit(b"s", &accounts, &excluded),
            "round {round}: {accounts:?}"
        );
    }
}
