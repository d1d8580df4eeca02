//! The JSON Lines format (documented in `docs/jsonl.md`): one JSON object per
//! line, for each finding, each outcome without findings (pass,
//! not_applicable, error), each input error and each rule that failed to
//! load. Lines are written as each file's results arrive, so `jq`, data
//! warehouses and benchmark harnesses can consume a scan of any size.

use std::io::{self, Write};

use super::{FileResult, Header, Outcome, Renderer, Status, Summary};
use crate::document::canonical::hex_digit;
use crate::document::{path, Position};

/// A file's lines are handed to the writer once they reach this size: a
/// stream of 50,000 documents made 160 MB of lines, held until its last one.
const HAND_ON_AT: usize = 1 << 20;

#[derive(Default)]
pub struct JsonlRenderer {
    header: Option<Header>,
    /// One file's lines, handed to the writer in one call.
    buffer: Vec<u8>,
    /// Scratch for a finding's JSON Pointer.
    pointer: String,
    /// The current file's path as a JSON string, escaped once for all its lines.
    file_json: Vec<u8>,
}

/// One line. Fields that do not apply to a record are left out.
struct Line<'a> {
    /// `finding`, `outcome`, `input_error` or `rule_error`.
    record: &'static str,
    doc: Option<&'a str>,
    policy: Option<&'a str>,
    rule: Option<&'a str>,
    status: &'static str,
    severity: Option<&'static str>,
    /// The path as a JSON Pointer.
    path: Option<&'a str>,
    dotted: Option<&'a str>,
    located_at: Option<&'a str>,
    msg: Option<&'a str>,
    hint: Option<&'a str>,
    file: &'a str,
    /// `file` already written as a JSON string, when the caller has it.
    file_json: Option<&'a [u8]>,
    index: Option<usize>,
    line: Option<u32>,
    col: Option<u32>,
    /// Where in the rule file a rule error happened.
    rule_line: Option<u32>,
    rule_col: Option<u32>,
    fingerprint: Option<&'a str>,
}

impl<'a> Line<'a> {
    fn new(record: &'static str, status: &'static str, file: &'a str) -> Self {
        Line {
            record,
            doc: None,
            policy: None,
            rule: None,
            status,
            severity: None,
            path: None,
            dotted: None,
            located_at: None,
            msg: None,
            hint: None,
            file,
            file_json: None,
            index: None,
            line: None,
            col: None,
            rule_line: None,
            rule_col: None,
            fingerprint: None,
        }
    }

    fn at(mut self, position: Option<Position>) -> Self {
        self.line = position.map(|p| p.line);
        self.col = position.map(|p| p.col);
        self
    }

    /// Compact JSON, fields in declaration order, as serde_json would write
    /// this struct: a direct writer is several times cheaper per line.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"record\":");
        known(out, self.record);
        optional_string(out, b",\"doc\":", self.doc);
        optional_string(out, b",\"policy\":", self.policy);
        optional_string(out, b",\"rule\":", self.rule);
        out.extend_from_slice(b",\"status\":");
        known(out, self.status);
        if let Some(severity) = self.severity {
            out.extend_from_slice(b",\"severity\":");
            known(out, severity);
        }
        optional_string(out, b",\"path\":", self.path);
        optional_string(out, b",\"dotted\":", self.dotted);
        optional_string(out, b",\"located_at\":", self.located_at);
        optional_string(out, b",\"msg\":", self.msg);
        optional_string(out, b",\"hint\":", self.hint);
        out.extend_from_slice(b",\"file\":");
        match self.file_json {
            Some(json) => out.extend_from_slice(json),
            None => string(out, self.file),
        }
        optional_number(out, b",\"index\":", self.index.map(|i| i as u64));
        optional_number(out, b",\"line\":", self.line.map(u64::from));
        optional_number(out, b",\"col\":", self.col.map(u64::from));
        optional_number(out, b",\"rule_line\":", self.rule_line.map(u64::from));
        optional_number(out, b",\"rule_col\":", self.rule_col.map(u64::from));
        optional_string(out, b",\"fingerprint\":", self.fingerprint);
        out.extend_from_slice(b"}\n");
    }
}

