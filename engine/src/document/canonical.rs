//! The canonical encoding of a value: maps by sorted key, no positions, no
//! layout, so equal values give equal bytes. A document is encoded once: its
//! hash is BLAKE3 of the bytes, and fingerprints reuse the bytes of the
//! subtrees they watch (a node's encoding is contiguous inside its parent's).

use std::cell::Cell;
use std::cmp::Ordering;

use smallvec::SmallVec;

use super::path::Segment;
use super::value::{Node, Value};

/// A tree's encoding, with where each node's encoding lies in it.
#[derive(Debug, Default)]
pub struct Canonical {
    bytes: Vec<u8>,
    /// One per node, in encoding order: depth first, map entries by sorted key.
    spans: Vec<Span>,
    /// For each list and map, per child in source order: the index of the
    /// child's span, so a path is followed without scanning siblings.
    children: Vec<u32>,
}

thread_local! {
    /// Encoding space reused from one document to the next. The result is
    /// copied out at its exact size: a corpus scan keeps every document's
    /// encoding, and spare capacity there would cost a third more memory.
    static SCRATCH: Cell<Scratch> = const { Cell::new(Scratch { bytes: Vec::new(), spans: Vec::new(), children: Vec::new() }) };
}

/// Offsets are 32-bit to keep the tables small (every document of a corpus
/// scan keeps them); a tree too large for that keeps no tables, and its
/// subtrees are encoded again where needed.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
    /// For a list or map, where its children start in `children`.
    children: u32,
}

#[derive(Default)]
struct Scratch {
    bytes: Vec<u8>,
    spans: Vec<Span>,
    children: Vec<u32>,
}

impl Canonical {
    /// Encodes `root`. The spans are only valid for that same tree.
    pub fn of(root: &Node) -> Self {
        Self::with_table_limit(root, u32::MAX as usize)
    }

    fn with_table_limit(root: &Node, limit: usize) -> Self {
        let mut scratch = SCRATCH.take();
        scratch.bytes.clear();
        scratch.spans.clear();
        scratch.children.clear();
        encode(root, &mut scratch);
        let canonical = if [scratch.bytes.len(), scratch.spans.len(), scratch.children.len()].iter().any(|&n| n > limit) {
            // Offsets past 32 bits were cut short: drop the tables, keep the bytes.
            Canonical { bytes: std::mem::take(&mut scratch.bytes), spans: Vec::new(), children: Vec::new() }
        } else {
            Canonical { bytes: scratch.bytes.to_vec(), spans: scratch.spans.to_vec(), children: scratch.children.to_vec() }
        };
        SCRATCH.set(scratch);
        canonical
    }

    /// The encoding of the whole tree.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The node at `segments` under `root` (the tree this was made from) and
    /// its encoding, if every segment exists. Wildcards match nothing here.
    /// The encoding is `None` only for a tree too large for the tables: the
    /// caller encodes the node itself (`Node::encode_canonical`).
    pub fn locate<'a>(&'a self, root: &'a Node, segments: &[Segment]) -> Option<(&'a Node, Option<&'a [u8]>)> {
        if self.spans.is_empty() {
            return root.get(segments).map(|node| (node, None));
        }
        let mut node = root;
        let mut at = 0;
        for segment in segments {
            let (child, i) = match (&node.value, segment) {
                (Value::Map(entries), Segment::Key(key)) => {
                    let i = entries.iter().position(|(k, _)| **k == **key)?;
                    (&entries.get(i)?.1, i)
                }
                (Value::Seq(items), Segment::Index(i)) => (items.get(*i)?, *i),
                _ => return None,
            };
            at = *self.children.get(self.spans.get(at)?.children as usize + i)? as usize;
            node = child;
        }
        let span = self.spans.get(at)?;
        Some((node, Some(self.bytes.get(span.start as usize..span.end as usize)?)))
    }
}

/// The encoding of one value, on its own.
pub fn encode_into(node: &Node, out: &mut Vec<u8>) {
    let mut scratch = Scratch { bytes: std::mem::take(out), ..Scratch::default() };
    encode(node, &mut scratch);
    *out = scratch.bytes;
}

