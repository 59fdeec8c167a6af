//! The lottery operations that the JSON API and the pages both call: define, commit, change
//! the rules, close entry, draw, move prize claims, look up entrant codes. Each takes typed
//! input and the caller, checks the caller's permission (pages are not behind the API's
//! route guard) and writes its state change with its audit entry in one store call.

use liveguard_core::{ClaimState, LotteryState};
use liveguard_store::Stamp;
use std::collections::HashMap;

use liveguard_lottery::{Bundle, Entrants, LotteryRules, Randomness};
use liveguard_store::{ClaimStep, LotteryRow, LotteryStep};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;
use crate::personal::Recipient;

/// Most entrants one lottery takes from an uploaded list.
pub(crate) const ENTRANTS_MAX: usize = 1_000_000;

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

pub(crate) fn rules_of(row: &LotteryRow) -> Result<LotteryRules, ApiError> {
    serde_json::from_str(&row.rules).map_err(internal)
}

/// The quicknet round a lottery's draw time fixes.
pub(crate) fn drand_round(row: &LotteryRow) -> Option<u64> {
    serde_json::from_str::<LotteryRules>(&row.rules)
        .ok()
        .and_then(|r| liveguard_lottery::time_of(&r.draw_at))
        .map(liveguard_lottery::quicknet_round_at)
}

/// The parsed entrant list, bundle and Merkle tree of the lotteries being looked at (the
/// public pages, the operations page, claims), so that a burst of viewers after a large
/// draw does not read and parse tens of MB per request. Keyed by lottery, state and last
/// change; two lotteries at most.
#[derive(Debug, Default)]
pub struct DocCache {
    entries: std::sync::Mutex<std::collections::VecDeque<CachedDocs>>,
}

/// The documents of one lottery, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct CachedDocs {
    key: (i64, LotteryState, Stamp),
    entrants: Option<std::sync::Arc<Entrants>>,
    pub(crate) bundle: Option<std::sync::Arc<Bundle>>,
    /// The entrants' Merkle tree, built on the first inclusion check.
    tree: std::sync::Arc<std::sync::OnceLock<liveguard_audit::merkle::Tree>>,
    /// The winners' masked display names (by entrant code), once drawn.
    pub(crate) names: std::sync::Arc<WinnerNames>,
}

/// Winners' masked display names by entrant code.
pub(crate) type WinnerNames = HashMap<String, String>;

/// How many hex digits of an entrant code key its display name.
const NAME_KEY_HEX: usize = 16;

/// The masked display names of `b`'s winners (empty for a lottery closed before names
/// were kept).
pub(crate) async fn winner_names(
    state: &AppState,
    id: i64,
    b: &Bundle,
) -> Result<WinnerNames, ApiError> {
    let Some(json) = state.store.lottery_entrant_names(id).await? else {
        return Ok(WinnerNames::new());
    };
    let all: HashMap<String, String> = serde_json::from_str(&json).map_err(internal)?;
    Ok(b.winners
        .iter()
        .filter_map(|w| {
            all.get(w.code.get(..NAME_KEY_HEX)?)
                .map(|n| (w.code.clone(), n.clone()))
        })
        .collect())
}

impl CachedDocs {
    /// The committed entrants (from the bundle once drawn).
    pub(crate) fn entrants(&self) -> Option<&Entrants> {
        self.bundle
            .as_deref()
            .map(|b| &b.entrants)
            .or(self.entrants.as_deref())
    }

    /// An entrant's inclusion proof `(index, size, proof)`, from the kept tree.
    pub(crate) fn inclusion_proof(&self, code: &str) -> Option<(u64, u64, Vec<String>)> {
        let entrants = self.entrants()?;
        let tree = self
            .tree
            .get_or_init(|| liveguard_lottery::entrant_tree(entrants));
        liveguard_lottery::inclusion_proof_in(tree, entrants, code)
    }
}

/// The documents of the lottery `meta` describes (a summary row), from the cache or the
/// database.
pub(crate) async fn cached_docs(
    state: &AppState,
    meta: &LotteryRow,
) -> Result<CachedDocs, ApiError> {
    let key = (meta.id, meta.state, meta.updated_at);
    {
        let entries = state.docs.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = entries.iter().find(|d| d.key == key) {
            return Ok(hit.clone());
        }
    }
    let row = state.store.lottery(meta.id).await?;
    let bundle: Option<Bundle> = row
        .bundle
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(internal)?;
    let entrants: Option<Entrants> = match (&bundle, row.entrants.as_deref()) {
        (None, Some(e)) => Some(serde_json::from_str(e).map_err(internal)?),
        _ => None,
    };
    let names = match &bundle {
        Some(b) => winner_names(state, row.id, b).await?,
        None => WinnerNames::new(),
    };
    // Keyed by what was read, not what was asked: a step in between gives a new key.
    let docs = CachedDocs {
        key: (row.id, row.state, row.updated_at),
        entrants: entrants.map(std::sync::Arc::new),
        bundle: bundle.map(std::sync::Arc::new),
        tree: Default::default(),
        names: std::sync::Arc::new(names),
    };
    let mut entries = state.docs.entries.lock().unwrap_or_else(|p| p.into_inner());
    entries.retain(|d| d.key.0 != docs.key.0);
    entries.push_front(docs.clone());
    entries.truncate(2);
    Ok(docs)
}

