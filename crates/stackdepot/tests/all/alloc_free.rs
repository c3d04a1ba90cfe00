//! No-wait saves and all hits never call the global allocator.
//!
//! This module installs a counting `#[global_allocator]` for the whole test
//! binary. It wraps `System` and counts only on a thread that has armed it; the
//! flag and the count are `const`-initialised thread-locals without destructors,
//! so reading them does not allocate. Each test runs the depot calls on a thread
//! of its own (spawning allocates, so the thread arms itself around the calls only).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::thread;
use std::time::{Duration, Instant};

use stackdepot::{Alloc, Config, Handle, SaveError, StackDepot};

use crate::support::distinct_trace;

struct CountingAllocator;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn note_call() {
    // try_with: never panic inside the allocator, even during thread teardown.
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            let _ = CALLS.try_with(|calls| calls.set(calls.get() + 1));
        }
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged,
// so `System`'s guarantees carry over; the counting touches only thread-locals.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_call();
        // SAFETY: forwarded with the caller's (valid, non-zero-size) layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_call();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_call();
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_call();
        // SAFETY: `ptr` came from `System` with `layout`; the caller guarantees `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` armed and returns its result and how many allocator calls this
/// thread made meanwhile.
fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    CALLS.with(|c| c.set(0));
    ARMED.with(|a| a.set(true));
    let result = f();
    ARMED.with(|a| a.set(false));
    (result, CALLS.with(Cell::get))
}

#[test]
fn the_counter_sees_allocations() {
    // The harness must be able to fail: a Vec allocation is counted.
    let (v, calls) = count_allocations(|| std::hint::black_box(vec![1u8; 100]));
    assert!(calls >= 1, "a Vec allocation was not counted");
    drop(v);
}

/// Pre-built traces and a results buffer, so nothing the test itself does while
/// armed allocates.
struct Work {
    new_traces: Vec<Vec<usize>>,
    old_traces: Vec<(Vec<usize>, Handle)>,
    results: Vec<Result<Handle, SaveError>>,
}

fn prepare(depot: &StackDepot, new: usize, old: usize) -> Work {
    let max = depot.config().max_frames;
    let old_traces = (0..old as u64)
        .map(|id| {
            let t = distinct_trace(id, 1 + id as usize % max);
            let h = depot.save(&t).expect("MayAlloc save");
            (t, h)
        })
        .collect();
    let new_traces = (0..new as u64)
        .map(|id| distinct_trace(1_000_000 + id, 1 + id as usize % max))
        .collect();
    Work {
        new_traces,
        old_traces,
        results: Vec::with_capacity(2 * new + 2 * old + 16),
    }
}

/// The armed section: no-wait saves of new traces, no-wait and may-alloc saves
/// of stored ones, fetches, caller-bit operations, a truncated hit and an empty trace.
fn run_armed(depot: &StackDepot, work: &mut Work) -> u64 {
    let Work {
        new_traces,
        old_traces,
        results,
    } = work;
    let max = depot.config().max_frames;
    let ((), calls) = count_allocations(|| {
        for t in new_traces.iter() {
            results.push(depot.save_with(t, Alloc::NoWait));
        }
        for (t, h) in old_traces.iter() {
            results.push(depot.save_with(t, Alloc::NoWait));
            results.push(depot.save_with(t, Alloc::MayAlloc));
            let fetched = depot.fetch(*h);
            assert!(fetched == Some(t.as_slice()));
            let tagged = depot.with_caller_bits(*h, 1);
            assert!(tagged.is_some_and(|g| depot.caller_bits(g) == 1 && depot.fetch(g) == fetched));
            assert!(Handle::from_raw(h.to_raw()) == Some(*h));
        }
        for t in new_traces.iter() {
            // Hits on what the first loop stored (or misses refused again).
            results.push(depot.save_with(t, Alloc::NoWait));
        }
        if let Some((t, h)) = old_traces.iter().find(|(t, _)| t.len() == max) {
            // Truncation is not a copy: a longer trace whose prefix is stored is a hit.
            let mut longer = [0usize; 512];
            longer[..max].copy_from_slice(t);
            let r = depot.save_with(&longer[..max + 3], Alloc::NoWait);
            assert!(r == Ok(*h));
        }
        results.push(depot.save_with(&[], Alloc::NoWait));
    });
    calls
}

