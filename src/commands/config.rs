//! The config file for a command: `--config FILE`, else the `annexa.yaml`
//! found by walking up from the working directory; its problems are printed
//! here with their snippets.

use std::path::Path;

use annexa_engine::config::{self, Config, ConfigError};
use annexa_engine::document::{read_text_within, MAX_FILE_BYTES};
use annexa_engine::rules::RuleSet;

use crate::args::ConfigArgs;
use crate::diagnostics::{self, Source};

/// Prints `errors` of the config file at `path`, with its lines where they have one.
fn print(errors: &[ConfigError], path: &Path) {
    // Read again only for lines to show, and within the loader's bound:
    // `--config /dev/zero` must not read until memory runs out.
    let located = errors.iter().any(|e| e.position.is_some());
    let text = located.then(|| read_text_within(path, MAX_FILE_BYTES, "a config file").ok()).flatten();
    let source = text.as_deref().map(Source::new);
    for error in errors {
        diagnostics::eprint(&diagnostics::config_error(error, source.as_ref()));
    }
}

/// The validated config (defaults when there is none), or `None` after
/// printing every problem in it.
pub fn load(args: &ConfigArgs) -> miette::Result<Option<Config>> {
    if args.no_config {
        return Ok(Some(Config { builtin: true, ..Config::default() }));
    }
    let path = match &args.config {
        Some(path) => path.clone(),
        None => {
            let cwd = std::env::current_dir().map_err(|e| miette::miette!("cannot read the working directory: {e}"))?;
            match config::find(&cwd) {
                // Shown relative to the working directory where it can be.
                Some(found) => found.strip_prefix(&cwd).map(|p| p.to_path_buf()).unwrap_or(found),
                None => return Ok(Some(Config { builtin: true, ..Config::default() })),
            }
        }
    };
    match config::load(&path) {
        Ok(config) => Ok(Some(config)),
        Err(errors) => {
            print(&errors, &path);
            Ok(None)
        }
    }
}

/// Applies `disable` and `severity` to the loaded rules; returns how many problems were printed.
pub fn apply(config: &Config, set: &mut RuleSet) -> usize {
    let errors = config.apply(set);
    print(&errors, &config.file);
    errors.len()
}
