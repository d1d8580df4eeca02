//! Errors for people: located diagnostics (file, line, column, the source
//! line, a hint) rendered by miette on standard error.

use std::io::IsTerminal;

use annexa_engine::document::{InputError, Position};
use annexa_engine::rules::RuleError;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, SourceSpan};

/// One located problem, ready for miette.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Located {
    message: String,
    code: &'static str,
    snippet: Option<Excerpt>,
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

/// Characters of a line shown around a problem's column: a minified JSON
/// file is one line, and a report must not print megabytes of it.
const SHOWN_CHARS: usize = 160;

/// The lines around a problem, each cut to the same `SHOWN_CHARS` columns
/// around it, under their real line numbers.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// The 0-based line of the file that `text` starts at.
    first_line: usize,
    /// The problem's byte offset in `text`, and its 0-based column in the
    /// file (in characters, as the message counts), for the snippet's header.
    at: (usize, usize),
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        let column = if span.offset() == self.at.0 && before == 0 { self.at.1 } else { inner.column() };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// A file's text and where each of its lines starts, built once per file:
/// walking to each problem's line from the top made 64,000 problems in one
/// file take over a minute.
pub struct Source<'t> {
    text: &'t str,
    /// The byte offset of each line, lines cut as `split_inclusive('\n')` cuts them.
    line_starts: Vec<usize>,
}

impl<'t> Source<'t> {
    pub fn new(text: &'t str) -> Self {
        let after_newlines = text.match_indices('\n').map(|(at, _)| at + 1).filter(|&start| start < text.len());
        let line_starts = if text.is_empty() { Vec::new() } else { std::iter::once(0).chain(after_newlines).collect() };
        Source { text, line_starts }
    }

    /// Up to `count` lines from the 0-based line `first`, each with its line break.
    fn lines(&self, first: usize, count: usize) -> Vec<&'t str> {
        let starts = self.line_starts.get(first..).unwrap_or_default();
        let ends = starts.iter().skip(1).copied().chain(std::iter::once(self.text.len()));
        starts.iter().zip(ends).take(count).filter_map(|(&start, end)| self.text.get(start..end)).collect()
    }
}

/// The excerpt of `source` around a 1-based line and character column, and
/// the byte offset of that column in it: the line, and one on each side.
fn excerpt(name: &str, source: &Source, position: Position) -> Option<(Excerpt, usize)> {
    let target = (position.line as usize).checked_sub(1)?;
    let first_line = target.saturating_sub(1);
    let mut lines = source.lines(first_line, target + 2 - first_line);
    // A position just past the last line (the end of the stream) points at an empty line.
    if lines.len() == target - first_line {
        lines.push("");
    }
    let line = lines.get(target - first_line)?;
    let width = line.trim_end().chars().count();
    let col = (position.col as usize).saturating_sub(1).min(width);
    // The columns shown: all of a short line, else a window around the problem.
    let start = if width <= SHOWN_CHARS { 0 } else { col.saturating_sub(SHOWN_CHARS / 2).min(width - SHOWN_CHARS) };
    let mut shown = String::new();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let chars = body.chars().count();
        if start > 0 {
            shown.push('…');
        }
        if i == target - first_line {
            offset = shown.len() + body.chars().skip(start).take(col - start).map(char::len_utf8).sum::<usize>();
        }
        shown.extend(body.chars().skip(start).take(SHOWN_CHARS));
        if chars > start + SHOWN_CHARS {
            shown.push('…');
        }
        shown.push('\n');
    }
    Some((Excerpt { name: name.to_string(), text: shown, first_line, at: (offset, col) }, offset))
}

fn located(
    code: &'static str,
    file: &str,
    source: Option<&Source>,
    position: Option<Position>,
    message: &str,
    hint: Option<&str>,
) -> Located {
    let where_ = position.map_or_else(|| file.to_string(), |p| format!("{file}:{}:{}", p.line, p.col));
    let (snippet, span) = match source.zip(position).and_then(|(s, p)| excerpt(file, s, p)) {
        Some((excerpt, offset)) => (Some(excerpt), Some(SourceSpan::from((offset, 0)))),
        None => (None, None),
    };
    Located { message: format!("{where_}: {message}"), code, snippet, span, label: "here".into(), hint: hint.map(str::to_string) }
}

pub fn input_error(e: &InputError, source: Option<&Source>) -> Located {
    located("annexa::input", &e.file, source, e.position, &e.message, e.hint.as_deref())
}

