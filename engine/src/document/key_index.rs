//! Finding a key among the entries of a mapping being read. The loaders ask
//! once for every key they read, to refuse a duplicate and to apply merge
//! keys. Nearly every mapping is small and is scanned; one that grows past
//! `SCAN_UP_TO` entries is indexed, so that a mapping of a million keys (a
//! hostile file, or a generated one) is read in linear time, not quadratic.

use std::collections::HashMap;

use super::value::{Key, Node};

/// Up to this many entries a scan costs less than hashing the key.
const SCAN_UP_TO: usize = 64;

/// The index of one mapping's keys, built once the mapping grows.
#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    /// Keyed by std's randomly seeded hasher: a file of keys made to
    /// collide could make a fixed-seed hash as slow as the scan. Made only
    /// when needed: seeding it for every mapping read cost 1.5 % of a scan.
    positions: Option<HashMap<Key, usize>>,
    /// How many entries `positions` covers.
    indexed: usize,
}

impl KeyIndex {
    /// Where `key` is in `entries`, the entries read so far of the mapping
    /// this index belongs to (a mapping only grows while it is read).
    pub(crate) fn find(&mut self, entries: &[(Key, Node)], key: &str) -> Option<usize> {
        self.find_by(entries, key, |k| &**k == key)
    }

    /// `find` for keys a stream interns (two are equal exactly when they
    /// are one allocation): the scan compares addresses, not text.
    #[inline]
    pub(crate) fn find_interned(&mut self, entries: &[(Key, Node)], key: &Key) -> Option<usize> {
        self.find_by(entries, key, |k| Key::ptr_eq(k, key))
    }

    // Inlined into the parsers' loops: the scan is a few instructions, and
    // a call for each key cost 1 % of a scan of the benchmark documents.
    #[inline(always)]
    fn find_by(&mut self, entries: &[(Key, Node)], key: &str, same: impl Fn(&Key) -> bool) -> Option<usize> {
        if entries.len() <= SCAN_UP_TO {
            return entries.iter().position(|(k, _)| same(k));
        }
        self.find_indexed(entries, key)
    }

    #[inline(never)]
    fn find_indexed(&mut self, entries: &[(Key, Node)], key: &str) -> Option<usize> {
        let positions = self.positions.get_or_insert_with(HashMap::new);
        for (i, (k, _)) in entries.iter().enumerate().skip(self.indexed) {
            // The first of equal keys is the one to report (merged maps may repeat a key).
            positions.entry(k.clone()).or_insert(i);
        }
        self.indexed = entries.len();
        positions.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Position, Region, Value};

    fn entry(key: &str) -> (Key, Node) {
        let at = Position::new(1, 1);
        (key.into(), Node::new(Region::new(at, at), Value::Null))
    }

    /// The same answers below and above the size where the index takes
    /// over, as the mapping grows between questions.
    #[test]
    fn finds_the_first_entry_of_a_key_while_the_mapping_grows() {
        let mut index = KeyIndex::default();
        let mut entries = Vec::new();
        for i in 0..100 {
            let key = format!("k{i}");
            assert_eq!(index.find(&entries, &key), None, "{key} is new");
            entries.push(entry(&key));
            assert_eq!(index.find(&entries, &key), Some(i), "{key} was just added");
            assert_eq!(index.find(&entries, "k0"), Some(0));
        }
        // A repeated key (as merged maps may hold) is found at its first place.
        entries.push(entry("k7"));
        assert_eq!(index.find(&entries, "k7"), Some(7));
        assert_eq!(index.find(&entries, "k100"), None);
    }

    /// Interned keys are told apart by address while scanned, by text once indexed.
    #[test]
    fn interned_keys_are_the_same_allocation() {
        let shared: Key = "name".into();
        let mut entries = vec![(shared.clone(), entry("x").1)];
        let mut index = KeyIndex::default();
        assert_eq!(index.find_interned(&entries, &shared), Some(0));
        assert_eq!(index.find_interned(&entries, &"name".into()), None, "another allocation is another key while scanned");
        entries.extend((0..SCAN_UP_TO).map(|i| entry(&format!("k{i}"))));
        assert_eq!(index.find_interned(&entries, &shared), Some(0), "indexed");
    }
}
