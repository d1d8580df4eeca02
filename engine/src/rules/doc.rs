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
    /// Reads the leading `//!` lines; `//! # Heading` starts a section.
    pub fn parse(text: &str) -> Self {
        let mut sections: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix("//!") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            if let Some(heading) = rest.strip_prefix("# ") {
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
