//! Importing a platform's exported after-sales or complaint list (CSV or XLSX) with a column
//! mapping that can be saved by name: a preview that checks every row (the error names the
//! row and the column), then the import — refused while any row is wrong unless the person
//! chooses to import the valid rows only. A row's case is keyed by the mapping's source and
//! the row's reference (its ticket number, or a digest of the row), so importing the same
//! export again adds nothing, and an import cut off halfway can simply be run again.

use std::collections::{BTreeMap, HashMap};

use liveguard_core::{CaseKind, CaseTopic};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::service::{self, CaseInput, Consumer};
use crate::AppState;
use crate::convert::table::{Table, read_table};
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;
use crate::ui::labels::Label;

/// Largest file an import takes, in bytes (before base64).
pub const IMPORT_BYTES_MAX: usize = 48 * 1024 * 1024;
/// Request bodies of the import routes (base64 of the file plus the mapping).
pub const IMPORT_REQUEST_BYTES_MAX: usize = IMPORT_BYTES_MAX / 3 * 4 + 1024 * 1024;
/// Row errors a preview lists (the count covers all).
pub const ERRORS_LISTED: usize = 200;
/// Cases stored per transaction.
const BATCH: usize = 2000;

/// The fields a column can fill: (field, Chinese name, header names that suggest it).
pub const FIELDS: &[(&str, &str, &[&str])] = &[
    (
        "external_ref",
        "单号（去重用）",
        &[
            "售后单号",
            "工单号",
            "投诉单号",
            "单号",
            "编号",
            "投诉编号",
            "工单编号",
        ],
    ),
    (
        "received_at",
        "消费者发出时间",
        &[
            "申请时间",
            "投诉时间",
            "创建时间",
            "提交时间",
            "发起时间",
            "反馈时间",
        ],
    ),
    (
        "summary",
        "反映的问题",
        &[
            "问题描述",
            "投诉内容",
            "申请原因",
            "描述",
            "反馈内容",
            "售后原因",
        ],
    ),
    (
        "demand",
        "诉求",
        &["买家诉求", "诉求", "处理要求", "消费者诉求"],
    ),
    (
        "topic",
        "问题类别",
        &["售后类型", "问题类型", "投诉类型", "问题分类"],
    ),
    ("kind", "类型", &["工单类型", "案件类型"]),
    ("order_ref", "订单号", &["订单号", "订单编号", "主订单号"]),
    (
        "product",
        "商品（名称或编号）",
        &["商品名称", "商品", "商品ID", "商品编号"],
    ),
    (
        "price_yuan",
        "实付金额（元）",
        &["实付金额", "支付金额", "订单金额", "实付款"],
    ),
    (
        "consumer_name",
        "姓名",
        &["收货人", "买家姓名", "姓名", "联系人"],
    ),
    (
        "consumer_phone",
        "电话",
        &["联系电话", "手机号", "电话", "收货人电话", "手机"],
    ),
    (
        "consumer_address",
        "地址",
        &["收货地址", "地址", "详细地址"],
    ),
    (
        "consumer_account",
        "平台账号",
        &["买家昵称", "买家账号", "用户ID", "用户昵称"],
    ),
];

/// Which column fills which field, and the values for what no column gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mapping {
    /// Field → column header.
    pub columns: BTreeMap<String, String>,
    /// Case kind when no column gives it (default `after_sales`).
    pub kind: Option<String>,
    /// Topic when no column gives it or the cell is empty (default `other`).
    pub topic: Option<String>,
}

impl Mapping {
    /// A mapping guessed from the headers (the usual names of the usual platforms).
    pub fn guess(headers: &[String]) -> Mapping {
        let mut columns = BTreeMap::new();
        for (field, _, names) in FIELDS {
            if let Some(h) = headers.iter().find(|h| names.contains(&h.as_str())) {
                columns.insert(field.to_string(), h.clone());
            }
        }
        Mapping {
            columns,
            kind: None,
            topic: None,
        }
    }

