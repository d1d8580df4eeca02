//! Markdown renderings of the Statement of Applicability and of readiness,
//! for a repository or a pull request.

use std::io::{self, Write};

use super::readiness::{Readiness, Tally};
use super::{Audit, ControlResult, ControlStatus, STANDARDS};
use crate::controls::catalogs;

/// Systems named in one evidence cell before the rest are counted.
pub const EVIDENCE_SYSTEMS: usize = 3;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn standard_name(id: &str) -> String {
    catalogs().standard(id).map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// One line of evidence per passing system (up to `max`), then a count of the rest.
pub fn evidence_lines(audit: &Audit, control: &ControlResult, max: usize) -> Vec<String> {
    let with_pass: Vec<_> = control.systems.iter().filter(|s| !s.passed.is_empty()).collect();
    let mut lines: Vec<String> = with_pass
        .iter()
        .take(max)
        .map(|sc| {
            let parts: Vec<String> = sc
                .passed
                .iter()
                .filter_map(|id| audit.outcome(id))
                .map(|o| {
                    let refs: Vec<String> = o.references.iter().map(|r| format!("{} = {}", r.path, r.value)).collect();
                    if refs.is_empty() {
                        o.rule.to_string()
                    } else {
                        format!("{} ({})", o.rule, refs.join(", "))
                    }
                })
                .collect();
            format!("{}: {}", sc.system, parts.join("; "))
        })
        .collect();
    if with_pass.len() > max {
        lines.push(format!("and {} more systems", with_pass.len() - max));
    }
    lines
}

fn applicability(c: &ControlResult) -> String {
    match &c.justification {
        None => "yes".into(),
        Some(why) => format!("no: {why}"),
    }
}

fn tally_of<'a>(controls: impl Iterator<Item = &'a ControlResult>) -> (Tally, usize) {
    let mut tally = Tally::default();
    let mut excluded = 0;
    for c in controls {
        if c.applicable {
            tally.add(c.status);
        } else {
            excluded += 1;
        }
    }
    (tally, excluded)
}

pub fn soa(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# Statement of Applicability\n")?;
    writeln!(
        out,
        "Assessed on {} by {} {} over {} systems with {} rules. Status comes from the scan: implemented (every covering rule passes on every system it applies to), partial, gap, or not assessed (no rule covers the control, or none applied).\n",
        audit.now,
        audit.tool,
        audit.version,
        audit.systems.len(),
        audit.rules.len()
    )?;
    writeln!(out, "{}\n", audit.dates_note())?;
    writeln!(out, "| Standard | Controls | Implemented | Partial | Gap | Not assessed | Excluded |")?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|")?;
    for standard in STANDARDS {
        let (t, excluded) = tally_of(audit.controls_of(standard));
        writeln!(
            out,
            "| {} Annex A | {} | {} | {} | {} | {} | {} |",
            standard_name(standard),
            t.total() + excluded,
            t.implemented,
            t.partial,
            t.gap,
            t.not_assessed,
            excluded
        )?;
    }
    for standard in STANDARDS {
        writeln!(out, "\n## {} Annex A\n", standard_name(standard))?;
        writeln!(out, "| Control | Title | Applicable | Status | Systems | Rules | Evidence | Last assessed | Re-assessment due |")?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
        for c in audit.controls_of(standard) {
            writeln!(
                out,
                "| {} | {} | {} | {} | {}/{} | {} | {} | {} | {} |",
                c.id,
                cell(&c.title),
                cell(&applicability(c)),
                c.status.label(),
                c.implemented_systems,
                c.systems.len(),
                c.rules.join(" "),
                cell(&evidence_lines(audit, c, EVIDENCE_SYSTEMS).join("<br>")),
                c.last_assessed.as_deref().unwrap_or("-"),
                audit.due_label(c.reassess_due.as_deref()),
            )?;
        }
    }
    Ok(())
}

fn symbol(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Implemented => "I",
        ControlStatus::Partial => "P",
        ControlStatus::Gap => "G",
        ControlStatus::NotAssessed => "-",
    }
}

pub fn readiness(audit: &Audit, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# Readiness for ISO/IEC 42001\n")?;
    writeln!(
        out,
        "Assessed on {} over {} systems. Progress is the share of applicable Annex A controls implemented.\n",
        r.now,
        r.systems.len()
    )?;
    writeln!(out, "## Progress per domain\n")?;
    writeln!(out, "| Domain | Title | Implemented | Partial | Gap | Not assessed | Excluded | Progress |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|")?;
    for d in &r.domains {
        let t = &d.tally;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {}% |",
            d.domain,
            cell(&d.title),
            t.implemented,
            t.partial,
            t.gap,
            t.not_assessed,
            d.excluded,
            t.percent()
        )?;
    }
    writeln!(out, "\n## Progress per system\n")?;
    writeln!(out, "| System | Kind | Implemented | Partial | Gap | Not assessed | Progress |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|")?;
    for s in &r.systems {
        let t = &s.tally;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {}% |",
            cell(&s.system),
            cell(&s.kind),
            t.implemented,
            t.partial,
            t.gap,
            t.not_assessed,
            t.percent()
        )?;
    }
    let controls: Vec<&ControlResult> = audit.controls_of("iso42001").filter(|c| c.applicable).collect();
    writeln!(out, "\n## Systems x controls (ISO/IEC 42001 Annex A)\n")?;
    writeln!(out, "I implemented, P partial, G gap, - not assessed.\n")?;
    let head: Vec<&str> = controls.iter().map(|c| c.id.as_str()).collect();
    writeln!(out, "| System | {} |", head.join(" | "))?;
    writeln!(out, "|---|{}", ":---:|".repeat(head.len()))?;
    for s in &r.systems {
        let row: Vec<&str> = controls
            .iter()
            .map(|c| symbol(s.matrix.iter().find(|m| m.control == c.id).map_or(ControlStatus::NotAssessed, |m| m.status)))
            .collect();
        writeln!(out, "| {} | {} |", cell(&s.system), row.join(" | "))?;
    }
    writeln!(out, "\n## What ISO/IEC 42001 adds to ISO/IEC 27001\n")?;
    writeln!(
        out,
        "For each ISO/IEC 27001 control that the crosswalk extends to AI: whether the related ISO/IEC 42001 controls are in place.\n"
    )?;
    writeln!(out, "| 27001 control | Title | Crosswalk | Related 42001 controls | AI extension | 27001 control status |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for e in &r.integration {
        let related: Vec<String> = e.iso42001.iter().map(|(id, s)| format!("{id} ({})", s.label())).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            e.iso27001,
            cell(&e.title),
            e.mappings.join(" "),
            related.join(", "),
            extension_label(e.status),
            e.iso27001_status.label()
        )?;
    }
    Ok(())
}

/// How the integration view names a status.
pub fn extension_label(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Implemented => "in place",
        ControlStatus::Partial => "partly in place",
        ControlStatus::Gap => "missing",
        ControlStatus::NotAssessed => "not assessed",
    }
}
