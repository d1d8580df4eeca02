//! The architecture graph of an AISystem (`spec.architecture.components` and
//! `flows`): which components a given one reaches, and whether it can reach
//! another without passing through a component of a given type (a human
//! approval gate, a guardrail).

use std::collections::{HashMap, VecDeque};

use crate::document::Node;

/// Components in document order, and flows as index pairs. It owns its ids,
/// so that rules calling the graph functions many times on one document can
/// share one graph.
pub struct Graph {
    pub components: Vec<Component>,
    /// Position in `components` by id (the first component of an id
    /// repeated), for a graph of more than `SCAN_UP_TO` components; a
    /// smaller one is scanned, which costs less than hashing the id.
    positions: Option<HashMap<String, usize>>,
    /// For each component, the components it sends to, in flow order.
    edges: Vec<Vec<usize>>,
}

pub struct Component {
    pub index: usize,
    pub id: String,
    pub kind: String,
}

/// Up to this many components a scan finds an id sooner than a hash map.
const SCAN_UP_TO: usize = 64;

fn field<'a>(node: &'a Node, name: &str) -> Option<&'a str> {
    node.child_key(name).and_then(Node::as_str)
}

impl Graph {
    /// Reads the graph from a document root; missing parts make an empty graph.
    pub fn from_root(root: &Node) -> Self {
        let architecture = root.child_key("spec").and_then(|s| s.child_key("architecture"));
        let list = |name: &str| architecture.and_then(|a| a.child_key(name)).and_then(Node::as_seq).unwrap_or_default();
        let components: Vec<Component> = list("components")
            .iter()
            .enumerate()
            .filter_map(|(index, c)| {
                Some(Component { index, id: field(c, "id")?.to_string(), kind: field(c, "type").unwrap_or_default().to_string() })
            })
            .collect();
        let positions = (components.len() > SCAN_UP_TO).then(|| {
            let mut positions = HashMap::with_capacity(components.len());
            for (position, c) in components.iter().enumerate() {
                positions.entry(c.id.clone()).or_insert(position);
            }
            positions
        });
        let mut graph = Graph { edges: vec![Vec::new(); components.len()], components, positions };
        for flow in list("flows") {
            let position = |end: &str| field(flow, end).and_then(|id| graph.position(id));
            // Flows that name no known component are ignored.
            if let (Some(from), Some(to)) = (position("from"), position("to")) {
                if let Some(out) = graph.edges.get_mut(from) {
                    out.push(to);
                }
            }
        }
        graph
    }

    /// Where the first component with this id is in `components`.
    fn position(&self, id: &str) -> Option<usize> {
        match &self.positions {
            Some(positions) => positions.get(id).copied(),
            None => self.components.iter().position(|c| c.id == id),
        }
    }

    /// The first component with this id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.position(id).and_then(|position| self.components.get(position))
    }

    /// Components reachable from `from` along flows, not passing through
    /// components whose type is in `stop_types` (those are reached but not
    /// expanded; `from` itself is always expanded). Sorted by document order;
    /// `from` is included only if a cycle leads back to it.
    pub fn reachable(&self, from: &str, stop_types: &[&str]) -> Vec<&Component> {
        let Some(start) = self.position(from) else { return Vec::new() };
        let mut seen = vec![false; self.components.len()];
        let mut queue = VecDeque::from([start]);
        let mut expanded_start = false;
        while let Some(current) = queue.pop_front() {
            let stop = current != start || expanded_start;
            if stop && self.components.get(current).is_some_and(|c| stop_types.contains(&c.kind.as_str())) {
                continue;
            }
            expanded_start |= current == start;
            for &next in self.edges.get(current).map(Vec::as_slice).unwrap_or_default() {
                if let Some(flag) = seen.get_mut(next) {
                    if !*flag {
                        *flag = true;
                        queue.push_back(next);
                    }
                }
            }
        }
        self.components.iter().zip(seen).filter(|(_, s)| *s).map(|(c, _)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::yaml::{parse_stream, Limits};

    fn graph_doc() -> Node {
        let text = "spec:\n  architecture:\n    components:\n      - {id: web, type: ui, trust: untrusted}\n      - {id: orch, type: service}\n      - {id: gate, type: human-approval}\n      - {id: refunds, type: tool}\n      - {id: shell, type: tool}\n    flows:\n      - {from: web, to: orch}\n      - {from: orch, to: gate}\n      - {from: gate, to: refunds}\n      - {from: orch, to: shell}\n      - {from: orch, to: nowhere}\n";
        parse_stream(text, &Limits::default()).0.remove(0).root
    }

    #[test]
    fn approval_gates_stop_the_walk() {
        let root = graph_doc();
        let g = Graph::from_root(&root);
        let ids = |v: Vec<&Component>| v.iter().map(|c| c.id.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(g.reachable("web", &["human-approval"])), vec!["orch", "gate", "shell"]);
        assert_eq!(ids(g.reachable("web", &[])), vec!["orch", "gate", "refunds", "shell"]);
        assert_eq!(ids(g.reachable("gate", &["human-approval"])), vec!["refunds"], "the start is always expanded");
        assert!(g.reachable("missing", &[]).is_empty());
    }

    /// Past `SCAN_UP_TO` components ids are found through the map, with
    /// the same answers: the first of a repeated id, unknown ids ignored.
    #[test]
    fn a_large_graph_answers_as_a_small_one() {
        let count = SCAN_UP_TO + 36;
        let mut text = String::from("spec:\n  architecture:\n    components:\n");
        for i in 0..count {
            text.push_str(&format!("      - {{id: c{i}, type: service}}\n"));
        }
        text.push_str("      - {id: c5, type: tool}\n    flows:\n      - {from: c0, to: ghost}\n");
        for i in 1..count {
            text.push_str(&format!("      - {{from: c{}, to: c{i}}}\n", i - 1));
        }
        let root = parse_stream(&text, &Limits::default()).0.remove(0).root;
        let g = Graph::from_root(&root);
        assert!(g.positions.is_some(), "indexed");
        let reached: Vec<String> = g.reachable("c0", &[]).iter().map(|c| c.id.clone()).collect();
        assert_eq!(reached, (1..count).map(|i| format!("c{i}")).collect::<Vec<_>>());
        assert_eq!(g.component("c5").map(|c| (c.index, c.kind.as_str())), Some((5, "service")), "the first c5");
        assert_eq!(g.component(&format!("c{}", count - 1)).map(|c| c.index), Some(count - 1));
        assert!(g.component("ghost").is_none());
        let stopped: Vec<usize> = g.reachable("c3", &["service"]).iter().map(|c| c.index).collect();
        assert_eq!(stopped, vec![4], "c4 is reached, not passed through");
    }
}
