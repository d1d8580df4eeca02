//! Results and the renderers that turn them into bytes. A scan produces
//! `FileResult`s in a stable order (file path, document index, rule id,
//! finding position); renderers receive them one at a time, so a batch scan
//! never holds every result, and output is identical whatever the thread count.

pub mod github;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::document::discover::Skipped;
use crate::document::{InputError, Region};
use crate::rules::{ControlRef, Reassess, Rule, RuleError, Scope, Severity};

/// Version of the JSON report format; bumped on any incompatible change.
pub const SCHEMA_VERSION: &str = "annexa.report/v1";

/// What happened to one (rule, document) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }
}

/// One thing a rule found wrong, located in the document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The path the rule named, canonical form.
    pub path: String,
    /// When `path` does not exist, the nearest existing ancestor the region points at.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub located_at: Option<String>,
    pub region: Region,
    pub message: String,
    /// The source line the region starts on (for carets; not part of the JSON).
    #[serde(skip)]
    pub snippet: Option<String>,
}

/// A rule that failed while evaluating: the message and where in the rule file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScriptError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule_position: Option<crate::document::Position>,
}

/// The outcome of one rule on one document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub rule: String,
    /// Index of the document in its file.
    pub document: usize,
    pub status: Status,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ScriptError>,
    /// Output of `print` and `debug` in the rule.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub logs: Vec<String>,
    /// BLAKE3 over the values the verdict read, the rule's `on_change`
    /// paths and the rule's source: it changes exactly when the evidence does.
    pub fingerprint: String,
    // ---- Re-assessment (engine/src/reassess): only when dispositions are in use. ----
    /// The watched values (path → canonical JSON; null where absent).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub evidence: Option<crate::reassess::Evidence>,
    /// Where this outcome stands against the dispositions file. Boxed: most
    /// outcomes have none, and inline it would double the size of every one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub disposition: Option<Box<crate::reassess::Classification>>,
}

/// A document as reports describe it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub index: usize,
    pub identity: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub api_version: Option<String>,
    /// BLAKE3 of the canonical value (`Document::hash`), where the scan was
    /// asked for it (`ScanOptions::document_hashes`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hash: Option<String>,
    pub region: Region,
}

/// Everything a scan learned about one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    pub path: String,
    pub documents: Vec<DocumentInfo>,
    pub outcomes: Vec<Outcome>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<InputError>,
    /// The digests of the bytes evaluated, when the scan asked for them
    /// (`LoadOptions::digests`: the audit's JSON and OSCAL forms).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digests: Option<crate::document::FileDigests>,
}

impl FileResult {
    /// The document of the file at stream index `index`.
    pub fn document(&self, index: usize) -> Option<&DocumentInfo> {
        in_stream(&self.documents, index, |d| d.index)
    }
}

/// The item for stream index `index` among `items` in stream order, as a
/// file's documents are: found by bisection (reports ask once per outcome,
/// and scanning a file of 50,000 documents for each made one jsonl report
/// take 30 s), by a scan should the order ever not hold.
pub fn in_stream<T>(items: &[T], index: usize, index_of: impl Fn(&T) -> usize) -> Option<&T> {
    match items.binary_search_by_key(&index, &index_of) {
        Ok(found) => items.get(found),
        Err(_) => items.iter().find(|item| index_of(item) == index),
    }
}

/// A rule as reports describe it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// The rule's "What it checks" section (SARIF `fullDescription`).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
    pub severity: Severity,
    pub kinds: Vec<String>,
    pub scope: Scope,
    pub controls: Vec<ControlInfo>,
    pub reassess: Reassess,
    pub remediation: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    /// The rule says `status: "deprecated"` (absent otherwise).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub deprecated: bool,
    pub source: String,
    pub source_hash: String,
}

/// A control reference with its title, qualified by standard.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ControlInfo {
    pub standard: String,
    pub id: String,
    pub title: String,
}

impl ControlInfo {
    pub fn from_ref(c: &ControlRef) -> Self {
        let title = crate::controls::catalogs().control(&c.standard, &c.id).map(|c| c.title.clone()).unwrap_or_default();
        ControlInfo { standard: c.standard.clone(), id: c.id.clone(), title }
    }
}

impl RuleInfo {
    pub fn from_rule(rule: &Rule) -> Self {
        RuleInfo {
            id: rule.id.clone(),
            title: rule.title.clone(),
            description: rule.docs.section("What it checks").unwrap_or_default().to_string(),
            severity: rule.severity,
            kinds: rule.kinds.clone(),
            scope: rule.scope,
            controls: rule.controls.iter().map(ControlInfo::from_ref).collect(),
            reassess: rule.reassess.clone(),
            remediation: rule.remediation.clone(),
            tags: rule.tags.clone(),
            deprecated: rule.deprecated,
            source: rule.source.path.clone(),
            source_hash: rule.source_hash.clone(),
        }
    }
}

