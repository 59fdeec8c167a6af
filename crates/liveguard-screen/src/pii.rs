//! Personal-information detectors: validated, not bare regular expressions.
//!
//! Digits may be written in ASCII, full width, circled or Chinese numerals, and
//! separated by spaces, dashes or dots (`138 1234 5678`, `一三八一二三四五六七八`).
//! Numbers are validated: mobile prefixes, the GB 11643 check digit and birth date of
//! resident ID numbers, the Luhn sum and issuer prefix of bank cards. QQ and WeChat ids
//! are only taken after a context word (QQ号, 微信, vx), because a bare string of letters
//! and digits is not personal information by itself.
//!
//! Every detector reports byte ranges of the ORIGINAL text and a masked replacement.

use std::ops::Range;

use liveguard_normalize::digit_value;
use serde::Deserialize;

/// The built-in detectors a rule can name with `detector = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Mainland mobile numbers (1[3-9] + 9 digits, optional +86).
    CnMobile,
    /// Resident ID numbers (18 characters, GB 11643 check digit, valid birth date).
    CnResidentId,
    /// Bank card numbers (16–19 digits, issuer prefix, Luhn).
    BankCard,
    /// E-mail addresses.
    Email,
    /// QQ numbers after a QQ context word.
    QqNumber,
    /// WeChat ids after a WeChat context word.
    WechatId,
    /// Street addresses with a road and a house number.
    StreetAddress,
    /// 18-character numbers shaped like a resident ID (province code, birth date) whose
    /// check digit is wrong, and any 15–18-digit number right after 身份证 / 证件号: masked
    /// as personal data (a mistyped ID still is), but not a validated ID, so rules normally
    /// do not flag them.
    ResidentIdUnchecked,
}

impl Detector {
    /// Every detector.
    pub const ALL: &'static [Detector] = &[
        Detector::CnMobile,
        Detector::CnResidentId,
        Detector::BankCard,
        Detector::Email,
        Detector::QqNumber,
        Detector::WechatId,
        Detector::StreetAddress,
        Detector::ResidentIdUnchecked,
    ];
}

/// One piece of personal information found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiMatch {
    /// Which detector found it.
    pub detector: Detector,
    /// Byte range in the original text.
    pub range: Range<usize>,
    /// The text to show instead (for example `138****5678`).
    pub masked: String,
}

/// Longest digit run any detector looks at (19-digit bank cards, +86 mobiles, 18-char IDs).
const RUN_DIGITS_MAX: usize = 19;
/// Shortest digit run any detector looks at (5-digit QQ numbers).
const RUN_DIGITS_MIN: usize = 5;
/// Longest run of digits read at all: a number glued to numeral characters around it
/// (`张三13800138000`, `第一…`) is found inside a run up to this long; longer runs are
/// not personal information we recognise and are skipped without allocating.
const RUN_SCAN_DIGITS_MAX: usize = 40;
/// Numeral characters trimmed from either end of a run written in Chinese numerals when
/// the whole run is not a number we know (`张三一三八…`: 三 is part of the name).
const RUN_TRIM_MAX: usize = 2;

/// How a digit is written: a number is written in one script, so a change of script inside
/// a run is where a name or a word (`三`, `第一`) touches the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// ASCII or full-width digits.
    Arabic,
    /// Chinese numerals (一, 壹, 两, 〇 …).
    Chinese,
    /// Circled and parenthesised digits.
    Enclosed,
}

fn script_of(c: char) -> Script {
    match c {
        '0'..='9' | '０'..='９' => Script::Arabic,
        '\u{2460}'..='\u{24FF}' => Script::Enclosed,
        _ => Script::Chinese,
    }
}

/// A candidate number: some digits of a run, with the byte range they cover in the
/// original text.
struct DigitRun {
    range: Range<usize>,
    digits: [u8; RUN_DIGITS_MAX],
    len: usize,
    /// Trailing X of an ID number (counted as the 18th character).
    x_suffix: bool,
}

impl DigitRun {
    fn digits(&self) -> &[u8] {
        &self.digits[..self.len]
    }
}

/// One digit of a run as read: value, script and its bytes in the original text.
#[derive(Debug, Clone, Copy)]
struct RunDigit {
    value: u8,
    script: Script,
    start: usize,
    end: usize,
}

