//! Rule tests: case files beside each rule, at `<pack>/tests/<RULE_ID>/<case>.yaml`,
//! that give a document (inline, or a known-good file with paths set or
//! deleted) and the outcome the rule must reach on it. A case belongs to its
//! rule by the exact id written in the file, which must equal its folder name.
//! This module reads and runs cases and returns structured results; it never prints.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::Dynamic;
use serde::Serialize;

use super::{Rule, Scope};
use crate::document::discover::display_path;
use crate::document::path::{self, Segment, Segments};
use crate::document::{self, yaml, Document, InputError, LoadOptions, Node, Position, Region, Source, Value};
use crate::report::{Finding, Status};
use crate::script::api::Doc;
use crate::script::compiled::{self, CallError};
use crate::script::{context, Limits};

/// The evaluation date of a case that does not say, so results never drift with the calendar.
pub const DEFAULT_NOW: &str = "2025-06-01";

const KEYS: [&str; 10] = ["rule", "description", "now", "file", "expect", "document", "base", "set", "delete", "corpus"];
const EXPECT_KEYS: [&str; 3] = ["status", "findings", "error"];
const FINDING_KEYS: [&str; 3] = ["path", "line", "col"];

/// One case file, read and validated, with its document built.
#[derive(Debug)]
pub struct Case {
    /// The case file as shown to users.
    pub file: String,
    pub rule: String,
    pub description: String,
    pub now: jiff::civil::Date,
    pub expect: Expected,
    /// The document the rule is tested on.
    pub document: Arc<Document>,
    /// Other documents a corpus rule sees besides `document` (`corpus:` in the case).
    pub corpus: Vec<Arc<Document>>,
}

/// The outcome a case states.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expected {
    pub status: Status,
    /// When given, the findings must match exactly: count, and in position order.
    pub findings: Option<Vec<ExpectedFinding>>,
    /// With `status: error`, when given: text the error message must contain,
    /// so a case fails when the rule errs for another reason (a typo in it).
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectedFinding {
    /// Canonical path, as findings report it.
    pub path: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
}

impl ExpectedFinding {
    pub fn matches(&self, finding: &Finding) -> bool {
        self.path == finding.path
            && self.line.is_none_or(|l| l == finding.region.start.line)
            && self.col.is_none_or(|c| c == finding.region.start.col)
    }
}

/// What the rule actually did on the case's document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Actual {
    pub status: Status,
    pub findings: Vec<Finding>,
    /// The script error, when the status is `error`.
    pub error: Option<String>,
    /// What the rule printed (`print`, `debug`), shown when the case fails.
    pub logs: Vec<String>,
}

/// One case run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseResult {
    pub file: String,
    pub rule: String,
    pub description: String,
    pub expected: Expected,
    pub actual: Actual,
}

impl CaseResult {
    pub fn status_matches(&self) -> bool {
        self.expected.status == self.actual.status
    }

    pub fn findings_match(&self) -> bool {
        self.expected.findings.as_ref().is_none_or(|expected| {
            expected.len() == self.actual.findings.len() && expected.iter().zip(&self.actual.findings).all(|(e, a)| e.matches(a))
        })
    }

    pub fn error_matches(&self) -> bool {
        self.expected.error.as_deref().is_none_or(|wanted| self.actual.error.as_deref().is_some_and(|e| e.contains(wanted)))
    }

    pub fn passed(&self) -> bool {
        self.status_matches() && self.findings_match() && self.error_matches()
    }
}

/// Everything a run of rule tests produced: results in file order, and the
/// case files that could not be read (each located in its file).
#[derive(Debug, Default)]
pub struct TestRun {
    pub results: Vec<CaseResult>,
    pub errors: Vec<InputError>,
}

