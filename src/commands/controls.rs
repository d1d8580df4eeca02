//! `annexa controls`: the embedded catalogs, every id qualified by its standard.

use std::io::Write;

use annexa_engine::controls::catalogs;
use annexa_engine::controls::coverage::coverage;

use super::{load_rules, ExitStatus, Written};
use crate::args::{ControlsArgs, ListFormat};

pub fn run(args: ControlsArgs) -> miette::Result<ExitStatus> {
    if args.coverage {
        return run_coverage(&args);
    }
    let catalogs = catalogs();
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, catalogs).written()?;
            writeln!(out).written()?;
        }
        ListFormat::Text => {
            for standard in &catalogs.standards {
                writeln!(out, "{} ({}): {} entries", standard.name, standard.id, standard.controls.len()).written()?;
                for group in &standard.groups {
                    writeln!(out, "  {} {}", group.id, group.title).written()?;
                    for control in standard.controls.iter().filter(|c| c.group == group.id) {
                        writeln!(out, "    {:<14} {}", format!("{}:{}", standard.id, control.id), control.title).written()?;
                    }
                }
                writeln!(out).written()?;
            }
            writeln!(out, "Crosswalk: ISO/IEC 27001:2022 controls extended to AI -> related ISO/IEC 42001 controls").written()?;
            for m in &catalogs.crosswalk {
                writeln!(out, "  {:<7} {}: iso27001 {} -> iso42001 {}", m.id, m.topic, m.iso27001.join(" "), m.iso42001.join(" "))
                    .written()?;
            }
        }
    }
    Ok(ExitStatus::Clean)
}

/// `annexa controls --coverage`: each control with the rules that cover it.
fn run_coverage(args: &ControlsArgs) -> miette::Result<ExitStatus> {
    let set = load_rules(&args.selection);
    let sections = coverage(&set.rules);
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &sections).written()?;
            writeln!(out).written()?;
        }
        ListFormat::Text => {
            for section in &sections {
                writeln!(out, "{}: {} of {} covered", section.name, section.covered, section.total).written()?;
                for control in &section.controls {
                    let rules = if control.rules.is_empty() { "-".to_string() } else { control.rules.join(" ") };
                    writeln!(out, "  {:<12} {:<58} {rules}", control.id, truncate(&control.title, 58)).written()?;
                }
                writeln!(out).written()?;
            }
        }
    }
    Ok(if set.errors.is_empty() { ExitStatus::Clean } else { ExitStatus::Error })
}

/// Long titles (NIST subcategories are sentences) are cut to keep one control a line.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
    }
}
