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

/// Implements the methods a guard over a [`Held`](super::meta::Held) shares with the other
/// guard kinds. Each arm writes one `impl` block; `[mut]` marks a guard with exclusive access
/// (its `map` closures take and return `&mut`), `[]` a shared one.
///
/// `ApiGuard` names the `lock_api` guard type in the `inner` field.
///
/// - `guard_methods!(Guard<R: RawTrait>, lock_field, MappedGuard, ApiGuard, [mut] { .. })`:
///   the items in braces, then `map`, `try_map` and `unlocked` for a lock's own guard (fields
///   `held`, `lock_field`, `inner`).
/// - `guard_methods!(@unlocked ApiGuard)`, inside a guard's `impl` block: `unlocked` alone.
/// - `guard_methods!(@fair Guard<R: RawFairTrait>, ApiGuard)`: `unlock_fair`,
///   `unlocked_fair` and `bump`.
/// - `guard_methods!(@mapped Guard<R: RawTrait, RawFairTrait>, ApiGuard, [mut])`: `map` and
///   `try_map`, and `unlock_fair` under the fair bound, for a mapped guard (fields `held`,
///   `inner`).
macro_rules! guard_methods {
    (
        $guard:ident<R: $raw:ident>, $lock_field:ident, $mapped:ident, $api:ident,
        [$($mutable:tt)?] { $($extra:tt)* }
    ) => {
        impl<'a, R: $raw + 'a, T: ?Sized + 'a> $guard<'a, R, T> {
            $($extra)*

            /// A guard for a component of the data; the lock stays held (and reported held).
            pub fn map<U: ?Sized, F>(s: Self, f: F) -> $mapped<'a, R, U>
            where
                F: FnOnce(&$($mutable)? T) -> &$($mutable)? U,
            {
                let $guard { held, inner, .. } = s;
                $mapped {
                    held,
                    inner: ::lock_api::$api::map(inner, f),
                }
            }

            /// Like [`map`](Self::map), but `f` may fail, returning the original guard.
            pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$mapped<'a, R, U>, Self>
            where
                F: FnOnce(&$($mutable)? T) -> Option<&$($mutable)? U>,
            {
                let $guard {
                    held,
                    $lock_field,
                    inner,
                } = s;
                match ::lock_api::$api::try_map(inner, f) {
                    Ok(inner) => Ok($mapped { held, inner }),
                    Err(inner) => Err($guard {
                        held,
                        $lock_field,
                        inner,
                    }),
                }
            }

            $crate::wrappers::guard_macros::guard_methods!(@unlocked $api);
        }
    };
    (@unlocked $api:ident) => {
        /// Temporarily unlocks to run `f`, then locks again. Reported as a release and, after
        /// `f` returns (or unwinds), a blocking re-acquisition.
        pub fn unlocked<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            s.held.report_release();
            let held = &mut s.held;
            ::lock_api::$api::unlocked(&mut s.inner, move || {
                let _reacquire = $crate::wrappers::meta::ReacquireOnExit(held);
                f()
            })
        }
    };
    (@fair $guard:ident<R: $fair:ident>, $api:ident) => {
        impl<'a, R: $fair + 'a, T: ?Sized + 'a> $guard<'a, R, T> {
            /// Unlocks with a fair handoff to a waiting thread.
            pub fn unlock_fair(s: Self) {
                let $guard { held, inner, .. } = s;
                drop(held);
                ::lock_api::$api::unlock_fair(inner);
            }

            /// [`unlocked`](Self::unlocked) with a fair unlock.
            pub fn unlocked_fair<F, U>(s: &mut Self, f: F) -> U
            where
                F: FnOnce() -> U,
            {
                s.held.report_release();
                let held = &mut s.held;
                ::lock_api::$api::unlocked_fair(&mut s.inner, move || {
                    let _reacquire = $crate::wrappers::meta::ReacquireOnExit(held);
                    f()
                })
            }

            /// Hands the lock to a waiting thread, if any, and takes it back: reported as a
            /// release and a blocking re-acquisition.
            pub fn bump(s: &mut Self) {
                s.held.report_release();
                s.held.report_reacquire();
                ::lock_api::$api::bump(&mut s.inner);
            }
        }
    };
    (@mapped $guard:ident<R: $raw:ident, $fair:ident>, $api:ident, [$($mutable:tt)?]) => {
        impl<'a, R: $raw + 'a, T: ?Sized + 'a> $guard<'a, R, T> {
            /// A guard for a component of the mapped data.
            pub fn map<U: ?Sized, F>(s: Self, f: F) -> $guard<'a, R, U>
            where
                F: FnOnce(&$($mutable)? T) -> &$($mutable)? U,
            {
                let $guard { held, inner } = s;
                $guard {
                    held,
                    inner: ::lock_api::$api::map(inner, f),
                }
            }

            /// Like [`map`](Self::map), but `f` may fail, returning the original guard.
            pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$guard<'a, R, U>, Self>
            where
                F: FnOnce(&$($mutable)? T) -> Option<&$($mutable)? U>,
            {
                let $guard { held, inner } = s;
                match ::lock_api::$api::try_map(inner, f) {
                    Ok(inner) => Ok($guard { held, inner }),
                    Err(inner) => Err($guard { held, inner }),
                }
            }
        }

        impl<'a, R: $fair + 'a, T: ?Sized + 'a> $guard<'a, R, T> {
            /// Unlocks with a fair handoff to a waiting thread.
            pub fn unlock_fair(s: Self) {
                let $guard { held, inner } = s;
                drop(held);
                ::lock_api::$api::unlock_fair(inner);
            }
        }
    };
}

pub(super) use guard_methods;
