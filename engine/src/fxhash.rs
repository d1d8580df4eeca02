//! FxHash (rustc's hasher) for the small tables on hot paths: YAML keys
//! while parsing, rule paths, compiled rules, value digests, and the
//! properties and patterns of the compiled JSON Schemas.
//! Their keys are short, and SipHash cost as much as the rest of the lookup.
//! None of these tables gives an adversary anything by colliding its keys:
//! a flood of colliding keys would only slow the one file or rule that holds
//! them.

use std::hash::{BuildHasherDefault, Hasher};

/// The `BuildHasher` of those tables.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[derive(Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        // The last bytes shifted in one by one: a `copy_from_slice` of a
        // length not known at compile time is a call to memcpy.
        let rest = chunks.remainder();
        let word = rest.iter().rev().fold(rest.len() as u64, |word, &b| (word << 8) | u64::from(b));
        self.add(word);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn write_usize(&mut self, word: usize) {
        self.add(word as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
