//! The validator: public API and plumbing (locks, sinks, statistics). The lockdep algorithm
//! itself (acquire, validate, release) lives in `engine.rs`.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use stackdepot::StackDepot;

use crate::engine::{EventTrace, Pending, stack_anchor};
use crate::graph::Graph;
use crate::held::ThreadState;
use crate::registry::{Registry, ThreadSlot};
use crate::trace_store::{DepotStore, FixedStore, TraceStore, refill_if_needed};
use crate::{
    AcquireOpts, ClassKey, Finding, LockInstance, Mode, Sink, StoreKind, ThreadKey, Trace,
    ValidatorConfig, ValidatorStats,
};

/// Bit of [`Validator::off`]: event processing switched off (`set_enabled(false)`).
const DISABLED: u8 = 1;
/// Bit of [`Validator::off`]: validation stopped (a Fixed store overflowed).
pub(crate) const NOT_VALIDATING: u8 = 2;

/// Counters of threads that have exited (their state is gone).
#[derive(Default)]
pub(crate) struct Retired {
    pub(crate) acquisitions: u64,
    pub(crate) chain_cache_hits: u64,
    pub(crate) max_depth: u64,
}

/// The lock-dependency validator. `Send + Sync`: share it (`&'static`, `Arc`) between the
/// threads whose locking it checks.
///
/// Events come in through [`acquire`](Self::acquire), [`release`](Self::release),
/// [`init`](Self::init), [`drop_lock`](Self::drop_lock) and
/// [`thread_exit`](Self::thread_exit); findings are recorded (see
/// [`findings`](Self::findings)) and delivered to the configured [`Sink`].
pub struct Validator {
    pub(crate) store_kind: StoreKind,
    pub(crate) depot: Option<Arc<StackDepot>>,
    pub(crate) refill: Arc<AtomicBool>,
    pub(crate) sink: Sink,
    /// [`DISABLED`] (`set_enabled(false)`) and [`NOT_VALIDATING`] (lockdep's `debug_locks ==
    /// 0`) in one word, so that the hot path's "is anything off?" is one load.
    pub(crate) off: AtomicU8,
    pub(crate) chains: crate::chain_cache::ChainCache,
    pub(crate) registry: Registry,
    pub(crate) graph: Mutex<Graph>,
    pub(crate) findings: Mutex<Vec<Finding>>,
    pub(crate) finding_total: AtomicU64,
    pub(crate) retired: Mutex<Retired>,
}

impl Validator {
    /// A validator with its own empty graph.
    pub fn new(config: ValidatorConfig) -> Validator {
        let refill = Arc::new(AtomicBool::new(false));
        let (depot, store): (Option<Arc<StackDepot>>, Box<dyn TraceStore>) = match config.store {
            StoreKind::Depot => {
                let depot = config.depot.unwrap_or_else(|| Arc::new(StackDepot::new()));
                (
                    Some(depot.clone()),
                    Box::new(DepotStore::new(depot, refill.clone())),
                )
            }
            StoreKind::Fixed { bits } => (None, Box::new(FixedStore::new(bits))),
        };
        Validator {
            store_kind: config.store,
            depot,
            refill,
            sink: config.sink,
            off: AtomicU8::new(0),
            chains: crate::chain_cache::ChainCache::new(),
            registry: Registry::new(),
            graph: Mutex::new(Graph::new(store)),
            findings: Mutex::new(Vec::new()),
            finding_total: AtomicU64::new(0),
            retired: Mutex::new(Retired::default()),
        }
    }

