//! The fixtures: six AISystems of different shapes and the
//! AIManagementSystem, scanned together (so corpus rules see the register and
//! the inventory), each with exactly the findings it is meant to have. And the
//! reference example has no failure at medium or above: false positives are bugs.

use std::collections::BTreeMap;

use crate::common::*;

/// `line:col RULE` of every finding, by file, from the text report.
fn findings_by_file(stdout: &str) -> BTreeMap<String, Vec<String>> {
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        let (Some(location), Some(_severity), Some(rule)) = (words.next(), words.next(), words.next()) else { continue };
        let mut parts = location.rsplitn(3, ':');
        let (Some(col), Some(line_no), Some(file)) = (parts.next(), parts.next(), parts.next()) else { continue };
        if file.starts_with("fixtures/") && col.parse::<u32>().is_ok() && line_no.parse::<u32>().is_ok() {
            by_file.entry(file.to_string()).or_default().push(format!("{line_no}:{col} {rule}"));
        }
    }
    by_file
}

fn scan_fixtures() -> BTreeMap<String, Vec<String>> {
    let run = annexa(&["scan", "fixtures/", "--now", "2025-06-01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    findings_by_file(&run.stdout)
}

#[test]
fn compliant_fixtures_have_no_findings() {
    let found = scan_fixtures();
    for file in ["ai-management-system", "support-assistant", "meeting-summariser", "shelf-vision"] {
        assert_eq!(found.get(&format!("fixtures/{file}.yaml")), None, "{file} is meant to be compliant");
    }
}

#[test]
fn credit_scoring_fails_on_unprepared_training_data_and_missing_explanations() {
    assert_eq!(scan_fixtures()["fixtures/credit-scoring.yaml"], ["43:7 AIS025", "87:5 AIS026"]);
}

#[test]
fn claims_triage_fails_on_encryption_redaction_and_prompt_injection() {
    assert_eq!(scan_fixtures()["fixtures/claims-triage-ft.yaml"], ["41:7 AIS033", "64:3 AIS034", "72:5 AIS012"]);
}

#[test]
fn coding_agent_fails_where_the_readme_says_and_everywhere_else_it_should() {
    let expected = [
        "8:1 AIS013",
        "8:1 AIS019",
        "8:1 AIS026",
        "8:1 AIS026",
        "8:1 AIS026",
        "10:3 AIS018",
        "10:3 AIS018",
        "10:3 AIS018",
        "12:3 AIS001",
        "14:5 AIS001",
        "15:5 AIS001",
        "18:3 AIS002",
        "18:3 AIS020",
        "22:7 AIS014",
        "23:7 AIS003",
        "25:7 AIS014",
        "28:7 AIS007",
        "30:7 AIS004",
        "30:7 AIS015",
        "33:3 AIS030",
        "33:3 AIS030",
        "33:3 AIS030",
        "34:5 AIS008",
        "37:5 AIS009",
        "39:7 AIS005",
        "39:7 AIS032",
        "46:3 AIS034",
        "47:5 AIS006",
        "48:5 AIS006",
        "49:3 AIS027",
        "49:3 AIS027",
        "49:3 AIS027",
        "50:5 AIS012",
        "50:5 AIS028",
        "52:7 AIS029",
        "52:7 AIS029",
        "59:9 AIS010",
        "60:9 AIS010",
    ];
    assert_eq!(scan_fixtures()["fixtures/coding-agent.yaml"], expected);
}

#[test]
fn only_the_intended_fixtures_fail() {
    let found = scan_fixtures();
    let files: Vec<&str> = found.keys().map(String::as_str).collect();
    assert_eq!(files, ["fixtures/claims-triage-ft.yaml", "fixtures/coding-agent.yaml", "fixtures/credit-scoring.yaml"]);
}

/// Corpus rules see the AIMS fixture: a provider outside its register fails, at the model.
#[test]
fn a_provider_missing_from_the_register_fails_when_scanned_with_the_aims() {
    let system =
        std::fs::read_to_string(root().join("fixtures/meeting-summariser.yaml")).unwrap().replace("provider: openai", "provider: mistral");
    let aims = std::fs::read_to_string(root().join("fixtures/ai-management-system.yaml")).unwrap();
    let dir = tree(&[("summariser.yaml", &system), ("aims.yaml", &aims)]);
    let run = annexa_in(dir.path(), &["scan", ".", "--now", "2025-06-01"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("summariser.yaml:24:7  HIGH      CORP001  model provider \"mistral\" is not in the organisation's supplier register"),
        "{}",
        run.stdout
    );
    let alone = annexa_in(dir.path(), &["scan", "summariser.yaml", "--now", "2025-06-01"]);
    assert!(!alone.stdout.contains("CORP001"), "without the AIMS there is no register to compare with:\n{}", alone.stdout);
}

#[test]
fn the_reference_example_has_no_failure_at_medium_or_above() {
    let run = annexa(&["scan", "../shared/spec/ai-system.example.yaml", "--now", "2025-06-01", "--fail-on", "medium"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
