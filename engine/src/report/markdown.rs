//! A pull-request comment in Markdown: a verdict, the counts, a table of the
//! findings at or above `--fail-on` with links to `file#Lline`, and the
//! controls they touch. The summary comes first, so the failing rows (and
//! only those) are held until the end; passes are counted, not kept.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{ControlInfo, FileResult, Header, Status, Summary};
use crate::rules::Severity;

struct Row {
    severity: Severity,
    rule: String,
    file: String,
    line: u32,
    col: u32,
    message: String,
}

#[derive(Default)]
pub struct MarkdownRenderer {
    header: Option<Header>,
    rows: Vec<Row>,
    /// Failing findings per control.
    controls: BTreeMap<ControlInfo, usize>,
    errors: Vec<String>,
}

/// Escapes text for a table cell: pipes, line breaks and inline HTML.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;").replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// A link target for a repository-relative path: spaces and parentheses encoded.
fn link(path: &str, line: u32) -> String {
    format!("{}#L{line}", path.replace('%', "%25").replace(' ', "%20").replace('(', "%28").replace(')', "%29"))
}

impl super::Renderer for MarkdownRenderer {
    fn begin(&mut self, header: &Header, _out: &mut dyn Write) -> io::Result<()> {
        for e in &header.rule_errors {
            let at = e.position.map_or_else(|| e.file.clone(), |p| format!("{}:{}:{}", e.file, p.line, p.col));
            self.errors.push(format!("`{}`: {}", cell(&at), cell(&e.message)));
        }
        self.header = Some(header.clone());
        Ok(())
    }

    fn file(&mut self, file: &FileResult, _out: &mut dyn Write) -> io::Result<()> {
        let Some(header) = &self.header else { return Ok(()) };
        for e in &file.errors {
            let at = e.position.map_or_else(|| e.file.clone(), |p| format!("{}:{}:{}", e.file, p.line, p.col));
            self.errors.push(format!("`{}`: {}", cell(&at), cell(&e.message)));
        }
        for outcome in &file.outcomes {
            if outcome.status == Status::Error {
                let message = outcome.error.as_ref().map_or("the rule failed", |e| e.message.as_str());
                self.errors.push(format!("`{}` rule {}: {}", cell(&file.path), outcome.rule, cell(message)));
            }
            let Some(rule) = header.rule(&outcome.rule) else { continue };
            if rule.severity < header.fail_on || outcome.findings.is_empty() {
                continue;
            }
            for c in &rule.controls {
                *self.controls.entry(c.clone()).or_default() += outcome.findings.len();
            }
            for f in &outcome.findings {
                self.rows.push(Row {
                    severity: rule.severity,
                    rule: rule.id.clone(),
                    file: file.path.clone(),
                    line: f.region.start.line,
                    col: f.region.start.col,
                    message: f.message.clone(),
                });
            }
        }
        Ok(())
    }

    fn end(&mut self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let Some(header) = &self.header else { return Ok(()) };
        let fail_on = header.fail_on;
        let verdict = match summary.exit_code() {
            0 => format!("passed: no finding at or above {fail_on}"),
            1 => format!("failed: {} at or above {fail_on}", plural(summary.failing, "finding", "findings")),
            _ => format!("could not evaluate everything: {}", plural(summary.errors, "error", "errors")),
        };
        writeln!(out, "## annexa {verdict}\n")?;
        let by_severity: Vec<String> =
            Severity::ALL.iter().rev().map(|s| format!("{} {s}", summary.findings.get(s).copied().unwrap_or(0))).collect();
        let count = |s: Status| summary.outcomes.get(&s).copied().unwrap_or(0);
        writeln!(out, "| Result | |\n|---|---|")?;
        writeln!(out, "| Findings | {} |", by_severity.join(" · "))?;
        writeln!(
            out,
            "| Checks | {} pass · {} fail · {} not applicable · {} error |",
            count(Status::Pass),
            count(Status::Fail),
            count(Status::NotApplicable),
            count(Status::Error)
        )?;
        writeln!(
            out,
            "| Scanned | {} in {} |",
            plural(summary.documents, "document", "documents"),
            plural(summary.files, "file", "files")
        )?;
        if !self.rows.is_empty() {
            // Most severe first; within a severity, the scan's order (file, document, rule).
            self.rows.sort_by_key(|r| std::cmp::Reverse(r.severity));
            writeln!(out, "\n### Findings at or above {fail_on}\n")?;
            writeln!(out, "| Severity | Rule | Location | Finding |\n|---|---|---|---|")?;
            for r in &self.rows {
                let title = header.rule(&r.rule).map_or("", |i| i.title.as_str());
                writeln!(
                    out,
                    "| {} | **{}** {} | [{}:{}:{}]({}) | {} |",
                    r.severity,
                    r.rule,
                    cell(title),
                    cell(&r.file),
                    r.line,
                    r.col,
                    link(&r.file, r.line),
                    cell(&r.message)
                )?;
            }
        }
        if !self.controls.is_empty() {
            writeln!(out, "\n### Controls affected\n")?;
            writeln!(out, "| Standard | Control | Title | Findings |\n|---|---|---|---|")?;
            let catalogs = crate::controls::catalogs();
            // Standards and controls in catalog order (A.4.4 before A.10.2).
            for standard in &catalogs.standards {
                let mut rows: Vec<(usize, &ControlInfo, usize)> = self
                    .controls
                    .iter()
                    .filter(|(c, _)| c.standard == standard.id)
                    .map(|(c, n)| (standard.controls.iter().position(|k| k.id == c.id).unwrap_or(usize::MAX), c, *n))
                    .collect();
                rows.sort_by_key(|(position, _, _)| *position);
                for (_, c, n) in rows {
                    writeln!(out, "| {} | {} | {} | {n} |", cell(&standard.short), c.id, cell(&c.title))?;
                }
            }
        }
        if !self.errors.is_empty() {
            writeln!(out, "\n### Could not be evaluated\n")?;
            for e in &self.errors {
                writeln!(out, "- {e}")?;
            }
        }
        Ok(())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc <script>"), "a\\|b c &lt;script&gt;");
        assert_eq!(link("my dir/a (1).yaml", 4), "my%20dir/a%20%281%29.yaml#L4");
    }
}
