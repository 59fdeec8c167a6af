//! Verifiable live-room lotteries (福袋, 抽奖, 红包, 转盘) as pure functions.
//!
//! # Overview
//! 1. [`LotteryRules`] are checked ([`LotteryRules::check`]: the ¥50,000 top-prize cap with
//!    multiple chances counted, the disclosure fields; [`LotteryRules::change_after_start`]:
//!    only changes more favourable to consumers) and committed by their digest before
//!    entry opens.
//! 2. Entrants are deduplicated (first entry per account counts), excluded accounts removed
//!    with the reason kept, pseudonymised as salted digests ("entrant codes"), sorted, and
//!    committed as an RFC 6962 Merkle root when entry closes ([`commit_entrants`]).
//! 3. The randomness is fixed in advance: a drand quicknet round computed from the draw
//!    time ([`quicknet_round_at`]), verified against the network's public key; or, where
//!    drand cannot be reached, an operator seed committed before entry combined with the
//!    entrant root and an independent party's contribution ([`Randomness::CommitReveal`],
//!    a weaker guarantee: see the docs).
//! 4. seed = SHA-256(domain ‖ randomness ‖ rules digest ‖ entrants root); winners are drawn
//!    by a partial Fisher–Yates shuffle with rejection sampling (no modulo bias) from a
//!    SHA-256 counter stream ([`choose`]).
//! 5. A self-contained [`Bundle`] lets anyone recompute everything offline ([`verify`]);
//!    an entrant checks inclusion with a Merkle proof ([`inclusion_proof`]).
//!
//! # Invariants
//! No I/O, no clock, no randomness of its own: every input is explicit, the same inputs
//! give the same winners, and [`verify`] fails on any change to rules, entrants, removals,
//! randomness, seed, winners or their order.
#![deny(missing_docs)]

mod rules;

use std::collections::{HashMap, HashSet};

use drand_verify::{G2PubkeyRfc, Pubkey};
use liveguard_audit::merkle::{self, Hash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use rules::{
    DRAW_METHODS, ENTRY_METHODS, Entry, LotteryRules, Prize, RuleFinding, TOP_PRIZE_FEN_MAX,
};

/// Bundle format tag.
pub const BUNDLE_FORMAT: &str = "liveguard-lottery-1";
/// drand quicknet public key (chain info of `52db9ba7…e971`, scheme bls-unchained-g1-rfc9380).
pub const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";
/// drand quicknet chain hash.
pub const QUICKNET_CHAIN_HASH: &str =
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
/// quicknet genesis (Unix seconds).
pub const QUICKNET_GENESIS: i64 = 1_692_803_367;
/// quicknet period (seconds).
pub const QUICKNET_PERIOD: i64 = 3;

/// quicknet round 123 as drand published it (`api3.drand.sh/<chain>/public/123`): a real,
/// recorded round for offline simulations, the demo lottery and the tests.
pub const RECORDED_ROUND: u64 = 123;
/// The BLS signature of [`RECORDED_ROUND`] (hex).
pub const RECORDED_SIGNATURE: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
/// When [`RECORDED_ROUND`] was produced.
pub const RECORDED_ROUND_TIME: &str = "2023-08-23T15:15:33Z";

/// The first quicknet round published at or after `unix_seconds`.
pub fn quicknet_round_at(unix_seconds: i64) -> u64 {
    if unix_seconds <= QUICKNET_GENESIS {
        return 1;
    }
    let elapsed = unix_seconds - QUICKNET_GENESIS;
    ((elapsed + QUICKNET_PERIOD - 1) / QUICKNET_PERIOD + 1) as u64
}

/// Why a draw cannot be made or a bundle does not verify; the message names the part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LotteryError {
    /// The rules fail their checks.
    #[error("the rules fail their checks: {0}")]
    Rules(String),
    /// No entrants.
    #[error("no entrants")]
    NoEntrants,
    /// The randomness does not verify.
    #[error("randomness: {0}")]
    Randomness(String),
    /// A part of the bundle does not match what it commits to.
    #[error("{part} does not verify: {detail}")]
    Mismatch {
        /// Which part.
        part: &'static str,
        /// What differs.
        detail: String,
    },
}

