//! The RFC's feedback loop in userspace: an allocator hook records the stack of every
//! allocation into a stack depot (as KASAN does), and lockdep-graph validates the program's
//! locks with its traces stored in the *same* depot. The kernel's lockdep cannot share
//! stackdepot this way: its fixed 2^19-word array would have to hold both users' traces.
//!
//! ```text
//! cargo run --release --example kasan_feedback
//! ```
//!
//! Rules the hook follows, as a kernel allocator hook must:
//! - it never re-enters itself: a const-initialised thread-local flag is raised while it runs
//!   (and while this program calls into the validator or refills the depot, like lockdep's
//!   `lockdep_recursion`), and allocations made meanwhile are counted, not recorded;
//! - it never allocates or maps: frames go into a stack buffer and the save is `Alloc::NoWait`,
//!   which uses the depot's pre-mapped reserve and fails (counted) when that is empty;
//! - it never refills: the depot's populator thread (`Config::background_population`, on by
//!   default) refills the reserve when a no-wait save asks it to, so nobody calls `refill()`.
//!   `--refiller` adds the explicit alternative for comparison: a thread that calls `refill()`
//!   every millisecond, on a depot with the populator off.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use lockdep_graph::{
    AcquireOpts, ClassKey, LockInstance, Mode, StoreKind, ThreadKey, Trace, Validator,
    ValidatorConfig,
};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use stackdepot::{Alloc, Config, Handle, SaveError, StackDepot};

/// Lockdep's default array, for the comparison at the end.
const FIXED_WORDS: u64 = 1 << 19;
/// Command line.
#[derive(clap::Parser)]
#[command(about = "Allocation stacks (KASAN-style) and lockdep traces sharing one stack depot")]
struct Args {
    /// Worker threads.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// Rounds of work per thread (each allocates several times under a random stack).
    #[arg(long, default_value_t = 6_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    rounds: u32,
    /// Turn the depot's populator off and refill from a thread of our own every millisecond.
    #[arg(long)]
    refiller: bool,
}

/// Frames the hook keeps (the depot's default `max_frames`).
const HOOK_FRAMES: usize = 64;

// ---------------------------------------------------------------------------------------------
// The allocation hook.

/// The depot both users share; the hook records nothing until it is set.
static DEPOT: OnceLock<Arc<StackDepot>> = OnceLock::new();

thread_local! {
    /// Raised while this thread is inside the hook, the validator or a refill.
    static IN_INSTRUMENTATION: Cell<bool> = const { Cell::new(false) };
}

/// What the hook did.
struct HookCounters {
    recorded: AtomicU64,
    reentrant: AtomicU64,
    no_reserve: AtomicU64,
    contended: AtomicU64,
    other_failures: AtomicU64,
    last_handle: AtomicU32,
}

static HOOK: HookCounters = HookCounters {
    recorded: AtomicU64::new(0),
    reentrant: AtomicU64::new(0),
    no_reserve: AtomicU64::new(0),
    contended: AtomicU64::new(0),
    other_failures: AtomicU64::new(0),
    last_handle: AtomicU32::new(0),
};

/// Runs `f` with the hook switched off on this thread (it is not reentrant-safe to record
/// allocations made by the validator or the depot themselves).
fn instrumentation<R>(f: impl FnOnce() -> R) -> R {
    let was = IN_INSTRUMENTATION.with(|c| c.replace(true));
    let r = f();
    IN_INSTRUMENTATION.with(|c| c.set(was));
    r
}