impl TestRun {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Finds the case files under `dirs`: YAML (or JSON) files at `tests/<RULE_ID>/<case>.yaml`.
/// Such a file elsewhere under a `tests` folder is an error, so a misplaced case is never skipped silently.
/// Symbolic links are followed, as for rules; a broken link named as a case,
/// or a case that is not a regular file, is an error at its path.
pub fn discover(dirs: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        // A folder that is missing is reported once, by the rule loader (`read_dir`), which reads the same folders.
        if !dir.is_dir() {
            continue;
        }
        let walker = ignore::WalkBuilder::new(dir).standard_filters(false).follow_links(true).sort_by_file_path(|a, b| a.cmp(b)).build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) if crate::document::discover::hides_nothing(&e, &named_as_case) => continue,
                Err(e) => {
                    let mut located = crate::document::discover::walk_error(&e);
                    if located.file.is_empty() {
                        located.file = display_path(dir);
                    }
                    errors.push(located);
                    continue;
                }
            };
            let path = entry.path();
            let is_yaml = named_as_case(path);
            let under_tests = path.ancestors().skip(1).any(|a| a.file_name().is_some_and(|n| n == "tests"));
            if !is_yaml || !under_tests || entry.file_type().is_some_and(|t| t.is_dir()) {
                continue;
            }
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                errors.push(InputError {
                    file: display_path(path),
                    position: None,
                    message: "not a regular file".into(),
                    hint: Some("case files are read from regular files; FIFOs, devices and sockets are not read".into()),
                });
                continue;
            }
            let grandparent = path.parent().and_then(Path::parent);
            if grandparent.and_then(Path::file_name).is_some_and(|n| n == "tests") {
                files.push(path.to_path_buf());
            } else {
                errors.push(InputError {
                    file: display_path(path),
                    position: None,
                    message: "a case file must sit directly in a folder named after its rule".into(),
                    hint: Some("move it to <pack>/tests/<RULE_ID>/<case>.yaml".into()),
                });
            }
        }
    }
    (files, errors)
}