/// One lottery of a session plan as the review shows it: its row, its rules and what the
/// rules check finds (with citations).
pub(crate) struct PlanLottery {
    pub(crate) row: LotteryRow,
    pub(crate) rules: LotteryRules,
    pub(crate) findings: Vec<liveguard_lottery::RuleFinding>,
}

impl PlanLottery {
    /// As the API sends it within a submission: state, digest, draw time and method, top
    /// prize, winners, entry method, redemption deadline and findings.
    pub(crate) fn to_json(&self) -> Value {
        let (row, rules) = (&self.row, &self.rules);
        json!({
            "id": row.id, "title": row.title, "state": row.state, "session_id": row.session_id,
            "rules_digest": row.rules_digest, "draw_at": rules.draw_at, "draw_method": rules.draw_method,
            "top_prize_fen": rules.top_prize_fen(), "winners": rules.winners(),
            "entry": rules.entry.method, "redemption_deadline": rules.redemption_deadline,
            "findings": self.findings,
        })
    }
}

/// The lotteries of a session plan, with their rules checked.
pub(crate) async fn plan_lotteries(
    state: &AppState,
    plan_id: i64,
) -> Result<Vec<PlanLottery>, ApiError> {
    let rows = state.store.lotteries_of_plan(plan_id).await?;
    rows.into_iter()
        .map(|row| {
            let rules = rules_of(&row)?;
            let findings = rules.check();
            Ok(PlanLottery {
                row,
                rules,
                findings,
            })
        })
        .collect()
}

/// `POST /api/v1/lotteries` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLotteryBody {
    /// The live session (optional).
    #[serde(default)]
    pub(crate) session_id: Option<i64>,
    /// The rules.
    pub(crate) rules: LotteryRules,
}

/// A drand lottery's round must still be in the future when its rules and its entrants are
/// committed — otherwise its value is public and whoever commits could choose the outcome.
/// Demo mode (`demo = true`) allows a recorded past round so the demo draws offline; the
/// returned note says so in the audit entry.
pub(crate) fn round_already_public(
    state: &AppState,
    rules: &LotteryRules,
    what: &str,
) -> Result<&'static str, ApiError> {
    if rules.draw_method != "drand-quicknet" {
        return Ok("");
    }
    let at = liveguard_lottery::time_of(&rules.draw_at).ok_or_else(|| {
        ApiError::invalid(
            "rules.draw_at",
            "时间格式不对，请用日期时间选择器填写",
            "must be an RFC 3339 time",
        )
    })?;
    if state.store.now().unix_seconds() < at {
        return Ok("");
    }
    if state.settings.demo {
        return Ok(" (demo: the draw round was already public)");
    }
    Err(ApiError::Conflict(format!(
        "the draw time {} has passed, so drand round {} is already public: a lottery's rules and entrants must be {what} before its random value exists",
        rules.draw_at,
        liveguard_lottery::quicknet_round_at(at)
    )))
}

pub(crate) fn check(rules: &LotteryRules) -> Result<(), ApiError> {
    let problems = rules.check();
    if let Some(first) = problems.first() {
        let all = problems
            .iter()
            .map(|p| {
                format!(
                    "{} ({}: {})",
                    p.message,
                    p.rule,
                    p.citations
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join("；")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::field(&format!("rules.{}", first.field), all));
    }
    if liveguard_lottery::time_of(&rules.draw_at).is_none() {
        return Err(ApiError::invalid(
            "rules.draw_at",
            "时间格式不对，请用日期时间选择器填写",
            "must be an RFC 3339 time",
        ));
    }
    Ok(())
}

/// `POST /api/v1/lotteries`
pub(crate) async fn create(
    state: &AppState,
    p: &Principal,
    body: NewLotteryBody,
) -> Result<LotteryRow, ApiError> {
    p.require(Permission::OperateLive)?;
    check(&body.rules)?;
    if let Some(s) = body.session_id {
        state
            .store
            .live_session(s)
            .await
            .map_err(|_| ApiError::field("session_id", format!("no live session {s}")))?;
    }
    let rules = serde_json::to_string(&body.rules).map_err(internal)?;
    let id = state
        .store
        .create_lottery(
            body.session_id,
            &body.rules.title,
            &rules,
            &body.rules.digest(),
            state.settings.lottery.retain_days,
            p.audit("lottery.create", "lottery:new"),
        )
        .await?;
    Ok(state.store.lottery(id).await?)
}

/// `POST /api/v1/lotteries/{id}/commit`: publishes the rules digest; entry may open.
pub(crate) async fn commit(
    state: &AppState,
    p: &Principal,
    id: i64,
) -> Result<LotteryRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery_meta(id).await?;
    let rules = rules_of(&row)?;
    check(&rules)?;
    let demo = round_already_public(state, &rules, "committed")?;
    let audit = p
        .audit("lottery.commit", "lottery")
        .digest_values(None, Some(row.rules_digest.clone()))
        .reason(format!("rules digest {}{demo}", row.rules_digest));
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: LotteryState::Draft,
                to: LotteryState::Committed,
                ..Default::default()
            },
            audit,
        )
        .await?;
    Ok(row)
}

