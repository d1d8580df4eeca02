//! The JSON format (`annexa.report/v1`, documented in `docs/json-report.md`):
//! one object with the header, every file's documents and outcomes (passes
//! included, so it can serve as evidence), and the summary. Written as
//! results arrive; the bytes are the same whatever the thread count.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{FileResult, Header, Renderer, Summary};

/// A whole report, as the JSON format holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReport {
    #[serde(flatten)]
    pub header: Header,
    pub files: Vec<FileResult>,
    pub summary: Summary,
}

#[derive(Default)]
pub struct JsonRenderer {
    files: usize,
}

fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

impl Renderer for JsonRenderer {
    fn begin(&mut self, header: &Header, out: &mut dyn Write) -> io::Result<()> {
        // The header's fields, then the files array left open.
        let text = serde_json::to_string_pretty(header).map_err(to_io)?;
        let body = text.trim_end().strip_suffix('}').unwrap_or(&text).trim_end();
        write!(out, "{body},\n  \"files\": [")
    }

    fn file(&mut self, file: &FileResult, out: &mut dyn Write) -> io::Result<()> {
        if self.files > 0 {
            out.write_all(b",")?;
        }
        self.files += 1;
        let text = serde_json::to_string_pretty(file).map_err(to_io)?;
        write!(out, "\n    {}", text.replace('\n', "\n    "))
    }

    fn end(&mut self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let text = serde_json::to_string_pretty(summary).map_err(to_io)?;
        let close = if self.files > 0 { "\n  ]" } else { "]" };
        writeln!(out, "{close},\n  \"summary\": {}\n}}", text.replace('\n', "\n  "))
    }
}

impl JsonReport {
    /// Reads a saved report back, for `annexa render`.
    pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(bytes)
    }
}
