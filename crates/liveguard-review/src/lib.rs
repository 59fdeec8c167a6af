//! The pre-broadcast review workflow (开播前审核), as a pure state machine.
//!
//! # Overview
//! A submission (a script, product copy, or the text read from a promo image) moves
//! `Draft → 初审 → 复审 → [终审] → Approved`. Each [`Action`] is checked against the
//! current [`Review`] — who may act at this level, separation of duties, the level's
//! checklist, the decisions on machine findings — and either produces the next state and
//! the [`Event`]s to record in the audit log, or a [`ReviewError`] that names what is
//! missing. Nothing here stores, sends or logs: the server persists the state and the
//! events, which keeps every rule of the workflow testable on its own.
//!
//! # Rules
//! - 初审 is done by an operations reviewer, 复审 by an operations manager, 终审 by the
//!   compliance lead **and** legal — both must sign; the compliance lead may stand in at
//!   lower levels (never at a level they already signed).
//! - Nobody reviews their own submission, and nobody signs two levels of the same version.
//! - Every level answers its whole checklist pass/fail; a fail needs a comment, and a level
//!   with a failed item cannot approve (it rejects instead).
//! - Every machine finding at `review` or `block` must be confirmed or dismissed with a
//!   reason code before 初审 approves; a confirmed finding blocks approval (the author must
//!   change the text); dismissals stay visible to later levels, which may overturn them.
//! - 终审 is required when [`RoutingPolicy`] says so: by default a dismissed `block` finding,
//!   a regulated product category, a lottery in the session plan, or a reviewer's flag.
//! - Any level can reject back to the author with required changes. Editing the text makes a
//!   new version and restarts the round; an approved version is frozen under its content hash,
//!   and an edit after approval voids the approval.
#![deny(missing_docs)]

pub mod versions;

use std::collections::BTreeMap;

use liveguard_core::{ProductCategory, Role, Severity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A review level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 初审 (operations reviewer).
    First,
    /// 复审 (operations manager).
    Second,
    /// 终审 (compliance lead and legal).
    Final,
}

impl Level {
    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Level::First => "初审",
            Level::Second => "复审",
            Level::Final => "终审",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Level::First => "first review",
            Level::Second => "second review",
            Level::Final => "final review",
        }
    }
}

/// Why a reviewer dismissed a machine finding: the exceptions of the 2023 absolute-terms
/// guideline (items 5–6), plus a plain false positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DismissReason {
    /// Comparison within the same brand or company.
    SelfComparison,
    /// Method, time or storage of use (最佳食用期).
    UsageTip,
    /// A grade from a national, industry or local standard (cite it).
    StandardGrade,
    /// Product name, model, registered trademark or patent (cite the registration).
    NameOrMark,
    /// An award or title granted under state rules (cite the document).
    OfficialAward,
    /// A time- or region-limited fact with its source, scope and period.
    LimitedFact,
    /// Not about the goods (service attitude, philosophy, goals).
    NotAboutGoods,
    /// The engine misread the text (the comment says how).
    FalsePositive,
}

/// A reviewer's decision on one machine finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum FindingDecision {
    /// The finding is right; the text must change.
    Confirm,
    /// The finding does not apply, for this reason.
    Dismiss {
        /// The reason code.
        reason: DismissReason,
        /// Evidence or explanation (required).
        comment: String,
    },
}

/// A machine finding as the workflow sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    /// Stable id within the version (for example `rule@byte_start`).
    pub id: String,
    /// Severity the engine gave.
    pub severity: Severity,
}

/// One checklist item (审核要点).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Stable key.
    pub key: String,
    /// The question, in Chinese.
    pub text: String,
}

/// The answer to one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistAnswer {
    /// Passed?
    pub pass: bool,
    /// Required when `pass` is false.
    pub comment: Option<String>,
}

/// The default checklists, from the company's plan: product information true and matching
/// the real product, legal compliance, lawful advertising, right content orientation.
pub fn default_checklist(level: Level) -> Vec<ChecklistItem> {
    let item = |key: &str, text: &str| ChecklistItem {
        key: key.to_string(),
        text: text.to_string(),
    };
    let mut items = vec![
        item(
            "product_facts",
            "商品信息真实准确，与实物一致（规格、成分、产地、价格）",
        ),
        item("legal_compliance", "内容合法合规，无违禁商品与违禁内容"),
        item(
            "advertising",
            "广告用语合法，无绝对化用语、虚假或引人误解的宣传",
        ),
        item("orientation", "内容导向正确，无低俗、诱导未成年人等内容"),
    ];
    match level {
        Level::First => items.push(item(
            "findings_reviewed",
            "已逐条核对机器命中并给出确认或排除理由",
        )),
        Level::Second => items.push(item(
            "price_promotion",
            "价格、优惠与赠品表述与后台配置一致，比较价有依据",
        )),
        Level::Final => items.push(item(
            "major_risk",
            "涉及重大利益或敏感事项已评估，特殊品类资质齐全",
        )),
    }
    items
}