/// `POST /api/v1/lotteries/{id}/rules` body: a change after commit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    pub(crate) rules: LotteryRules,
    /// Required once committed; optional for a draft.
    #[serde(default)]
    pub(crate) reason: String,
}

/// `POST /api/v1/lotteries/{id}/rules`: changes committed rules, only in the consumers'
/// favour, with a reason; the new digest is logged.
pub(crate) async fn change(
    state: &AppState,
    p: &Principal,
    id: i64,
    body: ChangeBody,
) -> Result<LotteryRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery_meta(id).await?;
    check(&body.rules)?;
    let reason = crate::personal::mask_free_text(body.reason.trim());
    let reason = reason.as_str();
    let (from, action) = match row.state {
        // A draft is not public yet: any valid rules.
        LotteryState::Draft => (LotteryState::Draft, "lottery.edit"),
        LotteryState::Committed => {
            if reason.is_empty() {
                return Err(ApiError::invalid("reason", "必填", "is required"));
            }
            let problems = rules_of(&row)?.change_after_start(&body.rules);
            if let Some(first) = problems.first() {
                return Err(ApiError::field(
                    &format!("rules.{}", first.field),
                    problems
                        .iter()
                        .map(|p| p.message.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                ));
            }
            (LotteryState::Committed, "lottery.change")
        }
        other => {
            return Err(ApiError::Conflict(format!(
                "lottery {id} is {other}: its rules can no longer change"
            )));
        }
    };
    let new_digest = body.rules.digest();
    let audit = p
        .audit(action, "lottery")
        .digest_values(Some(row.rules_digest.clone()), Some(new_digest.clone()))
        .reason(if reason.is_empty() {
            "draft edited".to_string()
        } else {
            reason.to_string()
        });
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from,
                to: from,
                rules: Some((
                    serde_json::to_string(&body.rules).map_err(internal)?,
                    new_digest,
                    body.rules.title.clone(),
                )),
                ..Default::default()
            },
            audit,
        )
        .await?;
    Ok(row)
}

/// `POST /api/v1/lotteries/{id}/entrants` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntrantsBody {
    /// Accounts of an uploaded list (platform ids); or
    #[serde(default)]
    pub(crate) accounts: Vec<String>,
    /// take the viewers whose comments in the lottery's session contain the keyword.
    #[serde(default)]
    pub(crate) from_session_comments: bool,
    /// Excluded accounts → reason (staff, streamers, agency and related accounts).
    #[serde(default)]
    pub(crate) exclusions: HashMap<String, String>,
}

