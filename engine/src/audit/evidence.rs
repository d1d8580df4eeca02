//! Evidence an auditor can follow: the document values a passing rule
//! checked (an impact assessment's `ref` and `date`, a policy's approver),
//! and the digests of every rule source and input, so a verdict can be
//! reproduced offline.
//!
//! Which values a rule checked is read from its source: the literal paths it
//! passes to `doc.get`, `doc.has` and `doc.present`. Paths built at run time
//! are not seen; the outcome's fingerprint still covers every value read.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::document::path::{self, Segments};
use crate::document::{Document, Value};

/// One value a passing rule checked, located in its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub path: String,
    pub value: String,
    /// `file:line:col` of the value.
    pub at: String,
}

/// Longest value shown as evidence; longer text is cut with an ellipsis.
const MAX_VALUE_CHARS: usize = 120;

/// The literal document paths a rule's source reads, in order of first use.
pub fn checked_paths(rule_source: &str) -> Vec<Segments> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(pattern) = PATTERN.get_or_init(|| Regex::new(r#"\.(?:get|has|present)\(\s*"([^"\\]+)"\s*\)"#).ok()) else {
        return Vec::new();
    };
    let mut out: Vec<Segments> = Vec::new();
    for capture in pattern.captures_iter(rule_source) {
        let Some(text) = capture.get(1) else { continue };
        if let Ok(segments) = path::parse(text.as_str()) {
            if !out.contains(&segments) {
                out.push(segments);
            }
        }
    }
    out
}

/// The scalar values at `paths` in `doc` (wildcards expanded), as evidence.
pub fn references(doc: &Document, paths: &[Segments]) -> Vec<Reference> {
    let mut out = Vec::new();
    for segments in paths {
        for (at, node) in path::expand(&doc.root, segments) {
            let Some(node) = node else { continue };
            let value = match &node.value {
                Value::Str(s) => s.to_string(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null | Value::Seq(_) | Value::Map(_) => continue,
            };
            let value = if value.chars().count() > MAX_VALUE_CHARS {
                format!("{}…", value.chars().take(MAX_VALUE_CHARS).collect::<String>())
            } else {
                value
            };
            // For a mapping entry the region starts at its key: the line that names the value.
            let start = node.region.start;
            out.push(Reference { path: path::render(&at), value, at: format!("{}:{}:{}", doc.source.path, start.line, start.col) });
        }
    }
    out
}

/// BLAKE3 of bytes, as 64 hex digits.
pub fn digest(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// SHA-256 of bytes, as 64 hex digits: the digest OSCAL tools expect.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_paths_are_found_once_in_order() {
        let source = r#"fn check(doc) { if !doc.has("spec.impact_assessment") { doc.fail("x", "y") }
            let a = doc.get("spec.impact_assessment.date"); doc.present( "spec.impact_assessment.ref" );
            doc.get("spec.impact_assessment.date"); doc.get(dynamic_path); }"#;
        let got: Vec<String> = checked_paths(source).iter().map(|s| path::render(s)).collect();
        assert_eq!(got, ["spec.impact_assessment", "spec.impact_assessment.date", "spec.impact_assessment.ref"]);
    }
}
