//! The dispositions file: read with positions (every problem is located at
//! file:line:col) and written by our own emitter, so the bytes depend only on
//! the content: entries sorted by (system, rule), keys in a fixed order,
//! every value on one line. Nothing changed means byte-identical output.

use std::fmt::Write as _;

use super::evidence::Evidence;
use super::{Disposition, Dispositions, Recorded, Waiver};
use crate::document::{scalar, yaml, InputError, Node, Position, Value};
use crate::report::Status;

/// The format version this build reads and writes.
pub const VERSION: i64 = 1;

const HEADER: &str = "# Reviewed outcomes and accepted risks for annexa (see docs/reassessment.md).\n\
# Written by `annexa baseline record` and `annexa waive`; review changes to it like code.\n";

/// Bounds for reading the dispositions file. It holds an entry for every
/// (system, rule) a scan records, so it outgrows the bounds on scanned
/// documents: 24,000 systems under the built-in rules wrote 744,000 entries,
/// 7.4 million nodes and 389 MB. `write` refuses a file past these bounds, so
/// annexa never writes a file it cannot read back.
pub const LIMITS: yaml::Limits = yaml::Limits { max_nodes: 16_000_000, ..yaml::Limits::DEFAULT };

/// The largest dispositions file read or written, in bytes.
pub const MAX_BYTES: usize = 1 << 30;

/// Why `write` refused: `read` would not accept the file.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLarge {
    /// The nodes the file would hold, as the YAML reader counts them.
    pub nodes: usize,
    /// Its size, when the node count is within bounds (else it is not written out).
    pub bytes: Option<usize>,
    pub dispositions: usize,
    pub waivers: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = format!("dispositions: {}, waivers: {}", self.dispositions, self.waivers);
        match self.bytes {
            Some(bytes) => {
                write!(f, "it would take {bytes} bytes ({entries}), and annexa reads at most {MAX_BYTES} from a dispositions file")
            }
            None => write!(
                f,
                "it would hold {} nodes ({entries}), and annexa reads at most {} from a dispositions file",
                self.nodes, LIMITS.max_nodes
            ),
        }
    }
}

/// Writes the file, or refuses one that `read` would not accept.
pub fn write(file: &Dispositions) -> Result<String, TooLarge> {
    write_within(file, LIMITS.max_nodes, MAX_BYTES)
}

/// The nodes `file` takes in YAML, counted as the reader counts them: one
/// per value (scalar, list or mapping), none for keys.
pub(super) fn nodes(file: &Dispositions) -> usize {
    // The root mapping, `version`, and the two lists.
    let mut nodes = 4;
    for d in &file.dispositions {
        // The entry, system, rule, status, assessed, fingerprint, rule_hash, and the evidence mapping.
        nodes += 8 + usize::from(d.reviewer.is_some()) + usize::from(d.note.is_some()) + d.evidence.len();
    }
    for w in &file.waivers {
        // The entry, its eight fields, and the evidence mapping.
        nodes += 10 + w.evidence.len();
    }
    nodes
}

fn write_within(file: &Dispositions, max_nodes: usize, max_bytes: usize) -> Result<String, TooLarge> {
    let too_large = |nodes, bytes| TooLarge { nodes, bytes, dispositions: file.dispositions.len(), waivers: file.waivers.len() };
    let nodes = nodes(file);
    if nodes > max_nodes {
        return Err(too_large(nodes, None));
    }
    let text = render(file);
    if text.len() > max_bytes {
        return Err(too_large(nodes, Some(text.len())));
    }
    Ok(text)
}

