//! The JSON Lines format (documented in `docs/jsonl.md`): one JSON object per
//! line, for each finding, each outcome without findings (pass,
//! not_applicable, error), each input error and each rule that failed to
//! load. Lines are written as each file's results arrive, so `jq`, data
//! warehouses and benchmark harnesses can consume a scan of any size.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileResult, Header, Outcome, Renderer, Status, Summary};
use crate::document::{path, Position};

#[derive(Default)]
pub struct JsonlRenderer {
    header: Option<Header>,
}

/// One line. Fields that do not apply to a record are left out.
#[derive(Serialize)]
struct Line<'a> {
    /// `finding`, `outcome`, `input_error` or `rule_error`.
    record: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dotted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    located_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msg: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    col: Option<u32>,
    /// Where in the rule file a rule error happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_col: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<&'a str>,
}

impl<'a> Line<'a> {
    fn new(record: &'static str, status: &'static str, file: &'a str) -> Self {
        Line {
            record,
            doc: None,
            policy: None,
            rule: None,
            status,
            severity: None,
            path: None,
            dotted: None,
            located_at: None,
            msg: None,
            hint: None,
            file,
            index: None,
            line: None,
            col: None,
            rule_line: None,
            rule_col: None,
            fingerprint: None,
        }
    }

    fn at(mut self, position: Option<Position>) -> Self {
        self.line = position.map(|p| p.line);
        self.col = position.map(|p| p.col);
        self
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, self).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

impl JsonlRenderer {
    fn outcome(&self, file: &FileResult, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let info = file.documents.iter().find(|d| d.index == outcome.document);
        let severity = self.header.as_ref().map(|h| h.severity_of(&outcome.rule).as_str());
        let base = || {
            let mut line = Line::new("outcome", outcome.status.as_str(), &file.path);
            line.doc = info.map(|d| d.identity.as_str());
            line.policy = Some(&outcome.rule);
            line.rule = Some(&outcome.rule);
            line.severity = severity;
            line.index = Some(outcome.document);
            line.fingerprint = Some(&outcome.fingerprint);
            line.at(info.map(|d| d.region.start))
        };
        if outcome.status == Status::Fail {
            for finding in &outcome.findings {
                let mut line = base().at(Some(finding.region.start));
                line.record = "finding";
                line.path = Some(path::parse(&finding.path).map_or_else(|_| String::new(), |s| path::pointer(&s)));
                line.dotted = Some(&finding.path);
                line.located_at = finding.located_at.as_deref();
                line.msg = Some(&finding.message);
                line.write(out)?;
            }
            return Ok(());
        }
        let mut line = base();
        if let Some(error) = &outcome.error {
            line.msg = Some(&error.message);
            line.rule_line = error.rule_position.map(|p| p.line);
            line.rule_col = error.rule_position.map(|p| p.col);
        }
        line.write(out)
    }
}

impl Renderer for JsonlRenderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        for error in &header.rule_errors {
            let mut line = Line::new("rule_error", Status::Error.as_str(), &error.file).at(error.position);
            line.rule = error.rule.as_deref();
            line.msg = Some(&error.message);
            line.hint = error.hint.as_deref();
            line.write(out)?;
        }
        self.header = Some(header.clone());
        Ok(())
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        for error in &file.errors {
            let mut line = Line::new("input_error", Status::Error.as_str(), &error.file).at(error.position);
            line.msg = Some(&error.message);
            line.hint = error.hint.as_deref();
            line.write(out)?;
        }
        for outcome in &file.outcomes {
            self.outcome(file, outcome, out)?;
        }
        Ok(())
    }

    fn end(&mut self, _summary: &Summary, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}
