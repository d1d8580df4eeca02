//! The config file, `annexa.yaml`: read with positions into a raw form (each
//! known key's node, unknown keys kept), then validated into `Config`,
//! collecting every problem with its line and column. Paths in it are
//! relative to the file's folder. Nothing here prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit::exclusions::{self, Exclusion, Exclusions};
use crate::document::value::{Node, Value};
use crate::document::{yaml, Position};
use crate::rules::{RuleSet, Severity};

/// The file name looked for in the working directory and its parents.
pub const FILE_NAME: &str = "annexa.yaml";

/// The keys a config file may have, in the order the docs list them.
pub const KEYS: [&str; 10] = ["rules", "builtin", "disable", "severity", "include", "exclude", "kinds", "fail_on", "dispositions", "soa"];

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    pub value: T,
    pub position: Position,
}

/// A validated config file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Config {
    /// The file it was read from (as given or found).
    pub file: PathBuf,
    /// Rule folders, resolved against the config file's folder.
    pub rules: Vec<PathBuf>,
    /// Whether to load the built-in rules (default true).
    pub builtin: bool,
    /// Rule ids to leave out.
    pub disable: Vec<Spanned<String>>,
    /// Severity overrides by rule id.
    pub severity: Vec<(Spanned<String>, Severity)>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// `(glob, kind)` in the order written: kinds for documents that are otherwise `unknown`.
    pub kinds: Vec<(String, String)>,
    pub fail_on: Option<Severity>,
    /// The dispositions file (resolved against the config file's folder); read by `annexa scan` and `annexa report`.
    pub dispositions: Option<PathBuf>,
    /// `soa: {exclusions: [...]}`: controls excluded from the Statement of Applicability, each justified.
    pub exclusions: Vec<Exclusion>,
}

/// One problem in a config file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    pub file: String,
    pub position: Option<Position>,
    pub message: String,
    pub hint: Option<String>,
}

/// The parse step: the top-level map, each known key's node, and the keys we do not know.
struct Raw<'a> {
    known: BTreeMap<&'static str, &'a Node>,
    unknown: Vec<(&'a str, Position)>,
}

/// Walks up from `start` to the first folder holding `annexa.yaml`.
pub fn find(start: &Path) -> Option<PathBuf> {
    start.ancestors().map(|dir| dir.join(FILE_NAME)).find(|candidate| candidate.is_file())
}

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
    let display = crate::document::discover::display_path(path);
    match crate::document::read_text_within(path, crate::document::MAX_FILE_BYTES, "a config file") {
        Ok(text) => parse(&text, &display, path),
        Err(e) => Err(vec![ConfigError { file: display, position: None, message: format!("cannot read: {e}"), hint: None }]),
    }
}

