//! Kind detection: `apiVersion` and `kind` as written, else a known shape
//! (MCP client configs and server manifests, LiteLLM proxy configs, CycloneDX
//! BOMs, model and dataset cards), else `unknown` (still parsed, and seen by
//! rules that ask for `*`), unless a path glob of the config file names a kind
//! (`KindGlobs`). `docs/kinds.md` lists every kind and how it is detected.

use super::value::{Node, Value};

pub const MCP_CONFIG: &str = "MCPConfig";
pub const MCP_SERVER: &str = "MCPServer";
pub const MCP_REGISTRY: &str = "MCPRegistry";
pub const LITELLM_CONFIG: &str = "LiteLLMConfig";
pub const CYCLONEDX: &str = "CycloneDX";
pub const MODEL_CARD: &str = "ModelCard";
pub const DATASET_CARD: &str = "DatasetCard";
pub const UNKNOWN: &str = "unknown";

/// The kinds annexa reads by shape (those of annexa's own format are in `schema::PUBLISHED`).
pub const DETECTED: [&str; 7] = [MCP_CONFIG, MCP_SERVER, MCP_REGISTRY, LITELLM_CONFIG, CYCLONEDX, MODEL_CARD, DATASET_CARD];

/// The kind annexa knows that `kind` misspells in letter case only (`AiSystem`
/// for `AISystem`): a rule naming it would match no document.
pub fn meant(kind: &str) -> Option<&'static str> {
    let published = crate::schema::PUBLISHED.iter().map(|p| p.kind);
    published.chain(DETECTED).find(|known| *known != kind && known.eq_ignore_ascii_case(kind))
}

/// File names that MCP clients read their server list from.
const MCP_CONFIG_NAMES: [&str; 4] = ["mcp.json", "claude_desktop_config.json", "mcp-config.json", "mcp_config.json"];

/// Front-matter keys only a model card has (a dataset card has none of them).
const MODEL_CARD_KEYS: [&str; 6] = ["model-index", "base_model", "library_name", "pipeline_tag", "model_name", "model_type"];
/// Front-matter keys only a dataset card has.
const DATASET_CARD_KEYS: [&str; 7] =
    ["task_categories", "size_categories", "annotations_creators", "language_creators", "multilinguality", "task_ids", "source_datasets"];
/// Keys both kinds of card may have; alone they make a model card.
const CARD_KEYS: [&str; 5] = ["license", "datasets", "language", "tags", "metrics"];

/// The document's kind and `apiVersion`. `file` is the path shown to users;
/// its name and extension help tell formats apart.
pub fn detect(root: &Node, file: &str) -> (String, Option<String>) {
    let api_version = field(root, "apiVersion").and_then(Node::as_str).map(str::to_string);
    if let Some(kind) = field(root, "kind").and_then(Node::as_str).filter(|k| !k.is_empty()) {
        return (kind.to_string(), api_version);
    }
    (shape(root, file).to_string(), api_version)
}

fn field<'a>(node: &'a Node, name: &str) -> Option<&'a Node> {
    node.child_key(name)
}

fn has(node: &Node, name: &str) -> bool {
    field(node, name).is_some()
}

/// The last component of a path, lowercased.
fn file_name(file: &str) -> String {
    file.rsplit(['/', '\\']).next().unwrap_or(file).to_ascii_lowercase()
}

fn shape(root: &Node, file: &str) -> &'static str {
    let name = file_name(file);
    let markdown = name.ends_with(".md") || name.ends_with(".markdown");
    if markdown {
        return card(root);
    }
    if let Value::Seq(items) = &root.value {
        // A registry export: server entries, most with packages (some list only their repository).
        let entry = |i: &Node| has(i, "name") && ["packages", "remotes", "repository", "version_detail"].iter().any(|k| has(i, k));
        return if items.iter().all(entry) && items.iter().any(is_server_manifest) { MCP_REGISTRY } else { UNKNOWN };
    }
    if field(root, "bomFormat").and_then(Node::as_str) == Some("CycloneDX") {
        return CYCLONEDX;
    }
    if is_mcp_config(root, &name) {
        return MCP_CONFIG;
    }
    if is_server_manifest(root) || (matches!(name.as_str(), "smithery.yaml" | "smithery.yml") && has(root, "startCommand")) {
        return MCP_SERVER;
    }
    if field(root, "model_list").is_some_and(|n| n.as_seq().is_some()) || has(root, "litellm_settings") || has(root, "general_settings") {
        return LITELLM_CONFIG;
    }
    UNKNOWN
}

