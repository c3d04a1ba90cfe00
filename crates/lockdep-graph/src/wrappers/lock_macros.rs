//! The constructors and validator accessors every wrapper lock shares.
//!
//! Each lock has the same four constructors (caller's class or an explicit one, the global
//! validator or an explicit one), the same `into_inner`, `Default` and `From`, and the same
//! accessors for what it tells the validator; only the lock type, the noun in the docs and
//! how the lock is built from its [`LockMeta`](super::meta::LockMeta) differ.

/// Implements the constructors, `into_inner`, `Default` and `From` for a wrapper lock.
///
/// `lock_constructors!(Lock<R: RawTrait, T>, "noun", |meta, value| Lock { .. })` (or
/// `Lock<T>` for a lock without a raw-lock parameter): the closure-like tail builds the lock
/// from its `meta` and the `value`, and must be usable in a `const fn`.
macro_rules! lock_constructors {
    ($lock:ident<R: $raw:ident, T>, $($rest:tt)*) => {
        $crate::wrappers::lock_macros::lock_constructors!(@impl [R: $raw,] [R,] $lock, $($rest)*);
    };
    ($lock:ident<T>, $($rest:tt)*) => {
        $crate::wrappers::lock_macros::lock_constructors!(@impl [] [] $lock, $($rest)*);
    };
    (
        @impl [$($impl_generics:tt)*] [$($type_generics:tt)*] $lock:ident, $noun:literal,
        |$meta:ident, $value:ident| $build:expr
    ) => {
        impl<$($impl_generics)* T> $lock<$($type_generics)* T> {
            #[doc = concat!("A ", $noun, " in the class of the caller's source location, reporting to")]
            /// [`Validator::global`](crate::Validator::global).
            #[track_caller]
            #[inline]
            pub const fn new(value: T) -> Self {
                Self::new_with_class($crate::wrappers::LockClass::caller(), value)
            }

            #[doc = concat!("A ", $noun, " in an explicit class, reporting to")]
            /// [`Validator::global`](crate::Validator::global).
            pub const fn new_with_class(class: $crate::wrappers::LockClass, $value: T) -> Self {
                let $meta = $crate::wrappers::meta::LockMeta::new(class, None);
                $build
            }

            #[doc = concat!("A ", $noun, " in the class of the caller's source location, reporting to")]
            /// `validator` (for example a test's own validator).
            #[track_caller]
            pub const fn with_validator(
                validator: &'static $crate::Validator,
                value: T,
            ) -> Self {
                Self::with_class_and_validator(
                    $crate::wrappers::LockClass::caller(),
                    validator,
                    value,
                )
            }

            #[doc = concat!("A ", $noun, " in an explicit class, reporting to `validator`.")]
            pub const fn with_class_and_validator(
                class: $crate::wrappers::LockClass,
                validator: &'static $crate::Validator,
                $value: T,
            ) -> Self {
                let $meta = $crate::wrappers::meta::LockMeta::new(class, Some(validator));
                $build
            }

            #[doc = concat!("Consumes the ", $noun, " and returns the data. The validator is told the")]
            /// lock is gone, so a lock still held through a forgotten guard is reported as a
            /// held lock freed.
            pub fn into_inner(self) -> T {
                let Self { meta, inner, .. } = self;
                drop(meta);
                inner.into_inner()
            }
        }

        impl<$($impl_generics)* T: Default> Default for $lock<$($type_generics)* T> {
            #[track_caller]
            fn default() -> Self {
                Self::new_with_class($crate::wrappers::LockClass::caller(), T::default())
            }
        }

        impl<$($impl_generics)* T> From<T> for $lock<$($type_generics)* T> {
            #[track_caller]
            fn from(value: T) -> Self {
                Self::new_with_class($crate::wrappers::LockClass::caller(), value)
            }
        }
    };
}

/// Writes, inside a wrapper lock's `impl` block, `get_mut`, `data_ptr` and the accessors for
/// what the lock tells the validator: `lock_accessors!("noun", ApiLock)`, where `ApiLock` is
/// the `lock_api` lock in the `inner` field.
macro_rules! lock_accessors {
    ($noun:literal, $api:ident) => {
        /// A mutable reference to the data; no locking is needed (the borrow is exclusive).
        pub fn get_mut(&mut self) -> &mut T {
            self.inner.get_mut()
        }

        #[doc = concat!("A raw pointer to the data, as `lock_api::", stringify!($api), "::data_ptr`.")]
        pub fn data_ptr(&self) -> *mut T {
            self.inner.data_ptr()
        }

        #[doc = concat!("This ", $noun, " as the validator sees it. The first call (or the first lock)")]
        /// assigns its id.
        pub fn lock_instance(&self) -> $crate::LockInstance {
            self.meta.instance()
        }

        #[doc = concat!("The class this ", $noun, " was created in.")]
        pub fn lock_class(&self) -> $crate::wrappers::LockClass {
            self.meta.class()
        }

        #[doc = concat!("The validator this ", $noun, " reports to.")]
        pub fn validator(&self) -> &'static $crate::Validator {
            self.meta.validator()
        }
    };
}

pub(super) use {lock_accessors, lock_constructors};
