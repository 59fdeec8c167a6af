//! RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.
//!
//! Leaves are hashed as `SHA-256(0x00 || data)`, interior nodes as
//! `SHA-256(0x01 || left || right)`, and a tree of `n` leaves splits at the largest power
//! of two smaller than `n` (RFC 6962 §2.1). Proof generation follows RFC 6962's PATH and
//! SUBPROOF definitions; verification follows the iterative algorithms of RFC 9162
//! §2.1.3.2 and §2.1.4.2, so a proof made by any conforming log verifies here.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has {got} hashes, expected {expected}")]
    WrongLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes expected.
        expected: usize,
    },
    /// The sizes cannot be consistent (the first is larger than the second).
    #[error("tree size {first} is larger than tree size {second}")]
    SizesOutOfOrder {
        /// Older size.
        first: u64,
        /// Newer size.
        second: u64,
    },
    /// The recomputed root differs from the expected root.
    #[error("recomputed root does not match")]
    RootMismatch,
}

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The hash of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// `MTH(D[n])` over already-hashed leaves.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// `PATH(m, D[n])`: the audit path of leaf `index`.
///
/// # Panics
/// Panics if `index >= leaves.len()` (callers check the index against the size first).
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    assert!(
        index < leaves.len(),
        "leaf {index} outside tree of {}",
        leaves.len()
    );
    let mut proof = Vec::new();
    path(leaves, index, &mut proof);
    proof
}

fn path(leaves: &[Hash], m: usize, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(&leaves[..k], m, out);
        out.push(root(&leaves[k..]));
    } else {
        path(&leaves[k..], m - k, out);
        out.push(root(&leaves[..k]));
    }
}

/// A Merkle tree kept in memory: every complete, aligned subtree's hash (level `l` holds
/// the hashes of leaves `[i·2^l, (i+1)·2^l)`), so that after an O(n) build a root or an
/// inclusion proof costs O(log² n) hashes instead of O(n). Memory: about two hashes a leaf.
#[derive(Debug, Clone)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Builds the tree over already-hashed leaves.
    pub fn new(leaves: Vec<Hash>) -> Tree {
        let mut levels = vec![leaves];
        loop {
            let prev = &levels[levels.len() - 1];
            if prev.len() < 2 {
                break;
            }
            let next: Vec<Hash> = prev
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(next);
        }
        Tree { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `MTH(D[n])`, the same as [`root`] over the leaves.
    pub fn root(&self) -> Hash {
        self.range_root(0, self.len())
    }

    /// `MTH` of leaves `[start, start + len)` as the RFC 6962 recursion meets them: a
    /// power-of-two range there is always aligned to its size, so it is one stored node.
    fn range_root(&self, start: usize, len: usize) -> Hash {
        match len {
            0 => empty_root(),
            1 => self.levels[0][start],
            _ if len.is_power_of_two() && start.is_multiple_of(len) => {
                let l = len.trailing_zeros() as usize;
                self.levels[l][start >> l]
            }
            _ => {
                let k = split(len);
                node_hash(
                    &self.range_root(start, k),
                    &self.range_root(start + k, len - k),
                )
            }
        }
    }

    /// `PATH(m, D[n])`, the same as [`inclusion_proof`] over the leaves.
    ///
    /// # Panics
    /// Panics if `index >= self.len()`.
    pub fn inclusion_proof(&self, index: usize) -> Vec<Hash> {
        assert!(
            index < self.len(),
            "leaf {index} outside tree of {}",
            self.len()
        );
        let mut out = Vec::new();
        let (mut start, mut n, mut m) = (0, self.len(), index);
        let mut siblings = Vec::new();
        while n > 1 {
            let k = split(n);
            if m < k {
                siblings.push((start + k, n - k));
                n = k;
            } else {
                siblings.push((start, k));
                start += k;
                n -= k;
                m -= k;
            }
        }
        // PATH lists the deepest sibling first.
        for (s, len) in siblings.into_iter().rev() {
            out.push(self.range_root(s, len));
        }
        out
    }
}

/// `PROOF(m, D[n])`: a consistency proof from the tree of the first `m` leaves to the tree of
/// all leaves. Empty when `m == 0` or `m == n`.
///
/// # Panics
/// Panics if `m > leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Vec<Hash> {
    assert!(
        m <= leaves.len(),
        "old size {m} above new size {}",
        leaves.len()
    );
    let mut proof = Vec::new();
    if m > 0 && m < leaves.len() {
        subproof(m, leaves, true, &mut proof);
    }
    proof
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Verifies that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves with `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected: inclusion_len(index, size),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected: inclusion_len(index, size),
        });
    }
    if &r == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

fn inclusion_len(index: u64, size: u64) -> usize {
    // Length of PATH(index, D[size]), for error messages.
    fn go(m: u64, n: u64) -> usize {
        if n <= 1 {
            return 0;
        }
        let mut k = 1;
        while k << 1 < n {
            k <<= 1;
        }
        1 + if m < k { go(m, k) } else { go(m - k, n - k) }
    }
    go(index, size)
}

/// Verifies that the tree of `first` leaves with `first_root` is a prefix of the tree of
/// `second` leaves with `second_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root {
            Ok(())
        } else if !proof.is_empty() {
            Err(ProofError::WrongLength {
                got: proof.len(),
                expected: 0,
            })
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if first == 0 {
        // Every tree extends the empty tree; RFC 9162 proofs start at size 1.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength {
                got: proof.len(),
                expected: 0,
            })
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength {
            got: 0,
            expected: 1,
        });
    }
    // If first is an exact power of two, the first root is implicitly the first proof node.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected: proof.len() - 1,
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected: proof.len() + 1,
        });
    }
    if &fr == first_root && &sr == second_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// The right edge of a growing tree: enough to compute the root after each append in