/// Whether a path is named as a case file: `.yaml`, `.yml` or `.json` (JSON
/// is YAML), in any case.
fn named_as_case(path: &Path) -> bool {
    path.extension().is_some_and(|e| ["yaml", "yml", "json"].iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Runs every case found under `dirs` against `rules`.
pub fn run_dirs(rules: &[Rule], dirs: &[PathBuf], limits: &Limits) -> TestRun {
    let (files, mut errors) = discover(dirs);
    let mut results = Vec::new();
    for file in files {
        match load_case(&file, rules) {
            Ok(case) => match rules.iter().find(|r| r.id == case.rule) {
                Some(rule) => results.push(run_case(rule, &case, limits)),
                None => errors.push(InputError {
                    file: case.file.clone(),
                    position: None,
                    message: format!("no loaded rule has id `{}`", case.rule),
                    hint: None,
                }),
            },
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    TestRun { results, errors }
}

/// Reads one case file and builds its document. Every problem is collected, located in the case file.
pub fn load_case(file: &Path, rules: &[Rule]) -> Result<Case, Vec<InputError>> {
    let display = display_path(file);
    let text = crate::document::read_text_within(file, crate::document::MAX_FILE_BYTES, "a case file")
        .map_err(|e| vec![InputError { file: display.clone(), position: None, message: format!("cannot read: {e}"), hint: None }])?;
    let mut problems = Problems { file: display.clone(), errors: Vec::new() };
    let (mut parsed, syntax) = yaml::parse_stream(&text, &yaml::Limits::default());
    for e in syntax {
        problems.push(e.position, e.message, e.hint);
    }
    if parsed.len() > 1 {
        problems.push(Position::new(1, 1), "a case file holds one YAML document".into(), Some("split it into several case files"));
    }
    if !problems.errors.is_empty() {
        return Err(problems.errors);
    }
    let Some(root) = parsed.pop().map(|p| p.root) else {
        return Err(vec![InputError { file: display, position: None, message: "the case file is empty".into(), hint: None }]);
    };
    let top = Position::new(1, 1);
    let Some(entries) = root.as_map() else {
        problems.push(root.region.start, "a case file is a mapping with `rule`, `description`, `expect` and a document".into(), None);
        return Err(problems.errors);
    };
    for (key, node) in entries {
        if !KEYS.contains(&&**key) {
            problems.push(node.region.start, format!("unknown key `{key}` in a case file"), Some(known(&KEYS).as_str()));
        }
    }
    let field = |name: &str| entries.iter().find(|(k, _)| &**k == name).map(|(_, n)| n);

    let folder = file.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let rule = match field("rule") {
        Some(node) => match node.as_str() {
            Some(id) if id != folder => {
                problems.push(
                    node.region.start,
                    format!("rule `{id}` does not match the folder `{folder}` this case sits in"),
                    Some("a case belongs to the rule whose id names its folder: tests/<RULE_ID>/"),
                );
                String::new()
            }
            Some(id) if !rules.iter().any(|r| r.id == id) => {
                problems.push(
                    node.region.start,
                    format!("no loaded rule has id `{id}`"),
                    Some("check the id, and that the rule file loads (`annexa rules list --rules DIR`)"),
                );
                String::new()
            }
            Some(id) => id.to_string(),
            None => {
                problems.push(node.region.start, "`rule` must be a rule id such as AIS005".into(), None);
                String::new()
            }
        },
        None => {
            problems.push(top, "`rule` is missing".into(), Some("name the rule this case tests, as in `rule: AIS005`"));
            String::new()
        }
    };
    let description = match field("description").map(|n| (n, n.as_str())) {
        Some((_, Some(d))) if !d.trim().is_empty() => d.to_string(),
        Some((node, _)) => {
            problems.push(node.region.start, "`description` must be a sentence saying what the case shows".into(), None);
            String::new()
        }
        None => {
            problems.push(top, "`description` is missing".into(), Some("say in one sentence what this case shows"));
            String::new()
        }
    };
    let now = match field("now") {
        Some(node) => match node.as_str().and_then(|s| s.parse::<jiff::civil::Date>().ok()) {
            Some(date) => date,
            None => {
                problems.push(node.region.start, "`now` must be a date written YYYY-MM-DD".into(), None);
                jiff::civil::Date::default()
            }
        },
        None => DEFAULT_NOW.parse().unwrap_or_default(),
    };
    let shown_name = match field("file") {
        Some(node) => match node.as_str() {
            Some(name) if !name.is_empty() => Some(name.to_string()),
            _ => {
                problems.push(node.region.start, "`file` must be a file name such as .vscode/mcp.json".into(), None);
                None
            }
        },
        None => None,
    };
    let expect = match field("expect") {
        Some(node) => expected(node, &mut problems),
        None => {
            problems.push(top, "`expect` is missing".into(), Some("state the outcome, as in `expect: {status: fail}`"));
            None
        }
    };

    let dir = file.parent().unwrap_or(Path::new("."));
    let document = match (field("document"), field("base")) {
        (Some(doc), Some(base)) => {
            problems.push(base.region.start, "a case gives its document either inline (`document`) or as `base`, not both".into(), None);
            let _ = doc;
            None
        }
        (None, None) => {
            problems.push(
                top,
                "the case has no document".into(),
                Some("add `document:` (inline) or `base:` (a file, relative to this case)"),
            );
            None
        }
        (Some(doc), None) => {
            for name in ["set", "delete"] {
                if let Some(node) = field(name) {
                    problems.push(
                        node.region.start,
                        format!("`{name}` mutates a `base` file; write the inline document as it should be"),
                        None,
                    );
                }
            }
            let source = Arc::new(Source::new(shown_name.clone().unwrap_or_else(|| display.clone()), text.clone()));
            let described = document::describe(&source, 0, doc.clone());
            // As a scan would refuse it: `kind: AiSystem` under annexa/v1 is checked by no rule.
            if let Some(unknown) = document::unknown_annexa_kind(&described, &display) {
                problems.errors.push(unknown);
            }
            Some(described)
        }
        (None, Some(base)) => {
            let mut built = None;
            match base.as_str() {
                Some(relative) => match load_one(&dir.join(relative)) {
                    Ok(doc) => {
                        let mut root = doc.root;
                        mutate(&mut root, field("set"), field("delete"), &mut problems);
                        let source =
                            Arc::new(Source::new(shown_name.clone().unwrap_or_else(|| doc.source.path.clone()), doc.source.text.clone()));
                        built = Some(document::describe(&source, 0, root));
                    }
                    Err(message) => problems.push(base.region.start, message, Some("`base` is a path relative to the case file")),
                },
                None => problems.push(base.region.start, "`base` must be a path relative to the case file".into(), None),
            }
            built
        }
    };
    let mut corpus = Vec::new();
    if let Some(node) = field("corpus") {
        match node.as_seq() {
            Some(items) => {
                for item in items {
                    match item.as_str().map(|p| load_one(&dir.join(p))) {
                        Some(Ok(doc)) => corpus.push(Arc::new(doc)),
                        Some(Err(message)) => problems.push(item.region.start, message, None),
                        None => problems.push(item.region.start, "a `corpus` entry is a path relative to the case file".into(), None),
                    }
                }
            }
            None => problems.push(node.region.start, "`corpus` must be a list of paths relative to the case file".into(), None),
        }
        let corpus_rule = rules.iter().find(|r| r.id == rule).is_none_or(|r| r.scope == Scope::Corpus);
        if !corpus_rule {
            problems.push(node.region.start, format!("`corpus` is for corpus rules, and {rule} sees one document at a time"), None);
        }
    }

    match (document, expect) {
        (Some(document), Some(expect)) if problems.errors.is_empty() => {
            Ok(Case { file: display, rule, description, now, expect, document: Arc::new(document), corpus })
        }
        _ => Err(problems.errors),
    }
}

/// Runs one case: the rule on the case's document (and, for corpus rules, the others beside it).
pub fn run_case(rule: &Rule, case: &Case, limits: &Limits) -> CaseResult {
    let mut docs = vec![case.document.clone()];
    docs.extend(case.corpus.iter().cloned());
    CaseResult {
        file: case.file.clone(),
        rule: case.rule.clone(),
        description: case.description.clone(),
        expected: case.expect.clone(),
        actual: evaluate(rule, &docs, case.now, limits),
    }
}

struct Problems {
    file: String,
    errors: Vec<InputError>,
}

impl Problems {
    fn push(&mut self, position: Position, message: String, hint: Option<&str>) {
        self.errors.push(InputError { file: self.file.clone(), position: Some(position), message, hint: hint.map(str::to_string) });
    }
}

fn known(keys: &[&str]) -> String {
    format!("known keys: {}", keys.join(", "))
}

fn expected(node: &Node, problems: &mut Problems) -> Option<Expected> {
    let Some(entries) = node.as_map() else {
        problems.push(node.region.start, "`expect` must be a mapping with `status` and optional `findings`".into(), None);
        return None;
    };
    for (key, value) in entries {
        if !EXPECT_KEYS.contains(&&**key) {
            problems.push(value.region.start, format!("unknown key `{key}` in expect"), Some(known(&EXPECT_KEYS).as_str()));
        }
    }
    let field = |name: &str| entries.iter().find(|(k, _)| &**k == name).map(|(_, n)| n);
    let status = match field("status").map(|n| (n, n.as_str())) {
        Some((_, Some("pass"))) => Some(Status::Pass),
        Some((_, Some("fail"))) => Some(Status::Fail),
        Some((_, Some("not_applicable"))) => Some(Status::NotApplicable),
        Some((_, Some("error"))) => Some(Status::Error),
        Some((n, text)) => {
            let found = text.map_or_else(|| "a value that is not a string".to_string(), |t| format!("`{t}`"));
            problems.push(n.region.start, format!("unknown status {found}"), Some("use pass, fail, not_applicable or error"));
            None
        }
        None => {
            problems.push(node.region.start, "`expect.status` is missing".into(), Some("use pass, fail, not_applicable or error"));
            None
        }
    };
    let findings = match field("findings") {
        None => None,
        Some(list) => match list.as_seq() {
            Some(items) => Some(items.iter().filter_map(|item| expected_finding(item, problems)).collect()),
            None => {
                problems.push(list.region.start, "`expect.findings` must be a list of {path, line, col}".into(), None);
                None
            }
        },
    };
    let error = match field("error") {
        None => None,
        Some(node) => match (node.as_str(), status) {
            (Some(text), Some(Status::Error)) => Some(text.to_string()),
            (Some(_), _) => {
                problems.push(node.region.start, "`expect.error` goes with `status: error`".into(), None);
                None
            }
            (None, _) => {
                problems.push(node.region.start, "`expect.error` must be text the error message contains".into(), None);
                None
            }
        },
    };
    Some(Expected { status: status?, findings, error })
}

fn expected_finding(item: &Node, problems: &mut Problems) -> Option<ExpectedFinding> {
    let Some(entries) = item.as_map() else {
        problems.push(item.region.start, "a finding is a mapping such as {path: \"spec.tools[0]\", line: 12, col: 7}".into(), None);
        return None;
    };
    for (key, value) in entries {
        if !FINDING_KEYS.contains(&&**key) {
            problems.push(value.region.start, format!("unknown key `{key}` in an expected finding"), Some(known(&FINDING_KEYS).as_str()));
        }
    }
    let field = |name: &str| entries.iter().find(|(k, _)| &**k == name).map(|(_, n)| n);
    let number = |name: &str, problems: &mut Problems| match field(name) {
        None => None,
        Some(node) => match node.value {
            Value::Int(n) if n >= 1 && n <= i64::from(u32::MAX) => Some(n as u32),
            _ => {
                problems.push(node.region.start, format!("`{name}` must be a whole number from 1"), None);
                None
            }
        },
    };
    let line = number("line", problems);
    let col = number("col", problems);
    let path = match field("path").map(|n| (n, n.as_str().map(path::parse))) {
        Some((_, Some(Ok(segments)))) => path::render(&segments),
        Some((node, Some(Err(reason)))) => {
            problems.push(node.region.start, format!("invalid path: {reason}"), None);
            return None;
        }
        Some((node, None)) => {
            problems.push(node.region.start, "`path` must be a string".into(), None);
            return None;
        }
        None => {
            problems.push(item.region.start, "an expected finding needs a `path`".into(), None);
            return None;
        }
    };
    Some(ExpectedFinding { path, line, col })
}

/// Reads the first document of a file.
fn load_one(path: &Path) -> Result<Document, String> {
    let display = display_path(path);
    let format = document::Format::from_path(path).unwrap_or(document::Format::Yaml);
    let loaded = document::load_file(path, &display, format, &LoadOptions::default());
    if let Some(e) = loaded.errors.first() {
        let at = e.position.map(|p| format!(":{}:{}", p.line, p.col)).unwrap_or_default();
        return Err(format!("{display}{at}: {}", e.message));
    }
    loaded.documents.into_iter().next().ok_or_else(|| format!("{display} holds no document"))
}

/// Applies `set` then `delete` to a base document.
fn mutate(root: &mut Node, set: Option<&Node>, delete: Option<&Node>, problems: &mut Problems) {
    if let Some(set) = set {
        match set.as_map() {
            Some(entries) => {
                for (key, value) in entries {
                    let result = path::parse(key).and_then(|segments| set_path(root, &segments, value.clone()));
                    if let Err(reason) = result {
                        problems.push(value.region.start, format!("cannot set `{key}`: {reason}"), None);
                    }
                }
            }
            None => problems.push(
                set.region.start,
                "`set` must map paths to values, as in {\"spec.tools[0].requires_approval\": false}".into(),
                None,
            ),
        }
    }
    if let Some(delete) = delete {
        match delete.as_seq() {
            Some(items) => {
                for item in items {
                    let result = item.as_str().ok_or_else(|| "a path must be a string".to_string()).and_then(|p| {
                        let segments = path::parse(p)?;
                        delete_path(root, &segments)
                    });
                    if let Err(reason) = result {
                        problems.push(item.region.start, format!("cannot delete: {reason}"), None);
                    }
                }
            }
            None => problems.push(delete.region.start, "`delete` must be a list of paths".into(), None),
        }
    }
}

fn child_mut<'a>(node: &'a mut Node, segment: &Segment) -> Option<&'a mut Node> {
    match (&mut node.value, segment) {
        (Value::Map(entries), Segment::Key(key)) => entries.iter_mut().find(|(k, _)| **k == **key).map(|(_, n)| n),
        (Value::Seq(items), Segment::Index(i)) => items.get_mut(*i),
        _ => None,
    }
}

/// Gives a node from the case file, and everything under it, the region of
/// the nearest node that exists in the base: mutated values have no source
/// position of their own, and a finding on them must point into the base file.
fn relocate(node: &mut Node, region: Region) {
    node.region = region;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, region)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| relocate(n, region)),
        _ => {}
    }
}