/// A whole run of digits (tolerant of single separators), before it is cut into candidates.
struct RawRun {
    digits: [RunDigit; RUN_SCAN_DIGITS_MAX],
    len: usize,
    overflow: bool,
    /// Byte end of an X right after the last digit.
    x_end: Option<usize>,
}

impl RawRun {
    /// The candidate made of digits `from..to`, if it is short enough for a detector.
    fn candidate(&self, from: usize, to: usize) -> Option<DigitRun> {
        let n = to - from;
        if n > RUN_DIGITS_MAX || n == 0 {
            return None;
        }
        let mut digits = [0u8; RUN_DIGITS_MAX];
        for (slot, d) in digits.iter_mut().zip(&self.digits[from..to]) {
            *slot = d.value;
        }
        let x_suffix = to == self.len && n == 17 && self.x_end.is_some();
        let end = if x_suffix {
            self.x_end.unwrap_or(self.digits[to - 1].end)
        } else {
            self.digits[to - 1].end
        };
        Some(DigitRun {
            range: self.digits[from].start..end,
            digits,
            len: n,
            x_suffix,
        })
    }
}

const RUN_SEPARATORS: &[char] = &[' ', '-', '.', '\u{3000}', '—', '－', '‐', '_', '·'];

/// Calls `on_run` for every candidate number in `text`, without allocating, and lets it
/// say whether the candidate was personal information.
///
/// A run is tried whole first (a number may be spelt in mixed scripts to evade masking).
/// When that finds nothing, the run is cut where the script changes (`张三13800138000`:
/// `三` then `13800138000`), and a run written in Chinese numerals is tried with up to
/// [`RUN_TRIM_MAX`] numerals trimmed at either end (`张三一三八…`).
fn for_each_digit_run(text: &str, mut on_run: impl FnMut(&DigitRun) -> bool) {
    let mut run: Option<RawRun> = None;
    let mut pending_sep = false;
    for (i, c) in text.char_indices() {
        if let Some(d) = digit_value(c) {
            let r = run.get_or_insert(RawRun {
                digits: [RunDigit {
                    value: 0,
                    script: Script::Arabic,
                    start: 0,
                    end: 0,
                }; RUN_SCAN_DIGITS_MAX],
                len: 0,
                overflow: false,
                x_end: None,
            });
            if r.len < RUN_SCAN_DIGITS_MAX {
                r.digits[r.len] = RunDigit {
                    value: d,
                    script: script_of(c),
                    start: i,
                    end: i + c.len_utf8(),
                };
                r.len += 1;
            } else {
                r.overflow = true;
            }
            pending_sep = false;
            continue;
        }
        if run.is_some() && !pending_sep && RUN_SEPARATORS.contains(&c) {
            pending_sep = true;
            continue;
        }
        if let Some(mut r) = run.take() {
            if matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ') && !pending_sep {
                r.x_end = Some(i + c.len_utf8());
            }
            split_run(&r, &mut on_run);
        }
        pending_sep = false;
    }
    if let Some(r) = run {
        split_run(&r, &mut on_run);
    }
}

fn split_run(r: &RawRun, on_run: &mut impl FnMut(&DigitRun) -> bool) {
    if r.overflow || r.len < RUN_DIGITS_MIN {
        return;
    }
    if r.candidate(0, r.len).is_some_and(|whole| on_run(&whole)) {
        return;
    }
    // Cut where the script changes.
    let mut from = 0;
    let mut cut = false;
    for to in 1..=r.len {
        if to == r.len || r.digits[to].script != r.digits[from].script {
            if from > 0 || to < r.len {
                cut = true;
                if to - from >= RUN_DIGITS_MIN
                    && let Some(part) = r.candidate(from, to)
                {
                    on_run(&part);
                }
            }
            from = to;
        }
    }
    if cut {
        return;
    }
    // One script throughout: Chinese numerals at the ends may belong to a name.
    if r.digits[0].script != Script::Chinese {
        return;
    }
    for lead in 0..=RUN_TRIM_MAX {
        for trail in 0..=RUN_TRIM_MAX {
            if lead + trail == 0 || lead + trail + RUN_DIGITS_MIN > r.len {
                continue;
            }
            if let Some(part) = r.candidate(lead, r.len - trail)
                && matches!(part.len, 11 | 17 | 18)
                && on_run(&part)
            {
                return;
            }
        }
    }
}

