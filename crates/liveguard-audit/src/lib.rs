//! The tamper-evident audit log of liveguard, as pure functions.
//!
//! # Overview
//! Every state change anywhere in liveguard appends an [`Entry`] (who, in which role,
//! did what to which object, digests of the object before and after, why, when). Each
//! entry's canonical bytes are a leaf of an append-only Merkle tree hashed as in RFC 6962
//! ([`merkle`]). The server periodically signs a [`Checkpoint`] — tree size and root —
//! with an Ed25519 key ([`LogKey`]). With the signed checkpoints, anyone can check that an
//! entry is in the log (inclusion proof) and that a later log extends an earlier one
//! without rewriting it (consistency proof). A [`Bundle`] packs entries, checkpoints,
//! proofs and the public key so that [`verify_bundle`] checks everything offline, with no
//! database.
//!
//! Personal data never goes into an entry in clear: callers put [`salted_digest`]s there,
//! so that erasing the personal data (and its salt) later leaves every proof intact.
//!
//! This crate does no I/O and reads no clock or randomness: times and key bytes come from
//! the caller, so logs and bundles are reproducible in tests.
#![deny(missing_docs)]

pub mod merkle;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use merkle::{Frontier, Hash, ProofError};

/// Format tag of a bundle.
pub const BUNDLE_FORMAT: &str = "liveguard-audit-bundle/v1";
/// First line of the signed checkpoint text.
pub const CHECKPOINT_HEADER: &str = "liveguard-audit-checkpoint/v1";
/// Longest text field of an entry, in bytes.
pub const ENTRY_FIELD_BYTES_MAX: usize = 4096;

/// One audit-log entry. Field order is the canonical order of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the log, from 0, without gaps.
    pub seq: u64,
    /// When, as RFC 3339 UTC text from the caller's clock.
    pub time: String,
    /// Who: a user name, `token:<id>` or `system`.
    pub actor: String,
    /// The actor's role at the time.
    pub role: String,
    /// What happened, dotted: `user.create`, `session.login`, `review.approve`.
    pub action: String,
    /// What it happened to: `user:3`, `script:17@v2`.
    pub object: String,
    /// Hex SHA-256 of the object's canonical form before the change.
    pub before: Option<String>,
    /// Hex SHA-256 of the object's canonical form after the change.
    pub after: Option<String>,
    /// Why (free text; never personal data in clear).
    pub reason: Option<String>,
}

impl Entry {
    /// The canonical bytes hashed into the tree: compact JSON in field order.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an entry of strings and integers always serializes")
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.canonical_bytes())
    }

    /// Checks field sizes and the digest format; returns a message naming the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("time", &self.time),
            ("actor", &self.actor),
            ("role", &self.role),
            ("action", &self.action),
            ("object", &self.object),
        ] {
            if value.is_empty() {
                return Err(format!("entry field `{name}` is empty"));
            }
            if value.len() > ENTRY_FIELD_BYTES_MAX {
                return Err(format!(
                    "entry field `{name}` exceeds entry_field_bytes_max ({ENTRY_FIELD_BYTES_MAX})"
                ));
            }
        }
        for (name, digest) in [("before", &self.before), ("after", &self.after)] {
            if let Some(d) = digest
                && (d.len() != 64
                    || !d
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            {
                return Err(format!(
                    "entry field `{name}` must be 64 lowercase hex digits"
                ));
            }
        }
        if self
            .reason
            .as_ref()
            .is_some_and(|r| r.len() > ENTRY_FIELD_BYTES_MAX)
        {
            return Err(format!(
                "entry field `reason` exceeds entry_field_bytes_max ({ENTRY_FIELD_BYTES_MAX})"
            ));
        }
        Ok(())
    }
}

/// Hex SHA-256 of `bytes`: the digest of an object's canonical form for `before`/`after`.
pub fn digest_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A salted digest of a piece of personal data, for use inside entries.
///
/// `SHA-256("liveguard-pd/v1" || len(salt) as u32 BE || salt || value)`, hex. Keep the salt
/// beside the personal data (per subject or per deployment); deleting both makes the digest
/// unlinkable while the log and its proofs stay valid.
pub fn salted_digest(salt: &[u8], value: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"liveguard-pd/v1");
    h.update((salt.len() as u32).to_be_bytes());
    h.update(salt);
    h.update(value.as_bytes());
    hex::encode(h.finalize())
}

/// The state of the log at one moment: what a checkpoint signature covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Which log: the deployment's name.
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// Hex root hash of the first `size` entries.
    pub root: String,
    /// When it was signed (RFC 3339 UTC).
    pub time: String,
}

impl Checkpoint {
    /// The exact bytes that are signed: five lines of text.
    pub fn signed_text(&self) -> String {
        format!(
            "{CHECKPOINT_HEADER}\n{}\n{}\n{}\n{}\n",
            self.origin, self.size, self.root, self.time
        )
    }
}

/// A checkpoint with its Ed25519 signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Hex Ed25519 signature over [`Checkpoint::signed_text`].
    pub signature: String,
}

