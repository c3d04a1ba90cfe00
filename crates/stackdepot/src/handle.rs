//! The 32-bit handle and its bit layout.
//!
//! ```text
//!  31        27 26                  11 10            0
//! ┌────────────┬──────────────────────┬───────────────┐
//! │ caller (5) │   slab index (16)    │ word offset   │   default layout:
//! │ ignored by │  0 ..= 65 535        │ (11) in the   │   16 KiB slabs, 5 caller bits
//! │ the depot  │                      │ slab, ×8 B    │
//! └────────────┴──────────────────────┴───────────────┘
//! ```
//!
//! The word offset of a record is never 0 (every slab starts with reserved words), so
//! no valid handle has a zero body and `0` is free to mean "no trace", like the
//! kernel's `depot_stack_handle_t`. The field widths follow from [`Config`]:
//! `offset bits = log2(slab_size / 8)`, `slab bits = 32 - caller bits - offset bits`.
//! [`HandleLayout`] derives shift and mask from those lengths; the default layout is
//! checked at compile time below, any other one by [`Config::validate`].

use core::fmt;
use core::num::NonZeroU32;

use crate::config::Config;

/// A compact, copyable name for a saved stack trace.
///
/// A handle is 32 bits and never 0, so `Option<Handle>` is 32 bits too and `None`
/// plays the kernel's "handle 0: no trace". Handles compare bit for bit, caller
/// bits included; the depot itself ignores the caller bits (see
/// [`StackDepot::with_caller_bits`](crate::StackDepot::with_caller_bits)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Handle(NonZeroU32);

impl Handle {
    /// The raw 32-bit value, for storing in a `u32` field or a log.
    #[inline]
    pub const fn to_raw(self) -> u32 {
        self.0.get()
    }

    /// Rebuilds a handle from [`to_raw`](Self::to_raw). `0` gives `None`.
    ///
    /// Any other value gives a handle; it is *not* checked against a depot here.
    /// Fetching a forged or foreign handle is safe: it yields `None` or some saved
    /// trace (see [`StackDepot::fetch`](crate::StackDepot::fetch)).
    #[inline]
    pub const fn from_raw(raw: u32) -> Option<Handle> {
        match NonZeroU32::new(raw) {
            Some(nz) => Some(Handle(nz)),
            None => None,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({:#010x})", self.0)
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

/// The bit layout of a depot's handles, derived from its [`Config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandleLayout {
    /// Bits of the in-slab word offset (low bits).
    pub offset_bits: u32,
    /// Bits of the slab index (middle bits).
    pub slab_bits: u32,
    /// Bits left to the caller (high bits), ignored by the depot.
    pub caller_bits: u32,
}

impl HandleLayout {
    /// The layout for a slab of `slab_size` bytes and `caller_bits` caller bits.
    /// Returns `None` when the fields do not fit in 32 bits with at least one slab bit.
    pub const fn new(slab_size: usize, caller_bits: u32) -> Option<HandleLayout> {
        if !slab_size.is_power_of_two() || slab_size < 64 {
            return None;
        }
        let words = slab_size / WORD;
        let offset_bits = words.trailing_zeros();
        if caller_bits >= 32 || offset_bits + caller_bits >= 32 {
            return None;
        }
        Some(HandleLayout {
            offset_bits,
            slab_bits: 32 - offset_bits - caller_bits,
            caller_bits,
        })
    }

    /// Shift of the slab-index field.
    #[inline]
    pub const fn slab_shift(&self) -> u32 {
        self.offset_bits
    }

    /// Shift of the caller field.
    #[inline]
    pub const fn caller_shift(&self) -> u32 {
        self.offset_bits + self.slab_bits
    }

    /// Mask of the bits the depot uses for identity (offset and slab index).
    #[inline]
    pub const fn body_mask(&self) -> u32 {
        // caller_shift() < 32 always holds: slab_bits >= 1 and caller_bits < 32.
        ((1u64 << self.caller_shift()) - 1) as u32
    }

    /// Mask of the caller bits, in place.
    #[inline]
    pub const fn caller_mask(&self) -> u32 {
        !self.body_mask()
    }

    /// Mask of the offset field.
    #[inline]
    pub const fn offset_mask(&self) -> u32 {
        (1u32 << self.offset_bits) - 1
    }

    /// How many slabs a handle can address.
    #[inline]
    pub const fn max_slabs(&self) -> usize {
        1usize << self.slab_bits
    }

    /// Packs a slab index and word offset (caller bits 0).
    #[inline]
    pub(crate) const fn pack(&self, slab: usize, offset_words: usize) -> u32 {
        ((slab as u32) << self.offset_bits) | offset_words as u32
    }

    /// Splits a raw handle into (slab index, word offset), ignoring caller bits.
    #[cfg(test)]
    pub(crate) const fn unpack(&self, raw: u32) -> (usize, usize) {
        let body = raw & self.body_mask();
        (
            (body >> self.offset_bits) as usize,
            (body & self.offset_mask()) as usize,
        )
    }
}

/// Bytes per stored word (a frame).
pub(crate) const WORD: usize = core::mem::size_of::<usize>();

/// The layout of [`Config::default()`], checked when the crate compiles.
pub const DEFAULT_LAYOUT: HandleLayout =
    match HandleLayout::new(Config::DEFAULT_SLAB_SIZE, Config::DEFAULT_CALLER_BITS) {
        Some(l) => l,
        None => panic!("default handle layout does not fit in 32 bits"),
    };

const _: () = {
    assert!(DEFAULT_LAYOUT.offset_bits == 11);
    assert!(DEFAULT_LAYOUT.slab_bits == 16);
    assert!(DEFAULT_LAYOUT.caller_bits == 5);
    assert!(
        DEFAULT_LAYOUT.offset_bits + DEFAULT_LAYOUT.slab_bits + DEFAULT_LAYOUT.caller_bits == 32
    );
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip_and_zero() {
        assert_eq!(Handle::from_raw(0), None);
        for raw in [1u32, 2, 0x7ff, 0x800, u32::MAX, 0x8000_0000] {
            assert_eq!(Handle::from_raw(raw).unwrap().to_raw(), raw);
        }
        assert_eq!(core::mem::size_of::<Option<Handle>>(), 4);
    }

    #[test]
    fn layout_fields_partition_the_word() {
        for slab_size in [64usize, 4096, 16384, 1 << 20] {
            for caller in 0..8 {
                let l = HandleLayout::new(slab_size, caller).unwrap();
                assert_eq!(l.offset_bits + l.slab_bits + l.caller_bits, 32);
                assert_eq!(l.body_mask() & l.caller_mask(), 0);
                assert_eq!(l.body_mask() | l.caller_mask(), u32::MAX);
                let raw = l.pack(l.max_slabs() - 1, 3);
                assert_eq!(l.unpack(raw | l.caller_mask()), (l.max_slabs() - 1, 3));
            }
        }
        assert!(HandleLayout::new(3000, 5).is_none());
        assert!(HandleLayout::new(1 << 31, 5).is_none());
        assert!(HandleLayout::new(16384, 21).is_none());
    }
}
