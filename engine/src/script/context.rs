//! What one evaluation collects while a rule runs: findings, the paths it
//! read (evidence for fingerprints), its `print`/`debug` output, and the
//! evaluation date. Kept per thread, since a rule runs on one thread from
//! start to end and native functions cannot borrow from the caller.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::fields::Fields;
use crate::document::path::{Segment, Segments};

/// A finding as a rule raised it, before positions are resolved.
#[derive(Clone, Debug)]
pub struct RawFinding {
    /// Which document of the evaluation (always 0 for document rules).
    pub slot: usize,
    pub path: Segments,
    pub message: String,
}

/// A path a rule read, with the document it read it from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Read {
    pub slot: usize,
    /// Shared with the thread's parsed-path cache (`api::parse_any_path`).
    pub path: Rc<Segments>,
}

#[derive(Debug)]
pub struct Context {
    pub now: jiff::civil::Date,
    pub findings: Vec<RawFinding>,
    pub reads: Vec<Read>,
    pub logs: Vec<String>,
    pub max_findings: usize,
    /// Set when a rule raised more findings than allowed, in number or in size.
    pub overflow: Option<Overflow>,
    /// The bytes of the paths and messages of `findings`.
    finding_bytes: usize,
    pub started: Instant,
    /// For a corpus rule that declares `reads`: the paths it may read.
    pub allowed: Option<Rc<[Segments]>>,
    /// The first path it read (or raised a finding at) outside them.
    pub outside: Option<Segments>,
    /// The calls of the running rule whose maps need only some keys.
    pub fields: Option<Rc<Fields>>,
}

/// Why a rule's findings were cut off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// More than `Context::max_findings`.
    Count,
    /// Paths and messages of more than `MAX_FINDING_BYTES` bytes.
    Bytes,
}

/// The bytes of paths and messages one rule may raise on one document. A
/// rule that puts a document's megabyte-long key into each path and message
/// (MCP001 naming a server) held gigabytes before the count limit stopped it.
pub const MAX_FINDING_BYTES: usize = 4 << 20;

thread_local! {
    static CURRENT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Runs `f` with a fresh context and returns what it collected.
pub fn with_context<T>(now: jiff::civil::Date, max_findings: usize, f: impl FnOnce() -> T) -> (T, Context) {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(Context::new(now, max_findings)));
    let value = f();
    let collected = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
    // Always Some: it was set above and only this function takes it out.
    (value, collected.unwrap_or_else(|| Context::new(now, max_findings)))
}

impl Context {
    fn new(now: jiff::civil::Date, max_findings: usize) -> Self {
        Context {
            now,
            findings: Vec::new(),
            reads: Vec::new(),
            logs: Vec::new(),
            max_findings,
            overflow: None,
            finding_bytes: 0,
            started: Instant::now(),
            allowed: None,
            outside: None,
            fields: None,
        }
    }

    /// Notes `path` if it lies outside the allowed paths (the first one only).
    fn check_allowed(&mut self, path: &Segments) {
        let covered = self.allowed.as_ref().is_none_or(|allowed| allowed.iter().any(|a| path.starts_with(a)));
        if !covered && self.outside.is_none() {
            self.outside = Some(path.clone());
        }
    }
}

/// Limits the current evaluation to `paths` (a corpus rule's `reads`): a
/// read or finding elsewhere is noted in `Context::outside`, and the
/// evaluation turns into an error.
pub fn allow_only(paths: Rc<[Segments]>) {
    with(|c| c.allowed = Some(paths));
}

/// Lets the running rule's calls convert only the keys it reads (`script::fields`).
pub fn convert_only(fields: Rc<Fields>) {
    with(|c| c.fields = Some(fields));
}

/// Runs `f` with the keys the call at `at` needs, if it needs only some.
pub fn with_keys<T>(at: rhai::Position, f: impl FnOnce(Option<&[Box<str>]>) -> T) -> T {
    CURRENT.with(|c| {
        let current = c.borrow();
        f(current.as_ref().and_then(|c| c.fields.as_deref()).and_then(|fields| fields.at(at)))
    })
}

/// Applies `f` to the current context, if a rule is running.
pub fn with<T>(f: impl FnOnce(&mut Context) -> T) -> Option<T> {
    CURRENT.with(|c| c.borrow_mut().as_mut().map(f))
}

pub fn now() -> jiff::civil::Date {
    with(|c| c.now).unwrap_or_default()
}

pub fn elapsed() -> Duration {
    with(|c| c.started.elapsed()).unwrap_or_default()
}

pub fn record_read(slot: usize, path: Rc<Segments>) {
    with(|c| {
        c.check_allowed(&path);
        c.reads.push(Read { slot, path });
    });
}

/// Records a finding; returns false when the rule has raised too many.
pub fn record_finding(finding: RawFinding) -> bool {
    with(|c| {
        c.check_allowed(&finding.path);
        let bytes =
            finding.message.len() + finding.path.iter().map(|s| if let Segment::Key(k) = s { k.len() + 1 } else { 8 }).sum::<usize>();
        if c.findings.len() >= c.max_findings {
            c.overflow.get_or_insert(Overflow::Count);
            false
        } else if c.finding_bytes + bytes > MAX_FINDING_BYTES {
            c.overflow.get_or_insert(Overflow::Bytes);
            false
        } else {
            c.finding_bytes += bytes;
            c.findings.push(finding);
            true
        }
    })
    .unwrap_or(false)
}

const MAX_LOG_LINES: usize = 100;

pub fn log_print(text: &str) {
    with(|c| {
        if c.logs.len() < MAX_LOG_LINES {
            c.logs.push(text.chars().take(1000).collect());
        }
    });
}

pub fn log_debug(text: &str, _source: Option<&str>, pos: rhai::Position) {
    let line = pos.line().map(|l| format!("line {l}: ")).unwrap_or_default();
    log_print(&format!("{line}{text}"));
}
