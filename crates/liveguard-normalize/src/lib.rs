//! Folds Chinese text for matching and keeps an offset map back to the original.
//!
//! # Overview
//! People who want a banned word past a filter write it in full width (ＶＸ), in
//! traditional characters (療效), with symbols or invisible characters between the
//! characters (最*好, 最\u{200b}好, 最 好), or doubled (最最好). [`Normalizer`] undoes
//! all of that in one pass, character by character, so that a plain multi-pattern
//! automaton over the folded text finds the word, and every folded byte remembers
//! which bytes of the original it came from.
//!
//! The fold of one character is looked up in a table built once (65,536 entries for
//! the Basic Multilingual Plane, computed on the fly above it), so normalizing costs
//! a table lookup and a push per character.
//!
//! # Steps, in order, per character
//! 1. Invisible characters (zero-width spaces and joiners, soft hyphen, BOM, variation
//!    selectors, bidi controls) are dropped.
//! 2. NFKC compatibility folding: full width to half width, circled and full-width
//!    digits to ASCII digits, ligatures and compatibility ideographs to their base.
//! 3. Lower case (ASCII and other scripts, one-to-one mappings only).
//! 4. Traditional to simplified at character level, from OpenCC's `TSCharacters.txt`
//!    (Apache-2.0, `data/TSCharacters.txt`); the first candidate is taken. Phrase-level
//!    conversion is deliberately not done here: it is ten times slower and matching
//!    does not need it.
//! 5. Separators — whitespace, and symbols people insert between characters
//!    (`*~-_.·|/\^'"+=#&@:` and their full-width forms, brackets, dashes, bullets,
//!    arrows, box drawing, emoji) — are dropped. Sentence and clause punctuation
//!    (`。！？；，、!?;,` and line breaks) is kept, because rules look at sentences.
//! 6. A non-ASCII character equal to the previous kept character is merged into it
//!    (最最最好 → 最好); ASCII letters and digits in any script are never merged, since
//!    their repetition carries meaning (QQ, 100, 一三八八八…).
//!
//! The fold is idempotent: normalizing normalized text changes nothing.
//!
//! # Offsets
//! [`Normalized::original_range`] maps a byte range of the folded text back to a byte
//! range of the original. Both ends always land on character boundaries of the
//! original text. A merged run maps to the whole run.
#![deny(missing_docs)]

use std::ops::Range;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// Which folding steps run. Every field is explicit; [`NormalizeConfig::full`] turns all on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NormalizeConfig {
    /// NFKC compatibility folding (full width, circled digits, ligatures).
    pub compatibility: bool,
    /// Lower-case letters, and fold Cyrillic and Greek letters that look like Latin ones
    /// (the х in vх, the ο in qq) to those Latin letters.
    pub case_fold: bool,
    /// Traditional to simplified characters.
    pub traditional_to_simplified: bool,
    /// Drop whitespace, inserted symbols and invisible characters.
    pub strip_separators: bool,
    /// Merge runs of the same character (not ASCII digits).
    pub collapse_repeats: bool,
}

impl NormalizeConfig {
    /// Every step on: what the screening engine uses.
    pub const fn full() -> Self {
        NormalizeConfig {
            compatibility: true,
            case_fold: true,
            traditional_to_simplified: true,
            strip_separators: true,
            collapse_repeats: true,
        }
    }

    /// Every step off: the text is copied unchanged (invisible characters are still dropped).
    pub const fn none() -> Self {
        NormalizeConfig {
            compatibility: false,
            case_fold: false,
            traditional_to_simplified: false,
            strip_separators: false,
            collapse_repeats: false,
        }
    }
}

/// The fold of one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold<'a> {
    /// The character is dropped.
    Skip,
    /// The character becomes this one character.
    Char(char),
    /// The character becomes several characters (rare NFKC expansions such as ⑩ → 10).
    Str(&'a str),
}

