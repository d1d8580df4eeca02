//! `annexa report soa|readiness`: scan, build the audit model, render it.

use std::io::Write;

use annexa_engine::audit::{self, exclusions, readiness, Builder, EvidenceScope};
use annexa_engine::document::discover::{discover, DiscoverOptions};
use annexa_engine::eval::{self, Input, ScanOptions};
use miette::miette;

use super::scan::evaluation_date;
use super::{load_rules, ExitStatus, Written};
use crate::args::{ReportArgs, ReportCommand, ReportFormat};
use crate::diagnostics;

pub fn run(command: ReportCommand) -> miette::Result<ExitStatus> {
    let (args, soa) = match command {
        ReportCommand::Soa(args) => (args, true),
        ReportCommand::Readiness(args) => (args, false),
    };
    let now = evaluation_date(args.now.as_deref())?;
    let (exclusions, mut errors) = read_exclusions(&args)?;
    let (engine, rule_set) = load_rules(&args.selection);
    errors += rule_set.errors.len();
    let discovered = discover(
        &args.paths,
        &DiscoverOptions {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            follow_symlinks: args.follow,
            ..DiscoverOptions::default()
        },
    )?;
    for error in &discovered.errors {
        diagnostics::eprint(&diagnostics::input_error(error, None));
    }
    errors += discovered.errors.len();

    let mut builder = Builder::new(&rule_set.rules, now, &discovered.files);
    let mut options = ScanOptions::new(now);
    options.threads = args.threads;
    let inputs = discovered.files.into_iter().map(Input::File).collect();
    eval::scan(&engine, &rule_set.rules, inputs, &options, &mut |file| {
        for error in &file.errors {
            let text = std::fs::read_to_string(&file.path).ok();
            diagnostics::eprint(&diagnostics::input_error(error, text));
        }
        errors += file.errors.len() + file.outcomes.iter().filter(|o| o.status == annexa_engine::report::Status::Error).count();
        builder.add(file);
        Ok(())
    })
    .written()?;
    // Markdown and HTML name a few systems per control; JSON and OSCAL carry every value.
    let evidence = match args.format {
        ReportFormat::Markdown => EvidenceScope::FirstSystems(audit::markdown::EVIDENCE_SYSTEMS),
        ReportFormat::Html => EvidenceScope::FirstSystems(audit::html::EVIDENCE_SYSTEMS),
        ReportFormat::Csv => EvidenceScope::FirstSystems(0),
        ReportFormat::Json | ReportFormat::Oscal => EvidenceScope::All,
    };
    let audit = builder.finish(&exclusions, evidence);

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| miette!("cannot write {}: {e}", path.display()))?))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let readiness = (!soa || args.format == ReportFormat::Html).then(|| readiness::build(&audit));
    match (args.format, &readiness) {
        (ReportFormat::Markdown, None) => audit::markdown::soa(&audit, &mut out).written()?,
        (ReportFormat::Markdown, Some(r)) => audit::markdown::readiness(&audit, r, &mut out).written()?,
        (ReportFormat::Csv, None) => audit::csv::soa(&audit, &mut out).written()?,
        (ReportFormat::Csv, Some(r)) => audit::csv::readiness(&audit, r, &mut out).written()?,
        (ReportFormat::Json, None) => {
            serde_json::to_writer_pretty(&mut out, &audit).written()?;
            writeln!(out).written()?;
        }
        (ReportFormat::Json, Some(r)) => {
            serde_json::to_writer_pretty(&mut out, r).written()?;
            writeln!(out).written()?;
        }
        (ReportFormat::Html, r) => {
            let built;
            let r = match r {
                Some(r) => r,
                None => {
                    built = readiness::build(&audit);
                    &built
                }
            };
            audit::html::render(&audit, r, &mut out).written()?;
        }
        (ReportFormat::Oscal, _) => audit::oscal::write(&audit, &mut out).written()?,
    }
    out.flush().written()?;
    Ok(if errors > 0 { ExitStatus::Error } else { ExitStatus::Clean })
}

/// Reads `--exclusions`, reporting each located problem; the good entries are kept.
fn read_exclusions(args: &ReportArgs) -> miette::Result<(exclusions::Exclusions, usize)> {
    let Some(path) = &args.exclusions else { return Ok((exclusions::Exclusions::default(), 0)) };
    let display = annexa_engine::document::discover::display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| miette!(help = "pass a YAML file with an `exclusions:` list", "cannot read the exclusions file {display}: {e}"))?;
    let parsed = exclusions::parse(&text, &display);
    for error in &parsed.errors {
        diagnostics::eprint(&diagnostics::input_error(error, Some(text.clone())));
    }
    let count = parsed.errors.len();
    Ok((parsed, count))
}