fn optional_string(out: &mut Vec<u8>, key: &[u8], value: Option<&str>) {
    if let Some(value) = value {
        out.extend_from_slice(key);
        string(out, value);
    }
}

fn optional_number(out: &mut Vec<u8>, key: &[u8], value: Option<u64>) {
    if let Some(value) = value {
        out.extend_from_slice(key);
        number(out, value);
    }
}

/// One of our own names (`record`, `status`, `severity`), which never need escaping.
fn known(out: &mut Vec<u8>, name: &'static str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// A JSON string, escaped exactly as serde_json does: `"`, `\\` and control
/// characters only (short forms where JSON has them, else `\u00XX`).
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Whether any byte needs escaping, eight bytes at a time (SWAR): most
/// strings need none and are copied whole.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let chunks = bytes.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte below 0x20, or equal to `"` or `\\`: exact tests, whole word at once.
        let control = x.wrapping_sub(ONES * 0x20) & !x;
        let quote = (x ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES) & !(x ^ (ONES * u64::from(b'"')));
        let backslash = (x ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES) & !(x ^ (ONES * u64::from(b'\\')));
        if (control | quote | backslash) & HIGH != 0 {
            return true;
        }
    }
    tail.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

fn number(out: &mut Vec<u8>, n: u64) {
    let mut buffer = [0u8; 20];
    out.extend_from_slice(decimal(n, &mut buffer));
}

/// The decimal digits of `n`, written at the end of `buffer`.
fn decimal(mut n: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut len = 0;
    for slot in buffer.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buffer.get(buffer.len() - len..).unwrap_or_default()
}

/// The JSON Pointer of a finding's dotted path into `out`.
fn pointer(dotted: &str, out: &mut String) {
    out.clear();
    if !pointer_of_plain(dotted, out) {
        out.clear();
        out.push_str(&path::parse(dotted).map_or_else(|_| String::new(), |s| path::pointer(&s)));
    }
}

/// The JSON Pointer of a path made of plain keys and indices (what rules
/// nearly always name), without parsing it into segments; false for anything
/// else (quoted keys, wildcards, malformed paths), which `path::parse` handles.
fn pointer_of_plain(dotted: &str, out: &mut String) -> bool {
    let mut rest = dotted;
    let mut expect_key = true;
    while let Some(first) = rest.bytes().next() {
        match first {
            b'[' => {
                let Some(close) = rest.find(']') else { return false };
                let inner = rest.get(1..close).unwrap_or_default();
                if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                let Ok(index) = inner.parse::<usize>() else { return false };
                out.push('/');
                let mut buffer = [0u8; 20];
                for &d in decimal(index as u64, &mut buffer) {
                    out.push(char::from(d));
                }
                rest = rest.get(close + 1..).unwrap_or_default();
                expect_key = false;
            }
            b'.' if !expect_key => {
                rest = rest.get(1..).unwrap_or_default();
                expect_key = true;
            }
            _ if expect_key && first != b'.' => {
                let end = rest.bytes().position(|b| b == b'.' || b == b'[').unwrap_or(rest.len());
                let key = rest.get(..end).unwrap_or_default();
                if key == "*" || key.bytes().any(|b| matches!(b, b']' | b'"' | b'\'' | b'~' | b'/')) {
                    // Wildcards and odd keys go the long way, as do keys to escape (`~`, `/`).
                    return false;
                }
                out.push('/');
                out.push_str(key);
                rest = rest.get(end..).unwrap_or_default();
                expect_key = false;
            }
            _ => return false,
        }
    }
    // A path cannot end with `.` (the empty path is the root).
    !expect_key || dotted.is_empty()
}