/// When 终审 is required. Every field is explicit; [`RoutingPolicy::default_policy`] holds the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingPolicy {
    /// Require 终审 when a `block` finding was dismissed at an earlier level.
    pub on_dismissed_block: bool,
    /// Product categories that always need 终审.
    pub regulated_categories: Vec<ProductCategory>,
    /// Require 终审 when the session plan has a lottery.
    pub on_lottery: bool,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy::default_policy()
    }
}

impl RoutingPolicy {
    /// The defaults of the issue: dismissed block, regulated categories, lottery, flag.
    pub fn default_policy() -> Self {
        RoutingPolicy {
            on_dismissed_block: true,
            regulated_categories: vec![
                ProductCategory::HealthFood,
                ProductCategory::SpecialCosmetics,
                ProductCategory::Drug,
                ProductCategory::MedicalDevice,
                ProductCategory::Finance,
                ProductCategory::Education,
            ],
            on_lottery: true,
        }
    }
}

/// Where a submission is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Stage {
    /// Being written or changed by the author.
    Draft,
    /// Waiting for a level.
    Pending {
        /// The level.
        level: Level,
    },
    /// Approved and frozen.
    Approved {
        /// Hex SHA-256 of the approved text.
        content_hash: String,
    },
    /// Sent back to the author.
    Rejected {
        /// By which level.
        level: Level,
        /// What must change.
        required_changes: String,
    },
}

/// Why a submission needs 终审 (the routing rules of [`RoutingPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalCause {
    /// A reviewer asked for it.
    Flagged,
    /// A `block` finding was dismissed.
    DismissedBlock,
    /// A product in a regulated category.
    RegulatedCategory(ProductCategory),
    /// The session plan has a lottery.
    Lottery,
}

/// A signature at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Level.
    pub level: Level,
    /// Who (user name).
    pub reviewer: String,
    /// In which role.
    pub role: Role,
    /// Checklist answers.
    pub checklist: BTreeMap<String, ChecklistAnswer>,
}

/// The workflow state of one submission's current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Author (user name).
    pub author: String,
    /// Version number, from 1.
    pub version: u32,
    /// Hex SHA-256 of this version's text.
    pub content_hash: String,
    /// Stage.
    pub stage: Stage,
    /// Product categories in the submission's scope.
    pub categories: Vec<ProductCategory>,
    /// Whether the session plan has a lottery.
    pub has_lottery: bool,
    /// Machine findings of this version.
    pub findings: Vec<FindingRef>,
    /// Decisions on findings, by finding id, with the level that made them.
    pub decisions: BTreeMap<String, (Level, FindingDecision)>,
    /// Signatures collected in this round.
    pub signatures: Vec<Signature>,
    /// A reviewer asked for 终审.
    pub final_flag: bool,
}

/// Something a person does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The author submits the current version for review.
    Submit,
    /// A reviewer decides on findings (may be repeated before approving).
    Decide(BTreeMap<String, FindingDecision>),
    /// A reviewer approves the current level.
    Approve {
        /// Checklist answers by item key.
        checklist: BTreeMap<String, ChecklistAnswer>,
        /// Ask for 终审 regardless of the routing rules.
        flag_final: bool,
    },
    /// A reviewer rejects back to the author.
    Reject {
        /// What must change (required).
        required_changes: String,
    },
    /// The author saves a new text (a new version).
    Edit {
        /// Hex SHA-256 of the new text.
        content_hash: String,
        /// Findings of the new text.
        findings: Vec<FindingRef>,
    },
}

