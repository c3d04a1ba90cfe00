//! How a wrapper lock names its lock class: by creation site, by name or by a static key.

use core::fmt;
use core::panic::Location;

use crate::{ClassKey, Validator};

/// A static lock-class key: the userspace twin of the kernel's `static struct lock_class_key`.
///
/// Every lock created with [`LockClass::from_static`] of one `LockClassKey` is in one class,
/// wherever it was created. The class is identified by the key's address, so the key must live
/// in a `static` (a `const` would be copied, and each copy would be a different class).
/// The [`lock_class!`](crate::lock_class) macro declares one in place.
///
/// ```
/// use lockdep_graph::wrappers::{LockClass, LockClassKey, Mutex};
///
/// static INODE_LOCK: LockClassKey = LockClassKey::new("inode_lock");
///
/// fn new_inode_lock() -> Mutex<u32> {
///     Mutex::new_with_class(LockClass::from_static(&INODE_LOCK), 0)
/// }
/// let (a, b) = (new_inode_lock(), new_inode_lock());
/// assert_eq!(a.lock_instance().class, b.lock_instance().class);
/// ```
#[derive(Debug)]
pub struct LockClassKey {
    name: &'static str,
}

impl LockClassKey {
    /// A key whose class prints as `name` in reports.
    pub const fn new(name: &'static str) -> LockClassKey {
        LockClassKey { name }
    }

    /// The name reports print for this class.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// Which lock class a wrapper lock belongs to, decided when the lock is constructed.
///
/// Every constructor is `const`: the class key itself (which may hash a file name) is computed
/// once, on the lock's first acquisition, and cached in the lock.
#[derive(Clone, Copy)]
pub struct LockClass {
    source: Source,
}

#[derive(Clone, Copy)]
enum Source {
    /// lockdep's default: one class per initialisation site.
    Site(&'static Location<'static>),
    /// All locks given this name share one class.
    Named(&'static str),
    /// All locks given this static key share one class.
    Static(&'static LockClassKey),
    /// A key chosen by the caller (for example one shared with a replayed log).
    Key(ClassKey, &'static str),
}

impl LockClass {
    /// The class of the caller's source location (through any chain of `#[track_caller]`
    /// functions): what `Mutex::new` uses.
    #[track_caller]
    pub const fn caller() -> LockClass {
        LockClass::site(Location::caller())
    }

    /// The class of a creation site.
    pub const fn site(location: &'static Location<'static>) -> LockClass {
        LockClass {
            source: Source::Site(location),
        }
    }

    /// The class called `name`: every lock given the same name is in the same class
    /// (the key is [`ClassKey::from_name`]).
    pub const fn named(name: &'static str) -> LockClass {
        LockClass {
            source: Source::Named(name),
        }
    }

    /// The class of a static key (the key is [`ClassKey::from_static`], its address).
    pub const fn from_static(key: &'static LockClassKey) -> LockClass {
        LockClass {
            source: Source::Static(key),
        }
    }

    /// The class with an explicit key, printed as `name`.
    pub const fn from_key(key: ClassKey, name: &'static str) -> LockClass {
        LockClass {
            source: Source::Key(key, name),
        }
    }

    /// The validator's key for this class. Computing it may hash a file name (allocation-free
    /// only for named, static and explicit keys); the wrappers call it once per lock.
    pub fn key(&self) -> ClassKey {
        match self.source {
            Source::Site(location) => ClassKey::from_location(location),
            Source::Named(name) => ClassKey::from_name(name),
            Source::Static(key) => ClassKey::from_static(key),
            Source::Key(key, _) => key,
        }
    }

    /// Tells `validator` the name reports should print for this class.
    pub(crate) fn register(&self, key: ClassKey, validator: &Validator) {
        match self.source {
            Source::Site(location) => {
                let name = format!(
                    "{}:{}:{}",
                    location.file(),
                    location.line(),
                    location.column()
                );
                validator.register_class(key, &name);
            }
            Source::Named(name) | Source::Key(_, name) => validator.register_class(key, name),
            Source::Static(static_key) => validator.register_class(key, static_key.name),
        }
    }
}

impl fmt::Debug for LockClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            Source::Site(location) => write!(f, "LockClass(site {location})"),
            Source::Named(name) => write!(f, "LockClass(named {name:?})"),
            Source::Static(key) => write!(f, "LockClass(static {:?})", key.name),
            Source::Key(key, name) => write!(f, "LockClass({key:?} {name:?})"),
        }
    }
}

/// A [`LockClass`] backed by a `static` [`LockClassKey`] declared in place, named after the
/// module and the given name (`module::path::name`). Usable in `const` and `static`
/// initialisers.
///
/// ```
/// use lockdep_graph::lock_class;
/// use lockdep_graph::wrappers::Mutex;
///
/// static TABLE: Mutex<Vec<u32>> = Mutex::new_with_class(lock_class!("table"), Vec::new());
/// TABLE.lock().push(1);
/// ```
#[macro_export]
macro_rules! lock_class {
    ($name:expr) => {{
        static KEY: $crate::wrappers::LockClassKey =
            $crate::wrappers::LockClassKey::new(concat!(module_path!(), "::", $name));
        $crate::wrappers::LockClass::from_static(&KEY)
    }};
}
