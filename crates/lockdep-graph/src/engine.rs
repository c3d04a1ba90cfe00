//! The lockdep algorithm: `__lock_acquire`, `validate_chain`, `check_deadlock`,
//! `check_prevs_add`/`check_prev_add`, `__lock_release` with `reacquire_held_locks`, and the
//! reports they produce. Function names follow the kernel's where they do the same job.
//!
//! Lock order inside the validator: a thread's state, then the graph lock. The graph lock is
//! never held while taking a thread's state; findings are delivered with no lock held.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::graph::{Dependency, Graph, USED, USED_READ, calc_dep, calc_depb};
use crate::held::{CachedClass, HeldLock, MAX_TRACE_FRAMES, ThreadState, TraceOrigin};
use crate::jhash::{INITIAL_CHAIN_KEY, iterate_chain_key};
use crate::report::{self, EventFrames};
use crate::trace_store::TraceRef;
use crate::validator::NOT_VALIDATING;
use crate::{
    AcquireOpts, ClassKey, Finding, FindingKind, LockInstance, MAX_SUBCLASSES, Mode, ThreadKey,
    Trace, Validator,
};

/// Findings produced while locks were held, delivered afterwards.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) findings: Vec<Finding>,
}

/// The trace of the current event, captured at most once and only when needed.
pub(crate) struct EventTrace<'a> {
    trace: Trace<'a>,
    /// Address of a local in the public API function that received the event: frames at or
    /// below it (the validator's own) are left out of a captured trace.
    anchor: usize,
    /// Captured frames (`Trace::Capture`), allocated on first need only: the hot path must
    /// not pay for zeroing a frame buffer it will not use.
    captured: Option<Vec<usize>>,
}

/// An address inside the caller's stack frame, for [`EventTrace::new`].
#[inline(always)]
pub(crate) fn stack_anchor() -> usize {
    let local = 0u8;
    std::hint::black_box(&local) as *const u8 as usize
}

/// Captures the current stack, innermost first, keeping only frames whose stack pointer is
/// above `anchor` (the stack grows down on every platform Rust's unwinder supports here), so
/// the trace starts at the code that called the validator.
#[inline(never)]
fn capture_above(buf: &mut [usize], anchor: usize) -> usize {
    let mut n = 0;
    backtrace::trace(|frame| {
        let sp = frame.sp() as usize;
        if anchor != 0 && sp != 0 && sp <= anchor {
            return true;
        }
        let ip = frame.ip() as usize;
        if n == buf.len() || ip == 0 {
            return false;
        }
        buf[n] = ip;
        n += 1;
        true
    });
    if n == 0 {
        // No usable stack pointers: keep everything but this function.
        n = stackdepot::capture(buf, 1);
    }
    n
}

impl<'a> EventTrace<'a> {
    pub(crate) fn new(trace: Trace<'a>, anchor: usize) -> EventTrace<'a> {
        EventTrace {
            trace,
            anchor,
            captured: None,
        }
    }

    pub(crate) fn is_capture(&self) -> bool {
        matches!(self.trace, Trace::Capture)
    }

    /// Whether `Trace::Capture` frames were already captured for this event.
    pub(crate) fn has_captured(&self) -> bool {
        self.captured.is_some()
    }

    /// The frames (capturing now for `Trace::Capture`) and whether they are real captured
    /// addresses.
    #[inline(never)]
    pub(crate) fn frames(&mut self) -> EventFrames<'_> {
        match self.trace {
            Trace::Frames(f) => EventFrames {
                frames: &f[..f.len().min(MAX_TRACE_FRAMES)],
                symbolize: false,
            },
            Trace::None => EventFrames {
                frames: &[],
                symbolize: false,
            },
            Trace::Capture => {
                let anchor = self.anchor;
                let frames = self.captured.get_or_insert_with(|| {
                    let mut buf = vec![0; MAX_TRACE_FRAMES];
                    let n = capture_above(&mut buf, anchor);
                    buf.truncate(n);
                    buf
                });
                EventFrames {
                    frames,
                    symbolize: true,
                }
            }
        }
    }
}