/// O(log n) without keeping every leaf in memory (a "compact range" from 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Roots of the perfect subtrees making up the tree, largest first.
    peaks: Vec<Hash>,
}

impl Frontier {
    /// An empty tree.
    pub fn new() -> Self {
        Frontier::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.peaks.pop().expect("a set bit of size has a peak");
            h = node_hash(&left, &h);
            size >>= 1;
        }
        self.peaks.push(h);
        self.size += 1;
    }

    /// The root of the current tree.
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The leaf inputs of the certificate-transparency reference test suite.
    fn ct_leaves() -> Vec<Hash> {
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        inputs.iter().map(|d| leaf_hash(d)).collect()
    }

    #[test]
    fn roots_match_reference_vectors() {
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_leaves();
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(
                hex::encode(root(&leaves[..=n])),
                *want,
                "root of {} leaves",
                n + 1
            );
        }
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_kept_tree_matches_every_proof_of_the_reference_sizes() {
        let leaves = ct_leaves();
        for n in 1..=leaves.len() {
            let tree = Tree::new(leaves[..n].to_vec());
            assert_eq!(tree.root(), root(&leaves[..n]));
            for i in 0..n {
                assert_eq!(
                    tree.inclusion_proof(i),
                    inclusion_proof(&leaves[..n], i),
                    "{i} of {n}"
                );
            }
        }
        assert_eq!(Tree::new(Vec::new()).root(), empty_root());
    }

    #[test]
    fn frontier_matches_recursive_root() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for (i, l) in leaves.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.root(), root(&leaves[..=i]), "size {}", i + 1);
        }
    }

    proptest! {
        #[test]
        fn the_kept_tree_gives_the_same_roots_and_proofs(n in 1usize..300, pick in 0usize..10_000) {
            let leaves: Vec<Hash> = (0..n as u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
            let tree = Tree::new(leaves.clone());
            prop_assert_eq!(tree.len(), n);
            prop_assert_eq!(tree.root(), root(&leaves));
            let i = pick % n;
            prop_assert_eq!(tree.inclusion_proof(i), inclusion_proof(&leaves, i));
        }

        #[test]
        fn every_inclusion_proof_verifies_and_tampering_fails(n in 1usize..40, pick in 0usize..1000, flip in 0usize..32) {
            let leaves: Vec<Hash> = (0..n as u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
            let r = root(&leaves);
            let i = pick % n;
            let proof = inclusion_proof(&leaves, i);
            prop_assert!(verify_inclusion(&leaves[i], i as u64, n as u64, &proof, &r).is_ok());
            let mut bad = leaves[i];
            bad[flip] ^= 1;
            prop_assert!(verify_inclusion(&bad, i as u64, n as u64, &proof, &r).is_err());
            if n > 1 {
                prop_assert!(verify_inclusion(&leaves[i], ((i + 1) % n) as u64, n as u64, &proof, &r).is_err());
            }
        }

        #[test]
        fn every_consistency_proof_verifies_and_tampering_fails(n in 1usize..40, pick in 0usize..1000, flip in 0usize..32) {
            let leaves: Vec<Hash> = (0..n as u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
            let m = 1 + pick % n;
            let (rm, rn) = (root(&leaves[..m]), root(&leaves));
            let proof = consistency_proof(&leaves, m);
            prop_assert!(verify_consistency(m as u64, n as u64, &rm, &rn, &proof).is_ok());
            let mut bad_root = rm;
            bad_root[flip] ^= 1;
            if m < n {
                prop_assert!(verify_consistency(m as u64, n as u64, &bad_root, &rn, &proof).is_err());
                // A rewritten history (one earlier leaf changed) is not consistent.
                let mut forked = leaves.clone();
                forked[pick % m][flip] ^= 1;
                let fork_root = root(&forked);
                prop_assert!(verify_consistency(m as u64, n as u64, &rm, &fork_root, &proof).is_err());
            }
        }
    }
}
