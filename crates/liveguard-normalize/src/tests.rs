use super::*;
use proptest::prelude::*;

fn full() -> &'static Normalizer {
    static N: OnceLock<Normalizer> = OnceLock::new();
    N.get_or_init(|| Normalizer::new(NormalizeConfig::full()))
}

/// One table of (input, folded) cases, run through one helper.
fn check(input: &str, expected: &str) {
    let got = full().normalize_str(input);
    assert_eq!(got, expected, "normalizing {input:?}");
}

#[test]
fn folds_evasion_forms() {
    check("ＶＸ：ＡＢＣ１２３", "vxabc123");
    check("療效顯著", "疗效显著");
    check("原價￥９９９", "原价¥999");
    check("最*好", "最好");
    check("最 好", "最好");
    check("最~好", "最好");
    check("最\u{200b}好", "最好");
    check("最\u{feff}好\u{2060}的", "最好的");
    check("最最最好", "最好");
    check("最 最 好", "最好");
    check("①②③", "123");
    check("100%有效", "100%有效");
    check("NO.1", "no1");
    check("全网🔥最低💰价", "全网最低价");
    check("【限时】《秒杀》", "限时秒杀");
    check("薇信", "薇信"); // homophones are not folded in text; rules opt in to variants
}

#[test]
fn keeps_sentence_punctuation_and_digits() {
    check("真的好。最后一天！", "真的好。最后一天!");
    check("1008611", "1008611");
    check("第一，第二", "第一,第二");
    check("a\r\nb", "a\nb");
}

#[test]
fn offsets_map_back_to_original() {
    let text = "这是 最*最好 的";
    let n = full().normalize(text);
    assert_eq!(n.as_str(), "这是最好的");
    let folded = n.as_str().find("最好").unwrap();
    let r = n.original_range(folded..folded + "最好".len());
    assert_eq!(&text[r], "最*最好");
}

#[test]
fn full_width_offsets_are_char_boundaries() {
    let text = "加ＶＸ号";
    let n = full().normalize(text);
    assert_eq!(n.as_str(), "加vx号");
    let start = n.as_str().find("vx").unwrap();
    let r = n.original_range(start..start + 2);
    assert_eq!(&text[r], "ＶＸ");
}

#[test]
fn expansion_maps_to_the_source_char() {
    let text = "买⑩送一";
    let n = full().normalize(text);
    assert_eq!(n.as_str(), "买10送一");
    let s = n.as_str().find("10").unwrap();
    assert_eq!(&text[n.original_range(s..s + 1)], "⑩");
    assert_eq!(&text[n.original_range(s + 1..s + 2)], "⑩");
}

#[test]
fn digit_and_alnum_runs_are_measured() {
    let n = full().normalize("电话 138 1234 5678，微信 ab_c12");
    assert_eq!(n.digit_run_max(), 11);
    assert_eq!(n.alnum_run_max(), 11);
    let n = full().normalize("一三八八八八八五六七八");
    assert_eq!(
        n.as_str(),
        "一三八八八八八五六七八",
        "Chinese digits never merge"
    );
    assert_eq!(n.digit_run_max(), 11);
    assert_eq!(full().normalize("价格99元").digit_run_max(), 2);
    assert_eq!(full().normalize_str("QQ群"), "qq群");
}

#[test]
fn none_config_keeps_text() {
    let n = Normalizer::new(NormalizeConfig::none());
    assert_eq!(n.normalize_str("ＡＢ 療效 最最"), "ＡＢ 療效 最最");
}

#[test]
fn digit_values() {
    let digits: Vec<u8> = "一三八零〇幺两九".chars().filter_map(digit_value).collect();
    assert_eq!(digits, vec![1, 3, 8, 0, 0, 1, 2, 9]);
    assert_eq!(digit_value('x'), None);
}

#[test]
fn position_cursor_counts_lines_and_chars() {
    let text = "第一行\n第二行最好";
    let mut cur = PositionCursor::new(text);
    let at = text.find("最好").unwrap();
    let p = cur.position(at);
    assert_eq!((p.line, p.column, p.char_index), (2, 4, 7));
    let p0 = cur.position(0);
    assert_eq!((p0.line, p0.column), (1, 1));
    assert_eq!(char_count(text, at), 7);
}

