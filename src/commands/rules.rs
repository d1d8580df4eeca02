//! `annexa rules list`, `annexa rules test` and `annexa rules doc`.

use std::io::Write;

use annexa_engine::document::{read_text_within, MAX_FILE_BYTES};
use annexa_engine::report::RuleInfo;
use annexa_engine::rules::testing::{self, CaseResult};
use annexa_engine::script::Limits;

use super::{configured_rules, load_rules, ExitStatus, Written};
use crate::args::{ListFormat, RuleSelection, RulesDocArgs, RulesListArgs, RulesTestArgs};
use crate::diagnostics::{self, Source};

pub fn list(args: RulesListArgs) -> miette::Result<ExitStatus> {
    let Some((set, _, config_errors)) = configured_rules(&args.selection, &args.config)? else { return Ok(ExitStatus::Error) };
    let infos: Vec<RuleInfo> = set.rules.iter().map(RuleInfo::from_rule).collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &infos).written()?;
            writeln!(out).written()?;
        }
        ListFormat::Text => {
            for rule in &infos {
                let controls: Vec<String> = rule.controls.iter().map(|c| format!("{}:{}", c.standard, c.id)).collect();
                let deprecated = if rule.deprecated { " (deprecated)" } else { "" };
                writeln!(out, "{:<8} {:<8} {:<20} {}{deprecated}", rule.id, rule.severity.as_str(), rule.kinds.join(","), rule.title)
                    .written()?;
                writeln!(out, "{:<8} controls: {}", "", controls.join(" ")).written()?;
            }
            writeln!(out, "{} rule{}", infos.len(), if infos.len() == 1 { "" } else { "s" }).written()?;
        }
    }
    Ok(if set.errors.is_empty() && config_errors == 0 { ExitStatus::Clean } else { ExitStatus::Error })
}

/// `annexa rules doc`: the Markdown reference of the loaded rules.
pub fn doc(args: RulesDocArgs) -> miette::Result<ExitStatus> {
    let set = load_rules(&args.selection);
    let text = annexa_engine::rules::reference::markdown(&set.rules);
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|source| miette::Report::new(annexa_engine::Error::Io { path: path.clone(), source }))?
        }
        None => std::io::stdout().lock().write_all(text.as_bytes()).written()?,
    }
    Ok(if set.errors.is_empty() { ExitStatus::Clean } else { ExitStatus::Error })
}

/// `annexa rules test`: runs the case files beside the rules and prints a diff for each mismatch.
pub fn test(args: RulesTestArgs) -> miette::Result<ExitStatus> {
    let selection = RuleSelection { rules: args.dirs.clone(), no_builtin: true };
    let set = load_rules(&selection);
    let run = testing::run_dirs(&set.rules, &args.dirs, &Limits::default());
    // A case file's errors come together: it is read, and its lines found, once for all of them.
    for errors in run.errors.chunk_by(|a, b| a.file == b.file) {
        let text = errors.first().and_then(|e| read_text_within(std::path::Path::new(&e.file), MAX_FILE_BYTES, "a case file").ok());
        let source = text.as_deref().map(Source::new);
        for error in errors {
            diagnostics::eprint(&diagnostics::input_error(error, source.as_ref()));
        }
    }
    let mut out = std::io::stdout().lock();
    for result in &run.results {
        write_result(&mut out, result).written()?;
    }
    writeln!(out, "{} passed, {} failed", run.passed(), run.failed()).written()?;
    // A rule without cases passes `rules test` by having nothing to check: say which.
    // (A case that could not be read is reported above, and is not "no case".)
    let has_case =
        |id: &str| run.results.iter().any(|c| c.rule == id) || run.errors.iter().any(|e| e.file.contains(&format!("tests/{id}/")));
    let untested: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).filter(|id| !has_case(id)).collect();
    if !untested.is_empty() {
        eprintln!("note: no case for {}: add case files at <pack>/tests/<RULE_ID>/<case>.yaml (docs/rule-tests.md)", untested.join(", "));
    }
    Ok(if !run.errors.is_empty() || !set.errors.is_empty() {
        ExitStatus::Error
    } else if run.failed() > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

fn at(line: Option<u32>, col: Option<u32>) -> String {
    match (line, col) {
        (Some(l), Some(c)) => format!(" {l}:{c}"),
        (Some(l), None) => format!(" {l}:*"),
        (None, Some(c)) => format!(" *:{c}"),
        (None, None) => String::new(),
    }
}

/// One line for a passing case; for a failing one, expected against actual.
fn write_result(out: &mut dyn Write, result: &CaseResult) -> std::io::Result<()> {
    if result.passed() {
        return writeln!(out, "ok      {:<8} {}", result.rule, result.file);
    }
    writeln!(out, "FAILED  {:<8} {}", result.rule, result.file)?;
    writeln!(out, "        {}", result.description)?;
    let (expected, actual) = (&result.expected, &result.actual);
    if result.status_matches() {
        writeln!(out, "        status: {}", actual.status.as_str())?;
    } else {
        writeln!(out, "        status: expected {}, got {}", expected.status.as_str(), actual.status.as_str())?;
    }
    if let Some(error) = &actual.error {
        writeln!(out, "        error: {error}")?;
    }
    if !result.error_matches() {
        writeln!(out, "        error: expected one containing `{}`", expected.error.as_deref().unwrap_or_default())?;
    }
    // What the rule printed helps to see why it went the other way.
    for line in &actual.logs {
        writeln!(out, "        print: {line}")?;
    }
    let wanted = expected.findings.as_deref();
    if result.findings_match() {
        return Ok(());
    }
    let wanted = wanted.unwrap_or_default();
    writeln!(out, "        findings: expected {}, got {} (- expected, + actual)", wanted.len(), actual.findings.len())?;
    for i in 0..wanted.len().max(actual.findings.len()) {
        let (e, a) = (wanted.get(i), actual.findings.get(i));
        let actual_line = |a: &annexa_engine::report::Finding| {
            format!("{}{}  {}", a.path, at(Some(a.region.start.line), Some(a.region.start.col)), a.message)
        };
        match (e, a) {
            (Some(e), Some(a)) if e.matches(a) => writeln!(out, "          = {}", actual_line(a))?,
            _ => {
                if let Some(e) = e {
                    writeln!(out, "          - {}{}", e.path, at(e.line, e.col))?;
                }
                if let Some(a) = a {
                    writeln!(out, "          + {}", actual_line(a))?;
                }
            }
        }
    }
    Ok(())
}
