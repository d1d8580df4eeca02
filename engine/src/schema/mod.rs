//! The published formats: JSON Schemas (draft 2020-12) for `kind: AISystem`
//! and `kind: AIManagementSystem`, embedded from `schemas/`, and a small
//! validator for the subset of 2020-12 those schemas use (type, properties,
//! additionalProperties, required, enum, items, pattern, format date,
//! minimum). Rules reach it through `doc.schema_problems()`, so a misspelt
//! key or a wrong type becomes a located finding instead of a silent pass.

pub mod reference;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value as Json;

use crate::document::path::{Segment, Segments};
use crate::document::{Node, Value};
use crate::fxhash::FxBuild;

/// A schema file as published, and the document kind it describes.
pub struct Published {
    pub kind: &'static str,
    /// Path in the repository, for editors and the reference page.
    pub path: &'static str,
    pub text: &'static str,
}

pub const PUBLISHED: [Published; 2] = [
    Published { kind: "AISystem", path: "schemas/aisystem.schema.json", text: include_str!("../../../schemas/aisystem.schema.json") },
    Published {
        kind: "AIManagementSystem",
        path: "schemas/aimanagementsystem.schema.json",
        text: include_str!("../../../schemas/aimanagementsystem.schema.json"),
    },
];

/// The keywords this validator understands; a schema using any other is rejected by a test,
/// so no constraint is ever silently ignored.
pub const KEYWORDS: [&str; 15] = [
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "properties",
    "additionalProperties",
    "patternProperties",
    "required",
    "enum",
    "items",
    "pattern",
    "format",
    "minimum",
    "examples",
];

/// What is wrong with a document, by the rule that reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A key the format does not define (usually a typo).
    UnknownKey,
    /// A value of the wrong type, outside its allowed values or pattern, or a required key missing.
    Invalid,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::UnknownKey => "unknown_key",
            ProblemKind::Invalid => "invalid",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: Segments,
    pub kind: ProblemKind,
    pub message: String,
}

/// The parsed schema for a document kind, if annexa publishes one.
pub fn for_kind(kind: &str) -> Option<&'static Json> {
    static PARSED: OnceLock<Vec<(&'static str, Json)>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| PUBLISHED.iter().filter_map(|p| Some((p.kind, serde_json::from_str(p.text).ok()?))).collect());
    parsed.iter().find(|(k, _)| *k == kind).map(|(_, schema)| schema)
}

/// The validator for a document kind, if annexa publishes a schema for it:
/// compiled once per process.
pub fn validator_for_kind(kind: &str) -> Option<&'static Validator> {
    static COMPILED: OnceLock<Vec<(&'static str, Validator)>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| PUBLISHED.iter().filter_map(|p| Some((p.kind, Validator::new(for_kind(p.kind)?)))).collect());
    compiled.iter().find(|(k, _)| *k == kind).map(|(_, validator)| validator)
}

/// Every problem of `node` against `schema`, in document order.
pub fn validate(schema: &Json, node: &Node) -> Vec<Problem> {
    Validator::new(schema).validate(node)
}

/// A schema compiled for validation: every keyword read once and every
/// distinct pattern compiled once, where walking the JSON would look each
/// keyword up by name at every node of every document.
pub struct Validator {
    root: Check,
}

impl Validator {
    pub fn new(schema: &Json) -> Self {
        Validator { root: Check::new(schema, &mut Patterns::default()) }
    }

    /// Every problem of `node`, in document order.
    pub fn validate(&self, node: &Node) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.root.check(node, &mut Vec::new(), &mut problems);
        problems
    }
}

/// One schema object. A schema that is not an object (`true`) checks nothing.
#[derive(Default)]
struct Check {
    /// `type`: the allowed types, in the schema's order (empty: any).
    types: Vec<String>,
    enumeration: Option<Vec<Json>>,
    pattern: Option<Pattern>,
    /// `format: date`.
    date: bool,
    minimum: Option<f64>,
    /// The keywords of a mapping, when the schema has any.
    object: Option<Object>,
    items: Option<Box<Check>>,
}

struct Object {
    /// `properties`, in the order the schema's keys iterate (the order the
    /// known keys are listed in when a key is unknown).
    properties: Vec<(String, Check)>,
    /// Where each property is in `properties`, by name.
    index: HashMap<String, usize, FxBuild>,
    required: Vec<String>,
    pattern_properties: Vec<(Pattern, Check)>,
    additional: Additional,
}

enum Additional {
    Allowed,
    Forbidden,
    Checked(Box<Check>),
}

struct Pattern {
    text: String,
    /// `None` for a pattern that does not compile: it neither matches nor
    /// fails. Shared by every place the schema repeats the pattern (`^x-`
    /// is in every mapping), so each distinct one compiles once.
    regex: Arc<Option<regex::Regex>>,
}

