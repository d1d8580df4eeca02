//! `annexa scan`: findings, positions, exit codes, formats, determinism,
//! sandbox limits and bad input.

use crate::common::*;

const OWNER_RULE: &str = r#"const RULE = #{ id: "T001", title: "Systems name an owner", severity: "medium", kinds: ["AISystem"],
  controls: #{ iso42001: ["A.3.2"], iso27001: ["A.5.9"] }, remediation: "Set metadata.owner." };
fn check(doc) { if !doc.present("metadata.owner") { doc.fail("metadata.owner", "the system has no owner"); } }
"#;

fn owner_tree(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        ("rules/T001.rhai", OWNER_RULE),
        ("docs/a.yaml", "kind: AISystem\nmetadata:\n  name: a\n  owner: x@example.com\n"),
        ("docs/b.yaml", "kind: AISystem\nmetadata:\n  name: b\nspec: {}\n"),
    ];
    files.extend_from_slice(extra);
    tree(&files)
}

#[test]
fn fixtures_fail_with_exit_code_1_and_located_findings() {
    let run = annexa(&["scan", "fixtures/", "--now", "2025-06-01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(
        "fixtures/coding-agent.yaml:39:7  HIGH      AIS005  tool \"run_tests\" (effect: code-execution) runs without human approval\n"
    ));
    assert!(!run.stdout.contains("fixtures/support-assistant.yaml:"), "the compliant fixture has no finding");
    assert_eq!(run.stderr, "");
}