/// `POST /api/v1/lotteries/{id}/entrants`: closes entry and commits the entrants.
pub(crate) async fn entrants(
    state: &AppState,
    p: &Principal,
    id: i64,
    body: EntrantsBody,
) -> Result<LotteryRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery_meta(id).await?;
    let rules = rules_of(&row)?;
    // Every entrant is known by its keyed digest (the viewer pseudonym), uploaded accounts
    // as well as commenters: codes published in the bundle cannot be recomputed from a
    // guessed account (a phone number) without the deployment's key (security review F7).
    let key = &state.pseudonym_key;
    let mut accounts: Vec<String> = body
        .accounts
        .iter()
        .map(|a| liveguard_live::pseudonym(key, a))
        .collect();
    // Each entrant's masked display name (a masked account, or a commenter's masked
    // nickname), kept beside the entrants for the winners' list; never in the bundle.
    let mut shown: HashMap<String, String> = accounts
        .iter()
        .zip(&body.accounts)
        .map(|(k, a)| (k.clone(), crate::personal::mask_name(a)))
        .collect();
    if body.accounts.len() > ENTRANTS_MAX
        || body.accounts.iter().any(|a| a.is_empty() || a.len() > 128)
    {
        return Err(ApiError::field(
            "accounts",
            format!("at most {ENTRANTS_MAX} accounts of 1 to 128 bytes"),
        ));
    }
    // Exclusions name platform accounts or viewer digests (as the console shows them); both
    // are matched. Their reasons are published with the bundle: no personal data in them.
    let mut exclusions: HashMap<String, String> = HashMap::new();
    for (account, reason) in body.exclusions {
        let reason = crate::personal::mask_free_text(&reason);
        exclusions.insert(liveguard_live::pseudonym(key, &account), reason.clone());
        exclusions.insert(account, reason);
    }
    let mut outside_window = 0u64;
    if exclusions.len() > 10_000 {
        return Err(ApiError::invalid(
            "exclusions",
            "排除名单最多 10000 个账号",
            "at most 10000 excluded accounts",
        ));
    }
    if body.from_session_comments {
        let session = row.session_id.ok_or_else(|| {
            ApiError::invalid(
                "from_session_comments",
                "这个抽奖没有关联直播场次，无法从评论中取报名名单",
                "the lottery has no live session",
            )
        })?;
        let keyword = rules.entry.keyword.clone().unwrap_or_default();
        // A comment counts only inside the committed entry window and after the rules were
        // published (commit), by the comment's own time.
        let opens = liveguard_lottery::time_of(&rules.entry_opens_at).ok_or_else(|| {
            ApiError::invalid(
                "rules.entry_opens_at",
                "时间格式不对，请用日期时间选择器填写",
                "must be an RFC 3339 time",
            )
        })?;
        let closes = liveguard_lottery::time_of(&rules.entry_closes_at).ok_or_else(|| {
            ApiError::invalid(
                "rules.entry_closes_at",
                "时间格式不对，请用日期时间选择器填写",
                "must be an RFC 3339 time",
            )
        })?;
        let committed = row.committed_at.map(Stamp::unix_seconds).unwrap_or(opens);
        let (from_ms, to_ms) = (opens.max(committed) * 1000, closes * 1000 + 999);
        let mut after = 0;
        loop {
            let page = state.store.live_events(session, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for e in page.iter().filter(|e| e.kind == "comment") {
                if !(from_ms..=to_ms).contains(&e.at_ms.ms()) {
                    outside_window += 1;
                    continue;
                }
                if let Ok(pe) = serde_json::from_str::<liveguard_live::Processed>(&e.body)
                    && pe
                        .text
                        .as_deref()
                        .is_some_and(|t| !keyword.is_empty() && t.contains(&keyword))
                    && let Some(v) = pe.viewer
                {
                    // Viewers are already keyed digests: the platform id never reaches here.
                    if let Some(nick) = pe.nickname.as_deref().filter(|n| !n.trim().is_empty()) {
                        shown.insert(v.clone(), crate::personal::mask_name(nick));
                    }
                    accounts.push(v);
                }
            }
            if accounts.len() > ENTRANTS_MAX {
                break;
            }
        }
    }
    if accounts.is_empty() {
        return Err(ApiError::invalid(
            "accounts",
            format!(
                "没有报名者：请上传账号名单，或从本场评论中取报名（有 {outside_window} 条评论在公示之后的报名时间之外，不计入）"
            ),
            format!(
                "no entrants: upload accounts or take them from the session's comments ({outside_window} comments fell outside the entry window after the commit)"
            ),
        ));
    }
    if accounts.len() > ENTRANTS_MAX || accounts.iter().any(|a| a.is_empty() || a.len() > 128) {
        return Err(ApiError::field(
            "accounts",
            format!("at most {ENTRANTS_MAX} accounts of 1 to 128 bytes"),
        ));
    }
    let demo = round_already_public(state, &rules, "committed")?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(internal)?;
    let committed =
        liveguard_lottery::commit_entrants(&salt, accounts.iter().map(String::as_str), &exclusions);
    let names: HashMap<String, String> = shown
        .into_iter()
        .filter_map(|(k, name)| {
            let code = liveguard_lottery::entrant_code(&salt, &k);
            committed
                .codes
                .binary_search(&code)
                .is_ok()
                .then(|| (code[..NAME_KEY_HEX].to_string(), name))
        })
        .collect();
    let audit = p
        .audit("lottery.entrants", "lottery")
        .digest_values(None, Some(committed.root.clone()))
        .reason(format!(
            "{} entrants, {} removed, {} comments outside the entry window, root {}{demo}",
            committed.codes.len(),
            committed.removals.len(),
            outside_window,
            committed.root
        ));
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: LotteryState::Committed,
                to: LotteryState::Closed,
                entrants: Some(serde_json::to_string(&committed).map_err(internal)?),
                entrant_names: Some(serde_json::to_string(&names).map_err(internal)?),
                ..Default::default()
            },
            audit,
        )
        .await?;
    Ok(row)
}

/// `POST /api/v1/lotteries/{id}/draw` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DrawBody {
    /// The drand round's signature (the round is fixed by the draw time) or the revealed
    /// seed with the independent contribution; absent = fetch the drand round from the
    /// configured relays.
    #[serde(default)]
    pub(crate) randomness: Option<Randomness>,
}