/// Runs the armed section on a fresh depot built with `config` and checks it made
/// no allocator call; returns the depot for further checks.
fn assert_alloc_free(config: Config, new: usize, old: usize) -> StackDepot {
    let depot = StackDepot::with_config(config).expect("config");
    let mut work = prepare(&depot, new, old);
    let depot_ref = &depot;
    let (calls, work) = thread::scope(|s| {
        s.spawn(move || {
            let calls = run_armed(depot_ref, &mut work);
            (calls, work)
        })
        .join()
        .expect("armed thread panicked")
    });
    let stored_new = work.results[..new].iter().filter(|r| r.is_ok()).count();
    assert!(
        stored_new >= 1,
        "no no-wait save of a new trace succeeded on a fresh depot: {:?}",
        &work.results[..new.min(4)]
    );
    for r in &work.results {
        assert!(
            matches!(
                r,
                Ok(_) | Err(SaveError::NoReserve | SaveError::Contended | SaveError::Empty)
            ),
            "unexpected result {r:?}"
        );
    }
    assert_eq!(
        calls, 0,
        "the global allocator was called {calls} times during no-wait saves, hits and fetches \
         ({stored_new} of {new} new traces stored)"
    );
    for (t, r) in work.new_traces.iter().zip(&work.results) {
        if let Ok(h) = r {
            assert_eq!(depot.fetch(*h), Some(t.as_slice()));
        }
    }
    depot
}

#[test]
fn no_wait_saves_and_hits_do_not_allocate_default_config() {
    assert_alloc_free(Config::default(), 40, 40);
}

#[test]
fn no_wait_saves_and_hits_do_not_allocate_tiny_config() {
    // Enough new traces to fill the open slab, the reserve and the index, so the
    // refusal path runs armed too.
    assert_alloc_free(Config::tiny(), 200, 30);
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn no_wait_saves_that_ask_the_populator_do_not_allocate() {
    let tiny = Config::tiny().background_population(true);
    // Enough new traces that no-wait saves fill the small index and the reserve and
    // are refused; a refused or slab-opening no-wait save asks the populator for
    // room (an `Arc` clone, a CAS push, an unpark), armed.
    assert_alloc_free(tiny.clone(), 200, 30);
    // How far the armed saves get above depends on how soon the populator maps
    // the index's next tables. With an index they cannot fill, they certainly open
    // the reserve's slabs and ask for more; the MayAlloc saves before the armed
    // section ask for none (a small depot refills its own reserve) and nothing
    // saves after it, so a slab the populator backs was asked for while armed.
    let depot = assert_alloc_free(tiny.initial_index_slots(1024), 200, 30);
    let deadline = Instant::now() + Duration::from_secs(20);
    while depot.stats().background_slabs == 0 {
        assert!(
            Instant::now() < deadline,
            "the armed no-wait saves never got the populator to back a slab\n{}",
            depot.stats()
        );
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn capture_and_no_wait_capture_and_save_do_not_allocate() {
    let depot = StackDepot::new();
    // No warm-up: `capture` is documented not to allocate, first call included.
    let depot_ref = &depot;
    let (n, first, again, calls) = thread::scope(|s| {
        s.spawn(move || {
            let mut buf = [0usize; 64];
            let ((n, first, again), calls) = count_allocations(|| {
                let n = stackdepot::capture(&mut buf, 0);
                let mut saves = [Err(SaveError::Empty); 2];
                for slot in &mut saves {
                    *slot = depot_ref.capture_and_save(0, Alloc::NoWait);
                }
                (n, saves[0], saves[1])
            });
            (n, first, again, calls)
        })
        .join()
        .expect("armed thread panicked")
    });
    assert!(n > 0);
    let h = first.expect("a fresh default depot has room for a no-wait save");
    assert_eq!(again, Ok(h), "the same call site, so the same trace");
    assert_eq!(
        calls, 0,
        "capture / capture_and_save(NoWait) called the global allocator {calls} times"
    );
}
