//! The trait impls every wrapper guard shares: access to the data (`Deref`, and `DerefMut` for
//! guards with exclusive access), `Debug` and `Display` as the data's, and [`HeldLock`].
//!
//! They are the same few lines for each guard kind, differing only in the guard type and the
//! raw-lock bound, so one macro writes them. Guards over a [`Held`](super::meta::Held) name
//! their raw-lock trait (`R: Trait`); the reentrant mutex's guards, which have no raw-lock
//! parameter and no `Held`, use the arms without it and write their own [`HeldLock`].
//!
//! [`HeldLock`]: super::HeldLock

/// Implements the guard traits that forward to the data or to the guard's `held` field.
///
/// - `guard_impls!(Guard<R: RawTrait>, [mut])`: `Deref`, `DerefMut`, `Debug`, `Display` and
///   `HeldLock` (from `held`) for `Guard<'a, R, T>`; without `mut`, no `DerefMut`.
/// - `guard_impls!(@deref Guard)`, `guard_impls!(@fmt Trait for Guard)`: `Deref` and one
///   formatting trait for a guard `Guard<'a, T>` without a raw-lock parameter.
macro_rules! guard_impls {
    ($guard:ident<R: $raw:ident>, [$($mutable:tt)?]) => {
        impl<'a, R: $raw + 'a, T: ?Sized + 'a> ::core::ops::Deref for $guard<'a, R, T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }

        $crate::wrappers::guard_macros::guard_impls!(@deref_mut $guard<R: $raw> $($mutable)?);

        impl<'a, R: $raw + 'a, T: ?Sized + ::core::fmt::Debug + 'a> ::core::fmt::Debug
            for $guard<'a, R, T>
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(&**self, f)
            }
        }

        impl<'a, R: $raw + 'a, T: ?Sized + ::core::fmt::Display + 'a> ::core::fmt::Display
            for $guard<'a, R, T>
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&**self, f)
            }
        }

        impl<'a, R: $raw + 'a, T: ?Sized + 'a> $crate::wrappers::HeldLock for $guard<'a, R, T> {
            fn held_lock(&self) -> $crate::LockInstance {
                self.held.lock()
            }
        }
    };
    (@deref_mut $guard:ident<R: $raw:ident>) => {};
    (@deref_mut $guard:ident<R: $raw:ident> mut) => {
        impl<'a, R: $raw + 'a, T: ?Sized + 'a> ::core::ops::DerefMut for $guard<'a, R, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
    (@deref $guard:ident) => {
        impl<'a, T: ?Sized + 'a> ::core::ops::Deref for $guard<'a, T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }
    };
    (@fmt $fmt_trait:ident for $guard:ident) => {
        impl<'a, T: ?Sized + ::core::fmt::$fmt_trait + 'a> ::core::fmt::$fmt_trait
            for $guard<'a, T>
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::$fmt_trait::fmt(&**self, f)
            }
        }
    };
}

pub(super) use guard_impls;
