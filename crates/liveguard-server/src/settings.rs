//! One typed configuration: defaults → TOML file → `LIVEGUARD_` environment → flags.

use std::path::PathBuf;

use liveguard_review::versions::DeadlinePolicy;
use liveguard_review::{ChecklistItem, Level, RoutingPolicy, default_checklist};
use serde::Deserialize;

/// A configuration that cannot be used; the message names the option or the variable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The TOML text does not parse, or names an option that does not exist.
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    /// An option's value is outside its range (the message names the option).
    #[error("{0}")]
    Invalid(String),
    /// A `LIVEGUARD_*` variable whose value is not of its type.
    #[error("environment variable {variable}: expected {expected}")]
    Env {
        /// The variable.
        variable: String,
        /// What it takes.
        expected: &'static str,
    },
    /// A `LIVEGUARD_*` variable that names no option.
    #[error("unknown environment variable {0}")]
    UnknownEnv(String),
}

impl From<String> for SettingsError {
    fn from(message: String) -> Self {
        SettingsError::Invalid(message)
    }
}

impl From<&str> for SettingsError {
    fn from(message: &str) -> Self {
        SettingsError::Invalid(message.to_string())
    }
}

/// The example configuration, which is also the documentation of every option.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../config/liveguard.example.toml");

/// Server settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Listen address.
    pub listen: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL; empty = SQLite in `data_dir`.
    pub database_url: String,
    /// Origin name in checkpoints.
    pub origin: String,
    /// Secure cookies.
    pub secure_cookies: bool,
    /// Session lifetime in minutes.
    pub session_minutes: i64,
    /// Wrong passwords per account and client address before the backoff starts.
    pub login_failures_max: i64,
    /// Longest backoff, in minutes.
    pub lockout_minutes: i64,
    /// Login attempts per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Request body limit in bytes.
    pub request_bytes_max: usize,
    /// Request timeout in seconds.
    pub request_timeout_seconds: u64,
    /// Seconds a connection has to send a whole request head, from opening or from its
    /// previous answer (idle and slow-header connections are closed after it).
    pub header_timeout_seconds: u64,
    /// Checkpoint interval in seconds.
    pub checkpoint_interval_seconds: u64,
    /// Demo mode.
    pub demo: bool,
    /// The OCR program for promo images (Tesseract with chi_sim).
    pub ocr_engine: String,
    /// Directory of the PP-OCR model files (`scripts/fetch-ocr-models.sh DIR`); empty =
    /// `models` in the data directory. Without them images are read by `ocr_engine`.
    pub ocr_models: PathBuf,
    /// Learned second opinions (the comment classifier and the claim model) next to the
    /// rules; `false` runs the rules only, and the status page says so.
    pub models: bool,
    /// The browser that renders PDFs of approved versions (headless Chromium).
    pub pdf_engine: String,
    /// Pre-broadcast review: routing to 终审, deadlines and checklists (`[review]`).
    pub review: ReviewSettings,
    /// Webhooks for review state changes (`[[webhooks]]`).
    pub webhooks: Vec<crate::jobs::webhook::WebhookSettings>,
    /// Live monitoring: queue bounds, retention, escalation (`[live]`).
    pub live: LiveSettings,
    /// Lotteries: retention of records and of winners' delivery data (`[lottery]`).
    pub lottery: LotterySettings,
    /// The consumer desk: clock policy, working-day calendar, sweep (`[complaints]`).
    pub complaints: ComplaintsSettings,
}

/// Consumer-desk settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ComplaintsSettings {
    /// A working-day calendar file in the format of the shipped
    /// `crates/liveguard-desk/data/cn-workdays.toml`; empty = the shipped one.
    pub calendar_file: PathBuf,
    /// Seconds between two passes of the clock sweep (warnings and breaches).
    pub sweep_seconds: u64,
    /// Complaints about one product or live session in 24 hours from which a rise (at
    /// least twice the usual daily rate) is reported to the compliance group.
    pub rising_min: i64,
    /// How long each clock runs, when it warns, whether it may pause.
    pub clocks: liveguard_desk::DeskPolicy,
}

