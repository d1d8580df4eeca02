//! Rule metadata: compile a rule file, read its `const RULE` map, and check
//! every field, collecting all problems with the line and column of the
//! field at fault.

use std::fmt;

use rhai::{Dynamic, Engine, Map, OptimizationLevel, Scope as RhaiScope, AST};
use serde::{Deserialize, Serialize};

use super::{doc, Rule, RuleError, RuleSource};
use crate::controls::catalogs;
use crate::document::path::{Segment, Segments};
use crate::document::{path, Position};

/// How much a finding matters, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule sees: one document at a time, or all of them at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Document,
    Corpus,
}

/// A control a rule maps to, qualified by its standard.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ControlRef {
    pub standard: String,
    pub id: String,
}

/// When a reviewed disposition of this rule must be revisited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reassess {
    /// Paths whose change reopens the disposition (wildcards allowed).
    pub on_change: Vec<String>,
    /// Age after which it expires, as written (`90d`, `6m`, `1y`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub every: Option<String>,
}

const FIELDS: [&str; 11] = ["id", "title", "severity", "kinds", "scope", "controls", "reassess", "remediation", "tags", "status", "reads"];

/// Whether any assignment in the rule (its functions and closures included)
/// targets an index or a property rather than a plain variable.
fn assigns_members(ast: &AST) -> bool {
    let mut found = false;
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let Some(rhai::ASTNode::Stmt(rhai::Stmt::Assignment(assignment))) = path.last() {
            found |= matches!(assignment.1.lhs, rhai::Expr::Index(..) | rhai::Expr::Dot(..));
        }
        !found
    });
    found
}

