//! The vocabulary of lock events: instances, holders, modes, options and traces.

use crate::ClassKey;

/// One lock object as the validator sees it (lockdep's `lockdep_map`). Instances of one class
/// share the class's graph node; the `id` tells instances apart in the held-lock stack.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockInstance {
    /// The class this lock belongs to.
    pub class: ClassKey,
    /// This instance's identity (for example its address), unique among live locks of the class.
    pub id: u64,
}

/// Who holds locks: an OS thread, a replayed log thread, a task. Each key has its own
/// held-lock stack.
pub type ThreadKey = u64;

/// How a lock is acquired: lockdep's three kinds of locker.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// W: exclusive (a mutex, a write lock). lockdep `read == 0`.
    Write,
    /// r: a non-recursive read (it queues behind a waiting writer). lockdep `read == 1`.
    Read,
    /// R: a recursive read (it waits only for a writer that holds the lock). lockdep `read == 2`.
    ReadRecursive,
}

impl Mode {
    /// lockdep's `held_lock.read` value: 0, 1 or 2.
    pub fn read_value(self) -> u8 {
        match self {
            Mode::Write => 0,
            Mode::Read => 1,
            Mode::ReadRecursive => 2,
        }
    }

    /// Whether this is one of the two read modes.
    pub fn is_read(self) -> bool {
        self != Mode::Write
    }
}

/// lockdep's `MAX_LOCKDEP_SUBCLASSES`: subclasses `0..8` are valid.
pub const MAX_SUBCLASSES: u8 = 8;

/// Options of one acquisition.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct AcquireOpts {
    /// A successful try acquisition: pushed on the held stack, never validated itself.
    pub trylock: bool,
    /// Nesting subclass `0..8` (`MAX_SUBCLASSES`): subclass N of a class is a distinct class,
    /// printed `name/N`. A value `>= 8` is reported (finding `InvalidSubclass`) and treated as 0.
    pub subclass: u8,
    /// lockdep's `nest_lock`: the outer lock that serialises acquisitions of several locks of
    /// this lock's class.
    pub nest: Option<LockInstance>,
}

/// Where the stack trace of an event comes from. Traces are saved into the store only when
/// needed (new dependency, class first use, report), so `Capture` costs nothing on a
/// cached-chain acquisition.
#[derive(Copy, Clone, Debug)]
pub enum Trace<'a> {
    /// Frames the caller already has (innermost first), e.g. from a log being replayed.
    Frames(&'a [usize]),
    /// Capture the calling thread's stack with `stackdepot::capture`, only when a trace must be
    /// saved.
    Capture,
    /// No trace: reports print `<no trace>` for this event.
    None,
}
