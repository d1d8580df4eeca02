//! CI integration (issue 5): every output format's exact bytes on the
//! fixtures (snapshots in tests/snapshots/, checked against the SARIF and
//! JUnit schemas), --format/--output pairs, render and shard merging,
//! --fail-on exit codes, the config file, stdin, --changed and init.
//!
//! Snapshots: `UPDATE_SNAPSHOTS=1 cargo test --test cli ci::` rewrites them;
//! review the diff before committing.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;

const NOW: &str = "2025-06-01";

/// Compares `actual` with the committed snapshot (the version redacted).
fn snapshot(name: &str, actual: &str) {
    let redacted = actual.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let path = root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &redacted).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {name}: run with UPDATE_SNAPSHOTS=1"));
    if expected != redacted {
        let line = expected.lines().zip(redacted.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!("{name} differs from its snapshot (first difference at line {line}):\n--- expected\n{expected}\n--- actual\n{redacted}");
    }
}

fn scan_fixtures(format: &str) -> Run {
    let run = annexa(&["scan", "fixtures/", "--now", NOW, "--format", format]);
    assert_eq!(run.code, 1, "the coding-agent fixture fails: {}", run.stderr);
    assert_eq!(run.stderr, "");
    run
}

#[test]
fn sarif_output_is_exact_and_valid_against_the_sarif_2_1_0_schema() {
    let run = scan_fixtures("sarif");
    snapshot("fixtures.sarif", &run.stdout);
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-2.1.0.json")).unwrap();
    // The official schema's `run.language` pattern has a stray `]`, which strict regex checkers
    // of the schema itself reject; it is escaped here in memory only (results have no `language`).
    let text = text.replace(r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    assert!(!validator.is_valid(&broken), "the schema check can fail: lines start at 1");

    let run0 = &sarif["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let listed: serde_json::Value = serde_json::from_str(&annexa(&["rules", "list", "--format", "json"]).stdout).unwrap();
    assert_eq!(rules.len(), listed.as_array().unwrap().len(), "every loaded rule is described, with or without findings");
    let ais005 = rules.iter().find(|r| r["id"] == "AIS005").unwrap();
    assert_eq!(
        ais005["help"]["text"],
        "Require human approval for write and code-execution tools (requires_approval: true), or make them read-only."
    );
    assert_eq!(ais005["properties"]["severity"], "high");
    assert!(ais005["properties"]["controls"].as_array().unwrap().contains(&"iso42001:A.9.2".into()));
    // The finding the README shows, located and fingerprinted.
    let result = run0["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "AIS005").unwrap();
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(39), Some(7)));
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "fixtures/coding-agent.yaml");
    assert_eq!(result["locations"][0]["logicalLocations"][0]["name"], "spec.tools[0].requires_approval");
    assert_eq!(result["level"], "error");
    assert_eq!(rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"], "AIS005");
    assert_eq!(result["partialFingerprints"]["annexaFinding/v1"].as_str().unwrap().len(), 32);
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_fingerprints_survive_moving_and_reformatting_the_file() {
    let original = std::fs::read_to_string(root().join("fixtures/coding-agent.yaml")).unwrap();
    let dir = tree(&[("moved/elsewhere.yaml", &format!("# a new comment\n\n{original}"))]);
    let fingerprints = |run: &Run| -> Vec<String> {
        let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["annexaFinding/v1"].as_str().unwrap().to_string())
            .collect()
    };
    let before = annexa(&["scan", "fixtures/coding-agent.yaml", "--now", NOW, "--format", "sarif"]);
    let after = annexa_in(dir.path(), &["scan", "moved/elsewhere.yaml", "--now", NOW, "--format", "sarif"]);
    assert!(after.stdout.contains("\"startLine\": 41"), "the lines moved by two");
    assert_eq!(fingerprints(&before), fingerprints(&after));
}

#[test]
fn junit_output_is_exact_and_valid_against_the_junit_schema() {
    let run = scan_fixtures("junit");
    snapshot("fixtures.junit.xml", &run.stdout);
    assert!(run.stdout.contains("<testsuite name=\"fixtures/coding-agent.yaml\" tests=\"40\" failures=\"24\" errors=\"0\" skipped=\"5\""));
    // XSD validation needs a validator; CI installs the `xmlschema` package from PyPI (see .ci/run).
    let check = "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])";
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &run.stdout).unwrap();
    let has_validator = Command::new("python3").args(["-c", "import xmlschema"]).status().is_ok_and(|s| s.success());
    if !has_validator && std::env::var_os("CI").is_none() {
        eprintln!("skipping the XSD check: `pip install xmlschema` to run it (CI does)");
        return;
    }
    let out = Command::new("python3")
        .args(["-c", check, root().join("tests/schemas/junit-10.xsd").to_str().unwrap(), file.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn github_annotations_are_exact() {
    let run = scan_fixtures("github");
    snapshot("fixtures.github.txt", &run.stdout);
    assert!(run.stdout.contains("::error file=fixtures/coding-agent.yaml,line=39,col=7,endLine=41,endColumn=5,title=AIS005 (high)%3A Tools that write or run code require approval::tool \"run_tests\" (effect: code-execution) runs without human approval%0Afix: "));
    assert!(run.stdout.contains("::warning file=fixtures/coding-agent.yaml,line=47,col=5,"), "medium is a warning");
}

#[test]
fn markdown_comment_is_exact() {
    let run = scan_fixtures("markdown");
    snapshot("fixtures.md", &run.stdout);
    assert!(run.stdout.starts_with("## annexa failed: 43 findings at or above low\n"));
    assert!(run.stdout.contains("| high | **AIS005** Tools that write or run code require approval | [fixtures/coding-agent.yaml:39:7](fixtures/coding-agent.yaml#L39) |"));
    assert!(run.stdout.contains("| ISO/IEC 42001 | A.9.2 | Processes for responsible use of AI systems | 6 |"));
}

#[test]
fn text_and_json_snapshots() {
    snapshot("fixtures.txt", &scan_fixtures("text").stdout);
    snapshot("fixtures.json", &scan_fixtures("json").stdout);
}

#[test]
fn several_format_output_pairs_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("annexa.sarif");
    let xml = dir.path().join("annexa.xml");
    let run = annexa(&[
        "scan",
        "fixtures/",
        "--now",
        NOW,
        "--format",
        "text",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
        "--format",
        "junit",
        "-o",
        xml.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, scan_fixtures("text").stdout, "text goes to the terminal");
    assert_eq!(std::fs::read_to_string(&sarif).unwrap(), scan_fixtures("sarif").stdout);
    assert_eq!(std::fs::read_to_string(&xml).unwrap(), scan_fixtures("junit").stdout);

    let run = annexa(&["scan", "fixtures/", "--format", "text", "--format", "json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("only one --format may write to standard output"), "{}", run.stderr);
    let run = annexa(&["scan", "fixtures/", "--output", "x.sarif", "--format", "sarif"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--output x.sarif needs a --format before it"), "{}", run.stderr);
}

#[test]
fn render_turns_saved_json_into_any_format_without_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    std::fs::write(&json, scan_fixtures("json").stdout).unwrap();
    for format in ["json", "sarif", "junit", "github", "markdown"] {
        let run = annexa(&["render", json.to_str().unwrap(), "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert_eq!(run.stdout, scan_fixtures(format).stdout, "{format} rendered from JSON equals the scan's");
    }
    let run = annexa(&["render", json.to_str().unwrap(), "--format", "markdown", "--fail-on", "critical"]);
    assert!(run.stdout.starts_with("## annexa failed: 2 findings at or above critical\n"), "{}", run.stdout);
    std::fs::write(&json, "{\"schema\": 1}").unwrap();
    let run = annexa(&["render", json.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot parse the saved result"), "{}", run.stderr);
}

#[test]
fn shards_partition_the_inputs_and_merge_into_the_unsharded_report() {
    let files: Vec<(String, String)> = (0..12)
        .map(|i| {
            let text = std::fs::read_to_string(root().join(if i % 2 == 0 {
                "fixtures/coding-agent.yaml"
            } else {
                "fixtures/support-assistant.yaml"
            }))
            .unwrap();
            (
                format!("systems/s{i:02}.yaml"),
                text.replace("name: coding-agent", &format!("name: agent-{i}"))
                    .replace("name: support-assistant", &format!("name: assistant-{i}")),
            )
        })
        .collect();
    // The management system lists none of these systems: the corpus rule
    // CORP002 fails each of them, in whichever shard the two land.
    let aims = std::fs::read_to_string(root().join("fixtures/ai-management-system.yaml")).unwrap();
    let mut files = files;
    files.push(("systems/aims.yaml".into(), aims));
    files.sort();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let dir = tree(&refs);
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "systems", "--now", NOW, "--format", "json"];
        args.extend_from_slice(extra);
        annexa_in(dir.path(), &args)
    };
    let whole = scan(&[]);
    let report: serde_json::Value = serde_json::from_str(&whole.stdout).unwrap();
    let corp002_failures = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["outcomes"].as_array().unwrap())
        .filter(|o| o["rule"] == "CORP002" && o["status"] == "fail")
        .count();
    assert_eq!(corp002_failures, 12, "every system is missing from the inventory");
    let mut seen = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let run = scan(&["--shard", &shard]);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let paths: Vec<String> = report["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
        assert!(!paths.is_empty(), "shard {shard} of 13 files is not empty");
        assert_eq!(report["shards"], serde_json::json!({"held": [i], "count": 3}), "results say they are one shard");
        seen.extend(paths);
        std::fs::write(dir.path().join(format!("shard-{i}.json")), run.stdout).unwrap();
    }
    seen.sort();
    let all: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(seen, all, "the shards together hold every file exactly once");

    let merged = annexa_in(dir.path(), &["render", "shard-3.json", "shard-1.json", "shard-2.json", "--format", "json"]);
    assert_eq!(merged.code, whole.code);
    assert_eq!(merged.stdout, whole.stdout, "merged shards, cross-document verdicts included, are byte-identical to one unsharded run");
    // Some shards only: rendered, and said to be partial.
    let partial = annexa_in(dir.path(), &["render", "shard-3.json", "shard-1.json"]);
    assert!(partial.stdout.ends_with("\nShards 1, 3 of 3: the counts above cover their files only (2 not here).\n"), "{}", partial.stdout);
    let overlap = annexa_in(dir.path(), &["render", "shard-1.json", "shard-1.json"]);
    assert_eq!(overlap.code, 2);
    assert!(overlap.stderr.contains("cannot merge shard-1.json: shard 1/3 is in more than one result"), "{}", overlap.stderr);
    std::fs::write(dir.path().join("whole.json"), &whole.stdout).unwrap();
    let mixed = annexa_in(dir.path(), &["render", "whole.json", "shard-2.json"]);
    assert_eq!(mixed.code, 2);
    assert!(mixed.stderr.contains("it mixes the results of a sharded scan with those of a whole one"), "{}", mixed.stderr);
    let bad = scan(&["--shard", "4/3"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("invalid --shard: shard 4/3 does not exist: use 1/N to N/N"), "{}", bad.stderr);
}

/// A custom rule of the given severity that fails on every `Thing` lacking `ok: true`.
fn rule(severity: &str) -> String {
    format!(
        "const RULE = #{{ id: \"T001\", title: \"Things are ok\", severity: \"{severity}\", kinds: [\"Thing\"], controls: #{{ iso42001: [\"A.2.2\"] }}, remediation: \"Set ok: true.\" }};\nfn check(doc) {{ if doc.get(\"ok\") != true {{ doc.fail(\"ok\", \"not ok\"); }} }}\n"
    )
}

#[test]
fn exit_codes_for_each_fail_on() {
    let dir = tree(&[("rules/T001.rhai", &rule("medium")), ("thing.yaml", "kind: Thing\nok: false\n")]);
    for (fail_on, code) in [("info", 1), ("low", 1), ("medium", 1), ("high", 0), ("critical", 0)] {
        let run = annexa_in(dir.path(), &["scan", "thing.yaml", "--no-builtin", "--rules", "rules", "--fail-on", fail_on]);
        assert_eq!(run.code, code, "--fail-on {fail_on}: {}", run.stderr);
    }
    std::fs::write(dir.path().join("broken.yaml"), "kind: Thing\nok: [\n").unwrap();
    let run = annexa_in(dir.path(), &["scan", ".", "--no-builtin", "--rules", "rules", "--fail-on", "critical"]);
    assert_eq!(run.code, 2, "an unreadable input is exit 2 whatever --fail-on says");
}

#[test]
fn config_file_is_found_walking_up_and_flags_override_it() {
    let dir = tree(&[
        ("annexa.yaml", "rules: [rules]\nbuiltin: false\nfail_on: high\nkinds: {\"things/*.yaml\": Thing}\n"),
        ("rules/T001.rhai", &rule("medium")),
        ("things/a.yaml", "name: no kind written here\nok: false\n"),
    ]);
    let sub = dir.path().join("things");
    let run = annexa_in(&sub, &["scan", "a.yaml"]);
    assert_eq!(run.code, 0, "fail_on: high from the config; the finding is medium: {}", run.stderr);
    assert!(!run.stdout.contains("T001"), "a.yaml is not matched by things/*.yaml from inside things/: {}", run.stdout);
    let run = annexa_in(dir.path(), &["scan", "things"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("things/a.yaml:2:1  MEDIUM    T001  not ok\n"), "the kind glob made it a Thing: {}", run.stdout);
    let run = annexa_in(dir.path(), &["scan", "things", "--fail-on", "medium"]);
    assert_eq!(run.code, 1, "--fail-on overrides fail_on");
    let run = annexa_in(dir.path(), &["scan", "things", "--no-config", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 0, "without the config no glob names the kind");
    assert!(!run.stdout.contains("T001"));
}

#[test]
fn config_errors_are_located_and_exit_2() {
    let dir = tree(&[("annexa.yaml", "fail_on: severe\nrulez: [x]\nseverity: {NOPE001: low}\n"), ("a.yaml", "kind: Thing\n")]);
    let run = annexa_in(dir.path(), &["scan", "a.yaml"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "", "a bad config stops before scanning");
    assert!(run.stderr.contains("annexa.yaml:1:1: `severe` is not a severity"), "{}", run.stderr);
    assert!(run.stderr.contains("help: use one of info, low, medium, high, critical"), "{}", run.stderr);
    assert!(run.stderr.contains("annexa.yaml:2:1: unknown key `rulez`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `rules`?"), "{}", run.stderr);
    assert!(run.stderr.contains("2 │ rulez: [x]"), "a snippet of the line: {}", run.stderr);

    std::fs::write(dir.path().join("annexa.yaml"), "disable: [NOPE001]\n").unwrap();
    let run = annexa_in(dir.path(), &["scan", "a.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("annexa.yaml:1:11: `disable` names rule `NOPE001`, which is not loaded"), "{}", run.stderr);
    let run = annexa_in(dir.path(), &["scan", "a.yaml", "--config", "missing.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.yaml: cannot read"), "{}", run.stderr);
}

#[test]
fn config_disables_rules_and_overrides_severities() {
    let dir = tree(&[("annexa.yaml", "disable: [AIS005]\nseverity: {AIS010: low}\n")]);
    let fixture = root().join("fixtures/coding-agent.yaml");
    let run = annexa_in(dir.path(), &["scan", fixture.to_str().unwrap(), "--now", NOW, "--fail-on", "critical"]);
    assert_eq!(run.code, 0, "AIS010 is no longer critical: {}", run.stderr);
    assert!(!run.stdout.contains("AIS005"));
    assert!(run.stdout.contains("LOW       AIS010"), "{}", run.stdout);
}

/// Starts annexa in the repository root with a pipe for its standard input.
fn annexa_reading_stdin(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_annexa"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn stdin_is_one_document_named_by_stdin_filename() {
    let text = std::fs::read_to_string(root().join("fixtures/coding-agent.yaml")).unwrap();
    let mut child = annexa_reading_stdin(&["scan", "-", "--stdin-filename", "systems/agent.yaml", "--now", NOW, "--format", "github"]);
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let run: Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.replace("systems/agent.yaml", "fixtures/coding-agent.yaml"), scan_fixtures_one("fixtures/coding-agent.yaml"));
    let misplaced = annexa(&["scan", "fixtures/", "--stdin-filename", "x.yaml"]);
    assert_eq!(misplaced.code, 2);
    assert!(misplaced.stderr.contains("--stdin-filename applies only to `-`"), "{}", misplaced.stderr);
}

/// Standard input is held to the 64 MiB of any one input: an endless
/// stream is refused once it passes it, not read until memory runs out.
#[test]
fn stdin_past_the_input_bound_is_refused() {
    let mut child = annexa_reading_stdin(&["scan", "-", "--now", NOW]);
    let mut stdin = child.stdin.take().unwrap();
    // A comment line over and over, 64 MiB and then some; annexa stops reading at its bound.
    let writer = std::thread::spawn(move || {
        let chunk = "# filler\n".repeat(1 << 16);
        let mut written = 0usize;
        while written <= (64 << 20) + chunk.len() {
            if std::io::Write::write_all(&mut stdin, chunk.as_bytes()).is_err() {
                break;
            }
            written += chunk.len();
        }
    });
    let run: Run = child.wait_with_output().unwrap().into();
    writer.join().unwrap();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.replace("\n  │ ", " ").contains("× standard input is larger than 67108864 bytes, the most annexa reads from one input"),
        "{}",
        run.stderr
    );
}

fn scan_fixtures_one(path: &str) -> String {
    annexa(&["scan", path, "--now", NOW, "--format", "github"]).stdout
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn changed_scans_only_files_that_differ_from_the_base() {
    let dir = tree(&[
        ("rules/T001.rhai", &rule("medium")),
        ("a.yaml", "kind: Thing\nok: false\n"),
        ("b.yaml", "kind: Thing\nok: false\n"),
        ("c.yaml", "kind: Thing\nok: false\n"),
    ]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    std::fs::write(dir.path().join("b.yaml"), "kind: Thing\nok: false # edited\n").unwrap();
    git(dir.path(), &["commit", "-q", "-am", "edit b"]);
    std::fs::write(dir.path().join("new.yaml"), "kind: Thing\nok: false\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a document\n").unwrap();
    let run = annexa_in(dir.path(), &["scan", "--changed", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("b.yaml:2:1") && run.stdout.contains("new.yaml:2:1"), "{}", run.stdout);
    assert!(!run.stdout.contains("a.yaml:") && !run.stdout.contains("c.yaml:"), "{}", run.stdout);
    assert!(run.stdout.ends_with("2 documents in 2 files; 0 errors.\n"), "{}", run.stdout);
    // The same root written absolute, or as `..` from a folder below it.
    let absolute = dir.path().canonicalize().unwrap();
    let run = annexa_in(dir.path(), &["scan", absolute.to_str().unwrap(), "--changed", "--no-builtin", "--rules", "rules"]);
    assert!(run.stdout.ends_with("2 documents in 2 files; 0 errors.\n"), "{}", run.stdout);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let run = annexa_in(&dir.path().join("sub"), &["scan", "..", "--changed", "--no-builtin", "--rules", "../rules"]);
    assert!(run.stdout.contains("../b.yaml:2:1") && run.stdout.contains("../new.yaml:2:1"), "{}", run.stdout);
    assert!(run.stdout.ends_with("2 documents in 2 files; 0 errors.\n"), "{}", run.stdout);
    let run = annexa_in(dir.path(), &["scan", "--changed", "HEAD", "--no-builtin", "--rules", "rules"]);
    assert!(run.stdout.ends_with("1 document in 1 file; 0 errors.\n"), "only the untracked file differs from HEAD: {}", run.stdout);
    let run = annexa_in(dir.path(), &["scan", "--changed", "no-such-ref", "--no-builtin", "--rules", "rules"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("git diff"), "{}", run.stderr);
}

#[test]
fn changed_with_a_corpus_rule_scans_everything_and_says_so() {
    let corpus = "const RULE = #{ id: \"C001\", title: \"Things are few\", severity: \"low\", kinds: [\"Thing\"], scope: \"corpus\", controls: #{ iso42001: [\"A.2.2\"] }, remediation: \"Have fewer.\" };\nfn check_all(docs) { if docs.len() > 2 { docs[0].fail(\"ok\", `${docs.len()} things`); } }\n";
    let dir = tree(&[("rules/C001.rhai", corpus), ("a.yaml", "kind: Thing\n"), ("b.yaml", "kind: Thing\n"), ("c.yaml", "kind: Thing\n")]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    let run = annexa_in(dir.path(), &["scan", "--changed", "HEAD", "--no-builtin", "--rules", "rules"]);
    assert!(
        run.stderr
            .contains("note: scanning every input, not only the changed files: corpus rule C001 sees all documents of its kinds at once"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("a.yaml:1:1  LOW       C001  3 things"), "{}", run.stdout);
}

#[test]
fn init_writes_a_working_starter_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = annexa_in(dir.path(), &["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wrote ./annexa.yaml\n") && run.stdout.contains("annexa rules test policies"), "{}", run.stdout);
    for file in ["annexa.yaml", "ai-systems/support-assistant.yaml", "policies/ACME001.rhai", "policies/tests/ACME001/fail-no-on-call.yaml"]
    {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    // The starter config loads the example rule, and the example document satisfies it.
    let run = annexa_in(dir.path(), &["scan", "--now", NOW, "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let acme: Vec<&serde_json::Value> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["outcomes"].as_array().unwrap())
        .filter(|o| o["rule"] == "ACME001")
        .collect();
    assert_eq!(acme.len(), 1);
    assert_eq!(acme[0]["status"], "pass");
    let cases = annexa_in(dir.path(), &["rules", "test", "policies"]);
    assert_eq!(cases.code, 0, "the example rule's cases hold: {}{}", cases.stdout, cases.stderr);
    assert!(cases.stdout.ends_with("2 passed, 0 failed\n"), "{}", cases.stdout);
    let list = annexa_in(dir.path(), &["rules", "list"]);
    assert!(list.stdout.contains("ACME001  medium   AISystem             Production systems name their on-call rota\n"), "{}", list.stdout);
    // Without the label, ACME001 fails at the labels.
    let doc = dir.path().join("ai-systems/support-assistant.yaml");
    let text = std::fs::read_to_string(&doc).unwrap();
    std::fs::write(&doc, text.replace(", on_call: sre-on-call}", "}")).unwrap();
    let run = annexa_in(dir.path(), &["scan", "--now", NOW]);
    assert!(
        run.stdout
            .contains("ai-systems/support-assistant.yaml:10:3  MEDIUM    ACME001  no on-call rota is named for this production system"),
        "{}",
        run.stdout
    );

    let again = annexa_in(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("not writing anything: ./annexa.yaml, ./ai-systems/support-assistant.yaml"), "{}", again.stderr);
    assert!(!std::fs::read_to_string(&doc).unwrap().contains("on_call: sre-on-call"), "nothing was overwritten");
}

/// Runs `pre-commit try-repo <this repository> HOOK` in a fresh git repository
/// holding a failing and a passing document; returns its output and exit code.
fn pre_commit(hook: &str) -> Option<Run> {
    let available = Command::new("pre-commit").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available && std::env::var_os("CI").is_none() {
        eprintln!("skipping: `pip install pre-commit` to test the hook manifest (CI does)");
        return None;
    }
    let bad = std::fs::read_to_string(root().join("fixtures/coding-agent.yaml")).unwrap();
    let dir = tree(&[("bad.yaml", &bad), ("ok.yaml", "kind: Other\n"), ("notes.txt", "not scanned\n")]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    let bin = Path::new(env!("CARGO_BIN_EXE_annexa")).parent().unwrap().to_path_buf();
    let path =
        std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()))).unwrap();
    let out = Command::new("pre-commit")
        .args(["try-repo", root().to_str().unwrap(), hook, "--all-files"])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Some(out.into())
}

#[test]
fn pre_commit_hook_manifest_runs_the_installed_binary() {
    let Some(run) = pre_commit("annexa-system") else { return };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("bad.yaml:39:7  HIGH      AIS005"), "{}", run.stdout);
    assert!(run.stdout.contains("2 documents in 2 files; 0 errors."), "only the .yaml files were passed: {}", run.stdout);
}

/// The `language: rust` hook builds annexa with cargo inside pre-commit's
/// cache (minutes on two cores), so it runs on demand:
/// `cargo test --test cli pre_commit_rust -- --ignored`.
#[test]
#[ignore = "builds annexa in release mode inside pre-commit's cache; run on demand"]
fn pre_commit_rust_hook_builds_and_runs_annexa() {
    let Some(run) = pre_commit("annexa") else { return };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("bad.yaml:39:7  HIGH      AIS005"), "{}", run.stdout);
}
