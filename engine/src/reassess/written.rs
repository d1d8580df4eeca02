//! The dispositions file read as `file::write` writes it, line by line.
//!
//! The file holds an entry for every (system, rule), so it grows with the
//! repository, and every `scan` that names it reads it: the pre-merge hook's
//! one-file scans too. As YAML, a file of 1,000 systems (16 MB) was built
//! into a tree first and took ~130 MB and ~0.1 s. This reader takes the
//! layout `write` produces and nothing else, building the entries straight
//! from the lines. At the first line that differs (a hand edit, another
//! order, anything that would be a problem to report) it gives up, and
//! `file::read` reads the file as YAML, which locates every problem. Tests
//! hold the two readers to the same result.

use std::collections::HashSet;

use super::evidence::Evidence;
use super::file::{is_plain, LIMITS, VERSION};
use super::{Disposition, Dispositions, Waiver};
use crate::document::Position;
use crate::report::Status;

/// The entries of `text`, or `None` when it is not exactly as `write` writes.
pub(super) fn read(text: &str) -> Option<Dispositions> {
    // What the YAML fast path leaves to the full parser is left to the YAML reader here too.
    if crate::document::plain_text(text).is_none() || !text.ends_with('\n') {
        return None;
    }
    let mut lines = Lines::new(text);
    while lines.peek()?.starts_with('#') {
        lines.next();
    }
    if lines.next()? != format!("version: {VERSION}") {
        return None;
    }
    let dispositions = list(&mut lines, "dispositions", disposition)?;
    let waivers = list(&mut lines, "waivers", waiver)?;
    let file = Dispositions { dispositions, waivers };
    let unique_dispositions = unique(file.dispositions.iter().map(|d| (&d.system, &d.rule)));
    let unique_waivers = unique(file.waivers.iter().map(|w| (&w.system, &w.rule)));
    let within = super::file::nodes(&file) <= LIMITS.max_nodes;
    (lines.next().is_none() && unique_dispositions && unique_waivers && within).then_some(file)
}

/// `name: []`, or `name:` and its entries, each read by `entry` from the
/// number of its first line.
fn list<T>(lines: &mut Lines, name: &str, entry: impl Fn(&mut Lines, u32) -> Option<T>) -> Option<Vec<T>> {
    let rest = lines.next()?.strip_prefix(name)?;
    let mut entries = Vec::new();
    match rest {
        ": []" => return Some(entries),
        ":" => {}
        _ => return None,
    }
    loop {
        let number = lines.number + 1;
        entries.push(entry(lines, number)?);
        if !lines.peek().is_some_and(|l| l.starts_with("  - ")) {
            return Some(entries);
        }
    }
}

fn unique<'a>(pairs: impl Iterator<Item = (&'a String, &'a String)>) -> bool {
    let mut seen = HashSet::new();
    pairs.into_iter().all(|pair| seen.insert(pair))
}

fn disposition(lines: &mut Lines, number: u32) -> Option<Disposition> {
    let system = text(lines.next()?.strip_prefix("  - system: ")?)?;
    let rule = text(field(lines, "rule")?)?;
    let status = match field(lines, "status")? {
        "pass" => Status::Pass,
        "fail" => Status::Fail,
        _ => return None,
    };
    let assessed = date(field(lines, "assessed")?)?;
    let reviewer = optional(lines, "reviewer")?;
    let note = optional(lines, "note")?;
    Some(Disposition {
        system,
        rule,
        status,
        assessed,
        reviewer,
        note,
        fingerprint: text(field(lines, "fingerprint")?)?,
        rule_hash: text(field(lines, "rule_hash")?)?,
        evidence: evidence(lines)?,
        position: Position::new(number, 5),
    })
}

fn waiver(lines: &mut Lines, number: u32) -> Option<Waiver> {
    Some(Waiver {
        system: text(lines.next()?.strip_prefix("  - system: ")?)?,
        rule: text(field(lines, "rule")?)?,
        reason: text(field(lines, "reason")?)?,
        by: text(field(lines, "by")?)?,
        granted: date(field(lines, "granted")?)?,
        expires: date(field(lines, "expires")?)?,
        fingerprint: text(field(lines, "fingerprint")?)?,
        rule_hash: text(field(lines, "rule_hash")?)?,
        evidence: evidence(lines)?,
        position: Position::new(number, 5),
    })
}

/// The value of the entry field `key` on the next line.
fn field<'t>(lines: &mut Lines<'t>, key: &str) -> Option<&'t str> {
    lines.next()?.strip_prefix("    ")?.strip_prefix(key)?.strip_prefix(": ")
}

