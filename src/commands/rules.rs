//! `annexa rules list`.

use std::io::Write;

use annexa_engine::report::RuleInfo;

use super::{configured_rules, ExitStatus, Written};
use crate::args::{ListFormat, RulesListArgs};

pub fn list(args: RulesListArgs) -> miette::Result<ExitStatus> {
    let Some((_, set, _, config_errors)) = configured_rules(&args.selection, &args.config)? else { return Ok(ExitStatus::Error) };
    let infos: Vec<RuleInfo> = set.rules.iter().map(RuleInfo::from_rule).collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &infos).written()?;
            writeln!(out).written()?;
        }
        ListFormat::Text => {
            for rule in &infos {
                let controls: Vec<String> = rule.controls.iter().map(|c| format!("{}:{}", c.standard, c.id)).collect();
                writeln!(out, "{:<8} {:<8} {:<20} {}", rule.id, rule.severity.as_str(), rule.kinds.join(","), rule.title).written()?;
                writeln!(out, "{:<8} controls: {}", "", controls.join(" ")).written()?;
            }
            writeln!(out, "{} rules", infos.len()).written()?;
        }
    }
    Ok(if set.errors.is_empty() && config_errors == 0 { ExitStatus::Clean } else { ExitStatus::Error })
}
