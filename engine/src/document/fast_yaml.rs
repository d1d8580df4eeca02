//! A fast path for the YAML most configuration files are written in: block
//! maps and lists, one-line scalars and flow collections, comments, `---`
//! between documents. It builds the same tree, with the same regions, as the
//! full parser (`yaml::parse_stream`, saphyr) would, in about a sixth of
//! its instructions.
//! Anything outside that subset (anchors, tags, block or multi-line scalars,
//! tabs, CRLF, duplicate keys, limits reached, errors of any kind) makes it
//! give up, and the full parser reads the stream from the start: it alone
//! reports problems. Differential tests keep the two in agreement.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::key_index::KeyIndex;
use super::value::Key as EntryKey;
use crate::fxhash::FxBuild;

use super::position::{Position, Region};
use super::scalar;
use super::value::{Node, Value};
use super::yaml::{Limits, Parsed};

/// C1 controls, a byte order mark (anywhere), non-characters and the Unicode
/// line separators: found by fuzzing, where the fast path read text the full
/// parser rejects.
fn not_plain_text(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}')
}

/// The lines of a text, as `split('\n')` gives them, found with memchr (the
/// `memchr` crate, already built for `regex`): `split`'s searcher cost
/// several instructions a byte.
struct Lines<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(at) => {
                self.rest = rest.get(at + 1..);
                rest.get(..at)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// A set of bytes as a table: one load a byte where a `matches!` of seven
/// bytes is several tests (1.7 M fewer instructions on the benchmark
/// documents; the same for `key_at`'s scan, which stops early, cost more).
const fn byte_set(members: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < members.len() {
        #[allow(clippy::indexing_slicing)] // Constant evaluation: out of bounds fails the build.
        {
            table[members[i] as usize] = true;
        }
        i += 1;
    }
    table
}

/// The bytes that end a plain scalar in a flow collection.
const FLOW_STOPS: [bool; 256] = byte_set(b",[]{}:#");

fn is_in(set: &[bool; 256], b: u8) -> bool {
    set.get(usize::from(b)) == Some(&true)
}

/// The bytes that cannot start a plain scalar: YAML's indicators.
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`'
    )
}

/// The documents of `text`, or `None` when the full parser must read it.
pub fn parse(text: &str, limits: &Limits) -> Option<Vec<Parsed>> {
    let wide = plain_text(text)?;
    let mut stream = Stream::new(limits, SCRATCH.take());
    let docs = read_stream(text, wide, &mut stream);
    SCRATCH.set(stream.into_scratch());
    docs
}

/// Whether `text` holds only characters the fast path reads: `Some(wide)`,
/// `wide` when some are past ASCII. Tabs, CR, other control characters and
/// (past ASCII) characters YAML forbids or reads specially are the full
/// parser's (`None`): it reports them.
pub(crate) fn plain_text(text: &str) -> Option<bool> {
    // A fold, not `any`: it vectorises, and such files are rare enough not to stop early for.
    let (odd, wide) =
        text.bytes().fold((false, false), |(odd, wide), b| (odd | (b < b' ' && b != b'\n') | (b == 0x7f), wide | (b >= 0x80)));
    (!(odd || (wide && text.chars().any(not_plain_text)))).then_some(wide)
}

/// The documents of `text`, which holds only characters the fast path reads
/// (and, unless `wide`, only ASCII).
fn read_stream(text: &str, wide: bool, stream: &mut Stream) -> Option<Vec<Parsed>> {
    let mut docs = Vec::new();
    // One buffer of lines for every document of the stream.
    // Sized for lines of about 32 bytes, within reason: growing it cost more than filling it.
    let mut current: Vec<Line<'_>> = Vec::with_capacity((text.len() / 32).min(4096));
    let mut number = 0u32;
    let mut started = false;
    for raw in (Lines { rest: Some(text) }) {
        number += 1;
        let indent = skip_spaces(raw, 0);
        if matches!(raw.as_bytes().get(indent), None | Some(b'#')) {
            continue;
        }
        let rest = raw.get(indent..)?;
        if indent == 0 && (rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%')) {
            if rest.trim_end_matches(' ') != "---" {
                return None;
            }
            if started && current.is_empty() {
                // `---` right after `---`: the full parser makes a null document of it.
                return None;
            }
            started = true;
            finish(&current, Position::new(number, 1), stream, &mut docs)?;
            current.clear();
            continue;
        }
        current.push(Line { number, text: raw, indent, ascii: !wide || raw.is_ascii(), counted: Cell::new((0, 0)) });
    }
    // A last line without a line break that holds only spaces, a comment or
    // `---`: the full parser ends the stream at a place of its own.
    let last = text.rsplit('\n').next().unwrap_or_default();
    let shown = last.trim_start_matches(' ').trim_end_matches(' ');
    if !last.is_empty() && (shown.is_empty() || shown.starts_with('#') || shown == "---") {
        return None;
    }
    // The full parser ends the stream on the line after the last one, whether
    // or not the text ends with a line break (`number` counts the lines split).
    let unterminated = !text.is_empty() && !text.ends_with('\n');
    finish(&current, Position::new(number + u32::from(unterminated), 1), stream, &mut docs)?;
    Some(docs)
}

/// Parses one document's lines (if it has any) and appends it.
fn finish(lines: &[Line<'_>], end: Position, stream: &mut Stream, docs: &mut Vec<Parsed>) -> Option<()> {
    if lines.is_empty() {
        return Some(());
    }
    if docs.len() + 1 >= stream.limits.max_documents {
        return None;
    }
    let mut parser = Parser { lines, at: 0, end, stream };
    let root = parser.block(lines.first()?.indent, 0)?;
    // Everything must have been read: a line left over is shallower than the root.
    if parser.at != lines.len() {
        return None;
    }
    docs.push(Parsed { index: docs.len(), root });
    Some(())
}

/// One line with content (not blank, not only a comment).
struct Line<'a> {
    number: u32,
    text: &'a str,
    /// Leading spaces.
    indent: usize,
    ascii: bool,
    /// A byte of the line (a character boundary) and the characters before
    /// it: where `chars_before` counts from.
    counted: Cell<(usize, usize)>,
}

impl Line<'_> {
    /// The position of byte `at` of the line (columns count characters).
    fn pos(&self, at: usize) -> Position {
        let col = if self.ascii || !self.text.is_char_boundary(at) { at } else { self.chars_before(at) };
        Position::new(self.number, col as u32 + 1)
    }

    /// The characters before byte `at` (a character boundary), counted from
    /// the last byte asked about. Positions are asked for in nearly the order
    /// of the text, so a long line that is not ASCII (minified JSON) is
    /// counted about once, not once for each of its nodes: counting from the
    /// start of the line made a 1 MB line take 3 s, and one at the size limit hours.
    fn chars_before(&self, at: usize) -> usize {
        let count = |from: usize, to: usize| self.text.get(from..to).map_or(0, |s| s.chars().count());
        let (byte, chars) = self.counted.get();
        let counted = if at >= byte { chars + count(byte, at) } else { chars - count(at, byte) };
        self.counted.set((at, counted));
        counted
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// Whether a block list entry (`- x` or a lone `-`) starts at `at`.
    fn dash_at(&self, at: usize) -> bool {
        self.byte(at) == Some(b'-') && matches!(self.byte(at + 1), None | Some(b' '))
    }
}

struct Parser<'a, 'p> {
    lines: &'p [Line<'a>],
    /// The next line to read.
    at: usize,
    /// Where the next document or the end of the stream starts.
    end: Position,
    stream: &'p mut Stream,
}

/// What every document of a stream shares: the nodes counted so far against
/// the limits (reaching one is the full parser's to report), and what
/// `Scratch` holds.
struct Stream {
    nodes: usize,
    /// Keys this stream added to the tables.
    new_keys: usize,
    limits: Limits,
    short_keys: HashMap<ShortKey, EntryKey, FxBuild>,
    keys: HashSet<EntryKey, FxBuild>,
    entries: Vec<(EntryKey, Node)>,
    items: Vec<Node>,
}

/// What a thread keeps from one stream to the next: the keys seen so far (a
/// key written many times, `name`, `provider`, is one shared string, not one
/// allocation each), and the stacks on which the entries of the collections
/// being read wait, so each collection is allocated once, at its final size.
#[derive(Default)]
struct Scratch {
    short_keys: HashMap<ShortKey, EntryKey, FxBuild>,
    keys: HashSet<EntryKey, FxBuild>,
    entries: Vec<(EntryKey, Node)>,
    items: Vec<Node>,
}

thread_local! {
    static SCRATCH: Cell<Scratch> = Cell::new(Scratch::default());
}

/// Past this many keys a thread forgets them, and past this many entries
/// it lets its stacks go, once a stream is read: a file with keys of its own
/// (generated names) or one huge collection must not keep memory after it.
const MAX_KEYS: usize = 4096;
/// A stream with more distinct keys than this is the full parser's. The
/// tables that share keys hash them with FxHash, which keys chosen to
/// collide could slow to a scan of every key at each lookup; this bounds
/// what such a file costs here.
const MAX_NEW_KEYS: usize = 8192;
const MAX_KEPT_ENTRIES: usize = 4096;

impl Stream {
    fn new(limits: &Limits, scratch: Scratch) -> Self {
        let Scratch { short_keys, keys, mut entries, mut items } = scratch;
        // Left over when the last stream was declined half-way.
        entries.clear();
        items.clear();
        Stream { nodes: 0, new_keys: 0, limits: *limits, short_keys, keys, entries, items }
    }

    /// What is worth keeping for the thread's next stream. Keys are
    /// forgotten only between streams, never during one.
    fn into_scratch(self) -> Scratch {
        let Stream { mut short_keys, mut keys, mut entries, mut items, .. } = self;
        if short_keys.len() + keys.len() > MAX_KEYS {
            short_keys = HashMap::default();
            keys = HashSet::default();
        }
        entries.clear();
        items.clear();
        if entries.capacity() > MAX_KEPT_ENTRIES {
            entries = Vec::new();
        }
        if items.capacity() > MAX_KEPT_ENTRIES {
            items = Vec::new();
        }
        Scratch { short_keys, keys, entries, items }
    }

    fn count(&mut self, depth: usize) -> Option<()> {
        self.nodes += 1;
        (self.nodes < self.limits.max_nodes && depth + 1 < self.limits.max_depth).then_some(())
    }

    /// The shared string for a key. Every key of the stream comes from here
    /// (and the set is never cleared during a stream), so two keys are equal
    /// exactly when they are the same allocation. `None` past `MAX_NEW_KEYS`.
    fn key(&mut self, name: &str) -> Option<EntryKey> {
        if let Some(short) = ShortKey::pack(name.as_bytes()) {
            return match self.short_keys.entry(short) {
                Entry::Occupied(found) => Some(found.get().clone()),
                Entry::Vacant(slot) => {
                    self.new_keys += 1;
                    (self.new_keys <= MAX_NEW_KEYS).then(|| slot.insert(name.into()).clone())
                }
            };
        }
        if let Some(key) = self.keys.get(name) {
            return Some(key.clone());
        }
        self.new_keys += 1;
        if self.new_keys > MAX_NEW_KEYS {
            return None;
        }
        let key = EntryKey::from(name);
        self.keys.insert(key.clone());
        Some(key)
    }

    /// Whether a mapping whose entries start at `base` of the entry stack
    /// already has `key` (found through `keys`, the mapping's index).
    #[inline]
    fn has_key(&self, base: usize, key: &EntryKey, keys: &mut KeyIndex) -> bool {
        keys.find_interned(self.entries.get(base..).unwrap_or_default(), key).is_some()
    }
}

/// A key of up to 16 bytes (most are) packed into integers, so that finding
/// it hashes and compares two words instead of calling memcmp.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ShortKey {
    low: u64,
    high: u64,
    len: u8,
}

impl ShortKey {
    fn pack(bytes: &[u8]) -> Option<ShortKey> {
        let len = u8::try_from(bytes.len()).ok().filter(|&len| len <= 16)?;
        let (low, high) = bytes.split_at(bytes.len().min(8));
        Some(ShortKey { low: word(low), high: word(high), len })
    }
}

/// Up to 8 bytes as one little-endian integer. From 4 bytes on, two loads
/// that may overlap (an overlapping byte lands on the same bits twice),
/// not a loop over the bytes.
fn word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let four = |at: usize| bytes.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, |b| u64::from(u32::from_le_bytes(b)));
    match <[u8; 8]>::try_from(bytes) {
        Ok(all) => u64::from_le_bytes(all),
        Err(_) if n >= 4 => four(0) | (four(n - 4) << ((n - 4) * 8)),
        Err(_) => bytes.iter().rev().fold(0, |word, &b| (word << 8) | u64::from(b)),
    }
}

/// A key as written and where it starts; `colon` is the byte of its `:`.
struct Key<'a> {
    name: Cow<'a, str>,
    start: usize,
    colon: usize,
}

impl<'a, 'p> Parser<'a, 'p> {
    fn line(&self) -> Option<&'p Line<'a>> {
        self.lines.get(self.at)
    }

    /// Where the token after the current block starts: the full parser ends
    /// a block collection there.
    fn next_token(&self) -> Position {
        self.line().map_or(self.end, |l| l.pos(l.indent))
    }

    /// A block node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Node> {
        let line = self.line()?;
        if line.indent != indent {
            return None;
        }
        if line.dash_at(indent) {
            self.sequence(indent, depth)
        } else if let Some(key) = key_at(line, indent)? {
            self.mapping(indent, key, depth)
        } else if matches!(line.byte(indent), Some(b'[' | b'{')) {
            // A flow collection on a line of its own: one-line (minified) JSON.
            let node = self.inline(indent, depth)?;
            self.at += 1;
            Some(node)
        } else {
            // A scalar on a line of its own: rare; leave it to the full parser.
            None
        }
    }

    /// A block mapping at column `indent` whose first key, `key`, is on the current line.
    fn mapping(&mut self, indent: usize, mut key: Key<'a>, depth: usize) -> Option<Node> {
        self.stream.count(depth)?;
        let start = self.line()?.pos(key.start);
        let base = self.stream.entries.len();
        let mut keys = KeyIndex::default();
        loop {
            let line = self.line()?;
            if key.name == "<<" {
                return None;
            }
            let name = self.stream.key(&key.name)?;
            if self.stream.has_key(base, &name, &mut keys) {
                return None;
            }
            let key_pos = line.pos(key.start);
            let value_at = skip_spaces(line.text, key.colon + 1);
            let mut value = if value_at >= line.text.len() || line.byte(value_at) == Some(b'#') {
                // `key:` with the value on the lines below, or none at all.
                let colon = line.pos(key.colon);
                self.at += 1;
                match self.line() {
                    Some(next) if next.indent > indent => self.block(next.indent, depth + 1)?,
                    Some(next) if next.indent == indent && next.dash_at(indent) => self.sequence(indent, depth + 1)?,
                    _ => {
                        self.stream.count(depth)?;
                        Node::new(Region::new(colon, colon), Value::Null)
                    }
                }
            } else {
                let value = self.inline(value_at, depth + 1)?;
                self.at += 1;
                value
            };
            value.region.start = key_pos;
            self.stream.entries.push((name, value));
            match self.line() {
                Some(next) if next.indent == indent && !next.dash_at(indent) => key = key_at(next, indent)??,
                Some(next) if next.indent >= indent => return None,
                _ => break,
            }
        }
        let entries = split_top(&mut self.stream.entries, base);
        Some(Node::new(Region::new(start, self.next_token()), Value::Map(entries)))
    }

    /// A block sequence whose dashes are at column `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Node> {
        self.stream.count(depth)?;
        let start = self.line()?.pos(indent);
        let base = self.stream.items.len();
        loop {
            let line = self.line()?;
            let item_at = skip_spaces(line.text, indent + 1);
            if item_at >= line.text.len() || line.byte(item_at) == Some(b'#') || line.dash_at(item_at) {
                // An empty entry, its content on the next lines, or a list in a list: the full parser.
                return None;
            }
            let item = if let Some(key) = key_at(line, item_at)? {
                self.mapping(item_at, key, depth + 1)?
            } else {
                let item = self.inline(item_at, depth + 1)?;
                self.at += 1;
                item
            };
            self.stream.items.push(item);
            match self.line() {
                Some(next) if next.indent == indent && next.dash_at(indent) => {}
                Some(next) if next.indent > indent => return None,
                _ => break,
            }
        }
        let items = split_top(&mut self.stream.items, base);
        Some(Node::new(Region::new(start, self.next_token()), Value::Seq(items)))
    }

