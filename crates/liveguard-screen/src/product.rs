//! Product-aware checks: what a text may say depends on the product it is about.
//!
//! Word rules see the text; these checks also see the product's master data — category,
//! filing or registration numbers, approved functions, label facts, return policy and
//! price history — and report what words alone cannot:
//!
//! - `product/disclosure-missing`: a disclosure the category requires is not on file
//!   (cosmetics: ingredients, suitable skin, usage, warnings, filing or registration number;
//!   food: SC licence number, shelf life, ingredients; health food: approval number and the
//!   statement 本品不能代替药物; every product: after-sales terms and 7-day return terms or
//!   the lawful exception).
//! - `product/reference-price`: a compared price (原价 399, 划线价 ¥299) above the lowest
//!   transaction price in the 7 days before the session (明码标价和禁止价格欺诈规定 Art. 16).
//! - `product/comparison-unsupported`: 专柜价, 市场价, 吊牌价, 官方价 … with no evidence on file.
//! - `product/health-function-unapproved`: a health food claiming a function it is not
//!   approved for.
//!
//! Dates are day numbers (days since 1970-01-01) so that this module needs no calendar;
//! prices are in fen (分).

use std::sync::Arc;

use liveguard_core::{Category, Citation, ConfidenceTag, ProductCategory, Severity};

use crate::{Finding, Span};

/// A label fact or disclosure a category may require.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// 成分 / 配料表.
    Ingredients,
    /// 适用人群 / 适用肤质.
    SuitableFor,
    /// 使用方法 / 食用方法.
    Usage,
    /// 注意事项 / 警示用语.
    Warnings,
    /// 保质期.
    ShelfLife,
    /// 售后服务.
    AfterSales,
}

/// What is on file for one product. Every field may be omitted in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Product {
    /// Name.
    pub name: String,
    /// Category (decides the required disclosures).
    pub category: Option<ProductCategory>,
    /// 普通化妆品备案号.
    pub cosmetic_filing: Option<String>,
    /// 特殊化妆品注册证 / 保健食品批准文号 / 医疗器械注册证 / 药品批准文号.
    pub registration: Option<String>,
    /// 食品生产许可证 (SC) number.
    pub sc_number: Option<String>,
    /// Approved or filed efficacy claims (for health food: the approved functions).
    pub approved_claims: Vec<String>,
    /// Disclosures on file, with their text.
    pub disclosures: Vec<(Disclosure, String)>,
    /// Whether 7-day no-reason return applies.
    pub seven_day_return: Option<bool>,
    /// The lawful exception when it does not (定制, 鲜活易腐, 已拆封数字商品, 报刊, or confirmed at purchase).
    pub return_exception: Option<String>,
    /// Transaction prices: (day number, price in fen).
    pub price_history: Vec<(i32, i64)>,
    /// Evidence on file for third-party comparison prices (专柜价 etc.): a source description.
    pub comparison_evidence: Option<String>,
}

impl Product {
    fn has(&self, d: Disclosure) -> bool {
        self.disclosures
            .iter()
            .any(|(k, v)| *k == d && !v.trim().is_empty())
    }
}

/// How many days before the session count for the reference-price rule.
pub const REFERENCE_PRICE_DAYS: i32 = 7;

fn cite(law: &str, article: &str, tag: ConfidenceTag) -> Citation {
    Citation {
        law: law.to_string(),
        article: article.to_string(),
        clause: None,
        tag,
    }
}

fn document_finding(
    rule: &str,
    category: Category,
    severity: Severity,
    citations: Vec<Citation>,
    what: String,
    suggestion: &str,
) -> Finding {
    Finding {
        rule: Arc::from(rule),
        category,
        severity,
        citations: citations.into(),
        span: Span {
            byte_start: 0,
            byte_end: 0,
            char_start: 0,
            char_end: 0,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        },
        matched: String::new(),
        normalized: what,
        suggestion: Arc::from(suggestion),
        exception: None,
        masked: None,
        evasion: None,
        model: None,
    }
}

/// Runs every product-aware check on `text` about `product`, for a session on `session_day`.
/// Document-level findings (missing disclosures) have an empty span at the start; the
/// missing item is named in `normalized`.
pub fn check_product(text: &str, product: &Product, session_day: i32) -> Vec<Finding> {
    let mut out = Vec::new();
    missing_disclosures(text, product, &mut out);
    reference_prices(text, product, session_day, &mut out);
    health_functions(text, product, &mut out);
    out.sort_by_key(|f| f.span.byte_start);
    crate::fill_positions(text, &mut out);
    out
}

