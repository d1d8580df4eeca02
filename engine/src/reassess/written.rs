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
//!
//! A scan needs the entries of the systems it meets, and of the others only
//! who and what they are. `Index` checks every line as `read` does, keeps a
//! short record of each entry, and builds a system's entries when asked:
//! the pre-merge hook's one-file scan builds ~30 entries, not 31,000.

use std::borrow::Cow;

use super::evidence::Evidence;
use super::file::{is_plain, LIMITS, VERSION};
use super::{Disposition, Dispositions, Waiver};
use crate::document::Position;
use crate::report::Status;

/// The entries of `text`, or `None` when it is not exactly as `write` writes.
pub(crate) fn read(text: &str) -> Option<Dispositions> {
    let mut file = Dispositions::default();
    walk(text, |entry, lines| {
        let (evidence, count) = collect(lines)?;
        match entry.build(evidence) {
            Built::Disposition(d) => file.dispositions.push(d),
            Built::Waiver(w) => file.waivers.push(w),
        }
        Some(count)
    })?;
    Some(file)
}

/// A dispositions file in the written layout, checked whole, with a short
/// record of each entry; entries are built when a scan asks for them.
#[derive(Debug)]
pub struct Index {
    text: String,
    /// In the file's order, which is sorted by (system, rule).
    dispositions: Vec<Short>,
    waivers: Vec<Short>,
}

/// An entry as the index keeps it.
#[derive(Debug)]
struct Short {
    system: Span,
    rule: Span,
    fingerprint: Span,
    /// The verdict and its date (dispositions only).
    recorded: Option<(Status, jiff::civil::Date)>,
    number: u32,
    /// The byte where the entry's first line starts.
    start: usize,
}

/// A string of the file: where it is, or its value where it had to be unquoted.
#[derive(Debug)]
enum Span {
    At(usize, usize),
    Unquoted(Box<str>),
}

/// One entry of an `Index`, without its evidence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexEntry<'a> {
    pub system: &'a str,
    pub rule: &'a str,
    pub fingerprint: &'a str,
    /// The verdict and its date (dispositions only).
    pub recorded: Option<(Status, jiff::civil::Date)>,
    pub position: Position,
}

impl Index {
    /// Indexes `text`, or gives it back when it is not exactly as `write` writes.
    pub fn new(text: String) -> Result<Index, String> {
        let (mut dispositions, mut waivers) = (Vec::new(), Vec::new());
        let walked = walk(&text, |entry, lines| {
            let count = evidence(lines, |_, _| {})?;
            let span = |s: &str| Span::of(&text, s);
            let short = Short {
                system: span(&entry.system),
                rule: span(&entry.rule),
                fingerprint: span(&entry.fingerprint),
                recorded: match &entry.kind {
                    Kind::Disposition { status, assessed, .. } => Some((*status, *assessed)),
                    Kind::Waiver { .. } => None,
                },
                number: entry.number,
                start: entry.start,
            };
            if short.recorded.is_some() {
                dispositions.push(short);
            } else {
                waivers.push(short);
            }
            Some(count)
        });
        match walked {
            Some(()) => Ok(Index { text, dispositions, waivers }),
            None => Err(text),
        }
    }

