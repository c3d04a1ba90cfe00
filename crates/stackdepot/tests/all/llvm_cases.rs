//! LLVM compiler-rt's `StackDepot` unit tests, re-stated as behaviours of this
//! depot (the list in the team's research notes, userspace-depots.md §1.12).
//! Each LLVM test starts from a fresh depot; so does each test here.

use stackdepot::{Config, ConfigError, Handle, SaveError, StackDepot};

use crate::support::assert_stats_relations;

#[test]
fn basic() {
    let depot = StackDepot::new();
    let trace = [1usize, 2, 3, 4, 5];
    let h = depot.save(&trace).expect("save");
    let got = depot.fetch(h).expect("a saved trace fetches");
    assert_eq!(got.len(), 5);
    assert_eq!(got, &trace);
}

#[test]
fn absent() {
    let depot = StackDepot::new();
    let never_issued = Handle::from_raw((1 << 30) - 1).expect("non-zero");
    assert_eq!(depot.fetch(never_issued), None);
    // Also after something else was saved.
    depot.save(&[1, 2, 3]).expect("save");
    match depot.fetch(never_issued) {
        None => {}
        Some(frames) => assert_eq!(
            frames,
            &[1, 2, 3],
            "a forged handle may only name a saved trace"
        ),
    }
}

#[test]
fn empty_stack() {
    let depot = StackDepot::new();
    assert_eq!(depot.save(&[]), Err(SaveError::Empty));
    // The kernel's "handle 0" for an empty stack is `None` here, and cannot be fetched.
    assert_eq!(Handle::from_raw(0), None);
    assert_eq!(depot.stats().traces, 0);
}

#[test]
fn zero_id() {
    assert_eq!(Handle::from_raw(0), None);
}

#[test]
fn same() {
    let depot = StackDepot::new();
    let trace = [1usize, 2, 3, 4, 6];
    let h1 = depot.save(&trace).expect("save");
    let h2 = depot.save(&trace).expect("save");
    assert_eq!(h1, h2);
    assert_eq!(depot.fetch(h1), Some(&trace[..]));
}

#[test]
fn several() {
    let depot = StackDepot::new();
    let a = [1usize, 2, 3, 4, 7];
    let b = [1usize, 2, 3, 4, 8, 9];
    let ha = depot.save(&a).expect("save");
    let hb = depot.save(&b).expect("save");
    assert_ne!(ha, hb);
    assert_eq!(depot.fetch(ha), Some(&a[..]));
    assert_eq!(depot.fetch(hb), Some(&b[..]));
}

/// The addresses `print` wrote, one per line, in order.
fn printed_addresses(text: &str) -> Vec<usize> {
    text.lines()
        .map(|line| {
            let token = line.split_whitespace().next().unwrap_or("");
            let hex = token.trim_start_matches("0x");
            usize::from_str_radix(hex, 16)
                .unwrap_or_else(|_| panic!("line {line:?} does not start with an address"))
        })
        .collect()
}

#[test]
fn print() {
    let depot = StackDepot::new();
    let a = [0x111usize, 0x222, 0x333, 0x444, 0x555, 0x666, 0x777];
    let b = [
        0x1111usize,
        0x2222,
        0x3333,
        0x4444,
        0x5555,
        0x6666,
        0x7777,
        0x8888,
        0x9999,
    ];
    let ha = depot.save(&a).expect("save");
    let hb = depot.save(&b).expect("save");
    for (h, trace) in [(ha, &a[..]), (hb, &b[..])] {
        let mut out = String::new();
        depot.print(h, &mut out).expect("print into a String");
        assert_eq!(printed_addresses(&out), trace, "print({h:?}) wrote:\n{out}");
    }
    // A handle naming nothing prints a placeholder instead of failing.
    let fresh = StackDepot::new();
    let mut out = String::new();
    fresh
        .print(ha, &mut out)
        .expect("print of an unknown handle");
    assert!(out.contains("unavailable"), "got {out:?}");
}

#[test]
fn print_no_lock() {
    // Saving, printing everything and reading stats leaves the depot fully
    // usable: re-saving returns exactly the same handles.
    let depot = StackDepot::new();
    let traces: Vec<[usize; 5]> = (0..2000).map(|i| [0x111, 0x222, i, 0x444, 0x777]).collect();
    let handles: Vec<Handle> = traces
        .iter()
        .map(|t| depot.save(t).expect("save"))
        .collect();
    let mut dump = String::new();
    for &h in &handles {
        depot.print(h, &mut dump).expect("print");
    }
    assert_eq!(dump.lines().count(), 2000 * 5);
    let stats = depot.stats();
    let _ = stats.to_string();
    assert_eq!(stats.traces, 2000);
    for (t, &h) in traces.iter().zip(&handles) {
        assert_eq!(depot.save(t), Ok(h));
        assert_eq!(depot.fetch(h), Some(&t[..]));
    }
    let unique: std::collections::HashSet<_> = handles.iter().collect();
    assert_eq!(unique.len(), 2000);
}

#[test]
fn exhaustion_is_counted_not_fatal() {
    // LLVM's "go crazy" benchmark set: far more unique stacks than the store
    // can hold must not crash. Here a tiny, capped depot takes 100k distinct saves.
    let tiny = Config::tiny();
    let min = match tiny.clone().memory_cap(Some(0)).validate() {
        Err(ConfigError::MemoryCap { min, .. }) => min,
        other => panic!("a zero cap must be refused with MemoryCap, got {other:?}"),
    };
    let config = tiny.memory_cap(Some(min + 4 * Config::tiny().slab_size));
    let depot = StackDepot::with_config(config.clone()).expect("capped config");
    let mut stored = Vec::new();
    let mut refused = 0u64;
    for i in 0..100_000usize {
        let trace = [0x111, 0x222, i, 0x444, 0x777];
        match depot.save(&trace) {
            Ok(h) => stored.push((h, i)),
            Err(SaveError::CapReached) => refused += 1,
            Err(e) => panic!("save {i}: expected Ok or CapReached, got {e:?}"),
        }
    }
    assert!(
        refused > 0,
        "100k traces cannot fit under the cap, yet all were stored"
    );
    let stats = depot.stats();
    assert_eq!(stats.cap_reached, refused, "{stats}");
    assert_eq!(stats.traces, stored.len() as u64, "{stats}");
    assert_eq!(stats.saves, 100_000, "{stats}");
    assert_stats_relations(&stats, &config);
    for (h, i) in stored {
        assert_eq!(depot.fetch(h), Some(&[0x111, 0x222, i, 0x444, 0x777][..]));
    }
}

#[test]
fn chained_origin_style_counts() {
    // LLVM's ChainedOriginDepot tests, restated: a new entry raises the unique
    // count by one and the used bytes; a duplicate changes neither.
    let depot = StackDepot::with_config(Config::tiny()).expect("tiny");
    let s0 = depot.stats();
    let h = depot.save(&[123, 456]).expect("save");
    let s1 = depot.stats();
    assert_eq!(s1.traces, s0.traces + 1);
    assert!(
        s1.bytes_used > s0.bytes_used,
        "a new trace must raise bytes_used\n{s1}"
    );
    assert_eq!(depot.save(&[123, 456]), Ok(h));
    let s2 = depot.stats();
    assert_eq!((s2.traces, s2.bytes_used), (s1.traces, s1.bytes_used));
    // Different second half: different handle.
    assert_ne!(depot.save(&[123, 457]).expect("save"), h);
    for i in 0..100_000 / 10 {
        let before = depot.stats().traces;
        depot.save(&[0xabc, i]).expect("save");
        assert_eq!(depot.stats().traces, before + 1);
    }
}
