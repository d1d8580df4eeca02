//! The built-in rule packs, embedded at build time from `rules/`.

use std::sync::Arc;

use annexa_engine::rules::RuleSource;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in rules as rule sources.
pub fn sources() -> Vec<RuleSource> {
    BUILTIN_RULES.iter().map(|(path, text)| RuleSource { path: (*path).to_string(), text: Arc::from(*text) }).collect()
}