const SKIP: u32 = u32::MAX;
const EXPANSION_BIT: u32 = 1 << 31;
/// Set on table entries whose folded character is a digit in some script ([`digit_value`]).
const DIGIT_BIT: u32 = 1 << 30;
const CHAR_MASK: u32 = 0x1F_FFFF;

/// Folds text according to a [`NormalizeConfig`]. Build once, share freely (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct Normalizer {
    config: NormalizeConfig,
    /// For every BMP code point: `SKIP`, a char value, or `EXPANSION_BIT | index`.
    table: Box<[u32]>,
    expansions: Vec<Box<str>>,
}

impl Normalizer {
    /// Builds the fold table for `config` (a few milliseconds).
    pub fn new(config: NormalizeConfig) -> Normalizer {
        let mut table = vec![0u32; 0x1_0000].into_boxed_slice();
        let mut expansions: Vec<Box<str>> = Vec::new();
        for cp in 0u32..0x1_0000 {
            let Some(c) = char::from_u32(cp) else {
                table[cp as usize] = cp; // surrogates never occur in a str
                continue;
            };
            table[cp as usize] = match fold_slow(config, c) {
                SlowFold::Skip => SKIP,
                SlowFold::Char(f) if digit_value(f).is_some() => f as u32 | DIGIT_BIT,
                SlowFold::Char(f) => f as u32,
                SlowFold::Str(s) => {
                    expansions.push(s.into_boxed_str());
                    EXPANSION_BIT | (expansions.len() as u32 - 1)
                }
            };
        }
        Normalizer {
            config,
            table,
            expansions,
        }
    }

    /// The configuration this normalizer was built with.
    pub fn config(&self) -> NormalizeConfig {
        self.config
    }

    /// Folds one character (steps 1–5; step 6 needs the neighbour and happens in [`Normalizer::normalize_into`]).
    #[inline]
    pub fn fold_char(&self, c: char) -> Fold<'_> {
        let cp = c as u32;
        if cp < 0x1_0000 {
            let v = self.table[cp as usize];
            if v == SKIP {
                Fold::Skip
            } else if v & EXPANSION_BIT != 0 {
                Fold::Str(&self.expansions[(v & !EXPANSION_BIT) as usize])
            } else {
                // The table only holds valid scalar values (or the surrogate placeholder,
                // which cannot come from a `char`).
                Fold::Char(char::from_u32(v & CHAR_MASK).unwrap_or(c))
            }
        } else {
            self.fold_astral(c)
        }
    }

    #[cold]
    fn fold_astral(&self, c: char) -> Fold<'_> {
        match fold_slow(self.config, c) {
            SlowFold::Skip => Fold::Skip,
            SlowFold::Char(f) => Fold::Char(f),
            // Astral expansions are rare (mathematical alphanumerics fold to one char);
            // keep the original rather than allocate.
            SlowFold::Str(_) => Fold::Char(c),
        }
    }

    /// Normalizes `text` into `out`, reusing its buffers.
    ///
    /// # Panics
    /// Panics if `text` is 4 GiB or longer (offsets are `u32`); callers bound their inputs far below that.
    pub fn normalize_into(&self, text: &str, out: &mut Normalized) {
        assert!(
            text.len() < u32::MAX as usize,
            "text of {} bytes exceeds the 4 GiB offset range",
            text.len()
        );
        out.text.clear();
        out.segments.clear();
        out.text.reserve(text.len());
        let mut runs = Runs::default();
        let collapse = self.config.collapse_repeats;
        let mut last: Option<char> = None;
        for (start, c) in text.char_indices() {
            let end = (start + c.len_utf8()) as u32;
            let start = start as u32;
            let cp = c as u32;
            if cp < 0x1_0000 {
                // Hot path: one table lookup per character.
                let v = self.table[cp as usize];
                if v == SKIP {
                    continue;
                }
                if v & EXPANSION_BIT == 0 {
                    let f = char::from_u32(v & CHAR_MASK).unwrap_or(c);
                    runs.see(f, v & DIGIT_BIT != 0);
                    out.push(f, f == c, start, end, collapse, &mut last);
                    continue;
                }
            }
            match self.fold_char(c) {
                Fold::Skip => {}
                Fold::Char(f) => {
                    runs.see(f, digit_value(f).is_some());
                    out.push(f, f == c, start, end, collapse, &mut last);
                }
                Fold::Str(s) => {
                    for f in s.chars() {
                        runs.see(f, digit_value(f).is_some());
                        out.push(f, false, start, end, collapse, &mut last);
                    }
                }
            }
        }
        out.digit_run_max = runs.digit_max;
        out.alnum_run_max = runs.alnum_max;
    }

    /// Normalizes `text` into a new [`Normalized`].
    pub fn normalize(&self, text: &str) -> Normalized {
        let mut out = Normalized::default();
        self.normalize_into(text, &mut out);
        out
    }

    /// Normalizes `text` and returns only the folded string (for patterns and display).
    pub fn normalize_str(&self, text: &str) -> String {
        self.normalize(text).text
    }
}

