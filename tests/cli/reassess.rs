//! Re-assessment end to end, in a temporary git repository: `baseline record`,
//! `scan --dispositions`, `waive`. Each case changes one thing and checks
//! exactly what is reopened, why, and the exit code.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const NOW: &str = "2025-06-01";
const FILE: &str = "annexa.dispositions.yaml";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository holding the compliant fixture, recorded on NOW and committed.
fn recorded_repo() -> tempfile::TempDir {
    let fixture = std::fs::read_to_string(root().join("fixtures/support-assistant.yaml")).unwrap();
    let dir = tree(&[("support-assistant.yaml", &fixture)]);
    git(dir.path(), &["init", "-q"]);
    let n = 11;
    let run = starter_in(dir.path(), &["baseline", "record", "--now", NOW, "--reviewer", "alice"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{FILE}: written ({n} added, 0 updated, 0 unchanged, 0 removed; {n} dispositions, 0 waivers)\n"));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "baseline"]);
    dir
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} in {file}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Runs annexa with the frozen starter pack in `tests/rules/starter` instead of
/// the built-in rules, so these expectations do not move when the pack grows.
fn starter_in(dir: &Path, args: &[&str]) -> Run {
    let starter = root().join("tests/rules/starter");
    let mut args = args.to_vec();
    if !args.contains(&"--no-builtin") {
        args.extend_from_slice(&["--no-builtin", "--rules", starter.to_str().unwrap()]);
    }
    annexa_in(dir, &args)
}

fn scan(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", "--dispositions", FILE];
    if !extra.contains(&"--now") {
        args.extend_from_slice(&["--now", NOW]);
    }
    args.extend_from_slice(extra);
    starter_in(dir, &args)
}

/// The re-assessment lines of a text report (findings and their snippets left out).
fn reassess_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with("dispositions ("))
        .filter(|l| l.contains(" reassess: ") || l.contains(" waive") || l.contains(" resolved: "))
        .collect()
}

fn last_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or_default()
}

#[test]
fn recording_again_without_changes_is_byte_identical() {
    let dir = recorded_repo();
    let run = starter_in(dir.path(), &["baseline", "record", "--now", "2025-07-15"]);
    assert_eq!(run.stdout, format!("{FILE}: no change (0 added, 0 updated, 11 unchanged, 0 removed; 11 dispositions, 0 waivers)\n"));
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "", "nothing changed, not even the assessed dates");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.lines().rev().nth(1),
        Some(format!("dispositions ({FILE}): 0 reassess due, 0 new, 0 resolved, 11 unchanged; waivers: 0 held, 0 lapsed.").as_str())
    );
}

#[test]
fn swapping_a_model_provider_reopens_with_old_and_new_in_one_line() {
    let dir = recorded_repo();
    edit(dir.path(), "support-assistant.yaml", "provider: openai ", "provider: mistral");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        reassess_lines(&run.stdout),
        [
            "support-assistant.yaml  HIGH      support-assistant AIS003 reassess: spec.models[0].provider changed \"openai\" → \"mistral\" (assessed 2025-06-01)",
            "support-assistant.yaml  MEDIUM    support-assistant AIS007 reassess: spec.models[0].provider changed \"openai\" → \"mistral\" (assessed 2025-06-01)",
            "support-assistant.yaml  MEDIUM    support-assistant AIS009 reassess: spec.models[0].provider changed \"openai\" → \"mistral\" (assessed 2025-06-01)",
        ]
    );
    // The JSON report carries the same: status, reason and the trigger with old and new values.
    let json: serde_json::Value = serde_json::from_str(&scan(dir.path(), &["--format", "json"]).stdout).unwrap();
    let ais003 = json["files"][0]["outcomes"].as_array().unwrap().iter().find(|o| o["rule"] == "AIS003").unwrap();
    assert_eq!(ais003["disposition"]["status"], "reassess_due");
    assert_eq!(ais003["disposition"]["reason"], "spec.models[0].provider changed \"openai\" → \"mistral\"");
    assert_eq!(
        ais003["disposition"]["triggers"],
        serde_json::json!([{"trigger": "changed", "path": "spec.models[0].provider", "old": "\"openai\"", "new": "\"mistral\""}])
    );
    assert_eq!(json["reassess"], serde_json::json!({"dispositions": FILE, "reassess_fails": true}));
    assert_eq!(json["summary"]["dispositions"]["statuses"]["reassess_due"], 3);
}

