//! Tests: the parking_lot wrappers, each against a validator of its own.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lockdep_graph::wrappers::{
    Condvar, FairMutex, LockClass, LockClassKey, Mutex, MutexGuard, RecursiveRwLock,
    ReentrantMutex, RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard, current_thread_key,
};
use lockdep_graph::{Finding, FindingKind, Sink, Validator, ValidatorConfig};

/// A validator of the test's own (tests run in parallel and must not share a graph).
fn validator() -> &'static Validator {
    Box::leak(Box::new(Validator::new(ValidatorConfig::default())))
}

/// A validator that panics on a finding, for acquisitions that would really deadlock: the
/// report comes before blocking, so the panic stops the thread instead of the deadlock.
fn panicking_validator() -> &'static Validator {
    Box::leak(Box::new(Validator::new(ValidatorConfig {
        sink: Sink::Panic,
        ..ValidatorConfig::default()
    })))
}

fn kinds(findings: &[Finding]) -> Vec<FindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

/// Runs `f` on a new thread called `name` (the name findings report) and waits for it.
fn run_on_thread_named(name: &str, f: impl FnOnce() + Send + 'static) {
    thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// Every lock it returns comes from this one creation site, hence one class.
fn same_site_mutex(validator: &'static Validator) -> Mutex<u32> {
    Mutex::with_validator(validator, 0)
}

#[test]
fn abba_across_two_threads_is_a_circular_dependency_with_captured_traces() {
    let v = validator();
    let a = Arc::new(Mutex::with_validator(v, 0u32));
    let b = Arc::new(Mutex::with_validator(v, 0u32));

    let (a1, b1) = (Arc::clone(&a), Arc::clone(&b));
    run_on_thread_named("ab-thread", move || {
        let _a = a1.lock();
        let _b = b1.lock();
    });
    assert!(v.findings().is_empty(), "{:?}", v.findings());

    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    run_on_thread_named("ba-thread", move || {
        let _b = b2.lock();
        let _a = a2.lock();
    });

    let findings = v.findings();
    assert_eq!(
        kinds(&findings),
        vec![FindingKind::CircularDependency],
        "{findings:?}"
    );
    let finding = &findings[0];
    assert_eq!(finding.thread_name, "ba-thread");
    assert_eq!(finding.locks.len(), 2, "{:?}", finding.locks);
    // Classes are named after the creation sites (this file).
    assert!(
        finding
            .locks
            .iter()
            .all(|name| name.contains("wrappers.rs")),
        "{:?}",
        finding.locks
    );
    // The dependency a -> b is printed with its two traces (where b was taken, and where the
    // held a was taken): real captured stacks, stored in the validator's depot.
    let (next, prev) = dependency_traces(&finding.report, "-> #1");
    let depot = v.depot().expect("the default store is a depot");
    for frames in [&next, &prev] {
        assert!(frames.len() >= 3, "{}", finding.report);
        assert!(frames.iter().all(|&ip| ip != 0));
        let traces = depot.stats().traces;
        let handle = depot
            .save(frames)
            .expect("saving a stored trace again is a dedup hit");
        assert_eq!(
            depot.stats().traces,
            traces,
            "the printed trace was not in the depot"
        );
        assert_eq!(depot.fetch(handle), Some(frames.as_slice()));
    }
    assert_ne!(next, prev);
    // Symbolised, both name the test's closure (the trace starts in the wrapper's lock call).
    // Optimised builds inline the closure into std's thread start, so only debug builds (what
    // the wrappers are for) name it.
    if !cfg!(debug_assertions) {
        return;
    }
    let block = &finding.report
        [finding.report.find("-> #1").unwrap()..finding.report.find("-> #0").unwrap()];
    assert_eq!(
        block
            .matches("abba_across_two_threads_is_a_circular_dependency_with_captured_traces")
            .count(),
        2,
        "{block}"
    );
}

/// The frames of the two traces printed under a dependency header (`-> #1 ...:`): the
/// acquisition of the new lock, then (after `-- while holding`) that of the held one.
fn dependency_traces(report: &str, header: &str) -> (Vec<usize>, Vec<usize>) {
    let start = report
        .find(header)
        .unwrap_or_else(|| panic!("no {header:?} in\n{report}"));
    let (mut next, mut prev, mut after_holding) = (Vec::new(), Vec::new(), false);
    for line in report[start..].lines().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if line.starts_with("-- while holding") {
            after_holding = true;
            continue;
        }
        let Some(hex) = line
            .strip_prefix("0x")
            .and_then(|rest| rest.split_whitespace().next())
        else {
            continue;
        };
        let ip =
            usize::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad frame line {line:?}"));
        if after_holding {
            prev.push(ip)
        } else {
            next.push(ip)
        }
    }
    (next, prev)
}

