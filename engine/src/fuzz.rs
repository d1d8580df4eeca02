//! Fuzz target bodies, shared by the cargo-fuzz targets in `fuzz/` and by the
//! corpus replay test (`engine/tests/fuzz_corpus.rs`), so `cargo test` runs
//! every seed and every past crash through the same code on stable Rust.
//!
//! Each body takes raw bytes and returns `Err` with a description when an
//! invariant breaks; a panic inside the engine is a bug on its own.

use crate::document::{self, yaml, Document, Format, InputError, LoadOptions, Node, Position, Value};
use crate::reassess::{file, written, Dispositions, Index, Recorded};
use crate::rules::{self, RuleSource};
use crate::script::Limits;

/// Loads the bytes as every format whose code path they can reach, then does
/// to each document what a scan does (Rhai value, JSON, report lines). The
/// fast YAML path is also held to the full parser on the same text.
///
/// YAML always; JSON only when the text has a `\uD…` escape, the one place
/// its path differs from YAML's; Markdown only when the text opens with
/// `---`, as front matter must. Raw seed files thus exercise all three.
pub fn document(data: &[u8]) -> Result<(), String> {
    let options = LoadOptions::default();
    let mut formats = vec![(Format::Yaml, "fuzz.yaml")];
    if data.windows(3).any(|w| w == b"\\uD" || w == b"\\ud") {
        formats.push((Format::Json, "fuzz.json"));
    }
    if data.starts_with(b"---") || data.starts_with("\u{feff}---".as_bytes()) {
        formats.push((Format::Markdown, "fuzz.md"));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        fast_path_agrees(text)?;
    }
    for (format, name) in formats {
        let loaded = document::load_bytes(data.to_vec(), name, format, &options);
        let lines = line_count(data);
        for error in &loaded.errors {
            check_error(error, name, lines)?;
        }
        for doc in &loaded.documents {
            check_document(doc, name, lines)?;
        }
    }
    Ok(())
}

/// Wherever the fast YAML path reads a stream by itself, it must build the
/// documents, values and regions the full parser builds.
fn fast_path_agrees(text: &str) -> Result<(), String> {
    fast_path_disagreement(text).map_or(Ok(()), Err)
}

/// `None` when the fast YAML path declines `text` or builds what the full
/// parser builds; else the first difference, by path (also used by
/// `engine/tests/fast_yaml.rs`).
pub fn fast_path_disagreement(text: &str) -> Option<String> {
    let limits = yaml::Limits::default();
    let fast = yaml::fast_path_reads(text, &limits)?;
    let (full, errors) = yaml::parse_stream_full(text, &limits);
    if !errors.is_empty() {
        return Some(format!("the fast path read a stream the full parser rejects: {errors:?}"));
    }
    if fast.len() != full.len() {
        return Some(format!("{} documents vs {}", fast.len(), full.len()));
    }
    fast.iter().zip(&full).find_map(|(a, b)| {
        if a.index != b.index {
            return Some(format!("document index {} vs {}", a.index, b.index));
        }
        difference(&a.root, &b.root, &format!("doc{}", a.index))
    })
}

/// The first difference between two trees (fast, full), as a path and what differs.
fn difference(fast: &Node, full: &Node, at: &str) -> Option<String> {
    if fast.region != full.region {
        return Some(format!("{at}: region {:?} (fast) vs {:?} (full)", fast.region, full.region));
    }
    match (&fast.value, &full.value) {
        (Value::Seq(a), Value::Seq(b)) => {
            if a.len() != b.len() {
                return Some(format!("{at}: {} items vs {}", a.len(), b.len()));
            }
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| difference(x, y, &format!("{at}[{i}]")))
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.len() != b.len() {
                return Some(format!("{at}: {} entries vs {}", a.len(), b.len()));
            }
            a.iter().zip(b).find_map(|((ka, x), (kb, y))| {
                if ka != kb {
                    Some(format!("{at}: key {ka:?} vs {kb:?}"))
                } else {
                    difference(x, y, &format!("{at}.{ka}"))
                }
            })
        }
        (Value::Float(a), Value::Float(b)) if a.is_nan() && b.is_nan() => None,
        (a, b) if a == b => None,
        (a, b) => Some(format!("{at}: value {a:?} vs {b:?}")),
    }
}

fn check_error(error: &InputError, name: &str, lines: usize) -> Result<(), String> {
    if error.message.is_empty() || error.file != name {
        return Err(format!("input error without message or file: {error:?}"));
    }
    match error.position {
        Some(p) => check_position(p, lines).map_err(|e| format!("{e} in {error:?}")),
        None => Ok(()),
    }
}

fn check_document(doc: &Document, name: &str, lines: usize) -> Result<(), String> {
    let region = doc.root.region;
    check_position(region.start, lines)?;
    // A block scalar that ends the file without a line break ends on the line after.
    check_position(region.end, lines + 1)?;
    if doc.hash().len() != 32 || doc.identity.is_empty() || doc.kind.is_empty() || doc.source.path != name {
        return Err(format!("document {} of {name} badly described: {:?}", doc.index, (&doc.identity, &doc.kind, doc.hash())));
    }
    let _ = doc.root.to_dynamic();
    let _ = doc.root.to_json();
    // Reports quote the lines a finding points at (redacted): every line must be reachable.
    let _ = doc.source.line(region.start.line);
    let _ = doc.source.line(region.end.line);
    Ok(())
}