    /// A value that starts at byte `at` of the current line and ends on it;
    /// only spaces and a comment may follow.
    fn inline(&mut self, at: usize, depth: usize) -> Option<Node> {
        let line = self.line()?;
        let (node, end) = match line.byte(at)? {
            b'[' | b'{' => flow(line, at, depth, self.stream)?,
            b'"' | b'\'' => {
                self.stream.count(depth)?;
                let (text, close) = quoted(line.text, at)?;
                let end = after_token(line.text, close);
                (Node::new(Region::new(line.pos(at), line.pos(end)), Value::Str(text.as_ref().into())), end)
            }
            _ => {
                self.stream.count(depth)?;
                let text = block_plain(line.text, at)?;
                let end = at + text.len();
                (Node::new(Region::new(line.pos(at), line.pos(end)), scalar::resolve_plain(text)), end)
            }
        };
        let next = skip_spaces(line.text, end);
        (next == line.text.len() || (line.byte(next) == Some(b'#') && next > end)).then_some(node)
    }
}

/// A flow collection on one line from byte `at`: the node and the byte after it.
fn flow(line: &Line<'_>, at: usize, depth: usize, stream: &mut Stream) -> Option<(Node, usize)> {
    stream.count(depth)?;
    let open = line.byte(at)?;
    let close = if open == b'[' { b']' } else { b'}' };
    let mut pos = skip_spaces(line.text, at + 1);
    let (entries_base, items_base) = (stream.entries.len(), stream.items.len());
    let mut keys = KeyIndex::default();
    if line.byte(pos) != Some(close) {
        loop {
            if open == b'{' {
                let (name, key_start, colon) = flow_key(line.text, pos)?;
                let name = stream.key(&name)?;
                if stream.has_key(entries_base, &name, &mut keys) {
                    return None;
                }
                let (mut value, next) = flow_item(line, skip_spaces(line.text, colon + 1), depth + 1, stream)?;
                value.region.start = line.pos(key_start);
                stream.entries.push((name, value));
                pos = next;
            } else {
                let (value, next) = flow_item(line, pos, depth + 1, stream)?;
                stream.items.push(value);
                pos = next;
            }
            match line.byte(pos)? {
                b',' => {
                    pos = skip_spaces(line.text, pos + 1);
                    if line.byte(pos) == Some(close) {
                        return None;
                    }
                }
                b if b == close => break,
                _ => return None,
            }
        }
    }
    let end = after_token(line.text, pos + 1);
    let value = if open == b'[' {
        Value::Seq(split_top(&mut stream.items, items_base))
    } else {
        Value::Map(split_top(&mut stream.entries, entries_base))
    };
    Some((Node::new(Region::new(line.pos(at), line.pos(end)), value), end))
}

