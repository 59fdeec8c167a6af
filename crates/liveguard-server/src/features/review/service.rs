//! The review operations that the JSON API and the pages both call: read an upload, screen a
//! version with the word rules and the product checks of the plan's lineup, create a
//! submission, save a new version, apply a workflow action, show a submission, list the queue
//! and the caller's notifications. Each takes typed input and the caller, checks the caller's
//! permission (pages are not behind the API's route guard) and writes its state change with
//! its audit entries in one store call.

use liveguard_core::{Channel, ProductCategory};
use liveguard_review::versions::{Urgency, diff_lines, resolved_findings, urgency};
use liveguard_review::{Action, Actor, Event, FindingRef, Level, Review, Stage, content_hash};
use liveguard_screen::product::{Product, check_product};
use liveguard_screen::{Finding, ScanContext};
use liveguard_store::Stamp;
use liveguard_store::{AuditDraft, NewSubmission, SubmissionRow, VersionRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;
/// One submission in the review queue.
#[derive(Debug, Serialize)]
pub(crate) struct QueueItem {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) kind: String,
    pub(crate) stage: String,
    pub(crate) author: String,
    pub(crate) version: u32,
    pub(crate) session_start: String,
    /// When the pending level is due (RFC 3339), for pending submissions.
    pub(crate) due: Option<String>,
    pub(crate) urgency: Option<Urgency>,
    /// Pending at a level the caller may sign, and not the caller's own.
    pub(crate) awaiting_me: bool,
}

/// The review queue with due times and urgency, as the caller sees it.
pub(crate) async fn queue(state: &AppState, p: &Principal) -> Result<Vec<QueueItem>, ApiError> {
    p.require(Permission::ViewReviews)?;
    let now = state.store.clock().now().unix_timestamp();
    let mut items = Vec::new();
    for row in state.store.submissions().await? {
        let review = load_review(&row)?;
        let start = parse_time("session_start", &row.session_start)?.unix_timestamp();
        let (due, mine) = match review.stage {
            Stage::Pending { level } => (
                Some(state.settings.review.deadlines.due(level, start)),
                liveguard_review::may_review(p.user.role, level)
                    && review.author != p.user.username,
            ),
            _ => (None, false),
        };
        items.push(QueueItem {
            id: row.id,
            title: row.title,
            kind: row.kind,
            stage: row.stage,
            author: review.author,
            version: review.version,
            session_start: row.session_start,
            due: due
                .and_then(|d| OffsetDateTime::from_unix_timestamp(d).ok())
                .map(liveguard_store::format_rfc3339),
            urgency: due.map(|d| urgency(d, now)),
            awaiting_me: mine,
        });
    }
    Ok(items)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Content {
    pub(crate) text: Option<String>,
    pub(crate) file_base64: Option<String>,
    pub(crate) file_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmissionBody {
    pub(crate) title: String,
    pub(crate) kind: String,
    pub(crate) product_id: Option<i64>,
    #[serde(default)]
    pub(crate) plan_id: Option<i64>,
    /// Taken from the plan when a plan is given and this is empty.
    #[serde(default)]
    pub(crate) session_start: String,
    #[serde(default)]
    pub(crate) has_lottery: bool,
    #[serde(flatten)]
    pub(crate) content: Content,
}

pub(crate) fn channel_of(kind: &str) -> Result<Channel, ApiError> {
    match kind {
        "script" => Ok(Channel::Script),
        "product_copy" => Ok(Channel::ProductCopy),
        "image_text" => Ok(Channel::ImageText),
        other => Err(ApiError::field(
            "kind",
            format!("unknown kind `{other}` (expected script, product_copy, image_text)"),
        )),
    }
}

pub(crate) fn parse_time(field: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        ApiError::field(
            field,
            format!("`{value}` is not an RFC 3339 time such as 2026-12-01T20:00:00+08:00"),
        )
    })
}

