//! Turning what a rule collected into an `Outcome`: findings located in the
//! document, the fingerprint of the evidence, a stable order.

use std::sync::Arc;

use crate::document::path::{self, Segments};
use crate::document::Document;
use crate::reassess::evidence;
use crate::report::{DocumentInfo, Finding, Outcome, ScriptError, Status};
use crate::rules::Rule;
use crate::script::context::{Context, Overflow, MAX_FINDING_BYTES};

/// How reports describe `doc`; `with_hash` hashes the whole document.
pub fn document_info(doc: &Document, with_hash: bool) -> DocumentInfo {
    DocumentInfo {
        index: doc.index,
        identity: doc.identity.clone(),
        kind: doc.kind.clone(),
        api_version: doc.api_version.clone(),
        hash: with_hash.then(|| doc.hash().to_string()),
        region: doc.root.region,
    }
}

/// Builds the outcome of `rule` for the document in `slot` of `docs`.
pub fn build(
    rule: &Rule,
    docs: &[Arc<Document>],
    slot: usize,
    status: Status,
    error: Option<ScriptError>,
    ctx: &Context,
    options: &super::ScanOptions,
) -> Outcome {
    let doc = docs.get(slot);
    let expanded = doc.map(|d| evidence::expand_watches(rule, d)).unwrap_or_default();
    let watched = doc.map(|d| evidence::watched(d, slot, ctx, &expanded));
    let fingerprint = doc.zip(watched.as_ref()).map(|(d, w)| evidence::fingerprint(rule, d, w)).unwrap_or_default();
    let mut findings: Vec<Finding> =
        ctx.findings.iter().filter(|f| f.slot == slot).filter_map(|f| Some(locate(doc?, &f.path, &f.message, options.snippets))).collect();
    findings.sort_by(|a, b| (a.region.start, &a.path, &a.message).cmp(&(b.region.start, &b.path, &b.message)));
    let (status, error) = if let Some(overflow) = ctx.overflow {
        let message = match overflow {
            Overflow::Count => format!("more than {} findings from one rule on one document", ctx.max_findings),
            Overflow::Bytes => format!("the findings of one rule on one document take more than {MAX_FINDING_BYTES} bytes"),
        };
        (Status::Error, Some(ScriptError { message, rule_position: None }))
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
        // Re-assessment: the watched values only where the dispositions need them; classification comes later.
        evidence: watched
            .filter(|_| doc.is_some_and(|d| options.evidence.wants(&d.identity, &rule.id, &fingerprint)))
            .map(|w| evidence::values(&w)),
        fingerprint,
        disposition: None,
    }
}

/// Source lines longer than this are not copied under findings: one line of
/// minified JSON, copied for each of its findings, made gigabytes of text.
const MAX_SNIPPET_BYTES: usize = 512;

fn locate(doc: &Document, segments: &Segments, message: &str, snippet: bool) -> Finding {
    let (node, depth) = doc.root.locate(segments);
    let located_at = (depth < segments.len()).then(|| path::render(segments.get(..depth).unwrap_or_default()));
    Finding {
        path: path::render(segments),
        located_at,
        region: node.region,
        message: message.to_string(),
        snippet: snippet
            .then(|| doc.source.line(node.region.start.line))
            .flatten()
            .filter(|line| line.len() <= MAX_SNIPPET_BYTES)
            .map(str::to_string),
    }
}

/// Stable order: document index, then rule id.
pub fn sort(outcomes: &mut [Outcome]) {
    outcomes.sort_by(|a, b| (a.document, &a.rule).cmp(&(b.document, &b.rule)));
}