#[test]
fn a_passing_outcome_due_for_review_fails_unless_told_otherwise() {
    let dir = recorded_repo();
    edit(dir.path(), "support-assistant.yaml", "version: \"2024-08-06\"", "version: \"2024-11-20\"");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "reassess_due counts as failing at the rule's severity");
    assert_eq!(reassess_lines(&run.stdout).len(), 3);
    assert!(run.stdout.contains("0 findings, 3 at or above low;"), "{}", last_line(&run.stdout));
    let run = scan(dir.path(), &["--reassess-fails", "false"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = scan(dir.path(), &["--fail-on", "high"]);
    assert_eq!(run.code, 1, "AIS003 is high");
    // Recording after review closes them: only the three entries change.
    let run = starter_in(dir.path(), &["baseline", "record", "--now", "2025-06-10", "--reviewer", "bob"]);
    assert_eq!(run.stdout, format!("{FILE}: written (0 added, 3 updated, 8 unchanged, 0 removed; 11 dispositions, 0 waivers)\n"));
    let diff = git(dir.path(), &["diff", "--stat", "--", FILE]);
    assert!(diff.contains("1 file changed, 12 insertions(+), 12 deletions(-)"), "{diff}");
    assert_eq!(scan(dir.path(), &["--now", "2025-06-10"]).code, 0);
}

#[test]
fn unwatched_values_reformatting_and_moves_reopen_nothing() {
    let dir = recorded_repo();
    // Values no rule reads or watches.
    edit(dir.path(), "support-assistant.yaml", "review_interval_days: 30", "review_interval_days: 14");
    edit(dir.path(), "support-assistant.yaml", "title: Customer support assistant", "title: Support bot");
    // Comments gone, keys reordered, the file moved: the identity is metadata.name.
    let text = std::fs::read_to_string(dir.path().join("support-assistant.yaml")).unwrap();
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split(" #").next().unwrap().trim_end().to_string() + "\n")
        .collect();
    let (head, spec) = body.split_once("spec:\n").unwrap();
    std::fs::create_dir(dir.path().join("systems")).unwrap();
    std::fs::write(dir.path().join("systems/assistant.yml"), format!("spec:\n{spec}{head}")).unwrap();
    std::fs::remove_file(dir.path().join("support-assistant.yaml")).unwrap();
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(reassess_lines(&run.stdout).is_empty(), "{}", run.stdout);
    assert!(run.stdout.contains("0 reassess due, 0 new, 0 resolved, 11 unchanged"));
    let run = starter_in(dir.path(), &["baseline", "record", "--now", "2025-06-20"]);
    assert!(run.stdout.starts_with(&format!("{FILE}: no change")), "{}", run.stdout);
}

#[test]
fn dispositions_expire_after_the_rules_every() {
    let dir = recorded_repo();
    let run = scan(dir.path(), &["--now", "2025-11-27"]);
    assert_eq!((run.code, reassess_lines(&run.stdout)), (0, vec![]), "the day before the first due date");
    // AIS005 and AIS010 say every: 180d (AIS002 does not apply, so it was not recorded).
    let run = scan(dir.path(), &["--now", "2025-11-28"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        reassess_lines(&run.stdout),
        [
            "support-assistant.yaml  HIGH      support-assistant AIS005 reassess: expired: assessed 2025-06-01, every 180d, due since 2025-11-28 (assessed 2025-06-01)",
            "support-assistant.yaml  CRITICAL  support-assistant AIS010 reassess: expired: assessed 2025-06-01, every 180d, due since 2025-11-28 (assessed 2025-06-01)",
        ]
    );
    let run = scan(dir.path(), &["--now", "2026-06-01"]);
    assert_eq!(reassess_lines(&run.stdout).len(), 11, "365d has passed too");
    // Recording again renews only the expired entries; their evidence has not changed and stays.
    let run = starter_in(dir.path(), &["baseline", "record", "--now", "2025-11-28"]);
    assert_eq!(run.stdout, format!("{FILE}: written (0 added, 2 updated, 9 unchanged, 0 removed; 11 dispositions, 0 waivers)\n"));
    let diff = git(dir.path(), &["diff", "-U0", "--", FILE]);
    let changed: Vec<&str> = diff.lines().filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---")).collect();
    assert_eq!(
        changed,
        [
            "-    assessed: 2025-06-01",
            "-    reviewer: alice",
            "+    assessed: 2025-11-28",
            "-    assessed: 2025-06-01",
            "-    reviewer: alice",
            "+    assessed: 2025-11-28"
        ]
    );
    assert_eq!(scan(dir.path(), &["--now", "2025-11-28"]).code, 0);
}

const RULE: &str = r#"// Tools that change things need approval.
const RULE = #{
    id: "T200", title: "Write tools need approval", severity: "high", kinds: ["AISystem"],
    controls: #{ iso42001: ["A.9.2"] },
    reassess: #{ on_change: ["spec.owner"], every: "90d" },
    remediation: "Set requires_approval.",
};
fn check(doc) {
    for (t, i) in doc.list("spec.tools") {
        if t.requires_approval != true { doc.fail(`spec.tools[${i}]`, `tool "${t.name}" needs approval`); }
    }
}
"#;

