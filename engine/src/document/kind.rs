//! Kind detection: `apiVersion` and `kind` as written, else a known shape,
//! else `unknown` (still parsed, and seen by rules that ask for `*`).

use super::path::Segment;
use super::value::Node;

/// The document's kind and `apiVersion`.
pub fn detect(root: &Node, _file: &str) -> (String, Option<String>) {
    let field = |name: &str| root.child(&Segment::Key(name.into())).and_then(Node::as_str);
    let api_version = field("apiVersion").map(str::to_string);
    match field("kind") {
        Some(kind) if !kind.is_empty() => (kind.to_string(), api_version),
        _ => ("unknown".to_string(), api_version),
    }
}
