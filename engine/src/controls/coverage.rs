//! Coverage: for each control of each catalog, the rules that map to it, so
//! a gap in the rule pack is visible (`annexa controls --coverage`).

use serde::Serialize;

use super::catalogs;
use crate::rules::Rule;

/// One part of one catalog (ISO/IEC 42001 Annex A, ISO/IEC 42001 clauses, ...), with its controls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    pub standard: String,
    /// `annex-a`, `clause`, `item` or `subcategory`.
    pub part: String,
    /// As shown to people: `ISO/IEC 42001:2023 Annex A`.
    pub name: String,
    pub covered: usize,
    pub total: usize,
    pub controls: Vec<Covered>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Covered {
    pub id: String,
    pub title: String,
    /// Ids of the rules that map to this control, sorted.
    pub rules: Vec<String>,
}

fn part_name(part: &str) -> &str {
    match part {
        "annex-a" => "Annex A",
        "clause" => "clauses",
        "subcategory" => "subcategories",
        other => other,
    }
}

/// Coverage of every catalog by `rules`. NIST AI RMF categories are left
/// out: rules cite its finer subcategories.
pub fn coverage(rules: &[Rule]) -> Vec<Section> {
    let mut sections = Vec::new();
    for standard in &catalogs().standards {
        let mut parts: Vec<&str> = Vec::new();
        for control in &standard.controls {
            if control.part != "category" && !parts.contains(&control.part.as_str()) {
                parts.push(&control.part);
            }
        }
        for part in parts {
            let controls: Vec<Covered> = standard
                .controls
                .iter()
                .filter(|c| c.part == part)
                .map(|c| Covered {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    rules: rules
                        .iter()
                        .filter(|r| r.controls.iter().any(|rc| rc.standard == standard.id && rc.id == c.id))
                        .map(|r| r.id.clone())
                        .collect(),
                })
                .collect();
            sections.push(Section {
                standard: standard.id.clone(),
                part: part.to_string(),
                name: if part == "item" { standard.name.clone() } else { format!("{} {}", standard.name, part_name(part)) },
                covered: controls.iter().filter(|c| !c.rules.is_empty()).count(),
                total: controls.len(),
                controls,
            });
        }
    }
    sections
}