/// The text of a submission: given directly, or read from an uploaded file.
pub(crate) async fn read_content(state: &AppState, c: Content) -> Result<String, ApiError> {
    let text = match (c.text, c.file_base64) {
        (Some(t), None) => t,
        (None, Some(b64)) => {
            let bytes = decode_base64(&b64).ok_or_else(|| {
                ApiError::invalid(
                    "file_base64",
                    "文件内容无法读取（编码不对），请重新选择文件",
                    "not valid base64",
                )
            })?;
            if bytes.len() > UPLOAD_BYTES_MAX {
                return Err(ApiError::invalid(
                    "file_base64",
                    format!(
                        "文件有 {} 字节，超过上限 {UPLOAD_BYTES_MAX} 字节",
                        bytes.len()
                    ),
                    format!(
                        "the file is {} bytes; at most {UPLOAD_BYTES_MAX}",
                        bytes.len()
                    ),
                ));
            }
            let name = c.file_name.unwrap_or_default().to_lowercase();
            let ext = name.rsplit('.').next().unwrap_or("");
            match ext {
                "txt" | "md" => {
                    let text = if liveguard_normalize::is_mostly_utf8(&bytes) {
                        String::from_utf8_lossy(&bytes).into_owned()
                    } else {
                        encoding_rs::GB18030.decode(&bytes).0.into_owned()
                    };
                    text.trim_start_matches('\u{feff}').to_string()
                }
                "docx" => crate::convert::docx::docx_text(&bytes)
                    .map_err(|e| ApiError::field("file_base64", e.to_string()))?,
                "png" | "jpg" | "jpeg" | "webp" | "bmp" | "gif" | "tif" | "tiff" => {
                    state
                        .images
                        .read(&bytes)
                        .await
                        .map_err(|e| match e {
                            crate::convert::ocr::OcrError::Busy(m) => ApiError::Busy(m),
                            e => ApiError::field("file_base64", e.to_string()),
                        })?
                        .text
                }
                _ => {
                    return Err(ApiError::invalid(
                        "file_name",
                        "只支持 .txt、.md、.docx 或图片文件（.png、.jpg、.webp、.bmp、.gif、.tiff）",
                        "expected a .txt, .md, .docx or image file (.png, .jpg, .webp, .bmp, .gif, .tiff)",
                    ));
                }
            }
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "text",
                "正文和文件只能二选一",
                "give either text or a file, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "text",
                "请填写正文或上传文件",
                "give the text or a file",
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(ApiError::invalid(
            "text",
            "提交的内容是空的",
            "the submission is empty",
        ));
    }
    if text.len() > SUBMISSION_TEXT_BYTES_MAX {
        return Err(ApiError::invalid(
            "text",
            format!("正文过长（最多 {SUBMISSION_TEXT_BYTES_MAX} 字节）"),
            format!("at most {SUBMISSION_TEXT_BYTES_MAX} bytes"),
        ));
    }
    Ok(normalize_newlines(&text))
}

/// The text with every line ending as `\n` (browsers send `\r\n`, files may have either), so
/// that versions compare line by line and spans mean the same in every version.
pub(crate) fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

pub(crate) fn decode_base64(input: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let clean: String = input.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&clean)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&clean))
        .ok()
}

/// Screens `text` as `kind` about `product` for a session at `session_start`: word rules and
/// product-aware checks together.
///
/// With several products (a session plan), the word rules run once per distinct category
/// and identical findings are kept once; every product gets its own product checks.
pub(crate) fn screen(
    state: &AppState,
    text: &str,
    kind: &str,
    products: &[Product],
    session_start: OffsetDateTime,
) -> Result<Vec<Finding>, ApiError> {
    let channel = channel_of(kind)?;
    let mut categories = categories_of(products);
    if categories.is_empty() {
        categories.push(ProductCategory::General);
    }
    let engine = state.screen.load();
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for category in categories {
        for f in engine
            .scan(text, ScanContext::new(channel, category))
            .findings
        {
            if seen.insert((f.rule.clone(), f.span.byte_start, f.span.byte_end)) {
                findings.push(f);
            }
        }
    }
    let day = (session_start.unix_timestamp().div_euclid(86_400)) as i32;
    for p in products {
        findings.extend(check_product(text, p, day));
    }
    Ok(findings)
}

/// A selling price said in the script (只要99, 到手价89 …) that is none of the plan's live
/// prices: the stream would say a price nobody approved (the live console checks the same
/// on air as `live/price-off-plan`).
pub(crate) fn plan_price_findings(
    text: &str,
    plan: Option<&crate::features::master::service::SessionPlan>,
) -> Vec<Finding> {
    let Some(plan) = plan else { return Vec::new() };
    let fen = |v: i64| format!("{}.{:02}", v / 100, v % 100);
    let prices: Vec<i64> = plan.lineup.iter().map(|l| l.price_fen).collect();
    let allowed = prices
        .iter()
        .map(|p| fen(*p))
        .collect::<Vec<_>>()
        .join("、");
    liveguard_live::selling_prices(text)
        .into_iter()
        .filter(|(_, said)| !prices.contains(said))
        .map(|(range, said)| Finding {
            rule: std::sync::Arc::from("product/price-off-plan"),
            category: liveguard_core::Category::PriceFraud,
            severity: liveguard_core::Severity::Review,
            citations: vec![
                liveguard_core::Citation {
                    law: "明码标价和禁止价格欺诈规定".into(),
                    article: "20".into(),
                    clause: None,
                    tag: liveguard_core::ConfidenceTag::P,
                },
                liveguard_core::Citation {
                    law: "直播电商监督管理办法".into(),
                    article: "30".into(),
                    clause: None,
                    tag: liveguard_core::ConfidenceTag::S,
                },
            ]
            .into(),
            span: liveguard_screen::Span::of(text, range.clone()),
            matched: text[range].to_string(),
            normalized: format!("said {} plan {allowed}", fen(said)),
            suggestion: std::sync::Arc::from(
                "话术中的售价与直播排期的直播价不一致：请按排期价格修改话术，或先更新排期。The price in the script is not a live price of the plan.",
            ),
            exception: None,
            masked: None,
            evasion: None,
            model: None,
        })
        .collect()
}