/// Lengths of the longest runs of digits and of ASCII letters-or-digits in folded text
/// (separators are already gone, so `138 1234 5678` is one run of 11). Detectors of phone,
/// ID and account numbers use them to skip texts that cannot contain one.
#[derive(Default)]
struct Runs {
    digit: u32,
    digit_max: u32,
    alnum: u32,
    alnum_max: u32,
}

impl Runs {
    #[inline]
    fn see(&mut self, f: char, digit: bool) {
        if digit {
            self.digit += 1;
            self.digit_max = self.digit_max.max(self.digit);
        } else {
            self.digit = 0;
        }
        if f.is_ascii_alphanumeric() {
            self.alnum += 1;
            self.alnum_max = self.alnum_max.max(self.alnum);
        } else {
            self.alnum = 0;
        }
    }
}

/// Only non-ASCII characters merge: doubled CJK characters are the evasion (最最好), while
/// doubled letters and digits carry meaning (QQ, 100). Digits in any script never merge,
/// so a phone number written in Chinese numerals keeps its length.
#[inline]
fn is_collapsible(c: char) -> bool {
    !c.is_ascii() && !is_boundary(c) && digit_value(c).is_none()
}

/// Whether `c` (after folding) ends a sentence or clause. Rules that look for
/// several terms "in one sentence" split the folded text at these.
#[inline]
pub fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '。' | '!' | '?' | ';' | '\n' | '\r' | '，' | ',' | '、' | '；' | '！' | '？'
    )
}

/// Whether `c` ends a sentence (not merely a clause).
#[inline]
pub fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '!' | '?' | ';' | '\n' | '\r' | '；' | '！' | '？')
}

/// One piece of the map from folded bytes back to original bytes.
///
/// Either an identity run (`same`: the folded bytes equal the original bytes, so offsets map
/// one to one) or one original character — or a merged run of equal characters — that
/// became `folded_len` bytes, every one of which maps to the whole original range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    folded: u32,
    folded_len: u32,
    original: u32,
    original_len: u32,
    same: bool,
}

impl Segment {
    fn folded_end(&self) -> u32 {
        self.folded + self.folded_len
    }
    fn original_end(&self) -> u32 {
        self.original + self.original_len
    }
}

/// Text after folding, with the map back to the original.
///
/// The map is a list of segments rather than an offset per byte: most characters of real
/// text fold to themselves, so a line costs a handful of segments, and a lookup (done once
/// per finding) is a binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    segments: Vec<Segment>,
    digit_run_max: u32,
    alnum_run_max: u32,
}

