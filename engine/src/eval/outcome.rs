//! Turning what a rule collected into an `Outcome`: findings located in the
//! document, the fingerprint of the evidence, a stable order.

use std::sync::Arc;

use crate::document::path::{self, Segments};
use crate::document::Document;
use crate::report::{DocumentInfo, Finding, Outcome, ScriptError, Status};
use crate::rules::Rule;
use crate::script::context::Context;

pub fn document_info(doc: &Document) -> DocumentInfo {
    DocumentInfo {
        index: doc.index,
        identity: doc.identity.clone(),
        kind: doc.kind.clone(),
        api_version: doc.api_version.clone(),
        hash: doc.hash.clone(),
        region: doc.root.region,
    }
}

/// Builds the outcome of `rule` for the document in `slot` of `docs`.
pub fn build(rule: &Rule, docs: &[Arc<Document>], slot: usize, status: Status, error: Option<ScriptError>, ctx: &Context) -> Outcome {
    let doc = docs.get(slot);
    let mut findings: Vec<Finding> =
        ctx.findings.iter().filter(|f| f.slot == slot).filter_map(|f| Some(locate(doc?, &f.path, &f.message))).collect();
    findings.sort_by(|a, b| (a.region.start, &a.path, &a.message).cmp(&(b.region.start, &b.path, &b.message)));
    let (status, error) = if ctx.overflowed {
        (
            Status::Error,
            Some(ScriptError {
                message: format!("more than {} findings from one rule on one document", ctx.max_findings),
                rule_position: None,
            }),
        )
    } else if status == Status::Pass && !findings.is_empty() {
        (Status::Fail, None)
    } else {
        (status, error)
    };
    Outcome {
        rule: rule.id.clone(),
        document: doc.map_or(0, |d| d.index),
        status,
        findings,
        error,
        logs: ctx.logs.clone(),
        fingerprint: doc.map(|d| fingerprint(rule, d, slot, ctx)).unwrap_or_default(),
    }
}

fn locate(doc: &Document, segments: &Segments, message: &str) -> Finding {
    let (node, depth) = doc.root.locate(segments);
    let located_at = (depth < segments.len()).then(|| path::render(segments.get(..depth).unwrap_or_default()));
    Finding {
        path: path::render(segments),
        located_at,
        region: node.region,
        message: message.to_string(),
        snippet: doc.source.line(node.region.start.line).map(str::to_string),
    }
}

/// BLAKE3 over the rule's source, every value the rule read, and the values
/// at its declared `on_change` paths. Values hash canonically, so layout,
/// key order, comments and the file's location do not count.
pub fn fingerprint(rule: &Rule, doc: &Document, slot: usize, ctx: &Context) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(rule.source_hash.as_bytes());
    let mut reads: Vec<&Segments> = ctx.reads.iter().filter(|r| r.slot == slot).map(|r| &r.path).collect();
    reads.sort();
    reads.dedup();
    let mut hash_at = |label: &[u8], p: &Segments, node: Option<&crate::document::Node>| {
        hasher.update(label);
        hasher.update(path::render(p).as_bytes());
        match node {
            Some(node) => node.hash_into(&mut hasher),
            None => {
                hasher.update(b"absent");
            }
        }
    };
    for p in reads {
        hash_at(b"\x00read:", p, doc.root.get(p));
    }
    for watched in &rule.reassess.on_change {
        if let Ok(segments) = path::parse(watched) {
            for (p, node) in path::expand(&doc.root, &segments) {
                hash_at(b"\x00watch:", &p, node);
            }
        }
    }
    hasher.finalize().to_hex().get(..32).unwrap_or_default().to_string()
}

/// Stable order: document index, then rule id.
pub fn sort(outcomes: &mut [Outcome]) {
    outcomes.sort_by(|a, b| (a.document, &a.rule).cmp(&(b.document, &b.rule)));
}
