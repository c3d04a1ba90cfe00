//! Lock-class identity: lockdep's `lock_class_key`.

use xxhash_rust::xxh3::xxh3_64;

/// Identity of a lock class (lockdep's `lock_class_key`).
///
/// Every lock instance names the class it belongs to; the dependency graph is built over
/// classes, so all instances created at one site (or sharing one static key) are one node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassKey(pub u64);

impl ClassKey {
    /// A key derived from a class name: a stable hash (xxh3) of the UTF-8 bytes, the same in
    /// every run and on every platform.
    pub fn from_name(name: &str) -> ClassKey {
        ClassKey(xxh3_64(name.as_bytes()))
    }

    /// A key derived from a creation site, usually captured with `#[track_caller]`
    /// (`Location::caller()`): lockdep's "one class per initialisation site" rule.
    /// Stable across runs of the same binary: it hashes file, line and column.
    pub fn from_location(loc: &'static core::panic::Location<'static>) -> ClassKey {
        let mut buf = Vec::with_capacity(loc.file().len() + 8);
        buf.extend_from_slice(loc.file().as_bytes());
        buf.extend_from_slice(&loc.line().to_le_bytes());
        buf.extend_from_slice(&loc.column().to_le_bytes());
        ClassKey(xxh3_64(&buf))
    }

    /// A key that is the address of a static object, like a kernel `static struct
    /// lock_class_key`. Distinct statics give distinct keys; the value changes between runs
    /// (address-space layout), so do not persist it.
    pub fn from_static<T>(key: &'static T) -> ClassKey {
        ClassKey(key as *const T as usize as u64)
    }
}