/// [`ThreadState::push_frames`] out of the acquisition fast path's line: the wrappers use
/// `Trace::Capture`, which keeps nothing there.
#[inline(never)]
fn push_frames_cold(ts: &mut ThreadState, frames: &[usize]) -> std::ops::Range<usize> {
    ts.push_frames(frames)
}

/// lockdep's `hlock_id`: class index plus read mode (the read mode is part of the chain key).
#[inline]
pub(crate) fn hlock_id(class: u32, read: u8) -> u32 {
    (class & 0x3fff_ffff) | (u32::from(read) << 30)
}

/// What `check_deadlock` decided.
enum DeadlockCheck {
    /// Reported: no dependencies for this acquisition.
    Reported,
    /// No same-class problem: add dependencies.
    Ok,
    /// A same-class lock is held under its nest lock: no dependencies (lockdep's `return 2`).
    Nested,
}

impl Validator {
    /// The hot path of `__lock_acquire`: an acquisition that needs nothing but the thread's
    /// own state — a class this thread has already used in this usage (read/write), no nest
    /// lock, a valid subclass, and a chain already validated (or a trylock, never validated).
    /// It then does exactly what [`acquire_event`](Self::acquire_event) would do and returns
    /// true; otherwise it changes nothing and returns false, and the caller takes the slow
    /// path (which builds the event's trace and findings state).
    #[inline(always)]
    pub(crate) fn acquire_cached(
        &self,
        ts: &mut ThreadState,
        lock: LockInstance,
        mode: Mode,
        opts: &AcquireOpts,
        trace: &Trace<'_>,
    ) -> bool {
        // An invalid subclass (reported, then treated as 0) needs no test here: the class
        // cache only holds valid ones, so the lookup below declines it.
        if opts.nest.is_some() {
            return false;
        }
        let usage_bit = if mode.is_read() { USED_READ } else { USED };
        // An empty stack's key is INITIAL_CHAIN_KEY: every way of emptying the stack restores
        // the bottom entry's `prev_chain_key`, which is that.
        debug_assert!(!ts.held.is_empty() || ts.chain_key == INITIAL_CHAIN_KEY);
        let prev_chain_key = ts.chain_key;
        let Some((class, chain_key, cached_epoch)) = ts.cached_class_and_chain_key(
            lock.class,
            opts.subclass,
            usage_bit,
            mode.read_value(),
            prev_chain_key,
        ) else {
            return false;
        };
        if !opts.trylock {
            // Keys leave the chain cache only when it is cleared, which moves its epoch: a
            // key found cached in the current epoch is still cached. Read the epoch first.
            let epoch = self.chains.epoch();
            if *cached_epoch != epoch {
                if !self.chains.contains(chain_key) {
                    return false;
                }
                *cached_epoch = epoch;
            }
            ts.chain_cache_hits += 1;
        }
        ts.acquisitions += 1;
        // As in `acquire_inner` on a cache hit: Frames are kept, Capture is not captured.
        let empty = ts.frames.len()..ts.frames.len();
        let (frames, origin) = match *trace {
            Trace::Capture => (empty, TraceOrigin::NotCaptured),
            Trace::Frames(f) if !f.is_empty() => (push_frames_cold(ts, f), TraceOrigin::Frames),
            _ => (empty, TraceOrigin::None),
        };
        ts.held.push(HeldLock {
            instance: lock,
            class,
            subclass: opts.subclass,
            mode,
            trylock: opts.trylock,
            nest: None,
            references: 0,
            prev_chain_key,
            frames,
            origin,
            saved: None,
        });
        ts.chain_key = chain_key;
        ts.max_depth = ts.max_depth.max(ts.held.len() as u64);
        true
    }

    /// The hot path of `__lock_release`: releasing the lock on top of the stack. Does exactly
    /// what [`release_event`](Self::release_event) would and returns true; otherwise (the lock
    /// is not on top: out of order or not held) changes nothing and returns false.
    #[inline(always)]
    pub(crate) fn release_cached(ts: &mut ThreadState, lock: LockInstance) -> bool {
        // `release_event` takes the topmost matching entry: when the top matches, it is it.
        let Some(top) = ts.held.last_mut() else {
            return false;
        };
        if !top.matches(&lock) {
            return false;
        }
        if top.references > 0 {
            top.references -= 1;
            if top.references > 0 {
                return true;
            }
        }
        ts.chain_key = top.prev_chain_key;
        // `ThreadState::pop`, with the entry already in hand.
        let frames_start = top.frames.start;
        ts.held.pop();
        ts.frames.truncate(frames_start);
        true
    }

