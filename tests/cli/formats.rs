//! Real configuration formats (issue 6): MCP configs and manifests, LiteLLM
//! configs, Kubernetes model serving, model cards, CycloneDX AI-BOMs. Exact
//! positions in JSON and front matter, secrets never printed, kinds and the
//! reviewed findings on `../shared/corpus`. The packs' rule cases run in
//! `annexa rules test` (see `registry.rs`).

use serde_json::Value as Json;

use crate::common::*;

fn report(run: &Run) -> Json {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON report: {e}\n{}\n{}", run.stdout, run.stderr))
}

/// A finding as `(path, line, col)`.
type Located = (String, u64, u64);

/// `(rule, status, findings)` for every outcome of a JSON report.
fn outcomes(report: &Json) -> Vec<(String, String, Vec<Located>)> {
    let mut out = Vec::new();
    for file in report["files"].as_array().unwrap() {
        for o in file["outcomes"].as_array().unwrap() {
            let findings = o["findings"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .map(|f| {
                            let start = &f["region"]["start"];
                            (f["path"].as_str().unwrap().to_string(), start["line"].as_u64().unwrap(), start["col"].as_u64().unwrap())
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((o["rule"].as_str().unwrap().to_string(), o["status"].as_str().unwrap().to_string(), findings));
        }
    }
    out
}

#[test]
fn a_secret_in_a_json_mcp_config_is_found_at_its_exact_line_and_column_and_never_printed() {
    let secret = "sk-proj-FAKEfake0000FAKEfake0000FAKEXYZ";
    let config = format!(
        "{{\n  \"mcpServers\": {{\n    \"search\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@acme/search-mcp@1.2.0\"],\n      \"env\": {{\n        \"LOG_LEVEL\": \"info\",\n        \"SEARCH_API_KEY\": \"{secret}\"\n      }}\n    }}\n  }}\n}}\n"
    );
    let dir = tree(&[(".cursor/mcp.json", &config)]);
    let run = annexa_in(dir.path(), &["scan", ".cursor/mcp.json", "--no-builtin", "--rules", &pack("mcp"), "--now", "2025-06-01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains(".cursor/mcp.json:8:9  CRITICAL  MCP001  server \"search\" has SEARCH_API_KEY in plain text (sk-proj-…XYZ)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("8 |         \"SEARCH_API_KEY\": \"sk-proj-…XYZ\"\n"),
        "the source line is shown redacted:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the secret is never printed");
    let json = annexa_in(dir.path(), &["scan", ".cursor/mcp.json", "--no-builtin", "--rules", &pack("mcp"), "--format", "json"]);
    assert!(!json.stdout.contains(secret));
    let mcp001 = outcomes(&report(&json)).into_iter().find(|o| o.0 == "MCP001").unwrap();
    assert_eq!(mcp001.2, vec![("mcpServers.search.env.SEARCH_API_KEY".to_string(), 8, 9)]);
}

#[test]
fn a_finding_in_model_card_front_matter_has_the_line_of_the_whole_file() {
    let card = "---\n# comment line\nlanguage: en\nlicense: other\nlibrary_name: timm\n---\n\n# Model\n";
    let dir = tree(&[("models/README.md", card)]);
    let run = annexa_in(dir.path(), &["scan", "models", "--no-builtin", "--rules", &pack("modelcard"), "--format", "json"]);
    let report = report(&run);
    assert_eq!(report["files"][0]["documents"][0]["kind"], "ModelCard");
    let mc001 = outcomes(&report).into_iter().find(|o| o.0 == "MC001").unwrap();
    assert_eq!(mc001.1, "fail");
    assert_eq!(mc001.2, vec![("license".to_string(), 4, 1)]);
}

#[test]
fn json_with_surrogate_pair_escapes_parses_with_file_positions() {
    let bom = "{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [\n    {\"description\": \"a \\uD83E\\uDD17 model\", \"type\": \"machine-learning-model\", \"name\": \"m\"}\n  ]\n}\n";
    let dir = tree(&[("bom.json", bom)]);
    let run = annexa_in(dir.path(), &["scan", "bom.json", "--no-builtin", "--rules", &pack("aibom"), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let bom002 = outcomes(&report(&run)).into_iter().find(|o| o.0 == "BOM002").unwrap();
    assert_eq!(bom002.2, vec![("components[0].licenses".to_string(), 4, 5)]);
}

fn pack(name: &str) -> String {
    root().join("rules").join(name).to_string_lossy().into_owned()
}

/// The reviewed findings and input errors of the built-in rules on the real
/// files in `../shared/corpus`, one `path:line:col RULE` line each. Set
/// `ANNEXA_UPDATE_SNAPSHOTS=1` to rewrite the snapshot, then review the diff.
#[test]
fn corpus_findings_match_the_reviewed_snapshot() {
    let corpus = root().join("../shared/corpus");
    assert!(corpus.is_dir(), "the corpus is expected at ../shared/corpus beside the repository");
    let run = annexa(&["scan", "../shared/corpus", "--now", "2025-06-01", "--format", "json"]);
    assert_eq!(run.code, 2, "findings and unreadable files: exit 2\n{}", run.stderr);
    let report = report(&run);
    let mut lines = Vec::new();
    for file in report["files"].as_array().unwrap() {
        let name = file["path"].as_str().unwrap().trim_start_matches("../shared/corpus/");
        for e in file["errors"].as_array().into_iter().flatten() {
            let p = &e["position"];
            lines.push(format!("{name}:{}:{} error: {}", p["line"], p["col"], e["message"].as_str().unwrap()));
        }
        for o in file["outcomes"].as_array().unwrap() {
            assert_ne!(o["status"], "error", "{name}: {o}");
            for f in o["findings"].as_array().into_iter().flatten() {
                let s = &f["region"]["start"];
                lines.push(format!("{name}:{}:{} {} {}", s["line"], s["col"], o["rule"].as_str().unwrap(), f["path"].as_str().unwrap()));
            }
        }
    }
    let actual = lines.join("\n") + "\n";
    let snapshot = root().join("tests/snapshots/corpus.txt");
    if std::env::var_os("ANNEXA_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        actual == expected,
        "corpus findings differ from tests/snapshots/corpus.txt; rerun with ANNEXA_UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

#[test]
fn every_corpus_document_of_a_known_format_gets_its_kind() {
    let run = annexa(&["scan", "../shared/corpus", "--no-builtin", "--rules", &pack("aibom"), "--format", "json"]);
    let report = report(&run);
    let kind_of = |suffix: &str| -> Vec<String> {
        let file = report["files"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with(suffix)).unwrap();
        file["documents"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(kind_of("mcp-security-suite__claude_desktop_config.json"), ["MCPConfig"]);
    assert_eq!(kind_of("multiple_transport.json"), ["MCPConfig"]);
    assert_eq!(kind_of("github-mcp-server__server.json"), ["MCPServer"]);
    assert_eq!(kind_of("registry__data__seed_2025_05_16.json"), ["MCPRegistry"]);
    assert_eq!(kind_of("oss-llmops-stack__litellm-config.yaml"), ["LiteLLMConfig"]);
    assert_eq!(
        kind_of("model-catalog-bridge__assets__kserve-only-model-test-deploy__mnist__infererenceservice.yaml"),
        ["InferenceService"]
    );
    assert_eq!(kind_of("vllm__gpu-deployment.yaml"), ["Deployment", "ConfigMap"]);
    assert_eq!(kind_of("sample_simple_model_index.md"), ["ModelCard"]);
    assert_eq!(kind_of("sample_datasetcard_simple.md"), ["DatasetCard"]);
    assert_eq!(kind_of("valid-machine-learning-1.6.json"), ["CycloneDX"]);
}

#[test]
fn a_low_entropy_password_in_a_kubernetes_env_is_never_printed() {
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tgi}\nspec:\n  template:\n    spec:\n      containers:\n        - name: tgi\n          image: ghcr.io/huggingface/text-generation-inference:2.4.0\n          env:\n            - name: DB_PASSWORD\n              value: hunter2\n";
    let dir = tree(&[("tgi.yaml", manifest)]);
    let run = annexa_in(dir.path(), &["scan", "tgi.yaml", "--no-builtin", "--rules", &pack("k8s-serving"), "--now", "2025-06-01"]);
    assert!(
        run.stdout.contains("tgi.yaml:12:15  CRITICAL  KSV001  DB_PASSWORD is written in the manifest ([redacted 7 chars])\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("12 |               value: [redacted 7 chars]\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}