/// The draw round of a drand lottery, fetched from the relays (verified by the draw).
pub(crate) async fn fetch_round(
    state: &AppState,
    rules: &LotteryRules,
    at: i64,
) -> Result<(Randomness, String), ApiError> {
    if rules.draw_method != "drand-quicknet" {
        return Err(ApiError::invalid(
            "randomness",
            "承诺揭示开奖需要填写揭示的种子和第三方贡献值",
            "a commit-reveal draw needs the revealed seed and the contribution",
        ));
    }
    let round = liveguard_lottery::quicknet_round_at(at);
    match state
        .drand
        .round(liveguard_lottery::QUICKNET_CHAIN_HASH, round)
        .await
    {
        Ok(b) => Ok((
            Randomness::Drand {
                round: b.round,
                signature: b.signature,
            },
            b.relay,
        )),
        Err(e @ liveguard_drand::DrandError::NotYet(_)) => Err(ApiError::Conflict(e.to_string())),
        Err(e @ liveguard_drand::DrandError::NoRelays) => Err(ApiError::field(
            "randomness",
            format!("{e}; paste the round's signature instead"),
        )),
        Err(e) => Err(ApiError::Unavailable(format!(
            "{e}; retry, or paste the round's signature"
        ))),
    }
}

/// `POST /api/v1/lotteries/{id}/draw`
pub(crate) async fn draw(
    state: &AppState,
    p: &Principal,
    id: i64,
    body: DrawBody,
) -> Result<LotteryRow, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery(id).await?;
    let rules = rules_of(&row)?;
    let entrants: Entrants = serde_json::from_str(row.entrants.as_deref().ok_or_else(|| {
        ApiError::Conflict(format!("lottery {id} has no committed entrants yet"))
    })?)
    .map_err(internal)?;
    let at = liveguard_lottery::time_of(&rules.draw_at).ok_or_else(|| {
        ApiError::invalid(
            "rules.draw_at",
            "时间格式不对，请用日期时间选择器填写",
            "must be an RFC 3339 time",
        )
    })?;
    let (randomness, source) = match body.randomness {
        Some(r) => (r, "given".to_string()),
        None => fetch_round(state, &rules, at).await?,
    };
    let bundle = liveguard_lottery::draw(&rules, entrants, randomness, at)
        .map_err(|e| ApiError::field("randomness", format!("{e} (from {source})")))?;
    let audit = p
        .audit("lottery.draw", "lottery")
        .digest_values(None, Some(bundle.seed.clone()))
        .reason(
            json!({"seed": bundle.seed, "randomness_from": source, "winners": bundle.winners.iter().map(|w| &w.code).collect::<Vec<_>>()})
                .to_string(),
        );
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: LotteryState::Closed,
                to: LotteryState::Drawn,
                bundle: Some(serde_json::to_string(&bundle).map_err(internal)?),
                winners: bundle
                    .winners
                    .iter()
                    .map(|w| (w.prize.clone(), w.code.clone()))
                    .collect(),
                ..Default::default()
            },
            audit,
        )
        .await?;
    Ok(row)
}

/// The entrant codes an account may have in `entrants`: from an uploaded list (the account
/// itself) or from comments (its viewer pseudonym).
pub(crate) fn codes_of(
    state: &AppState,
    entrants: &Entrants,
    account: &str,
) -> Result<[String; 2], ApiError> {
    let salt = hex::decode(&entrants.salt).map_err(internal)?;
    Ok([
        liveguard_lottery::entrant_code(&salt, account),
        liveguard_lottery::entrant_code(
            &salt,
            &liveguard_live::pseudonym(&state.pseudonym_key, account),
        ),
    ])
}

pub(crate) fn check_account(account: &str) -> Result<&str, ApiError> {
    let a = account.trim();
    if a.is_empty() || a.len() > 128 {
        return Err(ApiError::invalid(
            "account",
            "请填写账号（1 至 128 字节）",
            "must be 1 to 128 bytes",
        ));
    }
    Ok(a)
}