/// One entry of a flow collection: the node and the first byte after it that is not a space.
fn flow_item(line: &Line<'_>, at: usize, depth: usize, stream: &mut Stream) -> Option<(Node, usize)> {
    match line.byte(at)? {
        b'[' | b'{' => {
            let (node, end) = flow(line, at, depth, stream)?;
            Some((node, skip_spaces(line.text, end)))
        }
        b'"' | b'\'' => {
            stream.count(depth)?;
            let (text, close) = quoted(line.text, at)?;
            let end = after_token(line.text, close);
            Some((Node::new(Region::new(line.pos(at), line.pos(end)), Value::Str(text.as_ref().into())), skip_spaces(line.text, end)))
        }
        _ => {
            stream.count(depth)?;
            let text = flow_plain(line.text, at)?;
            let end = at + text.len();
            Some((Node::new(Region::new(line.pos(at), line.pos(end)), scalar::resolve_plain(text)), skip_spaces(line.text, end)))
        }
    }
}

/// The key of a flow mapping entry at `at`: its text, start and the byte of its `:`.
fn flow_key(text: &str, at: usize) -> Option<(Cow<'_, str>, usize, usize)> {
    let (name, colon) = match text.as_bytes().get(at)? {
        b'"' | b'\'' => {
            let (name, close) = quoted(text, at)?;
            (name, close)
        }
        _ => {
            let name = flow_plain(text, at)?;
            (Cow::Borrowed(name), at + name.len())
        }
    };
    // `key: value`, and JSON's `"key":value` after a quoted key; no space before the colon.
    let quoted_key = matches!(text.as_bytes().get(at), Some(b'"' | b'\''));
    let spaced = text.as_bytes().get(colon + 1) == Some(&b' ');
    (text.as_bytes().get(colon) == Some(&b':') && (spaced || quoted_key)).then_some((name, at, colon))
}

