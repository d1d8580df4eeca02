//! `annexa scan --format jsonl`: one object per finding and per other outcome.

use crate::common::*;

fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout.lines().map(|l| serde_json::from_str(l).expect("each line is one JSON object")).collect()
}

#[test]
fn findings_carry_pointer_dotted_path_and_position() {
    let run = annexa(&["scan", "fixtures/coding-agent.yaml", "--now", "2025-06-01", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = lines(&run.stdout);
    let ais005: Vec<_> = lines.iter().filter(|l| l["rule"] == "AIS005").collect();
    assert_eq!(ais005.len(), 1);
    let f = ais005[0];
    assert_eq!(f["record"], "finding");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["policy"], "AIS005");
    assert_eq!(f["doc"], "coding-agent");
    assert_eq!(f["path"], "/spec/tools/0/requires_approval");
    assert_eq!(f["dotted"], "spec.tools[0].requires_approval");
    assert_eq!(f["located_at"], "spec.tools[0]");
    assert_eq!(f["file"], "fixtures/coding-agent.yaml");
    assert_eq!((f["line"].as_u64(), f["col"].as_u64()), (Some(39), Some(7)));
}

#[test]
fn every_rule_has_a_line_per_document_and_passes_have_no_path() {
    let run = annexa(&["scan", "fixtures/support-assistant.yaml", "--now", "2025-06-01", "--format", "jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = lines(&run.stdout);
    assert!(!lines.is_empty());
    for l in &lines {
        assert_eq!(l["record"], "outcome", "{l}");
        assert!(matches!(l["status"].as_str(), Some("pass" | "not_applicable")), "{l}");
        assert!(l.get("path").is_none(), "{l}");
        assert_eq!(l["doc"], "support-assistant");
    }
    let mut rules: Vec<&str> = lines.iter().filter_map(|l| l["rule"].as_str()).collect();
    rules.dedup();
    assert_eq!(rules.len(), lines.len(), "one line per rule on the one document");
}

#[test]
fn input_errors_are_lines_and_other_files_still_evaluated() {
    let dir = tree(&[("bad.yaml", "a: [1, 2\nb: 3\n"), ("good.yaml", "kind: AISystem\nmetadata: {name: good}\nspec: {}\n")]);
    let run = annexa_in(dir.path(), &["scan", ".", "--now", "2025-06-01", "--format", "jsonl"]);
    assert_eq!(run.code, 2);
    let lines = lines(&run.stdout);
    let first = &lines[0];
    assert_eq!(first["record"], "input_error");
    assert_eq!(first["file"], "bad.yaml");
    assert_eq!(first["line"], 2);
    assert!(lines.iter().any(|l| l["doc"] == "good" && l["status"] == "fail"));
}

#[test]
fn benchmark_policies_report_json_pointers() {
    let doc = "kind: AISystem\nmetadata: {name: b}\nspec:\n  tools:\n    - {name: a, effect: read}\n    - {name: b, effect: write}\n  logging: {events: [tool_calls], retention_days: 365}\n";
    let dir = tree(&[("b.yaml", doc)]);
    let rules = root().join("benches/policies");
    let run = annexa_in(
        dir.path(),
        &["scan", "--no-builtin", "--rules", rules.to_str().unwrap(), "--now", "2025-07-01", "--format", "jsonl", "b.yaml"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let fails: Vec<_> = lines(&run.stdout).into_iter().filter(|l| l["status"] == "fail").collect();
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert_eq!(fails[0]["policy"], "P05");
    assert_eq!(fails[0]["path"], "/spec/tools/1/requires_approval");
    assert_eq!((fails[0]["line"].as_u64(), fails[0]["col"].as_u64()), (Some(6), Some(7)));
}
