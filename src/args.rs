//! Command-line arguments, as clap parses them. Validation into the options
//! the engine takes happens in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "annexa",
    version,
    about = "Policy-as-code for AI governance: checks AI system descriptions and AI configuration files against rules mapped to ISO/IEC 42001 and ISO/IEC 27001."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate rules over files and folders and report findings.
    ///
    /// Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
    /// 2 an input, rule or the config file could not be evaluated (all other inputs are still evaluated).
    Scan(Box<ScanArgs>),
    /// Re-render saved JSON results (`scan --format json`) in any format, without scanning again.
    /// Several results (for example one per `--shard`) are merged into one report, identical
    /// to the report of a single run over all their inputs. Exit codes as for `scan`.
    Render(RenderArgs),
    /// Write a commented starter `annexa.yaml`, an example AISystem document and an example
    /// custom rule with a test case into the current folder. Existing files are never overwritten.
    Init(InitArgs),
    /// The rules: list them, run their tests, write their reference.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The control catalogs: ISO/IEC 42001 (Annex A and clauses), ISO/IEC 27001:2022 Annex A,
    /// the AI risk catalogs rules may cite, and the 27001 -> 42001 crosswalk.
    Controls(ControlsArgs),
    /// The dispositions file: record the reviewed state of every (system, rule) outcome.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Accept the risk of one failing outcome until a date, bound to its current evidence.
    ///
    /// Scans PATHS to find the outcome of RULE on the system named NAME (its metadata.name)
    /// and records a waiver in the dispositions file. The waiver lapses by itself when the
    /// outcome's fingerprint changes (a watched value or the rule changed) or on --expires.
    /// A waiver without --reason, --by, or an --expires after --now is refused, as is one
    /// for an outcome that does not fail (exit 2; nothing is written).
    Waive(WaiveArgs),
    /// Reports for auditors built from a scan: the Statement of Applicability and readiness.
    #[command(subcommand)]
    Report(ReportCommand),
}

// ---- Re-assessment commands (docs/reassessment.md) ----

/// What `baseline record` and `waive` scan: the inputs and rules of `annexa scan`,
/// the config file's included.
#[derive(Debug, Args)]
pub struct ScanInputs {
    /// Files and folders to scan, as for `annexa scan`.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// The evaluation date (YYYY-MM-DD), also the date recorded. Default: today.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
    /// Only scan files whose path matches this glob (repeatable; replaces the config's `include`).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files whose path matches this glob (repeatable; replaces the config's `exclude`).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The dispositions file to update (created if missing). Default: the config's
    /// `dispositions`, else annexa.dispositions.yaml.
    #[arg(long, value_name = "FILE")]
    pub dispositions: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Where `baseline record` and `waive` write when not told.
pub const DEFAULT_DISPOSITIONS: &str = "annexa.dispositions.yaml";

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan and write every pass and fail outcome to the dispositions file.
    ///
    /// Entries whose outcome, fingerprint and rule are unchanged and not expired are kept
    /// byte for byte (their assessed date too); the others are assessed on --now. Entries for
    /// systems not in this scan, or rules not loaded, are kept unless --prune. Waivers are kept.
    /// Nothing is written when an input, a rule or the dispositions file has an error (exit 2).
    Record(RecordArgs),
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// Who reviewed the entries this run adds or updates.
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
    /// A note for the entries this run adds or updates.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Also drop entries for systems not in this scan and rules not loaded.
    #[arg(long)]
    pub prune: bool,
}

#[derive(Debug, Args)]
pub struct WaiveArgs {
    /// The rule id, for example AIS005.
    pub rule: String,
    /// The system's identity (metadata.name).
    #[arg(long, value_name = "NAME")]
    pub system: String,
    /// Why the risk is accepted.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Who accepted it.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// The day the waiver lapses (YYYY-MM-DD), after --now.
    #[arg(long, value_name = "DATE")]
    pub expires: String,
    #[command(flatten)]
    pub inputs: ScanInputs,
}

#[derive(Debug, Args)]
pub struct RuleSelection {
    /// A folder of `.rhai` rules to add (repeatable; added to the config's `rules`). `tests/` folders inside are not rules.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_builtin: bool,
}

/// Where reports go. Each `--output FILE` belongs to the `--format` just before it;
/// a `--format` with no `--output` after it writes to standard output (at most one may).
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format (repeatable; default text). Each --output FILE belongs to the --format just
    /// before it; a --format with no --output writes to standard output, and only one may. For
    /// example `--format text --format sarif --output annexa.sarif`: text to the terminal, SARIF to the file.
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    pub formats: Vec<OutputFormat>,
    /// Write the --format given just before this option to FILE instead of standard output (repeatable).
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub outputs: Vec<PathBuf>,
    /// When to colour text output on a terminal (files are never coloured).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Which config file applies.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Read this config file instead of the `annexa.yaml` found by walking up from the working directory.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any `annexa.yaml`.
    #[arg(long)]
    pub no_config: bool,
}