fn set_path(node: &mut Node, segments: &[Segment], mut value: Node) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        relocate(&mut value, node.region);
        *node = value;
        return Ok(());
    };
    if node.value == Value::Null {
        if let Segment::Key(_) = first {
            node.value = Value::Map(Vec::new());
        }
    }
    let region = node.region;
    match (&mut node.value, first) {
        (Value::Map(entries), Segment::Key(key)) => {
            if !entries.iter().any(|(k, _)| **k == **key) {
                entries.push((key.as_ref().into(), Node::new(region, if rest.is_empty() { Value::Null } else { Value::Map(Vec::new()) })));
            }
        }
        (Value::Seq(items), Segment::Index(i)) if *i == items.len() => items.push(Node::new(region, Value::Null)),
        (Value::Seq(items), Segment::Index(i)) if *i > items.len() => {
            return Err(format!("index {i} is past the end of a list of {}", items.len()));
        }
        (Value::Seq(_), Segment::Index(_)) => {}
        (_, Segment::Any) => return Err("wildcards cannot be set".into()),
        (_, segment) => {
            return Err(format!("`{}` is not a key of a mapping or an index of a list here", path::render(std::slice::from_ref(segment))))
        }
    }
    let child = child_mut(node, first).ok_or_else(|| "the path does not exist".to_string())?;
    set_path(child, rest, value)
}

