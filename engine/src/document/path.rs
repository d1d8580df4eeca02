//! Paths into documents: `spec.models[2].provider`, `metadata.labels["app.kubernetes.io/name"]`,
//! and, for re-assessment triggers, wildcards such as `spec.models[*].provider`.

use std::fmt::Write as _;

use smallvec::SmallVec;

use super::value::{Node, Value};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// Shared, as document keys are (`value::Key`): a path built from a
    /// document's keys, or copied, costs a count, not an allocation per key.
    Key(super::value::Key),
    Index(usize),
    /// `[*]`: every item of a list, or every value of a map.
    Any,
}

/// The segments of one path; small enough to stay on the stack for usual paths.
pub type Segments = SmallVec<[Segment; 8]>;

/// Parses a path. The empty path (or `.`) is the document root.
pub fn parse(path: &str) -> Result<Segments, String> {
    let mut segments = Segments::new();
    if path == "." {
        return Ok(segments);
    }
    let mut rest = path;
    let mut expect_key = true;
    while let Some(first) = rest.chars().next() {
        match first {
            '[' => {
                let close = rest.find(']').ok_or("unclosed `[`")?;
                let inner = rest.get(1..close).unwrap_or_default();
                let segment = if inner == "*" {
                    Segment::Any
                } else if let Some(quoted) = unquote(inner) {
                    Segment::Key(quoted.into())
                } else {
                    Segment::Index(inner.parse().map_err(|_| format!("`[{inner}]` is not an index, `*` or a quoted key"))?)
                };
                segments.push(segment);
                rest = rest.get(close + 1..).unwrap_or_default();
                expect_key = false;
            }
            '.' => {
                if expect_key {
                    return Err("empty key between dots".into());
                }
                rest = rest.get(1..).unwrap_or_default();
                expect_key = true;
            }
            _ => {
                if !expect_key {
                    return Err("a key must follow a `.`".into());
                }
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let key = rest.get(..end).unwrap_or_default();
                segments.push(if key == "*" { Segment::Any } else { Segment::Key(key.into()) });
                rest = rest.get(end..).unwrap_or_default();
                expect_key = false;
            }
        }
    }
    if expect_key && !path.is_empty() {
        return Err("a path cannot end with `.`".into());
    }
    Ok(segments)
}

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
}

/// Writes segments back as a canonical path string.
pub fn render(segments: &[Segment]) -> String {
    // Sized for plain keys and short indices: grown a push at a time, a
    // finding's path took three allocations.
    let size = segments.iter().map(|s| if let Segment::Key(key) = s { key.len() + 1 } else { 5 }).sum();
    let mut out = String::with_capacity(size);
    render_into(segments, &mut out);
    out
}

/// Appends the canonical path string of `segments` to `out`.
pub fn render_into(segments: &[Segment], out: &mut String) {
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Key(key) if is_plain_key(key) => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Key(key) => {
                out.push_str("[\"");
                out.push_str(key);
                out.push_str("\"]");
            }
            Segment::Index(index) => {
                let mut digits = [0u8; 20];
                out.push('[');
                out.push_str(decimal(*index, &mut digits));
                out.push(']');
            }
            Segment::Any => out.push_str("[*]"),
        }
    }
}

/// `n` in decimal, written at the end of `buffer`, without the formatting machinery.
fn decimal(mut n: usize, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    for slot in buffer.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buffer.get(start..).and_then(|digits| std::str::from_utf8(digits).ok()).unwrap_or_default()
}

/// Writes segments as a JSON Pointer (RFC 6901): `/spec/tools/1/requires_approval`.
pub fn pointer(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        match segment {
            Segment::Key(key) => {
                for c in key.chars() {
                    match c {
                        '~' => out.push_str("~0"),
                        '/' => out.push_str("~1"),
                        c => out.push(c),
                    }
                }
            }
            Segment::Index(i) => {
                let _ = write!(out, "{i}");
            }
            Segment::Any => out.push('*'),
        }
    }
    out
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key != "*" && !key.bytes().any(|b| matches!(b, b'.' | b'[' | b']' | b'"' | b'\''))
}

/// Expands wildcards against a tree: every concrete path that matches, with
/// the node there (`None` where the path does not exist: a missing value is
/// evidence too, since it may appear later).
pub fn expand<'a>(root: &'a Node, segments: &[Segment]) -> Vec<(Segments, Option<&'a Node>)> {
    let mut out = Vec::new();
    let mut prefix = Segments::new();
    expand_into(Some(root), segments, &mut prefix, &mut out);
    out
}

