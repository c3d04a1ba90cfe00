//! Engine-level tests through the event API: lockdep's rules, reports, trace storage, stats.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockdep_graph::{
    AcquireOpts, ClassKey, Finding, FindingKind, LockInstance, Mode, Sink, StoreKind, Trace,
    Validator, ValidatorConfig,
};

const T1: u64 = 1;
const T2: u64 = 2;
const T3: u64 = 3;

fn validator() -> Validator {
    Validator::new(ValidatorConfig::default())
}

fn fixed(bits: u32) -> Validator {
    Validator::new(ValidatorConfig {
        store: StoreKind::Fixed { bits },
        ..ValidatorConfig::default()
    })
}

/// A lock of class `name` (registered) with instance id `id`.
fn lock(v: &Validator, name: &str, id: u64) -> LockInstance {
    let key = ClassKey::from_name(name);
    v.register_class(key, name);
    LockInstance { class: key, id }
}

/// Synthetic frames that identify the call site: 0xa000_0000 + site * 0x100 + depth.
fn site(n: usize) -> Vec<usize> {
    (0..4).map(|d| 0xa000_0000 + n * 0x100 + d).collect()
}

fn acq(v: &Validator, t: u64, l: LockInstance, mode: Mode, at: usize) {
    v.acquire(t, l, mode, AcquireOpts::default(), Trace::Frames(&site(at)));
}

fn acq_opts(v: &Validator, t: u64, l: LockInstance, mode: Mode, opts: AcquireOpts, at: usize) {
    v.acquire(t, l, mode, opts, Trace::Frames(&site(at)));
}

fn rel(v: &Validator, t: u64, l: LockInstance) {
    v.release(t, l, Trace::Frames(&site(999)));
}

fn kinds(v: &Validator) -> Vec<FindingKind> {
    v.findings().iter().map(|f| f.kind).collect()
}

fn only(v: &Validator, kind: FindingKind) -> Finding {
    let f = v.findings();
    assert_eq!(
        f.len(),
        1,
        "expected exactly one finding, got {:?}",
        f.iter().map(|f| f.kind).collect::<Vec<_>>()
    );
    assert_eq!(f[0].kind, kind, "{}", f[0].report);
    f[0].clone()
}

/// `first` then `second` nested on thread `t`, released in reverse order.
fn nest2(
    v: &Validator,
    t: u64,
    first: (LockInstance, Mode),
    second: (LockInstance, Mode),
    at: usize,
) {
    acq(v, t, first.0, first.1, at);
    acq(v, t, second.0, second.1, at + 1);
    rel(v, t, second.0);
    rel(v, t, first.0);
}

#[test]
fn abba_with_write_locks_is_reported_with_both_traces() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 10);
    assert!(v.findings().is_empty());
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 20);
    let f = only(&v, FindingKind::CircularDependency);
    assert_eq!(f.locks, vec!["A".to_string(), "B".to_string()]);
    assert_eq!(f.thread, T2);
    let r = &f.report;
    for needle in [
        "WARNING: possible circular locking dependency detected",
        "thread/2 is trying to acquire lock:",
        "but task is already holding lock:",
        "the existing dependency chain (in reverse order) is:",
        "-> #1 (B){+.+.}:",
        "-> #0 (A){+.+.}:",
        " Possible unsafe locking scenario:",
        "       CPU0                    CPU1",
        "  lock(B);",
        "  lock(A);",
        " *** DEADLOCK ***",
        "1 lock held by thread/2:",
        "stack backtrace:",
    ] {
        assert!(r.contains(needle), "missing {needle:?} in:\n{r}");
    }
    // Two locks only: no "Chain exists of".
    assert!(!r.contains("Chain exists of"));
    // The stored edge A -> B carries both traces: where B was taken (site 11) and where A
    // was held from (site 10); #0 is the current acquisition of A (site 21).
    for frame in [site(11)[0], site(10)[0], site(21)[0]] {
        assert!(
            r.contains(&format!("{frame:#018x}")),
            "frame {frame:#x} missing in:\n{r}"
        );
    }
}

#[test]
fn longer_cycle_prints_chain_exists_of() {
    let v = validator();
    let (a, b, c) = (lock(&v, "A", 1), lock(&v, "B", 2), lock(&v, "C", 3));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 10);
    nest2(&v, T1, (b, Mode::Write), (c, Mode::Write), 20);
    nest2(&v, T2, (c, Mode::Write), (a, Mode::Write), 30);
    let f = only(&v, FindingKind::CircularDependency);
    assert_eq!(f.locks, vec!["A", "B", "C"]);
    assert!(
        f.report.contains("Chain exists of:\n  A --> B --> C"),
        "{}",
        f.report
    );
    assert!(f.report.contains("-> #2 (C)"));
}

