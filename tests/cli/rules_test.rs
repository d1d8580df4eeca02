//! `annexa rules test`: case files beside rules, the diff on mismatch, exit codes.

use crate::common::*;

const RULE: &str = r#"//! # What it checks
//! x
const RULE = #{
    id: "TST001",
    title: "Tools require approval",
    severity: "high",
    kinds: ["AISystem"],
    controls: #{ iso42001: ["A.9.2"] },
    remediation: "Set requires_approval.",
};
fn check(doc) {
    for (tool, i) in doc.list("spec.tools") {
        if tool.requires_approval != true { doc.fail(`spec.tools[${i}].requires_approval`, `tool ${tool.name} needs approval`); }
    }
}
"#;

/// A rule file of `id` with plain metadata, for `AISystem`, around `functions`.
fn minimal_rule(id: &str, functions: &str) -> String {
    format!(
        "const RULE = #{{ id: \"{id}\", title: \"t\", severity: \"low\", kinds: [\"AISystem\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\n{functions}"
    )
}

const FAILING_CASE: &str = "rule: TST001
description: the expected line is wrong on purpose
document:
  kind: AISystem
  spec:
    tools:
      - {name: a, requires_approval: true}
      - {name: b}
expect:
  status: fail
  findings:
    - {path: \"spec.tools[1].requires_approval\", line: 7, col: 9}
";

#[test]
fn built_in_cases_all_pass() {
    let run = annexa(&["rules", "test"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "", "every built-in rule has cases");
    assert!(!run.stdout.contains("FAILED"), "{}", run.stdout);
    let summary = run.stdout.lines().last().unwrap();
    let passed: usize = summary.strip_suffix(" passed, 0 failed").expect("summary line").parse().unwrap();
    assert!(passed >= 26, "{summary}");
    assert!(run.stdout.contains("ok      AIS005   rules/aisystem/tests/AIS005/fail-write-without-approval.yaml\n"));
}

#[test]
fn a_mismatch_prints_expected_against_actual_and_exits_1() {
    let dir = tree(&[("pack/TST001.rhai", RULE), ("pack/tests/TST001/wrong-line.yaml", FAILING_CASE)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "FAILED  TST001   pack/tests/TST001/wrong-line.yaml
        the expected line is wrong on purpose
        status: fail
        findings: expected 1, got 1 (- expected, + actual)
          - spec.tools[1].requires_approval 7:9
          + spec.tools[1].requires_approval 8:9  tool b needs approval
0 passed, 1 failed
"
    );
}

#[test]
fn a_wrong_status_and_missing_findings_show_in_the_diff() {
    let case = "rule: TST001\ndescription: all tools approved\ndocument: {kind: AISystem, spec: {tools: [{name: a}]}}\nexpect:\n  status: pass\n  findings: []\n";
    let dir = tree(&[("pack/TST001.rhai", RULE), ("pack/tests/TST001/pass.yaml", case)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "FAILED  TST001   pack/tests/TST001/pass.yaml
        all tools approved
        status: expected pass, got fail
        findings: expected 0, got 1 (- expected, + actual)
          + spec.tools[0].requires_approval 3:43  tool a needs approval
0 passed, 1 failed
"
    );
}

#[test]
fn mutations_of_a_base_file_point_into_the_base() {
    let base = "kind: AISystem\nspec:\n  tools:\n    - name: a\n      requires_approval: true\n";
    let case = "rule: TST001\ndescription: flipping the flag fails where it is written\nbase: ../../../base.yaml\nset: {\"spec.tools[0].requires_approval\": false}\nexpect:\n  status: fail\n  findings: [{path: \"spec.tools[0].requires_approval\", line: 5, col: 7}]\n";
    let deleted = "rule: TST001\ndescription: deleting the flag fails at the tool\nbase: ../../../base.yaml\ndelete: [\"spec.tools[0].requires_approval\"]\nexpect:\n  status: fail\n  findings: [{path: \"spec.tools[0].requires_approval\", line: 4, col: 7}]\n";
    let dir = tree(&[
        ("base.yaml", base),
        ("pack/TST001.rhai", RULE),
        ("pack/tests/TST001/set.yaml", case),
        ("pack/tests/TST001/delete.yaml", deleted),
    ]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.ends_with("2 passed, 0 failed\n"));
}

#[test]
fn broken_case_files_are_located_errors_and_exit_2() {
    let broken = "rule: TST001\ndescription: x\nbogus: 1\ndocument: {kind: AISystem}\nbase: x.yaml\nexpect: {status: maybe}\n";
    let prefix =
        "rule: TST001\ndescription: a case sits in the folder of its exact rule id\ndocument: {kind: AISystem}\nexpect: {status: pass}\n";
    let missing = "rule: TST999\ndescription: no such rule\ndocument: {kind: AISystem}\nexpect: {status: pass}\n";
    let dir = tree(&[
        ("pack/TST001.rhai", RULE),
        ("pack/tests/TST001/broken.yaml", broken),
        ("pack/tests/TST0011/prefix.yaml", prefix),
        ("pack/tests/TST999/missing.yaml", missing),
        ("pack/tests/loose.yaml", prefix),
    ]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "0 passed, 0 failed\n");
    for expected in [
        "pack/tests/TST001/broken.yaml:3:1: unknown key `bogus` in a case file",
        "pack/tests/TST001/broken.yaml:5:1: a case gives its document either inline (`document`) or as",
        "pack/tests/TST001/broken.yaml:6:10: unknown status `maybe`",
        "pack/tests/TST0011/prefix.yaml:1:1: rule `TST001` does not match the folder `TST0011` this",
        "pack/tests/TST999/missing.yaml:1:1: no loaded rule has id `TST999`",
        "pack/tests/loose.yaml: a case file must sit directly in a folder named after its rule",
        // The three problems of one file, read once, each show their own lines.
        " 2 │ description: x\n 3 │ bogus: 1\n   · ▲\n",
        " 4 │ document: {kind: AISystem}\n 5 │ base: x.yaml\n   · ▲\n",
        " 5 │ base: x.yaml\n 6 │ expect: {status: maybe}\n   ·          ▲\n",
    ] {
        assert!(run.stderr.contains(expected), "missing `{expected}` in:\n{}", run.stderr);
    }
}

/// A rule with no case passes `rules test` by having nothing to check: it is named.
#[test]
fn rules_without_cases_are_named() {
    let dir = tree(&[("pack/TST001.rhai", RULE)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "0 passed, 0 failed\n"));
    assert_eq!(run.stderr, "note: no case for TST001: add case files at <pack>/tests/<RULE_ID>/<case>.yaml (docs/rule-tests.md)\n");
}

/// A rule that fails at run time shows where, in its file, as a scan does.
#[test]
fn a_runtime_error_names_the_rule_file_and_line() {
    let rule = &minimal_rule("TST002", "fn helper(n) { 90 / n }\nfn check(doc) {\n  let x = helper(0);\n}\n");
    let case = "rule: TST002\ndescription: divides by zero\ndocument:\n  kind: AISystem\nexpect:\n  status: pass\n";
    let dir = tree(&[("pack/TST002.rhai", rule), ("pack/tests/TST002/case.yaml", case)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "FAILED  TST002   pack/tests/TST002/case.yaml\n        divides by zero\n        status: expected pass, got error\n        error: Division by zero: 90 / 0 (at pack/TST002.rhai:2:19)\n0 passed, 1 failed\n"
    );
}

/// JSON is YAML: a case written as JSON is read like any other.
#[test]
fn a_case_written_as_json_is_run() {
    let case = r#"{"rule": "TST001", "description": "json", "document": {"kind": "AISystem", "spec": {"tools": [{"name": "b"}]}}, "expect": {"status": "fail"}}"#;
    let dir = tree(&[("pack/TST001.rhai", RULE), ("pack/tests/TST001/case.json", case)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "ok      TST001   pack/tests/TST001/case.json\n1 passed, 0 failed\n", "")
    );
}

/// A folder that is not there is one error, not one from the rules and another from the cases.
#[test]
fn a_missing_folder_is_reported_once() {
    let dir = tree(&[("pack/TST001.rhai", RULE)]);
    let run = annexa_in(dir.path(), &["rules", "test", "nowhere"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.matches("nowhere").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("nowhere: rules folder does not exist or is not a folder"), "{}", run.stderr);
}

/// `expect.error` tells one error from another: a case that expects the time
/// limit fails when the rule divides by zero instead.
#[test]
fn an_expected_error_must_be_the_one_that_happened() {
    let rule = &minimal_rule("TST002", "fn check(doc) {\n  let x = 90 / 0;\n}\n");
    let case = |error: &str| {
        format!("rule: TST002\ndescription: divides by zero\ndocument:\n  kind: AISystem\nexpect:\n  status: error\n  error: \"{error}\"\n")
    };
    let dir = tree(&[
        ("pack/TST002.rhai", rule),
        ("pack/tests/TST002/a-right.yaml", &case("Division by zero")),
        ("pack/tests/TST002/b-wrong.yaml", &case("time limit")),
    ]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "ok      TST002   pack/tests/TST002/a-right.yaml\nFAILED  TST002   pack/tests/TST002/b-wrong.yaml\n        divides by zero\n        status: error\n        error: Division by zero: 90 / 0 (at pack/TST002.rhai:3:14)\n        error: expected one containing `time limit`\n1 passed, 1 failed\n"
    );
    // Beside another status it is a mistake in the case, located.
    std::fs::write(dir.path().join("pack/tests/TST002/b-wrong.yaml"), case("x").replace("status: error", "status: fail")).unwrap();
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("b-wrong.yaml:7:3: `expect.error` goes with `status: error`"), "{}", run.stderr);
}

/// A case document of annexa's format with a kind it does not have is refused, as a scan refuses it.
#[test]
fn a_case_document_with_a_misspelled_kind_is_refused() {
    let case = "rule: TST001\ndescription: typo\ndocument:\n  apiVersion: annexa/v1\n  kind: AiSystem\nexpect:\n  status: not_applicable\n";
    let dir = tree(&[("pack/TST001.rhai", RULE), ("pack/tests/TST001/case.yaml", case)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, "0 passed, 0 failed\n"), "{}", run.stderr);
    assert!(run.stderr.contains("case.yaml:5:3: unknown kind `AiSystem` for apiVersion annexa/v1: no rule"), "{}", run.stderr);
    assert!(!run.stderr.contains("note: no case"), "{}", run.stderr);
}

/// What a rule prints shows under its failing case, to see why it went the other way.
#[test]
fn a_failing_case_shows_what_the_rule_printed() {
    let rule = &minimal_rule(
        "TST003",
        "fn check(doc) {\n  print(`owner is ${doc.get(\"metadata.owner\")}`);\n  doc.fail(\"metadata\", \"no\");\n}\n",
    );
    let case = "rule: TST003\ndescription: prints\ndocument:\n  kind: AISystem\n  metadata: {owner: ann}\nexpect:\n  status: pass\n";
    let dir = tree(&[("pack/TST003.rhai", rule), ("pack/tests/TST003/case.yaml", case)]);
    let run = annexa_in(dir.path(), &["rules", "test", "pack"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("        status: expected pass, got fail\n        print: owner is ann\n"), "{}", run.stdout);
}