/// Compiles a rule and validates its metadata. The compiled form belongs to
/// this thread (`script::compiled`); the `Rule` goes anywhere.
pub fn compile(source: &RuleSource, engine: &Engine) -> Result<(Rule, AST), Vec<RuleError>> {
    let error = |position: Option<Position>, message: String, hint: Option<&str>| RuleError {
        file: source.path.clone(),
        rule: None,
        position,
        message,
        hint: hint.map(str::to_string),
    };
    let ast = engine.compile(&*source.text).map_err(|e| {
        vec![error(rhai_position(e.position()), format!("syntax error: {}", e.err_type()), Some("see the Rhai language reference"))]
    })?;
    let mut scope = RhaiScope::new();
    engine.run_ast_with_scope(&mut scope, &ast).map_err(|e| {
        vec![error(
            rhai_position(e.position()),
            format!("top-level code failed: {e}"),
            Some("only `const` declarations belong outside functions"),
        )]
    })?;
    let Some(meta) = scope.get_value::<Map>("RULE") else {
        return Err(vec![error(
            Some(Position::new(1, 1)),
            "no `const RULE = #{ ... };` metadata map".into(),
            Some("every rule file declares its id, title, severity, kinds, controls, reassess and remediation in `const RULE`"),
        )]);
    };

    let mut problems: Vec<(&str, String, Option<&str>)> = Vec::new();
    let text = |field: &'static str, required: bool, problems: &mut Vec<(&str, String, Option<&str>)>| -> String {
        match meta.get(field) {
            Some(v) if v.is_string() => {
                let s = v.to_string();
                if s.trim().is_empty() {
                    problems.push((field, format!("`{field}` is empty"), None));
                }
                s
            }
            Some(v) => {
                problems.push((field, format!("`{field}` must be a string, found {}", v.type_name()), None));
                String::new()
            }
            None if required => {
                problems.push(("", format!("`{field}` is missing from RULE"), None));
                String::new()
            }
            None => String::new(),
        }
    };
    let id = text("id", true, &mut problems);
    if !id.is_empty() && !is_rule_id(&id) {
        problems.push(("id", format!("rule id `{id}` is not of the form LETTERS then DIGITS, such as `AIS001`"), None));
    }
    let title = text("title", true, &mut problems);
    let remediation = text("remediation", true, &mut problems);
    let severity_text = text("severity", true, &mut problems);
    let severity = Severity::parse(&severity_text).unwrap_or(Severity::Info);
    if !severity_text.is_empty() && Severity::parse(&severity_text).is_none() {
        problems.push(("severity", format!("unknown severity `{severity_text}`"), Some("use one of info, low, medium, high, critical")));
    }
    let scope_text = text("scope", false, &mut problems);
    let scope = match scope_text.as_str() {
        "" | "document" => Scope::Document,
        "corpus" => Scope::Corpus,
        other => {
            problems.push(("scope", format!("unknown scope `{other}`"), Some("use \"document\" (the default) or \"corpus\"")));
            Scope::Document
        }
    };
    let status = text("status", false, &mut problems);
    if !matches!(status.as_str(), "" | "active" | "deprecated") {
        problems.push(("status", format!("unknown status `{status}`"), Some("use \"active\" or \"deprecated\"")));
    }
    let kinds = string_list(&meta, "kinds", &mut problems);
    // A `kinds` that is not a list was reported as such by `string_list`.
    if meta.get("kinds").is_some_and(Dynamic::is_array) && kinds.is_empty() {
        problems.push(("kinds", "`kinds` is empty".into(), Some("name the document kinds this rule checks, or [\"*\"] for all")));
    } else if !meta.contains_key("kinds") {
        problems.push(("", "`kinds` is missing from RULE".into(), Some("name the document kinds this rule checks, or [\"*\"] for all")));
    }
    for kind in &kinds {
        if kind.is_empty() || (kind != "*" && !kind.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))) {
            problems.push(("kinds", format!("`{kind}` is not a document kind"), None));
        } else if let Some(known) = crate::document::kind::meant(kind) {
            // Kinds match exactly: this rule would never run, and the scan would look clean.
            problems.push(("kinds", format!("`{kind}` is not a document kind: did you mean `{known}`?"), None));
        }
    }
    let tags = string_list(&meta, "tags", &mut problems);
    let controls = controls(&meta, &mut problems);
    let reassess = reassess(&meta, &mut problems);
    let reads = reads(&meta, scope, &reassess, &mut problems);
    for key in meta.keys() {
        if !FIELDS.contains(&key.as_str()) {
            problems.push((
                key.as_str(),
                format!("unknown field `{key}` in RULE"),
                Some("known fields: id, title, severity, kinds, scope, controls, reassess, remediation, tags, status, reads"),
            ));
        }
    }

    let has = |name: &str| ast.iter_functions().any(|f| f.name == name && f.params.len() == 1);
    let entry = if scope == Scope::Corpus { "check_all" } else { "check" };
    if !has(entry) {
        problems.push((
            "",
            format!("no `fn {entry}(...)` with one parameter"),
            Some("a document rule defines `fn check(doc)`; a corpus rule `fn check_all(docs)`"),
        ));
    }
    // An `applies` of another arity would never be called, and the rule would run everywhere.
    if ast.iter_functions().any(|f| f.name == "applies") && !has("applies") {
        problems.push(("", "`fn applies` must take one parameter, the document".into(), Some("write `fn applies(doc) { ... }`")));
    }
    if let Some(second) = rule_declarations(&ast).get(1) {
        problems.push(("", format!("`RULE` is declared more than once (again at line {})", second.line), Some("keep one `const RULE`")));
    }

    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(field, message, hint)| RuleError {
                rule: (!id.is_empty()).then(|| id.clone()),
                ..error(if field.is_empty() { rule_position(source, engine) } else { field_position(source, engine, field) }, message, hint)
            })
            .collect());
    }
    let rule = Rule {
        id,
        title,
        severity,
        kinds,
        scope,
        controls,
        // Validated above: every on_change path parses.
        watches: reassess.on_change.iter().filter_map(|p| path::parse(p).ok()).collect(),
        reassess,
        reads,
        remediation,
        tags,
        deprecated: status == "deprecated",
        source_hash: blake3::hash(source.text.as_bytes()).to_hex().get(..32).unwrap_or_default().to_string(),
        docs: doc::RuleDoc::parse(&source.text),
        has_applies: has("applies"),
        assigns_members: assigns_members(&ast),
        fields: Some(crate::script::fields::Fields::of(&ast)).filter(|f| !f.is_empty()).map(std::sync::Arc::new),
        program: crate::script::compiled::new_program_id(),
        source: source.clone(),
    };
    Ok((rule, ast))
}