/// The first 32 hex digits of BLAKE3 of `bytes`, as documents and fingerprints show it.
pub fn short_digest(bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes);
    let mut hex = [0u8; 32];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(hash.as_bytes()) {
        pair.copy_from_slice(&[hex_digit(byte >> 4), hex_digit(byte & 0x0f)]);
    }
    String::from_utf8(hex.to_vec()).unwrap_or_default()
}

/// The lower-case hex digit of `n` (below 16).
pub(crate) fn hex_digit(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'a' + n - 10
    }
}

fn encode(node: &Node, scratch: &mut Scratch) {
    let me = scratch.spans.len();
    scratch.spans.push(Span { start: scratch.bytes.len() as u32, end: 0, children: 0 });
    match &node.value {
        Value::Null => scratch.bytes.push(b'n'),
        Value::Bool(b) => scratch.bytes.push(if *b { b't' } else { b'f' }),
        Value::Int(i) => tagged(&mut scratch.bytes, b'i', i.to_le_bytes()),
        Value::Float(f) => tagged(&mut scratch.bytes, b'd', f.to_bits().to_le_bytes()),
        Value::Str(s) => {
            let text = s.as_bytes();
            scratch.bytes.reserve(9 + text.len());
            tagged(&mut scratch.bytes, b's', length(text.len()));
            scratch.bytes.extend_from_slice(text);
        }
        Value::Seq(items) => {
            tagged(&mut scratch.bytes, b'[', length(items.len()));
            let first = children(scratch, me, items.len());
            for (i, item) in items.iter().enumerate() {
                if let Some(slot) = scratch.children.get_mut(first + i) {
                    *slot = scratch.spans.len() as u32;
                }
                encode(item, scratch);
            }
        }
        Value::Map(entries) => {
            tagged(&mut scratch.bytes, b'{', length(entries.len()));
            // Sorted on the stack: most maps have a handful of keys.
            // Filled in place: collecting would move the whole inline array out.
            let mut sorted: SmallVec<[(&[u8], &Node, usize); 16]> = SmallVec::new();
            sorted.extend(entries.iter().enumerate().map(|(i, (k, n))| (k.as_bytes(), n, i)));
            sorted.sort_unstable_by(|a, b| key_order(a.0, b.0));
            let first = children(scratch, me, entries.len());
            // Iterated by reference: moving the SmallVec out would copy its whole inline array.
            for &(key, value, source) in &sorted {
                if let Some(slot) = scratch.children.get_mut(first + source) {
                    *slot = scratch.spans.len() as u32;
                }
                scratch.bytes.extend_from_slice(&length(key.len()));
                scratch.bytes.extend_from_slice(key);
                encode(value, scratch);
            }
        }
    }
    let end = scratch.bytes.len() as u32;
    if let Some(span) = scratch.spans.get_mut(me) {
        span.end = end;
    }
}

/// Makes room for the child indices of the container whose span is `me`.
fn children(scratch: &mut Scratch, me: usize, count: usize) -> usize {
    let first = scratch.children.len();
    scratch.children.resize(first + count, 0);
    if let Some(span) = scratch.spans.get_mut(me) {
        span.children = first as u32;
    }
    first
}

/// A one-byte tag and eight bytes, appended in one step.
fn tagged(out: &mut Vec<u8>, tag: u8, bytes: [u8; 8]) {
    let [a, b, c, d, e, f, g, h] = bytes;
    out.extend_from_slice(&[tag, a, b, c, d, e, f, g, h]);
}

fn length(len: usize) -> [u8; 8] {
    (len as u64).to_le_bytes()
}

