//! Every function of the rule API, exercised through a real rule on a real
//! document, and the reference page checked against the registered functions.

use annexa_engine::eval::{scan, Input, ScanOptions};
use annexa_engine::report::{FileResult, Outcome, Status};
use annexa_engine::rules::{load, RuleSource};
use annexa_engine::script::{build_engine, Limits};

const DOC: &str = "\
apiVersion: annexa/v1
kind: AISystem
metadata:
  name: bot
spec:
  risk: {tier: high}
  impact_assessment: {date: 2025-02-12, ref: ''}
  tools:
    - {name: refund, effect: write}
    - {name: search, effect: read, requires_approval: true}
  labels: {app.kubernetes.io/name: bot}
  architecture:
    components:
      - {id: web, type: ui, trust: untrusted}
      - {id: gate, type: human-approval}
      - {id: refunds, type: tool, tool: refund}
      - {id: shell, type: tool, tool: run}
    flows:
      - {from: web, to: gate}
      - {from: gate, to: refunds}
      - {from: web, to: shell}
";

/// Runs a rule whose `check` body is `body` on `DOC`, with `--now 2025-06-01`.
fn run(body: &str) -> Outcome {
    run_rule(&rule_source(body))
}

fn rule_source(body: &str) -> String {
    format!(
        "const RULE = #{{ id: \"T001\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\nfn check(doc) {{\n{body}\n}}\n"
    )
}

fn run_rule(source: &str) -> Outcome {
    run_with(source, Default::default())
}

fn run_with(source: &str, evidence: annexa_engine::reassess::evidence::EvidenceMode) -> Outcome {
    let set = load(vec![RuleSource { path: "t.rhai".into(), text: source.into() }], &Limits::default());
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let mut results: Vec<FileResult> = Vec::new();
    let input = Input::Bytes { display: "doc.yaml".into(), format: annexa_engine::document::Format::Yaml, bytes: DOC.as_bytes().into() };
    let mut options = ScanOptions::new("2025-06-01".parse().unwrap());
    options.evidence = evidence;
    scan(&set.rules, vec![input], &options, &mut |r| {
        results.push(std::mem::take(r));
        Ok(())
    })
    .unwrap();
    results.remove(0).outcomes.remove(0)
}

/// The messages of the findings, in position order.
fn messages(outcome: &Outcome) -> Vec<String> {
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    outcome.findings.iter().map(|f| f.message.clone()).collect()
}

/// Asserts that `expr` evaluates to `expected` (both as strings) in a rule.
fn eval_eq(expr: &str, expected: &str) {
    let outcome = run(&format!("doc.fail(\"\", `${{{expr}}}`);"));
    assert_eq!(messages(&outcome), vec![expected.to_string()], "{expr}");
}

#[test]
fn get_reads_values_and_missing_is_unit() {
    eval_eq("doc.get(\"spec.risk.tier\")", "high");
    eval_eq("doc.get(\"spec.tools[1].name\")", "search");
    eval_eq("doc.get(\"spec.labels[\\\"app.kubernetes.io/name\\\"]\")", "bot");
    eval_eq("type_of(doc.get(\"spec.nothing.here\"))", "()");
    eval_eq("doc.get(\"spec.tools\").len()", "2");
    eval_eq("doc.get(\"spec.impact_assessment.date\")", "2025-02-12");
}

#[test]
fn has_and_present() {
    eval_eq("doc.has(\"spec.impact_assessment.ref\")", "true");
    eval_eq("doc.present(\"spec.impact_assessment.ref\")", "false");
    eval_eq("doc.has(\"spec.oversight\")", "false");
    eval_eq("doc.present(\"spec.tools\")", "true");
}

#[test]
fn list_and_keys() {
    eval_eq("doc.list(\"spec.tools\").len()", "2");
    eval_eq("doc.list(\"spec.missing\").len()", "0");
    eval_eq("doc.list(\"spec.risk\").len()", "0");
    eval_eq("doc.keys(\"spec.risk\")", "[\"tier\"]");
}

#[test]
fn values_reads_one_field_across_a_list_or_map() {
    eval_eq("doc.values(\"spec.tools[*].effect\")", "[\"write\", \"read\"]");
    eval_eq("doc.values(\"spec.tools[*].requires_approval\")", "[true]");
    eval_eq("doc.values(\"spec.architecture.components[*].trust\")", "[\"untrusted\"]");
    eval_eq("doc.values(\"spec.labels[*]\")", "[\"bot\"]");
    eval_eq("doc.values(\"spec.risk.tier\")", "[\"high\"]");
    eval_eq("doc.values(\"spec.missing[*].x\")", "[]");
    eval_eq("\"read\" in doc.values(\"spec.tools[*].effect\")", "true");
}

#[test]
fn values_watches_the_collection_before_the_wildcard() {
    let outcome = run_with(
        &rule_source("if \"x\" in doc.values(\"spec.tools[*].effect\") { doc.fail(\"\", \"x\"); }"),
        annexa_engine::reassess::evidence::EvidenceMode::All,
    );
    let watched: Vec<&String> = outcome.evidence.iter().flat_map(|e| e.keys()).collect();
    assert_eq!(watched, ["spec.tools"]);
}

#[test]
fn document_properties() {
    eval_eq("doc.kind", "AISystem");
    eval_eq("doc.name", "bot");
    eval_eq("doc.file", "doc.yaml");
    eval_eq("doc.index", "0");
}