    pub fn dispositions(&self) -> impl Iterator<Item = IndexEntry<'_>> {
        self.dispositions.iter().map(|s| self.entry(s))
    }

    pub fn waivers(&self) -> impl Iterator<Item = IndexEntry<'_>> {
        self.waivers.iter().map(|s| self.entry(s))
    }

    /// The fingerprints recorded for (system, rule): a disposition's, a waiver's.
    pub fn fingerprints<'a>(&'a self, system: &'a str, rule: &'a str) -> impl Iterator<Item = &'a str> {
        [&self.dispositions, &self.waivers].into_iter().flat_map(move |list| {
            // Sorted by (system, rule), each pair once.
            let at = list.partition_point(|s| (s.system.get(&self.text), s.rule.get(&self.text)) < (system, rule));
            list.get(at)
                .filter(|s| s.system.get(&self.text) == system && s.rule.get(&self.text) == rule)
                .map(|s| s.fingerprint.get(&self.text))
        })
    }

    /// Every entry of `system`, built.
    pub fn system(&self, system: &str) -> (Vec<Disposition>, Vec<Waiver>) {
        let (mut dispositions, mut waivers) = (Vec::new(), Vec::new());
        for list in [&self.dispositions, &self.waivers] {
            // Sorted by system: its entries are one run.
            let first = list.partition_point(|s| s.system.get(&self.text) < system);
            for short in list.iter().skip(first).take_while(|s| s.system.get(&self.text) == system) {
                // Checked when indexed, so building cannot fail; were it to, the entry is left out.
                match self.build(short) {
                    Some(Built::Disposition(d)) => dispositions.push(d),
                    Some(Built::Waiver(w)) => waivers.push(w),
                    None => debug_assert!(false, "an indexed entry did not build"),
                }
            }
        }
        (dispositions, waivers)
    }

    /// Every entry, built: what `read` returns for the same text (the tests' oracle).
    #[cfg(test)]
    pub fn build_all(&self) -> Dispositions {
        let build = |list: &[Short]| list.iter().filter_map(|s| self.build(s)).collect::<Vec<_>>();
        let mut file = Dispositions::default();
        for built in build(&self.dispositions).into_iter().chain(build(&self.waivers)) {
            match built {
                Built::Disposition(d) => file.dispositions.push(d),
                Built::Waiver(w) => file.waivers.push(w),
            }
        }
        file
    }

    fn entry<'a>(&'a self, short: &'a Short) -> IndexEntry<'a> {
        IndexEntry {
            system: short.system.get(&self.text),
            rule: short.rule.get(&self.text),
            fingerprint: short.fingerprint.get(&self.text),
            recorded: short.recorded,
            position: Position::new(short.number, 5),
        }
    }

    fn build(&self, short: &Short) -> Option<Built> {
        let mut lines = Lines::at(self.text.get(short.start..)?, short.number - 1);
        let entry = if short.recorded.is_some() { disposition(&mut lines, short.start)? } else { waiver(&mut lines, short.start)? };
        Some(entry.build(collect(&mut lines)?.0))
    }
}

impl Span {
    /// `s` as a place in `text` when it is a slice of it, else (unquoted into memory of its own) its value.
    fn of(text: &str, s: &str) -> Span {
        let start = (s.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        if start <= text.len() && text.len() - start >= s.len() {
            Span::At(start, start + s.len())
        } else {
            Span::Unquoted(s.into())
        }
    }

    fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Span::At(start, end) => text.get(*start..*end).unwrap_or_default(),
            Span::Unquoted(s) => s,
        }
    }
}

/// An entry's fields as written, borrowed where nothing needed unquoting;
/// its evidence lines follow.
struct Entry<'t> {
    number: u32,
    start: usize,
    system: Cow<'t, str>,
    rule: Cow<'t, str>,
    fingerprint: Cow<'t, str>,
    rule_hash: Cow<'t, str>,
    kind: Kind<'t>,
}

enum Kind<'t> {
    Disposition { status: Status, assessed: jiff::civil::Date, reviewer: Option<Cow<'t, str>>, note: Option<Cow<'t, str>> },
    Waiver { reason: Cow<'t, str>, by: Cow<'t, str>, granted: jiff::civil::Date, expires: jiff::civil::Date },
}

enum Built {
    Disposition(Disposition),
    Waiver(Waiver),
}

impl Entry<'_> {
    /// The nodes the entry takes in YAML without its evidence (see `file::nodes`).
    fn nodes(&self) -> usize {
        match &self.kind {
            Kind::Disposition { reviewer, note, .. } => 8 + usize::from(reviewer.is_some()) + usize::from(note.is_some()),
            Kind::Waiver { .. } => 10,
        }
    }

    fn build(self, evidence: Evidence) -> Built {
        let position = Position::new(self.number, 5);
        let (system, rule) = (self.system.into_owned(), self.rule.into_owned());
        let (fingerprint, rule_hash) = (self.fingerprint.into_owned(), self.rule_hash.into_owned());
        match self.kind {
            Kind::Disposition { status, assessed, reviewer, note } => Built::Disposition(Disposition {
                system,
                rule,
                status,
                assessed,
                reviewer: reviewer.map(Cow::into_owned),
                note: note.map(Cow::into_owned),
                fingerprint,
                rule_hash,
                evidence,
                position,
            }),
            Kind::Waiver { reason, by, granted, expires } => Built::Waiver(Waiver {
                system,
                rule,
                reason: reason.into_owned(),
                by: by.into_owned(),
                granted,
                expires,
                fingerprint,
                rule_hash,
                evidence,
                position,
            }),
        }
    }
}