/// YAML limits an implicit key to 1024 characters, and the full parser
/// rejects a longer one in block context (in flow context it reads it); a
/// block key of this many bytes or more is left to it (bytes, not
/// characters: the bound only ever declines too much).
const MAX_KEY_BYTES: usize = 1000;

/// The key starting at byte `at` of a line: `Some(Some(key))` for `key:`
/// followed by a space or the end of the line, `Some(None)` when the line
/// holds no key there, `None` when the full parser must decide.
fn key_at<'a>(line: &Line<'a>, at: usize) -> Option<Option<Key<'a>>> {
    let text = line.text;
    let bytes = text.as_bytes();
    match bytes.get(at)? {
        b'"' | b'\'' => {
            let (name, close) = quoted(text, at)?;
            if bytes.get(close) != Some(&b':') {
                return Some(None);
            }
            if !matches!(bytes.get(close + 1), None | Some(b' ')) || close - at >= MAX_KEY_BYTES {
                return None;
            }
            Some(Some(Key { name, start: at, colon: close }))
        }
        // Indicators that start something else: leave every such line to the full parser.
        b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => {
            if bytes.get(at) == Some(&b'-') && bytes.get(at + 1).is_some_and(|b| *b != b' ') && !text.contains(':') {
                // `-1`, `-x`: a plain scalar.
                return Some(None);
            }
            // A flow collection is a value; one used as a key is left for `inline` to refuse.
            matches!(bytes.get(at), Some(b'[' | b'{')).then_some(None)
        }
        _ => {
            // One pass to the first `:` that ends a key (followed by a space
            // or the end of the line), noting on the way what would make it
            // the full parser's: an earlier `:`, characters with meanings of
            // their own. A ` #` before it starts a comment: no key here.
            let rest = bytes.get(at..)?;
            let mut colon_inside = false;
            let mut odd = false;
            for (i, &b) in rest.iter().enumerate() {
                match b {
                    b':' => {
                        if !matches!(rest.get(i + 1), None | Some(b' ')) {
                            colon_inside = true;
                            continue;
                        }
                        // A key with a `:` inside it, odd characters or a trailing space: the full parser.
                        if colon_inside || odd || i >= MAX_KEY_BYTES || i.checked_sub(1).and_then(|j| rest.get(j)) == Some(&b' ') {
                            return None;
                        }
                        return Some(Some(Key { name: Cow::Borrowed(text.get(at..at + i)?), start: at, colon: at + i }));
                    }
                    b'#' if i.checked_sub(1).and_then(|j| rest.get(j)) == Some(&b' ') => return Some(None),
                    b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'"' | b'\'' => odd = true,
                    _ => {}
                }
            }
            Some(None)
        }
    }
}