impl Action {
    /// The action with every free-text field (dismissal comments, checklist comments,
    /// required changes) passed through `f` — the server masks personal data with it
    /// before anything is stored.
    pub fn map_free_text(self, f: impl Fn(&str) -> String) -> Action {
        match self {
            Action::Decide(decisions) => Action::Decide(
                decisions
                    .into_iter()
                    .map(|(k, d)| {
                        let d = match d {
                            FindingDecision::Dismiss { reason, comment } => {
                                FindingDecision::Dismiss {
                                    reason,
                                    comment: f(&comment),
                                }
                            }
                            other => other,
                        };
                        (k, d)
                    })
                    .collect(),
            ),
            Action::Approve {
                checklist,
                flag_final,
            } => Action::Approve {
                checklist: checklist
                    .into_iter()
                    .map(|(k, a)| {
                        let comment = a.comment.as_deref().map(&f);
                        (k, ChecklistAnswer { comment, ..a })
                    })
                    .collect(),
                flag_final,
            },
            Action::Reject { required_changes } => Action::Reject {
                required_changes: f(&required_changes),
            },
            other => other,
        }
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User name.
    pub username: String,
    /// Role.
    pub role: Role,
}

/// What to record after a transition (each becomes an audit entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Submitted for review.
    Submitted {
        /// Version.
        version: u32,
    },
    /// A finding was confirmed or dismissed.
    FindingDecided {
        /// Finding id.
        finding: String,
        /// Level.
        level: Level,
        /// The decision.
        decision: FindingDecision,
    },
    /// A checklist item was answered.
    ChecklistAnswered {
        /// Level.
        level: Level,
        /// Item key.
        key: String,
        /// Passed?
        pass: bool,
    },
    /// A level signed.
    Signed {
        /// Level.
        level: Level,
    },
    /// The submission moved to a level.
    Routed {
        /// Level.
        level: Level,
        /// Why (for 终审).
        reason: Option<String>,
    },
    /// Approved and frozen.
    Approved {
        /// Content hash.
        content_hash: String,
    },
    /// Sent back.
    Rejected {
        /// Level.
        level: Level,
    },
    /// A new version was saved.
    NewVersion {
        /// Version.
        version: u32,
        /// Whether an approval was voided.
        voided_approval: bool,
    },
}

/// Why an action was refused. Messages name what is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The action does not fit the current stage.
    #[error("cannot {action} while the submission is {stage}")]
    WrongStage {
        /// The action.
        action: &'static str,
        /// The stage.
        stage: String,
    },
    /// The actor's role may not act at this level.
    #[error("role {role} may not review at {level}")]
    WrongRole {
        /// Role.
        role: Role,
        /// Level label.
        level: &'static str,
    },
    /// Only the author may do this.
    #[error("only the author may {0}")]
    NotAuthor(&'static str),
    /// Separation of duties.
    #[error("{0}")]
    SeparationOfDuties(String),
    /// The checklist is incomplete or a fail lacks a comment.
    #[error("checklist: {0}")]
    Checklist(String),
    /// Findings are undecided, confirmed, or a dismissal lacks its comment.
    #[error("findings: {0}")]
    Findings(String),
    /// A required text is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// Hex SHA-256 of a text: what an approval freezes.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn stage_name(stage: &Stage) -> String {
    match stage {
        Stage::Draft => "draft".into(),
        Stage::Pending { level } => format!("pending {}", level.label_zh()),
        Stage::Approved { .. } => "approved".into(),
        Stage::Rejected { level, .. } => format!("rejected at {}", level.label_zh()),
    }
}

/// Whether `role` may sign `level`.
pub fn may_review(role: Role, level: Level) -> bool {
    match level {
        Level::First => matches!(
            role,
            Role::OpsReviewer | Role::OpsManager | Role::ComplianceLead
        ),
        Level::Second => matches!(role, Role::OpsManager | Role::ComplianceLead),
        Level::Final => matches!(role, Role::ComplianceLead | Role::Legal),
    }
}

impl Review {
    /// A new draft (version 1).
    pub fn new(
        author: &str,
        text_hash: String,
        findings: Vec<FindingRef>,
        categories: Vec<ProductCategory>,
        has_lottery: bool,
    ) -> Review {
        Review {
            author: author.to_string(),
            version: 1,
            content_hash: text_hash,
            stage: Stage::Draft,
            categories,
            has_lottery,
            findings,
            decisions: BTreeMap::new(),
            signatures: Vec::new(),
            final_flag: false,
        }
    }

    /// Why 终审 is needed under `policy`, if it is, in English words (the API's
    /// `final_review_reason`); [`Review::final_review_cause`] gives the cause itself.
    pub fn final_review_reason(&self, policy: &RoutingPolicy) -> Option<String> {
        self.final_review_cause(policy).map(|c| match c {
            FinalCause::Flagged => "a reviewer asked for 终审".to_string(),
            FinalCause::DismissedBlock => "a block finding was dismissed".to_string(),
            FinalCause::RegulatedCategory(c) => format!("regulated product category {c}"),
            FinalCause::Lottery => "the session plan has a lottery".to_string(),
        })
    }