#[test]
fn all_recursive_read_abba_is_accepted() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    nest2(
        &v,
        T1,
        (a, Mode::ReadRecursive),
        (b, Mode::ReadRecursive),
        10,
    );
    nest2(
        &v,
        T2,
        (b, Mode::ReadRecursive),
        (a, Mode::ReadRecursive),
        20,
    );
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));
    // Both dependencies exist (a non-strong cycle is legal in the graph).
    assert_eq!(v.stats().direct_dependencies, 2);
}

#[test]
fn read_write_mixes_follow_lockdep() {
    // RL(X) L(Y); L(Y) WL(X) -> reported.
    let v = validator();
    let (x, y) = (lock(&v, "X", 1), lock(&v, "Y", 2));
    nest2(&v, T1, (x, Mode::ReadRecursive), (y, Mode::Write), 10);
    nest2(&v, T2, (y, Mode::Write), (x, Mode::Write), 20);
    only(&v, FindingKind::CircularDependency);

    // RL(X) L(Y); L(Y) RL(X) -> accepted (recursive readers do not wait for waiting writers).
    let v = validator();
    let (x, y) = (lock(&v, "X", 1), lock(&v, "Y", 2));
    nest2(&v, T1, (x, Mode::ReadRecursive), (y, Mode::Write), 10);
    nest2(&v, T2, (y, Mode::Write), (x, Mode::ReadRecursive), 20);
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));

    // RSL(X) ML(Y); ML(Y) RSL(X) with non-recursive readers (rwsem) -> reported.
    let v = validator();
    let (x, y) = (lock(&v, "X", 1), lock(&v, "Y", 2));
    nest2(&v, T1, (x, Mode::Read), (y, Mode::Write), 10);
    nest2(&v, T2, (y, Mode::Write), (x, Mode::Read), 20);
    let f = only(&v, FindingKind::CircularDependency);
    assert!(f.report.contains("  rlock(X);"), "{}", f.report);

    // Chain-cached mixed R-L/L-W: the read mode is part of the chain key, so the third
    // section (L(Y) WL(X)) is not a cache hit of the second (L(Y) RL(X)).
    let v = validator();
    let (x, y) = (lock(&v, "X", 1), lock(&v, "Y", 2));
    nest2(&v, T1, (x, Mode::ReadRecursive), (y, Mode::Write), 10);
    nest2(&v, T1, (y, Mode::Write), (x, Mode::ReadRecursive), 20);
    assert!(v.findings().is_empty());
    nest2(&v, T1, (y, Mode::Write), (x, Mode::Write), 30);
    only(&v, FindingKind::CircularDependency);
}

#[test]
fn trylock_adds_no_edge_but_later_locks_take_edges_from_it() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    let try_opts = AcquireOpts {
        trylock: true,
        ..AcquireOpts::default()
    };
    acq(&v, T1, a, Mode::Write, 1);
    acq_opts(&v, T1, b, Mode::Write, try_opts, 2);
    assert_eq!(v.stats().direct_dependencies, 0);
    rel(&v, T1, b);
    rel(&v, T1, a);
    // B then A elsewhere is fine: the trylock can't have blocked.
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 3);
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));

    // Hold C, try D, try E, lock F: edges E->F, D->F (consecutive trylocks) and C->F (first
    // real lock); then F -> D elsewhere closes a cycle through the trylock's edge.
    let v = validator();
    let (c, d, e, f) = (
        lock(&v, "C", 1),
        lock(&v, "D", 2),
        lock(&v, "E", 3),
        lock(&v, "F", 4),
    );
    acq(&v, T1, c, Mode::Write, 1);
    acq_opts(&v, T1, d, Mode::Write, try_opts, 2);
    acq_opts(&v, T1, e, Mode::Write, try_opts, 3);
    acq(&v, T1, f, Mode::Write, 4);
    assert_eq!(v.stats().direct_dependencies, 3);
    for l in [f, e, d, c] {
        rel(&v, T1, l);
    }
    nest2(&v, T2, (f, Mode::Write), (d, Mode::Write), 5);
    let found = only(&v, FindingKind::CircularDependency);
    assert_eq!(found.locks, vec!["D", "F"]);
}

#[test]
fn trylock_of_a_held_class_is_not_checked_but_blocking_after_it_is() {
    // ww selftests: block then try = fine; try then block on the same class = recursive.
    let v = validator();
    let (x1, x2) = (lock(&v, "X", 1), lock(&v, "X", 2));
    let try_opts = AcquireOpts {
        trylock: true,
        ..AcquireOpts::default()
    };
    acq(&v, T1, x1, Mode::Write, 1);
    acq_opts(&v, T1, x2, Mode::Write, try_opts, 2);
    assert!(v.findings().is_empty());
    rel(&v, T1, x2);
    rel(&v, T1, x1);
    acq_opts(&v, T1, x1, Mode::Write, try_opts, 3);
    acq(&v, T1, x2, Mode::Write, 4);
    only(&v, FindingKind::RecursiveLocking);
}