    /// `__lock_acquire` for one event (also used by re-acquisition after an out-of-order
    /// release, with `carry` holding the re-acquired entry and its frames).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn acquire_event(
        &self,
        ts: &mut ThreadState,
        thread: ThreadKey,
        lock: LockInstance,
        mode: Mode,
        opts: AcquireOpts,
        ev: &mut EventTrace<'_>,
        carry: Option<(&HeldLock, &[usize])>,
        pending: &mut Pending,
    ) {
        ts.acquisitions += 1;
        let mut subclass = opts.subclass;
        if subclass >= MAX_SUBCLASSES {
            self.report_invalid_subclass(ts, thread, lock, subclass, ev, pending);
            subclass = 0;
        }

        // Class lookup: the thread's own cache, else the graph (first use also marks usage
        // and saves the class's first-use trace, lockdep's mark_lock(LOCK_USED)).
        let usage_bit = if mode.is_read() { USED_READ } else { USED };
        let class = match ts.cached_class(lock.class, subclass, usage_bit) {
            Some(idx) => idx,
            None => self.class_slow(ts, thread, lock.class, subclass, usage_bit, ev, pending),
        };
        if !self.is_validating() {
            return;
        }

        let references = carry.map_or(0, |(h, _)| h.references);
        // nest_lock: the same class on top of the stack folds into it.
        if opts.nest.is_some()
            && let Some(top) = ts.held.last_mut()
            && top.class == class
        {
            let add = references.max(1);
            if top.references == 0 {
                top.references = 1;
            }
            top.references = top.references.saturating_add(add);
            return;
        }

        let depth = ts.held.len();
        let prev_chain_key = if depth == 0 {
            INITIAL_CHAIN_KEY
        } else {
            ts.chain_key
        };
        let chain_head = depth == 0;
        let chain_key = iterate_chain_key(prev_chain_key, hlock_id(class, mode.read_value()));

        let mut nest = opts.nest;
        if let Some(n) = nest
            && !ts.held.iter().any(|h| h.matches(&n))
        {
            self.report_nested_not_taken(ts, thread, lock, class, n, ev, pending);
            // lockdep gives up on this acquisition; we keep tracking it, without the nest.
            nest = None;
        }

        // The acquisition's frames go into the thread's arena: copied for Frames (a memcpy of
        // at most 64 words into a reused buffer), captured later only if validation runs.
        let (frames, origin, saved) = match carry {
            Some((h, f)) => (ts.push_frames(f), h.origin, h.saved),
            None => match ev.trace {
                Trace::Frames(f) if !f.is_empty() => (ts.push_frames(f), TraceOrigin::Frames, None),
                Trace::Capture => (
                    ts.frames.len()..ts.frames.len(),
                    TraceOrigin::NotCaptured,
                    None,
                ),
                _ => (ts.frames.len()..ts.frames.len(), TraceOrigin::None, None),
            },
        };
        // The held lock about to be pushed.
        let mut next = HeldLock {
            instance: lock,
            class,
            subclass,
            mode,
            trylock: opts.trylock,
            nest,
            references,
            prev_chain_key,
            frames,
            origin,
            saved,
        };

        // validate_chain: trylocks are never validated; a cached chain skips validation.
        let validate = !opts.trylock && !self.chains.contains(chain_key);
        // Capture (Trace::Capture) only if validation will run — or if the stack was captured
        // for this event anyway (first use of the class), which costs nothing more to keep.
        if next.origin == TraceOrigin::NotCaptured
            && carry.is_none()
            && ev.is_capture()
            && (validate || ev.has_captured())
        {
            let captured = ev.frames().frames;
            next.frames = ts.push_frames(captured);
            next.origin = if captured.is_empty() {
                TraceOrigin::None
            } else {
                TraceOrigin::Captured
            };
        }
        if !opts.trylock {
            if !validate {
                ts.chain_cache_hits += 1;
            } else {
                self.validate_chain(ts, thread, &mut next, chain_key, chain_head, ev, pending);
                if !self.is_validating() {
                    return;
                }
            }
        }

        ts.held.push(next);
        ts.chain_key = chain_key;
        ts.max_depth = ts.max_depth.max(ts.held.len() as u64);
    }

    /// First use of a class by this thread (or of a usage bit): under the graph lock.
    #[allow(clippy::too_many_arguments)]
    fn class_slow(
        &self,
        ts: &mut ThreadState,
        thread: ThreadKey,
        key: ClassKey,
        subclass: u8,
        usage_bit: u8,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) -> u32 {
        let mut g = self.graph.lock();
        let idx = g.class_for(key, subclass);
        if g.classes[idx as usize].usage & usage_bit == 0 {
            g.classes[idx as usize].usage |= usage_bit;
            let f = ev.frames();
            let r = g.save_trace(f.frames, f.symbolize);
            let slot = usize::from(usage_bit == USED_READ);
            g.classes[idx as usize].usage_traces[slot] = r;
        }
        let usage_seen = g.classes[idx as usize].usage;
        self.check_overflow(&mut g, ts, thread, ev, pending);
        drop(g);
        ts.remember_class(key, subclass, CachedClass { idx, usage_seen });
        idx
    }

    /// A Fixed store overflowed: turn validation off and report it exactly once.
    fn check_overflow(
        &self,
        g: &mut Graph,
        ts: &ThreadState,
        thread: ThreadKey,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        if !g.store_overflowed || g.disabled_reported {
            return;
        }
        g.disabled_reported = true;
        self.off.fetch_or(NOT_VALIDATING, Ordering::Relaxed);
        let mut out = String::new();
        let _ = writeln!(out, "BUG: MAX_STACK_TRACE_ENTRIES too low!");
        let _ = writeln!(out, "turning off the locking correctness validator.");
        let _ = writeln!(out, "{} ({})", report::who(ts, thread), report::IDENT);
        report::write_backtrace(&mut out, &ev.frames());
        pending.findings.push(report::finding(
            FindingKind::ValidatorDisabled,
            ts,
            thread,
            Vec::new(),
            out,
        ));
    }

    /// lockdep's `validate_chain` after a chain-cache miss.
    #[allow(clippy::too_many_arguments)]
    fn validate_chain(
        &self,
        ts: &mut ThreadState,
        thread: ThreadKey,
        next: &mut HeldLock,
        chain_key: u64,
        chain_head: bool,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let mut g = self.graph.lock();
        // lookup_chain_cache_add: another thread may have added it meanwhile.
        if !self.chains.insert(chain_key) {
            ts.chain_cache_hits += 1;
            return;
        }
        g.dependency_chains += 1;
        g.chain_hlocks += ts.held.len() as u64 + 1;
        let check = self.check_deadlock(&mut g, ts, thread, next, ev, pending);
        if matches!(check, DeadlockCheck::Ok) && !chain_head {
            self.check_prevs_add(&mut g, ts, thread, next, ev, pending);
        }
        self.check_overflow(&mut g, ts, thread, ev, pending);
    }

    /// lockdep's `check_deadlock`: is a lock of the same class already held?
    fn check_deadlock(
        &self,
        g: &mut Graph,
        ts: &ThreadState,
        thread: ThreadKey,
        next: &HeldLock,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) -> DeadlockCheck {
        let mut nest_held = false;
        for prev in &ts.held {
            if next.nest == Some(prev.instance) {
                nest_held = true;
            }
            if prev.class != next.class {
                continue;
            }
            // read-after-read recursion of one class: R after r or R.
            if next.read() == 2 && prev.read() != 0 {
                continue;
            }
            if nest_held {
                return DeadlockCheck::Nested;
            }
            self.report_recursive(g, ts, thread, prev, next, ev, pending);
            return DeadlockCheck::Reported;
        }
        DeadlockCheck::Ok
    }

    /// lockdep's `check_prevs_add`: edges from every consecutive trylock below the new lock
    /// plus the first non-trylock.
    fn check_prevs_add(
        &self,
        g: &mut Graph,
        ts: &mut ThreadState,
        thread: ThreadKey,
        next: &mut HeldLock,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let depth = ts.held.len();
        let mut d = depth;
        while d > 0 {
            let idx = d - 1;
            let distance = (depth - d + 1).min(usize::from(u16::MAX)) as u16;
            if !self.check_prev_add(g, ts, thread, idx, next, distance, ev, pending) {
                return;
            }
            if !ts.held[idx].trylock {
                break;
            }
            d -= 1;
        }
    }

    /// lockdep's `check_prev_add`. Returns false when a conflict was found (lockdep stops
    /// adding dependencies for this acquisition then).
    #[allow(clippy::too_many_arguments)]
    fn check_prev_add(
        &self,
        g: &mut Graph,
        ts: &mut ThreadState,
        thread: ThreadKey,
        prev_idx: usize,
        next: &mut HeldLock,
        distance: u16,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) -> bool {
        let (prev_class, prev_read) = (ts.held[prev_idx].class, ts.held[prev_idx].read());
        let (next_class, next_read) = (next.class, next.read());

        if let Some(path) = g.find_conflict(next_class, next_read, prev_class, prev_read) {
            if next_class == prev_class {
                let prev = ts.held[prev_idx].clone();
                self.report_recursive(g, ts, thread, &prev, next, ev, pending);
            } else {
                let cycle: Vec<u32> = path.iter().map(|s| s.class).collect();
                if g.first_report_of_cycle(&cycle) {
                    self.report_circular(g, ts, thread, prev_idx, next, &path, ev, pending);
                }
            }
            return false;
        }

        if let Some(di) = g.find_dep(prev_class, next_class) {
            let d = &mut g.deps[di as usize];
            if distance == 1 {
                d.distance = 1;
            }
            d.dep |= calc_dep(prev_read, next_read);
            d.depb |= calc_depb(prev_read, next_read);
            return true;
        }

        let prev_trace = self.held_trace(g, ts, prev_idx);
        let next_trace = self.entry_trace(g, ts, next);
        g.add_dep(Dependency {
            prev: prev_class,
            next: next_class,
            dep: calc_dep(prev_read, next_read),
            depb: calc_depb(prev_read, next_read),
            distance,
            prev_trace,
            next_trace,
        });
        true
    }

    /// The stored acquisition trace of held entry `idx`, saved on first need.
    fn held_trace(&self, g: &mut Graph, ts: &mut ThreadState, idx: usize) -> TraceRef {
        let r = stored_trace(g, ts, &ts.held[idx]);
        ts.held[idx].saved = Some(r);
        r
    }

    /// The stored trace of the lock being acquired (saved once, shared by all its edges).
    fn entry_trace(&self, g: &mut Graph, ts: &ThreadState, entry: &mut HeldLock) -> TraceRef {
        let r = stored_trace(g, ts, entry);
        entry.saved = Some(r);
        r
    }

    /// `__lock_release`.
    pub(crate) fn release_event(
        &self,
        ts: &mut ThreadState,
        thread: ThreadKey,
        lock: LockInstance,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let Some(i) = ts.held.iter().rposition(|h| h.matches(&lock)) else {
            self.report_bad_unlock(ts, thread, lock, ev, pending);
            return;
        };
        let h = &mut ts.held[i];
        if h.references > 0 {
            h.references -= 1;
            if h.references > 0 {
                return;
            }
        }
        ts.chain_key = ts.held[i].prev_chain_key;
        if i + 1 == ts.held.len() {
            ts.pop();
            return;
        }
        // Out of order: drop entry i and re-acquire everything that was above it, which
        // recomputes their chain keys and validates any chain not seen before.
        let tail = ts.split_off(i);
        for (h, frames) in tail.into_iter().skip(1) {
            let opts = AcquireOpts {
                trylock: h.trylock,
                subclass: h.subclass,
                nest: h.nest,
            };
            let mut carried_ev = EventTrace::new(Trace::Frames(&frames), 0);
            self.acquire_event(
                ts,
                thread,
                h.instance,
                h.mode,
                opts,
                &mut carried_ev,
                Some((&h, &frames)),
                pending,
            );
            if !self.is_validating() {
                return;
            }
        }
    }

    // ---- reports ----------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn report_circular(
        &self,
        g: &Graph,
        ts: &ThreadState,
        thread: ThreadKey,
        prev_idx: usize,
        next: &HeldLock,
        path: &[crate::graph::PathStep],
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let prev = &ts.held[prev_idx];
        let mut out = String::new();
        report::write_conflict_header(
            &mut out,
            "WARNING: possible circular locking dependency detected",
            g,
            ts,
            thread,
            next,
            prev,
        );
        let _ = writeln!(out, "\nwhich lock already depends on the new lock.\n");
        let _ = writeln!(
            out,
            "\nthe existing dependency chain (in reverse order) is:"
        );
        // path[0] is `next` (the BFS root), path[last] is `prev`; print from prev down to #0.
        let depth = path.len() - 1;
        for (k, step) in path.iter().enumerate().rev() {
            if k == 0 {
                let _ = writeln!(
                    out,
                    "\n-> #0 ({}){}:",
                    g.class_name(step.class),
                    g.usage_string(step.class)
                );
                let f = ts.frames_of(next);
                report::write_frames(&mut out, f, 7, next.origin == TraceOrigin::Captured);
            } else {
                report::write_chain_entry(&mut out, g, k.min(depth), step.class, step.via);
            }
        }
        let _ = writeln!(out, "\nother info that might help us debug this:\n");
        let parent_class = if path.len() >= 2 {
            path[path.len() - 2].class
        } else {
            next.class
        };
        report::write_circular_scenario(&mut out, g, next, prev, parent_class);
        report::write_held_locks(&mut out, g, ts, thread);
        report::write_backtrace(&mut out, &current_frames(ts, next, ev));
        let locks = path.iter().map(|s| g.class_name(s.class)).collect();
        pending.findings.push(report::finding(
            FindingKind::CircularDependency,
            ts,
            thread,
            locks,
            out,
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn report_recursive(
        &self,
        g: &Graph,
        ts: &ThreadState,
        thread: ThreadKey,
        prev: &HeldLock,
        next: &HeldLock,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let mut out = String::new();
        report::write_conflict_header(
            &mut out,
            "WARNING: possible recursive locking detected",
            g,
            ts,
            thread,
            next,
            prev,
        );
        let _ = writeln!(out, "\nother info that might help us debug this:");
        report::write_recursive_scenario(&mut out, g, next, prev);
        report::write_held_locks(&mut out, g, ts, thread);
        report::write_backtrace(&mut out, &current_frames(ts, next, ev));
        let locks = vec![g.class_name(next.class)];
        pending.findings.push(report::finding(
            FindingKind::RecursiveLocking,
            ts,
            thread,
            locks,
            out,
        ));
    }

    fn report_bad_unlock(
        &self,
        ts: &ThreadState,
        thread: ThreadKey,
        lock: LockInstance,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let g = self.graph.lock();
        let name = g.key_name(lock.class, 0);
        let mut out = String::new();
        report::banner(&mut out, "WARNING: bad unlock balance detected!");
        let _ = writeln!(
            out,
            "{} is trying to release lock ({name}) at:",
            report::who(ts, thread)
        );
        let f = ev.frames();
        match f.frames.first() {
            Some(&ip) => report::write_frames(&mut out, &[ip], 0, f.symbolize),
            None => {
                let _ = writeln!(out, "<unknown>");
            }
        }
        let _ = writeln!(out, "but there are no more locks to release!");
        let _ = writeln!(out, "\nother info that might help us debug this:");
        report::write_held_locks(&mut out, &g, ts, thread);
        report::write_backtrace(&mut out, &ev.frames());
        pending.findings.push(report::finding(
            FindingKind::BadUnlockBalance,
            ts,
            thread,
            vec![name],
            out,
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn report_nested_not_taken(
        &self,
        ts: &ThreadState,
        thread: ThreadKey,
        lock: LockInstance,
        class: u32,
        nest: LockInstance,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let g = self.graph.lock();
        let mut out = String::new();
        report::banner(&mut out, "WARNING: Nested lock was not taken");
        let _ = writeln!(out, "{} is trying to lock:", report::who(ts, thread));
        let f = ev.frames();
        let at = f
            .frames
            .first()
            .map_or_else(|| "<unknown>".to_owned(), |ip| format!("{ip:#018x}"));
        let _ = writeln!(
            out,
            "{:016x} ({}){}, at: {at}",
            lock.id,
            g.class_name(class),
            g.usage_string(class)
        );
        let nest_name = g.key_name(nest.class, 0);
        let _ = writeln!(out, "\nbut this task is not holding:\n{nest_name}");
        let _ = writeln!(out, "\nother info that might help us debug this:");
        report::write_held_locks(&mut out, &g, ts, thread);
        report::write_backtrace(&mut out, &ev.frames());
        let locks = vec![g.class_name(class), nest_name];
        pending.findings.push(report::finding(
            FindingKind::NestedLockNotTaken,
            ts,
            thread,
            locks,
            out,
        ));
    }

    fn report_invalid_subclass(
        &self,
        ts: &ThreadState,
        thread: ThreadKey,
        lock: LockInstance,
        subclass: u8,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let name = self.graph.lock().key_name(lock.class, 0);
        let mut out = String::new();
        let _ = writeln!(out, "BUG: looking up invalid subclass: {subclass}");
        let _ = writeln!(
            out,
            "{} acquired {:016x} ({name}) with subclass {subclass} (valid: 0..{MAX_SUBCLASSES}); treated as subclass 0.",
            report::who(ts, thread),
            lock.id
        );
        report::write_backtrace(&mut out, &ev.frames());
        pending.findings.push(report::finding(
            FindingKind::InvalidSubclass,
            ts,
            thread,
            vec![name],
            out,
        ));
    }

    pub(crate) fn report_held_at_exit(
        &self,
        ts: &ThreadState,
        thread: ThreadKey,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let g = self.graph.lock();
        let mut out = String::new();
        report::banner(
            &mut out,
            &format!("WARNING: {} still has locks held!", report::who(ts, thread)),
        );
        report::write_held_locks(&mut out, &g, ts, thread);
        report::write_backtrace(&mut out, &ev.frames());
        let locks = ts.held.iter().map(|h| g.class_name(h.class)).collect();
        pending.findings.push(report::finding(
            FindingKind::LocksHeldAtExit,
            ts,
            thread,
            locks,
            out,
        ));
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn report_held_lock_freed(
        &self,
        holder_ts: &ThreadState,
        holder: ThreadKey,
        held_idx: usize,
        thread: ThreadKey,
        caller_name: &str,
        what: &str,
        ev: &mut EventTrace<'_>,
        pending: &mut Pending,
    ) {
        let g = self.graph.lock();
        let h = &holder_ts.held[held_idx];
        let mut out = String::new();
        report::banner(&mut out, "WARNING: held lock freed!");
        let _ = writeln!(
            out,
            "{caller_name}/{thread} is {what} lock {:016x}, with a lock still held there!",
            h.instance.id
        );
        report::write_lock(&mut out, &g, holder_ts, h);
        if holder != thread {
            let _ = writeln!(
                out,
                "(the lock is held by {})",
                report::who(holder_ts, holder)
            );
        }
        report::write_held_locks(&mut out, &g, holder_ts, holder);
        report::write_backtrace(&mut out, &ev.frames());
        let locks = vec![g.class_name(h.class)];
        pending.findings.push(Finding {
            kind: FindingKind::HeldLockFreed,
            thread,
            thread_name: caller_name.to_owned(),
            locks,
            report: out,
        });
    }
}

/// The trace of `h`'s acquisition in the store: the one saved before, else saved now from its
/// frames in `ts`'s arena (the caller remembers it in `h.saved`).
fn stored_trace(g: &mut Graph, ts: &ThreadState, h: &HeldLock) -> TraceRef {
    if let Some(r) = h.saved {
        return r;
    }
    match h.origin {
        TraceOrigin::Frames | TraceOrigin::Captured => {
            g.save_trace(ts.frames_of(h), h.origin == TraceOrigin::Captured)
        }
        TraceOrigin::NotCaptured => TraceRef::NotCaptured,
        TraceOrigin::None => TraceRef::None,
    }
}

/// The "stack backtrace:" of an acquisition report: the acquisition's own frames.
fn current_frames<'e>(
    ts: &'e ThreadState,
    next: &HeldLock,
    ev: &'e mut EventTrace<'_>,
) -> EventFrames<'e> {
    let f = ts.frames_of(next);
    if f.is_empty() {
        ev.frames()
    } else {
        EventFrames {
            frames: f,
            symbolize: next.origin == TraceOrigin::Captured,
        }
    }
}