const BOT: &str = "apiVersion: annexa/v1\nkind: AISystem\nmetadata: {name: bot}\nspec:\n  owner: team-a\n  tools:\n    - {name: run_tests, effect: code-execution}\n";

fn custom_repo() -> tempfile::TempDir {
    let dir = tree(&[("rules/T200.rhai", RULE), ("systems/bot.yaml", BOT)]);
    git(dir.path(), &["init", "-q"]);
    dir
}

const CUSTOM: [&str; 4] = ["--no-builtin", "--rules", "rules", "systems"];

fn custom(dir: &Path, command: &[&str], now: &str) -> Run {
    let mut args: Vec<&str> = command.to_vec();
    args.extend_from_slice(&CUSTOM);
    args.extend_from_slice(&["--now", now]);
    if command[0] == "scan" {
        args.extend_from_slice(&["--dispositions", FILE]);
    }
    starter_in(dir, &args)
}

#[test]
fn a_changed_rule_reopens_its_dispositions_and_watched_paths_count() {
    let dir = custom_repo();
    assert_eq!(custom(dir.path(), &["baseline", "record"], NOW).code, 0);
    assert_eq!(custom(dir.path(), &["scan"], NOW).code, 1, "the failure itself still fails");
    edit(dir.path(), "systems/bot.yaml", "owner: team-a", "owner: team-b");
    assert_eq!(
        reassess_lines(&custom(dir.path(), &["scan"], NOW).stdout),
        ["systems/bot.yaml  HIGH      bot T200 reassess: spec.owner changed \"team-a\" → \"team-b\" (assessed 2025-06-01)"],
        "spec.owner is watched (on_change) though the rule never reads it"
    );
    edit(dir.path(), "systems/bot.yaml", "owner: team-b", "owner: team-a");
    edit(
        dir.path(),
        "rules/T200.rhai",
        "// Tools that change things need approval.",
        "// Tools that change things need a person's approval.",
    );
    assert_eq!(
        reassess_lines(&custom(dir.path(), &["scan"], NOW).stdout),
        ["systems/bot.yaml  HIGH      bot T200 reassess: the rule's source changed (assessed 2025-06-01)"]
    );
}

#[test]
fn a_waiver_holds_then_lapses_on_change_and_on_expiry() {
    let dir = custom_repo();
    let waive = |extra: &[&str]| {
        let mut args =
            vec!["waive", "T200", "--system", "bot", "--reason", "runs in a sandbox", "--by", "Bob Smith", "--expires", "2025-09-01"];
        args.extend_from_slice(extra);
        custom(dir.path(), &args, NOW)
    };
    let run = waive(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(&format!("{FILE}: waived T200 on bot until 2025-09-01 (by Bob Smith; fingerprint ")), "{}", run.stdout);

    let run = custom(dir.path(), &["scan"], NOW);
    assert_eq!(run.code, 0, "a waived failure does not fail the build:\n{}", run.stdout);
    assert_eq!(
        reassess_lines(&run.stdout),
        [format!("systems/bot.yaml  HIGH      bot T200 waived: by Bob Smith until 2025-09-01: runs in a sandbox ({FILE}:6:5)").as_str()]
    );
    assert!(!run.stdout.contains("needs approval"), "the waived finding is listed as waived, not as a finding");

    // The evidence changes: the waiver lapses by itself and says why.
    edit(dir.path(), "systems/bot.yaml", "name: run_tests", "name: run_all_tests");
    let run = custom(dir.path(), &["scan"], NOW);
    assert_eq!(run.code, 1);
    assert_eq!(
        reassess_lines(&run.stdout),
        [format!("systems/bot.yaml  HIGH      bot T200 waiver lapsed: spec.tools[0].name changed \"run_tests\" → \"run_all_tests\" (granted 2025-06-01 by Bob Smith, {FILE}:6:5)").as_str()]
    );
    assert!(run.stdout.contains("tool \"run_all_tests\" needs approval"));

    // Back as it was, but the date has come.
    edit(dir.path(), "systems/bot.yaml", "name: run_all_tests", "name: run_tests");
    assert_eq!(custom(dir.path(), &["scan"], "2025-08-31").code, 0);
    let run = custom(dir.path(), &["scan"], "2025-09-01");
    assert_eq!(run.code, 1);
    assert_eq!(
        reassess_lines(&run.stdout),
        [format!("systems/bot.yaml  HIGH      bot T200 waiver lapsed: the waiver expired on 2025-09-01 (granted 2025-06-01 by Bob Smith, {FILE}:6:5)").as_str()]
    );

    // A waiver whose system is gone is reported.
    std::fs::rename(dir.path().join("systems/bot.yaml"), dir.path().join("bot.yaml")).unwrap();
    let run = custom(dir.path(), &["scan"], NOW);
    assert!(run.stdout.contains(&format!("{FILE}:6:5  waiver for bot T200 matches no outcome in this scan\n")), "{}", run.stdout);
}

