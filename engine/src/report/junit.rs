//! JUnit XML for CI test tabs: one `<testsuite>` per file, one `<testcase>`
//! per (rule, document): a pass is a passing test, a finding a `<failure>`,
//! a script error an `<error>`, a rule that does not apply `<skipped>`.
//! Streams file by file; a suite's totals come from its own file, so the
//! root `<testsuites>` element carries no totals (the schema makes them optional).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{FileResult, Header, Status, Summary};

#[derive(Default)]
pub struct JunitRenderer {
    header: Option<Header>,
}

/// Escapes text for an XML attribute or element body. Characters XML 1.0
/// cannot hold at all (most C0 controls) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an element body, where line breaks stay line breaks.
fn escape_body(text: &str) -> String {
    escape(text).replace("&#10;", "\n")
}

impl super::Renderer for JunitRenderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(out, "<testsuites name=\"{}\">", escape(&header.tool))?;
        if !header.rule_errors.is_empty() {
            let n = header.rule_errors.len();
            writeln!(out, "  <testsuite name=\"rules\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">")?;
            for e in &header.rule_errors {
                let at = e.position.map_or_else(|| e.file.clone(), |p| format!("{}:{}:{}", e.file, p.line, p.col));
                writeln!(
                    out,
                    "    <testcase name=\"load {}\" classname=\"rules\">\n      <error type=\"rule\" message=\"{}\">{}</error>\n    </testcase>",
                    escape(e.rule.as_deref().unwrap_or(&e.file)),
                    escape(&e.message),
                    escape_body(&format!("{at}: {}", e.message)),
                )?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        self.header = Some(header.clone());
        Ok(())
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        let Some(header) = &self.header else { return Ok(()) };
        let count = |s: Status| file.outcomes.iter().filter(|o| o.status == s).count();
        let mut cases = String::new();
        for e in &file.errors {
            let at = e.position.map_or_else(|| e.file.clone(), |p| format!("{}:{}:{}", e.file, p.line, p.col));
            let _ = write!(
                cases,
                "    <testcase name=\"read\" classname=\"{}\">\n      <error type=\"input\" message=\"{}\">{}</error>\n    </testcase>\n",
                escape(&file.path),
                escape(&e.message),
                escape_body(&format!("{at}: {}", e.message)),
            );
        }
        for outcome in &file.outcomes {
            let identity = file.document(outcome.document).map_or("", |d| d.identity.as_str());
            let rule = header.rule(&outcome.rule);
            let title = rule.map_or("", |r| r.title.as_str());
            let severity = header.severity_of(&outcome.rule);
            let open = format!(
                "    <testcase name=\"{} {}\" classname=\"{}\"",
                escape(&outcome.rule),
                escape(title),
                escape(&format!("{}#{identity}", file.path))
            );
            match outcome.status {
                Status::Pass => {
                    let _ = writeln!(cases, "{open}/>");
                }
                Status::NotApplicable => {
                    let _ = writeln!(cases, "{open}>\n      <skipped message=\"not applicable\"/>\n    </testcase>");
                }
                Status::Fail => {
                    let mut body = String::new();
                    for f in &outcome.findings {
                        let _ = writeln!(body, "{}:{}:{} {}: {}", file.path, f.region.start.line, f.region.start.col, f.path, f.message);
                    }
                    if let Some(rule) = rule {
                        let _ = writeln!(body, "fix: {}", rule.remediation);
                    }
                    let n = outcome.findings.len();
                    let message = format!("{n} {} ({severity})", if n == 1 { "finding" } else { "findings" });
                    let _ = writeln!(
                        cases,
                        "{open}>\n      <failure type=\"{severity}\" message=\"{}\">{}</failure>\n    </testcase>",
                        escape(&message),
                        escape_body(body.trim_end())
                    );
                }
                Status::Error => {
                    let message = outcome.error.as_ref().map_or("the rule failed", |e| e.message.as_str());
                    let _ = writeln!(
                        cases,
                        "{open}>\n      <error type=\"script\" message=\"{}\">{}</error>\n    </testcase>",
                        escape(message),
                        escape_body(message)
                    );
                }
            }
        }
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" file=\"{}\">",
            escape(&file.path),
            file.outcomes.len() + file.errors.len(),
            count(Status::Fail),
            count(Status::Error) + file.errors.len(),
            count(Status::NotApplicable),
            escape(&file.path),
        )?;
        out.write_all(cases.as_bytes())?;
        writeln!(out, "  </testsuite>")
    }

    fn end(&mut self, _summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "</testsuites>")
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(escape(r#"a<b & "c" 'd'>"#), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert_eq!(escape("x\u{1}y\nz"), "x\u{fffd}y&#10;z");
    }
}