#[test]
fn a_real_abba_deadlock_is_reported_instead_of_hanging() {
    let v = panicking_validator();
    let a = Arc::new(Mutex::with_validator(v, ()));
    let b = Arc::new(Mutex::with_validator(v, ()));
    let b_taken = Arc::new(AtomicBool::new(false));

    let (a1, b1, b_taken1) = (Arc::clone(&a), Arc::clone(&b), Arc::clone(&b_taken));
    let first = thread::spawn(move || {
        let _a = a1.lock();
        while !b_taken1.load(Ordering::Acquire) {
            thread::yield_now();
        }
        // Reported (a -> b), then blocks until the other thread gives b up.
        let _b = b1.lock();
    });

    let (a2, b2, b_taken2) = (Arc::clone(&a), Arc::clone(&b), Arc::clone(&b_taken));
    let second = thread::spawn(move || {
        let _b = b2.lock();
        b_taken2.store(true, Ordering::Release);
        // Wait until the first thread has reported a -> b and is (about to be) blocked on b.
        let deadline = Instant::now() + Duration::from_secs(20);
        while v.stats().direct_dependencies == 0 {
            assert!(
                Instant::now() < deadline,
                "the first thread never reported a -> b"
            );
            thread::yield_now();
        }
        // b -> a closes the cycle: reported (and the sink panics) before blocking on a.
        let _a = a2.lock();
    });

    assert!(
        second.join().is_err(),
        "the second thread should have panicked on the report"
    );
    first.join().unwrap();
    assert_eq!(kinds(&v.findings()), vec![FindingKind::CircularDependency]);
}