fn mismatch(part: &'static str, detail: impl Into<String>) -> LotteryError {
    LotteryError::Mismatch {
        part,
        detail: detail.into(),
    }
}

/// The code standing for an entrant: SHA-256(domain ‖ salt ‖ account), hex.
pub fn entrant_code(salt: &[u8], account: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"liveguard-entrant\0");
    h.update(salt);
    h.update(account.as_bytes());
    hex::encode(h.finalize())
}

/// An account left out of the draw, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    /// The account's entrant code.
    pub code: String,
    /// `duplicate` or `excluded: <why>`.
    pub reason: String,
}

/// The committed entrants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entrants {
    /// Salt of the codes (hex), published with the bundle so an entrant can recompute their
    /// own code from their account.
    pub salt: String,
    /// Entrant codes in committed (sorted) order.
    pub codes: Vec<String>,
    /// Accounts removed, with reasons.
    pub removals: Vec<Removal>,
    /// Merkle root over the codes (hex).
    pub root: String,
}

fn leaf(code: &str) -> Hash {
    merkle::leaf_hash(code.as_bytes())
}

fn root_of(codes: &[String]) -> Hash {
    let leaves: Vec<Hash> = codes.iter().map(|c| leaf(c)).collect();
    merkle::root(&leaves)
}

/// Deduplicates `accounts` (the first entry of an account counts), removes `excluded`
/// accounts (account → reason), pseudonymises and sorts the rest, and commits them.
pub fn commit_entrants<'a>(
    salt: &[u8],
    accounts: impl IntoIterator<Item = &'a str>,
    excluded: &HashMap<String, String>,
) -> Entrants {
    // An account always gives the same code, so duplicates sit next to each other once the
    // codes are sorted: one sort does the deduplication and the committed order at once.
    let mut items: Vec<(String, Option<&str>)> = accounts
        .into_iter()
        .map(|account| {
            (
                entrant_code(salt, account),
                excluded.get(account).map(String::as_str),
            )
        })
        .collect();
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut codes = Vec::with_capacity(items.len());
    let mut removals = Vec::new();
    for i in 0..items.len() {
        let duplicate = i > 0 && items[i].0 == items[i - 1].0;
        let why = items[i].1;
        let code = if duplicate {
            items[i].0.clone()
        } else {
            // The next item may still need this code to spot its duplicate.
            match items.get(i + 1) {
                Some(next) if next.0 == items[i].0 => items[i].0.clone(),
                _ => std::mem::take(&mut items[i].0),
            }
        };
        match (duplicate, why) {
            (true, _) => removals.push(Removal {
                code,
                reason: "duplicate".into(),
            }),
            (false, Some(why)) => removals.push(Removal {
                code,
                reason: format!("excluded: {why}"),
            }),
            (false, None) => codes.push(code),
        }
    }
    removals.sort_by(|a, b| (&a.code, &a.reason).cmp(&(&b.code, &b.reason)));
    let root = hex::encode(root_of(&codes));
    Entrants {
        salt: hex::encode(salt),
        codes,
        removals,
        root,
    }
}

/// Where the random value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Randomness {
    /// A drand quicknet beacon: the round fixed by the draw time, and its signature (hex).
    Drand {
        /// Round.
        round: u64,
        /// BLS signature of the round (hex).
        signature: String,
    },
    /// Commit-reveal: the operator committed SHA-256(seed) before entry opened; the value is
    /// SHA-256(seed ‖ entrants root ‖ contribution), where the contribution comes from an
    /// independent party after entry closed.
    CommitReveal {
        /// The operator's seed (hex), revealed at the draw.
        seed: String,
        /// SHA-256 of the seed (hex), published with the rules.
        commitment: String,
        /// The independent party's contribution.
        contribution: String,
    },
}

