//! CycloneDX BOMs as rules see them: where the machine-learning models are.

use rhai::{Array, Dynamic, Engine};

use super::api::Doc;
use super::context;
use crate::document::path;
use crate::document::Node;

const ML_MODEL: &str = "machine-learning-model";

fn is_model(node: &Node) -> bool {
    node.child_key("type").and_then(Node::as_str) == Some(ML_MODEL)
}

/// Paths of the `machine-learning-model` components: `metadata.component`
/// first, then `components[i]` (nested `components` lists included).
pub fn ml_models(doc: &Doc) -> Array {
    let mut out = Array::new();
    for p in ["metadata.component", "components"] {
        if let Ok(segments) = path::parse(p) {
            context::record_read(doc.slot, std::rc::Rc::new(segments));
        }
    }
    let root = &doc.doc.root;
    let metadata = root.child_key("metadata").and_then(|m| m.child_key("component"));
    if metadata.is_some_and(is_model) {
        out.push(Dynamic::from("metadata.component".to_string()));
    }
    if let Some(components) = root.child_key("components") {
        collect(components, "components", &mut out, 0);
    }
    out
}

fn collect(list: &Node, at: &str, out: &mut Array, depth: usize) {
    let Some(items) = list.as_seq() else { return };
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if is_model(item) {
            out.push(Dynamic::from(here.clone()));
        }
        if let Some(nested) = item.child_key("components") {
            // The parser bounds nesting; this bound keeps a hostile BOM from recursing further.
            if depth < 64 {
                collect(nested, &format!("{here}.components"), out, depth + 1);
            }
        }
    }
}

/// Registers the BOM helpers of the rule API.
pub fn register(engine: &mut Engine) {
    engine.register_fn("ml_models", |d: &mut Doc| ml_models(d));
}
