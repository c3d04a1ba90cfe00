//! A malformed log line, located by file and line.

use std::fmt;

/// Why a log could not be parsed: the file, the 1-based line and the reason.
/// Displays as `file:line: reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The log's name (a path, or `-` for stdin).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with the line.
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

impl std::error::Error for ParseError {}
