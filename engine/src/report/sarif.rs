//! SARIF 2.1.0 for code-scanning dashboards: every loaded rule in
//! `tool.driver.rules`, every finding as a result with a physical location
//! (columns in Unicode code points, as ours count), a logical location (the
//! path in the document) and a `partialFingerprints` entry that survives
//! commits. Streams: results are written as files arrive; only the problems
//! (script and input errors, for `invocations`) are held until the end.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{FileResult, Finding, Header, Outcome, RuleInfo, Status, Summary};
use crate::rules::Severity;

/// Where the SARIF 2.1.0 schema is published (the file our tests validate against).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `partialFingerprints` key; the suffix is bumped if the recipe changes.
pub const FINGERPRINT_KEY: &str = "annexaFinding/v1";

#[derive(Default)]
pub struct SarifRenderer {
    header: Option<Header>,
    results: usize,
    notifications: Vec<Value>,
}

fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

/// Pretty JSON indented to sit at `depth` levels (two spaces each).
fn indented(value: &Value, depth: usize) -> io::Result<String> {
    let text = serde_json::to_string_pretty(value).map_err(to_io)?;
    Ok(text.replace('\n', &format!("\n{}", "  ".repeat(depth))))
}

/// SARIF levels: what blocks a merge is an error.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning sorts security results by this 0.0–10.0 score.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A relative path as a URI reference: `/` kept, anything outside the
/// unreserved set percent-encoded (spaces, `#`, `%`, non-ASCII).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Stable across commits: the rule, the document's identity (its
/// `metadata.name`, which survives moves and edits) and the finding's path.
pub fn partial_fingerprint(rule: &str, identity: &str, path: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [rule, identity, path] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_hex().get(..32).unwrap_or_default().to_string()
}

/// Adds a member to a JSON object (a no-op on anything else).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

fn rule_descriptor(rule: &RuleInfo) -> Value {
    let controls: Vec<String> = rule.controls.iter().map(|c| format!("{}:{}", c.standard, c.id)).collect();
    let mut descriptor = json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "help": {"text": rule.remediation},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "severity": rule.severity.as_str(),
            "security-severity": security_severity(rule.severity),
            "controls": controls,
            "tags": rule.tags,
            "kinds": rule.kinds,
            "source": rule.source,
        },
    });
    if !rule.description.is_empty() {
        set(&mut descriptor, "fullDescription", json!({"text": rule.description}));
    }
    descriptor
}

fn region(start: crate::document::Position, end: crate::document::Position) -> Value {
    // SARIF needs the end at or after the start; a zero-width region is the start itself.
    let end = if end < start { start } else { end };
    json!({"startLine": start.line.max(1), "startColumn": start.col.max(1), "endLine": end.line.max(1), "endColumn": end.col.max(1)})
}

impl SarifRenderer {
    fn result(&self, file: &FileResult, outcome: &Outcome, finding: &Finding, rule_index: Option<usize>) -> Value {
        let identity =
            file.document(outcome.document).map_or_else(|| format!("{}#{}", file.path, outcome.document), |d| d.identity.clone());
        let severity = self.header.as_ref().map_or(Severity::Info, |h| h.severity_of(&outcome.rule));
        let mut result = json!({
            "ruleId": outcome.rule,
            "level": level(severity),
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&file.path)},
                    "region": region(finding.region.start, finding.region.end),
                },
                "logicalLocations": [{"name": finding.path, "fullyQualifiedName": format!("{identity}/{}", finding.path), "kind": "member"}],
            }],
            "partialFingerprints": {FINGERPRINT_KEY: partial_fingerprint(&outcome.rule, &identity, &finding.path)},
            "properties": {"severity": severity.as_str(), "document": identity, "evidenceFingerprint": outcome.fingerprint},
        });
        if let Some(index) = rule_index {
            set(&mut result, "ruleIndex", json!(index));
        }
        if let Some(at) = &finding.located_at {
            if let Some(properties) = result.get_mut("properties") {
                set(properties, "locatedAt", json!(at));
            }
        }
        result
    }

    fn notification(message: String, file: &str, position: Option<crate::document::Position>, rule: Option<&str>) -> Value {
        let mut physical = json!({"artifactLocation": {"uri": uri(file)}});
        if let Some(p) = position {
            set(&mut physical, "region", json!({"startLine": p.line.max(1), "startColumn": p.col.max(1)}));
        }
        let mut n = json!({"level": "error", "message": {"text": message}, "locations": [{"physicalLocation": physical}]});
        if let Some(rule) = rule {
            set(&mut n, "associatedRule", json!({"id": rule}));
        }
        n
    }
}

impl super::Renderer for SarifRenderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        let rules: Vec<Value> = header.rules.iter().map(rule_descriptor).collect();
        let driver = json!({
            "name": header.tool,
            "version": header.version,
            "rules": rules,
        });
        for e in &header.rule_errors {
            self.notifications.push(Self::notification(e.message.clone(), &e.file, e.position, e.rule.as_deref()));
        }
        self.header = Some(header.clone());
        write!(
            out,
            "{{\n  \"$schema\": \"{SCHEMA_URI}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": {{\n        \"driver\": {}\n      }},\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [",
            indented(&driver, 4)?
        )
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        for e in &file.errors {
            self.notifications.push(Self::notification(e.message.clone(), &e.file, e.position, None));
        }
        for outcome in &file.outcomes {
            let rule_index = self.header.as_ref().and_then(|h| h.rules.binary_search_by(|r| r.id.as_str().cmp(&outcome.rule)).ok());
            if outcome.status == Status::Error {
                let message = format!(
                    "rule {} could not be evaluated: {}",
                    outcome.rule,
                    outcome.error.as_ref().map_or("the rule failed", |e| e.message.as_str())
                );
                let start = file.document(outcome.document).map(|d| d.region.start);
                self.notifications.push(Self::notification(message, &file.path, start, Some(&outcome.rule)));
            }
            for finding in &outcome.findings {
                let result = self.result(file, outcome, finding, rule_index);
                let sep = if self.results > 0 { "," } else { "" };
                self.results += 1;
                write!(out, "{sep}\n        {}", indented(&result, 4)?)?;
            }
        }
        Ok(())
    }

    fn end(&mut self, _summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let close = if self.results > 0 { "\n      ]" } else { "]" };
        let invocation = json!({
            "executionSuccessful": self.notifications.is_empty(),
            "toolExecutionNotifications": self.notifications,
        });
        writeln!(out, "{close},\n      \"invocations\": [\n        {}\n      ]\n    }}\n  ]\n}}", indented(&invocation, 4)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_encode_what_a_uri_cannot_hold() {
        assert_eq!(uri("fixtures/coding-agent.yaml"), "fixtures/coding-agent.yaml");
        assert_eq!(uri("my docs/a#1 ü.yaml"), "my%20docs/a%231%20%C3%BC.yaml");
    }

    #[test]
    fn fingerprints_depend_on_rule_identity_and_path_only() {
        let a = partial_fingerprint("AIS005", "coding-agent", "spec.tools[0].requires_approval");
        assert_eq!(a, partial_fingerprint("AIS005", "coding-agent", "spec.tools[0].requires_approval"));
        assert_ne!(a, partial_fingerprint("AIS005", "coding-agent", "spec.tools[1].requires_approval"));
        assert_ne!(a, partial_fingerprint("AIS006", "coding-agent", "spec.tools[0].requires_approval"));
        // Length-prefixed parts: moving a character between parts changes the hash.
        assert_ne!(partial_fingerprint("ab", "c", "d"), partial_fingerprint("a", "bc", "d"));
    }
}
