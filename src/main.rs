//! The `annexa` command: parses arguments and hands over to `run`.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

mod alloc;
mod args;
mod builtin;
mod commands;
mod diagnostics;

fn main() -> ExitCode {
    let matches = args::Cli::command().get_matches();
    let args = args::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match commands::run(args, Some(&matches)) {
        Ok(status) => status.into(),
        Err(e) => {
            // A closed pipe (`annexa scan | head`) is not a failure.
            if e.downcast_ref::<commands::BrokenPipe>().is_some() {
                return ExitCode::SUCCESS;
            }
            diagnostics::print_fatal(e);
            commands::ExitStatus::Error.into()
        }
    }
}