/// A plain scalar in block context from `at` to a comment or the end of the line.
fn block_plain(text: &str, at: usize) -> Option<&str> {
    let rest = text.get(at..)?;
    let bytes = rest.as_bytes();
    let first = *bytes.first()?;
    if is_indicator(first) && !(first == b'-' && rest.len() > 1 && !rest.starts_with("- ")) {
        return None;
    }
    // One pass to ` #` (a comment) or the end. A `:` followed by a space or
    // the end of the value is `a: b: c` (an error) or, at the end, would
    // start a mapping: the full parser says so.
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if matches!(bytes.get(i + 1), None | Some(b' ')) => return None,
            b'#' if i.checked_sub(1).and_then(|j| bytes.get(j)) == Some(&b' ') => {
                end = i - 1;
                break;
            }
            _ => {}
        }
    }
    rest.get(..trim_spaces_end(bytes, end))
}

/// A plain scalar inside a flow collection, up to `,`, `]`, `}` (spaces trimmed).
fn flow_plain(text: &str, at: usize) -> Option<&str> {
    let rest = text.get(at..)?;
    let bytes = rest.as_bytes();
    let first = *bytes.first()?;
    if is_indicator(first) && !(first == b'-' && bytes.get(1).is_some_and(u8::is_ascii_alphanumeric)) {
        return None;
    }
    // A value running to the end of the line, or a `:` or `#` inside (URLs,
    // `a#b`), has rules of its own in flow context.
    let len = bytes.iter().position(|&b| is_in(&FLOW_STOPS, b))?;
    match bytes.get(len) {
        Some(b':') if bytes.get(len + 1) != Some(&b' ') => return None,
        Some(b'#') => return None,
        _ => {}
    }
    let end = trim_spaces_end(bytes, len);
    (end > 0).then(|| rest.get(..end)).flatten()
}