#[test]
fn out_of_order_release_rebuilds_the_stack_and_revalidates() {
    let v = validator();
    let (a, b, c) = (lock(&v, "A", 1), lock(&v, "B", 2), lock(&v, "C", 3));
    acq(&v, T1, a, Mode::Write, 1);
    acq(&v, T1, b, Mode::Write, 2);
    acq(&v, T1, c, Mode::Write, 3);
    assert_eq!(v.stats().direct_dependencies, 2); // A->B, B->C
    rel(&v, T1, b); // out of order: C is re-acquired on top of A
    assert_eq!(
        v.stats().direct_dependencies,
        3,
        "re-acquisition adds the direct A->C"
    );
    rel(&v, T1, c);
    rel(&v, T1, a);
    // Nothing left held, no imbalance.
    v.thread_exit(T1, Trace::None);
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));
    // C then A elsewhere: the shortest cycle uses the direct A->C edge.
    nest2(&v, T2, (c, Mode::Write), (a, Mode::Write), 4);
    let f = only(&v, FindingKind::CircularDependency);
    assert_eq!(f.locks, vec!["A", "C"]);
}

#[test]
fn recursive_locking_rules() {
    // Same class, different instances, W: reported.
    let v = validator();
    let (x1, x2) = (lock(&v, "X", 1), lock(&v, "X", 2));
    acq(&v, T1, x1, Mode::Write, 1);
    acq(&v, T1, x2, Mode::Write, 2);
    let f = only(&v, FindingKind::RecursiveLocking);
    assert_eq!(f.locks, vec!["X"]);
    for needle in [
        "WARNING: possible recursive locking detected",
        "       CPU0\n       ----\n  lock(X);\n  lock(X);",
        "May be due to missing lock nesting notation",
    ] {
        assert!(
            f.report.contains(needle),
            "missing {needle:?} in:\n{}",
            f.report
        );
    }
    // R after R of the same lock: fine. R after r: fine. r after r: reported.
    let v = validator();
    let x = lock(&v, "X", 1);
    acq(&v, T1, x, Mode::ReadRecursive, 1);
    acq(&v, T1, x, Mode::ReadRecursive, 2);
    assert!(v.findings().is_empty());
    let v = validator();
    acq(&v, T1, x, Mode::Read, 1);
    acq(&v, T1, x, Mode::ReadRecursive, 2);
    assert!(v.findings().is_empty());
    let v = validator();
    acq(&v, T1, x, Mode::Read, 1);
    acq(&v, T1, x, Mode::Read, 2);
    only(&v, FindingKind::RecursiveLocking);
    // W after R: reported.
    let v = validator();
    acq(&v, T1, x, Mode::ReadRecursive, 1);
    acq(&v, T1, x, Mode::Write, 2);
    only(&v, FindingKind::RecursiveLocking);
}

#[test]
fn bad_unlock_balance_and_double_unlock() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    rel(&v, T1, a);
    let f = only(&v, FindingKind::BadUnlockBalance);
    assert!(f.report.contains("WARNING: bad unlock balance detected!"));
    assert!(f.report.contains("is trying to release lock (A) at:"));
    assert!(f.report.contains("but there are no more locks to release!"));
    assert!(f.report.contains("no locks held by thread/1."));
    v.take_findings();
    acq(&v, T1, a, Mode::Write, 1);
    rel(&v, T1, a);
    rel(&v, T1, a);
    only(&v, FindingKind::BadUnlockBalance);
    v.take_findings();
    // Releasing a lock held by *another* thread is also an imbalance for this one.
    acq(&v, T2, b, Mode::Write, 2);
    rel(&v, T1, b);
    only(&v, FindingKind::BadUnlockBalance);
}

#[test]
fn held_lock_freed_on_init_and_drop() {
    let v = validator();
    let a = lock(&v, "A", 7);
    acq(&v, T1, a, Mode::Write, 1);
    v.init(T1, a, Trace::Frames(&site(2)));
    let f = only(&v, FindingKind::HeldLockFreed);
    assert!(
        f.report.contains("WARNING: held lock freed!"),
        "{}",
        f.report
    );
    assert!(f.report.contains("with a lock still held there!"));
    v.take_findings();
    // Another thread dropping the lock while T1 holds it.
    v.set_thread_name(T2, "dropper");
    v.drop_lock(T2, a, Trace::None);
    let f = only(&v, FindingKind::HeldLockFreed);
    assert_eq!(f.thread_name, "dropper");
    assert!(
        f.report.contains("(the lock is held by thread/1)"),
        "{}",
        f.report
    );
    v.take_findings();
    // Not held: nothing.
    rel(&v, T1, a);
    v.drop_lock(T1, a, Trace::None);
    v.init(T1, a, Trace::None);
    assert!(v.findings().is_empty());
}

