//! What every wrapper lock carries for the validator, and the token a guard holds.

use std::sync::atomic::{AtomicU64, Ordering};

use super::class::LockClass;
use super::thread::{current_thread_key, thread_key_for};
use crate::{AcquireOpts, ClassKey, LockInstance, Mode, Trace, Validator};

/// The next lock id to hand out; 0 means "not assigned yet" in [`LockMeta::id`].
static NEXT_LOCK_ID: AtomicU64 = AtomicU64::new(1);

/// The validator-facing half of a wrapper lock: its class, its validator and its instance id.
///
/// The id is assigned on first use rather than taken from the lock's address: a lock may be
/// moved before it is first locked and again whenever no guard borrows it, and an address can
/// be reused by a later lock while the validator still remembers the earlier one.
pub(crate) struct LockMeta {
    class: LockClass,
    /// `None`: [`Validator::global`].
    validator: Option<&'static Validator>,
    /// The cached [`ClassKey`], valid once `id` is non-zero.
    class_key: AtomicU64,
    id: AtomicU64,
}

impl LockMeta {
    pub(crate) const fn new(class: LockClass, validator: Option<&'static Validator>) -> LockMeta {
        LockMeta {
            class,
            validator,
            class_key: AtomicU64::new(0),
            id: AtomicU64::new(0),
        }
    }

    pub(crate) fn class(&self) -> LockClass {
        self.class
    }

    #[inline]
    pub(crate) fn validator(&self) -> &'static Validator {
        match self.validator {
            Some(validator) => validator,
            None => Validator::global(),
        }
    }

    /// This lock as the validator sees it; the first call assigns the id and names the class.
    #[inline]
    pub(crate) fn instance(&self) -> LockInstance {
        let id = self.id.load(Ordering::Acquire);
        if id != 0 {
            // Stored before the id was published (see `first_use`).
            return LockInstance {
                class: ClassKey(self.class_key.load(Ordering::Relaxed)),
                id,
            };
        }
        self.first_use()
    }

    #[cold]
    fn first_use(&self) -> LockInstance {
        let class = self.class.key();
        // Every thread racing here computes the same key, so the duplicate stores agree.
        self.class_key.store(class.0, Ordering::Relaxed);
        // Named before the id is published, so no acquisition can see an unnamed class.
        self.class.register(class, self.validator());
        let fresh = NEXT_LOCK_ID.fetch_add(1, Ordering::Relaxed);
        match self
            .id
            .compare_exchange(0, fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => LockInstance { class, id: fresh },
            Err(winner) => LockInstance { class, id: winner },
        }
    }

    /// Reports an acquisition of this lock by the calling thread, for locks whose guards do
    /// not own a [`Held`] (a reentrant mutex reports only its outermost level).
    #[inline]
    pub(crate) fn report_acquire(&self, mode: Mode, opts: AcquireOpts, trylock: bool) {
        let (validator, lock) = (self.validator(), self.instance());
        let opts = AcquireOpts { trylock, ..opts };
        validator.acquire(thread_key_for(validator), lock, mode, opts, Trace::Capture);
    }

    /// Reports a release of this lock by the calling thread (the pair of
    /// [`report_acquire`](Self::report_acquire)).
    #[inline]
    pub(crate) fn report_release(&self) {
        self.validator()
            .release(current_thread_key(), self.instance(), Trace::Capture);
    }
}

impl Drop for LockMeta {
    fn drop(&mut self) {
        let id = *self.id.get_mut();
        if id == 0 {
            // Never locked: the validator has never heard of it.
            return;
        }
        let lock = LockInstance {
            class: ClassKey(*self.class_key.get_mut()),
            id,
        };
        let validator = self.validator();
        validator.drop_lock(thread_key_for(validator), lock, Trace::Capture);
    }
}

/// One reported acquisition, owned by a guard: dropping it reports the release.
///
/// Guards declare it as their first field so that the release is reported before the real
/// unlock, as lockdep's `lock_release` runs before the raw unlock.
pub(crate) struct Held {
    validator: &'static Validator,
    lock: LockInstance,
    /// The acquisition's options, for re-acquisitions, kept as plain fields rather than an
    /// `AcquireOpts` (whose padding makes every move of a guard copy more pieces).
    nest: Option<LockInstance>,
    mode: Mode,
    subclass: u8,
    trylock: bool,
    /// Whether the validator currently sees the lock held by this token. False between a
    /// temporary release and its re-acquisition, and after a re-acquisition that a panicking
    /// sink stopped (the validator then undoes it): the drop must not report a release then.
    reported: bool,
}

