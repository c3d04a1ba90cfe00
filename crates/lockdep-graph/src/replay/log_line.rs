//! The vocabulary of a lock-event log: operations, lock names and parsed lines.

use xxhash_rust::xxh3::xxh3_64;

use crate::{ClassKey, LockInstance, Mode};

/// The operation of one log line.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `lock`: an exclusive (W) acquisition.
    Lock,
    /// `read`: a non-recursive read (r) acquisition.
    Read,
    /// `read_recursive`: a recursive read (R) acquisition.
    ReadRecursive,
    /// `trylock`: a successful exclusive try acquisition.
    TryLock,
    /// `tryread`: a successful non-recursive read try acquisition.
    TryRead,
    /// `tryread_recursive`: a successful recursive read try acquisition.
    TryReadRecursive,
    /// `unlock`: a release.
    Unlock,
    /// `init`: the lock is (re)initialised.
    Init,
    /// `exit`: the thread ends.
    Exit,
}

impl Op {
    /// Every operation, in the order the log format lists them.
    pub const ALL: [Op; 9] = [
        Op::Lock,
        Op::Read,
        Op::ReadRecursive,
        Op::TryLock,
        Op::TryRead,
        Op::TryReadRecursive,
        Op::Unlock,
        Op::Init,
        Op::Exit,
    ];

    /// The operation a log token names, if any.
    pub fn from_token(token: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == token)
    }

    /// The token that names this operation in a log.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lock => "lock",
            Op::Read => "read",
            Op::ReadRecursive => "read_recursive",
            Op::TryLock => "trylock",
            Op::TryRead => "tryread",
            Op::TryReadRecursive => "tryread_recursive",
            Op::Unlock => "unlock",
            Op::Init => "init",
            Op::Exit => "exit",
        }
    }

    /// For an acquisition: its mode and whether it is a (successful) try acquisition.
    pub fn acquisition(self) -> Option<(Mode, bool)> {
        match self {
            Op::Lock => Some((Mode::Write, false)),
            Op::Read => Some((Mode::Read, false)),
            Op::ReadRecursive => Some((Mode::ReadRecursive, false)),
            Op::TryLock => Some((Mode::Write, true)),
            Op::TryRead => Some((Mode::Read, true)),
            Op::TryReadRecursive => Some((Mode::ReadRecursive, true)),
            Op::Unlock | Op::Init | Op::Exit => None,
        }
    }

    /// Whether the operation names a lock (every operation but `exit`).
    pub fn takes_lock(self) -> bool {
        self != Op::Exit
    }
}

/// A lock as a log names it: `CLASS` or `CLASS:INSTANCE`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockName {
    /// The class name; instances of one class share the class's graph node.
    pub class: String,
    /// The instance name; `None` is the class's one default instance.
    pub instance: Option<String>,
}

impl LockName {
    /// The class key: [`ClassKey::from_name`] of the class name.
    pub fn class_key(&self) -> ClassKey {
        ClassKey::from_name(&self.class)
    }

    /// The lock instance: the class key plus a stable hash (xxh3) of the lock's full name as
    /// written (`CLASS` for the default instance, `CLASS:INSTANCE` otherwise). Hashing the full
    /// name keeps `X:1` and `Y:1` apart in reports, which print the id as the lock's address.
    pub fn lock_instance(&self) -> LockInstance {
        LockInstance {
            class: self.class_key(),
            id: xxh3_64(self.to_string().as_bytes()),
        }
    }
}

impl std::fmt::Display for LockName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.instance {
            Some(instance) => write!(f, "{}:{}", self.class, instance),
            None => f.write_str(&self.class),
        }
    }
}

/// One event line of a log, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// 1-based line number in its file.
    pub line: usize,
    /// The thread name.
    pub thread: String,
    /// What happened.
    pub op: Op,
    /// The lock (every operation but `exit`).
    pub lock: Option<LockName>,
    /// `sub=N` (acquisitions only).
    pub subclass: Option<u8>,
    /// `nest=<lock>` (acquisitions only).
    pub nest: Option<LockName>,
    /// `at=<hex>,...`: the event's stack, innermost frame first.
    pub frames: Option<Vec<usize>>,
}

/// A parsed log: its name (for messages) and its event lines in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The name used in messages (`file:line: ...`): a path, or `-` for stdin.
    pub name: String,
    /// The event lines; comments and blank lines are not kept.
    pub lines: Vec<LogLine>,
}
