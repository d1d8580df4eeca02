//! Source positions: 1-based lines and columns, columns counting characters.

use serde::{Deserialize, Serialize};

/// A point in a source file. Lines and columns start at 1; columns count
/// Unicode scalar values, as editors do (SARIF output says so with `columnKind`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub col: u32,
}

/// A half-open region of a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Region {
    pub start: Position,
    pub end: Position,
}

impl Position {
    pub fn new(line: u32, col: u32) -> Self {
        Position { line, col }
    }
}

impl Region {
    pub fn new(start: Position, end: Position) -> Self {
        Region { start, end }
    }
}