/// Byte order, as `str` orders; keys usually differ in their first byte,
/// which is settled without a call to `memcmp`.
fn key_order(a: &[u8], b: &[u8]) -> Ordering {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::path;
    use crate::document::{load_bytes, Format, LoadOptions};

    fn root(text: &str) -> Node {
        load_bytes(text.as_bytes().to_vec(), "x.yaml", Format::Yaml, &LoadOptions::default()).documents.remove(0).root
    }

    /// The encoding as first written (one sorted Vec per map): the bytes
    /// every recorded hash and fingerprint was made from.
    fn reference(node: &Node, out: &mut Vec<u8>) {
        match &node.value {
            Value::Null => out.push(b'n'),
            Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
            Value::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float(f) => {
                out.push(b'd');
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                out.push(b's');
                out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Value::Seq(items) => {
                out.push(b'[');
                out.extend_from_slice(&(items.len() as u64).to_le_bytes());
                for item in items {
                    reference(item, out);
                }
            }
            Value::Map(entries) => {
                out.push(b'{');
                out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
                let mut sorted: Vec<&(crate::document::value::Key, Node)> = entries.iter().collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                for (k, n) in sorted {
                    out.extend_from_slice(&(k.len() as u64).to_le_bytes());
                    out.extend_from_slice(k.as_bytes());
                    reference(n, out);
                }
            }
        }
    }

    fn encoded(node: &Node) -> Vec<u8> {
        let mut out = Vec::new();
        reference(node, &mut out);
        out
    }

    /// Every concrete path in a tree, the root included.
    fn all_paths(node: &Node, prefix: &mut path::Segments, out: &mut Vec<path::Segments>) {
        out.push(prefix.clone());
        match &node.value {
            Value::Map(entries) => {
                for (k, n) in entries {
                    prefix.push(Segment::Key(k.clone()));
                    all_paths(n, prefix, out);
                    prefix.pop();
                }
            }
            Value::Seq(items) => {
                for (i, n) in items.iter().enumerate() {
                    prefix.push(Segment::Index(i));
                    all_paths(n, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }

    const SAMPLE: &str =
        "zeta: 1\nalpha: {b: [1, 2.5, null, true, {y: x, x: y}], a: \"é\"}\nAlpha: []\n\"\": {}\nmid:\n  - {k: v}\n  - [a, [b, {c: d}]]\n";

    #[test]
    fn bytes_are_the_reference_encoding_for_the_tree_and_every_subtree() {
        // More keys than the stack holds, in reverse order, with a nested map among them.
        let wide: String = (0..20).rev().map(|i| format!("k{i}: {{b: {i}, a: [{i}]}}\n")).collect();
        let mut texts = vec![SAMPLE.to_string(), wide];
        for fixture in ["support-assistant.yaml", "coding-agent.yaml", "ai-management-system.yaml"] {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(fixture);
            texts.push(std::fs::read_to_string(file).unwrap());
        }
        for text in texts {
            let tree = root(&text);
            let canonical = Canonical::of(&tree);
            assert_eq!(canonical.bytes(), encoded(&tree).as_slice());
            let mut paths = Vec::new();
            all_paths(&tree, &mut path::Segments::new(), &mut paths);
            assert!(paths.len() > 10);
            for p in paths {
                let (node, bytes) = canonical.locate(&tree, &p).unwrap_or_else(|| panic!("{}", path::render(&p)));
                assert_eq!(Some(node), tree.get(&p), "{}", path::render(&p));
                assert_eq!(bytes, Some(encoded(node).as_slice()), "{}", path::render(&p));
            }
        }
    }

    #[test]
    fn a_tree_too_large_for_the_tables_still_hashes_and_locates() {
        let tree = root(SAMPLE);
        let small = Canonical::with_table_limit(&tree, 8);
        assert_eq!(small.bytes(), encoded(&tree).as_slice());
        let p = path::parse("alpha.b[4]").unwrap();
        assert_eq!(small.locate(&tree, &p), Some((tree.get(&p).unwrap(), None)));
        assert_eq!(small.locate(&tree, &path::parse("alpha.nope").unwrap()), None);
    }

    #[test]
    fn missing_paths_and_wildcards_locate_nothing() {
        let tree = root(SAMPLE);
        let canonical = Canonical::of(&tree);
        for p in ["nope", "alpha.c", "alpha.b[5]", "alpha.b[4].z", "zeta.x", "mid[*]", "alpha[0]"] {
            assert_eq!(canonical.locate(&tree, &path::parse(p).unwrap()), None, "{p}");
        }
    }

    #[test]
    fn keys_sort_by_bytes() {
        assert_eq!(key_order(b"Alpha", b"alpha"), Ordering::Less);
        assert_eq!(key_order(b"ab", b"a"), Ordering::Greater);
        assert_eq!(key_order(b"", b"a"), Ordering::Less);
        assert_eq!(key_order("é".as_bytes(), b"z"), Ordering::Greater);
    }

    #[test]
    fn short_digest_is_the_first_half_of_blake3_hex() {
        let full = blake3::hash(b"annexa").to_hex();
        assert_eq!(short_digest(b"annexa"), full.get(..32).unwrap());
    }
}