#[test]
fn fail_locates_existing_and_missing_paths() {
    let outcome = run("for (tool, i) in doc.list(\"spec.tools\") {\n if tool.requires_approval != true { doc.fail(`spec.tools[${i}].requires_approval`, \"needs approval\"); }\n}");
    assert_eq!(outcome.status, Status::Fail);
    let f = &outcome.findings[0];
    assert_eq!(f.path, "spec.tools[0].requires_approval");
    assert_eq!(f.located_at.as_deref(), Some("spec.tools[0]"));
    assert_eq!((f.region.start.line, f.region.start.col), (9, 7));
    let outcome = run("doc.fail(\"spec.risk.tier\", \"x\");");
    assert_eq!(
        (outcome.findings[0].region.start.line, outcome.findings[0].region.start.col, outcome.findings[0].located_at.clone()),
        (6, 10, None)
    );
}

#[test]
fn fail_with_a_bad_path_is_an_error_outcome() {
    let outcome = run("doc.fail(\"spec..x\", \"x\");");
    assert_eq!(outcome.status, Status::Error);
    assert_eq!(outcome.error.unwrap().message, "Runtime error: invalid path `spec..x`: empty key between dots");
}

#[test]
fn dates_are_measured_against_now() {
    eval_eq("today()", "2025-06-01");
    eval_eq("days_since(doc.get(\"spec.impact_assessment.date\"))", "109");
    eval_eq("days_until(\"2025-06-11\")", "10");
    eval_eq("type_of(days_since(\"not a date\"))", "()");
    eval_eq("type_of(days_since(doc.get(\"spec.missing\")))", "()");
    eval_eq("is_date(\"2025-02-30\")", "false");
    eval_eq("is_date(\"2025-02-28T10:00:00Z\")", "true");
    eval_eq("duration_days(\"90d\")", "90");
    eval_eq("duration_days(\"1m\")", "30");
    eval_eq("duration_days(\"1y\")", "365");
}

#[test]
fn regular_expressions() {
    eval_eq("matches(\"sk-abc123\", \"^sk-[a-z0-9]+$\")", "true");
    eval_eq("matches(doc.get(\"spec.missing\"), \"x\")", "false");
    eval_eq("capture(\"image: vllm/vllm-openai:v0.6.2\", \":(v[0-9.]+)$\")", "v0.6.2");
    eval_eq("type_of(capture(\"abc\", \"z\"))", "()");
    let outcome = run("matches(\"x\", \"(\");");
    assert_eq!(outcome.status, Status::Error);
    assert!(outcome.error.unwrap().message.contains("invalid regular expression `(`"));
}

#[test]
fn membership_in_a_missing_list_is_false() {
    eval_eq("\"x\" in doc.get(\"spec.logging.events\")", "false");
    eval_eq("\"write\" in [\"write\", \"read\"]", "true");
}

#[test]
fn a_string_in_a_list_matches_equal_strings_only() {
    // The native `contains` for strings answers as Rhai's `==` would, item by item.
    eval_eq("\"refund\" in doc.list(\"spec.tools\").map(|t| t.name)", "true");
    eval_eq("\"refunds\" in doc.list(\"spec.tools\").map(|t| t.name)", "false");
    eval_eq("\"1\" in [1, 2]", "false");
    eval_eq("\"a\" in [1, 'a', ()]", "true");
    eval_eq("\"ab\" in ['a', 'b']", "false");
    eval_eq("\"\" in [\"\"]", "true");
    eval_eq("\"x\" in []", "false");
    eval_eq("1 in [1, 2]", "true");
}

#[test]
fn architecture_graph() {
    eval_eq("doc.reachable(\"web\", [\"human-approval\"])", "[\"gate\", \"shell\"]");
    eval_eq("doc.reachable(\"web\", [])", "[\"gate\", \"refunds\", \"shell\"]");
    eval_eq("doc.reaches(\"web\", \"refunds\", [\"human-approval\"])", "false");
    eval_eq("doc.reaches(\"web\", \"shell\", [\"human-approval\"])", "true");
    eval_eq("doc.component_index(\"shell\")", "3");
    eval_eq("type_of(doc.component_index(\"nope\"))", "()");
}

#[test]
fn applies_false_is_not_applicable_and_print_goes_to_the_report() {
    let outcome = run_rule(
        "const RULE = #{ id: \"T002\", title: \"t\", severity: \"low\", kinds: [\"AISystem\"], controls: #{ iso27001: [\"A.8.15\"] }, remediation: \"r\" };\nfn applies(doc) { print(\"checked \" + doc.name); false }\nfn check(doc) { doc.fail(\"\", \"never\"); }\n",
    );
    assert_eq!(outcome.status, Status::NotApplicable);
    assert_eq!(outcome.logs, vec!["checked bot".to_string()]);
}

#[test]
fn documents_are_read_only_to_rules() {
    let outcome = run(
        "let t = doc.get(\"spec.risk\"); t.tier = \"minimal\"; if doc.get(\"spec.risk.tier\") != \"high\" { doc.fail(\"\", \"changed\"); }",
    );
    assert_eq!(outcome.status, Status::Pass);
}

/// Every function the engine registers is documented in docs/rule-api.md.
#[test]
fn reference_page_covers_every_registered_function() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rule-api.md")).unwrap_or_default();
    let engine = build_engine(&Limits::default());
    // Rhai's own functions are documented by Rhai.
    let mut bare = rhai::Engine::new_raw();
    bare.register_global_module(annexa_engine::script::standard_library().into());
    let standard: std::collections::HashSet<String> = bare.gen_fn_signatures(false).into_iter().collect();
    let mut missing = Vec::new();
    for signature in engine.gen_fn_signatures(false).into_iter().filter(|s| !standard.contains(s)) {
        let name = signature.split('(').next().unwrap().trim_start_matches("get$").to_string();
        let heading = format!("`{name}`");
        if !page.lines().any(|l| l.starts_with("### ") && l.contains(&heading)) {
            missing.push(signature);
        }
    }
    assert!(missing.is_empty(), "not documented in docs/rule-api.md: {missing:?}");
}
