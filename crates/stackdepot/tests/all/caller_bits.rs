//! Caller bits: the high handle bits belong to the caller. `with_caller_bits` and
//! `caller_bits` round-trip every in-range value, reject out-of-range ones with
//! `None`, and `fetch` ignores them.

use stackdepot::{Config, Handle, StackDepot};

fn depot_with_caller_bits(bits: u32) -> StackDepot {
    StackDepot::with_config(Config::tiny().caller_bits(bits))
        .unwrap_or_else(|e| panic!("{bits} caller bits must be valid: {e}"))
}

#[test]
fn every_in_range_value_round_trips_and_fetch_ignores_it() {
    for bits in [0u32, 1, 5, 8] {
        let depot = depot_with_caller_bits(bits);
        assert_eq!(depot.layout().caller_bits, bits);
        let trace = [0x1234usize, 0x5678, 0x9abc];
        let handle = depot.save(&trace).expect("save");
        assert_eq!(
            depot.caller_bits(handle),
            0,
            "save must leave the caller bits of {handle:?} clear"
        );
        let slice = depot.fetch(handle).expect("fetch");
        for value in 0..(1u32 << bits) {
            let tagged = depot
                .with_caller_bits(handle, value)
                .unwrap_or_else(|| panic!("{value} fits in {bits} caller bits"));
            assert_eq!(depot.caller_bits(tagged), value);
            assert_eq!(
                tagged.to_raw() & depot.layout().body_mask(),
                handle.to_raw() & depot.layout().body_mask(),
                "with_caller_bits changed the body of {handle:?}"
            );
            let fetched = depot.fetch(tagged).expect("tagged handle must fetch");
            assert_eq!(fetched.as_ptr(), slice.as_ptr());
            assert_eq!(fetched, &trace);
            // Replacing the bits, not or-ing them in.
            assert_eq!(depot.with_caller_bits(tagged, 0), Some(handle));
            if bits > 0 {
                let other = (value + 1) % (1 << bits);
                let retagged = depot.with_caller_bits(tagged, other).expect("in range");
                assert_eq!(depot.caller_bits(retagged), other);
            }
        }
    }
}

#[test]
fn out_of_range_caller_bits_are_rejected() {
    for bits in [0u32, 1, 5, 8] {
        let depot = depot_with_caller_bits(bits);
        let handle = depot.save(&[0x42]).expect("save");
        for value in [
            1u32 << bits,
            (1 << bits) + 1,
            1 << 8,
            1 << 9,
            1 << 31,
            u32::MAX,
        ] {
            if value < (1 << bits) {
                continue;
            }
            assert_eq!(
                depot.with_caller_bits(handle, value),
                None,
                "{value:#x} does not fit in {bits} caller bits"
            );
        }
    }
}

#[test]
fn equal_traces_with_different_caller_bits_differ_as_handles_but_not_as_traces() {
    let depot = depot_with_caller_bits(5);
    let handle = depot.save(&[1, 2, 3]).expect("save");
    let tagged = depot.with_caller_bits(handle, 0b10101).expect("in range");
    assert_ne!(
        handle, tagged,
        "handles compare bit for bit, caller bits included"
    );
    assert_eq!(depot.fetch(handle), depot.fetch(tagged));
    // Saving the trace again still answers with the untagged handle.
    assert_eq!(depot.save(&[1, 2, 3]), Ok(handle));
}

#[test]
fn caller_bits_of_a_handle_with_no_body_are_handled() {
    // A raw value made only of caller bits names no trace; clearing them would
    // give 0, which no handle may be.
    let depot = depot_with_caller_bits(5);
    let layout = depot.layout();
    let only_caller = Handle::from_raw(layout.caller_mask()).expect("non-zero");
    assert_eq!(depot.caller_bits(only_caller), (1 << 5) - 1);
    assert_eq!(depot.fetch(only_caller), None);
    assert_eq!(depot.with_caller_bits(only_caller, 0), None);
}
