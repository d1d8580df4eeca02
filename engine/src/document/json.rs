//! JSON that YAML parsers reject: a character outside the Basic Multilingual
//! Plane escaped as a UTF-16 surrogate pair (`"\uD83E\uDD17"`) is valid JSON
//! but not valid YAML. Such pairs are rewritten to YAML's `\UXXXXXXXX` before
//! parsing, and positions are mapped back so they stay those of the file.

use super::position::Position;
use super::value::{Node, Value};

/// Where the rewritten text is shorter than the file: on `line`, columns from
/// `col` on (in the rewritten text) sit `shift` characters further right in
/// the file. In text order, and a line's shifts only grow along it.
#[derive(Debug, Default)]
pub struct Shifts(Vec<(u32, u32, u32)>);

fn hex4(chars: &[char]) -> Option<u32> {
    let s: String = chars.iter().collect();
    if s.len() == 4 {
        u32::from_str_radix(&s, 16).ok()
    } else {
        None
    }
}

/// The text with every surrogate-pair escape rewritten, or `None` when it has none.
pub fn rewrite_surrogates(text: &str) -> Option<(String, Shifts)> {
    if !text.contains("\\uD") && !text.contains("\\ud") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut shifts = Vec::new();
    for (line_index, line) in text.split_inclusive('\n').enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let mut col = 1u32; // column in the rewritten line
        let mut shift = 0u32;
        while let Some(&c) = chars.get(i) {
            // An escaped backslash is not the start of an escape.
            if c == '\\' && chars.get(i + 1) == Some(&'\\') {
                out.push_str("\\\\");
                i += 2;
                col += 2;
                continue;
            }
            let high = (c == '\\' && chars.get(i + 1) == Some(&'u')).then(|| chars.get(i + 2..i + 6).and_then(hex4)).flatten();
            let low = (chars.get(i + 6) == Some(&'\\') && chars.get(i + 7) == Some(&'u'))
                .then(|| chars.get(i + 8..i + 12).and_then(hex4))
                .flatten();
            if let (Some(h @ 0xD800..=0xDBFF), Some(l @ 0xDC00..=0xDFFF)) = (high, low) {
                let code = 0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00);
                out.push_str(&format!("\\U{code:08X}"));
                i += 12;
                col += 10;
                shift += 2;
                shifts.push((line_index as u32 + 1, col, shift));
                continue;
            }
            out.push(c);
            i += 1;
            col += 1;
        }
    }
    Some((out, Shifts(shifts)))
}

impl Shifts {
    /// The position in the file of a position in the rewritten text.
    pub fn original(&self, p: Position) -> Position {
        // The last shift at or before `p`, if on its line: found by bisection,
        // as every node asks (a scan of all shifts for each node made a file
        // of many escaped pairs quadratic: 1.6 s for 30,000 of them).
        let before = self.0.partition_point(|&(line, col, _)| (line, col) <= (p.line, p.col));
        let shift = before.checked_sub(1).and_then(|i| self.0.get(i)).filter(|(line, _, _)| *line == p.line).map_or(0, |(_, _, s)| *s);
        Position::new(p.line, p.col + shift)
    }

    /// Maps every region of a parsed tree back to the file.
    pub fn restore(&self, node: &mut Node) {
        node.region.start = self.original(node.region.start);
        node.region.end = self.original(node.region.end);
        match &mut node.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| self.restore(n)),
            Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| self.restore(n)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::path;
    use crate::document::yaml::{parse_stream, Limits};

    #[test]
    fn surrogate_pairs_parse_and_keep_positions() {
        let text = "{\n  \"d\": \"hug \\uD83E\\uDD17 face\", \"n\": 1,\n  \"e\": \"\\\\uD83E\"\n}\n";
        let (rewritten, shifts) = rewrite_surrogates(text).unwrap();
        let (mut docs, errors) = parse_stream(&rewritten, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let root = &mut docs[0].root;
        shifts.restore(root);
        let at = |p: &str| root.get(&path::parse(p).unwrap()).unwrap().clone();
        assert_eq!(at("d").value, Value::Str("hug \u{1F917} face".into()));
        assert_eq!(at("n").region.start, Position::new(2, 33), "columns after the pair are those of the file");
        assert_eq!(at("e").value, Value::Str("\\uD83E".into()), "an escaped backslash starts no escape");
        assert!(rewrite_surrogates("{\"a\": 1}").is_none());
    }
}
