//! The terminal format: findings grouped by file as `path:line:col  SEVERITY
//! RULE  message`, the source line with a caret, the controls and the fix,
//! then one summary line. Colour only when the caller says the output is a terminal.

use std::io::{self, Write};

use super::{FileResult, Header, Renderer, Status, Summary};
use crate::reassess::{DispositionStatus, WaiverStatus};
use crate::rules::Severity;

pub struct TextRenderer {
    color: bool,
    header: Option<Header>,
}

impl TextRenderer {
    pub fn new(color: bool) -> Self {
        TextRenderer { color, header: None }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let label = format!("{:<8}", severity.as_str().to_uppercase());
        let code = match severity {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &label)
    }
}

/// The caret line under a snippet: from the start column to the end of the
/// region on that line (or the end of the line's text).
fn caret(snippet: &str, start_col: u32, end_line_same: bool, end_col: u32) -> String {
    let width = snippet.chars().count() as u32;
    let trailing = snippet.chars().rev().take_while(|c| c.is_whitespace()).count() as u32;
    let end_of_text = width - trailing + 1;
    let start = start_col.max(1);
    let stop = if end_line_same { end_col.min(end_of_text) } else { end_of_text };
    let len = stop.saturating_sub(start).max(1);
    format!("{}{}", " ".repeat(start as usize - 1), "^".repeat(len as usize))
}

impl Renderer for TextRenderer {
    fn begin(&mut self, header: &Header, _out: &mut dyn Write) -> io::Result<()> {
        self.header = Some(header.clone());
        Ok(())
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        let Some(header) = &self.header else { return Ok(()) };
        // A failure accepted by a held waiver is listed as waived below, not as findings.
        let shown = file.outcomes.iter().filter(|o| !o.disposition.as_ref().is_some_and(|d| d.waived()));
        let mut rows: Vec<_> = shown.flat_map(|o| o.findings.iter().map(move |f| (o, f))).collect();
        rows.sort_by(|(a, fa), (b, fb)| (a.document, fa.region.start, &a.rule).cmp(&(b.document, fb.region.start, &b.rule)));
        for (outcome, finding) in rows {
            let Some(rule) = header.rule(&outcome.rule) else { continue };
            let start = finding.region.start;
            writeln!(
                out,
                "{}  {}  {}  {}",
                self.paint("1", &format!("{}:{}:{}", file.path, start.line, start.col)),
                self.severity(rule.severity),
                self.paint("1", &rule.id),
                finding.message
            )?;
            if let Some(snippet) = &finding.snippet {
                let gutter = start.line.to_string().len();
                let pad = " ".repeat(gutter);
                let same_line = finding.region.end.line == start.line;
                writeln!(out, "{pad} |")?;
                writeln!(out, "{} | {}", self.paint("2", &start.line.to_string()), snippet.trim_end())?;
                writeln!(out, "{pad} | {}", self.paint("31", &caret(snippet, start.col, same_line, finding.region.end.col)))?;
            }
            if let Some(at) = &finding.located_at {
                let shown = if at.is_empty() { "the document root" } else { at.as_str() };
                writeln!(out, "   = missing: {} (shown at {shown})", finding.path)?;
            }
            if !rule.controls.is_empty() {
                writeln!(out, "   = controls: {}", controls_line(&rule.controls))?;
            }
            writeln!(out, "   = fix: {}", rule.remediation)?;
            writeln!(out)?;
        }
        for outcome in file.outcomes.iter().filter(|o| o.status == Status::Error) {
            let message = outcome.error.as_ref().map_or("rule failed", |e| e.message.as_str());
            let doc = file.document(outcome.document);
            let start = doc.map(|d| d.region.start).unwrap_or_default();
            let place = match outcome.error.as_ref().and_then(|e| e.rule_position) {
                Some(p) => format!(" (at {}:{}:{})", header.rule(&outcome.rule).map_or("", |r| r.source.as_str()), p.line, p.col),
                None => String::new(),
            };
            writeln!(
                out,
                "{}  {}  {}  rule could not be evaluated: {message}{place}\n",
                self.paint("1", &format!("{}:{}:{}", file.path, start.line, start.col)),
                self.paint("1;31", "ERROR   "),
                self.paint("1", &outcome.rule),
            )?;
        }
        self.dispositions(file, header, out)
    }

    fn end(&mut self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let fail_on = self.header.as_ref().map_or(Severity::Low, |h| h.fail_on);
        if let Some(d) = &summary.dispositions {
            self.dispositions_end(d, out)?;
        }
        writeln!(out, "{}", summary_line(summary, fail_on))?;
        if let Some(shards) = self.header.as_ref().and_then(|h| h.shards.as_ref()) {
            let missing: Vec<String> = shards.missing().iter().map(u32::to_string).collect();
            let (which, whose) = if shards.held.len() == 1 { ("Shard", "its") } else { ("Shards", "their") };
            writeln!(out, "{which} {}: the counts above cover {whose} files only ({} not here).", shards.describe(), missing.join(", "))?;
        }
        Ok(())
    }
}