/// Validates config `text`; `file` is where it lives (relative paths in it are resolved against its folder).
pub fn parse(text: &str, display: &str, file: &Path) -> Result<Config, Vec<ConfigError>> {
    let problem = |position: Option<Position>, message: String, hint: Option<&str>| ConfigError {
        file: display.to_string(),
        position,
        message,
        hint: hint.map(str::to_string),
    };
    let (docs, syntax) = yaml::parse_stream(text, &yaml::Limits::default());
    let mut errors: Vec<ConfigError> = syntax.into_iter().map(|e| problem(Some(e.position), e.message, e.hint)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let root = match docs.as_slice() {
        [] => None,
        [one] => Some(&one.root),
        [_, second, ..] => {
            return Err(vec![problem(
                Some(second.root.region.start),
                "a config file holds one document".into(),
                Some("remove the extra `---`"),
            )])
        }
    };
    let raw = match root.map(raw) {
        None => Raw { known: BTreeMap::new(), unknown: Vec::new() },
        Some(Ok(raw)) => raw,
        Some(Err(position)) => {
            return Err(vec![problem(
                Some(position),
                "the config file must be a mapping of settings".into(),
                Some("see `annexa init` for a starter file"),
            )])
        }
    };
    for (key, position) in &raw.unknown {
        let hint = match closest(key) {
            Some(k) => format!("did you mean `{k}`? Known keys: {}", KEYS.join(", ")),
            None => format!("known keys: {}", KEYS.join(", ")),
        };
        errors.push(problem(Some(*position), format!("unknown key `{key}`"), Some(&hint)));
    }

    let dir = file.parent().unwrap_or(Path::new(""));
    let mut config = Config { file: file.to_path_buf(), builtin: true, ..Config::default() };
    let mut v = Validator { errors: &mut errors, display };
    if let Some(node) = raw.known.get("rules") {
        config.rules = v.strings(node, "rules").into_iter().map(|s| dir.join(s.value)).collect();
    }
    if let Some(node) = raw.known.get("builtin") {
        match node.value {
            Value::Bool(b) => config.builtin = b,
            _ => v.push(node.region.start, "`builtin` must be true or false", None),
        }
    }
    if let Some(node) = raw.known.get("disable") {
        config.disable = v.strings(node, "disable");
    }
    if let Some(node) = raw.known.get("severity") {
        match node.as_map() {
            Some(entries) => {
                for (id, value) in entries {
                    if let Some(severity) = v.severity(value) {
                        config.severity.push((Spanned { value: id.to_string(), position: value.region.start }, severity));
                    }
                }
            }
            None => v.push(node.region.start, "`severity` must map rule ids to severities, for example `AIS004: low`", None),
        }
    }
    if let Some(node) = raw.known.get("include") {
        config.include = v.globs(node, "include");
    }
    if let Some(node) = raw.known.get("exclude") {
        config.exclude = v.globs(node, "exclude");
    }
    if let Some(node) = raw.known.get("kinds") {
        match node.as_map() {
            Some(entries) => {
                for (glob, kind) in entries {
                    if let Err(e) = globset::Glob::new(glob) {
                        v.push(kind.region.start, &format!("invalid glob `{glob}`: {}", e.kind()), None);
                    }
                    match kind.as_str() {
                        Some(k) if !k.is_empty() => config.kinds.push((glob.to_string(), k.to_string())),
                        _ => v.push(kind.region.start, &format!("the kind for `{glob}` must be a name, for example `MCPConfig`"), None),
                    }
                }
            }
            None => v.push(node.region.start, "`kinds` must map path globs to kinds, for example `\"mcp/*.json\": MCPConfig`", None),
        }
    }
    if let Some(node) = raw.known.get("fail_on") {
        config.fail_on = v.severity(node);
    }
    if let Some(node) = raw.known.get("dispositions") {
        match node.as_str() {
            Some(p) if !p.is_empty() => config.dispositions = Some(dir.join(p)),
            _ => v.push(node.region.start, "`dispositions` must be a file path, for example `.annexa/dispositions.yaml`", None),
        }
    }
    if let Some(node) = raw.known.get("soa") {
        // The same shape as an `--exclusions` file, checked by the same code.
        let mut parsed = Exclusions::default();
        exclusions::from_mapping(node, display, "`soa`", &mut parsed);
        for e in parsed.errors {
            v.errors.push(ConfigError { file: e.file, position: e.position, message: e.message, hint: e.hint });
        }
        config.exclusions = parsed.by_control.into_values().collect();
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        errors.sort_by_key(|e| e.position);
        Err(errors)
    }
}

fn raw(root: &Node) -> Result<Raw<'_>, Position> {
    let entries = match &root.value {
        Value::Map(entries) => entries,
        // An empty file (or only comments) is an empty config.
        Value::Null => return Ok(Raw { known: BTreeMap::new(), unknown: Vec::new() }),
        _ => return Err(root.region.start),
    };
    let mut raw = Raw { known: BTreeMap::new(), unknown: Vec::new() };
    for (key, node) in entries {
        match KEYS.iter().find(|k| **k == &**key) {
            Some(k) => {
                raw.known.insert(k, node);
            }
            None => raw.unknown.push((&**key, node.region.start)),
        }
    }
    Ok(raw)
}

/// A known key one or two edits away from `key` (a typo), if any.
fn closest(key: &str) -> Option<&'static str> {
    let normalized = key.replace('-', "_").to_ascii_lowercase();
    KEYS.iter().copied().find(|k| *k == normalized || edit_distance(k, &normalized) <= 2)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = current.get(j).copied().unwrap_or(0) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

struct Validator<'a> {
    errors: &'a mut Vec<ConfigError>,
    display: &'a str,
}

impl Validator<'_> {
    fn push(&mut self, position: Position, message: &str, hint: Option<&str>) {
        self.errors.push(ConfigError {
            file: self.display.to_string(),
            position: Some(position),
            message: message.to_string(),
            hint: hint.map(str::to_string),
        });
    }

    /// A list of strings (a lone string counts as a list of one).
    fn strings(&mut self, node: &Node, key: &str) -> Vec<Spanned<String>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            _ => {
                self.push(node.region.start, &format!("`{key}` must be a list of strings"), None);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_str() {
                Some(s) => out.push(Spanned { value: s.to_string(), position: item.region.start }),
                None => self.push(item.region.start, &format!("each entry of `{key}` must be a string"), None),
            }
        }
        out
    }

    fn globs(&mut self, node: &Node, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for glob in self.strings(node, key) {
            match globset::Glob::new(&glob.value) {
                Ok(_) => out.push(glob.value),
                Err(e) => self.push(
                    glob.position,
                    &format!("invalid glob `{}`: {}", glob.value, e.kind()),
                    Some("globs look like `**/*.yaml` or `vendor/**`"),
                ),
            }
        }
        out
    }

    fn severity(&mut self, node: &Node) -> Option<Severity> {
        let text = match &node.value {
            Value::Str(s) => s.to_string(),
            _ => String::new(),
        };
        let parsed = Severity::parse(&text);
        if parsed.is_none() {
            let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
            let shown = if text.is_empty() { "this value".to_string() } else { format!("`{text}`") };
            self.push(node.region.start, &format!("{shown} is not a severity"), Some(&format!("use one of {}", names.join(", "))));
        }
        parsed
    }
}

