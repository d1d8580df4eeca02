//! One event pass over a YAML (or JSON) stream that builds each document's
//! tree with positions. Duplicate keys, unbounded aliases and excessive
//! nesting are errors located at the offending node; a broken document does
//! not hide the documents around it.

use std::collections::HashMap;

use super::key_index::KeyIndex;
use super::value::Key;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use super::position::{Position, Region};
use super::scalar;
use super::value::{Node, Value};

/// Bounds on what one stream may make us build.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Nodes one stream may produce, aliases expanded.
    pub max_nodes: usize,
    /// Nodes that alias expansion may add to one stream.
    pub max_alias_nodes: usize,
    /// Documents in one stream.
    pub max_documents: usize,
}

impl Limits {
    /// The bounds on every scanned stream.
    pub const DEFAULT: Limits = Limits { max_depth: 200, max_nodes: 4_000_000, max_alias_nodes: 100_000, max_documents: 100_000 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why a document (or the rest of a stream) could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub position: Position,
    pub message: String,
    pub hint: Option<&'static str>,
    /// Whether the rest of the stream was lost too (a scanner error), or only
    /// this document (a duplicate key, a limit).
    pub fatal: bool,
}

/// One parsed document of a stream.
#[derive(Debug)]
pub struct Parsed {
    /// Position in the stream, counting documents that failed.
    pub index: usize,
    pub root: Node,
}

enum Frame {
    Seq { items: Vec<Node>, start: Position, anchor: usize },
    Map { entries: Vec<(Key, Node)>, keys: KeyIndex, key: Option<(Key, Position)>, merges: Vec<Node>, start: Position, anchor: usize },
}

struct Builder<'a> {
    limits: &'a Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    /// The first problem in the current document; the rest of it is skipped.
    poisoned: Option<SyntaxError>,
    nodes: usize,
    alias_nodes: usize,
}

fn error(at: Position, message: String, hint: Option<&'static str>) -> SyntaxError {
    SyntaxError { position: at, message, hint, fatal: false }
}

fn position(m: &Marker) -> Position {
    // saphyr: 1-based lines, 0-based character columns.
    Position::new(m.line() as u32, m.col() as u32 + 1)
}

fn region(span: &Span) -> Region {
    Region::new(position(&span.start), position(&span.end))
}

/// Parses every document of a stream. Returns the documents that parsed and
/// the errors of those that did not, each with its position.
pub fn parse_stream(text: &str, limits: &Limits) -> (Vec<Parsed>, Vec<SyntaxError>) {
    match super::fast_yaml::parse(text, limits) {
        Some(docs) => (docs, Vec::new()),
        None => parse_stream_full(text, limits),
    }
}

/// Whether the fast path reads `text` by itself (for tests that hold it to
/// the full parser, and benches).
pub fn fast_path_reads(text: &str, limits: &Limits) -> Option<Vec<Parsed>> {
    super::fast_yaml::parse(text, limits)
}