#[test]
fn a_waiver_without_reason_approver_or_future_expiry_is_refused() {
    let dir = custom_repo();
    let run = custom(dir.path(), &["waive", "T200", "--system", "bot", "--by", "Bob", "--expires", "2025-09-01"], NOW);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("the following required arguments were not provided:\n  --reason <TEXT>"), "{}", run.stderr);
    let run = custom(dir.path(), &["waive", "T200", "--system", "bot", "--reason", " ", "--by", "Bob", "--expires", "2025-09-01"], NOW);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("a waiver needs a reason (--reason)"), "{}", run.stderr);
    let run = custom(dir.path(), &["waive", "T200", "--system", "bot", "--reason", "ok", "--by", "Bob", "--expires", "2025-06-01"], NOW);
    assert!(run.stderr.contains("the waiver expires on 2025-06-01, which is not after 2025-06-01"), "{}", run.stderr);
    let run = custom(dir.path(), &["waive", "T200", "--system", "nobody", "--reason", "ok", "--by", "Bob", "--expires", "2025-09-01"], NOW);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no outcome of rule T200 for system `nobody` in this scan"), "{}", run.stderr);
    assert!(!dir.path().join(FILE).exists(), "nothing was written");
}

#[test]
fn a_malformed_dispositions_file_is_located_and_left_alone() {
    let dir = custom_repo();
    let bad = "version: 1\ndispositions:\n  - system: bot\n    rule: T200\n    status: maybe\n    assessed: 2025-06-01\n    fingerprint: x\n    rule_hash: y\n    evidence: {}\n";
    std::fs::write(dir.path().join(FILE), bad).unwrap();
    let run = custom(dir.path(), &["scan"], NOW);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(&format!("{FILE}:5:5: unknown status `maybe`")), "{}", run.stderr);
    assert!(run.stdout.contains("needs approval"), "the scan went on without the file");
    let run = custom(dir.path(), &["baseline", "record"], NOW);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(&format!("{FILE}:5:5: unknown status `maybe`")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{FILE}: not modified")), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), bad);
    std::fs::write(dir.path().join(FILE), "version: 1\ndispositions: [\n").unwrap();
    let run = custom(dir.path(), &["baseline", "record"], NOW);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(&format!("{FILE}:3:1: ")), "{}", run.stderr);
}

#[test]
fn an_input_that_cannot_be_read_leaves_the_dispositions_file_alone() {
    let dir = custom_repo();
    assert_eq!(custom(dir.path(), &["baseline", "record"], NOW).code, 0);
    let recorded = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    // A second system, and a broken file beside it: record evaluates the good
    // files as they come, but writes nothing once one input has failed.
    std::fs::write(dir.path().join("systems/bot2.yaml"), BOT.replace("name: bot", "name: bot2")).unwrap();
    std::fs::write(
        dir.path().join("systems/broken.yaml"),
        "kind: AISystem
spec: [
",
    )
    .unwrap();
    let run = custom(dir.path(), &["baseline", "record"], "2025-07-01");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("systems/broken.yaml:3:1: "), "{}", run.stderr);
    assert!(
        run.stderr.ends_with(&format!("{FILE}: not modified: 1 inputs, rules or evaluations failed (`annexa scan` shows them)\n")),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), recorded);
    std::fs::remove_file(dir.path().join("systems/broken.yaml")).unwrap();
    let run = custom(dir.path(), &["baseline", "record"], "2025-07-01");
    assert_eq!(run.stdout, format!("{FILE}: written (1 added, 0 updated, 1 unchanged, 0 removed; 2 dispositions, 0 waivers)\n"));
}

