use super::*;
use proptest::prelude::*;

fn key() -> LogKey {
    LogKey::from_secret_bytes(&[7u8; 32])
}

fn entry(seq: u64) -> Entry {
    Entry {
        seq,
        time: format!("2026-11-26T10:{:02}:00Z", seq % 60),
        actor: if seq.is_multiple_of(2) {
            "lead".into()
        } else {
            "legal".into()
        },
        role: "compliance_lead".into(),
        action: "review.approve".into(),
        object: format!("script:{seq}"),
        before: Some(digest_hex(format!("before {seq}").as_bytes())),
        after: Some(digest_hex(format!("after {seq}").as_bytes())),
        reason: Some("符合审核要点".into()),
    }
}

fn checkpoint(entries: &[Entry], size: usize, key: &LogKey) -> SignedCheckpoint {
    let leaves: Vec<Hash> = entries[..size].iter().map(Entry::leaf_hash).collect();
    key.sign(Checkpoint {
        origin: "demo.liveguard".into(),
        size: size as u64,
        root: hex::encode(merkle::root(&leaves)),
        time: "2026-11-26T12:00:00Z".into(),
    })
}

fn bundle(n: usize, at: &[usize]) -> Bundle {
    let k = key();
    let entries: Vec<Entry> = (0..n as u64).map(entry).collect();
    let cps = at.iter().map(|&s| checkpoint(&entries, s, &k)).collect();
    build_bundle("demo.liveguard", &k.public_key_hex(), entries, cps)
}

#[test]
fn a_fresh_bundle_verifies_and_survives_json() {
    let b = bundle(10, &[3, 7, 10]);
    let report = verify_bundle(&b).unwrap();
    assert_eq!(report.entries, 10);
    assert_eq!(report.checkpoints, 3);
    let json = serde_json::to_string(&b).unwrap();
    let back: Bundle = serde_json::from_str(&json).unwrap();
    assert_eq!(verify_bundle(&back).unwrap(), report);
}

#[test]
fn editing_an_entry_is_detected() {
    let mut b = bundle(10, &[4, 10]);
    b.entries[2].reason = Some("改过的理由".into());
    assert_eq!(
        verify_bundle(&b).unwrap_err(),
        VerifyError::Root { size: 4 }
    );
    let mut b = bundle(10, &[4, 10]);
    b.entries[8].actor = "mallory".into();
    assert_eq!(
        verify_bundle(&b).unwrap_err(),
        VerifyError::Root { size: 10 }
    );
}

#[test]
fn deleting_inserting_reordering_are_detected() {
    let mut deleted = bundle(10, &[10]);
    deleted.entries.remove(5);
    assert!(matches!(
        verify_bundle(&deleted),
        Err(VerifyError::Sequence {
            position: 5,
            seq: 6
        })
    ));

    // Deleting and renumbering to hide the gap changes the root.
    let mut renumbered = bundle(10, &[10]);
    renumbered.entries.remove(5);
    for (i, e) in renumbered.entries.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    assert!(matches!(
        verify_bundle(&renumbered),
        Err(VerifyError::Truncated { .. })
    ));

    let mut inserted = bundle(10, &[10]);
    inserted.entries.insert(3, entry(3));
    for (i, e) in inserted.entries.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    assert_eq!(
        verify_bundle(&inserted).unwrap_err(),
        VerifyError::Root { size: 10 }
    );

    let mut reordered = bundle(10, &[10]);
    reordered.entries.swap(1, 2);
    assert!(matches!(
        verify_bundle(&reordered),
        Err(VerifyError::Sequence { .. })
    ));
    let (s1, s2) = (reordered.entries[1].seq, reordered.entries[2].seq);
    reordered.entries[1].seq = s2;
    reordered.entries[2].seq = s1;
    assert_eq!(
        verify_bundle(&reordered).unwrap_err(),
        VerifyError::Root { size: 10 }
    );
}

#[test]
fn forged_signature_or_wrong_key_is_detected() {
    let mut b = bundle(5, &[5]);
    b.checkpoints[0].checkpoint.time = "2030-01-01T00:00:00Z".into();
    assert_eq!(
        verify_bundle(&b).unwrap_err(),
        VerifyError::Signature { size: 5 }
    );

    let mut b = bundle(5, &[5]);
    b.public_key = LogKey::from_secret_bytes(&[9u8; 32]).public_key_hex();
    assert_eq!(
        verify_bundle(&b).unwrap_err(),
        VerifyError::Signature { size: 5 }
    );

    // Re-signing a rewritten log with another key does not help: the bundle's key is checked.
    let mut b = bundle(5, &[5]);
    b.entries[0].action = "review.reject".into();
    let other = LogKey::from_secret_bytes(&[1u8; 32]);
    b.checkpoints[0] = checkpoint(&b.entries, 5, &other);
    assert_eq!(
        verify_bundle(&b).unwrap_err(),
        VerifyError::Signature { size: 5 }
    );
}

#[test]
fn unsigned_tail_and_missing_checkpoints_fail() {
    let b = bundle(8, &[5]);
    assert_eq!(
        verify_bundle(&b).unwrap_err(),
        VerifyError::Unsigned {
            last: 5,
            unsigned: 3
        }
    );
    let b = bundle(3, &[]);
    assert!(matches!(
        verify_bundle(&b),
        Err(VerifyError::Checkpoints(_))
    ));
}

#[test]
fn tampered_consistency_proof_fails() {
    let mut b = bundle(13, &[5, 13]);
    let mut h = parse_hash(&b.consistency[0].proof[0]).unwrap();
    h[0] ^= 0xff;
    b.consistency[0].proof[0] = hex::encode(h);
    assert!(matches!(
        verify_bundle(&b),
        Err(VerifyError::Consistency {
            from: 5,
            to: 13,
            ..
        })
    ));
}

#[test]
fn salted_digests_are_stable_and_unlinkable_across_salts() {
    let a = salted_digest(b"salt-1", "13812345678");
    assert_eq!(a, salted_digest(b"salt-1", "13812345678"));
    assert_ne!(a, salted_digest(b"salt-2", "13812345678"));
    assert_eq!(a.len(), 64);
}

#[test]
fn entry_validation_names_the_field() {
    let mut e = entry(0);
    e.actor.clear();
    assert!(e.validate().unwrap_err().contains("`actor`"));
    let mut e = entry(0);
    e.after = Some("XYZ".into());
    assert!(e.validate().unwrap_err().contains("`after`"));
    assert!(entry(0).validate().is_ok());
}

#[test]
fn types_are_send_sync() {
    fn check<T: Send + Sync + std::panic::UnwindSafe>() {}
    check::<Bundle>();
    check::<LogKey>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any single-byte change anywhere in the serialized bundle's entries or checkpoints is
    /// either rejected by the parser or detected by the verifier.
    #[test]
    fn any_single_byte_change_is_detected(n in 1usize..12, pick in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let b = bundle(n, &[n]);
        let json = serde_json::to_vec(&b).unwrap();
        let i = pick.index(json.len());
        let mut bad = json.clone();
        bad[i] = bad[i].wrapping_add(delta);
        if let Ok(parsed) = serde_json::from_slice::<Bundle>(&bad) {
            // A change that parses to the same bundle (for example inside insignificant
            // whitespace) is not a change of content.
            if parsed != b {
                prop_assert!(verify_bundle(&parsed).is_err(), "undetected change at byte {}", i);
            }
        }
    }
}