pub(crate) fn finding_refs(findings: &[Finding]) -> Vec<FindingRef> {
    findings
        .iter()
        .map(|f| FindingRef {
            id: finding_id(f),
            severity: f.severity,
        })
        .collect()
}

pub(crate) fn finding_id(f: &Finding) -> String {
    format!("{}@{}", f.rule, f.span.byte_start)
}

pub(crate) fn stage_code(stage: &Stage) -> &'static str {
    match stage {
        Stage::Draft => "draft",
        Stage::Pending {
            level: Level::First,
        } => "pending_first",
        Stage::Pending {
            level: Level::Second,
        } => "pending_second",
        Stage::Pending {
            level: Level::Final,
        } => "pending_final",
        Stage::Approved { .. } => "approved",
        Stage::Rejected { .. } => "rejected",
    }
}

/// The distinct categories of `products`, sorted.
pub(crate) fn categories_of(products: &[Product]) -> Vec<ProductCategory> {
    let mut categories: Vec<ProductCategory> = products.iter().filter_map(|p| p.category).collect();
    categories.sort();
    categories.dedup();
    categories
}

pub(crate) async fn product_of(
    state: &AppState,
    id: i64,
    field: &str,
) -> Result<Product, ApiError> {
    let row = state.store.product(id).await.map_err(|_| {
        ApiError::invalid(
            field,
            format!("没有编号为 {id} 的商品"),
            format!("no product {id}"),
        )
    })?;
    serde_json::from_str(&row.data).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The products a submission is about: its own product and its plan's lineup.
pub(crate) async fn products_of(
    state: &AppState,
    product_id: Option<i64>,
    plan: Option<&crate::features::master::service::SessionPlan>,
) -> Result<Vec<Product>, ApiError> {
    let mut ids: Vec<(i64, &str)> = product_id
        .map(|id| (id, "product_id"))
        .into_iter()
        .collect();
    for item in plan.map(|p| p.lineup.as_slice()).unwrap_or_default() {
        if !ids.iter().any(|(id, _)| *id == item.product_id) {
            ids.push((item.product_id, "plan_id"));
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for (id, field) in ids {
        out.push(product_of(state, id, field).await?);
    }
    Ok(out)
}

/// Saves version 1 of a new submission as a draft, screened; returns its id (API and UI).
pub(crate) async fn create(
    state: &AppState,
    p: &Principal,
    b: SubmissionBody,
) -> Result<i64, ApiError> {
    p.require(Permission::Submit)?;
    channel_of(&b.kind)?;
    let plan = match b.plan_id {
        Some(id) => Some(crate::features::master::service::plan(state, id).await?),
        None => None,
    };
    let mut session_text = b.session_start.trim().to_string();
    let mut has_lottery = b.has_lottery;
    if let Some(plan) = &plan {
        if session_text.is_empty() {
            session_text = plan.starts_at.clone();
        } else if parse_time("session_start", &session_text)?
            != parse_time("session_start", &plan.starts_at)?
        {
            return Err(ApiError::invalid(
                "session_start",
                format!(
                    "与直播排期的开播时间（{}）不一致；选了排期时开播时间以排期为准",
                    liveguard_store::Stamp::parse(&plan.starts_at)
                        .map(|t| crate::ui::when(crate::ui::Lang::Zh, t))
                        .unwrap_or_else(|_| plan.starts_at.clone())
                ),
                format!("differs from the plan's start {}", plan.starts_at),
            ));
        }
        has_lottery |= plan.has_lottery;
    }
    let session_start = parse_time("session_start", &session_text)?;
    let products = products_of(state, b.product_id, plan.as_ref()).await?;
    let text = read_content(state, b.content).await?;
    let mut findings = screen(state, &text, &b.kind, &products, session_start)?;
    findings.extend(plan_price_findings(&text, plan.as_ref()));
    let hash = content_hash(&text);
    let categories = categories_of(&products);
    let review = Review::new(
        &p.user.username,
        hash.clone(),
        finding_refs(&findings),
        categories,
        has_lottery,
    );
    let new = NewSubmission {
        title: b.title,
        kind: b.kind,
        author_id: p.user.id,
        product_id: b.product_id,
        plan_id: b.plan_id,
        session_start: session_text,
        has_lottery,
        stage: stage_code(&review.stage).into(),
        review: to_json(&review)?,
        first: VersionRow {
            version: 1,
            text,
            content_hash: hash,
            findings: to_json(&findings)?,
            created_at: Stamp::from_ms(0),
        },
    };
    Ok(state
        .store
        .create_submission(new, p.audit("submission.create", "submission:new"))
        .await?)
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|e| ApiError::Internal(e.to_string()))
}

pub(crate) fn load_review(row: &SubmissionRow) -> Result<Review, ApiError> {
    serde_json::from_str(&row.review)
        .map_err(|e| ApiError::Internal(format!("review state of submission {}: {e}", row.id)))
}

/// The changes from an earlier version.
pub(crate) struct VersionDiff {
    pub(crate) from_version: i64,
    pub(crate) lines: Vec<liveguard_review::versions::DiffLine>,
    /// Ids of the findings the change resolved.
    pub(crate) resolved_findings: Vec<String>,
}

/// The full view of a submission: its row and review state, the current version's text and
/// findings, the due time, the checklist of the pending level, why 终审 is needed, the plan's
/// lotteries and, when there is an earlier version, the diff from it. The API sends it as
/// [`SubmissionView::to_json`]; the detail page and the approval print read its fields.
pub(crate) struct SubmissionView {
    pub(crate) row: SubmissionRow,
    pub(crate) review: Review,
    /// The author's display name (the login name when the account is gone).
    pub(crate) author_name: String,
    pub(crate) text: String,
    pub(crate) findings: Vec<Finding>,
    pub(crate) due: Option<Stamp>,
    pub(crate) urgency: Option<Urgency>,
    /// The checklist of the level the submission waits for.
    pub(crate) checklist: Option<Vec<liveguard_review::ChecklistItem>>,
    /// Why 终审 is needed (in English words for the API, and the cause for the pages).
    pub(crate) final_review_reason: Option<String>,
    pub(crate) final_cause: Option<liveguard_review::FinalCause>,
    pub(crate) lotteries: Vec<crate::features::lottery::service::PlanLottery>,
    pub(crate) diff: Option<VersionDiff>,
}

impl SubmissionView {
    /// The level the submission waits for, if it waits.
    pub(crate) fn pending_level(&self) -> Option<Level> {
        match self.review.stage {
            Stage::Pending { level } => Some(level),
            _ => None,
        }
    }

    /// The view as the API sends it (`GET /api/v1/submissions/{id}`).
    pub(crate) fn to_json(&self) -> Value {
        let row = &self.row;
        let review = &self.review;
        let mut v = json!({
            "id": row.id, "title": row.title, "kind": row.kind, "product_id": row.product_id, "plan_id": row.plan_id, "session_start": row.session_start,
            "has_lottery": row.has_lottery, "stage": row.stage, "version": review.version, "content_hash": review.content_hash,
            "author": review.author, "text": self.text, "findings": self.findings, "review": review,
            "due": self.due.map(Stamp::rfc3339),
            "urgency": self.urgency,
            "checklist": self.checklist,
            "final_review_reason": self.final_review_reason,
            "lotteries": self.lotteries.iter().map(crate::features::lottery::service::PlanLottery::to_json).collect::<Vec<_>>(),
        });
        if let Some(d) = &self.diff {
            v["diff"] = json!({ "from_version": d.from_version, "lines": d.lines, "resolved_findings": d.resolved_findings });
        }
        v
    }
}

/// The full view of a submission; with `previous`, also the diff from that version.
pub(crate) async fn view(
    state: &AppState,
    id: i64,
    previous: Option<i64>,
) -> Result<SubmissionView, ApiError> {
    let row = state.store.submission(id).await?;
    let review = load_review(&row)?;
    let current = state
        .store
        .submission_version(id, review.version as i64)
        .await?;
    let findings: Vec<Finding> =
        serde_json::from_str(&current.findings).map_err(|e| ApiError::Internal(e.to_string()))?;
    let start = parse_time("session_start", &row.session_start)?.unix_timestamp();
    let pending = match review.stage {
        Stage::Pending { level } => Some(level),
        _ => None,
    };
    let now = state.store.clock().now().unix_timestamp();
    let due = pending.map(|l| state.settings.review.deadlines.due(l, start));
    let lotteries = match row.plan_id {
        Some(plan) => crate::features::lottery::service::plan_lotteries(state, plan).await?,
        None => Vec::new(),
    };
    let prev = previous.or_else(|| (review.version > 1).then(|| review.version as i64 - 1));
    let diff = match prev {
        Some(pv) => {
            let old = state.store.submission_version(id, pv).await?;
            let old_findings: Vec<Finding> = serde_json::from_str(&old.findings)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let with_text = |fs: &[Finding]| {
                fs.iter()
                    .map(|f| {
                        (
                            FindingRef {
                                id: finding_id(f),
                                severity: f.severity,
                            },
                            f.matched.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            let (old_refs, new_refs) = (with_text(&old_findings), with_text(&findings));
            let resolved_findings = resolved_findings(&old_refs, &new_refs)
                .into_iter()
                .map(|f| f.id.clone())
                .collect();
            Some(VersionDiff {
                from_version: pv,
                lines: diff_lines(
                    &normalize_newlines(&old.text),
                    &normalize_newlines(&current.text),
                ),
                resolved_findings,
            })
        }
        None => None,
    };
    let author_name = state
        .store
        .user_by_name(&review.author)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| review.author.clone());
    Ok(SubmissionView {
        author_name,
        final_review_reason: review.final_review_reason(&state.settings.review.routing),
        final_cause: review.final_review_cause(&state.settings.review.routing),
        checklist: pending.map(|l| state.settings.review.checklist.for_level(l)),
        due: due.map(|d| Stamp::from_ms(d.saturating_mul(1000))),
        urgency: due.map(|d| urgency(d, now)),
        text: current.text,
        findings,
        lotteries,
        diff,
        review,
        row,
    })
}

/// Applies one workflow action and stores the result with its audit entries.
pub(crate) async fn act(
    state: &AppState,
    p: &Principal,
    id: i64,
    action: Action,
    new_version: Option<VersionRow>,
) -> Result<SubmissionView, ApiError> {
    let action = action.map_free_text(crate::personal::mask_free_text);
    let row = state.store.submission(id).await?;
    let mut review = load_review(&row)?;
    let actor = Actor {
        username: p.user.username.clone(),
        role: p.user.role,
    };
    let events = review
        .apply(&actor, action, &state.settings.review.routing, &|l| {
            state.settings.review.checklist.for_level(l)
        })
        .map_err(ApiError::Review)?;
    let object = format!("submission:{id}@v{}", review.version);
    let audits: Vec<AuditDraft> = events
        .iter()
        .map(|e| {
            let json = serde_json::to_value(e).unwrap_or(Value::Null);
            let name = json["event"].as_str().unwrap_or("event").to_string();
            let mut d = p.audit(&format!("review.{name}"), &object);
            d.reason = Some(json.to_string().chars().take(1000).collect());
            if let Event::Approved { content_hash } = e {
                d.after = Some(content_hash.clone());
            }
            d
        })
        .collect();
    let version = if events.iter().any(|e| matches!(e, Event::NewVersion { .. })) {
        new_version
    } else {
        None
    };
    if !audits.is_empty() {
        state
            .store
            .update_submission(
                id,
                row.updated_at,
                stage_code(&review.stage),
                &to_json(&review)?,
                version,
                audits,
            )
            .await?;
    }
    view(state, id, None).await
}

/// The author saves a new version, screened again (API and UI).
pub(crate) async fn edit(
    state: &AppState,
    p: &Principal,
    id: i64,
    c: Content,
) -> Result<(), ApiError> {
    p.require(Permission::Submit)?;
    let row = state.store.submission(id).await?;
    let review = load_review(&row)?;
    let plan = match row.plan_id {
        Some(id) => Some(crate::features::master::service::plan(state, id).await?),
        None => None,
    };
    let products = products_of(state, row.product_id, plan.as_ref()).await?;
    let text = read_content(state, c).await?;
    let mut findings = screen(
        state,
        &text,
        &row.kind,
        &products,
        parse_time("session_start", &row.session_start)?,
    )?;
    findings.extend(plan_price_findings(&text, plan.as_ref()));
    let hash = content_hash(&text);
    let version = VersionRow {
        version: review.version as i64 + 1,
        text,
        content_hash: hash.clone(),
        findings: to_json(&findings)?,
        created_at: Stamp::from_ms(0),
    };
    act(
        state,
        p,
        id,
        Action::Edit {
            content_hash: hash,
            findings: finding_refs(&findings),
        },
        Some(version),
    )
    .await?;
    Ok(())
}

/// Most notifications returned.
pub(crate) const NOTIFICATIONS_MAX: usize = 50;

/// Something that happened that concerns one person: a review step, or a live alert
/// escalated to them.
pub(crate) struct Notification {
    /// The audit entry it comes from.
    pub(crate) seq: u64,
    /// When (RFC 3339, as the audit entry has it).
    pub(crate) time: String,
    /// The audit action.
    pub(crate) event: String,
    /// Who did it (login name).
    pub(crate) actor: String,
    pub(crate) about: NotificationAbout,
    pub(crate) text_zh: String,
    pub(crate) text_en: String,
}

/// What a notification is about.
pub(crate) enum NotificationAbout {
    /// A submission, at a version.
    Submission { id: i64, version: Value },
    /// A live alert of a session.
    Alert { id: i64, session_id: i64 },
    /// A consumer-desk case.
    Case { id: i64 },
    /// The consumer desk as a whole (a rise in complaints).
    Desk,
}

impl Notification {
    /// As the API sends it (`GET /api/v1/notifications`).
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({"seq": self.seq, "time": self.time, "event": self.event, "actor": self.actor,
            "text_zh": self.text_zh, "text_en": self.text_en});
        match &self.about {
            NotificationAbout::Submission { id, version } => {
                v["submission_id"] = json!(id);
                v["version"] = version.clone();
            }
            NotificationAbout::Alert { id, session_id } => {
                v["alert_id"] = json!(id);
                v["session_id"] = json!(session_id);
            }
            NotificationAbout::Case { id } => {
                v["case_id"] = json!(id);
            }
            NotificationAbout::Desk => {}
        }
        v
    }

    /// The page it links to.
    pub(crate) fn href(&self) -> String {
        match &self.about {
            NotificationAbout::Submission { id, .. } => format!("/reviews/{id}"),
            NotificationAbout::Alert { session_id, .. } => format!("/live/{session_id}#alerts"),
            NotificationAbout::Case { id } => format!("/desk/{id}"),
            NotificationAbout::Desk => "/desk".to_string(),
        }
    }
}

/// When this person signed in before the current sign-in (RFC 3339, as the audit log has
/// it): notifications after it are new to them. `None` on a first sign-in.
pub(crate) async fn previous_login(
    state: &AppState,
    p: &crate::http::auth::Principal,
) -> Result<Option<String>, ApiError> {
    let logins = state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: Some("session.login".into()),
            actor: Some(p.user.username.clone()),
            limit: 2,
            ..Default::default()
        })
        .await?;
    Ok(logins.get(1).map(|e| e.time.clone()))
}

/// The reason of a `review.overdue` audit entry: the level that is late and when it was
/// due.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverdueReason {
    /// The pending level.
    pub level: Level,
    /// When it was due (RFC 3339).
    pub due: String,
}

/// Writes one `review.overdue` entry (actor `system`) for each submission pending at a
/// level whose due time has passed and that has none yet for this version and level, so the
/// reviewers' notifications and the push targets carry it; returns how many were written.
pub async fn mark_overdue(state: &AppState) -> Result<usize, ApiError> {
    let now = state.store.clock().now().unix_timestamp();
    let mut written = 0;
    for row in state.store.submissions().await? {
        let review = load_review(&row)?;
        let Stage::Pending { level } = review.stage else {
            continue;
        };
        let start = parse_time("session_start", &row.session_start)?.unix_timestamp();
        let due = state.settings.review.deadlines.due(level, start);
        if now <= due {
            continue;
        }
        let object = format!("submission:{}@v{}", row.id, review.version);
        let earlier = state
            .store
            .audit_search(&liveguard_store::AuditFilter {
                action: Some("review.overdue".into()),
                object_prefix: Some(object.clone()),
                limit: 10,
                ..Default::default()
            })
            .await?;
        let said = earlier.iter().any(|e| {
            e.object == object
                && e.reason
                    .as_deref()
                    .and_then(|r| serde_json::from_str::<OverdueReason>(r).ok())
                    .is_some_and(|r| r.level == level)
        });
        if said {
            continue;
        }
        let due = liveguard_store::Stamp::from_time(
            OffsetDateTime::from_unix_timestamp(due)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        )
        .rfc3339();
        let reason = serde_json::to_string(&OverdueReason { level, due })
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        state
            .store
            .append_audit(
                liveguard_store::AuditDraft::new("system", "system", "review.overdue", &object)
                    .reason(reason),
            )
            .await?;
        written += 1;
    }
    Ok(written)
}

pub(crate) async fn notifications_for(
    state: &AppState,
    p: &crate::http::auth::Principal,
) -> Result<Vec<Notification>, ApiError> {
    let mut subs = std::collections::HashMap::new();
    for row in state.store.submissions().await? {
        let review = load_review(&row)?;
        subs.insert(row.id, (review.author, row.title));
    }
    let entries = state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: None,
            actor: None,
            object_prefix: Some("submission:".into()),
            before_seq: None,
            from: None,
            until: None,
            limit: liveguard_store::PAGE_LIMIT_MAX,
        })
        .await?;
    let me = p.user.username.as_str();
    let mut out = Vec::new();
    for entry in entries {
        let Some(event) = crate::jobs::webhook::payload(&entry) else {
            continue;
        };
        let id = event["submission_id"].as_i64().unwrap_or(-1);
        let Some((author, title)) = subs.get(&id) else {
            continue;
        };
        let level: Option<Level> = serde_json::from_value(event["detail"]["level"].clone()).ok();
        let mine = author == me && entry.actor != me;
        let relevant = match (entry.action.as_str(), level) {
            ("review.routed", Some(l)) => {
                mine || (author != me && liveguard_review::may_review(p.user.role, l))
            }
            ("review.approved" | "review.rejected" | "review.signed", _) => mine,
            ("review.overdue", Some(l)) => {
                author == me || liveguard_review::may_review(p.user.role, l)
            }
            _ => false,
        };
        if !relevant {
            continue;
        }
        let (zh, en) = match (entry.action.as_str(), level) {
            ("review.routed", Some(l)) => (
                format!("「{title}」进入{}", l.label_zh()),
                format!("\"{title}\" is waiting for {}", l.label_en()),
            ),
            ("review.signed", Some(l)) => (
                format!("「{title}」已通过{}", l.label_zh()),
                format!("\"{title}\" passed {}", l.label_en()),
            ),
            ("review.rejected", _) => (
                format!("「{title}」被退回修改"),
                format!("\"{title}\" was sent back for changes"),
            ),
            ("review.overdue", Some(l)) => (
                format!("「{title}」{}已逾期，请尽快处理", l.label_zh()),
                format!("\"{title}\" is overdue at {}", l.label_en()),
            ),
            _ => (
                format!("「{title}」已批准并冻结"),
                format!("\"{title}\" was approved and frozen"),
            ),
        };
        out.push(Notification {
            seq: entry.seq,
            time: entry.time,
            event: entry.action,
            actor: entry.actor,
            about: NotificationAbout::Submission {
                id,
                version: event["version"].clone(),
            },
            text_zh: zh,
            text_en: en,
        });
        if out.len() >= NOTIFICATIONS_MAX {
            break;
        }
    }
    // Live alerts escalated because the duty officer did not acknowledge them in time go to
    // whoever they are escalated to: the compliance lead (and administrators).
    if matches!(
        p.user.role,
        liveguard_core::Role::ComplianceLead | liveguard_core::Role::Admin
    ) {
        let escalations = state
            .store
            .audit_search(&liveguard_store::AuditFilter {
                action: Some("live.alert.escalate".into()),
                actor: None,
                object_prefix: Some("live_alert:".into()),
                before_seq: None,
                from: None,
                until: None,
                limit: NOTIFICATIONS_MAX as i64,
            })
            .await?;
        let mut titles = std::collections::HashMap::new();
        for entry in escalations {
            let Some(alert_id) = entry
                .object
                .strip_prefix("live_alert:")
                .and_then(|i| i.parse::<i64>().ok())
            else {
                continue;
            };
            let Ok(alert) = state.store.live_alert(alert_id).await else {
                continue;
            };
            let title = match titles.entry(alert.session_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(
                    state
                        .store
                        .live_session(alert.session_id)
                        .await
                        .map(|s| s.title)
                        .unwrap_or_default(),
                ),
            };
            out.push(Notification {
                seq: entry.seq,
                time: entry.time,
                event: entry.action,
                actor: entry.actor,
                about: NotificationAbout::Alert {
                    id: alert_id,
                    session_id: alert.session_id,
                },
                text_zh: format!("「{title}」阻断告警超时未确认，已升级给您：{}", alert.summary),
                text_en: format!("\"{title}\": a block alert was not acknowledged in time and is escalated to you: {}", alert.summary),
            });
        }
    }
    // Rising complaints about a product or a live session go to the compliance group.
    if matches!(
        p.user.role,
        liveguard_core::Role::ComplianceLead
            | liveguard_core::Role::Admin
            | liveguard_core::Role::Legal
    ) {
        let rises = state
            .store
            .audit_search(&liveguard_store::AuditFilter {
                action: Some("desk.rising".into()),
                actor: None,
                object_prefix: None,
                before_seq: None,
                from: None,
                until: None,
                limit: NOTIFICATIONS_MAX as i64,
            })
            .await?;
        for entry in rises {
            let detail = entry
                .reason
                .as_deref()
                .and_then(|r| serde_json::from_str::<Value>(r).ok())
                .unwrap_or(Value::Null);
            let (n, usual) = (
                detail["last_day"].as_i64().unwrap_or(0),
                detail["week_before"].as_i64().unwrap_or(0),
            );
            let (what_zh, what_en) = if let Some(id) = entry
                .object
                .strip_prefix("product:")
                .and_then(|i| i.parse::<i64>().ok())
            {
                let name = state
                    .store
                    .product(id)
                    .await
                    .map(|r| r.name)
                    .unwrap_or_else(|_| format!("#{id}"));
                (format!("商品「{name}」"), format!("product \"{name}\""))
            } else if let Some(id) = entry
                .object
                .strip_prefix("live_session:")
                .and_then(|i| i.parse::<i64>().ok())
            {
                let title = state
                    .store
                    .live_session(id)
                    .await
                    .map(|r| r.title)
                    .unwrap_or_else(|_| format!("#{id}"));
                (
                    format!("直播场次「{title}」"),
                    format!("live session \"{title}\""),
                )
            } else {
                continue;
            };
            out.push(Notification {
                seq: entry.seq,
                time: entry.time,
                event: entry.action,
                actor: entry.actor,
                about: NotificationAbout::Desk,
                text_zh: format!(
                    "{what_zh}近 24 小时收到投诉 {n} 件（此前 7 天共 {usual} 件），请合规组关注"
                ),
                text_en: format!(
                    "{what_en}: {n} complaints in 24 hours ({usual} in the 7 days before)"
                ),
            });
        }
    }
    // Desk clocks past their due time go to the compliance lead (the escalation) and to
    // whoever the case is assigned to.
    if p.can(crate::http::perms::Permission::ViewCases) {
        let lead = matches!(
            p.user.role,
            liveguard_core::Role::ComplianceLead | liveguard_core::Role::Admin
        );
        let breaches = state
            .store
            .audit_search(&liveguard_store::AuditFilter {
                action: Some("desk.clock.breach".into()),
                actor: None,
                object_prefix: Some("case:".into()),
                before_seq: None,
                from: None,
                until: None,
                limit: NOTIFICATIONS_MAX as i64,
            })
            .await?;
        for entry in breaches {
            let Some(case_id) = entry
                .object
                .strip_prefix("case:")
                .and_then(|i| i.parse::<i64>().ok())
            else {
                continue;
            };
            let Ok(case) = state.store.case(case_id).await else {
                continue;
            };
            if !lead && case.assignee.as_deref() != Some(me) {
                continue;
            }
            let clock = entry
                .reason
                .as_deref()
                .and_then(|r| serde_json::from_str::<Value>(r).ok())
                .and_then(|v| {
                    v["clock"]
                        .as_str()
                        .and_then(|c| c.parse::<liveguard_core::ClockKind>().ok())
                });
            let (czh, cen) = clock
                .map(|c| {
                    (
                        crate::ui::labels::Label::zh(c),
                        crate::ui::labels::Label::en(c),
                    )
                })
                .unwrap_or(("处理", "handling"));
            out.push(Notification {
                seq: entry.seq,
                time: entry.time,
                event: entry.action,
                actor: entry.actor,
                about: NotificationAbout::Case { id: case_id },
                text_zh: format!("投诉案件 #{case_id} 的「{czh}」时限已超期，请立即处理"),
                text_en: format!("Case #{case_id}: the {cen} clock is overdue"),
            });
        }
    }
    out.sort_by_key(|n| std::cmp::Reverse(n.seq));
    out.truncate(NOTIFICATIONS_MAX);
    Ok(out)
}