/// Counts a public lookup by account against the client's allowance
/// (`lottery.lookups_per_minute`): a lookup tells whether an account entered.
pub(crate) fn lookup_allowed(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<(), ApiError> {
    let ip = crate::http::auth::client_ip(&parts.extensions);
    let now = state.store.now().unix_seconds();
    if state
        .lookup_throttle
        .attempt(ip, now, state.settings.lottery.lookups_per_minute)
    {
        Ok(())
    } else {
        Err(ApiError::RateLimited)
    }
}

/// What the committed entrants say of an account.
pub(crate) struct CodeLookup {
    /// Its entrant code, if it entered.
    pub(crate) code: Option<String>,
    /// In the draw.
    pub(crate) included: bool,
    /// Why it was removed, if it was.
    pub(crate) removed: Option<String>,
}

/// Finds an account's entrant code (uploaded-list or comment pseudonym) in `entrants`.
pub(crate) fn lookup_code(
    state: &AppState,
    entrants: &Entrants,
    account: &str,
) -> Result<CodeLookup, ApiError> {
    for code in codes_of(state, entrants, account)? {
        if entrants.codes.binary_search(&code).is_ok() {
            return Ok(CodeLookup {
                code: Some(code),
                included: true,
                removed: None,
            });
        }
        if let Some(r) = entrants.removals.iter().find(|r| r.code == code) {
            return Ok(CodeLookup {
                code: Some(code),
                included: false,
                removed: Some(r.reason.clone()),
            });
        }
    }
    Ok(CodeLookup {
        code: None,
        included: false,
        removed: None,
    })
}

/// Logs that someone was shown winners' delivery data in full (who, which lottery, how
/// many recipients — never the data itself). Nothing is logged for masked views.
pub(crate) async fn log_personal_view(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lottery_id: i64,
    claims: &[liveguard_store::ClaimRow],
) -> Result<(), ApiError> {
    let shown = claims
        .iter()
        .filter(|c| c.recipient_sealed.is_some())
        .count();
    if shown == 0 || !p.can(Permission::ViewPersonalData) {
        return Ok(());
    }
    state
        .store
        .append_audit(
            p.audit("lottery.personal_view", &format!("lottery:{lottery_id}"))
                .reason(format!("{shown} winners' delivery data shown in full")),
        )
        .await?;
    Ok(())
}

/// `POST /api/v1/lotteries/{id}/claims/{position}/{verb}` body.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimBody {
    /// claim: the account the winner entered with (checked against the winning code).
    #[serde(default)]
    pub(crate) account: Option<String>,
    /// claim: the delivery data.
    #[serde(default)]
    pub(crate) recipient: Option<Recipient>,
    /// ship: carrier.
    #[serde(default)]
    pub(crate) carrier: Option<String>,
    /// ship: tracking number.
    #[serde(default)]
    pub(crate) tracking: Option<String>,
    /// redeem / forfeit: note.
    #[serde(default)]
    pub(crate) note: Option<String>,
}

pub(crate) fn bounded(field: &str, v: Option<&str>, max: usize) -> Result<String, ApiError> {
    let v = v.map(str::trim).unwrap_or_default();
    if v.is_empty() || v.chars().count() > max {
        return Err(ApiError::field(
            field,
            format!("is required (at most {max} characters)"),
        ));
    }
    Ok(v.to_string())
}

/// Checks a winner's delivery data and seals it for the claim (the claim id is the
/// associated data).
pub(crate) fn sealed_recipient(
    state: &AppState,
    claim_id: i64,
    recipient: Option<Recipient>,
) -> Result<String, ApiError> {
    let recipient =
        recipient.ok_or_else(|| ApiError::invalid("recipient", "必填", "is required"))?;
    recipient
        .validate()
        .map_err(|(f, m)| ApiError::field(&format!("recipient.{f}"), m))?;
    let plain = serde_json::to_vec(&recipient).map_err(internal)?;
    state
        .sealer
        .seal(&format!("lottery_claim:{claim_id}"), &plain)
        .map_err(internal)
}