/// An optional text field: absent, or present and well formed (`None` when not).
fn optional(lines: &mut Lines, key: &str) -> Option<Option<String>> {
    let present = lines.peek()?.strip_prefix("    ").and_then(|l| l.strip_prefix(key)).is_some_and(|l| l.starts_with(": "));
    if !present {
        return Some(None);
    }
    text(field(lines, key)?).map(Some)
}

/// A string as `quote` writes it, and only so: plain when `is_plain`, else
/// JSON that writes back to the same bytes; and (as the YAML reader
/// requires) not blank.
fn text(written: &str) -> Option<String> {
    let value = if written.starts_with('"') {
        let value = serde_json::from_str::<String>(written).ok()?;
        (!is_plain(&value) && serde_json::to_string(&value).ok()? == written).then_some(value)?
    } else {
        is_plain(written).then(|| written.to_string())?
    };
    (!value.trim().is_empty()).then_some(value)
}

fn date(written: &str) -> Option<jiff::civil::Date> {
    let date: jiff::civil::Date = written.parse().ok()?;
    (date.to_string() == written).then_some(date)
}

/// `evidence: {}`, or `evidence:` and one line per path: the path as a JSON
/// string, the value as canonical JSON in single quotes, or `~`.
fn evidence(lines: &mut Lines) -> Option<Evidence> {
    let mut out = Evidence::new();
    match lines.next()? {
        "    evidence: {}" => return Some(out),
        "    evidence:" => {}
        _ => return None,
    }
    while lines.peek().is_some_and(|l| l.starts_with("      \"")) {
        let line = lines.next()?.strip_prefix("      ")?;
        let mut strings = serde_json::Deserializer::from_str(line).into_iter::<String>();
        let path = strings.next()?.ok()?;
        let (key, rest) = line.split_at_checked(strings.byte_offset())?;
        if serde_json::to_string(&path).ok()? != key {
            return None;
        }
        let value = match rest.strip_prefix(": ")? {
            "~" => None,
            quoted => {
                let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
                // Most values hold no quote: nothing to undo, nothing to check it against.
                let json = if inner.contains('\'') {
                    let json = inner.replace("''", "'");
                    if json.replace('\'', "''") != inner {
                        return None;
                    }
                    json
                } else {
                    inner.to_string()
                };
                serde_json::from_str::<serde::de::IgnoredAny>(&json).ok()?;
                Some(json)
            }
        };
        if out.insert(path, value).is_some() {
            return None;
        }
    }
    // `evidence:` with nothing under it is null to YAML: the YAML reader reports it.
    (!out.is_empty()).then_some(out)
}

