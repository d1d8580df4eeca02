//! `annexa scan`: settle the settings (flags over the config file), find the
//! inputs (paths, a shard of them, changed files or standard input),
//! evaluate the rules and hand every result to each requested renderer.

use std::collections::HashSet;
use std::io::{IsTerminal, Read};

use annexa_engine::document::discover::{discover, DiscoverOptions, InputFile, Shard};
use annexa_engine::document::Format as DocFormat;
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::reassess::evidence::EvidenceMode;
use annexa_engine::reassess::{Classifier, Scope as ReassessScope};
use annexa_engine::report::{self, FileResult, Header, ReassessSettings, RuleInfo, Summary};
use annexa_engine::rules::{Scope, Severity};
use clap::ArgMatches;
use miette::miette;

use super::evaluation::Evaluation;
use super::output::{self, Outputs};
use super::{changed, rules_of, ExitStatus, Written};
use crate::args::{OutputFormat, ScanArgs, ScanInputs};
use crate::diagnostics::{self, Source};

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

/// The text of a file for a diagnostic's snippet: only a regular file of
/// bounded size, never a FIFO (reading it would block) or a file just refused
/// for its size.
pub(super) fn source_for_snippet(path: &str, max_bytes: u64) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > max_bytes {
        return None;
    }
    // Bounded again: the file may have grown since.
    annexa_engine::document::read_text_within(std::path::Path::new(path), max_bytes, "a scanned file").ok()
}