/// Context words for QQ and WeChat ids, bank cards and ID numbers, found in one pass by a
/// small automaton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Qq,
    Wechat,
    /// A card or account number follows: one that fails the Luhn check is still masked.
    Card,
    /// An ID number follows: one that fails the check digit or date is still masked.
    Id,
}

const CARD_CONTEXT: &[&str] = &[
    "卡号",
    "银行卡",
    "信用卡",
    "储蓄卡",
    "借记卡",
    "银行账号",
    "收款账号",
    "银行账户",
    "开户行",
];
const ID_CONTEXT: &[&str] = &["身份证", "证件号", "身份号码", "身份证号码"];

const QQ_CONTEXT: &[&str] = &["qq", "ＱＱ", "ｑｑ", "扣扣", "企鹅", "q号"];
const WECHAT_CONTEXT: &[&str] = &[
    "微信", "薇信", "威信", "维信", "v信", "vx", "ｖｘ", "ＶＸ", "wx", "ｗｘ", "加v", "加ｖ",
    "weixin", "wechat",
];

fn cue_automaton() -> &'static (aho_corasick::AhoCorasick, Vec<Cue>) {
    static CUES: std::sync::OnceLock<(aho_corasick::AhoCorasick, Vec<Cue>)> =
        std::sync::OnceLock::new();
    CUES.get_or_init(|| {
        let (patterns, kinds): (Vec<&str>, Vec<Cue>) = [
            (QQ_CONTEXT, Cue::Qq),
            (WECHAT_CONTEXT, Cue::Wechat),
            (CARD_CONTEXT, Cue::Card),
            (ID_CONTEXT, Cue::Id),
        ]
        .into_iter()
        .flat_map(|(words, kind)| words.iter().map(move |w| (*w, kind)))
        .unzip();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("the cue patterns are valid literals");
        (ac, kinds)
    })
}

/// What normalization already knows about a text, so detectors that cannot match are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    /// Longest run of digits (any script, separators removed).
    pub digit_run_max: usize,
    /// Longest run of ASCII letters and digits (separators removed).
    pub alnum_run_max: usize,
}

impl Hints {
    /// No knowledge: every detector runs.
    pub const UNKNOWN: Hints = Hints {
        digit_run_max: usize::MAX,
        alnum_run_max: usize::MAX,
    };
}

/// Runs every detector in `which` over `text`. Matches are sorted by start and do not overlap.
pub fn detect(text: &str, which: &[Detector]) -> Vec<PiiMatch> {
    detect_with_hints(text, which, Hints::UNKNOWN)
}

/// [`detect`], skipping detectors that `hints` rule out.
pub fn detect_with_hints(text: &str, which: &[Detector], hints: Hints) -> Vec<PiiMatch> {
    let mut out = Vec::new();
    let digits = hints.digit_run_max >= RUN_DIGITS_MIN;
    let wechat_possible = hints.alnum_run_max >= 6;
    let wants = |d: Detector| which.contains(&d);
    let wants_qq = wants(Detector::QqNumber) && digits;
    let wants_wechat = wants(Detector::WechatId) && wechat_possible;
    // (cue end byte, kind), in text order.
    let mut cues: Vec<(usize, Cue)> = Vec::new();
    let wants_unchecked =
        digits && (wants(Detector::BankCard) || wants(Detector::ResidentIdUnchecked));
    if wants_qq || wants_wechat || wants_unchecked {
        let (ac, kinds) = cue_automaton();
        cues.extend(
            ac.find_iter(text)
                .map(|m| (m.end(), kinds[m.pattern().as_usize()])),
        );
    }
    if digits
        && (wants(Detector::CnMobile)
            || wants(Detector::CnResidentId)
            || wants(Detector::ResidentIdUnchecked)
            || wants(Detector::BankCard)
            || wants_qq)
    {
        for_each_digit_run(text, |run| {
            let before = out.len();
            classify_run(text, run, which, &cues, &mut out);
            out.len() > before
        });
    }
    if wants(Detector::Email) && text.as_bytes().contains(&b'@') {
        detect_emails(text, &mut out);
    }
    if wants_wechat {
        for &(end, kind) in &cues {
            if kind == Cue::Wechat {
                wechat_id_after(text, end, &mut out);
            }
        }
    }
    if wants(Detector::StreetAddress) && hints.digit_run_max >= 1 && text.contains('号') {
        detect_addresses(text, &mut out);
    }
    if out.len() > 1 {
        out.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end)));
        // Keep the first (longest) of overlapping matches.
        let mut kept: Vec<PiiMatch> = Vec::with_capacity(out.len());
        for m in out {
            if kept.last().is_some_and(|k| m.range.start < k.range.end) {
                continue;
            }
            kept.push(m);
        }
        return kept;
    }
    out
}