fn unhex(part: &'static str, s: &str) -> Result<Vec<u8>, LotteryError> {
    hex::decode(s).map_err(|e| mismatch(part, format!("not hex: {e}")))
}

impl Randomness {
    /// The verified random value.
    pub fn value(&self, entrants_root: &str) -> Result<[u8; 32], LotteryError> {
        match self {
            Randomness::Drand { round, signature } => {
                let pk_bytes: [u8; 96] = hex::decode(QUICKNET_PUBLIC_KEY)
                    .expect("constant")
                    .try_into()
                    .expect("96 bytes");
                let pk = G2PubkeyRfc::from_fixed(pk_bytes)
                    .map_err(|e| LotteryError::Randomness(e.to_string()))?;
                let sig = hex::decode(signature)
                    .map_err(|e| LotteryError::Randomness(format!("signature is not hex: {e}")))?;
                match pk.verify(*round, b"", &sig) {
                    Ok(true) => Ok(Sha256::digest(&sig).into()),
                    Ok(false) => Err(LotteryError::Randomness(format!(
                        "the signature is not quicknet's for round {round}"
                    ))),
                    Err(e) => Err(LotteryError::Randomness(e.to_string())),
                }
            }
            Randomness::CommitReveal {
                seed,
                commitment,
                contribution,
            } => {
                let seed_bytes = unhex("randomness.seed", seed)?;
                if hex::encode(Sha256::digest(&seed_bytes)) != *commitment {
                    return Err(LotteryError::Randomness(
                        "the revealed seed does not match the commitment".into(),
                    ));
                }
                if contribution.trim().is_empty() {
                    return Err(LotteryError::Randomness(
                        "the independent contribution is missing".into(),
                    ));
                }
                let mut h = Sha256::new();
                h.update(&seed_bytes);
                h.update(unhex("entrants.root", entrants_root)?);
                h.update(contribution.as_bytes());
                Ok(h.finalize().into())
            }
        }
    }
}

/// The draw seed: SHA-256(domain ‖ randomness ‖ rules digest ‖ entrants root).
pub fn seed(
    randomness: &[u8; 32],
    rules_digest: &str,
    entrants_root: &str,
) -> Result<[u8; 32], LotteryError> {
    let mut h = Sha256::new();
    h.update(b"liveguard-lottery-seed\0");
    h.update(randomness);
    h.update(unhex("rules_digest", rules_digest)?);
    h.update(unhex("entrants.root", entrants_root)?);
    Ok(h.finalize().into())
}

/// A deterministic stream of 64-bit values: SHA-256(seed ‖ counter).
struct Stream {
    seed: [u8; 32],
    counter: u64,
}

impl Stream {
    fn next_u64(&mut self) -> u64 {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(self.counter.to_be_bytes());
        self.counter += 1;
        let d = h.finalize();
        u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
    }

    /// Uniform in `0..m` by rejection sampling (no modulo bias).
    fn below(&mut self, m: u64) -> u64 {
        // 2^64 mod m values at the top would favour small results: they are rejected.
        let r = (u64::MAX % m + 1) % m;
        loop {
            let x = self.next_u64();
            if r == 0 || x <= u64::MAX - r {
                return x % m;
            }
        }
    }
}

/// The first `k` positions of a Fisher–Yates shuffle of `0..n` driven by `seed`: `k`
/// distinct indices, each subset and order equally likely.
pub fn choose(seed: &[u8; 32], n: u64, k: u64) -> Vec<u64> {
    let k = k.min(n);
    let mut stream = Stream {
        seed: *seed,
        counter: 0,
    };
    // The shuffled array, stored sparsely: only moved positions are kept.
    let mut moved: HashMap<u64, u64> = HashMap::new();
    let mut out = Vec::with_capacity(k as usize);
    for i in 0..k {
        let j = i + stream.below(n - i);
        let at_j = *moved.get(&j).unwrap_or(&j);
        let at_i = *moved.get(&i).unwrap_or(&i);
        moved.insert(j, at_i);
        out.push(at_j);
    }
    out
}

