//! A document cut down to some paths: what a corpus scan keeps of each
//! document while it reads the rest, when its corpus rules declare what they
//! read (`reads`). A path that exists keeps its whole subtree; the maps on
//! the way keep only the keys on some path; everything else goes. Regions
//! are the original ones, so findings still point at the right line.

use std::sync::Arc;

use super::path::{Segment, Segments};
use super::value::{Node, Value};
use super::{Document, Source};

/// `doc` with only what lies at `paths` (map keys only, as `reads` are).
/// The projection keeps the document's identity and content hash (made
/// here, from the whole document) but is a new tree with its own serial.
/// Without `keep_text` it keeps the file's path but not its text, which
/// only a report with source lines (`ScanOptions::snippets`) reads.
pub fn project(doc: &Document, paths: &[Segments], keep_text: bool) -> Document {
    let paths: Vec<&[Segment]> = paths.iter().map(|p| p.as_slice()).collect();
    Document {
        source: if keep_text { Arc::clone(&doc.source) } else { Arc::new(Source::new(doc.source.path.clone(), String::new())) },
        index: doc.index,
        identity: doc.identity.clone(),
        kind: doc.kind.clone(),
        api_version: doc.api_version.clone(),
        root: keep(&doc.root, &paths),
        hash: std::sync::OnceLock::from(doc.hash().to_string()),
        serial: super::next_serial(),
    }
}

fn keep(node: &Node, paths: &[&[Segment]]) -> Node {
    if paths.iter().any(|p| p.is_empty()) {
        return node.clone();
    }
    let value = match &node.value {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .filter_map(|(key, child)| {
                    let below: Vec<&[Segment]> = paths
                        .iter()
                        .filter_map(|p| match p.split_first() {
                            Some((Segment::Key(wanted), rest)) if **wanted == **key => Some(rest),
                            _ => None,
                        })
                        .collect();
                    (!below.is_empty()).then(|| (key.clone(), keep(child, &below)))
                })
                .collect(),
        ),
        // A path through a scalar or a list leads nowhere, here as in the
        // document: the node stays only as the place a finding points at.
        _ => Value::Null,
    };
    Node { region: node.region, value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{load_bytes, Format, LoadOptions};

    fn doc(text: &str) -> Document {
        load_bytes(text.as_bytes().to_vec(), "x.yaml", Format::Yaml, &LoadOptions::default()).documents.remove(0)
    }

    fn paths(list: &[&str]) -> Vec<Segments> {
        list.iter().map(|p| crate::document::path::parse(p).unwrap()).collect()
    }

    #[test]
    fn keeps_the_named_subtrees_whole_and_nothing_else() {
        let full = doc("kind: AISystem\nmetadata:\n  name: bot\n  labels: {env: prod}\nspec:\n  purpose: p\n  models:\n    - {name: m, provider: openai}\n  suppliers: [{name: openai}]\n");
        let cut = project(&full, &paths(&["spec.models", "metadata.name", "spec.absent"]), true);
        let json = crate::reassess::evidence::canonical_json(&cut.root);
        assert_eq!(json, r#"{"metadata":{"name":"bot"},"spec":{"models":[{"name":"m","provider":"openai"}]}}"#);
        let at = |d: &Document, p: &str| d.root.get(&crate::document::path::parse(p).unwrap()).map(|n| n.region);
        assert_eq!(at(&cut, "spec.models[0].provider"), at(&full, "spec.models[0].provider"), "regions are the original ones");
        assert_eq!(at(&cut, "spec"), at(&full, "spec"));
        assert_eq!((cut.identity.as_str(), cut.kind.as_str(), cut.hash()), (full.identity.as_str(), full.kind.as_str(), full.hash()));
        assert_ne!(cut.serial(), full.serial(), "a new tree: memos of the full one do not apply");
    }

    #[test]
    fn a_path_through_a_scalar_or_a_list_keeps_only_the_place() {
        let full = doc("spec: [1, 2]\nmetadata: plain\n");
        let cut = project(&full, &paths(&["spec.models", "metadata.name"]), false);
        assert_eq!(crate::reassess::evidence::canonical_json(&cut.root), r#"{"metadata":null,"spec":null}"#);
        let missing = |d: &Document, p: &str| d.root.locate(&crate::document::path::parse(p).unwrap()).0.region;
        assert_eq!(missing(&cut, "spec.models"), missing(&full, "spec.models"), "a finding there points where it did");
        assert_eq!((cut.source.path.as_str(), cut.source.text.as_str()), ("x.yaml", ""), "the text is kept only for snippets");
    }
}
