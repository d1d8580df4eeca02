//! Helpers shared by the engine's integration tests: compile rules from
//! text, scan documents given as text, and collect every file's result.
#![allow(dead_code)]

use std::sync::Arc;

use annexa_engine::document::{self, LoadOptions};
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::report::{FileResult, Outcome};
use annexa_engine::rules::{self, RuleSet, RuleSource};
use annexa_engine::script::Limits;

/// A rule file around a `check` body: id, valid metadata, any kind.
pub fn rule(id: &str, body: &str) -> String {
    format!(
        "const RULE = #{{ id: \"{id}\", title: \"t\", severity: \"high\", kinds: [\"*\"], controls: #{{ iso42001: [\"A.6.2.6\"] }}, remediation: \"r\" }};\n{body}\n"
    )
}

pub fn load_rules(limits: &Limits, texts: &[&str]) -> RuleSet {
    let sources = texts.iter().enumerate().map(|(i, t)| RuleSource { path: format!("rule{i}.rhai"), text: Arc::from(*t) }).collect();
    rules::load(sources, limits)
}

pub fn now() -> jiff::civil::Date {
    jiff::civil::date(2025, 7, 1)
}

/// Scans `inputs` (display name, text) with `rules` and returns every file's result.
pub fn scan_with(rule_texts: &[&str], inputs: &[(&str, &[u8])], limits: Limits, load: LoadOptions) -> Vec<FileResult> {
    let set = load_rules(&limits, rule_texts);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let inputs = inputs
        .iter()
        .map(|(name, bytes)| Input::Bytes {
            display: name.to_string(),
            format: document::Format::from_path(std::path::Path::new(name)).unwrap_or(document::Format::Yaml),
            bytes: Box::from(*bytes),
        })
        .collect();
    let mut options = ScanOptions::new(now());
    options.limits = limits;
    options.load = load;
    options.threads = 2;
    let mut out = Vec::new();
    eval::scan(&set.rules, inputs, &options, &mut |r| {
        out.push(std::mem::take(r));
        Ok(())
    })
    .unwrap();
    out
}

pub fn scan(rule_texts: &[&str], inputs: &[(&str, &[u8])]) -> Vec<FileResult> {
    scan_with(rule_texts, inputs, Limits::default(), LoadOptions::default())
}

/// The outcome of `rule` on document `index` of `file`.
pub fn outcome<'a>(results: &'a [FileResult], file: &str, rule: &str) -> &'a Outcome {
    results
        .iter()
        .find(|r| r.path == file)
        .and_then(|r| r.outcomes.iter().find(|o| o.rule == rule))
        .unwrap_or_else(|| panic!("no outcome of {rule} on {file}"))
}

pub const GOOD: &[u8] = b"kind: AISystem\nmetadata: {name: good}\nspec: {a: 1}\n";

/// A rule that fails on every document at `spec.a`, to show other inputs are still evaluated.
pub fn witness() -> String {
    rule("W001", "fn check(doc) { doc.fail(\"spec.a\", \"seen\"); }")
}
