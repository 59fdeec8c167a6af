//! `liveguard lottery simulate | verify`: a complete draw offline, and the offline check of
//! any draw's proof bundle.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use liveguard_lottery::{
    Bundle, Entry, LotteryRules, Prize, RECORDED_ROUND, RECORDED_ROUND_TIME, RECORDED_SIGNATURE,
    Randomness, commit_entrants, draw, time_of, verify,
};

use crate::Outcome;

#[derive(Debug, Subcommand)]
pub(crate) enum LotteryCommand {
    /// Run a complete draw offline (committed rules, entrants, randomness from a recorded
    /// real drand quicknet round or commit-reveal) and write its proof bundle.
    Simulate {
        /// Number of entrants (synthetic accounts, two of them excluded staff).
        #[arg(long, default_value_t = 1000)]
        entrants: usize,
        /// Number of winners.
        #[arg(long, default_value_t = 10)]
        winners: u32,
        /// Where to write the bundle (JSON).
        #[arg(long)]
        out: PathBuf,
        /// drand (the recorded quicknet round) or commit-reveal.
        #[arg(long, default_value = "drand")]
        randomness: String,
        /// Operator seed for commit-reveal (hex); default derived from the clock.
        #[arg(long)]
        seed: Option<String>,
    },
    /// Check a proof bundle offline: rules digest, entrant commitment, drand signature or
    /// revealed commitment, seed and winners. Exit 0 valid, 1 invalid, 2 unreadable.
    Verify {
        /// The bundle (JSON).
        bundle: PathBuf,
    },
}

fn demo_rules(winners: u32, draw_at: &str, method: &str) -> LotteryRules {
    LotteryRules {
        title: "直播间福袋（模拟）".into(),
        organiser: "示例电子商务有限公司".into(),
        contact: "400-000-0000".into(),
        prizes: vec![Prize {
            name: "水润修护面霜 50g".into(),
            kind: "goods".into(),
            unit_value_fen: 39_900,
            quantity: winners,
        }],
        entry: Entry {
            method: "comment_keyword".into(),
            keyword: Some("想要面霜".into()),
            chances_per_entry: 1,
        },
        exclusions: vec!["员工、主播、MCN 及其关联账号".into()],
        entry_opens_at: "2023-08-23T15:00:00Z".into(),
        entry_closes_at: "2023-08-23T15:10:00Z".into(),
        draw_at: draw_at.into(),
        draw_method: method.into(),
        dedupe: "同一账号多次评论只计一次（以第一次为准）".into(),
        redemption: "中奖后7日内通过直播间私信填写收货信息".into(),
        redemption_deadline: "2023-08-30T23:59:59Z".into(),
        unclaimed: "逾期未填写视为放弃，奖品不再补发".into(),
        delivery: "快递包邮".into(),
        seed_commitment: None,
    }
}

