//! The published formats: JSON Schemas (draft 2020-12) for `kind: AISystem`
//! and `kind: AIManagementSystem`, embedded from `schemas/`, and a small
//! validator for the subset of 2020-12 those schemas use (type, properties,
//! additionalProperties, required, enum, items, pattern, format date,
//! minimum). Rules reach it through `doc.schema_problems()`, so a misspelt
//! key or a wrong type becomes a located finding instead of a silent pass.

pub mod reference;

use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::document::path::{Segment, Segments};
use crate::document::{Node, Value};

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

/// Every problem of `node` against `schema`, in document order.
pub fn validate(schema: &Json, node: &Node) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut path = Segments::new();
    check(schema, node, &mut path, &mut problems);
    problems
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

fn check(schema: &Json, node: &Node, path: &mut Segments, problems: &mut Vec<Problem>) {
    let Some(schema) = schema.as_object() else { return };
    let invalid = |message: String, path: &Segments| Problem { path: path.clone(), kind: ProblemKind::Invalid, message };
    if let Some(expected) = schema.get("type") {
        let allowed: Vec<&str> = match expected {
            Json::String(s) => vec![s.as_str()],
            Json::Array(list) => list.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        if !allowed.is_empty() && !allowed.iter().any(|t| type_matches(t, &node.value)) {
            let wanted: Vec<&str> = allowed.iter().map(|t| article(t)).collect();
            let mut message = format!("{} must be {}, not {}", shown(path), wanted.join(" or "), article(type_name(&node.value)));
            if allowed.contains(&"string") && matches!(node.value, Value::Float(_) | Value::Int(_)) {
                message.push_str(" (quote it, as in \"1.5\")");
            }
            problems.push(invalid(message, path));
            // The rest of the checks assume the right type.
            return;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        let actual = node.to_json();
        if !values.contains(&actual) {
            let list: Vec<String> = values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect();
            let found = node.as_str().map_or_else(|| actual.to_string(), str::to_string);
            problems.push(invalid(format!("`{found}` is not a known value of {}; use one of {}", shown(path), list.join(", ")), path));
        }
    }
    if let (Some(pattern), Some(text)) = (schema.get("pattern").and_then(Json::as_str), node.as_str()) {
        if matches_pattern(pattern, text) == Some(false) {
            problems.push(invalid(format!("`{text}` is not a valid {} (it must match {pattern})", shown(path)), path));
        }
    }
    if let (Some("date"), Some(text)) = (schema.get("format").and_then(Json::as_str), node.as_str()) {
        if text.parse::<jiff::civil::Date>().is_err() {
            problems.push(invalid(format!("`{text}` is not a date; write {} as YYYY-MM-DD", shown(path)), path));
        }
    }
    if let Some(minimum) = schema.get("minimum").and_then(Json::as_f64) {
        let number = match node.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        };
        if number.is_some_and(|n| n < minimum) {
            problems.push(invalid(format!("{} must be at least {minimum}", shown(path)), path));
        }
    }
    match &node.value {
        Value::Map(entries) => {
            let properties = schema.get("properties").and_then(Json::as_object);
            if let Some(required) = schema.get("required").and_then(Json::as_array) {
                for key in required.iter().filter_map(Json::as_str) {
                    if !entries.iter().any(|(k, _)| &**k == key) {
                        path.push(Segment::Key(key.into()));
                        problems.push(invalid(format!("{} is required", shown(path)), path));
                        path.pop();
                    }
                }
            }
            let patterns = schema.get("patternProperties").and_then(Json::as_object);
            for (key, child) in entries {
                path.push(Segment::Key(Box::from(&**key)));
                // Keys matching `patternProperties` (the `x-` extension keys) are never unknown.
                let by_pattern =
                    patterns.and_then(|p| p.iter().find(|(pattern, _)| matches_pattern(pattern, key) == Some(true))).map(|(_, sub)| sub);
                match (properties.and_then(|p| p.get(&**key)).or(by_pattern), schema.get("additionalProperties")) {
                    (Some(sub), _) => check(sub, child, path, problems),
                    (None, Some(Json::Bool(false))) => {
                        let known: Vec<&str> = properties.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                        let parent = path.get(..path.len() - 1).map(|p| shown(&p.iter().cloned().collect())).unwrap_or_default();
                        let mut message = format!("unknown key `{key}` in {parent}");
                        match suggest(key, &known) {
                            Some(better) => message.push_str(&format!(": did you mean {better}?")),
                            None => message.push_str(&format!(" (known keys: {}).", known.join(", "))),
                        }
                        message.push_str(" Rules never read a misspelt key, so what it says is not checked.");
                        problems.push(Problem { path: path.clone(), kind: ProblemKind::UnknownKey, message });
                    }
                    (None, Some(sub @ Json::Object(_))) => check(sub, child, path, problems),
                    (None, _) => {}
                }
                path.pop();
            }
        }
        Value::Seq(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    path.push(Segment::Index(i));
                    check(sub, item, path, problems);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

thread_local! {
    // Compiled patterns, per thread, as in the rule API: compiling one costs more than validating a document.
    static PATTERNS: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> = Default::default();
}

/// Whether `text` matches `pattern`; `None` for a pattern that does not compile.
fn matches_pattern(pattern: &str, text: &str) -> Option<bool> {
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let re = cache.entry(pattern.to_string()).or_insert_with(|| regex::Regex::new(pattern).ok());
        re.as_ref().map(|re| re.is_match(text))
    })
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
    fn suggestions_need_a_close_match() {
        assert_eq!(suggest("ovresight", &["oversight", "models"]), Some("oversight"));
        assert_eq!(suggest("modles", &["oversight", "models"]), Some("models"));
        assert_eq!(suggest("colour", &["oversight", "models"]), None);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
