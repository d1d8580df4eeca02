//! `annexa report soa|readiness`: exact Markdown and CSV over the test rules
//! and systems in tests/audit (independent of the built-in pack), statuses and
//! outcome ids in JSON, exclusion errors, stable facts over the built-in
//! pack, OSCAL validated against its schema, and the HTML in a real browser.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

/// The scan options of every test over tests/audit.
const OWN: [&str; 9] = [
    "tests/audit/systems",
    "--no-builtin",
    "--rules",
    "tests/audit/rules",
    "--now",
    "2025-06-01",
    "--exclusions",
    "tests/audit/exclusions.yaml",
    "--format",
];

fn report(kind: &str, format: &str) -> Run {
    let mut args = vec!["report", kind];
    args.extend(OWN);
    args.push(format);
    annexa(&args)
}

/// Compares with a committed file; `UPDATE_EXPECTED=1` rewrites it (review the diff).
fn expect_file(relative: &str, actual: &str) {
    let path = root().join(relative);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&path, actual).expect("write the expected file");
    }
    let expected = std::fs::read_to_string(&path).expect("the expected file exists");
    assert!(expected == actual, "{relative} differs from the output:\n{actual}");
}

fn json(kind: &str) -> Value {
    let run = report(kind, "json");
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("valid JSON")
}

fn control<'a>(audit: &'a Value, standard: &str, id: &str) -> &'a Value {
    audit["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["standard"] == standard && c["id"] == id)
        .unwrap_or_else(|| panic!("{standard}:{id} is in the report"))
}

#[test]
fn soa_csv_is_exact() {
    let run = report("soa", "csv");
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    expect_file("tests/audit/expected/soa.csv", &run.stdout);
}

#[test]
fn soa_markdown_is_exact() {
    let run = report("soa", "markdown");
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    expect_file("tests/audit/expected/soa.md", &run.stdout);
}

#[test]
fn readiness_markdown_and_csv_are_exact() {
    let run = report("readiness", "markdown");
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    expect_file("tests/audit/expected/readiness.md", &run.stdout);
    let run = report("readiness", "csv");
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    expect_file("tests/audit/expected/readiness.csv", &run.stdout);
}

#[test]
fn statuses_are_traced_to_outcome_ids() {
    let audit = json("soa");
    let a52 = control(&audit, "iso42001", "A.5.2");
    assert_eq!(a52["status"], "partial");
    assert_eq!(a52["rules"], serde_json::json!(["TST001", "TST003"]));
    assert_eq!(
        a52["systems"],
        serde_json::json!([
            {"system": "alpha", "status": "implemented", "last_assessed": "2025-06-01", "reassess_due": "2025-12-01",
             "passed": ["tests/audit/systems/alpha.yaml#0/TST001", "tests/audit/systems/alpha.yaml#0/TST003"]},
            {"system": "beta", "status": "partial", "last_assessed": "2025-06-01", "reassess_due": "2025-12-01",
             "passed": ["tests/audit/systems/beta.yaml#0/TST001"], "not_passed": ["tests/audit/systems/beta.yaml#0/TST003"]},
            {"system": "gamma", "status": "gap", "last_assessed": "2025-06-01", "reassess_due": "2025-12-01", "passed": [],
             "not_passed": ["tests/audit/systems/gamma.yaml#0/TST001", "tests/audit/systems/gamma.yaml#0/TST003"]},
        ])
    );
    assert_eq!(control(&audit, "iso42001", "A.8.2")["status"], "implemented");
    assert_eq!(control(&audit, "iso42001", "A.6.2.8")["status"], "gap");
    // TST002 does not apply to gamma: two systems assessed, not three.
    let a92 = control(&audit, "iso42001", "A.9.2");
    assert_eq!((a92["status"].as_str(), a92["systems"].as_array().unwrap().len()), (Some("partial"), 2));
    assert_eq!(control(&audit, "iso42001", "A.2.2")["status"], "not_assessed");
    let excluded = control(&audit, "iso27001", "A.7.4");
    assert_eq!(excluded["applicable"], false);
    assert_eq!(excluded["excluded_at"], "tests/audit/exclusions.yaml:3:5");
    // Every outcome id named by a control resolves to an outcome record with the evidence checked.
    let outcomes = audit["outcomes"].as_array().unwrap();
    let alpha = outcomes.iter().find(|o| o["id"] == "tests/audit/systems/alpha.yaml#0/TST001").unwrap();
    assert_eq!(alpha["status"], "pass");
    assert_eq!(
        alpha["references"],
        serde_json::json!([
            {"path": "spec.impact_assessment.ref", "value": "ia/alpha.md", "at": "tests/audit/systems/alpha.yaml:6:23"},
            {"path": "spec.impact_assessment.date", "value": "2025-03-01", "at": "tests/audit/systems/alpha.yaml:6:41"},
        ])
    );
    for c in audit["controls"].as_array().unwrap() {
        for s in c["systems"].as_array().unwrap() {
            for id in s["passed"].as_array().unwrap().iter().chain(s["not_passed"].as_array().into_iter().flatten()) {
                assert!(outcomes.iter().any(|o| &o["id"] == id), "{id} resolves");
            }
        }
    }
}

