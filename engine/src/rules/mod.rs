//! Rules: one `.rhai` file each, with a `const RULE` metadata map, a
//! `check(doc)` function (or `check_all(docs)` for corpus rules) and an
//! optional `applies(doc)`. Loading compiles each rule once and validates its
//! metadata; a broken rule is a located `RuleError`, never a silent skip.

pub mod doc;
pub mod meta;
pub mod reference;
pub mod testing;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::document::path::Segments;
use crate::document::Position;
use crate::script::{compiled, Limits};

pub use meta::{ControlRef, Reassess, Scope, Severity};

/// The text of one rule file and where it came from.
#[derive(Clone, Debug)]
pub struct RuleSource {
    /// As shown to users: `builtin:aisystem/AIS001.rhai` or a path on disk.
    pub path: String,
    pub text: Arc<str>,
}

/// A loaded, validated, compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub kinds: Vec<String>,
    pub scope: Scope,
    pub controls: Vec<ControlRef>,
    pub reassess: Reassess,
    /// `reassess.on_change`, parsed once: the paths every fingerprint watches.
    pub watches: Vec<Segments>,
    /// A corpus rule's `reads`: the only paths of each document it may read
    /// (`None`: whole documents).
    pub reads: Option<Vec<Segments>>,
    pub remediation: String,
    pub tags: Vec<String>,
    /// `status: "deprecated"`: it still runs, and lists and references say it is on its way out.
    pub deprecated: bool,
    pub source: RuleSource,
    /// BLAKE3 of the rule's text: a changed rule invalidates old dispositions.
    pub source_hash: String,
    pub docs: doc::RuleDoc,
    pub has_applies: bool,
    /// Whether the rule assigns to an index or a property (`m[k] = v`,
    /// `m.k = v`): the only way a map grows that Rhai does not check against
    /// the map size limit, so only such a rule runs on the engine that checks
    /// map variables as they are read (`script::build_engine`).
    pub(crate) assigns_members: bool,
    /// The calls whose results the rule reads only by fixed keys, which
    /// convert only those keys (`script::fields`).
    pub(crate) fields: Option<std::sync::Arc<crate::script::fields::Fields>>,
    /// Names the rule's compiled form on each thread (`script::compiled`).
    pub(crate) program: u64,
}

impl Rule {
    /// Whether the rule looks at documents of this kind.
    pub fn matches_kind(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == "*" || k == kind)
    }

    /// Holds the evaluation that is starting to the rule's `reads`, if any.
    pub(crate) fn limit_reads(&self) {
        if let Some(reads) = &self.reads {
            crate::script::context::allow_only(std::rc::Rc::from(reads.as_slice()));
        }
    }

    /// Why an evaluation that read outside the rule's `reads` failed.
    pub(crate) fn read_outside(&self, ctx: &crate::script::context::Context) -> Option<String> {
        let path = ctx.outside.as_ref()?;
        let reads: Vec<String> = self.reads.iter().flatten().map(|r| crate::document::path::render(r)).collect();
        Some(format!(
            "read `{}`, outside the paths in RULE.reads ({}): a corpus scan keeps only those parts of each document",
            crate::document::path::render(path),
            reads.join(", ")
        ))
    }
}

impl Drop for Rule {
    fn drop(&mut self) {
        compiled::forget(self.program);
    }
}

/// A rule file that could not be loaded, located in the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub position: Option<Position>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hint: Option<String>,
}

/// Rules ready to evaluate, and the rule files that failed to load.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub errors: Vec<RuleError>,
    /// Texts of the rule files that failed, for diagnostics with snippets.
    pub failed_sources: Vec<RuleSource>,
}

/// Reads every `.rhai` file under `dir` (skipping `tests/` folders), sorted
/// by path. Symbolic links are followed (a pack may link rules it shares with
/// another); a broken link named `.rhai`, a folder that cannot be read, or a
/// `.rhai` that is not a regular file is an error, never a rule silently left
/// out. A link loop leads back to a folder read anyway, and is passed over.
pub fn read_dir(dir: &Path) -> (Vec<RuleSource>, Vec<RuleError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let display = |p: &Path| crate::document::discover::display_path(p);
    if !dir.is_dir() {
        errors.push(RuleError {
            file: display(dir),
            rule: None,
            position: None,
            message: "rules folder does not exist or is not a folder".into(),
            hint: Some("pass a folder of `.rhai` files to --rules".into()),
        });
        return (sources, errors);
    }
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(true)
        .filter_entry(|e| e.file_name() != "tests")
        .sort_by_file_path(|a, b| a.cmp(b))
        .build();
    let error = |path: &Path, message: String, hint: Option<&str>| RuleError {
        file: display(path),
        rule: None,
        position: None,
        message,
        hint: hint.map(str::to_string),
    };
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if crate::document::discover::hides_nothing(&e, &named_as_rule) => continue,
            Err(e) => {
                let located = crate::document::discover::walk_error(&e);
                let file = if located.file.is_empty() { display(dir) } else { located.file };
                errors.push(RuleError { file, rule: None, position: None, message: located.message, hint: None });
                continue;
            }
        };
        let kind = entry.file_type();
        if !named_as_rule(entry.path()) || kind.is_some_and(|t| t.is_dir()) {
            continue;
        }
        if !kind.is_some_and(|t| t.is_file()) {
            errors.push(error(
                entry.path(),
                "not a regular file".into(),
                Some("rules are read from regular files; FIFOs, devices and sockets are not read"),
            ));
            continue;
        }
        match crate::document::read_text_within(entry.path(), crate::document::MAX_FILE_BYTES, "a rule file") {
            // A byte-order mark some editors write is not Rhai: it goes, as YAML readers drop it.
            Ok(text) => {
                sources.push(RuleSource { path: display(entry.path()), text: text.strip_prefix('\u{feff}').unwrap_or(&text).into() })
            }
            Err(e) => errors.push(error(entry.path(), format!("cannot read: {e}"), None)),
        }
    }
    (sources, errors)
}

/// Whether a path is named as a rule file: `.rhai`, in any case (as `.YAML` is a document).
fn named_as_rule(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("rhai"))
}

/// Compiles and validates rules, on this thread's engine for `limits`
/// (which keeps the compiled forms, so a scan on this thread does not
/// compile them again). Ids must be unique across all sources.
pub fn load(sources: Vec<RuleSource>, limits: &Limits) -> RuleSet {
    let mut set = RuleSet::default();
    let engine = compiled::engine(limits);
    let engine = &*engine;
    for source in sources {
        match meta::compile(&source, engine) {
            Ok((rule, ast)) => {
                if let Some(first) = set.rules.iter().find(|r| r.id == rule.id) {
                    set.errors.push(RuleError {
                        file: source.path.clone(),
                        rule: Some(rule.id.clone()),
                        position: meta::field_position(&source, engine, "id"),
                        message: format!("rule id `{}` is already used by {}", rule.id, first.source.path),
                        hint: Some("rule ids are permanent and unique; pick an unused id".into()),
                    });
                    set.failed_sources.push(source);
                } else {
                    compiled::keep(limits, &rule, ast);
                    set.rules.push(rule);
                }
            }
            Err(errors) => {
                set.errors.extend(errors);
                set.failed_sources.push(source);
            }
        }
    }
    set.rules.sort_by(|a, b| a.id.cmp(&b.id));
    set
}
