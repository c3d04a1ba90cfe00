//! `fetch` returns exactly the saved frames, zero-copy: the same slice (same
//! address) on every call, valid and unchanged for the depot's lifetime, however
//! many saves come later.

use stackdepot::{Handle, StackDepot};

use crate::support::{Rng, distinct_trace, tiny_depot};

#[test]
fn fetch_returns_exactly_the_saved_frames() {
    let depot = StackDepot::new();
    let max = depot.config().max_frames;
    let mut rng = Rng::new(1);
    let mut saved = Vec::new();
    for id in 0..500 {
        let len = 1 + rng.below(max);
        let trace: Vec<usize> = (0..len).map(|_| rng.next_u64() as usize).collect();
        let _ = id;
        saved.push((depot.save(&trace).expect("save"), trace));
    }
    for (handle, trace) in &saved {
        let got = depot
            .fetch(*handle)
            .expect("a handle returned by save must fetch");
        assert_eq!(got.len(), trace.len());
        assert_eq!(got, trace.as_slice());
    }
}

#[test]
fn slices_keep_their_address_and_contents_across_slab_growth() {
    let depot = tiny_depot();
    let max = depot.config().max_frames;
    // Hold slices borrowed from the depot while thousands of later saves map new
    // slabs and grow the index: the borrow checker allows it (both take &self),
    // so the depot must keep every record where it is.
    let mut held: Vec<(Handle, Vec<usize>, &[usize])> = Vec::new();
    for id in 0..64u64 {
        let trace = distinct_trace(id, 1 + (id as usize % max));
        let handle = depot.save(&trace).expect("save");
        let slice = depot.fetch(handle).expect("fetch after save");
        held.push((handle, trace, slice));
    }
    let slabs_before = depot.stats().slabs;
    for id in 64..5_000u64 {
        let trace = distinct_trace(id, 1 + (id as usize % max));
        depot.save(&trace).expect("save");
        if id % 997 == 0 {
            for (handle, trace, slice) in &held {
                assert_eq!(*slice, trace.as_slice(), "held slice of {handle:?} changed");
            }
        }
    }
    let slabs_after = depot.stats().slabs;
    assert!(
        slabs_after > slabs_before,
        "5000 saves on a tiny config must map new slabs ({slabs_before} -> {slabs_after})"
    );
    for (handle, trace, slice) in &held {
        assert_eq!(*slice, trace.as_slice(), "held slice of {handle:?} changed");
        let again = depot.fetch(*handle).expect("fetch");
        assert_eq!(
            again.as_ptr(),
            slice.as_ptr(),
            "fetch of {handle:?} moved from {:p} to {:p}",
            slice.as_ptr(),
            again.as_ptr()
        );
        assert_eq!(again.len(), slice.len());
    }
}

#[test]
fn repeated_fetches_and_resaves_return_the_same_slice() {
    let depot = tiny_depot();
    let trace = [0xaaaa_usize, 0xbbbb, 0xcccc];
    let handle = depot.save(&trace).expect("save");
    let first = depot.fetch(handle).expect("fetch").as_ptr();
    for _ in 0..100 {
        assert_eq!(depot.save(&trace), Ok(handle));
        assert_eq!(depot.fetch(handle).expect("fetch").as_ptr(), first);
    }
}

#[test]
fn depot_and_handles_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StackDepot>();
    assert_send_sync::<Handle>();
    assert_eq!(size_of::<Option<Handle>>(), 4);
}
