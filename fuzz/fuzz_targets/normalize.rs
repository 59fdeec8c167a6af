//! Every normalization configuration on any text: idempotent, offsets in bounds and on
//! character boundaries.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use liveguard_normalize::{NormalizeConfig, Normalizer};

#[derive(Debug, Arbitrary)]
struct Input {
    config_bits: u8,
    text: String,
}

fn normalizer(bits: u8) -> &'static Normalizer {
    static ALL: OnceLock<Vec<Normalizer>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        (0u8..32)
            .map(|b| {
                Normalizer::new(NormalizeConfig {
                    compatibility: b & 1 != 0,
                    case_fold: b & 2 != 0,
                    traditional_to_simplified: b & 4 != 0,
                    strip_separators: b & 8 != 0,
                    collapse_repeats: b & 16 != 0,
                })
            })
            .collect()
    });
    &all[(bits & 31) as usize]
}

fuzz_target!(|input: Input| {
    let n = normalizer(input.config_bits);
    let folded = n.normalize(&input.text);
    let again = n.normalize_str(folded.as_str());
    assert_eq!(again, folded.as_str(), "not idempotent");
    for (i, c) in folded.as_str().char_indices() {
        let r = folded.original_range(i..i + c.len_utf8());
        assert!(r.start < r.end && r.end <= input.text.len());
        assert!(input.text.is_char_boundary(r.start) && input.text.is_char_boundary(r.end));
    }
});
