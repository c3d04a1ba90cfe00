//! Trace-length edges: empty traces, one frame, exactly `max_frames`, longer ones
//! (truncated to the innermost `max_frames`), the largest `max_frames` a slab
//! holds, unusual frame values, and running out of addressable slabs.

use stackdepot::{Alloc, Config, ConfigError, SaveError, StackDepot};

use crate::support::{SavedTraces, distinct_trace, tiny_depot};

#[test]
fn empty_trace_is_an_error_and_counted() {
    let depot = tiny_depot();
    assert_eq!(depot.save(&[]), Err(SaveError::Empty));
    assert_eq!(depot.save_with(&[], Alloc::MayAlloc), Err(SaveError::Empty));
    assert_eq!(depot.save_with(&[], Alloc::NoWait), Err(SaveError::Empty));
    let stats = depot.stats();
    assert_eq!(stats.empty, 3, "{stats}");
    assert_eq!(stats.saves, 3, "{stats}");
    assert_eq!(stats.traces, 0, "{stats}");
    assert_eq!(stats.frames, 0, "{stats}");
    assert_eq!(stats.dedup_hits, 0, "{stats}");
    assert_eq!(stats.failures(), 3, "{stats}");
}

#[test]
fn one_frame_and_exactly_max_frames_are_stored_whole() {
    let depot = tiny_depot();
    let max = depot.config().max_frames;
    let one = [0x4242usize];
    let full = distinct_trace(1, max);
    let h1 = depot.save(&one).expect("one frame");
    let hmax = depot.save(&full).expect("max_frames frames");
    assert_ne!(h1, hmax);
    assert_eq!(depot.fetch(h1), Some(&one[..]));
    assert_eq!(depot.fetch(hmax), Some(full.as_slice()));
    assert_eq!(
        depot.stats().truncated,
        0,
        "a trace of exactly max_frames is not truncated"
    );
}

#[test]
fn long_traces_keep_the_innermost_max_frames() {
    let depot = tiny_depot();
    let max = depot.config().max_frames;
    let mut saved = SavedTraces::default();
    let mut truncated_saves = 0;
    for (id, extra) in [1usize, 2, max, 10 * max, 1000].into_iter().enumerate() {
        let long = distinct_trace(id as u64, max + extra);
        let handle = depot.save(&long).expect("save long trace");
        truncated_saves += 1;
        assert_eq!(
            depot.fetch(handle),
            Some(&long[..max]),
            "a trace of {} frames must keep its first (innermost) {max}",
            long.len()
        );
        saved.record(&long[..max], handle);
        // The prefix itself is the same trace.
        assert_eq!(depot.save(&long[..max]), Ok(handle));
        // A different overlong tail truncates to the same trace.
        let mut other_tail = long.clone();
        other_tail[max] ^= 1;
        other_tail.push(7);
        assert_eq!(depot.save(&other_tail), Ok(handle));
        truncated_saves += 1;
        // One frame fewer is a different trace.
        let shorter = depot.save(&long[..max - 1]).expect("save");
        assert_ne!(shorter, handle);
        saved.record(&long[..max - 1], shorter);
    }
    saved.assert_all_fetch(&depot);
    let stats = depot.stats();
    assert_eq!(stats.truncated, truncated_saves, "{stats}");
    assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
    assert_eq!(stats.frames, saved.frames(), "{stats}");
    assert_eq!(stats.saves, 4 * 5, "{stats}");
    assert_eq!(stats.dedup_hits, 2 * 5, "{stats}");
}

#[test]
fn truncation_also_applies_to_no_wait_saves() {
    let depot = StackDepot::new();
    let max = depot.config().max_frames;
    let long = distinct_trace(9, max * 2);
    let handle = depot
        .save_with(&long, Alloc::NoWait)
        .expect("a fresh default depot has room");
    assert_eq!(depot.fetch(handle), Some(&long[..max]));
    assert_eq!(depot.save(&long[..max]), Ok(handle));
    assert_eq!(depot.stats().truncated, 1);
}

#[test]
fn any_frame_value_is_stored_exactly() {
    let depot = tiny_depot();
    let traces: [&[usize]; 6] = [
        &[0],
        &[0, 0, 0],
        &[usize::MAX],
        &[usize::MAX, 0, usize::MAX],
        &[1 << 63, 1],
        &[0x8000_0000, 0xffff_ffff, 0x1_0000_0000],
    ];
    let mut saved = SavedTraces::default();
    for t in traces {
        saved.record(t, depot.save(t).expect("save"));
    }
    saved.assert_all_fetch(&depot);
    assert_eq!(depot.stats().traces, traces.len() as u64);
}