/// A quoted scalar opening at `at`, closed on the same line: its value and the byte after the closing quote.
fn quoted(text: &str, at: usize) -> Option<(Cow<'_, str>, usize)> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(at)?;
    let body = at + 1;
    if quote == b'\'' {
        let mut i = body;
        let mut owned: Option<String> = None;
        loop {
            let rel = text.get(i..)?.find('\'')?;
            let close = i + rel;
            if bytes.get(close + 1) == Some(&b'\'') {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(text.get(i..close)?);
                s.push('\'');
                i = close + 2;
                continue;
            }
            return Some(match owned {
                Some(mut s) => {
                    s.push_str(text.get(i..close)?);
                    (Cow::Owned(s), close + 1)
                }
                None => (Cow::Borrowed(text.get(body..close)?), close + 1),
            });
        }
    }
    let rel = text.get(body..)?.find(['"', '\\'])?;
    let stop = body + rel;
    if bytes.get(stop) == Some(&b'"') {
        return Some((Cow::Borrowed(text.get(body..stop)?), stop + 1));
    }
    // Escapes: the common ones here, the rest by the full parser.
    let mut out = String::from(text.get(body..stop)?);
    let mut i = stop;
    loop {
        match bytes.get(i)? {
            b'"' => return Some((Cow::Owned(out), i + 1)),
            b'\\' => {
                out.push(match bytes.get(i + 1)? {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    _ => return None,
                });
                i += 2;
            }
            _ => {
                let rel = text.get(i..)?.find(['"', '\\'])?;
                out.push_str(text.get(i..i + rel)?);
                i += rel;
            }
        }
    }
}

