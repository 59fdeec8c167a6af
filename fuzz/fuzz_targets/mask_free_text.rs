//! The free-text masking path (security review F2, F10): a mobile number planted in any
//! text — glued to numerals of names and words, or spaced — never survives masking, and
//! masking never panics or produces overlapping or out-of-bounds matches.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use liveguard_screen::Detector;
use liveguard_screen::pii::{detect, mask};

#[derive(Debug, Arbitrary)]
struct Input {
    prefix: String,
    glue_before: u8,
    mobile: [u8; 9],
    second: u8,
    glue_after: u8,
    suffix: String,
}

const GLUE: &[&str] = &["", " ", "三", "第一", "两", "张三", "零", "电话", "：", "\u{3000}"];

/// Text that cannot run into the planted number: no digits of any script, no separators,
/// no `@` (an e-mail domain), no ASCII letters (a WeChat id or an ID's X).
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| {
            liveguard_normalize::digit_value(*c).is_none()
                && !c.is_ascii_alphanumeric()
                && !matches!(c, '@' | ' ' | '-' | '.' | '_' | '·' | '—' | '－' | '‐' | '\u{3000}')
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let mut number = String::from("1");
    number.push(char::from(b'3' + input.second % 7));
    for d in input.mobile {
        number.push(char::from(b'0' + d % 10));
    }
    let text = format!(
        "{}{}{}{}{}",
        clean(&input.prefix),
        GLUE[input.glue_before as usize % GLUE.len()],
        number,
        GLUE[input.glue_after as usize % GLUE.len()],
        clean(&input.suffix),
    );
    let (masked, _) = mask(&text, Detector::ALL);
    assert!(!masked.contains(&number), "{text:?} → {masked:?}");
    let found = detect(&text, Detector::ALL);
    let mut end = 0;
    for m in &found {
        assert!(m.range.start >= end && m.range.end <= text.len(), "{found:?}");
        assert!(text.is_char_boundary(m.range.start) && text.is_char_boundary(m.range.end));
        end = m.range.end;
    }
    // Arbitrary text as it comes: no panic, matches in bounds.
    for m in detect(&input.prefix, Detector::ALL) {
        assert!(m.range.end <= input.prefix.len());
    }
});