impl Normalized {
    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Appends folded character `f` that came from original bytes `start..end`;
    /// `same` says the original character was `f` itself.
    #[inline]
    fn push(
        &mut self,
        f: char,
        same: bool,
        start: u32,
        end: u32,
        collapse: bool,
        last: &mut Option<char>,
    ) {
        if collapse && *last == Some(f) && is_collapsible(f) {
            self.merge_last(f, end);
            return;
        }
        let folded = self.text.len() as u32;
        let n = f.len_utf8() as u32;
        self.text.push(f);
        *last = Some(f);
        if same
            && let Some(seg) = self.segments.last_mut()
            && seg.same
            && seg.folded_end() == folded
            && seg.original_end() == start
        {
            seg.folded_len += n;
            seg.original_len += end - start;
            return;
        }
        self.segments.push(Segment {
            folded,
            folded_len: n,
            original: start,
            original_len: end - start,
            same,
        });
    }

    /// Extends the last folded character (`f`) over original bytes up to `end`.
    fn merge_last(&mut self, f: char, end: u32) {
        let n = f.len_utf8() as u32;
        let Some(seg) = self.segments.last_mut() else {
            return;
        };
        if !seg.same && seg.folded_len == n {
            seg.original_len = end - seg.original;
            return;
        }
        // Split the last character off its segment so it can map to the whole run.
        let char_folded = seg.folded_end() - n;
        let (char_original, was_same) = if seg.same {
            (seg.original_end() - n, true)
        } else {
            (seg.original, false)
        };
        if was_same {
            seg.folded_len -= n;
            seg.original_len -= n;
            if seg.folded_len == 0 {
                self.segments.pop();
            }
        } else {
            // An expansion's last character: the whole segment already maps to one
            // original character; extend it.
            seg.original_len = end - seg.original;
            return;
        }
        self.segments.push(Segment {
            folded: char_folded,
            folded_len: n,
            original: char_original,
            original_len: end - char_original,
            same: false,
        });
    }

    fn segment_of(&self, folded_byte: u32) -> &Segment {
        let i = self
            .segments
            .partition_point(|s| s.folded_end() <= folded_byte);
        &self.segments[i]
    }

    /// Maps a non-empty byte range of the folded text (on character boundaries) to the
    /// byte range of the original text it came from.
    ///
    /// # Panics
    /// Panics if the range is empty or out of bounds (an internal invariant of callers
    /// that take ranges from matches over [`Normalized::as_str`]).
    pub fn original_range(&self, folded: Range<usize>) -> Range<usize> {
        assert!(
            folded.start < folded.end && folded.end <= self.text.len(),
            "folded range {folded:?} outside 0..{}",
            self.text.len()
        );
        let (fs, fe) = (folded.start as u32, folded.end as u32);
        let first = self.segment_of(fs);
        let start = if first.same {
            first.original + (fs - first.folded)
        } else {
            first.original
        };
        let last = self.segment_of(fe - 1);
        let end = if last.same {
            last.original + (fe - last.folded)
        } else {
            last.original_end()
        };
        start as usize..end as usize
    }

    /// Length of the longest run of digits (any script) in the folded text.
    pub fn digit_run_max(&self) -> usize {
        self.digit_run_max as usize
    }

    /// Length of the longest run of ASCII letters and digits in the folded text.
    pub fn alnum_run_max(&self) -> usize {
        self.alnum_run_max as usize
    }
}

enum SlowFold {
    Skip,
    Char(char),
    Str(String),
}

/// Computes the fold of one character from first principles, iterated to a fixpoint so
/// that the table is idempotent.
fn fold_slow(config: NormalizeConfig, c: char) -> SlowFold {
    if is_invisible(c) {
        return SlowFold::Skip;
    }
    let mut s: String = c.to_string();
    for _ in 0..4 {
        let next = fold_once(config, &s);
        if next == s {
            break;
        }
        s = next;
    }
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => SlowFold::Skip,
        (Some(f), None) => SlowFold::Char(f),
        _ => SlowFold::Str(s),
    }
}

