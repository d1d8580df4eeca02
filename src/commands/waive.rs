//! `annexa waive`: record an accepted risk, bound to the current fingerprint.

use std::io::Write;

use annexa_engine::document::discover::display_path;
use annexa_engine::reassess::evidence::EvidenceMode;
use annexa_engine::reassess::WaiverRequest;
use miette::miette;

use super::baseline;
use super::scan::{corpus_rules, evaluation_date, part_of_corpus, plan};
use super::{ExitStatus, Written};
use crate::args::WaiveArgs;

pub fn run(args: WaiveArgs) -> miette::Result<ExitStatus> {
    let now = evaluation_date(args.inputs.now.as_deref())?;
    let expires = args.expires.parse::<jiff::civil::Date>().map_err(|e| {
        miette!(help = "write the date as YYYY-MM-DD, for example --expires 2025-09-01", "invalid --expires `{}`: {e}", args.expires)
    })?;
    let request = WaiverRequest { rule: args.rule, system: args.system, reason: args.reason, by: args.by, expires, now };
    // Refuse before scanning: a waiver without reason, approver or a future expiry is never recorded.
    request.validate()?;
    let Some((planned, files)) = plan(&args.inputs)? else {
        return Ok(ExitStatus::Error);
    };
    // A corpus rule's verdict over part of the corpus is not the one its waiver must hold against.
    if part_of_corpus(&args.inputs.paths, &args.inputs.include, &args.inputs.exclude)
        && corpus_rules(&planned.rules).contains(&request.rule)
    {
        return Err(miette!(
            help = "waive it over the folders that hold every document, without --include or --exclude",
            "{} is a corpus rule: its outcome over the files named or let through is not the one a scan of the whole corpus gives",
            request.rule
        ));
    }
    let path = &planned.dispositions;
    let Ok(mut file) = baseline::read(path, false) else {
        eprintln!("{}: not modified", display_path(path));
        return Ok(ExitStatus::Error);
    };
    // Only a file that holds the system can hold the outcome to waive: the
    // others are let go as they come, so a waiver over a large tree costs
    // the memory of one file.
    let mut holding = Vec::new();
    let errors = planned.run(files, now, EvidenceMode::All, |result| {
        if result.documents.iter().any(|d| d.identity == request.system) {
            holding.push(std::mem::take(result));
        }
    })?;
    request.apply(&mut file, &holding, &planned.rules)?;
    baseline::write(path, &file)?;
    let fingerprint =
        file.waivers.iter().find(|w| w.system == request.system && w.rule == request.rule).map_or("", |w| w.fingerprint.as_str());
    writeln!(
        std::io::stdout().lock(),
        "{}: waived {} on {} until {} (by {}; fingerprint {fingerprint})",
        display_path(path),
        request.rule,
        request.system,
        request.expires,
        request.by
    )
    .written()?;
    Ok(if errors > 0 { ExitStatus::Error } else { ExitStatus::Clean })
}