fn missing_disclosures(text: &str, p: &Product, out: &mut Vec<Finding>) {
    let mut missing: Vec<&str> = Vec::new();
    let category = p.category.unwrap_or(ProductCategory::General);
    use Disclosure::*;
    let need = |d: Disclosure, label: &'static str, missing: &mut Vec<&str>| {
        if !p.has(d) {
            missing.push(label);
        }
    };
    match category {
        ProductCategory::Cosmetics | ProductCategory::SpecialCosmetics => {
            need(Ingredients, "成分 ingredients", &mut missing);
            need(SuitableFor, "适用肤质/人群 suitable skin", &mut missing);
            need(Usage, "使用方法 usage", &mut missing);
            need(Warnings, "注意事项 warnings", &mut missing);
            if category == ProductCategory::Cosmetics && p.cosmetic_filing.is_none() {
                missing.push("普通化妆品备案号 filing number");
            }
            if category == ProductCategory::SpecialCosmetics && p.registration.is_none() {
                missing.push("特殊化妆品注册证 registration number");
            }
        }
        ProductCategory::Food | ProductCategory::HealthFood => {
            need(Ingredients, "配料表 ingredients", &mut missing);
            need(ShelfLife, "保质期 shelf life", &mut missing);
            if p.sc_number.is_none() {
                missing.push("SC 食品生产许可证编号 SC number");
            }
            if category == ProductCategory::HealthFood {
                if p.registration.is_none() {
                    missing.push("保健食品批准文号 approval number");
                }
                if !text.contains("本品不能代替药物") && !text.contains("不能代替药物")
                {
                    missing.push("“本品不能代替药物” statement in the text");
                }
            }
        }
        ProductCategory::Drug | ProductCategory::MedicalDevice => {
            if p.registration.is_none() {
                missing.push("批准文号/注册证 approval or registration number");
            }
            need(
                Warnings,
                "禁忌与注意事项 contraindications and warnings",
                &mut missing,
            );
        }
        _ => {}
    }
    need(AfterSales, "售后服务 after-sales terms", &mut missing);
    match (
        p.seven_day_return,
        p.return_exception.as_deref().map(str::trim),
    ) {
        (Some(true), _) => {}
        (Some(false), Some(reason)) if !reason.is_empty() => {}
        (Some(false), _) => {
            missing.push("不适用七日无理由退货的法定理由 lawful reason for no 7-day return")
        }
        (None, _) => missing.push("七日无理由退货规则 7-day return terms"),
    }
    for what in missing {
        out.push(document_finding(
            "product/disclosure-missing",
            Category::DisclosureMissing,
            Severity::Review,
            vec![cite("消费者权益保护法", "8", ConfidenceTag::P), cite("消费者权益保护法", "20", ConfidenceTag::P)],
            what.to_string(),
            "在商品资料中补充该信息（并在商品卡或口播中如实告知），再提交审核。Add the missing information to the product record and the product card.",
        ));
    }
}

/// Keywords of a compared price, and whether a third-party source is implied.
const REFERENCE_KEYWORDS: &[(&str, bool)] = &[
    ("原价", false),
    ("划线价", false),
    ("日常价", false),
    ("平时价", false),
    ("专柜价", true),
    ("市场价", true),
    ("吊牌价", true),
    ("官方价", true),
    ("官网价", true),
    ("门市价", true),
    ("指导价", true),
];

/// Finds `keyword … number` with at most a few filler characters between; returns the byte
/// range of the keyword-and-number and the price in fen.
fn prices_after(text: &str, keyword: &str) -> Vec<(std::ops::Range<usize>, i64)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find(keyword) {
        let start = from + pos;
        let mut i = start + keyword.len();
        from = i;
        let mut skipped = 0;
        for c in text[i..].chars() {
            if matches!(
                c,
                ':' | '：' | '¥' | '￥' | ' ' | '\u{3000}' | '是' | '为' | '要' | '都'
            ) && skipped < 4
            {
                i += c.len_utf8();
                skipped += 1;
            } else {
                break;
            }
        }
        let digits: String = text[i..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || ('０'..='９').contains(c))
            .collect();
        if digits.is_empty() {
            continue;
        }
        let ascii: String = digits
            .chars()
            .map(|c| {
                if ('０'..='９').contains(&c) {
                    char::from(b'0' + (c as u32 - '０' as u32) as u8)
                } else {
                    c
                }
            })
            .collect();
        if let Ok(yuan) = ascii.trim_end_matches('.').parse::<f64>() {
            out.push((start..i + digits.len(), (yuan * 100.0).round() as i64));
        }
    }
    out
}

