//! The default rule packs from `rules/`, compiled into the library so that a screen can be
//! built without reading any file. `tests::embedded_packs_match_rules_dir` keeps this list
//! equal to the directory.

use crate::{PackError, ScreenBuilder};

/// `(file name, TOML text)` of every default pack, in file-name order.
pub const DEFAULT_PACKS: &[(&str, &str)] = &[
    (
        "absolute-terms.toml",
        include_str!("../../../rules/absolute-terms.toml"),
    ),
    (
        "commerce.toml",
        include_str!("../../../rules/commerce.toml"),
    ),
    ("content.toml", include_str!("../../../rules/content.toml")),
    (
        "medical-and-efficacy.toml",
        include_str!("../../../rules/medical-and-efficacy.toml"),
    ),
    (
        "off-platform.toml",
        include_str!("../../../rules/off-platform.toml"),
    ),
    (
        "personal-info.toml",
        include_str!("../../../rules/personal-info.toml"),
    ),
];

/// Adds every default pack to `builder`.
pub fn add_default_packs(builder: &mut ScreenBuilder) -> Result<(), PackError> {
    for (name, text) in DEFAULT_PACKS {
        builder.add_pack_toml(text, &format!("rules/{name}"))?;
    }
    Ok(())
}
