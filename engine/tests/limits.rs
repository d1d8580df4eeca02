//! Every sandbox and input limit, exceeded on purpose: each gives a located
//! `error` outcome (or input error) and the scan finishes, with the other
//! rules and documents still evaluated.

mod support;

use annexa_engine::document::{yaml, LoadOptions, Position};
use annexa_engine::report::Status;
use annexa_engine::script::Limits;
use support::*;

/// Runs one runaway rule beside the witness rule on one good document and
/// returns the runaway outcome's error message and rule position. Each test
/// lowers the limit it exercises and lifts the time budget, so that the limit
/// under test is the one that answers even in a slow debug build.
///
/// The outcome is located by file, document and rule. Rhai 1.27 reports the
/// sandbox limits (operations, call depth, sizes) through `call_fn` without
/// a script position, so no line in the rule file is asserted for those.
fn runaway(body: &str, limits: Limits) -> (String, Option<Position>) {
    let bad = rule("X001", body);
    let results = scan_with(&[&bad, &witness()], &[("a.yaml", GOOD), ("b.yaml", GOOD)], limits, LoadOptions::default());
    for file in ["a.yaml", "b.yaml"] {
        let w = outcome(&results, file, "W001");
        assert_eq!(w.status, Status::Fail, "the other rule still ran on {file}");
        assert_eq!(w.findings[0].region.start, Position::new(3, 8));
    }
    let x = outcome(&results, "a.yaml", "X001");
    assert_eq!(x.status, Status::Error);
    assert_eq!(outcome(&results, "b.yaml", "X001").status, Status::Error, "every document is tried");
    let error = x.error.clone().expect("an error message");
    (error.message, error.rule_position)
}

fn slow() -> Limits {
    Limits { max_millis: 600_000, ..Limits::default() }
}

#[test]
fn operations() {
    let (message, _) = runaway("fn check(doc) {\n  let n = 0;\n  loop { n += 1; }\n}", Limits { max_operations: 50_000, ..slow() });
    assert_eq!(message, "operation limit exceeded (does the rule loop forever?)");
}

#[test]
fn call_depth() {
    let (message, _) = runaway("fn down(n) {\n  down(n + 1)\n}\nfn check(doc) { down(0); }", slow());
    assert_eq!(message, "call depth limit exceeded (unbounded recursion?)");
}

/// The depth counts from the rule's own function: with the default 48
/// levels, `check` may recurse 47 deep and not 48.
#[test]
fn call_depth_counts_from_the_rules_function() {
    let at = |depth: usize| {
        let body = format!("fn down(n) {{ if n == 0 {{ return 0; }} down(n - 1) }}\nfn check(doc) {{ down({depth}); }}");
        outcome(&scan(&[&rule("X001", &body)], &[("a.yaml", GOOD)]), "a.yaml", "X001").status
    };
    assert_eq!(at(47), Status::Pass);
    assert_eq!(at(48), Status::Error);
}

/// Rhai's state for calls into a rule is kept from one call to the next
/// (`script::compiled`); the operation count is not. A rule whose
/// `applies` and `check` each use most of the budget passes on every
/// document, while one call using twice as much fails.
#[test]
fn each_call_has_the_whole_operation_budget() {
    let limits = Limits { max_operations: 10_000, ..slow() };
    let burn = "fn burn() { let n = 0; while n < 1500 { n += 1; } }";
    let once = rule("X001", &format!("{burn}\nfn check(doc) {{ burn(); }}"));
    let twice = rule("X002", &format!("{burn}\nfn check(doc) {{ burn(); burn(); }}"));
    let both =
        rule("X003", &format!("{burn}\nfn applies(doc) {{ burn(); true }}\nfn check(doc) {{ burn(); doc.fail(\"spec.a\", \"ran\"); }}"));
    let files: Vec<(String, &[u8])> = (0..6).map(|i| (format!("f{i}.yaml"), GOOD)).collect();
    let inputs: Vec<(&str, &[u8])> = files.iter().map(|(name, text)| (name.as_str(), *text)).collect();
    let results = scan_with(&[&once, &twice, &both], &inputs, limits, LoadOptions::default());
    for (file, _) in &inputs {
        assert_eq!(outcome(&results, file, "X001").status, Status::Pass, "{file}: one burn fits the budget");
        assert_eq!(outcome(&results, file, "X002").status, Status::Error, "{file}: two burns in one call do not");
        assert_eq!(outcome(&results, file, "X003").status, Status::Fail, "{file}: applies and check each have the budget");
    }
}

#[test]
fn string_size() {
    let (message, _) = runaway("fn check(doc) {\n  let s = \"xxxxxxxx\";\n  loop { s += s; }\n}", slow());
    assert!(message.ends_with("exceeds its size limit"), "{message}");
}

