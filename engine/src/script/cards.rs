//! The Markdown body of a model card, for rules: the front matter is the
//! document, but intended use and limitations are written as sections below it.

use rhai::{Dynamic, Engine};

use super::api::Doc;

/// The text under the first heading whose title matches `pattern` (case
/// insensitive), up to the next heading of the same or a higher level; `None`
/// when no heading matches. Headings inside code fences do not count.
pub fn section(text: &str, pattern: &regex::Regex) -> Option<String> {
    let body = body(text);
    let mut in_fence = false;
    let mut found: Option<(usize, String)> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let level = if in_fence { 0 } else { trimmed.chars().take_while(|c| *c == '#').count() };
        let is_heading = (1..=6).contains(&level) && trimmed.chars().nth(level).is_some_and(char::is_whitespace);
        match (&mut found, is_heading) {
            (Some((open, _)), true) if level <= *open => break,
            (Some((_, content)), _) => {
                content.push_str(line);
                content.push('\n');
            }
            (None, true) => {
                let title = trimmed.get(level..).unwrap_or_default().trim();
                if pattern.is_match(title) {
                    found = Some((level, String::new()));
                }
            }
            (None, false) => {}
        }
    }
    found.map(|(_, content)| content)
}

/// The text after the front matter (all of it when there is none).
fn body(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.lines().next().map(str::trim_end) != Some("---") {
        return text;
    }
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        offset += line.len();
        if i > 0 && matches!(line.trim_end(), "---" | "...") {
            return text.get(offset..).unwrap_or_default();
        }
    }
    ""
}

/// Whether a section says nothing: blank, HTML comments, or template fillers
/// such as `[More Information Needed]`.
pub fn is_empty_section(content: &str) -> bool {
    without_comments(content).replace("[More Information Needed]", "").replace("{{", "").trim().is_empty()
}

const OPEN: &str = "<!--";
const CLOSE: &str = "-->";

/// `content` without its HTML comments: as many times as the first `-->` does
/// not come before the first `<!--`, the text from that `<!--` to that `-->`
/// is cut, and the text on either side may join into a new marker. In one pass:
/// searching the whole text again after every cut is quadratic in the comments.
fn without_comments(content: &str) -> String {
    // The text is `kept` followed by `rest`. `kept` is what came before a first
    // `<!--`, so no marker lies wholly in it: a search looks at its last bytes only.
    let mut kept = String::with_capacity(content.len());
    let mut rest = content;
    while let (Some(start), Some(end)) = (first(&kept, rest, OPEN), first(&kept, rest, CLOSE)) {
        if end < start {
            break;
        }
        let kept_len = kept.len();
        // The `-->` ends in `rest`, since none lies wholly in `kept`.
        let Some(cut_end) = (end + CLOSE.len()).checked_sub(kept_len) else { break };
        // Both markers are ASCII: `start` and `cut_end` are character boundaries.
        match start.checked_sub(kept_len) {
            Some(before) => kept.push_str(rest.get(..before).unwrap_or_default()),
            None => kept.truncate(start),
        }
        rest = rest.get(cut_end..).unwrap_or_default();
    }
    kept.push_str(rest);
    kept
}

/// Where `marker` first occurs in `kept` followed by `rest`, when none lies wholly in `kept`.
fn first(kept: &str, rest: &str, marker: &str) -> Option<usize> {
    let (kept_bytes, marker_bytes) = (kept.as_bytes(), marker.as_bytes());
    // A marker that starts in the last bytes of `kept` and ends in `rest`.
    let straddling = (kept.len().saturating_sub(marker.len().saturating_sub(1))..kept.len()).find(|&at| {
        marker_bytes
            .split_at_checked(kept.len() - at)
            .is_some_and(|(head, tail)| kept_bytes.get(at..) == Some(head) && rest.as_bytes().starts_with(tail))
    });
    straddling.or_else(|| rest.find(marker).map(|i| kept.len() + i))
}

/// Registers the model-card helpers of the rule API.
pub fn register(engine: &mut Engine) {
    // `doc.section("intended use|uses")`: the Markdown text under that heading, or `()`.
    engine.register_fn("section", |d: &mut Doc, pattern: &str| -> Result<Dynamic, Box<rhai::EvalAltResult>> {
        let re = regex::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("invalid regular expression `{pattern}`: {e}"))?;
        Ok(section(&d.doc.source.text, &re).map_or(Dynamic::UNIT, Dynamic::from))
    });
    engine.register_fn("is_empty_section", |content: &str| is_empty_section(content));
    engine.register_fn("is_empty_section", |_: ()| true);
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "---\nlicense: mit\n---\n# Model\n\n## Uses\n\n### Direct Use\n\nChat.\n\n## Bias, Risks, and Limitations\n\n[More Information Needed]\n\n```\n# not a heading\n```\n## Training\nx\n";

    #[test]
    fn sections_by_heading() {
        let re = |p: &str| regex::RegexBuilder::new(p).case_insensitive(true).build().unwrap();
        assert_eq!(section(CARD, &re("^uses$")).as_deref(), Some("\n### Direct Use\n\nChat.\n\n"));
        let limits = section(CARD, &re("limitation")).unwrap();
        assert!(is_empty_section(&limits.replace("```\n# not a heading\n```", "")));
        assert!(limits.contains("# not a heading"), "headings in code fences do not end a section");
        assert_eq!(section(CARD, &re("license")), None, "front matter is not the body");
        assert!(!is_empty_section("Chat. <!-- note -->"));
        assert!(is_empty_section("<!-- Provide details -->\n[More Information Needed]\n"));
    }

    /// The removal loop this pass replaced, quadratic in the comments: the tests' oracle.
    fn without_comments_by_repeated_search(content: &str) -> String {
        let mut rest = content.to_string();
        while let (Some(start), Some(end)) = (rest.find("<!--"), rest.find("-->")) {
            if end < start {
                break;
            }
            rest.replace_range(start..end + 3, "");
        }
        rest
    }

    #[test]
    fn comments_are_cut_as_by_repeated_search() {
        // Every text of up to ten characters over the markers' characters: long
        // enough for a cut to join a marker that a second cut then removes.
        let alphabet = ['<', '!', '-', '>'];
        let mut texts = vec![String::new()];
        for _ in 0..10 {
            texts = texts.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            for text in &texts {
                assert_eq!(without_comments(text), without_comments_by_repeated_search(text), "{text:?}");
            }
        }
        let many = "<!--x-->\n".repeat(10_000);
        for (text, expected) in [
            (many.as_str(), "\n".repeat(10_000)),
            ("a <!-- b <!-- c --> d --> e", "a  d --> e".to_string()),
            ("a <!-- unclosed", "a <!-- unclosed".to_string()),
            ("--> a <!-- b -->", "--> a <!-- b -->".to_string()),
            ("<!<!--x-->--y-->z", "z".to_string()),
            ("<!-<!--x-->-y-->z", "z".to_string()),
            ("--<!--x-->><!--a-->", "--><!--a-->".to_string()),
            ("a<!--x--->-->b", "a-->b".to_string()),
            ("<!-->é<!--->", "é".to_string()),
            ("é<!-- ü -->ß", "éß".to_string()),
        ] {
            assert_eq!(without_comments(text), expected, "{text:?}");
            assert_eq!(without_comments_by_repeated_search(text), expected, "{text:?}");
        }
        assert!(is_empty_section(&many));
        assert!(!is_empty_section(&format!("{many}Chat.")));
        assert!(is_empty_section("<!<!--x-->-- [More Information Needed] -->"));
        assert!(!is_empty_section("a <!-- b <!-- c --> d --> e"));
    }
}
