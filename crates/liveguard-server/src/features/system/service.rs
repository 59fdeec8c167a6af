//! The status, gathered from the running state (no store query: it answers even when the
//! database is slow).

use serde::Serialize;

use crate::AppState;
use crate::convert::subprocess::find_program;

/// One rule pack the engine was built from.
#[derive(Debug, Clone, Serialize)]
pub struct PackStatus {
    /// Pack id (`ad-law`).
    pub id: String,
    /// Pack version.
    pub version: String,
    /// Human title.
    pub title: String,
    /// Rules in it.
    pub rules: usize,
}

/// The learned models.
#[derive(Debug, Clone, Serialize)]
pub struct ModelStatus {
    /// The `models` setting.
    pub enabled: bool,
    /// The comment classifier's version, when loaded.
    pub comment: Option<String>,
    /// The claim model's version, when loaded.
    pub claim: Option<String>,
    /// The claim model's second stage (head and sentence encoder) version, when loaded.
    pub claim_encoder: Option<String>,
    /// Why the second stage is not loaded, when it is not.
    pub claim_encoder_missing: Option<String>,
}

/// The consumer desk's working-day calendar.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarStatus {
    /// Where its table comes from.
    pub source: String,
    /// The years it covers.
    pub years: Vec<i32>,
    /// This year or next year when the table lacks it (working days then count weekends
    /// only, without the public holidays).
    pub missing_year: Option<i32>,
}

/// A helper program and whether it was found.
#[derive(Debug, Clone, Serialize)]
pub struct HelperStatus {
    /// The configured program.
    pub engine: String,
    /// Found on the path (or at the configured path).
    pub found: bool,
}

/// How images are read.
#[derive(Debug, Clone, Serialize)]
pub struct ImageStatus {
    /// The reader in use: the PP-OCR models' version, or the Tesseract program.
    pub reader: String,
    /// PP-OCR is in use.
    pub pp_ocr: bool,
    /// Why PP-OCR is not in use (missing or wrong model files), when it is not.
    pub pp_ocr_missing: Option<String>,
    /// Where the PP-OCR model files are looked for.
    pub models_dir: String,
    /// QR codes and barcodes are decoded (always, in-process).
    pub codes: bool,
}

/// What the server runs with.
#[derive(Debug, Clone, Serialize)]
pub struct SystemStatus {
    /// liveguard's version.
    pub version: &'static str,
    /// Rules in the engine.
    pub rules: usize,
    /// The packs.
    pub packs: Vec<PackStatus>,
    /// The learned models.
    pub models: ModelStatus,
    /// Reading images: PP-OCR or Tesseract, and codes.
    pub images: ImageStatus,
    /// The consumer desk's working-day calendar.
    pub calendar: CalendarStatus,
    /// OCR of promo images by Tesseract (used when PP-OCR is not).
    pub ocr: HelperStatus,
    /// PDF printing of approved versions.
    pub pdf: HelperStatus,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// `in_process` or `nats`.
    pub live_bus: &'static str,
}

impl SystemStatus {
    /// True when the engine runs without learned models.
    pub fn rules_only(&self) -> bool {
        self.models.comment.is_none() && self.models.claim.is_none()
    }
}

/// The status of `state`.
pub fn status(state: &AppState) -> SystemStatus {
    let screen = state.screen.load();
    let helper = |engine: &str| HelperStatus {
        engine: engine.to_string(),
        found: find_program(engine).is_some(),
    };
    SystemStatus {
        version: env!("CARGO_PKG_VERSION"),
        rules: screen.rules().count(),
        packs: screen
            .packs()
            .iter()
            .map(|(m, rules)| PackStatus {
                id: m.id.clone(),
                version: m.version.clone(),
                title: m.title.clone(),
                rules: *rules,
            })
            .collect(),
        models: ModelStatus {
            enabled: state.settings.models,
            comment: screen.comment_model_version().map(str::to_string),
            claim: screen.claim_model_version().map(str::to_string),
            claim_encoder: screen.claim_encoder_version().map(str::to_string),
            claim_encoder_missing: state.claim_encoder_missing.as_deref().map(str::to_string),
        },
        images: ImageStatus {
            reader: state.images.engine().to_string(),
            pp_ocr: state.images.has_pp_ocr(),
            pp_ocr_missing: state.images.pp_ocr_missing.clone(),
            models_dir: crate::convert::ocr::models_dir(&state.settings)
                .display()
                .to_string(),
            codes: true,
        },
        calendar: CalendarStatus {
            source: state.desk.calendar.source().to_string(),
            years: state.desk.calendar.years().collect(),
            missing_year: crate::features::desk::service::calendar_gap(
                &state.desk,
                state.store.now(),
            ),
        },
        ocr: helper(&state.settings.ocr_engine),
        pdf: helper(&state.settings.pdf_engine),
        database: match state.store.backend() {
            liveguard_store::Backend::Sqlite => "sqlite",
            liveguard_store::Backend::Postgres => "postgres",
        },
        live_bus: if state.settings.live.nats_url.is_empty() {
            "in_process"
        } else {
            "nats"
        },
    }
}