#[test]
fn digests_of_rules_and_inputs_are_recorded() {
    let audit = json("soa");
    let text = std::fs::read(root().join("tests/audit/systems/alpha.yaml")).unwrap();
    let input = audit["inputs"].as_array().unwrap().iter().find(|i| i["path"] == "tests/audit/systems/alpha.yaml").unwrap();
    assert_eq!(input["blake3"], blake3_hex(&text));
    let rule = audit["rules"].as_array().unwrap().iter().find(|r| r["id"] == "TST001").unwrap();
    assert_eq!(rule["blake3"], blake3_hex(&std::fs::read(root().join("tests/audit/rules/TST001.rhai")).unwrap()));
    assert_eq!(rule["source"], "tests/audit/rules/TST001.rhai");
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn readiness_json_has_domains_heatmap_and_integration() {
    let r = json("readiness");
    let a5 = r["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "A.5").unwrap();
    assert_eq!((a5["partial"].as_u64(), a5["not_assessed"].as_u64()), (Some(2), Some(2)));
    let beta = r["systems"].as_array().unwrap().iter().find(|s| s["system"] == "beta").unwrap();
    // Domains A.2..A.10 in order; A.5 is the fourth: on beta A.5.3 is implemented, A.5.2 partial.
    assert_eq!(beta["heatmap"][3], serde_json::json!({"implemented": 1, "assessed": 2}));
    let logging = r["integration"].as_array().unwrap().iter().find(|e| e["iso27001"] == "A.8.15").unwrap();
    assert_eq!(logging["status"], "gap");
    assert_eq!(logging["iso27001_status"], "partial");
}

#[test]
fn an_exclusion_without_justification_is_a_located_error_and_the_report_is_still_written() {
    let run = annexa(&[
        "report",
        "soa",
        "tests/audit/systems",
        "--no-builtin",
        "--rules",
        "tests/audit/rules",
        "--now",
        "2025-06-01",
        "--exclusions",
        "tests/audit/bad-exclusions.yaml",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("tests/audit/bad-exclusions.yaml:2:5: the exclusion of iso27001:A.7.4 has no justification"));
    assert!(run.stderr.contains("tests/audit/bad-exclusions.yaml:4:5: the exclusion of iso42001:A.5.2 has no justification"));
    // Neither entry excludes its control.
    assert!(run.stdout.contains("\r\niso27001,A.7.4,Physical security monitoring,A.7,yes,,not_assessed,"));
    assert!(run.stdout.contains("\r\niso42001,A.5.2,AI system impact assessment process,A.5,yes,,partial,1,3,"));
}

#[test]
fn an_exclusions_path_that_is_not_a_regular_file_is_refused_unread() {
    let run = annexa(&["report", "soa", "tests/audit/systems", "--now", "2025-06-01", "--exclusions", "/dev/zero", "--format", "csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.replace("\n  │ ", " ").contains("cannot read the exclusions file /dev/zero: not a regular file"), "{}", run.stderr);
}

#[test]
fn output_goes_to_the_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("soa.csv");
    let mut args = vec!["report", "soa"];
    args.extend(OWN);
    args.extend(["csv", "--output", file.to_str().unwrap()]);
    let run = annexa(&args);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), report("soa", "csv").stdout);
}

/// Facts about the built-in pack on the fixtures that hold however the pack grows:
/// the compliant fixture passes everything that applies to it, and the
/// non-compliant one has no impact assessment.
#[test]
fn builtin_pack_on_the_fixtures() {
    let run = annexa(&[
        "report",
        "soa",
        "fixtures/support-assistant.yaml",
        "fixtures/coding-agent.yaml",
        "--now",
        "2025-06-01",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let audit: Value = serde_json::from_str(&run.stdout).unwrap();
    let on = |c: &Value, system: &str| {
        c["systems"].as_array().unwrap().iter().find(|s| s["system"] == system).map(|s| s["status"].as_str().unwrap().to_string())
    };
    for c in audit["controls"].as_array().unwrap() {
        if let Some(status) = on(c, "support-assistant") {
            assert_eq!(status, "implemented", "{}:{} on the compliant fixture", c["standard"], c["id"]);
        }
    }
    for id in ["A.5.2", "A.5.3"] {
        let c = control(&audit, "iso42001", id);
        assert_eq!(on(c, "support-assistant").as_deref(), Some("implemented"));
        assert_eq!(on(c, "coding-agent").as_deref(), Some("gap"), "{id}");
        assert_eq!(c["status"], "partial");
        assert_eq!(c["last_assessed"], "2025-06-01");
    }
}

#[test]
fn oscal_assessment_results_validate_against_the_oscal_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/schemas/oscal_assessment-results_schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the OSCAL schema compiles");
    for (paths, builtin) in [(vec!["tests/audit/systems"], false), (vec!["fixtures/"], true)] {
        let mut args = vec!["report", "soa"];
        args.extend(paths.iter().copied());
        if !builtin {
            args.extend(["--no-builtin", "--rules", "tests/audit/rules"]);
        }
        args.extend(["--now", "2025-06-01", "--exclusions", "tests/audit/exclusions.yaml", "--format", "oscal"]);
        let run = annexa(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let doc: Value = serde_json::from_str(&run.stdout).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).take(10).collect();
        assert!(errors.is_empty(), "OSCAL output is invalid:\n{}", errors.join("\n"));
        let mut broken = doc.clone();
        broken["assessment-results"].as_object_mut().unwrap().remove("uuid");
        assert!(!validator.is_valid(&broken), "the schema rejects a document without its uuid");
        let ar = &doc["assessment-results"];
        assert_eq!(ar["metadata"]["oscal-version"], "1.2.3");
        let resources = ar["back-matter"]["resources"].as_array().unwrap();
        assert!(resources.iter().any(|r| r["rlinks"][0]["hashes"][0]["algorithm"] == "SHA-256"));
    }
    // A finding per assessed applicable control, satisfied only when implemented.
    let run = report("soa", "oscal");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = doc["assessment-results"]["results"][0]["findings"].as_array().unwrap();
    let state = |token: &str| findings.iter().find(|f| f["target"]["target-id"] == token).map(|f| f["target"]["status"]["state"].clone());
    assert_eq!(state("iso42001-A.8.2"), Some("satisfied".into()));
    assert_eq!(state("iso42001-A.5.2"), Some("not-satisfied".into()));
    assert_eq!(state("iso42001-A.2.2"), None);
    assert_eq!(findings.len(), 7);
}

/// Where Debian's chromium is; CI installs it (.ci/run). Missing is a failure, never a skip.
fn chromium() -> &'static str {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return candidate;
        }
    }
    panic!("chromium is not installed: the HTML report is tested in a real browser (apt-get install -y chromium; .ci/run does this)");
}