#[test]
fn locks_held_at_exit() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    v.set_thread_name(T1, "worker");
    acq(&v, T1, a, Mode::Write, 1);
    acq(&v, T1, b, Mode::Read, 2);
    v.thread_exit(T1, Trace::None);
    let f = only(&v, FindingKind::LocksHeldAtExit);
    assert!(
        f.report.contains("WARNING: worker/1 still has locks held!"),
        "{}",
        f.report
    );
    assert!(f.report.contains("2 locks held by worker/1:"));
    assert_eq!(f.locks, vec!["A", "B"]);
    // The thread is forgotten: the same key starts empty.
    v.thread_exit(T1, Trace::None);
    rel(&v, T1, a);
    assert_eq!(
        kinds(&v),
        vec![FindingKind::LocksHeldAtExit, FindingKind::BadUnlockBalance]
    );
}

#[test]
fn nest_lock_rules() {
    let v = validator();
    let n = lock(&v, "N", 1);
    let (x1, x2, x3) = (lock(&v, "X", 11), lock(&v, "X", 12), lock(&v, "X", 13));
    let nested = AcquireOpts {
        nest: Some(n),
        ..AcquireOpts::default()
    };
    // Not held: reported.
    acq_opts(&v, T1, x1, Mode::Write, nested, 1);
    let f = only(&v, FindingKind::NestedLockNotTaken);
    assert!(f.report.contains("WARNING: Nested lock was not taken"));
    assert!(f.report.contains("but this task is not holding:\nN"));
    rel(&v, T1, x1);
    v.take_findings();
    // Held: several X under N are fine, merged into one entry and released in any order.
    acq(&v, T2, n, Mode::Write, 2);
    acq_opts(&v, T2, x1, Mode::Write, nested, 3);
    acq_opts(&v, T2, x2, Mode::Write, nested, 4);
    acq_opts(&v, T2, x3, Mode::Write, nested, 5);
    assert_eq!(v.stats().max_held_depth, 2, "merged into one held entry");
    rel(&v, T2, x2);
    rel(&v, T2, x1);
    rel(&v, T2, x3);
    rel(&v, T2, n);
    v.thread_exit(T2, Trace::None);
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));
    // Without the nest annotation the same sequence is recursive locking.
    acq(&v, T3, n, Mode::Write, 6);
    acq(&v, T3, x1, Mode::Write, 7);
    acq(&v, T3, x2, Mode::Write, 8);
    only(&v, FindingKind::RecursiveLocking);
}

#[test]
fn subclasses_are_distinct_classes() {
    let v = validator();
    let (p, c) = (lock(&v, "inode", 1), lock(&v, "inode", 2));
    let child = AcquireOpts {
        subclass: 1,
        ..AcquireOpts::default()
    };
    // parent (0) -> child (1): accepted.
    acq(&v, T1, p, Mode::Write, 1);
    acq_opts(&v, T1, c, Mode::Write, child, 2);
    rel(&v, T1, c);
    rel(&v, T1, p);
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));
    assert_eq!(v.stats().lock_classes, 2);
    // Inverted order elsewhere: child (1) then parent (0) is a cycle between the two classes.
    acq_opts(&v, T2, c, Mode::Write, child, 3);
    acq(&v, T2, p, Mode::Write, 4);
    let f = only(&v, FindingKind::CircularDependency);
    assert_eq!(f.locks, vec!["inode", "inode/1"]);
    assert!(f.report.contains("(inode/1)"), "{}", f.report);
}

#[test]
fn invalid_subclass_is_reported_and_treated_as_zero() {
    let v = validator();
    let (x1, x2) = (lock(&v, "X", 1), lock(&v, "X", 2));
    acq(&v, T1, x1, Mode::Write, 1);
    acq_opts(
        &v,
        T1,
        x2,
        Mode::Write,
        AcquireOpts {
            subclass: 9,
            ..AcquireOpts::default()
        },
        2,
    );
    // Subclass 9 -> 0: same class as x1, so also recursive locking.
    assert_eq!(
        kinds(&v),
        vec![FindingKind::InvalidSubclass, FindingKind::RecursiveLocking]
    );
    assert!(
        v.findings()[0]
            .report
            .contains("BUG: looking up invalid subclass: 9")
    );
    assert!(v.is_validating(), "a finding never stops the validator");
}