/// How `scan` and `report` evaluate: the date, the walk, the threads and the
/// dispositions file. Flags replace the config file's values.
#[derive(Debug, Args)]
pub struct EvaluationArgs {
    /// The evaluation date (YYYY-MM-DD) that ages, expiry and re-assessment dates are measured against. Default: today.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
    /// Threads that evaluate the rules; 0 uses one per core.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Only scan files whose path matches this glob (repeatable; replaces the config's `include`).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files whose path matches this glob (repeatable; replaces the config's `exclude`).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symbolic links while walking folders (loops are detected and reported).
    #[arg(long)]
    pub follow: bool,
    /// Classify each outcome against this dispositions file (default: the config's `dispositions`):
    /// new, unchanged, resolved or reassess_due (with what changed), and apply its waivers.
    /// Reports take each recorded outcome's assessment date from it.
    #[arg(long, value_name = "FILE")]
    pub dispositions: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan. Folders are walked for .yaml, .yml, .json and .md
    /// (front matter) files, honouring .gitignore inside git repositories and skipping .git, target and node_modules.
    /// `-` reads one file from standard input (name it with --stdin-filename).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: RuleSelection,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Exit with 1 when a finding has this severity or higher. Default: the config's `fail_on`, else low.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Scan only shard I of N (for example 2/4): a deterministic share of the inputs, chosen by a
    /// stable hash of each path. Corpus rules still read the other shards' files, so the shards'
    /// JSON results, merged with `annexa render`, equal one run's.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Scan only files that differ from a git ref (committed, staged, unstaged or untracked).
    /// Put PATHS before it: `annexa scan systems/ --changed origin/main`.
    /// Default BASE: the merge base of HEAD with the default branch (origin/HEAD, else main, else master).
    /// When a loaded rule is a corpus rule, everything is scanned, and a note says so.
    #[arg(long, value_name = "BASE", num_args = 0..=1, default_missing_value = "")]
    pub changed: Option<String>,
    /// The file name to show and to pick the format (.yaml, .json, .md) when scanning `-` (standard input).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    /// Whether an outcome due for re-assessment fails the build at its rule's severity
    /// (with --dispositions). A failure whose waiver lapsed always counts.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub reassess_fails: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Saved JSON results (`annexa scan --format json --output FILE`). Several are merged; they must
    /// come from the same rules, version and --now, and no file may appear in two of them.
    #[arg(required = true, value_name = "RESULTS.json")]
    pub results: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Judge findings against this severity instead of the one the results were saved with.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to write into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the loaded rules: id, severity, kinds, title and controls.
    List(RulesListArgs),
    /// Run the rule tests: the case files at `<pack>/tests/<RULE_ID>/<case>.yaml`.
    ///
    /// The rules are loaded from the same folders. Prints a diff for every case whose
    /// outcome differs from what it expects, then `N passed, M failed`.
    /// Exit codes: 0 all cases pass; 1 a case failed; 2 a case file or rule could not be read.
    Test(RulesTestArgs),
    /// Write the Markdown rule reference, rendered from the rule files (metadata and `//!` header).
    ///
    /// The built-in reference is committed as docs/rules.md: `annexa rules doc --output docs/rules.md`.
    Doc(RulesDocArgs),
}

#[derive(Debug, Args)]
pub struct RulesDocArgs {
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Write the reference to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesTestArgs {
    /// Rule pack folders: their `.rhai` rules and the cases under their `tests/` folders.
    /// Default: `rules`, the built-in packs in a checkout of annexa.
    #[arg(default_value = "rules", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesListArgs {
    #[command(flatten)]
    pub selection: RuleSelection,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// For each control, the loaded rules that cover it, and how many controls of each
    /// catalog part are covered (ISO/IEC 42001 Annex A, ISO/IEC 27001 Annex A, ...).
    #[arg(long)]
    pub coverage: bool,
    #[command(flatten)]
    pub selection: RuleSelection,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Findings grouped by file, with source lines, controls and fixes.
    Text,
    /// Every outcome, passes included (schema annexa.report/v1); `annexa render` reads it back.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// JUnit XML: a test case per (rule, document), for CI test tabs.
    Junit,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// A pull-request comment: counts, failing findings with links, controls affected.
    Markdown,
    /// JSON Lines: one object per finding and per other outcome, streamed (see docs/jsonl.md).
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Statement of Applicability: every ISO/IEC 42001 and ISO/IEC 27001:2022 Annex A control,
    /// applicable or excluded, its status from the scan, evidence, and re-assessment dates.
    ///
    /// Reads `annexa.yaml` like `scan` (rules, include/exclude, kinds, dispositions, and the
    /// exclusions under `soa:`).
    ///
    /// Exit codes: 0 the report was written; 2 an input, rule, exclusion or the dispositions file
    /// could not be read (the report is still written from everything else), or the config file
    /// is broken (nothing is written).
    Soa(ReportArgs),
    /// Readiness for ISO/IEC 42001: progress per domain (A.2-A.10) and per system, the
    /// systems x controls matrix, and what 42001 adds to each ISO/IEC 27001 control extended to AI.
    ///
    /// Exit codes as for `report soa`.
    Readiness(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Files and folders to scan, as for `annexa scan`.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read the controls excluded from the Statement of Applicability from this file instead of
    /// the config's `soa:` (it replaces them). The same shape:
    /// `exclusions: [{control: "iso27001:A.7.4", justification: "..."}]`.
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Tables for a repository or pull request.
    Markdown,
    /// One row per control (soa) or per system and control (readiness).
    Csv,
    /// The full model with the outcome ids behind every status (annexa.audit/v1, annexa.readiness/v1).
    Json,
    /// One self-contained page with a heatmap, tables, evidence and filters.
    Html,
    /// OSCAL 1.2.3 assessment-results, with digests of every rule and input.
    Oscal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
