//! The config file for a command: `--config FILE`, else the `annexa.yaml`
//! found by walking up from the working directory; its problems are printed
//! here with their snippets.

use annexa_engine::config::{self, Config, ConfigError};
use annexa_engine::rules::RuleSet;

use crate::args::ConfigArgs;
use crate::diagnostics::{self, Source};

fn print(errors: &[ConfigError], text: Option<&str>) {
    let source = text.map(Source::new);
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
            print(&errors, std::fs::read_to_string(&path).ok().as_deref());
            Ok(None)
        }
    }
}

/// Applies `disable` and `severity` to the loaded rules; returns how many problems were printed.
pub fn apply(config: &Config, set: &mut RuleSet) -> usize {
    let errors = config.apply(set);
    print(&errors, std::fs::read_to_string(&config.file).ok().as_deref());
    errors.len()
}