/// The lines of one outcome: one per finding when it failed, else one.
fn outcome(header: Option<&Header>, file: (&FileResult, &[u8]), outcome: &Outcome, out: &mut Vec<u8>, pointer_scratch: &mut String) {
    let (file, file_json) = file;
    let info = file.document(outcome.document);
    let severity = header.map(|h| h.severity_of(&outcome.rule).as_str());
    let base = || {
        let mut line = Line::new("outcome", outcome.status.as_str(), &file.path);
        line.file_json = Some(file_json);
        line.doc = info.map(|d| d.identity.as_str());
        line.policy = Some(&outcome.rule);
        line.rule = Some(&outcome.rule);
        line.severity = severity;
        line.index = Some(outcome.document);
        line.fingerprint = Some(&outcome.fingerprint);
        line.at(info.map(|d| d.region.start))
    };
    if outcome.status == Status::Fail {
        for finding in &outcome.findings {
            pointer(&finding.path, pointer_scratch);
            let mut line = base().at(Some(finding.region.start));
            line.record = "finding";
            line.path = Some(pointer_scratch);
            line.dotted = Some(&finding.path);
            line.located_at = finding.located_at.as_deref();
            line.msg = Some(&finding.message);
            line.write(out);
        }
        return;
    }
    let mut line = base();
    if let Some(error) = &outcome.error {
        line.msg = Some(&error.message);
        line.rule_line = error.rule_position.map(|p| p.line);
        line.rule_col = error.rule_position.map(|p| p.col);
    }
    line.write(out);
}

