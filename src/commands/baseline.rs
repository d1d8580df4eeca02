//! `annexa baseline record`, and reading and writing the dispositions file
//! for every command that uses it.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use annexa_engine::document::discover::{display_path, InputFile};
use annexa_engine::document::{read_text_within, InputError};
use annexa_engine::reassess::{file, Classifier, Dispositions, RecordOptions, Recorded, Recorder};
use miette::miette;

use super::scan::{corpus_rules, evaluation_date, note_uncompared, part_of_corpus, plan};
use super::{ExitStatus, Written};
use crate::args::RecordArgs;
use crate::diagnostics::{self, Source};

/// Reads a dispositions file, reporting every problem on standard error
/// (located, with the source line). Returns how many there were on failure.
/// A missing file is an empty one unless `must_exist`.
pub fn read(path: &Path, must_exist: bool) -> Result<Dispositions, usize> {
    load_as(path, must_exist, |text, display| file::read(&text, display).map_err(|errors| (errors, text))).map_err(report)
}

/// The dispositions file for a scan, which must exist: its entries are built
/// as the scan meets their systems. Prints nothing: it runs on a thread of
/// its own while the rules compile, and `report` shows the problems after.
pub fn load_recorded(path: &Path) -> Result<Recorded, Problems> {
    load_as(path, true, file::read_recorded)
}

/// Why a dispositions file could not be read, and its text when the problems are in it.
pub struct Problems {
    errors: Vec<InputError>,
    text: Option<String>,
}

/// Reports `problems` on standard error (located, with their source lines); returns how many.
pub fn report(problems: Problems) -> usize {
    let source = problems.text.as_deref().map(Source::new);
    for error in &problems.errors {
        diagnostics::eprint(&diagnostics::input_error(error, source.as_ref()));
    }
    problems.errors.len()
}

/// Reads the file's text and hands it to `parse`, which returns it with its errors.
fn load_as<T: Default>(
    path: &Path,
    must_exist: bool,
    parse: impl FnOnce(String, &str) -> Result<T, (Vec<InputError>, String)>,
) -> Result<T, Problems> {
    let display = display_path(path);
    let text = match read_text(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(T::default()),
        Err(e) => {
            let error = InputError {
                file: display,
                position: None,
                message: format!("cannot read the dispositions file: {e}"),
                hint: Some("create it with `annexa baseline record --dispositions FILE`".into()),
            };
            return Err(Problems { errors: vec![error], text: None });
        }
    };
    parse(text, &display).map_err(|(errors, text)| Problems { errors, text: Some(text) })
}

/// The file's text, refused past `file::MAX_BYTES` without reading further.
fn read_text(path: &Path) -> std::io::Result<String> {
    read_text_within(path, file::MAX_BYTES as u64, "a dispositions file")
}

/// Writes the file only when its bytes change, through a temporary file
/// beside it, so an interrupted write never leaves half a file.
pub fn write(path: &Path, dispositions: &Dispositions) -> miette::Result<bool> {
    let text = file::write(dispositions).map_err(|refused| {
        miette!(
            help = "record each folder of systems in its own file: `annexa baseline record --dispositions FOLDER/dispositions.yaml FOLDER`",
            "{}: not written: {refused}",
            display_path(path)
        )
    })?;
    if read_text(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.annexa-tmp"));
    let cannot = |e: std::io::Error| miette!("cannot write {}: {e}", display_path(path));
    std::fs::write(&temporary, text).map_err(cannot)?;
    std::fs::rename(&temporary, path).map_err(cannot)?;
    Ok(true)
}

/// The dispositions file is ours, not an input: a scan of the folder that holds it skips it.
pub fn skip_dispositions_file(files: &mut Vec<InputFile>, path: Option<&Path>) {
    let Some(ours) = path.and_then(|p| p.canonicalize().ok()) else { return };
    files.retain(|f| f.path.canonicalize().ok().as_ref() != Some(&ours));
}

pub fn record(args: RecordArgs) -> miette::Result<ExitStatus> {
    let now = evaluation_date(args.inputs.now.as_deref())?;
    let Some((planned, files)) = plan(&args.inputs)? else {
        return Ok(ExitStatus::Error);
    };
    let path = &planned.dispositions;
    let Ok(old) = read(path, false) else {
        eprintln!("{}: not modified", display_path(path));
        return Ok(ExitStatus::Error);
    };
    // Each file's outcomes are classified and recorded as they come, then let
    // go: holding every result of 24,000 systems took gigabytes.
    let mut classifier = Classifier::new(&old, "", &planned.rules, now);
    // Named files, or folders narrowed by --include or --exclude, are not the
    // corpus the entries of corpus rules were recorded over: those stay as they are.
    let partial = part_of_corpus(&args.inputs.paths, &args.inputs.include, &args.inputs.exclude);
    let keep = if partial { corpus_rules(&planned.rules) } else { HashSet::new() };
    note_uncompared(&keep, "not recorded: their entries stay as they are");
    let options = RecordOptions { reviewer: args.reviewer, note: args.note, prune: args.prune, keep };
    let mut recorder = Recorder::new(&old, &planned.rules, now, options);
    let errors = planned.run(files, now, old.evidence_mode(), |result| {
        classifier.classify(result);
        recorder.file(result);
    })?;
    if errors > 0 {
        eprintln!("{}: not modified: {errors} inputs, rules or evaluations failed (`annexa scan` shows them)", display_path(path));
        return Ok(ExitStatus::Error);
    }
    let (new, counts) = recorder.finish();
    let written = write(path, &new)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} ({} added, {} updated, {} unchanged, {} removed; {} dispositions, {} waivers)",
        display_path(path),
        if written { "written" } else { "no change" },
        counts.added,
        counts.updated,
        counts.unchanged,
        counts.removed,
        new.dispositions.len(),
        new.waivers.len()
    )
    .written()?;
    Ok(ExitStatus::Clean)
}