#[test]
fn text_output_is_exact() {
    let dir = owner_tree(&[]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--now", "2025-06-01"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "docs/b.yaml:2:1  MEDIUM    T001  the system has no owner
  |
2 | metadata:
  | ^^^^^^^^^
   = missing: metadata.owner (shown at metadata)
   = controls: ISO/IEC 42001 A.3.2 · ISO/IEC 27001 A.5.9
   = fix: Set metadata.owner.

1 finding (1 medium), 1 at or above low; outcomes: 1 pass, 1 fail, 0 not applicable, 0 error; 2 documents in 2 files; 0 errors.
"
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = owner_tree(&[]);
    let scan = |fail_on: &str| annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--fail-on", fail_on]).code;
    assert_eq!(scan("info"), 1);
    assert_eq!(scan("medium"), 1);
    assert_eq!(scan("high"), 0);
    assert_eq!(scan("critical"), 0);
}

#[test]
fn json_holds_every_outcome_with_positions() {
    let dir = owner_tree(&[]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--format", "json", "--now", "2025-06-01"]);
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["schema"], "annexa.report/v1");
    assert_eq!(v["now"], "2025-06-01");
    assert_eq!(v["rules"][0]["id"], "T001");
    assert_eq!(
        v["rules"][0]["controls"][0],
        serde_json::json!({"standard": "iso27001", "id": "A.5.9", "title": "Inventory of information and other associated assets"})
    );
    assert_eq!(v["files"][0]["path"], "docs/a.yaml");
    assert_eq!(v["files"][0]["outcomes"][0]["status"], "pass");
    assert_eq!(v["files"][1]["documents"][0]["identity"], "b");
    let finding = &v["files"][1]["outcomes"][0]["findings"][0];
    assert_eq!(finding["path"], "metadata.owner");
    assert_eq!(finding["located_at"], "metadata");
    assert_eq!(finding["region"], serde_json::json!({"start": {"line": 2, "col": 1}, "end": {"line": 4, "col": 1}}));
    assert_eq!(v["summary"]["outcomes"], serde_json::json!({"pass": 1, "fail": 1}));
    assert_eq!(v["summary"]["failing"], 1);
}

#[test]
fn output_is_identical_across_thread_counts() {
    let mut files: Vec<(String, String)> = Vec::new();
    let base = std::fs::read_to_string(root().join("fixtures/coding-agent.yaml")).unwrap();
    let good = std::fs::read_to_string(root().join("fixtures/support-assistant.yaml")).unwrap();
    for i in 0..120 {
        let text = if i % 3 == 0 {
            good.replace("support-assistant", &format!("sys-{i}"))
        } else {
            base.replace("coding-agent", &format!("sys-{i}"))
        };
        files.push((format!("d{}/sys-{i}.yaml", i % 7), text));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let dir = tree(&refs);
    for format in ["text", "json"] {
        let one = annexa_in(dir.path(), &["scan", ".", "--now", "2025-06-01", "--format", format, "--threads", "1"]);
        let two = annexa_in(dir.path(), &["scan", ".", "--now", "2025-06-01", "--format", format, "--threads", "2"]);
        assert_eq!(one.code, 1);
        assert!(one.stdout.len() > 10_000);
        assert!(one.stdout == two.stdout, "{format} output differs between 1 and 2 threads");
    }
}

#[test]
fn a_looping_rule_and_a_huge_string_are_errors_and_the_scan_goes_on() {
    let looping = r#"const RULE = #{ id: "T002", title: "t", severity: "low", kinds: ["*"], controls: #{ iso42001: ["A.9.2"] }, remediation: "r" };
fn check(doc) { let n = 0; loop { n += 1; } }
"#;
    let huge = r#"const RULE = #{ id: "T003", title: "t", severity: "low", kinds: ["*"], controls: #{ iso42001: ["A.9.2"] }, remediation: "r" };
fn check(doc) { let s = "x"; loop { s += s; } }
"#;
    let dir = owner_tree(&[("rules/T002.rhai", looping), ("rules/T003.rhai", huge)]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--format", "json"]);
    assert_eq!(run.code, 2, "an outcome that could not be evaluated gives exit code 2");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let outcomes = v["files"][0]["outcomes"].as_array().unwrap();
    assert_eq!(
        outcomes.iter().map(|o| (o["rule"].as_str().unwrap(), o["status"].as_str().unwrap())).collect::<Vec<_>>(),
        [("T001", "pass"), ("T002", "error"), ("T003", "error")]
    );
    // Which limit stops the loop first depends on the build's speed: the operation count or the clock.
    let message = outcomes[1]["error"]["message"].as_str().unwrap();
    assert!(["operation limit exceeded (does the rule loop forever?)", "time limit of 2000 ms exceeded"].contains(&message), "{message}");
    assert!(outcomes[2]["error"]["message"].as_str().unwrap().contains("exceeds its size limit"), "{}", outcomes[2]["error"]);
    assert_eq!(v["files"][1]["outcomes"][0]["status"], "fail", "the other rule still ran on the other file");
}

#[test]
fn a_runtime_error_names_the_rule_line() {
    let divide = r#"const RULE = #{ id: "T008", title: "t", severity: "low", kinds: ["*"], controls: #{ iso42001: ["A.9.2"] }, remediation: "r" };
fn check(doc) {
    let x = 1 / 0;
}
"#;
    let dir = owner_tree(&[("rules/T008.rhai", divide)]);
    let run = annexa_in(dir.path(), &["scan", "docs/a.yaml", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.starts_with(
            "docs/a.yaml:1:1  ERROR     T008  rule could not be evaluated: Division by zero: 1 / 0 (at rules/T008.rhai:3:15)\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn malformed_input_is_located_and_the_rest_is_scanned() {
    let dir = owner_tree(&[
        ("docs/c.yaml", "kind: AISystem\nmetadata: {name: c\n"),
        ("docs/d.json", "{\"kind\": \"AISystem\", \"a\": 1, \"a\": 2}"),
    ]);
    std::fs::write(dir.path().join("docs/f.yaml"), b"kind: AISystem\nmetadata: {name: \xff}\n").unwrap();
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("docs/c.yaml:3:1: while parsing a flow mapping, did not find expected ',' or '}'"), "{}", run.stderr);
    assert!(run.stderr.contains("docs/d.json:1:30: duplicate key `a` (first defined at line 1, column 22)"), "{}", run.stderr);
    assert!(run.stderr.contains("docs/f.yaml:2:18: invalid UTF-8 at byte 32"), "{}", run.stderr);
    assert!(run.stdout.contains("docs/b.yaml:2:1  MEDIUM    T001  the system has no owner"), "good files are still evaluated");
    assert!(run.stdout.contains("; 3 errors."), "{}", run.stdout);
}

#[test]
fn yaml_1_1_booleans_stay_strings_for_rules() {
    let rule = r#"const RULE = #{ id: "T004", title: "t", severity: "low", kinds: ["*"], controls: #{ iso42001: ["A.9.2"] }, remediation: "r" };
fn check(doc) { for k in ["a", "b", "c", "d", "e"] { let v = doc.get(k); doc.fail(k, `${type_of(v)}:${v}`); } }
"#;
    let dir = tree(&[("rules/T004.rhai", rule), ("x.yaml", "a: no\nb: off\nc: yes\nd: on\ne: y\n")]);
    let run = annexa_in(dir.path(), &["scan", "x.yaml", "--no-builtin", "--rules", "rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let messages: Vec<&str> =
        v["files"][0]["outcomes"][0]["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["string:no", "string:off", "string:yes", "string:on", "string:y"]);
}

#[test]
fn broken_rules_are_located_errors_and_other_rules_run() {
    let unknown_control = r#"const RULE = #{ id: "T005", title: "t", severity: "low", kinds: ["*"],
    controls: #{ iso42001: ["A.99.1"] }, remediation: "r" };
fn check(doc) {}
"#;
    let syntax = "const RULE = #{ id: \"T006\" };\nfn check(doc) { let = ; }\n";
    let bad_severity = r#"const RULE = #{ id: "T007", title: "t", severity: "urgent", kinds: ["*"], controls: #{ iso42001: ["A.9.2"] }, remediation: "r" };
fn check(doc) {}
"#;
    let dir = owner_tree(&[("rules/T005.rhai", unknown_control), ("rules/T006.rhai", syntax), ("rules/T007.rhai", bad_severity)]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("rules/T005.rhai:2:5: unknown control `A.99.1` in iso42001"), "{}", run.stderr);
    assert!(run.stderr.contains("help: run `annexa controls` to list the control ids of each standard"), "{}", run.stderr);
    assert!(run.stderr.contains("rules/T006.rhai:2:21: syntax error"), "{}", run.stderr);
    assert!(run.stderr.contains("rules/T007.rhai:1:41: unknown severity `urgent`"), "{}", run.stderr);
    assert!(run.stdout.contains("docs/b.yaml:2:1  MEDIUM    T001"), "the good rule still ran");
}

#[test]
fn duplicate_rule_ids_are_refused() {
    let dir = owner_tree(&[("rules/more/T001.rhai", OWNER_RULE)]);
    let run = annexa_in(dir.path(), &["rules", "list", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("rules/more/T001.rhai:1:17: rule id `T001` is already used by rules/T001.rhai"), "{}", run.stderr);
}

#[test]
fn bad_arguments_exit_2_with_a_hint() {
    let run = annexa(&["scan", "fixtures", "--now", "yesterday"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid --now `yesterday`"), "{}", run.stderr);
    assert!(run.stderr.contains("write the date as YYYY-MM-DD"), "{}", run.stderr);
    let run = annexa(&["scan", "--format", "pdf"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'pdf' for '--format <FORMAT>'"), "{}", run.stderr);
    let run = annexa(&["scan", "no/such/path", "--no-builtin"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/path: cannot read: No such file or directory"), "{}", run.stderr);
}

#[test]
fn walking_skips_default_folders_and_honours_globs() {
    let doc = "kind: AISystem\nmetadata: {name: n}\n";
    let dir = owner_tree(&[
        ("docs/node_modules/x.yaml", doc),
        ("docs/target/x.yaml", doc),
        ("docs/.git/x.yaml", doc),
        ("docs/.vscode/mcp.yaml", doc),
        ("docs/skip/me.yaml", doc),
        ("docs/notes.txt", "not scanned"),
    ]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--exclude", "**/skip/**", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let paths: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["docs/.vscode/mcp.yaml", "docs/a.yaml", "docs/b.yaml"]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--include", "**/a.yaml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 1);
}

/// The walk runs on a thread of its own while the rules compile; its
/// errors still end the scan as they did.
#[test]
fn an_invalid_glob_ends_the_scan_with_its_error() {
    let dir = owner_tree(&[]);
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--include", "a[b", "--format", "json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid glob `a[b`"), "{}", run.stderr);
    assert!(run.stderr.contains("unclosed character class"), "{}", run.stderr);
    assert_eq!(run.stdout, "", "nothing is reported for a scan that did not start");
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_unless_asked_and_loops_are_survived() {
    let dir = owner_tree(&[]);
    std::os::unix::fs::symlink("../docs", dir.path().join("docs/loop")).unwrap();
    std::os::unix::fs::symlink("a.yaml", dir.path().join("docs/link.yaml")).unwrap();
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(
        v["summary"]["skipped"][0],
        serde_json::json!({"path": "docs/link.yaml", "reason": "symbolic link not followed (use --follow)"})
    );
    let run = annexa_in(dir.path(), &["scan", "docs", "--no-builtin", "--rules", "rules", "--follow", "--format", "json"]);
    assert_eq!(run.code, 2, "a loop is reported as an error");
    assert!(run.stderr.contains("symbolic link loop"), "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 3, "a.yaml, b.yaml and the followed link");
}

#[test]
fn rules_list_and_controls() {
    let run = annexa(&["rules", "list", "--format", "json"]);
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"AIS005") && ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let run = annexa(&["controls"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("    iso42001:A.5.2 AI system impact assessment process\n"), "{}", &run.stdout[..500]);
    assert!(run.stdout.contains("    iso27001:A.5.2 Information security roles and responsibilities\n"));
    let run = annexa(&["controls", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let annex_a = |s: usize| v["standards"][s]["controls"].as_array().unwrap().iter().filter(|c| c["part"] == "annex-a").count();
    assert_eq!((v["standards"][0]["id"].as_str().unwrap(), annex_a(0)), ("iso42001", 38));
    assert_eq!((v["standards"][1]["id"].as_str().unwrap(), annex_a(1)), ("iso27001", 93));
}

/// A scan that finds nothing to read says so on standard error: its
/// summary of zeroes and exit 0 would otherwise read like a clean scan.
#[test]
fn a_scan_with_nothing_to_read_says_so() {
    let run = annexa(&["scan", "fixtures", "--exclude", "*", "--now", "2025-06-01"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.ends_with("0 documents in 0 files; 0 errors.\n"), "{}", run.stdout);
    assert_eq!(
        run.stderr,
        "note: no file to scan: the paths hold no .yaml, .yml, .json or .md file that --include and --exclude let through\n"
    );
}

/// One folder named twice, relative and absolute, is scanned once, under the spelling named first.
#[test]
fn a_folder_named_twice_under_two_spellings_is_scanned_once() {
    let dir = owner_tree(&[]);
    let absolute = dir.path().join("docs");
    let once = annexa_in(dir.path(), &["scan", "--no-builtin", "--rules", "rules", "--now", "2025-07-01", "docs"]);
    let twice =
        annexa_in(dir.path(), &["scan", "--no-builtin", "--rules", "rules", "--now", "2025-07-01", "docs", absolute.to_str().unwrap()]);
    assert_eq!(once.code, 1, "{}", once.stderr);
    assert!(once.stdout.contains("2 documents in 2 files"), "{}", once.stdout);
    assert_eq!((twice.code, &twice.stdout, &twice.stderr), (once.code, &once.stdout, &once.stderr));
}

/// Rules pointed at but not there: the scan still runs, and says why it found nothing.
#[test]
fn an_empty_rule_folder_and_no_rules_at_all_are_noted() {
    let dir = owner_tree(&[("empty/README.md", "no rules yet\n")]);
    let run = annexa_in(dir.path(), &["scan", "--rules", "empty", "--rules", "rules", "--no-builtin", "--now", "2025-07-01", "docs"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "note: empty: no rule file (.rhai) in this folder\n");
    let run = annexa_in(dir.path(), &["scan", "--rules", "empty", "--no-builtin", "--now", "2025-07-01", "docs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "note: empty: no rule file (.rhai) in this folder\nnote: no rule to evaluate: the built-in rules are off (--no-builtin, or `builtin: false` in the config) and no rule folder holds one\n"
    );
    assert!(
        run.stdout.ends_with("outcomes: 0 pass, 0 fail, 0 not applicable, 0 error; 2 documents in 2 files; 0 errors.\n"),
        "{}",
        run.stdout
    );
}
