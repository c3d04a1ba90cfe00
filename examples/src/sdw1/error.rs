//! Everything that can be wrong with an SDW1 file.

use core::fmt;
use std::io;

/// Why an SDW1 file could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum Sdw1Error {
    /// Reading or writing the file failed.
    Io(io::Error),
    /// The file is shorter than the 24-byte header.
    TooShort {
        /// File length in bytes.
        len: usize,
    },
    /// The file does not start with `SDW1`.
    BadMagic {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// A version this reader does not know.
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
    /// The header's counts cannot fit in the file (each trace needs at least 4 bytes and each
    /// event 4 bytes), so the header is forged or the file is cut short.
    CountsExceedFile {
        /// Traces claimed by the header.
        n_traces: u64,
        /// Events claimed by the header.
        n_events: u64,
        /// File length in bytes.
        len: usize,
    },
    /// The file ended inside a record.
    Truncated {
        /// Which record: "trace header", "trace frames" or "events".
        what: &'static str,
        /// Index of the trace (or the first missing event).
        index: u64,
        /// Byte offset where the record starts.
        offset: usize,
    },
    /// A trace with zero frames (a save of nothing is not a trace).
    EmptyTrace {
        /// Index of the trace.
        trace: u64,
    },
    /// A frame does not fit in this machine's `usize`.
    FrameTooLarge {
        /// Index of the trace.
        trace: u64,
        /// The frame value.
        frame: u64,
    },
    /// Two trace records hold the same frames.
    DuplicateTrace {
        /// Index of the later copy.
        trace: u64,
        /// Index of the first copy.
        first: u64,
    },
    /// An event names a trace that does not exist.
    IndexOutOfRange {
        /// Index of the event.
        event: u64,
        /// The trace index it names.
        index: u32,
        /// Number of traces in the file.
        n_traces: u64,
    },
    /// Bytes follow the last event.
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

impl fmt::Display for Sdw1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sdw1Error::Io(e) => write!(f, "SDW1 I/O error: {e}"),
            Sdw1Error::TooShort { len } => write!(
                f,
                "SDW1 file too short: {len} bytes, the header alone is 24"
            ),
            Sdw1Error::BadMagic { found } => {
                write!(f, "not an SDW1 file: magic {found:02x?}, expected \"SDW1\"")
            }
            Sdw1Error::UnsupportedVersion { found } => {
                write!(f, "unsupported SDW1 version {found} (this reader knows 1)")
            }
            Sdw1Error::CountsExceedFile {
                n_traces,
                n_events,
                len,
            } => write!(
                f,
                "SDW1 header claims {n_traces} traces and {n_events} events, which cannot fit in {len} bytes"
            ),
            Sdw1Error::Truncated {
                what,
                index,
                offset,
            } => {
                write!(f, "SDW1 file truncated in {what} #{index} at byte {offset}")
            }
            Sdw1Error::EmptyTrace { trace } => write!(f, "SDW1 trace #{trace} has no frames"),
            Sdw1Error::FrameTooLarge { trace, frame } => {
                write!(
                    f,
                    "SDW1 trace #{trace} has frame {frame:#x}, which does not fit in usize"
                )
            }
            Sdw1Error::DuplicateTrace { trace, first } => {
                write!(
                    f,
                    "SDW1 trace #{trace} duplicates trace #{first} (traces must be distinct)"
                )
            }
            Sdw1Error::IndexOutOfRange {
                event,
                index,
                n_traces,
            } => {
                write!(
                    f,
                    "SDW1 event #{event} names trace {index}, but there are only {n_traces} traces"
                )
            }
            Sdw1Error::TrailingBytes { extra } => {
                write!(f, "SDW1 file has {extra} bytes after the last event")
            }
        }
    }
}

impl std::error::Error for Sdw1Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Sdw1Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Sdw1Error {
    fn from(e: io::Error) -> Self {
        Sdw1Error::Io(e)
    }
}