    fn check(&self, headers: &[String]) -> Result<(), ApiError> {
        for (field, header) in &self.columns {
            if !FIELDS.iter().any(|(f, _, _)| f == field) {
                return Err(ApiError::invalid(
                    "mapping",
                    format!("没有「{field}」这个字段"),
                    format!("unknown field {field}"),
                ));
            }
            if !header.is_empty() && !headers.contains(header) {
                return Err(ApiError::invalid(
                    "mapping",
                    format!("文件中没有「{header}」这一列（映射到{}）", field_zh(field)),
                    format!("the file has no column `{header}` (mapped to {field})"),
                ));
            }
        }
        for required in ["received_at", "summary"] {
            if self.columns.get(required).is_none_or(|h| h.is_empty()) {
                return Err(ApiError::invalid(
                    "mapping",
                    format!("请指定哪一列是「{}」", field_zh(required)),
                    format!("map a column to {required}"),
                ));
            }
        }
        if let Some(k) = &self.kind {
            k.parse::<CaseKind>()
                .map_err(|e| ApiError::invalid("mapping", "类型不对", e.to_string()))?;
        }
        if let Some(t) = &self.topic {
            t.parse::<CaseTopic>()
                .map_err(|e| ApiError::invalid("mapping", "问题类别不对", e.to_string()))?;
        }
        Ok(())
    }
}

fn field_zh(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, zh, _)| *zh)
        .unwrap_or("所填内容")
}

/// A topic from an export's own wording: our codes and labels, and the usual words.
fn topic_of(text: &str) -> Option<CaseTopic> {
    let t = text.trim();
    if let Ok(c) = t.parse::<CaseTopic>() {
        return Some(c);
    }
    if let Some(c) = CaseTopic::ALL.iter().find(|c| c.zh() == t) {
        return Some(*c);
    }
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    Some(if has(&["虚假", "宣传", "夸大", "赠品", "承诺"]) {
        CaseTopic::FalsePromotion
    } else if has(&["价格", "差价", "价保", "保价"]) {
        CaseTopic::Price
    } else if has(&["质量", "破损", "瑕疵", "过敏"]) {
        CaseTopic::Quality
    } else if has(&["退货", "退款", "换货", "无理由", "售后", "物流", "发货"]) {
        CaseTopic::Returns
    } else if has(&["抽奖", "奖品", "福袋"]) {
        CaseTopic::Lottery
    } else if has(&["隐私", "个人信息", "骚扰"]) {
        CaseTopic::PersonalInfo
    } else if has(&["主播", "言行"]) {
        CaseTopic::StreamerConduct
    } else if t.is_empty() {
        return None;
    } else {
        CaseTopic::Other
    })
}

/// What the import request carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    /// The file, base64.
    pub file_base64: String,
    /// Its name (`.csv` or `.xlsx`).
    pub file_name: String,
    /// The mapping's name (the import's source; saved under it with `save_mapping`).
    pub mapping_name: String,
    /// The mapping; default the saved one of that name, else guessed from the headers.
    #[serde(default)]
    pub mapping: Option<Mapping>,
    /// Save the mapping under its name.
    #[serde(default)]
    pub save_mapping: bool,
    /// Store the cases (otherwise only the preview).
    #[serde(default)]
    pub commit: bool,
    /// Store the valid rows even though others are wrong.
    #[serde(default)]
    pub import_valid: bool,
}

/// One row that cannot be imported.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub row: usize,
    /// The column (its header), or the field when no column gives it.
    pub column: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// What an import found and did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The file's column headers.
    pub headers: Vec<String>,
    /// The mapping used.
    pub mapping: Mapping,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that can be imported.
    pub valid: usize,
    /// Rows with an error.
    pub invalid: usize,
    /// Errors, the first [`ERRORS_LISTED`].
    pub errors: Vec<RowError>,
    /// Valid rows already imported earlier (or twice in the file): they add nothing.
    pub duplicates: usize,
    /// Whether cases were stored.
    pub committed: bool,
    /// Cases stored by this import.
    pub created: usize,
    /// The first rows as they will be stored (summary, received time, topic).
    pub sample: Vec<serde_json::Value>,
}

fn cell<'a>(table: &'a Table, row: &'a [String], m: &Mapping, field: &str) -> Option<&'a str> {
    let header = m.columns.get(field)?;
    let i = table.headers.iter().position(|h| h == header)?;
    row.get(i).map(|c| c.trim()).filter(|c| !c.is_empty())
}

fn column_of(m: &Mapping, field: &str) -> String {
    let base = field.split(['.', '[']).next().unwrap_or(field);
    let base = match base {
        "consumer" => field.replace('.', "_"),
        "price_fen" => "price_yuan".to_string(),
        "product_id" => "product".to_string(),
        b => b.to_string(),
    };
    m.columns
        .get(&base)
        .cloned()
        .unwrap_or_else(|| format!("（{}）", field_zh(&base)))
}

