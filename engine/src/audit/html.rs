//! The HTML report: one self-contained page (inline CSS and JS, no network),
//! readable on screen and on paper. A heatmap of systems x ISO/IEC 42001
//! domains, the Statement of Applicability as one table per standard with
//! evidence, the integration view, and filters by system, domain and status.
//!
//! Per-system data is embedded once as compact JSON and drawn by the page in
//! pages of rows, so the file stays small and usable with 10,000 systems.
//! Opening the page with `#selftest` applies a few filters and writes the
//! visible row counts into `#selftest-result`, for tests in a headless browser.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::json;

use super::markdown::{evidence_lines, extension_label};
use super::readiness::Readiness;
use super::{Audit, ControlResult, ControlStatus, STANDARDS};
use crate::controls::catalogs;

/// Systems listed in one control's evidence before the rest are counted.
pub const EVIDENCE_SYSTEMS: usize = 20;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One letter per status in the embedded matrix.
fn code(status: ControlStatus) -> char {
    match status {
        ControlStatus::Implemented => 'I',
        ControlStatus::Partial => 'P',
        ControlStatus::Gap => 'G',
        ControlStatus::NotAssessed => 'N',
    }
}

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

pub fn render(audit: &Audit, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
    let domains: Vec<&str> = r.domains.iter().map(|d| d.domain.as_str()).collect();
    // Controls any rule covers: the only ones whose status can differ by system.
    let covered: Vec<&ControlResult> = audit.controls.iter().filter(|c| !c.rules.is_empty()).collect();
    // Per covered control, each system's status: looked up once per (system, control).
    let status_on: Vec<HashMap<&str, ControlStatus>> =
        covered.iter().map(|c| c.systems.iter().map(|sc| (&*sc.system, sc.status)).collect()).collect();
    let covered: Vec<String> = covered.iter().map(|c| c.qualified()).collect();
    let systems: Vec<serde_json::Value> = r
        .systems
        .iter()
        .map(|s| {
            let matrix: String = status_on.iter().map(|on| on.get(s.system.as_str()).map_or('N', |status| code(*status))).collect();
            json!({
                "n": s.system,
                "k": s.kind,
                "h": s.heatmap.iter().map(|c| [c.implemented, c.assessed]).collect::<Vec<_>>(),
                "m": matrix,
            })
        })
        .collect();
    let data = json!({"domains": domains, "covered": covered, "systems": systems});
    // `<` escaped so no text in the data can close the script element.
    let data = data.to_string().replace('<', "\\u003c");

    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    writeln!(out, "<title>Statement of Applicability and readiness, {}</title>", esc(&audit.now))?;
    writeln!(out, "<style>\n{CSS}</style>\n</head>\n<body>")?;
    writeln!(out, "<header><h1>Statement of Applicability and readiness</h1>")?;
    writeln!(
        out,
        "<p class=\"meta\">Assessed on <strong>{}</strong> by {} {} over <strong id=\"system-count\">{}</strong> systems with {} rules and {} input files. Digests of every rule and input are in the JSON and OSCAL forms.</p><p class=\"meta\">{}</p></header>",
        esc(&audit.now),
        esc(&audit.tool),
        esc(&audit.version),
        audit.systems.len(),
        audit.rules.len(),
        audit.inputs.len(),
        esc(&audit.dates_note())
    )?;

    // Filters.
    writeln!(out, "<form class=\"filters\" id=\"filters\" onsubmit=\"return false\">")?;
    writeln!(out, "<label>System <input id=\"f-system\" list=\"system-names\" placeholder=\"all systems\"></label>")?;
    writeln!(out, "<datalist id=\"system-names\"></datalist>")?;
    writeln!(out, "<label>Domain <select id=\"f-domain\"><option value=\"\">all domains</option>")?;
    for standard in STANDARDS {
        if let Some(s) = catalogs().standard(standard) {
            for g in s.groups.iter().filter(|g| g.id.starts_with("A.")) {
                writeln!(out, "<option value=\"{}:{}\">{} {} {}</option>", standard, esc(&g.id), esc(&s.short), esc(&g.id), esc(&g.title))?;
            }
        }
    }
    writeln!(out, "</select></label>")?;
    writeln!(out, "<label>Status <select id=\"f-status\"><option value=\"\">all statuses</option>")?;
    for s in ControlStatus::ALL {
        writeln!(out, "<option value=\"{}\">{}</option>", s.as_str(), s.label())?;
    }
    writeln!(out, "<option value=\"excluded\">excluded</option></select></label>")?;
    writeln!(out, "<button type=\"button\" id=\"f-reset\">Reset</button></form>")?;
    writeln!(out, "<noscript><p>Filters and per-system rows need JavaScript; the tables below are complete without it.</p></noscript>")?;

    // Domain progress.
    writeln!(out, "<section><h2>Progress per ISO/IEC 42001 domain</h2>")?;
    writeln!(out, "<table class=\"progress\"><thead><tr><th>Domain</th><th>Title</th><th>Implemented</th><th>Partial</th><th>Gap</th><th>Not assessed</th><th>Excluded</th><th>Progress</th></tr></thead><tbody>")?;
    for d in &r.domains {
        let t = &d.tally;
        writeln!(
            out,
            "<tr data-domain=\"iso42001:{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"bar\"><span style=\"width:{}%\"></span></span> {}%</td></tr>",
            esc(&d.domain), esc(&d.domain), esc(&d.title), t.implemented, t.partial, t.gap, t.not_assessed, d.excluded, t.percent(), t.percent()
        )?;
    }
    writeln!(out, "</tbody></table></section>")?;

    // Heatmap.
    writeln!(out, "<section><h2>Heatmap: systems x ISO/IEC 42001 domains</h2>")?;
    writeln!(out, "<p>Each cell: controls of the domain implemented on the system, of those assessed there.</p>")?;
    write!(out, "<table id=\"heatmap\"><thead><tr><th>System</th>")?;
    for d in &domains {
        write!(out, "<th>{}</th>", esc(d))?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    write!(out, "<tr class=\"overall\"><th>All systems</th>")?;
    for (d, c) in domains.iter().zip(&r.overall) {
        write!(out, "{}", heat_cell("", d, c.implemented, c.assessed))?;
    }
    writeln!(out, "</tr></tbody><tbody id=\"heat-rows\"></tbody></table>")?;
    writeln!(out, "<p class=\"pager\"><button type=\"button\" id=\"heat-prev\">Previous</button> <span id=\"heat-page\"></span> <button type=\"button\" id=\"heat-next\">Next</button></p></section>")?;

    // The Statement of Applicability, one table per standard.
    for standard in STANDARDS {
        let name = catalogs().standard(standard).map_or(standard.to_string(), |s| s.name.clone());
        writeln!(out, "<section><h2>{} Annex A</h2>", esc(&name))?;
        writeln!(out, "<table class=\"controls\" data-standard=\"{standard}\"><thead><tr><th>Control</th><th>Title</th><th>Applicable</th><th>Status</th><th>Systems</th><th>Rules</th><th>Evidence</th><th>Last assessed</th><th>Re-assessment due</th></tr></thead><tbody>")?;
        for c in audit.controls_of(standard) {
            let status = if c.applicable { c.status.as_str() } else { "excluded" };
            let applicable = match &c.justification {
                None => "yes".to_string(),
                Some(why) => format!("no: {}", esc(why)),
            };
            let evidence = evidence_lines(audit, c, EVIDENCE_SYSTEMS);
            let evidence = if evidence.is_empty() {
                String::new()
            } else {
                let items: String = evidence.iter().map(|l| format!("<li>{}</li>", esc(l))).collect();
                format!(
                    "<details><summary>evidence from {} systems</summary><ul>{items}</ul></details>",
                    c.systems.iter().filter(|s| !s.passed.is_empty()).count()
                )
            };
            writeln!(
                out,
                "<tr data-control=\"{q}\" data-domain=\"{standard}:{d}\" data-status=\"{status}\" data-overall=\"{status}\"><td>{id}</td><td>{title}</td><td>{applicable}</td><td class=\"status {status}\">{label}</td><td>{imp}/{ass}</td><td>{rules}</td><td>{evidence}</td><td>{last}</td><td>{due}</td></tr>",
                q = esc(&c.qualified()),
                d = esc(&c.domain),
                id = esc(&c.id),
                title = esc(&c.title),
                label = if c.applicable { c.status.label() } else { "excluded" },
                imp = c.implemented_systems,
                ass = c.systems.len(),
                rules = esc(&c.rules.join(" ")),
                last = esc(c.last_assessed.as_deref().unwrap_or("-")),
                due = esc(&audit.due_label(c.reassess_due.as_deref())),
            )?;
        }
        writeln!(out, "</tbody></table></section>")?;
    }

    // Integration view.
    writeln!(out, "<section><h2>What ISO/IEC 42001 adds to ISO/IEC 27001</h2>")?;
    writeln!(
        out,
        "<p>For each ISO/IEC 27001 control the crosswalk extends to AI: whether the related ISO/IEC 42001 controls are in place.</p>"
    )?;
    writeln!(out, "<table id=\"integration\"><thead><tr><th>27001 control</th><th>Title</th><th>Crosswalk</th><th>Related 42001 controls</th><th>AI extension</th><th>27001 control status</th></tr></thead><tbody>")?;
    for e in &r.integration {
        let related: Vec<String> = e.iso42001.iter().map(|(id, s)| format!("{} ({})", esc(id), s.label())).collect();
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"status {}\">{}</td><td>{}</td></tr>",
            esc(&e.iso27001),
            esc(&e.title),
            esc(&e.mappings.join(" ")),
            related.join(", "),
            e.status.as_str(),
            extension_label(e.status),
            e.iso27001_status.label()
        )?;
    }
    writeln!(out, "</tbody></table></section>")?;
    writeln!(out, "<pre id=\"selftest-result\" hidden></pre>")?;
    writeln!(out, "<script type=\"application/json\" id=\"data\">{data}</script>")?;
    writeln!(out, "<script>\n{JS}</script>\n</body>\n</html>")?;
    Ok(())
}

/// A heatmap cell; its colour goes from red (none implemented) to green (all).
pub fn heat_cell(system: &str, domain: &str, implemented: usize, assessed: usize) -> String {
    let (style, text) = match (implemented * 120).checked_div(assessed) {
        Some(hue) => (format!(" style=\"background:hsl({hue},70%,80%)\""), format!("{implemented}/{assessed}")),
        None => (String::new(), "-".to_string()),
    };
    format!(
        "<td class=\"heat\" data-system=\"{}\" data-domain=\"{}\" data-implemented=\"{implemented}\" data-assessed=\"{assessed}\"{style}>{text}</td>",
        esc(system),
        esc(domain)
    )
}
