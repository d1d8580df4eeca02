//! Control catalogs embedded as data: ISO/IEC 42001:2023 (Annex A and
//! clauses 4-10), ISO/IEC 27001:2022 Annex A, the 27001 -> 42001 crosswalk,
//! and the AI risk catalogs (OWASP LLM and Agentic Top 10, NIST AI RMF) that
//! rules may also cite. Every reference is qualified by its standard, since
//! 42001 and 27001 reuse the same ids for different controls.

pub mod coverage;

use std::sync::OnceLock;

use serde::Serialize;

use crate::document::{path::Segment, yaml, Node, Value};

/// One catalog: a standard or framework, its groups and controls.
#[derive(Debug, Serialize)]
pub struct Standard {
    /// The key rules use in `controls: #{ iso42001: [...] }`.
    pub id: String,
    pub name: String,
    /// The name without edition, for compact output: `ISO/IEC 42001`.
    pub short: String,
    pub groups: Vec<Group>,
    pub controls: Vec<Control>,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub group: String,
    /// `annex-a`, `clause`, `item`, `category` or `subcategory`.
    pub part: String,
}

/// One crosswalk row: 27001 controls that, extended to AI, relate to these 42001 controls.
#[derive(Debug, Serialize)]
pub struct Mapping {
    pub id: String,
    pub topic: String,
    pub strength: String,
    pub iso27001: Vec<String>,
    pub iso42001: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Catalogs {
    pub standards: Vec<Standard>,
    pub crosswalk: Vec<Mapping>,
}

const SOURCES: [&str; 5] = [
    include_str!("../../catalog/iso42001.yaml"),
    include_str!("../../catalog/iso27001.yaml"),
    include_str!("../../catalog/owasp-llm.yaml"),
    include_str!("../../catalog/owasp-agentic.yaml"),
    include_str!("../../catalog/nist-ai-rmf.yaml"),
];
const CROSSWALK: &str = include_str!("../../catalog/crosswalk.yaml");

/// The embedded catalogs, parsed on first use.
pub fn catalogs() -> &'static Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS.get_or_init(|| Catalogs {
        standards: SOURCES.iter().map(|text| parse_standard(&parse_one(text))).collect(),
        crosswalk: parse_one(CROSSWALK)
            .child(&key("mappings"))
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .map(parse_mapping)
            .collect(),
    })
}

fn key(k: &str) -> Segment {
    Segment::Key(k.into())
}

/// The embedded files are ours and tested; an empty node stands in if one were broken.
fn parse_one(text: &str) -> Node {
    let (mut docs, _) = yaml::parse_stream(text, &yaml::Limits::default());
    docs.pop().map(|d| d.root).unwrap_or(Node::new(Default::default(), Value::Null))
}

fn text(node: &Node, name: &str) -> String {
    node.child(&key(name)).and_then(Node::as_str).unwrap_or_default().to_string()
}

fn strings(node: &Node, name: &str) -> Vec<String> {
    node.child(&key(name)).and_then(Node::as_seq).unwrap_or_default().iter().filter_map(Node::as_str).map(str::to_string).collect()
}

fn parse_standard(root: &Node) -> Standard {
    let list = |name: &str| root.child(&key(name)).and_then(Node::as_seq).unwrap_or_default();
    Standard {
        id: text(root, "id"),
        name: text(root, "name"),
        short: text(root, "short"),
        groups: list("groups").iter().map(|g| Group { id: text(g, "id"), title: text(g, "title") }).collect(),
        controls: list("controls")
            .iter()
            .map(|c| Control { id: text(c, "id"), title: text(c, "title"), group: text(c, "group"), part: text(c, "part") })
            .collect(),
    }
}

fn parse_mapping(m: &Node) -> Mapping {
    Mapping {
        id: text(m, "id"),
        topic: text(m, "topic"),
        strength: text(m, "strength"),
        iso27001: strings(m, "iso27001"),
        iso42001: strings(m, "iso42001"),
    }
}

impl Catalogs {
    pub fn standard(&self, id: &str) -> Option<&Standard> {
        self.standards.iter().find(|s| s.id == id)
    }

    /// The control `id` of standard `standard`, if both exist.
    pub fn control(&self, standard: &str, id: &str) -> Option<&Control> {
        self.standard(standard)?.controls.iter().find(|c| c.id == id)
    }

    /// The keys rules may use in their `controls` map.
    pub fn standard_ids(&self) -> Vec<&str> {
        self.standards.iter().map(|s| s.id.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_standards() {
        let c = catalogs();
        let count = |s: &str, part: &str| c.standard(s).unwrap().controls.iter().filter(|c| c.part == part).count();
        assert_eq!(count("iso42001", "annex-a"), 38);
        assert_eq!(count("iso27001", "annex-a"), 93);
        assert_eq!(count("owasp_llm", "item"), 10);
        assert_eq!(count("owasp_agentic", "item"), 10);
        assert_eq!(count("nist_ai_rmf", "subcategory"), 72);
        assert_eq!(count("nist_ai_rmf", "category"), 19);
        assert!(count("iso42001", "clause") >= 7);
        assert_eq!(c.crosswalk.len(), 19);
    }

    #[test]
    fn same_id_different_controls() {
        let c = catalogs();
        assert_eq!(c.control("iso42001", "A.5.2").unwrap().title, "AI system impact assessment process");
        assert_eq!(c.control("iso27001", "A.5.2").unwrap().title, "Information security roles and responsibilities");
        assert!(c.control("iso42001", "A.5.6").is_none());
        for m in &c.crosswalk {
            for id in &m.iso27001 {
                assert!(c.control("iso27001", id).is_some(), "{} names unknown 27001 control {id}", m.id);
            }
            for id in &m.iso42001 {
                assert!(c.control("iso42001", id).is_some(), "{} names unknown 42001 control {id}", m.id);
            }
        }
    }
}
