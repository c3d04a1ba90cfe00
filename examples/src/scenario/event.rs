//! The lock events the scenario emits, in the vocabulary of `lockdep_graph`'s event API.

use std::sync::Arc;

use lockdep_graph::{AcquireOpts, LockInstance, Mode, ThreadKey, Trace, Validator};

/// One lock event of the simulated session.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Position in the stream (0-based).
    pub index: u64,
    /// The thread it happens on.
    pub thread: ThreadKey,
    /// Simulated wall-clock time since boot, in hours.
    pub hour: f32,
    /// What happens.
    pub kind: EventKind,
}

/// What a lock event does.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// The thread takes `lock`; `frames` is the stack trace of the acquisition site,
    /// innermost frame (`lock_acquire`) first.
    Acquire {
        /// The lock object.
        lock: LockInstance,
        /// Exclusive or shared.
        mode: Mode,
        /// Trylock, subclass, nest lock.
        opts: AcquireOpts,
        /// The stack trace; shared by every execution of the same site.
        frames: Arc<[usize]>,
    },
    /// The thread releases `lock`.
    Release {
        /// The lock object.
        lock: LockInstance,
    },
}

impl Event {
    /// Feeds this event to `validator` (the acquisition's trace as [`Trace::Frames`]).
    pub fn apply(&self, validator: &Validator) {
        match &self.kind {
            EventKind::Acquire {
                lock,
                mode,
                opts,
                frames,
            } => validator.acquire(self.thread, *lock, *mode, *opts, Trace::Frames(frames)),
            EventKind::Release { lock } => validator.release(self.thread, *lock, Trace::None),
        }
    }

    /// The acquisition's frames, or `None` for a release.
    pub fn frames(&self) -> Option<&[usize]> {
        match &self.kind {
            EventKind::Acquire { frames, .. } => Some(frames),
            EventKind::Release { .. } => None,
        }
    }
}
