//! One typed configuration: defaults → TOML file → `LIVEGUARD_` environment → flags.

use std::path::PathBuf;

use serde::Deserialize;

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
    /// Failed logins before lockout.
    pub login_failures_max: i64,
    /// Lockout length in minutes.
    pub lockout_minutes: i64,
    /// Login attempts per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Request body limit in bytes.
    pub request_bytes_max: usize,
    /// Request timeout in seconds.
    pub request_timeout_seconds: u64,
    /// Checkpoint interval in seconds.
    pub checkpoint_interval_seconds: u64,
    /// Demo mode.
    pub demo: bool,
    /// The OCR program for promo images (Tesseract with chi_sim).
    pub ocr_engine: String,
    /// The browser that renders PDFs of approved versions (headless Chromium).
    pub pdf_engine: String,
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
            checkpoint_interval_seconds: 10,
            demo: false,
            ocr_engine: "tesseract".into(),
            pdf_engine: "chromium".into(),
        }
    }
}

impl Settings {
    /// Parses a TOML file's text over the defaults.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Applies `LIVEGUARD_*` variables from `vars` (pass `std::env::vars()`).
    pub fn apply_env(
        &mut self,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<(), String> {
        for (k, v) in vars {
            let Some(name) = k.strip_prefix("LIVEGUARD_") else {
                continue;
            };
            let bad = |what: &str| format!("environment variable {k}: expected {what}");
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
                "REQUEST_TIMEOUT_SECONDS" => {
                    self.request_timeout_seconds = v.parse().map_err(|_| bad("a number"))?
                }
                "CHECKPOINT_INTERVAL_SECONDS" => {
                    self.checkpoint_interval_seconds = v.parse().map_err(|_| bad("a number"))?
                }
                "DEMO" => self.demo = v.parse().map_err(|_| bad("true or false"))?,
                "OCR_ENGINE" => self.ocr_engine = v,
                "PDF_ENGINE" => self.pdf_engine = v,
                // Logging and tooling variables share the prefix; they are not settings.
                "LOG" | "BIN" => {}
                _ if name.starts_with("TEST_") || name.starts_with("E2E_") => {}
                _ => return Err(format!("unknown environment variable {k}")),
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
    pub fn validate(&self) -> Result<(), String> {
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
        Ok(())
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
    fn unknown_keys_and_env_are_errors() {
        assert!(
            Settings::from_toml("lisen = \"x\"")
                .unwrap_err()
                .contains("lisen")
        );
        let mut s = Settings::default();
        let err = s
            .apply_env([("LIVEGUARD_LISEN".to_string(), "x".to_string())].into_iter())
            .unwrap_err();
        assert!(err.contains("LIVEGUARD_LISEN"));
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
    fn sqlite_is_the_default_database() {
        let s = Settings {
            data_dir: PathBuf::from("/d"),
            ..Settings::default()
        };
        assert_eq!(s.effective_database_url(), "sqlite:///d/liveguard.db");
    }
}