pub fn run(args: ScanArgs, matches: Option<&ArgMatches>) -> miette::Result<ExitStatus> {
    let now = evaluation_date(args.evaluation.now.as_deref())?;
    let targets = output::targets(&args.output, matches)?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(|e| miette!(help = "write --shard I/N, for example --shard 2/4", "invalid --shard: {e}"))?;
    let Some(config) = super::config::load(&args.config)? else {
        return Ok(ExitStatus::Error);
    };
    // Flags override the config: --fail-on replaces its value, and so do the evaluation flags
    // (--rules and --no-builtin are applied with the rules).
    let fail_on: Severity = args.fail_on.map(Into::into).or(config.fail_on).unwrap_or(Severity::Low);
    let mut evaluation = Evaluation::settle(&args.evaluation, &config, now);
    // The walk needs the paths and the settings, not the rules: unless the
    // input is standard input, or --changed asks the rules first, it runs on
    // a thread of its own while the rules compile.
    let reads_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let early_walk = (!reads_stdin && args.changed.is_none() && !args.paths.is_empty()).then(|| {
        let (roots, options) = (args.paths.clone(), evaluation.discover_options(shard));
        std::thread::spawn(move || discover(&roots, &options))
    });
    let (rule_set, config_errors) = rules_of(&args.selection, &config);
    evaluation.finish_reading();
    let reassess =
        evaluation.dispositions_display().map(|dispositions| ReassessSettings { dispositions, reassess_fails: args.reassess_fails });

    let mut input_errors = 0;
    let mut skipped = Vec::new();
    // Whether --changed narrowed the scan (corpus rules make it read everything).
    let mut changed_only = false;
    // With --shard: the other shards' files, which only corpus rules read.
    let mut other_shards: Vec<Input> = Vec::new();
    let inputs: Vec<Input> = if reads_stdin {
        if args.paths.len() > 1 {
            return Err(miette!(
                help = "scan standard input on its own: `annexa scan - --stdin-filename NAME`",
                "`-` cannot be combined with other paths"
            ));
        }
        let display = args.stdin_filename.clone().unwrap_or_else(|| "<stdin>".into());
        let format = args.stdin_filename.as_deref().and_then(|n| DocFormat::from_path(std::path::Path::new(n))).unwrap_or(DocFormat::Yaml);
        // Held to the bound on any one input, read one byte past it: `yes | annexa scan -` must end.
        let limit = annexa_engine::document::MAX_FILE_BYTES;
        let mut bytes = Vec::new();
        std::io::stdin().take(limit + 1).read_to_end(&mut bytes).map_err(|e| miette!("cannot read standard input: {e}"))?;
        if bytes.len() as u64 > limit {
            return Err(miette!(
                help = "split it, and scan the parts as files",
                "standard input is larger than {limit} bytes, the most annexa reads from one input"
            ));
        }
        vec![Input::Bytes { display, format, bytes: bytes.into() }]
    } else {
        if args.stdin_filename.is_some() {
            return Err(miette!(
                help = "read standard input with `annexa scan - --stdin-filename NAME`",
                "--stdin-filename applies only to `-`"
            ));
        }
        let mut roots = args.paths.clone();
        if let Some(base) = &args.changed {
            let corpus: Vec<&str> = rule_set.rules.iter().filter(|r| r.scope == Scope::Corpus).map(|r| r.id.as_str()).collect();
            if corpus.is_empty() {
                changed_only = true;
                roots = changed::files(base.as_str(), &args.paths, &evaluation.include, &evaluation.exclude)?;
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
        let discovered = match early_walk {
            Some(walk) => walk.join().map_err(|_| miette!("the walk of the inputs failed (a bug in annexa)"))??,
            None if roots.is_empty() => Default::default(),
            None => discover(&roots, &evaluation.discover_options(shard))?,
        };
        for error in &discovered.errors {
            diagnostics::eprint(&diagnostics::input_error(error, None));
        }
        input_errors = discovered.errors.len();
        diagnostics::note_skipped(&discovered.skipped);
        skipped = discovered.skipped;
        let mut files = discovered.files;
        evaluation.skip_dispositions_file(&mut files);
        let mut others = discovered.other_shards;
        evaluation.skip_dispositions_file(&mut others);
        other_shards = others.into_iter().map(Input::File).collect();
        if files.is_empty() && discovered.errors.is_empty() {
            // A summary of zeroes with exit 0 reads like a clean scan: say that nothing was there to check.
            let what = if changed_only { "changed file" } else { "file" };
            eprintln!("note: no {what} to scan: the paths hold no .yaml, .yml, .json or .md file that --include and --exclude let through");
        }
        files.into_iter().map(Input::File).collect()
    };

    let header = Header {
        schema: report::SCHEMA_VERSION.into(),
        tool: "annexa".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        now: now.to_string(),
        fail_on,
        rules: rule_set.rules.iter().map(RuleInfo::from_rule).collect(),
        rule_errors: rule_set.errors.clone(),
        reassess,
        shards: shard.filter(|s| s.count > 1).map(|s| report::Shards { held: vec![s.index], count: s.count }),
    };
    let mut outputs = Outputs::open(&targets, args.output.color)?;
    outputs.begin(&header)?;
    let mut summary =
        Summary { errors: rule_set.errors.len() + input_errors + config_errors + evaluation.errors, skipped, ..Summary::default() };
    let mut options = evaluation.scan_options()?;
    // Only the text report shows source lines; other formats skip redacting them.
    options.snippets = targets.iter().any(|t| t.format == OutputFormat::Text);
    // Of the scan's formats, only JSON shows document hashes.
    options.document_hashes = targets.iter().any(|t| t.format == OutputFormat::Json);
    // Corpus rules judge the documents read together: over part of the
    // corpus, theirs are not the outcomes the dispositions were recorded from.
    let part_of_corpus = reads_stdin || part_of_corpus(&args.paths, &args.evaluation.include, &args.evaluation.exclude);
    let uncompared = if part_of_corpus { corpus_rules(&header.rules) } else { HashSet::new() };
    let mut classifier = match (&evaluation.dispositions, &header.reassess) {
        (Some(file), Some(settings)) => {
            note_uncompared(&uncompared, "not compared with the dispositions file");
            Some(Classifier::new(file, &settings.dispositions, &header.rules, now).without_comparing(uncompared))
        }
        _ => None,
    };
    // Walked folders answer for every recorded system; named files, changed
    // files, a shard, standard input or narrowed folders only for the systems they hold.
    let walked_whole = !part_of_corpus && !changed_only && shard.is_none();
    let scope = if walked_whole { ReassessScope::Whole } else { ReassessScope::SystemsRead };
    let progress = progress_bar(inputs.len());
    let max_file_bytes = options.load.max_file_bytes;
    eval::scan_shard(&rule_set.rules, inputs, &other_shards, &options, &mut |file| {
        if let Some(classifier) = classifier.as_mut() {
            classifier.classify(file);
        }
        progress.suspend(|| {
            let located = file.errors.iter().any(|e| e.position.is_some());
            let text = if located { source_for_snippet(&file.path, max_file_bytes) } else { None };
            let source = text.as_deref().map(Source::new);
            for error in &file.errors {
                diagnostics::eprint(&diagnostics::input_error(error, source.as_ref()));
            }
        });
        progress.inc(1);
        summary.add(file, &header);
        outputs.file(file)
    })
    .written()?;
    progress.finish_and_clear();
    summary.dispositions = classifier.map(|c| c.finish(scope));
    outputs.end(&summary)?;
    Ok(ExitStatus::from_code(summary.exit_code()))
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

/// A scan for `baseline record` and `waive`, its rules loaded and its files
/// found (with the problems of both reported), ready to run. The config
/// file counts as for `annexa scan`: its rule folders, disabled rules and
/// severities, globs, kinds and dispositions file, under the flags.
pub struct Planned {
    rule_set: annexa_engine::rules::RuleSet,
    pub rules: Vec<RuleInfo>,
    /// `--dispositions`, else the config's `dispositions`, else the default.
    pub dispositions: std::path::PathBuf,
    kind_globs: Option<std::sync::Arc<annexa_engine::document::kind::KindGlobs>>,
    /// Rules, config entries and paths that could not be read.
    pub errors: usize,
}

/// Whether `paths` under the --include and --exclude flags hold only part
/// of the corpus: a named file, or a glob flag (the config's globs are the
/// repository's own, and every command applies them).
pub fn part_of_corpus(paths: &[std::path::PathBuf], include: &[String], exclude: &[String]) -> bool {
    !include.is_empty() || !exclude.is_empty() || paths.iter().any(|p| !p.is_dir())
}

/// The ids of the corpus rules among `rules`.
pub fn corpus_rules(rules: &[RuleInfo]) -> HashSet<String> {
    rules.iter().filter(|r| r.scope == Scope::Corpus).map(|r| r.id.clone()).collect()
}

/// Says on standard error that the outcomes of corpus rules `rules` were `what`.
pub fn note_uncompared(rules: &HashSet<String>, what: &str) {
    if rules.is_empty() {
        return;
    }
    let mut ids: Vec<&str> = rules.iter().map(String::as_str).collect();
    ids.sort_unstable();
    eprintln!(
        "note: corpus rule{} {} saw only the files named or let through, not the whole corpus: {} outcomes are {what}",
        if ids.len() == 1 { "" } else { "s" },
        ids.join(", "),
        if ids.len() == 1 { "its" } else { "their" }
    );
}

/// Loads the config and the rules and finds the files of `inputs`, leaving
/// out the dispositions file. `None` when the config file is broken (its
/// problems are printed).
pub fn plan(inputs: &ScanInputs) -> miette::Result<Option<(Planned, Vec<InputFile>)>> {
    let Some(config) = super::config::load(&inputs.config)? else {
        return Ok(None);
    };
    let (rule_set, config_errors) = rules_of(&inputs.selection, &config);
    let (include, exclude) = super::evaluation::globs(&inputs.include, &inputs.exclude, &config);
    let discovered = discover(&inputs.paths, &DiscoverOptions { include, exclude, follow_symlinks: false, shard: None })?;
    for error in &discovered.errors {
        diagnostics::eprint(&diagnostics::input_error(error, None));
    }
    diagnostics::note_skipped(&discovered.skipped);
    let kind_globs = super::evaluation::kind_globs(&config.kinds)?;
    let dispositions =
        inputs.dispositions.clone().or_else(|| config.dispositions.clone()).unwrap_or_else(|| crate::args::DEFAULT_DISPOSITIONS.into());
    let mut files = discovered.files;
    super::baseline::skip_dispositions_file(&mut files, Some(&dispositions));
    let planned = Planned {
        rules: rule_set.rules.iter().map(RuleInfo::from_rule).collect(),
        errors: rule_set.errors.len() + config_errors + discovered.errors.len(),
        rule_set,
        dispositions,
        kind_globs,
    };
    Ok(Some((planned, files)))
}

impl Planned {
    /// Scans `files` keeping the watched values `evidence` asks for, and hands
    /// each file's result to `each`, in order, before letting it go. Returns
    /// the problems of loading and of this scan: inputs that could not be
    /// read and evaluations that failed (each reported on standard error).
    pub fn run(
        &self,
        files: Vec<InputFile>,
        now: jiff::civil::Date,
        evidence: EvidenceMode,
        mut each: impl FnMut(&mut FileResult),
    ) -> miette::Result<usize> {
        let mut options = ScanOptions::new(now);
        options.evidence = evidence;
        options.load.kind_globs.clone_from(&self.kind_globs);
        let mut errors = self.errors;
        let files = files.into_iter().map(Input::File).collect();
        eval::scan(&self.rule_set.rules, files, &options, &mut |file| {
            let located = file.errors.iter().any(|e| e.position.is_some());
            let text = if located { source_for_snippet(&file.path, options.load.max_file_bytes) } else { None };
            let source = text.as_deref().map(Source::new);
            for error in &file.errors {
                diagnostics::eprint(&diagnostics::input_error(error, source.as_ref()));
            }
            errors += file.errors.len() + file.outcomes.iter().filter(|o| o.status == report::Status::Error).count();
            each(file);
            Ok(())
        })
        .written()?;
        Ok(errors)
    }
}