/// What every report states before its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub schema: String,
    pub tool: String,
    pub version: String,
    /// The evaluation date (`--now`).
    pub now: String,
    pub fail_on: Severity,
    pub rules: Vec<RuleInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub rule_errors: Vec<RuleError>,
    /// Set when the scan reads a dispositions file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reassess: Option<ReassessSettings>,
    /// Set when these results hold some shards of a sharded scan
    /// (`--shard`), not all of them: the counts cover those shards' files only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shards: Option<Shards>,
}

/// The shards of a sharded scan that some results hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shards {
    /// 1-based, sorted.
    pub held: Vec<u32>,
    pub count: u32,
}

impl Shards {
    /// The shards these results do not hold.
    pub fn missing(&self) -> Vec<u32> {
        (1..=self.count).filter(|i| !self.held.contains(i)).collect()
    }

    /// `2 of 4`, `1, 3 of 4`.
    pub fn describe(&self) -> String {
        let held: Vec<String> = self.held.iter().map(u32::to_string).collect();
        format!("{} of {}", held.join(", "), self.count)
    }
}

// ---- Re-assessment settings (engine/src/reassess) ----
/// How a scan with dispositions counts what it finds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReassessSettings {
    /// The dispositions file, as given.
    pub dispositions: String,
    /// Whether a reassess_due outcome fails the build at its rule's severity.
    pub reassess_fails: bool,
}

impl Header {
    /// The severity of a rule by id (rules are sorted by id).
    pub fn severity_of(&self, rule: &str) -> Severity {
        self.rule(rule).map_or(Severity::Info, |r| r.severity)
    }

    pub fn rule(&self, rule: &str) -> Option<&RuleInfo> {
        self.rules.binary_search_by(|r| r.id.as_str().cmp(rule)).ok().and_then(|i| self.rules.get(i))
    }
}

/// Counts over the whole scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    /// Outcomes by status.
    pub outcomes: BTreeMap<Status, usize>,
    /// Findings by severity (of their rule).
    pub findings: BTreeMap<Severity, usize>,
    /// Findings at or above `fail_on`.
    pub failing: usize,
    /// Inputs and rules that could not be evaluated.
    pub errors: usize,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub skipped: Vec<Skipped>,
    /// Counts against the dispositions file, when one was read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dispositions: Option<crate::reassess::DispositionSummary>,
}

impl Summary {
    /// Adds one file's results.
    pub fn add(&mut self, file: &FileResult, header: &Header) {
        self.files += 1;
        self.documents += file.documents.len();
        self.errors += file.errors.len();
        for outcome in &file.outcomes {
            *self.outcomes.entry(outcome.status).or_default() += 1;
            if outcome.status == Status::Error {
                self.errors += 1;
            }
            let severity = header.severity_of(&outcome.rule);
            // Re-assessment: a held waiver accepts the failure; a disposition due for review fails like a finding.
            let waived = outcome.disposition.as_ref().is_some_and(|d| d.waived());
            let due = outcome.disposition.as_ref().is_some_and(|d| d.status == crate::reassess::DispositionStatus::ReassessDue)
                && header.reassess.as_ref().is_some_and(|r| r.reassess_fails);
            if !outcome.findings.is_empty() {
                *self.findings.entry(severity).or_default() += outcome.findings.len();
                if severity >= header.fail_on && !waived {
                    self.failing += outcome.findings.len();
                }
            }
            if due && severity >= header.fail_on && (outcome.findings.is_empty() || waived) {
                self.failing += 1;
            }
        }
    }

    /// 0: nothing at or above `fail_on`; 1: findings at or above it; 2: something could not be evaluated.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.failing > 0 {
            1
        } else {
            0
        }
    }
}

/// Writes a report as results arrive.
pub trait Renderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> std::io::Result<()>;
    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> std::io::Result<()>;
    fn end(&mut self, summary: &Summary, out: &mut dyn Write) -> std::io::Result<()>;
}

/// The output formats, each one file in this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text {
        color: bool,
    },
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
    /// One JSON object per line and outcome or finding.
    Jsonl,
}

impl Format {
    /// The one place a format picks its renderer.
    pub fn renderer(self) -> Box<dyn Renderer> {
        match self {
            Format::Text { color } => Box::new(text::TextRenderer::new(color)),
            Format::Json => Box::new(json::JsonRenderer::default()),
            Format::Sarif => Box::new(sarif::SarifRenderer::default()),
            Format::Junit => Box::new(junit::JunitRenderer::default()),
            Format::Github => Box::new(github::GithubRenderer::default()),
            Format::Markdown => Box::new(markdown::MarkdownRenderer::default()),
            Format::Jsonl => Box::new(jsonl::JsonlRenderer::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_stream;

    #[test]
    fn items_are_found_by_stream_index_with_gaps_and_out_of_order() {
        // Documents 1 and 4 failed to parse: the indices have gaps.
        let in_order = [0, 2, 3, 5, 6];
        for index in 0..8 {
            assert_eq!(in_stream(&in_order, index, |&i| i), in_order.iter().find(|&&i| i == index), "{index}");
        }
        let shuffled = [5, 0, 6, 3, 2];
        for index in 0..8 {
            assert_eq!(in_stream(&shuffled, index, |&i| i), shuffled.iter().find(|&&i| i == index), "{index}");
        }
    }
}
