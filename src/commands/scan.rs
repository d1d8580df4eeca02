//! `annexa scan`: discover inputs, evaluate rules, render the report.

use std::io::{IsTerminal, Write};

use annexa_engine::document::discover::{discover, DiscoverOptions};
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::reassess::evidence::EvidenceMode;
use annexa_engine::reassess::{Classifier, Dispositions};
use annexa_engine::report::{self, FileResult, Format, Header, ReassessSettings, RuleInfo, Summary};
use miette::miette;

use super::{load_rules, ExitStatus, Written};
use crate::args::{ColorChoice, OutputFormat, ScanArgs, ScanInputs};
use crate::diagnostics;

/// Parses `--now`, or today's date in the local time zone.
pub fn evaluation_date(now: Option<&str>) -> miette::Result<jiff::civil::Date> {
    match now {
        Some(text) => text
            .parse::<jiff::civil::Date>()
            .map_err(|e| miette!(help = "write the date as YYYY-MM-DD, for example --now 2025-06-01", "invalid --now `{text}`: {e}")),
        None => Ok(jiff::ZonedDateTime::now().date()),
    }
}

pub fn run(args: ScanArgs) -> miette::Result<ExitStatus> {
    let now = evaluation_date(args.now.as_deref())?;
    let (engine, rule_set) = load_rules(&args.selection);
    let discovered = discover(
        &args.paths,
        &DiscoverOptions { include: args.include.clone(), exclude: args.exclude.clone(), follow_symlinks: args.follow },
    )?;
    for error in &discovered.errors {
        diagnostics::eprint(&diagnostics::input_error(error, None));
    }

    // Re-assessment: a dispositions file that cannot be read is reported and the scan goes on without it.
    let (dispositions, dispositions_errors) = match &args.dispositions {
        Some(path) => match super::baseline::read(path, true) {
            Ok(file) => (Some(file), 0),
            Err(count) => (None, count),
        },
        None => (None, 0),
    };
    let reassess = args.dispositions.as_ref().filter(|_| dispositions.is_some()).map(|path| ReassessSettings {
        dispositions: annexa_engine::document::discover::display_path(path),
        reassess_fails: args.reassess_fails,
    });

    let fail_on = args.fail_on.into();
    let header = Header {
        schema: report::SCHEMA_VERSION.into(),
        tool: "annexa".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        now: now.to_string(),
        fail_on,
        rules: rule_set.rules.iter().map(RuleInfo::from_rule).collect(),
        rule_errors: rule_set.errors.clone(),
        reassess,
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match args.format {
        OutputFormat::Text => Format::Text { color },
        OutputFormat::Json => Format::Json,
    };

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut renderer = format.renderer();
    renderer.begin(&header, &mut out).written()?;
    let mut summary = Summary {
        errors: rule_set.errors.len() + discovered.errors.len() + dispositions_errors,
        skipped: discovered.skipped,
        ..Summary::default()
    };
    let mut options = ScanOptions::new(now);
    options.threads = args.threads;
    options.evidence = dispositions.as_ref().map(Dispositions::evidence_mode).unwrap_or_default();
    let mut classifier = match (&dispositions, &header.reassess) {
        (Some(file), Some(settings)) => Some(Classifier::new(file, &settings.dispositions, &header.rules, now)),
        _ => None,
    };
    let mut files = discovered.files;
    super::baseline::skip_dispositions_file(&mut files, args.dispositions.as_deref());
    let inputs = files.into_iter().map(Input::File).collect();
    eval::scan(&engine, &rule_set.rules, inputs, &options, &mut |mut file| {
        if let Some(classifier) = classifier.as_mut() {
            classifier.classify(&mut file);
        }
        for error in &file.errors {
            let text = std::fs::read_to_string(&file.path).ok();
            diagnostics::eprint(&diagnostics::input_error(error, text));
        }
        summary.add(&file, &header);
        renderer.file(&file, &mut out)
    })
    .written()?;
    summary.dispositions = classifier.map(Classifier::finish);
    renderer.end(&summary, &mut out).written()?;
    out.flush().written()?;
    Ok(match summary.exit_code() {
        0 => ExitStatus::Clean,
        1 => ExitStatus::Findings,
        _ => ExitStatus::Error,
    })
}

/// What `baseline record` and `waive` scan: every result held, with evidence.
pub struct Collected {
    pub rules: Vec<RuleInfo>,
    pub results: Vec<FileResult>,
    /// Inputs and rules that could not be evaluated (reported on standard error).
    pub errors: usize,
}

/// Scans `inputs` keeping the watched values `evidence` asks for.
pub fn collect(inputs: &ScanInputs, now: jiff::civil::Date, evidence: EvidenceMode) -> miette::Result<Collected> {
    let (engine, rule_set) = load_rules(&inputs.selection);
    let discovered = discover(
        &inputs.paths,
        &DiscoverOptions { include: inputs.include.clone(), exclude: inputs.exclude.clone(), follow_symlinks: false },
    )?;
    for error in &discovered.errors {
        diagnostics::eprint(&diagnostics::input_error(error, None));
    }
    let mut options = ScanOptions::new(now);
    options.evidence = evidence;
    let mut collected = Collected {
        rules: rule_set.rules.iter().map(RuleInfo::from_rule).collect(),
        results: Vec::new(),
        errors: rule_set.errors.len() + discovered.errors.len(),
    };
    let mut files = discovered.files;
    super::baseline::skip_dispositions_file(&mut files, Some(&inputs.dispositions));
    let files = files.into_iter().map(Input::File).collect();
    eval::scan(&engine, &rule_set.rules, files, &options, &mut |file| {
        for error in &file.errors {
            let text = std::fs::read_to_string(&file.path).ok();
            diagnostics::eprint(&diagnostics::input_error(error, text));
        }
        collected.errors += file.errors.len() + file.outcomes.iter().filter(|o| o.status == report::Status::Error).count();
        collected.results.push(file);
        Ok(())
    })
    .written()?;
    Ok(collected)
}