/// Lines as YAML and Rhai count them: `\n`, `\r\n` and a lone `\r` each end one.
fn line_count(text: &[u8]) -> usize {
    let lone_cr = text.windows(2).filter(|w| w.first() == Some(&b'\r') && w.get(1) != Some(&b'\n')).count();
    let final_cr = usize::from(text.last() == Some(&b'\r'));
    text.iter().filter(|&&b| b == b'\n').count() + lone_cr + final_cr + 1
}

fn check_position(p: Position, lines: usize) -> Result<(), String> {
    if p.line == 0 || p.col == 0 || p.line as usize > lines {
        return Err(format!("position {}:{} outside a text of {lines} lines", p.line, p.col));
    }
    Ok(())
}

/// The sandbox the rule target compiles in: the default limits, with a
/// smaller operation budget so a looping top-level statement costs the fuzzer
/// milliseconds, not the half second the default allows.
const FUZZ_LIMITS: Limits = Limits { max_operations: 100_000, ..Limits::DEFAULT };

/// Compiles the text as a rule file and validates its metadata, as `annexa
/// scan --rules` does. Every outcome is a rule or located errors.
pub fn rule(data: &[u8]) -> Result<(), String> {
    // Rule files are read as UTF-8; anything else is a read error before compilation.
    let Ok(text) = std::str::from_utf8(data) else { return Ok(()) };
    let source = RuleSource { path: "fuzz.rhai".into(), text: text.into() };
    let set = rules::load(vec![source], &FUZZ_LIMITS);
    let lines = line_count(text.as_bytes());
    match (set.rules.len(), set.errors.len()) {
        (1, 0) | (0, 1..) => {}
        (r, e) => return Err(format!("{r} rules and {e} errors from one file")),
    }
    for error in &set.errors {
        if error.message.is_empty() || error.file != "fuzz.rhai" {
            return Err(format!("rule error without message or file: {error:?}"));
        }
        if let Some(p) = error.position {
            check_position(p, lines).map_err(|e| format!("{e} in {error:?}"))?;
        }
    }
    for rule in &set.rules {
        if rule.id.is_empty() || rule.title.is_empty() || rule.kinds.is_empty() || rule.controls.is_empty() {
            return Err(format!("rule loaded with empty metadata: {:?}", (&rule.id, &rule.title, &rule.kinds)));
        }
    }
    Ok(())
}

/// The name the dispositions target reads its text under.
const DISPOSITIONS: &str = "dispositions.yaml";

/// Reads the text as a dispositions file, every way annexa reads one (`read`
/// for `baseline`, `waive` and `diff`; `read_recorded` for a scan, which
/// indexes it), then writes what was read and reads that back.
///
/// The file is the user's, committed and hand-edited, and read on every
/// scan, so beyond "no panic, no hang": every problem is located inside the
/// text; the line reader (`written`) and the YAML reader never read the same
/// text two ways, and the index accepts exactly what the line reader does
/// and builds the same entries; and what was read writes out, reads back as
/// the same entries and writes out the same bytes (a fixed point).
pub fn dispositions(data: &[u8]) -> Result<(), String> {
    // The CLI reads the file into a String (`read_text_within`): anything
    // but UTF-8 is a read error before either reader sees it.
    let Ok(text) = std::str::from_utf8(data) else { return Ok(()) };
    let lines = line_count(data);
    let by_lines = written::read(text);
    let read = file::read(text, DISPOSITIONS);
    if let Err(errors) = &read {
        if errors.is_empty() {
            return Err("`read` failed without an error".into());
        }
        for error in errors {
            if error.position.is_none() {
                return Err(format!("an error without a position: {error:?}"));
            }
            check_error(error, DISPOSITIONS, lines)?;
        }
    }
    if let Some(by_lines) = &by_lines {
        let by_yaml = file::read_within(text, DISPOSITIONS, &file::LIMITS);
        if by_yaml.as_ref() != Ok(by_lines) {
            return Err(format!("the line reader read {by_lines:?}, the YAML reader {by_yaml:?}"));
        }
    }
    recorded_agrees(text, by_lines.as_ref(), &read)?;
    if let Ok(file) = &read {
        round_trip(file)?;
    }
    Ok(())
}