/// Walks a file in the written layout, handing each entry to `each` with
/// its evidence lines still to read; `each` reads them and says how many
/// there were. `None` when the text is not as `write` writes it.
fn walk<'t>(text: &'t str, mut each: impl FnMut(Entry<'t>, &mut Lines<'t>) -> Option<usize>) -> Option<()> {
    // What the YAML fast path leaves to the full parser is left to the YAML reader here too.
    if crate::document::plain_text(text).is_none() || !text.ends_with('\n') {
        return None;
    }
    let mut lines = Lines::at(text, 0);
    while lines.peek()?.starts_with('#') {
        lines.next();
    }
    if lines.next()? != format!("version: {VERSION}") {
        return None;
    }
    // The root mapping, `version`, and the two lists (see `file::nodes`).
    let mut nodes = 4;
    for name in ["dispositions", "waivers"] {
        match lines.next()?.strip_prefix(name)? {
            ": []" => continue,
            ":" => {}
            _ => return None,
        }
        let mut last: Option<(Cow<str>, Cow<str>)> = None;
        loop {
            let start = lines.at;
            let entry = if name == "waivers" { waiver(&mut lines, start)? } else { disposition(&mut lines, start)? };
            // Sorted and each (system, rule) once, as `write` writes them;
            // anything else (duplicates above all) is the YAML reader's to report.
            let key = (entry.system.clone(), entry.rule.clone());
            if last.as_ref().is_some_and(|last| *last >= key) {
                return None;
            }
            last = Some(key);
            nodes += entry.nodes();
            nodes += each(entry, &mut lines)?;
            if !lines.peek().is_some_and(|l| l.starts_with("  - ")) {
                break;
            }
        }
    }
    (lines.next().is_none() && nodes <= LIMITS.max_nodes).then_some(())
}

fn disposition<'t>(lines: &mut Lines<'t>, start: usize) -> Option<Entry<'t>> {
    entry(lines, start, |lines| {
        let status = match field(lines, "status")? {
            "pass" => Status::Pass,
            "fail" => Status::Fail,
            _ => return None,
        };
        let assessed = date(field(lines, "assessed")?)?;
        Some(Kind::Disposition { status, assessed, reviewer: optional(lines, "reviewer")?, note: optional(lines, "note")? })
    })
}

fn waiver<'t>(lines: &mut Lines<'t>, start: usize) -> Option<Entry<'t>> {
    entry(lines, start, |lines| {
        Some(Kind::Waiver {
            reason: text(field(lines, "reason")?)?,
            by: text(field(lines, "by")?)?,
            granted: date(field(lines, "granted")?)?,
            expires: date(field(lines, "expires")?)?,
        })
    })
}

/// An entry's lines in written order: `system` and `rule`, the fields of its
/// kind (`fields`), then `fingerprint` and `rule_hash`; its evidence follows.
fn entry<'t>(lines: &mut Lines<'t>, start: usize, fields: impl FnOnce(&mut Lines<'t>) -> Option<Kind<'t>>) -> Option<Entry<'t>> {
    let number = lines.number + 1;
    let system = text(lines.next()?.strip_prefix("  - system: ")?)?;
    let rule = text(field(lines, "rule")?)?;
    let kind = fields(lines)?;
    Some(Entry {
        number,
        start,
        system,
        rule,
        fingerprint: text(field(lines, "fingerprint")?)?,
        rule_hash: text(field(lines, "rule_hash")?)?,
        kind,
    })
}

/// The value of the entry field `key` on the next line.
fn field<'t>(lines: &mut Lines<'t>, key: &str) -> Option<&'t str> {
    lines.next()?.strip_prefix("    ")?.strip_prefix(key)?.strip_prefix(": ")
}

/// An optional text field: absent, or present and well formed (`None` when not).
fn optional<'t>(lines: &mut Lines<'t>, key: &str) -> Option<Option<Cow<'t, str>>> {
    let present = lines.peek()?.strip_prefix("    ").and_then(|l| l.strip_prefix(key)).is_some_and(|l| l.starts_with(": "));
    if !present {
        return Some(None);
    }
    text(field(lines, key)?).map(Some)
}