/// Runs an import: reads the file, maps and checks every row, and with `commit` stores the
/// valid rows' cases (all rows must be valid unless `import_valid`).
pub async fn run(
    state: &AppState,
    p: &Principal,
    input: &ImportInput,
) -> Result<ImportReport, ApiError> {
    use base64::Engine;
    p.require(Permission::WorkCases)?;
    let name = input.mapping_name.trim();
    if name.is_empty() || name.chars().count() > 50 || name.contains(char::is_control) {
        return Err(ApiError::invalid(
            "mapping_name",
            "请填写导入来源名称（最多 50 字），例如：抖店售后单",
            "1 to 50 characters",
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(input.file_base64.trim())
        .map_err(|_| {
            ApiError::invalid(
                "file_base64",
                "上传的文件无法读取，请重新选择文件",
                "not base64",
            )
        })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid(
            "file_base64",
            "请选择要导入的文件",
            "no file",
        ));
    }
    if bytes.len() > IMPORT_BYTES_MAX {
        return Err(ApiError::TooLarge);
    }
    let table = tokio::task::spawn_blocking({
        let file_name = input.file_name.clone();
        move || read_table(&file_name, &bytes)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::invalid("file_base64", e.zh(), e.to_string()))?;
    let mapping = match &input.mapping {
        Some(m) => m.clone(),
        None => match state.store.import_mapping(name).await? {
            Some(saved) => {
                serde_json::from_str(&saved).unwrap_or_else(|_| Mapping::guess(&table.headers))
            }
            None => Mapping::guess(&table.headers),
        },
    };
    mapping.check(&table.headers)?;
    if input.save_mapping {
        let json =
            serde_json::to_string(&mapping).map_err(|e| ApiError::Internal(e.to_string()))?;
        state
            .store
            .save_import_mapping(name, &json, p.audit("desk.mapping.save", "desk_mapping"))
            .await?;
    }
    let source = format!("import:{name}");
    let products: HashMap<String, i64> = state
        .store
        .products()
        .await?
        .into_iter()
        .map(|r| (r.name, r.id))
        .collect();
    let now = state.store.now();
    let mut errors = Vec::new();
    let mut invalid = 0;
    let mut checked = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    for (i, row) in table.rows.iter().enumerate() {
        let line = i + 2;
        let mut fail = |column: String, message: String| {
            invalid += 1;
            if errors.len() < ERRORS_LISTED {
                errors.push(RowError {
                    row: line,
                    column,
                    message,
                });
            }
        };
        let get = |field: &str| cell(&table, row, &mapping, field);
        let external_ref = match get("external_ref") {
            Some(r) => r.to_string(),
            None => {
                let mut h = Sha256::new();
                for c in row {
                    h.update(c.trim().as_bytes());
                    h.update([0x1f]);
                }
                format!("row-sha256:{}", &hex::encode(h.finalize())[..32])
            }
        };
        let topic = match get("topic").map(topic_of).unwrap_or(None) {
            Some(t) => t.as_str().to_string(),
            None => mapping.topic.clone().unwrap_or_else(|| "other".into()),
        };
        let kind = match get("kind") {
            Some(k) => match k
                .parse::<CaseKind>()
                .ok()
                .or_else(|| CaseKind::ALL.iter().copied().find(|c| c.zh() == k))
            {
                Some(k) => k.as_str().to_string(),
                None => {
                    fail(
                        column_of(&mapping, "kind"),
                        format!("「{k}」不是可识别的类型（投诉、举报、售后申请、监管转办）"),
                    );
                    continue;
                }
            },
            None => mapping.kind.clone().unwrap_or_else(|| "after_sales".into()),
        };
        let product_id = match get("product") {
            None => None,
            Some(p) => match products.get(p).copied().or_else(|| {
                p.parse::<i64>()
                    .ok()
                    .filter(|id| products.values().any(|v| v == id))
            }) {
                Some(id) => Some(id),
                None => {
                    fail(
                        column_of(&mapping, "product"),
                        format!("商品「{p}」不在商品资料中，请先在主数据中添加或修正名称"),
                    );
                    continue;
                }
            },
        };
        let price_fen = match get("price_yuan").map(super::pages::yuan_to_fen) {
            None => None,
            Some(Ok(v)) => v,
            Some(Err(_)) => {
                fail(
                    column_of(&mapping, "price_yuan"),
                    "金额格式不对，例如 99 或 99.90".into(),
                );
                continue;
            }
        };
        let consumer = Consumer {
            name: get("consumer_name").unwrap_or("").to_string(),
            phone: get("consumer_phone").unwrap_or("").to_string(),
            address: get("consumer_address").unwrap_or("").to_string(),
            account: get("consumer_account").unwrap_or("").to_string(),
        };
        let case = CaseInput {
            kind,
            topic,
            channel: "import".into(),
            received_at: get("received_at").unwrap_or("").to_string(),
            summary: get("summary").unwrap_or("").to_string(),
            demand: get("demand").unwrap_or("").to_string(),
            order_ref: get("order_ref").map(str::to_string),
            product_id,
            consumer: Some(consumer),
            source: Some(source.clone()),
            external_ref: Some(external_ref.clone()),
            price_fen,
            ..Default::default()
        };
        match service::check_input(state, &case, now).await {
            Ok(c) => {
                if !seen.insert(external_ref) {
                    duplicates += 1;
                    continue;
                }
                checked.push(c);
            }
            Err(ApiError::Validation { field, message, zh }) => {
                fail(column_of(&mapping, &field), zh.unwrap_or(message));
            }
            Err(e) => return Err(e),
        }
    }
    let existing = state.store.case_refs(&source).await?;
    let fresh: Vec<_> = checked
        .into_iter()
        .filter(|c| {
            let old = c
                .case
                .external_ref
                .as_ref()
                .is_some_and(|r| existing.contains(r));
            if old {
                duplicates += 1;
            }
            !old
        })
        .collect();
    let sample = fresh
        .iter()
        .take(20)
        .map(|c| serde_json::json!({"external_ref": c.case.external_ref, "received_at": c.case.received.rfc3339(), "topic": c.case.topic, "kind": c.case.kind, "summary": c.case.summary}))
        .collect();
    let mut report = ImportReport {
        headers: table.headers.clone(),
        mapping,
        rows: table.rows.len(),
        valid: table.rows.len() - invalid,
        invalid,
        errors,
        duplicates,
        committed: false,
        created: 0,
        sample,
    };
    if !input.commit {
        return Ok(report);
    }
    if report.invalid > 0 && !input.import_valid {
        return Err(ApiError::Workflow(format!(
            "有 {} 行无法导入，未导入任何内容。请修正文件后重新导入，或勾选「只导入无误的行」。",
            report.invalid
        )));
    }
    let sealer = state.sealer.clone();
    for chunk in fresh.chunks(BATCH) {
        let cases: Vec<_> = chunk
            .iter()
            .map(|c| (c.case.clone(), c.clocks.clone()))
            .collect();
        let consumers: Vec<Option<Consumer>> = chunk.iter().map(|c| c.consumer.clone()).collect();
        let seal = |id: i64, i: usize| service::seal_consumer(&sealer, id, consumers[i].as_ref());
        let audit = p
            .audit("desk.case.create", "case")
            .reason(format!("{{\"import\":\"{}\"}}", name.replace('"', "")));
        let done = state.store.create_cases(&cases, &seal, audit).await?;
        report.created += done
            .iter()
            .filter(|d| matches!(d, liveguard_store::CaseCreated::New(_)))
            .count();
    }
    report.committed = true;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_export_maps_itself_from_its_headers() {
        let headers: Vec<String> = [
            "售后单号",
            "订单号",
            "申请时间",
            "售后类型",
            "问题描述",
            "买家诉求",
            "买家昵称",
            "收货人",
            "联系电话",
            "收货地址",
            "商品名称",
            "实付金额",
        ]
        .map(String::from)
        .to_vec();
        let m = Mapping::guess(&headers);
        assert_eq!(m.columns["external_ref"], "售后单号");
        assert_eq!(m.columns["received_at"], "申请时间");
        assert_eq!(m.columns["consumer_phone"], "联系电话");
        assert_eq!(m.columns.len(), 12);
        m.check(&headers).unwrap();
        let mut wrong = m.clone();
        wrong.columns.insert("summary".into(), "投诉正文".into());
        assert!(
            wrong
                .check(&headers)
                .unwrap_err()
                .to_string()
                .contains("投诉正文")
        );
    }

    #[test]
    fn an_exports_own_words_become_topics() {
        assert_eq!(topic_of("七天无理由"), Some(CaseTopic::Returns));
        assert_eq!(topic_of("虚假宣传"), Some(CaseTopic::FalsePromotion));
        assert_eq!(topic_of("商品质量"), Some(CaseTopic::Quality));
        assert_eq!(topic_of("price"), Some(CaseTopic::Price));
        assert_eq!(topic_of("赠品问题"), Some(CaseTopic::FalsePromotion));
        assert_eq!(topic_of("福袋没发"), Some(CaseTopic::Lottery));
        assert_eq!(topic_of("别的"), Some(CaseTopic::Other));
        assert_eq!(topic_of(""), None);
    }
}
