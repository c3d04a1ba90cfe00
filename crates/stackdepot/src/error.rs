//! Why a save failed.

use core::fmt;

/// How much a save may do to find room for a new trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Alloc {
    /// May map new slabs and index tables (outside any depot lock) and refill the
    /// reserve. May block briefly on the depot's short publication lock.
    #[default]
    MayAlloc,
    /// Never maps memory, never calls the global allocator, never waits for a lock
    /// another thread holds: uses space already mapped and the reserve, and fails at
    /// once with [`SaveError::NoReserve`] or [`SaveError::Contended`] otherwise.
    /// For allocator hooks, signal handlers and code holding its own locks.
    NoWait,
}

/// Why [`StackDepot::save_with`](crate::StackDepot::save_with) returned no handle.
///
/// Every failure is also counted in [`Stats`](crate::Stats); none disturbs a
/// trace saved earlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SaveError {
    /// The trace had no frames; there is nothing to name (the kernel returns handle 0).
    Empty,
    /// [`Alloc::NoWait`]: the new trace needs a slab or index table and the reserve is empty.
    NoReserve,
    /// Storing the trace would map more than [`Config::memory_cap`](crate::Config::memory_cap).
    CapReached,
    /// Every slab a handle can address is in use.
    HandleSpaceExhausted,
    /// The OS refused to map memory.
    MapFailed(std::io::ErrorKind),
    /// [`Alloc::NoWait`]: another thread held the publication lock for too long.
    Contended,
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::Empty => f.write_str("empty stack trace"),
            SaveError::NoReserve => {
                f.write_str("no-wait save found no mapped space and an empty reserve")
            }
            SaveError::CapReached => f.write_str("stack depot reached its memory cap"),
            SaveError::HandleSpaceExhausted => f.write_str("stack depot handle space exhausted"),
            SaveError::MapFailed(kind) => write!(f, "mapping a stack depot slab failed: {kind}"),
            SaveError::Contended => f.write_str("no-wait save found the publication lock busy"),
        }
    }
}

impl std::error::Error for SaveError {}
