//! Every store keeps the contract the benchmarks rely on: dedup, exact fetch,
//! refusal of nothing the workload asks, and byte accounting that grows with content.

use stackdepot::Handle;
use stackdepot_benches::measure::populate;
use stackdepot_benches::stores::{AnyStore, KernelFixedStore, StoreKind};
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
fn fetch_slice_borrows_the_stored_trace_without_copying() {
    let traces = small_traces(400);
    for kind in StoreKind::ALL {
        let store = kind.build(&traces);
        let s = store.as_dyn();
        let ids = populate(s, &traces).unwrap();
        let mut spans = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            let (addr, len) = s
                .fetch_slice(id)
                .unwrap_or_else(|| panic!("{}: id {id} not fetchable", kind.name()));
            assert_eq!(len, traces.get(i).len(), "{}: trace {i}", kind.name());
            assert_eq!(addr % align_of::<usize>(), 0, "{}: misaligned", kind.name());
            // Zero-copy: the same stored trace every time, not a fresh buffer.
            assert_eq!(s.fetch_slice(id), Some((addr, len)), "{}", kind.name());
            if let AnyStore::Depot(d) = &store {
                let real = Handle::from_raw(id).and_then(|h| d.depot().fetch(h));
                assert_eq!(real.map(<[usize]>::as_ptr).map(|p| p as usize), Some(addr));
            }
            spans.push((addr, addr + len * size_of::<usize>()));
        }
        // Distinct traces live in distinct, non-overlapping places.
        spans.sort_unstable();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{}: {:x?} overlaps", kind.name(), w);
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
        assert_eq!(s.fetch_slice(bogus), None, "{}", kind.name());
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