/// The patterns compiled so far while compiling one schema, by text.
type Patterns = HashMap<String, Arc<Option<regex::Regex>>, FxBuild>;

impl Pattern {
    fn new(text: &str, compiled: &mut Patterns) -> Self {
        let regex = compiled.entry(text.to_string()).or_insert_with(|| Arc::new(regex::Regex::new(text).ok()));
        Pattern { text: text.to_string(), regex: Arc::clone(regex) }
    }

    /// Whether `text` matches; `None` for a pattern that does not compile.
    fn matches(&self, text: &str) -> Option<bool> {
        self.regex.as_ref().as_ref().map(|re| re.is_match(text))
    }
}

/// One step of the path to the node being checked; turned into `Segments`
/// only when a problem is reported.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(steps: &[Step]) -> Segments {
    steps
        .iter()
        .map(|step| match step {
            Step::Key(key) => Segment::Key((*key).into()),
            Step::Index(i) => Segment::Index(*i),
        })
        .collect()
}

impl Check {
    fn new(schema: &Json, patterns: &mut Patterns) -> Self {
        let Some(schema) = schema.as_object() else { return Check::default() };
        let types = match schema.get("type") {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(list)) => list.iter().filter_map(Json::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        let object_keywords = ["properties", "required", "patternProperties", "additionalProperties"];
        let properties: Vec<(String, Check)> = schema
            .get("properties")
            .and_then(Json::as_object)
            .map(|p| p.iter().map(|(key, sub)| (key.clone(), Check::new(sub, patterns))).collect())
            .unwrap_or_default();
        let object = object_keywords.iter().any(|k| schema.contains_key(*k)).then(|| Object {
            index: properties.iter().enumerate().map(|(i, (name, _))| (name.clone(), i)).collect(),
            properties,
            required: schema
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter_map(Json::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            pattern_properties: schema
                .get("patternProperties")
                .and_then(Json::as_object)
                .map(|p| p.iter().map(|(pattern, sub)| (Pattern::new(pattern, patterns), Check::new(sub, patterns))).collect())
                .unwrap_or_default(),
            additional: match schema.get("additionalProperties") {
                Some(Json::Bool(false)) => Additional::Forbidden,
                Some(sub @ Json::Object(_)) => Additional::Checked(Box::new(Check::new(sub, patterns))),
                _ => Additional::Allowed,
            },
        });
        Check {
            types,
            enumeration: schema.get("enum").and_then(Json::as_array).cloned(),
            pattern: schema.get("pattern").and_then(Json::as_str).map(|text| Pattern::new(text, patterns)),
            date: schema.get("format").and_then(Json::as_str) == Some("date"),
            minimum: schema.get("minimum").and_then(Json::as_f64),
            object,
            items: schema.get("items").map(|sub| Box::new(Check::new(sub, patterns))),
        }
    }

    fn check<'n>(&self, node: &'n Node, path: &mut Vec<Step<'n>>, problems: &mut Vec<Problem>) {
        let invalid = |message: String, path: Segments| Problem { path, kind: ProblemKind::Invalid, message };
        if !self.types.is_empty() && !self.types.iter().any(|t| type_matches(t, &node.value)) {
            let wanted: Vec<&str> = self.types.iter().map(|t| article(t)).collect();
            let at = segments(path);
            let mut message = format!("{} must be {}, not {}", shown(&at), wanted.join(" or "), article(type_name(&node.value)));
            if self.types.iter().any(|t| t == "string") && matches!(node.value, Value::Float(_) | Value::Int(_)) {
                message.push_str(" (quote it, as in \"1.5\")");
            }
            problems.push(invalid(message, at));
            // The rest of the checks assume the right type.
            return;
        }
        if let Some(values) = &self.enumeration {
            // A string compares without building its JSON value (most enums are strings).
            let known = match node.as_str() {
                Some(text) => values.iter().any(|v| v.as_str() == Some(text)),
                None => values.contains(&node.to_json()),
            };
            if !known {
                let list: Vec<String> = values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect();
                let found = node.as_str().map_or_else(|| node.to_json().to_string(), str::to_string);
                let at = segments(path);
                problems.push(invalid(format!("`{found}` is not a known value of {}; use one of {}", shown(&at), list.join(", ")), at));
            }
        }
        if let (Some(pattern), Some(text)) = (&self.pattern, node.as_str()) {
            if pattern.matches(text) == Some(false) {
                let at = segments(path);
                problems.push(invalid(format!("`{text}` is not a valid {} (it must match {})", shown(&at), pattern.text), at));
            }
        }
        if let (true, Some(text)) = (self.date, node.as_str()) {
            if text.parse::<jiff::civil::Date>().is_err() {
                let at = segments(path);
                problems.push(invalid(format!("`{text}` is not a date; write {} as YYYY-MM-DD", shown(&at)), at));
            }
        }
        if let Some(minimum) = self.minimum {
            let number = match node.value {
                Value::Int(i) => Some(i as f64),
                Value::Float(f) => Some(f),
                _ => None,
            };
            if number.is_some_and(|n| n < minimum) {
                let at = segments(path);
                problems.push(invalid(format!("{} must be at least {minimum}", shown(&at)), at));
            }
        }
        match &node.value {
            Value::Map(entries) => {
                if let Some(object) = &self.object {
                    object.check(entries, path, problems);
                }
            }
            Value::Seq(items) => {
                if let Some(sub) = &self.items {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Step::Index(i));
                        sub.check(item, path, problems);
                        path.pop();
                    }
                }
            }
            _ => {}
        }
    }
}