/// `mcpServers` (Claude Desktop, Cursor, most clients), `servers` (VS Code's
/// `.vscode/mcp.json`) or `mcp.servers` (VS Code user settings).
fn is_mcp_config(root: &Node, name: &str) -> bool {
    if field(root, "mcpServers").is_some_and(|n| n.as_map().is_some()) {
        return true;
    }
    let servers = field(root, "servers").or_else(|| field(root, "mcp").and_then(|m| field(m, "servers")));
    let Some(entries) = servers.and_then(Node::as_map) else { return false };
    // A `servers` map is common in other formats: by name, or by the shape of its entries.
    MCP_CONFIG_NAMES.contains(&name)
        || (!entries.is_empty() && entries.iter().all(|(_, s)| has(s, "command") || (has(s, "url") && has(s, "type"))))
}

/// An MCP registry `server.json`: a name plus `packages` or `remotes`.
fn is_server_manifest(node: &Node) -> bool {
    let schema = field(node, "$schema").and_then(Node::as_str).unwrap_or_default();
    if schema.contains("modelcontextprotocol.io") && schema.contains("server.schema") {
        return true;
    }
    let package_like = |p: &Node| has(p, "registryType") || has(p, "registry_type") || has(p, "registry_name");
    has(node, "name")
        && (field(node, "packages").and_then(Node::as_seq).is_some_and(|ps| !ps.is_empty() && ps.iter().all(package_like))
            || field(node, "remotes").and_then(Node::as_seq).is_some_and(|rs| rs.iter().all(|r| has(r, "url"))))
}

fn card(root: &Node) -> &'static str {
    let any = |keys: &[&str]| keys.iter().any(|k| has(root, k));
    if any(&MODEL_CARD_KEYS) {
        MODEL_CARD
    } else if any(&DATASET_CARD_KEYS) {
        DATASET_CARD
    } else if any(&CARD_KEYS) {
        MODEL_CARD
    } else {
        UNKNOWN
    }
}

/// Kinds given by path globs (the config file's `kinds:`), consulted only
/// when a document's kind would otherwise be `unknown`. The first glob that
/// matches the file's displayed path wins.
#[derive(Clone, Debug)]
pub struct KindGlobs {
    set: globset::GlobSet,
    kinds: Vec<String>,
}

impl KindGlobs {
    /// Builds the matcher from `(glob, kind)` pairs in order.
    pub fn new(pairs: &[(String, String)]) -> Result<Self, crate::Error> {
        let mut builder = globset::GlobSetBuilder::new();
        for (glob, _) in pairs {
            let g = globset::Glob::new(glob).map_err(|source| crate::Error::Glob { glob: glob.clone(), source })?;
            builder.add(g);
        }
        let set = builder.build().map_err(|source| crate::Error::Glob { glob: String::new(), source })?;
        Ok(KindGlobs { set, kinds: pairs.iter().map(|(_, k)| k.clone()).collect() })
    }