/// The data limits apply to what a rule is given. A list item's field that
/// the rule never reads is left out of the map it gets (`script::fields`),
/// so its size cannot stop the rule; the same value read whole still does.
#[test]
fn string_size_counts_only_the_fields_a_rule_reads() {
    let big = format!("kind: AISystem\nmetadata: {{name: big}}\nspec:\n  tools:\n    - {{name: t, notes: {}}}\n", "x".repeat(600));
    let by_name = rule(
        "X001",
        "fn check(doc) {\n  for t in doc.list(\"spec.tools\") { if t.name == \"t\" { doc.fail(\"spec.tools\", \"named\"); } }\n}",
    );
    let whole = rule(
        "X002",
        "fn check(doc) {\n  for t in doc.list(\"spec.tools\") { if type_of(t) == \"map\" { doc.fail(\"spec.tools\", \"whole\"); } }\n}",
    );
    let limits = Limits { max_string_size: 500, ..slow() };
    let results = scan_with(&[&by_name, &whole], &[("big.yaml", big.as_bytes())], limits, LoadOptions::default());
    let named = outcome(&results, "big.yaml", "X001");
    assert_eq!((named.status, named.findings.len()), (Status::Fail, 1), "{:?}", named.error);
    let seen_whole = outcome(&results, "big.yaml", "X002");
    assert_eq!(seen_whole.status, Status::Error);
    assert!(seen_whole.error.as_ref().is_some_and(|e| e.message.ends_with("exceeds its size limit")), "{:?}", seen_whole.error);
}

#[test]
fn array_size() {
    let (message, _) = runaway("fn check(doc) {\n  let a = [];\n  loop { a.push(1); }\n}", Limits { max_array_size: 1_000, ..slow() });
    assert!(message.ends_with("exceeds its size limit"), "{message}");
}

/// Rhai 1.27 does not apply the map size limit to `m[key] = value`; the
/// engine checks a map variable each time a rule reads it, so the loop stops
/// one key past the limit, located at the variable.
#[test]
fn map_size() {
    let (message, at) = runaway(
        "fn check(doc) {\n  let m = #{};\n  let i = 0;\n  loop { m[`k${i}`] = i; i += 1; }\n}",
        Limits { max_map_size: 1_000, ..slow() },
    );
    assert_eq!(message, "object map `m` has 1001 keys, over the map size limit of 1000");
    assert_eq!(at, Some(Position::new(5, 10)));
}

/// The assignment that grows the map may sit in another function: the rule
/// still runs on the engine that checks map variables, and `m` is caught
/// when the loop reads it.
#[test]
fn map_size_grown_by_a_method_of_the_rule() {
    let (message, at) = runaway(
        "fn grow(i) { this[`k${i}`] = i; }\nfn check(doc) {\n  let m = #{};\n  let i = 0;\n  loop { m.grow(i); i += 1; }\n}",
        Limits { max_map_size: 1_000, ..slow() },
    );
    assert_eq!(message, "object map `m` has 1001 keys, over the map size limit of 1000");
    assert_eq!(at, Some(Position::new(6, 10)));
}

/// A map nested in a variable is not counted key by key: the operation
/// limit stops it instead, and the outcome is still an error.
#[test]
fn map_size_of_a_nested_map() {
    let (message, _) = runaway(
        "fn check(doc) {\n  let m = #{ inner: #{} };\n  let i = 0;\n  loop { m.inner[`k${i}`] = i; i += 1; }\n}",
        Limits { max_map_size: 1_000, max_operations: 200_000, ..slow() },
    );
    assert_eq!(message, "operation limit exceeded (does the rule loop forever?)");
}

#[test]
fn findings_per_rule_and_document() {
    let (message, at) = runaway("fn check(doc) { for i in 0..1000000 { doc.fail(\"spec.a\", \"again\"); } }", slow());
    assert_eq!(message, "more than 1000 findings from one rule on one document");
    assert_eq!(at, None, "the limit is the rule's, not a line's");
}

/// Findings whose paths or messages are very long (a document's key can be
/// a megabyte) stop at 4 MiB for one rule on one document, long before the
/// count limit: a thousand findings of a megabyte each held gigabytes.
#[test]
fn finding_bytes_per_rule_and_document() {
    // A key of 131,072 characters, in every path and every message.
    let body =
        "fn check(doc) {\n  let k = \"k\";\n  for i in 0..17 { k += k; }\n  for i in 0..1000 { doc.fail(`spec.${k}`, `${k} ${i}`); }\n}";
    let (message, at) = runaway(body, slow());
    assert_eq!(message, "the findings of one rule on one document take more than 4194304 bytes");
    assert_eq!(at, None, "the limit is the rule's, not a line's");
    // Below it, as many findings as the rule raises.
    let fits =
        "fn check(doc) {\n  let k = \"k\";\n  for i in 0..17 { k += k; }\n  for i in 0..7 { doc.fail(`spec.${k}`, `${k} ${i}`); }\n}";
    let results = scan_with(&[&rule("X001", fits)], &[("a.yaml", GOOD)], slow(), LoadOptions::default());
    let x = outcome(&results, "a.yaml", "X001");
    assert_eq!((x.status, x.findings.len()), (Status::Fail, 7), "{:?}", x.error);
}

