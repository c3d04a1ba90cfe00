//! Threaded stress: several threads save overlapping sets of traces (a shared
//! pool, each thread in its own random order, some with `NoWait`) while others
//! fetch. Afterwards every handle fetches its exact frames, equal traces got
//! equal handles across threads, and the depot stored each distinct trace
//! exactly once (lost races are allowed; a second stored copy is not).

use std::collections::{HashMap, HashSet};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;

use stackdepot::{Alloc, Config, Handle, SaveError, StackDepot};

use crate::support::{Rng, assert_stats_relations, check_unvouched_fetch};

/// `n` distinct traces of 1..=`max` frames; groups of eight share all but
/// their last frame, so many differ only at the end.
fn pool(n: usize, max: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let len = 1 + rng.below(max);
            let mut t: Vec<usize> = (0..len - 1)
                .map(|k| 0x4000_0000 + (i / 8) * 0x100 + k)
                .collect();
            t.push(0x9000_0000 + i);
            t
        })
        .collect()
}

struct SaveRecord {
    thread: usize,
    index: usize,
    alloc: Alloc,
    result: Result<Handle, SaveError>,
}

fn run_savers(config: Config, threads: usize, pool_len: usize) {
    let depot = StackDepot::with_config(config).expect("config");
    let pool = pool(pool_len, depot.config().max_frames, 0x5eed);
    let barrier = Barrier::new(threads);
    let records: Vec<SaveRecord> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (depot, pool, barrier) = (&depot, &pool, &barrier);
                s.spawn(move || {
                    let mut rng = Rng::new(1000 + t as u64);
                    let mut order: Vec<usize> = (0..pool.len()).collect();
                    let no_wait_thread = t % 2 == 1;
                    let mut out = Vec::with_capacity(2 * pool.len());
                    barrier.wait();
                    for _pass in 0..2 {
                        rng.shuffle(&mut order);
                        for &index in &order {
                            let alloc = if no_wait_thread && rng.below(4) != 0 {
                                Alloc::NoWait
                            } else {
                                Alloc::MayAlloc
                            };
                            let result = depot.save_with(&pool[index], alloc);
                            if result == Err(SaveError::NoReserve) {
                                depot.refill().expect("refill without a cap");
                            }
                            out.push(SaveRecord {
                                thread: t,
                                index,
                                alloc,
                                result,
                            });
                        }
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("saver thread panicked"))
            .collect()
    });

    let mut canonical: HashMap<usize, (Handle, usize)> = HashMap::new();
    let mut owner: HashMap<Handle, usize> = HashMap::new();
    let (mut no_reserve, mut contended) = (0u64, 0u64);
    for r in &records {
        match r.result {
            Ok(h) => {
                let (first, by) = *canonical.entry(r.index).or_insert((h, r.thread));
                assert_eq!(
                    first, h,
                    "trace {} got {first:?} in thread {by} and {h:?} in thread {}",
                    r.index, r.thread
                );
                let o = *owner.entry(h).or_insert(r.index);
                assert_eq!(o, r.index, "traces {o} and {} share {h:?}", r.index);
            }
            Err(SaveError::NoReserve) if r.alloc == Alloc::NoWait => no_reserve += 1,
            Err(SaveError::Contended) if r.alloc == Alloc::NoWait => contended += 1,
            Err(e) => panic!(
                "thread {} {:?} save of trace {}: {e:?}",
                r.thread, r.alloc, r.index
            ),
        }
    }
    // MayAlloc threads saved every trace, so every trace has a handle.
    assert_eq!(canonical.len(), pool.len());
    for (&index, &(h, _)) in &canonical {
        assert_eq!(
            depot.fetch(h),
            Some(pool[index].as_slice()),
            "trace {index} via {h:?}"
        );
    }
    let stats = depot.stats();
    let calls = records.len() as u64;
    assert_eq!(
        stats.traces,
        pool.len() as u64,
        "each distinct trace must be stored exactly once\n{stats}"
    );
    assert_eq!(
        stats.frames,
        pool.iter().map(|t| t.len() as u64).sum::<u64>(),
        "{stats}"
    );
    assert_eq!(stats.saves, calls, "{stats}");
    assert_eq!(stats.no_reserve, no_reserve, "{stats}");
    assert_eq!(stats.contended, contended, "{stats}");
    assert_eq!(stats.failures(), no_reserve + contended, "{stats}");
    let settled = stats.dedup_hits + stats.traces + stats.failures();
    assert!(
        settled <= stats.saves && stats.saves <= settled + stats.lost_races,
        "every save is a hit, a new trace, a failure or a lost race\n{stats}"
    );
    assert_stats_relations(&stats, depot.config());
}

