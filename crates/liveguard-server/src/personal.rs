//! Personal data at rest: sealed with AES-256-GCM under a key kept in the data directory
//! (never in the database), bound to the record it belongs to, and shown masked to every
//! role that does not need it in full (《个人信息保护法》 Art. 51).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde::{Deserialize, Serialize};

/// The file in the data directory holding the personal-data key; every node of one
/// deployment needs the same file, and losing it makes the sealed data unreadable.
pub const PERSONAL_KEY_FILE: &str = "personal-data.key";

const PREFIX: &str = "v1.";

/// Seals and opens personal data.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

/// Why sealed data could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Not produced by this format.
    #[error("sealed data is not in the v1 format")]
    Format,
    /// Wrong key, wrong record or altered bytes.
    #[error("sealed data does not open with this key for this record")]
    Open,
    /// No randomness.
    #[error("no randomness for a nonce: {0}")]
    Random(String),
}

impl Sealer {
    /// A sealer with a 256-bit key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Seals `plain` for the record named `context` (e.g. `lottery_claim:7`): the text is
    /// `v1.` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
        let ct = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{PREFIX}{}", STANDARD_NO_PAD.encode(out)))
    }

    /// Opens what [`Sealer::seal`] produced for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .ok_or(SealError::Format)?;
        if raw.len() < 12 + 16 {
            return Err(SealError::Format);
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| SealError::Format)?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)
    }
}

/// A prize winner's delivery data: collected for delivery only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Delivery address.
    pub address: String,
}

impl Recipient {
    /// Checks the fields; the error names the field.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let name = self.name.trim().chars().count();
        if !(1..=50).contains(&name) {
            return Err(("name", "must be 1 to 50 characters".into()));
        }
        let phone = self.phone.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(7..=15).contains(&digits)
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '))
        {
            return Err((
                "phone",
                "must be a phone number of 7 to 15 digits (digits, '-', '+', spaces)".into(),
            ));
        }
        let address = self.address.trim().chars().count();
        if !(5..=200).contains(&address) {
            return Err(("address", "must be 5 to 200 characters".into()));
        }
        Ok(())
    }

    /// The masked view: the surname, the first three and last four digits, the first six
    /// characters of the address.
    pub fn masked(&self) -> Recipient {
        let name: String = self
            .name
            .trim()
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 0 { c } else { '*' })
            .collect();
        let digits: Vec<char> = self.phone.chars().filter(char::is_ascii_digit).collect();
        let phone = if digits.len() >= 7 {
            format!(
                "{}****{}",
                digits[..3].iter().collect::<String>(),
                digits[digits.len() - 4..].iter().collect::<String>()
            )
        } else {
            "****".into()
        };
        let address: String = self.address.trim().chars().take(6).collect();
        Recipient {
            name,
            phone,
            address: format!("{address}****"),
        }
    }
}

/// The one masking path for personal data in free text (security review F2, F10): phone
/// and ID numbers (also glued to names and numerals, and IDs with a wrong check digit),
/// bank cards, e-mail, QQ and WeChat ids, street addresses. Operator free text (reasons,
/// notes, comments) goes through it before it is stored, and every audit reason before it
/// reaches the append-only log.
pub fn mask_free_text(text: &str) -> String {
    liveguard_screen::pii::mask(text, liveguard_screen::Detector::ALL).0
}

/// A display name as a public winners' list shows it: the first character, stars, and the
/// last character of a name of three or more characters ("小*林", "fa****3"), the first
/// and a star for two; personal information inside is masked first.
pub fn mask_name(name: &str) -> String {
    let clean = mask_free_text(name.trim());
    let chars: Vec<char> = clean.chars().collect();
    match chars.len() {
        0 => "*".into(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat((n - 2).min(4)), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked_as_winners_lists_show_them() {
        assert_eq!(super::mask_name("小林"), "小*");
        assert_eq!(super::mask_name("小林同学"), "小**学");
        assert_eq!(super::mask_name("fan-03"), "f****3");
        assert_eq!(super::mask_name("a"), "*");
        assert!(!super::mask_name("13812345678").contains("1234567"));
    }

    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_record() {
        let s = Sealer::new(&[7u8; 32]);
        let sealed = s
            .seal("lottery_claim:1", "张三 13800138000".as_bytes())
            .unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("13800138000"));
        assert_eq!(
            s.open("lottery_claim:1", &sealed).unwrap(),
            "张三 13800138000".as_bytes()
        );
        // Same plain text, new nonce: different sealed text.
        assert_ne!(sealed, s.seal("lottery_claim:1", b"x").unwrap());
        assert!(matches!(
            s.open("lottery_claim:2", &sealed),
            Err(SealError::Open)
        ));
        assert!(matches!(
            Sealer::new(&[8u8; 32]).open("lottery_claim:1", &sealed),
            Err(SealError::Open)
        ));
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert!(s.open("lottery_claim:1", &flipped).is_err());
        assert!(matches!(
            s.open("lottery_claim:1", "plain text"),
            Err(SealError::Format)
        ));
    }

    #[test]
    fn recipients_are_checked_and_masked() {
        let r = Recipient {
            name: "张小明".into(),
            phone: "138-0013-8000".into(),
            address: "浙江省杭州市西湖区文三路 1 号".into(),
        };
        assert!(r.validate().is_ok());
        let m = r.masked();
        assert_eq!(m.name, "张**");
        assert_eq!(m.phone, "138****8000");
        assert_eq!(m.address, "浙江省杭州市****");
        let bad = Recipient {
            phone: "call me".into(),
            ..r.clone()
        };
        assert_eq!(bad.validate().unwrap_err().0, "phone");
        let bad = Recipient {
            name: " ".into(),
            ..r.clone()
        };
        assert_eq!(bad.validate().unwrap_err().0, "name");
        let bad = Recipient {
            address: "杭州".into(),
            ..r
        };
        assert_eq!(bad.validate().unwrap_err().0, "address");
    }
}
