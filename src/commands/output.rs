//! Where reports go: pairs each `--output FILE` with the `--format` before it,
//! opens the writers, and drives every renderer over the same results.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use annexa_engine::report::{FileResult, Format, Header, Renderer, Summary};
use clap::ArgMatches;
use miette::miette;

use super::Written;
use crate::args::{ColorChoice, OutputArgs, OutputFormat};

/// One report to write: a format and a file, or standard output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub format: OutputFormat,
    pub file: Option<PathBuf>,
}

/// Pairs formats and outputs by their positions on the command line: each
/// `--output` belongs to the nearest `--format` before it. Formats without
/// an output write to standard output; only one may.
pub fn pair(formats: &[(usize, OutputFormat)], outputs: &[(usize, PathBuf)]) -> Result<Vec<Target>, String> {
    let mut targets: Vec<(usize, Target)> = formats.iter().map(|(i, f)| (*i, Target { format: *f, file: None })).collect();
    if targets.is_empty() {
        if let Some((_, file)) = outputs.first() {
            return Err(format!(
                "--output {} needs a --format before it, for example `--format sarif --output {}`",
                file.display(),
                file.display()
            ));
        }
        targets.push((0, Target { format: OutputFormat::Text, file: None }));
    }
    targets.sort_by_key(|(i, _)| *i);
    for (at, file) in outputs {
        let owner = targets.iter_mut().rev().find(|(i, _)| i < at);
        match owner {
            Some((_, target)) if target.file.is_none() => target.file = Some(file.clone()),
            Some((_, target)) => {
                return Err(format!(
                    "--output {} follows a --format that already has --output {}; give each file its own --format",
                    file.display(),
                    target.file.as_ref().map_or_else(String::new, |f| f.display().to_string())
                ))
            }
            None => return Err(format!("--output {} needs a --format before it", file.display())),
        }
    }
    // Two reports written to one file would each truncate it and interleave.
    let mut named = std::collections::HashSet::new();
    // A file not made yet has no canonical path: compare it as written, without `.` parts.
    let same = |f: &PathBuf| f.canonicalize().unwrap_or_else(|_| f.components().filter(|c| *c != std::path::Component::CurDir).collect());
    if let Some(twice) = outputs.iter().map(|(_, f)| f).find(|f| !named.insert(same(f))) {
        return Err(format!("--output {} is given twice; give each --format a file of its own", twice.display()));
    }
    let to_stdout = targets.iter().filter(|(_, t)| t.file.is_none()).count();
    if to_stdout > 1 {
        return Err("only one --format may write to standard output; give the others an --output FILE".into());
    }
    Ok(targets.into_iter().map(|(_, t)| t).collect())
}

/// The targets of a command's `--format`/`--output` options.
pub fn targets(args: &OutputArgs, matches: Option<&ArgMatches>) -> miette::Result<Vec<Target>> {
    let indices =
        |id: &str, n: usize| -> Vec<usize> { matches.and_then(|m| m.indices_of(id)).map_or_else(|| (0..n).collect(), |i| i.collect()) };
    let formats: Vec<(usize, OutputFormat)> =
        indices("formats", args.formats.len()).into_iter().zip(args.formats.iter().copied()).collect();
    let outputs: Vec<(usize, PathBuf)> = indices("outputs", args.outputs.len()).into_iter().zip(args.outputs.iter().cloned()).collect();
    pair(&formats, &outputs).map_err(|e| miette!(help = "see `annexa scan --help` for how --format and --output pair", "{e}"))
}

/// Every renderer with its writer.
pub struct Outputs {
    sinks: Vec<(Box<dyn Renderer>, Box<dyn Write>)>,
}

/// Bytes gathered before a write to a file, or to standard output when it
/// is not a terminal: one write per ~9 files of `jsonl`, where 8 KiB made it
/// one per file (a pipe to jq pays for each).
const WRITE_BUFFER: usize = 64 * 1024;