/// `baseline record` and `waive` read the config as `scan` does: its rule
/// folders, disabled rules and dispositions file.
#[test]
fn record_and_waive_use_the_config_as_scan_does() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(annexa_in(dir.path(), &["init"]).code, 0);
    let run = annexa_in(dir.path(), &["baseline", "record", "--now", NOW]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let recorded = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    assert!(recorded.contains("    rule: ACME001\n"), "the config's own rule is recorded:\n{recorded}");
    let run = annexa_in(dir.path(), &["scan", "--now", NOW, "--dispositions", FILE]);
    assert!(run.stdout.contains(" 0 new, "), "a scan with the same config finds nothing new:\n{}", run.stdout);
    // The config's rule is evaluated by waive: it passes, so there is nothing to waive (not "no outcome").
    let run = annexa_in(
        dir.path(),
        &["waive", "ACME001", "--system", "support-assistant", "--reason", "r", "--by", "me", "--expires", "2026-01-01", "--now", NOW],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("rule ACME001 does not fail on system `support-assistant` (it is pass)"), "{}", run.stderr);
    // Another dispositions file and a disabled rule, named by the config.
    edit(dir.path(), "annexa.yaml", "disable: []", "disable: [ACME001]\ndispositions: reviews.yaml");
    let run = annexa_in(dir.path(), &["baseline", "record", "--now", NOW]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("reviews.yaml: written ("), "{}", run.stdout);
    let reviews = std::fs::read_to_string(dir.path().join("reviews.yaml")).unwrap();
    assert!(!reviews.contains("ACME001") && reviews.contains("    rule: AIS"), "{reviews}");
}

#[test]
fn fixed_failures_are_resolved_and_spare_waivers_are_reported() {
    let dir = custom_repo();
    assert_eq!(custom(dir.path(), &["baseline", "record"], NOW).code, 0);
    let run =
        custom(dir.path(), &["waive", "T200", "--system", "bot", "--reason", "sandboxed", "--by", "Bob", "--expires", "2025-09-01"], NOW);
    assert_eq!(run.code, 0, "{}", run.stderr);
    edit(dir.path(), "systems/bot.yaml", "effect: code-execution}", "effect: code-execution, requires_approval: true}");
    let run = custom(dir.path(), &["scan"], NOW);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        reassess_lines(&run.stdout),
        [
            "systems/bot.yaml  HIGH      bot T200 resolved: was fail (assessed 2025-06-01), now passes",
            &format!("systems/bot.yaml  HIGH      bot T200 waiver not needed: the rule no longer fails; remove the waiver ({FILE}:15:5)"),
        ]
    );
    // The system leaves the scan: its recorded failure is resolved, its waiver matches nothing.
    std::fs::write(dir.path().join("systems/bot.yaml"), "apiVersion: annexa/v1\nkind: AISystem\nmetadata: {name: other}\nspec: {}\n")
        .unwrap();
    let run = custom(dir.path(), &["scan"], NOW);
    assert!(
        run.stdout.contains(&format!("{FILE}  bot T200 resolved: was fail (assessed 2025-06-01), the system is not in this scan\n")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("{FILE}:15:5  waiver for bot T200 matches no outcome in this scan\n")));
    assert!(run.stdout.contains("0 reassess due, 1 new, 1 resolved, 0 unchanged; waivers: 0 held, 0 lapsed."));
    // A scan of the file alone (as a pre-merge hook runs it) answers only for the system it read.
    let run =
        starter_in(dir.path(), &["scan", "systems/bot.yaml", "--no-builtin", "--rules", "rules", "--now", NOW, "--dispositions", FILE]);
    assert!(!run.stdout.contains("bot T200"), "{}", run.stdout);
    assert!(run.stdout.contains("0 reassess due, 1 new, 0 resolved, 0 unchanged; waivers: 0 held, 0 lapsed."), "{}", run.stdout);
    // A partial record keeps the entry of a system it did not see; --prune drops it.
    let run = custom(dir.path(), &["baseline", "record"], NOW);
    assert!(run.stdout.contains("(1 added, 0 updated, 0 unchanged, 0 removed; 2 dispositions, 1 waivers)"), "{}", run.stdout);
    let run = custom(dir.path(), &["baseline", "record", "--prune"], NOW);
    assert!(run.stdout.contains("(0 added, 0 updated, 1 unchanged, 1 removed; 1 dispositions, 1 waivers)"), "{}", run.stdout);
}