    /// Why 终审 is needed under `policy`, if it is (the first cause that applies).
    pub fn final_review_cause(&self, policy: &RoutingPolicy) -> Option<FinalCause> {
        if self.final_flag {
            return Some(FinalCause::Flagged);
        }
        if policy.on_dismissed_block {
            let dismissed_block = self.findings.iter().any(|f| {
                f.severity == Severity::Block
                    && matches!(
                        self.decisions.get(&f.id),
                        Some((_, FindingDecision::Dismiss { .. }))
                    )
            });
            if dismissed_block {
                return Some(FinalCause::DismissedBlock);
            }
        }
        if let Some(c) = self
            .categories
            .iter()
            .find(|c| policy.regulated_categories.contains(c))
        {
            return Some(FinalCause::RegulatedCategory(*c));
        }
        if policy.on_lottery && self.has_lottery {
            return Some(FinalCause::Lottery);
        }
        None
    }

    /// Applies `action` by `actor` under `policy` and `checklists` (by level); returns the events.
    /// On error the review is unchanged.
    pub fn apply(
        &mut self,
        actor: &Actor,
        action: Action,
        policy: &RoutingPolicy,
        checklists: &dyn Fn(Level) -> Vec<ChecklistItem>,
    ) -> Result<Vec<Event>, ReviewError> {
        let mut next = self.clone();
        let events = next.step(actor, action, policy, checklists)?;
        *self = next;
        Ok(events)
    }

    fn step(
        &mut self,
        actor: &Actor,
        action: Action,
        policy: &RoutingPolicy,
        checklists: &dyn Fn(Level) -> Vec<ChecklistItem>,
    ) -> Result<Vec<Event>, ReviewError> {
        match action {
            Action::Submit => {
                if actor.username != self.author {
                    return Err(ReviewError::NotAuthor("submit"));
                }
                if !matches!(self.stage, Stage::Draft | Stage::Rejected { .. }) {
                    return Err(self.wrong("submit"));
                }
                self.stage = Stage::Pending {
                    level: Level::First,
                };
                Ok(vec![
                    Event::Submitted {
                        version: self.version,
                    },
                    Event::Routed {
                        level: Level::First,
                        reason: None,
                    },
                ])
            }
            Action::Edit {
                content_hash,
                findings,
            } => {
                if actor.username != self.author {
                    return Err(ReviewError::NotAuthor("edit"));
                }
                if content_hash == self.content_hash {
                    return Ok(Vec::new()); // nothing changed
                }
                let voided = matches!(self.stage, Stage::Approved { .. });
                self.version += 1;
                self.content_hash = content_hash;
                self.findings = findings;
                // Decisions carry over only for findings that are still there (same id).
                self.decisions
                    .retain(|id, _| self.findings.iter().any(|f| &f.id == id));
                self.signatures.clear();
                self.final_flag = false;
                self.stage = Stage::Draft;
                Ok(vec![Event::NewVersion {
                    version: self.version,
                    voided_approval: voided,
                }])
            }
            Action::Decide(decisions) => {
                let level = self.pending_level("decide on findings")?;
                self.check_reviewer(actor, level)?;
                let mut events = Vec::new();
                for (id, decision) in decisions {
                    if !self.findings.iter().any(|f| f.id == id) {
                        return Err(ReviewError::Findings(format!(
                            "no finding `{id}` in version {}",
                            self.version
                        )));
                    }
                    if let FindingDecision::Dismiss { comment, .. } = &decision
                        && comment.trim().is_empty()
                    {
                        return Err(ReviewError::Findings(format!(
                            "dismissing `{id}` needs a comment with the evidence"
                        )));
                    }
                    events.push(Event::FindingDecided {
                        finding: id.clone(),
                        level,
                        decision: decision.clone(),
                    });
                    self.decisions.insert(id, (level, decision));
                }
                Ok(events)
            }
            Action::Reject { required_changes } => {
                let level = self.pending_level("reject")?;
                self.check_reviewer(actor, level)?;
                if required_changes.trim().is_empty() {
                    return Err(ReviewError::Empty("required changes"));
                }
                self.stage = Stage::Rejected {
                    level,
                    required_changes,
                };
                self.signatures.clear();
                Ok(vec![Event::Rejected { level }])
            }
            Action::Approve {
                checklist,
                flag_final,
            } => {
                let level = self.pending_level("approve")?;
                self.check_reviewer(actor, level)?;
                let mut events = self.check_checklist(level, &checklist, checklists)?;
                self.check_findings(level)?;
                self.final_flag |= flag_final;
                self.signatures.push(Signature {
                    level,
                    reviewer: actor.username.clone(),
                    role: actor.role,
                    checklist,
                });
                events.push(Event::Signed { level });
                events.extend(self.advance(level, policy));
                Ok(events)
            }
        }
    }