/// One winner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Winner {
    /// The prize won.
    pub prize: String,
    /// Position in the committed entrant list.
    pub index: u64,
    /// The entrant code.
    pub code: String,
}

/// Everything needed to check a draw offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The committed rules.
    pub rules: LotteryRules,
    /// Their digest.
    pub rules_digest: String,
    /// The committed entrants.
    pub entrants: Entrants,
    /// The randomness.
    pub randomness: Randomness,
    /// The seed (hex).
    pub seed: String,
    /// Winners in draw order (top prize first).
    pub winners: Vec<Winner>,
}

/// Draws the winners: `rules` must pass their checks; for drand, the round must be the one
/// fixed by the draw time (`draw_at_unix`).
pub fn draw(
    rules: &LotteryRules,
    entrants: Entrants,
    randomness: Randomness,
    draw_at_unix: i64,
) -> Result<Bundle, LotteryError> {
    let problems = rules.check();
    if !problems.is_empty() {
        return Err(LotteryError::Rules(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    if entrants.codes.is_empty() {
        return Err(LotteryError::NoEntrants);
    }
    if let Randomness::CommitReveal { commitment, .. } = &randomness
        && rules.seed_commitment.as_deref() != Some(commitment.as_str())
    {
        return Err(LotteryError::Randomness(
            "the seed commitment is not the one published with the rules".into(),
        ));
    }
    if let Randomness::Drand { round, .. } = &randomness {
        let fixed = quicknet_round_at(draw_at_unix);
        if *round != fixed {
            return Err(LotteryError::Randomness(format!(
                "round {round} is not the one fixed by the draw time (round {fixed})"
            )));
        }
    }
    let rules_digest = rules.digest();
    let value = randomness.value(&entrants.root)?;
    let seed = seed(&value, &rules_digest, &entrants.root)?;
    let winners = assign(rules, &entrants, &seed);
    Ok(Bundle {
        format: BUNDLE_FORMAT.into(),
        rules: rules.clone(),
        rules_digest,
        entrants,
        randomness,
        seed: hex::encode(seed),
        winners,
    })
}

fn assign(rules: &LotteryRules, entrants: &Entrants, seed: &[u8; 32]) -> Vec<Winner> {
    let picks = choose(
        seed,
        entrants.codes.len() as u64,
        u64::from(rules.winners()),
    );
    let prizes = rules
        .prizes
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.name.clone(), p.quantity as usize));
    prizes
        .zip(picks)
        .map(|(prize, index)| Winner {
            prize,
            index,
            code: entrants.codes[index as usize].clone(),
        })
        .collect()
}

/// Recomputes a bundle offline: the rules digest and checks, the entrant order and root, the
/// removals' distinctness from the entrants, the randomness (drand signature or revealed
/// commitment), the seed and every winner in order. The error names the first part that
/// fails.
pub fn verify(bundle: &Bundle) -> Result<(), LotteryError> {
    if bundle.format != BUNDLE_FORMAT {
        return Err(mismatch("format", format!("expected {BUNDLE_FORMAT}")));
    }
    if bundle.rules.digest() != bundle.rules_digest {
        return Err(mismatch(
            "rules",
            "their digest differs from the committed one",
        ));
    }
    let problems = bundle.rules.check();
    if !problems.is_empty() {
        return Err(mismatch(
            "rules",
            format!("{} check(s) fail", problems.len()),
        ));
    }
    let e = &bundle.entrants;
    if !e.codes.windows(2).all(|w| w[0] < w[1]) {
        return Err(mismatch(
            "entrants",
            "codes are not in committed (sorted, distinct) order",
        ));
    }
    if hex::encode(root_of(&e.codes)) != e.root {
        return Err(mismatch("entrants", "the Merkle root differs"));
    }
    let codes: HashSet<&str> = e.codes.iter().map(String::as_str).collect();
    for r in &e.removals {
        if r.reason == "duplicate" {
            continue;
        }
        if codes.contains(r.code.as_str()) {
            return Err(mismatch(
                "removals",
                format!("{} is both removed and entered", r.code),
            ));
        }
    }
    if let Randomness::Drand { round, .. } = &bundle.randomness {
        let at = time_of(&bundle.rules.draw_at)
            .ok_or_else(|| mismatch("rules", "draw_at is not an RFC 3339 time"))?;
        let fixed = quicknet_round_at(at);
        if *round != fixed {
            return Err(mismatch(
                "randomness",
                format!("round {round} is not the one fixed by the draw time ({fixed})"),
            ));
        }
    }
    if let Randomness::CommitReveal { commitment, .. } = &bundle.randomness
        && bundle.rules.seed_commitment.as_deref() != Some(commitment.as_str())
    {
        return Err(mismatch(
            "randomness",
            "the seed commitment is not the one published with the rules",
        ));
    }
    let value = bundle.randomness.value(&e.root)?;
    let s = seed(&value, &bundle.rules_digest, &e.root)?;
    if hex::encode(s) != bundle.seed {
        return Err(mismatch(
            "seed",
            "it is not SHA-256 of randomness, rules digest and entrants root",
        ));
    }
    let expected = assign(&bundle.rules, e, &s);
    if expected != bundle.winners {
        return Err(mismatch(
            "winners",
            "they differ from the recomputed draw (who, which prize or order)",
        ));
    }
    Ok(())
}

/// Unix seconds of an RFC 3339 UTC or offset time (`2026-12-01T20:00:00+08:00`).
pub fn time_of(s: &str) -> Option<i64> {
    // YYYY-MM-DDTHH:MM:SS then Z or ±HH:MM.
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let offset = match &s[19..] {
        "Z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (tz[1..3].parse::<i64>().ok()? * 3600 + tz[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// The inclusion proof of entrant `code`: (index, size, proof hashes in hex), or `None` when
/// the code is not in the draw.
pub fn inclusion_proof(entrants: &Entrants, code: &str) -> Option<(u64, u64, Vec<String>)> {
    inclusion_proof_in(&entrant_tree(entrants), entrants, code)
}

/// The Merkle tree over the committed codes, kept by callers that answer many inclusion
/// checks (its root is `entrants.root`).
pub fn entrant_tree(entrants: &Entrants) -> merkle::Tree {
    merkle::Tree::new(entrants.codes.iter().map(|c| leaf(c)).collect())
}

/// [`inclusion_proof`] with the tree of `entrants` already built.
pub fn inclusion_proof_in(
    tree: &merkle::Tree,
    entrants: &Entrants,
    code: &str,
) -> Option<(u64, u64, Vec<String>)> {
    let index = entrants
        .codes
        .binary_search_by(|c| c.as_str().cmp(code))
        .ok()?;
    let proof = tree.inclusion_proof(index);
    Some((
        index as u64,
        tree.len() as u64,
        proof.iter().map(hex::encode).collect(),
    ))
}

/// Checks an inclusion proof against a committed root.
pub fn verify_inclusion(code: &str, index: u64, size: u64, proof: &[String], root: &str) -> bool {
    let Ok(root) = hex::decode(root).map(|r| r.try_into()) else {
        return false;
    };
    let Ok(root): Result<Hash, _> = root else {
        return false;
    };
    let proof: Option<Vec<Hash>> = proof
        .iter()
        .map(|p| hex::decode(p).ok().and_then(|b| b.try_into().ok()))
        .collect();
    let Some(proof) = proof else { return false };
    merkle::verify_inclusion(&leaf(code), index, size, &proof, &root).is_ok()
}

#[cfg(test)]
mod tests;
