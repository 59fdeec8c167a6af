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
