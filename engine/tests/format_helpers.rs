//! The rule-API helpers for real configuration formats (secrets, Kubernetes
//! workloads, model-card sections, MCP documents), exercised through a rule
//! on a document of each format.

use annexa_engine::document::Format;
use annexa_engine::eval::{scan, Input, ScanOptions};
use annexa_engine::report::FileResult;
use annexa_engine::rules::{load, RuleSource};
use annexa_engine::script::Limits;

/// Runs a rule whose `check` body is `body` on one file and returns its finding messages.
fn messages(display: &str, text: &str, body: &str) -> Vec<String> {
    let source = format!(
        "const RULE = #{{ id: \"T001\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\nfn check(doc) {{\n{body}\n}}\n"
    );
    let set = load(vec![RuleSource { path: "t.rhai".into(), text: source.into() }], &Limits::default());
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let format = Format::from_path(std::path::Path::new(display)).unwrap();
    let input = Input::Bytes { display: display.into(), format, bytes: text.as_bytes().into() };
    let mut results: Vec<FileResult> = Vec::new();
    scan(&set.rules, vec![input], &ScanOptions::new("2025-06-01".parse().unwrap()), &mut |r| {
        results.push(std::mem::take(r));
        Ok(())
    })
    .unwrap();
    let outcome = results.remove(0).outcomes.remove(0);
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    outcome.findings.iter().map(|f| f.message.clone()).collect()
}

fn show(display: &str, text: &str, expr: &str) -> String {
    messages(display, text, &format!("doc.fail(\"\", `${{{expr}}}`);")).remove(0)
}

const MCP: &str = r#"{"mcpServers": {"a": {"command": "npx", "env": {"K": "${K}"}}}}"#;

#[test]
fn secret_helpers() {
    assert_eq!(show("mcp.json", MCP, "looks_like_secret(\"sk-proj-FAKEfake0000FAKEfake0000\")"), "true");
    assert_eq!(show("mcp.json", MCP, "looks_like_secret(doc.get(\"mcpServers.a.env.K\"))"), "false");
    assert_eq!(show("mcp.json", MCP, "looks_like_secret(doc.get(\"missing\"))"), "false");
    assert_eq!(show("mcp.json", MCP, "is_secret_ref(doc.get(\"mcpServers.a.env.K\"))"), "true");
    assert_eq!(show("mcp.json", MCP, "is_secret_ref(())"), "false");
    assert_eq!(show("mcp.json", MCP, "is_placeholder(\"<API_KEY>\")"), "true");
    assert_eq!(show("mcp.json", MCP, "is_secret_name(\"GITHUB_TOKEN\")"), "true");
    assert_eq!(show("mcp.json", MCP, "redact(\"sk-proj-FAKEfake0000FAKEfake0000XYZ\")"), "sk-proj-…XYZ");
}

#[test]
fn mcp_helpers() {
    assert_eq!(show("mcp.json", MCP, "doc.mcp_servers()"), "mcpServers");
    assert_eq!(show(".vscode/mcp.json", r#"{"servers": {}}"#, "doc.mcp_servers()"), "servers");
    assert_eq!(show("seed.json", r#"[{"name": "a"}, {"name": "b"}]"#, "doc.mcp_manifests()"), "[\"[0].\", \"[1].\"]");
    assert_eq!(show("server.json", r#"{"name": "a"}"#, "doc.mcp_manifests()"), "[\"\"]");
}

const LWS: &str = "\
kind: LeaderWorkerSet
spec:
  leaderWorkerTemplate:
    leaderTemplate:
      spec:
        containers:
          - {name: leader, image: vllm/vllm-openai:v0.8.5}
          - {name: sidecar, image: envoyproxy/envoy:v1.31}
    workerTemplate:
      spec:
        containers:
          - {name: worker, image: lmsysorg/sglang:v0.4.0}
";

#[test]
fn workload_helpers() {
    assert_eq!(
        show("lws.yaml", LWS, "doc.containers().map(|c| c.path + \" \" + c.server)"),
        "[\"spec.leaderWorkerTemplate.leaderTemplate.spec.containers[0] vllm\", \"spec.leaderWorkerTemplate.leaderTemplate.spec.containers[1] \", \"spec.leaderWorkerTemplate.workerTemplate.spec.containers[0] sglang\"]"
    );
    assert_eq!(show("lws.yaml", LWS, "doc.serving_containers().map(|c| c.container.name)"), "[\"leader\", \"worker\"]");
    assert_eq!(show("lws.yaml", LWS, "doc.containers()[0].pod"), "spec.leaderWorkerTemplate.leaderTemplate.spec");
    assert_eq!(show("lws.yaml", LWS, "model_server(doc.get(\"spec.leaderWorkerTemplate.workerTemplate.spec.containers[0]\"))"), "sglang");
    assert_eq!(show("lws.yaml", LWS, "model_server(())"), "");
}

const CARD: &str = "---\nlicense: mit\n---\n# m\n\n## Uses\n\nRoutes tickets.\n\n## Limitations\n\n[More Information Needed]\n";

#[test]
fn model_card_helpers() {
    assert_eq!(show("README.md", CARD, "doc.section(\"^uses$\")"), "\nRoutes tickets.\n\n");
    assert_eq!(show("README.md", CARD, "is_empty_section(doc.section(\"^uses$\"))"), "false");
    assert_eq!(show("README.md", CARD, "is_empty_section(doc.section(\"limitation\"))"), "true");
    assert_eq!(show("README.md", CARD, "is_empty_section(doc.section(\"training\"))"), "true");
    assert_eq!(show("README.md", CARD, "type_of(doc.section(\"training\"))"), "()");
}

#[test]
fn bom_helpers() {
    let bom = r#"{"bomFormat": "CycloneDX", "metadata": {"component": {"type": "machine-learning-model", "name": "a"}},
      "components": [{"type": "library", "name": "b", "components": [{"type": "machine-learning-model", "name": "c"}]},
                     {"type": "machine-learning-model", "name": "d"}]}"#;
    assert_eq!(show("bom.json", bom, "doc.ml_models()"), "[\"metadata.component\", \"components[0].components[0]\", \"components[1]\"]");
    assert_eq!(show("bom.json", r#"{"bomFormat": "CycloneDX"}"#, "doc.ml_models()"), "[]");
}