/// The file's text. Entries are sorted here, whatever order they came in.
pub(super) fn render(file: &Dispositions) -> String {
    let mut dispositions: Vec<&Disposition> = file.dispositions.iter().collect();
    dispositions.sort_by(|a, b| (&a.system, &a.rule).cmp(&(&b.system, &b.rule)));
    let mut waivers: Vec<&Waiver> = file.waivers.iter().collect();
    waivers.sort_by(|a, b| (&a.system, &a.rule).cmp(&(&b.system, &b.rule)));

    let mut out = String::from(HEADER);
    let _ = writeln!(out, "version: {VERSION}");
    out.push_str(if dispositions.is_empty() { "dispositions: []\n" } else { "dispositions:\n" });
    for d in dispositions {
        let _ = writeln!(out, "  - system: {}", quote(&d.system));
        let _ = writeln!(out, "    rule: {}", quote(&d.rule));
        let _ = writeln!(out, "    status: {}", d.status.as_str());
        let _ = writeln!(out, "    assessed: {}", d.assessed);
        optional(&mut out, "reviewer", d.reviewer.as_deref());
        optional(&mut out, "note", d.note.as_deref());
        let _ = writeln!(out, "    fingerprint: {}", quote(&d.fingerprint));
        let _ = writeln!(out, "    rule_hash: {}", quote(&d.rule_hash));
        evidence(&mut out, &d.evidence);
    }
    out.push_str(if waivers.is_empty() { "waivers: []\n" } else { "waivers:\n" });
    for w in waivers {
        let _ = writeln!(out, "  - system: {}", quote(&w.system));
        let _ = writeln!(out, "    rule: {}", quote(&w.rule));
        let _ = writeln!(out, "    reason: {}", quote(&w.reason));
        let _ = writeln!(out, "    by: {}", quote(&w.by));
        let _ = writeln!(out, "    granted: {}", w.granted);
        let _ = writeln!(out, "    expires: {}", w.expires);
        let _ = writeln!(out, "    fingerprint: {}", quote(&w.fingerprint));
        let _ = writeln!(out, "    rule_hash: {}", quote(&w.rule_hash));
        evidence(&mut out, &w.evidence);
    }
    out
}

fn optional(out: &mut String, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        let _ = writeln!(out, "    {key}: {}", quote(value));
    }
}

/// One line per watched path: the path double-quoted, the value as
/// single-quoted canonical JSON, `~` where the path does not exist.
fn evidence(out: &mut String, evidence: &Evidence) {
    if evidence.is_empty() {
        out.push_str("    evidence: {}\n");
        return;
    }
    out.push_str("    evidence:\n");
    for (path, value) in evidence {
        let value = match value {
            None => "~".to_string(),
            // YAML folds a line break in a single-quoted scalar into a space
            // (or refuses it), so JSON with one between its tokens (annexa
            // writes none; a hand edit can read one in) is double-quoted.
            Some(v) if v.contains(['\n', '\r']) => serde_json::Value::String(v.clone()).to_string(),
            Some(v) => format!("'{}'", v.replace('\'', "''")),
        };
        let _ = writeln!(out, "      {}: {value}", serde_json::Value::String(path.clone()));
    }
}

/// A string as a YAML scalar: plain when that reads back as the same string,
/// else double-quoted with JSON escapes (which YAML shares), so it stays on one line.
fn quote(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

/// Whether `quote` writes `s` plain.
pub(super) fn is_plain(s: &str) -> bool {
    // Bytes, not chars: every allowed character is ASCII. It runs on every
    // value of the file each time a scan reads it.
    let starts_well = s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    starts_well
        && s.bytes().all(|b| matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'/' | b'@'))
        && scalar::special(s).is_none()
}

/// Reads a dispositions file. Every problem found is returned, each located.
pub fn read(text: &str, display: &str) -> Result<Dispositions, Vec<InputError>> {
    // As `write` wrote it: line by line, without a YAML tree (`written`).
    if let Some(file) = super::written::read(text) {
        return Ok(file);
    }
    read_within(text, display, &LIMITS)
}

/// Reads a dispositions file for a scan: as `write` wrote it, checked and
/// indexed (entries built as the scan meets their systems); else as `read`.
/// The text comes back with the problems, for their source lines.
pub fn read_recorded(text: String, display: &str) -> Result<Recorded, (Vec<InputError>, String)> {
    match super::Index::new(text) {
        Ok(index) => Ok(Recorded::Indexed(std::sync::Arc::new(index))),
        Err(text) => match read_within(&text, display, &LIMITS) {
            Ok(file) => Ok(Recorded::Built(file)),
            Err(errors) => Err((errors, text)),
        },
    }
}

pub(crate) fn read_within(text: &str, display: &str, limits: &yaml::Limits) -> Result<Dispositions, Vec<InputError>> {
    let (parsed, syntax) = yaml::parse_stream(text, limits);
    let mut errors: Vec<InputError> = syntax
        .into_iter()
        .map(|e| InputError { file: display.into(), position: Some(e.position), message: e.message, hint: e.hint.map(str::to_string) })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut reader = Reader { file: display, errors: &mut errors };
    let result = match parsed.as_slice() {
        [] => Some(Dispositions::default()),
        [one] => reader.file(&one.root),
        [_, second, ..] => {
            reader.error(second.root.region.start, "a dispositions file holds one YAML document".into(), None);
            None
        }
    };
    match result {
        Some(file) if errors.is_empty() => Ok(file),
        _ => Err(errors),
    }
}

struct Reader<'a> {
    file: &'a str,
    errors: &'a mut Vec<InputError>,
}