/// A string as `quote` writes it, and only so: plain when `is_plain`, else
/// JSON that writes back to the same bytes; and (as the YAML reader
/// requires) not blank.
fn text(written: &str) -> Option<Cow<'_, str>> {
    let value = if written.starts_with('"') {
        let value = json_string(written)?;
        (!is_plain(&value)).then_some(value)?
    } else {
        is_plain(written).then_some(Cow::Borrowed(written))?
    };
    (!value.trim().is_empty()).then_some(value)
}

/// A whole JSON string that `serde_json` writes back to the same bytes.
fn json_string(written: &str) -> Option<Cow<'_, str>> {
    // Most need no unescaping: with no backslash and no control character
    // inside, the text between the quotes is the value and writes back as is.
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.bytes().any(|b| b == b'"' || b == b'\\' || b < b' ') {
        return Some(Cow::Borrowed(inner));
    }
    let value = serde_json::from_str::<String>(written).ok()?;
    (serde_json::to_string(&value).ok()? == written).then_some(Cow::Owned(value))
}

fn date(written: &str) -> Option<jiff::civil::Date> {
    let date: jiff::civil::Date = written.parse().ok()?;
    (date.to_string() == written).then_some(date)
}

/// The evidence lines, collected (and how many there were).
fn collect(lines: &mut Lines) -> Option<(Evidence, usize)> {
    let mut out = Evidence::new();
    let count = evidence(lines, |path, value| {
        out.insert(path.into_owned(), value.map(Cow::into_owned));
    })?;
    Some((out, count))
}

/// `evidence: {}`, or `evidence:` and one line per path, paths in
/// increasing order: the path as a JSON string, the value as canonical JSON
/// in single quotes, or `~`. Each (path, value) goes to `each`; returns how many.
fn evidence<'t>(lines: &mut Lines<'t>, mut each: impl FnMut(Cow<'t, str>, Option<Cow<'t, str>>)) -> Option<usize> {
    match lines.next()? {
        "    evidence: {}" => return Some(0),
        "    evidence:" => {}
        _ => return None,
    }
    let mut count = 0;
    let mut last: Option<Cow<str>> = None;
    while lines.peek().is_some_and(|l| l.starts_with("      \"")) {
        let line = lines.next()?.strip_prefix("      ")?;
        // The path ends at the first quote that is not escaped: `": ` cannot
        // occur inside a JSON string unescaped (its quote would be escaped).
        let (key, rest) = split_key(line)?;
        let path = json_string(key)?;
        // In the order `write` writes (a BTreeMap's), so no path comes twice.
        if last.as_ref().is_some_and(|last| *last >= path) {
            return None;
        }
        let value = match rest {
            "~" => None,
            quoted => {
                let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
                // Most values hold no quote: nothing to undo, nothing to check it against.
                let json = if inner.contains('\'') {
                    let json = inner.replace("''", "'");
                    if json.replace('\'', "''") != inner {
                        return None;
                    }
                    Cow::Owned(json)
                } else {
                    Cow::Borrowed(inner)
                };
                if !surely_json(&json) {
                    serde_json::from_str::<serde::de::IgnoredAny>(&json).ok()?;
                }
                Some(json)
            }
        };
        last = Some(path.clone());
        each(path, value);
        count += 1;
    }
    // `evidence:` with nothing under it is null to YAML: the YAML reader reports it.
    (count > 0).then_some(count)
}