impl Default for ComplaintsSettings {
    fn default() -> Self {
        ComplaintsSettings {
            calendar_file: PathBuf::new(),
            sweep_seconds: 30,
            rising_min: 3,
            clocks: liveguard_desk::DeskPolicy::default(),
        }
    }
}

impl ComplaintsSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=3600).contains(&self.sweep_seconds) {
            return Err("complaints.sweep_seconds must be 1 to 3600".into());
        }
        if !(1..=10_000).contains(&self.rising_min) {
            return Err("complaints.rising_min must be 1 to 10000".into());
        }
        self.clocks.validate().map_err(SettingsError::Invalid)
    }

    /// The working-day calendar: the configured file, else the shipped one.
    pub fn calendar(&self) -> Result<liveguard_desk::WorkCalendar, SettingsError> {
        if self.calendar_file.as_os_str().is_empty() {
            return Ok(liveguard_desk::WorkCalendar::builtin());
        }
        let text = std::fs::read_to_string(&self.calendar_file).map_err(|e| {
            SettingsError::Invalid(format!(
                "complaints.calendar_file {}: {e}",
                self.calendar_file.display()
            ))
        })?;
        liveguard_desk::WorkCalendar::from_toml(&text).map_err(|e| {
            SettingsError::Invalid(format!(
                "complaints.calendar_file {}: {e}",
                self.calendar_file.display()
            ))
        })
    }
}

/// Lottery settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LotterySettings {
    /// Days a lottery's records (rules, entrants, draw, claims) are kept after it is
    /// defined; at least 730 (two years, 规范促销行为暂行规定).
    pub retain_days: i64,
    /// Days after a prize claim is closed (redeemed or forfeited) when the winner's
    /// delivery data is erased (collected for delivery only, 个人信息保护法 Art. 19).
    pub erase_personal_after_days: i64,
    /// drand relays (http:// or https://) the server fetches the draw round from, tried in
    /// order; empty = the operator pastes the round's signature. Relays are not trusted: the
    /// signature is verified against quicknet's public key.
    pub drand_relays: Vec<String>,
    /// Seconds one relay may take to answer.
    pub drand_timeout_seconds: u64,
    /// Public entrant-code lookups by account allowed per client address per minute.
    pub lookups_per_minute: u32,
    /// Where viewers reach this server (`https://live.example.com`), for the full
    /// verification address in a draw's announcement; empty = the path only.
    pub public_url: String,
}

impl Default for LotterySettings {
    fn default() -> Self {
        LotterySettings {
            retain_days: 1095,
            erase_personal_after_days: 30,
            drand_relays: [
                "https://api.drand.sh",
                "https://api2.drand.sh",
                "https://api3.drand.sh",
                "https://drand.cloudflare.com",
            ]
            .map(String::from)
            .to_vec(),
            drand_timeout_seconds: 10,
            public_url: String::new(),
            lookups_per_minute: 30,
        }
    }
}

impl LotterySettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.retain_days < 730 {
            return Err(
                "lottery.retain_days must be at least 730 (two years, 规范促销行为暂行规定)".into(),
            );
        }
        if !(0..=365).contains(&self.erase_personal_after_days) {
            return Err("lottery.erase_personal_after_days must be 0 to 365".into());
        }
        if !self.public_url.is_empty()
            && (!(self.public_url.starts_with("https://")
                || self.public_url.starts_with("http://"))
                || self.public_url.ends_with('/')
                || self.public_url.contains(char::is_whitespace)
                || self.public_url.len() > 200)
        {
            return Err(
                "lottery.public_url must be an http:// or https:// address without a trailing / (for example https://live.example.com)".into(),
            );
        }
        if !(1..=120).contains(&self.drand_timeout_seconds) {
            return Err("lottery.drand_timeout_seconds must be 1 to 120".into());
        }
        if !(1..=10_000).contains(&self.lookups_per_minute) {
            return Err("lottery.lookups_per_minute must be 1 to 10000".into());
        }
        if self.drand_relays.len() > 16 {
            return Err("lottery.drand_relays takes at most 16 relays".into());
        }
        liveguard_drand::Client::new(&self.drand_relays, std::time::Duration::from_secs(1))
            .map_err(|e| format!("lottery.drand_relays: {e}"))?;
        Ok(())
    }
}