fn delete_path(root: &mut Node, segments: &[Segment]) -> Result<(), String> {
    let Some((last, parent)) = segments.split_last() else { return Err("the root cannot be deleted".into()) };
    let missing = || format!("`{}` is not in the base document", path::render(segments));
    let node = parent.iter().try_fold(root, |node, segment| child_mut(node, segment)).ok_or_else(missing)?;
    match (&mut node.value, last) {
        (Value::Map(entries), Segment::Key(key)) => {
            let before = entries.len();
            entries.retain(|(k, _)| **k != **key);
            if entries.len() == before {
                return Err(missing());
            }
        }
        (Value::Seq(items), Segment::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        _ => return Err(missing()),
    }
    Ok(())
}

/// Evaluates one rule the way a scan does: `applies`, then `check` (or
/// `check_all` over every document for corpus rules), with findings located
/// in the first document. Script failures and panics become an `error` status.
fn evaluate(rule: &Rule, docs: &[Arc<Document>], now: jiff::civil::Date, limits: &Limits) -> Actual {
    let Some(subject) = docs.first() else {
        return Actual { status: Status::Error, findings: Vec::new(), error: Some("no document".into()), logs: Vec::new() };
    };
    if !rule.matches_kind(&subject.kind) {
        return Actual { status: Status::NotApplicable, findings: Vec::new(), error: None, logs: Vec::new() };
    }
    let ((status, error), ctx) = context::with_context(now, limits.max_findings, || {
        rule.limit_reads();
        let mut handles = rhai::Array::new();
        let mut subject_applies = true;
        for (slot, doc) in docs.iter().enumerate() {
            if !rule.matches_kind(&doc.kind) {
                continue;
            }
            let handle = Dynamic::from(Doc::new(doc.clone(), slot));
            if rule.has_applies {
                match call(rule, limits, "applies", handle.clone()).map(|v| v.as_bool()) {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) if slot == 0 => {
                        subject_applies = false;
                        if rule.scope == Scope::Document {
                            return (Status::NotApplicable, None);
                        }
                        continue;
                    }
                    Ok(Ok(false)) => continue,
                    Ok(Err(found)) => return (Status::Error, Some(format!("`applies` must return true or false, it returned {found}"))),
                    Err(e) => return (Status::Error, Some(e)),
                }
            }
            handles.push(handle);
        }
        let result = match rule.scope {
            Scope::Document => handles.pop().map(|h| call(rule, limits, "check", h)),
            Scope::Corpus => Some(call(rule, limits, "check_all", Dynamic::from_array(handles))),
        };
        let entry = if rule.scope == Scope::Corpus { "check_all" } else { "check" };
        match result {
            Some(Err(e)) => (Status::Error, Some(e)),
            Some(Ok(v)) if v.is_bool() => (Status::Error, Some(crate::eval::returned_a_verdict(entry, &v).message)),
            _ if !subject_applies => (Status::NotApplicable, None),
            _ => (Status::Pass, None),
        }
    });
    let mut findings: Vec<Finding> = ctx.findings.iter().filter(|f| f.slot == 0).map(|f| locate(subject, &f.path, &f.message)).collect();
    findings.sort_by(|a, b| (a.region.start, &a.path, &a.message).cmp(&(b.region.start, &b.path, &b.message)));
    if let Some(overflow) = ctx.overflow {
        let error = match overflow {
            context::Overflow::Count => format!("more than {} findings", ctx.max_findings),
            context::Overflow::Bytes => format!("findings of more than {} bytes", context::MAX_FINDING_BYTES),
        };
        return Actual { status: Status::Error, findings, error: Some(error), logs: ctx.logs };
    }
    if let Some(error) = rule.read_outside(&ctx) {
        // As in a scan: what it found after reading `()` where the document had a value is not a finding.
        return Actual { status: Status::Error, findings: Vec::new(), error: Some(error), logs: ctx.logs };
    }
    let status = if status == Status::Pass && !findings.is_empty() { Status::Fail } else { status };
    Actual { status, findings, error, logs: ctx.logs }
}