impl Renderer for JsonlRenderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        let mut buffer = Vec::new();
        for error in &header.rule_errors {
            let mut line = Line::new("rule_error", Status::Error.as_str(), &error.file).at(error.position);
            line.rule = error.rule.as_deref();
            line.msg = Some(&error.message);
            line.hint = error.hint.as_deref();
            line.write(&mut buffer);
        }
        self.header = Some(header.clone());
        out.write_all(&buffer)
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        self.buffer.clear();
        for error in &file.errors {
            let mut line = Line::new("input_error", Status::Error.as_str(), &error.file).at(error.position);
            line.msg = Some(&error.message);
            line.hint = error.hint.as_deref();
            line.write(&mut self.buffer);
        }
        self.file_json.clear();
        string(&mut self.file_json, &file.path);
        for o in &file.outcomes {
            outcome(self.header.as_ref(), (file, &self.file_json), o, &mut self.buffer, &mut self.pointer);
            // A file of many documents: its lines go out as they grow, not all at once.
            if self.buffer.len() >= HAND_ON_AT {
                out.write_all(&self.buffer)?;
                self.buffer.clear();
            }
        }
        out.write_all(&self.buffer)?;
        if self.buffer.capacity() > 2 * HAND_ON_AT {
            self.buffer = Vec::new();
        }
        Ok(())
    }

    fn end(&mut self, _summary: &Summary, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u8..=127).map(|b| format!("a{}b", char::from(b))).collect();
        samples.extend(
            ["", "plain", "quote \" and \\ backslash", "é ✓ 𝄞 \u{7f} \u{80} \u{2028}", "\u{0}\u{1f}\n\r\t\u{8}\u{c}"].map(String::from),
        );
        for s in samples {
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn escape_detection_is_exact_at_every_offset() {
        for len in 0..20 {
            let clean = "a~ é".repeat(len).chars().take(len).collect::<String>();
            assert!(!needs_escape(clean.as_bytes()), "{clean:?}");
            for at in 0..clean.len() {
                for bad in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut bytes = clean.clone().into_bytes();
                    bytes[at] = bad;
                    assert!(needs_escape(&bytes), "{bytes:?}");
                }
                for fine in [b' ', b'!', b'#', b'[', b']', b'^', 0x7f, 0x80, 0xff, 0x21, 0x5d] {
                    let mut bytes = clean.clone().into_bytes();
                    bytes[at] = fine;
                    assert!(!needs_escape(&bytes), "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 7, 10, 99, 100, 65535, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn pointers_match_parsing_the_path() {
        let paths = [
            "spec.tools[1].requires_approval",
            "",
            ".",
            "a",
            "[0]",
            "[0][12].x",
            "a[007]",
            "a/b~c.d",
            "metadata.labels[\"app.kubernetes.io/name\"]",
            "a['b']",
            "a[*].b",
            "a.*.b",
            "spec..x",
            "spec.",
            ".spec",
            "a[0]b",
            "a[x]",
            "a[1",
            "a]b.c",
            "a\"b",
            "a[99999999999999999999999]",
            "ключ.значение[3]",
        ];
        for p in paths {
            let expected = path::parse(p).map_or_else(|_| String::new(), |s| path::pointer(&s));
            let mut out = String::from("left over");
            pointer(p, &mut out);
            assert_eq!(out, expected, "{p:?}");
        }
    }

    /// The lines of a file of many documents reach the writer in pieces of
    /// about `HAND_ON_AT` bytes, and together they are what one piece was.
    #[test]
    fn a_large_file_is_handed_on_in_pieces() {
        use crate::report::{DocumentInfo, FileResult, Outcome, Renderer, Status};
        let at = Position::new(1, 1);
        let documents = 20_000;
        let file = FileResult {
            path: "many.yaml".into(),
            documents: (0..documents)
                .map(|index| DocumentInfo {
                    index,
                    identity: format!("system-{index}"),
                    kind: "AISystem".into(),
                    api_version: None,
                    hash: None,
                    region: crate::document::Region::new(at, at),
                })
                .collect(),
            outcomes: (0..documents)
                .map(|document| Outcome {
                    rule: "R001".into(),
                    document,
                    status: Status::Pass,
                    findings: Vec::new(),
                    error: None,
                    logs: Vec::new(),
                    fingerprint: "0".repeat(32),
                    evidence: None,
                    disposition: None,
                })
                .collect(),
            ..FileResult::default()
        };
        struct Pieces(Vec<usize>, Vec<u8>);
        impl Write for Pieces {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.push(bytes.len());
                self.1.extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut pieces = Pieces(Vec::new(), Vec::new());
        JsonlRenderer::default().file(&file, &mut pieces).unwrap();
        let text = String::from_utf8(pieces.1).unwrap();
        assert_eq!(text.lines().count(), documents);
        assert!(text.lines().all(|l| l.starts_with("{\"record\":\"outcome\",\"doc\":\"system-")));
        assert_eq!(text.lines().last().map(|l| l.contains("\"doc\":\"system-19999\"")), Some(true));
        let line = text.len() / documents;
        assert!(pieces.0.len() > 1, "{} bytes in one piece", text.len());
        assert!(pieces.0.iter().all(|&n| n < HAND_ON_AT + 2 * line), "{:?}", pieces.0);
    }

    #[test]
    fn a_line_is_one_json_object_with_fields_in_order() {
        let mut line = Line::new("finding", "fail", "dir/a \"b\".yaml").at(Some(Position::new(3, 5)));
        line.doc = Some("bot");
        line.policy = Some("P01");
        line.rule = Some("P01");
        line.severity = Some("high");
        line.path = Some("/spec/x");
        line.dotted = Some("spec.x");
        line.located_at = Some("spec");
        line.msg = Some("tab\there");
        line.hint = Some("h");
        line.index = Some(2);
        line.rule_line = Some(9);
        line.rule_col = Some(1);
        line.fingerprint = Some("ab12");
        let mut out = Vec::new();
        line.write(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{"record":"finding","doc":"bot","policy":"P01","rule":"P01","status":"fail","severity":"high","path":"/spec/x","#,
                r#""dotted":"spec.x","located_at":"spec","msg":"tab\there","hint":"h","file":"dir/a \"b\".yaml","index":2,"line":3,"#,
                r#""col":5,"rule_line":9,"rule_col":1,"fingerprint":"ab12"}"#,
                "\n"
            )
        );
        let mut out = Vec::new();
        Line::new("outcome", "pass", "f.yaml").write(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "{\"record\":\"outcome\",\"status\":\"pass\",\"file\":\"f.yaml\"}\n");
    }
}