#[test]
fn the_same_cycle_is_reported_once() {
    let v = validator();
    let (a, b, c) = (lock(&v, "A", 1), lock(&v, "B", 2), lock(&v, "C", 3));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 1);
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 2);
    assert_eq!(v.finding_count(), 1);
    // Same sequence again: chain cache hit, nothing new.
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 3);
    // A different held sequence that closes the same cycle (C held outside): not re-reported.
    acq(&v, T3, c, Mode::Write, 4);
    acq(&v, T3, b, Mode::Write, 5);
    acq(&v, T3, a, Mode::Write, 6);
    assert_eq!(v.finding_count(), 1, "{:?}", kinds(&v));
    // A genuinely different cycle (through C) is reported.
    for l in [a, b, c] {
        rel(&v, T3, l);
    }
    nest2(&v, T1, (b, Mode::Write), (c, Mode::Write), 7);
    nest2(&v, T1, (c, Mode::Write), (b, Mode::Write), 8);
    assert_eq!(v.finding_count(), 2);
    assert!(v.is_validating());
}

#[test]
fn repeated_sequence_hits_the_chain_cache() {
    let v = validator();
    let (a, b, c) = (lock(&v, "A", 1), lock(&v, "B", 2), lock(&v, "C", 3));
    let run = |v: &Validator| {
        acq(v, T1, a, Mode::Write, 1);
        acq(v, T1, b, Mode::Write, 2);
        acq(v, T1, c, Mode::Write, 3);
        for l in [c, b, a] {
            rel(v, T1, l);
        }
    };
    run(&v);
    let first = v.stats();
    assert_eq!(first.dependency_chains, 3);
    assert_eq!(first.chain_hlocks, 1 + 2 + 3);
    assert_eq!(first.chain_cache_hits, 0);
    run(&v);
    run(&v);
    let later = v.stats();
    assert_eq!(
        later.chain_cache_hits, 6,
        "every acquisition of the repeated sequences hit"
    );
    assert_eq!(later.dependency_chains, 3);
    assert_eq!(later.acquisitions, 9);
    assert_eq!(later.max_held_depth, 3);
    // Same classes in another mode are another chain.
    acq(&v, T1, a, Mode::ReadRecursive, 4);
    rel(&v, T1, a);
    assert_eq!(v.stats().dependency_chains, 4);
}

/// Events that create many dependencies, each with distinct traces.
fn many_edges(v: &Validator, n: usize) {
    let hub = lock(v, "hub", 0);
    for i in 0..n {
        let l = lock(v, &format!("leaf{i}"), i as u64 + 1);
        let frames_hub: Vec<usize> = (0..30).map(|d| 0xb000_0000 + i * 0x1000 + d).collect();
        let frames_leaf: Vec<usize> = (0..30).map(|d| 0xc000_0000 + i * 0x1000 + d).collect();
        v.acquire(
            T1,
            hub,
            Mode::Write,
            AcquireOpts::default(),
            Trace::Frames(&frames_hub),
        );
        v.acquire(
            T1,
            l,
            Mode::Write,
            AcquireOpts::default(),
            Trace::Frames(&frames_leaf),
        );
        v.release(T1, l, Trace::None);
        v.release(T1, hub, Trace::None);
    }
}

#[test]
fn fixed_store_overflow_disables_once_while_depot_keeps_validating() {
    let small = fixed(10);
    let depot = validator();
    for v in [&small, &depot] {
        many_edges(v, 40);
    }
    let disabled: Vec<Finding> = small
        .findings()
        .into_iter()
        .filter(|f| f.kind == FindingKind::ValidatorDisabled)
        .collect();
    assert_eq!(disabled.len(), 1);
    assert_eq!(small.finding_count(), 1);
    assert!(
        disabled[0]
            .report
            .contains("BUG: MAX_STACK_TRACE_ENTRIES too low!")
    );
    assert!(
        disabled[0]
            .report
            .contains("turning off the locking correctness validator.")
    );
    assert!(!small.is_validating());
    let s = small.stats();
    assert!(!s.debug_locks);
    assert_eq!(s.stack_trace_entries_max, Some(1024));
    assert!(s.stack_trace_entries > 1000);
    assert!(s.to_string().contains("stack-trace entries:"));
    assert!(s.to_string().contains("[max: 1024]"));

    assert!(depot.is_validating());
    assert!(depot.findings().is_empty());
    assert_eq!(depot.stats().direct_dependencies, 40);
    // A later ABBA: the disabled validator sees nothing, the depot one reports it.
    for v in [&small, &depot] {
        let (a, b) = (lock(v, "A", 100), lock(v, "B", 101));
        nest2(v, T2, (a, Mode::Write), (b, Mode::Write), 1);
        nest2(v, T2, (b, Mode::Write), (a, Mode::Write), 2);
    }
    assert_eq!(small.finding_count(), 1);
    only(&depot, FindingKind::CircularDependency);
    // reset() turns validation back on with an empty array.
    small.reset();
    assert!(small.is_validating());
    assert_eq!(small.stats().stack_trace_entries, 0);
}