// ---- Re-assessment lines (engine/src/reassess): one line per disposition that needs a reader. ----
impl TextRenderer {
    /// `path  SEVERITY  system RULE reassess: what changed (assessed DATE)`, and the waived,
    /// lapsed and resolved lines; unchanged and new passes say nothing.
    fn dispositions(&self, file: &FileResult, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        let place = |at: crate::document::Position| {
            let name = header.reassess.as_ref().map_or("", |r| r.dispositions.as_str());
            format!("{name}:{}:{}", at.line, at.col)
        };
        for outcome in &file.outcomes {
            let Some(d) = &outcome.disposition else { continue };
            let severity = self.severity(header.severity_of(&outcome.rule));
            let who = format!("{} {}", d.system, outcome.rule);
            let assessed = d.assessed.as_ref().map(|a| format!(" (assessed {a})")).unwrap_or_default();
            let mut lines: Vec<String> = Vec::new();
            match d.status {
                DispositionStatus::ReassessDue => lines.push(format!("{who} {}: {}{assessed}", self.paint("1;33", "reassess"), d.reason)),
                DispositionStatus::Resolved => lines.push(format!("{who} {}: {}", self.paint("32", "resolved"), d.reason)),
                DispositionStatus::New | DispositionStatus::Unchanged => {}
            }
            if let Some(w) = &d.waiver {
                lines.push(match w.status {
                    WaiverStatus::Held => {
                        format!("{who} {}: by {} until {}: {} ({})", self.paint("1;34", "waived"), w.by, w.expires, w.reason, place(w.at))
                    }
                    WaiverStatus::Lapsed => format!(
                        "{who} {}: {} (granted {} by {}, {})",
                        self.paint("1;31", "waiver lapsed"),
                        crate::reassess::describe(&w.triggers),
                        w.granted,
                        w.by,
                        place(w.at)
                    ),
                    WaiverStatus::NotNeeded => {
                        format!("{who} waiver not needed: the rule no longer fails; remove the waiver ({})", place(w.at))
                    }
                });
            }
            for line in lines {
                writeln!(out, "{}  {severity}  {line}", self.paint("1", &file.path))?;
            }
        }
        Ok(())
    }

    fn dispositions_end(&self, d: &crate::reassess::DispositionSummary, out: &mut dyn Write) -> io::Result<()> {
        for gone in &d.gone {
            writeln!(out, "{}  {} {} {}: {}", d.file, gone.system, gone.rule, self.paint("32", "resolved"), gone.reason)?;
        }
        for w in &d.unmatched_waivers {
            writeln!(out, "{}:{}:{}  waiver for {} {} matches no outcome in this scan", d.file, w.at.line, w.at.col, w.system, w.rule)?;
        }
        let count = |s: DispositionStatus| d.statuses.get(&s).copied().unwrap_or(0);
        writeln!(
            out,
            "dispositions ({}): {} reassess due, {} new, {} resolved, {} unchanged; waivers: {} held, {} lapsed.",
            d.file,
            count(DispositionStatus::ReassessDue),
            count(DispositionStatus::New),
            count(DispositionStatus::Resolved),
            count(DispositionStatus::Unchanged),
            d.waived,
            d.lapsed_waivers
        )
    }
}

/// Controls grouped by standard: `ISO/IEC 42001 A.9.2, A.9.4 · OWASP LLM LLM06`.
pub fn controls_line(controls: &[super::ControlInfo]) -> String {
    let catalogs = crate::controls::catalogs();
    let mut groups: Vec<String> = Vec::new();
    for standard in &catalogs.standards {
        let ids: Vec<&str> = controls.iter().filter(|c| c.standard == standard.id).map(|c| c.id.as_str()).collect();
        if !ids.is_empty() {
            groups.push(format!("{} {}", standard.short, ids.join(", ")));
        }
    }
    groups.join(" · ")
}

/// One line that says what the scan found, for people and for CI logs.
pub fn summary_line(summary: &Summary, fail_on: Severity) -> String {
    let total: usize = summary.findings.values().sum();
    let by_severity: Vec<String> = summary.findings.iter().rev().filter(|(_, n)| **n > 0).map(|(s, n)| format!("{n} {s}")).collect();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut findings = plural(total, "finding", "findings");
    if !by_severity.is_empty() {
        findings = format!("{findings} ({})", by_severity.join(", "));
    }
    let count = |s: Status| summary.outcomes.get(&s).copied().unwrap_or(0);
    format!(
        "{findings}, {} at or above {fail_on}; outcomes: {} pass, {} fail, {} not applicable, {} error; {} in {}; {}.",
        summary.failing,
        count(Status::Pass),
        count(Status::Fail),
        count(Status::NotApplicable),
        count(Status::Error),
        plural(summary.documents, "document", "documents"),
        plural(summary.files, "file", "files"),
        plural(summary.errors, "error", "errors"),
    )
}
