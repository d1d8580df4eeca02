//! The field-by-field reference of the published formats, rendered from the
//! schema files so the page and the schemas cannot drift apart
//! (`docs/formats.md` holds it below a marker; a test compares them).

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::{for_kind, PUBLISHED};

/// The line in `docs/formats.md` after which the generated reference starts.
pub const MARKER: &str = "<!-- Generated from schemas/*.schema.json (`ANNEXA_UPDATE_DOCS=1 cargo test -p annexa-engine reference`); edit the schemas, not this part. -->";

/// The reference of every published format, as Markdown.
pub fn markdown() -> String {
    let mut out = String::new();
    for published in PUBLISHED {
        let Some(schema) = for_kind(published.kind) else { continue };
        let _ = writeln!(out, "\n## kind: {}\n", published.kind);
        let _ = writeln!(out, "{}\n", text(schema, "description"));
        let _ = writeln!(out, "Schema: [`{}`](../{}).\n", published.path, published.path);
        let _ = writeln!(out, "| field | type | allowed values | meaning |");
        let _ = writeln!(out, "|---|---|---|---|");
        rows(schema, "", &mut out);
    }
    out
}

fn text<'a>(schema: &'a Json, key: &str) -> &'a str {
    schema.get(key).and_then(Json::as_str).unwrap_or_default()
}

fn type_of(schema: &Json) -> String {
    let base = text(schema, "type");
    match base {
        "array" => {
            let item = schema.get("items").map(type_of).unwrap_or_default();
            format!("list of {item}")
        }
        "object" => "mapping".into(),
        "string" if text(schema, "format") == "date" => "date (YYYY-MM-DD)".into(),
        other => other.to_string(),
    }
}

fn allowed(schema: &Json) -> String {
    let target = if text(schema, "type") == "array" { schema.get("items").unwrap_or(schema) } else { schema };
    let mut parts = Vec::new();
    if let Some(values) = target.get("enum").and_then(Json::as_array) {
        parts.push(values.iter().filter_map(Json::as_str).map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "));
    }
    if let Some(minimum) = target.get("minimum") {
        parts.push(format!("at least {minimum}"));
    }
    if let Some(pattern) = target.get("pattern").and_then(Json::as_str) {
        parts.push(format!("matches `{pattern}`"));
    }
    parts.join("; ")
}

fn rows(schema: &Json, prefix: &str, out: &mut String) {
    let (properties, item_prefix) = match text(schema, "type") {
        "array" => (schema.get("items").and_then(|i| i.get("properties")), format!("{prefix}[]")),
        _ => (schema.get("properties"), prefix.to_string()),
    };
    let Some(properties) = properties.and_then(Json::as_object) else { return };
    let required: Vec<&str> = match text(schema, "type") {
        "array" => schema.get("items").and_then(|i| i.get("required")),
        _ => schema.get("required"),
    }
    .and_then(Json::as_array)
    .map(|r| r.iter().filter_map(Json::as_str).collect())
    .unwrap_or_default();
    for (name, sub) in properties {
        let path = if item_prefix.is_empty() { name.clone() } else { format!("{item_prefix}.{name}") };
        let required = if required.contains(&name.as_str()) { " (required)" } else { "" };
        let _ = writeln!(
            out,
            "| `{path}`{required} | {} | {} | {} |",
            type_of(sub),
            allowed(sub),
            text(sub, "description").replace('|', "\\|")
        );
        rows(sub, &path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/formats.md` must carry the current reference below its marker.
    /// Set `ANNEXA_UPDATE_DOCS=1` to rewrite it.
    #[test]
    fn the_committed_reference_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/formats.md");
        let committed = std::fs::read_to_string(&path).unwrap();
        let (head, tail) = committed.split_once(MARKER).expect("docs/formats.md has the generated-part marker");
        let expected = markdown();
        if tail != expected && std::env::var_os("ANNEXA_UPDATE_DOCS").is_some() {
            std::fs::write(&path, format!("{head}{MARKER}{expected}")).unwrap();
            return;
        }
        assert!(tail == expected, "docs/formats.md is out of date: run `ANNEXA_UPDATE_DOCS=1 cargo test -p annexa-engine reference`");
    }
}