impl Outputs {
    pub fn open(targets: &[Target], color: ColorChoice) -> miette::Result<Outputs> {
        let mut sinks: Vec<(Box<dyn Renderer>, Box<dyn Write>)> = Vec::new();
        for target in targets {
            let on_terminal = target.file.is_none() && std::io::stdout().is_terminal();
            let color = match color {
                ColorChoice::Always => target.file.is_none(),
                ColorChoice::Never => false,
                ColorChoice::Auto => on_terminal && std::env::var_os("NO_COLOR").is_none(),
            };
            let format = match target.format {
                OutputFormat::Text => Format::Text { color },
                OutputFormat::Json => Format::Json,
                OutputFormat::Jsonl => Format::Jsonl,
                OutputFormat::Sarif => Format::Sarif,
                OutputFormat::Junit => Format::Junit,
                OutputFormat::Github => Format::Github,
                OutputFormat::Markdown => Format::Markdown,
            };
            let writer: Box<dyn Write> = match &target.file {
                // On a terminal, a report shows as it goes.
                None if on_terminal => Box::new(std::io::BufWriter::new(std::io::stdout())),
                None => Box::new(std::io::BufWriter::with_capacity(WRITE_BUFFER, std::io::stdout())),
                Some(path) => {
                    let file = std::fs::File::create(path).map_err(|e| {
                        miette!(help = "check that the folder exists and is writable", "cannot write {}: {e}", path.display())
                    })?;
                    Box::new(std::io::BufWriter::with_capacity(WRITE_BUFFER, file))
                }
            };
            sinks.push((format.renderer(), writer));
        }
        Ok(Outputs { sinks })
    }

    pub fn begin(&mut self, header: &Header) -> miette::Result<()> {
        self.sinks.iter_mut().try_for_each(|(r, w)| r.begin(header, w)).written()
    }

    pub fn file(&mut self, file: &FileResult) -> std::io::Result<()> {
        self.sinks.iter_mut().try_for_each(|(r, w)| r.file(file, w))
    }

    pub fn end(&mut self, summary: &Summary) -> miette::Result<()> {
        for (renderer, writer) in &mut self.sinks {
            renderer.end(summary, writer).written()?;
            writer.flush().written()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn each_output_belongs_to_the_format_before_it() {
        use OutputFormat::*;
        let targets = pair(&[(1, Text), (3, Sarif), (7, Junit)], &[(5, p("a.sarif")), (9, p("a.xml"))]).unwrap();
        assert_eq!(
            targets,
            vec![
                Target { format: Text, file: None },
                Target { format: Sarif, file: Some(p("a.sarif")) },
                Target { format: Junit, file: Some(p("a.xml")) }
            ]
        );
        assert_eq!(pair(&[], &[]).unwrap(), vec![Target { format: Text, file: None }]);
    }

    #[test]
    fn pairing_mistakes_are_errors() {
        use OutputFormat::*;
        assert_eq!(
            pair(&[(1, Text), (3, Json)], &[]).unwrap_err(),
            "only one --format may write to standard output; give the others an --output FILE"
        );
        assert_eq!(pair(&[(3, Json)], &[(1, p("x.json"))]).unwrap_err(), "--output x.json needs a --format before it");
        assert_eq!(
            pair(&[(1, Json)], &[(3, p("a.json")), (5, p("b.json"))]).unwrap_err(),
            "--output b.json follows a --format that already has --output a.json; give each file its own --format"
        );
        assert!(pair(&[], &[(1, p("x"))]).unwrap_err().starts_with("--output x needs a --format before it"));
        assert_eq!(
            pair(&[(1, Json), (3, Sarif)], &[(2, p("same.out")), (4, p("same.out"))]).unwrap_err(),
            "--output same.out is given twice; give each --format a file of its own"
        );
        assert_eq!(
            pair(&[(1, Json), (3, Sarif)], &[(2, p("new/a.json")), (4, p("./new/./a.json"))]).unwrap_err(),
            "--output ./new/./a.json is given twice; give each --format a file of its own"
        );
    }
}