/// The DOM after the page's scripts ran, from headless chromium.
fn dump_dom(html: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{fragment}", html.display());
    let out = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=5000",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &url,
        ])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(dom.contains("</html>"), "chromium printed no DOM: {}", String::from_utf8_lossy(&out.stderr));
    dom
}

/// `(system, domain, implemented, assessed)` of every heatmap cell in a DOM.
fn heat_cells(dom: &str) -> Vec<(String, String, u64, u64)> {
    let attr = |tag: &str, name: &str| -> String {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[start..].split('"').next().unwrap().to_string()
    };
    // Only the document body before the scripts (whose source also spells the cell markup).
    let body = dom.split("<script").next().unwrap();
    body.split("<td class=\"heat\"")
        .skip(1)
        .map(|rest| {
            let tag = rest.split('>').next().unwrap();
            (
                attr(tag, "data-system"),
                attr(tag, "data-domain"),
                attr(tag, "data-implemented").parse().unwrap(),
                attr(tag, "data-assessed").parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn html_report_renders_in_chromium_and_matches_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let mut args = vec!["report", "readiness"];
    args.extend(OWN);
    args.extend(["html", "--output", html.to_str().unwrap()]);
    assert_eq!(annexa(&args).code, 0);
    let page = std::fs::read_to_string(&html).unwrap();
    for external in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "the page loads nothing from outside ({external})");
    }

    let readiness = json("readiness");
    let dom = dump_dom(&html, "");
    let cells = heat_cells(&dom);
    let domains: Vec<String> = readiness["domains"].as_array().unwrap().iter().map(|d| d["domain"].as_str().unwrap().to_string()).collect();
    let mut expected = Vec::new();
    for (i, d) in domains.iter().enumerate() {
        let c = &readiness["overall"][i];
        expected.push((String::new(), d.clone(), c["implemented"].as_u64().unwrap(), c["assessed"].as_u64().unwrap()));
    }
    for s in readiness["systems"].as_array().unwrap() {
        for (i, d) in domains.iter().enumerate() {
            let c = &s["heatmap"][i];
            expected.push((
                s["system"].as_str().unwrap().to_string(),
                d.clone(),
                c["implemented"].as_u64().unwrap(),
                c["assessed"].as_u64().unwrap(),
            ));
        }
    }
    assert_eq!(cells, expected, "heatmap cells in the browser match the JSON");
    assert!(dom.contains("3 systems, page 1 of 1"));

    // The filters, driven by the page's self-test.
    let dom = dump_dom(&html, "#selftest");
    let start = dom.find("<pre id=\"selftest-result\">").expect("the self-test ran") + "<pre id=\"selftest-result\">".len();
    let text = dom[start..].split("</pre>").next().unwrap().replace("&quot;", "\"");
    let got: Value = serde_json::from_str(&text).unwrap();
    let audit = json("soa");
    let controls = audit["controls"].as_array().unwrap();
    let count = |f: &dyn Fn(&Value) -> bool| controls.iter().filter(|c| f(c)).count() as u64;
    let status_of = |c: &Value| if c["applicable"] == false { "excluded".to_string() } else { c["status"].as_str().unwrap().to_string() };
    assert_eq!(got["all"]["controls"], count(&|_| true));
    assert_eq!(got["all"]["heatmap_rows"], 3);
    for s in ["implemented", "partial", "gap", "not_assessed", "excluded"] {
        assert_eq!(got[format!("status:{s}")]["controls"], count(&|c| status_of(c) == s), "status filter {s}");
    }
    assert_eq!(got["status:gap"]["controls"], 2);
    for d in &domains {
        assert_eq!(
            got[format!("domain:{d}")]["controls"],
            count(&|c| c["standard"] == "iso42001" && c["domain"] == d.as_str()),
            "domain {d}"
        );
    }
    // System filter with status implemented: the controls implemented on that system.
    for system in ["alpha", "beta", "gamma"] {
        let on = count(&|c| {
            c["applicable"] == true
                && c["systems"].as_array().unwrap().iter().any(|s| s["system"] == system && s["status"] == "implemented")
        });
        assert_eq!(got[format!("system:{system}")]["controls"], on, "system {system}");
        assert_eq!(got[format!("system:{system}")]["heatmap_rows"], 1);
    }
}

/// The test rules, named absolutely so a run from a temporary folder finds them.
fn test_rules() -> String {
    root().join("tests/audit/rules").display().to_string()
}

/// A temporary folder holding copies of the test systems under `systems/`, plus `files`.
fn systems_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let mut all: Vec<(String, String)> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(root().join(format!("tests/audit/systems/{name}.yaml"))).unwrap();
            (format!("systems/{name}.yaml"), text)
        })
        .collect();
    all.extend(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    tree(&borrowed)
}