/// `parse_stream` by the full parser alone: every YAML 1.2 construct, and
/// the located errors.
pub fn parse_stream_full(text: &str, limits: &Limits) -> (Vec<Parsed>, Vec<SyntaxError>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder { limits, stack: Vec::new(), anchors: HashMap::new(), root: None, poisoned: None, nodes: 0, alias_nodes: 0 };
    let mut index = 0usize;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                errors.push(SyntaxError {
                    position: position(e.marker()),
                    message: e.info().to_string(),
                    hint: hint_for(e.info()),
                    fatal: true,
                });
                break;
            }
        };
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart(_) => {
                builder.stack.clear();
                builder.anchors.clear();
                builder.root = None;
                builder.poisoned = None;
            }
            Event::DocumentEnd => {
                if let Some(error) = builder.poisoned.take() {
                    errors.push(error);
                    index += 1;
                } else if let Some(root) = builder.root.take() {
                    // A document that is only `---` or comments has nothing to check.
                    if root.value != Value::Null || root.region.start != root.region.end {
                        docs.push(Parsed { index, root });
                        index += 1;
                    }
                }
                if index >= limits.max_documents {
                    errors.push(SyntaxError {
                        position: position(&span.start),
                        message: format!("more than {} documents in one stream; the rest is not read", limits.max_documents),
                        hint: Some("split the stream into several files"),
                        fatal: true,
                    });
                    break;
                }
            }
            _ if builder.poisoned.is_some() => {}
            event => {
                if let Err(error) = builder.event(event, &span) {
                    builder.poisoned = Some(error);
                }
            }
        }
    }
    // saphyr puts an error at the end of a text without a final line break
    // on the line after it, which the text does not have: point at the end
    // of the text instead (a BOM is not a column, as for saphyr). Only texts
    // with errors pay for finding the end.
    if !errors.is_empty() {
        let end = super::position_after(text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes());
        errors.iter_mut().for_each(|e| e.position = e.position.min(end));
    }
    (docs, errors)
}

fn hint_for(info: &str) -> Option<&'static str> {
    if info.contains("tab") {
        Some("YAML indentation must use spaces, not tabs")
    } else if info.contains("mapping values are not allowed") {
        Some("a value that contains `: ` must be quoted")
    } else if info.contains("did not find expected") {
        Some("check the indentation and closing brackets above this point")
    } else {
        None
    }
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), SyntaxError> {
        let at = position(&span.start);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(Frame::Map { key: key @ None, entries, keys, .. }) = self.stack.last_mut() {
                    // Keys are taken as written: `on:` and `1:` are the keys "on" and "1".
                    let name: Key = text.as_ref().into();
                    if let Some((_, first)) = keys.find(entries, &name).and_then(|i| entries.get(i)) {
                        return Err(error(
                            at,
                            format!(
                                "duplicate key `{name}` (first defined at line {}, column {})",
                                first.region.start.line, first.region.start.col
                            ),
                            Some("each key may appear once in a mapping; remove or rename one of them"),
                        ));
                    }
                    let merge = style == ScalarStyle::Plain && &*name == "<<";
                    *key = Some((if merge { Key::from("<<") } else { name }, at));
                    return Ok(());
                }
                let value = scalar_value(&text, style, tag.as_deref()).ok_or_else(|| {
                    error(at, format!("`{text}` does not fit its tag `{}`", tag.as_deref().map(shown_tag).unwrap_or_default()), None)
                })?;
                let node = Node::new(region(span), value);
                self.count(1, at)?;
                self.keep_anchor(anchor, &node)?;
                self.push(node, at)
            }
            Event::SequenceStart(anchor, _) => {
                self.check_not_key(at)?;
                self.open(Frame::Seq { items: Vec::new(), start: at, anchor }, at)
            }
            Event::MappingStart(anchor, _) => {
                self.check_not_key(at)?;
                self.open(
                    Frame::Map { entries: Vec::new(), keys: KeyIndex::default(), key: None, merges: Vec::new(), start: at, anchor },
                    at,
                )
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = position(&span.end);
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, start, anchor }) => (Node::new(Region::new(start, end), Value::Seq(items)), anchor),
                    Some(Frame::Map { mut entries, merges, start, anchor, .. }) => {
                        apply_merges(&mut entries, merges);
                        (Node::new(Region::new(start, end), Value::Map(entries)), anchor)
                    }
                    None => return Ok(()),
                };
                self.keep_anchor(anchor, &node)?;
                self.push(node, at)
            }
            Event::Alias(id) => {
                self.check_not_key(at)?;
                let Some(target) = self.anchors.get(&id) else {
                    return Err(error(at, "alias to an anchor that is not defined yet".into(), None));
                };
                let added = target.count();
                self.alias_nodes += added;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(error(
                        at,
                        format!("aliases expand to more than {} nodes", self.limits.max_alias_nodes),
                        Some("this looks like an alias bomb (\"billion laughs\"); expand the aliases by hand if they are meant"),
                    ));
                }
                let mut node = target.clone();
                node.region = region(span);
                self.count(added, at)?;
                self.push(node, at)
            }
            _ => Ok(()),
        }
    }

    /// Keeps a copy of an anchored node (`anchor` 0: none) for the aliases
    /// to come. The copy counts against the node limit like the nodes it
    /// copies: anchors nested one inside the other each copy everything
    /// below them, and a 3 MB file of 100 nested anchors over one long list
    /// made 4.8 GB of copies.
    fn keep_anchor(&mut self, anchor: usize, node: &Node) -> Result<(), SyntaxError> {
        if anchor == 0 {
            return Ok(());
        }
        self.nodes += node.count();
        if self.nodes > self.limits.max_nodes {
            return Err(error(
                node.region.start,
                format!("more than {} nodes in one stream, counting the copies anchors keep", self.limits.max_nodes),
                Some("anchors inside anchored values copy what they hold; anchor only the values that aliases repeat"),
            ));
        }
        self.anchors.insert(anchor, node.clone());
        Ok(())
    }

    fn check_not_key(&self, at: Position) -> Result<(), SyntaxError> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(error(at, "a list, map or alias used as a mapping key is not supported".into(), Some("use a string as the key")));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, at: Position) -> Result<(), SyntaxError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(error(at, format!("nesting deeper than {} levels", self.limits.max_depth), None));
        }
        self.count(1, at)?;
        self.stack.push(frame);
        Ok(())
    }

    fn count(&mut self, n: usize, at: Position) -> Result<(), SyntaxError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(error(at, format!("more than {} nodes in one stream", self.limits.max_nodes), None));
        }
        Ok(())
    }

    fn push(&mut self, mut node: Node, at: Position) -> Result<(), SyntaxError> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, merges, .. }) => {
                let Some((name, key_at)) = key.take() else {
                    return Err(error(at, "a mapping key is missing".into(), None));
                };
                if &*name == "<<" {
                    match &node.value {
                        Value::Map(_) => merges.push(node),
                        Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => merges.extend(items.iter().cloned()),
                        _ => return Err(error(key_at, "a merge key `<<` takes a map or a list of maps".into(), None)),
                    }
                } else {
                    node.region.start = key_at;
                    entries.push((name, node));
                }
            }
        }
        Ok(())
    }
}

