//! The wrappers in debug builds, plain parking_lot in release builds.
//!
//! Import this module's contents with a glob and use the types as you would parking_lot's:
//! with `debug_assertions` on they are the validating wrappers (reporting to
//! [`Validator::global`](crate::Validator::global), which prints findings to stderr); with
//! them off they *are* parking_lot's types, at no cost.
//!
//! ```
//! use lockdep_graph::wrappers::debug::*;
//!
//! static CACHE: Mutex<Vec<u32>> = Mutex::new(Vec::new());
//!
//! struct Node {
//!     state: RwLock<u32>,
//! }
//!
//! fn node(value: u32) -> Node {
//!     Node { state: RwLock::new(value) }
//! }
//!
//! let (parent, child) = (node(1), node(2));
//! // Both locks come from one creation site, so they are one class: say that taking the
//! // child inside the parent is intended. (In release builds `write_nested` is a plain
//! // `write`, from `RwLockAnnotations`.)
//! let p = parent.state.write();
//! let c = child.state.write_nested(1);
//! CACHE.lock().push(*p + *c);
//! # drop((c, p));
//! # if ENABLED {
//! #     let findings = lockdep_graph::Validator::global().findings();
//! #     assert!(findings.is_empty(), "{findings:?}");
//! # }
//! ```
//!
//! Only the API the two families share compiles both ways: constructors other than `new`
//! (classes, validators) and the wrappers' extra methods exist only on the wrappers. The
//! nesting annotations are the exception: [`MutexAnnotations`] and [`RwLockAnnotations`] give
//! parking_lot's locks `lock_nested`, `write_nested` and the like, which simply lock, so code
//! using them compiles in release builds too (the glob import brings the traits in).

/// Whether this build uses the validating wrappers (`cfg!(debug_assertions)`).
pub const ENABLED: bool = cfg!(debug_assertions);

#[cfg(debug_assertions)]
pub use super::{
    Condvar, FairMutex, FairMutexGuard, MappedFairMutexGuard, MappedMutexGuard,
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, MappedReentrantMutexGuard,
    MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, MutexGuard, RecursiveRwLock,
    RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard,
    ReentrantMutex, ReentrantMutexGuard, RwLock, RwLockReadGuard, RwLockUpgradableReadGuard,
    RwLockWriteGuard,
};

#[cfg(not(debug_assertions))]
pub use parking_lot::{
    Condvar, FairMutex, FairMutexGuard, MappedFairMutexGuard, MappedMutexGuard,
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, MappedReentrantMutexGuard,
    MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, MutexGuard, RecursiveRwLock,
    RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard,
    ReentrantMutex, ReentrantMutexGuard, RwLock, RwLockReadGuard, RwLockUpgradableReadGuard,
    RwLockWriteGuard,
};

pub use parking_lot::WaitTimeoutResult;

/// Nesting annotations for parking_lot's mutexes, so that code written against the wrappers'
/// `lock_nested` / `lock_nest_lock` also compiles when [`debug`](self) resolves to parking_lot.
/// They just lock. (The wrappers' inherent methods of the same names take precedence over
/// these.)
pub trait MutexAnnotations {
    /// The guard `lock` returns.
    type Guard<'a>
    where
        Self: 'a;

    /// `lock`, ignoring the subclass.
    fn lock_nested(&self, subclass: u8) -> Self::Guard<'_>;

    /// `lock`, ignoring the outer lock.
    fn lock_nest_lock<G: ?Sized>(&self, outer: &G) -> Self::Guard<'_>;

    /// `try_lock`, ignoring the subclass.
    fn try_lock_nested(&self, subclass: u8) -> Option<Self::Guard<'_>>;
}

/// [`MutexAnnotations`] for one of parking_lot's mutexes, `Lock<T>` with guard `Guard<'a, T>`:
/// each annotation just locks.
macro_rules! mutex_annotations {
    ($lock:ident, $guard:ident) => {
        impl<T: ?Sized> MutexAnnotations for parking_lot::$lock<T> {
            type Guard<'a>
                = parking_lot::$guard<'a, T>
            where
                Self: 'a;

            fn lock_nested(&self, _subclass: u8) -> Self::Guard<'_> {
                self.lock()
            }

            fn lock_nest_lock<G: ?Sized>(&self, _outer: &G) -> Self::Guard<'_> {
                self.lock()
            }

            fn try_lock_nested(&self, _subclass: u8) -> Option<Self::Guard<'_>> {
                self.try_lock()
            }
        }
    };
}

mutex_annotations!(Mutex, MutexGuard);
mutex_annotations!(FairMutex, FairMutexGuard);

/// Nesting annotations for parking_lot's reader-writer locks (see [`MutexAnnotations`]).
pub trait RwLockAnnotations {
    /// The guard `read` returns.
    type ReadGuard<'a>
    where
        Self: 'a;
    /// The guard `write` returns.
    type WriteGuard<'a>
    where
        Self: 'a;

    /// `read`, ignoring the subclass.
    fn read_nested(&self, subclass: u8) -> Self::ReadGuard<'_>;

    /// `write`, ignoring the subclass.
    fn write_nested(&self, subclass: u8) -> Self::WriteGuard<'_>;

    /// `write`, ignoring the outer lock.
    fn write_nest_lock<G: ?Sized>(&self, outer: &G) -> Self::WriteGuard<'_>;
}

/// [`RwLockAnnotations`] for one of parking_lot's reader-writer locks, `Lock<T>` with guards
/// `ReadGuard<'a, T>` and `WriteGuard<'a, T>`: each annotation just reads or writes.
macro_rules! rwlock_annotations {
    ($lock:ident, $read_guard:ident, $write_guard:ident) => {
        impl<T: ?Sized> RwLockAnnotations for parking_lot::$lock<T> {
            type ReadGuard<'a>
                = parking_lot::$read_guard<'a, T>
            where
                Self: 'a;
            type WriteGuard<'a>
                = parking_lot::$write_guard<'a, T>
            where
                Self: 'a;

            fn read_nested(&self, _subclass: u8) -> Self::ReadGuard<'_> {
                self.read()
            }

            fn write_nested(&self, _subclass: u8) -> Self::WriteGuard<'_> {
                self.write()
            }

            fn write_nest_lock<G: ?Sized>(&self, _outer: &G) -> Self::WriteGuard<'_> {
                self.write()
            }
        }
    };
}

rwlock_annotations!(RwLock, RwLockReadGuard, RwLockWriteGuard);
rwlock_annotations!(
    RecursiveRwLock,
    RecursiveRwLockReadGuard,
    RecursiveRwLockWriteGuard
);