fn reference_prices(text: &str, p: &Product, session_day: i32, out: &mut Vec<Finding>) {
    let window: Vec<i64> = p
        .price_history
        .iter()
        .filter(|(day, _)| *day >= session_day - REFERENCE_PRICE_DAYS && *day < session_day)
        .map(|(_, fen)| *fen)
        .collect();
    let lowest = window.iter().min().copied().or_else(|| {
        // No deal in the window: the last transaction price before it applies.
        p.price_history
            .iter()
            .filter(|(day, _)| *day < session_day)
            .max_by_key(|(day, _)| *day)
            .map(|(_, fen)| *fen)
    });
    for (keyword, third_party) in REFERENCE_KEYWORDS {
        for (range, fen) in prices_after(text, keyword) {
            let matched = text[range.clone()].to_string();
            if *third_party
                && p.comparison_evidence
                    .as_deref()
                    .is_none_or(|e| e.trim().is_empty())
            {
                out.push(span_finding(
                    text,
                    range.clone(),
                    "product/comparison-unsupported",
                    vec![cite("明码标价和禁止价格欺诈规定", "16", ConfidenceTag::P), cite("价格法", "14", ConfidenceTag::P)],
                    format!("{matched}: no evidence of this price is on file"),
                    "第三方比较价（专柜价、市场价、吊牌价等）须有真实依据并注明来源；无依据请删除。A third-party comparison price needs evidence on file and its source stated.",
                ));
                continue;
            }
            match lowest {
                Some(low) if fen > low => out.push(span_finding(
                    text,
                    range,
                    "product/reference-price",
                    vec![cite("明码标价和禁止价格欺诈规定", "16", ConfidenceTag::P)],
                    format!("{matched}: above the lowest transaction price of the 7 days before the session ({}.{:02} yuan)", low / 100, low % 100),
                    "未注明来源的被比较价格不得高于本次活动前七日内的最低成交价；请改为该价格或删除比较。An unsourced reference price may not exceed the lowest transaction price of the previous 7 days.",
                )),
                None if !*third_party => out.push(span_finding(
                    text,
                    range,
                    "product/reference-price",
                    vec![cite("明码标价和禁止价格欺诈规定", "16", ConfidenceTag::P)],
                    format!("{matched}: no transaction price is on file to support it"),
                    "补充该商品的成交价格记录，或删除比较价。Record the product's transaction prices, or remove the reference price.",
                )),
                _ => {}
            }
        }
    }
}

fn span_finding(
    text: &str,
    range: std::ops::Range<usize>,
    rule: &str,
    citations: Vec<Citation>,
    what: String,
    suggestion: &str,
) -> Finding {
    let mut f = document_finding(
        rule,
        Category::PriceFraud,
        Severity::Block,
        citations,
        what,
        suggestion,
    );
    f.matched = text[range.clone()].to_string();
    f.span.byte_start = range.start;
    f.span.byte_end = range.end;
    f
}

/// Health functions a health food may claim only when approved for them (the 24 functions of
/// the health-food catalogue, in their common wordings).
const HEALTH_FUNCTIONS: &[&str] = &[
    "增强免疫力",
    "抗氧化",
    "辅助改善记忆",
    "缓解视疲劳",
    "促进排铅",
    "清咽",
    "辅助降血压",
    "改善睡眠",
    "促进泌乳",
    "缓解体力疲劳",
    "提高缺氧耐受力",
    "对辐射危害有辅助保护功能",
    "减肥",
    "改善生长发育",
    "增加骨密度",
    "改善营养性贫血",
    "对化学性肝损伤有辅助保护功能",
    "祛痤疮",
    "祛黄褐斑",
    "改善皮肤水分",
    "改善皮肤油分",
    "调节肠道菌群",
    "促进消化",
    "通便",
    "对胃黏膜损伤有辅助保护功能",
    "辅助降血糖",
    "辅助降血脂",
    "抗疲劳",
];

