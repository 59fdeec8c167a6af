//! Selling prices spoken or shown: `只要99`, `到手价 ¥129`, `直播间只要九十九块九`.

use std::ops::Range;

/// Words that introduce the price the buyer pays now (not a compared price).
const SELLING_KEYWORDS: &[&str] = &[
    "到手价",
    "直播价",
    "秒杀价",
    "活动价",
    "券后价",
    "现价",
    "只要",
    "只需",
    "仅需",
    "仅售",
    "售价",
    "到手",
    "券后",
];

/// Filler allowed between the keyword and the number.
fn filler(c: char) -> bool {
    matches!(
        c,
        ':' | '：' | '¥' | '￥' | ' ' | '\u{3000}' | '是' | '为' | '就' | '要' | '都' | '卖'
    )
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn cn_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn cn_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1_000,
        '万' => 10_000,
        _ => return None,
    })
}

/// Parses a whole number in Chinese numerals at the start of `s` (`九十九`, `一百二十九`,
/// colloquial `一百二` = 120, `三千五` = 3500); returns the value and the bytes consumed.
pub fn parse_chinese_number(s: &str) -> Option<(u64, usize)> {
    let mut total: u64 = 0; // completed 万 sections
    let mut section: u64 = 0;
    let mut digit: Option<u64> = None;
    let mut last_unit: u64 = 0;
    let mut used = 0;
    for c in s.chars() {
        if c == '零' || c == '〇' {
            // 一百零五: the next digit is units.
            if digit.is_some() {
                break;
            }
            last_unit = 0;
        } else if let Some(d) = cn_digit(c) {
            if digit.is_some() {
                // Two digits in a row (一二) is not a price.
                break;
            }
            digit = Some(d);
        } else if let Some(u) = cn_unit(c) {
            if u == 10_000 {
                section += digit.take().unwrap_or(0);
                total = (total + section) * 10_000;
                section = 0;
                last_unit = 10_000;
            } else {
                // 十 alone means 10.
                let d = digit.take().unwrap_or(if u == 10 { 1 } else { 0 });
                if d == 0 && u != 10 {
                    break;
                }
                section += d * u;
                last_unit = u;
            }
        } else {
            break;
        }
        used += c.len_utf8();
    }
    if used == 0 {
        return None;
    }
    if let Some(d) = digit {
        // 一百二 = 120: a trailing digit right after a unit counts in the next unit down.
        section += if last_unit >= 100 {
            d * (last_unit / 10)
        } else {
            d
        };
    }
    Some((total + section, used))
}

/// Parses a price (Arabic or Chinese numerals, with 元/块/块钱 and a 块九-style jiao) at
/// the start of `s`; returns fen and bytes consumed.
fn parse_price(s: &str) -> Option<(i64, usize)> {
    let mut used = 0;
    let mut fen: i64;
    let ascii_len: usize = s
        .char_indices()
        .take_while(|(_, c)| digit_value(*c).is_some() || *c == '.')
        .map(|(_, c)| c.len_utf8())
        .sum();
    if ascii_len > 0 {
        let digits: String = s[..ascii_len]
            .chars()
            .map(|c| {
                digit_value(c)
                    .map(|d| char::from(b'0' + d as u8))
                    .unwrap_or(c)
            })
            .collect();
        let digits = digits.trim_end_matches('.');
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || whole.len() > 9 || frac.contains('.') {
            return None;
        }
        fen = whole.parse::<i64>().ok()? * 100;
        let mut frac_digits = frac.chars();
        if let Some(d) = frac_digits.next() {
            fen += (d as i64 - '0' as i64) * 10;
        }
        if let Some(d) = frac_digits.next() {
            fen += d as i64 - '0' as i64;
        }
        used = ascii_len;
    } else {
        let (v, n) = parse_chinese_number(s)?;
        if v > 10_000_000 {
            return None;
        }
        fen = v as i64 * 100;
        used += n;
    }
    let rest = &s[used..];
    for unit in ["块钱", "元", "块"] {
        if let Some(after) = rest.strip_prefix(unit) {
            used += unit.len();
            // 九块九 / 9块9: the digit after 块 is jiao.
            if unit == "块"
                && let Some(c) = after.chars().next()
                && let Some(d) = digit_value(c)
                    .map(u64::from)
                    .or_else(|| cn_digit(c).filter(|_| !after[c.len_utf8()..].starts_with('十')))
            {
                fen += d as i64 * 10;
                used += c.len_utf8();
            }
            break;
        }
    }
    Some((fen, used))
}

/// Selling prices in `text`: each keyword-led price as (byte range of keyword and price,
/// price in fen). Compared prices (原价, 划线价 …) are not selling prices and are left to the
/// engine's reference-price rules.
pub fn selling_prices(text: &str) -> Vec<(Range<usize>, i64)> {
    let mut out: Vec<(Range<usize>, i64)> = Vec::new();
    for kw in SELLING_KEYWORDS {
        let mut from = 0;
        while let Some(pos) = text[from..].find(kw) {
            let start = from + pos;
            let mut i = start + kw.len();
            from = i;
            // A longer keyword already took this place (到手价 before 到手).
            if out.iter().any(|(r, _)| r.contains(&start)) {
                continue;
            }
            let mut skipped = 0;
            for c in text[i..].chars() {
                if filler(c) && skipped < 4 {
                    i += c.len_utf8();
                    skipped += 1;
                } else {
                    break;
                }
            }
            if let Some((fen, n)) = parse_price(&text[i..]) {
                out.push((start..i + n, fen));
                from = i + n;
            }
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}