/// Runs `f` on another thread and fails (instead of hanging the suite) if it never returns.
/// A hang guard only: nothing here measures time.
fn must_finish<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish: a save into a full depot hangs")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the worker panicked"),
    }
}

#[test]
fn depot_out_of_memory_keeps_dependencies_without_traces() {
    let f = must_finish(|| {
        let cfg = stackdepot::Config::tiny();
        let min = cfg.min_memory_cap();
        let depot = stackdepot::StackDepot::with_config(cfg.memory_cap(Some(min)))
            .expect("minimal cap is valid");
        let v = Validator::new(ValidatorConfig {
            depot: Some(Arc::new(depot)),
            ..ValidatorConfig::default()
        });
        many_edges(&v, 200);
        let s = v.stats();
        assert_eq!(
            s.direct_dependencies, 200,
            "every dependency is recorded, trace or not"
        );
        assert!(s.traces_unavailable > 0, "a capped depot must run out: {s}");
        assert!(v.is_validating());
        // A late ABBA is still reported, and its dependency printed without a trace.
        let (a, b) = (lock(&v, "A", 1000), lock(&v, "B", 1001));
        nest2(&v, T2, (a, Mode::Write), (b, Mode::Write), 1);
        nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 2);
        only(&v, FindingKind::CircularDependency)
    });
    assert!(f.report.contains("<trace unavailable>"), "{}", f.report);
}

#[test]
fn dependencies_store_two_handles_in_the_depot() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 10);
    // Traces: A's first use, B's first use, the A->B edge's prev (A at site 10, same frames as
    // A's first use: deduplicated) and next (B at site 11, same as B's first use).
    let depot = v.depot().expect("depot store");
    let ds = depot.stats();
    assert_eq!(ds.traces, 2, "first-use and edge traces are deduplicated");
    let s = v.stats();
    assert_eq!(s.stack_traces, 2);
    assert_eq!(s.stack_trace_entries_max, None);
    assert!(s.to_string().contains("depot bytes used:"));
}

#[test]
fn captured_traces_are_saved_and_printed() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    for (first, second, t) in [(a, b, T1), (b, a, T2)] {
        v.acquire(
            t,
            first,
            Mode::Write,
            AcquireOpts::default(),
            Trace::Capture,
        );
        v.acquire(
            t,
            second,
            Mode::Write,
            AcquireOpts::default(),
            Trace::Capture,
        );
        v.release(t, second, Trace::Capture);
        v.release(t, first, Trace::Capture);
    }
    let f = only(&v, FindingKind::CircularDependency);
    assert!(v.stats().stack_traces >= 2);
    // Captured frames are printed as addresses (symbolised when debug info allows).
    let chain = f.report.split("-> #1 (B)").nth(1).expect("chain entry");
    assert!(
        chain
            .lines()
            .nth(1)
            .is_some_and(|l| l.trim_start().starts_with("0x")),
        "{}",
        f.report
    );
    assert!(
        !f.report.contains("<trace not captured"),
        "both acquisitions missed the chain cache:\n{}",
        f.report
    );
}

#[test]
fn reset_forgets_everything() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 1);
    acq(&v, T3, a, Mode::Write, 2); // left held
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 3);
    assert_eq!(v.finding_count(), 1);
    v.reset();
    let s = v.stats();
    assert_eq!(
        (
            s.lock_classes,
            s.direct_dependencies,
            s.dependency_chains,
            s.findings,
            s.acquisitions
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(v.finding_count(), 0);
    // The old order is forgotten: B then A is now the first order seen.
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 4);
    assert!(v.findings().is_empty());
    // T3's held A is forgotten too: releasing it is now an imbalance, exiting is clean.
    v.thread_exit(T3, Trace::None);
    assert!(v.findings().is_empty());
    // Names survive.
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 5);
    assert_eq!(
        only(&v, FindingKind::CircularDependency).locks,
        vec!["B", "A"]
    );
}