/// Live monitoring settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LiveSettings {
    /// Bound of the in-process ingest queue, in batches. When it is full a batch is refused
    /// whole with 503 `queue_full` and `Retry-After: 1`; nothing is dropped silently.
    pub queue_batches: usize,
    /// Most events in one posted batch.
    pub batch_events_max: usize,
    /// Most events the worker writes in one transaction (several batches grouped).
    pub commit_events_max: usize,
    /// Days live records are kept after a session ends (at least 3 years by law).
    pub retain_days: i64,
    /// Seconds an open `block` alert may wait for acknowledgement before it is escalated
    /// to the compliance lead.
    pub escalate_after_seconds: i64,
    /// NATS server for scale-out (`nats://host:4222`); empty = the in-process queue. When
    /// set, accepted batches go to JetStream and `liveguard worker` processes store them.
    pub nats_url: String,
    /// JetStream stream name.
    pub nats_stream: String,
    /// Subject prefix (`<prefix>.batches.<session>`, `<prefix>.console.<session>`).
    pub nats_prefix: String,
    /// Durable consumer the workers share.
    pub nats_durable: String,
    /// Most bytes the stream keeps; when full, new batches are refused (503 `queue_full`).
    pub nats_max_bytes: i64,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            queue_batches: 1024,
            batch_events_max: 1000,
            commit_events_max: 4000,
            retain_days: 1095,
            escalate_after_seconds: 120,
            nats_url: String::new(),
            nats_stream: "LIVEGUARD_LIVE".into(),
            nats_prefix: "liveguard.live".into(),
            nats_durable: "liveguard-workers".into(),
            nats_max_bytes: 1 << 30,
        }
    }
}

impl LiveSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=1_000_000).contains(&self.queue_batches) {
            return Err("live.queue_batches must be 1 to 1000000".into());
        }
        if !(1..=10_000).contains(&self.batch_events_max) {
            return Err("live.batch_events_max must be 1 to 10000".into());
        }
        if self.commit_events_max < self.batch_events_max || self.commit_events_max > 100_000 {
            return Err(
                "live.commit_events_max must be at least live.batch_events_max and at most 100000"
                    .into(),
            );
        }
        if self.retain_days < 1095 {
            return Err(
                "live.retain_days must be at least 1095 (three years, 直播电商监督管理办法)".into(),
            );
        }
        if !(5..=86_400).contains(&self.escalate_after_seconds) {
            return Err("live.escalate_after_seconds must be 5 to 86400".into());
        }
        let name_ok = |v: &str, extra: &[char]| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '_' || c == '-' || extra.contains(&c)
                })
        };
        if !name_ok(&self.nats_stream, &[]) {
            return Err(
                "live.nats_stream must be 1-64 characters of A-Z, a-z, 0-9, _ and -".into(),
            );
        }
        if !name_ok(&self.nats_prefix, &['.'])
            || self.nats_prefix.starts_with('.')
            || self.nats_prefix.ends_with('.')
        {
            return Err(
                "live.nats_prefix must be dot-separated tokens of A-Z, a-z, 0-9, _ and -".into(),
            );
        }
        if !name_ok(&self.nats_durable, &[]) {
            return Err(
                "live.nats_durable must be 1-64 characters of A-Z, a-z, 0-9, _ and -".into(),
            );
        }
        if self.nats_max_bytes < 1 << 20 {
            return Err("live.nats_max_bytes must be at least 1048576".into());
        }
        if !self.nats_url.is_empty() && !self.nats_url.starts_with("nats://") {
            return Err(
                "live.nats_url must start with nats:// (or be empty for the in-process queue)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Most items one level's checklist may have.
pub const CHECKLIST_ITEMS_MAX: usize = 40;

/// The configurable parts of the pre-broadcast review.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewSettings {
    /// When 终审 is required (`[review.routing]`).
    pub routing: RoutingPolicy,
    /// How long before the session each level is due (`[review.deadlines]`).
    pub deadlines: DeadlinePolicy,
    /// The 审核要点清单 of each level (`[[review.checklist.first]]` …).
    pub checklist: Checklists,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        ReviewSettings {
            routing: RoutingPolicy::default_policy(),
            deadlines: DeadlinePolicy::default_policy(),
            checklist: Checklists::default(),
        }
    }
}

