//! Errors for people: located diagnostics (file, line, column, the source
//! line, a hint) rendered by miette on standard error.

use std::io::IsTerminal;

use annexa_engine::document::{InputError, Position};
use annexa_engine::rules::RuleError;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

/// One located problem, ready for miette.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Located {
    message: String,
    code: &'static str,
    snippet: Option<NamedSource<String>>,
    span: Option<SourceSpan>,
    label: String,
    hint: Option<String>,
}

impl Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.hint.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.snippet.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(miette::LabeledSpan::new_with_span(Some(self.label.clone()), span))))
    }
}

/// The byte offset of a 1-based line and character column in `text`.
fn offset(text: &str, position: Position) -> Option<usize> {
    let mut start = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == position.line as usize {
            let col = line.char_indices().nth(position.col.saturating_sub(1) as usize).map_or(line.trim_end().len(), |(b, _)| b);
            return Some(start + col);
        }
        start += line.len();
    }
    (position.line as usize == text.split_inclusive('\n').count() + 1).then_some(text.len())
}

fn located(code: &'static str, file: &str, text: Option<String>, position: Option<Position>, message: &str, hint: Option<&str>) -> Located {
    let where_ = position.map_or_else(|| file.to_string(), |p| format!("{file}:{}:{}", p.line, p.col));
    let span = match (&text, position) {
        (Some(t), Some(p)) => offset(t, p).map(|o| SourceSpan::from((o, 0))),
        _ => None,
    };
    Located {
        message: format!("{where_}: {message}"),
        code,
        snippet: text.filter(|_| span.is_some()).map(|t| NamedSource::new(file, t)),
        span,
        label: "here".into(),
        hint: hint.map(str::to_string),
    }
}

pub fn input_error(e: &InputError, text: Option<String>) -> Located {
    located("annexa::input", &e.file, text, e.position, &e.message, e.hint.as_deref())
}

pub fn rule_error(e: &RuleError, text: Option<String>) -> Located {
    located("annexa::rule", &e.file, text, e.position, &e.message, e.hint.as_deref())
}

fn render(diagnostic: &dyn Diagnostic) -> String {
    let theme = if std::io::stderr().is_terminal() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    let _ = GraphicalReportHandler::new_themed(theme).with_width(100).render_report(&mut out, diagnostic);
    out
}

/// Writes a diagnostic to standard error.
pub fn eprint(diagnostic: &dyn Diagnostic) {
    eprint!("{}", render(diagnostic));
}

/// Writes an error that stopped the command.
pub fn print_fatal(report: miette::Report) {
    eprint(report.as_ref());
}

pub fn config_error(e: &annexa_engine::config::ConfigError, text: Option<String>) -> Located {
    located("annexa::config", &e.file, text, e.position, &e.message, e.hint.as_deref())
}
