//! Live monitoring as pure functions: what happens to one event from a live room.
//!
//! # Overview
//! An [`EventIn`] is one thing that happened in the room — a transcript segment of the
//! streamer's speech, text read off the screen, a viewer comment, a product-card change, a
//! price or stock display, a lottery action — with an idempotency `key` chosen by the sender.
//! [`validate`] checks it and names the first bad field. A [`Monitor`] holds what one
//! session was approved to say and sell (the frozen script, the plan's lineup and prices)
//! and the product on the card right now; [`Monitor::process`] turns an event into a
//! [`Processed`] record: personal information masked, the platform user id replaced by a
//! keyed digest, the engine's findings plus the live checks —
//!
//! - `live/script-drift`: a claim (efficacy, medical, absolute, price, promise, urgency …)
//!   spoken or shown that the approved script does not contain;
//! - `live/price-mismatch`: a selling price spoken that differs from the product card;
//! - `live/price-off-plan`: a spoken or card price that differs from the approved plan;
//! - `live/product-off-plan`: a product put on the card that is not in the approved lineup;
//!
//! promises to follow up (保价, 假一赔十, 七天无理由, gifts), and for comments a
//! recommended moderation action. Negative product feedback is never recommended for hiding.
//!
//! # Invariants
//! - No I/O, no async, no logging. Same inputs, same output.
//! - The raw text of personal information and the raw platform user id never appear in a
//!   [`Processed`] record.
//! - Every finding carries rule id, severity, citations and a span into the stored text.
#![deny(missing_docs)]

mod memory;
mod monitor;
mod price;

use serde::{Deserialize, Serialize};

pub use liveguard_core::Channel;
pub use memory::{countdown_claims, scarcity_claims};
pub use monitor::{
    LineupEntry, Moderation, ModerationAction, Monitor, Processed, Promise, negative_feedback,
};
pub use price::{parse_chinese_number, selling_prices};

/// Longest idempotency key, in bytes.
pub const KEY_BYTES_MAX: usize = 128;
/// Longest comment, in characters.
pub const COMMENT_CHARS_MAX: usize = 500;
/// Longest transcript segment or screen text, in characters.
pub const TEXT_CHARS_MAX: usize = 5_000;
/// Longest speaker, nickname, user id or lottery action, in characters.
pub const NAME_CHARS_MAX: usize = 64;
/// Highest price accepted, in fen (¥10,000,000).
pub const PRICE_FEN_MAX: i64 = 1_000_000_000;

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A segment of the streamer's speech from a speech recogniser (口播转写).
    Transcript,
    /// Text on screen: OCR of a frame, an overlay, a sticker (画面文字).
    ScreenText,
    /// A viewer comment (弹幕/评论).
    Comment,
    /// The product card changed: which product is being sold now, at what price.
    ProductCard,
    /// A price or stock figure shown for the current product.
    Price,
    /// A lottery action (announce, open, close, draw, result).
    Lottery,
}

impl EventKind {
    /// Every kind.
    pub const ALL: &'static [EventKind] = &[
        EventKind::Transcript,
        EventKind::ScreenText,
        EventKind::Comment,
        EventKind::ProductCard,
        EventKind::Price,
        EventKind::Lottery,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Transcript => "transcript",
            EventKind::ScreenText => "screen_text",
            EventKind::Comment => "comment",
            EventKind::ProductCard => "product_card",
            EventKind::Price => "price",
            EventKind::Lottery => "lottery",
        }
    }

    /// The engine channel of the event's text, if it carries screened text.
    pub fn channel(self) -> Option<Channel> {
        match self {
            EventKind::Transcript => Some(Channel::Transcript),
            EventKind::ScreenText => Some(Channel::ImageText),
            EventKind::Comment => Some(Channel::Comment),
            EventKind::Lottery => Some(Channel::Transcript),
            EventKind::ProductCard | EventKind::Price => None,
        }
    }
}

/// One event as a sender posts it. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// Idempotency key, unique within the session (1–128 printable ASCII bytes). A
    /// re-sent event with a known key is acknowledged and not processed again.
    pub key: String,
    /// What the event is.
    pub kind: EventKind,
    /// When it happened (Unix milliseconds); for a transcript, the segment start.
    pub at_ms: i64,
    /// The text: speech, screen text, comment, or a lottery announcement.
    #[serde(default)]
    pub text: Option<String>,
    /// Transcript: segment end (Unix milliseconds).
    #[serde(default)]
    pub end_ms: Option<i64>,
    /// Transcript: who spoke (主播, 助播 …).
    #[serde(default)]
    pub speaker: Option<String>,
    /// Transcript or screen text: recogniser confidence, 0 to 1.
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Comment: the platform's user id (replaced by a keyed digest on arrival).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Comment: the viewer's nickname (personal information in it is masked).
    #[serde(default)]
    pub nickname: Option<String>,
    /// Product card or price: the product (liveguard product id).
    #[serde(default)]
    pub product_id: Option<i64>,
    /// Product card or price: the price shown, in fen.
    #[serde(default)]
    pub price_fen: Option<i64>,
    /// Price: the stock shown.
    #[serde(default)]
    pub stock: Option<i64>,
    /// Lottery: announce, open, close, draw or result.
    #[serde(default)]
    pub action: Option<String>,
    /// Screen text: where the text came from; `frame` when it was read from a snapshot of
    /// the stream (`POST …/frames` sets it), absent for text the sender had as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<TextSource>,
}