fn is_rule_id(id: &str) -> bool {
    let letters = id.chars().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = id.chars().skip(letters).take_while(char::is_ascii_digit).count();
    letters >= 1 && digits >= 1 && letters + digits == id.chars().count()
}

fn string_list(meta: &Map, field: &'static str, problems: &mut Vec<(&str, String, Option<&str>)>) -> Vec<String> {
    match meta.get(field) {
        None => Vec::new(),
        Some(v) => match as_strings(v) {
            Some(list) => list,
            None => {
                problems.push((field, format!("`{field}` must be a list of strings"), None));
                Vec::new()
            }
        },
    }
}

fn as_strings(v: &Dynamic) -> Option<Vec<String>> {
    let array = v.as_array_ref().ok()?;
    array.iter().map(|x| x.is_string().then(|| x.to_string())).collect()
}

fn controls(meta: &Map, problems: &mut Vec<(&str, String, Option<&str>)>) -> Vec<ControlRef> {
    let catalogs = catalogs();
    let Some(value) = meta.get("controls") else {
        problems.push((
            "",
            "`controls` is missing from RULE".into(),
            Some("map the rule to controls, as in `controls: #{ iso42001: [\"A.9.2\"], iso27001: [\"A.8.15\"] }`"),
        ));
        return Vec::new();
    };
    let Ok(map) = value.as_map_ref() else {
        problems.push(("controls", "`controls` must be a map from standard to a list of control ids".into(), None));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (standard, ids) in map.iter() {
        if catalogs.standard(standard).is_none() {
            problems.push((
                "controls",
                format!("unknown standard `{standard}` in controls"),
                Some("known standards: iso42001, iso27001, owasp_llm, owasp_agentic, nist_ai_rmf"),
            ));
            continue;
        }
        let Some(ids) = as_strings(ids) else {
            problems.push(("controls", format!("`controls.{standard}` must be a list of control ids"), None));
            continue;
        };
        for id in ids {
            if catalogs.control(standard, &id).is_none() {
                problems.push((
                    "controls",
                    format!("unknown control `{id}` in {standard}"),
                    Some("run `annexa controls` to list the control ids of each standard"),
                ));
            } else {
                out.push(ControlRef { standard: standard.to_string(), id });
            }
        }
    }
    if out.iter().all(|c| c.standard != "iso42001" && c.standard != "iso27001") && !problems.iter().any(|p| p.0 == "controls") {
        problems.push(("controls", "a rule must map to at least one ISO/IEC 42001 or ISO/IEC 27001 control".into(), None));
    }
    out.sort();
    out.dedup();
    out
}

fn reassess(meta: &Map, problems: &mut Vec<(&str, String, Option<&str>)>) -> Reassess {
    let mut out = Reassess::default();
    let Some(value) = meta.get("reassess") else { return out };
    let Ok(map) = value.as_map_ref() else {
        problems.push(("reassess", "`reassess` must be a map with `on_change` and `every`".into(), None));
        return out;
    };
    for (key, v) in map.iter() {
        match key.as_str() {
            "on_change" => match as_strings(v) {
                Some(paths) => {
                    for p in paths {
                        match path::parse(&p) {
                            Ok(_) => out.on_change.push(p),
                            Err(reason) => problems.push(("reassess", format!("invalid `on_change` path `{p}`: {reason}"), None)),
                        }
                    }
                }
                None => problems.push(("reassess", "`reassess.on_change` must be a list of paths".into(), None)),
            },
            "every" => {
                let text = v.to_string();
                match crate::script::api::parse_duration(&text) {
                    Ok(_) if v.is_string() => out.every = Some(text),
                    Ok(_) => problems.push(("reassess", "`reassess.every` must be a string such as \"90d\"".into(), None)),
                    Err(reason) => problems.push(("reassess", reason, None)),
                }
            }
            other => problems.push(("reassess", format!("unknown field `{other}` in reassess"), Some("use `on_change` and `every`"))),
        }
    }
    out
}

/// A corpus rule's `reads`: the only paths of each document it may read,
/// so a scan keeps just those parts of every document, not the documents.
/// Map keys only (a list is kept whole), and they must cover the rule's
/// `reassess.on_change`, whose values the fingerprint reads from the kept parts.
fn reads(meta: &Map, scope: Scope, reassess: &Reassess, problems: &mut Vec<(&str, String, Option<&str>)>) -> Option<Vec<Segments>> {
    meta.get("reads")?;
    if scope != Scope::Corpus {
        problems.push((
            "reads",
            "`reads` is for corpus rules (`scope: \"corpus\"`)".into(),
            Some("a document rule sees its whole document"),
        ));
    }
    let mut reads = Vec::new();
    for text in string_list(meta, "reads", problems) {
        match path::parse(&text) {
            Ok(segments) if !segments.is_empty() && segments.iter().all(|s| matches!(s, Segment::Key(_))) => reads.push(segments),
            Ok(_) => problems.push((
                "reads",
                format!("`reads` path `{text}` must name map keys only"),
                Some("name the list itself (`spec.models`), not its items (`spec.models[0]`, `spec.models[*]`)"),
            )),
            Err(reason) => problems.push(("reads", format!("invalid `reads` path `{text}`: {reason}"), None)),
        }
    }
    for watched in &reassess.on_change {
        let Ok(segments) = path::parse(watched) else { continue };
        if !reads.iter().any(|r| segments.starts_with(r)) {
            problems.push((
                "reads",
                format!("`reassess.on_change` path `{watched}` is outside `reads`"),
                Some("add the path, or one of its parents, to `reads`"),
            ));
        }
    }
    Some(reads)
}

pub(crate) fn rhai_position(pos: rhai::Position) -> Option<Position> {
    Some(Position::new(pos.line()? as u32, pos.position().unwrap_or(1) as u32))
}

/// Where `const RULE` is declared (or the top of the file).
fn rule_position(source: &RuleSource, engine: &Engine) -> Option<Position> {
    rule_map_fields(source, engine).map(|(pos, _)| pos).or(Some(Position::new(1, 1)))
}

/// Where a field of the RULE map is written, for error messages.
pub(crate) fn field_position(source: &RuleSource, engine: &Engine, field: &str) -> Option<Position> {
    let (rule_pos, fields) = rule_map_fields(source, engine)?;
    Some(fields.into_iter().find(|(name, _)| name == field).map_or(rule_pos, |(_, pos)| pos))
}

/// Where each top-level `RULE` is declared, in order.
fn rule_declarations(ast: &AST) -> Vec<Position> {
    ast.statements()
        .iter()
        .filter_map(|stmt| match stmt {
            rhai::Stmt::Var(x, _, pos) if x.0.name == "RULE" => rhai_position(*pos),
            _ => None,
        })
        .collect()
}

/// Recompiles without optimisation (which would fold the map into a
/// constant and lose its positions) and finds the RULE map's fields.
fn rule_map_fields(source: &RuleSource, engine: &Engine) -> Option<(Position, Vec<(String, Position)>)> {
    let _ = engine;
    let mut parser = Engine::new_raw();
    parser.set_optimization_level(OptimizationLevel::None);
    let ast = parser.compile(&*source.text).ok()?;
    ast.statements().iter().find_map(|stmt| match stmt {
        rhai::Stmt::Var(x, _, pos) if x.0.name == "RULE" => {
            let fields = match &x.1 {
                rhai::Expr::Map(m, _) => {
                    m.0.iter().filter_map(|(ident, _)| Some((ident.name.to_string(), rhai_position(ident.pos)?))).collect()
                }
                _ => Vec::new(),
            };
            Some((rhai_position(*pos)?, fields))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::document::Position;
    use crate::rules::{load, RuleSource};
    use crate::script::Limits;

    #[test]
    fn finds_assignments_to_an_index_or_a_property_anywhere_in_the_rule() {
        let assigns = |code: &str| {
            let text = format!("const RULE = #{{ id: \"X001\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\n{code}\n");
            let set = load(vec![RuleSource { path: "X001.rhai".into(), text: text.into() }], &Limits::default());
            assert!(set.errors.is_empty(), "{:?}", set.errors);
            set.rules[0].assigns_members
        };
        assert!(!assigns("fn check(doc) { let m = #{ a: 1 }; let x = m.a; x = 2; m += #{ b: 2 }; }"));
        assert!(!assigns("fn check(doc) { let list = []; list.push(1); let n = 0; n += list.len(); }"));
        assert!(assigns("fn check(doc) { let m = #{}; m[\"k\"] = 1; }"));
        assert!(assigns("fn check(doc) { let m = #{}; m.k = 1; }"));
        assert!(assigns("fn check(doc) { let m = #{ k: [0] }; m.k[0] += 1; }"));
        assert!(assigns("fn grow(i) { this[`k${i}`] = i; }\nfn check(doc) {}"));
        assert!(assigns("fn check(doc) { let m = #{}; [1, 2].for_each(|i| { m[`k${i}`] = i; }); }"));
    }

    fn errors(scope: &str, reads: &str, on_change: &str) -> Vec<(Option<Position>, String)> {
        let text = format!(
            "const RULE = #{{ id: \"X001\", title: \"t\", severity: \"low\", kinds: [\"*\"], scope: \"{scope}\",\n    reads: {reads},\n    reassess: #{{ on_change: {on_change} }},\n    controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\nfn check(doc) {{}}\nfn check_all(docs) {{}}\n"
        );
        let set = load(vec![RuleSource { path: "X001.rhai".into(), text: text.into() }], &Limits::default());
        set.errors.into_iter().map(|e| (e.position, e.message)).collect()
    }

    #[test]
    fn reads_are_map_keys_of_a_corpus_rule_and_cover_its_on_change() {
        assert_eq!(errors("corpus", r#"["spec.models", "metadata.name"]"#, r#"["spec.models[*].provider"]"#), []);
        let at = Some(Position::new(2, 5));
        assert_eq!(errors("document", r#"["spec.models"]"#, "[]"), [(at, "`reads` is for corpus rules (`scope: \"corpus\"`)".to_string())]);
        assert_eq!(
            errors("corpus", r#"["spec.models[0]", "spec.tools[*]", "spec..x"]"#, "[]")
                .into_iter()
                .map(|(p, m)| (p, m.split(':').next().unwrap_or_default().to_string()))
                .collect::<Vec<_>>(),
            [
                (at, "`reads` path `spec.models[0]` must name map keys only".to_string()),
                (at, "`reads` path `spec.tools[*]` must name map keys only".to_string()),
                (at, "invalid `reads` path `spec..x`".to_string()),
            ]
        );
        assert_eq!(
            errors("corpus", r#"["spec.models"]"#, r#"["spec.suppliers[*].name", "spec.models"]"#),
            [(at, "`reassess.on_change` path `spec.suppliers[*].name` is outside `reads`".to_string())]
        );
        assert_eq!(errors("corpus", r#""spec.models""#, "[]"), [(at, "`reads` must be a list of strings".to_string())]);
    }
}
