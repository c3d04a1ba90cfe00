//! Memory straight from the OS (memmap2), never from the global allocator.
//!
//! Every mapping the depot makes for index tables keeps its own
//! `memmap2::MmapMut` in its first [`STASH_BYTES`] bytes. That way the depot can
//! hold a mapping as a bare pointer (in an atomic: the live table, the spare, a
//! retired list) without a side `Vec` that would need the allocator, and still
//! unmap it on drop through memmap2. (Slabs live in one region instead, see
//! [`region`](crate::region).)
//!
//! ```text
//!  base ──► ┌──────────────────────┬───────────────────────────────────┐
//!           │ MmapMut (ptr, len)   │ the owner's data (an index table) │
//!           └──────────────────────┴───────────────────────────────────┘
//! ```

use core::ptr::NonNull;

use memmap2::MmapMut;

/// Bytes at the start of a mapping that hold its `MmapMut`.
pub(crate) const STASH_BYTES: usize = 16;

const _: () = assert!(core::mem::size_of::<MmapMut>() <= STASH_BYTES);
const _: () = assert!(core::mem::align_of::<MmapMut>() <= 8);

/// Maps `len` zero-filled bytes and stashes the mapping's owner at its start.
///
/// Every page is backed at once (`MAP_POPULATE`): a spare index table is filled
/// under its shard's spin lock, which must not wait for page faults (a no-wait
/// saver spinning on that lock would give up). Mapping happens outside any lock.
pub(crate) fn map_zeroed(len: usize) -> std::io::Result<NonNull<u8>> {
    debug_assert!(len > STASH_BYTES);
    let mut options = memmap2::MmapOptions::new();
    options.len(len);
    // Miri models only MAP_PRIVATE|MAP_ANONYMOUS; population is a performance hint.
    if !cfg!(miri) {
        options.populate();
    }
    let mut mmap = options.map_anon()?;
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
