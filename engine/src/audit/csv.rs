//! CSV renderings for spreadsheets and GRC imports: the Statement of
//! Applicability one row per control, readiness one row per (system, control).

use std::io::{self, Write};

use super::readiness::Readiness;
use super::{Audit, ControlStatus, STANDARDS};

/// A field quoted when it holds a comma, quote or line break (RFC 4180).
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn row(out: &mut dyn Write, fields: &[&str]) -> io::Result<()> {
    let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
    write!(out, "{}\r\n", line.join(","))
}

pub fn soa(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    row(
        out,
        &[
            "standard",
            "control",
            "title",
            "domain",
            "applicable",
            "justification",
            "status",
            "systems_implemented",
            "systems_assessed",
            "rules",
            "evidence",
            "last_assessed",
            "reassess_due",
            "reassessment",
        ],
    )?;
    for standard in STANDARDS {
        for c in audit.controls_of(standard) {
            let evidence: Vec<&str> = c.systems.iter().flat_map(|s| s.passed.iter().map(|id| &**id)).collect();
            row(
                out,
                &[
                    &c.standard,
                    &c.id,
                    &c.title,
                    &c.domain,
                    if c.applicable { "yes" } else { "no" },
                    c.justification.as_deref().unwrap_or(""),
                    c.status.as_str(),
                    &c.implemented_systems.to_string(),
                    &c.systems.len().to_string(),
                    &c.rules.join(" "),
                    &evidence.join(" "),
                    c.last_assessed.as_deref().unwrap_or(""),
                    c.reassess_due.as_deref().unwrap_or(""),
                    c.reassess_due.as_deref().map_or("", |due| audit.due_state(due).as_str()),
                ],
            )?;
        }
    }
    Ok(())
}

pub fn readiness(audit: &Audit, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
    row(out, &["system", "kind", "domain", "control", "status", "outcomes"])?;
    let controls: Vec<_> = audit.controls_of("iso42001").filter(|c| c.applicable).collect();
    for s in &r.systems {
        for c in &controls {
            let cell = s.matrix.iter().find(|m| m.control == c.id);
            let status = cell.map_or(ControlStatus::NotAssessed, |m| m.status);
            let outcomes = cell.map(|m| m.outcomes.join(" ")).unwrap_or_default();
            row(out, &[&s.system, &s.kind, &c.domain, &c.id, status.as_str(), &outcomes])?;
        }
    }
    Ok(())
}