impl Object {
    fn check<'n>(&self, entries: &'n [(crate::document::value::Key, Node)], path: &mut Vec<Step<'n>>, problems: &mut Vec<Problem>) {
        for key in &self.required {
            if !entries.iter().any(|(k, _)| &**k == key.as_str()) {
                let mut at = segments(path);
                at.push(Segment::Key(key.as_str().into()));
                problems.push(Problem { message: format!("{} is required", shown(&at)), path: at, kind: ProblemKind::Invalid });
            }
        }
        for (key, child) in entries {
            let property = self.index.get(&**key).and_then(|&i| self.properties.get(i)).map(|(_, sub)| sub);
            // Keys matching `patternProperties` (the `x-` extension keys) are never unknown.
            let sub = property.or_else(|| self.pattern_properties.iter().find(|(p, _)| p.matches(key) == Some(true)).map(|(_, sub)| sub));
            path.push(Step::Key(key));
            match (sub, &self.additional) {
                (Some(sub), _) => sub.check(child, path, problems),
                (None, Additional::Forbidden) => {
                    let known: Vec<&str> = self.properties.iter().map(|(name, _)| name.as_str()).collect();
                    let at = segments(path);
                    let parent = at.get(..at.len() - 1).map(|p| shown(&p.iter().cloned().collect())).unwrap_or_default();
                    let mut message = format!("unknown key `{key}` in {parent}");
                    match suggest(key, &known) {
                        Some(better) => message.push_str(&format!(": did you mean {better}?")),
                        None => message.push_str(&format!(" (known keys: {}).", known.join(", "))),
                    }
                    message.push_str(" Rules never read a misspelt key, so what it says is not checked.");
                    problems.push(Problem { path: at, kind: ProblemKind::UnknownKey, message });
                }
                (None, Additional::Checked(sub)) => sub.check(child, path, problems),
                (None, Additional::Allowed) => {}
            }
            path.pop();
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "number",
        Value::Str(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

fn article(type_name: &str) -> &'static str {
    match type_name {
        "null" => "nothing (null)",
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "another type",
    }
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match (expected, value) {
        ("number", Value::Int(_) | Value::Float(_)) => true,
        (t, v) => t == type_name(v),
    }
}

fn shown(path: &Segments) -> String {
    if path.is_empty() {
        "the document".into()
    } else {
        crate::document::path::render(path)
    }
}

/// The known key closest to a misspelt one, when it is close enough to be the likely intent.
pub fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (key.chars().count() / 3).max(1);
    known.iter().map(|k| (distance(key, k), *k)).filter(|(d, _)| *d <= limit).min_by_key(|(d, k)| (*d, *k)).map(|(_, k)| k)
}

/// Edit distance counting a swap of neighbouring letters as one edit (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(cell) = d.get_mut(at(i, 0)) {
            *cell = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(cell) = d.get_mut(j) {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let get = |i: usize, j: usize, d: &[usize]| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
            let cost = usize::from(a.get(i - 1) != b.get(j - 1));
            let mut best = (get(i - 1, j, &d) + 1).min(get(i, j - 1, &d) + 1).min(get(i - 1, j - 1, &d) + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                best = best.min(get(i - 2, j - 2, &d) + 1);
            }
            if let Some(cell) = d.get_mut(at(i, j)) {
                *cell = best;
            }
        }
    }
    d.last().copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::yaml;

    fn problems(kind: &str, text: &str) -> Vec<(String, ProblemKind, String)> {
        let root = yaml::parse_stream(text, &yaml::Limits::default()).0.remove(0).root;
        validate(for_kind(kind).unwrap(), &root).into_iter().map(|p| (crate::document::path::render(&p.path), p.kind, p.message)).collect()
    }

    const HEAD: &str = "apiVersion: annexa/v1\nkind: AISystem\nmetadata: {name: bot}\n";

    #[test]
    fn extension_keys_are_never_unknown() {
        let found = problems(
            "AISystem",
            &format!("{HEAD}x-team: cx\nspec:\n  x-cost-centre: 42\n  oversight: {{x-pager: ops, can_stop: true}}\n  ovresight: {{}}\n"),
        );
        assert_eq!(found.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["spec.ovresight"]);
    }

    #[test]
    fn schemas_are_2020_12_and_use_only_supported_keywords() {
        fn walk(schema: &Json, at: &str) {
            let Some(map) = schema.as_object() else { return };
            for (key, value) in map {
                assert!(KEYWORDS.contains(&key.as_str()), "unsupported keyword `{key}` at {at}");
                match key.as_str() {
                    "properties" | "patternProperties" => {
                        value.as_object().unwrap().iter().for_each(|(k, v)| walk(v, &format!("{at}.{k}")))
                    }
                    "items" | "additionalProperties" => walk(value, &format!("{at}/{key}")),
                    "format" => assert_eq!(value, "date", "only format date is checked"),
                    _ => {}
                }
            }
        }
        for published in PUBLISHED {
            let schema = for_kind(published.kind).unwrap_or_else(|| panic!("{} parses", published.path));
            assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
            walk(schema, published.path);
        }
    }

    #[test]
    fn the_reference_example_and_fixtures_are_valid() {
        for file in ["../../shared/spec/ai-system.example.yaml", "../fixtures/support-assistant.yaml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            assert_eq!(problems("AISystem", &text), vec![], "{file}");
        }
    }

    #[test]
    fn a_misspelt_key_is_reported_with_a_suggestion() {
        let found = problems("AISystem", &format!("{HEAD}spec:\n  ovresight: {{can_stop: true}}\n  colour: red\n"));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "spec.ovresight");
        assert_eq!(found[0].1, ProblemKind::UnknownKey);
        assert!(found[0].2.starts_with("unknown key `ovresight` in spec: did you mean oversight?"), "{}", found[0].2);
        assert!(found[1].2.starts_with("unknown key `colour` in spec (known keys: access, architecture, autonomy,"), "{}", found[1].2);
    }

    #[test]
    fn wrong_types_enums_dates_patterns_and_minimums() {
        let text = format!(
            "{HEAD}spec:\n  risk: {{tier: severe}}\n  oversight: {{can_stop: \"yes\"}}\n  models: [{{name: m, version: 1.5}}]\n  lifecycle: {{deployed_on: 2025-13-01}}\n  secrets: {{rotation_days: 0}}\n  tools: {{name: x}}\n"
        );
        let found: Vec<(String, String)> = problems("AISystem", &text).into_iter().map(|(p, _, m)| (p, m)).collect();
        assert_eq!(
            found,
            vec![
                (
                    "spec.risk.tier".into(),
                    "`severe` is not a known value of spec.risk.tier; use one of minimal, limited, high, unacceptable".into()
                ),
                ("spec.oversight.can_stop".into(), "spec.oversight.can_stop must be true or false, not a string".into()),
                ("spec.models[0].version".into(), "spec.models[0].version must be a string, not a number (quote it, as in \"1.5\")".into()),
                ("spec.lifecycle.deployed_on".into(), "`2025-13-01` is not a date; write spec.lifecycle.deployed_on as YYYY-MM-DD".into()),
                ("spec.secrets.rotation_days".into(), "spec.secrets.rotation_days must be at least 1".into()),
                ("spec.tools".into(), "spec.tools must be a list, not a mapping".into()),
            ]
        );
        let missing = problems("AISystem", "apiVersion: annexa/v1\nkind: AISystem\nmetadata: {name: Bad Name}\n");
        assert_eq!(missing[0].2, "`Bad Name` is not a valid metadata.name (it must match ^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$)");
        assert_eq!(problems("AIManagementSystem", "kind: AIManagementSystem\nmetadata: {name: a}\n")[0].2, "apiVersion is required");
    }

    #[test]
    fn a_pattern_that_does_not_compile_neither_matches_nor_fails() {
        let schema: Json = serde_json::from_str(
            r#"{"type": "object", "patternProperties": {"(": {}}, "additionalProperties": false,
                "properties": {"name": {"type": "string", "pattern": "("}}}"#,
        )
        .unwrap();
        let root = yaml::parse_stream("name: anything\n(x: 1\n", &yaml::Limits::default()).0.remove(0).root;
        let found: Vec<(String, ProblemKind)> =
            validate(&schema, &root).into_iter().map(|p| (crate::document::path::render(&p.path), p.kind)).collect();
        assert_eq!(found, [("(x".to_string(), ProblemKind::UnknownKey)], "`(` matches no key, and `anything` passes");
    }

    #[test]
    fn suggestions_need_a_close_match() {
        assert_eq!(suggest("ovresight", &["oversight", "models"]), Some("oversight"));
        assert_eq!(suggest("modles", &["oversight", "models"]), Some("models"));
        assert_eq!(suggest("colour", &["oversight", "models"]), None);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
