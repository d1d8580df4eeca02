//! The evaluation settings `scan` and `report` share: their flags over the
//! config file (globs, kinds, the dispositions file), settled once, and the
//! walk and scan options built from them.

use std::path::PathBuf;
use std::sync::Arc;

use annexa_engine::config::Config;
use annexa_engine::document::discover::{display_path, DiscoverOptions, InputFile, Shard};
use annexa_engine::document::kind::KindGlobs;
use annexa_engine::eval::ScanOptions;
use annexa_engine::reassess::Recorded;

use super::baseline::Problems;
use crate::args::EvaluationArgs;

pub struct Evaluation {
    pub now: jiff::civil::Date,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    follow: bool,
    threads: usize,
    kinds: Vec<(String, String)>,
    /// `--dispositions`, else the config's `dispositions`.
    pub dispositions_path: Option<PathBuf>,
    /// The dispositions file being read, until `finish_reading`.
    reading: Option<std::thread::JoinHandle<Result<Recorded, Problems>>>,
    /// The dispositions file, when one is named and could be read (after `finish_reading`).
    pub dispositions: Option<Recorded>,
    /// Problems reported (on standard error) while reading the dispositions file (after `finish_reading`).
    pub errors: usize,
}

impl Evaluation {
    /// Flags replace the config's values: `--include` and `--exclude` its globs,
    /// `--dispositions` its file. The dispositions file is read on a thread
    /// of its own, while the rules compile: `finish_reading` waits for it.
    pub fn settle(args: &EvaluationArgs, config: &Config, now: jiff::civil::Date) -> Self {
        let (include, exclude) = globs(&args.include, &args.exclude, config);
        let dispositions_path = args.dispositions.clone().or_else(|| config.dispositions.clone());
        let reading = dispositions_path.clone().map(|path| std::thread::spawn(move || super::baseline::load_recorded(&path)));
        Evaluation {
            now,
            include,
            exclude,
            follow: args.follow,
            threads: args.threads,
            kinds: config.kinds.clone(),
            dispositions_path,
            reading,
            dispositions: None,
            errors: 0,
        }
    }

    /// Waits for the dispositions file and reports its problems (on standard
    /// error, after those of the rules, whatever finished first). A file that
    /// cannot be read is reported and the evaluation goes on without it.
    pub fn finish_reading(&mut self) {
        let Some(reading) = self.reading.take() else { return };
        match reading.join() {
            Ok(Ok(file)) => self.dispositions = Some(file),
            Ok(Err(problems)) => self.errors = super::baseline::report(problems),
            Err(_) => {
                eprintln!("error: reading the dispositions file failed (a bug in annexa)");
                self.errors = 1;
            }
        }
    }

    /// The dispositions file as shown to people, when it was read.
    pub fn dispositions_display(&self) -> Option<String> {
        self.dispositions.as_ref().and(self.dispositions_path.as_deref()).map(display_path)
    }

    pub fn discover_options(&self, shard: Option<Shard>) -> DiscoverOptions {
        DiscoverOptions { include: self.include.clone(), exclude: self.exclude.clone(), follow_symlinks: self.follow, shard }
    }

    /// The dispositions file is ours, not an input: a walk of the folder that holds it skips it.
    pub fn skip_dispositions_file(&self, files: &mut Vec<InputFile>) {
        super::baseline::skip_dispositions_file(files, self.dispositions_path.as_deref());
    }

    /// Threads, kinds by glob, and (with dispositions) evidence kept only where it changed.
    pub fn scan_options(&self) -> miette::Result<ScanOptions> {
        let mut options = ScanOptions::new(self.now);
        options.threads = self.threads;
        options.evidence = self.dispositions.as_ref().map(Recorded::evidence_mode).unwrap_or_default();
        options.load.kind_globs = kind_globs(&self.kinds)?;
        Ok(options)
    }
}

/// `--include` and `--exclude`, each replacing the config's globs when given.
pub fn globs(include: &[String], exclude: &[String], config: &Config) -> (Vec<String>, Vec<String>) {
    let pick = |flags: &[String], configured: &[String]| if flags.is_empty() { configured.to_vec() } else { flags.to_vec() };
    (pick(include, &config.include), pick(exclude, &config.exclude))
}

/// The config's kinds by path glob, compiled (none when it names none).
pub fn kind_globs(kinds: &[(String, String)]) -> miette::Result<Option<Arc<KindGlobs>>> {
    Ok(if kinds.is_empty() { None } else { Some(Arc::new(KindGlobs::new(kinds)?)) })
}
