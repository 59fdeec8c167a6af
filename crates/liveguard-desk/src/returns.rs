//! The 7-day no-reason return (A-01, CPL Art. 25, 实施条例 Art. 19, 网络购买商品七日无理由退货
//! 暂行办法) and the punitive-damages exposure of a fraud claim (A-06, CPL Art. 55).

use liveguard_core::clock::Stamp;
use liveguard_core::{CaseTopic, Complexity};
use serde::{Deserialize, Serialize};

use crate::calendar::calendar_deadline;

/// What kind of goods, for returns: a product fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReturnClass {
    /// Ordinary goods: returnable within 7 days without a reason.
    #[default]
    Standard,
    /// Custom-made (statutory exclusion 1).
    CustomMade,
    /// Fresh and perishable (statutory exclusion 2).
    Perishable,
    /// Audio-visual, software and other digital goods (exclusion 3 once downloaded or
    /// unsealed by the consumer).
    Digital,
    /// Delivered newspapers and periodicals (statutory exclusion 4).
    Periodical,
    /// Unsuitable by nature (safety or health, value lost on activation, near expiry or
    /// flawed): excluded only if the consumer confirmed it at purchase.
    ConfirmAtPurchase,
}

impl ReturnClass {
    /// Every class.
    pub const ALL: &'static [ReturnClass] = &[
        ReturnClass::Standard,
        ReturnClass::CustomMade,
        ReturnClass::Perishable,
        ReturnClass::Digital,
        ReturnClass::Periodical,
        ReturnClass::ConfirmAtPurchase,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnClass::Standard => "standard",
            ReturnClass::CustomMade => "custom_made",
            ReturnClass::Perishable => "perishable",
            ReturnClass::Digital => "digital",
            ReturnClass::Periodical => "periodical",
            ReturnClass::ConfirmAtPurchase => "confirm_at_purchase",
        }
    }

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            ReturnClass::Standard => "普通商品",
            ReturnClass::CustomMade => "定作商品",
            ReturnClass::Perishable => "鲜活易腐商品",
            ReturnClass::Digital => "数字化商品（音像制品、软件等）",
            ReturnClass::Periodical => "报纸、期刊",
            ReturnClass::ConfirmAtPurchase => "需购买时确认不宜退货的商品",
        }
    }
}

/// A consumer's request to return goods without a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnRequest {
    /// The goods' class (from the product).
    pub class: ReturnClass,
    /// Sold at a distance (online, live stream, TV, phone, mail): default true.
    pub distance_sale: bool,
    /// When the consumer received the goods.
    pub received_at: Stamp,
    /// When the consumer asked to return them.
    pub requested_at: Stamp,
    /// Digital goods: downloaded or unsealed by the consumer.
    pub digital_unsealed: bool,
    /// The consumer confirmed at purchase, in a separate non-default step, that the goods
    /// cannot be returned without a reason.
    pub confirmed_at_purchase: bool,
    /// Opened only to inspect or reasonably test them.
    pub opened_for_inspection: bool,
    /// The goods are intact (no broken one-off seal on food, cosmetics or medical devices,
    /// labels in place, no unauthorised repair): beyond inspection.
    pub intact: bool,
}

/// The answer to a return request, with its basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnDecision {
    /// Whether the goods may be returned without a reason.
    pub eligible: bool,
    /// The last instant to ask (end of the 7th day after receipt, Beijing time).
    pub window_ends: Stamp,
    /// The explanation for the consumer (zh-CN).
    pub basis_zh: String,
    /// The law it rests on.
    pub citation: &'static str,
}

