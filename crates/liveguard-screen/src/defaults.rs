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

/// The comment classifier trained on COLD train (`cargo xtask train-comments`; data
/// Apache-2.0, Deng et al., EMNLP 2022): offensive and abusive viewer comments, including
/// group-directed ones without a swear word. See `models/README.md`.
pub const COMMENT_MODEL: &[u8] = include_bytes!("../../../models/comment-offensive.lgtc");

/// The claim model (`cargo xtask train-claims --ship`): medical and efficacy claims in
/// everyday words on seller text. See `models/README.md`.
pub const CLAIM_MODEL: &[u8] = include_bytes!("../../../models/claim-efficacy.lgtc");

/// The claims a claim-model finding names as the nearest example (the project's own
/// paraphrased claims and the packs' claim examples), one per line.
pub const CLAIM_EXEMPLARS: &str = include_str!("../../../models/claim-exemplars.txt");

/// Adds the default learned models to `builder`: the comment classifier and the claim model.
pub fn add_default_models(builder: &mut ScreenBuilder) -> Result<(), liveguard_models::ModelError> {
    builder.comment_model(liveguard_models::TextClassifier::from_bytes(COMMENT_MODEL)?);
    builder.claim_model(
        liveguard_models::TextClassifier::from_bytes(CLAIM_MODEL)?,
        CLAIM_EXEMPLARS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    );
    Ok(())
}

/// The claim model's second stage: a logistic-regression head on multilingual-e5-small
/// sentence embeddings (`cargo xtask train-claims --ship --encoder FILE`). The encoder itself
/// is fetched (`scripts/fetch-encoder-model.sh`), never embedded. See `models/README.md`.
pub const CLAIM_E5_HEAD: &[u8] = include_bytes!("../../../models/claim-e5-head.lgeh");

/// Adds the claim model's second stage to `builder`, run by `encoder` (read by the caller
/// from the models directory).
pub fn add_claim_encoder(
    builder: &mut ScreenBuilder,
    encoder: std::sync::Arc<liveguard_models::encoder::Encoder>,
) -> Result<(), liveguard_models::ModelError> {
    builder.claim_encoder(
        encoder,
        liveguard_models::encoder::EmbeddingHead::from_bytes(CLAIM_E5_HEAD)?,
    );
    Ok(())
}

/// Adds every default pack to `builder`.
pub fn add_default_packs(builder: &mut ScreenBuilder) -> Result<(), PackError> {
    for (name, text) in DEFAULT_PACKS {
        builder.add_pack_toml(text, &format!("rules/{name}"))?;
    }
    Ok(())
}