/// The lines of a text that ends with a line break, numbered from 1, with
/// one line of lookahead.
struct Lines<'t> {
    rest: &'t str,
    /// How many lines `next` has handed out.
    number: u32,
    peeked: Option<Option<&'t str>>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines { rest: text, number: 0, peeked: None }
    }

    fn pull(&mut self) -> Option<&'t str> {
        let (line, rest) = self.rest.split_once('\n')?;
        self.rest = rest;
        Some(line)
    }

    fn peek(&mut self) -> Option<&'t str> {
        if self.peeked.is_none() {
            let line = self.pull();
            self.peeked = Some(line);
        }
        self.peeked.flatten()
    }

    fn next(&mut self) -> Option<&'t str> {
        let line = match self.peeked.take() {
            Some(line) => line,
            None => self.pull(),
        };
        self.number += u32::from(line.is_some());
        line
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::file::{read_within, render, LIMITS};
    use super::*;

    /// Strings that read back as themselves plain, and ones that must be quoted.
    fn words() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_./@-]{1,10}",
            Just("true".to_string()),
            Just("123".to_string()),
            Just("~".to_string()),
            Just("null".to_string()),
            Just("-x".to_string()),
            Just("#x".to_string()),
            Just("a b".to_string()),
            Just("  padded ".to_string()),
            Just(" ".to_string()),
            Just("quote \" and \\ back".to_string()),
            Just("two\nlines".to_string()),
            Just("it's".to_string()),
            Just("é ✓ 𝄞".to_string()),
            Just("tab\there".to_string()),
            Just("line\u{2028}sep".to_string()),
        ]
    }

    fn evidence() -> impl Strategy<Value = Evidence> {
        let value = prop_oneof![
            Just(None),
            Just(Some("\"openai\"".to_string())),
            Just(Some("[{\"name\":\"o'neil\"}]".to_string())),
            Just(Some("{\"a\":[1,2.5,true,null]}".to_string())),
            Just(Some("\"x''y\"".to_string())),
            Just(Some("{not json".to_string())),
        ];
        prop::collection::btree_map(words(), value, 0..4)
    }

    fn date() -> impl Strategy<Value = jiff::civil::Date> {
        (2020i16..2030, 1i8..13, 1i8..29).prop_map(|(y, m, d)| jiff::civil::date(y, m, d))
    }

    fn disposition() -> impl Strategy<Value = Disposition> {
        let names = (words(), words(), any::<bool>(), date());
        let notes = (prop::option::of(words()), prop::option::of(words()), words(), words(), evidence());
        (names, notes).prop_map(|((system, rule, fail, assessed), (reviewer, note, fingerprint, rule_hash, evidence))| Disposition {
            system,
            rule,
            status: if fail { Status::Fail } else { Status::Pass },
            assessed,
            reviewer,
            note,
            fingerprint,
            rule_hash,
            evidence,
            position: Position::default(),
        })
    }

    fn waiver() -> impl Strategy<Value = Waiver> {
        let who = (words(), words(), words(), words(), date(), date());
        (who, words(), words(), evidence()).prop_map(|((system, rule, reason, by, granted, expires), fingerprint, rule_hash, evidence)| {
            Waiver { system, rule, reason, by, granted, expires, fingerprint, rule_hash, evidence, position: Position::default() }
        })
    }

    fn file() -> impl Strategy<Value = Dispositions> {
        (prop::collection::vec(disposition(), 0..5), prop::collection::vec(waiver(), 0..3))
            .prop_map(|(dispositions, waivers)| Dispositions { dispositions, waivers })
    }

    /// One small edit of the text: a byte range cut, a piece put in, or a line said twice.
    fn edited(text: &str, at: usize, len: usize, piece: &str, how: u8) -> String {
        let at = (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let end = (at + len..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        match how % 3 {
            0 => format!("{}{}", &text[..at], &text[end..]),
            1 => format!("{}{piece}{}", &text[..at], &text[at..]),
            _ => {
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let stop = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                format!("{}{}", &text[..stop], &text[start..])
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// What `write` writes, this reader reads as the YAML reader does
        /// (entries, evidence and positions), or leaves to it.
        #[test]
        fn written_files_read_as_the_yaml_reader_reads_them(file in file()) {
            let text = render(&file);
            let by_yaml = read_within(&text, "d.yaml", &LIMITS);
            match read(&text) {
                Some(by_lines) => prop_assert_eq!(Ok(by_lines), by_yaml),
                None => {
                    // Only what the YAML reader refuses, or characters it alone reads, are left to it.
                    let odd = crate::document::plain_text(&text).is_none();
                    prop_assert!(by_yaml.is_err() || odd, "refused a file the YAML reader reads:\n{}", text);
                }
            }
        }

        /// After any small edit, whatever this reader still accepts, the YAML reader reads the same.
        #[test]
        fn edited_files_are_read_the_same_or_left_to_yaml(
            file in file(),
            at in 0usize..4000,
            len in 0usize..8,
            piece in prop_oneof![Just(" "), Just("  "), Just("'"), Just("\""), Just(":"), Just("\n"), Just("#"), Just("- "), Just("~"), Just("x")],
            how in any::<u8>(),
        ) {
            let text = edited(&render(&file), at, len, piece, how);
            if let Some(by_lines) = read(&text) {
                prop_assert_eq!(Ok(by_lines), read_within(&text, "d.yaml", &LIMITS), "{}", text);
            }
        }
    }

    #[test]
    fn entries_are_located_at_their_first_line() {
        let text = "# c\nversion: 1\ndispositions:\n  - system: a\n    rule: R1\n    status: fail\n    assessed: 2025-06-01\n    fingerprint: f\n    rule_hash: h\n    evidence: {}\n  - system: b\n    rule: R1\n    status: pass\n    assessed: 2025-06-01\n    fingerprint: f\n    rule_hash: h\n    evidence:\n      \"spec.a\": '1'\nwaivers: []\n";
        let file = read(text).expect("as written");
        let at: Vec<(u32, u32)> = file.dispositions.iter().map(|d| (d.position.line, d.position.col)).collect();
        assert_eq!(at, [(4, 5), (11, 5)]);
        assert_eq!(file.dispositions[1].evidence.get("spec.a"), Some(&Some("1".to_string())));
        // Out of the written order: left to the YAML reader.
        assert_eq!(read(&text.replace("    rule: R1\n    status: fail\n", "    status: fail\n    rule: R1\n")), None);
    }
}