/// Moves one prize claim: `claim` (the winner's account must produce the winning code;
/// before the redemption deadline; the delivery data is sealed), `correct` (new delivery
/// data before shipping), `ship`, `redeem`, or
/// `forfeit` (after the deadline, per the committed rules on unclaimed prizes).
pub(crate) async fn claim_step(
    state: &AppState,
    p: &crate::http::auth::Principal,
    id: i64,
    position: i64,
    verb: &str,
    body: ClaimBody,
) -> Result<liveguard_store::ClaimRow, ApiError> {
    p.require(Permission::HandlePrizes)?;
    let row = state.store.lottery_meta(id).await?;
    let rules = rules_of(&row)?;
    let claim = state.store.lottery_claim(id, position).await?;
    let now = state.store.now().unix_seconds();
    let deadline = liveguard_lottery::time_of(&rules.redemption_deadline);
    let past_deadline = deadline.is_some_and(|d| now > d);
    let erase = Some(state.settings.lottery.erase_personal_after_days);
    let (step, audit) = match verb {
        "claim" => {
            if past_deadline {
                return Err(ApiError::Conflict(format!(
                    "the redemption deadline {} has passed; unclaimed: {}",
                    rules.redemption_deadline, rules.unclaimed
                )));
            }
            let account = check_account(body.account.as_deref().unwrap_or_default())?;
            let docs = cached_docs(state, &row).await?;
            let entrants = docs.entrants().ok_or(ApiError::NotFound)?;
            if !codes_of(state, entrants, account)?.contains(&claim.code) {
                return Err(ApiError::invalid(
                    "account",
                    "这个账号的参与者编码不是本奖项的中奖编码，请核对账号",
                    "this account's entrant code is not the winning code of this prize",
                ));
            }
            let sealed = sealed_recipient(state, claim.id, body.recipient)?;
            (
                ClaimStep {
                    from: &[ClaimState::Awaiting],
                    to: ClaimState::Claimed,
                    recipient_sealed: Some(sealed),
                    ..Default::default()
                },
                p.audit("lottery.claim", "lottery_claim").reason(format!(
                    "winner {} claimed {}",
                    &claim.code[..12],
                    claim.prize
                )),
            )
        }
        "correct" => {
            // A wrong address or phone is corrected before shipping; the old data is
            // replaced, not kept.
            let sealed = sealed_recipient(state, claim.id, body.recipient)?;
            (
                ClaimStep {
                    from: &[ClaimState::Claimed],
                    to: ClaimState::Claimed,
                    recipient_sealed: Some(sealed),
                    ..Default::default()
                },
                p.audit("lottery.claim.correct", "lottery_claim")
                    .reason("delivery data corrected before shipping".to_string()),
            )
        }
        "ship" => {
            let carrier = bounded("carrier", body.carrier.as_deref(), 50)?;
            let tracking = bounded("tracking", body.tracking.as_deref(), 64)?;
            (
                ClaimStep {
                    from: &[ClaimState::Claimed],
                    to: ClaimState::Shipped,
                    shipment: Some((carrier.clone(), tracking.clone())),
                    ..Default::default()
                },
                p.audit("lottery.ship", "lottery_claim")
                    .reason(format!("{carrier} {tracking}")),
            )
        }
        "redeem" => {
            let note = body
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty());
            if note.is_some_and(|n| n.chars().count() > 500) {
                return Err(ApiError::invalid(
                    "note",
                    "最多 500 个字",
                    "at most 500 characters",
                ));
            }
            let note = crate::personal::mask_free_text(note.unwrap_or("已签收 / received"));
            (
                ClaimStep {
                    from: &[ClaimState::Claimed, ClaimState::Shipped],
                    to: ClaimState::Redeemed,
                    note: Some(note.clone()),
                    erase_after_days: erase,
                    ..Default::default()
                },
                p.audit("lottery.redeem", "lottery_claim").reason(note),
            )
        }
        "forfeit" => {
            if !past_deadline {
                return Err(ApiError::Conflict(format!(
                    "a prize is forfeited only after the redemption deadline {}",
                    rules.redemption_deadline
                )));
            }
            let note = format!(
                "逾期未兑奖 / unclaimed by {}: {}",
                rules.redemption_deadline, rules.unclaimed
            );
            (
                ClaimStep {
                    from: &[ClaimState::Awaiting],
                    to: ClaimState::Forfeited,
                    note: Some(note.clone()),
                    erase_after_days: erase,
                    ..Default::default()
                },
                p.audit("lottery.forfeit", "lottery_claim").reason(note),
            )
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(state
        .store
        .lottery_claim_step(id, position, step, audit)
        .await?)
}

/// The JSON view of a lottery (public parts only: no accounts, only entrant codes and the
/// winners' masked names).
pub(crate) async fn lottery_json(state: &AppState, row: &LotteryRow) -> Result<Value, ApiError> {
    let entrants: Option<Entrants> = row
        .entrants
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    let bundle: Option<Bundle> = row
        .bundle
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok());
    let names = match &bundle {
        Some(b) => winner_names(state, row.id, b).await?,
        None => WinnerNames::new(),
    };
    Ok(lottery_json_with(
        &state.settings.lottery.public_url,
        row,
        entrants.as_ref(),
        bundle.as_ref(),
        &names,
    ))
}

/// [`lottery_json`] with the documents already parsed (`row` may be a summary row).
pub(crate) fn lottery_json_with(
    base: &str,
    row: &LotteryRow,
    entrants: Option<&Entrants>,
    bundle: Option<&Bundle>,
    names: &WinnerNames,
) -> Value {
    json!({
        "id": row.id, "session_id": row.session_id, "title": row.title, "state": row.state,
        "rules": serde_json::from_str::<Value>(&row.rules).unwrap_or(Value::Null),
        "rules_digest": row.rules_digest,
        "entrants": entrants.map(|e| json!({"count": e.codes.len(), "removed": e.removals.len(), "root": e.root, "salt": e.salt})),
        "drand_round": drand_round(row),
        "seed": bundle.map(|b| b.seed.clone()),
        "announcement": bundle.map(|b| announcement(base, row.id, b, names)),
        "winners": bundle.map(|b| b.winners.iter().map(|w| json!({"prize": w.prize, "code": w.code, "name": names.get(&w.code)})).collect::<Vec<_>>()),
        "created_at": row.created_at.rfc3339(), "updated_at": row.updated_at.rfc3339(),
        "retain_until": row.retain_until.map(Stamp::rfc3339),
    })
}

