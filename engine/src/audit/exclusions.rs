//! Exclusions from the Statement of Applicability: controls the organisation
//! declares not applicable, each with a justification. Read from the config
//! file's `soa:` or from a small YAML file (`--exclusions FILE`) of the same
//! shape; every problem is located at its line and column, and the good
//! entries are still used.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::controls::catalogs;
use crate::document::{yaml, InputError, Node, Position, Value};

/// One excluded control and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    pub standard: String,
    pub control: String,
    pub justification: String,
    /// `file:line:col` of the entry, so the SoA points back at its source.
    pub source: String,
}

/// The exclusions that parsed, keyed by (standard, control), and the problems.
#[derive(Clone, Debug, Default)]
pub struct Exclusions {
    pub by_control: BTreeMap<(String, String), Exclusion>,
    pub errors: Vec<InputError>,
}

impl Exclusions {
    /// Exclusions already validated (the config file's).
    pub fn from_list(list: &[Exclusion]) -> Self {
        let by_control = list.iter().map(|e| ((e.standard.clone(), e.control.clone()), e.clone())).collect();
        Exclusions { by_control, errors: Vec::new() }
    }

    pub fn get(&self, standard: &str, control: &str) -> Option<&Exclusion> {
        self.by_control.get(&(standard.to_string(), control.to_string()))
    }
}

const HINT: &str = "write `exclusions:` as a list of `{control: \"iso27001:A.7.4\", justification: \"why it does not apply\"}` entries";

/// Parses an exclusions file: `exclusions:` holding a list of
/// `{control: "iso27001:A.7.4", justification: "..."}`.
pub fn parse(text: &str, file: &str) -> Exclusions {
    let mut out = Exclusions::default();
    let (docs, syntax) = yaml::parse_stream(text, &yaml::Limits::default());
    for e in syntax {
        out.errors.push(InputError { file: file.into(), position: Some(e.position), message: e.message, hint: e.hint.map(str::to_string) });
    }
    let Some(root) = docs.into_iter().next().map(|d| d.root) else {
        if out.errors.is_empty() {
            out.errors.push(error(file, Position::new(1, 1), "the exclusions file is empty".into()));
        }
        return out;
    };
    from_mapping(&root, file, "the exclusions file", &mut out);
    out
}

/// Reads a mapping holding `exclusions:` (the root of an exclusions file, or
/// the config file's `soa:`); `what` names it in messages.
pub fn from_mapping(node: &Node, file: &str, what: &str, out: &mut Exclusions) {
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                if &**key == "exclusions" {
                    from_node(value, file, out);
                } else {
                    out.errors.push(error(file, value.region.start, format!("unknown key `{key}` in {what}")));
                }
            }
        }
        Value::Null => {}
        _ => out.errors.push(error(file, node.region.start, format!("{what} must be a mapping with `exclusions:`"))),
    }
}

fn error(file: &str, position: Position, message: String) -> InputError {
    error_with(file, position, message, HINT)
}

/// An error whose fix is not the file's shape.
fn error_with(file: &str, position: Position, message: String, hint: &str) -> InputError {
    InputError { file: file.into(), position: Some(position), message, hint: Some(hint.into()) }
}

