//! Drop-in replacements for parking_lot 0.13's locks that report every acquisition and release
//! to a lock-dependency [`Validator`](crate::Validator), with real stacks saved in its depot.
//!
//! ```
//! use lockdep_graph::wrappers::Mutex;
//! use lockdep_graph::{FindingKind, Validator, ValidatorConfig};
//!
//! // A validator of our own (the default is the process-wide `Validator::global()`).
//! let validator: &'static Validator = Box::leak(Box::new(Validator::new(ValidatorConfig::default())));
//! let accounts = Mutex::with_validator(validator, 100);
//! let audit_log = Mutex::with_validator(validator, Vec::new());
//!
//! {
//!     let balance = accounts.lock();
//!     audit_log.lock().push(*balance); // accounts -> audit_log
//! }
//! {
//!     let log = audit_log.lock();
//!     let _balance = accounts.lock(); // audit_log -> accounts: could deadlock with the above
//!     drop(log);
//! }
//! // Reported although this run never deadlocked: the two orders were taken at different times.
//! let findings = validator.findings();
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].kind, FindingKind::CircularDependency);
//! println!("{}", findings[0].report);
//! ```
//!
//! # What is reported
//!
//! - **Classes.** Each lock belongs to a class, and the dependency graph is built over classes
//!   (lockdep's rule): by default the class of the source location that created the lock
//!   (`#[track_caller]`), so all the locks one constructor creates are one class and an
//!   inversion between any two pairs of them is found. [`LockClass`] names other choices: a name,
//!   a `static` [`LockClassKey`] ([`lock_class!`](crate::lock_class)), or an explicit key. Every
//!   constructor is `const`, so wrappers can live in `static`s.
//! - **Acquisitions** are reported *before* blocking on the real lock, so an inversion that is
//!   about to deadlock is reported first. Mutexes and write locks are [`Mode::Write`]; reads of a
//!   [`RwLock`] (whose readers queue behind a waiting writer) are [`Mode::Read`]; reads of a
//!   [`RecursiveRwLock`] are [`Mode::ReadRecursive`]; upgradable reads are [`Mode::Read`].
//! - **`try_*`**: a success is reported as a try acquisition (held, but never a new dependency);
//!   a failure is not reported. Timed acquisitions (`try_lock_for`, ...) may wait, so they are
//!   reported like blocking ones, and a timeout as a release.
//! - **Annotations**: `lock_nested(subclass)`, `read_nested`, `write_nested` (lockdep's
//!   `*_nested`), `lock_nest_lock(&outer_guard)` and `write_nest_lock` (lockdep's `nest_lock`).
//! - **Releases** are reported when a guard drops, before the real unlock. Upgrades and
//!   downgrades are a release and a new acquisition (blocking for `upgrade`, a try acquisition
//!   for the changes that cannot wait). A [`Condvar`] wait is a release and a re-acquisition.
//! - **Lifetimes**: dropping a lock (or `into_inner`) that the validator still sees held (its
//!   guard was forgotten) is a held lock freed; a thread that exits holding locks is reported
//!   from a thread-local destructor (except the main thread, whose thread-locals are not
//!   destroyed at process exit).
//! - **[`ReentrantMutex`]**: lockdep has no reentrant lock; only the outermost acquisition and
//!   the last release are reported, since re-entry cannot block.
//!
//! Lock ids are assigned on first use from a counter (locks move), and threads get a
//! [`ThreadKey`](crate::ThreadKey) from a counter ([`current_thread_key`]). Stacks are
//! captured by the validator ([`Trace::Capture`](crate::Trace::Capture)) only when it stores
//! one: a new dependency, a class's first use, a report. On an acquisition whose lock chain is
//! already known the wrappers add a few atomic loads and thread-local reads: no allocation and
//! no lock of their own.
//!
//! To use the wrappers in debug builds only, see [`debug`].
//!
//! [`Mode::Write`]: crate::Mode::Write
//! [`Mode::Read`]: crate::Mode::Read
//! [`Mode::ReadRecursive`]: crate::Mode::ReadRecursive

mod class;
mod condvar;
pub mod debug;
mod guard_macros;
mod held_lock;
mod lock_macros;
mod meta;
mod mutex;
mod remutex;
mod rwlock;
mod thread;

pub use class::{LockClass, LockClassKey};
pub use condvar::Condvar;
pub use held_lock::HeldLock;
pub use mutex::{
    FairMutex, FairMutexGuard, GenericMappedMutexGuard, GenericMutex, GenericMutexGuard,
    MappedFairMutexGuard, MappedMutexGuard, Mutex, MutexGuard,
};
pub use parking_lot::WaitTimeoutResult;
pub use remutex::{MappedReentrantMutexGuard, ReentrantMutex, ReentrantMutexGuard};
pub use rwlock::{
    GenericMappedRwLockReadGuard, GenericMappedRwLockWriteGuard, GenericRwLock,
    GenericRwLockReadGuard, GenericRwLockUpgradableReadGuard, GenericRwLockWriteGuard,
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, MappedRwLockReadGuard,
    MappedRwLockWriteGuard, RawRwLockReadMode, RecursiveRwLock, RecursiveRwLockReadGuard,
    RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard,
};
pub use thread::current_thread_key;
