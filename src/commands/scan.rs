//! `annexa scan`: discover inputs, evaluate rules, render the report.

use std::io::{IsTerminal, Write};

use annexa_engine::document::discover::{discover, DiscoverOptions};
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::report::{self, Format, Header, RuleInfo, Summary};
use miette::miette;

use super::{load_rules, ExitStatus, Written};
use crate::args::{ColorChoice, OutputFormat, ScanArgs};
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

fn source_for_snippet(path: &str, max_bytes: u64) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > max_bytes {
        return None;
    }
    std::fs::read_to_string(path).ok()
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

    let fail_on = args.fail_on.into();
    let header = Header {
        schema: report::SCHEMA_VERSION.into(),
        tool: "annexa".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        now: now.to_string(),
        fail_on,
        rules: rule_set.rules.iter().map(RuleInfo::from_rule).collect(),
        rule_errors: rule_set.errors.clone(),
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match args.format {
        OutputFormat::Text => Format::Text { color },
        OutputFormat::Json => Format::Json,
        OutputFormat::Jsonl => Format::Jsonl,
    };

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut renderer = format.renderer();
    renderer.begin(&header, &mut out).written()?;
    let mut summary =
        Summary { errors: rule_set.errors.len() + discovered.errors.len(), skipped: discovered.skipped, ..Summary::default() };
    let mut options = ScanOptions::new(now);
    options.threads = args.threads;
    let inputs = discovered.files.into_iter().map(Input::File).collect();
    eval::scan(&engine, &rule_set.rules, inputs, &options, &mut |file| {
        // The source is read again only for a located error, and only if it
        // is a regular file of bounded size: never a FIFO (it would block) or
        // the 100 MB file that was just refused.
        let located = file.errors.iter().any(|e| e.position.is_some());
        let text = if located { source_for_snippet(&file.path, options.load.max_file_bytes) } else { None };
        for error in &file.errors {
            diagnostics::eprint(&diagnostics::input_error(error, text.clone()));
        }
        summary.add(&file, &header);
        renderer.file(&file, &mut out)
    })
    .written()?;
    renderer.end(&summary, &mut out).written()?;
    out.flush().written()?;
    Ok(match summary.exit_code() {
        0 => ExitStatus::Clean,
        1 => ExitStatus::Findings,
        _ => ExitStatus::Error,
    })
}
