//! The populator: one background thread per process that backs slabs ahead of the
//! depots' need, so that the OS's page faults happen there and not in a save.
//!
//! ```text
//!  saver (any thread, any Alloc)              populator thread
//!  ─────────────────────────────              ────────────────
//!  opens a slab, finds few ahead
//!  growth.ask(target)  ── queued? ──► no:
//!  push Arc<Growth> on REQUESTS ─────────►  list = REQUESTS.swap(null)
//!  unpark(populator)                        for each growth: serve()
//!                                             (clear queued, read wanted,
//!                                              region.grow → MADV_POPULATE_WRITE)
//!                                           park() when the list is empty
//! ```
//!
//! A request allocates nothing and waits for nothing: an `Arc` clone (a counter),
//! a CAS onto an intrusive list (the `next` field of [`Growth`]) and a futex wake,
//! so no-wait savers may make one too. The list is a Treiber stack with a single
//! consumer that only ever takes the whole list (`swap` to null), which is immune
//! to ABA: a push's CAS succeeds only if the head it linked to is still the head.
//! A growth is on the list at most once (its `queued` flag, see `growth.rs`).
//!
//! The thread is started by the first depot built with
//! [`Config::background_population`](crate::Config::background_population), in
//! `StackDepot::with_config` (which may allocate), never by a save. It is never
//! joined: it sleeps in `park` when idle, holds no lock a saver could need except
//! the region's population mutex while populating (which only `MayAlloc` savers and
//! `refill` take), and keeps a dropped depot's region mapped only until it has
//! skipped that depot's last request. In a forked child the thread does not exist;
//! requests then go unanswered and savers populate for themselves, as they do
//! whenever the populator falls behind.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;

use crate::growth::Growth;

/// Growths waiting to be served, newest first, each an `Arc` turned into a raw
/// pointer by [`request`] and back by the populator.
static REQUESTS: AtomicPtr<Growth> = AtomicPtr::new(core::ptr::null_mut());

/// The populator thread; `None` if it could not be started (then nobody pushes).
static POPULATOR: OnceLock<Option<Thread>> = OnceLock::new();

/// Starts the populator if it is not running; whether it runs. Allocates (a
/// thread); call only where the caller may allocate.
pub(crate) fn start() -> bool {
    if cfg!(any(miri, loom)) {
        // Miri would report the never-joined thread; loom models no depot.
        return false;
    }
    POPULATOR
        .get_or_init(|| {
            std::thread::Builder::new()
                .name("stackdepot-populator".into())
                .stack_size(64 * 1024)
                .spawn(run)
                .ok()
                .map(|handle| handle.thread().clone())
        })
        .is_some()
}

/// Asks the populator to have `slabs` slabs of `growth`'s region populated. Lock-
/// and allocation-free; does nothing if the populator is not running or the
/// growth is already queued (the populator will read the raised target).
#[inline]
pub(crate) fn request(growth: &Arc<Growth>, slabs: usize) {
    let Some(Some(thread)) = POPULATOR.get() else {
        return;
    };
    if !growth.ask(slabs) {
        return;
    }
    let node = Arc::into_raw(Arc::clone(growth)).cast_mut();
    let mut head = REQUESTS.load(Ordering::Relaxed);
    loop {
        // SAFETY: `node` is a live `Arc` allocation we hold a count on; its `next`
        // is only written by the one pusher that set its `queued` flag (us) and read
        // by the populator after taking the list, which this push precedes.
        unsafe { &*node }.next.store(head, Ordering::Relaxed);
        // Release: the populator's Acquire swap sees `next` and the growth.
        match REQUESTS.compare_exchange_weak(head, node, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
    thread.unpark();
}

/// The populator's loop: take every queued growth, serve it, sleep when idle.
fn run() {
    loop {
        // Acquire: pairs with the pushes' Release CAS (a chain of RMWs, so every
        // push before this swap is covered).
        let mut node = REQUESTS.swap(core::ptr::null_mut(), Ordering::Acquire);
        if node.is_null() {
            // A push after the swap unparks us; an unpark before this park makes it
            // return at once, so no request sleeps.
            std::thread::park();
            continue;
        }
        while !node.is_null() {
            // SAFETY: every pointer on the list came from `Arc::into_raw` in
            // `request`, and taking the list gave us each exactly once.
            let growth = unsafe { Arc::from_raw(node) };
            node = growth.next.load(Ordering::Relaxed);
            growth.serve();
        }
    }
}
