//! The default screen on any text in any context: never panics, and every finding's span
//! is the matched slice of the original text.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use liveguard_core::{Channel, ProductCategory};
use liveguard_screen::{ScanContext, Screen, ScreenBuilder, ScreenConfig, defaults};

#[derive(Debug, Arbitrary)]
struct Input {
    channel: u8,
    category: u8,
    mask: bool,
    text: String,
}

fn screen() -> &'static Screen {
    static S: OnceLock<Screen> = OnceLock::new();
    S.get_or_init(|| {
        let mut b = ScreenBuilder::new(ScreenConfig::default_config());
        defaults::add_default_packs(&mut b).expect("default packs are valid");
        b.build().expect("default packs build")
    })
}

fuzz_target!(|input: Input| {
    let ctx = ScanContext::new(
        Channel::ALL[input.channel as usize % Channel::ALL.len()],
        ProductCategory::ALL[input.category as usize % ProductCategory::ALL.len()],
    );
    let result = screen().scan(&input.text, ctx);
    for f in &result.findings {
        assert_eq!(&input.text[f.span.byte_start..f.span.byte_end], f.matched);
        assert!(f.span.char_start <= f.span.char_end);
    }
    if input.mask {
        let _ = screen().mask_personal_info(&input.text);
    }
});
