//! End-to-end tests of the `annexa` command: exact stdout, stderr and exit
//! code for each case, failure modes included. One test binary; one module
//! per command or concern.

mod ci;
mod common;
mod coverage;
mod fixtures;
mod formats;
mod hardening;
mod jsonl;
mod reassess;
mod registry;
mod report;
mod rules_test;
mod scan;