    /// The kind for a file, if a glob matches it.
    pub fn kind_for(&self, file: &str) -> Option<&str> {
        let first = self.set.matches(file).into_iter().min()?;
        self.kinds.get(first).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::yaml::{parse_stream, Limits};

    fn kind_of(text: &str, file: &str) -> String {
        let (docs, errors) = parse_stream(text, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        detect(&docs[0].root, file).0
    }

    #[test]
    fn kind_as_written_wins_over_shape() {
        assert_eq!(kind_of("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n", "isvc.yaml"), "InferenceService");
        assert_eq!(kind_of("apiVersion: apps/v1\nkind: StatefulSet\nmodel_list: []\n", "x.yaml"), "StatefulSet");
        assert_eq!(kind_of("kind: \"\"\nmodel_list: []\n", "x.yaml"), LITELLM_CONFIG);
    }

    #[test]
    fn mcp_client_configs() {
        assert_eq!(kind_of(r#"{"mcpServers": {"gh": {"command": "npx"}}}"#, "claude_desktop_config.json"), MCP_CONFIG);
        assert_eq!(kind_of(r#"{"mcpServers": {}}"#, "anything.json"), MCP_CONFIG);
        // VS Code: `servers` in .vscode/mcp.json, known by name even when empty.
        assert_eq!(kind_of(r#"{"servers": {}}"#, ".vscode/mcp.json"), MCP_CONFIG);
        assert_eq!(kind_of(r#"{"servers": {"s": {"type": "http", "url": "https://x"}}}"#, "tools.json"), MCP_CONFIG);
        assert_eq!(kind_of(r#"{"mcp": {"servers": {"s": {"command": "uvx"}}}}"#, "settings.json"), MCP_CONFIG);
        // A `servers` map of another format is not an MCP config.
        assert_eq!(kind_of("servers:\n  web: {host: a, port: 80}\n", "inventory.yaml"), UNKNOWN);
    }

    #[test]
    fn mcp_server_manifests_and_registries() {
        let manifest = r#"{"name": "io.github.x/y", "packages": [{"registryType": "npm", "identifier": "y", "version": "1.0.0"}]}"#;
        assert_eq!(kind_of(manifest, "server.json"), MCP_SERVER);
        let schema = r#"{"$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json", "name": "x"}"#;
        assert_eq!(kind_of(schema, "x.json"), MCP_SERVER);
        assert_eq!(kind_of("startCommand: {type: stdio}\n", "smithery.yaml"), MCP_SERVER);
        assert_eq!(kind_of("startCommand: {type: stdio}\n", "other.yaml"), UNKNOWN);
        let seed =
            r#"[{"name": "a", "packages": [{"registry_name": "npm", "name": "a", "version": "1"}]}, {"name": "b", "repository": {}}]"#;
        assert_eq!(kind_of(seed, "seed.json"), MCP_REGISTRY);
        assert_eq!(kind_of("[1, 2]", "list.json"), UNKNOWN);
    }

    #[test]
    fn litellm_proxy_configs() {
        assert_eq!(kind_of("model_list:\n  - model_name: gpt\n", "config.yaml"), LITELLM_CONFIG);
        assert_eq!(kind_of("general_settings: {master_key: os.environ/K}\n", "config.yaml"), LITELLM_CONFIG);
        assert_eq!(kind_of("litellm_settings: {drop_params: true}\n", "config.yaml"), LITELLM_CONFIG);
        assert_eq!(kind_of("model_list: gpt\n", "config.yaml"), UNKNOWN);
    }

    #[test]
    fn cyclonedx_boms() {
        assert_eq!(kind_of(r#"{"bomFormat": "CycloneDX", "specVersion": "1.6"}"#, "bom.json"), CYCLONEDX);
        assert_eq!(kind_of(r#"{"bomFormat": "SPDX"}"#, "bom.json"), UNKNOWN);
    }

    #[test]
    fn model_and_dataset_cards_from_front_matter() {
        assert_eq!(kind_of("license: mit\ndatasets: [beans]\n", "README.md"), MODEL_CARD);
        assert_eq!(kind_of("base_model: x\n", "card.markdown"), MODEL_CARD);
        assert_eq!(kind_of("license: mit\ntask_categories: [x]\n", "README.md"), DATASET_CARD);
        assert_eq!(kind_of("title: My blog post\n", "post.md"), UNKNOWN);
        // Outside Markdown the same keys are not a card.
        assert_eq!(kind_of("license: mit\ndatasets: [beans]\n", "meta.yaml"), UNKNOWN);
    }

    #[test]
    fn first_matching_glob_gives_the_kind() {
        let globs = KindGlobs::new(&[("mcp/**/*.json".into(), "MCPConfig".into()), ("**/*.json".into(), "Other".into())]).unwrap();
        assert_eq!(globs.kind_for("mcp/servers/a.json"), Some("MCPConfig"));
        assert_eq!(globs.kind_for("x/b.json"), Some("Other"));
        assert_eq!(globs.kind_for("x/b.yaml"), None);
    }
}