#[test]
fn overlapping_savers_tiny_config() {
    run_savers(Config::tiny(), 6, 1_500);
}

#[test]
fn overlapping_savers_default_config() {
    run_savers(Config::default(), 4, 3_000);
}

#[test]
fn overlapping_savers_single_shard_small_index() {
    // Every thread contends on one index shard whose table keeps growing.
    run_savers(Config::tiny().index_shards(1), 8, 1_000);
}

#[test]
fn fetchers_read_while_writers_insert() {
    let depot = StackDepot::with_config(Config::tiny()).expect("tiny");
    let n = 2_000;
    let pool = pool(n, depot.config().max_frames, 77);
    let pool_set: HashSet<Vec<usize>> = pool.iter().cloned().collect();
    // Handle of each trace once some writer has it (0: not yet).
    let published: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    for (i, t) in pool.iter().enumerate().take(n / 2) {
        let h = depot.save(t).expect("save");
        published[i].store(h.to_raw(), Ordering::Relaxed);
    }
    let writers_done = AtomicBool::new(false);
    let (depot, pool, published, writers_done, pool_set) =
        (&depot, &pool, &published, &writers_done, &pool_set);
    thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|w| {
                s.spawn(move || {
                    let mut rng = Rng::new(500 + w);
                    let mut order: Vec<usize> = (0..n).collect();
                    rng.shuffle(&mut order);
                    for i in order {
                        let alloc = if w == 1 && i % 2 == 0 {
                            Alloc::NoWait
                        } else {
                            Alloc::MayAlloc
                        };
                        let h = match depot.save_with(&pool[i], alloc) {
                            Ok(h) => h,
                            Err(SaveError::NoReserve | SaveError::Contended)
                                if alloc == Alloc::NoWait =>
                            {
                                depot.refill().expect("refill");
                                continue;
                            }
                            Err(e) => panic!("writer {w}: {e:?}"),
                        };
                        // Release: a reader that sees the handle must find the trace.
                        if let Err(other) = published[i].compare_exchange(
                            0,
                            h.to_raw(),
                            Ordering::Release,
                            Ordering::Relaxed,
                        ) {
                            assert_eq!(other, h.to_raw(), "trace {i} got two handles");
                        }
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|r| {
                s.spawn(move || {
                    let mut rng = Rng::new(900 + r);
                    let mut first_address: Vec<Option<*const usize>> = vec![None; n];
                    let mut seen = 0usize;
                    loop {
                        let last_pass = writers_done.load(Ordering::Acquire);
                        for i in 0..n {
                            let raw = published[i].load(Ordering::Acquire);
                            let Some(h) = Handle::from_raw(raw) else {
                                continue;
                            };
                            let got = depot.fetch(h);
                            assert_eq!(
                                got,
                                Some(pool[i].as_slice()),
                                "reader {r}: trace {i} via {h:?}"
                            );
                            let addr = got.map(<[usize]>::as_ptr);
                            match first_address[i] {
                                None => {
                                    first_address[i] = addr;
                                    seen += 1;
                                }
                                Some(a) => assert_eq!(Some(a), addr, "reader {r}: trace {i} moved"),
                            }
                        }
                        for _ in 0..200 {
                            check_unvouched_fetch(depot, rng.next_u32(), pool_set);
                        }
                        if last_pass {
                            break;
                        }
                    }
                    seen
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer panicked");
        }
        writers_done.store(true, Ordering::Release);
        for r in readers {
            let seen = r.join().expect("reader panicked");
            assert_eq!(
                seen, n,
                "after the writers finished every trace is published"
            );
        }
    });
    assert_eq!(depot.stats().traces, n as u64);
}

#[test]
fn concurrent_refills_while_saving() {
    // Every thread alternates new saves with `refill`, so refills race each other
    // for the same reserve slots and the same shards' next index tables.
    for config in [
        Config::tiny(),
        Config::tiny().index_shards(1).reserve_slabs(4),
    ] {
        let depot = StackDepot::with_config(config).expect("config");
        let threads = 6;
        let per_thread = 400;
        let max = depot.config().max_frames;
        let barrier = Barrier::new(threads);
        let results: Vec<(Vec<usize>, Handle)> = thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (depot, barrier) = (&depot, &barrier);
                    s.spawn(move || {
                        let mut out = Vec::with_capacity(per_thread);
                        barrier.wait();
                        for i in 0..per_thread {
                            // Threads share half their traces with the next thread.
                            let id = (t * per_thread + i) / 2 * 2 + (t % 2);
                            let trace = crate::support::distinct_trace(id as u64, 1 + id % max);
                            let alloc = if i % 3 == 0 {
                                Alloc::NoWait
                            } else {
                                Alloc::MayAlloc
                            };
                            match depot.save_with(&trace, alloc) {
                                Ok(h) => out.push((trace, h)),
                                Err(SaveError::NoReserve | SaveError::Contended)
                                    if alloc == Alloc::NoWait => {}
                                Err(e) => panic!("thread {t} {alloc:?}: {e:?}"),
                            }
                            depot.refill().expect("refill without a cap");
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("worker panicked"))
                .collect()
        });
        let mut saved = crate::support::SavedTraces::default();
        for (trace, h) in &results {
            saved.record(trace, *h);
        }
        saved.assert_all_fetch(&depot);
        let stats = depot.stats();
        assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
        assert_stats_relations(&stats, depot.config());
    }
}

#[test]
fn no_wait_saves_of_stored_traces_succeed_while_the_index_grows() {
    // "A trace already stored is always answered", also for `NoWait`, also while
    // other threads insert new traces and every shard's table is being replaced
    // (64 shards of 8 slots: hundreds of table replacements).
    for config in [Config::tiny(), Config::tiny().index_shards(64)] {
        no_wait_hits_during_growth(config);
    }
}

fn no_wait_hits_during_growth(config: Config) {
    let depot = StackDepot::with_config(config).expect("config");
    let max = depot.config().max_frames;
    let stored: Vec<(Vec<usize>, Handle)> = (0..200u64)
        .map(|id| {
            let t = crate::support::distinct_trace(id, 1 + id as usize % max);
            let h = depot.save(&t).expect("save");
            (t, h)
        })
        .collect();
    let writers_done = AtomicBool::new(false);
    let (depot, stored, writers_done) = (&depot, &stored, &writers_done);
    let failures: Vec<String> = thread::scope(|s| {
        let writers: Vec<_> = (0..2u64)
            .map(|w| {
                s.spawn(move || {
                    for id in 0..4_000u64 {
                        let t = crate::support::distinct_trace(
                            1_000_000 * (w + 1) + id,
                            1 + id as usize % max,
                        );
                        depot.save(&t).expect("MayAlloc save without a cap");
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|r| {
                s.spawn(move || {
                    let mut failures = Vec::new();
                    loop {
                        let last = writers_done.load(Ordering::Acquire);
                        for (t, h) in stored.iter() {
                            let got = depot.save_with(t, Alloc::NoWait);
                            if got != Ok(*h) {
                                failures.push(format!(
                                    "reader {r}: {h:?} re-saved with NoWait gave {got:?}"
                                ));
                            }
                        }
                        if last {
                            break;
                        }
                    }
                    failures
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer panicked");
        }
        writers_done.store(true, Ordering::Release);
        readers
            .into_iter()
            .flat_map(|r| r.join().expect("reader panicked"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} no-wait re-saves of stored traces failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    let stats = depot.stats();
    assert_eq!(stats.traces, 200 + 2 * 4_000, "{stats}");
}