    fn wrong(&self, action: &'static str) -> ReviewError {
        ReviewError::WrongStage {
            action,
            stage: stage_name(&self.stage),
        }
    }

    fn pending_level(&self, action: &'static str) -> Result<Level, ReviewError> {
        match self.stage {
            Stage::Pending { level } => Ok(level),
            _ => Err(self.wrong(action)),
        }
    }

    fn check_reviewer(&self, actor: &Actor, level: Level) -> Result<(), ReviewError> {
        if !may_review(actor.role, level) {
            return Err(ReviewError::WrongRole {
                role: actor.role,
                level: level.label_zh(),
            });
        }
        if actor.username == self.author {
            return Err(ReviewError::SeparationOfDuties(
                "nobody reviews their own submission".into(),
            ));
        }
        if let Some(s) = self
            .signatures
            .iter()
            .find(|s| s.reviewer == actor.username)
        {
            return Err(ReviewError::SeparationOfDuties(format!(
                "{} already signed {} of this version; another person must sign {}",
                actor.username,
                s.level.label_zh(),
                level.label_zh()
            )));
        }
        if level == Level::Final
            && self
                .signatures
                .iter()
                .any(|s| s.level == Level::Final && s.role == actor.role)
        {
            return Err(ReviewError::SeparationOfDuties(format!(
                "终审 already has the {} signature; it needs the other role",
                actor.role
            )));
        }
        Ok(())
    }

    fn check_checklist(
        &self,
        level: Level,
        answers: &BTreeMap<String, ChecklistAnswer>,
        checklists: &dyn Fn(Level) -> Vec<ChecklistItem>,
    ) -> Result<Vec<Event>, ReviewError> {
        let items = checklists(level);
        let mut events = Vec::new();
        for item in &items {
            let Some(a) = answers.get(&item.key) else {
                return Err(ReviewError::Checklist(format!(
                    "item `{}` ({}) is not answered",
                    item.key, item.text
                )));
            };
            if !a.pass && a.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err(ReviewError::Checklist(format!(
                    "item `{}` failed without a comment",
                    item.key
                )));
            }
            events.push(Event::ChecklistAnswered {
                level,
                key: item.key.clone(),
                pass: a.pass,
            });
        }
        if let Some(extra) = answers.keys().find(|k| !items.iter().any(|i| &i.key == *k)) {
            return Err(ReviewError::Checklist(format!(
                "`{extra}` is not an item of the {} checklist",
                level.label_zh()
            )));
        }
        if let Some(failed) = items.iter().find(|i| !answers[&i.key].pass) {
            return Err(ReviewError::Checklist(format!(
                "item `{}` failed: reject with the required changes instead of approving",
                failed.key
            )));
        }
        Ok(events)
    }

    fn check_findings(&self, level: Level) -> Result<(), ReviewError> {
        for f in self
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Review)
        {
            match self.decisions.get(&f.id) {
                None if level == Level::First => {
                    return Err(ReviewError::Findings(format!(
                        "finding `{}` has no decision",
                        f.id
                    )));
                }
                Some((_, FindingDecision::Confirm)) => {
                    return Err(ReviewError::Findings(format!(
                        "finding `{}` is confirmed: reject so the author changes the text",
                        f.id
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn advance(&mut self, signed: Level, policy: &RoutingPolicy) -> Vec<Event> {
        match signed {
            Level::First => {
                self.stage = Stage::Pending {
                    level: Level::Second,
                };
                vec![Event::Routed {
                    level: Level::Second,
                    reason: None,
                }]
            }
            Level::Second => match self.final_review_reason(policy) {
                Some(reason) => {
                    self.stage = Stage::Pending {
                        level: Level::Final,
                    };
                    vec![Event::Routed {
                        level: Level::Final,
                        reason: Some(reason),
                    }]
                }
                None => self.approve(),
            },
            Level::Final => {
                let roles: Vec<Role> = self
                    .signatures
                    .iter()
                    .filter(|s| s.level == Level::Final)
                    .map(|s| s.role)
                    .collect();
                if roles.contains(&Role::ComplianceLead) && roles.contains(&Role::Legal) {
                    self.approve()
                } else {
                    Vec::new() // waiting for the other signature
                }
            }
        }
    }

    fn approve(&mut self) -> Vec<Event> {
        self.stage = Stage::Approved {
            content_hash: self.content_hash.clone(),
        };
        vec![Event::Approved {
            content_hash: self.content_hash.clone(),
        }]
    }
}

#[cfg(test)]
mod tests;