fn fold_once(config: NormalizeConfig, s: &str) -> String {
    let compat: String = if config.compatibility {
        s.nfkc().collect()
    } else {
        s.to_string()
    };
    let mut out = String::with_capacity(compat.len());
    for c in compat.chars() {
        if is_invisible(c) {
            continue;
        }
        let mut c = c;
        if config.case_fold {
            let mut lower = c.to_lowercase();
            if let (Some(l), None) = (lower.next(), lower.next()) {
                c = l;
            }
            if let Some(latin) = latin_lookalike(c) {
                c = latin;
            }
        }
        if config.traditional_to_simplified
            && let Some(simplified) = t2s_table().get(&c)
        {
            c = *simplified;
        }
        if config.strip_separators && (c == '\r' || is_separator(c)) {
            continue;
        }
        out.push(c);
    }
    out
}

/// The Latin letter a lower-case Cyrillic or Greek letter is drawn like, when a reader
/// cannot tell them apart (homographs used to write vх, qq, wеchat past a word list).
/// Letters with a different shape (б, д, λ, π …) are left alone.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ѵ' | 'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        _ => return None,
    })
}

fn t2s_table() -> &'static std::collections::HashMap<char, char> {
    static TABLE: OnceLock<std::collections::HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let data = include_str!("../data/TSCharacters.txt");
        let mut map = std::collections::HashMap::with_capacity(4200);
        for line in data.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut parts = line.split('\t');
            let (Some(from), Some(to)) = (parts.next(), parts.next()) else {
                continue;
            };
            let mut from_chars = from.chars();
            let to_first = to.split(' ').next().and_then(|t| {
                let mut cs = t.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => Some(c),
                    _ => None,
                }
            });
            if let (Some(f), None, Some(t)) = (from_chars.next(), from_chars.next(), to_first)
                && f != t
            {
                map.insert(f, t);
            }
        }
        map
    })
}

/// Zero-width and other invisible format characters, dropped in every configuration.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Characters inserted between the characters of a word to break filters.
fn is_separator(c: char) -> bool {
    if c.is_whitespace() && c != '\n' {
        return true;
    }
    if c == '\n' {
        return false;
    }
    if c.is_ascii() {
        return matches!(
            c,
            '*' | '~'
                | '-'
                | '_'
                | '.'
                | '|'
                | '/'
                | '\\'
                | '^'
                | '`'
                | '\''
                | '"'
                | '+'
                | '='
                | '#'
                | '&'
                | '@'
                | ':'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
        ) || c.is_ascii_control();
    }
    matches!(c as u32,
        0x00A1..=0x00A4 | 0x00A6..=0x00A9 | 0x00AB..=0x00B1 | 0x00B4 | 0x00B6..=0x00B8 | 0x00BB | 0x00BF
        | 0x00D7 | 0x00F7
        | 0x02B0..=0x02FF            // spacing modifier letters (ˉ ˇ)
        | 0x2010..=0x2027            // dashes, quotes, bullets, ellipsis
        | 0x2030..=0x205E            // per mille, primes, misc punctuation
        | 0x2190..=0x23FF            // arrows, math operators, technical
        | 0x2460..=0x24FF            // enclosed alphanumerics left after NFKC
        | 0x2500..=0x27BF            // box drawing, shapes, misc symbols, dingbats
        | 0x27C0..=0x2BFF            // more arrows and symbols
        | 0x3003..=0x3011            // 〃〄 〈〉《》「」『』【】 (々〆〇 excluded below)
        | 0x3014..=0x301F            // 〔〕〖〗〘〙〚〛〜〝〞〟
        | 0x3030 | 0x303D
        | 0x30FB                     // katakana middle dot
        | 0xFE10..=0xFE1F | 0xFE30..=0xFE4F
        | 0x1F000..=0x1FAFF          // emoji, mahjong, cards
    ) && !matches!(c, '々' | '〆' | '〇')
}