/// Largest uploaded file, in bytes (before base64).
pub(crate) const UPLOAD_BYTES_MAX: usize = 10 * 1024 * 1024;
/// Longest submission text, in bytes.
pub(crate) const SUBMISSION_TEXT_BYTES_MAX: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductBody {
    pub(crate) name: String,
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) facts: Option<Product>,
}

/// Validates a product body: the category code and the facts document.
pub(crate) fn product_doc(b: &ProductBody) -> Result<(ProductCategory, Product, String), ApiError> {
    let category: ProductCategory = b
        .category
        .parse()
        .map_err(|e: liveguard_core::ParseError| ApiError::field("category", e.to_string()))?;
    let mut facts = b.facts.clone().unwrap_or_default();
    facts.name = b.name.trim().to_string();
    facts.category = Some(category);
    let data = serde_json::to_string(&facts).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((category, facts, data))
}

/// Adds a product (validated), with its audit entry: the API and the master-data page.
pub(crate) async fn add_product(
    state: &AppState,
    p: &crate::http::auth::Principal,
    b: &ProductBody,
) -> Result<(liveguard_store::ProductRow, Product), ApiError> {
    p.require(Permission::ManageProducts)?;
    let (category, facts, data) = product_doc(b)?;
    let row = state
        .store
        .create_product(
            &b.name,
            category.as_str(),
            &data,
            p.audit("product.create", "product:new"),
        )
        .await?;
    Ok((row, facts))
}

/// Replaces product `id`'s facts (validated), with its audit entry: the API and the
/// master-data page.
pub(crate) async fn change_product(
    state: &AppState,
    p: &crate::http::auth::Principal,
    id: i64,
    b: &ProductBody,
) -> Result<(liveguard_store::ProductRow, Product), ApiError> {
    p.require(Permission::ManageProducts)?;
    let (category, facts, data) = product_doc(b)?;
    let before = state.store.product(id).await?;
    let changed = crate::features::master::service::changed_fields(&before.data, &data);
    let reason = serde_json::to_string(&crate::features::master::service::ChangeReason { changed })
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let row = state
        .store
        .update_product(
            id,
            &b.name,
            category.as_str(),
            &data,
            p.audit("product.update", &format!("product:{id}"))
                .reason(reason),
        )
        .await?;
    Ok((row, facts))
}