/// The log's signing key.
pub struct LogKey {
    key: SigningKey,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("public", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// A key from 32 secret bytes (the caller draws them from the operating system).
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        LogKey {
            key: SigningKey::from_bytes(secret),
        }
    }

    /// The secret bytes, for storing the key.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Hex of the 32-byte public key.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs a checkpoint.
    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        let signature = self.key.sign(checkpoint.signed_text().as_bytes());
        SignedCheckpoint {
            checkpoint,
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// Why verification failed. Each message says what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The bundle is not in a format this version reads.
    #[error("unsupported bundle format `{0}` (expected {BUNDLE_FORMAT})")]
    Format(String),
    /// The public key is not 32 bytes of hex, or not a valid Ed25519 point.
    #[error("invalid public key: {0}")]
    PublicKey(String),
    /// A checkpoint signature does not verify.
    #[error("checkpoint of size {size}: signature does not verify with the bundle's public key")]
    Signature {
        /// Checkpoint size.
        size: u64,
    },
    /// A checkpoint is for another log.
    #[error("checkpoint of size {size} is for log `{origin}`, not `{expected}`")]
    Origin {
        /// Checkpoint size.
        size: u64,
        /// Its origin.
        origin: String,
        /// The bundle's origin.
        expected: String,
    },
    /// An entry's sequence number is not its position.
    #[error(
        "entry at position {position} has seq {seq}: entries were removed, inserted or reordered"
    )]
    Sequence {
        /// Position in the bundle.
        position: u64,
        /// Its seq field.
        seq: u64,
    },
    /// A checkpoint root differs from the root recomputed from the entries.
    #[error(
        "checkpoint of size {size}: root does not match entries 0..{size} — an entry was edited, removed, inserted or reordered"
    )]
    Root {
        /// Checkpoint size.
        size: u64,
    },
    /// A checkpoint claims more entries than the bundle holds.
    #[error("checkpoint of size {size} covers more than the {entries} entries in the bundle")]
    Truncated {
        /// Checkpoint size.
        size: u64,
        /// Entries present.
        entries: u64,
    },
    /// Entries after the last checkpoint are not covered by any signature.
    #[error(
        "{unsigned} entries after the last checkpoint (size {last}) are not covered by a signature"
    )]
    Unsigned {
        /// Size of the last checkpoint.
        last: u64,
        /// Entries beyond it.
        unsigned: u64,
    },
    /// Checkpoints are not in increasing size order, or there are none.
    #[error("{0}")]
    Checkpoints(String),
    /// A consistency proof between two checkpoints does not verify.
    #[error("consistency proof from size {from} to {to}: {source}")]
    Consistency {
        /// Older size.
        from: u64,
        /// Newer size.
        to: u64,
        /// Why.
        source: ProofError,
    },
    /// A hash field is not 64 hex digits.
    #[error("malformed hash `{0}`")]
    Hash(String),
}

/// Decodes lowercase hex only: the canonical form, so that no two texts mean the same bytes.
fn strict_hex(text: &str) -> Option<Vec<u8>> {
    if text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        hex::decode(text).ok()
    } else {
        None
    }
}

/// Verifies one signed checkpoint with a hex public key.
pub fn verify_checkpoint(
    public_key_hex: &str,
    signed: &SignedCheckpoint,
) -> Result<(), VerifyError> {
    let key = parse_public_key(public_key_hex)?;
    let sig_bytes: [u8; 64] = strict_hex(&signed.signature)
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::Signature {
            size: signed.checkpoint.size,
        })?;
    let sig = Signature::from_bytes(&sig_bytes);
    key.verify(signed.checkpoint.signed_text().as_bytes(), &sig)
        .map_err(|_| VerifyError::Signature {
            size: signed.checkpoint.size,
        })
}

fn parse_public_key(public_key_hex: &str) -> Result<VerifyingKey, VerifyError> {
    let bytes: [u8; 32] = strict_hex(public_key_hex)
        .ok_or_else(|| VerifyError::PublicKey("expected 64 lowercase hex digits".to_string()))?
        .try_into()
        .map_err(|_| VerifyError::PublicKey("expected 32 bytes".to_string()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| VerifyError::PublicKey(e.to_string()))
}

/// Parses a hex hash.
pub fn parse_hash(hex_hash: &str) -> Result<Hash, VerifyError> {
    strict_hex(hex_hash)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| VerifyError::Hash(hex_hash.chars().take(80).collect()))
}

/// A consistency proof between two checkpoint sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyStep {
    /// Older size.
    pub from: u64,
    /// Newer size.
    pub to: u64,
    /// Hex hashes of `PROOF(from, D[to])`.
    pub proof: Vec<String>,
}

/// Everything needed to verify a log offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The log's origin name.
    pub origin: String,
    /// Hex Ed25519 public key of the log.
    pub public_key: String,
    /// Every entry, in order.
    pub entries: Vec<Entry>,
    /// Signed checkpoints, in increasing size.
    pub checkpoints: Vec<SignedCheckpoint>,
    /// Consistency proofs between consecutive checkpoints.
    pub consistency: Vec<ConsistencyStep>,
}