#[test]
fn independent_validators_do_not_share_state_and_disabled_ignores_events() {
    let v1 = validator();
    let v2 = validator();
    let (a, b) = (lock(&v1, "A", 1), lock(&v1, "B", 2));
    nest2(&v1, T1, (a, Mode::Write), (b, Mode::Write), 1);
    nest2(&v2, T1, (b, Mode::Write), (a, Mode::Write), 2);
    assert!(v1.findings().is_empty() && v2.findings().is_empty());
    v1.set_enabled(false);
    assert!(!v1.is_enabled());
    nest2(&v1, T2, (b, Mode::Write), (a, Mode::Write), 3);
    assert!(v1.findings().is_empty());
    v1.set_enabled(true);
    nest2(&v1, T2, (b, Mode::Write), (a, Mode::Write), 3);
    only(&v1, FindingKind::CircularDependency);
}

#[test]
fn sinks_deliver_and_always_record() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let v = Validator::new(ValidatorConfig {
        sink: Sink::Callback(Arc::new(move |f: &Finding| {
            assert_eq!(f.kind, FindingKind::BadUnlockBalance);
            seen.fetch_add(1, Ordering::SeqCst);
        })),
        ..ValidatorConfig::default()
    });
    let a = lock(&v, "A", 1);
    rel(&v, T1, a);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(v.finding_count(), 1);

    let v = Validator::new(ValidatorConfig {
        sink: Sink::Panic,
        ..ValidatorConfig::default()
    });
    let a = lock(&v, "A", 1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rel(&v, T1, a)));
    let msg = r.expect_err("Panic sink panics");
    let text = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("bad unlock balance"), "{text}");
    // Recorded, and the validator still works after the panic.
    assert_eq!(v.finding_count(), 1);
    acq(&v, T1, a, Mode::Write, 1);
    rel(&v, T1, a);
    assert_eq!(v.finding_count(), 1);
}

#[test]
fn stats_display_looks_like_proc_lockdep_stats() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 1);
    let text = v.stats().to_string();
    for needle in [
        " lock-classes:",
        "[max: unlimited]",
        " direct dependencies:",
        " dependency chains:",
        " chain hlocks:",
        " depot bytes used:",
        " number of stack traces:",
        " number of stack hash chains:",
        " max locking depth:",
        " max bfs queue depth:",
        " traces unavailable:",
        " debug_locks:",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with(" debug_locks:") && l.trim_end().ends_with('1')),
        "{text}"
    );
    let json = serde_json::to_value(v.stats()).expect("serialisable");
    assert_eq!(json["direct_dependencies"], 1);
}

#[test]
fn unnamed_classes_and_thread_names_in_reports() {
    let v = validator();
    let a = LockInstance {
        class: ClassKey(0xabc),
        id: 1,
    };
    let b = LockInstance {
        class: ClassKey(0xdef),
        id: 2,
    };
    v.set_thread_name(T2, "kworker");
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 1);
    nest2(&v, T2, (b, Mode::Write), (a, Mode::Write), 2);
    let f = only(&v, FindingKind::CircularDependency);
    assert_eq!(f.locks, vec!["class#abc", "class#def"]);
    assert_eq!(f.thread_name, "kworker");
    assert!(f.report.contains("kworker/2 is trying to acquire lock:"));
    let json = serde_json::to_value(&f).expect("serialisable");
    assert_eq!(json["kind"], "circular_dependency");
}