/// Decides a 7-day no-reason return request.
pub fn decide_return(r: &ReturnRequest) -> ReturnDecision {
    let window_ends = calendar_deadline(r.received_at, 7);
    let no = |basis: &str, citation: &'static str| ReturnDecision {
        eligible: false,
        window_ends,
        basis_zh: basis.to_string(),
        citation,
    };
    if !r.distance_sale {
        return no(
            "七日无理由退货适用于网络、电视、电话、邮购等方式销售的商品；本单不属于远程销售，按商品质量与约定处理。",
            "《消费者权益保护法》第二十五条",
        );
    }
    if r.requested_at > window_ends {
        return no(
            "已超过签收之日起七日的无理由退货期限；如商品有质量问题，仍可按质量问题申请退换货。",
            "《消费者权益保护法》第二十五条",
        );
    }
    match r.class {
        ReturnClass::CustomMade => {
            return no(
                "消费者定作的商品不适用七日无理由退货。",
                "《消费者权益保护法》第二十五条第一款第（一）项",
            );
        }
        ReturnClass::Perishable => {
            return no(
                "鲜活易腐的商品不适用七日无理由退货。",
                "《消费者权益保护法》第二十五条第一款第（二）项",
            );
        }
        ReturnClass::Digital if r.digital_unsealed => {
            return no(
                "在线下载或已拆封的音像制品、计算机软件等数字化商品不适用七日无理由退货。",
                "《消费者权益保护法》第二十五条第一款第（三）项",
            );
        }
        ReturnClass::Periodical => {
            return no(
                "已交付的报纸、期刊不适用七日无理由退货。",
                "《消费者权益保护法》第二十五条第一款第（四）项",
            );
        }
        ReturnClass::ConfirmAtPurchase if r.confirmed_at_purchase => {
            return no(
                "该商品根据性质不宜退货，且您在购买时已单独确认不适用七日无理由退货。",
                "《消费者权益保护法》第二十五条第二款；《消费者权益保护法实施条例》第十九条",
            );
        }
        _ => {}
    }
    if !r.intact && !r.opened_for_inspection {
        return no(
            "退回的商品应当完好；商品已影响二次销售（如一次性密封包装破损、标签缺失、擅自维修），不适用七日无理由退货。",
            "《消费者权益保护法》第二十五条第三款",
        );
    }
    let mut basis = String::from(
        "网络购买的商品自签收之日起七日内可无理由退货，商家应在收到退回商品之日起七日内退还货款。",
    );
    if r.class == ReturnClass::ConfirmAtPurchase {
        basis.push_str("该商品虽属不宜退货的类别，但购买时未经您单独确认，商家不得拒绝退货。");
    }
    if r.opened_for_inspection {
        basis.push_str("为检查或合理调试而拆封商品，不影响退货。");
    }
    ReturnDecision {
        eligible: true,
        window_ends,
        basis_zh: basis,
        citation: "《消费者权益保护法》第二十五条；《消费者权益保护法实施条例》第十九条",
    }
}

/// The statutory floor of punitive damages (CPL Art. 55): ¥500.
pub const PUNITIVE_FLOOR_FEN: i64 = 50_000;

/// What a fraud claim could cost, and why the case goes to legal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// Three times the price paid, at least ¥500, in fen.
    pub amount_fen: i64,
    /// Why the case carries the risk (zh-CN).
    pub reason_zh: String,
}

/// Words in a consumer's demand that claim fraud or treble damages.
const FRAUD_WORDS: &[&str] = &[
    "欺诈",
    "假一赔三",
    "退一赔三",
    "三倍赔偿",
    "3倍赔偿",
    "三倍",
    "赔三",
    "惩罚性赔偿",
    "虚假宣传",
    "虚构",
    "假货",
    "刷单",
    "价格欺诈",
    "虚标原价",
];

/// The punitive-damages exposure of a case: a fraud claim — false price, false efficacy,
/// fake sales — risks three times the price, at least ¥500 (CPL Art. 55; 侵害消费者权益行为
/// 处罚办法 Art. 6, 16). `None` when nothing in the case claims fraud.
pub fn punitive_exposure(
    topic: CaseTopic,
    demand: &str,
    price_fen: Option<i64>,
) -> Option<Exposure> {
    let word = FRAUD_WORDS.iter().find(|w| demand.contains(**w));
    let topical = matches!(topic, CaseTopic::FalsePromotion | CaseTopic::Price);
    if word.is_none() && !topical {
        return None;
    }
    let amount_fen = price_fen
        .map(|p| p.saturating_mul(3))
        .unwrap_or(0)
        .max(PUNITIVE_FLOOR_FEN);
    let why = match word {
        Some(w) => format!("消费者主张「{w}」"),
        None => "投诉涉及虚假或引人误解的宣传、价格".to_string(),
    };
    Some(Exposure {
        amount_fen,
        reason_zh: format!(
            "{why}：若认定欺诈，需按价款三倍赔偿（不足五百元按五百元），见《消费者权益保护法》第五十五条。已转法务。"
        ),
    })
}