/// The fields of one mapping, checked against the names allowed there.
struct Fields<'n> {
    entries: &'n [(crate::document::value::Key, Node)],
    at: Position,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| &**k == key).map(|(_, n)| n)
    }
}

impl Reader<'_> {
    fn error(&mut self, at: Position, message: String, hint: Option<&str>) {
        self.errors.push(InputError { file: self.file.into(), position: Some(at), message, hint: hint.map(str::to_string) });
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Some(entries) = node.as_map() else {
            self.error(node.region.start, format!("{what} must be a mapping"), None);
            return None;
        };
        for (key, value) in entries {
            if !allowed.contains(&&**key) {
                self.error(
                    value.region.start,
                    format!("unknown key `{key}` in {what}"),
                    Some(&format!("the keys here are: {}", allowed.join(", "))),
                );
            }
        }
        Some(Fields { entries, at: node.region.start })
    }

    fn file(&mut self, root: &Node) -> Option<Dispositions> {
        if root.value == Value::Null {
            return Some(Dispositions::default());
        }
        let fields = self.map(root, "the dispositions file", &["version", "dispositions", "waivers"])?;
        match fields.get("version").map(|n| (n, &n.value)) {
            Some((_, Value::Int(VERSION))) => {}
            Some((n, _)) => self.error(n.region.start, format!("unsupported version (this annexa reads version {VERSION})"), None),
            None => self.error(fields.at, "`version` is missing".into(), Some("the first line after the comments is `version: 1`")),
        }
        let mut out = Dispositions::default();
        for item in self.seq(fields.get("dispositions"), "dispositions") {
            if let Some(d) = self.disposition(item) {
                out.dispositions.push(d);
            }
        }
        for item in self.seq(fields.get("waivers"), "waivers") {
            if let Some(w) = self.waiver(item) {
                out.waivers.push(w);
            }
        }
        self.duplicates(out.dispositions.iter().map(|d| (&d.system, &d.rule, d.position)), "disposition");
        self.duplicates(out.waivers.iter().map(|w| (&w.system, &w.rule, w.position)), "waiver");
        Some(out)
    }

    fn duplicates<'a>(&mut self, entries: impl Iterator<Item = (&'a String, &'a String, Position)>, what: &str) {
        let mut seen = std::collections::HashMap::new();
        for (system, rule, at) in entries {
            if let Some(first) = seen.insert((system, rule), at) {
                self.error(
                    at,
                    format!("a second {what} for system `{system}`, rule {rule} (the first is at line {})", first.line),
                    Some("keep one entry per (system, rule)"),
                );
            }
        }
    }

    fn seq<'n>(&mut self, node: Option<&'n Node>, what: &str) -> &'n [Node] {
        match node {
            None => &[],
            Some(n) if n.value == Value::Null => &[],
            Some(n) => n.as_seq().unwrap_or_else(|| {
                self.error(n.region.start, format!("`{what}` must be a list"), None);
                &[]
            }),
        }
    }

    fn text(&mut self, fields: &Fields, key: &str, what: &str) -> Option<String> {
        match fields.get(key) {
            Some(n) => match &n.value {
                Value::Str(s) if !s.trim().is_empty() => Some(s.to_string()),
                _ => {
                    self.error(n.region.start, format!("`{key}` of a {what} must be a non-empty string"), None);
                    None
                }
            },
            None => {
                self.error(fields.at, format!("`{key}` is missing from this {what}"), None);
                None
            }
        }
    }

    fn optional_text(&mut self, fields: &Fields, key: &str, what: &str) -> Option<String> {
        if fields.get(key).is_some() {
            self.text(fields, key, what)
        } else {
            None
        }
    }

    fn date(&mut self, fields: &Fields, key: &str, what: &str) -> Option<jiff::civil::Date> {
        let node = fields.get(key);
        let text = self.text(fields, key, what)?;
        match text.parse() {
            Ok(date) => Some(date),
            Err(e) => {
                self.error(
                    node.map_or(fields.at, |n| n.region.start),
                    format!("`{key}` is not a date: {e}"),
                    Some("write dates as YYYY-MM-DD"),
                );
                None
            }
        }
    }

    fn evidence(&mut self, fields: &Fields, what: &str) -> Option<Evidence> {
        let Some(node) = fields.get("evidence") else {
            self.error(fields.at, format!("`evidence` is missing from this {what}"), None);
            return None;
        };
        let Some(entries) = node.as_map() else {
            self.error(node.region.start, "`evidence` must map paths to values".into(), None);
            return None;
        };
        let mut out = Evidence::new();
        for (path, value) in entries {
            match &value.value {
                Value::Null => {
                    out.insert(path.to_string(), None);
                }
                // Checked without building the value: only its text is kept.
                Value::Str(json) if serde_json::from_str::<serde::de::IgnoredAny>(json).is_ok() => {
                    out.insert(path.to_string(), Some(json.to_string()));
                }
                _ => self.error(
                    value.region.start,
                    format!("the evidence at `{path}` must be a JSON value in a string, or ~"),
                    Some("evidence is written by annexa; re-record it rather than editing it by hand"),
                ),
            }
        }
        Some(out)
    }

    fn disposition(&mut self, node: &Node) -> Option<Disposition> {
        const WHAT: &str = "disposition";
        let f = self.map(
            node,
            "a disposition",
            &["system", "rule", "status", "assessed", "reviewer", "note", "fingerprint", "rule_hash", "evidence"],
        )?;
        let status_node = f.get("status");
        let status = match self.text(&f, "status", WHAT).as_deref() {
            Some("pass") => Some(Status::Pass),
            Some("fail") => Some(Status::Fail),
            Some(other) => {
                self.error(
                    status_node.map_or(f.at, |n| n.region.start),
                    format!("unknown status `{other}`"),
                    Some("a disposition records `pass` or `fail`"),
                );
                None
            }
            None => None,
        };
        let d = Disposition {
            system: self.text(&f, "system", WHAT).unwrap_or_default(),
            rule: self.text(&f, "rule", WHAT).unwrap_or_default(),
            status: status.unwrap_or(Status::Pass),
            assessed: self.date(&f, "assessed", WHAT).unwrap_or_default(),
            reviewer: self.optional_text(&f, "reviewer", WHAT),
            note: self.optional_text(&f, "note", WHAT),
            fingerprint: self.text(&f, "fingerprint", WHAT).unwrap_or_default(),
            rule_hash: self.text(&f, "rule_hash", WHAT).unwrap_or_default(),
            evidence: self.evidence(&f, WHAT).unwrap_or_default(),
            position: f.at,
        };
        Some(d)
    }

    fn waiver(&mut self, node: &Node) -> Option<Waiver> {
        const WHAT: &str = "waiver";
        let f =
            self.map(node, "a waiver", &["system", "rule", "reason", "by", "granted", "expires", "fingerprint", "rule_hash", "evidence"])?;
        Some(Waiver {
            system: self.text(&f, "system", WHAT).unwrap_or_default(),
            rule: self.text(&f, "rule", WHAT).unwrap_or_default(),
            reason: self.text(&f, "reason", WHAT).unwrap_or_default(),
            by: self.text(&f, "by", WHAT).unwrap_or_default(),
            granted: self.date(&f, "granted", WHAT).unwrap_or_default(),
            expires: self.date(&f, "expires", WHAT).unwrap_or_default(),
            fingerprint: self.text(&f, "fingerprint", WHAT).unwrap_or_default(),
            rule_hash: self.text(&f, "rule_hash", WHAT).unwrap_or_default(),
            evidence: self.evidence(&f, WHAT).unwrap_or_default(),
            position: f.at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Dispositions {
        let mut evidence = Evidence::new();
        evidence.insert("spec.models[0].provider".into(), Some("\"openai\"".into()));
        evidence.insert("spec.suppliers".into(), Some("[{\"name\":\"o'neil\"}]".into()));
        evidence.insert("metadata.labels[\"app.kubernetes.io/name\"]".into(), None);
        Dispositions {
            dispositions: vec![
                Disposition {
                    system: "zeta".into(),
                    rule: "AIS001".into(),
                    status: Status::Fail,
                    assessed: jiff::civil::date(2025, 6, 1),
                    reviewer: None,
                    note: Some("known: \"legacy\"\nsecond line".into()),
                    fingerprint: "1234e5".into(),
                    rule_hash: "ab".into(),
                    evidence: Evidence::new(),
                    position: Position::default(),
                },
                Disposition {
                    system: "support-assistant".into(),
                    rule: "AIS003".into(),
                    status: Status::Pass,
                    assessed: jiff::civil::date(2025, 6, 1),
                    reviewer: Some("alice".into()),
                    note: None,
                    fingerprint: "0bbd".into(),
                    rule_hash: "cd".into(),
                    evidence,
                    position: Position::default(),
                },
            ],
            waivers: vec![Waiver {
                system: "true".into(),
                rule: "AIS005".into(),
                reason: "sandboxed: no network".into(),
                by: "Bob Smith".into(),
                granted: jiff::civil::date(2025, 6, 1),
                expires: jiff::civil::date(2025, 9, 1),
                fingerprint: "77".into(),
                rule_hash: "ef".into(),
                evidence: Evidence::new(),
                position: Position::default(),
            }],
        }
    }

    #[test]
    fn writes_sorted_and_reads_back_the_same() {
        let text = write(&sample()).unwrap();
        assert!(text.find("system: support-assistant").unwrap() < text.find("system: zeta").unwrap(), "sorted by system");
        assert!(text.contains("    fingerprint: \"1234e5\"\n"), "a value that would read as a number is quoted:\n{text}");
        assert!(text.contains("  - system: \"true\"\n"));
        assert!(text.contains("    note: \"known: \\\"legacy\\\"\\nsecond line\"\n"));
        assert!(text.contains("      \"spec.suppliers\": '[{\"name\":\"o''neil\"}]'\n"));
        assert!(text.contains("      \"metadata.labels[\\\"app.kubernetes.io/name\\\"]\": ~\n"));
        let back = read(&text, "d.yaml").unwrap();
        assert_eq!(write(&back).unwrap(), text, "byte-identical round trip");
        let ais003 = back.dispositions.iter().find(|d| d.rule == "AIS003").unwrap();
        assert_eq!(ais003.evidence, sample().dispositions[1].evidence);
        assert_eq!(ais003.position, Position::new(5, 5), "the first entry after sorting");
        assert_eq!(back.dispositions[1].note.as_deref(), Some("known: \"legacy\"\nsecond line"));
    }

    #[test]
    fn write_refuses_what_read_would_refuse() {
        assert_eq!(nodes(&Dispositions::default()), yaml::parse_stream(&render(&Dispositions::default()), &LIMITS).0[0].root.count());
        let file = sample();
        let text = write(&file).unwrap();
        let counted = yaml::parse_stream(&text, &LIMITS).0[0].root.count();
        assert_eq!(nodes(&file), counted, "the writer counts nodes as the reader does");
        // At the bound both accept; one node under it, both refuse.
        assert!(read_within(&text, "d.yaml", &yaml::Limits { max_nodes: counted, ..LIMITS }).is_ok());
        let errors = read_within(&text, "d.yaml", &yaml::Limits { max_nodes: counted - 1, ..LIMITS }).unwrap_err();
        assert_eq!(errors[0].message, format!("more than {} nodes in one stream", counted - 1));
        assert_eq!(write_within(&file, counted, text.len()).as_ref(), Ok(&text));
        let refused = write_within(&file, counted - 1, usize::MAX).unwrap_err();
        assert_eq!(refused, TooLarge { nodes: counted, bytes: None, dispositions: 2, waivers: 1 });
        assert_eq!(
            refused.to_string(),
            format!(
                "it would hold {counted} nodes (dispositions: 2, waivers: 1), and annexa reads at most 16000000 from a dispositions file"
            )
        );
        assert_eq!(write_within(&file, counted, text.len() - 1).unwrap_err().bytes, Some(text.len()));
    }

    #[test]
    fn problems_are_located() {
        let text = "version: 1\ndispositions:\n  - system: a\n    rule: AIS001\n    status: maybe\n    assessed: 2025-13-01\n    fingerprint: x\n    rule_hash: y\n    evidence: {}\n    colour: red\n";
        let errors = read(text, "d.yaml").unwrap_err();
        let got: Vec<(u32, u32, &str)> =
            errors.iter().map(|e| (e.position.unwrap().line, e.position.unwrap().col, e.message.as_str())).collect();
        assert_eq!(got[0], (10, 5, "unknown key `colour` in a disposition"));
        assert_eq!(got[1], (5, 5, "unknown status `maybe`"));
        assert_eq!((got[2].0, got[2].1), (6, 5));
        assert!(got[2].2.starts_with("`assessed` is not a date"));
        let bad_json = "version: 1\ndispositions:\n  - {system: a, rule: R, status: pass, assessed: 2025-06-01, fingerprint: x, rule_hash: y,\n     evidence: {spec.a: '{not json'}}\n";
        let errors = read(bad_json, "d.yaml").unwrap_err();
        assert_eq!(
            (errors[0].position.unwrap().line, errors[0].message.as_str()),
            (4, "the evidence at `spec.a` must be a JSON value in a string, or ~")
        );
        let errors = read("version: 1\ndispositions: [\n", "d.yaml").unwrap_err();
        assert_eq!(errors[0].position.map(|p| p.line), Some(3));
        assert_eq!(read("", "d.yaml").unwrap(), Dispositions::default());
    }
}
