//! GitHub Actions workflow commands: each finding becomes an annotation on
//! its line of the pull request (`::error file=…,line=…,col=…::message`).
//! Critical and high are errors, medium warnings, low and info notices.
//! Script and input errors are error annotations; the summary is a plain line.

use std::io::{self, Write};

use super::{FileResult, Header, Status, Summary};
use crate::document::Position;
use crate::rules::Severity;

#[derive(Default)]
pub struct GithubRenderer {
    header: Option<Header>,
}

pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// Escapes a message (the part after `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`), where `:` and `,` are separators.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn annotation(
    out: &mut dyn Write,
    kind: &str,
    file: &str,
    start: Option<Position>,
    end: Option<Position>,
    title: &str,
    message: &str,
) -> io::Result<()> {
    let mut props = format!("file={}", escape_property(file));
    if let Some(s) = start {
        props.push_str(&format!(",line={},col={}", s.line, s.col));
    }
    if let (Some(s), Some(e)) = (start, end) {
        let e = if e < s { s } else { e };
        props.push_str(&format!(",endLine={},endColumn={}", e.line, e.col));
    }
    writeln!(out, "::{kind} {props},title={}::{}", escape_property(title), escape_data(message))
}

impl super::Renderer for GithubRenderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        for e in &header.rule_errors {
            let title = format!("annexa: rule {} could not be loaded", e.rule.as_deref().unwrap_or(&e.file));
            annotation(out, "error", &e.file, e.position, None, &title, &e.message)?;
        }
        self.header = Some(header.clone());
        Ok(())
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        let Some(header) = &self.header else { return Ok(()) };
        for e in &file.errors {
            annotation(out, "error", &e.file, e.position, None, "annexa: input could not be read", &e.message)?;
        }
        for outcome in &file.outcomes {
            let rule = header.rule(&outcome.rule);
            let severity = header.severity_of(&outcome.rule);
            if outcome.status == Status::Error {
                let start = file.document(outcome.document).map(|d| d.region.start);
                let message = outcome.error.as_ref().map_or("the rule failed", |e| e.message.as_str());
                annotation(out, "error", &file.path, start, None, &format!("{} could not be evaluated", outcome.rule), message)?;
            }
            for f in &outcome.findings {
                let title = format!("{} ({severity}): {}", outcome.rule, rule.map_or("", |r| r.title.as_str()));
                let message = match rule {
                    Some(r) => format!("{}\nfix: {}", f.message, r.remediation),
                    None => f.message.clone(),
                };
                annotation(out, command(severity), &file.path, Some(f.region.start), Some(f.region.end), &title, &message)?;
            }
        }
        Ok(())
    }

    fn end(&mut self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let fail_on = self.header.as_ref().map_or(Severity::Low, |h| h.fail_on);
        writeln!(out, "annexa: {}", super::text::summary_line(summary, fail_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_the_workflow_command_rules() {
        assert_eq!(escape_data("50% done\r\nnext: a, b"), "50%25 done%0D%0Anext: a, b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn severities_map_to_commands() {
        assert_eq!(command(Severity::Critical), "error");
        assert_eq!(command(Severity::High), "error");
        assert_eq!(command(Severity::Medium), "warning");
        assert_eq!(command(Severity::Low), "notice");
        assert_eq!(command(Severity::Info), "notice");
    }
}
