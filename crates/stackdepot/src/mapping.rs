//! Memory straight from the OS (memmap2), never from the global allocator.
//!
//! Every mapping the depot makes for slabs and index tables keeps its own
//! `memmap2::MmapMut` in its first [`STASH_BYTES`] bytes. That way the depot can
//! hold a mapping as a bare pointer (in an atomic, in the reserve, in a retired
//! list) without a side `Vec` that would need the allocator, and still unmap it
//! on drop through memmap2.
//!
//! ```text
//!  base ──► ┌──────────────────────┬──────────────────────────────────┐
//!           │ MmapMut (ptr, len)   │ the owner's data (slab, table…)  │
//!           └──────────────────────┴──────────────────────────────────┘
//! ```

use core::ptr::NonNull;

use memmap2::MmapMut;

/// Bytes at the start of a mapping that hold its `MmapMut`.
pub(crate) const STASH_BYTES: usize = 16;

const _: () = assert!(core::mem::size_of::<MmapMut>() <= STASH_BYTES);
const _: () = assert!(core::mem::align_of::<MmapMut>() <= 8);

/// How the pages of a new mapping are backed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backing {
    /// Pages appear on first touch (index tables: a spare may wait long before use).
    Lazy,
    /// Every page backed at once (`MAP_POPULATE`): one system call instead of a page
    /// fault per page, and no page fault later in a no-wait save.
    Populated,
    /// Transparent huge pages asked for (`MADV_HUGEPAGE`), then populated
    /// (`MADV_POPULATE_WRITE`, Linux 5.14+; on older kernels pages appear on first
    /// touch). Only worth it for 2 MiB-aligned multiples of 2 MiB.
    HugePages,
}

impl Backing {
    /// `HugePages` if asked for, else `Populated`.
    pub(crate) fn choose(huge: bool) -> Backing {
        if huge {
            Backing::HugePages
        } else {
            Backing::Populated
        }
    }
}

/// Maps `len` zero-filled bytes and stashes the mapping's owner at its start.
pub(crate) fn map_zeroed(len: usize, backing: Backing) -> std::io::Result<NonNull<u8>> {
    debug_assert!(len > STASH_BYTES);
    let mut options = memmap2::MmapOptions::new();
    options.len(len);
    // Miri models only MAP_PRIVATE|MAP_ANONYMOUS; population and huge pages are
    // performance hints.
    if backing == Backing::Populated && !cfg!(miri) {
        options.populate();
    }
    let mut mmap = options.map_anon()?;
    if backing == Backing::HugePages && !cfg!(miri) {
        // Hints: a kernel without THP (or with it disabled) keeps 4 KiB pages, and
        // one without MADV_POPULATE_WRITE faults pages in on first touch.
        #[cfg(target_os = "linux")]
        {
            let _ = mmap.advise(memmap2::Advice::HugePage);
            let _ = mmap.advise(memmap2::Advice::PopulateWrite);
        }
    }
    let base = NonNull::new(mmap.as_mut_ptr())
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
    // SAFETY: the mapping is `len > STASH_BYTES` bytes long, page aligned (so aligned
    // for `MmapMut`), writable, and nobody else knows its address yet.
    unsafe { base.as_ptr().cast::<MmapMut>().write(mmap) };
    Ok(base)
}

/// Unmaps a mapping made by [`map_zeroed`].
///
/// # Safety
/// - `base` came from [`map_zeroed`] and has not been unmapped;
/// - no reference into the mapping is used after this call.
pub(crate) unsafe fn unmap(base: NonNull<u8>) {
    // SAFETY: the caller guarantees `base` holds the stash written by `map_zeroed`;
    // reading it moves the owner out, and dropping it unmaps (the stash goes with it).
    let mmap = unsafe { base.as_ptr().cast::<MmapMut>().read() };
    drop(mmap);
}

/// Returns the pages of `[offset, offset + len)` to the OS while keeping the range
/// mapped: later reads see zeros. Used for retired index tables, which lock-free
/// readers may still be probing (they read an empty slot and fall back to the
/// locked path, see `index.rs`).
///
/// # Safety
/// - `base` came from [`map_zeroed`] and is still mapped;
/// - every access to the range, by any thread, is through atomics (so a zero
///   appearing under a reader is an ordinary concurrent value, not a torn read).
pub(crate) unsafe fn release_pages(base: NonNull<u8>, offset: usize, len: usize) {
    if len == 0 || cfg!(miri) {
        return;
    }
    // SAFETY: the stash is intact for a live mapping (caller's first point); we only
    // borrow it.
    let mmap = unsafe { &*base.as_ptr().cast::<MmapMut>() };
    // SAFETY: MADV_DONTNEED on a private anonymous mapping makes the range read as
    // zeros; the caller guarantees all accesses are atomic, and the range excludes
    // the stash (offset >= a page).
    let _ = unsafe { mmap.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
}
