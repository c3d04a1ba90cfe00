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
//! `pthread_atfork` handlers keep the populator from holding the region's mutex
//! across a fork and make requests no-ops in the child, whose savers populate for
//! themselves, as they do whenever the populator falls behind (see `fork` below).

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
    POPULATOR.get_or_init(|| {
        let thread = std::thread::Builder::new()
            .name("stackdepot-populator".into())
            .stack_size(64 * 1024)
            .spawn(run)
            .ok()
            .map(|handle| handle.thread().clone());
        if thread.is_some() {
            fork::register();
        }
        thread
    });
    running()
}

/// Whether the populator serves requests: started, and this is not a child
/// forked since (the thread does not exist there). Two loads.
#[inline]
pub(crate) fn running() -> bool {
    matches!(POPULATOR.get(), Some(Some(_))) && !fork::in_child()
}

/// Asks the populator to have `slabs` slabs of `growth`'s region populated. Lock-
/// and allocation-free; does nothing if the populator is not running or the
/// growth is already queued (the populator will read the raised target).
#[inline]
pub(crate) fn request(growth: &Arc<Growth>, slabs: usize) {
    let Some(Some(thread)) = POPULATOR.get() else {
        return;
    };
    if fork::in_child() {
        // Nobody would ever take the growth off the list: its region would leak.
        return;
    }
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
    placement::note_requester();
    thread.unpark();
}

/// The populator's loop: take every queued growth, serve it, sleep when idle.
fn run() {
    let allowed = placement::allowed();
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
        placement::avoid_requester(&allowed);
        while !node.is_null() {
            // SAFETY: every pointer on the list came from `Arc::into_raw` in
            // `request`, and taking the list gave us each exactly once.
            let growth = unsafe { Arc::from_raw(node) };
            node = growth.next.load(Ordering::Relaxed);
            growth.serve();
        }
    }
}

/// Forking while the populator runs.
///
/// A child has only the thread that called `fork`: no populator. Two things must
/// hold there. Nothing the populator held may stay locked — it takes the region's
/// population mutex for each piece, and a child inheriting it locked would have its
/// savers wait for ever — so a `pthread_atfork` prepare handler waits until the
/// populator is between pieces and holds it there until the fork is done (at most
/// one piece, about a millisecond). And the child must not queue requests nobody
/// takes (each would keep its depot's region alive after the depot is dropped),
/// so the child handler marks the process as a child: `running()` is then false,
/// requests are dropped, and depots populate on the saving thread.
mod fork {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Forks in progress (prepare handler run, parent/child handler not yet).
    static FORKING: AtomicUsize = AtomicUsize::new(0);
    /// The populator is populating a piece.
    static IN_PIECE: AtomicBool = AtomicBool::new(false);
    /// This process is a child forked after the populator started.
    static CHILD: AtomicBool = AtomicBool::new(false);

    #[inline]
    pub(super) fn in_child() -> bool {
        CHILD.load(Ordering::Relaxed)
    }

    /// Runs `piece` (on the populator) unless a fork is in progress, in which case
    /// it first waits for the fork to finish. SeqCst on both sides: the populator
    /// announces itself and then checks for a fork, the forking thread announces
    /// the fork and then checks for a piece, so at least one sees the other.
    pub(crate) fn piece<R>(piece: impl FnOnce() -> R) -> R {
        loop {
            while FORKING.load(Ordering::SeqCst) != 0 {
                std::thread::yield_now();
            }
            IN_PIECE.store(true, Ordering::SeqCst);
            if FORKING.load(Ordering::SeqCst) == 0 {
                break;
            }
            IN_PIECE.store(false, Ordering::SeqCst);
        }
        let result = piece();
        IN_PIECE.store(false, Ordering::SeqCst);
        result
    }

    #[cfg(target_os = "linux")]
    extern "C" fn prepare() {
        FORKING.fetch_add(1, Ordering::SeqCst);
        while IN_PIECE.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }

    #[cfg(target_os = "linux")]
    extern "C" fn parent() {
        FORKING.fetch_sub(1, Ordering::SeqCst);
    }

    #[cfg(target_os = "linux")]
    extern "C" fn child() {
        CHILD.store(true, Ordering::SeqCst);
        FORKING.store(0, Ordering::SeqCst);
    }

    /// Installs the handlers, once, when the populator has started.
    pub(super) fn register() {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the handlers are `extern "C"` functions without arguments that
            // only touch atomics (and yield), which is all a fork handler may do.
            let _ = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        }
    }
}

pub(crate) use fork::piece;

/// Keeping the populator off the CPU of the saver that woke it.
///
/// Waking a thread makes the scheduler place it on the waker's CPU when it can
/// (wake affinity). The populator then took turns with the saver on one core
/// while another sat idle, until the load balancer moved one of them: seen while
/// developing it, with `depot-report`'s insert measurement on a 2-core VM (and
/// thread rusage counters), a 200 000-trace fill was preempted by its own
/// populator up to 26 times and ran at 130–180 ns per insert instead of 90–105. So each request notes
/// the requester's CPU, and the populator, when it wakes there, sets its affinity
/// to the CPUs it started with but that one, which moves it at once. Linux only;
/// elsewhere, and with a single CPU to run on, nothing happens. `sched_getcpu` is
/// a vDSO read, no system call; the affinity call is the populator's, never a
/// saver's.
#[cfg(target_os = "linux")]
mod placement {
    use std::sync::atomic::{AtomicI32, Ordering};

