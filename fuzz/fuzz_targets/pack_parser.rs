//! Any bytes given to the pack, lexicon and allowlist parsers: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(pack) = liveguard_screen::parse_pack(text, "fuzz.toml") {
            // A pack that parses must also build.
            let mut b = liveguard_screen::ScreenBuilder::new(liveguard_screen::ScreenConfig::default_config());
            b.add_pack(pack);
            let _ = b.build();
        }
        let _ = liveguard_screen::lexicon::parse_lexicon(text, "fuzz.txt", "custom");
        let _ = liveguard_screen::lexicon::parse_allowlist(text);
    }
});