/// Merge keys (`<<: *defaults`): keys written in the map win over merged
/// ones, and earlier merged maps win over later ones.
fn apply_merges(entries: &mut Vec<(Key, Node)>, merges: Vec<Node>) {
    let mut keys = KeyIndex::default();
    for merged in merges {
        if let Value::Map(more) = merged.value {
            for (k, v) in more {
                if keys.find(entries, &k).is_none() {
                    entries.push((k, v));
                }
            }
        }
    }
}

/// A tag as it is written: `!!int` for the YAML core schema, else in full.
fn shown_tag(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix.trim_start_matches('!'))
    } else {
        tag.to_string()
    }
}

fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Option<Value> {
    match tag {
        Some(tag) if tag.is_yaml_core_schema() => scalar::resolve_tagged(&tag.suffix, text),
        // Other tags (`!Ref`, `!vault`) are kept as the value they tag.
        Some(_) if style == ScalarStyle::Plain => Some(scalar::resolve_plain(text)),
        Some(_) => Some(Value::Str(text.into())),
        None if style == ScalarStyle::Plain => Some(scalar::resolve_plain(text)),
        None => Some(Value::Str(text.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::path;

    fn one(text: &str) -> Node {
        let (mut docs, errors) = parse_stream(text, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs.len(), 1);
        docs.remove(0).root
    }

    fn at(root: &Node, p: &str) -> Node {
        root.get(&path::parse(p).unwrap()).unwrap().clone()
    }

    #[test]
    fn positions_of_keys_values_and_items() {
        let root = one("a:\n  b: 1\n  list:\n    - x\n    - {c: true}\n");
        assert_eq!(at(&root, "a.b").region.start, Position::new(2, 3));
        assert_eq!(at(&root, "a.list[1]").region.start, Position::new(5, 7));
        assert_eq!(at(&root, "a.list[1].c").region.start, Position::new(5, 8));
        assert_eq!(at(&root, "a.list[1].c").value, Value::Bool(true));
        let (node, depth) = root.locate(&path::parse("a.missing.deeper").unwrap());
        assert_eq!((node.region.start, depth), (Position::new(1, 1), 1));
    }

    #[test]
    fn yaml_1_1_words_stay_strings() {
        let root = one("enabled: no\nmode: off\nconfirm: yes\nflag: on\nshort: y\non: push\n");
        for (k, v) in [("enabled", "no"), ("mode", "off"), ("confirm", "yes"), ("flag", "on"), ("short", "y"), ("on", "push")] {
            assert_eq!(at(&root, k).value, Value::Str(v.into()), "{k}");
        }
    }

    #[test]
    fn duplicate_keys_are_errors_at_the_second_key() {
        let (docs, errors) = parse_stream("a: 1\nb: 2\na: 3\n---\nok: true\n", &Limits::default());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].position, Position::new(3, 1));
        assert_eq!(errors[0].message, "duplicate key `a` (first defined at line 1, column 1)");
        assert_eq!(docs.len(), 1, "the next document is still read");
        assert_eq!(docs[0].index, 1);
    }

    #[test]
    fn multi_document_streams_and_json() {
        let (docs, errors) = parse_stream("---\na: 1\n---\nb: 2\n...\n---\n[1, 2]\n", &Limits::default());
        assert!(errors.is_empty());
        assert_eq!(docs.iter().map(|d| d.index).collect::<Vec<_>>(), vec![0, 1, 2]);
        let root = one("{\n  \"name\": \"x\",\n\t\"n\": [1, 2.5, null, false]\n}\n");
        assert_eq!(at(&root, "n[1]").value, Value::Float(2.5));
        assert_eq!(at(&root, "n[2]").value, Value::Null);
        assert_eq!(at(&root, "name").region.start, Position::new(2, 3));
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h'] {
            bomb.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let (docs, errors) = parse_stream(&bomb, &Limits::default());
        assert!(docs.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.starts_with("aliases expand to more than"), "{}", errors[0].message);
    }

    #[test]
    fn merge_keys_and_aliases() {
        let root = one("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n");
        assert_eq!(at(&root, "d.x").value, Value::Int(1));
        assert_eq!(at(&root, "d.y").value, Value::Int(3));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text: String = (0..250).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let (docs, errors) = parse_stream(&text, &Limits::default());
        assert!(docs.is_empty());
        assert_eq!(errors[0].message, "nesting deeper than 200 levels");
        assert_eq!(errors[0].position, Position::new(201, 201));
        // Flow collections: the parser's own bound (255 levels) answers.
        let text = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let (docs, errors) = parse_stream(&text, &Limits::default());
        assert!(docs.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "recursion limit exceeded");
    }

    #[test]
    fn syntax_errors_are_located() {
        let (_, errors) = parse_stream("a: 1\nb: [1, 2\nc: 3\n", &Limits::default());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].fatal);
        assert_eq!(errors[0].position.line, 3);
    }

    #[test]
    fn tags_are_applied_or_kept() {
        let root = one("a: !!str yes\nb: !!int \"7\"\nc: !Ref thing\n");
        assert_eq!(at(&root, "a").value, Value::Str("yes".into()));
        assert_eq!(at(&root, "b").value, Value::Int(7));
        assert_eq!(at(&root, "c").value, Value::Str("thing".into()));
    }
}