    /// The CPU the last requester ran on (-1: unknown).
    static REQUESTER_CPU: AtomicI32 = AtomicI32::new(-1);

    /// The CPUs the populator may use: its affinity when it started (inherited
    /// from the thread that built the first depot).
    pub(super) struct Allowed(Option<libc::cpu_set_t>);

    /// Reads the calling thread's affinity; on the populator, at its start.
    pub(super) fn allowed() -> Allowed {
        // SAFETY: `cpu_set_t` is a plain bit array for which all zeroes is the
        // empty set.
        let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
        // SAFETY: pid 0 is the calling thread; the kernel writes at most the size
        // we pass into `set`, which is that large.
        let ok = unsafe { libc::sched_getaffinity(0, core::mem::size_of_val(&set), &mut set) };
        Allowed((ok == 0).then_some(set))
    }

    /// Called by a saver, before it wakes the populator. Lock- and allocation-free.
    #[inline]
    pub(super) fn note_requester() {
        // SAFETY: `sched_getcpu` takes no arguments and only reads the CPU number.
        let cpu = unsafe { libc::sched_getcpu() };
        REQUESTER_CPU.store(cpu, Ordering::Relaxed);
    }

    /// Called by the populator when it wakes with work: if it runs on the last
    /// requester's CPU, it takes every allowed CPU but that one (a hint: the
    /// requester may have moved since; the next wake corrects it).
    pub(super) fn avoid_requester(allowed: &Allowed) {
        let Allowed(Some(allowed)) = allowed else {
            return;
        };
        let requester = REQUESTER_CPU.load(Ordering::Relaxed);
        // SAFETY: as in `note_requester`.
        let here = unsafe { libc::sched_getcpu() };
        if requester < 0 || here != requester {
            return;
        }
        let cpu = requester as usize;
        let mut others = *allowed;
        // SAFETY: CPU_ISSET, CPU_COUNT and CPU_CLR only index the set's bit array,
        // at `cpu` below CPU_SETSIZE (checked first); `sched_setaffinity` reads
        // `size_of_val(&others)` bytes of `others` for the calling thread (pid 0).
        unsafe {
            if cpu >= libc::CPU_SETSIZE as usize
                || !libc::CPU_ISSET(cpu, &others)
                || libc::CPU_COUNT(&others) < 2
            {
                return;
            }
            libc::CPU_CLR(cpu, &mut others);
            // A failure leaves the affinity as it was.
            let _ = libc::sched_setaffinity(0, core::mem::size_of_val(&others), &others);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod placement {
    pub(super) struct Allowed;
    pub(super) fn allowed() -> Allowed {
        Allowed
    }
    #[inline]
    pub(super) fn note_requester() {}
    pub(super) fn avoid_requester(_: &Allowed) {}
}

#[cfg(all(test, target_os = "linux", not(miri), not(loom)))]
mod tests {
    use super::placement;

    fn affinity() -> libc::cpu_set_t {
        // SAFETY: a zeroed `cpu_set_t` is the empty set; pid 0 is this thread and the
        // kernel writes at most the size we pass.
        unsafe {
            let mut set: libc::cpu_set_t = core::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, core::mem::size_of_val(&set), &mut set),
                0
            );
            set
        }
    }

    fn set_affinity(set: &libc::cpu_set_t) {
        // SAFETY: pid 0 is this thread; the kernel reads the size we pass.
        let r = unsafe { libc::sched_setaffinity(0, core::mem::size_of_val(set), set) };
        assert_eq!(r, 0);
    }

    /// A thread that wakes on the requester's CPU leaves it: its affinity becomes
    /// what it started with, less that CPU (when it had another to go to).
    #[test]
    fn the_populator_leaves_the_requesters_cpu() {
        std::thread::spawn(|| {
            // What the "populator" may use: this thread's affinity at its start.
            let allowed = placement::allowed();
            let start = affinity();
            // SAFETY: reads the set's bit count only.
            let cpus = unsafe { libc::CPU_COUNT(&start) };
            // SAFETY: no arguments.
            let here = unsafe { libc::sched_getcpu() } as usize;
            // Pin to `here`, so the "requester" (this thread) and the "populator"
            // (this thread again) are certainly on the same CPU.
            // SAFETY: a zeroed set is empty; CPU_SET indexes its bit array at
            // `here`, a CPU number from sched_getcpu.
            let pinned = unsafe {
                let mut set: libc::cpu_set_t = core::mem::zeroed();
                libc::CPU_SET(here, &mut set);
                set
            };
            set_affinity(&pinned);
            placement::note_requester();
            placement::avoid_requester(&allowed);
            let after = affinity();
            // SAFETY: CPU_ISSET/CPU_COUNT index the sets' bit arrays at CPU numbers
            // below CPU_SETSIZE.
            unsafe {
                if cpus >= 2 {
                    assert!(
                        !libc::CPU_ISSET(here, &after),
                        "still allowed on the requester's CPU"
                    );
                    assert_eq!(libc::CPU_COUNT(&after), cpus - 1, "lost more than that CPU");
                    for cpu in (0..libc::CPU_SETSIZE as usize).filter(|&c| c != here) {
                        assert_eq!(libc::CPU_ISSET(cpu, &after), libc::CPU_ISSET(cpu, &start));
                    }
                } else {
                    assert_eq!(libc::CPU_COUNT(&after), 1, "one CPU: nothing to avoid");
                }
            }
        })
        .join()
        .expect("the placement thread panicked");
    }
}