#[test]
fn reports_without_dispositions_carry_no_reassessment_fields() {
    let dir = recorded_repo();
    let run = starter_in(dir.path(), &["scan", "--now", NOW, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for field in ["\"evidence\"", "\"disposition\"", "\"dispositions\""] {
        assert!(!run.stdout.contains(field), "{field} without --dispositions");
    }
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json.get("reassess"), None, "no top-level reassess settings (rules still describe their own `reassess`)");
    assert!(run.stdout.contains("\"fingerprint\": \""), "the fingerprint is always there");
    assert!(!starter_in(dir.path(), &["scan", "--now", NOW]).stdout.contains("dispositions ("));
}

/// Corpus rules judge the documents read together. A scan of named files,
/// or of folders narrowed by --include, is not the corpus the file was
/// recorded over: their outcomes are neither compared with it nor recorded,
/// and such a scan answers only for the systems it read.
#[test]
fn part_of_the_corpus_leaves_corpus_rules_and_other_systems_alone() {
    let names = ["support-assistant.yaml", "coding-agent.yaml", "ai-management-system.yaml"];
    let texts: Vec<String> = names.iter().map(|n| std::fs::read_to_string(root().join("fixtures").join(n)).unwrap()).collect();
    let files: Vec<(String, &str)> = names.iter().zip(&texts).map(|(n, t)| (format!("fx/{n}"), t.as_str())).collect();
    let dir = tree(&files.iter().map(|(n, t)| (n.as_str(), *t)).collect::<Vec<_>>());
    let run = annexa_in(dir.path(), &["baseline", "record", "fx", "--now", NOW]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let recorded = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    assert!(recorded.contains("    rule: CORP001\n"), "the corpus rules are recorded");
    let note = |what: &str| {
        format!("note: corpus rules CORP001, CORP002 saw only the files named or let through, not the whole corpus: their outcomes are {what}\n")
    };
    for partial in [&["fx/support-assistant.yaml"][..], &["fx", "--include", "**/support-assistant.yaml"][..]] {
        let mut args = vec!["scan", "--dispositions", FILE, "--now", NOW];
        args.extend_from_slice(partial);
        let run = annexa_in(dir.path(), &args);
        assert_eq!((run.code, run.stderr.as_str()), (0, note("not compared with the dispositions file").as_str()), "{partial:?}");
        assert!(!run.stdout.contains("CORP00") && !run.stdout.contains("not in this scan"), "{partial:?}: {}", run.stdout);
        assert!(run.stdout.contains("0 reassess due, 0 new, 0 resolved,"), "{partial:?}: {}", run.stdout);
        let mut args = vec!["baseline", "record", "--now", NOW];
        args.extend_from_slice(partial);
        let run = annexa_in(dir.path(), &args);
        assert_eq!((run.code, run.stderr.as_str()), (0, note("not recorded: their entries stay as they are").as_str()));
        assert!(run.stdout.starts_with(&format!("{FILE}: no change (0 added, 0 updated,")), "{partial:?}: {}", run.stdout);
        assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), recorded);
    }
    // Nor can a corpus rule be waived over part of the corpus.
    let waive =
        ["waive", "CORP001", "--system", "support-assistant", "--reason", "r", "--by", "b", "--expires", "2026-01-01", "--now", NOW];
    let run = annexa_in(dir.path(), &[&waive[..], &["fx/support-assistant.yaml"]].concat());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("CORP001 is a corpus rule: its outcome over the files named or let through is not the one"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), recorded);
    // The whole folder is the corpus: compared, and quiet.
    let run = annexa_in(dir.path(), &["scan", "fx", "--dispositions", FILE, "--now", NOW]);
    assert_eq!(run.stderr, "");
    assert!(run.stdout.contains("0 reassess due, 0 new, 0 resolved,"), "{}", run.stdout);
}