#[test]
fn types_are_send_sync() {
    fn check<T: Send + Sync + std::panic::UnwindSafe>() {}
    check::<Normalizer>();
    check::<Normalized>();
}

/// The reference map: folds character by character and records, for every folded byte, the
/// original range of its character (merged runs extend the previous character). Written
/// the slow obvious way, to check the segment map against.
fn reference_ranges(n: &Normalizer, text: &str) -> (String, Vec<(usize, usize)>) {
    let mut folded = String::new();
    let mut map: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<char> = None;
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        let chars: Vec<char> = match n.fold_char(c) {
            Fold::Skip => continue,
            Fold::Char(f) => vec![f],
            Fold::Str(s) => s.chars().collect(),
        };
        for f in chars {
            if n.config().collapse_repeats && last == Some(f) && is_collapsible(f) {
                let k = f.len_utf8();
                let len = map.len();
                for m in &mut map[len - k..] {
                    m.1 = end;
                }
                continue;
            }
            folded.push(f);
            for _ in 0..f.len_utf8() {
                map.push((start, end));
            }
            last = Some(f);
        }
    }
    (folded, map)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn segment_map_agrees_with_reference(s in "[最好最好療效ＶＸvx 　*~\u{200b}①⑩。，0-9a-zA-Z好好]{0,40}") {
        let n = full().normalize(&s);
        let (folded, map) = reference_ranges(full(), &s);
        prop_assert_eq!(n.as_str(), folded.as_str());
        for (i, c) in folded.char_indices() {
            for (j, d) in folded[i..].char_indices() {
                let end = i + j + d.len_utf8();
                let expected = map[i].0..map[end - 1].1;
                prop_assert_eq!(n.original_range(i..end), expected, "range {}..{} of {:?}", i, end, folded);
            }
            let _ = c;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn idempotent(s in "\\PC{0,40}") {
        let once = full().normalize_str(&s);
        let twice = full().normalize_str(&once);
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn idempotent_on_chinese_mix(s in "[最好第一療效ＶＸvx 　*~\u{200b}①。，0-9a-zA-Z]{0,30}") {
        let once = full().normalize_str(&s);
        prop_assert_eq!(full().normalize_str(&once), once);
    }

    #[test]
    fn offsets_monotone_in_bounds_on_boundaries(s in "\\PC{0,60}") {
        let n = full().normalize(&s);
        let folded = n.as_str();
        let mut prev_start = 0usize;
        for (i, c) in folded.char_indices() {
            let r = n.original_range(i..i + c.len_utf8());
            prop_assert!(r.start < r.end && r.end <= s.len());
            prop_assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end));
            prop_assert!(r.start >= prev_start);
            prev_start = r.start;
        }
    }

    #[test]
    fn any_string_never_panics(s in any::<String>()) {
        let _ = full().normalize(&s);
    }
}

#[test]
fn r11_f11_utf8_with_a_stray_byte_is_still_utf8_and_gbk_is_not() {
    let mut text = "欢迎来到直播间，这款面霜全网最好用。\n".as_bytes().to_vec();
    assert!(crate::is_mostly_utf8(&text));
    text.push(0xFF);
    assert!(crate::is_mostly_utf8(&text), "one stray byte");
    // GBK bytes of 欢迎来到直播间 (every character invalid as UTF-8).
    let gbk = [
        0xBB, 0xB6, 0xD3, 0xAD, 0xC0, 0xB4, 0xB5, 0xBD, 0xD6, 0xB1, 0xB2, 0xA5, 0xBC, 0xE4,
    ];
    assert!(!crate::is_mostly_utf8(&gbk));
    assert!(!crate::is_mostly_utf8(&[0xFF]), "nothing valid to go by");
}

#[test]
fn cyrillic_and_greek_lookalikes_fold_to_latin() {
    // х, е, о are Cyrillic; ο is Greek; upper-case forms fold through lower case.
    check("加vх", "加vx");
    check("wеchat", "wechat");
    check("加qο", "加qo");
    check("ВХ", "вx");
    check("Ѵх", "vx");
    // Letters that look like nothing Latin stay.
    check("λπб", "λπб");
}