impl Config {
    /// Leaves out disabled rules and applies severity overrides. A rule id
    /// the loaded rules do not have is a problem (a typo would otherwise
    /// silently leave a rule on).
    pub fn apply(&self, set: &mut RuleSet) -> Vec<ConfigError> {
        let display = crate::document::discover::display_path(&self.file);
        let mut errors = Vec::new();
        let mut unknown = |id: &Spanned<String>, what: &str| {
            if !set.rules.iter().any(|r| r.id == id.value) {
                errors.push(ConfigError {
                    file: display.clone(),
                    position: Some(id.position),
                    message: format!("{what} names rule `{}`, which is not loaded", id.value),
                    hint: Some("`annexa rules list` shows the loaded rules".into()),
                });
            }
        };
        for id in &self.disable {
            unknown(id, "`disable`");
        }
        for (id, _) in &self.severity {
            unknown(id, "`severity`");
        }
        set.rules.retain(|r| !self.disable.iter().any(|d| d.value == r.id));
        for rule in &mut set.rules {
            if let Some((_, severity)) = self.severity.iter().find(|(id, _)| id.value == rule.id) {
                rule.severity = *severity;
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Config, Vec<ConfigError>> {
        parse(text, "annexa.yaml", Path::new("repo/annexa.yaml"))
    }

    #[test]
    fn a_full_config_validates() {
        let config = check(
            "rules: [policies]\nbuiltin: false\ndisable: [AIS010]\nseverity: {AIS004: low}\ninclude: ['**/*.yaml']\nexclude: [vendor/**]\nkinds: {'mcp/*.json': MCPConfig}\nfail_on: medium\ndispositions: .annexa/dispositions.yaml\n",
        )
        .unwrap();
        assert_eq!(config.rules, vec![PathBuf::from("repo/policies")]);
        assert!(!config.builtin);
        assert_eq!(config.disable, vec![Spanned { value: "AIS010".into(), position: Position::new(3, 11) }]);
        assert_eq!(config.severity[0].1, Severity::Low);
        assert_eq!(config.kinds, vec![("mcp/*.json".to_string(), "MCPConfig".to_string())]);
        assert_eq!(config.fail_on, Some(Severity::Medium));
        assert_eq!(config.dispositions, Some(PathBuf::from("repo/.annexa/dispositions.yaml")));
        assert!(check("# nothing yet\n").unwrap().builtin);
    }

    #[test]
    fn every_problem_is_collected_with_its_position() {
        let errors = check("fail-on: high\nfail_on: severe\nseverity:\n  AIS004: loud\ninclude: ['a/[']\nbuiltin: yes\n").unwrap_err();
        let shown: Vec<(Option<Position>, &str)> = errors.iter().map(|e| (e.position, e.message.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                (Some(Position::new(1, 1)), "unknown key `fail-on`"),
                // A mapping value is located at its key: the line a person edits.
                (Some(Position::new(2, 1)), "`severe` is not a severity"),
                (Some(Position::new(4, 3)), "`loud` is not a severity"),
                (Some(Position::new(5, 11)), "invalid glob `a/[`: unclosed character class; missing ']'"),
                (Some(Position::new(6, 1)), "`builtin` must be true or false"),
            ]
        );
        assert_eq!(
            errors[0].hint.as_deref(),
            Some("did you mean `fail_on`? Known keys: rules, builtin, disable, severity, include, exclude, kinds, fail_on, dispositions, soa")
        );
    }

    #[test]
    fn soa_exclusions_are_checked_like_an_exclusions_file() {
        let config = check("soa:\n  exclusions:\n    - control: iso27001:A.7.4\n      justification: No premises of our own.\n").unwrap();
        assert_eq!(
            config.exclusions,
            vec![Exclusion {
                standard: "iso27001".into(),
                control: "A.7.4".into(),
                justification: "No premises of our own.".into(),
                source: "annexa.yaml:3:7".into(),
            }]
        );
        let errors = check("soa:\n  exclusions:\n    - control: iso42001:A.10.4\n").unwrap_err();
        assert_eq!(
            errors.iter().map(|e| (e.position, e.message.as_str())).collect::<Vec<_>>(),
            vec![(Some(Position::new(3, 7)), "the exclusion of iso42001:A.10.4 has no justification")]
        );
        assert_eq!(check("soa: [a]\n").unwrap_err()[0].message, "`soa` must be a mapping with `exclusions:`");
    }

    /// The YAML parser put such an error on a line the file does not have.
    #[test]
    fn a_syntax_error_at_the_end_of_a_file_without_a_final_line_break_is_inside_it() {
        let errors = check("version: 1\nexclude: [a").unwrap_err();
        let shown: Vec<(Option<Position>, &str)> = errors.iter().map(|e| (e.position, e.message.as_str())).collect();
        assert_eq!(shown, [(Some(Position::new(2, 12)), "while parsing a flow sequence, expected ',' or ']'")]);
    }

    #[test]
    fn not_a_mapping() {
        let errors = check("- a\n").unwrap_err();
        assert_eq!(errors[0].message, "the config file must be a mapping of settings");
    }

    #[test]
    fn found_by_walking_up() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join(FILE_NAME), "").unwrap();
        assert_eq!(find(&dir.join("a/b")), Some(dir.join(FILE_NAME)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("annexa-config-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