fn csv_row<'a>(csv: &'a str, standard: &str, id: &str) -> &'a str {
    let prefix = format!("{standard},{id},");
    csv.split("\r\n").find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{standard}:{id} has a row"))
}

const SOA_CONFIG: &str = "# test config\nbuiltin: false\nrules: [RULES]\nsoa:\n  exclusions:\n    - control: iso27001:A.7.4\n      justification: No premises of our own.\n    - control: iso42001:A.8.2\n      justification: Users get no documentation from us.\n";

#[test]
fn exclusions_come_from_the_config_file_found_by_walking_up() {
    let config = SOA_CONFIG.replace("RULES", &test_rules());
    let dir = systems_with(&[("annexa.yaml", &config)]);
    // From a subfolder: the config is found in the parent, its rules and exclusions apply.
    let run = annexa_in(&dir.path().join("systems"), &["report", "soa", ".", "--now", "2025-06-01", "--format", "json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let audit: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(audit["rules"].as_array().unwrap().len(), 5, "the config's rules, not the built-in ones");
    let a74 = control(&audit, "iso27001", "A.7.4");
    assert_eq!((a74["applicable"].as_bool(), a74["justification"].as_str()), (Some(false), Some("No premises of our own.")));
    assert!(a74["excluded_at"].as_str().unwrap().ends_with("annexa.yaml:6:7"), "{}", a74["excluded_at"]);
    // Excluded, and still showing its computed status.
    let a82 = control(&audit, "iso42001", "A.8.2");
    assert_eq!((a82["applicable"].as_bool(), a82["status"].as_str()), (Some(false), Some("implemented")));
    assert_eq!(control(&audit, "iso42001", "A.10.4")["applicable"], true);

    // From the config's folder the exclusion points at `annexa.yaml:line:col`.
    let run = annexa_in(dir.path(), &["report", "soa", "systems", "--now", "2025-06-01", "--format", "csv"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(
        csv_row(&run.stdout, "iso42001", "A.8.2"),
        "iso42001,A.8.2,System documentation and information for users,A.8,no,Users get no documentation from us.,implemented,3,3,TST004,systems/alpha.yaml#0/TST004 systems/beta.yaml#0/TST004 systems/gamma.yaml#0/TST004,2025-06-01,,"
    );

    // --exclusions FILE replaces the config's exclusions.
    let file = root().join("tests/audit/exclusions.yaml").display().to_string();
    let run = annexa_in(dir.path(), &["report", "soa", "systems", "--now", "2025-06-01", "--exclusions", &file, "--format", "json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let audit: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(control(&audit, "iso42001", "A.8.2")["applicable"], true);
    assert_eq!(control(&audit, "iso42001", "A.10.4")["applicable"], false);
    assert!(control(&audit, "iso27001", "A.7.4")["excluded_at"].as_str().unwrap().ends_with("tests/audit/exclusions.yaml:3:5"));

    // --no-config ignores it: the built-in rules, nothing excluded.
    let run = annexa_in(dir.path(), &["report", "soa", "systems", "--now", "2025-06-01", "--no-config", "--format", "json"]);
    let audit: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(control(&audit, "iso27001", "A.7.4")["applicable"], true);
    assert!(audit["rules"].as_array().unwrap().len() > 5);
}

#[test]
fn a_config_exclusion_without_justification_or_with_an_unknown_control_is_a_located_error() {
    let config = "builtin: false\nsoa:\n  exclusions:\n    - control: iso27001:A.7.4\n    - control: iso42001:A.99\n      justification: not ours\n    - control: iso42001:A.10.4\n      justification: '  '\n  exclude: []\n";
    let dir = systems_with(&[("annexa.yaml", config)]);
    let run = annexa_in(dir.path(), &["report", "soa", "systems", "--now", "2025-06-01", "--format", "csv"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "", "a broken config writes no report");
    let located: Vec<&str> = run.stderr.lines().map(str::trim).filter(|l| l.starts_with("× annexa.yaml:")).collect();
    assert_eq!(
        located,
        vec![
            "× annexa.yaml:4:7: the exclusion of iso27001:A.7.4 has no justification",
            "× annexa.yaml:5:7: `iso42001:A.99` is not an ISO/IEC 42001 or ISO/IEC 27001 Annex A control",
            "× annexa.yaml:8:7: the exclusion of iso42001:A.10.4 has no justification",
            "× annexa.yaml:9:3: unknown key `exclude` in `soa`",
        ],
        "{}",
        run.stderr
    );
    // The config is one file: `scan` refuses it too.
    assert_eq!(annexa_in(dir.path(), &["scan", "systems", "--now", "2025-06-01"]).code, 2);
}

/// Records a baseline of the test systems on 2025-03-01, then changes one
/// watched value and adds a system nothing was recorded for.
fn recorded_systems(config: &str) -> tempfile::TempDir {
    let dir = systems_with(&[("annexa.yaml", config)]);
    let rules = test_rules();
    let run = annexa_in(
        dir.path(),
        &[
            "baseline",
            "record",
            "systems",
            "--no-builtin",
            "--rules",
            &rules,
            "--now",
            "2025-03-01",
            "--dispositions",
            "systems/dispositions.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alpha = dir.path().join("systems/alpha.yaml");
    let text = std::fs::read_to_string(&alpha).unwrap().replace("date: 2025-03-01", "date: 2025-04-01");
    std::fs::write(&alpha, text).unwrap();
    let beta = std::fs::read_to_string(dir.path().join("systems/beta.yaml")).unwrap().replace("{name: beta}", "{name: delta}");
    std::fs::write(dir.path().join("systems/delta.yaml"), beta).unwrap();
    dir
}

#[test]
fn recorded_dispositions_give_the_assessed_and_due_dates() {
    // The dispositions file is named by the config here, and lives among the inputs (it is not scanned).
    let dir = recorded_systems(&format!("builtin: false\nrules: ['{}']\ndispositions: systems/dispositions.yaml\n", test_rules()));
    let run = annexa_in(dir.path(), &["report", "soa", "systems", "--now", "2025-06-01", "--format", "json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let audit: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(audit["dispositions"], "systems/dispositions.yaml");
    assert_eq!(audit["systems"].as_array().unwrap().len(), 4, "alpha, beta, delta, gamma; not the dispositions file");
    let outcome = |id: &str| audit["outcomes"].as_array().unwrap().iter().find(|o| o["id"] == id).unwrap().clone();

    // Unchanged: the recorded date, due 365 days later.
    let beta = outcome("systems/beta.yaml#0/TST001");
    assert_eq!(
        (beta["disposition"].as_str(), beta["assessed"].as_str(), beta["assessed_from"].as_str(), beta["reassess_due"].as_str()),
        (Some("unchanged"), Some("2025-03-01"), Some("dispositions"), Some("2026-03-01"))
    );
    // A watched value changed: reassess_due, due on the report's date.
    let alpha = outcome("systems/alpha.yaml#0/TST001");
    assert_eq!(
        (alpha["status"].as_str(), alpha["disposition"].as_str(), alpha["assessed"].as_str(), alpha["reassess_due"].as_str()),
        (Some("pass"), Some("reassess_due"), Some("2025-03-01"), Some("2025-06-01"))
    );
    // Expired (TST002 every 90 days): due 90 days after the recorded date, now past.
    let expired = outcome("systems/alpha.yaml#0/TST002");
    assert_eq!((expired["disposition"].as_str(), expired["reassess_due"].as_str()), (Some("reassess_due"), Some("2025-05-30")));
    // Nothing recorded for delta: assessed by this scan.
    let delta = outcome("systems/delta.yaml#0/TST001");
    assert_eq!(
        (delta["disposition"].as_str(), delta["assessed"].as_str(), delta["assessed_from"].as_str(), delta["reassess_due"].as_str()),
        (Some("new"), Some("2025-06-01"), Some("scan"), Some("2026-06-01"))
    );

    // A.5.3 (TST001): alpha's pass awaits re-assessment, so only beta and delta implement it.
    let a53 = control(&audit, "iso42001", "A.5.3");
    assert_eq!(
        (a53["status"].as_str(), a53["implemented_systems"].as_u64(), a53["last_assessed"].as_str(), a53["reassess_due"].as_str()),
        (Some("partial"), Some(2), Some("2025-03-01"), Some("2025-06-01"))
    );
    let on = |c: &Value, system: &str| c["systems"].as_array().unwrap().iter().find(|s| s["system"] == system).unwrap().clone();
    assert_eq!((on(a53, "alpha")["status"].as_str(), on(a53, "alpha")["last_assessed"].as_str()), (Some("gap"), Some("2025-03-01")));
    assert_eq!(on(a53, "delta")["last_assessed"], "2025-06-01");
    // A.9.2 (TST002): alpha's expired pass no longer satisfies it: a gap, overdue.
    let a92 = control(&audit, "iso42001", "A.9.2");
    assert_eq!((a92["status"].as_str(), a92["reassess_due"].as_str()), (Some("gap"), Some("2025-05-30")));
    // A.8.2 (TST004, no `every`): recorded date, no due date.
    let a82 = control(&audit, "iso42001", "A.8.2");
    assert_eq!(
        (a82["status"].as_str(), a82["last_assessed"].as_str(), a82.get("reassess_due")),
        (Some("implemented"), Some("2025-03-01"), None)
    );

    // The same through --dispositions, in CSV and Markdown: dates, due and overdue marked.
    let run = annexa_in(
        dir.path(),
        &["report", "soa", "systems", "--now", "2025-06-01", "--dispositions", "systems/dispositions.yaml", "--format", "csv"],
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(csv_row(&run.stdout, "iso42001", "A.5.3").ends_with(",2025-03-01,2025-06-01,due"), "{}", run.stdout);
    assert!(csv_row(&run.stdout, "iso42001", "A.9.2").ends_with(",2025-03-01,2025-05-30,overdue"));
    assert!(csv_row(&run.stdout, "iso42001", "A.5.2").ends_with(",2025-03-01,2025-06-01,due"));
    let run = annexa_in(dir.path(), &["report", "soa", "systems", "--now", "2025-06-01", "--format", "markdown"]);
    assert!(run.stdout.contains(
        "Last assessed is the date recorded in systems/dispositions.yaml for the 14 outcomes it holds (the oldest per control), and this scan's date (2025-06-01) for the 5 it does not."
    ), "{}", run.stdout);
    let a92_line = run.stdout.lines().find(|l| l.starts_with("| A.9.2 |")).unwrap();
    assert!(a92_line.ends_with("| 2025-03-01 | 2025-05-30 (overdue) |"), "{a92_line}");

    // Without dispositions the dates are this scan's, as before.
    let run = annexa_in(
        dir.path(),
        &["report", "soa", "systems", "--now", "2025-06-01", "--no-config", "--no-builtin", "--rules", &test_rules(), "--format", "csv"],
    );
    assert!(csv_row(&run.stdout, "iso42001", "A.9.2").ends_with(",2025-06-01,2025-08-30,current"), "{}", run.stdout);
}

#[test]
fn an_unreadable_dispositions_file_is_reported_and_the_report_still_written() {
    let dir = systems_with(&[("dispositions.yaml", "version: 1\ndispositions:\n  - system: alpha\n    colour: red\n")]);
    let rules = test_rules();
    let run = annexa_in(
        dir.path(),
        &[
            "report",
            "soa",
            "systems",
            "--no-builtin",
            "--rules",
            &rules,
            "--now",
            "2025-06-01",
            "--dispositions",
            "dispositions.yaml",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("× dispositions.yaml:4:5: unknown key `colour` in a disposition"), "{}", run.stderr);
    // Written without it: every date is the scan's.
    assert!(csv_row(&run.stdout, "iso42001", "A.9.2").ends_with(",2025-06-01,2025-08-30,current"), "{}", run.stdout);
}