fn health_functions(text: &str, p: &Product, out: &mut Vec<Finding>) {
    if p.category != Some(ProductCategory::HealthFood) {
        return;
    }
    for function in HEALTH_FUNCTIONS {
        if p.approved_claims
            .iter()
            .any(|c| c.contains(function) || function.contains(c.as_str()))
        {
            continue;
        }
        if let Some(pos) = text.find(function) {
            let mut f = span_finding(
                text,
                pos..pos + function.len(),
                "product/health-function-unapproved",
                vec![
                    cite("广告法", "18", ConfidenceTag::P),
                    cite("食品安全法", "78", ConfidenceTag::P),
                ],
                format!(
                    "{function}: not among the approved functions ({})",
                    p.approved_claims.join("、")
                ),
                "保健食品只能宣称批准文号所列的保健功能，删除未获批准的功能。A health food may claim only its approved functions.",
            );
            f.category = Category::EfficacyClaim;
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosmetic() -> Product {
        Product {
            name: "水润面霜".into(),
            category: Some(ProductCategory::Cosmetics),
            cosmetic_filing: Some("浙G妆网备字2024001234".into()),
            disclosures: vec![
                (Disclosure::Ingredients, "水、甘油".into()),
                (Disclosure::SuitableFor, "干性肌肤".into()),
                (Disclosure::Usage, "洁面后涂抹".into()),
                (Disclosure::Warnings, "如有不适停用".into()),
                (Disclosure::AfterSales, "平台客服".into()),
            ],
            seven_day_return: Some(true),
            price_history: vec![(100, 12900), (103, 9900), (106, 15900), (90, 5900)],
            ..Product::default()
        }
    }

    fn rules(fs: &[Finding]) -> Vec<String> {
        fs.iter()
            .map(|f| format!("{}:{}", f.rule, f.normalized))
            .collect()
    }

    #[test]
    fn complete_cosmetic_with_an_honest_price_passes() {
        let f = check_product("原价99，今天89", &cosmetic(), 107);
        assert!(f.is_empty(), "{:?}", rules(&f));
    }

    #[test]
    fn reference_price_above_the_seven_day_low_is_flagged_with_its_span() {
        let text = "原价 ¥159，直播间只要89";
        let f = check_product(text, &cosmetic(), 107);
        assert_eq!(f.len(), 1, "{:?}", rules(&f));
        assert_eq!(f[0].rule.as_ref(), "product/reference-price");
        assert_eq!(f[0].matched, "原价 ¥159");
        assert_eq!(&text[f[0].span.byte_start..f[0].span.byte_end], "原价 ¥159");
        assert!(f[0].normalized.contains("99.00"), "{}", f[0].normalized);
        // The 59 yuan deal on day 90 is outside the 7-day window and does not count.
        assert!(
            check_product("原价129", &cosmetic(), 107)
                .iter()
                .any(|f| f.rule.as_ref() == "product/reference-price")
        );
        assert!(
            check_product("原价９９", &cosmetic(), 107).is_empty(),
            "full-width digits"
        );
    }

    #[test]
    fn third_party_prices_need_evidence() {
        let f = check_product("专柜价1280", &cosmetic(), 107);
        assert_eq!(f[0].rule.as_ref(), "product/comparison-unsupported");
        let with = Product {
            comparison_evidence: Some("2026-11 天猫旗舰店截图".into()),
            ..cosmetic()
        };
        assert!(check_product("专柜价99", &with, 107).is_empty());
    }

    #[test]
    fn missing_disclosures_are_named() {
        let bare = Product {
            category: Some(ProductCategory::Cosmetics),
            ..Product::default()
        };
        let f = check_product("好用", &bare, 107);
        let names = rules(&f);
        assert!(
            names.iter().any(|n| n.contains("ingredients"))
                && names.iter().any(|n| n.contains("filing number"))
                && names.iter().any(|n| n.contains("7-day")),
            "{names:?}"
        );
        let fresh = Product {
            category: Some(ProductCategory::Food),
            sc_number: Some("SC1".into()),
            seven_day_return: Some(false),
            return_exception: Some("鲜活易腐".into()),
            disclosures: vec![
                (Disclosure::Ingredients, "苹果".into()),
                (Disclosure::ShelfLife, "7天".into()),
                (Disclosure::AfterSales, "坏果包赔".into()),
            ],
            ..Product::default()
        };
        assert!(
            check_product("新鲜苹果", &fresh, 107).is_empty(),
            "the lawful exception is accepted"
        );
        let no_reason = Product {
            return_exception: None,
            ..fresh
        };
        assert!(
            rules(&check_product("x", &no_reason, 107))
                .iter()
                .any(|n| n.contains("lawful reason"))
        );
    }

    #[test]
    fn health_food_claims_and_statement() {
        let hf = Product {
            category: Some(ProductCategory::HealthFood),
            registration: Some("国食健注G20240001".into()),
            sc_number: Some("SC2".into()),
            approved_claims: vec!["增强免疫力".into()],
            disclosures: vec![
                (Disclosure::Ingredients, "x".into()),
                (Disclosure::ShelfLife, "x".into()),
                (Disclosure::AfterSales, "x".into()),
            ],
            seven_day_return: Some(true),
            ..Product::default()
        };
        assert!(check_product("增强免疫力。本品不能代替药物。", &hf, 107).is_empty());
        let f = check_product("增强免疫力，还能改善睡眠。本品不能代替药物。", &hf, 107);
        assert_eq!(rules(&f).len(), 1, "{:?}", rules(&f));
        assert_eq!(f[0].matched, "改善睡眠");
        let f = check_product("增强免疫力", &hf, 107);
        assert!(
            rules(&f).iter().any(|n| n.contains("不能代替药物")),
            "mandatory statement missing"
        );
    }
}