/// Where an event's text came from, when not sent as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// Read by OCR (and code decoding) from a snapshot of the stream.
    Frame,
}

/// What is wrong with an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EventError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> EventError {
    EventError {
        field,
        message: message.into(),
    }
}

fn bounded(field: &'static str, v: &Option<String>, max: usize) -> Result<(), EventError> {
    if let Some(s) = v {
        let n = s.chars().count();
        if n == 0 || n > max {
            return Err(err(field, format!("must be 1 to {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(err(field, "must not contain control characters"));
        }
    }
    Ok(())
}

/// Lottery actions an event may carry.
pub const LOTTERY_ACTIONS: &[&str] = &["announce", "open", "close", "draw", "result"];

/// Checks one event; the error names the first bad field.
pub fn validate(e: &EventIn) -> Result<(), EventError> {
    if e.key.is_empty()
        || e.key.len() > KEY_BYTES_MAX
        || !e.key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(err(
            "key",
            format!("must be 1 to {KEY_BYTES_MAX} printable ASCII characters"),
        ));
    }
    // 2000-01-01 to 2100-01-01.
    if !(946_684_800_000..4_102_444_800_000).contains(&e.at_ms) {
        return Err(err(
            "at_ms",
            "must be Unix milliseconds between 2000 and 2100",
        ));
    }
    let text_max = match e.kind {
        EventKind::Comment => COMMENT_CHARS_MAX,
        _ => TEXT_CHARS_MAX,
    };
    bounded("text", &e.text, text_max)?;
    bounded("speaker", &e.speaker, NAME_CHARS_MAX)?;
    bounded("user_id", &e.user_id, NAME_CHARS_MAX)?;
    bounded("nickname", &e.nickname, NAME_CHARS_MAX)?;
    bounded("action", &e.action, NAME_CHARS_MAX)?;
    if let Some(c) = e.confidence
        && !(0.0..=1.0).contains(&c)
    {
        return Err(err("confidence", "must be between 0 and 1"));
    }
    if let Some(p) = e.price_fen
        && !(0..=PRICE_FEN_MAX).contains(&p)
    {
        return Err(err(
            "price_fen",
            format!("must be 0 to {PRICE_FEN_MAX} fen"),
        ));
    }
    if let Some(s) = e.stock
        && s < 0
    {
        return Err(err("stock", "must not be negative"));
    }
    if let Some(p) = e.product_id
        && p <= 0
    {
        return Err(err("product_id", "must be a positive product id"));
    }
    let needs_text = matches!(
        e.kind,
        EventKind::Transcript | EventKind::ScreenText | EventKind::Comment
    );
    if needs_text && e.text.is_none() {
        return Err(err(
            "text",
            format!("is required for a {} event", e.kind.as_str()),
        ));
    }
    match e.kind {
        EventKind::Transcript => {
            if let Some(end) = e.end_ms
                && end < e.at_ms
            {
                return Err(err("end_ms", "must not be before at_ms"));
            }
        }
        EventKind::Comment => {
            if e.user_id.is_none() {
                return Err(err("user_id", "is required for a comment"));
            }
        }
        EventKind::ProductCard => {
            if e.product_id.is_none() {
                return Err(err("product_id", "is required for a product_card event"));
            }
        }
        EventKind::Price => {
            if e.price_fen.is_none() && e.stock.is_none() {
                return Err(err(
                    "price_fen",
                    "a price event needs price_fen, stock or both",
                ));
            }
        }
        EventKind::Lottery => match e.action.as_deref() {
            Some(a) if LOTTERY_ACTIONS.contains(&a) => {}
            _ => {
                return Err(err(
                    "action",
                    format!("must be one of {}", LOTTERY_ACTIONS.join(", ")),
                ));
            }
        },
        EventKind::ScreenText => {}
    }
    Ok(())
}

/// The keyed digest that stands for a platform user id: HMAC-SHA256 under the deployment's
/// pseudonym key, first 16 bytes in hex. The same viewer gets the same digest within one
/// deployment (so mutes and counts work); the id cannot be recovered without the key.
pub fn pseudonym(key: &[u8], platform_user_id: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"liveguard-viewer:");
    mac.update(platform_user_id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

#[cfg(test)]
mod tests;