    /// The process-wide validator (Depot store, [`Sink::Stderr`]), created on first use.
    pub fn global() -> &'static Validator {
        static GLOBAL: OnceLock<Validator> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Validator::new(ValidatorConfig {
                sink: Sink::Stderr,
                ..ValidatorConfig::default()
            })
        })
    }

    /// Names a class for reports. Idempotent; a later different name replaces the earlier
    /// one. A class never named prints as `class#<hex key>`; several keys with one name print
    /// as `name`, `name#2`, ... (lockdep's `name_version`). Names survive [`reset`](Self::reset).
    pub fn register_class(&self, key: ClassKey, name: &str) {
        self.graph.lock().register_name(key, name);
    }

    /// Names a thread for reports (`name/<thread key>`); the default name is `thread`.
    pub fn set_thread_name(&self, thread: ThreadKey, name: &str) {
        self.with_thread(thread, true, |ts| ts.name = Some(name.to_owned()));
    }

    /// `thread` acquired `lock` in `mode` (for a blocking lock, report it right before
    /// blocking, as lockdep does, so a deadlock is reported before it happens).
    ///
    /// On the hot path — the thread's class cache knows the class and the held-stack sequence
    /// was validated before — this takes no global lock and saves no trace.
    #[inline(never)]
    pub fn acquire(
        &self,
        thread: ThreadKey,
        lock: LockInstance,
        mode: Mode,
        opts: AcquireOpts,
        trace: Trace<'_>,
    ) {
        if !self.active() {
            return;
        }
        // The fast path on this OS thread's cached slot, inlined here. When it declines it
        // has changed nothing, and the slow path takes the thread's state afresh.
        let done = self.registry.with_cached(thread, |slot| {
            let mut ts = slot.state.lock();
            // A slot retired by thread_exit or reset: the slow path looks the key up again.
            (!ts.dead).then(|| self.acquire_cached(&mut ts, lock, mode, &opts, &trace))
        });
        if done != Some(true) {
            // Taken here, in the public function's frame, so that a trace captured by the
            // slow path starts at our caller.
            self.acquire_slow(thread, lock, mode, opts, trace, stack_anchor());
        }
    }

    /// Everything [`acquire`](Self::acquire) does beyond its fast path: findings and traces
    /// are prepared, the acquisition processed, the findings delivered.
    #[cold]
    #[inline(never)]
    fn acquire_slow(
        &self,
        thread: ThreadKey,
        lock: LockInstance,
        mode: Mode,
        opts: AcquireOpts,
        trace: Trace<'_>,
        anchor: usize,
    ) {
        let mut pending = Pending::default();
        let mut ev = EventTrace::new(trace, anchor);
        let panics = matches!(self.sink, Sink::Panic);
        self.with_thread(thread, true, |ts| {
            let depth = ts.held.len();
            self.acquire_event(ts, thread, lock, mode, opts, &mut ev, None, &mut pending);
            if panics && !pending.findings.is_empty() {
                // The caller unwinds out of its lock call and never holds the lock: undo.
                ts.undo_acquire(depth, &lock);
            }
        });
        self.finish(pending);
    }

    /// `thread` released `lock`. Releasing a lock that is not on top of the held stack is
    /// legal: the locks above it are re-validated (lockdep's `reacquire_held_locks`).
    /// Releasing a lock the thread does not hold is reported (`BadUnlockBalance`).
    #[inline(never)]
    pub fn release(&self, thread: ThreadKey, lock: LockInstance, trace: Trace<'_>) {
        if !self.active() {
            return;
        }
        let done = self.registry.with_cached(thread, |slot| {
            let mut ts = slot.state.lock();
            (!ts.dead).then(|| Self::release_cached(&mut ts, lock))
        });
        if done != Some(true) {
            self.release_slow(thread, lock, trace, stack_anchor());
        }
    }

    /// Everything [`release`](Self::release) does beyond its fast path.
    #[cold]
    #[inline(never)]
    fn release_slow(&self, thread: ThreadKey, lock: LockInstance, trace: Trace<'_>, anchor: usize) {
        let mut pending = Pending::default();
        let mut ev = EventTrace::new(trace, anchor);
        self.with_thread(thread, true, |ts| {
            self.release_event(ts, thread, lock, &mut ev, &mut pending)
        });
        self.finish(pending);
    }

    /// `lock` is (re)initialised; if any thread holds it, that is reported (`HeldLockFreed`).
    #[inline(never)]
    pub fn init(&self, thread: ThreadKey, lock: LockInstance, trace: Trace<'_>) {
        self.check_not_held(thread, lock, trace, "initialising");
    }

    /// `lock`'s memory goes away; if any thread holds it, that is reported (`HeldLockFreed`).
    #[inline(never)]
    pub fn drop_lock(&self, thread: ThreadKey, lock: LockInstance, trace: Trace<'_>) {
        self.check_not_held(thread, lock, trace, "freeing");
    }

    /// `thread` ends. If it still holds locks that is reported (`LocksHeldAtExit`); then its
    /// state is forgotten (a later event with the same key starts a fresh, empty stack).
    #[inline(never)]
    pub fn thread_exit(&self, thread: ThreadKey, trace: Trace<'_>) {
        if !self.is_enabled() {
            return;
        }
        let mut pending = Pending::default();
        let mut ev = EventTrace::new(trace, stack_anchor());
        if let Some(slot) = self.registry.remove(thread) {
            let mut ts = slot.state.lock();
            if !ts.held.is_empty() && self.is_validating() {
                self.report_held_at_exit(&ts, thread, &mut ev, &mut pending);
            }
            ts.dead = true;
            let mut r = self.retired.lock();
            r.acquisitions += ts.acquisitions;
            r.chain_cache_hits += ts.chain_cache_hits;
            r.max_depth = r.max_depth.max(ts.max_depth);
        }
        self.finish(pending);
    }

    /// Turns event processing on or off (off: every event is ignored, like lockdep's
    /// `prove_locking=0`; held stacks are not updated, so switch it only while no tracked lock
    /// is held).
    pub fn set_enabled(&self, on: bool) {
        if on {
            self.off.fetch_and(!DISABLED, Ordering::Relaxed);
        } else {
            self.off.fetch_or(DISABLED, Ordering::Relaxed);
        }
    }

    /// Whether events are processed.
    pub fn is_enabled(&self) -> bool {
        self.off.load(Ordering::Relaxed) & DISABLED == 0
    }

    /// Whether validation is still on: false once a Fixed store overflowed (lockdep's
    /// `debug_locks == 0`), until [`reset`](Self::reset).
    pub fn is_validating(&self) -> bool {
        self.off.load(Ordering::Relaxed) & NOT_VALIDATING == 0
    }

    /// Forgets classes, dependencies, chains, held stacks, findings and counters, and turns
    /// validation back on (a Fixed store starts empty again; a depot keeps its traces, it is
    /// append-only and may be shared). Class and thread names are kept. Meant for per-test
    /// scoping: calling it while other threads hold tracked locks loses their held state.
    pub fn reset(&self) {
        for slot in self.registry.clear() {
            slot.state.lock().dead = true;
        }
        {
            let mut g = self.graph.lock();
            g.reset();
            self.chains.clear();
        }
        self.findings.lock().clear();
        self.finding_total.store(0, Ordering::Relaxed);
        *self.retired.lock() = Retired::default();
        self.off.fetch_and(!NOT_VALIDATING, Ordering::Relaxed);
    }

    /// All findings recorded since the last [`reset`](Self::reset) or
    /// [`take_findings`](Self::take_findings) (recorded whatever the sink).
    pub fn findings(&self) -> Vec<Finding> {
        self.findings.lock().clone()
    }

    /// Takes the recorded findings, leaving none.
    pub fn take_findings(&self) -> Vec<Finding> {
        std::mem::take(&mut *self.findings.lock())
    }

    /// Number of findings currently recorded.
    pub fn finding_count(&self) -> usize {
        self.findings.lock().len()
    }

    /// A snapshot of the counters (Display prints a `/proc/lockdep_stats`-style block).
    pub fn stats(&self) -> ValidatorStats {
        let mut s = ValidatorStats::default();
        {
            let g = self.graph.lock();
            s.lock_classes = g.classes.len() as u64;
            s.direct_dependencies = g.deps.len() as u64;
            s.dependency_chains = g.dependency_chains;
            s.chain_hlocks = g.chain_hlocks;
            s.max_bfs_queue_depth = g.max_bfs_queue_depth;
            s.traces_unavailable = g.traces_unavailable;
            g.store.fill_stats(&mut s);
        }
        for (_, slot) in self.registry.all() {
            let ts = slot.state.lock();
            s.acquisitions += ts.acquisitions;
            s.chain_cache_hits += ts.chain_cache_hits;
            s.max_held_depth = s.max_held_depth.max(ts.max_depth);
        }
        {
            let r = self.retired.lock();
            s.acquisitions += r.acquisitions;
            s.chain_cache_hits += r.chain_cache_hits;
            s.max_held_depth = s.max_held_depth.max(r.max_depth);
        }
        s.findings = self.finding_total.load(Ordering::Relaxed);
        s.debug_locks = self.is_validating();
        s
    }

    /// The trace store in use.
    pub fn store_kind(&self) -> StoreKind {
        self.store_kind
    }

    /// The depot traces are saved in (`StoreKind::Depot` only).
    pub fn depot(&self) -> Option<&Arc<StackDepot>> {
        self.depot.as_ref()
    }

    // ---- plumbing -------------------------------------------------------------------------

    #[inline]
    fn active(&self) -> bool {
        self.off.load(Ordering::Relaxed) == 0
    }

    /// Runs `f` on `thread`'s state, locked; `None` if the thread is unknown and `create` is
    /// false. The common case (this OS thread's cached slot) takes no shared lock.
    #[inline]
    pub(crate) fn with_thread<R>(
        &self,
        thread: ThreadKey,
        create: bool,
        f: impl FnOnce(&mut ThreadState) -> R,
    ) -> Option<R> {
        let mut f = Some(f);
        let cached = self.registry.with_cached(thread, |slot| {
            let mut ts = slot.state.lock();
            // A slot retired by thread_exit or reset: look the key up again.
            if ts.dead {
                return None;
            }
            f.take().map(|f| f(&mut ts))
        });
        if cached.is_some() {
            return cached;
        }
        self.with_thread_lookup(thread, create, f?)
    }

    /// [`with_thread`](Self::with_thread) when this OS thread's cached slot does not apply:
    /// through the registry's map (which also refreshes the cache).
    #[cold]
    #[inline(never)]
    fn with_thread_lookup<R>(
        &self,
        thread: ThreadKey,
        create: bool,
        f: impl FnOnce(&mut ThreadState) -> R,
    ) -> Option<R> {
        let mut f = Some(f);
        loop {
            let slot: Arc<ThreadSlot> = self.registry.slot(thread, create)?;
            let mut ts = slot.state.lock();
            if ts.dead {
                continue;
            }
            return f.take().map(|f| f(&mut ts));
        }
    }

    /// Work after every slow path, with no validator lock held: refill the depot reserve,
    /// record and deliver findings. Traces are saved only under the graph lock, which only a
    /// slow path takes, so the fast paths (which never save) skip this entirely.
    pub(crate) fn finish(&self, pending: Pending) {
        if let Some(depot) = &self.depot {
            refill_if_needed(depot, &self.refill);
        }
        if pending.findings.is_empty() {
            return;
        }
        let n = pending.findings.len() as u64;
        self.findings
            .lock()
            .extend(pending.findings.iter().cloned());
        self.finding_total.fetch_add(n, Ordering::Relaxed);
        match &self.sink {
            Sink::Collect => {}
            Sink::Stderr => {
                for f in &pending.findings {
                    eprint!("{}", f.report);
                }
            }
            Sink::Callback(cb) => {
                for f in &pending.findings {
                    cb(f);
                }
            }
            Sink::Panic => {
                if let Some(f) = pending.findings.first() {
                    panic!("lockdep-graph: {}\n{}", f.kind.as_str(), f.report);
                }
            }
        }
    }

    fn check_not_held(&self, thread: ThreadKey, lock: LockInstance, trace: Trace<'_>, what: &str) {
        if !self.active() {
            return;
        }
        let mut pending = Pending::default();
        let mut ev = EventTrace::new(trace, stack_anchor());
        let caller = self
            .with_thread(thread, false, |ts| ts.display_name().to_owned())
            .unwrap_or_else(|| "thread".into());
        for (holder, slot) in self.registry.all() {
            let ts = slot.state.lock();
            if ts.dead {
                continue;
            }
            if let Some(i) = ts.held.iter().position(|h| h.instance == lock) {
                self.report_held_lock_freed(
                    &ts,
                    holder,
                    i,
                    thread,
                    &caller,
                    what,
                    &mut ev,
                    &mut pending,
                );
            }
        }
        self.finish(pending);
    }
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("store", &self.store_kind)
            .field("sink", &self.sink)
            .field("enabled", &self.is_enabled())
            .field("validating", &self.is_validating())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::engine::hlock_id;
    use crate::jhash::{INITIAL_CHAIN_KEY, iterate_chain_key};
    use crate::{AcquireOpts, FindingKind};

    #[test]
    fn validator_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Validator>();
    }

    /// lockdep's `check_chain_key`: the incremental key equals the key recomputed from the
    /// held stack, and every entry's `prev_chain_key` is the key of the entries below it.
    fn assert_chain_keys(ts: &ThreadState) {
        let mut key = INITIAL_CHAIN_KEY;
        for h in &ts.held {
            assert_eq!(h.prev_chain_key, key);
            key = iterate_chain_key(key, hlock_id(h.class, h.read()));
        }
        if !ts.held.is_empty() {
            assert_eq!(ts.chain_key, key);
        }
        let arena_end = ts.held.last().map_or(0, |h| h.frames.end);
        assert_eq!(ts.frames.len(), arena_end, "frame arena matches the stack");
    }

    fn mode(m: u8) -> Mode {
        match m % 3 {
            0 => Mode::Write,
            1 => Mode::Read,
            _ => Mode::ReadRecursive,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Random acquisitions (any order, any mode, some trylocks) and releases at any stack
        /// position keep the held stack, chain keys and frame arena consistent.
        #[test]
        fn chain_keys_survive_out_of_order_release(ops in proptest::collection::vec((0u64..6, any::<bool>(), 0u8..3), 1..80)) {
            let v = Validator::new(ValidatorConfig::default());
            let mut model: Vec<u64> = Vec::new();
            for (i, trylock, m) in ops {
                let lock = LockInstance { class: ClassKey(i + 1), id: i };
                let frames = [0x1000 + i as usize, 0x2000];
                if let Some(pos) = model.iter().position(|&x| x == i) {
                    v.release(1, lock, Trace::Frames(&frames));
                    model.remove(pos);
                } else {
                    let opts = AcquireOpts { trylock, ..AcquireOpts::default() };
                    v.acquire(1, lock, mode(m), opts, Trace::Frames(&frames));
                    model.push(i);
                }
                let held: Vec<u64> = v
                    .with_thread(1, false, |ts| {
                        assert_chain_keys(ts);
                        ts.held.iter().map(|h| h.instance.id).collect()
                    })
                    .unwrap_or_default();
                prop_assert_eq!(&held, &model);
            }
            // Cycles may be reported, but never an imbalance or recursion (distinct classes,
            // balanced releases).
            prop_assert!(v.findings().iter().all(|f| f.kind == FindingKind::CircularDependency));
        }

        /// Acquiring only in one global class order never produces a finding, whatever the
        /// modes, trylocks and release order.
        #[test]
        fn a_global_order_is_never_reported(ops in proptest::collection::vec((0u64..6, any::<bool>(), 0u8..3, 0u64..3), 1..80)) {
            let v = Validator::new(ValidatorConfig::default());
            let mut held: Vec<Vec<u64>> = vec![Vec::new(); 3];
            for (i, trylock, m, t) in ops {
                let lock = LockInstance { class: ClassKey(i + 1), id: i };
                let stack = &mut held[t as usize];
                if let Some(pos) = stack.iter().position(|&x| x == i) {
                    v.release(t, lock, Trace::None);
                    stack.remove(pos);
                } else if stack.iter().all(|&x| x < i) {
                    let opts = AcquireOpts { trylock, ..AcquireOpts::default() };
                    v.acquire(t, lock, mode(m), opts, Trace::None);
                    stack.push(i);
                }
            }
            prop_assert!(v.findings().is_empty(), "{:?}", v.findings().iter().map(|f| &f.report).collect::<Vec<_>>());
        }

        /// The fast paths change nothing a full (slow-path) event would not: the same random
        /// events, fed to one validator through the public API and to another through the
        /// slow paths only, leave identical held stacks, chain keys, counters, graphs and
        /// findings. Covers cached and uncached chains, trylocks, read modes, subclasses
        /// (valid and not), nest locks, out-of-order and unbalanced releases, several
        /// threads, all trace kinds and resets.
        #[test]
        fn fast_paths_match_the_slow_paths(ops in proptest::collection::vec((0u8..10, 0u64..5, 0u64..8, 0u8..3, 0u8..10, 0u8..3), 1..150)) {
            // The fast path needs this OS thread's cached slot to be the event's: run each
            // validator's events in one go, watching only the thread of each event.
            let fast = Validator::new(ValidatorConfig::default());
            let slow = Validator::new(ValidatorConfig::default());
            let fast_views = run_events(&fast, &ops, true);
            let slow_views = run_events(&slow, &ops, false);
            prop_assert_eq!(fast_views, slow_views);
            for thread in 0..2 {
                prop_assert_eq!(thread_view(&fast, thread), thread_view(&slow, thread));
            }
            let (fs, ss) = (fast.stats(), slow.stats());
            prop_assert_eq!(fs.acquisitions, ss.acquisitions);
            prop_assert_eq!(fs.chain_cache_hits, ss.chain_cache_hits);
            prop_assert_eq!(fs.max_held_depth, ss.max_held_depth);
            prop_assert_eq!(fs.lock_classes, ss.lock_classes);
            prop_assert_eq!(fs.direct_dependencies, ss.direct_dependencies);
            prop_assert_eq!(fs.dependency_chains, ss.dependency_chains);
            let kinds = |v: &Validator| v.findings().iter().map(|f| (f.kind, f.locks.clone())).collect::<Vec<_>>();
            prop_assert_eq!(kinds(&fast), kinds(&slow));
        }
    }

    type Event = (u8, u64, u64, u8, u8, u8);

    /// Feeds `events` to `v` (through the public API if `public`, else the slow paths only)
    /// and returns the event thread's view after each event.
    #[allow(clippy::type_complexity)]
    fn run_events(
        v: &Validator,
        events: &[Event],
        public: bool,
    ) -> Vec<Option<(u64, u64, u64, u64, Vec<String>)>> {
        let frames = [0x1000usize, 0x2000, 0x3000];
        let mut t = 0;
        let mut views = Vec::new();
        for &(op, i, switch, m, sub, tr) in events {
            // Mostly the same thread as before (runs of events), sometimes the other one.
            if switch < 2 {
                t = switch;
            }
            // Two instances per class, so nest locks and same-class nesting occur.
            let lock = LockInstance {
                class: ClassKey(i / 2 + 1),
                id: i,
            };
            let trace = match tr {
                0 => Trace::Frames(&frames[..(i as usize % 3) + 1]),
                1 => Trace::None,
                _ => Trace::Capture,
            };
            let outer = LockInstance {
                class: ClassKey(9),
                id: 9,
            };
            let acquire = |lock, mode, opts| {
                if public {
                    v.acquire(t, lock, mode, opts, trace);
                } else {
                    v.acquire_slow(t, lock, mode, opts, trace, stack_anchor());
                }
            };
            match op {
                0..=4 => {
                    let opts = AcquireOpts {
                        trylock: op == 4,
                        subclass: if sub == 9 { 8 } else { sub % 2 },
                        nest: (sub == 7).then_some(outer),
                    };
                    acquire(lock, mode(m), opts);
                }
                5..=8 if public => v.release(t, lock, trace),
                5..=8 => v.release_slow(t, lock, trace, stack_anchor()),
                _ if i == 0 => v.reset(),
                _ => acquire(outer, Mode::Write, AcquireOpts::default()),
            }
            views.push(thread_view(v, t));
        }
        views
    }

    /// What a thread's state looks like from outside: everything but captured addresses
    /// (which differ between two call paths).
    #[allow(clippy::type_complexity)]
    fn thread_view(v: &Validator, thread: ThreadKey) -> Option<(u64, u64, u64, u64, Vec<String>)> {
        v.with_thread(thread, false, |ts| {
            let held = ts
                .held
                .iter()
                .map(|h| {
                    let frames = if h.origin == crate::held::TraceOrigin::Captured {
                        Vec::new()
                    } else {
                        ts.frames_of(h).to_vec()
                    };
                    format!(
                        "{:?} {} {} {:?} {} {:?} {} {:x} {:?} {:?} {:?}",
                        h.instance,
                        h.class,
                        h.subclass,
                        h.mode,
                        h.trylock,
                        h.nest,
                        h.references,
                        h.prev_chain_key,
                        h.origin,
                        h.saved.map(|_| ()),
                        frames
                    )
                })
                .collect();
            // The acquisition fast path relies on this.
            assert!(
                !ts.held.is_empty() || ts.chain_key == INITIAL_CHAIN_KEY,
                "an empty stack has the initial chain key"
            );
            (
                ts.chain_key,
                ts.acquisitions,
                ts.chain_cache_hits,
                ts.max_depth,
                held,
            )
        })
    }
}