#[test]
fn many_threads_share_one_validator() {
    let v = Arc::new(validator());
    let locks: Vec<LockInstance> = (0..4).map(|i| lock(&v, &format!("L{i}"), i)).collect();
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let v = v.clone();
            let locks = locks.clone();
            std::thread::spawn(move || {
                for round in 0..200 {
                    // Always in index order: no cycle.
                    let start = (round + t as usize) % 2;
                    for (i, l) in locks.iter().enumerate().skip(start) {
                        acq(&v, 100 + t, *l, Mode::Write, i);
                    }
                    for l in locks.iter().skip(start).rev() {
                        rel(&v, 100 + t, *l);
                    }
                }
                v.thread_exit(100 + t, Trace::None);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert!(v.findings().is_empty(), "{:?}", kinds(&v));
    let s = v.stats();
    assert_eq!(s.acquisitions, 4 * 100 * (4 + 3));
    assert!(s.chain_cache_hits > s.acquisitions / 2, "{s}");
    assert_eq!(s.dependency_chains, 7);
}

/// One self-contained section: take `a` in mode `ma`, then `b` in mode `mb`, release both.
type Section = ((&'static str, Mode), (&'static str, Mode));

fn run_sections(sections: [Section; 3], order: [usize; 3]) -> Vec<FindingKind> {
    let v = validator();
    for (n, &i) in order.iter().enumerate() {
        let ((a, ma), (b, mb)) = sections[i];
        let (la, lb) = (lock(&v, a, 1), lock(&v, b, 1));
        nest2(&v, T1, (la, ma), (lb, mb), 10 * n);
    }
    kinds(&v)
}

#[test]
fn three_lock_recursive_read_permutations_agree_in_every_order() {
    use Mode::{ReadRecursive as R, Write as W};
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    // (sections, deadlock expected) from lib/locking-selftest.c's rlock permutation tests.
    let cases: [([Section; 3], bool); 4] = [
        // W1R2/W2R3/W3R1: ER, ER, ER -> strong cycle.
        (
            [
                (("X", W), ("Y", R)),
                (("Y", W), ("Z", R)),
                (("Z", W), ("X", R)),
            ],
            true,
        ),
        // W1W2/R2R3/W3R1: EN, SR, ER -> strong.
        (
            [
                (("X", W), ("Y", W)),
                (("Y", R), ("Z", R)),
                (("Z", W), ("X", R)),
            ],
            true,
        ),
        // W1W2/R2R3/R3W1: EN, SR, SN -> SR then SN is not strong.
        (
            [
                (("X", W), ("Y", W)),
                (("Y", R), ("Z", R)),
                (("Z", R), ("X", W)),
            ],
            false,
        ),
        // W1R2/R2R3/W3W1: ER, SR, EN -> ER then SR is not strong.
        (
            [
                (("X", W), ("Y", R)),
                (("Y", R), ("Z", R)),
                (("Z", W), ("X", W)),
            ],
            false,
        ),
    ];
    for (n, (sections, deadlock)) in cases.into_iter().enumerate() {
        for order in orders {
            let found = run_sections(sections, order);
            let expected = if deadlock {
                vec![FindingKind::CircularDependency]
            } else {
                vec![]
            };
            assert_eq!(found, expected, "case {n}, order {order:?}");
        }
    }
}

#[test]
fn nest_lock_with_an_unrelated_lock_between_and_out_of_order_unlock() {
    // locking-selftest "nest test": L(X1); nest_lock(Y1, X1); L(A); nest_lock(Y2, X1);
    // U(A) U(Y2) U(Y1) U(X1) -> no report.
    let v = validator();
    let x1 = lock(&v, "X", 1);
    let (y1, y2) = (lock(&v, "Y", 1), lock(&v, "Y", 2));
    let a = lock(&v, "A", 1);
    let nested = AcquireOpts {
        nest: Some(x1),
        ..AcquireOpts::default()
    };
    acq(&v, T1, x1, Mode::Write, 1);
    acq_opts(&v, T1, y1, Mode::Write, nested, 2);
    acq(&v, T1, a, Mode::Write, 3);
    acq_opts(&v, T1, y2, Mode::Write, nested, 4);
    for l in [a, y2, y1, x1] {
        rel(&v, T1, l);
    }
    v.thread_exit(T1, Trace::None);
    assert!(
        v.findings().is_empty(),
        "{:?}",
        v.findings().iter().map(|f| &f.report).collect::<Vec<_>>()
    );
}

#[test]
fn capture_leaves_a_cached_held_lock_uncaptured_and_says_so() {
    let v = validator();
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    let take = |t, l| v.acquire(t, l, Mode::Write, AcquireOpts::default(), Trace::Capture);
    take(T1, a); // chain [A] is new: captured
    v.release(T1, a, Trace::None);
    take(T2, a); // chain [A] cached: nothing captured for this held A
    take(T2, b); // chain [A, B] is new: B captured, A's side has no trace
    v.release(T2, b, Trace::None);
    v.release(T2, a, Trace::None);
    take(T3, b);
    take(T3, a);
    let f = only(&v, FindingKind::CircularDependency);
    let entry = f
        .report
        .split("-> #1 (B)")
        .nth(1)
        .expect("chain entry for the A -> B edge");
    let (next_side, prev_side) = entry
        .split_once("-- while holding (A)")
        .expect("both sides printed");
    assert!(
        next_side
            .lines()
            .nth(1)
            .is_some_and(|l| l.trim_start().starts_with("0x")),
        "{}",
        f.report
    );
    assert!(
        prev_side.contains("<trace not captured: the acquisition hit the chain cache>"),
        "{}",
        f.report
    );
}

#[test]
fn cycle_search_counts_its_queue_like_lockdep() {
    let v = validator();
    assert_eq!(v.stats().max_bfs_queue_depth, 0, "no search yet");
    let (a, b) = (lock(&v, "A", 1), lock(&v, "B", 2));
    nest2(&v, T1, (a, Mode::Write), (b, Mode::Write), 1);
    nest2(&v, T1, (b, Mode::Write), (a, Mode::Write), 2);
    assert!(v.stats().max_bfs_queue_depth >= 1, "{}", v.stats());
}
