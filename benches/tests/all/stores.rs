//! Every store keeps the contract the benchmarks rely on: dedup, exact fetch,
//! refusal of nothing the workload asks, and byte accounting that grows with content.

use stackdepot_benches::measure::populate;
use stackdepot_benches::stores::{KernelFixedStore, StoreKind};
use stackdepot_benches::workload::{SizeSpec, TraceSet};

fn small_traces(n: usize) -> TraceSet {
    SizeSpec {
        traces: n,
        ..SizeSpec::SMALL
    }
    .generate()
}

#[test]
fn every_store_dedups_and_fetches_exactly() {
    let traces = small_traces(600);
    for kind in StoreKind::ALL {
        let store = kind.build(&traces);
        let s = store.as_dyn();
        let ids =
            populate(s, &traces).unwrap_or_else(|i| panic!("{} refused trace {i}", kind.name()));
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            traces.len(),
            "{}: ids of distinct traces collide",
            kind.name()
        );
        let mut buf = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(
                s.save(traces.get(i)),
                Some(id),
                "{}: second save of trace {i}",
                kind.name()
            );
            assert!(
                s.fetch_into(id, &mut buf),
                "{}: id {id} not fetchable",
                kind.name()
            );
            assert_eq!(
                buf.as_slice(),
                traces.get(i),
                "{}: trace {i} fetched wrong",
                kind.name()
            );
            let sum = traces.get(i).iter().fold(0usize, |a, &f| a.wrapping_add(f));
            assert_eq!(s.fetch_sum(id), Some(sum), "{}", kind.name());
        }
    }
}

#[test]
fn unknown_ids_fetch_nothing() {
    let traces = small_traces(50);
    for kind in StoreKind::ALL {
        let store = kind.build(&traces);
        let s = store.as_dyn();
        populate(s, &traces).unwrap();
        let mut buf = vec![1, 2, 3];
        // Far beyond anything issued by any store for 50 traces.
        let bogus = 0x00ff_fff0;
        assert_eq!(s.fetch_sum(bogus), None, "{}", kind.name());
        assert!(!s.fetch_into(bogus, &mut buf), "{}", kind.name());
        assert!(buf.is_empty(), "{}: buffer not cleared", kind.name());
    }
}

#[test]
fn bytes_used_grows_and_covers_the_frames() {
    let traces = small_traces(2_000);
    let half = traces.prefix(1_000);
    for kind in StoreKind::ALL {
        let store = kind.build(&traces);
        let s = store.as_dyn();
        populate(s, &half).unwrap();
        let at_half = s.bytes_used();
        populate(s, &traces).unwrap();
        let full = s.bytes_used();
        assert!(full > at_half, "{}: {full} <= {at_half}", kind.name());
        // Every store must at least hold the frames themselves.
        assert!(
            full >= traces.total_frames() * 8,
            "{}: {full} bytes for {} frames",
            kind.name(),
            traces.total_frames()
        );
    }
}

#[test]
fn kernel_fixed_is_sized_to_hold_the_workload_and_overflows_like_lockdep() {
    let traces = SizeSpec::RFC.generate();
    // 22k traces of ~21 frames plus 3-word headers exceed lockdep's 2^19 words.
    assert!(traces.total_frames() + 3 * traces.len() > 1 << 19);
    let sized = KernelFixedStore::sized_for(&traces);
    assert_eq!(sized.bits(), 20);
    assert!(populate(&sized, &traces).is_ok());
    assert!(!sized.overflowed());
    let kernel = KernelFixedStore::kernel_default();
    let refused = populate(&kernel, &traces).expect_err("2^19 words cannot hold the RFC's traces");
    assert!(refused > 15_000, "overflowed early, at trace {refused}");
    assert!(kernel.overflowed());
}