#[test]
fn time_budget() {
    let limits = Limits { max_operations: u64::MAX, max_millis: 50, ..Limits::default() };
    let bad = rule("X001", "fn check(doc) { loop {} }");
    let results = scan_with(&[&bad, &witness()], &[("a.yaml", GOOD)], limits, LoadOptions::default());
    let x = outcome(&results, "a.yaml", "X001");
    assert_eq!(x.status, Status::Error);
    assert_eq!(x.error.as_ref().unwrap().message, "time limit of 50 ms exceeded");
    assert_eq!(outcome(&results, "a.yaml", "W001").status, Status::Fail);
}

#[test]
fn expression_depth_is_a_located_rule_error() {
    let nested = format!("fn check(doc) {{ let x = {}1{}; }}", "(".repeat(200), ")".repeat(200));
    let set = load_rules(&Limits::default(), &[&rule("X001", &nested), &witness()]);
    assert_eq!(set.rules.len(), 1, "the other rule still loads");
    assert_eq!(set.errors.len(), 1);
    assert_eq!(set.errors[0].file, "rule0.rhai");
    assert!(set.errors[0].message.contains("too complex") || set.errors[0].message.contains("xpression"), "{}", set.errors[0].message);
    assert_eq!(set.errors[0].position.map(|p| p.line), Some(2));
}

/// Loads `text` as `name` with `load` options beside a good file; returns the bad file's errors.
fn input_errors(name: &str, text: &[u8], load: LoadOptions) -> Vec<annexa_engine::document::InputError> {
    let w = witness();
    let results = scan_with(&[&w], &[(name, text), ("good.yaml", GOOD)], Limits::default(), load);
    assert_eq!(outcome(&results, "good.yaml", "W001").status, Status::Fail, "the good file is still evaluated");
    results.into_iter().find(|r| r.path == name).unwrap().errors
}

#[test]
fn document_size() {
    let load = LoadOptions { max_file_bytes: 1000, ..LoadOptions::default() };
    let big = vec![b'a'; 2000];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    std::fs::write(&path, &big).unwrap();
    let loaded = annexa_engine::document::load_file(&path, "big.yaml", annexa_engine::document::Format::Yaml, &load);
    assert!(loaded.documents.is_empty());
    assert_eq!(loaded.errors[0].message, "file is 2000 bytes, over the limit of 1000 bytes");
    assert_eq!(loaded.errors[0].hint.as_deref(), Some("split it, or exclude it with --exclude"));
}

#[test]
fn nesting_depth() {
    let text: String = (0..250).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let errors = input_errors("deep.yaml", text.as_bytes(), LoadOptions::default());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].message, "nesting deeper than 200 levels");
    assert_eq!(errors[0].position, Some(Position::new(201, 201)));
}

#[test]
fn alias_expansion() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    let errors = input_errors("bomb.yaml", bomb.as_bytes(), LoadOptions::default());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.starts_with("aliases expand to more than 100000 nodes"), "{}", errors[0].message);
    assert_eq!(errors[0].position.map(|p| p.line), Some(5), "at the alias that crossed the limit");
}

#[test]
fn documents_in_one_stream() {
    let load = LoadOptions { yaml: yaml::Limits { max_documents: 3, ..yaml::Limits::default() }, ..LoadOptions::default() };
    let text = "a: 1\n---\na: 2\n---\na: 3\n---\na: 4\n---\na: 5\n";
    let w = witness();
    let results = scan_with(&[&w], &[("many.yaml", text.as_bytes()), ("good.yaml", GOOD)], Limits::default(), load);
    let many = results.iter().find(|r| r.path == "many.yaml").unwrap();
    assert_eq!(many.documents.len(), 3, "the documents before the limit are evaluated");
    assert_eq!(many.outcomes.len(), 3);
    assert_eq!(many.errors.len(), 1);
    assert_eq!(many.errors[0].message, "more than 3 documents in one stream; the rest is not read");
    assert_eq!(many.errors[0].position.map(|p| p.line), Some(6));
    assert_eq!(outcome(&results, "good.yaml", "W001").status, Status::Fail);
}

#[test]
fn nodes_in_one_stream() {
    let load = LoadOptions { yaml: yaml::Limits { max_nodes: 100, ..yaml::Limits::default() }, ..LoadOptions::default() };
    let text = format!("list: [{}]\n", vec!["1"; 200].join(", "));
    let errors = input_errors("wide.yaml", text.as_bytes(), load);
    assert_eq!(errors[0].message, "more than 100 nodes in one stream");
    assert_eq!(errors[0].position.map(|p| p.line), Some(1));
}
