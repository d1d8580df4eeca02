//! The commands. Each turns parsed arguments into engine calls and writes to
//! the writers it is given; the exit status is decided here, in one place.

mod baseline;
mod changed;
mod config;
mod controls;
mod evaluation;
mod init;
mod output;
mod render;
mod report;
mod rules;
mod scan;
mod waive;

use std::process::ExitCode;

use annexa_engine::rules::{self as engine_rules, RuleSet};
use annexa_engine::script::Limits;

use crate::args::{BaselineCommand, Cli, Command, RuleSelection, RulesCommand, SeverityArg};
use crate::builtin;
use crate::diagnostics::{self, Source};

/// How a command ended: 0 clean, 1 findings at or above the threshold, 2 something could not be evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Clean,
    Findings,
    Error,
}

impl ExitStatus {
    /// The status for a report's exit code (`Summary::exit_code`).
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => ExitStatus::Clean,
            1 => ExitStatus::Findings,
            _ => ExitStatus::Error,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Clean => ExitCode::from(0),
            ExitStatus::Findings => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// The reader of our output went away (`annexa scan | head`): stop quietly.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("broken pipe")]
pub struct BrokenPipe;

/// Turns a write error into a diagnostic, keeping a broken pipe recognisable.
pub trait Written<T> {
    fn written(self) -> miette::Result<T>;
}

impl<T> Written<T> for std::io::Result<T> {
    fn written(self) -> miette::Result<T> {
        self.map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                miette::Report::new(BrokenPipe)
            } else {
                miette::Report::new(annexa_engine::Error::Write(e))
            }
        })
    }
}

impl<T> Written<T> for serde_json::Result<T> {
    fn written(self) -> miette::Result<T> {
        self.map_err(std::io::Error::from).written()
    }
}

/// Runs a command. `matches` gives the positions of options where order
/// matters (`--format`/`--output` pairs).
pub fn run(cli: Cli, matches: Option<&clap::ArgMatches>) -> miette::Result<ExitStatus> {
    let sub = |name: &str| matches.and_then(|m| m.subcommand_matches(name));
    match cli.command {
        Command::Scan(args) => scan::run(*args, sub("scan")),
        Command::Render(args) => render::run(args, sub("render")),
        Command::Init(args) => init::run(args),
        Command::Rules(RulesCommand::List(args)) => rules::list(args),
        Command::Rules(RulesCommand::Test(args)) => rules::test(args),
        Command::Rules(RulesCommand::Doc(args)) => rules::doc(args),
        Command::Controls(args) => controls::run(args),
        Command::Baseline(BaselineCommand::Record(args)) => baseline::record(args),
        Command::Waive(args) => waive::run(args),
        Command::Report(command) => report::run(command),
    }
}

/// The selected rules, compiled on this thread with the default limits.
/// Rule files that fail to load are reported on standard error; the rest
/// are returned.
pub fn load_rules(selection: &RuleSelection) -> RuleSet {
    let mut sources = if selection.no_builtin { Vec::new() } else { builtin::sources() };
    let mut read_errors = Vec::new();
    for dir in &selection.rules {
        let (more, errors) = engine_rules::read_dir(dir);
        if more.is_empty() && errors.is_empty() {
            // A scan without the rules it was pointed at looks clean: say so.
            eprintln!("note: {}: no rule file (.rhai) in this folder", annexa_engine::document::discover::display_path(dir));
        }
        sources.extend(more);
        read_errors.extend(errors);
    }
    let mut set = engine_rules::load(sources, &Limits::default());
    set.errors.splice(0..0, read_errors);
    for error in &set.errors {
        let source = set.failed_sources.iter().find(|s| s.path == error.file).map(|s| Source::new(&s.text));
        diagnostics::eprint(&diagnostics::rule_error(error, source.as_ref()));
    }
    if set.rules.is_empty() && set.errors.is_empty() {
        eprintln!("note: no rule to evaluate: the built-in rules are off (--no-builtin, or `builtin: false` in the config) and no rule folder holds one");
    }
    set
}

/// The rules a command runs with: the config file's folders, built-in
/// switch, disabled rules and severity overrides, and the flags on top
/// (`--rules` adds folders, `--no-builtin` wins). `None` when the config
/// file is broken (its problems are printed). The count is of config
/// problems found against the loaded rules.
pub fn configured_rules(
    selection: &RuleSelection,
    config_args: &crate::args::ConfigArgs,
) -> miette::Result<Option<(RuleSet, annexa_engine::config::Config, usize)>> {
    let Some(config) = config::load(config_args)? else { return Ok(None) };
    let (set, problems) = rules_of(selection, &config);
    Ok(Some((set, config, problems)))
}

/// `configured_rules` for a config file already loaded.
pub fn rules_of(selection: &RuleSelection, config: &annexa_engine::config::Config) -> (RuleSet, usize) {
    // A folder named by the config and by --rules too is read once.
    let mut seen = std::collections::HashSet::new();
    let rules =
        config.rules.iter().chain(&selection.rules).filter(|dir| seen.insert(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())));
    let merged = RuleSelection { rules: rules.cloned().collect(), no_builtin: selection.no_builtin || !config.builtin };
    let mut set = load_rules(&merged);
    let problems = config::apply(config, &mut set);
    (set, problems)
}

impl From<SeverityArg> for annexa_engine::rules::Severity {
    fn from(s: SeverityArg) -> Self {
        use annexa_engine::rules::Severity;
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}