/// The complexity a new case starts with until a person decides: regulator referrals,
/// fraud claims and personal-information cases are complex, the rest ordinary.
pub fn default_complexity(
    kind: liveguard_core::CaseKind,
    exposure: bool,
    topic: CaseTopic,
) -> Complexity {
    if exposure || kind == liveguard_core::CaseKind::Referral || topic == CaseTopic::PersonalInfo {
        Complexity::Complex
    } else {
        Complexity::Ordinary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::beijing;

    fn request(class: ReturnClass) -> ReturnRequest {
        ReturnRequest {
            class,
            distance_sale: true,
            received_at: beijing(2026, 12, 1, 15, 0),
            requested_at: beijing(2026, 12, 5, 9, 0),
            digital_unsealed: false,
            confirmed_at_purchase: false,
            opened_for_inspection: false,
            intact: true,
        }
    }

    #[test]
    fn ordinary_goods_are_returnable_within_seven_days_of_receipt() {
        let d = decide_return(&request(ReturnClass::Standard));
        assert!(d.eligible, "{d:?}");
        assert_eq!(d.window_ends, beijing(2026, 12, 9, 0, 0));
        let late = ReturnRequest {
            requested_at: beijing(2026, 12, 9, 0, 1),
            ..request(ReturnClass::Standard)
        };
        assert!(!decide_return(&late).eligible);
        // The last minute of the 8th of December still counts.
        let last = ReturnRequest {
            requested_at: beijing(2026, 12, 8, 23, 59),
            ..request(ReturnClass::Standard)
        };
        assert!(decide_return(&last).eligible);
    }

    #[test]
    fn the_four_statutory_exclusions_are_refused_with_their_article() {
        for (class, item) in [
            (ReturnClass::CustomMade, "（一）"),
            (ReturnClass::Perishable, "（二）"),
            (ReturnClass::Periodical, "（四）"),
        ] {
            let d = decide_return(&request(class));
            assert!(!d.eligible && d.citation.contains(item), "{d:?}");
        }
        // Digital goods only once unsealed or downloaded.
        assert!(decide_return(&request(ReturnClass::Digital)).eligible);
        let unsealed = ReturnRequest {
            digital_unsealed: true,
            ..request(ReturnClass::Digital)
        };
        assert!(decide_return(&unsealed).citation.contains("（三）"));
    }

    #[test]
    fn unsuitable_goods_are_excluded_only_with_a_confirmation_at_purchase() {
        let d = decide_return(&request(ReturnClass::ConfirmAtPurchase));
        assert!(d.eligible && d.basis_zh.contains("未经您单独确认"), "{d:?}");
        let confirmed = ReturnRequest {
            confirmed_at_purchase: true,
            ..request(ReturnClass::ConfirmAtPurchase)
        };
        assert!(!decide_return(&confirmed).eligible);
    }

    #[test]
    fn opening_for_inspection_does_not_bar_a_return_but_damage_does() {
        let opened = ReturnRequest {
            opened_for_inspection: true,
            intact: false,
            ..request(ReturnClass::Standard)
        };
        let d = decide_return(&opened);
        assert!(d.eligible && d.basis_zh.contains("检查"), "{d:?}");
        let damaged = ReturnRequest {
            intact: false,
            ..request(ReturnClass::Standard)
        };
        assert!(!decide_return(&damaged).eligible);
    }

    #[test]
    fn a_fraud_claim_carries_treble_damages_with_a_floor_of_500_yuan() {
        let e = punitive_exposure(CaseTopic::Quality, "要求退一赔三", Some(29_900)).unwrap();
        assert_eq!(e.amount_fen, 89_700);
        assert!(e.reason_zh.contains("退一赔三"));
        let e = punitive_exposure(CaseTopic::FalsePromotion, "退款", Some(9_900)).unwrap();
        assert_eq!(e.amount_fen, PUNITIVE_FLOOR_FEN);
        assert!(punitive_exposure(CaseTopic::Quality, "换一个新的", Some(9_900)).is_none());
        assert_eq!(
            default_complexity(
                liveguard_core::CaseKind::Complaint,
                true,
                CaseTopic::Quality
            ),
            Complexity::Complex
        );
        assert_eq!(
            default_complexity(
                liveguard_core::CaseKind::Complaint,
                false,
                CaseTopic::Quality
            ),
            Complexity::Ordinary
        );
    }
}
