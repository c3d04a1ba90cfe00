//! The slab directory: slab index → slab address.
//!
//! One flat array of pointers, sized for every slab a handle can address and
//! mapped once with memmap2. Only the pages that hold installed pointers are ever
//! touched, so a small depot pays one page; a reader does one `Acquire` load and an
//! index (the thread_local / sharded-slab pattern, without their bucket hop).
//! Entries go from null to a slab once (CAS) and never change again.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};

use memmap2::MmapMut;

use crate::config::page_size;
use crate::slab::Slab;

pub(crate) struct Directory {
    /// Base of `_map`, taken once through `as_mut_ptr` so that it carries write
    /// permission (a pointer derived from `&MmapMut` would be read-only).
    base: NonNull<AtomicPtr<u8>>,
    len: usize,
    _map: MmapMut,
}

// SAFETY: the directory is an array of atomics in a mapping it owns; `base` is only
// a cached address into that mapping.
unsafe impl Send for Directory {}
// SAFETY: as above: all shared access goes through the atomics.
unsafe impl Sync for Directory {}

impl Directory {
    pub(crate) fn new(len: usize) -> std::io::Result<Directory> {
        let bytes = (len * core::mem::size_of::<AtomicPtr<u8>>()).next_multiple_of(page_size());
        let mut map = MmapMut::map_anon(bytes)?;
        let base = NonNull::new(map.as_mut_ptr().cast::<AtomicPtr<u8>>())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
        Ok(Directory {
            base,
            len,
            _map: map,
        })
    }

    #[inline]
    fn entry(&self, i: usize) -> &AtomicPtr<u8> {
        debug_assert!(i < self.len);
        // SAFETY: i < len, and the mapping holds `len` pointer-sized, pointer-aligned
        // (page-aligned base) zero-initialised words, accessed only atomically.
        unsafe { &*self.base.as_ptr().add(i) }
    }

    /// The slab at `i`, if installed. `Acquire`: the slab's contents written before
    /// [`install`](Self::install) are visible.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<Slab> {
        if i >= self.len {
            return None;
        }
        NonNull::new(self.entry(i).load(Ordering::Acquire)).map(Slab)
    }

    /// Installs `slab` at `i` unless another slab got there first (returned).
    pub(crate) fn install(&self, i: usize, slab: Slab) -> Result<(), Slab> {
        self.entry(i)
            .compare_exchange(
                core::ptr::null_mut(),
                slab.0.as_ptr(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(|_| ())
            .map_err(|p| Slab(NonNull::new(p).unwrap_or(slab.0)))
    }
}