/// Builds a bundle: computes consistency proofs between consecutive checkpoints.
///
/// # Panics
/// Panics if a checkpoint is larger than the number of entries (callers pass checkpoints
/// taken from the same log).
pub fn build_bundle(
    origin: &str,
    public_key_hex: &str,
    entries: Vec<Entry>,
    mut checkpoints: Vec<SignedCheckpoint>,
) -> Bundle {
    checkpoints.sort_by_key(|c| c.checkpoint.size);
    checkpoints.dedup_by_key(|c| c.checkpoint.size);
    let leaves: Vec<Hash> = entries.iter().map(Entry::leaf_hash).collect();
    let consistency = checkpoints
        .windows(2)
        .map(|w| {
            let (from, to) = (w[0].checkpoint.size, w[1].checkpoint.size);
            ConsistencyStep {
                from,
                to,
                proof: merkle::consistency_proof(&leaves[..to as usize], from as usize)
                    .iter()
                    .map(hex::encode)
                    .collect(),
            }
        })
        .collect();
    Bundle {
        format: BUNDLE_FORMAT.to_string(),
        origin: origin.to_string(),
        public_key: public_key_hex.to_string(),
        entries,
        checkpoints,
        consistency,
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    /// Entries verified.
    pub entries: u64,
    /// Checkpoints whose signature and root verified.
    pub checkpoints: usize,
    /// Root of the whole log (hex).
    pub root: String,
}

/// Verifies a bundle offline: formats, every signature, every root against the entries,
/// every consistency proof, and that every entry is covered by a signed checkpoint.
pub fn verify_bundle(bundle: &Bundle) -> Result<BundleReport, VerifyError> {
    if bundle.format != BUNDLE_FORMAT {
        return Err(VerifyError::Format(bundle.format.clone()));
    }
    parse_public_key(&bundle.public_key)?;
    let mut frontier = Frontier::new();
    let mut roots_at: std::collections::HashMap<u64, Hash> = std::collections::HashMap::new();
    let sizes: std::collections::HashSet<u64> = bundle
        .checkpoints
        .iter()
        .map(|c| c.checkpoint.size)
        .collect();
    for (position, e) in bundle.entries.iter().enumerate() {
        if e.seq != position as u64 {
            return Err(VerifyError::Sequence {
                position: position as u64,
                seq: e.seq,
            });
        }
        frontier.push(e.leaf_hash());
        if sizes.contains(&frontier.size()) {
            roots_at.insert(frontier.size(), frontier.root());
        }
    }
    if bundle.checkpoints.is_empty() {
        return Err(VerifyError::Checkpoints(
            "the bundle has no signed checkpoint".to_string(),
        ));
    }
    let mut last = 0u64;
    for (i, signed) in bundle.checkpoints.iter().enumerate() {
        let c = &signed.checkpoint;
        if i > 0 && c.size <= last {
            return Err(VerifyError::Checkpoints(format!(
                "checkpoints are not in increasing size order ({} after {last})",
                c.size
            )));
        }
        if c.origin != bundle.origin {
            return Err(VerifyError::Origin {
                size: c.size,
                origin: c.origin.clone(),
                expected: bundle.origin.clone(),
            });
        }
        verify_checkpoint(&bundle.public_key, signed)?;
        let entries = bundle.entries.len() as u64;
        if c.size > entries {
            return Err(VerifyError::Truncated {
                size: c.size,
                entries,
            });
        }
        let expected = if c.size == 0 {
            merkle::empty_root()
        } else {
            roots_at[&c.size]
        };
        if parse_hash(&c.root)? != expected {
            return Err(VerifyError::Root { size: c.size });
        }
        last = c.size;
    }
    for step in &bundle.consistency {
        let find = |size: u64| {
            bundle
                .checkpoints
                .iter()
                .find(|c| c.checkpoint.size == size)
        };
        let (Some(a), Some(b)) = (find(step.from), find(step.to)) else {
            return Err(VerifyError::Checkpoints(format!(
                "consistency proof {}→{} refers to a checkpoint not in the bundle",
                step.from, step.to
            )));
        };
        let proof: Vec<Hash> = step
            .proof
            .iter()
            .map(|h| parse_hash(h))
            .collect::<Result<_, _>>()?;
        merkle::verify_consistency(
            step.from,
            step.to,
            &parse_hash(&a.checkpoint.root)?,
            &parse_hash(&b.checkpoint.root)?,
            &proof,
        )
        .map_err(|source| VerifyError::Consistency {
            from: step.from,
            to: step.to,
            source,
        })?;
    }
    let entries = bundle.entries.len() as u64;
    if last < entries {
        return Err(VerifyError::Unsigned {
            last,
            unsigned: entries - last,
        });
    }
    Ok(BundleReport {
        entries,
        checkpoints: bundle.checkpoints.len(),
        root: hex::encode(frontier.root()),
    })
}

#[cfg(test)]
mod tests;