/// The numeric value of a digit written in any common way: ASCII, full-width,
/// circled (after folding), or Chinese (零〇一二三四五六七八九 and 壹贰叁肆伍陆柒捌玖, 幺 and 两).
/// Used by the personal-information detectors; ordinary matching leaves Chinese numerals alone.
#[inline]
pub fn digit_value(c: char) -> Option<u8> {
    let cp = c as u32;
    if cp < 0x80 {
        return c.is_ascii_digit().then(|| cp as u8 - b'0');
    }
    if cp < 0x2460 {
        return None; // nothing between ASCII and the enclosed digits is a digit we read
    }
    Some(match c {
        '0'..='9' => c as u8 - b'0',
        '０'..='９' => (c as u32 - '０' as u32) as u8,
        '零' | '〇' | '○' => 0,
        '一' | '壹' | '幺' | '①' | '⑴' | '⒈' => 1,
        '二' | '贰' | '貳' | '两' | '兩' | '②' | '⑵' | '⒉' => 2,
        '三' | '叁' | '參' | '③' | '⑶' | '⒊' => 3,
        '四' | '肆' | '④' | '⑷' | '⒋' => 4,
        '五' | '伍' | '⑤' | '⑸' | '⒌' => 5,
        '六' | '陆' | '陸' | '⑥' | '⑹' | '⒍' => 6,
        '七' | '柒' | '⑦' | '⑺' | '⒎' => 7,
        '八' | '捌' | '⑧' | '⑻' | '⒏' => 8,
        '九' | '玖' | '⑨' | '⑼' | '⒐' => 9,
        _ => return None,
    })
}

/// Whether bytes that are not valid UTF-8 are still UTF-8 text with a few stray bytes
/// (a truncated download, one bad byte appended) rather than text in another encoding such
/// as GBK: the bytes of valid multi-byte characters outnumber the invalid bytes ten to one.
/// (GBK text has almost no valid UTF-8 sequences.) Such text is read as UTF-8 with the bad
/// bytes replaced; reading it all as GB18030 turns every Chinese character into mojibake and
/// hides it from screening (security review F11).
pub fn is_mostly_utf8(bytes: &[u8]) -> bool {
    let mut invalid = 0usize;
    let mut valid_multibyte = 0usize;
    for chunk in bytes.utf8_chunks() {
        valid_multibyte += chunk.valid().bytes().filter(|b| !b.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    invalid == 0 || (valid_multibyte >= 3 && valid_multibyte >= 10 * invalid)
}

/// Where a byte offset lies in a text, for people: 1-based line, 1-based column in
/// characters, and the 0-based character index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// 0-based index of the character in the whole text.
    pub char_index: usize,
}

/// Converts byte offsets into [`Position`]s. Offsets must be asked for in increasing
/// order for the linear cost; asking for an earlier one restarts from the beginning.
#[derive(Debug, Clone)]
pub struct PositionCursor<'a> {
    text: &'a str,
    byte: usize,
    pos: Position,
}

impl<'a> PositionCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        PositionCursor {
            text,
            byte: 0,
            pos: Position {
                line: 1,
                column: 1,
                char_index: 0,
            },
        }
    }

    /// The position of `byte_offset`, which must lie on a character boundary of the text.
    pub fn position(&mut self, byte_offset: usize) -> Position {
        if byte_offset < self.byte {
            *self = PositionCursor::new(self.text);
        }
        let slice = &self.text[self.byte..byte_offset];
        for c in slice.chars() {
            self.pos.char_index += 1;
            if c == '\n' {
                self.pos.line += 1;
                self.pos.column = 1;
            } else {
                self.pos.column += 1;
            }
        }
        self.byte = byte_offset;
        self.pos
    }
}

/// The number of characters in `text[..byte_offset]` (a named conversion from bytes to chars).
pub fn char_count(text: &str, byte_offset: usize) -> usize {
    text[..byte_offset].chars().count()
}

#[cfg(test)]
mod tests;
