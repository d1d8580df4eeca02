//! Meta-tests over the built-in rule registry: ids, metadata, documentation
//! and rule tests hold for every rule, so a new rule cannot skip them.

use std::collections::BTreeMap;

use annexa_engine::report::Status;
use annexa_engine::rules::{self, testing, Rule};
use annexa_engine::script::Limits;

use crate::common::root;

fn builtin() -> Vec<Rule> {
    let (sources, read_errors) = rules::read_dir(&root().join("rules"));
    assert!(read_errors.is_empty(), "{read_errors:?}");
    let set = rules::load(sources, &Limits::default());
    // Loading checks severities, kinds, scopes and that every control id is in the catalogs.
    assert!(set.errors.is_empty(), "built-in rules must load cleanly: {:#?}", set.errors);
    set.rules
}

#[test]
fn ids_are_unique_well_formed_and_name_their_file() {
    let rules = builtin();
    assert!(rules.len() >= 13);
    let mut seen = BTreeMap::new();
    for rule in &rules {
        let letters: String = rule.id.chars().take_while(char::is_ascii_uppercase).collect();
        let digits = &rule.id[letters.len()..];
        assert!((2..=5).contains(&letters.len()) && digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()), "{}", rule.id);
        let stem = rule.source.path.rsplit('/').next().unwrap().trim_end_matches(".rhai");
        assert_eq!(stem, rule.id, "a rule file is named after its id");
        assert!(seen.insert(rule.id.clone(), ()).is_none(), "duplicate id {}", rule.id);
    }
}

#[test]
fn every_rule_documents_all_four_sections_and_reassessment() {
    let rules = builtin();
    for rule in &rules {
        assert!(rule.docs.missing().is_empty(), "{} lacks doc sections {:?}", rule.id, rule.docs.missing());
        assert!(!rule.reassess.on_change.is_empty(), "{} has no reassess.on_change", rule.id);
        assert!(rule.reassess.every.is_some(), "{} has no reassess.every", rule.id);
        assert!(!rule.remediation.trim().is_empty(), "{} has no remediation", rule.id);
    }
}

/// Titles state the property that holds when the rule passes ("Vector stores are
/// encrypted at rest"), never the fix ("Encrypt vector stores").
#[test]
fn titles_state_a_property_not_a_remediation() {
    const IMPERATIVES: [&str; 16] = [
        "Add",
        "Set",
        "Ensure",
        "Use",
        "Enable",
        "Configure",
        "Record",
        "Require",
        "Make",
        "Put",
        "Keep",
        "Define",
        "Do",
        "Don't",
        "Avoid",
        "Check",
    ];
    let rules = builtin();
    for rule in &rules {
        let first = rule.title.split_whitespace().next().unwrap_or_default();
        assert!(!IMPERATIVES.contains(&first), "{}: title `{}` is an instruction", rule.id, rule.title);
        let lower = rule.title.to_lowercase();
        for word in [" must ", " should ", "spec."] {
            assert!(!lower.contains(word), "{}: title `{}` contains `{word}`", rule.id, rule.title);
        }
        assert!(!rule.title.ends_with('.'), "{}: a title is not a sentence with a full stop", rule.id);
        assert_ne!(rule.title, rule.remediation, "{}", rule.id);
        assert!(rule.title.len() <= 90, "{}: title is too long", rule.id);
    }
}

#[test]
fn every_rule_has_a_passing_and_a_failing_case_and_all_cases_hold() {
    let rules = builtin();
    let run = testing::run_dirs(&rules, &[root().join("rules")], &Limits::default());
    assert!(run.errors.is_empty(), "{:#?}", run.errors);
    for result in &run.results {
        assert!(result.passed(), "{} does not hold: {:#?}", result.file, result);
    }
    for rule in &rules {
        let statuses: Vec<Status> = run.results.iter().filter(|r| r.rule == rule.id).map(|r| r.expected.status).collect();
        assert!(statuses.contains(&Status::Pass), "{} has no case that passes", rule.id);
        assert!(statuses.contains(&Status::Fail), "{} has no case that fails", rule.id);
    }
}

/// The Example section shows a document that fails and one that passes.
#[test]
fn every_example_shows_a_failing_and_a_passing_document() {
    let rules = builtin();
    for rule in &rules {
        let example = rule.docs.section("Example").unwrap_or_default();
        let fails = example.find("Fails:").unwrap_or_else(|| panic!("{}: the example has no `Fails:` document", rule.id));
        let passes = example.find("Passes:").unwrap_or_else(|| panic!("{}: the example has no `Passes:` document", rule.id));
        assert!(fails < passes, "{}: show the failing document first", rule.id);
        assert_eq!(example.matches("```yaml").count(), 2, "{}: one YAML block each", rule.id);
    }
}
