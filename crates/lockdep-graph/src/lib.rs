//! A lockdep-faithful lock-dependency validator whose stored traces are stackdepot handles.
//!
//! # The problem
//!
//! A lock-order deadlock needs two threads to interleave just so, which tests rarely hit and
//! production eventually does. Linux's lockdep finds these bugs without the interleaving: it
//! records, for every lock taken while others are held, a *dependency* "held → new", and reports
//! as soon as a new dependency would close a cycle — even if the two orders were seen hours
//! apart, on different threads, on different lock instances. This crate ports lockdep's
//! semantics (kernel/locking/lockdep.c) to userspace Rust, minus interrupt states, and keeps
//! the stack traces that explain each dependency in a growable, deduplicating
//! [`stackdepot`] instead of lockdep's fixed array that turns the validator off when it fills.
//!
//! Events come in through [`Validator`]: [`acquire`](Validator::acquire),
//! [`release`](Validator::release), [`init`](Validator::init),
//! [`drop_lock`](Validator::drop_lock) and [`thread_exit`](Validator::thread_exit). The
//! [`wrappers`] module reports them for you from `parking_lot`-style locks; [`replay`] feeds
//! them from a text log.
//!
//! ```
//! use lockdep_graph::{AcquireOpts, ClassKey, FindingKind, LockInstance, Mode, Trace, Validator, ValidatorConfig};
//!
//! let v = Validator::new(ValidatorConfig::default());
//! let a = LockInstance { class: ClassKey::from_name("A"), id: 1 };
//! let b = LockInstance { class: ClassKey::from_name("B"), id: 2 };
//! v.register_class(a.class, "A");
//! v.register_class(b.class, "B");
//! let take = |t, l| v.acquire(t, l, Mode::Write, AcquireOpts::default(), Trace::Frames(&[0x1000, 0x2000]));
//!
//! // Thread 1 takes A then B.
//! take(1, a);
//! take(1, b);
//! v.release(1, b, Trace::None);
//! v.release(1, a, Trace::None);
//! // Later, thread 2 takes B then A. Nothing deadlocked, but it can.
//! take(2, b);
//! take(2, a);
//!
//! let findings = v.findings();
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].kind, FindingKind::CircularDependency);
//! assert_eq!(findings[0].locks, ["A", "B"]);
//! assert!(findings[0].report.contains("WARNING: possible circular locking dependency detected"));
//! ```
//!
//! # Concepts
//!
//! **Classes.** The graph is built over lock *classes*, not instances: every [`LockInstance`]
//! names its [`ClassKey`] (a name, a creation site via `#[track_caller]`, or the address of a
//! static), and all instances of a class share one graph node — so an order seen on two locks
//! also convicts every other pair of that class. [`AcquireOpts::subclass`] `N` (0..8) makes a
//! distinct class printed `name/N`, lockdep's `*_lock_nested()` annotation for a legal
//! parent → child nesting of one class; [`AcquireOpts::nest`] says an outer lock serialises
//! several locks of one class (`*_lock_nest_lock()`).
//!
//! **Modes and edges.** A lock is taken as [`Mode::Write`] (W, exclusive),
//! [`Mode::Read`] (r, a reader that queues behind waiting writers) or
//! [`Mode::ReadRecursive`] (R, a reader that does not). Each dependency records which of
//! four edge types it has been seen with — SR, ER, SN, EN (prev Shared/Exclusive, next
//! Recursive/Non-recursive) — and a cycle is reported only if it is *strong*: no `*R` edge is
//! followed by an `S*` edge (Boqun Feng's 2020 rules). So an all-R "ABBA" is legal, while a mix
//! involving a writer or an r-reader is not. A breadth-first search from the new lock finds
//! the shortest such cycle. Taking a second lock of a class already held is "recursive
//! locking" unless it is an R after any read, or its nest lock is held. A trylock is recorded
//! as held but never validated and adds no edge itself; a later blocking acquisition takes
//! edges from every trylock directly below it plus the first real lock. Releasing a lock that
//! is not on top rebuilds the stack above it and re-validates those entries.
//!
//! **Chain cache.** Like lockdep, each thread keeps a running 64-bit hash of its held stack
//! (class and read mode of each entry). An acquisition whose hash was seen before is not
//! validated at all: the O(depth²) work happens once per distinct held-lock sequence.
//!
//! **Trace storage.** Each new dependency stores two trace handles — where the held lock was
//! taken and where the new one was — shared by its forward and backward entries; each class
//! stores its first-use trace. Traces are saved only when one is needed (new class, new
//! dependency, report): with [`Trace::Capture`] a cached acquisition never unwinds the stack.
//! The price: a held lock whose own acquisition hit the chain cache has no captured trace, so
//! a dependency later recorded *from* it prints `<trace not captured: ...>` for that side
//! (the new lock's side is captured, except when re-validating after an out-of-order release).
//! [`Trace::Frames`] has no such gap: the frames are kept with the held lock.
//! The store is [`StoreKind::Depot`] (default: a `stackdepot::StackDepot`, saved with
//! `Alloc::NoWait` under the graph lock and refilled after; a failed save records the
//! dependency without a trace, counts it in [`ValidatorStats::traces_unavailable`] and prints
//! `<trace unavailable>`) or [`StoreKind::Fixed`] (lockdep's array,
//! [`fixed_store::FixedTraceStore`]: when it fills, one [`FindingKind::ValidatorDisabled`] is
//! reported and validation stops, as in the kernel).
//!
//! **Findings.** Each problem becomes a [`Finding`] with lockdep's report text; every finding
//! is recorded ([`Validator::findings`]) and also delivered to the configured [`Sink`]
//! (collect, stderr, panic, callback). A finding never stops the validator, and the same cycle
//! (the same class sequence) is reported once.
//!
//! # Safety and correctness
//!
//! - The crate contains no `unsafe` code.
//! - The rules are those of `kernel/locking/lockdep.c` (`check_deadlock`, `check_prev_add`,
//!   `check_prevs_add`, `__bfs` with `hlock_conflict`, `lookup_chain_cache_add`,
//!   `__lock_release` with `reacquire_held_locks`), including one property worth knowing: the
//!   search marks a class visited the first time it is reached, even through a path that turns
//!   out not to be strong, so — exactly like lockdep — a strong cycle reachable only through an
//!   already-visited class can be missed.
//! - Deliberate differences from the kernel: no interrupt states or wait types; no
//!   `MAX_LOCK_DEPTH` or other table limits (only a Fixed trace store is bounded); a finding
//!   does not turn the validator off (findings are deduplicated instead); a conflicting
//!   dependency is not added; after "Nested lock was not taken" the acquisition is tracked
//!   without its nest lock; an invalid subclass (≥ 8) is reported and treated as 0; re-validation
//!   after an out-of-order release uses each lock's original acquisition trace; the usage string
//!   `{+.+.}` / `{.+.+}` says the class was used for writing / reading.
//! - Chain keys are 64-bit hashes, and, as in lockdep, a collision would skip one validation.
//! - Bad input (unbalanced releases, unknown threads, out-of-range subclasses, forged trace
//!   handles) is reported or ignored; it never panics (except through [`Sink::Panic`], which
//!   panics on purpose after the validator's locks are released and the unheld lock undone).
//! - [`Validator::reset`] and [`Validator::set_enabled`] are meant for quiescent moments; held
//!   state of threads running concurrently with them is lost.
//!
//! # Performance
//!
//! The hot path — an acquisition whose held-stack sequence was validated before, and a
//! release of the lock on top of the stack — takes no global lock and builds no slow-path
//! state: a thread-local pointer to the thread's own state (guarded by a mutex only that
//! thread normally takes), an 8-slot per-thread class cache that also remembers each
//! class's last chain key, and a lock-free, grow-only chain-key set of atomics. No trace is
//! captured or stored on that path; [`Trace::Frames`] costs a copy of at most 64 words into a
//! reused per-thread buffer. Only a miss takes the graph lock, validates (one BFS per new
//! dependency) and saves traces. A differential property test checks that the fast paths
//! leave exactly the state the slow paths would.
//!
//! Cost of a wrapped `Mutex` lock + unlock with a cached chain (release build): about 296
//! instructions against 12 for a bare `parking_lot::Mutex`, loop included (callgrind,
//! deterministic: `scripts/instructions.sh`); about
//! 43 ns against 10.5 ns on the 2-core development machine, so about 33 ns of overhead per
//! pair (shared, noisy machine; `docs/benchmarks.md` has the figures of the last benchmark
//! run, measured side by side).
//!
//! # Cargo features
//!
//! This crate has no features of its own. It needs the `stackdepot` crate's default `capture`
//! feature (stack capture and symbolised printing), which it leaves enabled.

mod chain_cache;
mod class_key;
mod config;
mod engine;
mod fast_hash;
mod finding;
pub mod fixed_store;
mod graph;
mod held;
mod jhash;
mod lock_event;
mod registry;
mod report;
mod stats;
mod trace_store;
mod validator;

pub mod replay;
pub mod wrappers;

pub use class_key::ClassKey;
pub use config::{Sink, StoreKind, ValidatorConfig};
pub use finding::{Finding, FindingKind};
pub use lock_event::{AcquireOpts, LockInstance, MAX_SUBCLASSES, Mode, ThreadKey, Trace};
pub use stats::ValidatorStats;
pub use validator::Validator;
