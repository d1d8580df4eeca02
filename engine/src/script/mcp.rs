//! MCP documents as rules see them: where a client configuration keeps its
//! servers, and where the server manifests of a manifest or registry file are.

use rhai::{Array, Dynamic, Engine, ImmutableString};

use super::api::Doc;
use super::context;
use crate::document::path;
use crate::document::Value;

/// The path of a client configuration's server map: `mcpServers` (most
/// clients), `servers` (`.vscode/mcp.json`) or `mcp.servers` (VS Code settings).
pub fn servers_path(doc: &Doc) -> &'static str {
    let root = &doc.doc.root;
    let key = |k: &str| root.child_key(k).is_some();
    let found = if key("mcpServers") {
        "mcpServers"
    } else if key("servers") {
        "servers"
    } else {
        "mcp.servers"
    };
    if let Ok(segments) = path::parse(found) {
        context::record_read(doc.slot, std::rc::Rc::new(segments));
    }
    found
}

/// Path prefixes of the server manifests in a document: `""` for one
/// `server.json`, `"[0]."`, `"[1]."`, ... for a registry list.
pub fn manifests(doc: &Doc) -> Array {
    match &doc.doc.root.value {
        Value::Seq(items) => (0..items.len()).map(|i| Dynamic::from(format!("[{i}]."))).collect(),
        _ => vec![Dynamic::from(String::new())],
    }
}

/// Registers the MCP helpers of the rule API.
pub fn register(engine: &mut Engine) {
    engine.register_fn("mcp_servers", |d: &mut Doc| -> ImmutableString { servers_path(d).into() });
    engine.register_fn("mcp_manifests", |d: &mut Doc| manifests(d));
}
