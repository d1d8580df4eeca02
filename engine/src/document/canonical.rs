//! The canonical encoding of a value: maps by sorted key, no positions, no
//! layout, so equal values give equal bytes. A document's hash is BLAKE3 of
//! its encoding; a fingerprint encodes only the values its rule watched.

use std::cell::Cell;
use std::cmp::Ordering;

use smallvec::SmallVec;

use super::value::{Node, Value};

/// Appends the encoding of `node` to `out`.
pub fn encode_into(node: &Node, out: &mut Vec<u8>) {
    match &node.value {
        Value::Null => out.push(b'n'),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Int(i) => tagged(out, b'i', i.to_le_bytes()),
        Value::Float(f) => tagged(out, b'd', f.to_bits().to_le_bytes()),
        Value::Str(s) => {
            let text = s.as_bytes();
            out.reserve(9 + text.len());
            tagged(out, b's', length(text.len()));
            out.extend_from_slice(text);
        }
        Value::Seq(items) => {
            tagged(out, b'[', length(items.len()));
            for item in items {
                encode_into(item, out);
            }
        }
        Value::Map(entries) => {
            tagged(out, b'{', length(entries.len()));
            // Sorted on the stack: most maps have a handful of keys.
            // Filled in place: collecting would move the whole inline array out.
            let mut sorted: SmallVec<[(&[u8], &Node); 16]> = SmallVec::new();
            sorted.extend(entries.iter().map(|(k, n)| (k.as_bytes(), n)));
            sorted.sort_unstable_by(|a, b| key_order(a.0, b.0));
            // Iterated by reference: moving the SmallVec out would copy its whole inline array.
            for &(key, value) in &sorted {
                out.extend_from_slice(&length(key.len()));
                out.extend_from_slice(key);
                encode_into(value, out);
            }
        }
    }
}

thread_local! {
    /// Encoding space reused from one document's hash to the next.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// `short_digest` of the encoding of `node`.
pub fn digest_of(node: &Node) -> String {
    let mut bytes = SCRATCH.take();
    bytes.clear();
    encode_into(node, &mut bytes);
    let digest = short_digest(&bytes);
    SCRATCH.set(bytes);
    digest
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

    /// Every node of a tree, the root included.
    fn all_nodes<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
        out.push(node);
        match &node.value {
            Value::Map(entries) => entries.iter().for_each(|(_, n)| all_nodes(n, out)),
            Value::Seq(items) => items.iter().for_each(|n| all_nodes(n, out)),
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
            let mut nodes = Vec::new();
            all_nodes(&tree, &mut nodes);
            assert!(nodes.len() > 10);
            for node in nodes {
                let mut bytes = vec![b'x'];
                encode_into(node, &mut bytes);
                assert_eq!(bytes.get(1..), Some(encoded(node).as_slice()), "appended after what was there");
            }
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
