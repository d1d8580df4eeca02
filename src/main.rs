//! The `annexa` command: parses arguments and hands over to `run`.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: allocation is a sixth of a scan's time with the system
// allocator (many small values per document); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod builtin;
mod commands;
mod diagnostics;

fn main() -> ExitCode {
    let args = args::Cli::parse();
    match commands::run(args) {
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
