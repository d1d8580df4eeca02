//! `annexa render RESULTS.json...`: read saved JSON results back, merge them
//! when there are several, and render them like a scan would, without scanning.

use annexa_engine::document::read_text_within;
use annexa_engine::report::json::JsonReport;
use annexa_engine::report::merge::merge;
use clap::ArgMatches;
use miette::miette;

use super::output::{self, Outputs};
use super::{ExitStatus, Written};
use crate::args::RenderArgs;

/// The largest saved results file read back. Results are annexa's own
/// and large by design (every outcome of a scan), so the bound is generous;
/// it is there so that a path naming something endless ends.
const MAX_RESULTS_BYTES: u64 = 4 << 30;

pub fn run(args: RenderArgs, matches: Option<&ArgMatches>) -> miette::Result<ExitStatus> {
    let targets = output::targets(&args.output, matches)?;
    let mut reports = Vec::new();
    for path in &args.results {
        let text = read_text_within(path, MAX_RESULTS_BYTES, "a results file")
            .map_err(|source| annexa_engine::Error::Io { path: path.clone(), source })?;
        let report =
            JsonReport::from_slice(text.as_bytes()).map_err(|source| annexa_engine::Error::Result { path: path.clone(), source })?;
        reports.push(report);
    }
    let merged = merge(reports, args.fail_on.map(Into::into)).map_err(|e| {
        let path = args.results.get(e.index).map_or_else(String::new, |p| p.display().to_string());
        miette!(
            help = "merge results of one scan configuration: same annexa version, rules and --now",
            "cannot merge {path}: {}",
            e.message
        )
    })?;
    let mut outputs = Outputs::open(&targets, args.output.color)?;
    outputs.begin(&merged.header)?;
    for file in &merged.files {
        outputs.file(file).written()?;
    }
    outputs.end(&merged.summary)?;
    Ok(ExitStatus::from_code(merged.summary.exit_code()))
}
