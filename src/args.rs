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
    /// Reports for auditors built from a scan: the Statement of Applicability and readiness.
    #[command(subcommand)]
    Report(ReportCommand),
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

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Statement of Applicability: every ISO/IEC 42001 and ISO/IEC 27001:2022 Annex A control,
    /// applicable or excluded, its status from the scan, evidence, and re-assessment dates.
    ///
    /// Exit codes: 0 the report was written; 2 an input, rule or exclusion could not be read
    /// (the report is still written from everything else).
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
    /// Controls excluded from the Statement of Applicability, each with a justification
    /// (YAML: `exclusions: [{control: "iso27001:A.7.4", justification: "..."}]`).
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,
    /// The evaluation date (YYYY-MM-DD): the date the controls were last assessed. Default: today.
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
    /// Follow symbolic links while walking folders.
    #[arg(long)]
    pub follow: bool,
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