fn expand_into<'a>(node: Option<&'a Node>, rest: &[Segment], prefix: &mut Segments, out: &mut Vec<(Segments, Option<&'a Node>)>) {
    let Some((first, rest)) = rest.split_first() else {
        out.push((prefix.clone(), node));
        return;
    };
    match (first, node.map(|n| &n.value)) {
        (Segment::Any, Some(Value::Seq(items))) => {
            for (i, item) in items.iter().enumerate() {
                prefix.push(Segment::Index(i));
                expand_into(Some(item), rest, prefix, out);
                prefix.pop();
            }
        }
        (Segment::Any, Some(Value::Map(entries))) => {
            for (k, item) in entries {
                prefix.push(Segment::Key(k.clone()));
                expand_into(Some(item), rest, prefix, out);
                prefix.pop();
            }
        }
        // A wildcard over nothing matches nothing.
        (Segment::Any, _) => {}
        (segment, _) => {
            prefix.push(segment.clone());
            expand_into(node.and_then(|n| n.child(segment)), rest, prefix, out);
            prefix.pop();
        }
    }
}

/// The nodes that a path with wildcards matches, in document order, without
/// the paths to them: what `doc.values(...)` returns. Building each concrete
/// path (`expand`) copies its segments and their keys, which cost more than
/// the walk.
pub fn matching_nodes<'a>(root: &'a Node, segments: &[Segment], out: &mut Vec<&'a Node>) {
    let Some((first, rest)) = segments.split_first() else {
        out.push(root);
        return;
    };
    match (first, &root.value) {
        (Segment::Any, Value::Seq(items)) => items.iter().for_each(|item| matching_nodes(item, rest, out)),
        (Segment::Any, Value::Map(entries)) => entries.iter().for_each(|(_, item)| matching_nodes(item, rest, out)),
        (Segment::Any, _) => {}
        (segment, _) => {
            if let Some(child) = root.child(segment) {
                matching_nodes(child, rest, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_round_trip() {
        for p in ["spec.models[2].provider", "metadata.labels[\"app.kubernetes.io/name\"]", "spec.models[*].provider", "a", ""] {
            assert_eq!(render(&parse(p).unwrap()), p);
        }
        assert_eq!(render(&parse("spec.models.*.provider").unwrap()), "spec.models[*].provider");
        assert_eq!(render(&parse("a['b.c']").unwrap()), "a[\"b.c\"]");
        assert_eq!(render(&parse("[0][10].x[1234567][*]").unwrap()), "[0][10].x[1234567][*]");
        assert_eq!(
            render(&[Segment::Index(usize::MAX), Segment::Key("*".into()), Segment::Key("".into())]),
            "[18446744073709551615][\"*\"][\"\"]"
        );
    }

    #[test]
    fn renders_json_pointers() {
        assert_eq!(pointer(&parse("spec.tools[1].requires_approval").unwrap()), "/spec/tools/1/requires_approval");
        assert_eq!(pointer(&parse("a[\"b/c~d\"]").unwrap()), "/a/b~1c~0d");
        assert_eq!(pointer(&parse("").unwrap()), "");
    }

    #[test]
    fn matching_nodes_are_the_nodes_that_expand_finds() {
        let text = "a:\n  - {x: 1, y: {z: 2}}\n  - {y: {z: 3}}\n  - 4\nm: {p: {x: 5}, q: {x: 6}}\ns: 7\n";
        let json = |yaml: &str| {
            let parsed = crate::document::yaml::parse_stream(yaml, &crate::document::yaml::Limits::default()).0.remove(0);
            parsed.root.to_json().to_string()
        };
        let root = crate::document::yaml::parse_stream(text, &crate::document::yaml::Limits::default()).0.remove(0).root;
        for (path, expected) in [
            ("a[*].x", vec!["1"]),
            ("a[*].y.z", vec!["2", "3"]),
            ("a[*]", vec!["{x: 1, y: {z: 2}}", "{y: {z: 3}}", "4"]),
            ("m[*].x", vec!["5", "6"]),
            ("m.p.x", vec!["5"]),
            ("s[*]", vec![]),
            ("missing[*].x", vec![]),
        ] {
            let segments = parse(path).unwrap();
            let mut found = Vec::new();
            matching_nodes(&root, &segments, &mut found);
            let expanded: Vec<&Node> = expand(&root, &segments).into_iter().filter_map(|(_, node)| node).collect();
            assert_eq!(found, expanded, "{path}");
            let shown: Vec<String> = found.iter().map(|n| n.to_json().to_string()).collect();
            let wanted: Vec<String> = expected.iter().map(|e| json(e)).collect();
            assert_eq!(shown, wanted, "{path}");
        }
    }

    #[test]
    fn rejects_malformed_paths() {
        assert_eq!(parse("spec..x").unwrap_err(), "empty key between dots");
        assert_eq!(parse("spec.").unwrap_err(), "a path cannot end with `.`");
        assert_eq!(parse("spec[x]").unwrap_err(), "`[x]` is not an index, `*` or a quoted key");
        assert_eq!(parse("spec[1").unwrap_err(), "unclosed `[`");
        assert_eq!(parse("a[0]b").unwrap_err(), "a key must follow a `.`");
    }
}
