//! The current thread as the validator sees it: a [`ThreadKey`] and an exit report.

use core::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{ThreadKey, Trace, Validator};

/// The next thread key to hand out; 0 means "not assigned yet" in [`THREAD_KEY`].
static NEXT_THREAD_KEY: AtomicU64 = AtomicU64::new(1);

thread_local! {
    // No destructor, so it stays readable while other thread-locals are being destroyed
    // (a lock released from another thread-local's destructor still has a key).
    static THREAD_KEY: Cell<ThreadKey> = const { Cell::new(0) };

    // The validator of the previous lock event, to skip the exit reporter on the hot path.
    // Apart from `EXIT_REPORTER` because it needs no destructor, hence no liveness check.
    static LAST_VALIDATOR: Cell<Option<&'static Validator>> = const { Cell::new(None) };

    static EXIT_REPORTER: ExitReporter = const {
        ExitReporter { validators: RefCell::new(Vec::new()) }
    };
}

/// The key of the calling thread: assigned from a process-wide counter on the thread's first
/// lock event and never reused, so the validator never mistakes a new thread for an old one.
#[inline]
pub fn current_thread_key() -> ThreadKey {
    THREAD_KEY.with(|key| {
        let current = key.get();
        if current != 0 {
            return current;
        }
        let assigned = NEXT_THREAD_KEY.fetch_add(1, Ordering::Relaxed);
        key.set(assigned);
        assigned
    })
}

/// The calling thread's key, after making sure `validator` hears about this thread's exit.
/// The hot path is one thread-local pointer comparison.
#[inline]
pub(crate) fn thread_key_for(validator: &'static Validator) -> ThreadKey {
    let key = current_thread_key();
    let last = LAST_VALIDATOR.with(Cell::get);
    if !last.is_some_and(|last| core::ptr::eq(last, validator)) {
        note_validator(validator, key);
    }
    key
}

#[cold]
fn note_validator(validator: &'static Validator, key: ThreadKey) {
    LAST_VALIDATOR.with(|last| last.set(Some(validator)));
    // Fails only while this thread's thread-locals are being destroyed; the exit report has
    // then been made already (or is being made), and the event itself is still reported.
    let _ = EXIT_REPORTER.try_with(|reporter| reporter.note(validator, key));
}

/// Remembers every validator this thread reported to, and reports the thread's exit to each
/// of them from the thread-local destructor (lockdep's `debug_check_no_locks_held` at exit).
///
/// The main thread's thread-locals are not destroyed when the process exits, so locks the main
/// thread still holds at exit are not reported.
struct ExitReporter {
    validators: RefCell<Vec<&'static Validator>>,
}

impl ExitReporter {
    fn note(&self, validator: &'static Validator, key: ThreadKey) {
        let Ok(mut validators) = self.validators.try_borrow_mut() else {
            return;
        };
        if validators
            .iter()
            .any(|known| core::ptr::eq(*known, validator))
        {
            return;
        }
        validators.push(validator);
        drop(validators);
        if let Some(name) = std::thread::current().name() {
            validator.set_thread_name(key, name);
        }
    }
}

impl Drop for ExitReporter {
    fn drop(&mut self) {
        let key = current_thread_key();
        for validator in self.validators.get_mut().drain(..) {
            // A panic escaping a thread-local destructor aborts the process. A panicking sink
            // (`Sink::Panic`) has already recorded the finding and printed its message through
            // the panic hook, so the unwind is stopped here rather than turned into an abort.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                validator.thread_exit(key, Trace::Capture)
            }));
        }
    }
}