/// One checklist per level.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Checklists {
    /// 初审.
    pub first: Vec<ChecklistItem>,
    /// 复审.
    pub second: Vec<ChecklistItem>,
    /// 终审.
    #[serde(rename = "final")]
    pub final_level: Vec<ChecklistItem>,
}

impl Default for Checklists {
    fn default() -> Self {
        Checklists {
            first: default_checklist(Level::First),
            second: default_checklist(Level::Second),
            final_level: default_checklist(Level::Final),
        }
    }
}

impl Checklists {
    /// The checklist of `level`.
    pub fn for_level(&self, level: Level) -> Vec<ChecklistItem> {
        match level {
            Level::First => self.first.clone(),
            Level::Second => self.second.clone(),
            Level::Final => self.final_level.clone(),
        }
    }

    fn validate(&self) -> Result<(), SettingsError> {
        for (name, items) in [
            ("first", &self.first),
            ("second", &self.second),
            ("final", &self.final_level),
        ] {
            let at = format!("review.checklist.{name}");
            if items.is_empty() {
                return Err(SettingsError::Invalid(format!(
                    "{at} needs at least one item"
                )));
            }
            if items.len() > CHECKLIST_ITEMS_MAX {
                return Err(SettingsError::Invalid(format!(
                    "{at} has more than {CHECKLIST_ITEMS_MAX} items"
                )));
            }
            let mut seen = std::collections::BTreeSet::new();
            for item in items {
                let key_ok = !item.key.is_empty()
                    && item.key.len() <= 64
                    && item
                        .key
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !key_ok {
                    return Err(SettingsError::Invalid(format!(
                        "{at}: key {:?} must be 1-64 characters of a-z, 0-9 and _",
                        item.key
                    )));
                }
                if !seen.insert(item.key.as_str()) {
                    return Err(SettingsError::Invalid(format!(
                        "{at}: key {:?} appears twice",
                        item.key
                    )));
                }
                let chars = item.text.trim().chars().count();
                if chars == 0 || chars > 200 || item.text.contains('\n') {
                    return Err(SettingsError::Invalid(format!(
                        "{at}: the text of {:?} must be one line of 1-200 characters",
                        item.key
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./liveguard-data"),
            database_url: String::new(),
            origin: "liveguard".into(),
            secure_cookies: false,
            session_minutes: 720,
            login_failures_max: 5,
            lockout_minutes: 15,
            login_attempts_per_minute: 20,
            request_bytes_max: 1024 * 1024,
            request_timeout_seconds: 30,
            header_timeout_seconds: 10,
            checkpoint_interval_seconds: 10,
            demo: false,
            ocr_engine: "tesseract".into(),
            ocr_models: PathBuf::new(),
            models: true,
            pdf_engine: "chromium".into(),
            review: ReviewSettings::default(),
            webhooks: Vec::new(),
            live: LiveSettings::default(),
            lottery: LotterySettings::default(),
            complaints: ComplaintsSettings::default(),
        }
    }
}

impl Settings {
    /// Parses a TOML file's text over the defaults.
    pub fn from_toml(text: &str) -> Result<Settings, SettingsError> {
        Ok(toml::from_str(text)?)
    }

    /// Applies `LIVEGUARD_*` variables from `vars` (pass `std::env::vars()`).
    pub fn apply_env(
        &mut self,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<(), SettingsError> {
        for (k, v) in vars {
            let Some(name) = k.strip_prefix("LIVEGUARD_") else {
                continue;
            };
            let bad = |expected: &'static str| SettingsError::Env {
                variable: k.clone(),
                expected,
            };
            match name {
                "LISTEN" => self.listen = v,
                "DATA_DIR" => self.data_dir = PathBuf::from(v),
                "DATABASE_URL" => self.database_url = v,
                "ORIGIN" => self.origin = v,
                "SECURE_COOKIES" => {
                    self.secure_cookies = v.parse().map_err(|_| bad("true or false"))?
                }
                "SESSION_MINUTES" => {
                    self.session_minutes = v.parse().map_err(|_| bad("a number"))?
                }
                "LOGIN_FAILURES_MAX" => {
                    self.login_failures_max = v.parse().map_err(|_| bad("a number"))?
                }
                "LOCKOUT_MINUTES" => {
                    self.lockout_minutes = v.parse().map_err(|_| bad("a number"))?
                }
                "LOGIN_ATTEMPTS_PER_MINUTE" => {
                    self.login_attempts_per_minute = v.parse().map_err(|_| bad("a number"))?
                }
                "REQUEST_BYTES_MAX" => {
                    self.request_bytes_max = v.parse().map_err(|_| bad("a number"))?
                }
                "HEADER_TIMEOUT_SECONDS" => {
                    self.header_timeout_seconds = v.parse().map_err(|_| bad("a number"))?
                }
                "REQUEST_TIMEOUT_SECONDS" => {
                    self.request_timeout_seconds = v.parse().map_err(|_| bad("a number"))?
                }
                "CHECKPOINT_INTERVAL_SECONDS" => {
                    self.checkpoint_interval_seconds = v.parse().map_err(|_| bad("a number"))?
                }
                "DEMO" => self.demo = v.parse().map_err(|_| bad("true or false"))?,
                "OCR_ENGINE" => self.ocr_engine = v,
                "OCR_MODELS" => self.ocr_models = PathBuf::from(v),
                "MODELS" => self.models = v.parse().map_err(|_| bad("true or false"))?,
                "NATS_URL" => self.live.nats_url = v,
                "PDF_ENGINE" => self.pdf_engine = v,
                // Logging and tooling variables share the prefix; they are not settings.
                "LOG" | "BIN" => {}
                _ if name.starts_with("TEST_") || name.starts_with("E2E_") => {}
                _ => return Err(SettingsError::UnknownEnv(k)),
            }
        }
        Ok(())
    }

    /// The database URL to use (SQLite in the data directory when none is set).
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("liveguard.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// Checks ranges; the message names the option.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.session_minutes < 1 {
            return Err("session_minutes must be at least 1".into());
        }
        if self.login_failures_max < 1 {
            return Err("login_failures_max must be at least 1".into());
        }
        if self.request_bytes_max < 1024 {
            return Err("request_bytes_max must be at least 1024".into());
        }
        if self.origin.trim().is_empty() || self.origin.contains('\n') {
            return Err("origin must be one non-empty line".into());
        }
        let d = &self.review.deadlines;
        for (name, m) in [
            ("first_minutes_before", d.first_minutes_before),
            ("second_minutes_before", d.second_minutes_before),
            ("final_minutes_before", d.final_minutes_before),
        ] {
            if !(0..=60 * 24 * 60).contains(&m) {
                return Err(SettingsError::Invalid(format!(
                    "review.deadlines.{name} must be between 0 and 86400 minutes (60 days)"
                )));
            }
        }
        if self.webhooks.len() > crate::jobs::webhook::WEBHOOKS_MAX {
            return Err(SettingsError::Invalid(format!(
                "at most {} webhooks",
                crate::jobs::webhook::WEBHOOKS_MAX
            )));
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            w.validate(i)?;
        }
        self.live.validate()?;
        self.lottery.validate()?;
        self.complaints.validate()?;
        self.review.checklist.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_to_the_defaults() {
        assert_eq!(
            Settings::from_toml(EXAMPLE_CONFIG).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn the_public_url_is_an_address_without_a_trailing_slash() {
        let with = |url: &str| {
            let mut s = Settings::default();
            s.lottery.public_url = url.into();
            s.validate()
        };
        assert!(with("").is_ok());
        assert!(with("https://live.example.com").is_ok());
        assert!(with("https://live.example.com/").is_err());
        assert!(with("live.example.com").is_err());
    }

    #[test]
    fn unknown_keys_and_env_are_errors() {
        assert!(
            Settings::from_toml("lisen = \"x\"")
                .unwrap_err()
                .to_string()
                .contains("lisen")
        );
        let mut s = Settings::default();
        let err = s
            .apply_env([("LIVEGUARD_LISEN".to_string(), "x".to_string())].into_iter())
            .unwrap_err();
        assert!(err.to_string().contains("LIVEGUARD_LISEN"));
        s.apply_env(
            [
                ("LIVEGUARD_SESSION_MINUTES".to_string(), "5".to_string()),
                ("PATH".into(), "/bin".into()),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(s.session_minutes, 5);
        assert!(
            s.apply_env([("LIVEGUARD_DEMO".to_string(), "yes".to_string())].into_iter())
                .is_err()
        );
    }

    #[test]
    fn review_checklists_and_routing_are_configurable_and_checked() {
        let s = Settings::from_toml(
            r#"
[review.routing]
on_lottery = false
regulated_categories = ["drug"]
[review.deadlines]
first_minutes_before = 600
[[review.checklist.first]]
key = "brand_ok"
text = "品牌授权文件齐全"
"#,
        )
        .unwrap();
        s.validate().unwrap();
        assert!(!s.review.routing.on_lottery);
        assert!(
            s.review.routing.on_dismissed_block,
            "unset fields keep defaults"
        );
        assert_eq!(s.review.deadlines.first_minutes_before, 600);
        assert_eq!(s.review.deadlines.second_minutes_before, 48 * 60);
        assert_eq!(s.review.checklist.for_level(Level::First).len(), 1);
        assert_eq!(
            s.review.checklist.for_level(Level::Second),
            default_checklist(Level::Second)
        );
        let bad = |toml: &str| {
            Settings::from_toml(toml)
                .and_then(|s| s.validate())
                .unwrap_err()
                .to_string()
        };
        assert!(bad("[review.checklist]\nfirst = []").contains("review.checklist.first needs"));
        assert!(
            bad("[[review.checklist.second]]\nkey = \"a\"\ntext = \"x\"\n[[review.checklist.second]]\nkey = \"a\"\ntext = \"y\"")
                .contains("appears twice")
        );
        assert!(bad("[[review.checklist.final]]\nkey = \"A b\"\ntext = \"x\"").contains("a-z"));
        assert!(
            bad("[review.routing]\nregulated_categories = [\"spaceships\"]").contains("spaceships")
        );
        assert!(bad("[review.routing]\non_lotery = true").contains("on_lotery"));
        assert!(
            bad("[review.deadlines]\nfinal_minutes_before = -5").contains("final_minutes_before")
        );
    }

    #[test]
    fn sqlite_is_the_default_database() {
        let s = Settings {
            data_dir: PathBuf::from("/d"),
            ..Settings::default()
        };
        assert_eq!(s.effective_database_url(), "sqlite:///d/liveguard.db");
    }
}
