//! `annexa scan`: settle the settings (flags over the config file), find the
//! inputs (paths, a shard of them, changed files or standard input),
//! evaluate the rules and hand every result to each requested renderer.

use std::io::{IsTerminal, Read};

use annexa_engine::document::discover::{discover, DiscoverOptions, Shard};
use annexa_engine::document::kind::KindGlobs;
use annexa_engine::document::Format as DocFormat;
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::report::{self, Header, RuleInfo, Summary};
use annexa_engine::rules::{Rule, Scope, Severity};
use clap::ArgMatches;
use miette::miette;

use super::output::{self, Outputs};
use super::{changed, configured_rules, ExitStatus, Written};
use crate::args::ScanArgs;
use crate::diagnostics;

/// Batch scans with at least this many files show a progress bar (on a terminal).
const PROGRESS_MIN_FILES: usize = 200;

/// Parses `--now`, or today's date in the local time zone.
pub fn evaluation_date(now: Option<&str>) -> miette::Result<jiff::civil::Date> {
    match now {
        Some(text) => text
            .parse::<jiff::civil::Date>()
            .map_err(|e| miette!(help = "write the date as YYYY-MM-DD, for example --now 2025-06-01", "invalid --now `{text}`: {e}")),
        None => Ok(jiff::ZonedDateTime::now().date()),
    }
}

pub fn run(args: ScanArgs, matches: Option<&ArgMatches>) -> miette::Result<ExitStatus> {
    let now = evaluation_date(args.now.as_deref())?;
    let targets = output::targets(&args.output, matches)?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(|e| miette!(help = "write --shard I/N, for example --shard 2/4", "invalid --shard: {e}"))?;
    let Some((engine, rule_set, config, config_errors)) = configured_rules(&args.selection, &args.config)? else {
        return Ok(ExitStatus::Error);
    };

    // Flags override the config: --fail-on, --include and --exclude replace its values
    // (--rules and --no-builtin were applied with the rules).
    let fail_on: Severity = args.fail_on.map(Into::into).or(config.fail_on).unwrap_or(Severity::Low);
    let include = if args.include.is_empty() { config.include.clone() } else { args.include.clone() };
    let exclude = if args.exclude.is_empty() { config.exclude.clone() } else { args.exclude.clone() };

    let gathered = gather_inputs(&args, &rule_set.rules, include, exclude, shard)?;

    let header = Header {
        schema: report::SCHEMA_VERSION.into(),
        tool: "annexa".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        now: now.to_string(),
        fail_on,
        rules: rule_set.rules.iter().map(RuleInfo::from_rule).collect(),
        rule_errors: rule_set.errors.clone(),
    };
    let mut outputs = Outputs::open(&targets, args.output.color)?;
    outputs.begin(&header)?;
    let mut summary =
        Summary { errors: rule_set.errors.len() + gathered.errors + config_errors, skipped: gathered.skipped, ..Summary::default() };
    let mut options = ScanOptions::new(now);
    options.threads = args.threads;
    if !config.kinds.is_empty() {
        options.load.kind_globs = Some(std::sync::Arc::new(KindGlobs::new(&config.kinds)?));
    }
    let progress = progress_bar(gathered.inputs.len());
    eval::scan(&engine, &rule_set.rules, gathered.inputs, &options, &mut |file| {
        progress.suspend(|| {
            for error in &file.errors {
                let text = std::fs::read_to_string(&file.path).ok();
                diagnostics::eprint(&diagnostics::input_error(error, text));
            }
        });
        progress.inc(1);
        summary.add(&file, &header);
        outputs.file(&file)
    })
    .written()?;
    progress.finish_and_clear();
    outputs.end(&summary)?;
    Ok(ExitStatus::from_code(summary.exit_code()))
}

/// What a scan reads, and what went wrong finding it.
struct Gathered {
    inputs: Vec<Input>,
    /// Problems met while walking (already printed).
    errors: usize,
    skipped: Vec<annexa_engine::document::discover::Skipped>,
}

/// The inputs: standard input (`-`), the changed files (`--changed`), or
/// the files under the paths; in every case one shard of them with `--shard`.
fn gather_inputs(
    args: &ScanArgs,
    rules: &[Rule],
    include: Vec<String>,
    exclude: Vec<String>,
    shard: Option<Shard>,
) -> miette::Result<Gathered> {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            return Err(miette!(
                help = "scan standard input on its own: `annexa scan - --stdin-filename NAME`",
                "`-` cannot be combined with other paths"
            ));
        }
        let display = args.stdin_filename.clone().unwrap_or_else(|| "<stdin>".into());
        let format = args.stdin_filename.as_deref().and_then(|n| DocFormat::from_path(std::path::Path::new(n))).unwrap_or(DocFormat::Yaml);
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| miette!("cannot read standard input: {e}"))?;
        return Ok(Gathered { inputs: vec![Input::Bytes { display, format, bytes }], errors: 0, skipped: Vec::new() });
    }
    if args.stdin_filename.is_some() {
        return Err(miette!(
            help = "read standard input with `annexa scan - --stdin-filename NAME`",
            "--stdin-filename applies only to `-`"
        ));
    }
    let mut roots = args.paths.clone();
    if let Some(base) = &args.changed {
        let corpus: Vec<&str> = rules.iter().filter(|r| r.scope == Scope::Corpus).map(|r| r.id.as_str()).collect();
        if corpus.is_empty() {
            roots = changed::files(base.as_str(), &args.paths, &include, &exclude)?;
        } else {
            eprintln!(
                "note: scanning every input, not only the changed files: corpus rule{} {} see{} all documents of {} kinds at once",
                if corpus.len() == 1 { "" } else { "s" },
                corpus.join(", "),
                if corpus.len() == 1 { "s" } else { "" },
                if corpus.len() == 1 { "its" } else { "their" },
            );
        }
    }
    let discovered = if roots.is_empty() {
        Default::default()
    } else {
        discover(&roots, &DiscoverOptions { include, exclude, follow_symlinks: args.follow, shard })?
    };
    for error in &discovered.errors {
        diagnostics::eprint(&diagnostics::input_error(error, None));
    }
    Ok(Gathered {
        inputs: discovered.files.into_iter().map(Input::File).collect(),
        errors: discovered.errors.len(),
        skipped: discovered.skipped,
    })
}

/// A progress bar on standard error, drawn only when it is a terminal and the scan is long.
fn progress_bar(files: usize) -> indicatif::ProgressBar {
    if files < PROGRESS_MIN_FILES || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(files as u64), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} (eta {eta})") {
        bar.set_style(style);
    }
    bar
}