fn classify_run(
    text: &str,
    run: &DigitRun,
    which: &[Detector],
    cues: &[(usize, Cue)],
    out: &mut Vec<PiiMatch>,
) {
    let wants = |d: Detector| which.contains(&d);
    let d = run.digits();
    let n = d.len();
    if (n == 18 || (n == 17 && run.x_suffix)) && valid_resident_id(d, run.x_suffix) {
        if wants(Detector::CnResidentId) {
            out.push(PiiMatch {
                detector: Detector::CnResidentId,
                range: run.range.clone(),
                masked: mask_keep(d, run.x_suffix, 6, 4),
            });
        }
        return;
    }
    if wants(Detector::ResidentIdUnchecked) && n == 18 && plausible_resident_id(d) {
        out.push(PiiMatch {
            detector: Detector::ResidentIdUnchecked,
            range: run.range.clone(),
            masked: mask_keep(d, false, 6, 4),
        });
        return;
    }
    // Right after 身份证 / 证件号: an ID even when its check digit or date is wrong (a
    // mistyped ID is still personal data), 15 digits (the old format) to 18.
    if wants(Detector::ResidentIdUnchecked)
        && ((15..=18).contains(&n) || (n == 17 && run.x_suffix))
        && cue_before(text, cues, Cue::Id, run.range.start)
    {
        out.push(PiiMatch {
            detector: Detector::ResidentIdUnchecked,
            range: run.range.clone(),
            masked: mask_keep(d, run.x_suffix, 6, if n >= 17 { 4 } else { 3 }),
        });
        return;
    }
    if run.x_suffix {
        return;
    }
    if wants(Detector::CnMobile)
        && let Some(skip) = mobile_offset(d)
    {
        out.push(PiiMatch {
            detector: Detector::CnMobile,
            range: run.range.clone(),
            masked: mask_keep(&d[skip..], false, 3, 4),
        });
        return;
    }
    if wants(Detector::BankCard)
        && (16..=19).contains(&n)
        && matches!(d[0], 3..=6)
        && luhn_valid(d)
        && !preceded_by_any(
            text,
            run.range.start,
            &["订单", "单号", "快递", "运单", "物流"],
        )
    {
        out.push(PiiMatch {
            detector: Detector::BankCard,
            range: run.range.clone(),
            masked: mask_keep(d, false, 0, 4),
        });
        return;
    }
    // Right after 卡号 / 银行卡 …: a card or account number even when the Luhn check fails
    // (mistyped, or an account number that has none).
    if wants(Detector::BankCard)
        && (12..=19).contains(&n)
        && cue_before(text, cues, Cue::Card, run.range.start)
    {
        out.push(PiiMatch {
            detector: Detector::BankCard,
            range: run.range.clone(),
            masked: mask_keep(d, false, 0, 4),
        });
        return;
    }
    if wants(Detector::QqNumber)
        && (5..=11).contains(&n)
        && d[0] != 0
        && cues.iter().any(|&(end, kind)| {
            kind == Cue::Qq
                && end <= run.range.start
                && chars_between(text, end, run.range.start) <= 6
        })
    {
        out.push(PiiMatch {
            detector: Detector::QqNumber,
            range: run.range.clone(),
            masked: mask_keep(d, false, 2, 0),
        });
    }
}

/// Whether a `kind` context word ends at most 6 characters before `start`.
fn cue_before(text: &str, cues: &[(usize, Cue)], kind: Cue, start: usize) -> bool {
    cues.iter()
        .any(|&(end, k)| k == kind && end <= start && chars_between(text, end, start) <= 6)
}