#[test]
fn recursive_read_of_a_recursive_rwlock_is_not_reported() {
    let v = validator();
    let lock = RecursiveRwLock::with_validator(v, 5);
    let first = lock.read();
    let second = lock.read_recursive();
    let third = lock.read();
    assert_eq!(*first + *second + *third, 15);
    drop((third, second, first));
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn non_recursive_read_twice_is_recursive_locking() {
    // parking_lot's RwLock queues readers behind a waiting writer, so reading it twice in one
    // thread can deadlock: lockdep's rule for non-recursive reads.
    let v = validator();
    let lock = RwLock::with_validator(v, 5);
    let first = lock.read();
    let second = lock.read();
    assert_eq!(*first, *second);
    drop((second, first));
    assert_eq!(kinds(&v.findings()), vec![FindingKind::RecursiveLocking]);
}

#[test]
fn write_after_read_on_the_same_lock_is_recursive_locking() {
    let v = panicking_validator();
    let lock = RecursiveRwLock::with_validator(v, 0);
    let read = lock.read();
    // Would deadlock for real: reported before blocking, and the sink's panic stops it.
    let attempt = catch_unwind(AssertUnwindSafe(|| drop(lock.write())));
    assert!(attempt.is_err());
    drop(read);
    let findings = v.findings();
    assert_eq!(
        findings.first().map(|f| f.kind),
        Some(FindingKind::RecursiveLocking),
        "{findings:?}"
    );
}

#[test]
fn try_lock_in_inverted_order_adds_no_edge() {
    let v = validator();
    let a = Mutex::with_validator(v, ());
    let b = Mutex::with_validator(v, ());
    {
        let _a = a.lock();
        let _b = b.lock();
    }
    let dependencies = v.stats().direct_dependencies;
    {
        let _b = b.lock();
        let _a = a.try_lock().expect("a is free");
    }
    assert!(v.findings().is_empty(), "{:?}", v.findings());
    assert_eq!(v.stats().direct_dependencies, dependencies);

    // The same inversion with a blocking lock is reported: the check above could fail.
    {
        let _b = b.lock();
        let _a = a.lock();
    }
    assert_eq!(kinds(&v.findings()), vec![FindingKind::CircularDependency]);
}

#[test]
fn a_failed_try_lock_reports_nothing() {
    let v = validator();
    let m = Mutex::with_validator(v, ());
    let held = m.lock();
    // Reported as an acquisition, this would be recursive locking.
    assert!(m.try_lock().is_none());
    drop(held);
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn condvar_wait_releases_and_reacquires() {
    let v = validator();
    let pair = Arc::new((Mutex::with_validator(v, false), Condvar::new()));
    let after = Arc::new(Mutex::with_validator(v, ()));

    let pair2 = Arc::clone(&pair);
    let notifier = thread::spawn(move || {
        let (ready, cv) = &*pair2;
        *ready.lock() = true;
        cv.notify_all();
    });

    let (ready, cv) = &*pair;
    let mut guard = ready.lock();
    while !*guard {
        cv.wait(&mut guard);
    }
    // Held again as far as the validator is concerned: this is a dependency ready -> after.
    drop(after.lock());
    drop(guard);
    notifier.join().unwrap();
    // A missing re-acquisition would make the guard's release unbalanced.
    assert!(v.findings().is_empty(), "{:?}", v.findings());

    {
        let _after = after.lock();
        let _ready = ready.lock();
    }
    assert_eq!(kinds(&v.findings()), vec![FindingKind::CircularDependency]);
}

#[test]
fn condvar_wait_while_and_timeouts_keep_the_reports_balanced() {
    let v = validator();
    let pair = Arc::new((Mutex::with_validator(v, 0u32), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    let producer = thread::spawn(move || {
        let (count, cv) = &*pair2;
        for _ in 0..3 {
            *count.lock() += 1;
            cv.notify_all();
        }
    });
    let (count, cv) = &*pair;
    let mut guard = count.lock();
    cv.wait_while(&mut guard, |count| *count < 3);
    assert_eq!(*guard, 3);
    let result = cv.wait_for(&mut guard, Duration::from_millis(1));
    assert!(result.timed_out());
    let result = cv.wait_while_for(&mut guard, |count| *count < 100, Duration::from_millis(1));
    assert!(result.timed_out());
    drop(guard);
    producer.join().unwrap();
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn a_lock_held_at_thread_exit_is_reported() {
    let v = validator();
    let m = Arc::new(Mutex::with_validator(v, ()));
    let m2 = Arc::clone(&m);
    run_on_thread_named("leaker", move || std::mem::forget(m2.lock()));
    let findings = v.findings();
    assert_eq!(
        kinds(&findings),
        vec![FindingKind::LocksHeldAtExit],
        "{findings:?}"
    );
    assert_eq!(findings[0].thread_name, "leaker");
}

#[test]
fn a_thread_that_released_everything_exits_silently() {
    let v = validator();
    let m = Arc::new(Mutex::with_validator(v, ()));
    let m2 = Arc::clone(&m);
    thread::spawn(move || drop(m2.lock())).join().unwrap();
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn dropping_a_lock_whose_guard_was_forgotten_is_a_held_lock_freed() {
    let v = validator();
    let m = Mutex::with_validator(v, 7);
    std::mem::forget(m.lock());
    drop(m);
    assert_eq!(kinds(&v.findings()), vec![FindingKind::HeldLockFreed]);

    let v = validator();
    let m = RwLock::with_validator(v, 7);
    std::mem::forget(m.write());
    assert_eq!(m.into_inner(), 7);
    assert_eq!(kinds(&v.findings()), vec![FindingKind::HeldLockFreed]);
}

#[test]
fn dropping_a_released_lock_is_silent() {
    let v = validator();
    let m = Mutex::with_validator(v, 7);
    drop(m.lock());
    drop(m);
    let never_locked = Mutex::with_validator(v, 8);
    assert_eq!(never_locked.into_inner(), 8);
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn two_instances_of_one_creation_site_share_a_class() {
    let v = validator();
    let first = same_site_mutex(v);
    let second = same_site_mutex(v);
    let (i1, i2) = (first.lock_instance(), second.lock_instance());
    assert_eq!(i1.class, i2.class);
    assert_ne!(i1.id, i2.id);

    let _first = first.lock();
    let _second = second.lock();
    assert_eq!(kinds(&v.findings()), vec![FindingKind::RecursiveLocking]);
}

#[test]
fn distinct_creation_sites_are_distinct_classes() {
    let v = validator();
    let first = Mutex::with_validator(v, ());
    let second = Mutex::with_validator(v, ());
    assert_ne!(first.lock_instance().class, second.lock_instance().class);
    let _first = first.lock();
    let _second = second.lock();
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn a_subclass_annotation_suppresses_the_same_class_report() {
    let v = validator();
    let parent = same_site_mutex(v);
    let child = same_site_mutex(v);
    let _parent = parent.lock();
    let _child = child.lock_nested(1);
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn write_nested_suppresses_the_same_class_report_for_rwlocks() {
    fn node(v: &'static Validator) -> RwLock<u32> {
        RwLock::with_validator(v, 0)
    }
    let v = validator();
    let (parent, child) = (node(v), node(v));
    // One class: without the annotation this nesting would be reported.
    assert_eq!(parent.lock_instance().class, child.lock_instance().class);
    let _parent = parent.write();
    let _child = child.write_nested(1);
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn nest_lock_serialises_same_class_locks() {
    let v = validator();
    let outer = Mutex::with_validator(v, ());
    let first = same_site_mutex(v);
    let second = same_site_mutex(v);
    let all = outer.lock();
    let g1 = first.lock_nest_lock(&all);
    let g2 = second.lock_nest_lock(&all);
    drop((g2, g1, all));
    assert!(v.findings().is_empty(), "{:?}", v.findings());

    // The same sequence without the annotation is reported.
    let all = outer.lock();
    let g1 = first.lock();
    let g2 = second.lock();
    drop((g2, g1, all));
    assert_eq!(kinds(&v.findings()), vec![FindingKind::RecursiveLocking]);
}

#[test]
fn explicit_classes_group_locks_from_different_sites() {
    static KEY: LockClassKey = LockClassKey::new("table");
    let v = validator();
    let a = Mutex::with_class_and_validator(LockClass::from_static(&KEY), v, ());
    let b = Mutex::with_class_and_validator(LockClass::from_static(&KEY), v, ());
    let c = Mutex::with_class_and_validator(LockClass::named("bucket"), v, ());
    let d = Mutex::with_class_and_validator(LockClass::named("bucket"), v, ());
    let e = Mutex::with_class_and_validator(lockdep_graph::lock_class!("entry"), v, ());
    assert_eq!(a.lock_instance().class, b.lock_instance().class);
    assert_eq!(c.lock_instance().class, d.lock_instance().class);
    assert_ne!(a.lock_instance().class, c.lock_instance().class);
    assert_ne!(e.lock_instance().class, c.lock_instance().class);

    let _a = a.lock();
    let _b = b.lock();
    let findings = v.findings();
    assert_eq!(kinds(&findings), vec![FindingKind::RecursiveLocking]);
    assert!(
        findings[0].locks.iter().any(|name| name == "table"),
        "{:?}",
        findings[0].locks
    );
}

#[test]
fn reentrant_mutex_reentry_is_not_reported_but_its_order_is() {
    let v = validator();
    let re = ReentrantMutex::with_validator(v, 1);
    let other = Mutex::with_validator(v, ());
    {
        let g1 = re.lock();
        let g2 = re.lock();
        let g3 = re.try_lock().expect("the owner may re-enter");
        assert_eq!(*g1 + *g2 + *g3, 3);
        // Out-of-order drops: the lock is released only with the last guard.
        drop(g1);
        let _o = other.lock(); // re -> other
        drop(g3);
        drop(g2);
    }
    assert!(v.findings().is_empty(), "{:?}", v.findings());
    {
        let _o = other.lock();
        let _re = re.lock(); // other -> re
    }
    assert_eq!(kinds(&v.findings()), vec![FindingKind::CircularDependency]);
}

#[test]
fn upgrade_and_downgrade_keep_the_reports_balanced() {
    let v = validator();
    let lock = RwLock::with_validator(v, 1);
    let upgradable = lock.upgradable_read();
    let mut write = RwLockUpgradableReadGuard::upgrade(upgradable);
    *write += 1;
    let read = RwLockWriteGuard::downgrade(write);
    assert_eq!(*read, 2);
    drop(read);
    let upgradable = lock.try_upgradable_read().expect("free");
    let write = RwLockUpgradableReadGuard::try_upgrade(upgradable).expect("no readers");
    let upgradable = RwLockWriteGuard::downgrade_to_upgradable(write);
    let read = RwLockUpgradableReadGuard::downgrade(upgradable);
    drop(read);
    let mut upgradable = lock.upgradable_read();
    upgradable.with_upgraded(|value| *value += 1);
    assert_eq!(upgradable.try_with_upgraded(|value| *value), Some(3));
    let write = RwLockUpgradableReadGuard::try_upgrade_for(upgradable, Duration::from_secs(10))
        .expect("no readers");
    drop(write);
    assert!(v.findings().is_empty(), "{:?}", v.findings());

    // Still held after a downgrade, as a (non-recursive) reader: reading again is reported.
    let read = RwLockWriteGuard::downgrade(lock.write());
    let again = lock.read();
    drop((again, read));
    assert_eq!(kinds(&v.findings()), vec![FindingKind::RecursiveLocking]);
}

#[test]
fn mapped_and_unlocked_guards_keep_the_reports_balanced() {
    let v = validator();
    let m = Mutex::with_validator(v, (1u32, 2u32));
    let other = Mutex::with_validator(v, ());
    {
        let mut mapped = MutexGuard::map(m.lock(), |pair| &mut pair.1);
        *mapped += 1;
    }
    {
        let mut guard = m.lock();
        // Released while `f` runs: taking `other` here is not a dependency m -> other.
        MutexGuard::unlocked(&mut guard, || drop(other.lock()));
        guard.0 += 1;
    }
    assert_eq!(*m.lock(), (2, 3));
    // Had `unlocked` not reported the release, other -> m would now be an inversion.
    {
        let _o = other.lock();
        let _m = m.lock();
    }
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn timed_acquisitions_are_reported_and_timeouts_released() {
    let v = validator();
    let m = Arc::new(Mutex::with_validator(v, ()));
    let m2 = Arc::clone(&m);
    let (taken_tx, taken_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let _g = m2.lock();
        taken_tx.send(()).unwrap();
        let _ = done_rx.recv();
    });
    taken_rx.recv().unwrap();
    assert!(m.try_lock_for(Duration::from_millis(1)).is_none());
    done_tx.send(()).unwrap();
    holder.join().unwrap();
    let g = m.try_lock_for(Duration::from_secs(10)).expect("free now");
    drop(g);
    assert!(v.findings().is_empty(), "{:?}", v.findings());

    // Reported like a blocking acquisition (it may wait), unlike a trylock: taken under
    // `other`, it is a dependency other -> m, so the opposite order closes a cycle.
    let other = Mutex::with_validator(v, ());
    {
        let _other = other.lock();
        let _m = m.try_lock_for(Duration::from_secs(10)).expect("free");
    }
    assert!(v.findings().is_empty(), "{:?}", v.findings());
    {
        let _m = m.lock();
        let _other = other.lock();
    }
    assert_eq!(kinds(&v.findings()), vec![FindingKind::CircularDependency]);
}

#[test]
fn wrappers_exclude_each_other() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 2_000;
    let v = validator();
    let counter = Arc::new(Mutex::with_validator(v, 0usize));
    let fair = Arc::new(FairMutex::with_validator(v, 0usize));
    let table = Arc::new(RwLock::with_validator(v, (0usize, 0usize)));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (counter, fair, table) =
                (Arc::clone(&counter), Arc::clone(&fair), Arc::clone(&table));
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    {
                        // A read-modify-write split by a yield: lost updates without exclusion.
                        let mut c = counter.lock();
                        let seen = *c;
                        if round % 64 == 0 {
                            thread::yield_now();
                        }
                        *c = seen + 1;
                    }
                    *fair.lock() += 1;
                    if (round + t) % 8 == 0 {
                        let mut w = table.write();
                        w.0 += 1;
                        w.1 += 1;
                    } else {
                        let r = table.read();
                        assert_eq!(r.0, r.1, "a reader saw a half-done write");
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(*counter.lock(), THREADS * ROUNDS);
    assert_eq!(*fair.lock(), THREADS * ROUNDS);
    let writes = (0..THREADS)
        .map(|t| (0..ROUNDS).filter(|r| (r + t) % 8 == 0).count())
        .sum::<usize>();
    assert_eq!(*table.read(), (writes, writes));
    assert!(v.findings().is_empty(), "{:?}", v.findings());
}

#[test]
fn thread_keys_are_stable_per_thread_and_distinct_across_threads() {
    let here = current_thread_key();
    assert_eq!(here, current_thread_key());
    let there = thread::spawn(current_thread_key).join().unwrap();
    assert_ne!(here, there);
    assert_ne!(here, 0);
}

#[test]
fn locks_can_be_statics_and_debug_formats_like_parking_lot() {
    static STATIC: Mutex<u32> = Mutex::new(3);
    static SHARED: RwLock<u32> = RwLock::new_with_class(lockdep_graph::lock_class!("shared"), 4);
    assert_eq!(*STATIC.lock() + *SHARED.read(), 7);

    let v = validator();
    let m = Mutex::with_validator(v, 5);
    assert!(format!("{m:?}").contains("data: 5"), "{m:?}");
    let g = m.lock();
    assert!(format!("{m:?}").contains("<locked>"), "{m:?}");
    assert_eq!(format!("{g:?}"), "5");
    drop(g);
}

#[test]
fn debug_aliases_follow_debug_assertions() {
    use lockdep_graph::wrappers::debug;
    assert_eq!(debug::ENABLED, cfg!(debug_assertions));
    let m: debug::Mutex<u32> = debug::Mutex::new(1);
    assert_eq!(
        std::any::type_name_of_val(&m).contains("lockdep_graph"),
        cfg!(debug_assertions)
    );
}

#[test]
fn unsized_data_and_auto_traits_match_parking_lot() {
    let v = validator();
    let sized = Mutex::with_validator(v, [1, 2, 3]);
    let unsized_ref: &Mutex<[i32]> = &sized;
    unsized_ref.lock()[0] = 4;
    assert_eq!(*unsized_ref.lock(), [4, 2, 3]);

    fn send_sync<T: Send + Sync + ?Sized>() {}
    fn sync<T: Sync + ?Sized>() {}
    send_sync::<Mutex<u32>>();
    send_sync::<FairMutex<u32>>();
    send_sync::<RwLock<u32>>();
    send_sync::<RecursiveRwLock<u32>>();
    send_sync::<ReentrantMutex<u32>>();
    send_sync::<Condvar>();
    sync::<MutexGuard<'static, u32>>();
    sync::<RwLockWriteGuard<'static, u32>>();
    // parking_lot's guards (without its `send_guard` feature) must be released on the thread
    // that took them; so must these, or the release would be reported for the wrong thread.
    // `<G as AmbiguousIfSend<_>>::check()` compiles only when G is not Send: with a Send G both
    // impls apply and the `_` is ambiguous.
    trait AmbiguousIfSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfSend<()> for T {}
    impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}
    <MutexGuard<'static, u32> as AmbiguousIfSend<_>>::check();
    <RwLockWriteGuard<'static, u32> as AmbiguousIfSend<_>>::check();
    <lockdep_graph::wrappers::ReentrantMutexGuard<'static, u32> as AmbiguousIfSend<_>>::check();
    <parking_lot::MutexGuard<'static, u32> as AmbiguousIfSend<_>>::check();
}
