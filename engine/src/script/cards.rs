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
    let mut rest = content.to_string();
    while let (Some(start), Some(end)) = (rest.find("<!--"), rest.find("-->")) {
        if end < start {
            break;
        }
        rest.replace_range(start..end + 3, "");
    }
    rest.replace("[More Information Needed]", "").replace("{{", "").trim().is_empty()
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
}