fn chars_between(text: &str, from: usize, to: usize) -> usize {
    text[from..to].chars().count()
}

/// Replaces every detected piece of personal information with its mask.
pub fn mask(text: &str, which: &[Detector]) -> (String, usize) {
    let matches = detect(text, which);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in &matches {
        out.push_str(&text[at..m.range.start]);
        out.push_str(&m.masked);
        at = m.range.end;
    }
    out.push_str(&text[at..]);
    (out, matches.len())
}

fn mobile_offset(d: &[u8]) -> Option<usize> {
    let skip = match d.len() {
        11 => 0,
        13 if d[0] == 8 && d[1] == 6 => 2,
        _ => return None,
    };
    let m = &d[skip..];
    (m[0] == 1 && (3..=9).contains(&m[1])).then_some(skip)
}

/// GB 11643-1999 check digit and a plausible birth date (YYYYMMDD at positions 7–14).
fn valid_resident_id(d: &[u8], x_suffix: bool) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u8; 11] = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2]; // 10 = X
    let sum: u32 = d[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(&x, w)| x as u32 * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    let actual = if x_suffix { 10 } else { d[17] };
    if expected != actual {
        return false;
    }
    let num = |r: Range<usize>| d[r].iter().fold(0u32, |acc, &x| acc * 10 + x as u32);
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    (1900..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// An 18-character number shaped like a resident ID — a province code and a birth date —
/// whose check digit is wrong: a mistyped ID is still personal data (security review F10).
fn plausible_resident_id(d: &[u8]) -> bool {
    const PROVINCES: &[u32] = &[
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51,
        52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
    ];
    let num = |r: Range<usize>| d[r].iter().fold(0u32, |acc, &x| acc * 10 + x as u32);
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    PROVINCES.contains(&num(0..2))
        && (1900..=2099).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
}

fn luhn_valid(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = x as u32;
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn mask_keep(d: &[u8], x_suffix: bool, head: usize, tail: usize) -> String {
    let mut s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    if x_suffix {
        s.push('X');
    }
    let n = s.len();
    let (head, tail) = if head + tail >= n {
        (0, 0)
    } else {
        (head, tail)
    };
    s.char_indices()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// Whether one of `cues` ends within 8 characters before `byte` (separators such as
/// `号`, `:`, spaces allowed in between).
fn preceded_by_any(text: &str, byte: usize, cues: &[&str]) -> bool {
    let before = &text[..byte];
    let window_start = before
        .char_indices()
        .rev()
        .nth(7)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let window = &before[window_start..];
    cues.iter().any(|cue| window.contains(cue))
}

fn detect_emails(text: &str, out: &mut Vec<PiiMatch>) {
    let bytes = text.as_bytes();
    for (at, c) in text.char_indices() {
        if c != '@' {
            continue;
        }
        let mut start = at;
        while start > 0 {
            let b = bytes[start - 1];
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-') {
                start -= 1;
            } else {
                break;
            }
        }
        let mut end = at + 1;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'-'))
        {
            end += 1;
        }
        while end > at + 1 && bytes[end - 1] == b'.' {
            end -= 1;
        }
        let local = &text[start..at];
        let domain = &text[at + 1..end];
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        });
        if !local.is_empty() && tld_ok {
            let first = local.chars().next().unwrap_or('*');
            out.push(PiiMatch {
                detector: Detector::Email,
                range: start..end,
                masked: format!("{first}***@{domain}"),
            });
        }
    }
}