/// Records the current stack; called after every successful allocation.
#[inline(never)]
fn record_allocation() {
    let Some(depot) = DEPOT.get() else { return };
    // `try_with`: during thread teardown the flag may be gone; then we simply skip.
    let Ok(entered) = IN_INSTRUMENTATION.try_with(|c| !c.replace(true)) else {
        return;
    };
    if !entered {
        HOOK.reentrant.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut frames = [0usize; HOOK_FRAMES];
    let n = stackdepot::capture(&mut frames, 1);
    match depot.save_with(&frames[..n], Alloc::NoWait) {
        Ok(h) => {
            HOOK.recorded.fetch_add(1, Ordering::Relaxed);
            HOOK.last_handle.store(h.to_raw(), Ordering::Relaxed);
        }
        Err(SaveError::NoReserve) => {
            HOOK.no_reserve.fetch_add(1, Ordering::Relaxed);
        }
        Err(SaveError::Contended) => {
            HOOK.contended.fetch_add(1, Ordering::Relaxed);
        }
        Err(_) => {
            HOOK.other_failures.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = IN_INSTRUMENTATION.try_with(|c| c.set(false));
}

/// `System`, plus a stack trace per allocation.
struct RecordingAllocator;

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the recording done afterwards touches no memory the caller owns.
unsafe impl GlobalAlloc for RecordingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's `layout` obligations are passed on to `System` unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            record_allocation();
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            record_allocation();
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` (every allocation goes through it) with
        // `layout`; the caller's obligations are passed on unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            record_allocation();
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: RecordingAllocator = RecordingAllocator;

// ---------------------------------------------------------------------------------------------
// Locks the validator sees (the event API with `Trace::Capture`).

static VALIDATOR: OnceLock<Validator> = OnceLock::new();
static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREAD_KEY: Cell<ThreadKey> = const { Cell::new(0) };
}

fn thread_key() -> ThreadKey {
    THREAD_KEY.with(|k| {
        if k.get() == 0 {
            k.set(NEXT_THREAD.fetch_add(1, Ordering::Relaxed));
        }
        k.get()
    })
}

/// A `std` mutex whose acquisitions and releases are reported to the validator.
struct TrackedMutex<T> {
    name: &'static str,
    inner: Mutex<T>,
}

struct TrackedGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    lock: LockInstance,
}

impl<T> TrackedMutex<T> {
    const fn new(name: &'static str, value: T) -> Self {
        TrackedMutex {
            name,
            inner: Mutex::new(value),
        }
    }

    fn instance(&self) -> LockInstance {
        LockInstance {
            class: ClassKey::from_name(self.name),
            id: self as *const Self as usize as u64,
        }
    }

    #[inline(never)]
    fn lock(&self) -> TrackedGuard<'_, T> {
        let lock = self.instance();
        if let Some(v) = VALIDATOR.get() {
            // Reported before blocking, as lockdep does, so a deadlock is reported first.
            instrumentation(|| {
                v.acquire(
                    thread_key(),
                    lock,
                    Mode::Write,
                    AcquireOpts::default(),
                    Trace::Capture,
                )
            });
        }
        // A poisoned lock only means another worker panicked; keep going with its data.
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        TrackedGuard { guard, lock }
    }
}

impl<T> std::ops::Deref for TrackedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> std::ops::DerefMut for TrackedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for TrackedGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(v) = VALIDATOR.get() {
            instrumentation(|| v.release(thread_key(), self.lock, Trace::None));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The workload: several workers, varying recursion, allocations of many sizes, ordered locks
// (cache -> index -> journal; stats is a leaf).

static CACHE: TrackedMutex<Option<HashMap<u64, Vec<u8>>>> = TrackedMutex::new("app.cache", None);
static INDEX: TrackedMutex<Vec<u64>> = TrackedMutex::new("app.index", Vec::new());
static JOURNAL: TrackedMutex<Vec<String>> = TrackedMutex::new("app.journal", Vec::new());
static STATS: TrackedMutex<[u64; 4]> = TrackedMutex::new("app.stats", [0; 4]);

type Rng = Xoshiro256PlusPlus;

#[inline(never)]
fn parse_batch(rng: &mut Rng) {
    let n = rng.random_range(1..64);
    let words: Vec<String> = (0..n)
        .map(|i| format!("token-{i}-{}", rng.random_range(0..1_000_000u32)))
        .collect();
    let mut journal = JOURNAL.lock();
    journal.push(words.join(" "));
    if journal.len() > 256 {
        journal.clear();
    }
}

#[inline(never)]
fn build_index(rng: &mut Rng) {
    let keys: Vec<u64> = (0..rng.random_range(1..4096))
        .map(|_| rng.random())
        .collect();
    let mut cache = CACHE.lock();
    let map = cache.get_or_insert_with(HashMap::new);
    map.insert(keys[0], vec![0u8; rng.random_range(16..2048)]);
    if map.len() > 512 {
        map.clear();
    }
    let mut index = INDEX.lock();
    index.extend_from_slice(&keys[..keys.len().min(32)]);
    if index.len() > 8192 {
        index.truncate(0);
    }
}

#[inline(never)]
fn render_page(rng: &mut Rng) {
    let page: Box<[u8]> = vec![b'x'; rng.random_range(16..65_536)].into_boxed_slice();
    let title = format!("page {} of {}", rng.random_range(0..100u32), page.len());
    let mut stats = STATS.lock();
    stats[0] += black_box(page.len() as u64 + title.len() as u64);
}

#[inline(never)]
fn compress_blocks(rng: &mut Rng) {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for _ in 0..rng.random_range(1..8) {
        blocks.push(vec![0u8; rng.random_range(1..16_384)]);
    }
    let mut cache = CACHE.lock();
    let map = cache.get_or_insert_with(HashMap::new);
    map.insert(rng.random(), blocks.concat());
    let mut journal = JOURNAL.lock();
    journal.push(format!("compressed {} blocks", blocks.len()));
    drop(journal);
    drop(cache);
    STATS.lock()[1] += 1;
}

/// Recursion through three functions chosen at random at every level, to a depth that varies
/// per call: the same work runs under many different stacks, as allocations do in a kernel.
/// The `black_box` after each call keeps it from being a tail call (which would erase frames).
#[inline(never)]
fn descend_a(depth: u32, rng: &mut Rng, work: fn(&mut Rng)) -> u32 {
    black_box(descend(depth, rng, work)) + 1
}

#[inline(never)]
fn descend_b(depth: u32, rng: &mut Rng, work: fn(&mut Rng)) -> u32 {
    black_box(descend(depth, rng, work)) + 2
}

#[inline(never)]
fn descend_c(depth: u32, rng: &mut Rng, work: fn(&mut Rng)) -> u32 {
    black_box(descend(depth, rng, work)) + 3
}

#[inline(never)]
fn descend(depth: u32, rng: &mut Rng, work: fn(&mut Rng)) -> u32 {
    if depth == 0 {
        work(rng);
        return 0;
    }
    match rng.random_range(0..3) {
        0 => descend_a(depth - 1, rng, work),
        1 => descend_b(depth - 1, rng, work),
        _ => descend_c(depth - 1, rng, work),
    }
}

#[inline(never)]
fn worker(seed: u64, rounds: u32) {
    let mut rng = Rng::seed_from_u64(seed);
    let works: [fn(&mut Rng); 4] = [parse_batch, build_index, render_page, compress_blocks];
    for _ in 0..rounds {
        let work = works[rng.random_range(0..works.len())];
        let depth = rng.random_range(0..10);
        black_box(descend(depth, &mut rng, work));
    }
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let args = <Args as clap::Parser>::parse();
    let started = Instant::now();
    let config = Config::default().background_population(!args.refiller);
    let depot = match StackDepot::with_config(config) {
        Ok(depot) => Arc::new(depot),
        Err(e) => {
            eprintln!("cannot create the depot: {e}");
            std::process::exit(1);
        }
    };
    let validator = VALIDATOR.get_or_init(|| {
        Validator::new(ValidatorConfig {
            store: StoreKind::Depot,
            depot: Some(Arc::clone(&depot)),
            ..ValidatorConfig::default()
        })
    });
    instrumentation(|| {
        for l in [CACHE.name, INDEX.name, JOURNAL.name, STATS.name] {
            validator.register_class(ClassKey::from_name(l), l);
        }
        let _ = depot.refill();
    });
    // From here on every allocation is recorded.
    let _ = DEPOT.set(Arc::clone(&depot));

    let stop = Arc::new(AtomicBool::new(false));
    let refills = Arc::new(AtomicU64::new(0));
    let refiller = args.refiller.then(|| {
        let (depot, stop, refills) = (Arc::clone(&depot), Arc::clone(&stop), Arc::clone(&refills));
        std::thread::Builder::new()
            .name("refiller".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if instrumentation(|| depot.refill()).is_ok() {
                        refills.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
            .expect("spawn refiller")
    });

    let workers: Vec<_> = (0..args.threads)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("worker{i}"))
                .spawn(move || {
                    let name = format!("worker{i}");
                    if let Some(v) = VALIDATOR.get() {
                        instrumentation(|| v.set_thread_name(thread_key(), &name));
                    }
                    worker(0x5eed + u64::from(i), args.rounds);
                    if let Some(v) = VALIDATOR.get() {
                        instrumentation(|| v.thread_exit(thread_key(), Trace::None));
                    }
                })
                .expect("spawn worker")
        })
        .collect();
    for w in workers {
        if w.join().is_err() {
            eprintln!("a worker panicked");
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(refiller) = refiller {
        let _ = refiller.join();
    }

    // Report (with the hook off so the report's own allocations do not move the figures).
    instrumentation(|| {
        report(
            &args,
            &depot,
            validator,
            refills.load(Ordering::Relaxed),
            started.elapsed(),
        )
    });
}

fn report(args: &Args, depot: &StackDepot, validator: &Validator, refills: u64, elapsed: Duration) {
    let d = depot.stats();
    let v = validator.stats();
    println!("KASAN-style allocation stacks and lockdep traces in one shared stack depot");
    println!(
        "  {} workers x {} rounds, {:.2} s",
        args.threads,
        args.rounds,
        elapsed.as_secs_f64()
    );
    println!();
    println!("allocation hook:");
    let relaxed = |count: &AtomicU64| count.load(Ordering::Relaxed);
    for (label, count) in [
        ("allocations recorded:", relaxed(&HOOK.recorded)),
        (
            "not recorded (hook/validator/refill):",
            relaxed(&HOOK.reentrant),
        ),
        ("failed, reserve empty (NoWait):", relaxed(&HOOK.no_reserve)),
        (
            "failed, publication busy (NoWait):",
            relaxed(&HOOK.contended),
        ),
        ("failed, other:", relaxed(&HOOK.other_failures)),
        ("refill() calls (--refiller):", refills),
    ] {
        // Counts right-aligned at column 45, whatever the label's length.
        println!("  {label}{count:>width$}", width = 43 - label.len());
    }
    println!();
    println!("shared depot (both users):");
    print!("{d}");
    println!();
    println!("validator (its traces live in the same depot):");
    print!("{v}");
    println!("  findings: {}", validator.finding_count());
    println!();

    let words = 3 * d.traces + d.frames;
    let pct = words as f64 * 100.0 / FIXED_WORDS as f64;
    println!("the same unique traces in lockdep's fixed array (3 + n words each):");
    println!(
        "  {} traces, {} frames -> {} of {} words ({pct:.1}%)",
        d.traces, d.frames, words, FIXED_WORDS
    );
    if words > FIXED_WORDS {
        println!(
            "  a shared 2^19 array would be EXHAUSTED: the validator would have turned itself off."
        );
    } else {
        println!(
            "  a shared 2^19 array would not be exhausted by this run (it is {:.1}x larger).",
            FIXED_WORDS as f64 / words.max(1) as f64
        );
    }
    println!(
        "  depot: {} bytes used, {} mapped, {:.1} bytes per frame",
        d.bytes_used,
        d.bytes_mapped,
        d.bytes_per_frame()
    );

    if let Some(h) = Handle::from_raw(HOOK.last_handle.load(Ordering::Relaxed)) {
        let mut out = String::new();
        if depot.print(h, &mut out).is_ok() {
            println!();
            println!("the last recorded allocation stack (first 12 frames):");
            for line in out.lines().take(12) {
                println!("  {line}");
            }
        }
    }
}