/// What was pushed on `stack` since it held `base` entries, in a vector of
/// exactly that size: one allocation and one copy.
fn split_top<T>(stack: &mut Vec<T>, base: usize) -> Vec<T> {
    if base >= stack.len() {
        return Vec::new();
    }
    stack.split_off(base)
}

/// Where `bytes[..end]` ends without its trailing spaces (a loop the
/// compiler inlines; `trim_end_matches` is a call).
fn trim_spaces_end(bytes: &[u8], mut end: usize) -> usize {
    while end > 0 && bytes.get(end - 1) == Some(&b' ') {
        end -= 1;
    }
    end
}

fn skip_spaces(text: &str, mut at: usize) -> usize {
    while text.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    at
}

/// Where the full parser ends a quoted scalar or a closing bracket: past the
/// spaces after it, and past a comment that ends the line.
fn after_token(text: &str, at: usize) -> usize {
    let next = skip_spaces(text, at);
    if next > at && text.as_bytes().get(next) == Some(&b'#') {
        text.len()
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    /// Two overlapping loads give the integer a loop over the bytes gives.
    #[test]
    fn a_word_is_its_bytes_little_endian() {
        let bytes = b"abcdefgh";
        for n in 0..=8 {
            let slow = bytes[..n].iter().rev().fold(0u64, |word, &b| (word << 8) | u64::from(b));
            assert_eq!(super::word(&bytes[..n]), slow, "{n} bytes");
        }
    }
}