#[test]
fn the_largest_max_frames_a_slab_holds_is_usable() {
    for base in [Config::tiny(), Config::default()] {
        let fits = match StackDepot::with_config(base.clone().max_frames(usize::MAX / 2)) {
            Err(ConfigError::MaxFrames { fits, .. }) => fits,
            other => panic!(
                "max_frames usize::MAX/2 must be rejected with MaxFrames, got {:?}",
                other.err()
            ),
        };
        assert!(fits >= 1);
        assert!(
            StackDepot::with_config(base.clone().max_frames(fits + 1)).is_err(),
            "max_frames {} is one more than the reported fit",
            fits + 1
        );
        let depot = StackDepot::with_config(base.max_frames(fits))
            .unwrap_or_else(|e| panic!("max_frames {fits} is the reported fit: {e}"));
        // Several full-length records in a row: each needs a slab of its own.
        let mut saved = SavedTraces::default();
        for id in 0..3 {
            let trace = distinct_trace(id, fits);
            saved.record(
                &trace,
                depot.save(&trace).expect("a max-length trace must fit"),
            );
            let nearly = distinct_trace(100 + id, fits - 1);
            saved.record(
                &nearly,
                depot.save(&nearly).expect("a max-1 trace must fit"),
            );
        }
        saved.assert_all_fetch(&depot);
        let long = distinct_trace(1000, fits + 5);
        let h = depot.save(&long).expect("truncated to fits");
        assert_eq!(depot.fetch(h), Some(&long[..fits]));
    }
}

#[test]
fn running_out_of_addressable_slabs_is_an_error_not_a_panic() {
    // 64 MiB slabs and 8 caller bits leave one slab-index bit: two addressable slabs.
    let config = Config::default()
        .slab_size(64 << 20)
        .caller_bits(8)
        .reserve_slabs(0)
        .index_shards(1)
        .initial_index_slots(8)
        .max_frames(2 << 20);
    let depot = StackDepot::with_config(config.clone()).expect("valid config");
    let layout = depot.layout();
    assert_eq!(layout.max_slabs(), 2, "{layout:?}");
    // Each record is 16 MiB of frames: at most 4 per slab, so 2 slabs hold at most 8.
    let frames = config.max_frames;
    let bound = layout.max_slabs() * config.slab_size / (frames * 8) + 1;
    let mut trace = vec![0usize; frames];
    let mut stored = Vec::new();
    let mut exhausted = 0;
    for id in 0..bound + 2 {
        trace[0] = id + 1;
        trace[frames - 1] = id;
        match depot.save(&trace) {
            Ok(h) => stored.push((h, id)),
            Err(SaveError::HandleSpaceExhausted) => exhausted += 1,
            Err(e) => panic!("only HandleSpaceExhausted is expected here, got {e:?}"),
        }
    }
    assert!(
        exhausted >= 2,
        "{} traces of {frames} frames cannot fit in {} slabs of {} bytes, yet {} of {} saves succeeded",
        bound + 2,
        layout.max_slabs(),
        config.slab_size,
        stored.len(),
        bound + 2
    );
    assert_eq!(depot.stats().handle_space_exhausted, exhausted);
    for (h, id) in stored {
        let got = depot.fetch(h).expect("stored before exhaustion");
        assert_eq!((got[0], got[frames - 1], got.len()), (id + 1, id, frames));
        assert!(got[1..frames - 1].iter().all(|&f| f == 0));
    }
}

/// Under an address-space limit the 1 GiB slab reservation is refused; the depot
/// takes the largest share the OS grants instead of failing, and stores traces.
/// Runs itself again in a child process under `ulimit -v` (the limit would hurt
/// the other tests in this process).
#[cfg(target_os = "linux")]
#[test]
fn an_address_space_limit_shrinks_the_slab_reservation_instead_of_failing() {
    const CHILD: &str = "STACKDEPOT_TEST_UNDER_ULIMIT";
    if std::env::var_os(CHILD).is_some() {
        let depot = StackDepot::new();
        let mut saved = SavedTraces::default();
        for i in 0..2_000 {
            let t = distinct_trace(i, 1 + (i % 40) as usize);
            let h = depot
                .save(&t)
                .expect("a save under the address-space limit");
            saved.record(&t, h);
        }
        saved.assert_all_fetch(&depot);
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // 600 MB of address space: the binary, its threads and the index fit; the
    // default 1 GiB slab reservation does not.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 600000 && exec \"$0\" --exact --test-threads=1 \"$1\"")
        .arg(&exe)
        .arg("edge::an_address_space_limit_shrinks_the_slab_reservation_instead_of_failing")
        .env(CHILD, "1")
        .status()
        .expect("sh runs");
    assert!(
        status.success(),
        "the child under ulimit -v failed: {status}"
    );
}
