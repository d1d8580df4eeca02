//! `annexa controls`: the embedded catalogs, every id qualified by its standard.

use std::io::Write;

use annexa_engine::controls::catalogs;

use super::{ExitStatus, Written};
use crate::args::{ControlsArgs, ListFormat};

pub fn run(args: ControlsArgs) -> miette::Result<ExitStatus> {
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