/// Whether `json` is certainly one JSON value, read the quick way: as
/// annexa writes evidence, compact, with no `\u` escape, no exponent and
/// nesting within 32. `false` is "not certain": `serde_json` decides. The
/// file holds no control character (`walk` checks), so inside a string only
/// a quote or a backslash needs looking at. Checking every value with
/// `serde_json` took a third of a pre-merge scan's time.
fn surely_json(json: &str) -> bool {
    let b = json.as_bytes();
    let mut closers: smallvec::SmallVec<[u8; 32]> = smallvec::SmallVec::new();
    let mut at = 0;
    loop {
        // A value starts at `at`.
        let end = match b.get(at) {
            Some(b'{') if b.get(at + 1) == Some(&b'}') => Some(at + 2),
            Some(b'[') if b.get(at + 1) == Some(&b']') => Some(at + 2),
            Some(b'{') if closers.len() < 32 => {
                closers.push(b'}');
                match member(b, at + 1) {
                    Some(value) => {
                        at = value;
                        continue;
                    }
                    None => return false,
                }
            }
            Some(b'[') if closers.len() < 32 => {
                closers.push(b']');
                at += 1;
                continue;
            }
            Some(b'"') => string_end(b, at),
            Some(b't') => b.get(at..at + 4).filter(|w| *w == b"true").map(|_| at + 4),
            Some(b'f') => b.get(at..at + 5).filter(|w| *w == b"false").map(|_| at + 5),
            Some(b'n') => b.get(at..at + 4).filter(|w| *w == b"null").map(|_| at + 4),
            Some(b'-' | b'0'..=b'9') => number_end(b, at),
            _ => None,
        };
        let Some(end) = end else { return false };
        at = end;
        // After a value: close what ends here, or go on to the next item.
        loop {
            let Some(&closer) = closers.last() else { return at == b.len() };
            match b.get(at) {
                Some(&c) if c == closer => {
                    closers.pop();
                    at += 1;
                }
                Some(b',') if closer == b'}' => match member(b, at + 1) {
                    Some(value) => {
                        at = value;
                        break;
                    }
                    None => return false,
                },
                Some(b',') => {
                    at += 1;
                    break;
                }
                _ => return false,
            }
        }
    }
}

/// `"key":` at `at`: where its value starts.
fn member(b: &[u8], at: usize) -> Option<usize> {
    let end = string_end(b, at)?;
    (b.get(end) == Some(&b':')).then_some(end + 1)
}

/// The end of the string that starts at `at` (past its closing quote).
fn string_end(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut at = at + 1;
    loop {
        at += memchr::memchr2(b'"', b'\\', b.get(at..)?)?;
        if b.get(at) == Some(&b'"') {
            return Some(at + 1);
        }
        // A backslash, and an escape other than `\u`.
        if !matches!(b.get(at + 1)?, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') {
            return None;
        }
        at += 2;
    }
}

/// The end of the number that starts at `at`, for JSON's grammar without an exponent.
fn number_end(b: &[u8], at: usize) -> Option<usize> {
    let digits = |from: usize| b.get(from..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut at = at + usize::from(b.get(at) == Some(&b'-'));
    match b.get(at) {
        Some(b'0') => at += 1,
        Some(b'1'..=b'9') => at += digits(at),
        _ => return None,
    }
    if b.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return None;
        }
        at += 1 + fraction;
    }
    (!matches!(b.get(at), Some(b'e' | b'E' | b'0'..=b'9'))).then_some(at)
}

/// `"path": rest` split after the closing quote of the path.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => {
                let (key, rest) = line.split_at_checked(i + 1)?;
                return Some((key, rest.strip_prefix(": ")?));
            }
            _ => i += 1,
        }
    }
    None
}

/// The lines of a text that ends with a line break, numbered from 1, with
/// one line of lookahead.
struct Lines<'t> {
    text: &'t str,
    /// The byte where the next line `next` hands out starts.
    at: usize,
    /// How many lines `next` has handed out (counting from the text's start).
    number: u32,
    peeked: Option<Option<&'t str>>,
}

impl<'t> Lines<'t> {
    /// The lines of `text`, the first of them numbered `before + 1`.
    fn at(text: &'t str, before: u32) -> Self {
        Lines { text, at: 0, number: before, peeked: None }
    }

