//! Loom models of the depot's publication protocol (run by `scripts/loom.sh`).
//!
//! The slabs and index tables live in OS mappings, which hold `core` atomics, so
//! the models rebuild the protocol in miniature on loom's atomics and cells with
//! the same orderings as `depot.rs` / `index.rs` / `slab.rs` (see the protocol in
//! `depot.rs`), and use the real [`SpinLock`](crate::spin_lock::SpinLock), which
//! goes through `crate::sync`. Loom explores every interleaving (bounded by
//! `LOOM_MAX_PREEMPTIONS`) and fails on any data race — a reader touching a record
//! whose writes do not happen-before its read.
//!
//! Properties:
//! 1. Two threads saving the same new trace get the same handle, and exactly one
//!    record is published (start bit and index slot).
//! 2. A lock-free lookup that finds a slot reads a completely written record.
//! 3. A fetch that sees a start bit also sees the record's end bit (set first,
//!    `Relaxed`, and read `Relaxed`: the start bit's `Release`/`Acquire` orders it)
//!    and reads a completely written record; one that does not reads nothing.
//! 4. Slab population (`region.rs`): a saver opens a slab only after an `Acquire`
//!    load of the populated count shows it, so its record writes happen after the
//!    populating thread's writes to that slab (the touch fallback); a no-wait saver
//!    that finds nothing populated writes nothing; two savers racing to open the
//!    slab through the cursor CAS never both get it.
//! 5. Population requests (`growth.rs`, `populator.rs`): two savers asking for
//!    different targets while the populator serves; after a final drain the
//!    populator has served the larger target and the growth is not left marked
//!    queued with nothing on the list (which would silence it for good). Fails
//!    (a stale target) if the populator clears the flag with a plain store
//!    instead of a read-modify-write.

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use crate::spin_lock::SpinLock;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use loom::sync::atomic::AtomicPtr;

const FRAMES: usize = 2;
const SLOTS: usize = 4;

/// Two record areas (one per writer), start and end bitmaps, a tiny index, one
/// shard lock.
struct MiniDepot {
    records: [UnsafeCell<[usize; FRAMES]>; 2],
    start_bits: AtomicU64,
    end_bits: AtomicU64,
    slots: [AtomicU64; SLOTS],
    lock: SpinLock,
}

impl MiniDepot {
    fn new() -> MiniDepot {
        MiniDepot {
            records: [UnsafeCell::new([0; FRAMES]), UnsafeCell::new([0; FRAMES])],
            start_bits: AtomicU64::new(0),
            end_bits: AtomicU64::new(0),
            slots: [
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
            ],
            lock: SpinLock::new(),
        }
    }

    fn read(&self, record: usize) -> [usize; FRAMES] {
        self.records[record].with(|p| {
            // SAFETY: loom checks that this read happens-after the record's write.
            unsafe { *p }
        })
    }

    /// Lock-free probe: `Acquire` slot loads, compare frames of a match.
    fn lookup(&self, key: u64, frames: [usize; FRAMES]) -> Option<u64> {
        for slot in &self.slots {
            let v = slot.load(Ordering::Acquire);
            if v == 0 {
                return None;
            }
            if v >> 32 == key && self.read((v as u32 - 1) as usize) == frames {
                return Some(v);
            }
        }
        None
    }

    /// Save as `depot.rs` does: lookup, write own record, lock, re-probe, publish.
    fn save(&self, me: usize, key: u64, frames: [usize; FRAMES]) -> u64 {
        if let Some(v) = self.lookup(key, frames) {
            return v;
        }
        self.records[me].with_mut(|p| {
            // SAFETY: record `me` belongs to this thread alone until published.
            unsafe { *p = frames }
        });
        let _guard = self.lock.lock();
        let mut free = None;
        for slot in &self.slots {
            let v = slot.load(Ordering::Relaxed);
            if v == 0 {
                free = Some(slot);
                break;
            }
            if v >> 32 == key && self.read((v as u32 - 1) as usize) == frames {
                return v;
            }
        }
        let value = (key << 32) | (me as u64 + 1);
        self.end_bits.fetch_or(1 << me, Ordering::Relaxed);
        self.start_bits.fetch_or(1 << me, Ordering::Release);
        free.expect("the model never fills its index")
            .store(value, Ordering::Release);
        value
    }

    /// Fetch as `depot.rs` does: `Acquire` start bit, `Relaxed` end bit (the
    /// length), then read.
    fn fetch(&self, record: usize) -> Option<[usize; FRAMES]> {
        if self.start_bits.load(Ordering::Acquire) & (1 << record) == 0 {
            return None;
        }
        assert_ne!(
            self.end_bits.load(Ordering::Relaxed) & (1 << record),
            0,
            "a published start bit implies a visible end bit"
        );
        Some(self.read(record))
    }
}

fn run_model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    eprintln!("loom model: {name}");
    builder.check(f);
}

#[test]
fn racing_saves_of_one_trace_publish_one_record() {
    run_model("racing saves", || {
        let depot = Arc::new(MiniDepot::new());
        let frames = [0x1111, 0x2222];
        let other = {
            let depot = depot.clone();
            thread::spawn(move || depot.save(1, 7, frames))
        };
        let mine = depot.save(0, 7, frames);
        let theirs = other.join().unwrap();
        assert_eq!(mine, theirs, "equal traces must get equal handles");
        let published = depot.start_bits.load(Ordering::Relaxed).count_ones();
        assert_eq!(published, 1, "exactly one record is published");
        assert_eq!(depot.lookup(7, frames), Some(mine));
    });
}