/// A scan's reading (`read_recorded`) is `read`'s: indexed exactly when the
/// line reader reads the text, the index building what it reads; else the
/// same entries or the same errors, with the text given back.
fn recorded_agrees(text: &str, by_lines: Option<&Dispositions>, read: &Result<Dispositions, Vec<InputError>>) -> Result<(), String> {
    match (file::read_recorded(text.to_string(), DISPOSITIONS), by_lines) {
        (Ok(Recorded::Indexed(index)), Some(by_lines)) => index_agrees(&index, by_lines),
        (Ok(Recorded::Indexed(_)), None) => Err("indexed a text the line reader refuses".into()),
        (_, Some(_)) => Err("refused to index a text the line reader reads".into()),
        (Ok(Recorded::Built(built)), None) if read.as_ref() == Ok(&built) => Ok(()),
        (Err((errors, back)), None) if read.as_ref() == Err(&errors) && back == text => Ok(()),
        (recorded, None) => Err(format!("`read_recorded` gave {recorded:?}, `read` {read:?}")),
    }
}

/// The index builds every entry the line reader read, system by system, and
/// its short views and fingerprint look-ups say the same.
fn index_agrees(index: &Index, by_lines: &Dispositions) -> Result<(), String> {
    let mut built = Dispositions::default();
    let mut systems: Vec<&str> = index.dispositions().chain(index.waivers()).map(|e| e.system).collect();
    systems.sort_unstable();
    systems.dedup();
    for system in systems {
        let (dispositions, waivers) = index.system(system);
        built.dispositions.extend(dispositions);
        built.waivers.extend(waivers);
    }
    // The file is sorted by (system, rule), so system by system is the file's order.
    if built != *by_lines {
        return Err(format!("the index built {built:?}, the line reader read {by_lines:?}"));
    }
    let shorts: Vec<_> = index.dispositions().map(|e| (e.system, e.rule, e.fingerprint, e.recorded, e.position)).collect();
    let wanted: Vec<_> =
        by_lines.dispositions.iter().map(|d| (&*d.system, &*d.rule, &*d.fingerprint, Some((d.status, d.assessed)), d.position)).collect();
    let waivers: Vec<_> = index.waivers().map(|e| (e.system, e.rule, e.fingerprint, e.recorded, e.position)).collect();
    let wanted_waivers: Vec<_> = by_lines.waivers.iter().map(|w| (&*w.system, &*w.rule, &*w.fingerprint, None, w.position)).collect();
    if shorts != wanted || waivers != wanted_waivers {
        return Err(format!("the index's entries {shorts:?} {waivers:?}, the line reader's {wanted:?} {wanted_waivers:?}"));
    }
    let keys = by_lines.dispositions.iter().map(|d| (&d.system, &d.rule)).chain(by_lines.waivers.iter().map(|w| (&w.system, &w.rule)));
    for (system, rule) in keys {
        let found: Vec<&str> = index.fingerprints(system, rule).collect();
        let recorded: Vec<&str> = by_lines
            .dispositions
            .iter()
            .filter(|d| (&d.system, &d.rule) == (system, rule))
            .map(|d| d.fingerprint.as_str())
            .chain(by_lines.waivers.iter().filter(|w| (&w.system, &w.rule) == (system, rule)).map(|w| w.fingerprint.as_str()))
            .collect();
        if found != recorded {
            return Err(format!("fingerprints of ({system}, {rule}): {found:?} from the index, {recorded:?} read"));
        }
    }
    Ok(())
}

/// What was read writes out (the fuzzer's texts are far within the bounds),
/// reads back as the same entries, and writes out the same bytes; and the
/// line reader takes what annexa writes unless it holds characters the
/// line reader leaves to YAML (or evidence with a line break, written double-quoted).
fn round_trip(file: &Dispositions) -> Result<(), String> {
    let written = file::write(file).map_err(|e| format!("`write` refused what `read` read: {e}"))?;
    let back = file::read(&written, DISPOSITIONS).map_err(|e| format!("`read` refused what `write` wrote: {e:?}\n{written}"))?;
    if unplaced(&back) != unplaced(file) {
        return Err(format!("read back {back:?} from what was written of {file:?}:\n{written}"));
    }
    let again = file::write(&back).map_err(|e| format!("`write` refused it the second time: {e}"))?;
    if again != written {
        return Err(format!("not a fixed point:\n{written}\nthen\n{again}"));
    }
    // Evidence with a line break is written double-quoted, which only YAML reads.
    let line_break = |e: &crate::reassess::Evidence| e.values().flatten().any(|v| v.contains(['\n', '\r']));
    let odd = file.dispositions.iter().map(|d| &d.evidence).chain(file.waivers.iter().map(|w| &w.evidence)).any(line_break);
    if !odd && document::plain_text(&written).is_some() && written::read(&written).is_none() {
        return Err(format!("the line reader refused what `write` wrote:\n{written}"));
    }
    Ok(())
}

/// The entries as `write` sees them: in its order, without their positions in the file.
fn unplaced(file: &Dispositions) -> Dispositions {
    let mut out = file.clone();
    out.dispositions.sort_by(|a, b| (&a.system, &a.rule).cmp(&(&b.system, &b.rule)));
    out.waivers.sort_by(|a, b| (&a.system, &a.rule).cmp(&(&b.system, &b.rule)));
    for d in &mut out.dispositions {
        d.position = Position::default();
    }
    for w in &mut out.waivers {
        w.position = Position::default();
    }
    out
}
