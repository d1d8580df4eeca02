//! A rule's documentation lives in its file: a header of `//!` lines with
//! fixed sections above the `RULE` map. `annexa rules doc` renders it.

use serde::Serialize;

/// The sections every built-in rule's header has.
pub const SECTIONS: [&str; 4] = ["What it checks", "Why it matters", "How to fix", "Example"];

#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleDoc {
    /// `(heading, body)` in the order written.
    pub sections: Vec<(String, String)>,
}

impl RuleDoc {
    /// Reads the leading `//!` lines; `//! # Heading` starts a section,
    /// except inside a fenced code block, where `#` is a YAML comment.
    /// Plain `//` comments before the header (a licence, a copyright line)
    /// are passed over.
    pub fn parse(text: &str) -> Self {
        let mut sections: Vec<(String, String)> = Vec::new();
        let mut in_code = false;
        let mut started = false;
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix("//!") else {
                if line.trim().is_empty() || (!started && line.trim_start().starts_with("//")) {
                    continue;
                }
                break;
            };
            started = true;
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            if rest.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            if let (false, Some(heading)) = (in_code, rest.strip_prefix("# ")) {
                sections.push((heading.trim().to_string(), String::new()));
            } else if let Some((_, body)) = sections.last_mut() {
                body.push_str(rest);
                body.push('\n');
            }
        }
        for (_, body) in &mut sections {
            *body = body.trim().to_string();
        }
        RuleDoc { sections }
    }

    pub fn section(&self, heading: &str) -> Option<&str> {
        self.sections.iter().find(|(h, _)| h == heading).map(|(_, b)| b.as_str())
    }

    /// Sections a built-in rule must have but this one lacks.
    pub fn missing(&self) -> Vec<&'static str> {
        SECTIONS.into_iter().filter(|s| self.section(s).is_none_or(str::is_empty)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_in_a_code_block_is_not_a_heading() {
        let doc = RuleDoc::parse(
            "//! # Example\n//! Fails:\n//! ```yaml\n//! # the AISystem\n//! a: 1\n//! ```\n//! # How to fix\n//! x\nconst RULE = 1;\n",
        );
        assert_eq!(doc.sections.len(), 2);
        assert_eq!(doc.section("Example"), Some("Fails:\n```yaml\n# the AISystem\na: 1\n```"));
        assert_eq!(doc.section("How to fix"), Some("x"));
    }

    #[test]
    fn a_licence_comment_above_the_header_is_passed_over() {
        let doc = RuleDoc::parse(
            "// Copyright 2026 ACME
// SPDX-License-Identifier: Apache-2.0

//! # What it checks
//! x
// not the header
//! # Why it matters
//! y
",
        );
        assert_eq!(doc.sections, [("What it checks".to_string(), "x".to_string())]);
    }
}