#[test]
fn readers_see_complete_records() {
    run_model("lookup and fetch during a save", || {
        let depot = Arc::new(MiniDepot::new());
        let frames = [0xaaaa, 0xbbbb];
        let reader = {
            let depot = depot.clone();
            thread::spawn(move || {
                if let Some(v) = depot.lookup(9, frames) {
                    assert_eq!(depot.read((v as u32 - 1) as usize), frames);
                }
                if let Some(read) = depot.fetch(0) {
                    assert_eq!(read, frames);
                }
            })
        };
        depot.save(0, 9, frames);
        reader.join().unwrap();
    });
}

/// One slab of a region: its memory, the populated count and the bump cursor, with
/// the orderings of `region.rs` (`grow`) and `depot.rs` (`alloc_record`).
struct MiniRegion {
    slab: UnsafeCell<[usize; FRAMES]>,
    populated: AtomicUsize,
    /// 0: no slab open; 1: slab 0 open and taken (one record fills it here).
    cursor: AtomicU64,
}

impl MiniRegion {
    /// `grow`: the OS backs the slab (modelled by the touch fallback's write),
    /// then the count is published with `Release`.
    fn populate(&self) {
        self.slab.with_mut(|p| {
            // SAFETY: slabs at or beyond `populated` belong to the populator alone.
            unsafe { (*p)[0] = 0 }
        });
        self.populated.store(1, Ordering::Release);
    }

    /// `alloc_record` + `write_record` for a no-wait save: opens slab 0 only if it
    /// is populated, then writes a record into it. `true` if it wrote.
    fn save(&self, frames: [usize; FRAMES]) -> bool {
        if self.populated.load(Ordering::Acquire) == 0 {
            return false; // NoReserve: nothing touched
        }
        if self
            .cursor
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false; // another saver took the slab
        }
        self.slab.with_mut(|p| {
            // SAFETY: the cursor CAS gave this thread the range alone; loom checks
            // that this write happens after the populator's.
            unsafe { *p = frames }
        });
        true
    }
}

#[test]
fn slabs_are_opened_only_after_their_population() {
    run_model("population, then racing no-wait saves", || {
        let region = Arc::new(MiniRegion {
            slab: UnsafeCell::new([7; FRAMES]),
            populated: AtomicUsize::new(0),
            cursor: AtomicU64::new(0),
        });
        let populator = {
            let region = region.clone();
            thread::spawn(move || region.populate())
        };
        let saver = {
            let region = region.clone();
            thread::spawn(move || region.save([1, 2]))
        };
        let mine = region.save([3, 4]);
        populator.join().unwrap();
        let theirs = saver.join().unwrap();
        assert!(!(mine && theirs), "one slab handed to two savers");
        let written = region.slab.with(|p| {
            // SAFETY: every thread has been joined.
            unsafe { *p }
        });
        match (mine, theirs) {
            (true, _) => assert_eq!(written, [3, 4]),
            (_, true) => assert_eq!(written, [1, 2]),
            _ => assert_eq!(written, [0, 7], "population ran; no saver wrote"),
        }
    });
}

/// A growth and the populator's request list, with the orderings of `growth.rs`
/// (`ask`, `serve`) and `populator.rs` (`request`, `run`).
struct MiniRequests {
    head: AtomicPtr<MiniGrowth>,
    /// The largest target the populator has read (what it would populate to).
    served: AtomicUsize,
}

struct MiniGrowth {
    wanted: AtomicUsize,
    queued: AtomicBool,
    next: AtomicPtr<MiniGrowth>,
}

impl MiniRequests {
    /// `populator::request`: raise the target, set the flag; only the saver that
    /// found it clear pushes (Treiber push, `Release`).
    fn request(&self, growth: &MiniGrowth, target: usize) {
        growth.wanted.fetch_max(target, Ordering::Relaxed);
        if growth.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let node = core::ptr::from_ref(growth).cast_mut();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            growth.next.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange(head, node, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// One round of `populator::run`: take the whole list (`Acquire`), and for
    /// each growth `Growth::serve`: clear the flag with an `AcqRel` swap, then
    /// read the target. `false` if the list was empty.
    fn serve_once(&self) -> bool {
        let mut node = self.head.swap(core::ptr::null_mut(), Ordering::Acquire);
        if node.is_null() {
            return false;
        }
        while !node.is_null() {
            // SAFETY: nodes on the list are the test's growths, alive until it ends.
            let growth = unsafe { &*node };
            node = growth.next.load(Ordering::Relaxed);
            growth.queued.swap(false, Ordering::AcqRel);
            let wanted = growth.wanted.load(Ordering::Relaxed);
            self.served.fetch_max(wanted, Ordering::Relaxed);
        }
        true
    }
}

#[test]
fn population_requests_are_never_lost() {
    run_model("population requests", || {
        let requests = Arc::new(MiniRequests {
            head: AtomicPtr::new(core::ptr::null_mut()),
            served: AtomicUsize::new(0),
        });
        let growth = Arc::new(MiniGrowth {
            wanted: AtomicUsize::new(0),
            queued: AtomicBool::new(false),
            next: AtomicPtr::new(core::ptr::null_mut()),
        });
        let savers: Vec<_> = [1, 2]
            .into_iter()
            .map(|target| {
                let (requests, growth) = (requests.clone(), growth.clone());
                thread::spawn(move || requests.request(&growth, target))
            })
            .collect();
        let populator = {
            let requests = requests.clone();
            thread::spawn(move || {
                requests.serve_once();
            })
        };
        for saver in savers {
            saver.join().unwrap();
        }
        populator.join().unwrap();
        // The populator wakes for every push (unpark); drain what is left.
        while requests.serve_once() {}
        assert_eq!(
            requests.served.load(Ordering::Relaxed),
            2,
            "the populator never read the larger target"
        );
        assert!(
            !growth.queued.load(Ordering::Relaxed),
            "the growth is marked queued but is on no list: later requests would be dropped"
        );
    });
}