fn locate(doc: &Document, segments: &Segments, message: &str) -> Finding {
    let (node, depth) = doc.root.locate(segments);
    Finding {
        path: path::render(segments),
        located_at: (depth < segments.len()).then(|| path::render(segments.get(..depth).unwrap_or_default())),
        region: node.region,
        message: message.to_string(),
        snippet: None,
    }
}

fn call(rule: &Rule, limits: &Limits, name: &str, arg: Dynamic) -> Result<Dynamic, String> {
    compiled::call(rule, limits, name, arg).map_err(|e| match e {
        // Worded and located as a scan words them: the rule file's line, not Rhai's "(line 9, position 70)".
        CallError::Script(e) => {
            let error = crate::eval::script_error(*e);
            match error.rule_position {
                Some(at) => format!("{} (at {}:{}:{})", error.message, rule.source.path, at.line, at.col),
                None => error.message,
            }
        }
        CallError::NotCompiled(message) => message,
        CallError::Panicked => format!("the script engine failed inside `{name}`"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        yaml::parse_stream(text, &yaml::Limits::default()).0.remove(0).root
    }

    fn segments(p: &str) -> Segments {
        path::parse(p).unwrap()
    }

    const BASE: &str = "spec:\n  tools:\n    - name: a\n      requires_approval: true\n  oversight: {can_stop: true}\n";

    #[test]
    fn set_replaces_in_place_and_keeps_the_replaced_position() {
        let mut root = parse(BASE);
        set_path(&mut root, &segments("spec.tools[0].requires_approval"), parse("false")).unwrap();
        let node = root.get(&segments("spec.tools[0].requires_approval")).unwrap();
        assert_eq!(node.value, Value::Bool(false));
        assert_eq!(node.region.start, Position::new(4, 7));
    }

    #[test]
    fn set_creates_keys_and_items_at_the_nearest_existing_position() {
        let mut root = parse(BASE);
        set_path(&mut root, &segments("spec.tools[1]"), parse("{name: b, effect: write}")).unwrap();
        set_path(&mut root, &segments("spec.logging.events"), parse("[prompts]")).unwrap();
        let tool = root.get(&segments("spec.tools[1].effect")).unwrap();
        assert_eq!(tool.as_str(), Some("write"));
        assert_eq!(tool.region.start, Position::new(2, 3), "a new item takes the position of the list");
        let events = root.get(&segments("spec.logging.events[0]")).unwrap();
        assert_eq!(events.region.start, Position::new(1, 1), "new keys under spec take the position of spec");
        assert_eq!(set_path(&mut root, &segments("spec.tools[5]"), parse("1")).unwrap_err(), "index 5 is past the end of a list of 2");
        assert_eq!(
            set_path(&mut root, &segments("spec.tools[0].name.x"), parse("1")).unwrap_err(),
            "`x` is not a key of a mapping or an index of a list here"
        );
    }

    #[test]
    fn delete_removes_and_reports_missing_paths() {
        let mut root = parse(BASE);
        delete_path(&mut root, &segments("spec.oversight.can_stop")).unwrap();
        assert!(root.get(&segments("spec.oversight.can_stop")).is_none());
        delete_path(&mut root, &segments("spec.tools[0]")).unwrap();
        assert_eq!(root.get(&segments("spec.tools")).unwrap().as_seq().unwrap().len(), 0);
        assert_eq!(delete_path(&mut root, &segments("spec.nothing")).unwrap_err(), "`spec.nothing` is not in the base document");
    }
}
