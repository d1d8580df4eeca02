//! `annexa report soa|readiness`: settle the settings as `scan` does (flags
//! over the config file), scan, build the audit model, render it.

use std::io::Write;

use std::path::Path;

use annexa_engine::audit::exclusions::{self, Exclusions};
use annexa_engine::audit::{self, readiness, Builder, EvidenceScope};
use annexa_engine::document::discover::discover;
use annexa_engine::eval::{self, Input};
use annexa_engine::reassess::Classifier;
use annexa_engine::report::{RuleInfo, Status};
use miette::miette;

use super::evaluation::Evaluation;
use super::scan::{evaluation_date, source_for_snippet};
use super::{configured_rules, ExitStatus, Written};
use crate::args::{ReportCommand, ReportFormat};
use crate::diagnostics::{self, Source};

pub fn run(command: ReportCommand) -> miette::Result<ExitStatus> {
    let (args, soa) = match command {
        ReportCommand::Soa(args) => (args, true),
        ReportCommand::Readiness(args) => (args, false),
    };
    annexa_engine::eval::use_threads(args.evaluation.threads);
    let now = evaluation_date(args.evaluation.now.as_deref())?;
    let Some((rule_set, config, config_errors)) = configured_rules(&args.selection, &args.config)? else {
        return Ok(ExitStatus::Error);
    };
    let mut evaluation = Evaluation::settle(&args.evaluation, &config, now);
    evaluation.finish_reading();
    // --exclusions FILE replaces the config's `soa: {exclusions}`.
    let (exclusions, exclusion_errors) = match &args.exclusions {
        Some(path) => read_exclusions(path)?,
        None => (Exclusions::from_list(&config.exclusions), 0),
    };
    let mut errors = config_errors + evaluation.errors + exclusion_errors + rule_set.errors.len();
    let discovered = discover(&args.paths, &evaluation.discover_options(None))?;
    for error in &discovered.errors {
        diagnostics::eprint(&diagnostics::input_error(error, None));
    }
    diagnostics::note_skipped(&discovered.skipped);
    errors += discovered.errors.len();
    let mut files = discovered.files;
    evaluation.skip_dispositions_file(&mut files);

    // With a dispositions file, outcomes are classified as `scan` does, and their recorded dates used.
    let rule_infos: Vec<RuleInfo> = rule_set.rules.iter().map(RuleInfo::from_rule).collect();
    let dispositions_display = evaluation.dispositions_display();
    let mut classifier = match (&evaluation.dispositions, &dispositions_display) {
        (Some(file), Some(display)) => Some(Classifier::new(file, display, &rule_infos, now)),
        _ => None,
    };
    let mut builder = Builder::new(&rule_set.rules, now, &files);
    if let Some(display) = dispositions_display.clone() {
        builder = builder.with_dispositions(display);
    }
    // Markdown and HTML name a few systems per control; JSON and OSCAL carry every value.
    let evidence = match args.format {
        ReportFormat::Markdown => EvidenceScope::FirstSystems(audit::markdown::EVIDENCE_SYSTEMS),
        ReportFormat::Html => EvidenceScope::FirstSystems(audit::html::EVIDENCE_SYSTEMS),
        ReportFormat::Csv => EvidenceScope::FirstSystems(0),
        ReportFormat::Json | ReportFormat::Oscal => EvidenceScope::All,
    };
    let mut options = evaluation.scan_options()?;
    // Reports count findings; they never show source lines, so nothing is redacted for display.
    options.snippets = false;
    // The forms that list every input with its digests take them from the bytes as read.
    options.load.digests = evidence == EvidenceScope::All;
    let inputs = files.into_iter().map(Input::File).collect();
    eval::scan(&rule_set.rules, inputs, &options, &mut |file| {
        if let Some(classifier) = classifier.as_mut() {
            classifier.classify(file);
        }
        let located = file.errors.iter().any(|e| e.position.is_some());
        let text = if located { source_for_snippet(&file.path, options.load.max_file_bytes) } else { None };
        let source = text.as_deref().map(Source::new);
        for error in &file.errors {
            diagnostics::eprint(&diagnostics::input_error(error, source.as_ref()));
        }
        errors += file.errors.len() + file.outcomes.iter().filter(|o| o.status == Status::Error).count();
        builder.add(std::mem::take(file));
        Ok(())
    })
    .written()?;
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

/// Reads `--exclusions FILE`, reporting each located problem; the good entries are kept.
fn read_exclusions(path: &Path) -> miette::Result<(Exclusions, usize)> {
    let display = annexa_engine::document::discover::display_path(path);
    let text = annexa_engine::document::read_text_within(path, annexa_engine::document::MAX_FILE_BYTES, "an exclusions file")
        .map_err(|e| miette!(help = "pass a YAML file with an `exclusions:` list", "cannot read the exclusions file {display}: {e}"))?;
    let parsed = exclusions::parse(&text, &display);
    let source = Source::new(&text);
    for error in &parsed.errors {
        diagnostics::eprint(&diagnostics::input_error(error, Some(&source)));
    }
    let count = parsed.errors.len();
    Ok((parsed, count))
}
