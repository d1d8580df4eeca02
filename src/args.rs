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
    /// 2 an input or rule could not be evaluated (all other inputs are still evaluated).
    Scan(ScanArgs),
    /// The rules: list them, run their tests.
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
}

// ---- Re-assessment commands (docs/reassessment.md) ----

/// What `baseline record` and `waive` scan: the inputs and rules of `annexa scan`.
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
    /// Only scan files whose path matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files whose path matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The dispositions file to update (created if missing).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_DISPOSITIONS)]
    pub dispositions: PathBuf,
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
    /// A folder of `.rhai` rules to add (repeatable). `tests/` folders inside are not rules.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_builtin: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan. Folders are walked for .yaml, .yml, .json and .md
    /// (front matter) files, honouring .gitignore inside git repositories and skipping .git, target and node_modules.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with 1 when a finding has this severity or higher.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low, value_name = "SEVERITY")]
    pub fail_on: SeverityArg,
    /// The evaluation date (YYYY-MM-DD) that ages and expiry are measured against. Default: today.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
    /// Worker threads; 0 uses one per core.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Only scan files whose path matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files whose path matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symbolic links while walking folders (loops are detected and reported).
    #[arg(long)]
    pub follow: bool,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Classify each outcome against this dispositions file: new, unchanged, resolved or
    /// reassess_due (with what changed), and apply its waivers.
    #[arg(long, value_name = "FILE")]
    pub dispositions: Option<PathBuf>,
    /// Whether an outcome due for re-assessment fails the build at its rule's severity
    /// (with --dispositions). A failure whose waiver lapsed always counts.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub reassess_fails: bool,
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
    /// Every outcome, passes included (schema annexa.report/v1).
    Json,
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
