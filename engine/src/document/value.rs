//! The document tree: every value keeps the region it came from, so a rule's
//! finding points at the exact node. Values reach Rhai by conversion of only
//! the part a rule reads (`to_dynamic`), never as a copy of the whole document.

use std::sync::Arc;

use rhai::{Dynamic, ImmutableString};

use super::path::Segment;
use super::position::Region;

/// A value with its region. For a mapping entry the region runs from the key
/// to the end of the value, so a finding on `spec.oversight` points at the
/// line that says `oversight:`.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub region: Region,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    Seq(Vec<Node>),
    /// Entries in source order; keys are unique (duplicates are a parse error).
    Map(Vec<(Key, Node)>),
}

/// A map key. The loaders give equal keys of one stream one shared
/// allocation. Not Rhai's string type: that one is `Rc`-counted (Rhai is
/// built without `sync`), and documents cross threads for corpus rules.
pub type Key = Arc<str>;

/// A string value: up to 23 bytes inline, so most take no allocation of
/// their own.
pub type Text = rhai::Identifier;

impl Node {
    pub fn new(region: Region, value: Value) -> Self {
        Node { region, value }
    }

    /// The child at one path segment.
    pub fn child(&self, segment: &Segment) -> Option<&Node> {
        match (&self.value, segment) {
            (Value::Map(_), Segment::Key(key)) => self.child_key(key),
            (Value::Seq(items), Segment::Index(i)) => items.get(*i),
            _ => None,
        }
    }

    /// The value of `key` in a map: `child` without building a segment (an allocation).
    pub fn child_key(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| &**k == key).map(|(_, n)| n)
    }

    /// The node at `segments`, if every segment exists.
    pub fn get(&self, segments: &[Segment]) -> Option<&Node> {
        segments.iter().try_fold(self, |node, segment| node.child(segment))
    }

    /// The node at `segments`, or the nearest existing ancestor, with how many
    /// segments were matched; a finding on a missing key points at its parent.
    pub fn locate(&self, segments: &[Segment]) -> (&Node, usize) {
        let mut node = self;
        for (depth, segment) in segments.iter().enumerate() {
            match node.child(segment) {
                Some(child) => node = child,
                None => return (node, depth),
            }
        }
        (node, segments.len())
    }

    /// The string at this node, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Number of nodes in this subtree, this one included.
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|(_, n)| n.count()).sum(),
            _ => 0,
        }
    }

    /// The value as Rhai sees it: maps become object maps, sequences arrays.
    pub fn to_dynamic(&self) -> Dynamic {
        match &self.value {
            Value::Null => Dynamic::UNIT,
            Value::Bool(b) => Dynamic::from_bool(*b),
            Value::Int(i) => Dynamic::from_int(*i),
            Value::Float(f) => Dynamic::from_float(*f),
            Value::Str(s) => Dynamic::from(ImmutableString::from(s.clone())),
            Value::Seq(items) => Dynamic::from_array(items.iter().map(Node::to_dynamic).collect()),
            Value::Map(entries) => {
                // Inserting one by one: collecting would buffer and sort the entries first.
                let mut map = rhai::Map::new();
                for (k, n) in entries {
                    map.insert((&**k).into(), n.to_dynamic());
                }
                Dynamic::from_map(map)
            }
        }
    }

    /// As `to_dynamic`, but a map keeps only `keys` (`script::fields`: the
    /// only keys the rule can read from it).
    pub fn to_dynamic_keeping(&self, keys: &[Box<str>]) -> Dynamic {
        match &self.value {
            Value::Map(entries) => {
                let mut map = rhai::Map::new();
                for key in keys {
                    if let Some((k, n)) = entries.iter().find(|(k, _)| **k == **key) {
                        map.insert((&**k).into(), n.to_dynamic());
                    }
                }
                Dynamic::from_map(map)
            }
            _ => self.to_dynamic(),
        }
    }

    /// Appends the canonical encoding (`super::canonical`) of this value.
    pub fn encode_canonical(&self, out: &mut Vec<u8>) {
        super::canonical::encode_into(self, out);
    }

    /// The value as JSON, for reports and fingerprints shown to people.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|(k, n)| (k.to_string(), n.to_json())).collect()),
        }
    }
}