pub fn rule_error(e: &RuleError, source: Option<&Source>) -> Located {
    located("annexa::rule", &e.file, source, e.position, &e.message, e.hint.as_deref())
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

/// Says on standard error which paths the walk met and did not read, so no
/// format leaves them out without a word (JSON also lists them in its summary).
pub fn note_skipped(skipped: &[annexa_engine::document::discover::Skipped]) {
    for s in skipped {
        eprintln!("note: {}: skipped: {}", s.path, s.reason);
    }
}

/// Writes an error that stopped the command.
pub fn print_fatal(report: miette::Report) {
    eprint(report.as_ref());
}

pub fn config_error(e: &annexa_engine::config::ConfigError, source: Option<&Source>) -> Located {
    located("annexa::config", &e.file, source, e.position, &e.message, e.hint.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, line: u32, col: u32) -> (String, usize, char) {
        let (excerpt, offset) = excerpt("f.yaml", &Source::new(text), Position::new(line, col)).expect("an excerpt");
        let at = excerpt.text.get(offset..).and_then(|rest| rest.chars().next()).unwrap_or('$');
        (excerpt.text, excerpt.first_line, at)
    }

    #[test]
    fn short_lines_are_shown_whole_with_their_neighbours() {
        let text = "a: 1\nb: [x\nc: 3\nd: 4\n";
        assert_eq!(shown(text, 3, 4), ("b: [x\nc: 3\nd: 4\n".to_string(), 1, '3'));
        assert_eq!(shown(text, 1, 1), ("a: 1\nb: [x\n".to_string(), 0, 'a'));
        // Just past the last line: the end of the stream.
        assert_eq!(shown(text, 5, 1), ("d: 4\n\n".to_string(), 3, '\n'));
        assert!(excerpt("f.yaml", &Source::new(text), Position::new(7, 1)).is_none());
    }

    /// Lines are cut as walking the text with `split_inclusive` cuts them.
    #[test]
    fn lines_by_their_starts_are_the_walked_lines() {
        for text in ["", "a", "a\n", "\n", "\n\n", "a\n\nb", "a\r\nb\r\n", "é\nxy\n\nz", "x\n\n\n"] {
            let source = Source::new(text);
            for first in 0..6 {
                for count in 0..4 {
                    let walked: Vec<&str> = text.split_inclusive('\n').skip(first).take(count).collect();
                    assert_eq!(source.lines(first, count), walked, "{text:?} from {first}, {count} lines");
                }
            }
        }
    }

    /// One stream of documents, each with a problem: every problem is shown
    /// under its own line, with the lines around it.
    #[test]
    fn many_problems_in_one_file_each_show_their_lines() {
        let documents = 2_000;
        let text = "---\nkind: X\na: 1\na: 2\n".repeat(documents);
        let source = Source::new(&text);
        for document in 0..documents {
            let line = 4 * document as u32 + 4;
            let error = InputError {
                file: "e.yaml".into(),
                position: Some(Position::new(line, 1)),
                message: "duplicate key `a`".into(),
                hint: None,
            };
            let located = input_error(&error, Some(&source));
            assert_eq!(located.message, format!("e.yaml:{line}:1: duplicate key `a`"));
            let snippet = located.snippet.expect("a snippet");
            let shown = if document + 1 == documents { "a: 1\na: 2\n" } else { "a: 1\na: 2\n---\n" };
            assert_eq!((snippet.text.as_str(), snippet.first_line, snippet.at), (shown, line as usize - 2, (5, 0)));
            assert_eq!(located.span, Some(SourceSpan::from((5, 0))));
        }
    }

    /// A minified file is one line: a window of it around the column is shown, not megabytes.
    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let line: String = (0..20_000)
            .map(|i| {
                if i == 12_345 {
                    '@'
                } else if i % 7 == 0 {
                    'é'
                } else {
                    'x'
                }
            })
            .collect();
        let text = format!("{{\n{line}\n}}\n");
        let (text_shown, first_line, at) = shown(&text, 2, 12_346);
        assert_eq!((first_line, at), (0, '@'));
        let middle = text_shown.lines().nth(1).unwrap();
        assert_eq!(middle.chars().count(), SHOWN_CHARS + 2, "{middle}");
        assert!(middle.starts_with('…') && middle.ends_with('…'));
        assert_eq!(middle.chars().position(|c| c == '@'), Some(1 + SHOWN_CHARS / 2));
        // Near either end of the line, the window stops at it.
        let (start, _, at) = shown(&line, 1, 3);
        assert!(!start.starts_with('…') && start.trim_end().ends_with('…'));
        assert_eq!(at, 'x');
        let (end, _, at) = shown(&line, 1, 20_000);
        assert!(end.starts_with('…') && !end.trim_end().ends_with('…'));
        assert_eq!(at, 'é', "the last character, 19,999 = 7 x 2,857");
    }
}