/// The text the streamer reads and posts after the draw, in Chinese and in English: prizes
/// with the winners' entrant codes (first 12 digits), how to claim, where to verify.
pub(crate) struct Announcement {
    pub(crate) zh: String,
    pub(crate) en: String,
}

/// The announcement as the API sends it (`{"zh": …, "en": …}`).
pub(crate) fn announcement(base: &str, id: i64, b: &Bundle, names: &WinnerNames) -> Value {
    let a = announcement_text(base, id, b, names);
    json!({"zh": a.zh, "en": a.en})
}

/// The announcement of the draw `b` of lottery `id`.
pub(crate) fn announcement_text(
    base: &str,
    id: i64,
    b: &Bundle,
    names: &WinnerNames,
) -> Announcement {
    let lines_zh: Vec<String> = b
        .winners
        .iter()
        .map(|w| match names.get(&w.code) {
            Some(n) => format!("「{}」：{n}（参与者编码 {}…）", w.prize, &w.code[..12]),
            None => format!("「{}」：参与者编码 {}…", w.prize, &w.code[..12]),
        })
        .collect();
    let lines_en: Vec<String> = b
        .winners
        .iter()
        .map(|w| match names.get(&w.code) {
            Some(n) => format!("{}: {n} (entrant code {}…)", w.prize, &w.code[..12]),
            None => format!("{}: entrant code {}…", w.prize, &w.code[..12]),
        })
        .collect();
    Announcement {
        zh: format!(
            "【{}】开奖结果公布（共 {} 人参与，随机数来自公开的 drand/承诺揭示，任何人可验证）：\n{}\n兑奖：{}（截止 {}）。逾期：{}\n验证：{base}/public/lotteries/{id}/verify",
            b.rules.title,
            b.entrants.codes.len(),
            lines_zh.join("\n"),
            b.rules.redemption,
            b.rules.redemption_deadline,
            b.rules.unclaimed
        ),
        en: format!(
            "{} — results ({} entrants; public randomness, verifiable by anyone):\n{}\nClaim: {} (by {}). Unclaimed: {}\nVerify: {base}/public/lotteries/{id}/verify",
            b.rules.title,
            b.entrants.codes.len(),
            lines_en.join("\n"),
            b.rules.redemption,
            b.rules.redemption_deadline,
            b.rules.unclaimed
        ),
    }
}

/// A claim's delivery data as the caller may see it.
pub(crate) enum RecipientView {
    /// In full (the caller may see personal data) or masked (the others).
    Shown(Recipient),
    /// Sealed under another key: it cannot be read here.
    Unreadable,
}

/// The recipient of claim `c` as `p` may see it: in full only to roles allowed to see
/// personal data, masked to the others; `None` once erased or before the claim.
pub(crate) fn claim_recipient(
    state: &AppState,
    p: &crate::http::auth::Principal,
    c: &liveguard_store::ClaimRow,
) -> Option<RecipientView> {
    let sealed = c.recipient_sealed.as_deref()?;
    Some(
        match state
            .sealer
            .open(&format!("lottery_claim:{}", c.id), sealed)
            .ok()
            .and_then(|b| serde_json::from_slice::<Recipient>(&b).ok())
        {
            Some(r) if p.can(Permission::ViewPersonalData) => RecipientView::Shown(r),
            Some(r) => RecipientView::Shown(r.masked()),
            None => RecipientView::Unreadable,
        },
    )
}

/// The JSON view of a prize claim (see [`claim_recipient`] for who sees what).
pub(crate) fn claim_json(
    state: &AppState,
    p: &crate::http::auth::Principal,
    c: &liveguard_store::ClaimRow,
) -> Value {
    let recipient = claim_recipient(state, p, c).map(|r| match r {
        RecipientView::Shown(r) => json!(r),
        RecipientView::Unreadable => {
            json!({"error": "sealed data does not open with this server's personal-data key"})
        }
    });
    json!({
        "position": c.position, "prize": c.prize, "code": c.code, "state": c.state,
        "recipient": recipient, "recipient_masked": !p.can(Permission::ViewPersonalData),
        "carrier": c.carrier, "tracking": c.tracking, "note": c.note,
        "claimed_at": c.claimed_at.map(Stamp::rfc3339), "shipped_at": c.shipped_at.map(Stamp::rfc3339), "closed_at": c.closed_at.map(Stamp::rfc3339),
        "personal_erase_at": c.personal_purge_at.map(Stamp::rfc3339), "personal_erased_at": c.personal_erased_at.map(Stamp::rfc3339),
        "updated_at": c.updated_at.rfc3339(),
    })
}
