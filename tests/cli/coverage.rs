//! `annexa controls --coverage` and `annexa rules doc`: every ISO/IEC 42001
//! Annex A control is covered, the 27001 controls that extend to AI are too,
//! and the committed rule reference is what the rules generate.

use crate::common::*;

fn coverage_json() -> serde_json::Value {
    let run = annexa(&["controls", "--coverage", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("JSON")
}

fn section<'a>(all: &'a serde_json::Value, standard: &str, part: &str) -> &'a serde_json::Value {
    all.as_array().unwrap().iter().find(|s| s["standard"] == standard && s["part"] == part).expect("section")
}

#[test]
fn every_iso42001_annex_a_control_is_covered() {
    let all = coverage_json();
    let annex_a = section(&all, "iso42001", "annex-a");
    assert_eq!((annex_a["covered"].as_u64(), annex_a["total"].as_u64()), (Some(38), Some(38)));
    let policy = annex_a["controls"].as_array().unwrap().iter().find(|c| c["id"] == "A.2.2").unwrap();
    assert_eq!(policy["rules"], serde_json::json!(["AIMS001"]));
    let text = annexa(&["controls", "--coverage"]);
    assert!(text.stdout.starts_with("ISO/IEC 42001:2023 Annex A: 38 of 38 covered\n"), "{}", text.stdout);
    assert!(
        text.stdout.contains("\n  A.10.4       Customers                                                  AIS031\n"),
        "{}",
        text.stdout
    );
}

/// The ISO/IEC 27001 controls that extend to AI systems (issue 3, part 4) each have a rule.
#[test]
fn the_27001_controls_that_extend_to_ai_are_covered() {
    let all = coverage_json();
    let annex_a = section(&all, "iso27001", "annex-a");
    let wanted = [
        "A.5.9", "A.5.10", "A.5.11", "A.5.12", "A.5.13", "A.5.14", "A.5.15", "A.5.16", "A.5.17", "A.5.18", "A.5.19", "A.5.20", "A.5.21",
        "A.5.22", "A.5.24", "A.5.25", "A.5.26", "A.5.27", "A.5.28", "A.5.34", "A.8.15", "A.8.16", "A.8.24",
    ];
    for id in wanted {
        let control = annex_a["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
        assert!(!control["rules"].as_array().unwrap().is_empty(), "ISO/IEC 27001 {id} has no rule");
    }
}

#[test]
fn coverage_counts_only_the_selected_rules() {
    let run = annexa(&["controls", "--coverage", "--no-builtin"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("ISO/IEC 42001:2023 Annex A: 0 of 38 covered\n  A.2.2        AI policy"), "{}", run.stdout);
}

#[test]
fn the_committed_rule_reference_is_up_to_date() {
    let run = annexa(&["rules", "doc"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let committed = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    assert!(run.stdout == committed, "docs/rules.md is out of date: run `cargo run -- rules doc --output docs/rules.md`");
    assert!(committed.contains("\n## CORP001\n\n**Every model provider is in the AIMS supplier register**\n"));
}

#[test]
fn rules_doc_writes_to_a_file() {
    let dir = tree(&[]);
    let run = annexa_in(dir.path(), &["rules", "doc", "--output", "rules.md"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    let written = std::fs::read_to_string(dir.path().join("rules.md")).unwrap();
    assert!(written.starts_with("# Rule reference\n"));
    assert!(written.contains("\n## AIS005\n"));
}