    fn line(&self) -> Option<&'t str> {
        let rest = self.text.get(self.at..)?;
        rest.get(..memchr::memchr(b'\n', rest.as_bytes())?)
    }

    fn peek(&mut self) -> Option<&'t str> {
        if self.peeked.is_none() {
            self.peeked = Some(self.line());
        }
        self.peeked.flatten()
    }

    fn next(&mut self) -> Option<&'t str> {
        let line = match self.peeked.take() {
            Some(line) => line,
            None => self.line(),
        }?;
        self.at += line.len() + 1;
        self.number += 1;
        Some(line)
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

    fn piece() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just(" "), Just("  "), Just("'"), Just("\""), Just(":"), Just("\n"), Just("#"), Just("- "), Just("~"), Just("x")]
    }

    /// Compact JSON values with no exponent and no `\u` escape: what annexa writes as evidence.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<i64>().prop_map(J::from),
            (-4000i32..4000).prop_map(|q| J::from(f64::from(q) / 4.0)),
            "[a-z \"\\/'é]{0,6}".prop_map(J::String),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
                prop::collection::btree_map("[a-z\"]{0,3}", inner, 0..4).prop_map(|m| J::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The index accepts exactly what `read` accepts, and builds the same
        /// entries: all of them, a system's, and the short views of each.
        #[test]
        fn the_index_holds_what_read_reads(
            file in file(),
            edit in any::<bool>(),
            at in 0usize..4000,
            len in 0usize..8,
            piece in piece(),
            how in any::<u8>(),
        ) {
            let rendered = render(&file);
            let text = if edit { edited(&rendered, at, len, piece, how) } else { rendered };
            let by_lines = read(&text);
            let index = match Index::new(text.clone()) {
                Ok(index) => index,
                Err(back) => {
                    prop_assert!(by_lines.is_none(), "indexing refused what read reads:\n{}", text);
                    prop_assert_eq!(back, text);
                    return Ok(());
                }
            };
            let Some(by_lines) = by_lines else {
                return Err(TestCaseError::fail(format!("indexed what read refuses:\n{text}")));
            };
            prop_assert_eq!(index.build_all(), by_lines.clone());
            let short = |system, rule, fingerprint, recorded, position| IndexEntry { system, rule, fingerprint, recorded, position };
            let dispositions: Vec<IndexEntry> = by_lines
                .dispositions
                .iter()
                .map(|d| short(&d.system, &d.rule, &d.fingerprint, Some((d.status, d.assessed)), d.position))
                .collect();
            prop_assert_eq!(index.dispositions().collect::<Vec<_>>(), dispositions);
            let waivers: Vec<IndexEntry> =
                by_lines.waivers.iter().map(|w| short(&w.system, &w.rule, &w.fingerprint, None, w.position)).collect();
            prop_assert_eq!(index.waivers().collect::<Vec<_>>(), waivers);
            let keys = by_lines.dispositions.iter().map(|d| (&d.system, &d.rule)).chain(by_lines.waivers.iter().map(|w| (&w.system, &w.rule)));
            for (system, rule) in keys {
                let (dispositions, waivers) = index.system(system);
                prop_assert_eq!(&dispositions, &by_lines.dispositions.iter().filter(|d| &d.system == system).cloned().collect::<Vec<_>>());
                prop_assert_eq!(&waivers, &by_lines.waivers.iter().filter(|w| &w.system == system).cloned().collect::<Vec<_>>());
                let recorded = by_lines
                    .dispositions
                    .iter()
                    .filter(|d| (&d.system, &d.rule) == (system, rule))
                    .map(|d| d.fingerprint.as_str())
                    .chain(by_lines.waivers.iter().filter(|w| (&w.system, &w.rule) == (system, rule)).map(|w| w.fingerprint.as_str()));
                prop_assert_eq!(index.fingerprints(system, rule).collect::<Vec<_>>(), recorded.collect::<Vec<_>>());
            }
            prop_assert_eq!(index.system("no such system"), (Vec::new(), Vec::new()));
        }

        /// Whatever the quick check takes for JSON, serde_json reads: tried on
        /// sequences of JSON's tokens and near-tokens, which often nest right.
        #[test]
        fn the_quick_json_check_takes_only_json(tokens in prop::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\"a\""), Just("\""), Just("\\"),
            Just("\\n"), Just("0"), Just("01"), Just("-"), Just("1.5"), Just("1."), Just(".5"), Just("1e5"), Just("true"), Just("nul"), Just(" "),
        ], 0..12)) {
            let text = tokens.concat();
            if surely_json(&text) {
                prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(), "{}", text);
            }
        }

        /// It takes evidence as annexa writes it, and is never wrong after a small edit.
        #[test]
        fn the_quick_json_check_takes_written_evidence(
            value in json_value(),
            at in 0usize..64,
            len in 0usize..3,
            piece in prop_oneof![Just("\""), Just(","), Just(":"), Just("0"), Just("}"), Just("]"), Just("\\"), Just("e"), Just("-")],
            how in any::<u8>(),
        ) {
            let json = value.to_string();
            prop_assert!(surely_json(&json), "{}", json);
            let edited = edited(&json, at, len, piece, how);
            if surely_json(&edited) {
                prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&edited).is_ok(), "{}", edited);
            }
        }

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
            piece in piece(),
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
