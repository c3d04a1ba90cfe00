//! Replay of lock-event logs: the library behind the `lockdep-replay` command.
//!
//! A log is plain text, one event per line:
//!
//! ```text
//! <thread> <op> [<lock>] [sub=N] [nest=<lock>] [at=<hex>,<hex>,...]
//! op   : lock | read | read_recursive | trylock | tryread | tryread_recursive | unlock | init | exit
//! lock : CLASS or CLASS:INSTANCE   (instances of one class share the class's node)
//! at=  : the stack of this event, innermost frame first (without it, a synthetic one-frame trace)
//! ```
//!
//! `#` starts a comment; blank lines are ignored. `lock`, `read` and `read_recursive` are the
//! W, r and R acquisitions; the `try` forms record a *successful* try acquisition of the same
//! mode. `init` re-initialises a lock, `exit` ends the thread. Nothing is implied at the end
//! of a log: a thread that never `exit`s is not checked for held locks.
//!
//! ```
//! use lockdep_graph::replay::{parse_log, Replayer};
//! use lockdep_graph::{FindingKind, StoreKind};
//!
//! let log = parse_log("abba.log", b"T lock A\nT lock B\nT unlock B\nT unlock A\n\
//!                                   T lock B\nT lock A\n").unwrap();
//! let mut run = Replayer::new(StoreKind::Depot);
//! run.replay(&log);
//! // B -> A closes the cycle A -> B -> A: reported at line 6, the acquisition of A.
//! let f = &run.findings()[0];
//! assert_eq!((f.finding.kind, f.line), (FindingKind::CircularDependency, 6));
//! ```

mod json;
mod log_line;
mod parse;
mod parse_error;
mod replayer;

pub use json::to_json;
pub use log_line::{LockName, Log, LogLine, Op};
pub use parse::{MAX_LINE_BYTES, parse_line, parse_log};
pub use parse_error::ParseError;
pub use replayer::{ReplayFinding, Replayer, SYNTHETIC_FRAME_BASE};

use crate::StoreKind;

/// Parses `bytes` as the log `name` and replays it on a fresh validator with the given store.
pub fn replay_bytes(name: &str, bytes: &[u8], store: StoreKind) -> Result<Replayer, ParseError> {
    let log = parse_log(name, bytes)?;
    let mut run = Replayer::new(store);
    run.replay(&log);
    Ok(run)
}