/// Reads the list of exclusions from `node` (the value of an `exclusions:` key,
/// here or in the config file), adding entries and errors to `out`.
pub fn from_node(node: &Node, file: &str, out: &mut Exclusions) {
    let Some(items) = node.as_seq() else {
        if node.value != Value::Null {
            out.errors.push(error(file, node.region.start, "`exclusions` must be a list".into()));
        }
        return;
    };
    for item in items {
        let Some(entries) = item.as_map() else {
            out.errors.push(error(file, item.region.start, "an exclusion must be a mapping with `control` and `justification`".into()));
            continue;
        };
        for (key, value) in entries {
            if &**key != "control" && &**key != "justification" {
                out.errors.push(error(file, value.region.start, format!("unknown key `{key}` in an exclusion")));
            }
        }
        let field = |name: &str| item.child_key(name);
        let Some(control_node) = field("control") else {
            out.errors.push(error(file, item.region.start, "this exclusion names no `control`".into()));
            continue;
        };
        let Some((standard, control)) = control_node.as_str().and_then(|s| s.split_once(':')) else {
            out.errors.push(error(
                file,
                control_node.region.start,
                "`control` must be qualified by its standard, as in \"iso42001:A.10.4\" or \"iso27001:A.7.4\"".into(),
            ));
            continue;
        };
        let (standard, control) = (standard.trim().to_string(), control.trim().to_string());
        let annex_a = catalogs().control(&standard, &control).is_some_and(|c| c.part == "annex-a");
        if !(standard == "iso42001" || standard == "iso27001") || !annex_a {
            out.errors.push(error_with(
                file,
                control_node.region.start,
                format!("`{standard}:{control}` is not an ISO/IEC 42001 or ISO/IEC 27001 Annex A control"),
                "`annexa controls` lists the control ids; only Annex A controls can be excluded from the Statement of Applicability",
            ));
            continue;
        }
        let justification = field("justification").and_then(Node::as_str).map(str::trim).unwrap_or_default();
        if justification.is_empty() {
            let at = field("justification").map_or(item.region.start, |n| n.region.start);
            out.errors.push(InputError {
                file: file.into(),
                position: Some(at),
                message: format!("the exclusion of {standard}:{control} has no justification"),
                hint: Some("a Statement of Applicability must say why an excluded control does not apply: add `justification: ...`".into()),
            });
            continue;
        }
        let key = (standard.clone(), control.clone());
        if let Some(first) = out.by_control.get(&key) {
            out.errors.push(error_with(
                file,
                control_node.region.start,
                format!("{standard}:{control} is already excluded at {}", first.source),
                "keep one exclusion per control, with one justification",
            ));
            continue;
        }
        let at = control_node.region.start;
        out.by_control.insert(
            key,
            Exclusion { standard, control, justification: justification.to_string(), source: format!("{file}:{}:{}", at.line, at.col) },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_and_locates_each_problem() {
        let text = "exclusions:\n  - control: iso27001:A.7.4\n    justification: No premises of our own.\n  - control: iso42001:A.10.4\n  - control: A.5.2\n    justification: x\n  - control: iso27001:A.7.4\n    justification: again\n  - {control: iso42001:A.99, justification: y}\n";
        let ex = parse(text, "soa.yaml");
        assert_eq!(ex.by_control.len(), 1);
        assert_eq!(ex.get("iso27001", "A.7.4").unwrap().justification, "No premises of our own.");
        assert_eq!(ex.get("iso27001", "A.7.4").unwrap().source, "soa.yaml:2:5");
        let got: Vec<(u32, u32, &str)> =
            ex.errors.iter().map(|e| (e.position.unwrap().line, e.position.unwrap().col, e.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (4, 5, "the exclusion of iso42001:A.10.4 has no justification"),
                (5, 5, "`control` must be qualified by its standard, as in \"iso42001:A.10.4\" or \"iso27001:A.7.4\""),
                (7, 5, "iso27001:A.7.4 is already excluded at soa.yaml:2:5"),
                (9, 6, "`iso42001:A.99` is not an ISO/IEC 42001 or ISO/IEC 27001 Annex A control"),
            ]
        );
        let hints: Vec<&str> = ex.errors.iter().map(|e| e.hint.as_deref().unwrap()).collect();
        assert_eq!(
            hints[1..],
            [
                HINT,
                "keep one exclusion per control, with one justification",
                "`annexa controls` lists the control ids; only Annex A controls can be excluded from the Statement of Applicability",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let ex = parse("exclusions: []\nexclude: []\n", "x.yaml");
        assert_eq!(ex.errors.len(), 1);
        assert_eq!(ex.errors[0].message, "unknown key `exclude` in the exclusions file");
        assert_eq!(ex.errors[0].position, Some(Position::new(2, 1)));
    }
}
