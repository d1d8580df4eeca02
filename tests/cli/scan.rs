//! `annexa scan`: findings, positions, exit codes, formats.

use crate::common::*;

#[test]
fn fixtures_fail_with_exit_code_1_and_located_findings() {
    let run = annexa(&["scan", "fixtures/", "--now", "2025-06-01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(
        "fixtures/coding-agent.yaml:39:7  HIGH      AIS005  tool \"run_tests\" (effect: code-execution) runs without human approval\n"
    ));
    assert!(!run.stdout.contains("fixtures/support-assistant.yaml:"), "the compliant fixture has no finding");
}
