//! The mutexes compared on the acquisition fast path, behind one trait
//! (parking_lot's benchmark style).

use lockdep_graph::wrappers::{self, LockClass};
use lockdep_graph::{Validator, ValidatorConfig};

/// A mutex over a counter, as the acquire+release loops use it.
pub trait BenchMutex: Send + Sync {
    /// Name in tables.
    const NAME: &'static str;
    /// Locks, runs `f` on the data, unlocks.
    fn locked<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R;
}

/// A plain `parking_lot::Mutex`: no validation.
pub struct BareMutex(parking_lot::Mutex<u64>);

impl BareMutex {
    /// A new mutex.
    pub fn new() -> BareMutex {
        BareMutex(parking_lot::Mutex::new(0))
    }
}

impl Default for BareMutex {
    fn default() -> Self {
        Self::new()
    }
}

impl BenchMutex for BareMutex {
    const NAME: &'static str = "parking_lot";
    #[inline]
    fn locked<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}

/// `lockdep_graph::wrappers::Mutex` reporting to its own validator.
pub struct LockdepMutex(wrappers::Mutex<u64>);

impl LockdepMutex {
    /// A mutex in class `name` reporting to `validator`.
    pub fn new(validator: &'static Validator, name: &'static str) -> LockdepMutex {
        LockdepMutex(wrappers::Mutex::with_class_and_validator(
            LockClass::named(name),
            validator,
            0,
        ))
    }
}

impl BenchMutex for LockdepMutex {
    const NAME: &'static str = "lockdep-graph";
    #[inline]
    fn locked<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}

/// `tracing-mutex`'s always-tracing parking_lot mutex (`parkinglot::tracing::Mutex`,
/// over parking_lot 0.12): another crate's lock-order checker, per lock instance.
pub struct TracingMutex(tracing_mutex::parkinglot::tracing::Mutex<u64>);

impl TracingMutex {
    /// A new mutex.
    pub fn new() -> TracingMutex {
        TracingMutex(tracing_mutex::parkinglot::tracing::Mutex::new(0))
    }
}

impl Default for TracingMutex {
    fn default() -> Self {
        Self::new()
    }
}

impl BenchMutex for TracingMutex {
    const NAME: &'static str = "tracing-mutex";
    #[inline]
    fn locked<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}

/// A validator that lives for the rest of the process (wrappers need `&'static`).
pub fn leak_validator() -> &'static Validator {
    Box::leak(Box::new(Validator::new(ValidatorConfig::default())))
}

/// `ops` lock+unlock pairs of one mutex; returns the counter.
#[inline(never)]
pub fn single_ops<M: BenchMutex>(m: &M, ops: u64) -> u64 {
    let mut last = 0;
    for _ in 0..ops {
        last = m.locked(|v| {
            *v += 1;
            *v
        });
    }
    last
}

/// `ops` rounds of: lock `outer`, lock `inner`, unlock both (a cached two-lock chain).
#[inline(never)]
pub fn nested_ops<M: BenchMutex>(outer: &M, inner: &M, ops: u64) -> u64 {
    let mut last = 0;
    for _ in 0..ops {
        last = outer.locked(|a| {
            inner.locked(|b| {
                *b += 1;
                *a += *b;
                *a
            })
        });
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutex_counts() {
        assert_eq!(single_ops(&BareMutex::new(), 10), 10);
        assert_eq!(single_ops(&TracingMutex::new(), 10), 10);
        let v = leak_validator();
        assert_eq!(single_ops(&LockdepMutex::new(v, "bench_single"), 10), 10);
        let (a, b) = (
            LockdepMutex::new(v, "bench_outer"),
            LockdepMutex::new(v, "bench_inner"),
        );
        assert_eq!(nested_ops(&a, &b, 3), 6);
        assert_eq!(v.finding_count(), 0);
    }
}