/// A WeChat id right after a cue ending at `cue_end`: filler (号, 是, colon, spaces) is
/// skipped, then 6–20 letters, digits, `_` or `-` starting with a letter (or all digits).
fn wechat_id_after(text: &str, cue_end: usize, out: &mut Vec<PiiMatch>) {
    let mut id_start = cue_end;
    for (i, c) in text[cue_end..].char_indices() {
        if matches!(
            c,
            '号' | '是' | ':' | '：' | ' ' | '\u{3000}' | '-' | '～' | '~'
        ) && i < 12
        {
            id_start = cue_end + i + c.len_utf8();
        } else {
            break;
        }
    }
    let id_len = text[id_start..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    let id = &text[id_start..id_start + id_len];
    let starts_with_letter = id.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    let all_digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    if (6..=20).contains(&id_len) && (starts_with_letter || all_digits) {
        let head: String = id.chars().take(2).collect();
        out.push(PiiMatch {
            detector: Detector::WechatId,
            range: id_start..id_start + id_len,
            masked: format!("{head}****"),
        });
    }
}

const ROAD_MARKS: &[char] = &['路', '街', '道', '巷', '弄', '里'];
const AREA_MARKS: &[char] = &['省', '市', '区', '县', '镇', '乡'];

/// `…市…区…路12号[3栋][501室]`: an area mark, then a road mark, then a house number.
fn detect_addresses(text: &str, out: &mut Vec<PiiMatch>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if c != '号' {
            i += 1;
            continue;
        }
        // Digits right before 号.
        let mut j = i;
        while j > 0 && digit_value(chars[j - 1].1).is_some() {
            j -= 1;
        }
        if j == i || j == 0 || !ROAD_MARKS.contains(&chars[j - 1].1) {
            i += 1;
            continue;
        }
        let road_at = j - 1;
        // Walk back over CJK characters to find an area mark (at most 20 characters).
        let mut k = road_at;
        let mut area: Option<usize> = None;
        while k > 0 && road_at - k < 20 {
            let prev = chars[k - 1].1;
            if !is_cjk(prev) {
                break;
            }
            k -= 1;
            if AREA_MARKS.contains(&prev) {
                area = Some(k);
            }
        }
        let Some(first_area) = area else {
            i += 1;
            continue;
        };
        // Place names before the first area mark are two or three characters (上海市, 北京市);
        // take two so that a verb before the address (寄到) stays out of the span.
        let k = first_area.saturating_sub(2).max(k);
        // Extend over building/room details: 3栋2单元501室.
        let mut end = i + 1;
        while end < chars.len() {
            let c = chars[end].1;
            if digit_value(c).is_some()
                || matches!(
                    c,
                    '栋' | '幢' | '单' | '元' | '楼' | '室' | '层' | '座' | '号' | '-'
                )
            {
                end += 1;
            } else {
                break;
            }
        }
        let start_byte = chars[k].0;
        let end_byte = chars.get(end).map(|(b, _)| *b).unwrap_or(text.len());
        let keep_end = chars[road_at].0 + chars[road_at].1.len_utf8();
        out.push(PiiMatch {
            detector: Detector::StreetAddress,
            range: start_byte..end_byte,
            masked: format!("{}***", &text[start_byte..keep_end]),
        });
        i = end;
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Detector, &str, String)> {
        detect(text, Detector::ALL)
            .into_iter()
            .map(|m| (m.detector, &text[m.range.clone()], m.masked))
            .collect()
    }

    #[test]
    fn mobile_in_many_spellings() {
        for t in [
            "电话13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "一三八一二三四五六七八",
            "+86 138 1234 5678",
            "１３８１２３４５６７８",
        ] {
            let f = found(t);
            assert_eq!(f.len(), 1, "{t}: {f:?}");
            assert_eq!(f[0].0, Detector::CnMobile);
            assert_eq!(f[0].2, "138****5678");
        }
        assert!(
            found("订单12812345678").is_empty(),
            "12x is not a mobile prefix"
        );
        assert!(
            found("138123456789").is_empty(),
            "12 digits is not a mobile"
        );
    }

    #[test]
    fn resident_id_check_digit() {
        // A valid check digit (computed by GB 11643) and a broken one.
        let ok = "11010519491231002X";
        let f = found(ok);
        assert_eq!(f[0].0, Detector::CnResidentId, "{f:?}");
        assert_eq!(f[0].2, "110105********002X");
        // A wrong check digit on an ID-shaped number: still masked (a mistyped ID is
        // still personal data), but not a random 18-digit number.
        assert_eq!(
            found("110105194912310021")[0].0,
            Detector::ResidentIdUnchecked
        );
        assert!(
            detect("110105194912310021", &[Detector::CnResidentId]).is_empty(),
            "not a validated ID"
        );
        assert_eq!(found("110101199003074578")[0].2, "110101********4578");
        assert!(
            found("990105194912310021")
                .iter()
                .all(|m| m.0 != Detector::CnResidentId),
            "no such province"
        );
        assert!(
            found("110105194913310028")
                .iter()
                .all(|m| m.0 != Detector::CnResidentId),
            "month 13"
        );
    }

    #[test]
    fn bank_card_luhn_and_order_numbers() {
        let f = found("卡号6222021234567890128");
        // 6222021234567890128: Luhn-valid 19 digits
        assert!(luhn_valid(&[
            6, 2, 2, 2, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 8
        ]));
        assert_eq!(f[0].0, Detector::BankCard);
        assert_eq!(f[0].2, "***************0128");
        assert!(found("订单号6222021234567890128").is_empty());
        assert!(
            found("6222021234567890127").is_empty(),
            "bad Luhn, no context"
        );
        assert!(found("订单号6222021234567890127").is_empty());
        // After a card context word the number is masked even when the Luhn check fails.
        let f = found("卡号6222021234567890127");
        assert_eq!(f[0].0, Detector::BankCard, "{f:?}");
        assert_eq!(f[0].2, "***************0127");
        let f = found("打到我的银行卡：6222 0212 3456 7890 12 就行");
        assert_eq!(f[0].0, Detector::BankCard, "{f:?}");
        // An ID number after 身份证 with an impossible date and a wrong check digit.
        let f = found("身份证号：110105194913310028");
        assert_eq!(f[0].0, Detector::ResidentIdUnchecked, "{f:?}");
        assert_eq!(f[0].2, "110105********0028");
        let f = found("证件号 110105491231002");
        assert_eq!(f[0].0, Detector::ResidentIdUnchecked, "{f:?}");
        assert!(
            found("110105194913310028").is_empty(),
            "no context, impossible date"
        );
    }

    #[test]
    fn email_qq_wechat_need_context() {
        assert_eq!(
            found("联系 zhang.san@example.com 谢谢")[0].2,
            "z***@example.com"
        );
        assert_eq!(found("QQ号：12345678")[0].0, Detector::QqNumber);
        assert!(found("共12345678件").is_empty());
        let w = found("加我微信号: lucky_shop88 拿优惠");
        assert_eq!(w[0].0, Detector::WechatId);
        assert_eq!(w[0].1, "lucky_shop88");
        assert!(found("微信支付很方便").is_empty());
    }

    #[test]
    fn street_address() {
        let t = "寄到上海市浦东新区张江路88号3栋501室就行";
        let f = found(t);
        assert_eq!(f[0].0, Detector::StreetAddress);
        assert_eq!(f[0].1, "上海市浦东新区张江路88号3栋501室");
        assert_eq!(f[0].2, "上海市浦东新区张江路***");
        assert!(found("这是88号链接").is_empty());
    }

    /// Security review F2: numbers glued to numeral characters of names and words.
    #[test]
    fn r11_f2_numbers_touching_numerals_are_found() {
        for (t, want) in [
            ("张三13800138000", "13800138000"),
            ("张三 13800138000", "13800138000"),
            ("王五13800138000", "13800138000"),
            ("李四15912345678", "15912345678"),
            ("第一13800138000", "13800138000"),
            ("零13800138000", "13800138000"),
            ("13800138000三", "13800138000"),
            ("13800138000八", "13800138000"),
            ("电话两13800138000", "13800138000"),
            ("十13800138000", "13800138000"),
            ("三11010519491231002X", "11010519491231002X"),
            ("张三一三八一二三四五六七八", "一三八一二三四五六七八"),
            ("一三八一二三四五六七八三", "一三八一二三四五六七八"),
        ] {
            let f = found(t);
            assert_eq!(f.len(), 1, "{t}: {f:?}");
            assert_eq!(f[0].1, want, "{t}: {f:?}");
        }
        let two = found("13800138000三13900139000");
        assert_eq!(two.len(), 2, "{two:?}");
        // Still whole when written in mixed scripts on purpose.
        assert_eq!(found("一38 0013 8000")[0].1, "一38 0013 8000");
    }

    #[test]
    fn masking_replaces_spans() {
        let (masked, n) = mask("我的电话13812345678，微信abc12345", Detector::ALL);
        assert_eq!(n, 2);
        assert_eq!(masked, "我的电话138****5678，微信ab****");
    }
}