pub(crate) fn run(cmd: LotteryCommand) -> anyhow::Result<Outcome> {
    match cmd {
        LotteryCommand::Simulate {
            entrants,
            winners,
            out,
            randomness,
            seed,
        } => {
            let (rules, random) = match randomness.as_str() {
                "drand" => (
                    demo_rules(winners, RECORDED_ROUND_TIME, "drand-quicknet"),
                    Randomness::Drand {
                        round: RECORDED_ROUND,
                        signature: RECORDED_SIGNATURE.into(),
                    },
                ),
                "commit-reveal" => {
                    let seed = match seed {
                        Some(s) => hex::decode(&s).context("--seed must be hex")?,
                        None => format!("{:?}", std::time::SystemTime::now()).into_bytes(),
                    };
                    use sha2::Digest;
                    let mut rules = demo_rules(winners, RECORDED_ROUND_TIME, "commit-reveal");
                    rules.seed_commitment = Some(hex::encode(sha2::Sha256::digest(&seed)));
                    (
                        rules,
                        Randomness::CommitReveal {
                            commitment: hex::encode(sha2::Sha256::digest(&seed)),
                            seed: hex::encode(&seed),
                            contribution: "independent-party-contribution-(simulated)".into(),
                        },
                    )
                }
                other => anyhow::bail!("--randomness {other}: use drand or commit-reveal"),
            };
            let problems = rules.check();
            anyhow::ensure!(
                problems.is_empty(),
                "the rules fail their checks: {problems:?}"
            );
            let accounts: Vec<String> = (0..entrants).map(|i| format!("viewer-{i}")).collect();
            // draw_ms: the entrant commitment and the draw, not making up the accounts.
            let started = Instant::now();
            let excluded: HashMap<String, String> = [
                ("viewer-0", "staff"),
                ("viewer-1", "streamer's related account"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
            let committed = commit_entrants(
                b"simulation-salt",
                accounts.iter().map(String::as_str),
                &excluded,
            );
            let at = time_of(&rules.draw_at).context("draw time")?;
            let bundle = draw(&rules, committed, random, at)?;
            let elapsed = started.elapsed();
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            serde_json::to_writer(std::io::BufWriter::new(file), &bundle)?;
            // What a public inclusion check costs: one proof computed from the leaves, and
            // proofs from the kept tree (as the server answers them), each checked.
            let e = &bundle.entrants;
            let t = Instant::now();
            let first = liveguard_lottery::inclusion_proof(e, &bundle.winners[0].code)
                .context("a winner is in the draw")?;
            let proof_from_leaves = t.elapsed();
            let t = Instant::now();
            let tree = liveguard_lottery::entrant_tree(e);
            let tree_build = t.elapsed();
            let samples = e.codes.len().min(1000);
            let t = Instant::now();
            for i in 0..samples {
                let code = &e.codes[i * e.codes.len() / samples];
                let (index, size, proof) = liveguard_lottery::inclusion_proof_in(&tree, e, code)
                    .context("an entrant is in the draw")?;
                anyhow::ensure!(
                    liveguard_lottery::verify_inclusion(code, index, size, &proof, &e.root),
                    "an inclusion proof from the kept tree does not verify"
                );
            }
            let per_proof = t.elapsed() / samples.max(1) as u32;
            anyhow::ensure!(
                liveguard_lottery::inclusion_proof_in(&tree, e, &bundle.winners[0].code)
                    == Some(first),
                "the kept tree and the leaves disagree"
            );
            writeln!(
                std::io::stdout().lock(),
                "{{\"entrants\":{},\"removed\":{},\"winners\":{},\"rules_digest\":\"{}\",\"entrants_root\":\"{}\",\"seed\":\"{}\",\"draw_ms\":{},\"proof_from_leaves_ms\":{},\"tree_build_ms\":{},\"proof_from_tree_us\":{}}}",
                bundle.entrants.codes.len(),
                bundle.entrants.removals.len(),
                bundle.winners.len(),
                bundle.rules_digest,
                bundle.entrants.root,
                bundle.seed,
                elapsed.as_millis(),
                proof_from_leaves.as_millis(),
                tree_build.as_millis(),
                per_proof.as_micros()
            )?;
            Ok(Outcome::Clean)
        }
        LotteryCommand::Verify { bundle } => {
            let started = Instant::now();
            let text = std::fs::read(&bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?;
            let b: Bundle = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not a lottery bundle", bundle.display()))?;
            let mut out = std::io::stdout().lock();
            match verify(&b) {
                Ok(()) => {
                    writeln!(
                        out,
                        "VALID: {} winners of {} entrants; rules {}; entrants root {}; seed {} ({} ms)",
                        b.winners.len(),
                        b.entrants.codes.len(),
                        b.rules_digest,
                        b.entrants.root,
                        b.seed,
                        started.elapsed().as_millis()
                    )?;
                    Ok(Outcome::Clean)
                }
                Err(e) => {
                    writeln!(out, "INVALID: {e}")?;
                    Ok(Outcome::Flagged)
                }
            }
        }
    }
}