// The stack the validator captures starts at the function that calls `Validator::acquire`, so
// the functions below call it directly, with no helper in between: a trace shows
// `Held::before_blocking` and the wrapper's entry point above the user's code. (Forcing these
// inline would not help: the symboliser names an address after its innermost inlined function,
// which would print the wrapper's name on the user's frame.)
impl Held {
    /// Reports a blocking acquisition. Call it before blocking on the real lock, so that an
    /// inversion is reported even when it is about to deadlock.
    ///
    /// The token exists only once the report has returned: a panicking sink (the validator
    /// undoes the acquisition then) unwinds without a token, hence without a release.
    #[inline]
    pub(crate) fn before_blocking(meta: &LockMeta, mode: Mode, opts: AcquireOpts) -> Held {
        let (validator, lock) = (meta.validator(), meta.instance());
        validator.acquire(thread_key_for(validator), lock, mode, opts, Trace::Capture);
        Held::new(validator, lock, mode, opts)
    }

    /// Reports a successful try acquisition: held, but never a new dependency.
    #[inline]
    pub(crate) fn after_try(meta: &LockMeta, mode: Mode, opts: AcquireOpts) -> Held {
        let (validator, lock) = (meta.validator(), meta.instance());
        let try_opts = AcquireOpts {
            trylock: true,
            ..opts
        };
        validator.acquire(
            thread_key_for(validator),
            lock,
            mode,
            try_opts,
            Trace::Capture,
        );
        Held::new(validator, lock, mode, opts)
    }

    #[inline(always)]
    fn new(
        validator: &'static Validator,
        lock: LockInstance,
        mode: Mode,
        opts: AcquireOpts,
    ) -> Held {
        Held {
            validator,
            lock,
            nest: opts.nest,
            mode,
            subclass: opts.subclass,
            trylock: opts.trylock,
            reported: true,
        }
    }

    /// The options the lock was acquired with.
    #[inline(always)]
    fn opts(&self) -> AcquireOpts {
        AcquireOpts {
            trylock: self.trylock,
            subclass: self.subclass,
            nest: self.nest,
        }
    }

    pub(crate) fn lock(&self) -> LockInstance {
        self.lock
    }

    /// Whether the validator currently sees the lock held by this token.
    pub(crate) fn is_reported(&self) -> bool {
        self.reported
    }

    /// Reports the release without giving up the token (a condition-variable wait, `unlocked`,
    /// a mode change); [`Held::report_reacquire`] follows.
    #[inline]
    pub(crate) fn report_release(&mut self) {
        if core::mem::replace(&mut self.reported, false) {
            self.validator
                .release(current_thread_key(), self.lock, Trace::Capture);
        }
    }

    /// Reports that the lock is being taken again, in the same mode, by a blocking acquisition.
    #[inline]
    pub(crate) fn report_reacquire(&mut self) {
        let opts = self.opts();
        self.validator.acquire(
            thread_key_for(self.validator),
            self.lock,
            self.mode,
            opts,
            Trace::Capture,
        );
        self.reported = true;
    }

    /// Re-reports the held lock in another mode (upgrade, downgrade): a release, then an
    /// acquisition that is blocking or, when the change cannot wait, a try acquisition (which
    /// adds no dependency).
    pub(crate) fn change_mode(&mut self, mode: Mode, may_block: bool) {
        self.report_release();
        self.mode = mode;
        let opts = AcquireOpts {
            trylock: !may_block,
            ..self.opts()
        };
        self.validator.acquire(
            thread_key_for(self.validator),
            self.lock,
            mode,
            opts,
            Trace::Capture,
        );
        self.reported = true;
    }
}

impl Drop for Held {
    #[inline]
    fn drop(&mut self) {
        self.report_release();
    }
}

/// Reports the re-acquisition of a temporarily released lock when dropped: at the end of the
/// closure run by `unlocked`, just before the real lock is taken again, also when the closure
/// unwinds (the lock is re-taken then too).
pub(crate) struct ReacquireOnExit<'a>(pub(crate) &'a mut Held);

impl Drop for ReacquireOnExit<'_> {
    fn drop(&mut self) {
        self.0.report_reacquire();
    }
}
