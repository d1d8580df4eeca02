//! annexa-engine: the policy engine behind the `annexa` command.
//!
//! It discovers and parses documents (YAML, JSON, Markdown front matter) with
//! positions, loads Rhai rules with validated metadata, evaluates every
//! (document, rule) pair in parallel inside a sandbox, and renders reports.
//! It never prints, colours or exits: callers get values and give writers.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod audit;
pub mod config;
pub mod controls;
pub mod document;
pub mod error;
pub mod eval;
#[doc(hidden)]
pub mod fuzz;
mod fxhash;
pub mod reassess;
pub mod report;
pub mod rules;
pub mod schema;
pub mod script;

pub use error::{Error, Result};
